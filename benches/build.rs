//! Build benchmarks (issue 6), each against a baseline measured in the same
//! run on this machine:
//!
//! 1. no-op `paii sync` with 20 built plugins (10 cargo, 10 uv) vs a no-op
//!    `uv sync --frozen` of a project with 20 dependencies (goal <= 1.0x);
//! 2. after a one-line change in one of the 20 plugins, `paii sync` rebuilds
//!    exactly that plugin (counted) in <= 1.2x the time of building that
//!    plugin alone with `cargo build --release --locked` in a fresh target.
//!
//! Needs cargo, uv, python3 and access to crates.io and PyPI (the first run
//! fills their caches). Run: `cargo bench --bench build`. Prints medians and
//! ratios; asserts nothing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;
use support::{median, ms};

const PER_KIND: usize = 10;
const RUNS: usize = 9;

fn timed(cmd: &mut Command) -> (Duration, String) {
    let start = Instant::now();
    let out = cmd.output().unwrap();
    let took = start.elapsed();
    assert!(out.status.success(), "{:?}: {}", cmd, String::from_utf8_lossy(&out.stderr));
    (took, String::from_utf8_lossy(&out.stderr).into_owned())
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

fn main() {
    let root_dir = tempfile::tempdir().unwrap();
    let root = root_dir.path();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/plugins");
    let mut manifest = String::from("[plugins]\n");
    for i in 0..PER_KIND {
        // Cargo plugins: the guard fixture under another name.
        let name = format!("guard{i}");
        let dir = root.join("plugins").join(&name);
        copy_dir(&fixtures.join("guard"), &dir);
        let toml = std::fs::read_to_string(dir.join("plugin.toml")).unwrap().replace("name = \"guard\"", &format!("name = \"{name}\""));
        std::fs::write(dir.join("plugin.toml"), toml).unwrap();
        manifest.push_str(&format!("{name} = {{ path = \"../plugins/{name}\" }}\n"));
        // uv plugins: the notes fixture under another name.
        let name = format!("notes{i}");
        let dir = root.join("plugins").join(&name);
        copy_dir(&fixtures.join("notes"), &dir);
        let toml = std::fs::read_to_string(dir.join("plugin.toml"))
            .unwrap()
            .replace("name = \"notes\"", &format!("name = \"{name}\""))
            .replace("skill = \"notes\"", &format!("skill = \"{name}\""));
        std::fs::write(dir.join("plugin.toml"), toml).unwrap();
        manifest.push_str(&format!("{name} = {{ path = \"../plugins/{name}\" }}\n"));
    }
    let team = root.join("team");
    std::fs::create_dir_all(&team).unwrap();
    std::fs::write(team.join("paii.toml"), manifest).unwrap();
    let home = root.join("home");
    let paii = || {
        let mut c = Command::new(env!("CARGO_BIN_EXE_paii"));
        // Claude Code's files of a throwaway directory, never the user's.
        c.current_dir(&team).env("PAII_HOME", &home).env("CLAUDE_CONFIG_DIR", root.join("claude")).arg("sync");
        c
    };
    let (first, _) = timed(&mut paii());
    println!("first sync (20 builds): {:.1} s", first.as_secs_f64());

    // The uv baseline: a project with 20 dependencies, synced once.
    let project = root.join("uvproject");
    std::fs::create_dir_all(&project).unwrap();
    let deps = [
        "six",
        "idna",
        "certifi",
        "charset-normalizer",
        "urllib3",
        "requests",
        "attrs",
        "packaging",
        "pyparsing",
        "toml",
        "tomli",
        "click",
        "itsdangerous",
        "markupsafe",
        "jinja2",
        "typing-extensions",
        "zipp",
        "iniconfig",
        "pluggy",
        "wheel",
    ];
    std::fs::write(
        project.join("pyproject.toml"),
        format!(
            "[project]\nname = \"baseline\"\nversion = \"0.1.0\"\nrequires-python = \">=3.9\"\ndependencies = [{}]\n\n[tool.uv]\npackage = false\n",
            deps.iter().map(|d| format!("\"{d}\"")).collect::<Vec<_>>().join(", ")
        ),
    )
    .unwrap();
    let uv = |args: &[&str]| {
        let mut c = Command::new("uv");
        c.current_dir(&project).args(args).env("UV_PYTHON_DOWNLOADS", "never");
        c
    };
    timed(&mut uv(&["lock", "--quiet"]));
    timed(&mut uv(&["sync", "--frozen", "--quiet"]));

    let noop: Vec<Duration> = (0..RUNS).map(|_| timed(paii().arg("-q")).0).collect();
    let base: Vec<Duration> = (0..RUNS).map(|_| timed(&mut uv(&["sync", "--frozen", "--quiet"])).0).collect();
    let (noop, base) = (median(noop), median(base));
    println!("no-op sync, 20 built plugins (median of {RUNS}):");
    println!("  `uv sync --frozen` (20 deps): {:7.1} ms", ms(base));
    println!("  `paii sync`:                  {:7.1} ms  ratio {:.2}x (goal <= 1.0x)", ms(noop), ms(noop) / ms(base));

    // One line changed in one plugin.
    let main = root.join("plugins/guard3/src/main.rs");
    let text = std::fs::read_to_string(&main).unwrap().replace("\"rm -rf $HOME\"", "\"rm -rf $HOME\", \"mkfs\"");
    std::fs::write(&main, &text).unwrap();
    let (changed, stderr) = timed(&mut paii());
    let rebuilt: Vec<&str> = stderr.lines().filter(|l| l.starts_with("built ") && !l.contains("(in the store)")).collect();
    // The baseline: that plugin alone, as paii builds it, in a fresh target.
    let alone = root.join("alone");
    copy_dir(&root.join("plugins/guard3"), &alone);
    let (direct, _) = timed(
        Command::new("cargo")
            .current_dir(&alone)
            .args(["build", "--release", "--locked", "--quiet"])
            .env("CARGO_TARGET_DIR", root.join("alone-target")),
    );
    println!("one-line change in 1 of 20 plugins:");
    println!("  rebuilt: {} ({:?})", rebuilt.len(), rebuilt);
    println!("  `cargo build --release` of that plugin alone: {:7.1} ms", ms(direct));
    println!(
        "  `paii sync`:                                  {:7.1} ms  ratio {:.2}x (goal <= 1.2x)",
        ms(changed),
        ms(changed) / ms(direct)
    );
}
