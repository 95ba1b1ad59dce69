//! Where paii.toml says a registry comes from: a registry declaration and
//! a marketplace's source, parsed here as data. `registry` fetches them;
//! `policy` checks them.

use std::fmt;
use std::path::{Path, PathBuf};

/// Where Claude Code keeps a marketplace's catalogue inside its directory.
pub const MARKETPLACE_JSON: &str = ".claude-plugin/marketplace.json";

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
    Git { url: String, path: Option<String>, rev: Option<String> },
    /// A Claude Code marketplace (`.claude-plugin/marketplace.json`).
    Marketplace(MarketplaceSource),
}

impl RegistrySource {
    /// `file://` URLs become local paths; `http(s)://` stay URLs.
    pub fn from_url(url: &str, base: &Path) -> Result<RegistrySource, String> {
        if let Some(rest) = url.strip_prefix("file://") {
            // file:///abs/path, or file://relative for the forgiving.
            return Ok(RegistrySource::Path { path: crate::util::paths::expand(rest, base), written: url.to_string() });
        }
        if url.starts_with("https://") || url.starts_with("http://") {
            return Ok(RegistrySource::Url(url.to_string()));
        }
        Err(format!("`{url}` is not a registry URL (https, http or file); for a local file write `{{ path = \"{url}\" }}`"))
    }
}

impl fmt::Display for RegistrySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistrySource::Path { written, .. } => write!(f, "{written}"),
            RegistrySource::Url(u) => write!(f, "{}", crate::util::url::redact(u)),
            RegistrySource::Git { url, path, rev } => {
                write!(f, "git {}", crate::util::url::redact(url))?;
                if let Some(p) = path {
                    write!(f, " path {p}")?;
                }
                if let Some(r) = rev {
                    write!(f, " rev {r}")?;
                }
                Ok(())
            }
            RegistrySource::Marketplace(m) => write!(f, "{m}"),
        }
    }
}

/// Where a marketplace lives, as paii.toml names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MarketplaceSource {
    /// A directory holding `.claude-plugin/marketplace.json`.
    Path {
        /// Absolute.
        dir: PathBuf,
        /// Relative to paii.toml, normalised.
        written: String,
    },
    /// A git repository: a URL, or GitHub's `owner/repo`.
    Git { url: String, rev: Option<String> },
}

impl MarketplaceSource {
    /// Reads `marketplace = "..."` (with `rev`) of paii.toml, whose
    /// directory is `base`.
    pub fn parse(spec: &str, rev: Option<&str>, base: &Path) -> Result<MarketplaceSource, String> {
        let rev = rev.map(str::to_string);
        if ["https://", "http://", "ssh://", "git://", "file://", "git@"].iter().any(|p| spec.starts_with(p)) {
            return Ok(MarketplaceSource::Git { url: spec.to_string(), rev });
        }
        if let Some(repo) = github_shorthand(spec)
            && !base.join(spec).exists()
        {
            return Ok(MarketplaceSource::Git { url: format!("https://github.com/{repo}.git"), rev });
        }
        if rev.is_some() {
            return Err(format!("`rev` applies to a git marketplace, and `{spec}` is a local path"));
        }
        // The directory, or its marketplace.json named directly.
        let trimmed = spec.trim_end_matches('/');
        let dir_spec = trimmed.strip_suffix(MARKETPLACE_JSON).map(|d| d.trim_end_matches('/')).unwrap_or(trimmed);
        let dir_spec = if dir_spec.is_empty() { "." } else { dir_spec };
        Ok(MarketplaceSource::Path {
            dir: crate::util::paths::expand(dir_spec, base),
            written: crate::util::paths::normalize_written(dir_spec),
        })
    }
}

impl std::fmt::Display for MarketplaceSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            MarketplaceSource::Path { written, .. } => write!(f, "marketplace {written}"),
            MarketplaceSource::Git { url, rev: None } => write!(f, "marketplace {}", crate::util::url::redact(url)),
            MarketplaceSource::Git { url, rev: Some(r) } => write!(f, "marketplace {} rev {r}", crate::util::url::redact(url)),
        }
    }
}

/// `owner/repo`: GitHub's shorthand, as Claude Code accepts it.
pub(crate) fn github_shorthand(s: &str) -> Option<&str> {
    let (owner, repo) = s.split_once('/')?;
    let ok = |p: &str| !p.is_empty() && !p.starts_with('.') && p.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    (ok(owner) && ok(repo)).then_some(s.trim_end_matches(".git"))
}
