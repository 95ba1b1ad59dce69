//! `paii sbom`: the bill of materials of paii.lock, as CycloneDX 1.6 or
//! SPDX 2.3 JSON.

use std::path::Path;

use super::stage::inventory::{inventory, require_lock};
use super::{Context, Error};
use crate::sbom::{Bill, PluginPart, SbomFormat};

/// The document, pretty-printed with a final newline.
pub fn run(ctx: &Context, format: SbomFormat, offline: bool, jobs: usize) -> Result<String, Error> {
    let manifest = ctx.load_manifest()?;
    // What it fetches goes into the store, as sync's does.
    let _guard = ctx.lock_home("sbom")?;
    let lock = require_lock(&manifest)?;
    let found = inventory(ctx, &manifest, &lock, offline, jobs)?;
    let parts: Vec<PluginPart<'_>> = found
        .iter()
        .map(|f| PluginPart {
            locked: &f.plugin,
            description: f.description.clone(),
            authors: f.authors.clone(),
            inventory: f.inventory.clone(),
        })
        .collect();
    let bill = Bill::new(&lock, &parts);
    let doc = match format {
        SbomFormat::Cyclonedx => crate::sbom::cyclonedx(&bill),
        SbomFormat::Spdx => crate::sbom::spdx(&bill),
    };
    // Rendering a serde_json::Value cannot fail.
    Ok(format!("{}\n", serde_json::to_string_pretty(&doc).unwrap_or_default()))
}

/// Writes `text` to `path` atomically (a half-written SBOM is never left).
pub fn write(path: &Path, text: &str) -> Result<(), Error> {
    crate::util::fs::atomic_write(path, text.as_bytes()).map_err(|e| crate::util::fs::IoError::new("cannot write", path, e))?;
    Ok(())
}
