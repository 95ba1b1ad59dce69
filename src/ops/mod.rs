//! One module per user command, composing the library's stages (cargo's
//! `ops`). Functions here return typed outcomes; `cli` prints them.

pub mod approve;
pub mod audit;
pub mod build;
pub mod cache;
pub mod config;
pub mod doctor;
pub mod generations;
pub mod hook;
pub mod import;
pub mod init;
pub mod lock;
pub mod mcp;
pub mod plugin;
pub mod registry;
pub mod sbom;
pub mod scaffold;
pub mod stage;
pub mod status;
pub mod sync;
pub mod verify;

use std::path::{Path, PathBuf};

use crate::diagnostic::{SourceFile, SpannedError, Warning};
use crate::manifest::Manifest;
use crate::registry::fetch::{FetchError, NetFetcher, RegistryFetcher};
use crate::registry::{Index, RegistryErrors};
use crate::resolve::ResolveError;

/// What every command knows about its invocation.
pub struct Context {
    /// `--manifest`, if given.
    pub manifest: Option<PathBuf>,
    /// `--scope`, if given: overrides the paii.toml's `[paii] scope`.
    pub scope: Option<crate::scope::ScopeKind>,
    pub quiet: bool,
    /// Whether stderr is a terminal (progress bars) or a log (lines).
    pub terminal: bool,
    /// Called with every warning as it is found.
    pub warn: Box<dyn Fn(&Warning)>,
    /// Called with progress and status lines (silenced by `-q`).
    pub status: Box<dyn Fn(&str)>,
}

impl Context {
    pub fn progress(&self, total: u64, label: &str) -> crate::util::progress::Progress {
        crate::util::progress::Progress::new(total, label, self.quiet, self.terminal)
    }

    pub fn manifest_path(&self) -> PathBuf {
        crate::util::paths::find_manifest(self.manifest.as_deref())
    }

    /// The scope a sync of `manifest` installs into.
    pub fn scope_of(&self, manifest: &Manifest) -> Result<crate::scope::Scope, Error> {
        let home = crate::util::paths::paii_home();
        Ok(crate::scope::Scope::resolve(&home, &manifest.file.path, manifest.scope, self.scope)?)
    }

    /// The scope a command that reads state acts on: `--scope`, else what
    /// the paii.toml it finds declares (read for that key alone, so that
    /// `rollback` works while the rest of the file is broken).
    pub fn scope(&self) -> Result<crate::scope::Scope, Error> {
        let home = crate::util::paths::paii_home();
        let path = self.manifest_path();
        let declared = match self.scope {
            Some(s) => s,
            None => declared_scope(&path)?,
        };
        Ok(crate::scope::Scope::resolve(&home, &path, declared, self.scope)?)
    }

    /// [`Context::scope`], said on stderr: every command that reads or
    /// changes generations tells which scope it acted on.
    pub fn acting_scope(&self) -> Result<crate::scope::Scope, Error> {
        let scope = self.scope()?;
        (self.status)(&format!("acting on the {}", scope.describe()));
        Ok(scope)
    }

    pub fn load_manifest(&self) -> Result<Manifest, Error> {
        let m = Manifest::load(&self.manifest_path())?;
        self.warn_all(&m.warnings);
        Ok(m)
    }

    pub fn warn_all(&self, warnings: &[Warning]) {
        for w in warnings {
            (self.warn)(w);
        }
    }

    /// The fetcher of registries: network ones are kept in
    /// `$PAII_HOME/registries/`.
    pub fn registry_fetcher(&self, offline: bool, refresh: bool) -> NetFetcher {
        NetFetcher { home: crate::util::paths::paii_home(), offline, refresh }
    }

    /// Loads every registry of `manifest`, in priority order.
    pub fn load_index(&self, manifest: &Manifest) -> Result<Index, Error> {
        self.load_index_with(manifest, false)
    }

    pub fn load_index_with(&self, manifest: &Manifest, offline: bool) -> Result<Index, Error> {
        let mut index = Index::default();
        let cutoff = min_age_cutoff(manifest);
        for decl in &manifest.registries {
            let started = std::time::Instant::now();
            let (registry, warnings) = self.load_registry_aged(decl, offline, false, cutoff)?;
            crate::debug!("registry `{}` ({}): {} entries in {:.1?}", decl.name, decl.source, registry.entries.len(), started.elapsed());
            self.warn_all(&warnings);
            index.registries.push(registry);
        }
        Ok(index)
    }

    /// Fetches one registry (again, with `refresh`) and reads it: a paii
    /// registry file, or a Claude Code marketplace.
    pub fn load_registry(
        &self,
        decl: &crate::manifest::project::RegistryDecl,
        offline: bool,
        refresh: bool,
    ) -> Result<(crate::registry::Registry, Vec<crate::diagnostic::Warning>), Error> {
        self.load_registry_aged(decl, offline, refresh, None)
    }

    /// [`Context::load_registry`], choosing npm releases published no later
    /// than `cutoff` (`[policy] min-release-age`).
    pub fn load_registry_aged(
        &self,
        decl: &crate::manifest::project::RegistryDecl,
        offline: bool,
        refresh: bool,
        cutoff: Option<i64>,
    ) -> Result<(crate::registry::Registry, Vec<crate::diagnostic::Warning>), Error> {
        use crate::registry::RegistrySource;
        use crate::registry::marketplace::{self, Base, MarketplaceSource, NpmRegistry, Reader};
        let fetcher = self.registry_fetcher(offline, refresh);
        let file = fetcher.fetch(&decl.name, &decl.source)?;
        let home = crate::util::paths::paii_home();
        let cache = home.join("cache");
        let commit = fetcher.commit(&decl.name);
        let (mut registry, warnings) = match &decl.source {
            RegistrySource::Marketplace(m) => {
                let base = match m {
                    MarketplaceSource::Path { dir, written } => Base::Dir { dir, written },
                    MarketplaceSource::Git { url, .. } => {
                        Base::Git { url, commit: commit.as_deref().unwrap_or_default(), cache: cache.as_path() }
                    }
                };
                let npm = NpmRegistry { cache: cache.clone(), offline, refresh, cutoff };
                marketplace::parse(&decl.name, file, &Reader { base, npm: Some(&npm) })?
            }
            _ => crate::registry::cache::parse_cached(&decl.name, file, Some(&cache.join("registries")))?,
        };
        if matches!(decl.source, RegistrySource::Git { .. } | RegistrySource::Marketplace(MarketplaceSource::Git { .. })) {
            registry.commit = commit;
        }
        if !matches!(decl.source, RegistrySource::Marketplace(_)) {
            registry.rebase(&decl.source)?;
        }
        Ok((registry, warnings))
    }
}

/// With `[policy] min-release-age`: the newest publish time a version may
/// have (seconds since the epoch).
pub fn min_age_cutoff(manifest: &Manifest) -> Option<i64> {
    manifest.policy.min_release_age.map(|age| crate::util::time::now_secs() - age as i64)
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum Error {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Spanned(#[from] SpannedError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Registry(#[from] RegistryErrors),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Resolve(#[from] ResolveError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Source(#[from] crate::source::SourceError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Store(#[from] crate::store::StoreError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Build(#[from] crate::build::BuildError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    NotLocked(#[from] crate::lock::NotLocked),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Generation(#[from] crate::generation::GenerationError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Claude(#[from] crate::claude::ClaudeError),
    #[error(transparent)]
    Io(#[from] crate::util::fs::IoError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Mcp(#[from] mcp::McpError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Scaffold(#[from] scaffold::ScaffoldError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Cache(#[from] cache::CacheError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Policy(#[from] crate::policy::PolicyError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Inventory(#[from] crate::inventory::InventoryError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Advisory(#[from] crate::advisory::AdvisoryError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Audit(#[from] audit::AuditError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Surface(#[from] crate::approval::SurfaceError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    State(#[from] StateError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Sync(#[from] sync::SyncError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    FetchFailures(#[from] stage::fetch::FetchFailures),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Plugin(#[from] plugin::PluginError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    RegistryEdit(#[from] registry::RegistryEditError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Hook(#[from] hook::HookError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Config(#[from] config::ConfigError),
    #[error(transparent)]
    #[diagnostic(transparent)]
    Scope(#[from] crate::scope::ScopeError),
    /// `--check` found work to do: not a failure of paii, but exit 1.
    #[error("{message}")]
    OutOfDate { message: String },
}

/// What a command needs and does not find: a file, an entry of paii.toml,
/// a name.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum StateError {
    #[error("{} does not exist", path.display())]
    #[diagnostic(help("run `paii lock` (or `paii sync`) to create it"))]
    NoLock { path: PathBuf },
    #[error("{} already exists", path.display())]
    #[diagnostic(help("edit it, or use `paii plugin install NAME`"))]
    AlreadyInitialised { path: PathBuf },
    #[error("{name} changed while this command ran")]
    #[diagnostic(help("run the command again"))]
    ManifestChanged { name: String },
    #[error("`{key}` in paii.toml is not a table")]
    NotATable { key: String },
    #[error("`{name}` is not in [plugins] of {manifest}")]
    NotRequested {
        name: String,
        manifest: String,
        #[help]
        help: Option<String>,
    },
    #[error("registry `{name}` is not in paii.toml")]
    UnknownRegistry {
        name: String,
        #[help]
        help: Option<String>,
    },
    #[error("{}", crate::manifest::version::name_error(name))]
    InvalidName { name: String },
    #[error("`{name}` has no integrity in paii.lock yet")]
    #[diagnostic(help("run `paii sync` to fetch it"))]
    NotFetched { name: String },
}

impl StateError {
    /// `name` is not one of `requested` in `manifest`'s `[plugins]`.
    pub fn not_requested<'a>(name: &str, manifest: &str, requested: impl IntoIterator<Item = &'a str>) -> StateError {
        StateError::NotRequested {
            name: name.to_string(),
            manifest: manifest.to_string(),
            help: crate::util::suggest::did_you_mean(name, requested),
        }
    }

    /// `name` is not one of `declared` in paii.toml's `[registries]`.
    pub fn unknown_registry<'a>(name: &str, declared: impl IntoIterator<Item = &'a str>) -> StateError {
        StateError::UnknownRegistry { name: name.to_string(), help: crate::util::suggest::did_you_mean(name, declared) }
    }
}

impl Error {
    pub fn io(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> Error {
        let path = path.to_path_buf();
        move |source| Error::Io(crate::util::fs::IoError { action, path, source })
    }
}

/// Writes paii.toml, unless another paii changed it since it was read (the
/// caller holds the `PAII_HOME` lock).
pub(crate) fn write_if_unchanged(file: &SourceFile, text: &str) -> Result<(), Error> {
    if crate::diagnostic::read_text(&file.path).ok().as_deref() != Some(&*file.text) {
        return Err(StateError::ManifestChanged { name: file.name.clone() }.into());
    }
    crate::util::fs::atomic_write(&file.path, text.as_bytes()).map_err(Error::io("cannot write", &file.path))
}

/// `[paii] scope` of the paii.toml at `path` (user when there is none).
fn declared_scope(path: &Path) -> Result<crate::scope::ScopeKind, Error> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        paii: Option<PaiiHead>,
    }
    #[derive(serde::Deserialize)]
    struct PaiiHead {
        scope: Option<crate::scope::ScopeKind>,
    }
    let Ok(file) = SourceFile::read(path) else { return Ok(crate::scope::ScopeKind::User) };
    match toml::from_str::<Head>(&file.text) {
        Ok(head) => Ok(head.paii.and_then(|p| p.scope).unwrap_or_default()),
        // A file broken elsewhere still says which scope it is about, so
        // that `rollback` can undo what broke it.
        Err(e) => scope_line(&file.text).ok_or_else(|| {
            file.error(e.span(), e.message().to_string(), Some("`--scope user` or `--scope project` acts without reading it".into())).into()
        }),
    }
}

/// `scope = "..."` in the `[paii]` table of a paii.toml that does not parse
/// as a whole; `None` when no line says.
fn scope_line(text: &str) -> Option<crate::scope::ScopeKind> {
    let mut in_paii = false;
    let mut found = None;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_paii = line.trim_end_matches(|c: char| c != ']').trim() == "[paii]";
        } else if in_paii
            && let Some((key, value)) = line.split_once('=')
            && key.trim() == "scope"
        {
            let value = value.split('#').next().unwrap_or_default().trim().trim_matches(|c| c == '"' || c == '\'');
            found = match value {
                "user" => Some(crate::scope::ScopeKind::User),
                "project" => Some(crate::scope::ScopeKind::Project),
                _ => return None,
            };
        }
    }
    // Without the key the scope is the user's, as for a file that parses.
    Some(found.unwrap_or_default())
}

/// The table `key` of a document being edited, created when absent.
pub(crate) fn table_mut<'a>(doc: &'a mut toml_edit::DocumentMut, key: &str) -> Result<&'a mut dyn toml_edit::TableLike, Error> {
    doc.entry(key)
        .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
        .as_table_like_mut()
        .ok_or_else(|| StateError::NotATable { key: key.to_string() }.into())
}

/// Reads a file for editing with toml_edit, keeping the text for messages.
pub(crate) fn read_for_edit(path: &Path) -> Result<(SourceFile, toml_edit::DocumentMut), Error> {
    let file = SourceFile::read(path)
        .map_err(|e| e.into_spanned(Some("create one with `paii init`, or point at one with `--manifest PATH`".to_string())))?;
    let doc = file.text.parse::<toml_edit::DocumentMut>().map_err(|e| file.error(e.span(), e.message().to_string(), None))?;
    Ok((file, doc))
}

impl Context {
    /// Serialises mutating commands on this `PAII_HOME`.
    pub fn lock_home(&self, command: &str) -> Result<crate::util::fs::HomeLock, Error> {
        let home = crate::util::paths::paii_home();
        crate::util::fs::HomeLock::acquire(&home, command, |holder| {
            (self.status)(&format!("waiting for the lock on {}, held by {holder}", home.display()))
        })
        .map_err(Error::io("cannot lock", &home))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_broken_manifest_still_says_its_scope() {
        use crate::scope::ScopeKind::{Project, User};
        assert_eq!(super::scope_line("[paii]\nscope = \"project\" # team\n[plugins]\nx = {"), Some(Project));
        assert_eq!(super::scope_line("[plugins]\nscope = \"project\"\nx = {"), Some(User));
        assert_eq!(super::scope_line("[paii]\nscope = \"team\"\n"), None);
    }
}
