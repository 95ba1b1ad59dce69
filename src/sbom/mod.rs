//! A software bill of materials of a lock: every plugin with its source and
//! integrity, the Rust and Python packages its lockfiles pin, and the graph
//! between them (plugin dependencies, contract wiring, package
//! dependencies). [`Bill`] is the one model; `cyclonedx` and `spdx` render
//! it. Output is a function of the lock and the locked trees alone: no
//! clock, no paths of this machine.

mod cyclonedx;
mod spdx;

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use crate::inventory::{Hash, HashAlg, Inventory, Package, PackageSource};
use crate::lock::{Lock, LockedPlugin, LockedSource};

pub use cyclonedx::render as cyclonedx;
pub use spdx::render as spdx;

/// The formats `paii sbom` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SbomFormat {
    /// CycloneDX 1.6 JSON
    Cyclonedx,
    /// SPDX 2.3 JSON
    Spdx,
}

/// One locked plugin and what its tree pins.
#[derive(Debug)]
pub struct PluginPart<'a> {
    pub locked: &'a LockedPlugin,
    pub description: Option<String>,
    pub authors: Vec<String>,
    pub inventory: Inventory,
}

/// A component of the bill: a plugin or a package, with a reference unique
/// in the document.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Component {
    /// `plugin:NAME@VERSION`, or the package's purl.
    pub bom_ref: String,
    pub kind: ComponentKind,
    pub name: String,
    pub version: String,
    pub purl: String,
    pub description: Option<String>,
    pub authors: Vec<String>,
    /// Hashes of the component itself: a plugin's tree integrity (sha256
    /// of its NAR serialisation), a crate's checksum, an sdist's hash.
    pub hashes: Vec<Hash>,
    /// Where it comes from: a VCS URL at a commit, a download URL with the
    /// file's hashes.
    pub references: Vec<Reference>,
    /// `paii:*` facts with no field of their own (integrity in paii's form,
    /// registry, subdirectory, the lock's source line).
    pub properties: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ComponentKind {
    Plugin,
    Package,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Reference {
    Vcs { url: String, commit: Option<String> },
    Distribution { url: String, hashes: Vec<Hash> },
}

/// The bill: components sorted by reference, and each one's dependencies.
#[derive(Debug)]
pub struct Bill {
    /// `sha256` of the lock's canonical text: names the document.
    pub lock_digest: [u8; 32],
    pub components: Vec<Component>,
    /// bom-ref -> what it depends on (every component has an entry).
    pub dependencies: BTreeMap<String, BTreeSet<String>>,
    /// The plugins (bom-refs), the lock's top level.
    pub plugins: Vec<String>,
}

impl Bill {
    pub fn new(lock: &Lock, parts: &[PluginPart<'_>]) -> Bill {
        let mut components: BTreeMap<String, Component> = BTreeMap::new();
        let mut dependencies: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let plugin_ref = |name: &str| lock.plugins.iter().find(|p| p.name == name).map(|p| format!("plugin:{}@{}", p.name, p.version));
        let mut plugins = Vec::new();
        for part in parts {
            let p = part.locked;
            let me = format!("plugin:{}@{}", p.name, p.version);
            plugins.push(me.clone());
            components.insert(me.clone(), plugin_component(part, &me));
            let deps = dependencies.entry(me.clone()).or_default();
            // Plugin dependencies and the providers its contracts are wired to.
            for name in p.dependencies.keys().chain(p.wiring.values().filter(|v| *v != "none")) {
                if let Some(r) = plugin_ref(name).filter(|r| *r != me) {
                    deps.insert(r);
                }
            }
            // An npm source is an npm package: its tarball is a component.
            if let LockedSource::Tarball { url, digest } = &p.source
                && let Some(npm) = npm_component(&crate::util::url::redact(url), digest.as_ref())
            {
                deps.insert(npm.bom_ref.clone());
                let npm_ref = npm.bom_ref.clone();
                components.entry(npm_ref.clone()).or_insert(npm);
                dependencies.entry(npm_ref).or_default();
            }
            let deps = dependencies.entry(me.clone()).or_default();
            let inv = &part.inventory;
            // A plugin's own packages (its crate, its project) are its
            // alone: two plugins' `0.1.0`s are not one component.
            let refs: Vec<String> = inv
                .packages
                .iter()
                .map(|p| match p.source {
                    PackageSource::Local => format!("{me}/{}", p.purl()),
                    _ => p.purl(),
                })
                .collect();
            deps.extend(inv.roots.iter().map(|&i| refs[i].clone()));
            for (i, pkg) in inv.packages.iter().enumerate() {
                components.entry(refs[i].clone()).or_insert_with(|| package_component(pkg, &refs[i], &pkg.purl()));
                let deps = dependencies.entry(refs[i].clone()).or_default();
                deps.extend(pkg.dependencies.iter().map(|&d| refs[d].clone()));
            }
        }
        plugins.sort();
        Bill {
            lock_digest: Sha256::digest(lock.to_toml().as_bytes()).into(),
            components: components.into_values().collect(),
            dependencies,
            plugins,
        }
    }

    /// The document's identity as a UUID (CycloneDX's serial number): the
    /// same lock gives the same one.
    pub fn uuid(&self) -> uuid::Uuid {
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&self.lock_digest[..16]);
        uuid::Builder::from_sha1_bytes(bytes).into_uuid()
    }

    /// When the document was made: `SOURCE_DATE_EPOCH` when set (the
    /// reproducible-builds convention), else the Unix epoch; never the
    /// clock, so that one lock gives one document.
    pub fn created(&self) -> String {
        let secs = std::env::var("SOURCE_DATE_EPOCH").ok().and_then(|s| s.trim().parse::<u64>().ok()).unwrap_or(0);
        crate::util::time::utc(secs)
    }
}

fn plugin_component(part: &PluginPart<'_>, me: &str) -> Component {
    let p = part.locked;
    let mut hashes = Vec::new();
    let mut properties = vec![("paii:source".to_string(), p.source.to_string())];
    if let Some(i) = &p.integrity {
        hashes.push(Hash { alg: HashAlg::Sha256, hex: i.hex() });
        properties.push(("paii:integrity".to_string(), i.to_string()));
    }
    if let Some(r) = &p.registry {
        properties.push(("paii:registry".to_string(), r.clone()));
    }
    if let Some(s) = &p.subdir {
        properties.push(("paii:subdir".to_string(), s.clone()));
    }
    for l in &part.inventory.lockfiles {
        properties.push(("paii:lockfile".to_string(), l.path.clone()));
    }
    let mut references = Vec::new();
    let mut purl = packageurl::PackageUrl::new("generic", p.name.as_str()).ok();
    if let Some(purl) = purl.as_mut() {
        let _ = purl.with_namespace("paii");
        let _ = purl.with_version(p.version.to_string());
    }
    match &p.source {
        LockedSource::Git { url, commit, .. } => {
            let url = crate::util::url::redact(url);
            let vcs = match commit {
                Some(c) => format!("git+{url}@{c}"),
                None => format!("git+{url}"),
            };
            if let Some(purl) = purl.as_mut() {
                let _ = purl.add_qualifier("vcs_url", vcs);
            }
            references.push(Reference::Vcs { url: url.clone(), commit: commit.clone() });
        }
        LockedSource::Tarball { url, digest } => {
            let url = crate::util::url::redact(url);
            let file_hashes = file_hashes(digest.as_ref());
            if let Some(purl) = purl.as_mut() {
                let _ = purl.add_qualifier("download_url", url.clone());
            }
            references.push(Reference::Distribution { url, hashes: file_hashes });
        }
        LockedSource::Oci { repo, digest, .. } => {
            if let Some(purl) = purl.as_mut() {
                let _ = purl.add_qualifier(
                    "download_url",
                    match digest {
                        Some(d) => format!("{repo}@{d}"),
                        None => repo.clone(),
                    },
                );
            }
            references.push(Reference::Distribution { url: repo.clone(), hashes: Vec::new() });
        }
        LockedSource::Path { .. } => {}
    }
    properties.sort();
    Component {
        bom_ref: me.to_string(),
        kind: ComponentKind::Plugin,
        name: p.name.clone(),
        version: p.version.to_string(),
        purl: purl.map(|p| p.to_string()).unwrap_or_default(),
        description: part.description.clone().filter(|d| !d.is_empty()),
        authors: part.authors.clone(),
        hashes,
        references,
        properties,
    }
}

fn package_component(pkg: &Package, bom_ref: &str, purl: &str) -> Component {
    let mut references = Vec::new();
    match &pkg.source {
        PackageSource::Git { url, commit } => references.push(Reference::Vcs { url: url.clone(), commit: commit.clone() }),
        PackageSource::Url { url } => {
            references.push(Reference::Distribution { url: url.clone(), hashes: pkg.hash.iter().cloned().collect() })
        }
        _ => {}
    }
    for a in pkg.artifacts.iter().filter(|a| !a.url.is_empty()) {
        references.push(Reference::Distribution { url: a.url.clone(), hashes: a.hash.iter().cloned().collect() });
    }
    let mut properties = vec![("paii:ecosystem".to_string(), pkg.ecosystem.osv_name().to_string())];
    if pkg.source == PackageSource::Local {
        properties.push(("paii:local".to_string(), "true".to_string()));
    }
    Component {
        bom_ref: bom_ref.to_string(),
        kind: ComponentKind::Package,
        name: pkg.name.clone(),
        version: pkg.version.clone(),
        purl: purl.to_string(),
        description: None,
        authors: Vec::new(),
        hashes: pkg.hash.iter().cloned().collect(),
        references,
        properties,
    }
}

fn file_hashes(digest: Option<&crate::store::integrity::FileDigest>) -> Vec<Hash> {
    digest
        .map(|d| Hash {
            alg: match d {
                crate::store::integrity::FileDigest::Sha256(_) => HashAlg::Sha256,
                crate::store::integrity::FileDigest::Sha512(_) => HashAlg::Sha512,
            },
            hex: d.hex(),
        })
        .into_iter()
        .collect()
}

/// The npm package an npm registry tarball is, with the tarball's hash.
fn npm_component(url: &str, digest: Option<&crate::store::integrity::FileDigest>) -> Option<Component> {
    let (package, version) = npm_tarball(url)?;
    let (scope, name) = match package.split_once('/') {
        Some((scope, name)) => (Some(scope), name),
        None => (None, package.as_str()),
    };
    let mut purl = packageurl::PackageUrl::new("npm", name).ok()?;
    if let Some(scope) = scope {
        purl.with_namespace(scope).ok()?;
    }
    purl.with_version(version.as_str()).ok()?;
    let purl = purl.to_string();
    let hashes = file_hashes(digest);
    Some(Component {
        bom_ref: purl.clone(),
        kind: ComponentKind::Package,
        name: package.clone(),
        version,
        purl,
        description: None,
        authors: Vec::new(),
        hashes: hashes.clone(),
        references: vec![Reference::Distribution { url: url.to_string(), hashes }],
        properties: vec![("paii:ecosystem".to_string(), "npm".to_string())],
    })
}

/// `(package, version)` of an npm registry tarball URL:
/// `https://registry.npmjs.org/@scope/name/-/name-1.2.3.tgz`.
fn npm_tarball(url: &str) -> Option<(String, String)> {
    let (base, file) = url.split_once("/-/")?;
    let mut parts = base.rsplit('/');
    let name = parts.next()?;
    let scope = parts.next().filter(|s| s.starts_with('@'));
    let package = match scope {
        Some(s) => format!("{s}/{name}"),
        None => name.to_string(),
    };
    let version = file.strip_suffix(".tgz")?.strip_prefix(&format!("{name}-"))?.to_string();
    Some((package, version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_npm_tarball_is_a_component_named_by_its_purl_with_its_hash() {
        let digest: crate::store::integrity::FileDigest = format!("sha512-{}==", "A".repeat(86)).parse().unwrap();
        let c = npm_component("https://registry.npmjs.org/@acme/tool/-/tool-1.2.3.tgz", Some(&digest)).unwrap();
        assert_eq!(c.purl, "pkg:npm/%40acme/tool@1.2.3");
        assert_eq!(c.hashes[0].alg, HashAlg::Sha512);
    }

    #[test]
    fn an_npm_tarball_url_names_its_package_and_version() {
        assert_eq!(
            npm_tarball("https://registry.npmjs.org/@acme/tool/-/tool-1.2.3.tgz"),
            Some(("@acme/tool".to_string(), "1.2.3".to_string()))
        );
        assert_eq!(npm_tarball("https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz"), Some(("left-pad".into(), "1.3.0".into())));
        assert_eq!(npm_tarball("https://example.org/plugin.tar.gz"), None);
    }
}
