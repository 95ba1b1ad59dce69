//! Where things live: `PAII_HOME`, `CLAUDE_CONFIG_DIR`, manifest discovery
//! and the expansion of `~` and relative paths.

use std::path::{Path, PathBuf};

pub const MANIFEST_NAME: &str = "paii.toml";
pub const LOCK_NAME: &str = "paii.lock";

// The dispatcher finds PAII_HOME too; one definition serves both.
pub use paii_dispatch::home::{absolute, home_dir, normalize, paii_home};
pub use paii_dispatch::launcher::{INVOKED_ENV, cli_exe};

/// `$CLAUDE_CONFIG_DIR`, else `~/.claude`.
pub fn claude_config_dir() -> PathBuf {
    if let Some(p) = std::env::var_os("CLAUDE_CONFIG_DIR").filter(|p| !p.is_empty()) {
        return absolute(Path::new(&p));
    }
    home_dir().unwrap_or_else(|| PathBuf::from("/")).join(".claude")
}

/// Claude Code's user config, which holds `mcpServers`:
/// `$CLAUDE_CONFIG_DIR/.claude.json` when that variable is set, else `~/.claude.json`.
pub fn claude_user_config() -> PathBuf {
    if std::env::var_os("CLAUDE_CONFIG_DIR").is_some_and(|p| !p.is_empty()) {
        return claude_config_dir().join(".claude.json");
    }
    home_dir().unwrap_or_else(|| PathBuf::from("/")).join(".claude.json")
}

/// The `paii` binary (the one hook entries run), whichever of the two
/// binaries is running: the path the user started it by when that still
/// leads to it (a package manager's stable symlink, not the versioned file
/// behind it), else the file itself.
pub fn paii_exe() -> PathBuf {
    let exe = std::env::current_exe().ok().and_then(|p| std::fs::canonicalize(p).ok()).unwrap_or_else(|| PathBuf::from("paii"));
    let launcher = if exe.file_name().is_some_and(|n| n == "paii-cli") { exe.with_file_name("paii") } else { exe.clone() };
    let launcher = if launcher.is_file() { launcher } else { exe };
    // The path the user typed, when it leads to this very binary.
    if let Some(invoked) = std::env::var_os(INVOKED_ENV).map(PathBuf::from)
        && invoked.is_absolute()
        && std::fs::canonicalize(&invoked).ok() == std::fs::canonicalize(&launcher).ok()
    {
        return invoked;
    }
    launcher
}

/// The manifest to use: `--manifest`, else the first `paii.toml` upward from
/// the working directory, else `$PAII_HOME/paii.toml`.
pub fn find_manifest(explicit: Option<&Path>) -> PathBuf {
    if let Some(p) = explicit {
        return absolute(p);
    }
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            let candidate = dir.join(MANIFEST_NAME);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    paii_home().join(MANIFEST_NAME)
}

/// The lock that belongs to a manifest: `paii.lock` beside it.
pub fn lock_path_for(manifest: &Path) -> PathBuf {
    manifest.with_file_name(LOCK_NAME)
}

/// Expands `~` and makes `raw` absolute relative to `base` (the directory of
/// the file that holds it).
pub fn expand(raw: &str, base: &Path) -> PathBuf {
    let path = if raw == "~" {
        home_dir().unwrap_or_default()
    } else if let Some(rest) = raw.strip_prefix("~/") {
        home_dir().unwrap_or_default().join(rest)
    } else {
        PathBuf::from(raw)
    };
    normalize(&base.join(path))
}

/// A path written in a file, normalised for storing in the lock: `.`
/// components and trailing slashes removed, `/` separators, so that the same
/// input writes the same bytes on every machine.
pub fn normalize_written(raw: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in raw.split('/') {
        match part {
            "" | "." if !parts.is_empty() || !raw.starts_with('/') => {}
            _ => parts.push(part),
        }
    }
    let joined = parts.join("/");
    if raw.starts_with('/') && !joined.starts_with('/') {
        format!("/{joined}")
    } else if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// How the lock writes a local path: relative to the manifest's directory
/// (so the lock is the same in every checkout), `~/...` kept as written.
pub fn lock_path(raw: &str, abs: &Path, base: &Path) -> String {
    if raw.starts_with('~') || !Path::new(raw).is_absolute() {
        return normalize_written(raw);
    }
    let (base, abs) = (normalize(base), normalize(abs));
    let base: Vec<_> = base.components().collect();
    let target: Vec<_> = abs.components().collect();
    let common = base.iter().zip(&target).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); base.len() - common];
    parts.extend(target[common..].iter().map(|c| c.as_os_str().to_string_lossy().into_owned()));
    if parts.is_empty() { ".".to_string() } else { parts.join("/") }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_are_taken_from_the_holding_file() {
        assert_eq!(expand("../x/./y", Path::new("/team/repo")), PathBuf::from("/team/x/y"));
        assert_eq!(expand("/abs", Path::new("/team")), PathBuf::from("/abs"));
    }

    #[test]
    fn absolute_paths_are_locked_relative_to_the_manifest() {
        assert_eq!(lock_path("/team/plugins/x", Path::new("/team/plugins/x"), Path::new("/team/repo")), "../plugins/x");
        assert_eq!(lock_path("~/p", Path::new("/home/u/p"), Path::new("/team")), "~/p");
        assert_eq!(lock_path("./p/", Path::new("/team/p"), Path::new("/team")), "p");
    }

    #[test]
    fn written_paths_normalise_the_same_way_everywhere() {
        assert_eq!(normalize_written("./plugins/dev/"), "plugins/dev");
        assert_eq!(normalize_written("../my-plugin"), "../my-plugin");
        assert_eq!(normalize_written("/opt//p"), "/opt/p");
        assert_eq!(normalize_written("./"), ".");
    }
}
