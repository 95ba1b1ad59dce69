//! Where a registry file comes from, and the small interface that fetches it.
//!
//! Local files (`{ path = ... }`, `file://`) are read in place. Network
//! registries (http(s), git) and Claude Code marketplaces slot in behind
//! [`RegistryFetcher`] without the resolver knowing the difference.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::diagnostic::SourceFile;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrySource {
    /// A local registry file.
    Path {
        /// Absolute.
        path: PathBuf,
        /// As written in paii.toml, normalised.
        written: String,
    },
    /// An http(s) URL of a registry file.
    Url(String),
    /// A registry file inside a git repository.
    Git {
        url: String,
        path: Option<String>,
        rev: Option<String>,
    },
    /// A Claude Code marketplace (`.claude-plugin/marketplace.json`).
    Marketplace(String),
}

impl RegistrySource {
    /// `file://` URLs become local paths; `http(s)://` stay URLs.
    pub fn from_url(url: &str, base: &Path) -> Result<RegistrySource, String> {
        if let Some(rest) = url.strip_prefix("file://") {
            // file:///abs/path, or file://relative for the forgiving.
            return Ok(RegistrySource::Path {
                path: crate::paths::expand(rest, base),
                written: url.to_string(),
            });
        }
        if url.starts_with("https://") || url.starts_with("http://") {
            return Ok(RegistrySource::Url(url.to_string()));
        }
        Err(format!(
            "`{url}` is not a registry URL (https, http or file); for a local file write `{{ path = \"{url}\" }}`"
        ))
    }
}

impl fmt::Display for RegistrySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistrySource::Path { written, .. } => write!(f, "{written}"),
            RegistrySource::Url(u) => write!(f, "{}", crate::url::redact(u)),
            RegistrySource::Git { url, path, rev } => {
                write!(f, "git {}", crate::url::redact(url))?;
                if let Some(p) = path {
                    write!(f, " path {p}")?;
                }
                if let Some(r) = rev {
                    write!(f, " rev {r}")?;
                }
                Ok(())
            }
            RegistrySource::Marketplace(m) => write!(f, "marketplace {}", crate::url::redact(m)),
        }
    }
}

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
    #[error("registry `{name}` ({source_desc}): {kind} registries are not supported by this paii yet")]
    #[diagnostic(help("use a local copy for now: `{name} = {{ path = \"registry.toml\" }}`"))]
    Unsupported {
        name: String,
        source_desc: String,
        kind: &'static str,
    },
}

/// Brings a registry file onto this machine.
pub trait RegistryFetcher {
    fn fetch(&self, name: &str, source: &RegistrySource) -> Result<SourceFile, FetchError>;
}

/// Reads local registries; refuses the network kinds.
#[derive(Debug, Default, Clone, Copy)]
pub struct LocalFetcher;

impl RegistryFetcher for LocalFetcher {
    fn fetch(&self, name: &str, source: &RegistrySource) -> Result<SourceFile, FetchError> {
        let unsupported = |kind| FetchError::Unsupported {
            name: name.to_string(),
            source_desc: source.to_string(),
            kind,
        };
        match source {
            RegistrySource::Path { path, .. } => SourceFile::read(path).map_err(|e| FetchError::Read {
                name: name.to_string(),
                path: path.clone(),
                source: e.source,
            }),
            RegistrySource::Url(_) => Err(unsupported("http(s)")),
            RegistrySource::Git { .. } => Err(unsupported("git")),
            RegistrySource::Marketplace(_) => Err(unsupported("marketplace")),
        }
    }
}
