//! Plan, the first stage of a sync: paii.toml resolved against its
//! registries into a lock (what would change, and the lock written when it
//! does). `paii lock`, `paii sync` and `paii plugin` call it.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::diagnostic::SourceFile;
use crate::lock::{Lock, LockDiff, LockedPlugin, LockedSource};
use crate::manifest::Manifest;
use crate::manifest::Requested;
use crate::ops::{Context, Error, StateError};
use crate::resolve::DirectPlugin;
use crate::resolve::{self, PubGrubSolver, Request, Update};
use crate::source::Fetcher;
use crate::source::git::GitSpec;
use crate::util::fs::atomic_write;
use std::collections::BTreeMap;

#[derive(Debug)]
pub struct LockOutcome {
    pub path: PathBuf,
    pub lock: Lock,
    pub diff: LockDiff,
    /// Whether paii.lock was (re)written.
    pub written: bool,
}

/// Makes `planned` complete before it is written, so that `sync --locked`
/// takes it as it is: a plugin no registry pins an integrity for is fetched
/// once (into the store, where the sync finds it) to learn it.
pub(crate) fn learn_integrity(ctx: &Context, manifest: &Manifest, planned: &mut Planned) -> Result<(), Error> {
    let lacking: Vec<usize> = (0..planned.new.plugins.len()).filter(|&i| super::fetch::lacks_integrity(&planned.new.plugins[i])).collect();
    if lacking.is_empty() {
        return Ok(());
    }
    let fetcher = crate::source::Fetcher::for_manifest(&crate::util::paths::paii_home(), manifest, false);
    let todo: Vec<_> = lacking.iter().map(|&i| planned.new.plugins[i].clone()).collect();
    let mut errors = Vec::new();
    for (&i, result) in lacking.iter().zip(super::fetch::fetch_all(ctx, &fetcher, &todo, 8)) {
        match result {
            Ok(f) => super::fetch::learn(&mut planned.new.plugins[i], &f),
            Err(e) => errors.push(e),
        }
    }
    super::fetch::all_fetched(errors)?;
    planned.text = planned.new.to_toml();
    planned.up_to_date = planned.old_text.as_deref() == Some(planned.text.as_str());
    Ok(())
}

/// A resolved lock, not yet written.
pub struct Planned {
    pub path: PathBuf,
    /// The lock's text when it was read.
    pub old_text: Option<String>,
    pub old: Option<Lock>,
    pub new: Lock,
    pub text: String,
    /// The file on disk already holds exactly `text`.
    pub up_to_date: bool,
}

impl Planned {
    pub(crate) fn into_outcome(self) -> LockOutcome {
        LockOutcome { diff: LockDiff::between(self.old.as_ref(), &self.new), path: self.path, lock: self.new, written: false }
    }

    pub(crate) fn out_of_date_message(&self) -> String {
        let diff = LockDiff::between(self.old.as_ref(), &self.new);
        match (&self.old, diff.is_empty()) {
            (None, _) => format!("{} is missing; `paii lock` would create it with:\n{}", self.path.display(), diff.render()),
            (Some(_), true) => format!("{} is not in canonical form; `paii lock` would rewrite it", self.path.display()),
            (Some(_), false) => format!("{} is out of date; `paii lock` would change:\n{}", self.path.display(), diff.render()),
        }
        .trim_end()
        .to_string()
    }
}

/// Resolves `manifest` (keeping locked versions unless `update` names them)
/// without touching the disk.
pub fn plan(ctx: &Context, manifest: &Manifest, update: Option<&[String]>) -> Result<Planned, Error> {
    plan_with(ctx, manifest, update, false)
}

/// [`plan`], saying whether the network may be used (to resolve a git
/// branch or tag to its commit).
/// [`plan`], checked against `[policy]` before anything is fetched: its
/// registries before they are read, the lock's sources before any of them
/// is fetched.
pub fn plan_with(ctx: &Context, manifest: &Manifest, update: Option<&[String]>, offline: bool) -> Result<Planned, Error> {
    let name = manifest.file.name.as_str();
    manifest.policy.check_manifest(manifest)?;
    let planned = plan_unchecked(ctx, manifest, update, offline)?;
    manifest.policy.check_lock(&planned.new, name)?;
    Ok(planned)
}

fn plan_unchecked(ctx: &Context, manifest: &Manifest, update: Option<&[String]>, offline: bool) -> Result<Planned, Error> {
    let path = manifest.lock_path();
    // Read as every input is (a byte-order mark is not a change), so that a
    // lock an editor saved with one is the same lock under --locked.
    let old_text = match crate::diagnostic::read_text(&path) {
        Ok(text) => Some(text),
        Err(e) if e.is_not_found() => None,
        Err(e) => {
            return Err(e
                .into_spanned(None)
                .with_help("paii.lock is written by paii only; restore it from version control, or delete it and run `paii lock`")
                .into());
        }
    };
    let old = match &old_text {
        Some(text) => Some(Lock::parse(&SourceFile::new(&path, text.as_str()))?),
        None => None,
    };
    let update = match update {
        None => Update::Nothing,
        Some([]) => Update::All,
        Some(names) => {
            for n in names {
                if manifest.plugin(n).is_none() {
                    return Err(StateError::not_requested(n, &manifest.file.name, manifest.plugins.iter().map(|p| p.name.as_str())).into());
                }
            }
            Update::Only(names.iter().cloned().collect::<BTreeSet<_>>())
        }
    };
    // A lock that already satisfies paii.toml is kept as it is, without
    // reading a registry: a locked sync needs no registry fetch.
    if let Some(old) = &old
        && update == Update::Nothing
        && satisfies(old, manifest)
    {
        crate::debug!("{} satisfies {}; registries not read", path.display(), manifest.file.name);
        let new = old.clone();
        let text = new.to_toml();
        return Ok(Planned { up_to_date: old_text.as_deref() == Some(text.as_str()), path, old_text, old: Some(new.clone()), new, text });
    }
    let mut index = ctx.load_index_with(manifest, offline)?;
    learn_versions(&mut index, manifest, old.as_ref(), &update, offline);
    let cutoff = crate::ops::min_age_cutoff(manifest);
    if cutoff.is_some() {
        let seeds = manifest.plugins.iter().filter(|p| matches!(p.source, Requested::Registry { .. })).map(|p| p.name.clone());
        learn_dates(&mut index, seeds, old.as_ref(), offline);
    }
    let direct = fetch_direct(ctx, manifest, old.as_ref(), &update, offline, cutoff)?;
    let mut new;
    // A marketplace plugin kept outside its marketplace may declare
    // dependencies only in its own plugin.json, known once its commit is:
    // resolve again with them until nothing new is learned.
    let mut rounds = 0;
    loop {
        let request = Request {
            manifest,
            index: &index,
            locked: old.as_ref(),
            update: update.clone(),
            solver: &PubGrubSolver,
            direct: &direct,
            cutoff,
        };
        let resolved = resolve::resolve(&request)?;
        ctx.warn_all(&resolved.warnings);
        new = resolved.lock;
        complete(&mut new, old.as_ref(), &update, offline)?;
        rounds += 1;
        if rounds > 8 || !learn_dependencies(&mut index, &new) {
            break;
        }
    }
    // What `paii approve` recorded is checked against each tree at sync.
    if let Some(o) = &old {
        for p in &mut new.plugins {
            p.approved = o.plugin(&p.name).and_then(|q| q.approved);
        }
    }
    new.registries = match &old {
        // Same plugins: the registries they were resolved against still stand.
        Some(o) if o.plugins == new.plugins => o.registries.clone(),
        _ => registry_records(manifest, &index, &new),
    };
    // What `paii audit` pinned is not resolution's to change.
    new.audit_databases = old.as_ref().map(|o| o.audit_databases.clone()).unwrap_or_default();
    let text = new.to_toml();
    Ok(Planned { up_to_date: old_text.as_deref() == Some(text.as_str()), path, old_text, old, new, text })
}

/// The registries the locked plugins came from, as they are now.
fn registry_records(manifest: &Manifest, index: &crate::registry::Index, lock: &Lock) -> Vec<crate::lock::LockedRegistry> {
    let used: std::collections::BTreeSet<&str> = lock.plugins.iter().filter_map(|p| p.registry.as_deref()).collect();
    used.into_iter()
        .filter_map(|name| {
            let r = index.registry(name)?;
            let decl = manifest.registries.iter().find(|d| d.name == name)?;
            Some(crate::lock::LockedRegistry {
                name: name.to_string(),
                source: decl.source.to_string(),
                commit: r.commit.clone(),
                hash: r.hash,
            })
        })
        .collect()
}

/// Whether `lock` already gives paii.toml what it asks for: the same plugins,
/// each from where it is asked for, at a version its requirement admits, with
/// every wiring choice honoured and every git source at a commit; a path
/// plugin's plugin.toml is read again and must still match.
pub(crate) fn satisfies(lock: &Lock, manifest: &Manifest) -> bool {
    // Every locked plugin is wanted: asked for, or needed by one that is.
    let mut wanted: std::collections::BTreeSet<&str> = manifest.plugins.iter().map(|p| p.name.as_str()).collect();
    let mut queue: Vec<&str> = wanted.iter().copied().collect();
    while let Some(name) = queue.pop() {
        for dep in lock.plugin(name).into_iter().flat_map(|p| p.dependencies.keys()) {
            if wanted.insert(dep) {
                queue.push(dep);
            }
        }
    }
    if wanted.len() != lock.plugins.len() || lock.plugins.iter().any(|p| !wanted.contains(p.name.as_str())) {
        return false;
    }
    let exact = lock.plugins.iter().all(|p| {
        let at_commit = !matches!(&p.source, LockedSource::Git { commit: None, .. });
        let registry_known = p.registry.as_ref().is_none_or(|r| manifest.registries.iter().any(|d| &d.name == r));
        let deps_met = p.dependencies.iter().all(|(dep, req)| {
            lock.plugin(dep).is_some_and(|have| {
                semver::VersionReq::parse(req).is_ok_and(|r| r.matches(&crate::manifest::version::precedence(&have.version)))
            })
        });
        at_commit && registry_known && deps_met
    });
    let each = manifest.plugins.iter().all(|want| {
        let Some(have) = lock.plugin(&want.name) else { return false };
        match &want.source {
            Requested::Registry { req, registry } => {
                have.registry
                    .as_ref()
                    .is_some_and(|r| registry.as_ref().is_none_or(|want| want == r) && manifest.registries.iter().any(|d| &d.name == r))
                    && req.matches(&crate::manifest::version::precedence(&have.version))
            }
            Requested::Git { url, rev, subdir } => matches!(
                &have.source,
                LockedSource::Git { url: u, rev: r, .. } if *u == crate::util::url::redact(url) && r == rev && have.subdir == *subdir
            ),
            Requested::Url { url, integrity } => {
                matches!(&have.source, LockedSource::Tarball { url: u, .. } if *u == crate::util::url::redact(url))
                    && integrity.is_none_or(|i| have.integrity == Some(i))
            }
            Requested::Oci { repo, tag, digest } => matches!(
                &have.source,
                LockedSource::Oci { repo: r, tag: t, digest: d } if r == repo && t == tag && (digest.is_none() || d == digest)
            ),
            // A path plugin is the same when its manifest still says
            // what the lock recorded.
            Requested::Path { path, written } => {
                have.source == LockedSource::Path { path: written.clone() }
                    && crate::manifest::PluginManifest::load_dir(path).is_ok_and(|pm| {
                        let needs = pm.native.as_ref().map(|n| crate::resolve::needs(&n.dependencies)).unwrap_or_default();
                        pm.version == have.version
                            && pm.provides == have.provides
                            && pm.consumes.keys().eq(have.wiring.keys())
                            && needs == have.dependencies
                    })
            }
        }
    });
    let wiring = manifest
        .wiring
        .iter()
        .all(|(consumer, keys)| lock.plugin(consumer).is_some_and(|p| keys.iter().all(|(k, v)| p.wiring.get(k) == Some(v))));
    let wired =
        lock.plugins.iter().all(|p| p.wiring.values().all(|v| v == crate::manifest::version::NO_PROVIDER || lock.plugin(v).is_some()));
    exact && each && wiring && wired
}

/// Fetches the plugins paii.toml asks for straight from git or a tarball,
/// so that resolution can read their plugin.toml. A plugin whose source is
/// unchanged since the lock is taken at its locked commit and hash.
fn fetch_direct(
    ctx: &Context,
    manifest: &Manifest,
    old: Option<&Lock>,
    update: &Update,
    offline: bool,
    cutoff: Option<i64>,
) -> Result<BTreeMap<String, DirectPlugin>, Error> {
    let mut out = BTreeMap::new();
    let wanted: Vec<_> = manifest
        .plugins
        .iter()
        .filter(|p| matches!(p.source, Requested::Git { .. } | Requested::Url { .. } | Requested::Oci { .. }))
        .collect();
    if wanted.is_empty() {
        return Ok(out);
    }
    let fetcher = Fetcher::for_manifest(&crate::util::paths::paii_home(), manifest, offline);
    let mut published = BTreeMap::new();
    for p in wanted {
        let prior = old.filter(|_| !update.allows(&p.name)).and_then(|l| l.plugin(&p.name));
        let (mut source, subdir, given) = match &p.source {
            Requested::Git { url, rev, subdir } => {
                let url = crate::util::url::redact(url);
                let mut commit = prior.and_then(|o| match &o.source {
                    LockedSource::Git { url: u, rev: r, commit } if *u == url && r == rev && o.subdir == *subdir => commit.clone(),
                    _ => None,
                });
                if let Some(cutoff) = cutoff {
                    // A branch gives its newest commit old enough; a tag or a
                    // commit is an exact pin.
                    let spec = GitSpec { name: &p.name, url: url_of(&p.source), rev: rev.as_deref(), commit: commit.as_deref() };
                    let aged = crate::source::git::resolve_aged(&spec, &fetcher.cache, offline, cutoff)?;
                    let now = crate::util::time::now_secs();
                    if let Some((tip, time)) = &aged.skipped {
                        (ctx.status)(&format!(
                            "{}: {} of `{}` is {} old, younger than [policy] min-release-age; locking {} ({} old)",
                            p.name,
                            &tip[..12.min(tip.len())],
                            rev.as_deref().unwrap_or("HEAD"),
                            crate::util::time::ago(*time, now),
                            &aged.commit[..12.min(aged.commit.len())],
                            crate::util::time::ago(aged.time, now)
                        ));
                    } else if aged.time > cutoff && commit.is_none() {
                        ctx.warn_all(&[manifest.file.warning(
                            Some(p.span.clone()),
                            format!(
                                "{} at `{}` was committed {} ago, more recently than [policy] min-release-age allows; installed because paii.toml pins it exactly",
                                p.name,
                                rev.as_deref().unwrap_or_default(),
                                crate::util::time::ago(aged.time, now)
                            ),
                        )]);
                    }
                    published.insert(p.name.clone(), aged.time);
                    commit = Some(aged.commit);
                }
                (LockedSource::Git { url, rev: rev.clone(), commit }, subdir.clone(), None)
            }
            Requested::Url { url, integrity } => {
                (LockedSource::Tarball { url: crate::util::url::redact(url), digest: None }, None, *integrity)
            }
            Requested::Oci { repo, tag, digest } => {
                // A locked digest is kept until `lock --update`.
                let locked = digest.clone().or_else(|| {
                    prior.and_then(|o| match &o.source {
                        LockedSource::Oci { repo: r, tag: t, digest } if r == repo && t == tag => digest.clone(),
                        _ => None,
                    })
                });
                (LockedSource::Oci { repo: repo.clone(), tag: tag.clone(), digest: locked }, None, None)
            }
            _ => continue,
        };
        let integrity = given.or_else(|| prior.filter(|o| o.source == source).and_then(|o| o.integrity));
        let fetched = fetcher.fetch_unlocked(&p.name, &source, subdir.as_deref(), integrity.as_ref())?;
        match (&mut source, &fetched.commit) {
            (LockedSource::Git { commit, .. }, Some(id)) => *commit = Some(id.clone()),
            (LockedSource::Oci { digest, .. }, Some(id)) => *digest = Some(id.clone()),
            _ => {}
        }
        let mut pm = crate::manifest::PluginManifest::load_dir(&fetched.entry.path)?;
        pm.warnings.clear();
        if pm.unversioned {
            // A Claude Code plugin without a version is named by what it is:
            // its commit, or the digest of its archive.
            let id = fetched.commit.clone().unwrap_or_else(|| fetched.entry.integrity.hex());
            pm.version = crate::manifest::version::unversioned(&id);
        }
        let published = published.get(&p.name).copied();
        out.insert(p.name.clone(), DirectPlugin { source, subdir, integrity: Some(fetched.entry.integrity), manifest: pm, published });
    }
    Ok(out)
}

/// The URL of a git request, credentials and all (they are needed to fetch).
fn url_of(source: &Requested) -> &str {
    match source {
        Requested::Git { url, .. } => url,
        _ => "",
    }
}

/// With `[policy] min-release-age`: when each registry entry a resolution
/// can reach from `seeds` was published, for the entries that do not say:
/// a git entry's last change to its plugin's directory, at the commit the
/// old lock has for that version when it has one (each repository fetched
/// at most once).
pub(crate) fn learn_dates(index: &mut crate::registry::Index, seeds: impl IntoIterator<Item = String>, old: Option<&Lock>, offline: bool) {
    let mut names: BTreeSet<String> = seeds.into_iter().collect();
    loop {
        let before = names.len();
        let deps: Vec<String> = index
            .registries
            .iter()
            .flat_map(|r| &r.entries)
            .filter(|e| names.contains(&e.name))
            .flat_map(|e| e.dependencies.iter().map(|d| d.name.clone()))
            .collect();
        names.extend(deps);
        if names.len() == before {
            break;
        }
    }
    let cache = crate::util::paths::paii_home().join("cache");
    let mut fetched = BTreeSet::new();
    for registry in &mut index.registries {
        let reg = registry.name.clone();
        for e in registry.entries.iter_mut().filter(|e| e.published.is_none() && names.contains(&e.name)) {
            let crate::registry::EntrySource::Git { url, rev } = &e.source else { continue };
            let locked =
                old.and_then(|l| l.plugin(&e.name)).filter(|p| p.version == e.version && p.registry.as_deref() == Some(reg.as_str()));
            let commit = locked.and_then(|p| match &p.source {
                LockedSource::Git { commit, .. } => commit.clone(),
                _ => None,
            });
            let first = fetched.insert(url.clone());
            let spec = GitSpec { name: &e.name, url, rev: rev.as_deref(), commit: commit.as_deref() };
            match crate::source::git::path_time(&spec, &cache, offline || !first, e.subdir.as_deref()) {
                Ok((_, time)) => e.published = Some(time),
                Err(err) => crate::debug!("{} {}: no publish date: {err}", e.name, e.version),
            }
        }
    }
}

/// Fills in what resolution alone does not know: the commit and integrity
/// an unchanged plugin had in the old lock (a locked commit is never
/// re-resolved), and the commit of a branch or tag that is new.
fn complete(new: &mut Lock, old: Option<&Lock>, update: &Update, offline: bool) -> Result<(), Error> {
    let cache = crate::util::paths::paii_home().join("cache");
    for p in &mut new.plugins {
        // `--update` moves a branch to its newest commit.
        let keep = old.filter(|_| !update.allows(&p.name)).and_then(|l| l.plugin(&p.name));
        if let Some(o) = keep.filter(|o| same_origin(o, p)) {
            if unpinned(&p.version) {
                p.version = o.version.clone();
            }
            // The locked commit and the hash of its tree belong together:
            // a hash the registry gives for a moving branch says nothing
            // about the commit that stays locked.
            if let (LockedSource::Git { commit: c @ None, .. }, LockedSource::Git { commit: Some(oc), .. }) = (&mut p.source, &o.source) {
                *c = Some(oc.clone());
                p.integrity = o.integrity;
            } else if p.integrity.is_none() && !matches!(p.source, LockedSource::Path { .. }) {
                p.integrity = o.integrity;
            }
        }
        if let LockedSource::Git { url, rev, commit: None } = &p.source {
            let spec = GitSpec { name: &p.name, url, rev: rev.as_deref(), commit: None };
            let id = crate::source::git::resolve(&spec, &cache, offline)?;
            if unpinned(&p.version) {
                p.version = version_at(url, &id, p.subdir.as_deref(), &cache);
            }
            if let LockedSource::Git { commit, .. } = &mut p.source {
                *commit = Some(id);
            }
        }
        // An entry pinned to a commit of its own (`sha`) is read there too,
        // once that commit is in the cache.
        if let (true, LockedSource::Git { url, rev, commit: Some(id) }) = (unpinned(&p.version), &p.source) {
            let spec = GitSpec { name: &p.name, url, rev: rev.as_deref(), commit: Some(id) };
            crate::source::git::resolve(&spec, &cache, offline)?;
            p.version = version_at(url, id, p.subdir.as_deref(), &cache);
        }
    }
    Ok(())
}

/// Gives each marketplace plugin that paii.toml requests from git without a
/// version (its plugin.json is not in the marketplace) the version its
/// plugin.json has at the commit its ref names now, so that a requirement
/// such as `^1` is resolved against it, as Claude Code versions the plugin.
/// One that cannot be reached keeps its placeholder (`lock` pins it later,
/// or says why it cannot); one the lock holds keeps its locked version
/// unless it is being updated.
fn learn_versions(index: &mut crate::registry::Index, manifest: &Manifest, old: Option<&Lock>, update: &Update, offline: bool) {
    let cache = crate::util::paths::paii_home().join("cache");
    for registry in &mut index.registries {
        for e in registry.entries.iter_mut().filter(|e| unpinned(&e.version) && manifest.plugin(&e.name).is_some()) {
            let kept = old.filter(|_| !update.allows(&e.name)).and_then(|l| l.plugin(&e.name));
            if let Some(o) = kept.filter(|o| o.registry.as_deref() == Some(registry.name.as_str())) {
                e.version = o.version.clone();
                continue;
            }
            let crate::registry::EntrySource::Git { url, rev } = &e.source else { continue };
            let spec = GitSpec { name: &e.name, url, rev: rev.as_deref(), commit: None };
            let Ok(commit) = crate::source::git::resolve(&spec, &cache, offline) else { continue };
            let version = plugin_json_at(url, &commit, e.subdir.as_deref(), &cache)
                .and_then(|doc| doc.get("version").and_then(|v| v.as_str()).and_then(|v| semver::Version::parse(v).ok()));
            if let Some(v) = version {
                e.version = v;
            }
        }
    }
}

/// Adds to `index` the dependencies that the plugin.json of each locked
/// marketplace plugin from git declares and its entry does not; true when
/// any was new.
fn learn_dependencies(index: &mut crate::registry::Index, lock: &Lock) -> bool {
    let cache = crate::util::paths::paii_home().join("cache");
    let mut learned = false;
    for p in &lock.plugins {
        let (Some(reg), LockedSource::Git { url, commit: Some(commit), .. }) = (&p.registry, &p.source) else { continue };
        let Some(registry) = index.registries.iter_mut().find(|r| &r.name == reg) else { continue };
        // Only marketplace entries carry an overlay; paii's own registries
        // list a plugin's dependencies themselves.
        if !registry.entries.iter().any(|e| e.name == p.name && e.overlay.is_some()) {
            continue;
        }
        let Some(doc) = plugin_json_at(url, commit, p.subdir.as_deref(), &cache) else { continue };
        let declared: Vec<_> = doc
            .get("dependencies")
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
            .filter_map(|d| crate::manifest::native::dependency_from_json(d).ok())
            .collect();
        for e in registry.entries.iter_mut().filter(|e| e.name == p.name && e.overlay.is_some()) {
            for dep in &declared {
                if !e.dependencies.iter().any(|have| have.name == dep.name) {
                    e.dependencies.push(dep.clone());
                    learned = true;
                }
            }
        }
    }
    learned
}

/// A marketplace plugin that names no version, not yet at a commit.
fn unpinned(v: &semver::Version) -> bool {
    v.build.as_str() == crate::registry::marketplace::UNPINNED
}

/// The version of a marketplace plugin that its entry does not name: its
/// plugin.json's at `commit`, else `0.0.0+<commit>`, as Claude Code
/// versions it.
fn version_at(url: &str, commit: &str, subdir: Option<&str>, cache: &std::path::Path) -> semver::Version {
    plugin_json_at(url, commit, subdir, cache)
        .and_then(|doc| doc.get("version").and_then(|v| v.as_str()).and_then(|v| semver::Version::parse(v).ok()))
        .unwrap_or_else(|| crate::manifest::version::unversioned(commit))
}

/// The plugin.json of a plugin in `subdir` of a cached git repository at
/// `commit`, when it has one.
fn plugin_json_at(url: &str, commit: &str, subdir: Option<&str>, cache: &std::path::Path) -> Option<serde_json::Value> {
    let path = match subdir {
        Some(s) => format!("{s}/{}", crate::manifest::native::PLUGIN_JSON),
        None => crate::manifest::native::PLUGIN_JSON.to_string(),
    };
    serde_json::from_str(&crate::source::git::cached_text(url, commit, &path, cache)?).ok()
}

/// Whether two locked entries come from the same place (so that what was
/// learned about one holds for the other). A marketplace plugin without a
/// version is known by its source alone.
fn same_origin(old: &LockedPlugin, new: &LockedPlugin) -> bool {
    (old.version == new.version || unpinned(&new.version))
        && old.registry == new.registry
        && old.subdir == new.subdir
        && match (&old.source, &new.source) {
            (LockedSource::Git { url: u1, rev: r1, commit: c1 }, LockedSource::Git { url: u2, rev: r2, commit: c2 }) => {
                u1 == u2 && r1 == r2 && (c2.is_none() || c1 == c2)
            }
            (a, b) => a == b,
        }
}

/// Writes a planned lock if it changed.
pub fn apply(planned: Planned) -> Result<LockOutcome, Error> {
    if planned.up_to_date {
        return Ok(planned.into_outcome());
    }
    atomic_write(&planned.path, planned.text.as_bytes()).map_err(Error::io("cannot write", &planned.path))?;
    Ok(LockOutcome { written: true, ..planned.into_outcome() })
}
