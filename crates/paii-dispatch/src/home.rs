//! Where `PAII_HOME` is, and the lexical path helpers it needs; the main
//! crate's `paths` builds on these.

use std::path::{Component, Path, PathBuf};

/// `$HOME`, when set and not empty.
pub fn home_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").filter(|h| !h.is_empty()).map(PathBuf::from)
}

/// `$PAII_HOME`, else `$XDG_CONFIG_HOME/paii`, else `~/.config/paii`.
pub fn paii_home() -> PathBuf {
    if let Some(p) = std::env::var_os("PAII_HOME").filter(|p| !p.is_empty()) {
        return absolute(Path::new(&p));
    }
    if let Some(p) = std::env::var_os("XDG_CONFIG_HOME").filter(|p| !p.is_empty()) {
        return absolute(&Path::new(&p).join("paii"));
    }
    home_dir().unwrap_or_else(|| PathBuf::from("/")).join(".config/paii")
}

/// Makes `p` absolute against the working directory without touching the
/// file system (no symlink resolution).
pub fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        normalize(p)
    } else {
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
        normalize(&cwd.join(p))
    }
}

/// Lexically removes `.` and resolves `..` components.
pub fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}
