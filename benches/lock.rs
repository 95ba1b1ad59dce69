//! `paii lock` on a generated registry of 1,000 plugins x 10 versions with
//! random requirements and contracts, locking 20 and then 200 plugins.
//!
//! Run: `cargo bench --bench lock`. Prints medians and ratios; asserts nothing
//! (timings on shared machines are noisy). Goals (issue 4): 200 plugins in
//! <= 100 ms including parsing, and 200 costing <= 12x what 20 costs.

use std::fmt::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;
use support::{median, ms};

const PLUGINS: usize = 1000;
const VERSIONS: usize = 10;
const RUNS: usize = 15;

/// A small deterministic generator, so every run measures the same input.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn registry(rng: &mut Lcg) -> String {
    let mut s = String::from("[registry]\nname = \"bench\"\ndescription = \"generated\"\n");
    for p in 0..PLUGINS {
        for v in 0..VERSIONS {
            let (major, minor) = (1 + v / 5, v % 5);
            let core = if v == VERSIONS - 1 && rng.below(4) == 0 { ">=0.2.0" } else { ">=0.1.0" };
            // Each contract has one provider, so wiring is never ambiguous.
            let provides: Vec<String> = (0..rng.below(2)).map(|_| format!("\"C{p:04}\"")).collect();
            let consumes: Vec<String> = (0..rng.below(3))
                .map(|i| format!("k{i} = {{ contract = \"C{:04}\", optional = true }}", rng.below(PLUGINS as u64)))
                .collect();
            let _ = write!(
                s,
                "\n[[plugins]]\nname = \"p{p:04}\"\nversion = \"{major}.{minor}.0\"\ndescription = \"plugin {p} version {v}\"\n\
                 source = \"https://git.example.org/p{p:04}.git\"\nrev = \"{:040x}\"\npath = \"plugins/p{p:04}\"\n\
                 language = \"python\"\ntags = [\"bench\"]\ncore_version = \"{core}\"\nprovides = [{}]\nconsumes = {{ {} }}\n",
                rng.next() as u128 * 0x1_0000_0001,
                provides.join(", "),
                consumes.join(", "),
            );
        }
    }
    s
}

fn manifest(rng: &mut Lcg, count: usize) -> String {
    let mut s = String::from("[registries]\nbench = { path = \"registry.toml\" }\n\n[plugins]\n");
    let step = PLUGINS / count;
    for i in 0..count {
        let req = match rng.below(4) {
            0 => "^1",
            1 => "~1.3",
            2 => ">=1.2, <2.3",
            _ => "*",
        };
        let _ = writeln!(s, "p{:04} = \"{req}\"", i * step);
    }
    s
}

/// Median time of `paii lock`; `cold` removes the parsed-registry cache
/// before every run, so the registry's TOML is parsed each time.
fn time_lock(dir: &Path, count: usize, cold: bool) -> Duration {
    let mut rng = Lcg(count as u64);
    std::fs::write(dir.join("paii.toml"), manifest(&mut rng, count)).unwrap();
    let mut samples = Vec::new();
    for _ in 0..RUNS {
        let _ = std::fs::remove_file(dir.join("paii.lock"));
        if cold {
            let _ = std::fs::remove_dir_all(dir.join("home/cache"));
        }
        let start = Instant::now();
        let out = Command::new(env!("CARGO_BIN_EXE_paii"))
            .args(["-q", "lock"])
            .current_dir(dir)
            .env("PAII_HOME", dir.join("home"))
            .env("CLAUDE_CONFIG_DIR", dir.join("claude"))
            .output()
            .unwrap();
        samples.push(start.elapsed());
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    median(samples)
}

fn time_baseline(dir: &Path) -> Duration {
    let samples = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            Command::new(env!("CARGO_BIN_EXE_paii")).arg("--version").current_dir(dir).output().unwrap();
            start.elapsed()
        })
        .collect();
    median(samples)
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let text = registry(&mut Lcg(42));
    std::fs::write(dir.path().join("registry.toml"), &text).unwrap();
    println!("registry: {PLUGINS} plugins x {VERSIONS} versions, {:.1} MB", text.len() as f64 / 1e6);
    let base = time_baseline(dir.path());
    println!("baseline `paii --version`: {:7.1} ms", ms(base));
    for (label, cold) in [("warm (parsed-registry cache)", false), ("cold (TOML parsed every run)", true)] {
        let t20 = time_lock(dir.path(), 20, cold);
        let t200 = time_lock(dir.path(), 200, cold);
        println!("{label}:");
        println!("  lock  20 plugins:        {:7.1} ms", ms(t20));
        println!("  lock 200 plugins:        {:7.1} ms  ({:.2}x of the 100 ms goal)", ms(t200), ms(t200) / 100.0);
        println!("  ratio 200/20:            {:7.2}x (goal <= 12x)", ms(t200) / ms(t20));
    }
}
