//! What is dangerous: rules over the commands a line would run, one module
//! per category of the threat model (THREAT-MODEL.md).
//!
//! A rule blocks what destroys data or the machine, hands out secrets,
//! disables the controls or opens the machine to others; it asks about
//! what is risky but often meant, and about what it cannot know; anything
//! else is allowed.

mod code;
mod files;
mod git;
mod net;
mod remote;
mod system;

use crate::Verdict;
use crate::expand::{display, is_unknown, wholly_unknown};
use crate::paths::Places;
use crate::shell::{Cmd, Input, Script};

/// The verdict on a whole line: the worst over its commands.
pub fn judge(script: &Script, places: &Places) -> Verdict {
    let mut verdict = Verdict::Allow;
    for f in &script.functions {
        if f.forks_itself {
            return Verdict::Block(format!("a fork bomb (`{}` calls itself in the background or through a pipe)", f.name));
        }
    }
    if let Some(why) = net::shell_on_a_connection(script) {
        return Verdict::Block(why);
    }
    for cmd in &script.cmds {
        let v = judge_cmd(cmd, places);
        if let Verdict::Block(_) = v {
            return v;
        }
        verdict = verdict.max(v);
    }
    verdict
}

/// The worst of several verdicts, stopping at the first block.
fn worst(verdicts: impl IntoIterator<Item = Verdict>) -> Verdict {
    let mut out = Verdict::Allow;
    for v in verdicts {
        if let Verdict::Block(_) = v {
            return v;
        }
        out = out.max(v);
    }
    out
}

fn judge_cmd(cmd: &Cmd, places: &Places) -> Verdict {
    let mut verdicts = Vec::new();
    for w in &cmd.writes {
        verdicts.push(net::judge_device(&w.path, cmd));
        verdicts.push(files::judge_write(&w.path, w.append, "redirects output into", places));
    }
    for r in &cmd.reads {
        verdicts.push(files::judge_read(r, "`<`"));
    }
    if cmd.runs_download {
        return Verdict::Block("runs code straight from the network; download it, read it, then run it".into());
    }
    if let Some(what) = &cmd.runs_unknown {
        verdicts.push(Verdict::Ask(format!("runs {what}, which cannot be checked before it runs")));
    }
    if let Some(code) = &cmd.code {
        verdicts.push(code::judge(code, places));
    }
    verdicts.push(net::judge_secrets_sent(cmd));
    let Some(program) = cmd.argv.first() else { return worst(verdicts) };
    let program = resolve_program(program);
    if is_unknown(&program) {
        verdicts.push(if cmd.generated {
            Verdict::Allow
        } else {
            Verdict::Ask(format!("runs `{}`, a program known only when the line runs", display(&program)))
        });
        return worst(verdicts);
    }
    let name = base(&program);
    let args = &cmd.argv[1..];
    verdicts.push(judge_program(name, args, cmd, places));
    worst(verdicts)
}

/// `$EDITOR`, `$SHELL` and their like name a program of a known kind.
fn resolve_program(program: &str) -> String {
    if !wholly_unknown(program) {
        return program.to_string();
    }
    match display(program).trim_start_matches('$').trim_matches(['{', '}']) {
        "EDITOR" | "VISUAL" | "GIT_EDITOR" => "vi".into(),
        "PAGER" | "MANPAGER" | "GIT_PAGER" => "less".into(),
        "SHELL" => "sh".into(),
        "CC" | "CXX" | "LD" | "AR" | "MAKE" | "CMAKE" | "GO" | "CARGO" | "RUSTC" | "JAVA" | "MVN" | "GRADLE" | "NPM" | "YARN" | "PNPM"
        | "PYTEST" | "PIP" | "UV" | "DOCKER" | "KUBECTL" | "TERRAFORM" | "BROWSER" | "OPENER" => "tool".into(),
        "PYTHON" | "PYTHON3" | "NODE" | "RUBY" | "PERL" => "interpreter".into(),
        _ => program.to_string(),
    }
}

fn judge_program(name: &str, args: &[String], cmd: &Cmd, places: &Places) -> Verdict {
    match name {
        "rm" | "rmdir" | "unlink" | "trash" | "trash-put" | "gio" | "srm" => files::judge_rm(name, args, cmd, places),
        "find" | "fd" => files::judge_find(name, args, cmd, places),
        "mv" => files::judge_mv(args, cmd, places),
        "rsync" => worst([
            files::judge_rsync(args, cmd, places),
            files::judge_reading(name, args, places),
            files::judge_copy_to_host(name, args, places),
        ]),
        "tee" | "cp" | "install" | "ln" | "truncate" | "sed" | "gsed" | "perl" | "dd" | "split" | "sponge" | "patch" => {
            let inner = match name {
                "perl" => Verdict::Allow,
                _ => files::judge_overwrite(name, args, places),
            };
            worst([inner, files::judge_reading(name, args, places)])
        }
        n if files::is_disk_tool(n) => files::judge_disk(n, args),
        "shred" | "wipe" => files::judge_shred(name, args, cmd, places),
        "chmod" | "chown" | "chgrp" | "setfacl" | "chattr" => files::judge_permissions(name, args, cmd, places),
        "git" => git::judge(args),
        "gh" | "aws" | "gcloud" | "gsutil" | "az" | "doctl" | "heroku" | "fly" | "flyctl" | "vercel" | "netlify" | "firebase"
        | "supabase" | "kubectl" | "oc" | "helm" | "terraform" | "tofu" | "pulumi" | "docker" | "podman" | "npm" | "pnpm" | "yarn"
        | "cargo" | "twine" | "s3cmd" | "rclone" | "mc" | "wrangler" | "railway" | "glab" | "consul" | "vault" | "nomad" | "eksctl"
        | "kind" | "minikube" | "virsh" | "vagrant" | "ansible" | "salt" | "redis-cli" | "psql" | "mysql" | "mariadb" | "sqlite3"
        | "mongo" | "mongosh" | "cqlsh" | "clickhouse-client" | "sqlcmd" | "duckdb" | "influx" | "dropdb" | "mysqladmin" | "etcdctl" => {
            remote::judge(name, args, cmd)
        }
        "nc" | "ncat" | "netcat" | "socat" | "telnet" | "openssl" | "mkfifo" | "busybox" => {
            worst([net::judge_connection(name, args), files::judge_reading(name, args, places)])
        }
        _ => worst([
            system::judge(name, args),
            files::judge_reading(name, args, places),
            remote::judge_http(name, args),
            files::judge_copy_to_host(name, args, places),
            remote::judge_generic(name, args),
        ]),
    }
}

pub(crate) fn base(cmd: &str) -> &str {
    cmd.rsplit('/').next().unwrap_or(cmd)
}

/// Whether `arg` spells the long option `long`, in full or abbreviated as
/// GNU tools accept (`--recur` is `--recursive`).
fn is_long(arg: &str, long: &str) -> bool {
    let arg = arg.split('=').next().unwrap_or(arg);
    arg == long || (arg.len() >= 5 && long.starts_with(arg))
}

/// Short options may be grouped (`-rf` holds `r`); long ones abbreviated.
pub(crate) fn has_flag(args: &[String], short: char, long: &[&str]) -> bool {
    args.iter().take_while(|a| *a != "--").any(|a| {
        if a.starts_with("--") {
            long.iter().any(|l| is_long(a, l))
        } else {
            a.starts_with('-') && a.len() > 1 && !is_unknown(a) && a[1..].contains(short)
        }
    })
}

pub(crate) fn has_long(args: &[String], long: &str) -> bool {
    args.iter().take_while(|a| *a != "--").any(|a| a.starts_with("--") && is_long(a, long))
}

pub(crate) fn operands(args: &[String]) -> Vec<&String> {
    let mut out = Vec::new();
    let mut after_dashes = false;
    for a in args {
        if !after_dashes && a == "--" {
            after_dashes = true;
        } else if after_dashes || !a.starts_with('-') || a == "-" {
            out.push(a);
        }
    }
    out
}

/// Whether the command is given the whole environment, on its input or
/// in its words.
pub(crate) fn from_environment(cmd: &Cmd) -> bool {
    cmd.stdin == Input::Environment || cmd.environment
}
