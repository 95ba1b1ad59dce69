//! Where a registry file comes from, and the small interface that fetches it.
//!
//! Local files (`{ path = ... }`, `file://`) are read in place. Network
//! registries (http(s), git) and Claude Code marketplaces slot in behind
//! [`RegistryFetcher`] without the resolver knowing the difference.

use std::path::PathBuf;

use super::marketplace::MarketplaceSource;
use crate::diagnostic::{ReadError, SourceFile, SpannedError};
pub use crate::manifest::source::RegistrySource;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum FetchError {
    #[error("registry `{name}`: cannot read {}: {source}", path.display())]
    #[diagnostic(help("check `[registries] {name}` in paii.toml"))]
    Read {
        name: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Encoding(Box<SpannedError>),
    #[error("registry `{name}` ({source_desc}): {message}")]
    #[diagnostic(help("check the network and `[registries] {name}` in paii.toml; `paii registry update {name}` fetches it again"))]
    Network { name: String, source_desc: String, message: String },
    #[error("registry `{name}` ({source_desc}) has never been fetched, and --offline allows no network")]
    #[diagnostic(help("run `paii registry update {name}` once with network access"))]
    Offline { name: String, source_desc: String },
    #[error("registry `{name}` ({source_desc}): {kind} registries are not supported by this paii yet")]
    #[diagnostic(help("use a local copy for now: `{name} = {{ path = \"registry.toml\" }}`"))]
    Unsupported { name: String, source_desc: String, kind: &'static str },
}

impl FetchError {
    fn read(name: &str, e: ReadError) -> FetchError {
        match e {
            ReadError::Io { path, source } => FetchError::Read { name: name.to_string(), path, source },
            ReadError::Encoding(e) => FetchError::Encoding(e),
        }
    }
}

/// Brings a registry file onto this machine.
pub trait RegistryFetcher {
    fn fetch(&self, name: &str, source: &RegistrySource) -> Result<SourceFile, FetchError>;
}

/// Local registries are read in place; http(s) and git registries are
/// fetched into `$PAII_HOME/registries/<name>.toml` (a git registry's commit
/// beside it in `<name>.commit`) and read from there until refreshed.
#[derive(Debug, Clone)]
pub struct NetFetcher {
    pub home: PathBuf,
    pub offline: bool,
    /// Fetch again even when a copy exists (`paii registry update`).
    pub refresh: bool,
}

impl NetFetcher {
    pub fn copy_path(&self, name: &str, source: &RegistrySource) -> PathBuf {
        let ext = if matches!(source, RegistrySource::Marketplace(_)) { "json" } else { "toml" };
        self.home.join("registries").join(format!("{name}.{ext}"))
    }

    /// The commit a git registry's copy was taken from.
    pub fn commit(&self, name: &str) -> Option<String> {
        std::fs::read_to_string(self.home.join("registries").join(format!("{name}.commit"))).ok().map(|s| s.trim().to_string())
    }
}

impl RegistryFetcher for NetFetcher {
    fn fetch(&self, name: &str, source: &RegistrySource) -> Result<SourceFile, FetchError> {
        let copy = self.copy_path(name, source);
        let desc = source.to_string();
        let network = |message: String| FetchError::Network { name: name.to_string(), source_desc: desc.clone(), message };
        // A copy taken from another URL (paii.toml changed) is not this registry.
        let source_file = self.home.join("registries").join(format!("{name}.source"));
        let same_source = std::fs::read_to_string(&source_file).ok().as_deref() == Some(desc.as_str());
        // A registry kept in git: the repository, the revision, the file.
        let in_git = match source {
            RegistrySource::Git { url, path, rev } => Some((url, rev, path.as_deref().unwrap_or("registry.toml"))),
            RegistrySource::Marketplace(MarketplaceSource::Git { url, rev }) => Some((url, rev, super::marketplace::MARKETPLACE_JSON)),
            _ => None,
        };
        match source {
            RegistrySource::Path { .. } | RegistrySource::Marketplace(MarketplaceSource::Path { .. }) => {
                return LocalFetcher.fetch(name, source);
            }
            _ if copy.is_file() && same_source && !self.refresh => {}
            _ if self.offline => {
                return Err(FetchError::Offline { name: name.to_string(), source_desc: desc.clone() });
            }
            RegistrySource::Url(url) => {
                crate::debug!("fetching registry `{name}` from {desc}");
                crate::http::download(url, &copy).map_err(|e| network(e.to_string()))?;
            }
            RegistrySource::Git { .. } | RegistrySource::Marketplace(MarketplaceSource::Git { .. }) => {
                crate::debug!("fetching registry `{name}` from {desc}");
                let Some((url, rev, file)) = in_git else { return LocalFetcher.fetch(name, source) };
                let spec = crate::source::git::GitSpec { name, url, rev: rev.as_deref(), commit: None };
                let (commit, bytes) =
                    crate::source::git::read_file(&spec, file, &self.home.join("cache"), false).map_err(|e| network(e.to_string()))?;
                crate::util::fs::atomic_write(&copy, &bytes).map_err(|e| network(e.to_string()))?;
                let commit_file = self.home.join("registries").join(format!("{name}.commit"));
                crate::util::fs::atomic_write(&commit_file, commit.as_bytes()).map_err(|e| network(e.to_string()))?;
            }
        }
        if !same_source {
            crate::util::fs::atomic_write(&source_file, desc.as_bytes()).map_err(|e| network(e.to_string()))?;
        }
        let mut file = SourceFile::read(&copy).map_err(|e| FetchError::read(name, e))?;
        // Messages name where the registry really lives.
        file.name = format!("{} (registry `{name}`)", crate::diagnostic::display_name(&copy));
        Ok(file)
    }
}

/// Reads local registries; refuses the network kinds.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalFetcher;

impl RegistryFetcher for LocalFetcher {
    fn fetch(&self, name: &str, source: &RegistrySource) -> Result<SourceFile, FetchError> {
        let unsupported = |kind| FetchError::Unsupported { name: name.to_string(), source_desc: source.to_string(), kind };
        match source {
            RegistrySource::Path { path, .. } => SourceFile::read(path).map_err(|e| FetchError::read(name, e)),
            RegistrySource::Marketplace(MarketplaceSource::Path { dir, .. }) => {
                SourceFile::read(&dir.join(super::marketplace::MARKETPLACE_JSON)).map_err(|e| FetchError::read(name, e))
            }
            RegistrySource::Url(_) => Err(unsupported("http(s)")),
            RegistrySource::Git { .. } => Err(unsupported("git")),
            RegistrySource::Marketplace(MarketplaceSource::Git { .. }) => Err(unsupported("git marketplace")),
        }
    }
}
