//! A cache of parsed registries, keyed by the file's content.
//!
//! Parsing TOML costs about 30 ms per MB; a large registry is read on every
//! `paii lock`. The parsed index is kept in `$PAII_HOME/cache/registries/`
//! under the sha256 of this paii's version and the file's bytes, so a changed
//! file or a new paii can never see a stale entry. The cache is safe to
//! delete; any unreadable or undecodable cache file is ignored.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{IndexEntry, Registry, RegistryErrors, RegistryMeta, parse_registry};
use crate::diagnostic::{SourceFile, Warning, unknown_key_warnings};

/// Bumped whenever the cached types change shape.
const FORMAT: &str = "registry-cache-3";

/// Registries smaller than this parse faster than a cache file is checked.
const MIN_SIZE: usize = 64 * 1024;

#[derive(Serialize, Deserialize)]
struct Cached {
    meta: RegistryMeta,
    entries: Vec<IndexEntry>,
    unknown: Vec<Vec<String>>,
}

fn cache_path(dir: &Path, text: &str) -> PathBuf {
    let mut h = Sha256::new();
    h.update(FORMAT);
    h.update([0]);
    h.update(env!("CARGO_PKG_VERSION"));
    h.update([0]);
    h.update(text.as_bytes());
    let key = crate::store::integrity::hex(&h.finalize());
    dir.join(format!("{key}.bin"))
}

/// Like [`Registry::parse`], through the cache in `dir` when given.
pub fn parse_cached(name: &str, file: SourceFile, dir: Option<&Path>) -> Result<(Registry, Vec<Warning>), RegistryErrors> {
    let Some(dir) = dir.filter(|_| file.text.len() >= MIN_SIZE) else {
        return Registry::parse(name, file);
    };
    let path = cache_path(dir, &file.text);
    if let Ok(bytes) = std::fs::read(&path)
        && let Ok(cached) = postcard::from_bytes::<Cached>(&bytes)
    {
        crate::debug!("registry `{name}`: parsed index from cache {}", path.display());
        let warnings = unknown_key_warnings(&file, cached.unknown);
        return Ok((Registry::new(name, cached.meta, file, cached.entries), warnings));
    }
    crate::debug!("registry `{name}`: parsing {} ({} bytes)", file.name, file.text.len());
    let parsed = parse_registry(&file);
    let Some(meta) = parsed.meta.filter(|_| parsed.errors.is_empty()) else {
        return Err(RegistryErrors { file: file.name.clone(), errors: parsed.errors });
    };
    let cached = Cached { meta, entries: parsed.entries, unknown: parsed.unknown };
    // A cache that cannot be written only costs speed next time.
    if let Ok(bytes) = postcard::to_stdvec(&cached) {
        let _ = crate::util::fs::atomic_write(&path, &bytes);
    }
    Ok((Registry::new(name, cached.meta, file, cached.entries), parsed.warnings))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big_registry(extra: &str) -> String {
        let mut s = String::from("[registry]\nname = \"big\"\n");
        for i in 0..800 {
            s.push_str(&format!(
                "\n[[plugins]]\nname = \"p{i}\"\nversion = \"1.0.{i}\"\nsource = \"https://example.org/p.git\"\nrev = \"{:040}\"\nprovides = [\"MemoryProvider\"]\ndescription = \"padding padding padding\"\n",
                i
            ));
        }
        s.push_str(extra);
        s
    }

    #[test]
    fn cached_parse_equals_fresh_parse_and_tracks_content() {
        let dir = tempfile::tempdir().unwrap();
        let text = big_registry("");
        assert!(text.len() >= MIN_SIZE);
        let file = SourceFile::new(Path::new("big.toml"), text.as_str());
        let (fresh, _) = parse_cached("big", file.clone(), Some(dir.path())).unwrap();
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "cache written");
        let (cached, _) = parse_cached("big", file, Some(dir.path())).unwrap();
        assert_eq!(format!("{:?}", fresh.entries), format!("{:?}", cached.entries));

        // Changed content is a different key: the new entry is seen.
        let changed = big_registry("\n[[plugins]]\nname = \"late\"\nversion = \"9.0.0\"\nsource = \"g\"\n");
        let (r, _) = parse_cached("big", SourceFile::new(Path::new("big.toml"), changed.as_str()), Some(dir.path())).unwrap();
        assert!(r.entries.iter().any(|e| e.name == "late"));
    }

    #[test]
    fn corrupt_cache_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let text = big_registry("");
        std::fs::write(cache_path(dir.path(), &text), b"garbage").unwrap();
        let (r, _) = parse_cached("big", SourceFile::new(Path::new("big.toml"), text.as_str()), Some(dir.path())).unwrap();
        assert_eq!(r.entries.len(), 800);
    }
}
