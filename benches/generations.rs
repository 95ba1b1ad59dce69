//! Generation benchmarks (issue 7), measured against each other in one run:
//!
//! `paii switch` between two generations with 500 plugins vs with 10
//! (goal <= 1.2x: O(1) in plugins when the set of names is unchanged).
//! Every plugin has a hook handler, a skill and an agent, so Claude Code's
//! settings.json, links and record are all in play; the two generations
//! differ in every plugin's content but not in its names.
//!
//! Run: `cargo bench --bench generations`. Prints medians and the ratio;
//! asserts nothing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;
use support::{median, ms};

const RUNS: usize = 60;

fn paii(root: &Path, args: &[&str]) -> Command {
    let mut c = support::paii(root, args);
    c.arg("-q");
    c
}

fn run(cmd: &mut Command) -> Duration {
    let start = Instant::now();
    let out = cmd.output().unwrap();
    let took = start.elapsed();
    assert!(out.status.success(), "{cmd:?}: {}", String::from_utf8_lossy(&out.stderr));
    took
}

fn write_plugins(root: &Path, n: usize, revision: u32) {
    for i in 0..n {
        let dir = root.join("plugins").join(format!("p{i:03}"));
        std::fs::create_dir_all(dir.join("agents")).unwrap();
        std::fs::write(
            dir.join("plugin.toml"),
            format!("[plugin]\nname = \"p{i:03}\"\nversion = \"1.0.0\"\n\n[hooks]\npre_tool_use = {{ matcher = \"Bash\" }}\n\n[run]\ncommand = [\"run.sh\"]\n"),
        )
        .unwrap();
        std::fs::write(dir.join("run.sh"), "#!/bin/sh\nexit 0\n").unwrap();
        std::fs::write(dir.join("SKILL.md"), format!("# p{i:03}, revision {revision}\n")).unwrap();
        std::fs::write(dir.join(format!("agents/a{i:03}.md")), "# agent\n").unwrap();
    }
}

/// A PAII_HOME with two generations of `n` plugins that differ in content only.
fn setup(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write_plugins(root, n, 1);
    let mut manifest = String::from("[plugins]\n");
    for i in 0..n {
        manifest.push_str(&format!("p{i:03} = {{ path = \"../plugins/p{i:03}\" }}\n"));
    }
    std::fs::create_dir_all(root.join("team")).unwrap();
    std::fs::write(root.join("team/paii.toml"), manifest).unwrap();
    run(&mut paii(root, &["sync"]));
    write_plugins(root, n, 2);
    run(&mut paii(root, &["sync"]));
    dir
}

fn main() {
    let small = setup(10);
    let large = setup(500);
    // Interleaved, so that the machine's noise falls on both alike.
    let (mut ts, mut tl, mut rs, mut rl) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for k in 0..RUNS {
        let target = if k % 2 == 0 { "1" } else { "2" };
        ts.push(run(&mut paii(small.path(), &["switch", target])));
        tl.push(run(&mut paii(large.path(), &["switch", target])));
        if k % 2 == 1 {
            // From 2, rollback goes to its parent, 1.
            rs.push(run(&mut paii(small.path(), &["rollback"])));
            rl.push(run(&mut paii(large.path(), &["rollback"])));
            run(&mut paii(small.path(), &["switch", "2"]));
            run(&mut paii(large.path(), &["switch", "2"]));
        }
    }
    for (what, s, l) in [("switch", ts, tl), ("rollback", rs, rl)] {
        let (s, l) = (median(s), median(l));
        println!(
            "{what}: 500 plugins {:.2} ms vs 10 plugins {:.2} ms = {:.2}x (goal <= 1.2x)",
            ms(l),
            ms(s),
            l.as_secs_f64() / s.as_secs_f64()
        );
    }
}
