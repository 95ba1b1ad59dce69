//! File-system primitives used everywhere: atomic writes and the exclusive
//! lock that serialises mutating commands on one `PAII_HOME`.

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
