//! Claude Code plugins under paii (issue 22):
//!
//! - Claude Code's start-up with the parity marketplace installed by paii
//!   vs installed by Claude Code itself: `claude -p` answering one prompt
//!   (one Messages API request; start-up dominates it), median of
//!   interleaved runs against the scripted API on 127.0.0.1 (goal <= 1.05x).
//! - `paii sync` of a git marketplace of 53 in-repository plugins in
//!   claude-plugins-official's shapes, warm store, nothing changed (goal
//!   <= 50 ms), against `paii sync` of an empty paii.toml in the same run.
//!
//! Needs the pinned Claude Code client (installed into target/claude-code
//! by scripts/test.sh, or by this bench when npm is there).
//! Run: `cargo bench --bench claude_plugins`. Prints medians and ratios.

#[path = "../tests/common/mod.rs"]
mod common;
#[path = "support/mod.rs"]
mod support;

use common::Sandbox;
use common::anthropic::{MessagesApi, Script};
use support::{median, ms};

const RUNS: usize = 11;

fn main() {
    // `cargo bench --bench claude_plugins -- sync` runs the second alone.
    let only = std::env::args().skip(1).find(|a| !a.starts_with('-'));
    if only.as_deref().is_none_or(|o| "startup".contains(o)) {
        startup();
    }
    if only.as_deref().is_none_or(|o| "sync".contains(o)) {
        noop_sync();
    }
}

fn startup() {
    let own = Sandbox::new();
    common::parity::claude_installs(&own);
    let via = Sandbox::new();
    common::parity::paii_installs(&via);
    let api = MessagesApi::start(Script::Text);
    for sb in [&own, &via] {
        std::fs::create_dir_all(sb.path("work")).unwrap();
    }
    let (mut t_own, mut t_via) = (Vec::new(), Vec::new());
    // One warm-up each: the client's first start reads its 400 MB binary.
    for round in 0..=RUNS {
        for (sb, times) in [(&via, &mut t_via), (&own, &mut t_own)] {
            let turn = common::claude_code::run(sb, &api, &sb.path("work"), "hello", "Bash");
            assert_eq!(turn.code, 0, "{}", turn.stderr);
            assert!(turn.sent().contains("kit:kit-skill"), "the plugins are loaded");
            if round > 0 {
                times.push(turn.elapsed);
            }
        }
    }
    let (a, b) = (median(t_via), median(t_own));
    println!(
        "claude -p start-up with the parity marketplace: installed by paii {:.0} ms vs by Claude Code itself {:.0} ms = {:.2}x (goal <= 1.05x)",
        ms(a),
        ms(b),
        a.as_secs_f64() / b.as_secs_f64()
    );
}

fn noop_sync() {
    // A git marketplace, as claude-plugins-official is.
    let sb = Sandbox::new();
    let repo = sb.path("repos/many");
    let names = common::parity::many(&repo, 53);
    common::git(&repo, &["init", "-q", "-b", "main"]);
    common::git(&repo, &["add", "-A"]);
    common::git(&repo, &["commit", "-q", "-m", "many"]);
    let plugins: String = names.iter().map(|n| format!("{n} = \"*\"\n")).collect();
    sb.write("team/paii.toml", &format!("[registries]\nmany = {{ marketplace = \"file://{}\" }}\n\n[plugins]\n{plugins}", repo.display()));
    sb.paii_in("team", &["sync", "-q"]).ok();
    let empty = Sandbox::new();
    empty.write("team/paii.toml", "[plugins]\n");
    empty.paii_in("team", &["sync", "-q"]).ok();
    let time = |sb: &Sandbox| {
        let started = std::time::Instant::now();
        let out = sb.command(&sb.path("team"), &["sync", "-q"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        started.elapsed()
    };
    let (mut t_many, mut t_empty) = (Vec::new(), Vec::new());
    for _ in 0..RUNS * 2 {
        t_many.push(time(&sb));
        t_empty.push(time(&empty));
    }
    let generations = std::fs::read_dir(sb.home().join("generations")).unwrap().count();
    assert_eq!(generations, 1, "a sync that changes nothing makes no generation");
    let (a, b) = (median(t_many), median(t_empty));
    println!(
        "paii sync, 53 marketplace plugins, warm store, nothing changed: {:.1} ms (goal <= 50 ms) vs an empty paii.toml {:.1} ms = {:.2}x",
        ms(a),
        ms(b),
        a.as_secs_f64() / b.as_secs_f64()
    );
}
