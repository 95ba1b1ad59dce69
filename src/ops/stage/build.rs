//! Build, the third stage: each fetched plugin with a `[build]` built into
//! the store (or substituted from a binary cache), several at a time.

use std::path::PathBuf;

use serde::Serialize;

use super::fetch::{fetch_all, parallel_map};
use crate::generation::GenerationPlugin;
use crate::lock::{Lock, LockedPlugin};
use crate::manifest::PluginManifest;
use crate::ops::{Context, Error};
use crate::source::{Fetched, Fetcher, describe};

#[derive(Debug, Serialize)]
pub struct SyncedPlugin {
    pub name: String,
    pub version: String,
    pub source: String,
    pub store_path: PathBuf,
    pub integrity: Option<crate::store::integrity::Integrity>,
    /// Whether this sync brought it into the store.
    pub fetched: bool,
    /// Its build output, for plugins with a `[build]`.
    pub build: Option<PathBuf>,
    /// Whether this sync built it.
    pub built: bool,
    /// The contracts it provides, as the lock has them (`IntegrationProvider:jira`).
    pub provides: Vec<String>,
    /// Awaiting `paii approve`: not built, its hooks and MCP servers off.
    pub held: bool,
}

impl SyncedPlugin {
    /// What a generation records of it.
    pub(crate) fn generation_plugin(&self) -> GenerationPlugin {
        GenerationPlugin {
            name: self.name.clone(),
            version: self.version.clone(),
            store_path: self.store_path.clone(),
            integrity: self.integrity,
            build_path: self.build.clone(),
            root: None,
            provides: self.provides.clone(),
            held: self.held,
        }
    }

    /// A plugin just brought into (or found in) the store, not built yet.
    pub(crate) fn fetched(p: &LockedPlugin, f: &Fetched) -> SyncedPlugin {
        SyncedPlugin {
            name: p.name.clone(),
            version: p.version.to_string(),
            source: describe(&p.source),
            store_path: f.entry.path.clone(),
            integrity: Some(f.entry.integrity),
            fetched: f.added,
            build: None,
            built: false,
            provides: p.provides.iter().map(ToString::to_string).collect(),
            held: false,
        }
    }
}

/// Builds every fetched plugin that has a `[build]`, `jobs` at a time (at
/// most one per core); a failure stops the sync before anything the user
/// sees changes.
pub(crate) fn build_all(
    ctx: &Context,
    home: &std::path::Path,
    sources: &[crate::store::StorePath],
    plugins: &mut [SyncedPlugin],
    jobs: usize,
    substitutes: &crate::substitute::Cache,
) -> Result<Vec<PluginManifest>, Error> {
    let mut builder = crate::build::Builder::for_home(home);
    builder.substitutes = substitutes.clone();
    // Each plugin.toml is read once; every missing toolchain is named
    // before any build starts.
    let manifests = sources
        .iter()
        .zip(plugins.iter())
        .map(|(entry, p)| crate::manifest::PluginManifest::load_installed(&entry.path, &p.name))
        .collect::<Result<Vec<_>, _>>()?;
    // A plugin awaiting approval runs nothing, its build included.
    for ((pm, entry), _) in manifests.iter().zip(sources).zip(plugins.iter()).filter(|(_, p)| !p.held) {
        builder.prepare(pm, entry)?;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let progress = ctx.progress(plugins.len() as u64, "building");
    let work: Vec<_> = manifests.iter().zip(sources).zip(plugins.iter().map(|p| (format!("{} {}", p.name, p.version), p.held))).collect();
    let results = parallel_map(&work, jobs.clamp(1, cores), |((pm, entry), (label, held))| {
        let item = progress.start(label);
        if *held {
            item.done(&format!("held    {label} (awaits `paii approve`: not built)"));
            return Ok(None);
        }
        let r = builder.build(pm, entry);
        item.done(&match &r {
            Ok(Some(crate::build::Built { substituted: Some(from), .. })) => format!("fetched {label} (built, from {from})"),
            Ok(Some(b)) if b.fresh => format!("built   {label}"),
            Ok(Some(_)) => format!("built   {label} (in the store)"),
            Ok(None) => format!("ready   {label} (nothing to build)"),
            Err(_) => format!("failed  {label}"),
        });
        r
    });
    progress.finish();
    for (p, r) in plugins.iter_mut().zip(results) {
        if let Some(b) = r? {
            if let Some(w) = &b.warning {
                (ctx.status)(&format!("warning: {w}"));
            }
            p.build = Some(b.path);
            p.built = b.fresh;
        }
    }
    Ok(manifests)
}

type FetchedAndBuilt = (Vec<SyncedPlugin>, Vec<crate::store::StorePath>, crate::util::fs::HomeLock);

pub(crate) fn fetch_and_build(ctx: &Context, names: &[String], jobs: usize) -> Result<FetchedAndBuilt, Error> {
    let manifest = ctx.load_manifest()?;
    let lock = Lock::load(&manifest.lock_path())?.ok_or_else(|| crate::ops::StateError::NoLock { path: manifest.lock_path() })?;
    for n in names {
        lock.require_plugin(n)?;
    }
    let chosen: Vec<_> = lock.plugins.iter().filter(|p| names.is_empty() || names.contains(&p.name)).cloned().collect();
    let guard = ctx.lock_home("build")?;
    let home = crate::util::paths::paii_home();
    let fetcher = Fetcher::for_manifest(&home, &manifest, false);
    fetcher.store.clean_temporaries()?;
    let mut plugins = Vec::new();
    let mut sources = Vec::new();
    for (p, r) in chosen.iter().zip(fetch_all(ctx, &fetcher, &chosen, jobs.max(1))) {
        let f = r?;
        plugins.push(SyncedPlugin::fetched(p, &f));
        sources.push(f.entry);
    }
    // A build runs the plugin's code (build.rs, a setup.py): held plugins
    // are not built here either, nor pushed or checked.
    let trees: Vec<PathBuf> = sources.iter().map(|s| s.path.clone()).collect();
    for (i, _) in super::approval::awaiting(manifest.policy.require_approval, &chosen, &trees)? {
        plugins[i].held = true;
    }
    build_all(ctx, &home, &sources, &mut plugins, jobs, &manifest.cache)?;
    Ok((plugins, sources, guard))
}
