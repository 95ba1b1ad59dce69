//! What a plugin's tree pins besides itself: the Rust and Python packages
//! its `Cargo.lock`, `uv.lock` or hashed requirements file locks. `paii
//! sbom` lists them and `paii audit` checks them; both read the same
//! [`Inventory`], parsed once here from the lockfiles of the locked tree.

mod cargo;
mod pip;
mod uv;

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// A package index whose advisories paii knows how to look up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Ecosystem {
    /// crates.io, through Cargo.lock.
    #[serde(rename = "crates.io")]
    Cargo,
    /// PyPI, through uv.lock or a requirements file.
    #[serde(rename = "PyPI")]
    PyPI,
}

impl Ecosystem {
    /// The name OSV gives the ecosystem.
    pub fn osv_name(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "crates.io",
            Ecosystem::PyPI => "PyPI",
        }
    }

    /// The package-url type.
    pub fn purl_type(self) -> &'static str {
        match self {
            Ecosystem::Cargo => "cargo",
            Ecosystem::PyPI => "pypi",
        }
    }

    /// A name as the index compares names: PyPI's are case-, `-`/`_`/`.`-
    /// insensitive (PEP 503), crates.io's are compared as written.
    pub fn normalize(self, name: &str) -> String {
        match self {
            Ecosystem::Cargo => name.to_string(),
            Ecosystem::PyPI => {
                let mut out = String::with_capacity(name.len());
                for c in name.chars() {
                    let c = if matches!(c, '_' | '.') { '-' } else { c.to_ascii_lowercase() };
                    if !(c == '-' && out.ends_with('-')) {
                        out.push(c);
                    }
                }
                out
            }
        }
    }
}

impl fmt::Display for Ecosystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.osv_name())
    }
}

/// A hash algorithm lockfiles record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum HashAlg {
    Sha256,
    Sha512,
}

/// A hash of a downloaded file, as lowercase hex.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Hash {
    pub alg: HashAlg,
    pub hex: String,
}

impl Hash {
    /// `sha256:<hex>` or `sha512:<hex>` (uv's and pip's form).
    pub fn parse_prefixed(s: &str) -> Option<Hash> {
        let (alg, hex) = s.split_once(':')?;
        let alg = match alg {
            "sha256" => HashAlg::Sha256,
            "sha512" => HashAlg::Sha512,
            _ => return None,
        };
        let hex = hex.trim().to_ascii_lowercase();
        let len = match alg {
            HashAlg::Sha256 => 64,
            HashAlg::Sha512 => 128,
        };
        (hex.len() == len && hex.bytes().all(|b| b.is_ascii_hexdigit())).then_some(Hash { alg, hex })
    }
}

/// Where a package's files come from.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum PackageSource {
    /// A package index (`https://github.com/rust-lang/crates.io-index`,
    /// `https://pypi.org/simple`).
    Registry { url: String },
    /// A git repository at a commit.
    Git { url: String, commit: Option<String> },
    /// A direct download.
    Url { url: String },
    /// Part of the plugin's own tree (a workspace member, a vendored crate,
    /// the project itself): covered by the plugin's integrity.
    Local,
}

/// One downloadable file of a package (an sdist, a wheel).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Artifact {
    pub url: String,
    pub hash: Option<Hash>,
}

/// One locked package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Package {
    pub ecosystem: Ecosystem,
    pub name: String,
    pub version: String,
    pub source: PackageSource,
    /// The package's own hash: a crate's checksum, an sdist's (else the
    /// only wheel's) hash.
    pub hash: Option<Hash>,
    /// Every file the lock allows, with its hash.
    pub artifacts: Vec<Artifact>,
    /// The packages it depends on, by index into [`Inventory::packages`].
    pub dependencies: Vec<usize>,
}

impl Package {
    /// `pkg:cargo/NAME@VERSION` or `pkg:pypi/NAME@VERSION`, with the
    /// repository or VCS URL when it is not the ecosystem's default.
    pub fn purl(&self) -> String {
        let name = self.ecosystem.normalize(&self.name);
        let mut purl = match packageurl::PackageUrl::new(self.ecosystem.purl_type(), name.as_str()) {
            Ok(p) => p,
            Err(_) => return format!("pkg:{}/{}@{}", self.ecosystem.purl_type(), name, self.version),
        };
        let _ = purl.with_version(self.version.as_str());
        match &self.source {
            PackageSource::Registry { url } if !is_default_index(self.ecosystem, url) => {
                let _ = purl.add_qualifier("repository_url", url.as_str());
            }
            PackageSource::Git { url, commit } => {
                let vcs = match commit {
                    Some(c) => format!("git+{url}@{c}"),
                    None => format!("git+{url}"),
                };
                let _ = purl.add_qualifier("vcs_url", vcs);
            }
            PackageSource::Url { url } => {
                let _ = purl.add_qualifier("download_url", url.as_str());
            }
            _ => {}
        }
        purl.to_string()
    }

    /// Whether the ecosystem's advisories are about this package: RustSec's
    /// are about crates.io's crates, not a private registry's of the same
    /// name; the PyPA's about PyPI's, which mirrors and git copies carry.
    pub fn audited(&self) -> bool {
        match (&self.source, self.ecosystem) {
            (PackageSource::Local, _) => false,
            (PackageSource::Registry { url }, Ecosystem::Cargo) => is_default_index(Ecosystem::Cargo, url),
            (PackageSource::Git { .. } | PackageSource::Url { .. }, Ecosystem::Cargo) => false,
            _ => true,
        }
    }

    /// The lockfile's identity of the package: ecosystem, name, version.
    pub fn key(&self) -> (Ecosystem, String, String) {
        (self.ecosystem, self.ecosystem.normalize(&self.name), self.version.clone())
    }
}

fn is_default_index(eco: Ecosystem, url: &str) -> bool {
    let url = url.trim_start_matches("registry+").trim_end_matches('/');
    match eco {
        Ecosystem::Cargo => {
            let url = url.trim_start_matches("sparse+");
            url == "https://github.com/rust-lang/crates.io-index" || url == "https://index.crates.io"
        }
        Ecosystem::PyPI => url == "https://pypi.org/simple",
    }
}

/// The lockfile an inventory was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Lockfile {
    /// Relative to the plugin's root: `Cargo.lock`, `uv.lock`, `requirements.txt`.
    pub path: String,
    pub ecosystem: Ecosystem,
}

/// The packages a plugin's lockfiles pin.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Inventory {
    pub lockfiles: Vec<Lockfile>,
    pub packages: Vec<Package>,
    /// The packages that are the plugin itself (local packages nothing else
    /// in the lockfile depends on), by index.
    pub roots: Vec<usize>,
}

/// A lockfile paii could not read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot read {}: {message}", path.display())]
#[diagnostic(help("the plugin's lockfile is what its build installs from; fix or regenerate it (`cargo generate-lockfile`, `uv lock`)"))]
pub struct InventoryError {
    pub path: PathBuf,
    pub message: String,
}

impl Inventory {
    /// Reads the lockfiles at the root of a plugin's tree: `Cargo.lock`,
    /// `uv.lock`, and `requirements` (a pip build's requirements file, when
    /// given). A plugin without any has an empty inventory.
    /// With `requirements` (a pip build), that file is what the build
    /// installs from, so it is read instead of any uv.lock.
    pub fn read(root: &Path, requirements: Option<&str>) -> Result<Inventory, InventoryError> {
        let mut inv = Inventory::default();
        let cargo_lock = root.join("Cargo.lock");
        if cargo_lock.is_file() {
            cargo::read(&cargo_lock, &mut inv)?;
            inv.lockfiles.push(Lockfile { path: "Cargo.lock".into(), ecosystem: Ecosystem::Cargo });
        }
        let uv_lock = root.join("uv.lock");
        match requirements.map(|r| (r, root.join(r))) {
            Some((req, path)) if path.is_file() => {
                pip::read(&path, &mut inv)?;
                inv.lockfiles.push(Lockfile { path: req.to_string(), ecosystem: Ecosystem::PyPI });
            }
            _ if uv_lock.is_file() => {
                uv::read(&uv_lock, &mut inv)?;
                inv.lockfiles.push(Lockfile { path: "uv.lock".into(), ecosystem: Ecosystem::PyPI });
            }
            _ => {}
        }
        Ok(inv)
    }

    /// The packages fetched from outside the plugin's tree (what an
    /// advisory can name).
    pub fn third_party(&self) -> impl Iterator<Item = &Package> {
        self.packages.iter().filter(|p| p.source != PackageSource::Local)
    }

    /// Adds a package group's dependency edges and roots once all of its
    /// packages are in: `edges[i]` names the dependencies of `first + i`.
    fn link(&mut self, first: usize, edges: Vec<Vec<usize>>) {
        let mut depended = vec![false; self.packages.len() - first];
        for (i, deps) in edges.into_iter().enumerate() {
            for &d in &deps {
                if d >= first {
                    depended[d - first] = true;
                }
            }
            let p = &mut self.packages[first + i];
            p.dependencies = deps;
            p.dependencies.sort_unstable();
            p.dependencies.dedup();
        }
        for (i, d) in depended.iter().enumerate() {
            if !d && self.packages[first + i].source == PackageSource::Local {
                self.roots.push(first + i);
            }
        }
    }
}

fn read_text(path: &Path) -> Result<String, InventoryError> {
    std::fs::read_to_string(path).map_err(|e| InventoryError { path: path.to_path_buf(), message: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pypi_names_compare_as_pep_503_says() {
        assert_eq!(Ecosystem::PyPI.normalize("Typing_Extensions"), "typing-extensions");
        assert_eq!(Ecosystem::PyPI.normalize("zope.interface"), "zope-interface");
        assert_eq!(Ecosystem::PyPI.normalize("a__b"), "a-b");
        assert_eq!(Ecosystem::Cargo.normalize("serde_json"), "serde_json");
    }

    #[test]
    fn a_purl_names_a_non_default_source() {
        let p = Package {
            ecosystem: Ecosystem::Cargo,
            name: "foo".into(),
            version: "1.0.0".into(),
            source: PackageSource::Git { url: "https://example.org/foo".into(), commit: Some("abc".into()) },
            hash: None,
            artifacts: vec![],
            dependencies: vec![],
        };
        assert_eq!(p.purl(), "pkg:cargo/foo@1.0.0?vcs_url=git%2Bhttps:%2F%2Fexample.org%2Ffoo%40abc");
    }

    /// A corpus check, run by hand against real projects' lockfiles:
    /// `PAII_LOCKFILE_CORPUS=/dir cargo test --lib corpus --
    /// --ignored`, each subdirectory of `/dir` holding a `Cargo.lock`
    /// and/or a `uv.lock`. Every one reads, with a package per
    /// `[[package]]` and every dependency edge inside the file.
    #[test]
    #[ignore = "needs PAII_LOCKFILE_CORPUS, a directory of real projects' lockfiles"]
    fn every_lockfile_of_a_real_corpus_reads_whole() {
        let Ok(dir) = std::env::var("PAII_LOCKFILE_CORPUS") else { return };
        let mut read = 0;
        for entry in std::fs::read_dir(&dir).unwrap().flatten().filter(|e| e.path().is_dir()) {
            let root = entry.path();
            let inv = Inventory::read(&root, None).unwrap_or_else(|e| panic!("{e}"));
            let declared: usize = ["Cargo.lock", "uv.lock"]
                .iter()
                .filter_map(|f| std::fs::read_to_string(root.join(f)).ok())
                .map(|t| t.lines().filter(|l| l.trim() == "[[package]]").count())
                .sum();
            assert_eq!(inv.packages.len(), declared, "{}", root.display());
            assert!(inv.packages.iter().all(|p| p.dependencies.iter().all(|&d| d < inv.packages.len())));
            assert!(!inv.roots.is_empty() || inv.packages.iter().all(|p| p.source != PackageSource::Local), "{}", root.display());
            read += inv.lockfiles.len();
        }
        assert!(read > 0, "{dir} holds no lockfiles");
    }
}
