//! paii.toml's `[policy]`: what a team allows before anything is fetched.
//!
//! ```toml
//! [policy]
//! allowed-sources = ["https://github.com/acme/", "oci://registry.example.org/acme/"]
//! require-signatures = true
//! ```
//!
//! `allowed-sources` are URL prefixes: every git, tarball and OCI source a
//! lock names, and every marketplace registry, must start with one (a
//! plugin or registry in a directory on this machine is the user's own and
//! is not a source in this sense). `require-signatures` takes nothing from
//! a binary cache or an OCI plugin that no trusted key signed.

use crate::lock::{Lock, LockedSource};
pub use crate::manifest::project::Policy;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum PolicyError {
    #[error("{what} comes from {url}, which `[policy] allowed-sources` does not allow")]
    #[diagnostic(help("allowed: {allowed}; take it from an allowed source, or add its prefix to `allowed-sources` in {manifest}"))]
    SourceNotAllowed { what: String, url: String, allowed: String, manifest: String },
}

impl Policy {
    fn allows(&self, url: &str) -> bool {
        self.allowed_sources.as_ref().is_none_or(|prefixes| prefixes.iter().any(|p| url.starts_with(p.as_str())))
    }

    fn refuse(&self, what: String, url: &str, manifest: &str) -> PolicyError {
        PolicyError::SourceNotAllowed {
            what,
            url: crate::util::url::redact(url),
            allowed: self.allowed_sources.as_deref().unwrap_or_default().join(", "),
            manifest: manifest.to_string(),
        }
    }

    /// One source, named `what` in the error.
    pub fn check_url(&self, what: &str, url: &str) -> Result<(), PolicyError> {
        if self.allows(url) { Ok(()) } else { Err(self.refuse(what.to_string(), url, "paii.toml")) }
    }

    /// Every remote source of `lock`.
    pub fn check_lock(&self, lock: &Lock, manifest: &str) -> Result<(), PolicyError> {
        for p in &lock.plugins {
            let url = match &p.source {
                LockedSource::Git { url, .. } | LockedSource::Tarball { url, .. } | LockedSource::Oci { repo: url, .. } => url,
                LockedSource::Path { .. } => continue,
            };
            if !self.allows(url) {
                return Err(self.refuse(format!("plugin `{}`", p.name), url, manifest));
            }
        }
        Ok(())
    }

    /// What paii.toml itself names: registries that are not files on this
    /// machine, plugins requested straight from git or a URL, binary caches.
    pub fn check_manifest(&self, manifest: &crate::manifest::Manifest) -> Result<(), PolicyError> {
        use crate::manifest::project::Requested;
        use crate::manifest::source::MarketplaceSource;
        use crate::manifest::source::RegistrySource;
        let name = manifest.file.name.as_str();
        for r in &manifest.registries {
            let url = match &r.source {
                RegistrySource::Url(u)
                | RegistrySource::Git { url: u, .. }
                | RegistrySource::Marketplace(MarketplaceSource::Git { url: u, .. }) => u,
                RegistrySource::Path { .. } | RegistrySource::Marketplace(MarketplaceSource::Path { .. }) => continue,
            };
            if !self.allows(url) {
                return Err(self.refuse(format!("registry `{}`", r.name), url, name));
            }
        }
        for p in &manifest.plugins {
            let url = match &p.source {
                Requested::Git { url, .. } | Requested::Url { url, .. } | Requested::Oci { repo: url, .. } => url,
                Requested::Registry { .. } | Requested::Path { .. } => continue,
            };
            if !self.allows(url) {
                return Err(self.refuse(format!("plugin `{}`", p.name), url, name));
            }
        }
        for s in &manifest.cache.substituters {
            let url = s.to_string();
            if !self.allows(&url) {
                return Err(self.refuse("the binary cache".into(), &url, name));
            }
        }
        Ok(())
    }
}
