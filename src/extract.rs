//! Safe extraction of tar archives (plain or gzip) and zip archives into a
//! fresh directory.
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
    /// Symlinks to absolute paths are kept (a venv's interpreter, in a build
    /// output from a trusted cache); nothing is written through them all
    /// the same. Never for plugin sources.
    pub absolute_links: bool,
}

impl Default for Limits {
    fn default() -> Limits {
        let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
        Limits {
            max_bytes: env("PAII_MAX_UNPACK_BYTES").unwrap_or(1 << 30),
            max_entries: env("PAII_MAX_UNPACK_ENTRIES").unwrap_or(100_000),
            max_path_len: 4096,
            absolute_links: false,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("archive entry `{path}`: {reason}")]
    Refused { path: String, reason: String },
    #[error("the archive unpacks to more than {limit} {what}; refused (raise PAII_MAX_UNPACK_{env} if this is expected)")]
    TooLarge { limit: u64, what: &'static str, env: &'static str },
    #[error("unsupported archive format for {0}: paii reads .tar.gz, .tgz, .tar and .zip")]
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
    finish(dest, limits.absolute_links)
}

/// Checks the unpacked links and finds the plugin root.
fn finish(dest: &Path, absolute_links: bool) -> Result<PathBuf, ExtractError> {
    links_stay_inside(dest, absolute_links)?;
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
    let mut tree = Tree::new(dest, limits);
    for entry in archive.entries().map_err(ExtractError::Read)? {
        let mut entry = entry.map_err(ExtractError::Read)?;
        // `git archive` and GitHub put a pax global header first; it holds
        // metadata (the commit id), not a file.
        if entry.header().entry_type() == tar::EntryType::XGlobalHeader {
            continue;
        }
        let raw = entry.path().map_err(ExtractError::Read)?.into_owned();
        let kind = entry.header().entry_type();
        let Some(slot) = tree.slot(&raw, kind.is_dir())? else { continue };
        match kind {
            tar::EntryType::Directory => tree.dir(slot)?,
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let size = entry.header().size().map_err(ExtractError::Read)?;
                let exec = entry.header().mode().map_err(ExtractError::Read)? & 0o111 != 0;
                tree.file(slot, size, exec, &mut entry)?;
            }
            tar::EntryType::Symlink => {
                let link = entry
                    .link_name()
                    .map_err(ExtractError::Read)?
                    .ok_or_else(|| refused(&slot.shown, "a symlink without a target"))?
                    .into_owned();
                tree.symlink(slot, &link)?;
            }
            tar::EntryType::Link => return Err(refused(&slot.shown, "hardlinks are not allowed")),
            tar::EntryType::Char | tar::EntryType::Block => return Err(refused(&slot.shown, "device nodes are not allowed")),
            tar::EntryType::Fifo => return Err(refused(&slot.shown, "FIFOs are not allowed")),
            other => return Err(refused(&slot.shown, format!("unsupported entry type {other:?}"))),
        }
    }
    Ok(())
}

/// Unpacks a zip archive (a Claude Code marketplace's `archive` source) into
/// `dest` under the same rules as a tar, and returns the plugin root as
/// [`unpack`] does.
pub fn unpack_zip(reader: impl Read + io::Seek, dest: &Path, limits: Limits) -> Result<PathBuf, ExtractError> {
    let bad = |e: zip::result::ZipError| ExtractError::Read(io::Error::new(io::ErrorKind::InvalidData, e.to_string()));
    let mut archive = zip::ZipArchive::new(reader).map_err(bad)?;
    let mut tree = Tree::new(dest, limits);
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(bad)?;
        // The raw name, checked here rather than trusting the crate's view.
        let raw = PathBuf::from(String::from_utf8_lossy(entry.name_raw()).replace('\\', "/"));
        let is_dir = entry.is_dir();
        let Some(slot) = tree.slot(&raw, is_dir)? else { continue };
        let mode = entry.unix_mode().unwrap_or(0o644);
        if is_dir {
            tree.dir(slot)?;
        } else if entry.is_symlink() {
            let mut link = String::new();
            entry.read_to_string(&mut link).map_err(ExtractError::Read)?;
            tree.symlink(slot, Path::new(&link))?;
        } else if mode & 0o170000 == 0 || mode & 0o170000 == 0o100000 {
            let size = entry.size();
            tree.file(slot, size, mode & 0o111 != 0, &mut entry)?;
        } else {
            return Err(refused(&slot.shown, "only files, directories and symlinks are allowed"));
        }
    }
    finish(dest, limits.absolute_links)
}

/// Where one archive entry goes, checked.
struct Slot {
    rel: PathBuf,
    target: PathBuf,
    shown: String,
}

/// The tree being unpacked: what is already there, and the budget left.
struct Tree<'a> {
    dest: &'a Path,
    limits: Limits,
    seen: HashSet<PathBuf>,
    files: HashSet<PathBuf>,
    links: HashSet<PathBuf>,
    total: u64,
    count: u64,
}

impl<'a> Tree<'a> {
    fn new(dest: &'a Path, limits: Limits) -> Tree<'a> {
        Tree { dest, limits, seen: HashSet::new(), files: HashSet::new(), links: HashSet::new(), total: 0, count: 0 }
    }

    /// Checks an entry's path and makes its parent; `None` for the root.
    fn slot(&mut self, raw: &Path, is_dir: bool) -> Result<Option<Slot>, ExtractError> {
        let shown = raw.display().to_string();
        self.count += 1;
        if self.count > self.limits.max_entries {
            return Err(ExtractError::TooLarge { limit: self.limits.max_entries, what: "entries", env: "ENTRIES" });
        }
        let rel = checked_path(raw, &shown, &self.limits)?;
        if rel.as_os_str().is_empty() {
            if is_dir {
                return Ok(None); // `./` itself
            }
            return Err(refused(&shown, "an entry without a name"));
        }
        // Never write through, or beside, something that is not a directory.
        for ancestor in rel.ancestors().skip(1).filter(|a| !a.as_os_str().is_empty()) {
            if self.links.contains(ancestor) {
                return Err(refused(&shown, format!("written through the symlink `{}`", ancestor.display())));
            }
            if self.files.contains(ancestor) {
                return Err(refused(&shown, format!("`{}` is a file, not a directory", ancestor.display())));
            }
        }
        if !self.seen.insert(rel.clone()) {
            return Err(refused(&shown, "appears twice in the archive"));
        }
        let target = self.dest.join(&rel);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|source| ExtractError::Write { path: target.clone(), source })?;
        }
        Ok(Some(Slot { rel, target, shown }))
    }

    fn dir(&mut self, slot: Slot) -> Result<(), ExtractError> {
        // A zip may name a directory after a file inside it made it.
        match fs::create_dir(&slot.target) {
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && slot.target.is_dir() => Ok(()),
            other => other.map_err(|source| ExtractError::Write { path: slot.target, source }),
        }
    }

    fn file(&mut self, slot: Slot, claimed: u64, exec: bool, content: &mut impl Read) -> Result<(), ExtractError> {
        let too_large = ExtractError::TooLarge { limit: self.limits.max_bytes, what: "bytes", env: "BYTES" };
        if self.total.saturating_add(claimed) > self.limits.max_bytes {
            return Err(too_large);
        }
        let write_err = |source| ExtractError::Write { path: slot.target.clone(), source };
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if exec { 0o755 } else { 0o644 })
            .open(&slot.target)
            .map_err(write_err)?;
        // The header's size is a claim (a pax record can override it);
        // count what really arrives, and never write past the cap.
        let budget = self.limits.max_bytes - self.total;
        let written = io::copy(&mut content.take(budget), &mut out).map_err(ExtractError::Read)?;
        if written == budget && content.read(&mut [0u8; 1]).map_err(ExtractError::Read)? > 0 {
            return Err(too_large);
        }
        self.total += written;
        out.flush().map_err(write_err)?;
        self.files.insert(slot.rel);
        Ok(())
    }

    fn symlink(&mut self, slot: Slot, link: &Path) -> Result<(), ExtractError> {
        if !(self.limits.absolute_links && link.is_absolute()) {
            check_symlink(&slot.rel, link, &slot.shown)?;
        }
        symlink(link, &slot.target).map_err(|source| ExtractError::Write { path: slot.target.clone(), source })?;
        self.links.insert(slot.rel);
        Ok(())
    }
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
fn links_stay_inside(root: &Path, absolute_links: bool) -> Result<(), ExtractError> {
    use crate::util::fs::TreeError;
    crate::util::fs::links_stay_inside_but_absolute(root, absolute_links).map_err(|e| match e {
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
