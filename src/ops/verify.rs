//! `paii plugin verify [NAME...]`: hash store entries again and report any
//! that no longer match the hash they are named by.

use std::path::PathBuf;

use serde::Serialize;

use super::{Context, Error};
use crate::lock::{Lock, LockedSource};
use crate::store::Store;

#[derive(Debug, Serialize)]
pub struct Verified {
    pub entry: String,
    pub ok: bool,
    /// What the tree hashes to now, when it does not match.
    pub computed: Option<String>,
}

pub fn run(ctx: &Context, names: &[String]) -> Result<Vec<Verified>, Error> {
    let store = Store::new(crate::util::paths::paii_home().join("store"));
    // Named plugins: their exact entries, found through the lock (a path
    // plugin's through the hash of its directory now). Otherwise: all.
    let entries: Vec<PathBuf> = if names.is_empty() {
        store.entries()?.into_iter().filter(|e| !e.to_string_lossy().ends_with("-build")).collect()
    } else {
        let manifest = ctx.load_manifest()?;
        let lock = Lock::load(&manifest.lock_path())?.unwrap_or_else(|| Lock::new(Vec::new()));
        let mut wanted = Vec::new();
        for n in names {
            let p = lock.require_plugin(n)?;
            let integrity = match (&p.integrity, &p.source) {
                (Some(i), _) => Some(*i),
                (None, LockedSource::Path { path }) => {
                    let dir = std::fs::canonicalize(crate::util::paths::expand(path, &manifest.dir)).ok();
                    dir.and_then(|d| crate::source::local::current_hash(&d))
                }
                (None, _) => None,
            };
            match integrity {
                Some(i) => wanted.push(store.source_path(&i, &p.name, &p.version.to_string())),
                None => {
                    return Err(super::StateError::NotFetched { name: n.clone() }.into());
                }
            }
        }
        wanted
    };
    let mut out = Vec::new();
    for path in entries {
        let entry = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if !path.is_dir() {
            out.push(Verified { entry, ok: false, computed: Some("(missing from the store)".to_string()) });
            continue;
        }
        // The first 32 hex digits of an entry's name are its hash.
        let computed = crate::store::integrity::hash_path(&path).map_err(crate::store::StoreError::from)?;
        let ok = entry.starts_with(&computed.hex()[..32]);
        out.push(Verified { entry, ok, computed: (!ok).then(|| computed.to_string()) });
    }
    Ok(out)
}
