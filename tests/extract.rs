//! Safe tar extraction: every hostile archive is built here, in memory, and
//! each test proves both that it is refused and that nothing was written
//! outside the destination directory.

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use paii::extract::{Compression, ExtractError, Limits, unpack};
use tar::EntryType;

// ---------------------------------------------------------------------------
// Archive building: raw headers, so that names the `tar` crate would refuse
// to write (absolute, `..`, over-long components) can be produced.
// ---------------------------------------------------------------------------

fn pad(buf: &mut Vec<u8>) {
    let rem = buf.len() % 512;
    if rem != 0 {
        buf.extend(std::iter::repeat_n(0u8, 512 - rem));
    }
}

/// A GNU header whose name and link name are copied byte for byte.
fn raw_header(name: &[u8], kind: EntryType, mode: u32, size: u64, link: &[u8]) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(0);
    h.set_uid(0);
    h.set_gid(0);
    let n = name.len().min(100);
    h.as_old_mut().name[..n].copy_from_slice(&name[..n]);
    let l = link.len().min(100);
    h.as_old_mut().linkname[..l].copy_from_slice(&link[..l]);
    h.set_cksum();
    h
}

/// Appends one entry; names over 100 bytes get a GNU long-name entry first.
fn push_entry(buf: &mut Vec<u8>, name: &[u8], kind: EntryType, mode: u32, data: &[u8], link: &[u8]) {
    if name.len() > 100 {
        let mut long = name.to_vec();
        long.push(0);
        let h = raw_header(b"././@LongLink", EntryType::GNULongName, 0o644, long.len() as u64, b"");
        buf.extend_from_slice(h.as_bytes());
        buf.extend_from_slice(&long);
        pad(buf);
    }
    let h = raw_header(name, kind, mode, data.len() as u64, link);
    buf.extend_from_slice(h.as_bytes());
    buf.extend_from_slice(data);
    pad(buf);
}

fn finish(mut buf: Vec<u8>) -> Vec<u8> {
    buf.extend(std::iter::repeat_n(0u8, 1024));
    buf
}

fn file(buf: &mut Vec<u8>, name: &str, data: &[u8]) {
    push_entry(buf, name.as_bytes(), EntryType::Regular, 0o644, data, b"");
}

fn dir(buf: &mut Vec<u8>, name: &str) {
    push_entry(buf, name.as_bytes(), EntryType::Directory, 0o755, b"", b"");
}

fn symlink(buf: &mut Vec<u8>, name: &str, target: &str) {
    push_entry(buf, name.as_bytes(), EntryType::Symlink, 0o777, b"", target.as_bytes());
}

fn special(buf: &mut Vec<u8>, name: &str, kind: EntryType) {
    push_entry(buf, name.as_bytes(), kind, 0o644, b"", b"");
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

// ---------------------------------------------------------------------------
// Running and checking.
// ---------------------------------------------------------------------------

/// A temporary `root` holding an empty `root/dest`.
struct Sandbox {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    dest: PathBuf,
}

fn sandbox() -> Sandbox {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let dest = root.join("dest");
    fs::create_dir(&dest).unwrap();
    Sandbox { _tmp: tmp, root, dest }
}

fn small_limits() -> Limits {
    Limits { max_bytes: 1 << 20, max_entries: 1000, max_path_len: 4096, absolute_links: false }
}

impl Sandbox {
    fn unpack(&self, tar: &[u8]) -> Result<PathBuf, ExtractError> {
        self.unpack_with(tar, small_limits())
    }

    fn unpack_with(&self, tar: &[u8], limits: Limits) -> Result<PathBuf, ExtractError> {
        unpack(tar, Compression::None, &self.dest, limits)
    }

    /// `root` holds nothing but `dest`, and none of the named sentinels exist.
    fn assert_confined(&self, sentinels: &[&str]) {
        let names: Vec<String> = fs::read_dir(&self.root).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        assert_eq!(names, vec!["dest".to_string()], "something was written beside dest");
        for s in sentinels {
            let p = self.root.join(s);
            assert!(fs::symlink_metadata(&p).is_err(), "{} exists", p.display());
        }
    }

    /// Every path under `dest`, relative, sorted.
    fn listing(&self) -> Vec<String> {
        fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
            for e in fs::read_dir(dir).unwrap() {
                let e = e.unwrap();
                let p = e.path();
                out.push(p.strip_prefix(base).unwrap().to_string_lossy().into_owned());
                if e.file_type().unwrap().is_dir() {
                    walk(base, &p, out);
                }
            }
        }
        let mut out = Vec::new();
        walk(&self.dest, &self.dest, &mut out);
        out.sort();
        out
    }

    /// Bytes in all regular files under `dest`.
    fn bytes_written(&self) -> u64 {
        self.listing().iter().map(|rel| fs::symlink_metadata(self.dest.join(rel)).unwrap()).filter(|m| m.is_file()).map(|m| m.len()).sum()
    }
}

#[track_caller]
fn assert_refused(result: Result<PathBuf, ExtractError>, reason_has: &str) {
    match result {
        Err(ExtractError::Refused { path, reason }) => {
            assert!(reason.contains(reason_has), "refused `{path}` for `{reason}`, expected `{reason_has}`")
        }
        other => panic!("expected Refused(.. {reason_has} ..), got {other:?}"),
    }
}

#[track_caller]
fn assert_too_large(result: Result<PathBuf, ExtractError>, what_expected: &str, limit_expected: u64) {
    match result {
        Err(ExtractError::TooLarge { limit, what, .. }) => {
            assert_eq!(what, what_expected);
            assert_eq!(limit, limit_expected);
        }
        other => panic!("expected TooLarge({what_expected}), got {other:?}"),
    }
}

/// A path under /tmp that no other test or run uses.
fn unique_tmp_path(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
    std::env::temp_dir().join(format!("paii-extract-{tag}-{}-{nanos}", std::process::id()))
}

// ---------------------------------------------------------------------------
// Paths.
// ---------------------------------------------------------------------------

#[test]
fn absolute_path_under_etc_is_refused() {
    let sb = sandbox();
    let existed = Path::new("/etc/x").exists();
    let mut t = Vec::new();
    file(&mut t, "/etc/x", b"pwned");
    assert_refused(sb.unpack(&finish(t)), "absolute path");
    sb.assert_confined(&[]);
    assert_eq!(Path::new("/etc/x").exists(), existed, "/etc/x was created");
    assert!(sb.listing().is_empty());
}

#[test]
fn absolute_path_under_tmp_is_refused() {
    let sb = sandbox();
    let target = unique_tmp_path("abs");
    let mut t = Vec::new();
    file(&mut t, target.to_str().unwrap(), b"pwned");
    assert_refused(sb.unpack(&finish(t)), "absolute path");
    sb.assert_confined(&[]);
    assert!(!target.exists(), "{} was written", target.display());
}

#[test]
fn leading_parent_dir_component_is_refused() {
    let sb = sandbox();
    let mut t = Vec::new();
    file(&mut t, "../outside.txt", b"pwned");
    assert_refused(sb.unpack(&finish(t)), "`..`");
    sb.assert_confined(&["outside.txt"]);
}

#[test]
fn parent_dir_component_inside_the_path_is_refused() {
    let sb = sandbox();
    let mut t = Vec::new();
    file(&mut t, "a/../../x", b"pwned");
    assert_refused(sb.unpack(&finish(t)), "`..`");
    sb.assert_confined(&["x"]);
    assert!(sb.listing().is_empty(), "a parent dir was created: {:?}", sb.listing());
}

#[test]
fn path_longer_than_max_path_len_is_refused() {
    let sb = sandbox();
    let long = format!("{}/f", "d".repeat(80));
    let mut t = Vec::new();
    file(&mut t, &long, b"x");
    let limits = Limits { max_path_len: 64, ..small_limits() };
    assert_refused(sb.unpack_with(&finish(t), limits), "path longer than 64 bytes");
    sb.assert_confined(&[]);
    assert!(sb.listing().is_empty());
}

#[test]
fn path_component_over_255_bytes_is_refused() {
    let sb = sandbox();
    let long = format!("ok/{}", "c".repeat(300));
    let mut t = Vec::new();
    file(&mut t, &long, b"x");
    assert_refused(sb.unpack(&finish(t)), "longer than 255 bytes");
    sb.assert_confined(&[]);
    assert!(sb.listing().is_empty());
}

// ---------------------------------------------------------------------------
// Symlinks.
// ---------------------------------------------------------------------------

#[test]
fn symlink_with_absolute_target_is_refused() {
    let sb = sandbox();
    let target = unique_tmp_path("symabs");
    let mut t = Vec::new();
    symlink(&mut t, "evil", target.to_str().unwrap());
    file(&mut t, "evil/payload", b"pwned");
    assert_refused(sb.unpack(&finish(t)), "absolute");
    sb.assert_confined(&[]);
    assert!(fs::symlink_metadata(sb.dest.join("evil")).is_err(), "the symlink was created");
    assert!(!target.exists());
}

#[test]
fn symlink_escaping_the_tree_is_refused() {
    let sb = sandbox();
    let mut t = Vec::new();
    dir(&mut t, "a");
    symlink(&mut t, "a/up", "../../escaped");
    file(&mut t, "a/up/payload", b"pwned");
    assert_refused(sb.unpack(&finish(t)), "points outside");
    sb.assert_confined(&["escaped"]);
    assert!(fs::symlink_metadata(sb.dest.join("a/up")).is_err(), "the symlink was created");
}

#[test]
fn symlink_chain_escaping_only_when_combined_is_refused() {
    // `a/b -> ..` is `dest` itself; `a/b/c -> ..` would then be `root`.
    let sb = sandbox();
    let mut t = Vec::new();
    dir(&mut t, "a");
    symlink(&mut t, "a/b", "..");
    symlink(&mut t, "a/b/c", "..");
    file(&mut t, "a/b/c/escaped", b"pwned");
    assert_refused(sb.unpack(&finish(t)), "symlink");
    sb.assert_confined(&["escaped"]);
    assert!(fs::symlink_metadata(sb.dest.join("c")).is_err(), "`a/b/c` was created through `a/b`");
}

#[test]
fn symlink_escaping_through_a_sibling_symlink_is_refused() {
    // Lexically `a/c -> b/..` stays in `a`; physically `a/b` is `dest`, so
    // `a/c` is `dest/..`, i.e. `root`, and `a/c/..` would go further still.
    let sb = sandbox();
    let mut t = Vec::new();
    dir(&mut t, "a");
    symlink(&mut t, "a/b", "..");
    symlink(&mut t, "a/c", "b/..");
    let result = sb.unpack(&finish(t));
    let escaped = fs::canonicalize(sb.dest.join("a/c")).ok();
    assert_refused(result, "symlink");
    assert!(escaped.is_none_or(|p| p.starts_with(fs::canonicalize(&sb.dest).unwrap())), "a/c resolves outside dest");
    sb.assert_confined(&[]);
}

#[test]
fn writing_through_an_extracted_symlink_is_refused() {
    let sb = sandbox();
    let mut t = Vec::new();
    dir(&mut t, "sub");
    symlink(&mut t, "link", "sub");
    file(&mut t, "link/file", b"pwned");
    assert_refused(sb.unpack(&finish(t)), "written through the symlink `link`");
    sb.assert_confined(&[]);
    assert!(!sb.dest.join("sub/file").exists(), "the file was written through the symlink");
}

// ---------------------------------------------------------------------------
// Entry types.
// ---------------------------------------------------------------------------

#[test]
fn hardlink_is_refused() {
    let sb = sandbox();
    let mut t = Vec::new();
    push_entry(&mut t, b"passwd", EntryType::Link, 0o644, b"", b"/etc/passwd");
    assert_refused(sb.unpack(&finish(t)), "hardlinks are not allowed");
    sb.assert_confined(&[]);
    assert!(fs::symlink_metadata(sb.dest.join("passwd")).is_err());
}

#[test]
fn character_device_is_refused() {
    let sb = sandbox();
    let mut t = Vec::new();
    special(&mut t, "null", EntryType::Char);
    assert_refused(sb.unpack(&finish(t)), "device nodes are not allowed");
    sb.assert_confined(&[]);
    assert!(fs::symlink_metadata(sb.dest.join("null")).is_err());
}

#[test]
fn block_device_is_refused() {
    let sb = sandbox();
    let mut t = Vec::new();
    special(&mut t, "sda", EntryType::Block);
    assert_refused(sb.unpack(&finish(t)), "device nodes are not allowed");
    sb.assert_confined(&[]);
    assert!(fs::symlink_metadata(sb.dest.join("sda")).is_err());
}

#[test]
fn fifo_is_refused() {
    let sb = sandbox();
    let mut t = Vec::new();
    special(&mut t, "pipe", EntryType::Fifo);
    assert_refused(sb.unpack(&finish(t)), "FIFOs are not allowed");
    sb.assert_confined(&[]);
    assert!(fs::symlink_metadata(sb.dest.join("pipe")).is_err());
}

// ---------------------------------------------------------------------------
// Clashes.
// ---------------------------------------------------------------------------

#[test]
fn duplicate_entry_is_refused() {
    let sb = sandbox();
    let mut t = Vec::new();
    file(&mut t, "f.txt", b"first");
    file(&mut t, "./f.txt", b"second");
    assert_refused(sb.unpack(&finish(t)), "appears twice");
    sb.assert_confined(&[]);
    assert_eq!(fs::read(sb.dest.join("f.txt")).unwrap(), b"first", "the first copy was overwritten");
}

#[test]
fn file_then_directory_with_the_same_path_is_refused() {
    let sb = sandbox();
    let mut t = Vec::new();
    file(&mut t, "thing", b"a file");
    dir(&mut t, "thing/");
    assert_refused(sb.unpack(&finish(t)), "appears twice");
    sb.assert_confined(&[]);
    assert!(fs::symlink_metadata(sb.dest.join("thing")).unwrap().is_file());
}

#[test]
fn file_under_a_path_whose_ancestor_is_a_regular_file_is_refused() {
    let sb = sandbox();
    let mut t = Vec::new();
    file(&mut t, "a", b"a file");
    file(&mut t, "a/b/c", b"under a file");
    assert_refused(sb.unpack(&finish(t)), "`a` is a file, not a directory");
    sb.assert_confined(&[]);
    assert_eq!(sb.listing(), vec!["a".to_string()]);
}

// ---------------------------------------------------------------------------
// Modes.
// ---------------------------------------------------------------------------

#[test]
fn setuid_setgid_and_sticky_bits_are_stripped() {
    let sb = sandbox();
    let mut t = Vec::new();
    push_entry(&mut t, b"p/", EntryType::Directory, 0o1777, b"", b"");
    push_entry(&mut t, b"p/run.sh", EntryType::Regular, 0o6755, b"#!/bin/sh\n", b"");
    push_entry(&mut t, b"p/data", EntryType::Regular, 0o7644, b"data", b"");
    push_entry(&mut t, b"p/odd", EntryType::Regular, 0o4711, b"odd", b"");
    let root = sb.unpack(&finish(t)).expect("an archive with odd modes is accepted");
    assert_eq!(root, sb.dest.join("p"));
    let mode = |rel: &str| fs::metadata(sb.dest.join(rel)).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode("p/run.sh"), 0o755);
    assert_eq!(mode("p/data"), 0o644);
    assert_eq!(mode("p/odd"), 0o755);
    assert_eq!(mode("p") & 0o7000, 0, "the directory kept special bits");
    sb.assert_confined(&[]);
}

// ---------------------------------------------------------------------------
// Limits.
// ---------------------------------------------------------------------------

#[test]
fn total_size_over_max_bytes_is_too_large() {
    let sb = sandbox();
    let mut t = Vec::new();
    file(&mut t, "one", &[b'1'; 600]);
    file(&mut t, "two", &[b'2'; 600]);
    let limits = Limits { max_bytes: 1024, ..small_limits() };
    assert_too_large(sb.unpack_with(&finish(t), limits), "bytes", 1024);
    sb.assert_confined(&[]);
    assert!(sb.bytes_written() <= 1024, "{} bytes written", sb.bytes_written());
}

#[test]
fn gzip_bomb_is_stopped_at_max_bytes() {
    let sb = sandbox();
    let zeros = vec![0u8; 50 << 20];
    let mut t = Vec::new();
    file(&mut t, "bomb", &zeros);
    drop(zeros);
    let gz = gzip(&finish(t));
    assert!(gz.len() < 1 << 20, "the bomb should compress well ({} bytes)", gz.len());
    let limits = Limits { max_bytes: 1 << 20, ..small_limits() };
    let result = unpack(gz.as_slice(), Compression::Gzip, &sb.dest, limits);
    assert_too_large(result, "bytes", 1 << 20);
    sb.assert_confined(&[]);
    assert!(sb.bytes_written() <= 1 << 20, "{} bytes written", sb.bytes_written());
}

#[test]
fn gzip_bomb_hidden_behind_a_pax_size_never_exceeds_max_bytes() {
    // The ustar header says 1 byte, so the header-size pre-check passes; the
    // pax record says 50 MiB, which is what the tar reader really yields.
    let sb = sandbox();
    let big: u64 = 50 << 20;
    let mut t = Vec::new();
    let mut rec = format!(" size={big}\n");
    let mut len = rec.len();
    loop {
        let candidate = format!("{len}{rec}");
        if candidate.len() == len {
            rec = candidate;
            break;
        }
        len = candidate.len();
    }
    push_entry(&mut t, b"PaxHeader/bomb", EntryType::XHeader, 0o644, rec.as_bytes(), b"");
    let h = raw_header(b"bomb", EntryType::Regular, 0o644, 1, b"");
    t.extend_from_slice(h.as_bytes());
    t.extend(std::iter::repeat_n(0u8, big as usize));
    pad(&mut t);
    let gz = gzip(&finish(t));
    let limit = 1 << 20;
    let limits = Limits { max_bytes: limit, ..small_limits() };
    let result = unpack(gz.as_slice(), Compression::Gzip, &sb.dest, limits);
    assert_too_large(result, "bytes", limit);
    sb.assert_confined(&[]);
    assert!(sb.bytes_written() <= limit, "{} bytes written, limit {limit}", sb.bytes_written());
}

#[test]
fn too_many_entries_is_too_large() {
    let sb = sandbox();
    let mut t = Vec::new();
    for i in 0..10 {
        file(&mut t, &format!("f{i}"), b"x");
    }
    let limits = Limits { max_entries: 3, ..small_limits() };
    assert_too_large(sb.unpack_with(&finish(t), limits), "entries", 3);
    sb.assert_confined(&[]);
    assert!(sb.listing().len() <= 3, "{:?}", sb.listing());
}

#[test]
fn header_claiming_more_data_than_present_is_an_error_not_a_panic() {
    let sb = sandbox();
    let mut t = Vec::new();
    let h = raw_header(b"short", EntryType::Regular, 0o644, 4096, b"");
    t.extend_from_slice(h.as_bytes());
    t.extend_from_slice(b"only a few bytes");
    // No padding, no end-of-archive blocks: the stream just stops.
    let result = sb.unpack(&t);
    assert!(matches!(result, Err(ExtractError::Read(_))), "a truncated archive must fail with Read, got {result:?}");
    sb.assert_confined(&[]);
}

#[test]
fn truncated_gzip_stream_is_an_error_not_a_panic() {
    let sb = sandbox();
    let mut t = Vec::new();
    file(&mut t, "big", &[b'z'; 8192]);
    let gz = gzip(&finish(t));
    let cut = &gz[..gz.len() / 2];
    let result = unpack(cut, Compression::Gzip, &sb.dest, small_limits());
    assert!(matches!(result, Err(ExtractError::Read(_))), "got {result:?}");
    sb.assert_confined(&[]);
}

// ---------------------------------------------------------------------------
// Accepted archives.
// ---------------------------------------------------------------------------

#[test]
fn single_top_level_directory_is_the_plugin_root() {
    let sb = sandbox();
    let mut t = Vec::new();
    dir(&mut t, "plugin-1.0/");
    dir(&mut t, "plugin-1.0/commands/");
    file(&mut t, "plugin-1.0/plugin.json", b"{}");
    file(&mut t, "plugin-1.0/commands/hi.md", b"hi");
    symlink(&mut t, "plugin-1.0/README", "commands/hi.md");
    let gz = gzip(&finish(t));
    let root = unpack(gz.as_slice(), Compression::Gzip, &sb.dest, Limits::default()).unwrap();
    assert_eq!(root, sb.dest.join("plugin-1.0"));
    assert_eq!(fs::read(root.join("plugin.json")).unwrap(), b"{}");
    assert_eq!(fs::read(root.join("README")).unwrap(), b"hi");
    sb.assert_confined(&[]);
}

#[test]
fn several_top_level_entries_return_dest_itself() {
    let sb = sandbox();
    let mut t = Vec::new();
    dir(&mut t, "commands/");
    file(&mut t, "commands/hi.md", b"hi");
    file(&mut t, "plugin.json", b"{}");
    let root = sb.unpack(&finish(t)).unwrap();
    assert_eq!(root, sb.dest);
    assert_eq!(sb.listing(), vec!["commands", "commands/hi.md", "plugin.json"]);
    sb.assert_confined(&[]);
}

#[test]
fn single_top_level_file_returns_dest_itself() {
    let sb = sandbox();
    let mut t = Vec::new();
    file(&mut t, "plugin.json", b"{}");
    assert_eq!(sb.unpack(&finish(t)).unwrap(), sb.dest);
    sb.assert_confined(&[]);
}

#[test]
fn archive_starting_with_a_pax_global_header_is_accepted() {
    // What `git archive` writes: a `g` entry carrying the commit id.
    let sb = sandbox();
    let commit = "52 comment=0123456789abcdef0123456789abcdef01234567\n";
    assert_eq!(commit.len(), 52);
    let mut b = tar::Builder::new(Vec::new());
    let mut g = tar::Header::new_ustar();
    g.set_entry_type(EntryType::XGlobalHeader);
    g.set_path("pax_global_header").unwrap();
    g.set_size(commit.len() as u64);
    g.set_mode(0o666);
    g.set_cksum();
    b.append(&g, commit.as_bytes()).unwrap();
    let mut d = tar::Header::new_ustar();
    d.set_entry_type(EntryType::Directory);
    d.set_size(0);
    d.set_mode(0o775);
    b.append_data(&mut d, "repo-abc/", std::io::empty()).unwrap();
    let mut f = tar::Header::new_ustar();
    f.set_entry_type(EntryType::Regular);
    f.set_size(2);
    f.set_mode(0o664);
    b.append_data(&mut f, "repo-abc/plugin.json", &b"{}"[..]).unwrap();
    let tar = b.into_inner().unwrap();
    let root = sb.unpack(&tar).expect("a pax global header is accepted");
    assert_eq!(root, sb.dest.join("repo-abc"));
    assert_eq!(sb.listing(), vec!["repo-abc", "repo-abc/plugin.json"]);
    sb.assert_confined(&[]);
}
