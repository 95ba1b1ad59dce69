//! Approval, between fetch and build: with `[policy] require-approval`,
//! which fetched plugins run something paii.lock has not approved. Those
//! are held: not built, their hooks and MCP servers left out of the
//! generation, their skills, agents and commands linked as usual.

use serde::Serialize;

use crate::approval::Surface;
use crate::lock::LockedPlugin;
use crate::manifest::PluginManifest;
use crate::ops::Error;
use std::path::PathBuf;

/// A plugin held until `paii approve NAME`.
#[derive(Debug, Clone, Serialize)]
pub struct Awaiting {
    pub name: String,
    pub version: String,
    /// It had an approval, for something else (a new version, new commands).
    pub changed: bool,
    pub surface: Surface,
}

/// Each locked plugin's surface, read from its tree.
pub fn surfaces(plugins: &[LockedPlugin], trees: &[PathBuf]) -> Result<Vec<Surface>, Error> {
    plugins
        .iter()
        .zip(trees)
        .map(|(p, tree)| {
            let pm = PluginManifest::load_installed(tree, &p.name)?;
            Ok(Surface::of(&pm, tree)?)
        })
        .collect()
}

/// The plugins whose surface the lock does not approve (none without
/// `require-approval`), in lock order, each with its index. A path plugin
/// is the user's own (one they are writing, or one committed beside
/// paii.toml and reviewed with it): never held.
pub fn awaiting(require: bool, plugins: &[LockedPlugin], trees: &[PathBuf]) -> Result<Vec<(usize, Awaiting)>, Error> {
    if !require {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (i, (p, surface)) in plugins.iter().zip(surfaces(plugins, trees)?).enumerate() {
        if surface.is_empty() || is_local(p) || p.approved == Some(surface.digest()) {
            continue;
        }
        out.push((i, Awaiting { name: p.name.clone(), version: p.version.to_string(), changed: p.approved.is_some(), surface }));
    }
    Ok(out)
}

/// A plugin from a directory on this machine.
pub fn is_local(p: &LockedPlugin) -> bool {
    matches!(p.source, crate::lock::LockedSource::Path { .. })
}
