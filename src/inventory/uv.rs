//! uv.lock: uv's universal lockfile (format version 1).

use std::path::Path;

use serde::Deserialize;

use super::{Artifact, Ecosystem, Hash, Inventory, InventoryError, Package, PackageSource};

#[derive(Deserialize)]
struct UvLock {
    #[serde(default, rename = "package")]
    packages: Vec<UvPackage>,
}

#[derive(Deserialize)]
struct UvPackage {
    name: String,
    /// Absent for a dynamic-version project.
    version: Option<String>,
    #[serde(default)]
    source: UvSource,
    #[serde(default)]
    dependencies: Vec<UvDependency>,
    /// `[package.optional-dependencies]` and `[package.dev-dependencies]`
    /// groups: installed by some builds, so listed.
    #[serde(default, rename = "optional-dependencies")]
    optional: std::collections::BTreeMap<String, Vec<UvDependency>>,
    #[serde(default, rename = "dev-dependencies")]
    dev: std::collections::BTreeMap<String, Vec<UvDependency>>,
    sdist: Option<UvFile>,
    #[serde(default)]
    wheels: Vec<UvFile>,
}

#[derive(Default, Deserialize)]
#[serde(rename_all = "lowercase")]
struct UvSource {
    registry: Option<String>,
    git: Option<String>,
    url: Option<String>,
    /// A local file: a wheel or sdist someone else built, else a tree.
    path: Option<String>,
    // `editable`, `virtual` and `directory` are the project's tree.
}

#[derive(Deserialize)]
struct UvDependency {
    name: String,
    version: Option<String>,
}

#[derive(Deserialize)]
struct UvFile {
    url: Option<String>,
    path: Option<String>,
    hash: Option<String>,
}

pub(super) fn read(path: &Path, inv: &mut Inventory) -> Result<(), InventoryError> {
    let text = super::read_text(path)?;
    let lock: UvLock = toml::from_str(&text).map_err(|e| InventoryError { path: path.to_path_buf(), message: e.to_string() })?;
    let first = inv.packages.len();
    for p in &lock.packages {
        let source = if let Some(url) = &p.source.registry {
            PackageSource::Registry { url: url.trim_end_matches('/').to_string() }
        } else if let Some(git) = &p.source.git {
            // `https://host/repo?rev=x#<commit>`
            let (url, commit) = match git.split_once('#') {
                Some((u, c)) => (u, Some(c.to_string())),
                None => (git.as_str(), None),
            };
            PackageSource::Git { url: url.split('?').next().unwrap_or(url).to_string(), commit }
        } else if let Some(url) = &p.source.url {
            PackageSource::Url { url: url.clone() }
        } else if let Some(file) = p.source.path.as_ref().filter(|f| [".whl", ".tar.gz", ".zip", ".tar.bz2"].iter().any(|x| f.ends_with(x)))
        {
            PackageSource::Url { url: file.clone() }
        } else {
            PackageSource::Local
        };
        let artifacts: Vec<Artifact> = p
            .sdist
            .iter()
            .chain(&p.wheels)
            .filter_map(|f| {
                let url = f.url.clone().or_else(|| f.path.clone())?;
                Some(Artifact { url, hash: f.hash.as_deref().and_then(Hash::parse_prefixed) })
            })
            .collect();
        let hash = match (&p.sdist, artifacts.as_slice()) {
            (Some(s), _) => s.hash.as_deref().and_then(Hash::parse_prefixed),
            (None, [only]) => only.hash.clone(),
            _ => None,
        };
        inv.packages.push(Package {
            ecosystem: Ecosystem::PyPI,
            name: p.name.clone(),
            version: p.version.clone().unwrap_or_else(|| "0.0.0".to_string()),
            source,
            hash,
            artifacts,
            dependencies: Vec::new(),
        });
    }
    let find = |d: &UvDependency| {
        let name = Ecosystem::PyPI.normalize(&d.name);
        lock.packages
            .iter()
            .position(|q| Ecosystem::PyPI.normalize(&q.name) == name && (d.version.is_none() || d.version == q.version))
            .map(|i| first + i)
    };
    let edges = lock
        .packages
        .iter()
        .map(|p| p.dependencies.iter().chain(p.optional.values().flatten()).chain(p.dev.values().flatten()).filter_map(find).collect())
        .collect();
    inv.link(first, edges);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_uv_lock_gives_packages_their_files_and_the_project_as_root() {
        let dir = tempfile::tempdir().unwrap();
        let text = r#"
version = 1
requires-python = ">=3.9"

[[package]]
name = "notes"
version = "0.1.0"
source = { editable = "." }
dependencies = [{ name = "Typing_Extensions" }]

[package.dev-dependencies]
dev = [{ name = "pytest" }]

[[package]]
name = "typing-extensions"
version = "4.12.2"
source = { registry = "https://pypi.org/simple" }
sdist = { url = "https://files.example/typing_extensions-4.12.2.tar.gz", hash = "sha256:1a7ead55c7e559dd4dee8856e3a88b41225abfe1ce8df57b7c13915fe121ffb8", size = 1 }
wheels = [{ url = "https://files.example/typing_extensions-4.12.2-py3-none-any.whl", hash = "sha256:04e5ca0351e0f3f85c6853954072df659d0d13fac324d0072316b67d7794700d", size = 1 }]

[[package]]
name = "pytest"
version = "8.0.0"
source = { git = "https://github.com/pytest-dev/pytest?rev=8.0.0#abcdef0123456789abcdef0123456789abcdef01" }
"#;
        std::fs::write(dir.path().join("uv.lock"), text).unwrap();
        let inv = Inventory::read(dir.path(), None).unwrap();
        assert_eq!(inv.roots, vec![0]);
        assert_eq!(inv.packages[0].dependencies, vec![1, 2]);
        assert_eq!(inv.packages[1].purl(), "pkg:pypi/typing-extensions@4.12.2");
        assert_eq!(inv.packages[1].artifacts.len(), 2);
        assert!(inv.packages[1].hash.as_ref().unwrap().hex.starts_with("1a7ead"));
        assert!(matches!(&inv.packages[2].source, PackageSource::Git { commit: Some(c), .. } if c.starts_with("abcdef")));
    }
}
