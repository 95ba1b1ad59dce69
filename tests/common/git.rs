//! Real git repositories for tests to fetch from (paii itself fetches with
//! gix; these are made with the git CLI), and plugin trees to put in them.

use std::path::Path;
use std::process::Command;

/// Runs the git CLI to build test repositories (paii itself fetches with gix),
/// isolated from any user configuration, with fixed dates so that commit ids
/// are the same on every run.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.org")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.org")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// Makes `dir` a repository on `branch` with everything in it committed.
pub fn init_repo(dir: &Path, branch: &str) {
    git(dir, &["init", "-q", "-b", branch]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "initial"]);
}

/// The text of a minimal plugin.toml.
pub fn plugin_toml(name: &str, version: &str) -> String {
    format!("[plugin]\nname = \"{name}\"\nversion = \"{version}\"\n\n[provides]\nskill = \"{name}\"\n")
}

/// Writes a small plugin tree (plugin.toml, a skill, an executable).
pub fn write_plugin(dir: &Path, name: &str, version: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir.join("bin")).unwrap();
    std::fs::write(dir.join("plugin.toml"), plugin_toml(name, version)).unwrap();
    std::fs::write(dir.join("SKILL.md"), format!("# {name}\n\nDoes {name} things.\n")).unwrap();
    std::fs::write(dir.join("bin/run"), "#!/bin/sh\necho hi\n").unwrap();
    std::fs::set_permissions(dir.join("bin/run"), std::fs::Permissions::from_mode(0o755)).unwrap();
}

/// A repository at `dir` holding `plugins/<name>/` for each plugin, on
/// branch `main`, tagged `v1`. Returns the commit id.
pub fn plugin_repo(dir: &Path, plugins: &[(&str, &str)]) -> String {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
    for (name, version) in plugins {
        write_plugin(&dir.join("plugins").join(name), name, version);
    }
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "plugins"]);
    git(dir, &["tag", "v1"]);
    git(dir, &["rev-parse", "HEAD"])
}

/// A .tar.gz of `dir`'s content under one top-level directory `top`.
pub fn tarball(dir: &Path, top: &str) -> Vec<u8> {
    let enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    let mut b = tar::Builder::new(enc);
    b.follow_symlinks(false);
    b.append_dir_all(top, dir).unwrap();
    b.into_inner().unwrap().finish().unwrap()
}
