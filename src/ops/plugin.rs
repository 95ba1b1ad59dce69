//! `paii plugin install|remove|info|list`.

use serde::Serialize;
use toml_edit::{InlineTable, Item, Value};

use super::stage::plan::{LockOutcome, apply, learn_integrity, plan};
use super::{Context, Error, StateError, read_for_edit, table_mut, write_if_unchanged};
use crate::diagnostic::SourceFile;
use crate::lock::Lock;
use crate::manifest::version::{is_valid_plugin_name, paii_version, parse_req};
use crate::manifest::{Manifest, Requested};

/// What `paii plugin install` was asked to add.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PluginError {
    #[error("`{requirement}` is not a version requirement: {reason}")]
    InvalidRequirement { requirement: String, reason: String },
    #[error("no registry has a plugin named `{name}`")]
    NotInAnyRegistry {
        name: String,
        #[help]
        help: Option<String>,
    },
    #[error("`{name}` has no version that this paii {running} can use")]
    NoUsableVersion { name: String, running: String },
}

#[derive(Debug, Default, Clone)]
pub struct InstallSpec {
    /// `NAME` or `NAME@REQ`.
    pub name: String,
    pub registry: Option<String>,
    pub git: Option<String>,
    pub rev: Option<String>,
    pub path: Option<String>,
    pub url: Option<String>,
    pub integrity: Option<String>,
}

#[derive(Debug)]
pub struct EditOutcome {
    pub name: String,
    /// The value now in paii.toml (`"^1.2.0"`, `{ path = "..." }`), or None when removed.
    pub entry: Option<String>,
    pub lock: LockOutcome,
}

pub fn install(ctx: &Context, spec: &InstallSpec) -> Result<EditOutcome, Error> {
    let (name, req) = match spec.name.split_once('@') {
        Some((n, r)) => (n.to_string(), Some(r.to_string())),
        None => (spec.name.clone(), None),
    };
    if !is_valid_plugin_name(&name) {
        return Err(StateError::InvalidName { name }.into());
    }
    if let Some(r) = &req {
        parse_req(r).map_err(|reason| PluginError::InvalidRequirement { requirement: r.clone(), reason })?;
    }
    let path = ctx.manifest_path();
    let (file, mut doc) = read_for_edit(&path)?;

    // Credentials belong in ~/.netrc or a git credential helper, never in
    // paii.toml (which is committed).
    let redacted = |u: &Option<String>| u.as_deref().map(crate::util::url::redact);
    let spec = &InstallSpec { git: redacted(&spec.git), url: redacted(&spec.url), ..spec.clone() };
    let value: Value = if let Some(p) = &spec.path {
        if spec.git.is_some() {
            inline(&[("git", spec.git.as_deref()), ("rev", spec.rev.as_deref()), ("path", Some(p))])
        } else {
            inline(&[("path", Some(p))])
        }
    } else if let Some(url) = &spec.url {
        inline(&[("url", Some(url)), ("integrity", spec.integrity.as_deref())])
    } else if let Some(git) = &spec.git {
        inline(&[("git", Some(git)), ("rev", spec.rev.as_deref())])
    } else {
        let req = match req {
            Some(r) => r,
            None => newest_caret(ctx, &file, &name, spec.registry.as_deref())?,
        };
        match &spec.registry {
            Some(r) => inline(&[("version", Some(&req)), ("registry", Some(r))]),
            None => Value::from(req),
        }
    };
    let entry = value.to_string().trim().to_string();
    let plugins = table_mut(&mut doc, "plugins")?;
    match plugins.get_mut(&name) {
        Some(item) => *item = Item::Value(value),
        None => {
            plugins.insert(&name, Item::Value(value));
        }
    }
    finish(ctx, &file, doc, name, Some(entry))
}

pub fn remove(ctx: &Context, name: &str) -> Result<EditOutcome, Error> {
    let path = ctx.manifest_path();
    let (file, mut doc) = read_for_edit(&path)?;
    let removed = doc.get_mut("plugins").and_then(Item::as_table_like_mut).and_then(|t| t.remove(name));
    if removed.is_none() {
        let manifest = Manifest::parse(file.clone())?;
        return Err(StateError::not_requested(name, &file.name, manifest.plugins.iter().map(|p| p.name.as_str())).into());
    }
    // Its wiring choices would now name a missing plugin.
    if let Some(w) = doc.get_mut("wiring").and_then(Item::as_table_like_mut) {
        w.remove(name);
    }
    finish(ctx, &file, doc, name.to_string(), None)
}

/// Checks the edited manifest by resolving it, then writes paii.toml and
/// paii.lock; nothing is written when resolution fails.
fn finish(
    ctx: &Context,
    file: &SourceFile,
    doc: toml_edit::DocumentMut,
    name: String,
    entry: Option<String>,
) -> Result<EditOutcome, Error> {
    let text = doc.to_string();
    let manifest = Manifest::parse(SourceFile::new(&file.path, text.as_str()))?;
    ctx.warn_all(&manifest.warnings);
    let _guard = ctx.lock_home("plugin install/remove")?;
    let mut planned = plan(ctx, &manifest, Some(std::slice::from_ref(&name)).filter(|_| entry.is_some()))?;
    learn_integrity(ctx, &manifest, &mut planned)?;
    // Another paii may have changed paii.toml between reading and locking.
    write_if_unchanged(file, &text)?;
    let lock = apply(planned)?;
    Ok(EditOutcome { name, entry, lock })
}

fn inline(pairs: &[(&str, Option<&str>)]) -> Value {
    let mut t = InlineTable::new();
    for (k, v) in pairs {
        if let Some(v) = v {
            t.insert(*k, Value::from(*v));
        }
    }
    Value::InlineTable(t)
}

/// `^X.Y.Z` of the newest usable version of `name`.
fn newest_caret(ctx: &Context, file: &SourceFile, name: &str, registry: Option<&str>) -> Result<String, Error> {
    let manifest = Manifest::parse(file.clone())?;
    let mut index = ctx.load_index(&manifest)?;
    let running = paii_version();
    // Not a version `[policy] min-release-age` would refuse.
    let cutoff = super::min_age_cutoff(&manifest);
    if cutoff.is_some() {
        let old = crate::lock::Lock::load(&manifest.lock_path()).ok().flatten();
        super::stage::plan::learn_dates(&mut index, [name.to_string()], old.as_ref(), false);
    }
    let Some((_, versions)) = index.candidates(name, registry) else {
        let all = index.registries.iter().flat_map(|r| r.entries.iter().map(|e| e.name.as_str()));
        return Err(PluginError::NotInAnyRegistry { name: name.to_string(), help: crate::util::suggest::did_you_mean(name, all) }.into());
    };
    versions
        .iter()
        .filter(|e| !e.yanked && e.version.pre.is_empty())
        .filter(|e| e.core_version.as_ref().is_none_or(|r| r.matches(&running)))
        .filter(|e| {
            cutoff.is_none_or(|c| matches!(e.source, crate::registry::EntrySource::Path { .. }) || e.published.is_some_and(|t| t <= c))
        })
        .map(|e| &e.version)
        .max()
        .map(|v| format!("^{v}"))
        .ok_or_else(|| PluginError::NoUsableVersion { name: name.to_string(), running: running.to_string() }.into())
}

// ---- info and list ---------------------------------------------------------

#[derive(Debug, Serialize)]
pub struct ListedPlugin {
    pub name: String,
    pub version: String,
    pub registry: Option<String>,
    pub source: String,
    pub provides: Vec<String>,
    pub wiring: std::collections::BTreeMap<String, String>,
}

pub fn list(ctx: &Context) -> Result<Vec<ListedPlugin>, Error> {
    let manifest = ctx.load_manifest()?;
    let lock = require_lock(&manifest)?;
    Ok(lock.plugins.iter().map(ListedPlugin::from).collect())
}

impl From<&crate::lock::LockedPlugin> for ListedPlugin {
    fn from(p: &crate::lock::LockedPlugin) -> Self {
        ListedPlugin {
            name: p.name.clone(),
            version: p.version.to_string(),
            registry: p.registry.clone(),
            source: p.source.to_string(),
            provides: p.provides.iter().map(|p| p.to_string()).collect(),
            wiring: p.wiring.clone(),
        }
    }
}

/// The manifest and store entry of a locked plugin whose tree is in the store.
fn stored(p: &crate::lock::LockedPlugin, manifest: &Manifest) -> Option<(crate::manifest::PluginManifest, crate::store::StorePath)> {
    let home = crate::util::paths::paii_home();
    let store = crate::store::Store::new(home.join("store"));
    let version = p.version.to_string();
    let entry = match &p.source {
        crate::lock::LockedSource::Path { path } => {
            let dir = std::fs::canonicalize(crate::util::paths::expand(path, &manifest.dir)).ok()?;
            store.get(&crate::source::local::current_hash(&dir)?, &p.name, &version)?
        }
        _ => store.get(p.integrity.as_ref()?, &p.name, &version)?,
    };
    Some((crate::manifest::PluginManifest::load_installed(&entry.path, &p.name).ok()?, entry))
}

/// The run command of a stored plugin, resolved against its build output.
fn resolved_command(pm: &crate::manifest::PluginManifest, entry: &crate::store::StorePath) -> Option<Vec<String>> {
    let output = crate::build::Builder::for_home(&crate::util::paths::paii_home()).output(pm, entry).ok().flatten();
    Some(crate::build::resolve_command(pm, output.as_deref(), &entry.path)).filter(|c| !c.is_empty())
}

fn require_lock(manifest: &Manifest) -> Result<Lock, Error> {
    Ok(Lock::load(&manifest.lock_path())?.ok_or_else(|| StateError::NoLock { path: manifest.lock_path() })?)
}

#[derive(Debug, Serialize)]
pub struct PluginInfo {
    pub name: String,
    pub requested: String,
    pub hooks: bool,
    pub mcp: bool,
    pub description: Option<String>,
    pub locked: Option<ListedPlugin>,
    pub subdir: Option<String>,
    pub integrity: Option<String>,
    pub consumes: Vec<String>,
    pub available: Vec<AvailableVersion>,
    /// `[run] command`, resolved against the build output and the source
    /// (once the plugin is in the store).
    pub command: Option<Vec<String>>,
}

#[derive(Debug, Serialize)]
pub struct AvailableVersion {
    pub version: String,
    pub registry: String,
    pub yanked: bool,
    pub core_version: Option<String>,
}

pub fn info(ctx: &Context, name: &str) -> Result<PluginInfo, Error> {
    let manifest = ctx.load_manifest()?;
    let lock = Lock::load(&manifest.lock_path())?;
    // A plugin in the lock only as another's dependency is shown too.
    let dependents: Vec<&str> =
        lock.iter().flat_map(|l| &l.plugins).filter(|p| p.dependencies.contains_key(name)).map(|p| p.name.as_str()).collect();
    let locked_registry = lock.as_ref().and_then(|l| l.plugin(name)).and_then(|p| p.registry.as_deref());
    let request = manifest.plugin(name);
    if request.is_none() && dependents.is_empty() {
        return Err(StateError::not_requested(name, &manifest.file.name, manifest.plugins.iter().map(|p| p.name.as_str())).into());
    }
    let index = ctx.load_index(&manifest)?;
    let (requested, registry, from_registry) = match request.map(|r| &r.source) {
        Some(Requested::Registry { req, registry }) => (format!("{req}"), registry.as_deref(), true),
        Some(Requested::Git { url, rev, .. }) => (
            format!("git {}{}", crate::util::url::redact(url), rev.as_deref().map(|r| format!(" rev {r}")).unwrap_or_default()),
            None,
            false,
        ),
        Some(Requested::Path { written, .. }) => (format!("path {written}"), None, false),
        Some(Requested::Url { url, .. }) => (format!("tarball {}", crate::util::url::redact(url)), None, false),
        Some(Requested::Oci { repo, tag, digest }) => (
            format!(
                "oci {repo}{}{}",
                tag.as_deref().map(|t| format!(":{t}")).unwrap_or_default(),
                digest.as_deref().map(|d| format!("@{d}")).unwrap_or_default()
            ),
            None,
            false,
        ),
        None => (format!("as a dependency of {}", dependents.join(", ")), locked_registry, true),
    };
    let mut available = Vec::new();
    let mut description = None;
    let mut consumes = Vec::new();
    if from_registry && let Some((reg, mut versions)) = index.candidates(name, registry) {
        versions.sort_by(|a, b| b.version.cmp(&a.version));
        let locked_version = lock.as_ref().and_then(|l| l.plugin(name)).map(|p| &p.version);
        let shown = versions.iter().find(|e| Some(&e.version) == locked_version).or(versions.first());
        if let Some(e) = shown {
            description = Some(e.description.clone());
            consumes = e.consumes.iter().map(|(k, c)| format!("{k} = {c}{}", if c.optional { " (optional)" } else { "" })).collect();
        }
        available = versions
            .iter()
            .map(|e| AvailableVersion {
                version: e.version.to_string(),
                registry: reg.name.clone(),
                yanked: e.yanked,
                core_version: e.core_version.as_ref().map(|r| r.to_string()),
            })
            .collect();
    }
    let locked = lock.as_ref().and_then(|l| l.plugin(name));
    let stored = locked.and_then(|p| stored(p, &manifest));
    let command = stored.as_ref().and_then(|(pm, entry)| resolved_command(pm, entry));
    if description.is_none() {
        description = stored.as_ref().map(|(pm, _)| pm.description.clone()).filter(|d| !d.is_empty());
    }
    Ok(PluginInfo {
        command,
        name: name.to_string(),
        requested,
        hooks: request.is_none_or(|r| r.hooks),
        mcp: request.is_none_or(|r| r.mcp),
        description,
        subdir: locked.and_then(|p| p.subdir.clone()),
        integrity: locked.and_then(|p| p.integrity.map(|i| i.to_string())),
        locked: locked.map(ListedPlugin::from),
        consumes,
        available,
    })
}
