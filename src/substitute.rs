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
use crate::oci::Repository;
use crate::oci::artifact::{self, Pushed};
use crate::sign::{PublicKey, SecretKey};
use crate::store::integrity::Integrity;

pub use crate::oci::artifact::ArtifactError as SubstituteError;
pub use crate::oci::artifact::pack;

pub const CONFIG_TYPE: &str = "application/vnd.paii.build.config.v1+json";

/// paii.toml's `[cache]`.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    pub substituters: Vec<Repository>,
    pub trusted: Vec<PublicKey>,
}

/// What a signature covers.
pub fn message(key: &str, name: &str, version: &str, integrity: &Integrity) -> Vec<u8> {
    format!("paii-substitute-1;{key};{name};{version};{integrity}").into_bytes()
}

/// Uploads the output at `dir` of the build `key`, signed with `secret`.
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
) -> Result<Integrity, SubstituteError> {
    let what = format!("{}:{key} ({name} {version})", client.repository());
    let manifest = artifact::read_manifest(client, key, CONFIG_TYPE, what)?;
    let signed = message(key, name, version, &manifest.integrity()?);
    if !trusted.iter().any(|k| k.verifies(&signed, &manifest.signatures())) {
        return Err(manifest.untrusted());
    }
    artifact::unpack_tree(client, &manifest, dest)
}
