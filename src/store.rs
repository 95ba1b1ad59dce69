//! The store: read-only, content-addressed directories under
//! `$PAII_HOME/store/`, one per fetched source tree.
//!
//! An entry is assembled in a temporary directory inside the store, hashed,
//! checked against the integrity it must have, made read-only and renamed
//! into place. A final name therefore only ever holds a complete, verified
//! tree; a killed fetch leaves a `.tmp-*` directory that the next run removes.

use std::fs;
use std::io;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use crate::integrity::{self, HashError, Integrity};

/// Prefix of directories being assembled.
const TMP_PREFIX: &str = ".tmp-";

#[derive(Debug, Clone)]
pub struct Store {
    root: PathBuf,
}

/// A complete entry of the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorePath {
    pub path: PathBuf,
    pub integrity: Integrity,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum StoreError {
    #[error(transparent)]
    Io(#[from] crate::fsutil::IoError),
    #[error(transparent)]
    Hash(#[from] HashError),
    /// A source failed while filling an entry.
    #[error(transparent)]
    Source(Box<crate::source::SourceError>),
    #[error("plugin `{name}`: integrity mismatch for {source_desc}\n  expected: {expected}\n  computed: {computed}")]
    #[diagnostic(help(
        "the source changed since it was locked, or was tampered with; nothing was added to the store. If the change is expected, run `paii lock --update {name}`"
    ))]
    Mismatch { name: String, source_desc: String, expected: Integrity, computed: Integrity },
}

pub(crate) fn io_err(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io(crate::fsutil::IoError { action: what, path, source })
}

impl Store {
    pub fn new(root: PathBuf) -> Store {
        Store { root }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The final path of a source entry.
    pub fn source_path(&self, integrity: &Integrity, name: &str, version: &str) -> PathBuf {
        self.root.join(format!("{}-{name}-{version}", &integrity.hex()[..32]))
    }

    /// The entry for `integrity`, if it is in the store.
    pub fn get(&self, integrity: &Integrity, name: &str, version: &str) -> Option<StorePath> {
        let path = self.source_path(integrity, name, version);
        path.is_dir().then_some(StorePath { path, integrity: *integrity })
    }

    /// Adds a tree: `fill` writes it into an empty directory and returns the
    /// plugin's version (part of the entry's name); the tree is then hashed,
    /// compared with `expected` (when known), made read-only and moved to its
    /// final name. If another process added the same entry meanwhile, its
    /// copy is used.
    pub fn add(
        &self,
        name: &str,
        source_desc: &str,
        expected: Option<&Integrity>,
        fill: impl FnOnce(&Path) -> Result<String, StoreError>,
    ) -> Result<StorePath, StoreError> {
        fs::create_dir_all(&self.root).map_err(io_err("cannot create the store", &self.root))?;
        let tmp = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempdir_in(&self.root)
            .map_err(io_err("cannot create a directory in", &self.root))?;
        let tree = tmp.path().join("tree");
        fs::create_dir(&tree).map_err(io_err("cannot create", &tree))?;
        let version = fill(&tree)?;
        // A store entry is self-contained: no symlink may lead out of it,
        // whatever source the tree came from.
        crate::source::extract::links_stay_inside(&tree).map_err(|error| {
            StoreError::Source(Box::new(crate::source::SourceError::Extract {
                name: name.to_string(),
                source_desc: source_desc.to_string(),
                error,
            }))
        })?;
        let computed = integrity::hash_path(&tree)?;
        if let Some(expected) = expected
            && *expected != computed
        {
            return Err(StoreError::Mismatch {
                name: name.to_string(),
                source_desc: source_desc.to_string(),
                expected: *expected,
                computed,
            });
        }
        let final_path = self.source_path(&computed, name, &version);
        if final_path.is_dir() {
            return Ok(StorePath { path: final_path, integrity: computed });
        }
        make_read_only(&tree)?;
        match publish(&tree, &final_path) {
            Ok(()) => {}
            // Lost a race with another fetcher of the same tree: theirs is
            // complete and identical by construction.
            Err(_) if final_path.is_dir() => {
                make_writable(&tree)?;
            }
            Err(e) => return Err(io_err("cannot move into place", &final_path)(e)),
        }
        if let Ok(dir) = fs::File::open(&self.root) {
            let _ = dir.sync_all();
        }
        Ok(StorePath { path: final_path, integrity: computed })
    }

    /// Removes what killed runs left half-assembled. Only call while holding
    /// the `PAII_HOME` lock, so that no live fetch is in progress.
    pub fn clean_temporaries(&self) -> Result<usize, StoreError> {
        let Ok(entries) = fs::read_dir(&self.root) else { return Ok(0) };
        let mut removed = 0;
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(TMP_PREFIX) {
                remove_tree(&entry.path())?;
                removed += 1;
            }
        }
        Ok(removed)
    }

    /// The complete entries (not the ones being assembled), sorted.
    pub fn entries(&self) -> Result<Vec<PathBuf>, StoreError> {
        let Ok(read) = fs::read_dir(&self.root) else { return Ok(Vec::new()) };
        let mut out: Vec<PathBuf> =
            read.flatten().filter(|e| !e.file_name().to_string_lossy().starts_with('.')).map(|e| e.path()).collect();
        out.sort();
        Ok(out)
    }

    /// Hashes an entry again and reports whether it still matches.
    pub fn verify(&self, entry: &StorePath) -> Result<Option<Integrity>, StoreError> {
        let computed = integrity::hash_path(&entry.path)?;
        Ok((computed != entry.integrity).then_some(computed))
    }
}

/// Removes a store entry or generation so that no crash can leave it
/// half-deleted under its name: renamed aside to a `.tmp-` name first (which
/// the next mutating command cleans up), then deleted.
pub fn retire(path: &Path) -> Result<(), StoreError> {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let aside = path.with_file_name(format!(".tmp-gc-{name}"));
    if aside.exists() {
        remove_tree(&aside)?;
    }
    fs::rename(path, &aside).map_err(io_err("cannot move aside", path))?;
    remove_tree(&aside)
}

/// Renames a read-only tree into place. Its top directory is writable only
/// for the rename: moving a directory to another parent rewrites its `..`,
/// which needs write permission on it (for anyone but root).
pub fn publish(tree: &Path, dest: &Path) -> io::Result<()> {
    fs::set_permissions(tree, fs::Permissions::from_mode(0o755))?;
    let moved = fs::rename(tree, dest);
    let top = if moved.is_ok() { dest } else { tree };
    let _ = fs::set_permissions(top, fs::Permissions::from_mode(0o555));
    moved
}

/// Files 0444 (0555 when executable), directories 0555.
pub fn make_read_only(root: &Path) -> Result<(), StoreError> {
    set_modes(root, |mode, is_dir| if is_dir || mode & 0o100 != 0 { 0o555 } else { 0o444 })
}

fn make_writable(root: &Path) -> Result<(), StoreError> {
    set_modes(root, |mode, _| mode | 0o200)
}

/// Removes a tree even when it was made read-only.
pub fn remove_tree(root: &Path) -> Result<(), StoreError> {
    if fs::symlink_metadata(root).is_err() {
        return Ok(());
    }
    make_writable(root)?;
    fs::remove_dir_all(root).map_err(io_err("cannot remove", root))
}

fn set_modes(root: &Path, mode: impl Fn(u32, bool) -> u32 + Copy) -> Result<(), StoreError> {
    let meta = fs::symlink_metadata(root).map_err(io_err("cannot read", root))?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let is_dir = meta.is_dir();
    let new = mode(meta.permissions().mode() & 0o7777, is_dir);
    // Directories are opened for writing before recursing, closed after.
    if is_dir {
        fs::set_permissions(root, fs::Permissions::from_mode(0o755)).map_err(io_err("cannot change mode of", root))?;
        for entry in fs::read_dir(root).map_err(io_err("cannot read", root))? {
            let entry = entry.map_err(io_err("cannot read", root))?;
            set_modes(&entry.path(), mode)?;
        }
    }
    fs::set_permissions(root, fs::Permissions::from_mode(new)).map_err(io_err("cannot change mode of", root))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fill_demo(dir: &Path) -> Result<String, StoreError> {
        fs::write(dir.join("plugin.toml"), "[plugin]\n").unwrap();
        fs::create_dir(dir.join("bin")).unwrap();
        fs::write(dir.join("bin/run"), "#!/bin/sh\n").unwrap();
        fs::set_permissions(dir.join("bin/run"), fs::Permissions::from_mode(0o755)).unwrap();
        Ok("1.0.0".into())
    }

    #[test]
    fn entries_are_read_only_and_named_by_content() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::new(d.path().join("store"));
        let entry = store.add("demo", "test", None, fill_demo).unwrap();
        assert!(entry.path.file_name().unwrap().to_string_lossy().ends_with("-demo-1.0.0"));
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&entry.path), 0o555);
        assert_eq!(mode(&entry.path.join("plugin.toml")), 0o444);
        assert_eq!(mode(&entry.path.join("bin/run")), 0o555);
        assert_eq!(store.verify(&entry).unwrap(), None);
        assert_eq!(fs::read_dir(store.root()).unwrap().count(), 1, "no temporaries left");
    }

    #[test]
    fn mismatch_adds_nothing_and_names_both_hashes() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::new(d.path().join("store"));
        let wrong: Integrity = "sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo=".parse().unwrap();
        let err = store.add("demo", "git https://x", Some(&wrong), fill_demo).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("expected: sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo="), "{msg}");
        assert!(msg.contains("computed: sha256-"), "{msg}");
        assert_eq!(fs::read_dir(store.root()).unwrap().count(), 0);
    }

    #[test]
    fn concurrent_adders_of_one_entry_both_succeed() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::new(d.path().join("store"));
        let results: Vec<_> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..4).map(|_| s.spawn(|| store.add("demo", "t", None, fill_demo))).collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let paths: Vec<_> = results.into_iter().map(|r| r.unwrap().path).collect();
        assert!(paths.windows(2).all(|w| w[0] == w[1]));
        assert_eq!(fs::read_dir(store.root()).unwrap().count(), 1);
    }

    #[test]
    fn temporaries_of_killed_runs_are_cleaned() {
        let d = tempfile::tempdir().unwrap();
        let store = Store::new(d.path().join("store"));
        let half = store.root().join(".tmp-killed/tree");
        fs::create_dir_all(&half).unwrap();
        fs::write(half.join("f"), "x").unwrap();
        make_read_only(&store.root().join(".tmp-killed")).unwrap();
        assert_eq!(store.clean_temporaries().unwrap(), 1);
        assert_eq!(fs::read_dir(store.root()).unwrap().count(), 0);
    }
}
