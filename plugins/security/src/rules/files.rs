//! Deleting, overwriting and reading files: the user's data, the machine's
//! files, devices, and credentials.

use super::{has_flag, has_long, operands, worst};
use crate::Verdict;
use crate::expand::{display, instantiate, is_unknown, wholly_unknown};
use crate::paths::{DEVICES, Loss, Places, is_critical_file, is_secret_dir, is_secret_file, normalize, removal_loss};
use crate::shell::{Cmd, FIND_FILTERS};

pub fn judge_rm(name: &str, args: &[String], cmd: &Cmd, places: &Places) -> Verdict {
    let recursive = has_flag(args, 'r', &["--recursive"]) || has_flag(args, 'R', &[]) || name == "rmdir" || name == "srm";
    if has_long(args, "--no-preserve-root") {
        return Verdict::Block("`--no-preserve-root` deletes the whole system".into());
    }
    // `gio trash|remove PATH`
    let args = if name == "gio" {
        match args.first().map(String::as_str) {
            Some("remove" | "trash" | "rm") => &args[1..],
            _ => return Verdict::Allow,
        }
    } else {
        args
    };
    let mut verdicts = Vec::new();
    for t in operands(args) {
        let shown = display(t);
        if is_secret_file(&places.normalize(t)) && !is_unknown(t) && !normalize(t).starts_with(".env") {
            return Verdict::Block(format!("deletes the credential `{shown}`"));
        }
        if !recursive {
            // `rm /var/log/auth.log`, `rm ~/.bash_history`: the record.
            verdicts.push(match places.kind(t) {
                crate::paths::Kind::Record => Verdict::Ask(format!("deletes `{shown}`, a record of what happened")),
                crate::paths::Kind::Controls => Verdict::Block(format!("deletes `{shown}`, Claude Code's or paii's own configuration")),
                crate::paths::Kind::Critical if !normalize(t).starts_with("/dev/") => {
                    Verdict::Block(format!("deletes `{shown}`, which the machine or its logins depend on"))
                }
                _ => Verdict::Allow,
            });
            continue;
        }
        verdicts.push(match removal_loss(places, t, cmd.cwd.as_deref()) {
            Loss::Fatal => return Verdict::Block(format!("`{name}` would delete `{shown}` recursively")),
            Loss::Risky if is_unknown(t) => {
                Verdict::Ask(format!("`{name}` deletes `{shown}` recursively, and what that is is known only when it runs"))
            }
            Loss::Risky => Verdict::Ask(format!("`{name}` deletes `{shown}` recursively; is that meant?")),
            Loss::None => Verdict::Allow,
        });
    }
    worst(verdicts)
}

pub fn judge_find(name: &str, args: &[String], cmd: &Cmd, places: &Places) -> Verdict {
    let deletes = outside_exec(args).any(|a| a == "-delete") || (name == "fd" && args.iter().any(|a| a == "-X" || a == "-x"));
    if !deletes {
        return Verdict::Allow;
    }
    let roots: Vec<&String> = args.iter().take_while(|a| !a.starts_with('-') && !a.starts_with('(') && *a != "!").collect();
    let roots: Vec<String> = if name == "fd" {
        // `fd PATTERN PATH`
        roots.get(1).map(|r| vec![r.to_string()]).unwrap_or_else(|| vec![".".into()])
    } else if roots.is_empty() {
        vec![".".into()]
    } else {
        roots.iter().map(|s| s.to_string()).collect()
    };
    let filtered = args.iter().any(|a| FIND_FILTERS.contains(&a.as_str())) || name == "fd";
    let mut verdicts = Vec::new();
    for r in roots {
        let shown = display(&r);
        verdicts.push(match (removal_loss(places, &r, cmd.cwd.as_deref()), filtered) {
            (Loss::Fatal, false) => return Verdict::Block(format!("`find {shown}` deletes everything below it")),
            (Loss::Fatal, true) if matches!(places.normalize(&r).as_str(), "/" | "~") => {
                Verdict::Ask(format!("`find {shown} ... -delete` deletes across the whole of `{shown}`"))
            }
            (Loss::Risky, false) => Verdict::Ask(format!("`find {shown} -delete` deletes everything below `{shown}`")),
            _ => Verdict::Allow,
        });
    }
    worst(verdicts)
}

/// `find`'s words outside its `-exec ... ;` clauses.
fn outside_exec(args: &[String]) -> impl Iterator<Item = &String> {
    let mut inside = false;
    args.iter().filter(move |a| {
        if inside {
            inside = !(*a == ";" || *a == "+");
            return false;
        }
        inside = matches!(a.as_str(), "-exec" | "-execdir" | "-ok" | "-okdir");
        !inside
    })
}

pub fn judge_mv(args: &[String], cmd: &Cmd, places: &Places) -> Verdict {
    let ops = operands(args);
    let target = args.windows(2).find(|w| w[0] == "-t" || w[0] == "--target-directory").map(|w| &w[1]);
    let (sources, dst) = match target {
        Some(t) => (ops.clone(), Some(t)),
        None if ops.len() > 1 => (ops[..ops.len() - 1].to_vec(), ops.last().copied()),
        None => (ops.clone(), None),
    };
    let mut verdicts = Vec::new();
    for src in sources {
        if removal_loss(places, src, cmd.cwd.as_deref()) == Loss::Fatal && normalize(src) != "." && !is_unknown(src) {
            return Verdict::Block(format!("moves `{}` away", display(src)));
        }
        verdicts.push(judge_write(src, false, "moves away", places));
    }
    if let Some(dst) = dst {
        if normalize(dst) == "/dev/null" {
            return Verdict::Block(format!("moves files onto `{dst}`"));
        }
        verdicts.push(judge_write(dst, false, "moves a file onto", places));
    }
    worst(verdicts)
}

pub fn judge_rsync(args: &[String], cmd: &Cmd, places: &Places) -> Verdict {
    if !args.iter().any(|a| a.starts_with("--del") || a == "--remove-source-files") {
        return Verdict::Allow;
    }
    match operands(args).last() {
        Some(dst) if removal_loss(places, dst, cmd.cwd.as_deref()) == Loss::Fatal => {
            Verdict::Block(format!("`rsync --delete` into `{}` deletes what is there", display(dst)))
        }
        Some(dst) if removal_loss(places, dst, cmd.cwd.as_deref()) == Loss::Risky => {
            Verdict::Ask(format!("`rsync --delete` deletes what `{}` holds and the source does not", display(dst)))
        }
        Some(dst) if wholly_unknown(dst) => Verdict::Ask(format!("`rsync --delete` into `{}`, known only when it runs", display(dst))),
        _ => Verdict::Allow,
    }
}

/// Writing (`how`) to `path`: by what the file is; a part that cannot
/// be known is tried empty and as a name.
pub fn judge_write(path: &str, append: bool, how: &str, places: &Places) -> Verdict {
    if path == "/dev/null" || path.starts_with("/dev/std") || path.starts_with("/dev/fd/") || path.starts_with("/dev/tcp/") {
        return Verdict::Allow;
    }
    if !is_unknown(path) {
        return worst(places.candidates(path).iter().map(|p| places.write_verdict(p, how, append)));
    }
    let tries = [instantiate(path, ""), instantiate(path, "x")];
    match tries.iter().map(|p| places.write_verdict(p, how, append)).find(|v| *v != Verdict::Allow) {
        Some(Verdict::Block(why) | Verdict::Ask(why)) => Verdict::Ask(format!("{why} (when `{}` is what it may be)", display(path))),
        _ => Verdict::Allow,
    }
}

/// `cp`, `tee`, `install`, `ln`, `truncate`, `sed -i`, `perl -i`, `dd`:
/// what they overwrite.
pub fn judge_overwrite(name: &str, args: &[String], places: &Places) -> Verdict {
    let ops = operands(args);
    let (targets, how): (Vec<&String>, &str) = match name {
        "tee" => (ops.clone(), if has_flag(args, 'a', &["--append"]) { "`tee -a` adds to" } else { "`tee` overwrites" }),
        "cp" | "install" | "ln" => {
            let t = args.windows(2).find(|w| w[0] == "-t" || w[0] == "--target-directory").map(|w| &w[1]);
            match t {
                Some(t) => (vec![t], "copies over"),
                None if ops.len() > 1 => (ops.last().copied().into_iter().collect(), "copies over"),
                None => (Vec::new(), ""),
            }
        }
        "truncate" => (ops.clone(), "`truncate` empties"),
        "sed" | "gsed" | "perl"
            if args.iter().any(|a| a.starts_with("-i") || a.starts_with("--in-place") || a.starts_with("-pi") || a.starts_with("-ni")) =>
        {
            // The script is the first operand, unless `-e`/`-f` gave it.
            let scripted = args.iter().any(|a| a == "-e" || a == "-f" || a.starts_with("--expression"));
            (ops.iter().skip(usize::from(!scripted)).copied().collect(), "edits in place")
        }
        "dd" => (args.iter().filter_map(|a| a.strip_prefix("of=")).map(|_| ()).count().eq(&0).then(Vec::new).unwrap_or_default(), ""),
        "sponge" => (ops.clone(), "`sponge` overwrites"),
        "split" | "patch" => (Vec::new(), ""),
        _ => (Vec::new(), ""),
    };
    if name == "dd" {
        for a in args {
            if let Some(of) = a.strip_prefix("of=") {
                if DEVICES.iter().any(|d| normalize(of).starts_with(d)) {
                    return Verdict::Block(format!("`dd` overwrites the device `{of}`"));
                }
                return judge_write(of, false, "`dd` overwrites", places);
            }
        }
        return Verdict::Allow;
    }
    let append = name == "tee" && has_flag(args, 'a', &["--append"]);
    worst(targets.into_iter().map(|t| judge_write(t, append, how, places)))
}

pub fn is_disk_tool(n: &str) -> bool {
    n.starts_with("mkfs")
        || matches!(
            n,
            "mke2fs"
                | "mkswap"
                | "newfs"
                | "wipefs"
                | "sgdisk"
                | "sfdisk"
                | "fdisk"
                | "parted"
                | "gdisk"
                | "cfdisk"
                | "blkdiscard"
                | "diskutil"
                | "hdparm"
                | "nvme"
                | "cryptsetup"
                | "zpool"
                | "lvremove"
                | "vgremove"
                | "pvremove"
                | "mdadm"
                | "badblocks"
                | "btrfs"
                | "dmsetup"
                | "lvreduce"
                | "lvresize"
                | "pvmove"
                | "nbd-client"
                | "zfs"
                | "losetup"
        )
}

pub fn judge_disk(n: &str, args: &[String]) -> Verdict {
    match n {
        "diskutil" => {
            if args.first().is_some_and(|a| {
                a.starts_with("erase") || a == "zeroDisk" || a == "randomDisk" || a == "partitionDisk" || a == "secureErase"
            }) {
                return Verdict::Block(format!("`diskutil {}` erases a disk", args[0]));
            }
            Verdict::Allow
        }
        "hdparm" if args.iter().any(|a| a.starts_with("--security-erase") || a == "--trim-sector-ranges") => {
            Verdict::Block("`hdparm` erases a disk".into())
        }
        "nvme" if args.first().is_some_and(|a| a == "format" || a == "sanitize") => {
            Verdict::Block(format!("`nvme {}` erases a disk", args[0]))
        }
        "cryptsetup" if args.first().is_some_and(|a| a == "erase" || a == "luksErase" || a == "luksFormat") => {
            Verdict::Block(format!("`cryptsetup {}` destroys a disk's keys", args[0]))
        }
        "zpool" if args.first().is_some_and(|a| a == "destroy" || a == "labelclear") => {
            Verdict::Block(format!("`zpool {}` destroys a pool", args[0]))
        }
        "lvremove" | "vgremove" | "pvremove" => Verdict::Ask(format!("`{n}` deletes a volume")),
        "mdadm"
            if args
                .iter()
                .any(|a| matches!(a.as_str(), "--zero-superblock" | "--remove" | "--stop" | "--create" | "-C" | "-S" | "--fail")) =>
        {
            Verdict::Ask("`mdadm` changes a RAID array".into())
        }
        "btrfs" if args.iter().any(|a| matches!(a.as_str(), "delete" | "remove" | "--repair" | "rescue")) => {
            Verdict::Ask("`btrfs` deletes a subvolume or device, or repairs in place".into())
        }
        "zfs" if args.first().is_some_and(|a| matches!(a.as_str(), "destroy" | "rollback")) => {
            Verdict::Ask(format!("`zfs {}` deletes data", args[0]))
        }
        "dmsetup" if args.first().is_some_and(|a| a.starts_with("remove") || a.starts_with("wipe") || a == "clear") => {
            Verdict::Ask(format!("`dmsetup {}` removes a device mapping", args[0]))
        }
        "lvreduce" | "pvmove" => Verdict::Ask(format!("`{n}` shrinks or moves a volume with its data")),
        "lvresize" if args.iter().any(|a| a.contains("-L-") || a.starts_with("-L") && a.contains('-') || a == "--size") => {
            Verdict::Ask("`lvresize` may shrink a volume".into())
        }
        "nbd-client" if has_flag(args, 'd', &["--disconnect"]) => Verdict::Ask("`nbd-client -d` disconnects a disk".into()),
        "badblocks" if has_flag(args, 'w', &[]) => Verdict::Block("`badblocks -w` overwrites the disk".into()),
        "nvme" | "hdparm" | "cryptsetup" | "zpool" | "mdadm" | "badblocks" | "btrfs" | "zfs" | "dmsetup" | "lvresize" | "nbd-client"
        | "losetup" => Verdict::Allow,
        _ => {
            // On an image file it is an everyday build step.
            let devices: Vec<&String> = operands(args).into_iter().filter(|a| a.starts_with("/dev/")).collect();
            match devices.first() {
                Some(_) if has_flag(args, 'l', &["--list"]) || args.iter().any(|a| a == "print" || a == "-p" || a == "--print") => {
                    Verdict::Allow
                }
                // Without `-a` or `-o`, wipefs only lists the signatures.
                Some(_) if n == "wipefs" && !has_flag(args, 'a', &["--all"]) && !has_flag(args, 'o', &["--offset"]) => Verdict::Allow,
                Some(dev) => Verdict::Block(format!("`{n}` rewrites the disk `{dev}`")),
                None if operands(args).iter().any(|a| wholly_unknown(a)) => {
                    Verdict::Ask(format!("`{n}` on a device known only when it runs"))
                }
                None => Verdict::Allow,
            }
        }
    }
}

pub fn judge_shred(name: &str, args: &[String], cmd: &Cmd, places: &Places) -> Verdict {
    for t in operands(args) {
        if DEVICES.iter().any(|d| normalize(t).starts_with(d))
            || is_secret_file(&places.normalize(t))
            || removal_loss(places, t, cmd.cwd.as_deref()) == Loss::Fatal
            || is_critical_file(t)
        {
            return Verdict::Block(format!("`{name}` destroys `{}`", display(t)));
        }
        if places.kind(t) != crate::paths::Kind::Other || wholly_unknown(t) {
            return Verdict::Ask(format!("`{name}` destroys `{}`", display(t)));
        }
    }
    Verdict::Allow
}

pub fn judge_permissions(name: &str, args: &[String], cmd: &Cmd, places: &Places) -> Verdict {
    let recursive = has_flag(args, 'R', &["--recursive"]);
    if name == "chattr" {
        // `chattr -i` on a system file, or `+i` on a log (they stop being written).
        return match operands(args).iter().skip(1).find(|t| places.kind(t) != crate::paths::Kind::Other) {
            Some(t) => Verdict::Ask(format!("`chattr` on `{}`", display(t))),
            None => Verdict::Allow,
        };
    }
    let ops = operands(args);
    let mode = ops.first().map(|m| m.as_str()).unwrap_or_default();
    let mut verdicts = Vec::new();
    for t in ops.iter().skip(1) {
        let loss = removal_loss(places, t, cmd.cwd.as_deref());
        if recursive && loss == Loss::Fatal {
            return Verdict::Block(format!("`{name} -R` on `{}` breaks the system's permissions", display(t)));
        }
        let p = places.normalize(t);
        if p == "/" {
            return Verdict::Block(format!("`{name}` on `/`"));
        }
        // World-writable or setuid system and credential files.
        let opens = name == "chmod"
            && (mode.contains("777")
                || mode.contains("666")
                || mode.contains("o+w")
                || mode.contains("a+w")
                || mode.contains("+s")
                || mode.starts_with('4') && mode.len() == 4);
        if opens
            && (is_critical_file(&p)
                || is_secret_file(&p)
                || matches!(places.kind(&p), crate::paths::Kind::System | crate::paths::Kind::Secret | crate::paths::Kind::Critical))
        {
            return Verdict::Block(format!("`chmod {mode}` opens `{}` to every user", display(t)));
        }
        if name == "chmod" && mode.contains("+s") {
            verdicts.push(Verdict::Ask(format!("makes `{}` run as its owner (setuid)", display(t))));
        }
        if name != "chmod" && (is_critical_file(&p) || p.starts_with("/etc/") || p == "/etc") {
            verdicts.push(Verdict::Ask(format!("`{name}` on the system file `{}`", display(t))));
        }
    }
    worst(verdicts)
}

/// The credential `path` read by `how`.
pub fn judge_read(path: &str, how: &str) -> Verdict {
    if is_secret_file(path) && !is_unknown(path) {
        return Verdict::Block(format!("{how} reads the credential `{path}`"));
    }
    Verdict::Allow
}

/// Programs that print, copy or send what they read.
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
    "zstd",
    "grep",
    "rg",
    "egrep",
    "fgrep",
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
    "dd",
    "install",
    "ln",
    "tee",
    "view",
    "paste",
    "column",
    "fold",
    "rev",
    "split",
    "mutt",
    "aws",
    "gsutil",
    "rclone",
    "s3cmd",
    "http",
    "xh",
    "ssh-keygen",
    "gcloud",
    "az",
    "base32",
    "uuencode",
    "iconv",
    "dos2unix",
    "ag",
    "ack",
    "busybox",
    "more",
    "most",
    "pg",
    "file",
    "stat",
    "sqlite3",
    "git",
];

/// Commands that would print or send a secret somewhere.
pub fn judge_reading(name: &str, args: &[String], places: &Places) -> Verdict {
    if !READERS.contains(&name) {
        return Verdict::Allow;
    }
    // `ssh-keygen -y -f KEY` prints the public half; `-l` the fingerprint.
    if name == "ssh-keygen" || name == "file" || name == "stat" {
        return Verdict::Allow;
    }
    // grep's first operand is its pattern, unless `-e` or `-f` gave it.
    let pattern = match name {
        "grep" | "egrep" | "fgrep" | "rg" | "ag" | "ack"
            if !args.iter().any(|a| a == "-e" || a == "-f" || a.starts_with("--regexp") || a.starts_with("--file")) =>
        {
            operands(args).first().copied()
        }
        "awk" | "sed" => operands(args).first().copied(),
        _ => None,
    };
    // git reads files only as `git show`/`git diff --no-index`; its words
    // are otherwise refs and messages.
    if name == "git" && !args.iter().any(|a| a == "--no-index") {
        return Verdict::Allow;
    }
    for a in args {
        if pattern.is_some_and(|p| std::ptr::eq(p, a)) || is_unknown(a) {
            continue;
        }
        // `curl -d @file`, `--upload-file file`, `-F k=@file`, `of=`/`if=`.
        let path = match a.rsplit_once('@') {
            Some((_, p)) if matches!(name, "curl" | "wget" | "http" | "xh") => p,
            _ => a.strip_prefix("if=").unwrap_or(a),
        };
        // `scp host:~/.ssh/id_rsa .` reads the remote's key; still a key.
        let path = path
            .split_once(':')
            .filter(|(h, _)| !h.contains('/') && !h.is_empty() && name == "scp" || name == "rsync")
            .map(|(_, p)| p)
            .unwrap_or(path);
        let normal = places.normalize(path);
        if is_secret_file(&normal) {
            // Copying `.env.example` to `.env` writes it, it does not read it.
            if matches!(name, "cp" | "install" | "ln") && operands(args).last().is_some_and(|l| *l == a) {
                continue;
            }
            return Verdict::Block(format!("`{name}` reads the credential `{path}`"));
        }
        if is_secret_dir(&normal)
            && matches!(name, "cp" | "scp" | "rsync" | "tar" | "zip" | "7z" | "nc" | "cat" | "rclone" | "aws" | "gsutil")
        {
            return Verdict::Block(format!("`{name}` copies the secrets in `{path}`"));
        }
    }
    Verdict::Allow
}

/// `scp FILE host:/etc/passwd`, `rsync -a x host:/boot/`: what a copy to
/// another machine overwrites there.
pub fn judge_copy_to_host(name: &str, args: &[String], places: &Places) -> Verdict {
    if !matches!(name, "scp" | "rsync" | "sftp") {
        return Verdict::Allow;
    }
    let ops = operands(args);
    let Some(dst) = ops.last().filter(|_| ops.len() > 1) else { return Verdict::Allow };
    let Some((host, path)) = dst.split_once(':').filter(|(h, _)| !h.is_empty() && !h.contains('/')) else { return Verdict::Allow };
    let path = if path.is_empty() { "~" } else { path };
    // Into a system directory itself (`host:/`, `host:/usr/bin/`) it may
    // replace what the machine runs; below one it is a deployment.
    if crate::paths::is_system_dir(path) {
        return Verdict::Ask(format!("`{name}` writes into `{path}` on `{host}`"));
    }
    match places.write_verdict(path, &format!("`{name}` to `{host}` overwrites"), false) {
        Verdict::Ask(_) if places.kind(path) == crate::paths::Kind::System => Verdict::Allow,
        v => v,
    }
}
