//! File-system primitives used everywhere: atomic writes, the exclusive
//! lock that serialises mutating commands on one `PAII_HOME`, and trees that
//! are made read-only, moved into place, checked and removed (store entries,
//! build outputs, generations).

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes `bytes` to `path` so that readers see either the old file or the new
/// one, never a mix: temp file in the same directory, fsync, rename, fsync of
/// the directory. The file keeps the permissions of the file it replaces.
pub fn atomic_write(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", path.file_name().and_then(|n| n.to_str()).unwrap_or("paii")))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    if let Ok(meta) = fs::metadata(path) {
        tmp.as_file().set_permissions(meta.permissions())?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()
}

/// A file-system failure: what was being done, and to which path.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{action} {}: {source}", path.display())]
pub struct IoError {
    pub action: &'static str,
    pub path: PathBuf,
    #[source]
    pub source: io::Error,
}

impl IoError {
    pub fn new(action: &'static str, path: &Path, source: io::Error) -> IoError {
        IoError { action, path: path.to_path_buf(), source }
    }
}

/// An exclusive lock on a `PAII_HOME`, held until dropped.
#[derive(Debug)]
pub struct HomeLock {
    _file: File,
    pub path: PathBuf,
}

impl HomeLock {
    /// Takes the lock, waiting for any other paii that holds it; `on_wait`
    /// is told who holds it before the wait starts.
    pub fn acquire(home: &Path, command: &str, on_wait: impl FnOnce(&str)) -> io::Result<HomeLock> {
        fs::create_dir_all(home)?;
        let path = home.join(".lock");
        let mut file = File::options().read(true).write(true).create(true).truncate(false).open(&path)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let holder = fs::read_to_string(&path).unwrap_or_default();
                let holder = holder.trim();
                on_wait(if holder.is_empty() { "another paii process" } else { holder });
                file.lock()?;
            }
            Err(fs::TryLockError::Error(e)) => return Err(e),
        }
        // Who holds it, for the next one that has to wait.
        file.set_len(0)?;
        write!(file, "pid {} (paii {command})", std::process::id())?;
        Ok(HomeLock { _file: file, path })
    }
}

/// A symlink in a tree that leads out of it, or nowhere.
#[derive(Debug, thiserror::Error)]
pub enum TreeError {
    #[error("symlink `{path}` {reason}")]
    EscapingLink { path: String, reason: &'static str },
    #[error(transparent)]
    Io(#[from] IoError),
}

/// Every symlink in `root`, resolved by the file system itself (so chains
/// of links count), must land inside `root`. A link that does not is removed
/// before the error is returned: no way out is left behind, even in a
/// directory about to be deleted.
pub fn links_stay_inside(root: &Path) -> Result<(), TreeError> {
    links_stay_inside_but_absolute(root, false)
}

/// [`links_stay_inside`], letting symlinks to absolute paths be when
/// `absolute` (a venv's interpreter in a build output).
pub fn links_stay_inside_but_absolute(root: &Path, absolute: bool) -> Result<(), TreeError> {
    let canon_root = fs::canonicalize(root).map_err(|e| IoError::new("cannot read", root, e))?;
    walk_links(root, &canon_root, root, absolute)
}

fn walk_links(dir: &Path, canon_root: &Path, root: &Path, absolute: bool) -> Result<(), TreeError> {
    let read = |e| IoError::new("cannot read", dir, e);
    for entry in fs::read_dir(dir).map_err(read)? {
        let entry = entry.map_err(read)?;
        let ft = entry.file_type().map_err(read)?;
        let path = entry.path();
        if ft.is_symlink() {
            // With absolute links allowed, a link is judged by its own
            // target only: absolute, or relative and inside (a chain may
            // go on to an absolute one, as `python3 -> python -> /usr/bin/python3`).
            if absolute && let Ok(t) = fs::read_link(&path) {
                let inside = {
                    let mut depth = path.strip_prefix(root).map(|r| r.components().count() as i64 - 1).unwrap_or(-1);
                    t.components().all(|c| {
                        match c {
                            std::path::Component::ParentDir => depth -= 1,
                            std::path::Component::Normal(_) => depth += 1,
                            _ => {}
                        }
                        depth >= 0
                    })
                };
                if t.is_absolute() || inside {
                    continue;
                }
            }
            let reason = match fs::canonicalize(&path) {
                Ok(target) if target.starts_with(canon_root) => continue,
                Ok(_) => "resolves outside the plugin",
                Err(_) => "does not resolve to a file inside the plugin",
            };
            let shown = path.strip_prefix(root).unwrap_or(&path).display().to_string();
            let _ = fs::remove_file(&path);
            return Err(TreeError::EscapingLink { path: shown, reason });
        } else if ft.is_dir() {
            walk_links(&path, canon_root, root, absolute)?;
        }
    }
    Ok(())
}

/// Copies a directory tree: files (keeping the executable bit),
/// directories and symlinks; anything else is refused.
pub fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    copy_tree_only(from, to, &|_| true)
}

/// [`copy_tree`] of the entries whose paths `keep` accepts.
pub fn copy_tree_only(from: &Path, to: &Path, keep: &dyn Fn(&Path) -> bool) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let src = entry.path();
        if !keep(&src) {
            continue;
        }
        let ft = entry.file_type()?;
        let dst = to.join(entry.file_name());
        if ft.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src)?, &dst)?;
        } else if ft.is_dir() {
            fs::create_dir(&dst)?;
            copy_tree_only(&src, &dst, keep)?;
        } else if ft.is_file() {
            fs::copy(&src, &dst)?;
            let exec = fs::metadata(&src)?.permissions().mode() & 0o100 != 0;
            fs::set_permissions(&dst, fs::Permissions::from_mode(if exec { 0o755 } else { 0o644 }))?;
        } else {
            return Err(io::Error::other(format!("{} is not a file, directory or symlink", src.display())));
        }
    }
    Ok(())
}

/// Renames a read-only tree into place. Its top directory is writable only
/// for the rename: moving a directory to another parent rewrites its `..`,
/// which needs write permission on it (for anyone but root).
pub fn publish(tree: &Path, dest: &Path) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(tree, fs::Permissions::from_mode(0o755))?;
    let moved = fs::rename(tree, dest);
    let top = if moved.is_ok() { dest } else { tree };
    let _ = fs::set_permissions(top, fs::Permissions::from_mode(0o555));
    moved
}

/// Files 0444 (0555 when executable), directories 0555.
pub fn make_read_only(root: &Path) -> Result<(), IoError> {
    set_modes(root, |mode, is_dir| if is_dir || mode & 0o100 != 0 { 0o555 } else { 0o444 })
}

pub fn make_writable(root: &Path) -> Result<(), IoError> {
    set_modes(root, |mode, _| mode | 0o200)
}

/// Removes a tree even when it was made read-only; a missing one is fine.
/// Only its directories are made writable (what removing their entries
/// needs): a file may be a hard link to a store entry's, which stays as it
/// is.
pub fn remove_tree(root: &Path) -> Result<(), IoError> {
    if fs::symlink_metadata(root).is_err() {
        return Ok(());
    }
    set_modes(root, |mode, is_dir| if is_dir { mode | 0o700 } else { mode })?;
    fs::remove_dir_all(root).map_err(|e| IoError::new("cannot remove", root, e))
}

/// Removes a store entry or generation so that no crash can leave it
/// half-deleted under its name: renamed aside to a `.tmp-` name first (which
/// the next mutating command cleans up), then deleted.
pub fn retire(path: &Path) -> Result<(), IoError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let aside = path.with_file_name(format!(".tmp-gc-{name}"));
    if aside.exists() {
        remove_tree(&aside)?;
    }
    fs::rename(path, &aside).map_err(|e| IoError::new("cannot move aside", path, e))?;
    remove_tree(&aside)
}

fn set_modes(root: &Path, mode: impl Fn(u32, bool) -> u32 + Copy) -> Result<(), IoError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::symlink_metadata(root).map_err(|e| IoError::new("cannot read", root, e))?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let is_dir = meta.is_dir();
    let old = meta.permissions().mode() & 0o7777;
    let new = mode(old, is_dir);
    // A file left as it is is not touched: it may be a hard link to a
    // store entry's.
    if !is_dir && new == old {
        return Ok(());
    }
    let chmod =
        |p: &Path, m: u32| fs::set_permissions(p, fs::Permissions::from_mode(m)).map_err(|e| IoError::new("cannot change mode of", p, e));
    // Directories are opened for writing before recursing, closed after.
    if is_dir {
        chmod(root, 0o755)?;
        for entry in fs::read_dir(root).map_err(|e| IoError::new("cannot read", root, e))? {
            let entry = entry.map_err(|e| IoError::new("cannot read", root, e))?;
            set_modes(&entry.path(), mode)?;
        }
    }
    chmod(root, new)
}

/// Flushes the file system holding `dir` (one syscall, where a venv has
/// thousands of files to fsync one by one).
#[cfg(all(target_os = "linux", not(feature = "portable")))]
pub fn sync_filesystem(dir: &Path) {
    use std::os::fd::AsRawFd;
    if let Ok(f) = fs::File::open(dir) {
        // SAFETY: syncfs only reads the descriptor, which outlives the call.
        unsafe {
            libc::syncfs(f.as_raw_fd());
        }
    }
}

/// Flushes everything under `dir`: each file, then each directory (the
/// fallback where there is no `syncfs`, macOS among them, or with the
/// `portable` feature). On macOS `fsync` reaches the drive's cache only;
/// `F_FULLFSYNC` goes further where durability needs it.
#[cfg(not(all(target_os = "linux", not(feature = "portable"))))]
pub fn sync_filesystem(dir: &Path) {
    fn flush(f: &fs::File) {
        #[cfg(target_os = "macos")]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: F_FULLFSYNC only reads the descriptor, which outlives the call.
            if unsafe { libc::fcntl(f.as_raw_fd(), libc::F_FULLFSYNC) } == 0 {
                return;
            }
        }
        let _ = f.sync_all();
    }
    fn walk(p: &Path) {
        let Ok(meta) = fs::symlink_metadata(p) else { return };
        if meta.is_dir() {
            for e in fs::read_dir(p).into_iter().flatten().flatten() {
                walk(&e.path());
            }
        }
        if (meta.is_dir() || meta.is_file())
            && let Ok(f) = fs::File::open(p)
        {
            flush(&f);
        }
    }
    walk(dir);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_replaces_and_keeps_mode() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f.toml");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        atomic_write(&p, b"new").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        let leftovers: Vec<_> = fs::read_dir(d.path()).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temp files left behind");
    }

    #[test]
    fn second_holder_waits_and_learns_who_holds_the_lock() {
        let d = tempfile::tempdir().unwrap();
        let first = HomeLock::acquire(d.path(), "lock", |_| panic!("no wait expected")).unwrap();
        let home = d.path().to_path_buf();
        let (tx, rx) = std::sync::mpsc::channel();
        let t = std::thread::spawn(move || {
            let _second = HomeLock::acquire(&home, "sync", |who| tx.send(who.to_string()).unwrap()).unwrap();
        });
        let who = rx.recv().unwrap();
        assert!(who.contains("paii lock"), "{who}");
        drop(first);
        t.join().unwrap();
    }
}
