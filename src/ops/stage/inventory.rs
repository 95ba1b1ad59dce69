//! What the locked trees pin: every plugin of paii.lock brought into the
//! store (as fetch does, verified; nothing built, nothing switched) and
//! its lockfiles read. `paii sbom` and `paii audit` start here.

use crate::inventory::Inventory;
use crate::lock::{Lock, LockedPlugin};
use crate::manifest::Manifest;
use crate::ops::{Context, Error, StateError};
use crate::source::Fetcher;

/// One locked plugin (with what fetching taught it: integrity, commit) and
/// what its tree pins.
#[derive(Debug)]
pub struct Inventoried {
    pub plugin: LockedPlugin,
    pub description: Option<String>,
    pub authors: Vec<String>,
    pub inventory: Inventory,
}

/// The lock of `manifest`, which must exist: these commands describe what
/// is locked and never resolve.
pub fn require_lock(manifest: &Manifest) -> Result<Lock, Error> {
    Ok(Lock::load(&manifest.lock_path())?.ok_or_else(|| StateError::NoLock { path: manifest.lock_path() })?)
}

/// Fetches what the store lacks (not with `offline`) and reads each tree's
/// lockfiles, in the lock's order.
pub fn inventory(ctx: &Context, manifest: &Manifest, lock: &Lock, offline: bool, jobs: usize) -> Result<Vec<Inventoried>, Error> {
    let fetcher = Fetcher::for_manifest(&crate::util::paths::paii_home(), manifest, offline);
    let results = super::fetch::fetch_all(ctx, &fetcher, &lock.plugins, jobs);
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for (p, r) in lock.plugins.iter().zip(results) {
        let fetched = match r {
            Ok(f) => f,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        let mut plugin = p.clone();
        super::fetch::learn(&mut plugin, &fetched);
        let root = &fetched.entry.path;
        // A tree without plugin.toml (a Claude Code plugin) builds nothing:
        // only its lockfiles, if any, are read.
        let pm = crate::manifest::PluginManifest::load_installed(root, &p.name).ok();
        let requirements = pm.as_ref().and_then(|m| m.build.requirements.clone());
        // The error names the lockfile in the store entry, whose name says
        // which plugin and version it is.
        let inventory = Inventory::read(root, requirements.as_deref())?;
        out.push(Inventoried {
            plugin,
            description: pm.as_ref().map(|m| m.description.clone()).filter(|d| !d.is_empty()),
            authors: pm.map(|m| m.authors).unwrap_or_default(),
            inventory,
        });
    }
    super::fetch::all_fetched(errors)?;
    Ok(out)
}
