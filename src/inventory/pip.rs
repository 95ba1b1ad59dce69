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
        // `name[extra] == 1.2 ; marker --hash=sha256:...`: only exact pins
        // (`==`, `===`) name one release.
        let (spec, options) = match line.find(" --") {
            Some(at) => (&line[..at], &line[at..]),
            None => (line, ""),
        };
        let spec = spec.split(';').next().unwrap_or(spec);
        let Some((name, version)) = spec.split_once("==") else { continue };
        let version = version.trim_start_matches('=').trim();
        if version.is_empty() || version.contains(['*', ',', ' ']) {
            continue;
        }
        let name = name.split('[').next().unwrap_or(name).trim();
        // `--hash=sha256:...` and `--hash sha256:...` alike.
        let hashes: Vec<Hash> = options
            .replace("--hash ", "--hash=")
            .split_whitespace()
            .filter_map(|w| w.strip_prefix("--hash="))
            .filter_map(Hash::parse_prefixed)
            .collect();
        inv.packages.push(Package {
            ecosystem: Ecosystem::PyPI,
            name: name.to_string(),
            version: version.to_string(),
            source: PackageSource::Registry { url: "https://pypi.org/simple".into() },
            hash: (hashes.len() == 1).then(|| hashes[0].clone()),
            artifacts: hashes.into_iter().map(|h| Artifact { url: String::new(), hash: Some(h) }).collect(),
            dependencies: Vec::new(),
        });
    }
    let n = inv.packages.len() - first;
    inv.link(first, vec![Vec::new(); n]);
    // A requirements file has no project entry: each pin is one of the
    // plugin's own dependencies.
    inv.roots.extend(first..first + n);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_pins_with_hashes_are_packages_and_the_rest_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let text = "# pinned\n--index-url https://pypi.org/simple\nrequests[socks]==2.31.0 \\\n    --hash=sha256:58cd2187c01e70e6e26505bca751777aa9f2ee0b7f4300988b709f44e013003f\nidna>=3\nsix == 1.16.0 --hash sha256:8abb2f1d86890a2dfb989f9a77cfcfd3e47c2a354b01111771326f8aa26e0254\nattrs===23.1.0\n";
        std::fs::write(dir.path().join("requirements.txt"), text).unwrap();
        let inv = Inventory::read(dir.path(), Some("requirements.txt")).unwrap();
        let purls: Vec<String> = inv.packages.iter().map(Package::purl).collect();
        assert_eq!(purls, ["pkg:pypi/requests@2.31.0", "pkg:pypi/six@1.16.0", "pkg:pypi/attrs@23.1.0"]);
        assert!(inv.packages[0].hash.is_some() && inv.packages[1].hash.is_some());
        assert_eq!(inv.roots, vec![0, 1, 2], "each pin is a direct dependency of the plugin");
    }
}
