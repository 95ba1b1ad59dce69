//! `paii plugin verify [NAME...]`: hash store entries again and report any
//! that no longer match the hash they are named by.

use serde::Serialize;

use super::{Context, Error};
use crate::lock::Lock;
use crate::store::Store;

#[derive(Debug, Serialize)]
pub struct Verified {
    pub entry: String,
    pub ok: bool,
    /// What the tree hashes to now, when it does not match.
    pub computed: Option<String>,
}

pub fn run(ctx: &Context, names: &[String]) -> Result<Vec<Verified>, Error> {
    let store = Store::new(crate::paths::paii_home().join("store"));
    // Named plugins are looked up in the lock, by their exact entry;
    // otherwise every entry is checked.
    let mut out = Vec::new();
    let wanted: Option<Vec<String>> = if names.is_empty() {
        None
    } else {
        let manifest = ctx.load_manifest()?;
        let lock = Lock::load(&manifest.lock_path())?.unwrap_or_else(|| Lock::new(Vec::new()));
        let mut suffixes = Vec::new();
        for n in names {
            let Some(p) = lock.plugin(n) else {
                return Err(Error::user(
                    format!("`{n}` is not in paii.lock"),
                    crate::suggest::closest(n, lock.plugins.iter().map(|p| p.name.as_str())).map(|s| format!("did you mean `{s}`?")),
                ));
            };
            match &p.integrity {
                Some(i) => {
                    let path = store.source_path(i, &p.name, &p.version.to_string());
                    let entry = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    if !path.is_dir() {
                        out.push(Verified { entry: entry.clone(), ok: false, computed: Some("(missing from the store)".to_string()) });
                    }
                    suffixes.push(format!("/{entry}"));
                }
                None => suffixes.push(format!("-{}-{}", p.name, p.version)),
            }
        }
        Some(suffixes)
    };
    for entry in store.entries()? {
        let name = entry.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        // Build outputs are named by their inputs, not their content.
        if name.ends_with("-build") {
            continue;
        }
        let full = format!("/{name}");
        if let Some(w) = &wanted
            && !w.iter().any(|s| full.ends_with(s.as_str()))
        {
            continue;
        }
        let computed = crate::integrity::hash_path(&entry).map_err(crate::store::StoreError::from)?;
        let ok = name.starts_with(&computed.hex()[..32]);
        out.push(Verified { entry: name, ok, computed: (!ok).then(|| computed.to_string()) });
    }
    Ok(out)
}
