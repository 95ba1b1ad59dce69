//! Fetch benchmarks (issue 5), each against a baseline measured in the same
//! run on this machine:
//!
//! 1. cold `paii sync` of 50 plugins from 50 git repositories served by
//!    `git daemon` on 127.0.0.1, vs a shell loop of `git clone --depth 1`
//!    of the same repositories (goal <= 0.7x);
//! 2. warm `paii sync` (everything in the store) vs that cold sync (goal
//!    <= 0.05x);
//! 3. fetch + verify + extract of a 50 MB tarball from an HTTP server on
//!    127.0.0.1, vs `curl -s URL | tar xz` (goal <= 1.3x).
//!
//! Run: `cargo bench --bench fetch`. Prints medians and ratios; asserts
//! nothing.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{GitDaemon, HttpServer, Reply, git, tarball, write_plugin};

#[path = "support/mod.rs"]
mod support;
use support::{median, ms};

const REPOS: usize = 50;
const RUNS: usize = 5;

fn paii(home: &Path, cwd: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_paii"))
        .args(args)
        .current_dir(cwd)
        .env("PAII_HOME", home)
        .env("HOME", home)
        .env("CLAUDE_CONFIG_DIR", home.join("claude"))
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    took
}

fn shell(script: &str) -> Duration {
    let start = Instant::now();
    let out = Command::new("sh").arg("-c").arg(script).output().unwrap();
    let took = start.elapsed();
    assert!(out.status.success(), "{script}: {}", String::from_utf8_lossy(&out.stderr));
    took
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();

    // 50 repositories, one plugin each, served by git daemon.
    let mut registry = String::from("[registry]\nname = \"bench\"\n");
    let repos = root.join("repos");
    let mut commits = Vec::new();
    for i in 0..REPOS {
        let repo = repos.join(format!("p{i:02}"));
        std::fs::create_dir_all(&repo).unwrap();
        write_plugin(&repo, &format!("p{i:02}"), "1.0.0");
        for f in 0..20 {
            std::fs::write(repo.join(format!("doc{f}.md")), format!("# page {f} of plugin {i}\n").repeat(40)).unwrap();
        }
        git(&repo, &["init", "-q", "-b", "main"]);
        git(&repo, &["add", "-A"]);
        git(&repo, &["commit", "-q", "-m", "plugin"]);
        commits.push(git(&repo, &["rev-parse", "HEAD"]));
    }
    let daemon = GitDaemon::start(&repos);
    let mut manifest = String::from("[registries]\nbench = { path = \"registry.toml\" }\n[plugins]\n");
    for (i, commit) in commits.iter().enumerate() {
        registry.push_str(&format!(
            "\n[[plugins]]\nname = \"p{i:02}\"\nversion = \"1.0.0\"\nsource = \"{}\"\nrev = \"{commit}\"\nprovides = [\"SkillProvider:p{i:02}\"]\n",
            daemon.url(&format!("p{i:02}"))
        ));
        manifest.push_str(&format!("p{i:02} = \"^1\"\n"));
    }
    let team = root.join("team");
    std::fs::create_dir_all(&team).unwrap();
    std::fs::write(team.join("registry.toml"), &registry).unwrap();
    std::fs::write(team.join("paii.toml"), &manifest).unwrap();

    let mut cold = Vec::new();
    let mut warm = Vec::new();
    let mut clones = Vec::new();
    for run in 0..RUNS {
        let home = root.join(format!("home{run}"));
        let _ = std::fs::remove_file(team.join("paii.lock"));
        cold.push(paii(&home, &team, &["-q", "sync"]));
        warm.push(paii(&home, &team, &["-q", "sync"]));
        let target = root.join(format!("clones{run}"));
        let script = (0..REPOS)
            .map(|i| format!("git clone -q --depth 1 {} {}/p{i:02}", daemon.url(&format!("p{i:02}")), target.display()))
            .collect::<Vec<_>>()
            .join(" && ");
        clones.push(shell(&script));
    }
    let (cold, warm, clones) = (median(cold), median(warm), median(clones));
    println!("git: {REPOS} plugins from {REPOS} repositories on git daemon (median of {RUNS})");
    println!("  loop of `git clone --depth 1`: {:8.1} ms", ms(clones));
    println!("  cold `paii sync`:              {:8.1} ms  ratio {:.2}x (goal <= 0.7x)", ms(cold), ms(cold) / ms(clones));
    println!("  warm `paii sync`:              {:8.1} ms  ratio {:.3}x of cold (goal <= 0.05x)", ms(warm), ms(warm) / ms(cold));

    // A 50 MB tarball of incompressible data.
    let plugin = root.join("big/blob");
    write_plugin(&plugin, "blob", "1.0.0");
    let mut x: u64 = 42;
    for f in 0..10 {
        let data: Vec<u8> = (0..5 * 1024 * 1024)
            .map(|_| {
                x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                (x >> 56) as u8
            })
            .collect();
        std::fs::write(plugin.join(format!("data{f}.bin")), data).unwrap();
    }
    let bytes = tarball(&plugin, "blob-1.0.0");
    let size = bytes.len();
    let integrity = paii::store::integrity::hash_path(&plugin).unwrap().to_string();
    let http = HttpServer::start(vec![("/blob.tar.gz", Reply::Bytes(bytes))]);
    let url = http.url("/blob.tar.gz");
    let team = root.join("tarball-team");
    std::fs::create_dir_all(&team).unwrap();
    std::fs::write(team.join("paii.toml"), format!("[plugins]\nblob = {{ url = \"{url}\", integrity = \"{integrity}\" }}\n")).unwrap();
    let mut paii_runs = Vec::new();
    let mut curl_runs = Vec::new();
    for run in 0..RUNS {
        let home = root.join(format!("tar-home{run}"));
        let _ = std::fs::remove_file(team.join("paii.lock"));
        paii_runs.push(paii(&home, &team, &["-q", "sync"]));
        let out = root.join(format!("curl{run}"));
        std::fs::create_dir_all(&out).unwrap();
        curl_runs.push(shell(&format!("curl -s {url} | tar xz -C {}", out.display())));
    }
    let (p, c) = (median(paii_runs), median(curl_runs));
    println!("tarball: {:.1} MB from an HTTP server on 127.0.0.1 (median of {RUNS})", size as f64 / 1e6);
    println!("  `curl -s URL | tar xz`:        {:8.1} ms", ms(c));
    println!("  `paii sync` (fetch+verify+extract): {:8.1} ms  ratio {:.2}x (goal <= 1.3x)", ms(p), ms(p) / ms(c));
}
