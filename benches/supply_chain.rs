//! Supply-chain benchmarks (issue 26), each figure against a baseline
//! measured in the same run (`paii lock --check` of the same lock: start-up
//! and reading paii.toml and paii.lock, the floor of any command on it):
//!
//! 1. `paii audit` of a lock of 20 plugins (10 with the security plugin's
//!    Cargo.lock, 10 with the history plugin's uv.lock) against both
//!    databases, warm store: `--offline` (the pinned copies) and a plain
//!    audit (which also asks each database's git repository for a newer
//!    commit). Goal <= 1 s.
//! 2. `paii sbom` of the same lock, warm store. Goal <= 100 ms.
//! 3. The first audit, which fetches and indexes the databases (for
//!    information).
//!
//! The databases are the size of the real ones (RustSec's osv branch:
//! ~1,200 JSON records; the PyPA's: ~2,700 YAML records over ~660
//! packages), made from the real records in fixtures/advisories with other
//! package names, and served as git repositories. Run: `cargo bench --bench
//! supply_chain`. Prints medians and ratios; asserts nothing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;
use support::{median, ms};

const PLUGINS: usize = 20;
const RUST_RECORDS: usize = 1_200;
const PYPI_PACKAGES: usize = 660;
const PYPI_RECORDS_PER_PACKAGE: usize = 4;
const RUNS: usize = 7;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "b")
        .env("GIT_AUTHOR_EMAIL", "b@example.org")
        .env("GIT_COMMITTER_NAME", "b")
        .env("GIT_COMMITTER_EMAIL", "b@example.org")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", String::from_utf8_lossy(&out.stderr));
}

fn commit(dir: &Path, branch: &str) {
    git(dir, &["init", "-q", "-b", branch]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "x"]);
}

fn timed(root: &Path, args: &[&str]) -> Duration {
    let start = Instant::now();
    let out = support::paii(root, args).output().unwrap();
    let took = start.elapsed();
    // audit exits 1 on findings: only a crash or an error message is a failure.
    assert!(out.status.code().is_some_and(|c| c <= 1), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    took
}

fn measure(root: &Path, args: &[&str]) -> Duration {
    median((0..RUNS).map(|_| timed(root, args)).collect())
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let repo_root = Path::new(env!("CARGO_MANIFEST_DIR"));

    // 20 plugins in one repository, each with a real lockfile.
    let plugins = root.join("repos/plugins");
    let mut manifest = String::from("[plugins]\n");
    let url = format!("file://{}", plugins.display());
    for i in 0..PLUGINS {
        let name = format!("p{i:02}");
        let dir = plugins.join(&name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("plugin.toml"), format!("[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\n")).unwrap();
        let (from, file) = if i % 2 == 0 { ("plugins/security/Cargo.lock", "Cargo.lock") } else { ("plugins/history/uv.lock", "uv.lock") };
        std::fs::copy(repo_root.join(from), dir.join(file)).unwrap();
        manifest.push_str(&format!("{name} = {{ git = \"{url}\", path = \"{name}\", rev = \"main\" }}\n"));
    }
    commit(&plugins, "main");

    // Databases the size of the real ones, from real records.
    let fixtures = repo_root.join("fixtures/advisories");
    let rustsec = root.join("repos/rustsec");
    std::fs::create_dir_all(rustsec.join("crates")).unwrap();
    let templates: Vec<String> =
        std::fs::read_dir(fixtures.join("rustsec")).unwrap().map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap()).collect();
    for i in 0..RUST_RECORDS {
        let t = &templates[i % templates.len()];
        let v: serde_json::Value = serde_json::from_str(t).unwrap();
        let name = v["affected"][0]["package"]["name"].as_str().unwrap().to_string();
        let id = format!("RUSTSEC-2099-{i:04}");
        let mut text = t.replace(v["id"].as_str().unwrap(), &id);
        // The real records keep their crates (rustls, time...): some match.
        if i >= templates.len() {
            text = text.replace(&format!("\"{name}\""), &format!("\"crate-{i}\""));
        }
        std::fs::write(rustsec.join(format!("crates/{id}.json")), text).unwrap();
    }
    commit(&rustsec, "osv");
    let pypa = root.join("repos/pypa");
    let yaml: Vec<(String, String)> = walk_yaml(&fixtures.join("pypa"));
    for p in 0..PYPI_PACKAGES {
        let dir = pypa.join(format!("vulns/pkg-{p}"));
        std::fs::create_dir_all(&dir).unwrap();
        for r in 0..PYPI_RECORDS_PER_PACKAGE {
            let (name, t) = &yaml[(p + r) % yaml.len()];
            let id = format!("PYSEC-2099-{p}-{r}");
            let text =
                t.replacen("id: ", &format!("id: {id}\nx-was: "), 1).replace(&format!("name: {name}\n"), &format!("name: pkg-{p}\n"));
            std::fs::write(dir.join(format!("{id}.yaml")), text).unwrap();
        }
    }
    commit(&pypa, "main");
    manifest.push_str(&format!(
        "\n[audit.databases]\nrustsec = {{ git = \"file://{}\", rev = \"osv\", path = \"crates\" }}\npypa = {{ git = \"file://{}\", rev = \"main\", path = \"vulns\" }}\n",
        rustsec.display(),
        pypa.display()
    ));
    std::fs::create_dir_all(root.join("team")).unwrap();
    std::fs::write(root.join("team/paii.toml"), manifest).unwrap();
    assert!(support::paii(root, &["lock", "-q"]).status().unwrap().success());

    let first = timed(root, &["audit", "-q"]);
    let floor = measure(root, &["lock", "--check", "-q"]);
    let offline = measure(root, &["audit", "-q", "--offline"]);
    let online = measure(root, &["audit", "-q"]);
    let sbom = measure(root, &["sbom", "-q", "--offline"]);
    let spdx = measure(root, &["sbom", "-q", "--offline", "--format", "spdx"]);

    println!(
        "supply chain: {PLUGINS} plugins; databases of {RUST_RECORDS} + {} records; median of {RUNS}",
        PYPI_PACKAGES * PYPI_RECORDS_PER_PACKAGE
    );
    println!("  baseline `paii lock --check`          {:8.1} ms", ms(floor));
    let row = |label: &str, d: Duration, goal_ms: Option<f64>| {
        let goal =
            goal_ms.map(|g| format!("  {:.2}x the {} goal", ms(d) / g, if g >= 1000.0 { "1 s" } else { "100 ms" })).unwrap_or_default();
        println!("  {label:<37} {:8.1} ms  {:5.1}x baseline{goal}", ms(d), ms(d) / ms(floor));
    };
    row("audit --offline (warm)", offline, Some(1000.0));
    row("audit (warm, asks git for news)", online, Some(1000.0));
    row("sbom, CycloneDX (warm)", sbom, Some(100.0));
    row("sbom, SPDX (warm)", spdx, Some(100.0));
    row("first audit (fetch + index)", first, None);
}

/// (package name, text) of each YAML record under `dir`.
fn walk_yaml(dir: &Path) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for pkg in std::fs::read_dir(dir).unwrap() {
        let pkg = pkg.unwrap();
        for f in std::fs::read_dir(pkg.path()).unwrap() {
            let text = std::fs::read_to_string(f.unwrap().path()).unwrap();
            let name = text.lines().find_map(|l| l.trim().strip_prefix("name: ")).unwrap().to_string();
            out.push((name, text));
        }
    }
    out.sort();
    out
}
