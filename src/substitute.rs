//! A binary cache of build outputs in an OCI repository, trusted the way
//! Nix trusts its caches: an output lands in the store only if the tree
//! unpacked from the cache hashes to the integrity a trusted key signed.
//!
//! One output is one artifact (see [`crate::oci::artifact`]) tagged with the
//! output's build key, its config blob of type [`CONFIG_TYPE`], its
//! signatures over `paii-substitute-1;KEY;NAME;VERSION;INTEGRITY`.

use std::path::Path;

use serde_json::json;

use crate::oci::Client;
use crate::oci::artifact::{self, Pushed};
use crate::sign::{PublicKey, SecretKey};
use crate::store::integrity::Integrity;

pub use crate::oci::artifact::ArtifactError as SubstituteError;
pub use crate::oci::artifact::pack;

pub const CONFIG_TYPE: &str = "application/vnd.paii.build.config.v1+json";

pub use crate::manifest::project::Cache;

/// What a signature covers.
pub fn message(key: &str, name: &str, version: &str, integrity: &Integrity) -> Vec<u8> {
    format!("paii-substitute-1;{key};{name};{version};{integrity}").into_bytes()
}

/// Uploads the output at `dir` of the build `key`, signed with `secret`.
/// `dir` is where it was built: a venv records that path, and a machine
/// that fetches it rewrites it to its own (see [`relocate`]).
pub fn push(client: &Client, key: &str, name: &str, version: &str, dir: &Path, secret: &SecretKey) -> Result<Pushed, SubstituteError> {
    let integrity = crate::store::integrity::hash_path(dir)
        .map_err(|e| SubstituteError::Unpack { what: format!("{name} {version}"), message: e.to_string() })?;
    let config = json!({"name": name, "version": version, "key": key, "integrity": integrity.to_string()});
    let signature = secret.sign(&message(key, name, version, &integrity));
    let annotations = [
        ("name", name.to_string()),
        ("version", version.to_string()),
        ("key", key.to_string()),
        ("integrity", integrity.to_string()),
        ("signatures", signature),
        ("built-at", dir.display().to_string()),
    ];
    Ok(artifact::push_tree(client, key, dir, CONFIG_TYPE, &config, &annotations)?.0)
}

/// Fetches the output of build `key` into `dest` (an empty directory) if
/// the cache has one that a `trusted` key signed and that hashes to what
/// was signed; its integrity.
pub fn fetch(
    client: &Client,
    key: &str,
    name: &str,
    version: &str,
    trusted: &[PublicKey],
    dest: &Path,
) -> Result<Fetched, SubstituteError> {
    let what = format!("{}:{key} ({name} {version})", client.repository());
    let manifest = artifact::read_manifest(client, key, CONFIG_TYPE, what)?;
    let signed = message(key, name, version, &manifest.integrity()?);
    if !trusted.iter().any(|k| k.verifies(&signed, &manifest.signatures())) {
        return Err(manifest.untrusted());
    }
    // A build output was signed by a key the team trusts; a venv in it
    // names its interpreter by an absolute path.
    let limits = crate::extract::Limits { absolute_links: true, ..Default::default() };
    let integrity = artifact::unpack_tree_with(client, &manifest, dest, limits)?;
    let built_at = Some(manifest.annotation("built-at").to_string()).filter(|s| !s.is_empty());
    Ok(Fetched { integrity, built_at })
}

/// A fetched output: what was signed, and where it was built.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub integrity: Integrity,
    pub built_at: Option<String>,
}

/// Rewrites the path an output was built at (`from`) to the one it will
/// live at here (`to`) in every text file and symlink of `dir` that names
/// it: a venv's scripts, its `pyvenv.cfg` and activation scripts. A binary
/// file that names it cannot be rewritten safely, so the output is refused
/// (and built) rather than half-moved.
pub fn relocate(dir: &Path, from: &str, to: &str) -> Result<usize, String> {
    if from == to {
        return Ok(0);
    }
    let mut changed = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).map_err(|e| format!("{}: {e}", d.display()))? {
            let e = e.map_err(|e| e.to_string())?;
            let path = e.path();
            let ft = e.file_type().map_err(|e| e.to_string())?;
            if ft.is_symlink() {
                let target = std::fs::read_link(&path).map_err(|e| e.to_string())?;
                let t = target.to_string_lossy();
                if t.contains(from) {
                    std::fs::remove_file(&path).map_err(|e| e.to_string())?;
                    std::os::unix::fs::symlink(t.replace(from, to), &path).map_err(|e| e.to_string())?;
                    changed += 1;
                }
            } else if ft.is_dir() {
                stack.push(path);
            } else {
                let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
                if !bytes.windows(from.len()).any(|w| w == from.as_bytes()) {
                    continue;
                }
                let text = String::from_utf8(bytes)
                    .map_err(|_| format!("{} names {from} in binary content, which cannot be moved", path.display()))?;
                std::fs::write(&path, text.replace(from, to)).map_err(|e| format!("{}: {e}", path.display()))?;
                changed += 1;
            }
        }
    }
    Ok(changed)
}
