//! Safe extraction of tar archives (plain or gzip) into a fresh directory.
//!
//! Nothing is ever written outside the target: absolute paths, `..`,
//! symlinks that point outside the tree, writes through symlinks, hardlinks,
//! devices and FIFOs are refused; duplicates and file/directory clashes are
//! refused; setuid, setgid and sticky bits are dropped (files become 0644 or
//! 0755, directories 0755); and size, entry count and path length are capped
//! so that a gzip bomb cannot fill the disk.

use std::collections::HashSet;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::fs::{OpenOptionsExt, symlink};
use std::path::{Component, Path, PathBuf};

/// Caps on what one archive may unpack to. Defaults: 1 GiB, 100,000
/// entries, 4,096-byte paths; `PAII_MAX_UNPACK_BYTES` and
/// `PAII_MAX_UNPACK_ENTRIES` override the first two.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_bytes: u64,
    pub max_entries: u64,
    pub max_path_len: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
        Limits {
            max_bytes: env("PAII_MAX_UNPACK_BYTES").unwrap_or(1 << 30),
            max_entries: env("PAII_MAX_UNPACK_ENTRIES").unwrap_or(100_000),
            max_path_len: 4096,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("archive entry `{path}`: {reason}")]
    Refused { path: String, reason: String },
    #[error("the archive unpacks to more than {limit} {what}; refused (raise PAII_MAX_UNPACK_{env} if this is expected)")]
    TooLarge { limit: u64, what: &'static str, env: &'static str },
    #[error("unsupported archive format for {0}: paii reads .tar.gz, .tgz and .tar")]
    Format(String),
    #[error("cannot read the archive: {0}")]
    Read(#[source] io::Error),
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

/// How an archive is compressed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Compression {
    Gzip,
    None,
}

impl Compression {
    /// From the URL's extension, else from the first bytes.
    pub fn detect(url: &str, head: &[u8]) -> Option<Compression> {
        let path = url.split(['?', '#']).next().unwrap_or(url).to_ascii_lowercase();
        if path.ends_with(".tar.gz") || path.ends_with(".tgz") {
            return Some(Compression::Gzip);
        }
        if path.ends_with(".tar") {
            return Some(Compression::None);
        }
        if head.starts_with(&[0x1f, 0x8b]) {
            return Some(Compression::Gzip);
        }
        if head.len() > 262 && &head[257..262] == b"ustar" {
            return Some(Compression::None);
        }
        None
    }
}

/// Unpacks `reader` into `dest` (an existing empty directory) and returns the
/// plugin root: `dest`'s only top-level directory when the archive has
/// exactly one, else `dest` itself.
pub fn unpack(reader: impl Read, compression: Compression, dest: &Path, limits: Limits) -> Result<PathBuf, ExtractError> {
    // Headers, long names and pax records are read into memory by the tar
    // crate before any per-file check; capping the whole decompressed stream
    // bounds them too.
    let cap = limits.max_bytes.saturating_add(limits.max_entries.saturating_mul(2048)).saturating_add(1 << 20);
    match compression {
        Compression::Gzip => unpack_tar(Capped::new(flate2::read::GzDecoder::new(reader), cap), dest, limits),
        Compression::None => unpack_tar(Capped::new(reader, cap), dest, limits),
    }
    .map_err(|e| match e {
        ExtractError::Read(io) if io.kind() == io::ErrorKind::FileTooLarge => {
            ExtractError::TooLarge { limit: limits.max_bytes, what: "bytes", env: "BYTES" }
        }
        other => other,
    })?;
    links_stay_inside(dest)?;
    let mut top = fs::read_dir(dest).map_err(ExtractError::Read)?;
    if let (Some(Ok(only)), None) = (top.next(), top.next())
        && only.file_type().map(|t| t.is_dir()).unwrap_or(false)
    {
        return Ok(only.path());
    }
    Ok(dest.to_path_buf())
}

fn refused(path: &str, reason: impl Into<String>) -> ExtractError {
    ExtractError::Refused { path: path.to_string(), reason: reason.into() }
}

/// The path inside the archive, checked and normalised.
fn checked_path(raw: &Path, shown: &str, limits: &Limits) -> Result<PathBuf, ExtractError> {
    if raw.as_os_str().len() > limits.max_path_len {
        return Err(refused(shown, format!("path longer than {} bytes", limits.max_path_len)));
    }
    let mut out = PathBuf::new();
    for c in raw.components() {
        match c {
            Component::Normal(p) => {
                if p.len() > 255 {
                    return Err(refused(shown, "a path component longer than 255 bytes"));
                }
                out.push(p);
            }
            Component::CurDir => {}
            Component::ParentDir => return Err(refused(shown, "`..` in the path")),
            Component::RootDir | Component::Prefix(_) => return Err(refused(shown, "absolute path")),
        }
    }
    Ok(out)
}

fn unpack_tar(reader: impl Read, dest: &Path, limits: Limits) -> Result<(), ExtractError> {
    let mut archive = tar::Archive::new(reader);
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut files: HashSet<PathBuf> = HashSet::new();
    let mut links: HashSet<PathBuf> = HashSet::new();
    let mut total: u64 = 0;
    let mut count: u64 = 0;
    for entry in archive.entries().map_err(ExtractError::Read)? {
        let mut entry = entry.map_err(ExtractError::Read)?;
        // `git archive` and GitHub put a pax global header first; it holds
        // metadata (the commit id), not a file.
        if entry.header().entry_type() == tar::EntryType::XGlobalHeader {
            continue;
        }
        let raw = entry.path().map_err(ExtractError::Read)?.into_owned();
        let shown = raw.display().to_string();
        let kind = entry.header().entry_type();
        count += 1;
        if count > limits.max_entries {
            return Err(ExtractError::TooLarge { limit: limits.max_entries, what: "entries", env: "ENTRIES" });
        }
        let rel = checked_path(&raw, &shown, &limits)?;
        if rel.as_os_str().is_empty() {
            if kind.is_dir() {
                continue; // `./` itself
            }
            return Err(refused(&shown, "an entry without a name"));
        }
        // Never write through, or beside, something that is not a directory.
        for ancestor in rel.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()) {
            if links.contains(ancestor) {
                return Err(refused(&shown, format!("written through the symlink `{}`", ancestor.display())));
            }
            if files.contains(ancestor) {
                return Err(refused(&shown, format!("`{}` is a file, not a directory", ancestor.display())));
            }
        }
        if !seen.insert(rel.clone()) {
            return Err(refused(&shown, "appears twice in the archive"));
        }
        let target = dest.join(&rel);
        let write_err = |source| ExtractError::Write { path: target.clone(), source };
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(write_err)?;
        }
        match kind {
            tar::EntryType::Directory => {
                fs::create_dir(&target).map_err(write_err)?;
            }
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let size = entry.header().size().map_err(ExtractError::Read)?;
                if total.saturating_add(size) > limits.max_bytes {
                    return Err(ExtractError::TooLarge { limit: limits.max_bytes, what: "bytes", env: "BYTES" });
                }
                let exec = entry.header().mode().map_err(ExtractError::Read)? & 0o111 != 0;
                let mut out = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(if exec { 0o755 } else { 0o644 })
                    .open(&target)
                    .map_err(write_err)?;
                // The header's size is a claim (a pax record can override it);
                // count what really arrives, and never write past the cap.
                let budget = limits.max_bytes - total;
                let written = io::copy(&mut (&mut entry).take(budget), &mut out).map_err(ExtractError::Read)?;
                if written == budget && entry.read(&mut [0u8; 1]).map_err(ExtractError::Read)? > 0 {
                    return Err(ExtractError::TooLarge { limit: limits.max_bytes, what: "bytes", env: "BYTES" });
                }
                total += written;
                out.flush().map_err(write_err)?;
                files.insert(rel);
            }
            tar::EntryType::Symlink => {
                let link = entry
                    .link_name()
                    .map_err(ExtractError::Read)?
                    .ok_or_else(|| refused(&shown, "a symlink without a target"))?
                    .into_owned();
                check_symlink(&rel, &link, &shown)?;
                symlink(&link, &target).map_err(write_err)?;
                links.insert(rel);
            }
            tar::EntryType::Link => return Err(refused(&shown, "hardlinks are not allowed")),
            tar::EntryType::Char | tar::EntryType::Block => return Err(refused(&shown, "device nodes are not allowed")),
            tar::EntryType::Fifo => return Err(refused(&shown, "FIFOs are not allowed")),
            other => return Err(refused(&shown, format!("unsupported entry type {other:?}"))),
        }
    }
    Ok(())
}

/// A reader that fails once more than `left` bytes have been read.
struct Capped<R> {
    inner: R,
    left: u64,
}

impl<R> Capped<R> {
    fn new(inner: R, cap: u64) -> Capped<R> {
        Capped { inner, left: cap }
    }
}

impl<R: Read> Read for Capped<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::new(io::ErrorKind::FileTooLarge, "archive larger than allowed"));
        }
        let want = buf.len().min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        Ok(n)
    }
}

/// Every symlink in `root` must land inside it (chains included; see
/// `util::fs::links_stay_inside`).
fn links_stay_inside(root: &Path) -> Result<(), ExtractError> {
    use crate::util::fs::TreeError;
    crate::util::fs::links_stay_inside(root).map_err(|e| match e {
        TreeError::EscapingLink { path, reason } => refused(&path, format!("symlink {reason}")),
        TreeError::Io(e) => ExtractError::Read(e.source),
    })
}

/// A symlink may point only inside the tree, and only by a relative path.
pub(crate) fn check_symlink(rel: &Path, link: &Path, shown: &str) -> Result<(), ExtractError> {
    if link.is_absolute() {
        return Err(refused(shown, format!("symlink to the absolute path `{}`", link.display())));
    }
    let mut depth: i64 = rel.components().count() as i64 - 1;
    for c in link.components() {
        match c {
            Component::ParentDir => depth -= 1,
            Component::Normal(_) => depth += 1,
            Component::CurDir => {}
            Component::RootDir | Component::Prefix(_) => {
                return Err(refused(shown, "symlink to an absolute path"));
            }
        }
        if depth < 0 {
            return Err(refused(shown, format!("symlink `{}` points outside the plugin", link.display())));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlink_check_follows_the_links_own_directory() {
        assert!(check_symlink(Path::new("a/l"), Path::new("../b"), "l").is_ok());
        assert!(check_symlink(Path::new("l"), Path::new("../b"), "l").is_err());
        assert!(check_symlink(Path::new("a/b/l"), Path::new("../../x/../../y"), "l").is_err());
        assert!(check_symlink(Path::new("l"), Path::new("/etc/passwd"), "l").is_err());
    }

    #[test]
    fn compression_is_detected_from_name_or_bytes() {
        assert_eq!(Compression::detect("https://x/a.tar.gz?x=1", b""), Some(Compression::Gzip));
        assert_eq!(Compression::detect("https://x/a.TGZ", b""), Some(Compression::Gzip));
        assert_eq!(Compression::detect("https://x/a.tar", b""), Some(Compression::None));
        assert_eq!(Compression::detect("https://x/download", &[0x1f, 0x8b, 8]), Some(Compression::Gzip));
        assert_eq!(Compression::detect("https://x/a.zip", b"PK\x03\x04"), None);
    }
}
