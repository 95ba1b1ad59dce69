//! Hook dispatch benchmarks (issue 8), each against a baseline measured in
//! the same run, interleaved so that the machine's noise falls on both:
//!
//! 1. `paii hook dispatch` of an event no handler matches vs `/bin/true`
//!    (goal <= 1.5x);
//! 2. dispatch to one handler (a small compiled program that reads its
//!    input) vs the floor of any dispatcher that is a process of its own:
//!    `/bin/true` then the handler (goal <= 1.15x). For reference, a minimal
//!    dispatcher written in C is measured too: coreutils `timeout`, which
//!    forks the handler, waits for it and exits with its status;
//! 3. ten handlers that each sleep 100 ms vs running them one after
//!    another (goal <= 0.15x);
//! 4. a Claude Code plugin's shell-form hook, dispatched, vs `sh -c` of the
//!    same command run directly (goal <= 1.3x);
//! 5. dispatch to one handler of a project's generation (the hook entry
//!    names its profile) vs the same of the user's (goal <= 1.05x);
//! 6. an observer written in Python (`async = true`, as history is): the
//!    tool call's dispatch, which only queues the event, vs `/bin/true` and
//!    vs starting the observer per event as paii did before spools; and
//!    its drain, 200 queued events in one process, per event vs one
//!    process per event.
//!
//! Needs rustc (for the handler). Run: `cargo bench --bench dispatch`.
//! Prints medians and ratios; asserts nothing.

use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;
use support::{median, ms, paii};

const RUNS: usize = 101;
const INPUT: &[u8] = br#"{"session_id":"bench","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls -la"}}"#;

fn timed(cmd: &mut Command) -> Duration {
    support::timed_with(cmd, INPUT)
}

/// A PAII_HOME whose generation has `plugins`: (name, hooks table, command).
fn setup(plugins: &[(String, &str, String)]) -> tempfile::TempDir {
    setup_in(plugins, false)
}

/// [`setup`], with `project`: `team/` a git repository whose paii.toml
/// asks for the project scope.
fn setup_in(plugins: &[(String, &str, String)], project: bool) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut manifest = String::from(if project { "[paii]\nscope = \"project\"\n\n[plugins]\n" } else { "[plugins]\n" });
    for (name, hooks, command) in plugins {
        let p = root.join("plugins").join(name);
        std::fs::create_dir_all(&p).unwrap();
        std::fs::write(
            p.join("plugin.toml"),
            format!("[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\n\n[hooks]\n{hooks}\n\n[run]\ncommand = [{command:?}]\n"),
        )
        .unwrap();
        manifest.push_str(&format!("{name} = {{ path = \"../plugins/{name}\" }}\n"));
    }
    std::fs::create_dir_all(root.join("team")).unwrap();
    std::fs::write(root.join("team/paii.toml"), manifest).unwrap();
    if project {
        assert!(Command::new("git").args(["init", "-q"]).current_dir(root.join("team")).status().unwrap().success());
    }
    let out = paii(root, &["sync", "-q"]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    dir
}

fn main() {
    let work = tempfile::tempdir().unwrap();
    // The handler: reads its input, exits 0.
    let src = work.path().join("handler.rs");
    std::fs::write(&src, "use std::io::Read;\nfn main() { let mut s = Vec::new(); let _ = std::io::stdin().read_to_end(&mut s); }\n")
        .unwrap();
    let handler = work.path().join("handler");
    let ok = Command::new("rustc").args(["-O", "-o"]).arg(&handler).arg(&src).status().unwrap();
    assert!(ok.success(), "rustc failed");
    let handler = handler.display().to_string();

    // 1. no matching handler vs /bin/true
    let none = setup(&[("other".into(), "pre_tool_use = { matcher = \"Write\" }", handler.clone())]);
    // 2. one handler vs the handler alone
    let one = setup(&[("one".into(), "pre_tool_use = { matcher = \"Bash\" }", handler.clone())]);
    let (mut t_true, mut t_none, mut t_direct, mut t_one, mut t_floor) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let timeout = ["/usr/bin/timeout", "/bin/timeout"].into_iter().find(|p| std::path::Path::new(p).exists());
    let mut t_c = Vec::new();
    for _ in 0..RUNS {
        t_true.push(timed(&mut Command::new("/bin/true")));
        t_none.push(timed(&mut paii(none.path(), &["hook", "dispatch", "pre-tool-use"])));
        t_direct.push(timed(Command::new(&handler).args(["hook", "pre-tool-use"])));
        t_one.push(timed(&mut paii(one.path(), &["hook", "dispatch", "pre-tool-use"])));
        // The floor of any dispatcher that is a process of its own: one
        // process start (/bin/true) plus the handler.
        let start = Instant::now();
        timed(&mut Command::new("/bin/true"));
        timed(Command::new(&handler).args(["hook", "pre-tool-use"]));
        t_floor.push(start.elapsed());
        if let Some(timeout) = timeout {
            t_c.push(timed(Command::new(timeout).arg("10").arg(&handler).args(["hook", "pre-tool-use"])));
        }
    }
    let (a, b) = (median(t_none), median(t_true));
    println!(
        "no matching handler: dispatch {:.2} ms vs /bin/true {:.2} ms = {:.2}x (goal <= 1.5x)",
        ms(a),
        ms(b),
        a.as_secs_f64() / b.as_secs_f64()
    );
    let (a, b, f) = (median(t_one), median(t_direct), median(t_floor));
    println!(
        "one handler: dispatch {:.2} ms vs the floor of a dispatcher process (/bin/true then the handler) {:.2} ms = {:.2}x (goal <= 1.15x)",
        ms(a),
        ms(f),
        a.as_secs_f64() / f.as_secs_f64()
    );
    println!("  (the handler alone: {:.2} ms; dispatch is {:.2}x of it)", ms(b), a.as_secs_f64() / b.as_secs_f64());
    if !t_c.is_empty() {
        let c = median(t_c);
        println!(
            "  (a minimal dispatcher in C, `timeout 10 handler`: {:.2} ms = {:.2}x of the floor; paii is {:.2}x of it)",
            ms(c),
            c.as_secs_f64() / f.as_secs_f64(),
            a.as_secs_f64() / c.as_secs_f64()
        );
    }

    // 5. the same one handler, from a project's generation
    let project = setup_in(&[("one".into(), "pre_tool_use = { matcher = \"Bash\" }", handler.clone())], true);
    let profile = std::fs::read_dir(project.path().join("home/projects")).unwrap().flatten().next().unwrap().path();
    let profile = profile.display().to_string();
    let (mut t_user, mut t_project) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        t_user.push(timed(&mut paii(one.path(), &["hook", "dispatch", "pre-tool-use"])));
        t_project.push(timed(&mut paii(project.path(), &["hook", "dispatch", "pre-tool-use", "--profile", &profile])));
    }
    let (a, b) = (median(t_project), median(t_user));
    println!(
        "project scope: dispatch to one handler {:.2} ms vs user scope {:.2} ms = {:.2}x (goal <= 1.05x)",
        ms(a),
        ms(b),
        a.as_secs_f64() / b.as_secs_f64()
    );

    // 4. a Claude Code plugin's shell-form hook vs `sh -c` of it directly:
    // the cheapest command there is (the worst case for any dispatcher),
    // and a typical one, a Python script that reads its input.
    for (label, script) in
        [("a shell one-liner", "cat > /dev/null; exit 0"), ("a Python hook", "python3 -c 'import sys, json; json.load(sys.stdin)'")]
    {
        let native = tempfile::tempdir().unwrap();
        let root = native.path();
        std::fs::create_dir_all(root.join("plugins/sh/.claude-plugin")).unwrap();
        std::fs::create_dir_all(root.join("plugins/sh/hooks")).unwrap();
        std::fs::create_dir_all(root.join("team")).unwrap();
        std::fs::write(root.join("plugins/sh/.claude-plugin/plugin.json"), r#"{"name": "sh"}"#).unwrap();
        std::fs::write(
            root.join("plugins/sh/hooks/hooks.json"),
            serde_json::json!({"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": script}]}]}})
                .to_string(),
        )
        .unwrap();
        std::fs::write(root.join("team/paii.toml"), "[plugins]\nsh = { path = \"../plugins/sh\" }\n").unwrap();
        let out = paii(root, &["sync", "-q"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let (mut t_native, mut t_sh, mut t_floor) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..RUNS {
            t_native.push(timed(&mut paii(root, &["hook", "dispatch", "pre-tool-use"])));
            t_sh.push(timed(Command::new("/bin/sh").args(["-c", script])));
            // Any dispatcher that is a process of its own costs at least a
            // process start on top of the hook.
            let start = Instant::now();
            timed(&mut Command::new("/bin/true"));
            timed(Command::new("/bin/sh").args(["-c", script]));
            t_floor.push(start.elapsed());
        }
        let (a, b, f) = (median(t_native), median(t_sh), median(t_floor));
        println!(
            "a Claude Code plugin's `sh -c` hook, {label}: dispatch {:.2} ms vs `sh -c` of it directly {:.2} ms = {:.2}x (goal <= 1.3x)",
            ms(a),
            ms(b),
            a.as_secs_f64() / b.as_secs_f64()
        );
        println!(
            "  (the floor of a dispatcher process, /bin/true then `sh -c`: {:.2} ms = {:.2}x of `sh -c`; dispatch is {:.2}x of the floor)",
            ms(f),
            f.as_secs_f64() / b.as_secs_f64(),
            a.as_secs_f64() / f.as_secs_f64()
        );
    }

    // 3. ten sleeping handlers: concurrently vs one after another
    let sleepers: Vec<(String, &str, String)> =
        (0..10).map(|i| (format!("s{i}"), "pre_tool_use = true", "/bin/sleep".to_string())).collect();
    // `sleep hook pre-tool-use` is not a duration: a wrapper script gives 0.1.
    let script = work.path().join("sleep100");
    std::fs::write(&script, "#!/bin/sh\nexec /bin/sleep 0.1\n").unwrap();
    std::os::unix::fs::PermissionsExt::set_mode(&mut std::fs::metadata(&script).unwrap().permissions(), 0o755);
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let sleepers: Vec<(String, &str, String)> = sleepers.into_iter().map(|(n, h, _)| (n, h, script.display().to_string())).collect();
    let ten = setup(&sleepers);
    let (mut t_seq, mut t_par) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        let start = Instant::now();
        for _ in 0..10 {
            timed(&mut Command::new(&script));
        }
        t_seq.push(start.elapsed());
        t_par.push(timed(&mut paii(ten.path(), &["hook", "dispatch", "pre-tool-use"])));
    }
    let (a, b) = (median(t_par), median(t_seq));
    println!(
        "ten 100 ms handlers: dispatch {:.1} ms vs one after another {:.1} ms = {:.3}x (goal <= 0.15x)",
        ms(a),
        ms(b),
        a.as_secs_f64() / b.as_secs_f64()
    );

    observer(work.path());

    // 4. a handler that hangs (and leaves a grandchild) with a 300 ms timeout
    let hang = work.path().join("hang");
    std::fs::write(
        &hang,
        "#!/bin/sh
sleep 60 &
sleep 60
",
    )
    .unwrap();
    std::fs::set_permissions(&hang, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let hung = setup(&[("hang".into(), "pre_tool_use = { timeout_ms = 300 }", hang.display().to_string())]);
    let t: Vec<Duration> = (0..7).map(|_| timed(&mut paii(hung.path(), &["hook", "dispatch", "pre-tool-use"]))).collect();
    let a = median(t);
    println!(
        "hanging handler, timeout 300 ms: dispatch returned after {:.1} ms, {:.1} ms past the timeout (goal <= 50 ms)",
        ms(a),
        ms(a) - 300.0
    );
}

/// Benchmark 6: what an observer costs a tool call, and what its events
/// cost when its spool is drained.
fn observer(work: &std::path::Path) {
    // A Python observer as the SDK runs one: per event (`hook`), it reads
    // the event; drained, it reads each record and acknowledges it.
    let script = work.join("observer.py");
    std::fs::write(
        &script,
        "#!/usr/bin/env python3\nimport json, sys\nif sys.argv[1:2] == ['drain']:\n    for n, line in enumerate(sys.stdin, 1):\n        json.loads(line)\n        print('{\"consumed\": %d}' % n, flush=True)\nelse:\n    json.load(sys.stdin)\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let home = setup(&[("obs".into(), "pre_tool_use = { async = true }", script.display().to_string())]);
    let (mut t_queue, mut t_true, mut t_python) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..RUNS {
        t_true.push(timed(&mut Command::new("/bin/true")));
        t_queue.push(timed(&mut paii(home.path(), &["hook", "dispatch", "pre-tool-use"])));
        t_python.push(timed(Command::new(&script).args(["hook", "pre-tool-use"])));
    }
    let (q, t, py) = (median(t_queue), median(t_true), median(t_python));
    println!(
        "a Python observer: the tool call's dispatch (the event queued) {:.2} ms vs /bin/true {:.2} ms = {:.2}x; \
         vs starting the observer per event (before spools) {:.2} ms = {:.2}x",
        ms(q),
        ms(t),
        q.as_secs_f64() / t.as_secs_f64(),
        ms(py),
        q.as_secs_f64() / py.as_secs_f64()
    );
    // Drain what those dispatches queued, 200 events at a time.
    let spool = home.path().join("home/spool/obs/queue.jsonl");
    let queued = std::fs::read_to_string(&spool).unwrap_or_default();
    let mut lines: Vec<&str> = queued.lines().collect();
    lines.truncate(200);
    let batch = lines.join("\n") + "\n";
    let mut t_drain = Vec::new();
    for _ in 0..7 {
        std::fs::write(&spool, &batch).unwrap();
        let start = Instant::now();
        let out = paii(home.path(), &["hook", "drain", "obs"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        t_drain.push(start.elapsed());
    }
    let per_event = median(t_drain) / lines.len().max(1) as u32;
    println!(
        "  its drain: {} events in one process, {:.3} ms per event vs a process per event {:.2} ms = {:.3}x",
        lines.len(),
        ms(per_event),
        ms(py),
        per_event.as_secs_f64() / py.as_secs_f64()
    );
}
