//! Tree integrity: `sha256-<base64>` of a directory's Nix Archive (NAR)
//! serialisation.
//!
//! The serialisation is Nix's NAR byte for byte, so `nix hash path PATH` (or
//! `nix-hash --type sha256 PATH`, in hex) computes the same digest: entries sorted by
//! name, only regular files, directories and symlinks, the executable bit the
//! only permission kept, no timestamps, owners or empty-directory special cases.
//! The same tree therefore hashes the same whether it came from git, a tarball
//! or a path, on any machine.

use std::fmt;
use std::fs;
use std::io::{self, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use sha2::{Digest, Sha256};

/// An SRI integrity string, `sha256-<base64 of 32 bytes>`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Integrity {
    digest: [u8; 32],
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ParseIntegrityError {
    #[error("`{0}` is not an integrity string; expected `sha256-<base64>`")]
    Format(String),
    #[error("unsupported integrity algorithm `{0}`; only sha256 is supported")]
    Algorithm(String),
    #[error("`{0}` does not hold a 32-byte base64 sha256 digest")]
    Digest(String),
}

impl Integrity {
    pub fn from_digest(digest: [u8; 32]) -> Integrity {
        Integrity { digest }
    }

    pub fn digest(&self) -> &[u8; 32] {
        &self.digest
    }

    /// Lower-case hex of the digest, for store path names.
    pub fn hex(&self) -> String {
        hex(&self.digest)
    }
}

impl fmt::Display for Integrity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "sha256-{}", STANDARD.encode(self.digest))
    }
}

impl fmt::Debug for Integrity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Integrity {
    type Err = ParseIntegrityError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (algo, b64) = s.split_once('-').ok_or_else(|| ParseIntegrityError::Format(s.to_string()))?;
        if algo != "sha256" {
            return Err(ParseIntegrityError::Algorithm(algo.to_string()));
        }
        let bytes = STANDARD.decode(b64).map_err(|_| ParseIntegrityError::Digest(s.to_string()))?;
        let digest: [u8; 32] = bytes.try_into().map_err(|_| ParseIntegrityError::Digest(s.to_string()))?;
        Ok(Integrity { digest })
    }
}

impl serde::Serialize for Integrity {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Integrity {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl schemars::JsonSchema for Integrity {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "Integrity".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^sha256-[A-Za-z0-9+/]{43}=$",
            "description": "SRI hash (sha256) of the plugin tree's NAR serialisation"
        })
    }
}

/// A downloaded file's hash, as a marketplace gives it: an `archive`
/// source's sha256 (64 hex digits) or an npm tarball's `dist.integrity`
/// (SRI, sha512 or sha256). The tree's [`Integrity`] is separate: this one
/// checks the bytes before they are unpacked.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FileDigest {
    Sha256([u8; 32]),
    Sha512(Box<[u8; 64]>),
}

impl FileDigest {
    /// Hashes `path` and compares; `Err` holds the digest found.
    pub fn check(&self, path: &Path) -> Result<(), HashError> {
        let found = self.of_file(path)?;
        if &found == self { Ok(()) } else { Err(HashError::Mismatch { path: path.to_path_buf(), found: found.to_string() }) }
    }

    /// The same algorithm's digest of `path`.
    fn of_file(&self, path: &Path) -> Result<FileDigest, HashError> {
        let io = |source| HashError::Io { path: path.to_path_buf(), source };
        let mut file = fs::File::open(path).map_err(io)?;
        match self {
            FileDigest::Sha256(_) => {
                let mut h = Sha256::new();
                io::copy(&mut file, &mut h).map_err(io)?;
                Ok(FileDigest::Sha256(h.finalize().into()))
            }
            FileDigest::Sha512(_) => {
                let mut h = sha2::Sha512::new();
                io::copy(&mut file, &mut h).map_err(io)?;
                Ok(FileDigest::Sha512(Box::new(h.finalize().into())))
            }
        }
    }

    /// Lower-case hex, for the version of a plugin that names none.
    pub fn hex(&self) -> String {
        match self {
            FileDigest::Sha256(d) => hex(d),
            FileDigest::Sha512(d) => hex(&d[..]),
        }
    }
}

impl fmt::Display for FileDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FileDigest::Sha256(d) => write!(f, "sha256-{}", STANDARD.encode(d)),
            FileDigest::Sha512(d) => write!(f, "sha512-{}", STANDARD.encode(&d[..])),
        }
    }
}

impl fmt::Debug for FileDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for FileDigest {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("`{s}` is not a file hash; expected 64 hex digits (sha256) or `sha512-<base64>` / `sha256-<base64>`");
        if s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()) {
            let mut d = [0u8; 32];
            for (i, chunk) in s.as_bytes().chunks(2).enumerate() {
                d[i] = u8::from_str_radix(std::str::from_utf8(chunk).map_err(|_| bad())?, 16).map_err(|_| bad())?;
            }
            return Ok(FileDigest::Sha256(d));
        }
        let (algo, b64) = s.split_once('-').ok_or_else(bad)?;
        let bytes = STANDARD.decode(b64).map_err(|_| bad())?;
        match algo {
            "sha256" => Ok(FileDigest::Sha256(bytes.try_into().map_err(|_| bad())?)),
            "sha512" => Ok(FileDigest::Sha512(Box::new(bytes.try_into().map_err(|_| bad())?))),
            _ => Err(bad()),
        }
    }
}

impl serde::Serialize for FileDigest {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for FileDigest {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// Lower-case hex of `bytes` (store names, cache keys).
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes.iter().fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[derive(Debug, thiserror::Error)]
pub enum HashError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{} is a {kind}; a plugin tree may hold only files, directories and symlinks", path.display())]
    Unsupported { path: PathBuf, kind: &'static str },
    #[error("{} has the hash {found}, not the one its source names", path.display())]
    Mismatch { path: PathBuf, found: String },
}

/// Hashes the tree rooted at `path` (a directory, file or symlink).
pub fn hash_path(path: &Path) -> Result<Integrity, HashError> {
    let mut sink = HashingWriter(Sha256::new());
    write_nar(path, &mut sink)?;
    Ok(Integrity::from_digest(sink.0.finalize().into()))
}

/// Writes the NAR serialisation of `path` to `out`.
pub fn write_nar(path: &Path, out: &mut impl Write) -> Result<(), HashError> {
    write_nar_only(path, &|_| true, out)
}

/// Hashes the part of the tree at `path` whose paths `keep` accepts (a
/// local plugin without its build outputs, see [`crate::source::local`]).
pub fn hash_path_only(path: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<Integrity, HashError> {
    let mut sink = HashingWriter(Sha256::new());
    write_nar_only(path, keep, &mut sink)?;
    Ok(Integrity::from_digest(sink.0.finalize().into()))
}

fn write_nar_only(path: &Path, keep: &dyn Fn(&Path) -> bool, out: &mut impl Write) -> Result<(), HashError> {
    let io_err = |p: &Path| {
        let p = p.to_path_buf();
        move |source| HashError::Io { path: p, source }
    };
    let mut nar = Nar { out, keep };
    nar.str(b"nix-archive-1").map_err(io_err(path))?;
    nar.node(path)
}

struct HashingWriter(Sha256);

impl Write for HashingWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

struct Nar<'a, W: Write> {
    out: &'a mut W,
    keep: &'a dyn Fn(&Path) -> bool,
}

impl<W: Write> Nar<'_, W> {
    fn str(&mut self, s: &[u8]) -> io::Result<()> {
        self.out.write_all(&(s.len() as u64).to_le_bytes())?;
        self.out.write_all(s)?;
        self.pad(s.len() as u64)
    }

    fn pad(&mut self, len: u64) -> io::Result<()> {
        let rem = (len % 8) as usize;
        if rem != 0 {
            self.out.write_all(&[0u8; 8][..8 - rem])?;
        }
        Ok(())
    }

    fn node(&mut self, path: &Path) -> Result<(), HashError> {
        let err = |source| HashError::Io { path: path.to_path_buf(), source };
        let meta = fs::symlink_metadata(path).map_err(err)?;
        let ft = meta.file_type();
        self.str(b"(").map_err(err)?;
        self.str(b"type").map_err(err)?;
        if ft.is_symlink() {
            let target = fs::read_link(path).map_err(err)?;
            self.str(b"symlink").map_err(err)?;
            self.str(b"target").map_err(err)?;
            self.str(target.as_os_str().as_bytes()).map_err(err)?;
        } else if ft.is_file() {
            self.str(b"regular").map_err(err)?;
            if meta.permissions().mode() & 0o100 != 0 {
                self.str(b"executable").map_err(err)?;
                self.str(b"").map_err(err)?;
            }
            self.str(b"contents").map_err(err)?;
            self.contents(path, meta.len()).map_err(err)?;
        } else if ft.is_dir() {
            self.str(b"directory").map_err(err)?;
            let mut names: Vec<_> =
                fs::read_dir(path).map_err(err)?.map(|e| e.map(|e| e.file_name())).collect::<Result<_, _>>().map_err(err)?;
            names.retain(|n| (self.keep)(&path.join(n)));
            names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
            for name in names {
                self.str(b"entry").map_err(err)?;
                self.str(b"(").map_err(err)?;
                self.str(b"name").map_err(err)?;
                self.str(name.as_bytes()).map_err(err)?;
                self.str(b"node").map_err(err)?;
                self.node(&path.join(&name))?;
                self.str(b")").map_err(err)?;
            }
        } else {
            return Err(HashError::Unsupported { path: path.to_path_buf(), kind: file_kind(&ft) });
        }
        self.str(b")").map_err(err)
    }

    fn contents(&mut self, path: &Path, expected_len: u64) -> io::Result<()> {
        self.out.write_all(&expected_len.to_le_bytes())?;
        let file = fs::File::open(path)?;
        // Hash exactly the length announced, so a file growing under us cannot
        // produce a malformed archive.
        let copied = io::copy(&mut file.take(expected_len), self.out)?;
        if copied != expected_len {
            return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "file changed size while it was hashed"));
        }
        self.pad(expected_len)
    }
}

fn file_kind(ft: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_fifo() {
        "FIFO"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() || ft.is_char_device() {
        "device node"
    } else {
        "special file"
    }
}

#[cfg(test)]
mod tests {
    //! Test vectors. Each was cross-checked with `nix-hash --type sha256` (hex, converted to base64)
    //! on the same tree, so any NAR implementation can reproduce them.
    use super::*;
    use std::os::unix::fs::symlink;

    fn tmp() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    fn set_mode(p: &Path, mode: u32) {
        fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
    }

    #[test]
    fn vector_empty_directory() {
        let d = tmp();
        assert_eq!(hash_path(d.path()).unwrap().to_string(), "sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo=");
    }

    #[test]
    fn vector_one_file() {
        let d = tmp();
        let f = d.path().join("hello.txt");
        fs::write(&f, "hello\n").unwrap();
        set_mode(&f, 0o644);
        assert_eq!(hash_path(d.path()).unwrap().to_string(), "sha256-i9jJgC+rnkiRG+QQ31i/KRlnOwbAnAZM/cvj73cukwU=");
    }

    #[test]
    fn vector_executable_file() {
        let d = tmp();
        let f = d.path().join("run.sh");
        fs::write(&f, "#!/bin/sh\necho hi\n").unwrap();
        set_mode(&f, 0o755);
        assert_eq!(hash_path(d.path()).unwrap().to_string(), "sha256-KFQTpww4cTPtyJ+sKKYLkpT4pvYNQWYVB3UDx6DawZs=");
    }

    #[test]
    fn vector_symlink() {
        let d = tmp();
        symlink("target/file", d.path().join("link")).unwrap();
        assert_eq!(hash_path(d.path()).unwrap().to_string(), "sha256-X6p+uZL3h4ppEqAODE08R27fAXBLNOdw/pssUvyuAqA=");
    }

    #[test]
    fn vector_nested_directories() {
        let d = tmp();
        fs::create_dir_all(d.path().join("a/b")).unwrap();
        fs::create_dir_all(d.path().join("c")).unwrap();
        fs::write(d.path().join("a/b/x"), "x").unwrap();
        fs::write(d.path().join("a/y"), "yy").unwrap();
        fs::write(d.path().join("z"), "").unwrap();
        for p in ["a/b/x", "a/y", "z"] {
            set_mode(&d.path().join(p), 0o644);
        }
        assert_eq!(hash_path(d.path()).unwrap().to_string(), "sha256-xC+buZXQYLl0H+7Y5YIaXLd/y2aSHlewSihHBzXYLkM=");
    }

    #[test]
    fn only_the_executable_bit_and_no_timestamps_count() {
        let a = tmp();
        let b = tmp();
        fs::write(a.path().join("f"), "same").unwrap();
        fs::write(b.path().join("f"), "same").unwrap();
        set_mode(&a.path().join("f"), 0o600);
        set_mode(&b.path().join("f"), 0o644);
        let old = fs::File::options().write(true).open(b.path().join("f")).unwrap();
        old.set_modified(std::time::SystemTime::UNIX_EPOCH).unwrap();
        assert_eq!(hash_path(a.path()).unwrap(), hash_path(b.path()).unwrap());
        set_mode(&b.path().join("f"), 0o700);
        assert_ne!(hash_path(a.path()).unwrap(), hash_path(b.path()).unwrap());
    }

    #[test]
    fn names_are_part_of_the_hash() {
        let a = tmp();
        let b = tmp();
        fs::write(a.path().join("f"), "same").unwrap();
        fs::write(b.path().join("g"), "same").unwrap();
        assert_ne!(hash_path(a.path()).unwrap(), hash_path(b.path()).unwrap());
    }

    #[test]
    fn fifo_is_refused() {
        let d = tmp();
        let fifo = d.path().join("pipe");
        let status = std::process::Command::new("mkfifo").arg(&fifo).status().unwrap();
        assert!(status.success());
        let err = hash_path(d.path()).unwrap_err();
        assert!(matches!(err, HashError::Unsupported { kind: "FIFO", .. }), "{err}");
    }

    #[test]
    fn sri_strings_round_trip_and_reject_garbage() {
        let i: Integrity = "sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo=".parse().unwrap();
        assert_eq!(i.to_string(), "sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo=");
        assert!(matches!("md5-abc".parse::<Integrity>(), Err(ParseIntegrityError::Algorithm(_))));
        assert!(matches!("sha256-abc".parse::<Integrity>(), Err(ParseIntegrityError::Digest(_))));
        assert!(matches!("nohash".parse::<Integrity>(), Err(ParseIntegrityError::Format(_))));
    }
}
