//! One directory tree as an OCI artifact, in the form every Distribution
//! registry accepts: an image manifest whose config blob has one of paii's
//! media types (a build output's, a plugin's) and whose one layer is the
//! tree as a tar under `out/` (deterministic, so that an unchanged tree
//! uploads nothing), with paii's annotations (`dev.paii.*`): name, version,
//! integrity, signatures.

use std::io::{Read, Write};
use std::path::Path;

use std::collections::HashMap;

use oci_spec::image::{Descriptor, Digest as OciDigest, ImageManifest, ImageManifestBuilder, MediaType};
use serde_json::Value;

use super::{Client, OciError, digest_of};
use crate::store::integrity::Integrity;

pub const LAYER_TYPE: &str = "application/vnd.paii.tree.v1.tar";
pub const ANNOTATION: &str = "dev.paii";
/// The largest tree taken from a registry.
const MAX_LAYER: u64 = 1 << 30;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ArtifactError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Oci(#[from] OciError),
    #[error("{0} has nothing under that name")]
    Missing(String),
    #[error("{what} is not the kind of artifact paii expected there ({found})")]
    WrongType { what: String, found: String },
    #[error("{what} is not signed by a trusted key{}", if signers.is_empty() { String::new() } else { format!(" (signed by {})", signers.join(", ")) })]
    Untrusted { what: String, signers: Vec<String> },
    #[error("{what}: the unpacked tree hashes to {computed}, not the signed {expected}")]
    Mismatch { what: String, expected: Integrity, computed: Integrity },
    #[error("{what}: {message}")]
    Unpack { what: String, message: String },
}

/// Writes into a buffer and hashes what it writes: the layer's digest comes
/// with packing it, not from a second pass over 50 MB.
struct Hashed {
    bytes: Vec<u8>,
    sha: sha2::Sha256,
}

impl Write for Hashed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        sha2::Digest::update(&mut self.sha, buf);
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads and hashes what it reads.
struct HashingReader<R> {
    inner: R,
    sha: sha2::Sha256,
}

impl<R: std::io::Read> std::io::Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        sha2::Digest::update(&mut self.sha, &buf[..n]);
        Ok(n)
    }
}

/// The tree at `dir` as a tar under `out/`, and its digest: entries sorted,
/// no owners or times, only the executable bit kept, so that the same tree
/// always makes the same bytes. Not compressed: compressing and
/// decompressing cost more than moving the bytes on the networks a team's
/// registry sits on, and stripped machine code shrinks little.
pub fn pack(dir: &Path) -> std::io::Result<(Vec<u8>, String)> {
    let mut tar = tar::Builder::new(Hashed { bytes: Vec::new(), sha: sha2::Digest::new() });
    tar.follow_symlinks(false);
    fn walk<W: Write>(tar: &mut tar::Builder<W>, dir: &Path, rel: &Path) -> std::io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let path = e.path();
            let name = rel.join(e.file_name());
            let meta = std::fs::symlink_metadata(&path)?;
            let mut h = tar::Header::new_gnu();
            h.set_mtime(0);
            h.set_uid(0);
            h.set_gid(0);
            if meta.file_type().is_symlink() {
                h.set_entry_type(tar::EntryType::Symlink);
                h.set_size(0);
                h.set_mode(0o777);
                tar.append_link(&mut h, &name, std::fs::read_link(&path)?)?;
            } else if meta.is_dir() {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_size(0);
                h.set_mode(0o755);
                tar.append_data(&mut h, &name, std::io::empty())?;
                walk(tar, &path, &name)?;
            } else {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_size(meta.len());
                h.set_mode(if meta.permissions().mode() & 0o100 != 0 { 0o755 } else { 0o644 });
                tar.append_data(&mut h, &name, std::fs::File::open(&path)?)?;
            }
        }
        Ok(())
    }
    walk(&mut tar, dir, Path::new("out"))?;
    let hashed = tar.into_inner()?;
    let digest = format!("sha256:{}", crate::store::integrity::hex(&sha2::Digest::finalize(hashed.sha)));
    Ok((hashed.bytes, digest))
}

/// What one push sent.
#[derive(Debug, Default, Clone, Copy)]
pub struct Pushed {
    pub blob_bytes: u64,
}

/// Uploads the tree at `dir` tagged `tag`, with `config` as its config blob
/// of type `config_type` and paii's `annotations` (without the prefix); the
/// manifest's digest.
pub fn push_tree(
    client: &Client,
    tag: &str,
    dir: &Path,
    config_type: &str,
    config: &Value,
    annotations: &[(&str, String)],
) -> Result<(Pushed, String), ArtifactError> {
    let what = client.repository().to_string();
    let (layer, layer_digest) = pack(dir).map_err(|e| ArtifactError::Unpack { what: what.clone(), message: e.to_string() })?;
    let config = serde_json::to_vec(config).unwrap_or_default();
    let config_digest = digest_of(&config);
    let (layer_len, config_len) = (layer.len(), config.len());
    let mut pushed = Pushed::default();
    // `Bytes`: a retried request (after an auth challenge) sends the same
    // buffer, not a copy.
    for (bytes, digest) in [(bytes::Bytes::from(config), &config_digest), (bytes::Bytes::from(layer), &layer_digest)] {
        let len = bytes.len() as u64;
        if client.put_blob(bytes, digest)? {
            pushed.blob_bytes += len;
        }
    }
    let descriptor = |media: &str, digest: &str, size: usize| -> Result<Descriptor, ArtifactError> {
        let digest: OciDigest = digest.parse().map_err(|e| ArtifactError::Unpack { what: what.clone(), message: format!("{e}") })?;
        Ok(Descriptor::new(MediaType::Other(media.to_string()), size as u64, digest))
    };
    let annotations: HashMap<String, String> = annotations.iter().map(|(k, v)| (format!("{ANNOTATION}.{k}"), v.clone())).collect();
    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(descriptor(config_type, &config_digest, config_len)?)
        .layers(vec![descriptor(LAYER_TYPE, &layer_digest, layer_len)?])
        .annotations(annotations)
        .build()
        .map_err(|e| ArtifactError::Unpack { what: what.clone(), message: e.to_string() })?;
    let manifest = manifest.to_string().map_err(|e| ArtifactError::Unpack { what: what.clone(), message: e.to_string() })?;
    let digest = client.put_manifest(tag, manifest.as_bytes())?;
    Ok((pushed, digest))
}

/// A manifest read from a registry, of the expected config type.
pub struct Manifest {
    pub value: ImageManifest,
    pub digest: String,
    pub what: String,
}

impl Manifest {
    /// One of paii's annotations (without the prefix), or "".
    pub fn annotation(&self, key: &str) -> &str {
        self.value.annotations().as_ref().and_then(|a| a.get(&format!("{ANNOTATION}.{key}"))).map(String::as_str).unwrap_or_default()
    }

    /// The integrity it says its tree has.
    pub fn integrity(&self) -> Result<Integrity, ArtifactError> {
        self.annotation("integrity")
            .parse()
            .map_err(|_| ArtifactError::WrongType { what: self.what.clone(), found: "no integrity annotation".into() })
    }

    /// Its signatures, `NAME:<base64>` each.
    pub fn signatures(&self) -> Vec<String> {
        self.annotation("signatures").split_whitespace().map(str::to_string).collect()
    }

    /// An error for signatures none of which a trusted key made.
    pub fn untrusted(&self) -> ArtifactError {
        let signers = self.signatures().iter().filter_map(|s| s.split_once(':').map(|(n, _)| n.to_string())).collect();
        ArtifactError::Untrusted { what: self.what.clone(), signers }
    }
}

/// The manifest `reference` (a tag or a digest), if its config is of `config_type`.
pub fn read_manifest(client: &Client, reference: &str, config_type: &str, what: String) -> Result<Manifest, ArtifactError> {
    let (bytes, digest) = client
        .get_manifest(reference)
        .map_err(|e| if e.is_not_found() { ArtifactError::Missing(client.repository().to_string()) } else { e.into() })?;
    let value = ImageManifest::from_reader(&bytes[..])
        .map_err(|e| ArtifactError::WrongType { what: what.clone(), found: format!("not an OCI image manifest: {e}") })?;
    let found = value.config().media_type().to_string();
    if found != config_type {
        return Err(ArtifactError::WrongType { what, found: format!("config media type `{found}`") });
    }
    Ok(Manifest { value, digest, what })
}

/// Unpacks `manifest`'s tree into `dest` (an empty directory) as it
/// arrives, hashing it on the way, and checks the blob's digest and then
/// the tree's integrity against what the manifest says.
pub fn unpack_tree(client: &Client, manifest: &Manifest, dest: &Path) -> Result<Integrity, ArtifactError> {
    unpack_tree_with(client, manifest, dest, Default::default())
}

/// [`unpack_tree`] with these limits.
pub fn unpack_tree_with(
    client: &Client,
    manifest: &Manifest,
    dest: &Path,
    limits: crate::extract::Limits,
) -> Result<Integrity, ArtifactError> {
    let what = manifest.what.clone();
    let integrity = manifest.integrity()?;
    let layer = manifest.value.layers().first().filter(|l| l.media_type().to_string() == LAYER_TYPE);
    let digest = layer
        .map(|l| l.digest().to_string())
        .ok_or_else(|| ArtifactError::WrongType { what: what.clone(), found: "no tree layer".into() })?;
    let digest = digest.as_str();
    let unpack_err = |message: String| ArtifactError::Unpack { what: what.clone(), message };
    let staging = dest.join(".unpack");
    std::fs::create_dir(&staging).map_err(|e| unpack_err(e.to_string()))?;
    // Nothing unpacked is used unless the blob was the one the manifest
    // names (checked below, with the tree's own integrity after that).
    let mut blob = HashingReader { inner: client.blob_reader(digest)?, sha: sha2::Digest::new() };
    let root =
        crate::extract::unpack(&mut blob, crate::extract::Compression::None, &staging, limits).map_err(|e| unpack_err(e.to_string()))?;
    std::io::copy(&mut (&mut blob).take(MAX_LAYER), &mut std::io::sink()).map_err(|e| unpack_err(e.to_string()))?;
    let found = format!("sha256:{}", crate::store::integrity::hex(&sha2::Digest::finalize(blob.sha)));
    if found != digest {
        return Err(OciError::Digest { what, expected: digest.to_string(), found }.into());
    }
    if root.file_name().is_none_or(|n| n != "out") {
        return Err(unpack_err("the archive has no `out/` directory".into()));
    }
    for e in std::fs::read_dir(&root).map_err(|e| unpack_err(e.to_string()))? {
        let e = e.map_err(|e| unpack_err(e.to_string()))?;
        std::fs::rename(e.path(), dest.join(e.file_name())).map_err(|e| unpack_err(e.to_string()))?;
    }
    std::fs::remove_dir_all(&staging).map_err(|e| unpack_err(e.to_string()))?;
    let computed = crate::store::integrity::hash_path(dest).map_err(|e| unpack_err(e.to_string()))?;
    if computed != integrity {
        return Err(ArtifactError::Mismatch { what, expected: integrity, computed });
    }
    Ok(integrity)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_tree_packs_to_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("bin")).unwrap();
        std::fs::write(dir.path().join("bin/b"), "x").unwrap();
        std::fs::write(dir.path().join("a"), "y").unwrap();
        let one = pack(dir.path()).unwrap();
        assert_eq!(one.1, digest_of(&one.0));
        let other = tempfile::tempdir().unwrap();
        std::fs::write(other.path().join("a"), "y").unwrap();
        std::fs::create_dir_all(other.path().join("bin")).unwrap();
        std::fs::write(other.path().join("bin/b"), "x").unwrap();
        assert_eq!(one, pack(other.path()).unwrap());
    }
}
