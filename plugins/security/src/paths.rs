//! What a path is worth: the machine's directories, the user's data, the
//! credentials, the files that keep a session (rc files, crontabs), and
//! Claude Code's and paii's own configuration.
//!
//! Paths are compared after lexical normalisation: `/tmp/../` is `/`, and
//! the home directory in any spelling (`$HOME`, `~`, the real home's
//! absolute path, `/root`, `/home/<user>`, `/Users/<user>`) is `~` or
//! `~<user>` when it holds credentials.

use crate::Verdict;
use crate::expand::{self, has_glob, instantiate, is_unknown, wholly_unknown};

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

/// Block devices and memory: writing one destroys a disk or the system.
pub const DEVICES: &[&str] = &[
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
    ".config/gcloud/access_tokens.db",
    ".config/gcloud/application_default_credentials.json",
    ".azure/accessTokens.json",
    ".azure/msal_token_cache.json",
    ".terraform.d/credentials.tfrc.json",
    ".cargo/credentials",
    ".cargo/credentials.toml",
    ".gem/credentials",
    ".config/hub",
    ".claude/.credentials.json",
    ".local/share/keyrings",
    ".mozilla/firefox",
    ".config/google-chrome",
    ".bash_history",
    ".zsh_history",
];

/// Directories whose every file is a secret.
const SECRET_DIRS: &[&str] = &["~/.ssh", "~/.gnupg", "~/.aws", "~/.password-store", "~/.kube", "~/.config/gcloud", "~/.azure"];

/// Files a shell runs at login or start: writing one persists.
const SHELL_RC: &[&str] = &[
    ".bashrc",
    ".bash_profile",
    ".bash_login",
    ".bash_logout",
    ".profile",
    ".zshrc",
    ".zshenv",
    ".zprofile",
    ".zlogin",
    ".kshrc",
    ".cshrc",
    ".tcshrc",
    ".xprofile",
    ".xinitrc",
    ".config/fish/config.fish",
    ".inputrc",
];

/// Home-relative directories whose files start at login or on a timer.
const PERSISTENCE_DIRS: &[&str] =
    &[".config/systemd/user", ".config/autostart", "Library/LaunchAgents", ".config/fish/conf.d", ".local/share/systemd/user"];

/// System files that start things at boot or on a timer.
const SYSTEM_PERSISTENCE: &[&str] = &[
    "/etc/cron",
    "/etc/crontab",
    "/etc/anacrontab",
    "/var/spool/cron",
    "/etc/systemd/system",
    "/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/etc/init.d",
    "/etc/rc.local",
    "/etc/profile",
    "/etc/bash.bashrc",
    "/etc/zsh",
    "/etc/ld.so.preload",
    "/Library/LaunchAgents",
    "/Library/LaunchDaemons",
    "/etc/update-motd.d",
];

/// Branches a force push must not rewrite.
pub const PROTECTED_BRANCHES: &[&str] = &["main", "master", "trunk", "develop", "production", "prod", "release", "stable"];

/// Where the user's paths live: to write absolute paths under the home
/// directory as `~/...`, resolve globs, and know paii's and Claude Code's
/// directories.
#[derive(Debug, Clone, Default)]
pub struct Places {
    pub home: Option<String>,
    /// The directory the command runs in (the event's `cwd`).
    pub cwd: Option<String>,
    /// `PAII_HOME`, `~`-relative when under the home directory.
    pub paii_home: Option<String>,
    /// `CLAUDE_CONFIG_DIR`, likewise.
    pub claude_dir: Option<String>,
}

impl Places {
    /// `path` normalised, the home directory written `~` in every spelling.
    pub fn normalize(&self, path: &str) -> String {
        let p = normalize(path);
        if let Some(home) = self.home.as_deref().map(|h| h.trim_end_matches('/')).filter(|h| !h.is_empty() && *h != "/") {
            if p == home {
                return "~".into();
            }
            if let Some(rest) = p.strip_prefix(home).and_then(|r| r.strip_prefix('/')) {
                return format!("~/{rest}");
            }
        }
        p
    }

    /// The paths a word may name: itself, and for a glob the system
    /// directories and real files it matches.
    pub fn candidates(&self, word: &str) -> Vec<String> {
        let mut out = vec![word.to_string()];
        if !has_glob(word) || is_unknown(word) {
            return out;
        }
        let p = self.normalize(word);
        // A trailing `/*` means "everything in"; the rules know that shape.
        let stem = p.strip_suffix("/*").or_else(|| p.strip_suffix("/.*")).unwrap_or(&p);
        if !has_glob(stem) {
            return out;
        }
        if stem.starts_with('/') || stem.starts_with("~/") {
            let fixed = SYSTEM_DIRS.iter().chain(SECRET_DIRS);
            out.extend(fixed.filter(|d| expand::glob_matches(stem, d)).map(|d| d.to_string()));
        }
        // The real file system, where a match could matter: not below a
        // directory the user manages (`/tmp/build-*`), and relative to the
        // working directory only when that is `/` or a home.
        let fixed = stem[..stem.find(['*', '?', '[']).unwrap_or(stem.len())].rsplit_once('/').map(|(d, _)| d).unwrap_or("");
        if USER_MANAGED.iter().any(|d| fixed == *d || fixed.starts_with(&format!("{d}/"))) {
            return out;
        }
        let real = match stem.strip_prefix('~') {
            Some(rest) => self.home.as_ref().map(|h| format!("{h}{rest}")),
            None if stem.starts_with('/') => Some(stem.to_string()),
            None => self
                .cwd
                .as_ref()
                .filter(|c| *c == "/" || is_a_home(&self.normalize(c)) || self.normalize(c) == "~")
                .map(|c| format!("{}/{stem}", c.trim_end_matches('/'))),
        };
        if let Some(pattern) = real
            && let Ok(paths) = glob::glob(&pattern)
        {
            out.extend(paths.flatten().take(64).map(|m| self.normalize(&m.to_string_lossy())));
        }
        out
    }

    fn under(&self, p: &str, dir: Option<&String>) -> bool {
        dir.map(|d| self.normalize(d)).is_some_and(|d| p == d || p.starts_with(&format!("{d}/")))
    }
}

/// `path` lexically normalised: `//` and `/./` collapsed, `..` resolved,
/// trailing `/` dropped.
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

/// `/`, or one of the machine's own directories (`/etc`, `/usr/bin`).
pub fn is_system_dir(path: &str) -> bool {
    let p = normalize(path);
    p == "/" || SYSTEM_DIRS.contains(&p.as_str()) && !USER_MANAGED.contains(&p.as_str())
}

/// `path` relative to a home directory, whoever's: `/root/.ssh` and
/// `/home/bob/.ssh` are `.ssh`.
fn in_a_home(p: &str) -> Option<&str> {
    if let Some(rest) = p.strip_prefix("~/") {
        return Some(rest);
    }
    if let Some(rest) = p.strip_prefix("/root/") {
        return Some(rest);
    }
    for base in ["/home/", "/Users/"] {
        if let Some((_user, rest)) = p.strip_prefix(base).and_then(|r| r.split_once('/')) {
            return Some(rest);
        }
    }
    // `~bob/.ssh`
    p.strip_prefix('~').and_then(|r| r.split_once('/')).map(|(_, rest)| rest)
}

/// Whether `path` is under a home directory or a system one (not a
/// project's own tree).
fn p_is_home_or_system(path: &str) -> bool {
    let p = normalize(path);
    in_a_home(&p).is_some() || (p.starts_with('/') && !p.starts_with("/tmp/"))
}

/// Someone's home directory itself: `~`, `~bob`, `/root`, `/home/bob`.
fn is_a_home(p: &str) -> bool {
    p == "~"
        || p == "/root"
        || (p.starts_with('~') && !p.contains('/'))
        || ["/home/", "/Users/"].iter().any(|b| p.strip_prefix(b).is_some_and(|u| !u.is_empty() && !u.contains('/')))
}

/// How bad deleting (or overwriting) a path would be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Loss {
    None,
    /// Plausibly meant, but worth a confirmation.
    Risky,
    /// Data or the machine is gone.
    Fatal,
}

/// The loss of removing `target` recursively, where a `cd` to `cwd` came
/// before in the same line. A part the plugin cannot know is tried both
/// empty and as a plain name: `"$DIR/"` is `/` when DIR is empty, and a
/// target that is nothing but unknown is worth a question.
pub fn removal_loss(places: &Places, target: &str, cwd: Option<&str>) -> Loss {
    if is_unknown(target) {
        let guarded = expand::unknown_parts(target).all(|u| u.contains(":?"));
        if wholly_unknown(target) {
            return if guarded { Loss::None } else { Loss::Risky };
        }
        let named = known_loss(places, &instantiate(target, "x"), cwd);
        let empty = if guarded { Loss::None } else { known_loss(places, &instantiate(target, ""), cwd) };
        return match (named, empty) {
            (Loss::Fatal, Loss::Fatal) => Loss::Fatal,
            (Loss::None, Loss::None) => Loss::None,
            _ => Loss::Risky,
        };
    }
    places.candidates(target).iter().map(|c| known_loss(places, c, cwd)).max().unwrap_or(Loss::None)
}

fn known_loss(places: &Places, target: &str, cwd: Option<&str>) -> Loss {
    let t = places.normalize(target);
    let glob_root = t.strip_suffix("/*").or_else(|| t.strip_suffix("/.*")).unwrap_or(&t);
    let glob_root = if glob_root.is_empty() { "/" } else { glob_root };
    if matches!(glob_root, "/" | "~") || t == "/*" || t.starts_with("/*") || is_a_home(glob_root) {
        return Loss::Fatal;
    }
    if SYSTEM_DIRS.contains(&glob_root) {
        return Loss::Fatal;
    }
    let home_rel = in_a_home(glob_root).map(|r| format!("~/{r}"));
    let as_home = home_rel.as_deref().unwrap_or(glob_root);
    if SECRET_DIRS.iter().any(|d| as_home == *d || as_home.starts_with(&format!("{d}/"))) {
        return Loss::Fatal;
    }
    if places.kind(glob_root) == Kind::Controls || as_home == "~/.claude" {
        return Loss::Fatal;
    }
    // The working tree itself, when no `cd` said where that is.
    let relative = !glob_root.starts_with('/') && !glob_root.starts_with('~');
    if relative {
        let whole = matches!(glob_root, "." | ".." | "*" | ".*" | ".git") || glob_root.starts_with("../..");
        return match (whole, cwd.map(|c| places.normalize(c))) {
            (false, _) => Loss::None,
            (true, None) => Loss::Fatal,
            (true, Some(dir)) if known_loss(places, &dir, None) == Loss::Fatal || dir == "/" => Loss::Fatal,
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
    if let Some(rest) = as_home.strip_prefix("~/")
        && !rest.contains('/')
        && !is_cache(rest)
    {
        return Loss::Risky;
    }
    Loss::None
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

/// A private key or credential file (not a public key, not an example),
/// in any spelling of any home directory.
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
    if matches!(name, "credentials.json" | "service-account.json" | ".htpasswd") || name.ends_with(".pem") && name.contains("key") {
        return true;
    }
    if let Some(rest) = in_a_home(&p) {
        if HOME_SECRETS.iter().any(|s| rest == *s || rest.starts_with(&format!("{s}/"))) {
            return true;
        }
        if let Some(inner) = rest.strip_prefix(".ssh/") {
            return !matches!(inner, "config" | "known_hosts" | "known_hosts.old") && !inner.ends_with(".pub");
        }
        if rest.starts_with(".gnupg/private-keys") || rest == ".gnupg/secring.gpg" || rest.starts_with(".password-store/") {
            return true;
        }
    }
    matches!(p.as_str(), "/etc/shadow" | "/etc/gshadow" | "/etc/sudoers" | "/etc/master.passwd" | "/etc/ssh/ssh_host_rsa_key")
        || p.starts_with("/etc/ssh/ssh_host_") && !p.ends_with(".pub")
        || p == "/proc/self/environ"
        || p.starts_with("/proc/") && p.ends_with("/environ")
}

/// A directory that is all secrets (`~/.ssh`), when copied or archived whole.
pub fn is_secret_dir(path: &str) -> bool {
    let p = normalize(path);
    let p = in_a_home(&p).map(|r| format!("~/{r}")).unwrap_or(p);
    SECRET_DIRS.contains(&p.as_str())
}

/// A path whose overwriting breaks the machine or access to it.
pub fn is_critical_file(path: &str) -> bool {
    let p = normalize(path);
    DEVICES.iter().any(|d| p.starts_with(d))
        || matches!(
            p.as_str(),
            "/etc/passwd"
                | "/etc/shadow"
                | "/etc/gshadow"
                | "/etc/sudoers"
                | "/etc/group"
                | "/etc/fstab"
                | "/etc/hosts"
                | "/etc/pam.conf"
                | "/etc/nsswitch.conf"
                | "/etc/ld.so.preload"
        )
        || p.starts_with("/boot/")
        || p.starts_with("/etc/sudoers.d/")
        || p.starts_with("/etc/pam.d/")
        || p.starts_with("/etc/ssh/")
        || in_a_home(&p).is_some_and(|r| r == ".ssh/authorized_keys" || r == ".ssh/authorized_keys2")
}

/// What writing (or truncating, or appending to) a path does, by what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A disk, boot, account or login file.
    Critical,
    /// A credential file or a key directory.
    Secret,
    /// Claude Code's settings and hooks, or paii's files: the controls.
    Controls,
    /// Runs at login, start or on a timer.
    Persistence,
    /// Shell history and system logs: the record of what happened.
    Record,
    /// Another system file.
    System,
    Other,
}

impl Places {
    /// What `path` is.
    pub fn kind(&self, path: &str) -> Kind {
        let p = self.normalize(path);
        if is_critical_file(&p) {
            return Kind::Critical;
        }
        let home_rel = in_a_home(&p);
        // `~/.ssh/config` and `rc` run commands at every connection.
        if home_rel.is_some_and(|r| matches!(r, ".ssh/config" | ".ssh/rc" | ".ssh/environment")) {
            return Kind::Persistence;
        }
        if home_rel.is_some_and(|r| matches!(r, ".bash_history" | ".zsh_history" | ".history" | ".sh_history" | ".python_history"))
            || p.starts_with("/var/log/")
            || p == "/var/log"
        {
            return Kind::Record;
        }
        if is_secret_file(&p) || is_secret_dir(&p) {
            return Kind::Secret;
        }
        if self.under(&p, self.claude_dir.as_ref())
            || self.under(&p, self.paii_home.as_ref())
            || home_rel.is_some_and(|r| r == ".claude" || r.starts_with(".claude/settings") || r.starts_with(".claude/hooks"))
            || home_rel.is_some_and(|r| r.starts_with(".config/paii/") || r == ".config/paii")
            || p.starts_with(".claude/settings")
            || p.starts_with(".claude/hooks/")
            || p.starts_with("/etc/claude-code/")
            || p.starts_with("/Library/Application Support/ClaudeCode/")
        {
            return Kind::Controls;
        }
        if home_rel.is_some_and(|r| SHELL_RC.contains(&r) || PERSISTENCE_DIRS.iter().any(|d| r == *d || r.starts_with(&format!("{d}/"))))
            || SYSTEM_PERSISTENCE.iter().any(|d| p == *d || p.starts_with(&format!("{d}/")) || p.starts_with(&format!("{d}.")))
            || p.starts_with("/etc/cron")
        {
            return Kind::Persistence;
        }
        if SYSTEM_DIRS.iter().any(|d| p == *d || p.starts_with(&format!("{d}/")))
            && !USER_MANAGED.iter().any(|d| p == *d || p.starts_with(&format!("{d}/")))
            && !p.starts_with("/dev/")
            && !p.starts_with("/home/")
            && !p.starts_with("/Users/")
        {
            return Kind::System;
        }
        Kind::Other
    }

    /// The verdict on a command overwriting, truncating or appending to
    /// `path` (`how` says which, for the reason).
    pub fn write_verdict(&self, path: &str, how: &str, append: bool) -> Verdict {
        let shown = expand::display(path);
        match self.kind(path) {
            // Appending a name to /etc/hosts is routine.
            Kind::Critical if append && normalize(path) == "/etc/hosts" => Verdict::Allow,
            Kind::Critical => Verdict::Block(format!("{how} `{shown}`, which the machine or its logins depend on")),
            // A project's `.env` is the project's to write.
            Kind::Secret if !p_is_home_or_system(path) => Verdict::Allow,
            Kind::Secret => Verdict::Block(format!("{how} the credential `{shown}`")),
            Kind::Controls => Verdict::Block(format!("{how} `{shown}`, Claude Code's or paii's own configuration")),
            Kind::Persistence => Verdict::Ask(format!("{how} `{shown}`, which runs at login, at boot or on a timer")),
            Kind::Record => Verdict::Ask(format!("{how} `{shown}`, a record of what happened")),
            Kind::System => Verdict::Ask(format!("{how} the system file `{shown}`")),
            Kind::Other => Verdict::Allow,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expand::unknown;

    fn places() -> Places {
        Places { home: Some("/home/dev".into()), ..Places::default() }
    }

    #[test]
    fn paths_are_normalised_lexically() {
        assert_eq!(normalize("/tmp/../"), "/");
        assert_eq!(normalize("~/"), "~");
        assert_eq!(normalize("//etc/./"), "/etc");
        assert_eq!(normalize("./build/"), "build");
        assert_eq!(normalize("a/../.."), "..");
        assert_eq!(places().normalize("/home/dev/x/"), "~/x");
    }

    #[test]
    fn removal_losses() {
        let p = places();
        let loss = |t: &str| removal_loss(&p, t, None);
        assert_eq!(loss("/"), Loss::Fatal);
        assert_eq!(loss("/*"), Loss::Fatal);
        assert_eq!(loss("~/"), Loss::Fatal);
        assert_eq!(loss("/home/dev"), Loss::Fatal);
        assert_eq!(loss("/home/bob"), Loss::Fatal);
        assert_eq!(loss("/etc"), Loss::Fatal);
        assert_eq!(loss("/[e]tc"), Loss::Fatal);
        assert_eq!(loss("/u*"), Loss::Fatal);
        assert_eq!(loss("/etc/nginx"), Loss::Risky);
        assert_eq!(loss("/tmp/x"), Loss::None);
        assert_eq!(loss("./build"), Loss::None);
        assert_eq!(loss("."), Loss::Fatal);
        assert_eq!(removal_loss(&p, "*", Some("build")), Loss::None);
        assert_eq!(loss("~/Documents"), Loss::Risky);
        assert_eq!(loss("~/.cache"), Loss::None);
        assert_eq!(loss("/root/.ssh"), Loss::Fatal);
        // An unknown part is tried empty and named.
        assert_eq!(loss(&format!("{}/", unknown("$STEAMROOT"))), Loss::Risky);
        assert_eq!(loss(&format!("{}/*", unknown("${DIR}"))), Loss::Risky);
        assert_eq!(loss(&unknown("$DIR")), Loss::Risky);
        assert_eq!(loss(&format!("{}/build", unknown("$DIR"))), Loss::None);
        assert_eq!(loss(&format!("{}/", unknown("${DIR:?}"))), Loss::None);
        assert_eq!(loss(&unknown("${DIR:?}")), Loss::None);
    }

    #[test]
    fn secrets_in_every_spelling_but_not_public_keys_or_examples() {
        assert!(is_secret_file("~/.ssh/id_rsa"));
        assert!(is_secret_file("/root/.aws/credentials"));
        assert!(is_secret_file("/home/u/.ssh/id_ecdsa_sk"));
        assert!(is_secret_file("/Users/u/.kube/config"));
        assert!(!is_secret_file("~/.ssh/id_rsa.pub"));
        assert!(is_secret_file(".env"));
        assert!(is_secret_file("config/.env.production"));
        assert!(!is_secret_file(".env.example"));
        assert!(!is_secret_file("~/.ssh/config"));
    }

    #[test]
    fn writes_are_judged_by_what_the_file_is() {
        let p = places();
        assert!(matches!(p.write_verdict("/etc/passwd", "truncates", false), Verdict::Block(_)));
        assert!(matches!(p.write_verdict("/home/dev/.bashrc", "appends to", true), Verdict::Ask(_)));
        assert!(matches!(p.write_verdict("~/.claude/settings.json", "overwrites", false), Verdict::Block(_)));
        assert_eq!(p.write_verdict("/etc/hosts", "appends to", true), Verdict::Allow);
        assert_eq!(p.write_verdict("build/out.txt", "overwrites", false), Verdict::Allow);
    }
}
