//! Plugins kept in an OCI registry, where a company already keeps its
//! artifacts: one plugin tree is one artifact (see [`crate::oci::artifact`])
//! with the plugin config type, fetched like a tarball and pinned in
//! paii.lock by manifest digest plus the tree's integrity. `paii publish`
//! pushes one.

use std::path::Path;

use serde_json::json;

use crate::oci::artifact::{self, ArtifactError, Manifest};
use crate::oci::{Client, Repository};
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

/// `HOST/NAME[:TAG|@DIGEST]`, with or without `oci://`: the repository, the
/// tag and the digest it names.
pub fn parse_reference(text: &str) -> Result<(Repository, Option<String>, Option<String>), crate::oci::OciError> {
    let bare = text.strip_prefix("oci://").unwrap_or(text);
    let (rest, digest) = match bare.split_once('@') {
        Some((r, d)) => (r, Some(d.to_string())),
        None => (bare, None),
    };
    // A tag follows the last `:` after the last `/` (a port comes before it).
    let (name, tag) = match rest.rsplit_once(':').filter(|(before, after)| !after.contains('/') && before.contains('/')) {
        Some((n, t)) => (n, Some(t.to_string())),
        None => (rest, None),
    };
    Ok((Repository::parse(&format!("oci://{name}"))?, tag, digest))
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

/// What `paii publish` made.
#[derive(Debug, serde::Serialize)]
pub struct Published {
    pub name: String,
    pub version: String,
    /// `oci://HOST/NAME@sha256:...`
    pub source: String,
    pub integrity: String,
    pub uploaded: u64,
    /// The `[[plugins]]` entry for a registry file.
    pub entry: String,
}

/// Pushes the plugin tree `dir` (as a path plugin's tree: what git would
/// track) tagged with its version, or `tag`, signed when a key is given.
pub fn publish(dir: &Path, repo: &Repository, tag: Option<&str>, secret: Option<&SecretKey>) -> Result<Published, crate::ops::Error> {
    let pm = crate::manifest::PluginManifest::load_dir(dir)?;
    let scratch = tempfile::tempdir().map_err(crate::ops::Error::io("cannot create a temporary directory in", &std::env::temp_dir()))?;
    let tree = scratch.path().join("tree");
    std::fs::create_dir(&tree).map_err(crate::ops::Error::io("cannot create", &tree))?;
    let included = super::local::included(dir).map_err(crate::ops::Error::io("cannot read", dir))?;
    super::local::copy(dir, &tree, &included).map_err(crate::ops::Error::io("cannot copy", dir))?;
    let integrity = crate::store::integrity::hash_path(&tree).map_err(crate::store::StoreError::from)?;
    let version = pm.version.to_string();
    let config = json!({"name": pm.name, "version": version, "integrity": integrity.to_string()});
    let mut annotations = vec![("name", pm.name.clone()), ("version", version.clone()), ("integrity", integrity.to_string())];
    if let Some(k) = secret {
        annotations.push(("signatures", k.sign(&message(&pm.name, &version, &integrity))));
    }
    let oci = |error: ArtifactError| super::SourceError::Oci { name: pm.name.clone(), error };
    let client = Client::new(repo).map_err(|e| oci(e.into()))?;
    let (pushed, digest) = artifact::push_tree(&client, tag.unwrap_or(&version), &tree, CONFIG_TYPE, &config, &annotations).map_err(oci)?;
    let source = format!("{repo}@{digest}");
    let provides: Vec<String> = pm.provides.iter().map(|p| format!("{:?}", p.to_string())).collect();
    let mut entry = format!(
        "[[plugins]]\nname = {:?}\nversion = {version:?}\ndescription = {:?}\nsource = {source:?}\nintegrity = \"{integrity}\"\n",
        pm.name, pm.description
    );
    if let Some(cv) = &pm.core_version {
        entry.push_str(&format!("core_version = \"{cv}\"\n"));
    }
    if !provides.is_empty() {
        entry.push_str(&format!("provides = [{}]\n", provides.join(", ")));
    }
    Ok(Published { name: pm.name, version, source, integrity: integrity.to_string(), uploaded: pushed.blob_bytes, entry })
}

#[cfg(test)]
mod tests {
    use super::*;

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
