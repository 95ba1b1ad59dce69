//! A pip requirements file: its exact pins (`name==version`) and their
//! `--hash` options, as `pip install --require-hashes` reads them.

use std::path::Path;

use super::{Artifact, Ecosystem, Hash, Inventory, InventoryError, Package, PackageSource};

pub(super) fn read(path: &Path, inv: &mut Inventory) -> Result<(), InventoryError> {
    let text = super::read_text(path)?;
    let first = inv.packages.len();
    // Continuation lines join first, as pip joins them.
    let joined = text.replace("\\\r\n", " ").replace("\\\n", " ");
    for line in joined.lines() {
        let line = line.split(" #").next().unwrap_or(line).trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with('-') {
            continue;
        }
        let mut words = line.split_whitespace();
        let Some(spec) = words.next() else { continue };
        // `name[extra]==1.2 ; marker`: only exact pins name one release.
        let spec = spec.split(';').next().unwrap_or(spec);
        let Some((name, version)) = spec.split_once("==") else { continue };
        let name = name.split('[').next().unwrap_or(name).trim();
        let hashes: Vec<Hash> = words.filter_map(|w| w.strip_prefix("--hash=")).filter_map(Hash::parse_prefixed).collect();
        inv.packages.push(Package {
            ecosystem: Ecosystem::PyPI,
            name: name.to_string(),
            version: version.trim().to_string(),
            source: PackageSource::Registry { url: "https://pypi.org/simple".into() },
            hash: (hashes.len() == 1).then(|| hashes[0].clone()),
            artifacts: hashes.into_iter().map(|h| Artifact { url: String::new(), hash: Some(h) }).collect(),
            dependencies: Vec::new(),
        });
    }
    let n = inv.packages.len() - first;
    inv.link(first, vec![Vec::new(); n]);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_pins_with_hashes_are_packages_and_the_rest_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let text = "# pinned\n--index-url https://pypi.org/simple\nrequests[socks]==2.31.0 \\\n    --hash=sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f\nidna>=3\n";
        std::fs::write(dir.path().join("requirements.txt"), text).unwrap();
        let inv = Inventory::read(dir.path(), Some("requirements.txt")).unwrap();
        assert_eq!(inv.packages.len(), 1);
        assert_eq!(inv.packages[0].purl(), "pkg:pypi/requests@2.31.0");
        assert!(inv.packages[0].hash.is_some());
    }
}
