//! An advisory database: a tree of OSV records in the store, and an index
//! of which records name which package, built once per tree (the tree is
//! immutable, so the index never goes stale) and kept in
//! `$PAII_HOME/cache/advisories/`. An audit then reads only the records of
//! the packages it checks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{Advisory, AdvisoryError};
use crate::inventory::Ecosystem;

/// Bump when the index's shape or what it records changes.
const INDEX_VERSION: u32 = 1;

#[derive(Debug, Default, Serialize, Deserialize)]
struct Index {
    version: u32,
    /// `<OSV ecosystem>/<normalised name>` -> records naming it, relative
    /// to the root.
    packages: BTreeMap<String, Vec<String>>,
    records: usize,
    /// Records that could not be read: (path, why).
    unreadable: Vec<(String, String)>,
}

/// A database opened for lookups.
#[derive(Debug)]
pub struct Database {
    pub name: String,
    root: PathBuf,
    index: Index,
}

impl Database {
    /// Opens the tree at `root` (a store entry, named by `key`), indexing
    /// it first if `cache` has no index for it.
    pub fn open(name: &str, root: &Path, key: &str, cache: &Path) -> Result<Database, AdvisoryError> {
        let index_path = cache.join("advisories").join(format!("{key}.json"));
        let cached =
            std::fs::read(&index_path).ok().and_then(|b| serde_json::from_slice::<Index>(&b).ok()).filter(|i| i.version == INDEX_VERSION);
        let index = match cached {
            Some(i) => i,
            None => {
                let index = build(root);
                if let Some(dir) = index_path.parent() {
                    let _ = std::fs::create_dir_all(dir);
                }
                // The index is a cache: losing it costs one rebuild.
                if let Ok(bytes) = serde_json::to_vec(&index) {
                    let _ = crate::util::fs::atomic_write(&index_path, &bytes);
                }
                index
            }
        };
        Ok(Database { name: name.to_string(), root: root.to_path_buf(), index })
    }

    /// How many records it holds.
    pub fn records(&self) -> usize {
        self.index.records
    }

    /// Records paii could not read, with why.
    pub fn unreadable(&self) -> &[(String, String)] {
        &self.index.unreadable
    }

    /// The records that name `name` in `ecosystem` (whatever they say of
    /// its versions), each with its path in the database.
    pub fn advisories(&self, ecosystem: Ecosystem, name: &str) -> Result<Vec<(&str, Advisory)>, AdvisoryError> {
        let key = format!("{}/{}", ecosystem.osv_name(), ecosystem.normalize(name));
        let Some(paths) = self.index.packages.get(&key) else { return Ok(Vec::new()) };
        paths.iter().map(|p| Ok((p.as_str(), Advisory::load(&self.root.join(p))?))).collect()
    }
}

fn build(root: &Path) -> Index {
    let mut index = Index { version: INDEX_VERSION, ..Index::default() };
    let mut files = Vec::new();
    collect(root, &mut files);
    files.sort();
    for path in files {
        let rel = path.strip_prefix(root).unwrap_or(&path).to_string_lossy().into_owned();
        match Advisory::load(&path) {
            Ok(a) => {
                index.records += 1;
                for p in a.affected.iter().filter_map(|x| x.package.as_ref()) {
                    let eco = p.ecosystem.split(':').next().unwrap_or_default();
                    let name = match eco {
                        "PyPI" => Ecosystem::PyPI.normalize(&p.name),
                        _ => p.name.clone(),
                    };
                    let list = index.packages.entry(format!("{eco}/{name}")).or_default();
                    if !list.contains(&rel) {
                        list.push(rel.clone());
                    }
                }
            }
            Err(e) => index.unreadable.push((rel, e.message)),
        }
    }
    index
}

/// Every `.json`, `.yaml` and `.yml` file under `dir`, but not in hidden
/// directories (`.git`, `.github`).
fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for e in entries.flatten() {
        let name = e.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') {
            continue;
        }
        let path = e.path();
        match e.file_type() {
            Ok(t) if t.is_dir() => collect(&path, out),
            Ok(t) if t.is_file() && (name.ends_with(".json") || name.ends_with(".yaml") || name.ends_with(".yml")) => out.push(path),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_finds_records_by_package_and_is_reused() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/advisories");
        let cache = tempfile::tempdir().unwrap();
        let db = Database::open("fixtures", &root, "k", cache.path()).unwrap();
        assert_eq!(db.records(), 12);
        assert!(db.unreadable().is_empty(), "{:?}", db.unreadable());
        assert_eq!(db.advisories(Ecosystem::Cargo, "rustls").unwrap()[0].1.id, "RUSTSEC-2024-0336");
        assert_eq!(db.advisories(Ecosystem::PyPI, "Django").unwrap()[0].1.id, "PYSEC-2024-56");
        assert!(db.advisories(Ecosystem::Cargo, "itoa").unwrap().is_empty());
        assert!(cache.path().join("advisories/k.json").is_file());
        let again = Database::open("fixtures", &root, "k", cache.path()).unwrap();
        assert_eq!(again.records(), 12);
    }

    /// A corpus check, run by hand against real databases (a checkout of
    /// rustsec/advisory-db's `osv` branch, pypa/advisory-database's
    /// `vulns`): `PAII_ADVISORY_CORPUS=/a:/b cargo test --lib corpus --
    /// --ignored`. Every record reads, and the ranges of crates.io and PyPI
    /// packages are versions paii can order, but for the rare event that
    /// is not one (PyPA's 2026 corpus: 2 of 2661 records, `fixed:
    /// "2019-09-12"` among them), which an audit names when it meets it.
    #[test]
    #[ignore = "needs PAII_ADVISORY_CORPUS, checkouts of real advisory databases"]
    fn every_record_of_a_real_database_corpus_reads_and_its_ranges_are_versions() {
        let Ok(dirs) = std::env::var("PAII_ADVISORY_CORPUS") else { return };
        let cache = tempfile::tempdir().unwrap();
        let (mut bad, mut malformed, mut records) = (Vec::new(), Vec::new(), 0);
        for (n, dir) in dirs.split(':').enumerate() {
            let db = Database::open("corpus", Path::new(dir), &n.to_string(), cache.path()).unwrap();
            assert!(db.records() > 0, "{dir} holds no records");
            records += db.records();
            bad.extend(db.unreadable().iter().map(|(p, why)| format!("{p}: {why}")));
            for (key, paths) in &db.index.packages {
                let (eco, name) = key.split_once('/').unwrap();
                let eco = match eco {
                    "crates.io" => Ecosystem::Cargo,
                    "PyPI" => Ecosystem::PyPI,
                    _ => continue,
                };
                for p in paths {
                    let a = Advisory::load(&db.root.join(p)).unwrap();
                    malformed.extend(a.malformed(eco, name).into_iter().map(|m| format!("{p}: {m}")));
                }
            }
        }
        assert!(bad.is_empty(), "{} unreadable records:\n{}", bad.len(), bad.join("\n"));
        eprintln!("{records} records; ranges that are not versions:\n{}", malformed.join("\n"));
        assert!(malformed.len() * 1000 < records, "{} of {records} records have ranges that are not versions", malformed.len());
    }
}
