//! `paii registry list|add|remove|search|show|validate`.

use std::collections::BTreeMap;

use serde::Serialize;
use toml_edit::{InlineTable, Item, Value};

use super::{Context, Error, StateError, read_for_edit, table_mut, write_if_unchanged};
use crate::diagnostic::SourceFile;
use crate::manifest::version::is_valid_name;
use crate::manifest::{Manifest, Requested};
use crate::registry::EntrySource;
use crate::registry::fetch::{RegistryFetcher, RegistrySource};
use crate::registry::validate::{Report, validate as validate_file};

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum RegistryEditError {
    #[error("registry `{name}` is already in paii.toml")]
    #[diagnostic(help("remove it first with `paii registry remove {name}`"))]
    Exists { name: String },
    #[error("registry `{name}` is named by plugins {}", plugins.join(", "))]
    #[diagnostic(help("change or remove those plugins first"))]
    InUse { name: String, plugins: Vec<String> },
    #[error("give a registry URL or path, or `--git URL`")]
    NoLocation,
    /// paii.toml as edited does not declare it (a bug if ever seen).
    #[error("the registry `{name}` did not land in paii.toml")]
    NotAdded { name: String },
    #[error("`{location}` is not a registry URL: {reason}")]
    BadUrl { location: String, reason: String },
    /// Named as it was given, as compilers do.
    #[error("cannot read {location}: {source}")]
    Unreadable {
        location: String,
        #[source]
        source: std::io::Error,
    },
}

#[derive(Debug, Serialize)]
pub struct ListedRegistry {
    pub name: String,
    pub priority: usize,
    pub source: String,
    /// Plugin names it lists, or None when it could not be read.
    pub plugins: Option<usize>,
    pub error: Option<String>,
}

pub fn list(ctx: &Context) -> Result<Vec<ListedRegistry>, Error> {
    let manifest = ctx.load_manifest()?;
    Ok(manifest
        .registries
        .iter()
        .enumerate()
        .map(|(i, decl)| {
            // A broken registry is listed with its error, not hidden.
            let loaded = ctx.load_registry(decl, false, false).map_err(|e| e.to_string());
            let (plugins, error) = match loaded {
                Ok((r, _)) => {
                    let mut names: Vec<&str> = r.entries.iter().map(|e| e.name.as_str()).collect();
                    names.sort();
                    names.dedup();
                    (Some(names.len()), None)
                }
                Err(e) => (None, Some(e)),
            };
            ListedRegistry { name: decl.name.clone(), priority: i + 1, source: decl.source.to_string(), plugins, error }
        })
        .collect())
}

/// What `paii registry add` was given.
#[derive(Debug, Default, Clone)]
pub struct AddSpec {
    pub name: String,
    /// A URL (https, http, file) or, without a scheme, a local path.
    pub location: Option<String>,
    pub git: Option<String>,
    /// A Claude Code marketplace (git URL, owner/repo or directory).
    pub marketplace: Option<String>,
    pub rev: Option<String>,
    /// With `git`: the registry file inside the repository.
    pub path: Option<String>,
}

pub fn add(ctx: &Context, spec: &AddSpec) -> Result<ListedRegistry, Error> {
    if !is_valid_name(&spec.name) {
        return Err(StateError::InvalidName { name: spec.name.clone() }.into());
    }
    let path = ctx.manifest_path();
    let (file, mut doc) = read_for_edit(&path)?;
    let redacted = |u: &Option<String>| u.as_deref().map(crate::util::url::redact);
    let spec =
        &AddSpec { git: redacted(&spec.git), location: redacted(&spec.location), marketplace: redacted(&spec.marketplace), ..spec.clone() };
    let value = match (&spec.git, &spec.location) {
        (None, None) if spec.marketplace.is_some() => {
            let mut t = InlineTable::new();
            t.insert("marketplace", Value::from(spec.marketplace.as_deref().unwrap_or_default()));
            if let Some(r) = &spec.rev {
                t.insert("rev", Value::from(r.as_str()));
            }
            Value::InlineTable(t)
        }
        (Some(git), None) => {
            let mut t = InlineTable::new();
            t.insert("git", Value::from(git.as_str()));
            if let Some(p) = &spec.path {
                t.insert("path", Value::from(p.as_str()));
            }
            if let Some(r) = &spec.rev {
                t.insert("rev", Value::from(r.as_str()));
            }
            Value::InlineTable(t)
        }
        (None, Some(loc)) if loc.contains("://") => Value::from(loc.as_str()),
        (None, Some(loc)) => {
            let mut t = InlineTable::new();
            t.insert("path", Value::from(loc.as_str()));
            Value::InlineTable(t)
        }
        _ => return Err(RegistryEditError::NoLocation.into()),
    };
    let regs = table_mut(&mut doc, "registries")?;
    if regs.contains_key(&spec.name) {
        return Err(RegistryEditError::Exists { name: spec.name.clone() }.into());
    }
    regs.insert(&spec.name, Item::Value(value));
    let text = doc.to_string();
    let manifest = Manifest::parse(SourceFile::new(&file.path, text.as_str()))?;
    // Read it before committing to it.
    let Some(decl) = manifest.registries.iter().find(|d| d.name == spec.name) else {
        return Err(RegistryEditError::NotAdded { name: spec.name.clone() }.into());
    };
    let (registry, warnings) = ctx.load_registry(decl, false, true)?;
    ctx.warn_all(&warnings);
    let _guard = ctx.lock_home("registry add")?;
    write_if_unchanged(&file, &text)?;
    let mut names: Vec<&str> = registry.entries.iter().map(|e| e.name.as_str()).collect();
    names.sort();
    names.dedup();
    Ok(ListedRegistry {
        name: decl.name.clone(),
        priority: manifest.registries.len(),
        source: decl.source.to_string(),
        plugins: Some(names.len()),
        error: None,
    })
}

pub fn remove(ctx: &Context, name: &str) -> Result<(), Error> {
    let path = ctx.manifest_path();
    let (file, mut doc) = read_for_edit(&path)?;
    let manifest = Manifest::parse(file.clone())?;
    if !manifest.registries.iter().any(|d| d.name == name) {
        return Err(StateError::unknown_registry(name, manifest.registries.iter().map(|d| d.name.as_str())).into());
    }
    let pinned: Vec<&str> = manifest
        .plugins
        .iter()
        .filter(|p| matches!(&p.source, Requested::Registry { registry: Some(r), .. } if r == name))
        .map(|p| p.name.as_str())
        .collect();
    if !pinned.is_empty() {
        return Err(RegistryEditError::InUse { name: name.to_string(), plugins: pinned.iter().map(|p| p.to_string()).collect() }.into());
    }
    if let Some(regs) = doc.get_mut("registries").and_then(Item::as_table_like_mut) {
        regs.remove(name);
    }
    let text = doc.to_string();
    Manifest::parse(SourceFile::new(&file.path, text.as_str()))?;
    let _guard = ctx.lock_home("registry remove")?;
    write_if_unchanged(&file, &text)
}

#[derive(Debug, Serialize)]
pub struct SearchHit {
    pub name: String,
    pub version: String,
    pub registry: String,
    pub description: String,
    pub provides: Vec<String>,
}

pub fn search(ctx: &Context, query: &str) -> Result<Vec<SearchHit>, Error> {
    let manifest = ctx.load_manifest()?;
    let index = ctx.load_index(&manifest)?;
    Ok(index
        .search(query)
        .into_iter()
        .map(|(r, e)| SearchHit {
            name: e.name.clone(),
            version: e.version.to_string(),
            registry: r.name.clone(),
            description: e.description.clone(),
            provides: e.provides.iter().map(|p| p.to_string()).collect(),
        })
        .collect())
}

#[derive(Debug, Serialize)]
pub struct RegistryDetails {
    pub name: String,
    pub registry_name: String,
    pub description: String,
    pub source: String,
    pub plugins: Vec<RegistryPlugin>,
}

#[derive(Debug, Serialize)]
pub struct RegistryPlugin {
    pub name: String,
    pub description: String,
    /// Newest first.
    pub versions: Vec<String>,
    pub yanked: Vec<String>,
    pub source: String,
    pub provides: Vec<String>,
}

pub fn show(ctx: &Context, name: &str) -> Result<RegistryDetails, Error> {
    let manifest = ctx.load_manifest()?;
    let Some(decl) = manifest.registries.iter().find(|d| d.name == name) else {
        return Err(StateError::unknown_registry(name, manifest.registries.iter().map(|d| d.name.as_str())).into());
    };
    let (registry, warnings) = ctx.load_registry(decl, false, false)?;
    ctx.warn_all(&warnings);
    let mut by_name: BTreeMap<&str, Vec<&crate::registry::IndexEntry>> = BTreeMap::new();
    for e in &registry.entries {
        by_name.entry(&e.name).or_default().push(e);
    }
    let plugins = by_name
        .into_iter()
        .map(|(n, mut es)| {
            es.sort_by(|a, b| b.version.cmp(&a.version));
            let newest = es[0];
            RegistryPlugin {
                name: n.to_string(),
                description: newest.description.clone(),
                versions: es.iter().filter(|e| !e.yanked).map(|e| e.version.to_string()).collect(),
                yanked: es.iter().filter(|e| e.yanked).map(|e| e.version.to_string()).collect(),
                source: match &newest.source {
                    EntrySource::Git { url, .. } => crate::util::url::redact(url),
                    EntrySource::Tarball { url, .. } => crate::util::url::redact(url),
                    EntrySource::Path { path } => path.clone(),
                    EntrySource::Oci { repo, .. } => repo.clone(),
                },
                provides: newest.provides.iter().map(|p| p.to_string()).collect(),
            }
        })
        .collect();
    Ok(RegistryDetails {
        name: name.to_string(),
        registry_name: registry.meta.name.clone(),
        description: registry.meta.description.clone(),
        source: decl.source.to_string(),
        plugins,
    })
}

#[derive(Debug, Serialize)]
pub struct UpdatedRegistry {
    pub name: String,
    pub source: String,
    pub hash: String,
    pub commit: Option<String>,
    pub versions: usize,
}

/// `paii registry update [NAME...]`: fetches network registries again into
/// `$PAII_HOME/registries/`; local ones are only read.
pub fn update(ctx: &Context, names: &[String]) -> Result<Vec<UpdatedRegistry>, Error> {
    let manifest = ctx.load_manifest()?;
    for n in names {
        if !manifest.registries.iter().any(|d| &d.name == n) {
            return Err(StateError::unknown_registry(n, manifest.registries.iter().map(|d| d.name.as_str())).into());
        }
    }
    let _guard = ctx.lock_home("registry update")?;
    let mut out = Vec::new();
    for decl in manifest.registries.iter().filter(|d| names.is_empty() || names.contains(&d.name)) {
        let (registry, warnings) = ctx.load_registry(decl, false, true)?;
        ctx.warn_all(&warnings);
        out.push(UpdatedRegistry {
            name: decl.name.clone(),
            source: decl.source.to_string(),
            hash: registry.hash.to_string(),
            commit: registry.commit.clone(),
            versions: registry.entries.len(),
        });
    }
    Ok(out)
}

/// Validates a registry file given as a path or URL; with `fetch`, fetches
/// every source too (into a scratch store, so nobody's state changes).
pub fn validate(location: &str, fetch: bool, policy: Option<&std::path::Path>) -> Result<Report, Error> {
    let policy = match policy {
        Some(p) => Some(crate::manifest::Manifest::load(p)?.policy),
        None => None,
    };
    let (mut report, file) = validate_fetched(location, fetch)?;
    if let Some(policy) = &policy {
        crate::registry::validate::check_policy(&mut report, &file, policy);
    }
    Ok(report)
}

/// Whether `location` names a git repository rather than a file: a `git+`
/// or `ssh://` URL, one ending in `.git`, an http(s) URL not naming a
/// `.json` or `.toml` file (a forge's repository page), or a `file://`
/// directory.
fn is_git_repository(location: &str) -> bool {
    let plain = location.trim_end_matches('/');
    if plain.starts_with("git+") || plain.starts_with("ssh://") || plain.ends_with(".git") {
        return true;
    }
    if let Some(path) = plain.strip_prefix("file://") {
        return std::path::Path::new(path).join(".git").exists();
    }
    (plain.starts_with("https://") || plain.starts_with("http://")) && !plain.ends_with(".json") && !plain.ends_with(".toml")
}

/// The report, and the file it is about.
fn validate_fetched(location: &str, fetch: bool) -> Result<(Report, SourceFile), Error> {
    if is_git_repository(location) {
        // A marketplace (or plugin) kept in git is checked out and
        // validated as the directory it is, its files named by the URL.
        let url = location.strip_prefix("git+").unwrap_or(location);
        let scratch = tempfile::tempdir().map_err(Error::io("cannot create a temporary directory in", &std::env::temp_dir()))?;
        let tree = scratch.path().join("tree");
        std::fs::create_dir_all(&tree).map_err(Error::io("cannot create", &tree))?;
        let spec = crate::source::git::GitSpec { name: "marketplace", url, rev: None, commit: None };
        crate::source::git::checkout(&spec, None, &scratch.path().join("cache"), false, &tree)?;
        let dir = tree.display().to_string();
        let (mut report, mut file) = validate_fetched(&dir, fetch)?;
        let shown = crate::util::url::redact(url);
        let rename = |name: &str| name.replacen(&dir, &shown, 1);
        file.name = rename(&file.name);
        report.file = rename(&report.file);
        for f in &mut report.findings {
            f.location.file = rename(&f.location.file);
        }
        return Ok((report, file));
    }
    let cwd = std::env::current_dir().unwrap_or_default();
    let source = if location.contains("://") {
        RegistrySource::from_url(location, &cwd).map_err(|reason| RegistryEditError::BadUrl { location: location.to_string(), reason })?
    } else {
        // A Claude Code marketplace or plugin may be named by its directory.
        let path = crate::util::paths::expand(location, &cwd);
        let (path, written) = match [crate::registry::marketplace::MARKETPLACE_JSON, crate::manifest::native::PLUGIN_JSON]
            .iter()
            .find(|m| path.is_dir() && path.join(m).is_file())
        {
            Some(m) => (path.join(m), format!("{}/{m}", location.trim_end_matches('/'))),
            None => (path, location.to_string()),
        };
        RegistrySource::Path { path, written }
    };
    let location = match &source {
        RegistrySource::Path { written, .. } => written.as_str(),
        _ => location,
    };
    let mut file = match &source {
        RegistrySource::Path { path, .. } => SourceFile::read(path).map_err(|e| match e {
            // Named as it was given, as compilers do.
            crate::diagnostic::ReadError::Io { source, .. } => {
                Error::from(RegistryEditError::Unreadable { location: location.to_string(), source })
            }
            other => other.into_spanned(None).into(),
        })?,
        other => {
            // Fetched to a scratch home: validating touches no one's state.
            let scratch = tempfile::tempdir().map_err(Error::io("cannot create a temporary directory in", &std::env::temp_dir()))?;
            let fetcher = crate::registry::fetch::NetFetcher { home: scratch.path().to_path_buf(), offline: false, refresh: true };
            fetcher.fetch("validate", other)?
        }
    };
    // Findings name the file as it was given, as compilers do (without
    // credentials: CI logs are public).
    file.name = crate::util::url::redact(location);
    if !fetch {
        return Ok((validate_file(&file), file));
    }
    let scratch = tempfile::tempdir().map_err(Error::io("cannot create a temporary directory in", &std::env::temp_dir()))?;
    let fetcher = crate::source::Fetcher {
        store: crate::store::Store::new(scratch.path().join("store")),
        cache: scratch.path().join("cache"),
        manifest_dir: cwd,
        offline: false,
        trusted: None,
        substitutes: Default::default(),
    };
    Ok((crate::registry::validate::validate_with(&file, Some(&fetcher)), file))
}
