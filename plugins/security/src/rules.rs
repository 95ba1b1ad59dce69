//! What is dangerous: rules over the commands a line would run.
//!
//! A rule blocks what destroys data or the machine, or hands out secrets;
//! it asks about what is risky but often meant; everything else is allowed.
//! Paths are compared after lexical normalisation (`/tmp/../` is `/`,
//! `$HOME/` is `~`).

use crate::Verdict;
use crate::shell::{Cmd, Script, downloads, is_shell, strip_wrappers};

/// Directories whose loss breaks the machine.
const SYSTEM_DIRS: &[&str] = &[
    "/bin",
    "/boot",
    "/dev",
    "/etc",
    "/home",
    "/lib",
    "/lib32",
    "/lib64",
    "/libx32",
    "/media",
    "/mnt",
    "/nix",
    "/opt",
    "/proc",
    "/root",
    "/run",
    "/sbin",
    "/snap",
    "/srv",
    "/sys",
    "/usr",
    "/var",
    "/Applications",
    "/Library",
    "/System",
    "/Users",
    "/Volumes",
    "/private",
    "/usr/bin",
    "/usr/lib",
    "/usr/sbin",
    "/usr/share",
    "/usr/local",
    "/var/lib",
    "/var/log",
];

/// Below a system directory but the user's to manage.
const USER_MANAGED: &[&str] =
    &["/tmp", "/var/tmp", "/var/folders", "/private/tmp", "/usr/local", "/opt/homebrew", "/dev/shm", "/var/cache"];

/// Block devices: writing one destroys a disk.
const DEVICES: &[&str] = &[
    "/dev/sd",
    "/dev/hd",
    "/dev/vd",
    "/dev/xvd",
    "/dev/nvme",
    "/dev/mmcblk",
    "/dev/disk",
    "/dev/rdisk",
    "/dev/mapper/",
    "/dev/md",
    "/dev/dm-",
    "/dev/loop",
    "/dev/mem",
    "/dev/kmem",
    "/dev/port",
    "/dev/root",
];

/// Files holding credentials, relative to the home directory.
const HOME_SECRETS: &[&str] = &[
    ".aws/credentials",
    ".aws/config",
    ".netrc",
    ".git-credentials",
    ".docker/config.json",
    ".kube/config",
    ".config/gh/hosts.yml",
    ".npmrc",
    ".pypirc",
    ".pgpass",
    ".my.cnf",
    ".vault-token",
    ".config/gcloud/credentials.db",
    ".config/gcloud/application_default_credentials.json",
    ".azure/accessTokens.json",
    ".terraform.d/credentials.tfrc.json",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".gem/credentials",
];

/// Directories whose every file is a secret.
const SECRET_DIRS: &[&str] = &["~/.ssh", "~/.gnupg", "~/.aws", "~/.password-store"];

/// Branches a force push must not rewrite.
const PROTECTED_BRANCHES: &[&str] = &["main", "master", "trunk", "develop", "production", "prod", "release", "stable"];

/// `path` lexically normalised: `//` and `/./` collapsed, `..` resolved,
/// trailing `/` dropped, `$HOME` already `~`.
pub fn normalize(path: &str) -> String {
    let (root, rest) = if let Some(r) = path.strip_prefix('~') {
        // `~user` stays as written.
        if r.is_empty() || r.starts_with('/') { ("~", r) } else { return path.to_string() }
    } else if let Some(r) = path.strip_prefix('/') {
        ("/", r)
    } else {
        ("", path)
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|p| *p != "..") {
                    parts.pop();
                } else if root.is_empty() {
                    parts.push("..");
                }
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    match (root, joined.is_empty()) {
        ("/", true) => "/".into(),
        ("/", false) => format!("/{joined}"),
        ("~", true) => "~".into(),
        ("~", false) => format!("~/{joined}"),
        (_, true) => ".".into(),
        (_, false) => joined,
    }
}

/// How bad deleting (or overwriting) `target` would be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Loss {
    None,
    /// Plausibly meant, but worth a confirmation.
    Risky,
    /// Data or the machine is gone.
    Fatal,
}

/// The loss of removing `target` recursively, where a `cd` to `cwd` came
/// before in the same line.
fn removal_loss(target: &str, cwd: Option<&str>) -> Loss {
    let t = normalize(target);
    let glob_root = t.strip_suffix("/*").or_else(|| t.strip_suffix("/.*")).unwrap_or(&t);
    let glob_root = if glob_root.is_empty() { "/" } else { glob_root };
    if matches!(glob_root, "/" | "~" | "~/") || t == "/*" || t.starts_with("/*") {
        return Loss::Fatal;
    }
    // Another user's home directory (`~root`, `~alice`).
    if glob_root.starts_with('~') && !glob_root.starts_with("~/") && !glob_root.contains('/') {
        return Loss::Fatal;
    }
    if SYSTEM_DIRS.contains(&glob_root) {
        return Loss::Fatal;
    }
    if SECRET_DIRS.iter().any(|d| glob_root == *d || glob_root.starts_with(&format!("{d}/"))) {
        return Loss::Fatal;
    }
    // A variable this line does not set, then `/`: empty (unset, a typo),
    // it is `rm -rf /` (Steam's installer, 2015). `${VAR:?}` is the guard.
    let before_slash = target.trim_end_matches(['*', '.']).strip_suffix('/');
    if before_slash.map(|v| v.trim_end_matches('/')).is_some_and(is_bare_variable) {
        return Loss::Risky;
    }
    // The working tree itself, when no `cd` said where that is.
    let relative = !glob_root.starts_with('/') && !glob_root.starts_with('~') && !glob_root.starts_with('$');
    if relative {
        let whole = matches!(glob_root, "." | ".." | "*" | ".*" | ".git") || glob_root.starts_with("../..");
        return match (whole, cwd.map(normalize)) {
            (false, _) => Loss::None,
            (true, None) => Loss::Fatal,
            (true, Some(dir)) if removal_loss(&dir, None) == Loss::Fatal || dir == "/" => Loss::Fatal,
            (true, Some(_)) if glob_root == ".git" => Loss::Fatal,
            (true, Some(_)) => Loss::None,
        };
    }
    if USER_MANAGED.iter().any(|d| glob_root == *d || glob_root.starts_with(&format!("{d}/"))) {
        return Loss::None;
    }
    if SYSTEM_DIRS.iter().any(|d| glob_root.starts_with(&format!("{d}/"))) {
        return Loss::Risky;
    }
    // A whole folder of the home directory (not a cache).
    if let Some(rest) = glob_root.strip_prefix("~/")
        && !rest.contains('/')
        && !is_cache(rest)
    {
        return Loss::Risky;
    }
    Loss::None
}

/// `$NAME` or `${NAME}`, nothing else (not `${NAME:?}`, not `$NAME/sub`).
fn is_bare_variable(s: &str) -> bool {
    let name = match s.strip_prefix("${").and_then(|r| r.strip_suffix('}')) {
        Some(n) => n,
        None => match s.strip_prefix('$') {
            Some(n) => n,
            None => return false,
        },
    };
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_') && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn is_cache(name: &str) -> bool {
    matches!(
        name,
        ".cache"
            | ".npm"
            | ".yarn"
            | ".pnpm-store"
            | ".gradle"
            | ".m2"
            | ".nuget"
            | ".bun"
            | ".deno"
            | ".cargo-cache"
            | "tmp"
            | ".tmp"
            | "Downloads"
    ) || name.starts_with(".cache")
}

/// A private key or credential file (not a public key, not an example).
pub fn is_secret_file(path: &str) -> bool {
    let p = normalize(path);
    let name = p.rsplit('/').next().unwrap_or(&p);
    if name.ends_with(".pub") {
        return false;
    }
    if name == ".env"
        || (name.starts_with(".env.") && !matches!(name, ".env.example" | ".env.sample" | ".env.template" | ".env.dist" | ".env.defaults"))
    {
        return true;
    }
    if name.starts_with("id_rsa") || name.starts_with("id_dsa") || name.starts_with("id_ecdsa") || name.starts_with("id_ed25519") {
        return true;
    }
    if let Some(rest) = p.strip_prefix("~/") {
        if HOME_SECRETS.contains(&rest) {
            return true;
        }
        if let Some(inner) = rest.strip_prefix(".ssh/") {
            return !matches!(inner, "config" | "known_hosts" | "known_hosts.old") && !inner.ends_with(".pub");
        }
        if rest.starts_with(".gnupg/private-keys") || rest == ".gnupg/secring.gpg" {
            return true;
        }
    }
    matches!(p.as_str(), "/etc/shadow" | "/etc/gshadow" | "/etc/sudoers" | "/etc/master.passwd")
}

/// A directory that is all secrets (`~/.ssh`), when copied or archived whole.
fn is_secret_dir(path: &str) -> bool {
    let p = normalize(path);
    SECRET_DIRS.contains(&p.as_str())
}

/// A path whose overwriting breaks the machine or access to it.
fn is_critical_file(path: &str) -> bool {
    let p = normalize(path);
    DEVICES.iter().any(|d| p.starts_with(d))
        || matches!(
            p.as_str(),
            "/etc/passwd" | "/etc/shadow" | "/etc/sudoers" | "/etc/group" | "/etc/fstab" | "/etc/hosts" | "~/.ssh/authorized_keys"
        )
        || p.starts_with("/boot/")
        || p.starts_with("/etc/sudoers.d/")
}

/// The pids of `kill ARGS`: what follows the signal (`-9`, `-KILL`,
/// `-s KILL`, `-n 9`) and any `--`. A lone `-1` (or `-9 -1`) is a pid.
fn kill_pids(args: &[String]) -> impl Iterator<Item = &String> {
    let mut i = 0;
    match args.first().map(String::as_str) {
        Some("-s" | "-n") => i = 2,
        Some("--") => i = 1,
        Some(a) if a.starts_with('-') && a.len() > 1 && args.len() > 1 => i = 1,
        _ => {}
    }
    if args.get(i).is_some_and(|a| a == "--") {
        i += 1;
    }
    args.iter().skip(i)
}

fn base(cmd: &str) -> &str {
    cmd.rsplit('/').next().unwrap_or(cmd)
}

/// Short options may be grouped: `-rf` holds `r`.
fn has_flag(args: &[String], short: char, long: &[&str]) -> bool {
    args.iter()
        .take_while(|a| *a != "--")
        .any(|a| long.contains(&a.as_str()) || (a.starts_with('-') && !a.starts_with("--") && a.len() > 1 && a[1..].contains(short)))
}

fn operands(args: &[String]) -> Vec<&String> {
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

/// The verdict on a whole line.
pub fn judge(script: &Script) -> Verdict {
    let mut verdict = Verdict::Allow;
    for f in &script.functions {
        if f.forks_itself {
            return Verdict::Block(format!("a fork bomb (`{}` calls itself in the background or through a pipe)", f.name));
        }
    }
    for (i, cmd) in script.cmds.iter().enumerate() {
        let v = judge_cmd(cmd, script, i);
        if let Verdict::Block(_) = v {
            return v;
        }
        verdict = verdict.max(v);
    }
    verdict
}

fn judge_cmd(cmd: &Cmd, script: &Script, index: usize) -> Verdict {
    for w in &cmd.writes {
        if is_critical_file(w) {
            return Verdict::Block(format!("writing to `{w}` destroys a disk or breaks the system"));
        }
        if is_secret_file(w) && normalize(w).starts_with("~/.ssh") {
            return Verdict::Block(format!("writing to `{w}` changes who can log in"));
        }
    }
    let argv = strip_wrappers(&cmd.argv);
    let Some(program) = argv.first() else { return Verdict::Allow };
    let name = base(program);
    let args = &argv[1..];

    // Anything a shell runs from the network, piped or substituted.
    if (is_shell(name) || matches!(name, "python" | "python3" | "perl" | "ruby" | "node" | "php" | "eval" | "source" | "."))
        && (cmd.runs_download || fed_by_download(cmd, script, index))
    {
        // A shell reads its script from stdin with `-s` or without a file.
        let ops = operands(args);
        let from_stdin =
            has_flag(args, 's', &[]) || ops.first().is_none_or(|a| *a == "-" || a.starts_with("/dev/fd") || a.starts_with("/dev/stdin"));
        if from_stdin || cmd.runs_download {
            return Verdict::Block("runs a script straight from the network; download it, read it, then run it".into());
        }
    }

    match name {
        "rm" | "rmdir" | "unlink" | "trash" => {
            let recursive = has_flag(args, 'r', &["--recursive"]) || has_flag(args, 'R', &[]) || name == "rmdir";
            if args.iter().any(|a| a == "--no-preserve-root") {
                return Verdict::Block("`--no-preserve-root` deletes the whole system".into());
            }
            let mut worst = Verdict::Allow;
            for t in operands(args) {
                if is_secret_file(t) && normalize(t).starts_with("~/") {
                    return Verdict::Block(format!("deletes the credential `{t}`"));
                }
                if !recursive && name != "rmdir" {
                    continue;
                }
                match removal_loss(t, cmd.cwd.as_deref()) {
                    Loss::Fatal => return Verdict::Block(format!("`{name}` would delete `{t}` recursively")),
                    Loss::Risky => worst = worst.max(Verdict::Ask(format!("`{name}` deletes `{t}` recursively; is that meant?"))),
                    Loss::None => {}
                }
            }
            worst
        }
        "find" => judge_find(args, cmd),
        "xargs" => Verdict::Allow,
        "mv" => {
            let ops = operands(args);
            for src in ops.iter().take(ops.len().saturating_sub(1)) {
                if removal_loss(src, cmd.cwd.as_deref()) == Loss::Fatal && normalize(src) != "." {
                    return Verdict::Block(format!("moves `{src}` away"));
                }
            }
            if let Some(dst) = ops.last()
                && ops.len() > 1
                && (normalize(dst) == "/dev/null" || is_critical_file(dst))
            {
                return Verdict::Block(format!("moves files onto `{dst}`"));
            }
            Verdict::Allow
        }
        "rsync" if args.iter().any(|a| a.starts_with("--delete") || a == "--remove-source-files") => match operands(args).last() {
            Some(dst) if removal_loss(dst, cmd.cwd.as_deref()) == Loss::Fatal => {
                Verdict::Block(format!("`rsync --delete` into `{dst}` deletes what is there"))
            }
            _ => Verdict::Allow,
        },
        // Appending a name to /etc/hosts is routine; appending to the
        // account, boot or key files still changes who gets in.
        "tee" if has_flag(args, 'a', &["--append"]) => {
            match operands(args).iter().find(|a| is_critical_file(a) && normalize(a) != "/etc/hosts") {
                Some(f) => Verdict::Block(format!("`tee -a` adds to `{f}`")),
                None => Verdict::Allow,
            }
        }
        "cp" | "tee" | "install" | "ln" if operands(args).iter().skip(usize::from(name != "tee")).any(|a| is_critical_file(a)) => {
            Verdict::Block(format!("`{name}` overwrites a disk or a system file"))
        }
        "dd" => {
            for a in args {
                if let Some(of) = a.strip_prefix("of=")
                    && DEVICES.iter().any(|d| normalize(of).starts_with(d))
                {
                    return Verdict::Block(format!("`dd` overwrites the device `{of}`"));
                }
            }
            Verdict::Allow
        }
        n if n.starts_with("mkfs")
            || matches!(
                n,
                "mke2fs" | "mkswap" | "newfs" | "wipefs" | "sgdisk" | "sfdisk" | "fdisk" | "parted" | "gdisk" | "cfdisk" | "blkdiscard"
            ) =>
        {
            // On an image file it is an everyday build step.
            match operands(args).iter().find(|a| a.starts_with("/dev/")) {
                Some(_) if has_flag(args, 'l', &["--list"]) => Verdict::Allow,
                // Without `-a` or `-o`, wipefs only lists the signatures.
                Some(_) if n == "wipefs" && !has_flag(args, 'a', &["--all"]) && !has_flag(args, 'o', &["--offset"]) => Verdict::Allow,
                Some(dev) => Verdict::Block(format!("`{name}` rewrites the disk `{dev}`")),
                None => Verdict::Allow,
            }
        }
        "diskutil"
            if args.first().is_some_and(|a| a.starts_with("erase") || a == "zeroDisk" || a == "randomDisk" || a == "partitionDisk") =>
        {
            Verdict::Block(format!("`diskutil {}` erases a disk", args[0]))
        }
        "shred" | "srm" | "wipe" => {
            for t in operands(args) {
                if DEVICES.iter().any(|d| normalize(t).starts_with(d)) || is_secret_file(t) || removal_loss(t, None) == Loss::Fatal {
                    return Verdict::Block(format!("`{name}` destroys `{t}`"));
                }
            }
            Verdict::Allow
        }
        "chmod" | "chown" | "chgrp" | "setfacl" => {
            let recursive = has_flag(args, 'R', &["--recursive"]);
            for t in operands(args).into_iter().skip(1) {
                let loss = removal_loss(t, cmd.cwd.as_deref());
                if recursive && loss == Loss::Fatal {
                    return Verdict::Block(format!("`{name} -R` on `{t}` breaks the system's permissions"));
                }
                if normalize(t) == "/" {
                    return Verdict::Block(format!("`{name}` on `/`"));
                }
            }
            Verdict::Allow
        }
        "kill" | "pkill" | "killall" => {
            // The pid `-1` is every process; a first `-1` followed by pids
            // is the signal SIGHUP (`kill -1 4242`).
            if name == "kill" && kill_pids(args).any(|a| a == "-1") {
                return Verdict::Block("`kill -1` kills every process".into());
            }
            Verdict::Allow
        }
        "killall5" => Verdict::Block("`killall5` kills every process".into()),
        "shutdown" | "reboot" | "halt" | "poweroff" => Verdict::Block(format!("`{name}` stops the machine")),
        "init" | "telinit" if args.first().is_some_and(|a| a == "0" || a == "6") => {
            Verdict::Block(format!("`{name} {}` stops the machine", args[0]))
        }
        "systemctl" if args.iter().any(|a| matches!(a.as_str(), "poweroff" | "reboot" | "halt" | "kexec")) => {
            Verdict::Block("`systemctl` stops the machine".into())
        }
        "crontab" if has_flag(args, 'r', &[]) => Verdict::Block("`crontab -r` deletes every cron job".into()),
        "git" => judge_git(args),
        "history" if has_flag(args, 'c', &[]) => Verdict::Ask("clears the shell history".into()),
        "terraform" | "tofu" if args.first().is_some_and(|a| a == "destroy") => {
            Verdict::Ask(format!("`{name} destroy` deletes infrastructure"))
        }
        "kubectl"
            if args.first().is_some_and(|a| a == "delete")
                && args.iter().any(|a| matches!(a.as_str(), "namespace" | "ns" | "--all" | "-A" | "--all-namespaces")) =>
        {
            Verdict::Ask("`kubectl delete` of whole namespaces".into())
        }
        "perl" | "ruby" | "python" | "python3"
            if args.iter().any(|a| a.contains("fork while fork") || a.contains("while 1: os.fork()") || a.contains("loop { fork }")) =>
        {
            Verdict::Block("a fork bomb".into())
        }
        _ => judge_reading(name, args, cmd),
    }
}

/// Whether an earlier stage of `cmd`'s pipeline downloads.
fn fed_by_download(cmd: &Cmd, script: &Script, index: usize) -> bool {
    cmd.stage > 0 && script.cmds[..index].iter().any(|c| c.pipeline == cmd.pipeline && downloads(c))
}

fn judge_find(args: &[String], cmd: &Cmd) -> Verdict {
    let deletes = args.iter().any(|a| a == "-delete")
        || args
            .windows(2)
            .any(|w| matches!(w[0].as_str(), "-exec" | "-execdir" | "-ok") && matches!(base(&w[1]), "rm" | "shred" | "unlink"));
    if !deletes {
        return Verdict::Allow;
    }
    let roots: Vec<&String> = args.iter().take_while(|a| !a.starts_with('-') && !a.starts_with('(') && *a != "!").collect();
    let roots: Vec<&str> = if roots.is_empty() { vec!["."] } else { roots.iter().map(|s| s.as_str()).collect() };
    let filtered = args.iter().any(|a| {
        matches!(
            a.as_str(),
            "-name"
                | "-iname"
                | "-path"
                | "-ipath"
                | "-regex"
                | "-iregex"
                | "-newer"
                | "-mtime"
                | "-mmin"
                | "-atime"
                | "-size"
                | "-empty"
                | "-user"
                | "-wholename"
                | "-ctime"
                | "-cmin"
        )
    });
    for r in roots {
        match (removal_loss(r, cmd.cwd.as_deref()), filtered) {
            (Loss::Fatal, false) => return Verdict::Block(format!("`find {r}` deletes everything below it")),
            (Loss::Fatal, true) if matches!(normalize(r).as_str(), "/" | "~") => {
                return Verdict::Ask(format!("`find {r} ... -delete` deletes across the whole of `{r}`"));
            }
            _ => {}
        }
    }
    Verdict::Allow
}

fn judge_git(args: &[String]) -> Verdict {
    // Global options come before the subcommand.
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        i += if matches!(args[i].as_str(), "-C" | "-c" | "--git-dir" | "--work-tree") { 2 } else { 1 };
    }
    let Some(sub) = args.get(i) else { return Verdict::Allow };
    let rest = &args[i + 1..];
    if sub != "push" {
        return Verdict::Allow;
    }
    let force = has_flag(rest, 'f', &["--force"]);
    let lease = rest.iter().any(|a| a.starts_with("--force-with-lease") || a == "--force-if-includes");
    let deletes = has_flag(rest, 'd', &["--delete"]);
    let ops = operands(rest);
    let refspecs: Vec<&str> = ops.iter().skip(1).map(|s| s.as_str()).collect();
    let protected = |branch: &str| {
        let b = branch.rsplit(':').next().unwrap_or(branch).trim_start_matches('+').trim_start_matches("refs/heads/");
        PROTECTED_BRANCHES.contains(&b) || b.starts_with("release/") || b.starts_with("release-")
    };
    if rest.iter().any(|a| a == "--mirror") {
        return Verdict::Block("`git push --mirror` rewrites every branch of the remote".into());
    }
    for r in &refspecs {
        if r.starts_with(':') && protected(r) || deletes && protected(r) {
            return Verdict::Block(format!("deletes the protected branch `{}`", r.trim_start_matches(':')));
        }
        if r.starts_with('+') && protected(r) {
            return Verdict::Block(format!("force-pushes the protected branch `{}`", r.trim_start_matches('+')));
        }
    }
    if force || lease {
        match refspecs.iter().find(|r| protected(r)) {
            Some(r) if force && !lease => return Verdict::Block(format!("force-pushes the protected branch `{r}`")),
            Some(r) => return Verdict::Ask(format!("rewrites the protected branch `{r}` (with a lease)")),
            None if refspecs.is_empty() && force && !lease => {
                return Verdict::Ask("force-pushes the current branch; is it not a protected one?".into());
            }
            None => {}
        }
    }
    Verdict::Allow
}

/// Commands that would print or send a secret somewhere.
fn judge_reading(name: &str, args: &[String], cmd: &Cmd) -> Verdict {
    const READERS: &[&str] = &[
        "cat",
        "less",
        "more",
        "head",
        "tail",
        "bat",
        "batcat",
        "nl",
        "tac",
        "strings",
        "xxd",
        "od",
        "hexdump",
        "base64",
        "base32",
        "cp",
        "scp",
        "rsync",
        "sftp",
        "nc",
        "ncat",
        "netcat",
        "socat",
        "tar",
        "zip",
        "7z",
        "gzip",
        "bzip2",
        "xz",
        "grep",
        "rg",
        "egrep",
        "awk",
        "sed",
        "sort",
        "uniq",
        "cut",
        "vim",
        "vi",
        "nano",
        "emacs",
        "code",
        "open",
        "xdg-open",
        "pbcopy",
        "xclip",
        "xsel",
        "wl-copy",
        "jq",
        "yq",
        "gpg",
        "openssl",
        "diff",
        "cmp",
        "sha256sum",
        "md5sum",
        "python",
        "python3",
        "node",
        "ruby",
        "perl",
        "curl",
        "wget",
        "mail",
        "sendmail",
    ];
    let reads_file = READERS.contains(&name);
    for r in &cmd.reads {
        if is_secret_file(r) && name != "source" && name != "." {
            return Verdict::Block(format!("reads the credential `{r}`"));
        }
    }
    if !reads_file {
        return Verdict::Allow;
    }
    // grep's first operand is its pattern, unless `-e` or `-f` gave it.
    let pattern = match name {
        "grep" | "egrep" | "rg" if !args.iter().any(|a| a == "-e" || a == "-f" || a.starts_with("--regexp") || a.starts_with("--file")) => {
            operands(args).first().copied()
        }
        _ => None,
    };
    for a in args {
        if pattern.is_some_and(|p| std::ptr::eq(p, a)) {
            continue;
        }
        // `curl -d @file`, `--upload-file file`, `-F k=@file`.
        let path = a.rsplit_once('@').map(|(_, p)| p).filter(|_| a.contains('@') && (name == "curl" || name == "wget")).unwrap_or(a);
        if is_secret_file(path) {
            // Copying `.env.example` to `.env` writes it, it does not read it.
            if name == "cp" && operands(args).last().is_some_and(|l| *l == a) {
                continue;
            }
            return Verdict::Block(format!("`{name}` reads the credential `{path}`"));
        }
        if is_secret_dir(a) && matches!(name, "cp" | "scp" | "rsync" | "tar" | "zip" | "7z" | "nc" | "cat") {
            return Verdict::Block(format!("`{name}` copies the secrets in `{a}`"));
        }
    }
    Verdict::Allow
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_lexically() {
        assert_eq!(normalize("/tmp/../"), "/");
        assert_eq!(normalize("~/"), "~");
        assert_eq!(normalize("//etc/./"), "/etc");
        assert_eq!(normalize("./build/"), "build");
        assert_eq!(normalize("a/../.."), "..");
    }

    #[test]
    fn removal_losses() {
        assert_eq!(removal_loss("/", None), Loss::Fatal);
        assert_eq!(removal_loss("/*", None), Loss::Fatal);
        assert_eq!(removal_loss("~/", None), Loss::Fatal);
        assert_eq!(removal_loss("/etc", None), Loss::Fatal);
        assert_eq!(removal_loss("/etc/nginx", None), Loss::Risky);
        assert_eq!(removal_loss("/tmp/x", None), Loss::None);
        assert_eq!(removal_loss("./build", None), Loss::None);
        assert_eq!(removal_loss(".", None), Loss::Fatal);
        assert_eq!(removal_loss("*", Some("build")), Loss::None);
        assert_eq!(removal_loss("~/Documents", None), Loss::Risky);
        assert_eq!(removal_loss("~/.cache", None), Loss::None);
        // An unknown variable then `/`: `/` itself when it is empty.
        assert_eq!(removal_loss("$STEAMROOT/", None), Loss::Risky);
        assert_eq!(removal_loss("${DIR}/*", None), Loss::Risky);
        assert_eq!(removal_loss("$DIR", None), Loss::None);
        assert_eq!(removal_loss("$DIR/build", None), Loss::None);
        assert_eq!(removal_loss("${DIR:?}/", None), Loss::None);
    }

    #[test]
    fn secrets_but_not_public_keys_or_examples() {
        assert!(is_secret_file("~/.ssh/id_rsa"));
        assert!(!is_secret_file("~/.ssh/id_rsa.pub"));
        assert!(is_secret_file(".env"));
        assert!(is_secret_file("config/.env.production"));
        assert!(!is_secret_file(".env.example"));
        assert!(is_secret_file("~/.aws/credentials"));
        assert!(!is_secret_file("~/.ssh/config"));
    }
}
