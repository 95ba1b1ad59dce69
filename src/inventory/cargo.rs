//! Cargo.lock, read with RustSec's `cargo-lock` (every format version Cargo
//! has written).

use std::path::Path;

use super::{Hash, HashAlg, Inventory, InventoryError, Package, PackageSource};

pub(super) fn read(path: &Path, inv: &mut Inventory) -> Result<(), InventoryError> {
    let text = super::read_text(path)?;
    let lock: cargo_lock::Lockfile =
        text.parse().map_err(|e: cargo_lock::Error| InventoryError { path: path.to_path_buf(), message: e.to_string() })?;
    let first = inv.packages.len();
    for p in &lock.packages {
        let source = match &p.source {
            None => PackageSource::Local,
            Some(s) if s.is_path() => PackageSource::Local,
            Some(s) if s.is_git() => PackageSource::Git { url: strip_query(s.url().as_str()), commit: s.precise().map(str::to_string) },
            Some(s) => PackageSource::Registry { url: s.url().as_str().trim_end_matches('/').to_string() },
        };
        let hash =
            p.checksum.as_ref().and_then(|c| c.as_sha256()).map(|d| Hash { alg: HashAlg::Sha256, hex: crate::store::integrity::hex(&d) });
        inv.packages.push(Package {
            ecosystem: super::Ecosystem::Cargo,
            name: p.name.as_str().to_string(),
            version: p.version.to_string(),
            source,
            hash,
            artifacts: Vec::new(),
            dependencies: Vec::new(),
        });
    }
    let edges = lock
        .packages
        .iter()
        .map(|p| p.dependencies.iter().filter_map(|d| lock.packages.iter().position(|q| d.matches(q)).map(|i| first + i)).collect())
        .collect();
    inv.link(first, edges);
    Ok(())
}

/// A git source's URL without Cargo's `?branch=`/`?rev=` (the commit is kept apart).
fn strip_query(url: &str) -> String {
    url.split(['?', '#']).next().unwrap_or(url).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cargo_lock_gives_packages_checksums_edges_and_the_plugin_as_root() {
        let dir = tempfile::tempdir().unwrap();
        let text = r#"
version = 4

[[package]]
name = "guard"
version = "0.1.0"
dependencies = ["itoa", "dep-from-git"]

[[package]]
name = "itoa"
version = "1.0.11"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b"

[[package]]
name = "dep-from-git"
version = "0.2.0"
source = "git+https://example.org/dep?branch=main#0123456789abcdef0123456789abcdef01234567"
"#;
        std::fs::write(dir.path().join("Cargo.lock"), text).unwrap();
        let inv = Inventory::read(dir.path(), None).unwrap();
        assert_eq!(inv.packages.len(), 3);
        assert_eq!(inv.roots, vec![0]);
        assert_eq!(inv.packages[0].dependencies, vec![1, 2]);
        assert_eq!(inv.packages[1].purl(), "pkg:cargo/itoa@1.0.11");
        assert_eq!(inv.packages[1].hash.as_ref().unwrap().hex, "49f1f14873335454500d59611f1cf4a4b0f786f9ac11f4312a78e4cf2566695b");
        assert_eq!(
            inv.packages[2].source,
            PackageSource::Git { url: "https://example.org/dep".into(), commit: Some("0123456789abcdef0123456789abcdef01234567".into()) }
        );
        assert_eq!(inv.third_party().count(), 2);
    }
}
