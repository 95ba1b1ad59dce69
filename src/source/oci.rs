//! Plugins kept in an OCI registry, where a company already keeps its
//! artifacts: one plugin tree is one artifact (see [`crate::oci::artifact`])
//! with the plugin config type, fetched like a tarball and pinned in
//! paii.lock by manifest digest plus the tree's integrity. `paii publish`
//! pushes one.

use std::path::Path;

use serde_json::json;

use crate::oci::Client;
use crate::oci::artifact::{self, ArtifactError, Manifest};
use crate::sign::{PublicKey, SecretKey};
use crate::store::integrity::Integrity;

pub const CONFIG_TYPE: &str = "application/vnd.paii.plugin.config.v1+json";

/// A source tree kept in a binary cache (`paii cache push --sources`): the
/// artifact's config type, its tag (by the tree's integrity), what its
/// signature covers.
pub const SOURCE_CONFIG_TYPE: &str = "application/vnd.paii.source.config.v1+json";

pub fn source_tag(integrity: &Integrity) -> String {
    format!("src-{}", integrity.hex())
}

pub fn source_message(name: &str, version: &str, integrity: &Integrity) -> Vec<u8> {
    format!("paii-source-1;{name};{version};{integrity}").into_bytes()
}

/// Pushes the source tree `dir` of `name` `version`, signed.
pub fn push_source(
    client: &Client,
    name: &str,
    version: &str,
    dir: &Path,
    integrity: &Integrity,
    secret: &SecretKey,
) -> Result<u64, ArtifactError> {
    let config = json!({"name": name, "version": version, "integrity": integrity.to_string()});
    let annotations = [
        ("name", name.to_string()),
        ("version", version.to_string()),
        ("integrity", integrity.to_string()),
        ("signatures", secret.sign(&source_message(name, version, integrity))),
    ];
    Ok(artifact::push_tree(client, &source_tag(integrity), dir, SOURCE_CONFIG_TYPE, &config, &annotations)?.0.blob_bytes)
}

/// What a plugin's signature covers.
pub fn message(name: &str, version: &str, integrity: &Integrity) -> Vec<u8> {
    format!("paii-plugin-1;{name};{version};{integrity}").into_bytes()
}

/// The plugin artifact `reference` of `repo`, checked for a trusted
/// signature when `trusted` is given (`[policy] require-signatures`).
pub fn manifest(client: &Client, reference: &str, name: &str, trusted: Option<&[PublicKey]>) -> Result<Manifest, ArtifactError> {
    let m = artifact::read_manifest(client, reference, CONFIG_TYPE, format!("{}:{reference} (plugin `{name}`)", client.repository()))?;
    if let Some(trusted) = trusted {
        let signed = message(m.annotation("name"), m.annotation("version"), &m.integrity()?);
        if m.annotation("name") != name || !trusted.iter().any(|k| k.verifies(&signed, &m.signatures())) {
            return Err(m.untrusted());
        }
    }
    Ok(m)
}

#[cfg(test)]
mod tests {
    use crate::oci::parse_reference;

    #[test]
    fn references_name_a_repository_a_tag_and_a_digest() {
        let (r, t, d) = parse_reference("registry.example.org:5000/acme/plugins/security:1.2.0").unwrap();
        assert_eq!(
            (r.host.as_str(), r.name.as_str(), t.as_deref(), d),
            ("registry.example.org:5000", "acme/plugins/security", Some("1.2.0"), None)
        );
        let (r, t, d) = parse_reference("oci://127.0.0.1:5000/acme/x@sha256:abc").unwrap();
        assert_eq!((r.host.as_str(), t, d.as_deref()), ("127.0.0.1:5000", None, Some("sha256:abc")));
        let (_, t, _) = parse_reference("host:5000/acme/x").unwrap();
        assert_eq!(t, None, "a port is not a tag");
    }
}
