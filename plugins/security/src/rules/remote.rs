//! Remote state the user's credentials reach: repositories, buckets,
//! databases, clusters and infrastructure. Deleting it is often meant, so
//! the user is asked; what cannot be undone at all (a repository deleted
//! without a prompt) is still only asked about, since the user may mean it.

use super::{has_flag, has_long, operands};
use crate::Verdict;
use crate::expand::display;
use crate::shell::{Cmd, Input};

pub fn judge(name: &str, args: &[String], cmd: &Cmd) -> Verdict {
    let words: Vec<&str> = args.iter().map(String::as_str).filter(|a| !a.starts_with('-')).collect();
    let has = |w: &str| words.contains(&w);
    let sub = |i: usize| words.get(i).copied().unwrap_or_default();
    let ask = |what: String| Verdict::Ask(what);
    let deleting = |w: &str| {
        matches!(
            w,
            "delete"
                | "destroy"
                | "remove"
                | "rm"
                | "rb"
                | "purge"
                | "terminate"
                | "drop"
                | "wipe"
                | "uninstall"
                | "prune"
                | "reset"
                | "delete-bucket"
                | "delete-stack"
                | "delete-cluster"
                | "delete-db-instance"
                | "delete-db-cluster"
                | "delete-table"
                | "delete-function"
                | "delete-repository"
                | "delete-secret"
                | "delete-user"
                | "delete-role"
                | "delete-policy"
                | "delete-key"
                | "schedule-key-deletion"
                | "terminate-instances"
                | "delete-objects"
                | "delete-object"
                | "delete-volume"
                | "delete-snapshot"
                | "delete-vpc"
                | "delete-hosted-zone"
                | "deregister"
                | "apps:destroy"
                | "pg:reset"
                | "unpublish"
                | "yank"
                | "flushall"
                | "flushdb"
                | "FLUSHALL"
                | "FLUSHDB"
                | "kill"
                | "revoke"
                | "disable"
                | "archive"
                | "delete-project"
        ) || (w.starts_with("delete-") || w.starts_with("remove-") || w.starts_with("terminate-") || w.starts_with("destroy"))
    };
    if args.iter().any(|a| matches!(a.as_str(), "--dry-run" | "--dryrun" | "--dry-run=client" | "--dry-run=server" | "--what-if")) {
        return Verdict::Allow;
    }
    match name {
        "gh" | "glab" => {
            if matches!(
                sub(0),
                "repo"
                    | "release"
                    | "gist"
                    | "secret"
                    | "variable"
                    | "ssh-key"
                    | "gpg-key"
                    | "label"
                    | "cache"
                    | "run"
                    | "project"
                    | "ruleset"
                    | "workflow"
            ) && (deleting(sub(1)) || sub(1) == "archive" || sub(1) == "disable")
            {
                return ask(format!("`{name} {} {}` deletes it from the server", sub(0), sub(1)));
            }
            if sub(0) == "api" && args.iter().any(|a| a.eq_ignore_ascii_case("DELETE") || a == "-XDELETE" || a == "--method=DELETE") {
                return ask(format!("`{name} api` with DELETE deletes on the server"));
            }
            if sub(0) == "repo" && sub(1) == "edit" && args.iter().any(|a| a.starts_with("--visibility")) {
                return ask("`gh repo edit --visibility` changes who can see the repository".into());
            }
            if sub(0) == "pr" && sub(1) == "merge" && has_long(args, "--admin") {
                return ask("`gh pr merge --admin` skips the branch's protections".into());
            }
            if matches!(sub(1), "remove" | "rm") && matches!(sub(0), "secret" | "variable" | "ssh-key" | "gpg-key" | "label") {
                return ask(format!("`{name} {} {}` deletes it from the server", sub(0), sub(1)));
            }
            judge_generic(name, args)
        }
        "aws" => {
            if sub(0) == "s3"
                && (sub(1) == "rm" && has_long(args, "--recursive") || sub(1) == "rb" || sub(1) == "sync" && has_long(args, "--delete"))
            {
                return ask(format!("`aws s3 {}` deletes objects in a bucket", sub(1)));
            }
            if sub(0) == "s3" && sub(1) == "rm" {
                return ask("`aws s3 rm` deletes an object".into());
            }
            if words.iter().skip(1).take(2).any(|w| deleting(w) || w.starts_with("put-bucket-policy") || *w == "put-bucket-acl") {
                return ask(format!("`aws {} {}` deletes or exposes cloud resources", sub(0), sub(1)));
            }
            if sub(0) == "iam" && (sub(1).starts_with("create-access-key") || sub(1).starts_with("attach-") || sub(1) == "put-user-policy")
            {
                return ask(format!("`aws iam {}` grants access", sub(1)));
            }
            if judge_generic(name, &args[..args.len().min(2)]) != Verdict::Allow {
                return ask(format!("`aws {} {}` deletes cloud resources", sub(0), sub(1)));
            }
            if sub(0) == "secretsmanager" && matches!(sub(1), "update-secret" | "put-secret-value" | "rotate-secret") {
                return ask(format!("`aws secretsmanager {}` replaces a secret", sub(1)));
            }
            Verdict::Allow
        }
        "gcloud" | "az" | "doctl" | "gsutil" | "fly" | "flyctl" | "vercel" | "netlify" | "firebase" | "supabase" | "heroku" | "railway"
        | "wrangler" | "s3cmd" | "rclone" | "mc" | "eksctl" | "pulumi" | "consul" | "vault" | "nomad" | "virsh" | "vagrant"
        | "minikube" | "kind" | "etcdctl" => {
            if name == "gsutil" && (sub(0) == "rm" || sub(0) == "rb")
                || name == "s3cmd" && matches!(sub(0), "del" | "rb" | "rm")
                || name == "rclone" && matches!(sub(0), "purge" | "delete" | "deletefile" | "rmdir" | "rmdirs" | "cleanup")
                || name == "rclone" && sub(0) == "sync"
                || name == "mc" && matches!(sub(0), "rm" | "rb")
            {
                return ask(format!("`{name} {}` deletes remote files", sub(0)));
            }
            if name == "vault" && (sub(0) == "read" || sub(0) == "kv" && sub(1) == "get") {
                return Verdict::Allow;
            }
            if name == "pulumi" && sub(0) == "destroy"
                || name == "etcdctl" && sub(0) == "del"
                || name == "heroku" && sub(0).starts_with("pg:reset")
            {
                return ask(format!("`{name} {}` deletes infrastructure", sub(0)));
            }
            if words.iter().take(4).any(|w| deleting(w)) || judge_generic(name, args) != Verdict::Allow {
                let what: Vec<&str> = words.iter().take(3).copied().collect();
                return ask(format!("`{name} {}` deletes remote resources", what.join(" ")));
            }
            Verdict::Allow
        }
        "kubectl" | "oc" => {
            if sub(0) == "delete" {
                let wide = words.iter().any(|w| {
                    matches!(
                        *w,
                        "namespace"
                            | "ns"
                            | "namespaces"
                            | "pv"
                            | "pvc"
                            | "node"
                            | "nodes"
                            | "crd"
                            | "crds"
                            | "clusterrole"
                            | "persistentvolume"
                    )
                }) || args.iter().any(|a| matches!(a.as_str(), "--all" | "-A" | "--all-namespaces"));
                return ask(if wide {
                    "`kubectl delete` of whole namespaces, volumes or every resource".into()
                } else {
                    "`kubectl delete` deletes cluster resources".into()
                });
            }
            if matches!(sub(0), "drain" | "cordon" | "replace") && (sub(0) != "replace" || has_flag(args, 'f', &["--force"])) {
                return ask(format!("`kubectl {}` disrupts the cluster", sub(0)));
            }
            if sub(0) == "scale" && args.iter().any(|a| a == "--replicas=0") {
                return ask("`kubectl scale --replicas=0` stops a workload".into());
            }
            Verdict::Allow
        }
        "helm" if matches!(sub(0), "uninstall" | "delete" | "del" | "rollback") => ask(format!("`helm {}` removes a release", sub(0))),
        "terraform" | "tofu" => {
            if sub(0) == "destroy"
                || sub(0) == "apply" && has_flag(args, 'd', &["-destroy", "--destroy"])
                || args.iter().any(|a| a == "-destroy")
            {
                return ask(format!("`{name} destroy` deletes infrastructure"));
            }
            if sub(0) == "state" && matches!(sub(1), "rm" | "push")
                || sub(0) == "workspace" && sub(1) == "delete"
                || sub(0) == "force-unlock"
            {
                return ask(format!("`{name} {} {}` changes the state by hand", sub(0), sub(1)));
            }
            if sub(0) == "apply" && args.iter().any(|a| a == "-auto-approve" || a == "--auto-approve") {
                return ask(format!("`{name} apply -auto-approve` changes infrastructure without a plan review"));
            }
            Verdict::Allow
        }
        "docker" | "podman" => {
            let s0 = sub(0);
            let s1 = sub(1);
            if matches!(s0, "system" | "volume" | "image" | "container" | "network" | "builder" | "buildx") && matches!(s1, "prune") {
                let all = has_flag(args, 'a', &["--all"]) || has_long(args, "--volumes") || s0 == "volume" || s0 == "system";
                return if all { ask(format!("`{name} {s0} prune` deletes data in volumes or every image")) } else { Verdict::Allow };
            }
            if s0 == "volume" && matches!(s1, "rm" | "remove")
                || s0 == "rm" && has_flag(args, 'v', &["--volumes"]) && has_flag(args, 'f', &["--force"])
            {
                return ask(format!("`{name} volume rm` deletes the data in a volume"));
            }
            if s0 == "run"
                && args.iter().any(|a| a == "--privileged" || a == "--pid=host")
                && args.iter().any(|a| a.starts_with("/:") || a.contains("=/,") || a == "-v")
            {
                return ask(format!("`{name} run --privileged` with the host's file system has the whole machine"));
            }
            Verdict::Allow
        }
        "npm" | "pnpm" | "yarn" if has("unpublish") => ask(format!("`{name} unpublish` removes a published package")),
        "cargo" if has("yank") || has("owner") && has_long(args, "--remove") => ask("`cargo yank` withdraws a published crate".into()),
        "twine" => Verdict::Allow,
        "redis-cli" => {
            let up: Vec<String> = args.iter().map(|a| a.to_ascii_uppercase()).collect();
            if up.iter().any(|a| matches!(a.as_str(), "FLUSHALL" | "FLUSHDB" | "SHUTDOWN"))
                || up.windows(2).any(|w| w[0] == "CONFIG" && w[1] == "SET")
            {
                return Verdict::Ask("`redis-cli` deletes every key or stops the server".into());
            }
            sql_text(&cmd.stdin).map(|t| judge_sql(&t, name)).unwrap_or(Verdict::Allow)
        }
        "dropdb" => ask("`dropdb` deletes a database".into()),
        "mysqladmin" if has("drop") => ask("`mysqladmin drop` deletes a database".into()),
        "psql" | "mysql" | "mariadb" | "sqlite3" | "mongo" | "mongosh" | "cqlsh" | "clickhouse-client" | "sqlcmd" | "duckdb" | "influx" => {
            // The statement: `-c`, `-e`, `--eval`, `--query`, sqlite's
            // second operand, or the text on standard input.
            let mut texts: Vec<String> = args
                .windows(2)
                .filter(|w| matches!(w[0].as_str(), "-c" | "--command" | "-e" | "--execute" | "--eval" | "--query" | "-q" | "-Q" | "--sql"))
                .map(|w| w[1].clone())
                .collect();
            texts.extend(args.iter().filter_map(|a| {
                a.strip_prefix("--command=")
                    .or_else(|| a.strip_prefix("--execute="))
                    .or_else(|| a.strip_prefix("--eval="))
                    .map(String::from)
            }));
            if matches!(name, "sqlite3" | "duckdb") {
                texts.extend(operands(args).into_iter().skip(1).cloned());
            }
            texts.extend(sql_text(&cmd.stdin));
            super::worst(texts.iter().map(|t| judge_sql(t, name)))
        }
        _ => Verdict::Allow,
    }
}

fn sql_text(input: &Input) -> Option<String> {
    match input {
        Input::Text(t) => Some(t.clone()),
        _ => None,
    }
}

/// `DROP DATABASE`, `DROP TABLE`, `TRUNCATE`, a `DELETE` or `UPDATE`
/// without `WHERE`, `db.dropDatabase()`.
fn judge_sql(text: &str, client: &str) -> Verdict {
    let up = display(text).to_ascii_uppercase();
    let words: Vec<&str> = up.split(|c: char| c.is_whitespace() || c == ';' || c == '(').filter(|w| !w.is_empty()).collect();
    let statement = |a: &str, b: &str| words.windows(2).any(|w| w[0] == a && (b.is_empty() || w[1] == b));
    let destroys = statement("DROP", "DATABASE")
        || statement("DROP", "SCHEMA")
        || statement("DROP", "TABLE")
        || statement("DROP", "USER")
        || statement("DROP", "OWNED")
        || statement("TRUNCATE", "")
        || statement("DROP", "KEYSPACE")
        || up.contains("DROPDATABASE()")
        || up.contains(".DROP()")
        || up.contains("DELETEMANY({})")
        || up.contains("REMOVE({})");
    if destroys {
        return Verdict::Ask(format!("`{client}` runs `{}`, which deletes data", first_line(text)));
    }
    // DELETE FROM t; / UPDATE t SET ... with no WHERE: every row.
    for stmt in up.split(';') {
        let s = stmt.trim();
        if (s.starts_with("DELETE FROM") || s.starts_with("UPDATE ")) && !s.contains(" WHERE ") {
            return Verdict::Ask(format!("`{client}` runs `{}` on every row", first_line(stmt.trim())));
        }
    }
    if statement("ALTER", "USER") || statement("GRANT", "ALL") {
        return Verdict::Ask(format!("`{client}` changes who can do what: `{}`", first_line(text)));
    }
    Verdict::Allow
}

fn first_line(text: &str) -> String {
    display(text).lines().next().unwrap_or_default().chars().take(80).collect()
}

/// `curl -X DELETE URL`, a POST to `.../doDelete` or `_delete_by_query`:
/// deleting through an HTTP API.
pub fn judge_http(name: &str, args: &[String]) -> Verdict {
    if !matches!(name, "curl" | "http" | "https" | "xh" | "wget") {
        return Verdict::Allow;
    }
    let method_delete = args
        .windows(2)
        .any(|w| matches!(w[0].as_str(), "-X" | "--request" | "--method") && w[1].eq_ignore_ascii_case("DELETE"))
        || args.iter().any(|a| a == "-XDELETE" || a.eq_ignore_ascii_case("--request=DELETE") || a.eq_ignore_ascii_case("--method=DELETE"))
        || matches!(name, "http" | "https" | "xh") && args.first().is_some_and(|a| a.eq_ignore_ascii_case("DELETE"));
    let delete_url =
        args.iter().any(|a| a.contains("://") && (a.contains("/doDelete") || a.contains("_delete_by_query") || a.ends_with("/_all")));
    if method_delete || delete_url {
        return Verdict::Ask(format!("`{name}` deletes through an HTTP API"));
    }
    Verdict::Allow
}

/// Any other command line tool whose subcommand deletes or destroys
/// (`op item delete`, `doppler secrets delete`, `kafka-topics --delete`,
/// `restic forget`, `btrfs subvolume delete`), unless it only says what it
/// would do.
pub fn judge_generic(name: &str, args: &[String]) -> Verdict {
    // Package managers remove packages, which they can put back.
    const LOCAL: &[&str] = &[
        "apt",
        "apt-get",
        "dnf",
        "yum",
        "brew",
        "pip",
        "pip3",
        "pipx",
        "uv",
        "poetry",
        "npm",
        "pnpm",
        "yarn",
        "bun",
        "gem",
        "cargo",
        "rustup",
        "go",
        "conda",
        "mamba",
        "snap",
        "flatpak",
        "pacman",
        "apk",
        "zypper",
        "port",
        "nix-env",
        "asdf",
        "mise",
        "sdk",
        "echo",
        "printf",
        "grep",
        "rg",
        "man",
        "help",
        "git",
        "make",
        "just",
        "task",
        "jq",
        "sed",
        "awk",
        "ls",
        "cat",
        "test",
        "[",
        "head",
        "tail",
        "less",
        "more",
        "wc",
        "diff",
        "sort",
        "uniq",
        "tr",
        "cut",
        "tee",
        "xargs",
        "true",
        "false",
        ":",
        "type",
        "which",
        "command",
        "alias",
        "export",
        "read",
        "printenv",
        "env",
        "touch",
        "mkdir",
        "cp",
        "mv",
        "ln",
        "open",
        "code",
        "vi",
        "vim",
        "nano",
        "emacs",
        "claude",
        "paii",
        "journalctl",
        "systemctl",
        "history",
    ];
    if LOCAL.contains(&name)
        || args.iter().any(|a| matches!(a.as_str(), "--dry-run" | "--dryrun" | "--whatif" | "--help" | "-h" | "--plan"))
    {
        return Verdict::Allow;
    }
    // A word (or the program's own name) one of whose parts is a
    // destroying verb: `delete`, `batch-delete-image`, `purge-queue`.
    let destroys = |w: &str| {
        let w = w.trim_start_matches('-').to_ascii_lowercase();
        w.split(['-', '_', ':', '.']).any(|part| {
            matches!(
                part,
                "delete"
                    | "destroy"
                    | "purge"
                    | "drop"
                    | "terminate"
                    | "wipe"
                    | "erase"
                    | "nuke"
                    | "unregister"
                    | "deregister"
                    | "forget"
                    | "flushall"
                    | "dodelete"
                    | "rdelete"
                    | "undeploy"
                    | "unsubscribe"
                    | "truncate"
                    | "expunge"
            )
        }) || w == "prune" && matches!(name, "restic" | "borg" | "kopia" | "duplicity" | "borgmatic")
            || w == "unsafe-allow-remove-all"
            || w == "remove-all"
    };
    if destroys(name) {
        return Verdict::Ask(format!("`{name}` deletes what it names, maybe for good"));
    }
    let words: Vec<&String> = args.iter().filter(|a| !a.contains('/') && !a.contains('=') && !a.contains(' ')).take(6).collect();
    match words.iter().find(|w| destroys(w)) {
        Some(w) if !w.contains("cache") => Verdict::Ask(format!("`{name} {w}` deletes what it names, maybe for good")),
        _ => Verdict::Allow,
    }
}
