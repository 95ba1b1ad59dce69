//! `paii sync`: lock if needed, then fetch every locked plugin into the
//! store, verified; the lock learns each plugin's integrity the first time.
//!
//! Builds and generations (switching what Claude Code sees) are later stages
//! of the same command.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde::Serialize;

use super::lock::{LockOutcome, apply, plan_with};
use super::{Context, Error};
use crate::lock::{LockDiff, LockedPlugin, LockedSource};
use crate::source::{Fetched, Fetcher, SourceError, describe};
use crate::store::Store;

#[derive(Debug, Clone)]
pub struct SyncOptions {
    /// Fail if paii.lock would change.
    pub locked: bool,
    /// `--locked` and no network.
    pub frozen: bool,
    /// Use only the store and caches.
    pub offline: bool,
    /// Print the plan; change nothing.
    pub dry_run: bool,
    /// Parallel fetches.
    pub jobs: usize,
}

impl Default for SyncOptions {
    fn default() -> SyncOptions {
        SyncOptions { locked: false, frozen: false, offline: false, dry_run: false, jobs: 8 }
    }
}

#[derive(Debug, Serialize)]
pub struct SyncedPlugin {
    pub name: String,
    pub version: String,
    pub source: String,
    pub store_path: PathBuf,
    /// Whether this sync brought it into the store.
    pub fetched: bool,
    /// Its build output, for plugins with a `[build]`.
    pub build: Option<PathBuf>,
    /// Whether this sync built it.
    pub built: bool,
}

impl SyncedPlugin {
    /// A plugin just brought into (or found in) the store, not built yet.
    pub(crate) fn fetched(p: &LockedPlugin, f: &Fetched) -> SyncedPlugin {
        SyncedPlugin {
            name: p.name.clone(),
            version: p.version.to_string(),
            source: describe(&p.source),
            store_path: f.entry.path.clone(),
            fetched: f.added,
            build: None,
            built: false,
        }
    }
}

#[derive(Debug)]
pub struct SyncOutcome {
    pub lock: LockOutcome,
    pub plugins: Vec<SyncedPlugin>,
    pub dry_run: bool,
    /// The generation this sync created, if anything changed.
    pub generation: Option<u32>,
    pub current: Option<u32>,
}

pub fn run(ctx: &Context, opts: &SyncOptions) -> Result<SyncOutcome, Error> {
    let offline = opts.offline || opts.frozen;
    let locked = opts.locked || opts.frozen;
    let manifest = ctx.load_manifest()?;
    let _guard = ctx.lock_home("sync")?;
    let mut planned = plan_with(ctx, &manifest, None, offline)?;
    if locked && !planned.up_to_date {
        return Err(Error::user(
            format!(
                "{} needs to change, but --{} forbids it:\n{}",
                planned.path.display(),
                if opts.frozen { "frozen" } else { "locked" },
                LockDiff::between(planned.old.as_ref(), &planned.new).render().trim_end()
            ),
            Some("run `paii lock` (or `paii sync` without --locked) and commit paii.lock".to_string()),
        ));
    }
    if opts.dry_run {
        let store = Store::new(crate::paths::paii_home().join("store"));
        let plugins = planned
            .new
            .plugins
            .iter()
            .map(|p| {
                let present = p.integrity.and_then(|i| store.get(&i, &p.name, &p.version.to_string()));
                SyncedPlugin {
                    name: p.name.clone(),
                    version: p.version.to_string(),
                    source: describe(&p.source),
                    fetched: present.is_none(),
                    store_path: present.map(|e| e.path).unwrap_or_default(),
                    build: None,
                    built: false,
                }
            })
            .collect();
        let diff = LockDiff::between(planned.old.as_ref(), &planned.new);
        return Ok(SyncOutcome {
            lock: LockOutcome { path: planned.path, lock: planned.new, diff, written: false },
            plugins,
            dry_run: true,
            generation: None,
            current: None,
        });
    }

    let fetcher = Fetcher::for_home(&crate::paths::paii_home(), &manifest.dir, offline);
    let cleaned = fetcher.store.clean_temporaries()?;
    if cleaned > 0 {
        crate::debug!("removed {cleaned} half-assembled store entries left by an interrupted run");
    }

    let results = fetch_all(ctx, &fetcher, &planned.new.plugins, opts.jobs.max(1));
    let mut plugins = Vec::new();
    let mut sources = Vec::new();
    let mut errors = Vec::new();
    for (p, result) in planned.new.plugins.iter_mut().zip(results) {
        match result {
            Ok(f) => {
                learn(p, &f);
                plugins.push(SyncedPlugin::fetched(p, &f));
                sources.push(f.entry);
            }
            Err(e) => errors.push(e),
        }
    }
    match errors.len() {
        0 => {}
        1 => return Err(errors.remove(0).into()),
        n => {
            return Err(Error::user(
                format!("{n} plugins could not be fetched:\n{}", errors.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n")),
                None,
            ));
        }
    }
    build_all(ctx, &crate::paths::paii_home(), &sources, &mut plugins, opts.jobs)?;
    planned.text = planned.new.to_toml();
    planned.up_to_date = planned.old_text.as_deref() == Some(planned.text.as_str());
    if locked && !planned.up_to_date {
        return Err(Error::user(
            format!("{} lacks the integrity of plugins it locks, and --locked forbids adding it", planned.path.display()),
            Some("run `paii sync` once without --locked and commit paii.lock".to_string()),
        ));
    }
    // The new generation is assembled aside first; the lock is written and
    // `current` switched only once it is complete.
    let generations = crate::generation::Generations::new(&crate::paths::paii_home());
    generations.clean_temporaries()?;
    use sha2::Digest;
    let lock_hash = crate::integrity::hex(&sha2::Sha256::digest(planned.text.as_bytes()));
    let contents: Vec<crate::generation::GenerationPlugin> = plugins
        .iter()
        .map(|p| crate::generation::GenerationPlugin {
            name: p.name.clone(),
            version: p.version.clone(),
            store_path: p.store_path.clone(),
            build_path: p.build.clone(),
        })
        .collect();
    let unchanged = generations
        .current()
        .and_then(|n| generations.meta(n).ok())
        .is_some_and(|m| m.lock_hash == lock_hash && m.plugins == contents);
    let generation = if unchanged { None } else { Some(generations.create(&lock_hash, contents)?) };
    let lock = apply(planned)?;
    if let Some(n) = generation {
        generations.switch(n)?;
    }
    Ok(SyncOutcome { lock, plugins, dry_run: false, generation, current: generations.current() })
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
) -> Result<(), Error> {
    let builder = crate::build::Builder::for_home(home);
    // Each plugin.toml is read once; every missing toolchain is named
    // before any build starts.
    let manifests = sources
        .iter()
        .map(|entry| crate::manifest::PluginManifest::load(&entry.path.join("plugin.toml")))
        .collect::<Result<Vec<_>, _>>()?;
    for (pm, entry) in manifests.iter().zip(sources) {
        builder.prepare(pm, entry)?;
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let progress = ctx.progress(plugins.len() as u64, "building");
    let work: Vec<_> = manifests.iter().zip(sources).zip(plugins.iter().map(|p| format!("{} {}", p.name, p.version))).collect();
    let results = parallel_map(&work, jobs.clamp(1, cores), |((pm, entry), label)| {
        let item = progress.start(label);
        let r = builder.build(pm, entry);
        item.done(&match &r {
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
    Ok(())
}

/// `f` over `items` on up to `jobs` threads; the results in item order.
fn parallel_map<T: Sync, R: Send>(items: &[T], jobs: usize, f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..jobs.clamp(1, items.len().max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    if let Ok(mut slots) = slots.lock() {
                        slots[i] = Some(r);
                    }
                }
            });
        }
    });
    // Every index was taken by exactly one worker, so every slot is full.
    slots.into_inner().unwrap_or_default().into_iter().flatten().collect()
}

/// What fetching taught the lock: integrity (except for path plugins, whose
/// tree is the user's and changes) and the commit of a git source.
fn learn(p: &mut LockedPlugin, f: &Fetched) {
    if !matches!(p.source, LockedSource::Path { .. }) && p.integrity.is_none() {
        p.integrity = Some(f.entry.integrity);
    }
    if let (LockedSource::Git { commit: c @ None, .. }, Some(id)) = (&mut p.source, &f.commit) {
        *c = Some(id.clone());
    }
}

/// Fetches with `jobs` workers, reporting each plugin as it completes.
pub(crate) fn fetch_all(ctx: &Context, fetcher: &Fetcher, plugins: &[LockedPlugin], jobs: usize) -> Vec<Result<Fetched, SourceError>> {
    let progress = ctx.progress(plugins.len() as u64, "fetching");
    let results = parallel_map(plugins, jobs, |p| {
        let item = progress.start(&format!("{} {} ({})", p.name, p.version, describe(&p.source)));
        let r = fetcher.fetch(p);
        item.done(&match &r {
            Ok(f) if f.added => format!("fetched {} {} ({})", p.name, p.version, describe(&p.source)),
            Ok(_) => format!("cached  {} {}", p.name, p.version),
            Err(_) => format!("failed  {} {}", p.name, p.version),
        });
        r
    });
    progress.finish();
    results
}
