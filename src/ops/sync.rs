//! `paii sync`: lock if needed, fetch every locked plugin into the store
//! (verified; the lock learns each integrity the first time), build, assemble
//! a generation, switch `current` to it and reconcile Claude Code's files.

use std::path::PathBuf;

use super::stage::build::{SyncedPlugin, build_all};
use super::stage::fetch::{all_fetched, fetch_all, learn};
use super::stage::plan::{LockOutcome, Planned, apply, plan_with};
use super::{Context, Error};
use crate::claude::{Changes, Fragment};
use crate::generation::assemble::{assemble, contributions};
use crate::lock::{LockDiff, LockedPlugin, LockedSource};
use crate::manifest::{Manifest, PluginManifest};
use crate::source::{Fetcher, describe};
use crate::store::Store;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SyncError {
    #[error("{} needs to change, but --{flag} forbids it:\n{changes}", path.display())]
    #[diagnostic(help("run `paii lock` (or `paii sync` without --locked) and commit paii.lock"))]
    LockWouldChange { path: PathBuf, flag: &'static str, changes: String },
    #[error("{} lacks the integrity of plugins it locks, and --locked forbids adding it", path.display())]
    #[diagnostic(help("run `paii sync` once without --locked and commit paii.lock"))]
    LockLacksIntegrity { path: PathBuf },
    #[error("plugin `{plugin}` works with Claude Code {range} (`engines` in its plugin.json), and this machine has {client}")]
    #[diagnostic(help("update Claude Code, or pin a version of `{plugin}` that works with {client} in paii.toml"))]
    Engines { plugin: String, range: String, client: String },
}

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

#[derive(Debug)]
pub struct SyncOutcome {
    pub lock: LockOutcome,
    pub plugins: Vec<SyncedPlugin>,
    pub dry_run: bool,
    /// The generation this sync created, if anything changed.
    pub generation: Option<u32>,
    pub current: Option<u32>,
    /// What changed (or, in a dry run, would change) in Claude Code's files.
    pub claude: Changes,
    /// False in a dry run whose plugins are not all fetched yet.
    pub claude_known: bool,
    /// Where it installed.
    pub scope: crate::scope::Scope,
    /// Held until `paii approve` (`[policy] require-approval`).
    pub awaiting: Vec<super::stage::approval::Awaiting>,
}

pub fn run(ctx: &Context, opts: &SyncOptions) -> Result<SyncOutcome, Error> {
    let offline = opts.offline || opts.frozen;
    let locked = opts.locked || opts.frozen;
    let manifest = ctx.load_manifest()?;
    let scope = ctx.scope_of(&manifest)?;
    let home = scope.home.clone();
    let _guard = ctx.lock_home("sync")?;
    let mut planned = plan_with(ctx, &manifest, None, offline)?;
    if locked && !planned.up_to_date {
        return Err(SyncError::LockWouldChange {
            path: planned.path.clone(),
            flag: if opts.frozen { "frozen" } else { "locked" },
            changes: LockDiff::between(planned.old.as_ref(), &planned.new).render().trim_end().to_string(),
        }
        .into());
    }
    if opts.dry_run {
        return dry_run(&scope, &manifest, planned);
    }

    let fetcher = Fetcher::for_manifest(&home, &manifest, offline);
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
    all_fetched(errors)?;
    let trees: Vec<PathBuf> = sources.iter().map(|s| s.path.clone()).collect();
    let awaiting = super::stage::approval::awaiting(manifest.policy.require_approval, &planned.new.plugins, &trees)?;
    for (i, _) in &awaiting {
        plugins[*i].held = true;
    }
    let awaiting: Vec<_> = awaiting.into_iter().map(|(_, a)| a).collect();
    // `--offline` and `--frozen` never reach a binary cache.
    let substitutes = if offline { Default::default() } else { manifest.cache.clone() };
    let manifests = build_all(ctx, &home, &sources, &mut plugins, opts.jobs, &substitutes)?;
    check_engines(ctx, &manifests)?;
    for ((p, pm), synced) in planned.new.plugins.iter().zip(&manifests).zip(&plugins) {
        if let Some(w) = registry_drift(p, pm) {
            (ctx.status)(&format!("warning: {w}"));
        }
        // What Claude Code ignores in a plugin.json, once: when it comes.
        if pm.native.is_some() && synced.fetched {
            ctx.warn_all(&pm.warnings);
        }
    }
    planned.text = planned.new.to_toml();
    planned.up_to_date = planned.old_text.as_deref() == Some(planned.text.as_str());
    if locked && !planned.up_to_date {
        return Err(SyncError::LockLacksIntegrity { path: planned.path.clone() }.into());
    }
    // Plan everything, then apply: the generation is assembled aside, names
    // that are the user's stop the sync before anything is switched, and
    // the lock is written and `current` switched only once it is complete.
    use sha2::Digest;
    let lock_hash = crate::store::integrity::hex(&sha2::Sha256::digest(planned.text.as_bytes()));
    let assembled =
        assemble(&scope, &manifest, &planned.new, plugins.iter().map(SyncedPlugin::generation_plugin).collect(), &manifests, lock_hash)?;
    for w in &assembled.warnings {
        (ctx.status)(&format!("warning: {w}"));
    }
    warn_of_secrets(ctx, &home, &manifests, &assembled.assembly.fragment.mcp_secrets)?;
    let assembly = assembled.assembly;
    let claude = scope.claude();
    claude.plan(&assembly.fragment).map_err(Error::from)?;
    scope.remember(&crate::util::paths::absolute(&manifest.file.path))?;
    let generations = scope.generations();
    generations.clean_temporaries()?;
    let content_hash = assembly.content_hash();
    let unchanged = generations
        .current()
        .and_then(|n| generations.header(n).ok())
        .is_some_and(|h| h.content_hash.as_deref() == Some(content_hash.as_str()));
    let generation = if unchanged { None } else { Some(generations.create(&assembly)?) };
    crate::util::fail::point("sync-before-lock").map_err(Error::io("cannot write", &planned.path))?;
    let lock = apply(planned)?;
    if let Some(n) = generation {
        crate::util::fail::point("sync-before-switch").map_err(Error::io("cannot switch", &scope.profile))?;
        generations.switch(n)?;
    }
    crate::util::fail::point("sync-before-claude").map_err(Error::io("cannot write", &claude.dir))?;
    let claude_changes = claude.apply(&assembly.fragment)?;
    for e in &claude_changes.foreign_edits {
        (ctx.status)(&format!(
            "warning: {e} was edited by hand; paii owns it and put its own value back (`paii doctor` reports such edits)"
        ));
    }
    Ok(SyncOutcome {
        lock,
        plugins,
        dry_run: false,
        generation,
        current: generations.current(),
        claude: claude_changes,
        claude_known: true,
        scope,
        awaiting,
    })
}

/// `--dry-run`: the lock's changes, what would be fetched, and, when every
/// plugin is already at hand, what Claude Code would see change.
fn dry_run(scope: &crate::scope::Scope, manifest: &Manifest, planned: Planned) -> Result<SyncOutcome, Error> {
    let store = Store::new(scope.home.join("store"));
    let mut at_hand = Vec::new();
    let plugins: Vec<SyncedPlugin> = planned
        .new
        .plugins
        .iter()
        .map(|p| {
            let present = p.integrity.and_then(|i| store.get(&i, &p.name, &p.version.to_string()));
            let tree = match (&p.source, &present) {
                (_, Some(e)) => Some(e.path.clone()),
                (LockedSource::Path { path }, None) => Some(crate::util::paths::expand(path, &manifest.dir)),
                _ => None,
            };
            at_hand.push(tree);
            SyncedPlugin {
                name: p.name.clone(),
                version: p.version.to_string(),
                source: describe(&p.source),
                fetched: present.is_none(),
                integrity: present.as_ref().map(|e| e.integrity),
                store_path: present.map(|e| e.path).unwrap_or_default(),
                build: None,
                built: false,
                provides: p.provides.iter().map(ToString::to_string).collect(),
                held: false,
            }
        })
        .collect();
    let mut awaiting = Vec::new();
    let mut claude = Changes::default();
    let mut claude_known = false;
    if let Some(trees) = at_hand.into_iter().collect::<Option<Vec<PathBuf>>>() {
        let manifests = trees
            .iter()
            .zip(&planned.new.plugins)
            .map(|(t, p)| PluginManifest::load_installed(t, &p.name))
            .collect::<Result<Vec<_>, _>>()?;
        // Builds have not run: a plugin is taken to have a command when it
        // says so or its build makes one.
        let runnable: Vec<bool> = manifests
            .iter()
            .map(|pm| {
                pm.run.is_some()
                    || matches!(pm.build.kind, crate::manifest::plugin::BuildType::Cargo | crate::manifest::plugin::BuildType::Uv)
            })
            .collect();
        let held_now = super::stage::approval::awaiting(manifest.policy.require_approval, &planned.new.plugins, &trees)?;
        let mut held = vec![false; trees.len()];
        for (i, a) in held_now {
            held[i] = true;
            awaiting.push(a);
        }
        let contributions = contributions(scope, manifest, &planned.new, &manifests, &trees, &runnable, &held)?;
        let fragment = Fragment::build(scope, &contributions)?;
        claude = scope.claude().plan(&fragment)?;
        claude_known = true;
    }
    let diff = LockDiff::between(planned.old.as_ref(), &planned.new);
    Ok(SyncOutcome {
        lock: LockOutcome { path: planned.path, lock: planned.new, diff, written: false },
        plugins,
        dry_run: true,
        generation: None,
        current: None,
        claude,
        claude_known,
        scope: scope.clone(),
        awaiting,
    })
}

/// How a registry entry's contracts, which the lock wired, differ from the
/// plugin.toml fetched (an entry in the upstream format lists none): said,
/// since a consumer may be left unwired.
fn registry_drift(p: &LockedPlugin, pm: &PluginManifest) -> Option<String> {
    if let Some(native) = &pm.native {
        return native_drift(p, native);
    }
    let registry = p.registry.as_deref()?;
    let names = |v: &[crate::manifest::contract::Provide]| {
        let mut v: Vec<String> = v.iter().map(|p| p.to_string()).collect();
        v.sort();
        v
    };
    let (entry, plugin) = (names(&p.provides), names(&pm.provides));
    let consumed: Vec<&String> = pm.consumes.keys().collect();
    let wired: Vec<&String> = p.wiring.keys().collect();
    let mut what = Vec::new();
    if entry != plugin {
        what.push(format!("provides [{}] but its plugin.toml [{}]", entry.join(", "), plugin.join(", ")));
    }
    if consumed != wired {
        let keys = |v: &[&String]| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
        what.push(format!("consumes {{{}}} but its plugin.toml {{{}}}", keys(&wired), keys(&consumed)));
    }
    (!what.is_empty()).then(|| {
        format!(
            "registry `{registry}` says {} {} {}; contracts are wired from the registry: bring its entry up to date (`paii registry validate --fetch` lists every difference), then `paii lock --update {}`",
            p.name,
            p.version,
            what.join(", and "),
            p.name
        )
    })
}

/// Refuses a Claude Code plugin whose `engines` range excludes the installed
/// client, as Claude Code would not load it; a range that does not parse,
/// or no client to ask, is a warning. The client is asked only when some
/// plugin has a range.
fn check_engines(ctx: &Context, manifests: &[PluginManifest]) -> Result<(), Error> {
    let ranged: Vec<(&str, &str)> =
        manifests.iter().filter_map(|pm| Some((pm.name.as_str(), pm.native.as_ref()?.engines.as_deref()?))).collect();
    if ranged.is_empty() {
        return Ok(());
    }
    let Some(client) = crate::claude::client::version() else {
        let names: Vec<&str> = ranged.iter().map(|(n, _)| *n).collect();
        (ctx.status)(&format!("warning: no Claude Code (`claude`) on PATH to check the `engines` of {} against", names.join(", ")));
        return Ok(());
    };
    for (plugin, range) in ranged {
        match crate::claude::client::parse_range(range) {
            None => (ctx.status)(&format!(
                "warning: `{plugin}`: `engines` range `{range}` does not parse; Claude Code loads the plugin regardless"
            )),
            Some(r) if !crate::claude::client::admits(&r, &client) => {
                return Err(SyncError::Engines { plugin: plugin.to_string(), range: range.to_string(), client: client.to_string() }.into());
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// A Claude Code plugin whose plugin.json names it or versions it other than
/// its marketplace entry and the lock: installed as the entry says (as
/// Claude Code installs it), its components namespaced by plugin.json's
/// name.
fn native_drift(p: &LockedPlugin, native: &crate::manifest::native::NativeManifest) -> Option<String> {
    let mut what = Vec::new();
    if native.name != p.name {
        what.push(format!(
            "names it `{}` (Claude Code installs it as `{}` and namespaces its components `{}:`)",
            native.name, p.name, native.name
        ));
    }
    if let Some(v) = native.version.as_ref().filter(|v| **v != p.version) {
        what.push(format!("says version {v}, its marketplace entry and the lock {}", p.version));
    }
    (!what.is_empty()).then(|| format!("`{}`: its plugin.json {}", p.name, what.join(", and ")))
}

/// Says which declared secrets `.env` lacks (for hooks, actions and MCP
/// servers alike) and whether others can read it: a plugin that cannot
/// authenticate should say so when it is installed, not when it is used.
fn warn_of_secrets(
    ctx: &Context,
    home: &std::path::Path,
    manifests: &[PluginManifest],
    mcp_secrets: &indexmap::IndexMap<String, serde_json::Value>,
) -> Result<(), Error> {
    use crate::generation::secrets;
    let env_file = home.join(".env");
    let dotenv = secrets::read(&env_file)?;
    for m in secrets::missing(manifests, &dotenv, mcp_secrets) {
        (ctx.status)(&format!("warning: {}", m.describe(&env_file)));
    }
    if let Some(mode) = secrets::readable_by_others(&env_file) {
        (ctx.status)(&format!("warning: {}", secrets::exposed(&env_file, mode)));
    }
    Ok(())
}
