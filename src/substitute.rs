//! A binary cache of build outputs in an OCI repository, trusted the way
//! Nix trusts its caches: an output lands in the store only if the tree
//! unpacked from the cache hashes to the integrity a trusted key signed.
//!
//! One output is one OCI artifact in the form every registry accepts: an
//! image manifest tagged with the output's build key, whose config blob has
//! paii's own media type and whose one layer is the output tree as a tar
//! (deterministic, so that an unchanged output uploads nothing). The
//! manifest's annotations carry the plugin's name and version, the tree's
//! integrity and the signatures, each over
//! `paii-substitute-1;KEY;NAME;VERSION;INTEGRITY`.

use std::io::{Read, Write};
use std::path::Path;

use serde_json::{Value, json};

use crate::oci::{Client, OciError, Repository, digest_of};
use crate::sign::{PublicKey, SecretKey};
use crate::store::integrity::Integrity;

pub const CONFIG_TYPE: &str = "application/vnd.paii.build.config.v1+json";
pub const LAYER_TYPE: &str = "application/vnd.paii.tree.v1.tar";
const ANNOTATION: &str = "dev.paii";
/// The largest output taken from a cache.
const MAX_LAYER: u64 = 1 << 30;

/// paii.toml's `[cache]`.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    pub substituters: Vec<Repository>,
    pub trusted: Vec<PublicKey>,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum SubstituteError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Oci(#[from] OciError),
    #[error("{0} has no output for this build")]
    Missing(String),
    #[error("{what} is not a paii build output ({found})")]
    WrongType { what: String, found: String },
    #[error("{what} is not signed by a trusted key{}", if signers.is_empty() { String::new() } else { format!(" (signed by {})", signers.join(", ")) })]
    Untrusted { what: String, signers: Vec<String> },
    #[error("{what}: the unpacked tree hashes to {computed}, not the signed {expected}")]
    Mismatch { what: String, expected: Integrity, computed: Integrity },
    #[error("{what}: {message}")]
    Unpack { what: String, message: String },
}

/// What a signature covers.
pub fn message(key: &str, name: &str, version: &str, integrity: &Integrity) -> Vec<u8> {
    format!("paii-substitute-1;{key};{name};{version};{integrity}").into_bytes()
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
    pub blobs: usize,
}

/// Uploads the output at `dir` of the build `key`, signed with `secret`.
pub fn push(client: &Client, key: &str, name: &str, version: &str, dir: &Path, secret: &SecretKey) -> Result<Pushed, SubstituteError> {
    let what = format!("{name} {version}");
    let unpack = |e: std::io::Error| SubstituteError::Unpack { what: what.clone(), message: e.to_string() };
    let integrity =
        crate::store::integrity::hash_path(dir).map_err(|e| SubstituteError::Unpack { what: what.clone(), message: e.to_string() })?;
    let (layer, layer_digest) = pack(dir).map_err(unpack)?;
    let config =
        serde_json::to_vec(&json!({"name": name, "version": version, "key": key, "integrity": integrity.to_string()})).unwrap_or_default();
    let config_digest = digest_of(&config);
    let (layer_len, config_len) = (layer.len(), config.len());
    let mut pushed = Pushed::default();
    // `Bytes`: a retried request (after an auth challenge) sends the same
    // buffer, not a copy of 50 MB.
    for (bytes, digest) in [(bytes::Bytes::from(config), &config_digest), (bytes::Bytes::from(layer), &layer_digest)] {
        let len = bytes.len() as u64;
        if client.put_blob(bytes, digest)? {
            pushed.blob_bytes += len;
            pushed.blobs += 1;
        }
    }
    let signature = secret.sign(&message(key, name, version, &integrity));
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": crate::oci::MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "digest": config_digest, "size": config_len},
        "layers": [{"mediaType": LAYER_TYPE, "digest": layer_digest, "size": layer_len}],
        "annotations": {
            format!("{ANNOTATION}.name"): name,
            format!("{ANNOTATION}.version"): version,
            format!("{ANNOTATION}.key"): key,
            format!("{ANNOTATION}.integrity"): integrity.to_string(),
            format!("{ANNOTATION}.signatures"): signature,
        },
    });
    client.put_manifest(key, &serde_json::to_vec(&manifest).unwrap_or_default())?;
    Ok(pushed)
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
    let (bytes, _) = client
        .get_manifest(key)
        .map_err(|e| if e.is_not_found() { SubstituteError::Missing(client.repository().to_string()) } else { e.into() })?;
    let manifest: Value =
        serde_json::from_slice(&bytes).map_err(|e| SubstituteError::WrongType { what: what.clone(), found: format!("not JSON: {e}") })?;
    let config_type = manifest.pointer("/config/mediaType").and_then(Value::as_str).unwrap_or_default();
    if config_type != CONFIG_TYPE {
        return Err(SubstituteError::WrongType { what, found: format!("config media type `{config_type}`") });
    }
    let annotation = |k: &str| manifest.pointer(&format!("/annotations/{ANNOTATION}.{k}")).and_then(Value::as_str).unwrap_or_default();
    let integrity: Integrity = annotation("integrity")
        .parse()
        .map_err(|_| SubstituteError::WrongType { what: what.clone(), found: "no integrity annotation".into() })?;
    let signatures: Vec<String> = annotation("signatures").split_whitespace().map(str::to_string).collect();
    let signed = message(key, name, version, &integrity);
    if !trusted.iter().any(|k| k.verifies(&signed, &signatures)) {
        let signers = signatures.iter().filter_map(|s| s.split_once(':').map(|(n, _)| n.to_string())).collect();
        return Err(SubstituteError::Untrusted { what, signers });
    }
    let layer = manifest.pointer("/layers/0").filter(|l| l.get("mediaType").and_then(Value::as_str) == Some(LAYER_TYPE));
    let digest = layer
        .and_then(|l| l.get("digest"))
        .and_then(Value::as_str)
        .ok_or_else(|| SubstituteError::WrongType { what: what.clone(), found: "no tree layer".into() })?;
    let unpack_err = |message: String| SubstituteError::Unpack { what: what.clone(), message };
    let staging = dest.join(".unpack");
    std::fs::create_dir(&staging).map_err(|e| unpack_err(e.to_string()))?;
    // Unpacked as it arrives, and hashed on the way: nothing unpacked is
    // used unless the blob was the one the manifest names (checked below,
    // with the tree's own integrity after that).
    let mut blob = HashingReader { inner: client.blob_reader(digest)?, sha: sha2::Digest::new() };
    let root = crate::source::extract::unpack(&mut blob, crate::source::extract::Compression::None, &staging, Default::default())
        .map_err(|e| unpack_err(e.to_string()))?;
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
        return Err(SubstituteError::Mismatch { what, expected: integrity, computed });
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
