//! The store: read-only, content-addressed directories under
//! `$PAII_HOME/store/`, one per fetched source tree.
//!
//! An entry is assembled in a temporary directory inside the store, hashed,
//! checked against the integrity it must have, made read-only and renamed
//! into place. A final name therefore only ever holds a complete, verified
//! tree; a killed fetch leaves a `.tmp-*` directory that the next run removes.

pub mod integrity;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use integrity::{HashError, Integrity};

use crate::util::fs::{self as fsutil, IoError, TreeError};

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
    Io(#[from] IoError),
    #[error(transparent)]
    Hash(#[from] HashError),
    #[error("plugin `{name}`: {source_desc}: {error}")]
    #[diagnostic(help("a store entry is self-contained: a plugin's symlinks must point inside it"))]
    Link {
        name: String,
        source_desc: String,
        #[source]
        error: TreeError,
    },
    #[error("plugin `{name}`: integrity mismatch for {source_desc}\n  expected: {expected}\n  computed: {computed}")]
    #[diagnostic(help(
        "the source changed since it was locked, or was tampered with; nothing was added to the store. If the change is expected, run `paii lock --update {name}`"
    ))]
    Mismatch { name: String, source_desc: String, expected: Integrity, computed: Integrity },
}

fn io_err(what: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_path_buf();
    move |source| StoreError::Io(IoError { action: what, path, source })
}

/// Entries `paii gc` keeps whatever the generations hold, as Nix's gc
/// roots: `$PAII_HOME/gcroots/<name>` is a symlink to one store entry (an
/// advisory database `paii audit` pinned, say). Setting a root replaces it
/// in one rename.
pub fn set_root(home: &Path, name: &str, entry: &Path) -> Result<(), IoError> {
    let dir = home.join("gcroots");
    fs::create_dir_all(&dir).map_err(|e| IoError::new("cannot create", &dir, e))?;
    let link = dir.join(name);
    let tmp = dir.join(format!(".{name}.{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    std::os::unix::fs::symlink(entry, &tmp).map_err(|e| IoError::new("cannot create", &tmp, e))?;
    fs::rename(&tmp, &link).map_err(|e| IoError::new("cannot replace", &link, e))
}

/// The store entries the gc roots of `home` point at.
pub fn roots(home: &Path) -> Vec<PathBuf> {
    let Ok(entries) = fs::read_dir(home.join("gcroots")) else { return Vec::new() };
    entries.flatten().filter_map(|e| fs::read_link(e.path()).ok()).collect()
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
    /// copy is used. `fill` fails with the caller's own error type, which
    /// the store's errors convert into.
    pub fn add<E: From<StoreError>>(
        &self,
        name: &str,
        source_desc: &str,
        expected: Option<&Integrity>,
        fill: impl FnOnce(&Path) -> Result<String, E>,
    ) -> Result<StorePath, E> {
        fs::create_dir_all(&self.root).map_err(io_err("cannot create the store", &self.root))?;
        let tmp = tempfile::Builder::new()
            .prefix(TMP_PREFIX)
            .tempdir_in(&self.root)
            .map_err(io_err("cannot create a directory in", &self.root))?;
        let tree = tmp.path().join("tree");
        fs::create_dir(&tree).map_err(io_err("cannot create", &tree))?;
        let version = fill(&tree)?;
        Ok(self.seal(name, source_desc, expected, &tree, &version)?)
    }

    /// Checks a filled tree and moves it to its final name.
    fn seal(
        &self,
        name: &str,
        source_desc: &str,
        expected: Option<&Integrity>,
        tree: &Path,
        version: &str,
    ) -> Result<StorePath, StoreError> {
        // A store entry is self-contained: no symlink may lead out of it,
        // whatever source the tree came from.
        fsutil::links_stay_inside(tree).map_err(|error| StoreError::Link {
            name: name.to_string(),
            source_desc: source_desc.to_string(),
            error,
        })?;
        let computed = integrity::hash_path(tree)?;
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
        let final_path = self.source_path(&computed, name, version);
        if final_path.is_dir() {
            return Ok(StorePath { path: final_path, integrity: computed });
        }
        fsutil::make_read_only(tree)?;
        match fsutil::publish(tree, &final_path) {
            Ok(()) => {}
            // Lost a race with another fetcher of the same tree: theirs is
            // complete and identical by construction.
            Err(_) if final_path.is_dir() => {
                fsutil::make_writable(tree)?;
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
                fsutil::remove_tree(&entry.path())?;
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

#[cfg(test)]
mod tests {
    use super::*;

    use std::os::unix::fs::PermissionsExt;

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
        fsutil::make_read_only(&store.root().join(".tmp-killed")).unwrap();
        assert_eq!(store.clean_temporaries().unwrap(), 1);
        assert_eq!(fs::read_dir(store.root()).unwrap().count(), 0);
    }
}
