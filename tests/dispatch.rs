//! `paii hook dispatch` as Claude Code runs it: decisions, matchers, the
//! handlers' environment, timeouts and runaway processes, bad input of
//! every kind, the audit log; and `hook list`, `hook test`, `paii run`,
//! `paii config`, `paii history`.

mod common;

use std::fs;
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{Run, Sandbox};
use serde_json::{Value, json};

/// A plugin whose handler is the shell script `script`.
fn handler(sb: &Sandbox, name: &str, hooks: &str, script: &str, extra: &str) {
    let dir = sb.path(&format!("plugins/{name}"));
    fs::create_dir_all(&dir).unwrap();
    fs::write(
        dir.join("plugin.toml"),
        format!("[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\n\n[hooks]\n{hooks}\n\n[run]\ncommand = [\"h.sh\"]\n{extra}"),
    )
    .unwrap();
    fs::write(dir.join("h.sh"), format!("#!/bin/sh\n{script}\n")).unwrap();
    fs::set_permissions(dir.join("h.sh"), fs::Permissions::from_mode(0o755)).unwrap();
}

fn install(sb: &Sandbox, plugins: &[&str]) {
    let mut text = String::from("[plugins]\n");
    for p in plugins {
        text.push_str(&format!("{p} = {{ path = \"../plugins/{p}\" }}\n"));
    }
    sb.write("team/paii.toml", &text);
    sb.paii_in("team", &["sync"]).ok();
}

fn dispatch_env(sb: &Sandbox, event: &str, input: &[u8], env: &[(&str, &str)]) -> Run {
    let mut cmd = sb.command(&sb.path("team"), &["hook", "dispatch", event]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    common::run(out)
}

fn dispatch(sb: &Sandbox, event: &str, input: &[u8]) -> Run {
    dispatch_env(sb, event, input, &[])
}

fn bash(command: &str) -> Vec<u8> {
    json!({ "session_id": "s-1", "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": { "command": command } })
        .to_string()
        .into_bytes()
}

fn audit(sb: &Sandbox) -> Vec<Value> {
    fs::read_to_string(sb.home().join("logs/audit.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("audit line is not JSON ({e}): {l}")))
        .collect()
}

const GUARD: &str = r#"input=$(cat); case "$input" in *"rm -rf ~"*) echo "rm -rf ~ deletes your home" >&2; exit 2;; esac; exit 0"#;

#[test]
fn exit_2_blocks_and_every_reason_is_printed_with_its_plugin() {
    let sb = Sandbox::new();
    handler(&sb, "guard", "pre_tool_use = { matcher = \"Bash\" }", GUARD, "");
    handler(
        &sb,
        "strict",
        "pre_tool_use = { matcher = \"Bash|Write\" }",
        r#"grep -q 'rm -rf' && { echo "no rm -rf here" >&2; exit 2; }; exit 0"#,
        "",
    );
    install(&sb, &["guard", "strict"]);
    let out = dispatch(&sb, "pre-tool-use", &bash("rm -rf ~"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(out.stderr, "guard: rm -rf ~ deletes your home\nstrict: no rm -rf here\n");
    let out = dispatch(&sb, "pre-tool-use", &bash("ls"));
    assert_eq!((out.code, out.stdout.as_str(), out.stderr.as_str()), (0, "", ""));
    let log = audit(&sb);
    assert_eq!(log.len(), 2);
    assert_eq!(log[0]["decision"], "block");
    assert_eq!(log[0]["session"], "s-1");
    assert_eq!(log[0]["tool"], "Bash");
    assert_eq!(log[0]["handlers"].as_array().unwrap().len(), 2);
    assert_eq!(log[1]["decision"], "allow");
    assert!(log[1]["handlers"][0]["duration_ms"].is_u64());
}

#[test]
fn json_answers_are_merged_deny_over_ask_over_allow_with_contexts_in_plugin_order() {
    let sb = Sandbox::new();
    let say = |d: &str, ctx: &str| {
        format!(
            r#"cat >/dev/null; echo '{{"hookSpecificOutput": {{"hookEventName": "PreToolUse", "permissionDecision": "{d}", "permissionDecisionReason": "{d} says {ctx}", "additionalContext": "{ctx}"}}}}'"#
        )
    };
    handler(&sb, "a-allow", "pre_tool_use = true", &say("allow", "one"), "");
    handler(&sb, "b-deny", "pre_tool_use = true", &say("deny", "two"), "");
    handler(&sb, "c-ask", "pre_tool_use = true", &say("ask", "three"), "");
    install(&sb, &["a-allow", "b-deny", "c-ask"]);
    let out = dispatch(&sb, "pre-tool-use", &bash("ls")).ok();
    let v: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["hookSpecificOutput"]["permissionDecision"], "deny");
    assert_eq!(v["hookSpecificOutput"]["permissionDecisionReason"], "b-deny: deny says two");
    assert_eq!(v["hookSpecificOutput"]["additionalContext"], "one\ntwo\nthree");
    assert_eq!(audit(&sb)[0]["decision"], "deny");
}

#[test]
fn matchers_select_handlers_for_tool_events_only() {
    let sb = Sandbox::new();
    let mark = |n: &str| format!("cat >/dev/null; touch \"$PAII_HOME/ran-{n}\"");
    handler(&sb, "bash-only", "pre_tool_use = { matcher = \"Bash\" }\nstop = { matcher = \"Bash\" }", &mark("bash-only"), "");
    handler(&sb, "mcp-memory", "pre_tool_use = { matcher = \"mcp__memory__.*\" }", &mark("mcp-memory"), "");
    handler(&sb, "every", "pre_tool_use = { matcher = \"*\" }", &mark("every"), "");
    install(&sb, &["bash-only", "mcp-memory", "every"]);
    let ran = |n: &str| sb.home().join(format!("ran-{n}")).exists();
    let clear = || {
        for n in ["bash-only", "mcp-memory", "every"] {
            let _ = fs::remove_file(sb.home().join(format!("ran-{n}")));
        }
    };
    dispatch(&sb, "pre-tool-use", br#"{"tool_name": "mcp__memory__create_entities"}"#).ok();
    assert!(!ran("bash-only") && ran("mcp-memory") && ran("every"));
    clear();
    dispatch(&sb, "PreToolUse", br#"{"tool_name": "BashOutput"}"#).ok();
    assert!(!ran("bash-only") && !ran("mcp-memory") && ran("every"), "a plain matcher is an exact name");
    clear();
    dispatch(&sb, "stop", br#"{"session_id": "x"}"#).ok();
    assert!(ran("bash-only"), "non-tool events ignore the matcher");
}

#[test]
fn handlers_get_the_contracts_environment_and_only_their_own_secrets() {
    let sb = Sandbox::new();
    let dump = r#"cat > "$PAII_HOME/input-$PAII_PLUGIN_NAME.json"; env > "$PAII_HOME/env-$PAII_PLUGIN_NAME"; pwd > "$PAII_HOME/cwd-$PAII_PLUGIN_NAME"; echo "$@" > "$PAII_HOME/args-$PAII_PLUGIN_NAME""#;
    handler(
        &sb,
        "consumer",
        "session_start = true",
        dump,
        "\n[secrets]\nrequired = [\"A_KEY\"]\noptional = [\"C_KEY\"]\n\n[consumes]\nmemory = { contract = \"MemoryProvider\" }\n\n[config]\nlevel = { type = \"integer\", default = 1 }\nname = { type = \"string\", default = \"x\" }\n",
    );
    handler(&sb, "memory", "session_start = true", dump, "\n[provides]\nmemory = \"MemoryProvider\"\n");
    sb.write("paii-home/.env", "A_KEY=alpha-secret\nB_KEY=beta-secret\n");
    sb.write("team/paii.toml", "[plugins]\nconsumer = { path = \"../plugins/consumer\" }\nmemory = { path = \"../plugins/memory\" }\n\n[config.consumer]\nlevel = 3\n");
    sb.paii_in("team", &["sync"]).ok();
    let input = br#"{"session_id": "abc", "hook_event_name": "SessionStart", "source": "startup"}"#;
    let out =
        dispatch_env(&sb, "session-start", input, &[("ANTHROPIC_API_KEY", "sk-do-not-leak"), ("C_KEY", "from-the-shell"), ("LC_ALL", "C")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let env = |n: &str| -> std::collections::BTreeMap<String, String> {
        fs::read_to_string(sb.home().join(format!("env-{n}")))
            .unwrap()
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let c = env("consumer");
    let g = sb.home().join("generations/1/plugins/consumer");
    assert_eq!(c["PAII_PLUGIN_NAME"], "consumer");
    assert_eq!(c["PAII_PLUGIN_ROOT"], g.display().to_string());
    assert_eq!(c["CLAUDE_PLUGIN_ROOT"], g.display().to_string());
    assert_eq!(c["PAII_HOME"], sb.home().display().to_string());
    assert_eq!(c["PAII_EVENT"], "session-start");
    assert_eq!(c["PAII_HISTORY_DIR"], sb.home().join("history").display().to_string());
    assert_eq!(serde_json::from_str::<Value>(&c["PAII_CONFIG"]).unwrap(), json!({"level": 3, "name": "x"}));
    assert_eq!(c["PAII_CONTRACT_MEMORY"], "memory");
    assert_eq!(c["A_KEY"], "alpha-secret");
    assert_eq!(c["C_KEY"], "from-the-shell", "a declared key the user exported counts");
    assert_eq!(c["LC_ALL"], "C");
    assert!(!c.contains_key("B_KEY"), "an undeclared .env key is withheld");
    assert!(!c.contains_key("ANTHROPIC_API_KEY"), "the caller's secrets are withheld");
    let m = env("memory");
    assert!(!m.contains_key("A_KEY") && !m.contains_key("C_KEY"), "secrets go only to the plugin that declares them");
    assert_eq!(fs::read_to_string(sb.home().join("cwd-consumer")).unwrap().trim(), sb.path("team").display().to_string(), "cwd unchanged");
    assert_eq!(fs::read_to_string(sb.home().join("args-consumer")).unwrap().trim(), "hook session-start");
    assert_eq!(fs::read(sb.home().join("input-consumer.json")).unwrap(), input, "the event JSON on stdin, as given");
}

#[test]
fn a_handler_missing_a_required_secret_is_skipped_with_a_logged_reason() {
    let sb = Sandbox::new();
    handler(&sb, "needy", "stop = true", "echo ran > \"$PAII_HOME/needy-ran\"; exit 2", "\n[secrets]\nrequired = [\"TOKEN\"]\n");
    handler(&sb, "other", "stop = true", "cat >/dev/null; exit 0", "");
    install(&sb, &["needy", "other"]);
    let out = dispatch(&sb, "stop", b"{}");
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(!sb.home().join("needy-ran").exists());
    let line = &audit(&sb)[0];
    let needy = line["handlers"].as_array().unwrap().iter().find(|h| h["plugin"] == "needy").unwrap();
    assert_eq!(needy["decision"], "skipped");
    assert!(needy["error"].as_str().unwrap().contains("TOKEN"), "{line}");
    let doctor = sb.paii_in("team", &["doctor"]).fails();
    assert!(doctor.stdout.contains("`needy`: TOKEN (required) is not in"), "{}", doctor.stdout);
}

#[test]
fn a_hanging_handler_and_its_grandchild_are_killed_and_dispatch_returns_on_time() {
    let sb = Sandbox::new();
    handler(&sb, "hang", "pre_tool_use = { timeout_ms = 300 }", "sleep 60 & echo $! > \"$PAII_HOME/grandchild\"; sleep 60", "");
    handler(&sb, "quick", "pre_tool_use = true", "cat >/dev/null; echo '{\"systemMessage\": \"quick was here\"}'", "");
    install(&sb, &["hang", "quick"]);
    let started = Instant::now();
    let out = dispatch(&sb, "pre-tool-use", &bash("ls"));
    let took = started.elapsed();
    assert_eq!(out.code, 0, "a timeout allows: {}", out.stderr);
    assert!(out.stdout.contains("quick was here"), "the other handler's answer stands: {}", out.stdout);
    // The contract is timeout + 50 ms; a loaded CI machine gets slack here,
    // the benchmarks measure the real figure.
    assert!(took < Duration::from_millis(300 + 1500), "dispatch took {took:?}");
    let pid: i32 = fs::read_to_string(sb.home().join("grandchild")).unwrap().trim().parse().unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let alive = std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ");
    assert!(!alive, "the grandchild {pid} survived");
    let h = &audit(&sb)[0]["handlers"];
    let hang = h.as_array().unwrap().iter().find(|h| h["plugin"] == "hang").unwrap();
    assert_eq!(hang["decision"], "failed");
    assert!(hang["error"].as_str().unwrap().contains("timed out after 300 ms"), "{hang}");
}

#[test]
fn fail_closed_turns_a_plugins_own_failures_into_a_block() {
    let sb = Sandbox::new();
    handler(&sb, "crashy", "fail_closed = true\npre_tool_use = true", "cat >/dev/null; kill -SEGV $$", "");
    handler(&sb, "flaky", "pre_tool_use = true", "cat >/dev/null; exit 1", "");
    handler(&sb, "absent", "pre_tool_use = true", "exit 0", "");
    install(&sb, &["crashy", "flaky", "absent"]);
    // A handler whose binary is gone: a failure too.
    let entry = fs::read_link(sb.home().join("generations/1/plugins/absent")).unwrap();
    fs::set_permissions(&entry, fs::Permissions::from_mode(0o755)).unwrap();
    fs::remove_file(entry.join("h.sh")).unwrap();
    let out = dispatch(&sb, "pre-tool-use", &bash("ls"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.starts_with("crashy: failed (killed by signal 11)"), "{}", out.stderr);
    assert!(!out.stderr.contains("flaky") && !out.stderr.contains("absent"), "fail-open failures allow: {}", out.stderr);
    let line = &audit(&sb)[0];
    let by = |n: &str| line["handlers"].as_array().unwrap().iter().find(|h| h["plugin"] == n).unwrap().clone();
    assert_eq!(by("flaky")["decision"], "failed");
    assert!(by("absent")["error"].as_str().unwrap().contains("cannot run"), "{line}");
}

/// Input paii cannot read itself (invalid or truncated JSON, not an
/// object, too large) blocks the event for a fail-closed plugin with a
/// handler for it, before any handler runs; it allows otherwise, and on an
/// event no fail-closed plugin handles.
#[test]
fn fail_closed_blocks_an_event_whose_input_paii_cannot_read() {
    let sb = Sandbox::new();
    handler(&sb, "guard", "fail_closed = true\npre_tool_use = { matcher = \"Bash\" }", "cat >/dev/null; exit 0", "");
    handler(&sb, "open", "pre_tool_use = true\nstop = true", "cat >/dev/null; exit 0", "");
    install(&sb, &["guard", "open"]);
    for input in [&b"{\"tool_name\": \"Ba"[..], b"[1, 2]", b"\xff\xfe", b""] {
        let out = dispatch(&sb, "pre-tool-use", input);
        assert_eq!(out.code, 2, "{:?}: {}", String::from_utf8_lossy(input), out.stderr);
        assert!(out.stderr.starts_with("guard: the hook input could not be read"), "{}", out.stderr);
        assert!(!out.stderr.contains("open"), "{}", out.stderr);
    }
    let line = audit(&sb).pop().unwrap();
    assert_eq!(line["decision"], "block", "{line}");
    assert_eq!(line["handlers"][0]["plugin"], "guard", "{line}");
    assert_eq!(dispatch(&sb, "stop", b"{not json").code, 0, "no fail-closed plugin handles Stop");
    assert_eq!(dispatch(&sb, "pre-tool-use", &bash("ls")).code, 0);
}

#[test]
fn odd_handlers_give_the_right_exit_code_and_an_audit_line() {
    let sb = Sandbox::new();
    handler(&sb, "silent-block", "pre_tool_use = true", "cat >/dev/null; exit 2", "");
    install(&sb, &["silent-block"]);
    let out = dispatch(&sb, "pre-tool-use", &bash("ls"));
    assert_eq!((out.code, out.stderr.as_str()), (2, "silent-block: blocked (no reason given)\n"));

    let sb = Sandbox::new();
    handler(
        &sb,
        "flood",
        "pre_tool_use = true",
        "cat >/dev/null; head -c 5000000 /dev/zero | tr '\\0' x; echo; head -c 3000000 /dev/zero >&2",
        "",
    );
    handler(&sb, "garbage", "pre_tool_use = true", "cat >/dev/null; echo '{not json'", "");
    install(&sb, &["flood", "garbage"]);
    let out = dispatch(&sb, "pre-tool-use", &bash("ls"));
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);
    let line = &audit(&sb)[0];
    let errors: Vec<String> =
        line["handlers"].as_array().unwrap().iter().map(|h| h["error"].as_str().unwrap_or_default().to_string()).collect();
    assert!(errors.iter().any(|e| e.contains("dropped")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("not a JSON object")), "{errors:?}");
}

#[test]
fn bad_input_of_every_kind_allows_and_is_audited() {
    let sb = Sandbox::new();
    handler(&sb, "guard", "pre_tool_use = { matcher = \"Bash\" }", GUARD, "");
    install(&sb, &["guard"]);
    let mut big = bash("rm -rf ~");
    let padding = "x".repeat(10 << 20);
    let mut v: Value = serde_json::from_slice(&big).unwrap();
    v["tool_input"]["description"] = json!(padding);
    big = v.to_string().into_bytes();
    let cases: Vec<(&str, &str, Vec<u8>, i32)> = vec![
        ("empty stdin", "pre-tool-use", vec![], 0),
        ("invalid JSON", "pre-tool-use", b"{\"tool_name\": ".to_vec(), 0),
        ("invalid UTF-8", "pre-tool-use", vec![b'{', 0xff, 0xfe, b'}'], 0),
        ("not an object", "pre-tool-use", b"[1,2]".to_vec(), 0),
        ("unknown event", "pre-tool-usage", bash("rm -rf ~"), 0),
        ("a 10 MB payload still reaches the handler", "pre-tool-use", big, 2),
    ];
    for (what, event, input, code) in &cases {
        let out = dispatch(&sb, event, input);
        assert_eq!(out.code, *code, "{what}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{what}: {}", out.stderr);
    }
    let log = audit(&sb);
    assert_eq!(log.len(), cases.len(), "one audit line per call, garbage included");
    assert!(log[4]["error"].as_str().unwrap().contains("unknown event"));

    // A command line paii cannot parse is never clap's exit 2 (a block): no
    // event allows, an unknown flag still runs the event's handlers.
    let run = |args: &[&str]| {
        let mut cmd = sb.command(&sb.path("team"), args);
        let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        child.stdin.take().unwrap().write_all(&bash("rm -rf ~")).unwrap();
        common::run(child.wait_with_output().unwrap())
    };
    let out = run(&["hook", "dispatch"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(&["hook", "dispatch", "--from-a-newer-paii", "30", "pre-tool-use"]);
    assert_eq!(out.code, 2, "the guard still blocks: {}", out.stderr);
    assert!(out.stderr.contains("--from-a-newer-paii") && out.stderr.contains("rm -rf ~ deletes your home"), "{}", out.stderr);
    let log = audit(&sb);
    assert_eq!(log.len(), cases.len() + 2, "both audited");
    assert!(log[cases.len()]["error"].as_str().unwrap().contains("unknown event"), "{}", log[cases.len()]);

    // A garbage table, then no `current` at all.
    let current = fs::read_link(sb.home().join("current")).unwrap();
    let gen_dir = sb.home().join(&current);
    fs::set_permissions(&gen_dir, fs::Permissions::from_mode(0o755)).unwrap();
    fs::set_permissions(gen_dir.join("dispatch.json"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::write(gen_dir.join("dispatch.json"), "\u{0}garbage").unwrap();
    let out = dispatch(&sb, "pre-tool-use", &bash("rm -rf ~"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    fs::remove_file(sb.home().join("current")).unwrap();
    let out = dispatch(&sb, "pre-tool-use", &bash("rm -rf ~"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let log = audit(&sb);
    assert!(log[log.len() - 2]["error"].as_str().unwrap().contains("not a dispatch table"), "{}", log[log.len() - 2]);
    assert!(log[log.len() - 1]["error"].as_str().unwrap().contains("no usable current generation"));
}

#[test]
fn concurrent_dispatches_write_whole_audit_lines_and_a_full_disk_blocks_nothing() {
    let sb = Sandbox::new();
    handler(&sb, "guard", "pre_tool_use = { matcher = \"Bash\" }", GUARD, "");
    install(&sb, &["guard"]);
    let children: Vec<_> = (0..16)
        .map(|i| {
            let mut c = sb
                .command(&sb.path("team"), &["hook", "dispatch", "pre-tool-use"])
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            c.stdin.take().unwrap().write_all(&bash(if i % 2 == 0 { "rm -rf ~" } else { "ls" })).unwrap();
            c
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(if i % 2 == 0 { 2 } else { 0 }));
    }
    let log = audit(&sb);
    assert_eq!(log.len(), 16);
    assert_eq!(log.iter().filter(|l| l["decision"] == "block").count(), 8);

    // A full disk: the log is /dev/full, where every write fails with ENOSPC.
    let log = sb.home().join("logs/audit.jsonl");
    let kept = fs::read(&log).unwrap();
    fs::remove_file(&log).unwrap();
    std::os::unix::fs::symlink("/dev/full", &log).unwrap();
    let out = dispatch(&sb, "pre-tool-use", &bash("rm -rf ~"));
    assert_eq!(out.code, 2, "the decision stands when the log cannot be written");
    fs::remove_file(&log).unwrap();
    fs::write(&log, kept).unwrap();
    assert_eq!(audit(&sb).len(), 16);
}

/// What `cargo install` builds reads no failpoint variable, and the
/// dispatcher reads none in any build: a garbage value, or one naming the
/// audit write, changes nothing about a block or its audit line.
#[test]
fn failpoints_in_the_users_environment_change_nothing() {
    let sb = Sandbox::new();
    handler(&sb, "guard", "pre_tool_use = { matcher = \"Bash\" }", GUARD, "");
    install(&sb, &["guard"]);
    for value in ["garbage", "=;=", "audit-write=return", "audit-write=panic", "\u{1}x=y(z"] {
        let before = audit(&sb).len();
        let out = dispatch_env(&sb, "pre-tool-use", &bash("rm -rf ~"), &[("FAILPOINTS", value)]);
        assert_eq!(out.code, 2, "FAILPOINTS={value:?}: {}", out.stderr);
        assert!(out.stderr.contains("guard: rm -rf ~ deletes your home"), "{}", out.stderr);
        let log = audit(&sb);
        assert_eq!(log.len(), before + 1, "FAILPOINTS={value:?}: one audit line");
        assert_eq!(log.last().unwrap()["decision"], "block");
    }
    // Without the test-only feature, no other command reads it either: a
    // crash point named in it does not crash a sync.
    #[cfg(not(feature = "failpoints"))]
    for value in ["garbage", "sync-before-switch=return(abort)"] {
        let out = common::run(sb.command(&sb.path("team"), &["sync"]).env("FAILPOINTS", value).output().unwrap());
        assert_eq!(out.code, 0, "FAILPOINTS={value:?}: {}", out.stderr);
        assert!(!out.stderr.contains("FAILPOINTS"), "{}", out.stderr);
    }
}

#[test]
fn the_audit_log_rotates_at_its_cap() {
    let sb = Sandbox::new();
    handler(&sb, "guard", "pre_tool_use = true", GUARD, "");
    install(&sb, &["guard"]);
    let line = format!("{}\n", json!({"filler": "x".repeat(1000)}));
    sb.write("paii-home/logs/audit.jsonl", &line.repeat(11 * 1024));
    dispatch(&sb, "pre-tool-use", &bash("ls")).ok();
    assert!(sb.home().join("logs/audit.jsonl.1").is_file());
    assert!(!sb.home().join("logs/audit.jsonl").exists() || fs::metadata(sb.home().join("logs/audit.jsonl")).unwrap().len() < 1000);
    dispatch(&sb, "pre-tool-use", &bash("ls")).ok();
    assert_eq!(audit(&sb).len(), 1);
}

#[test]
fn hook_list_and_hook_test_show_the_table_and_a_dry_run_without_auditing() {
    let sb = Sandbox::new();
    handler(&sb, "guard", "pre_tool_use = { matcher = \"Bash\", timeout_ms = 1500 }\nstop = true", GUARD, "");
    install(&sb, &["guard"]);
    let out = sb.paii_in("team", &["hook", "list", "-o", "json"]).ok();
    let v = out.json();
    assert_eq!(v["generation"], 1);
    assert_eq!(v["handlers"][0]["event"], "pre-tool-use");
    assert_eq!(v["handlers"][0]["matcher"], "Bash");
    assert_eq!(v["handlers"][0]["timeout_ms"], 1500);
    assert_eq!(v["handlers"][1]["event"], "stop");
    let text = sb.paii_in("team", &["hook", "list"]).ok();
    assert!(text.stdout.contains("pre-tool-use") && text.stdout.contains("guard"), "{}", text.stdout);

    sb.write("input.json", &String::from_utf8(bash("rm -rf ~")).unwrap());
    let input = sb.path("input.json");
    let out = sb.paii_in("team", &["hook", "test", "pre-tool-use", "--input", input.to_str().unwrap()]).ok();
    assert!(out.stdout.contains("guard: block (exit 2"), "{}", out.stdout);
    assert!(out.stdout.contains("decision: block (paii would exit 2)"), "{}", out.stdout);
    assert!(out.stdout.contains("rm -rf ~ deletes your home"), "{}", out.stdout);
    let out = sb.paii_in("team", &["hook", "test", "pre-tool-use", "--input", input.to_str().unwrap(), "-o", "json"]).ok();
    assert_eq!(out.json()["code"], 2);
    assert!(!sb.home().join("logs/audit.jsonl").exists(), "hook test writes no audit line");
    let out = sb.paii_in("team", &["hook", "test", "pre-tool-uze"]).fails();
    assert!(out.stderr.contains("did you mean `pre-tool-use`"), "{}", out.stderr);
}

#[test]
fn paii_run_passes_actions_arguments_and_exit_codes_through() {
    let sb = Sandbox::new();
    handler(
        &sb,
        "tool",
        "stop = true",
        r#"[ "$1" = action ] || exit 9; echo "$2 $3 $4 key=$A_KEY config=$PAII_CONFIG root=$PAII_PLUGIN_ROOT"; [ "$2" = fail ] && exit 7; exit 0"#,
        "actions = [\"greet\", \"fail\"]\n\n[secrets]\noptional = [\"A_KEY\"]\n",
    );
    sb.write("paii-home/.env", "A_KEY=k\n");
    install(&sb, &["tool"]);
    let out = sb.paii_in("team", &["run", "tool", "--action", "greet", "--", "a", "b"]).ok();
    assert!(out.stdout.starts_with("greet a b key=k config={}"), "{}", out.stdout);
    assert!(out.stdout.contains("generations/1/plugins/tool"), "{}", out.stdout);
    let out = sb.paii_in("team", &["run", "tool", "--action", "fail"]);
    assert_eq!(out.code, 7, "the action's exit code is passed through");
    let out = sb.paii_in("team", &["run", "tool", "--action", "gret"]).fails();
    assert!(out.stderr.contains("has no action `gret`") && out.stderr.contains("did you mean `greet`"), "{}", out.stderr);
    let out = sb.paii_in("team", &["run", "tol", "--action", "greet"]).fails();
    assert!(out.stderr.contains("did you mean `tool`"), "{}", out.stderr);
}

#[test]
fn config_layers_are_reported_type_checked_and_applied_to_the_handlers() {
    let sb = Sandbox::new();
    handler(
        &sb,
        "incident",
        "stop = true",
        "cat >/dev/null; echo \"$PAII_CONFIG\" > \"$PAII_HOME/config-seen\"",
        "\n[config]\nthreshold = { type = \"integer\", default = 30 }\nchannel = { type = \"string\", default = \"#ops\" }\n",
    );
    sb.write("team/paii.toml", "[plugins]\nincident = { path = \"../plugins/incident\" }\n\n[config.incident]\nthreshold = 15\n");
    sb.paii_in("team", &["sync"]).ok();
    let out = sb.paii_in("team", &["config", "list", "-o", "json"]).ok();
    let rows = out.json();
    assert_eq!(rows[0]["key"], "threshold");
    assert_eq!(rows[0]["value"], 15);
    assert_eq!(rows[0]["origin"]["kind"], "manifest");
    assert_eq!(rows[1]["value"], "#ops");
    assert_eq!(rows[1]["origin"]["kind"], "default");

    let out = sb.paii_in("team", &["config", "set", "incident.threshold", "five"]).fails();
    assert!(out.stderr.contains("must be an integer"), "{}", out.stderr);
    let out = sb.paii_in("team", &["config", "set", "incident.treshold", "5"]).fails();
    assert!(out.stderr.contains("did you mean `threshold`"), "{}", out.stderr);
    sb.paii_in("team", &["config", "set", "incident.threshold", "5"]).ok();
    let out = sb.paii_in("team", &["config", "get", "incident.threshold", "-o", "json"]).ok();
    assert_eq!(out.json()[0]["value"], 5);
    assert_eq!(out.json()[0]["origin"]["kind"], "user");
    assert!(sb.read("paii-home/config/incident.toml").contains("threshold = 5"));
    dispatch(&sb, "stop", b"{}").ok();
    assert_eq!(serde_json::from_str::<Value>(&sb.read("paii-home/config-seen")).unwrap(), json!({"threshold": 5, "channel": "#ops"}));

    // A bad value written by hand is an error at its line.
    sb.write("paii-home/config/incident.toml", "# mine\nthreshold = \"soon\"\n");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("incident.toml:2:") && out.stderr.contains("must be an integer"), "{}", out.stderr);
}

#[test]
fn a_config_value_outside_its_declared_range_or_choices_is_refused_everywhere() {
    let sb = Sandbox::new();
    let config = "\n[config]\nescalation_threshold_minutes = { type = \"integer\", default = 30, min = 1, max = 1440, description = \"Minutes before escalation\" }\nseverity = { type = \"string\", default = \"SEV-3\", choices = [\"SEV-1\", \"SEV-2\", \"SEV-3\", \"SEV-4\"] }\n";
    handler(&sb, "incident", "stop = true", "cat >/dev/null", config);
    install(&sb, &["incident"]);

    let out = sb.paii_in("team", &["config", "set", "incident.escalation_threshold_minutes", "-5"]).fails();
    assert!(out.stderr.contains("must be from 1 to 1440, found -5") && out.stderr.contains("nothing was written"), "{}", out.stderr);
    assert!(out.stderr.contains("Minutes before escalation"), "the description is the hint: {}", out.stderr);
    assert!(!sb.home().join("config/incident.toml").exists());
    let out = sb.paii_in("team", &["config", "set", "incident.severity", "SEV-9"]).fails();
    assert!(out.stderr.contains(r#"must be one of "SEV-1", "SEV-2", "SEV-3", "SEV-4", found "SEV-9""#), "{}", out.stderr);
    sb.paii_in("team", &["config", "set", "incident.escalation_threshold_minutes", "45"]).ok();

    // In paii.toml: an error at the value's line.
    sb.write(
        "team/paii.toml",
        "[plugins]\nincident = { path = \"../plugins/incident\" }\n\n[config.incident]\nescalation_threshold_minutes = 0\n",
    );
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("paii.toml:5:") && out.stderr.contains("must be from 1 to 1440, found 0"), "{}", out.stderr);

    // A plugin whose own default breaks its range does not load.
    handler(&sb, "broken", "stop = true", "cat >/dev/null", "\n[config]\nn = { type = \"integer\", default = 0, min = 1 }\n");
    sb.write("team/paii.toml", "[plugins]\nbroken = { path = \"../plugins/broken\" }\n");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("`config.n`: the default must be at least 1, found 0"), "{}", out.stderr);
}

#[test]
fn missing_secrets_and_a_readable_env_file_are_said_at_sync_and_by_doctor_and_mcp_headers_fails() {
    let sb = Sandbox::new();
    // An integration without hooks: an action and an MCP server.
    handler(
        &sb,
        "tracker",
        "",
        "exit 0",
        "actions = [\"create\"]\n\n[secrets]\nrequired = [\"TRACKER_TOKEN\"]\noptional = [\"TRACKER_ORG\"]\n",
    );
    sb.write(
        "plugins/tracker/.mcp.json",
        r#"{"mcpServers": {"tracker": {"type": "http", "url": "https://mcp.example.com/", "headers": {"Authorization": "Bearer ${TRACKER_TOKEN}"}}}}"#,
    );
    handler(&sb, "guard", "pre_tool_use = { matcher = \"Bash\" }", GUARD, "\n[secrets]\nrequired = [\"GUARD_KEY\"]\n");
    sb.write("paii-home/.env", "UNRELATED=1\n");
    fs::set_permissions(sb.home().join(".env"), fs::Permissions::from_mode(0o644)).unwrap();
    sb.write("team/paii.toml", "[plugins]\ntracker = { path = \"../plugins/tracker\" }\nguard = { path = \"../plugins/guard\" }\n");
    let out = sb.paii_in("team", &["sync"]).ok();
    let env_file = sb.home().join(".env").display().to_string();
    assert!(
        out.stderr.contains(&format!("`tracker`: TRACKER_TOKEN (required), TRACKER_ORG are not in {env_file}; its actions cannot run until it is there; MCP server `tracker` cannot authenticate without them")),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains(&format!("`guard`: GUARD_KEY (required) is not in {env_file}; its hooks are skipped")), "{}", out.stderr);
    assert!(out.stderr.contains("others can read it (mode 644); run `chmod 600"), "{}", out.stderr);

    let out = sb.paii_in("team", &["mcp", "headers", "tracker"]).fails();
    assert_eq!(out.stdout, "", "no empty credential is printed");
    assert!(out.stderr.contains("sends TRACKER_TOKEN in its headers") && out.stderr.contains(".env"), "{}", out.stderr);

    let out = sb.paii_in("team", &["doctor"]).fails();
    let tracker = out.stdout.lines().find(|l| l.contains("`tracker`")).unwrap_or_default();
    assert!(tracker.contains("its actions cannot run") && !tracker.contains("hooks"), "a plugin without hooks: {}", out.stdout);
    assert!(
        out.stdout.contains("`guard`: GUARD_KEY (required) is not in") && out.stdout.contains("its hooks are skipped"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("others can read it") && out.stdout.contains("`paii doctor --fix` repairs it"), "{}", out.stdout);
    let out = sb.paii_in("team", &["doctor", "--fix"]).fails();
    assert!(out.stdout.contains("fixed: made") && out.stdout.contains("readable by its owner only"), "{}", out.stdout);
    assert_eq!(fs::metadata(sb.home().join(".env")).unwrap().permissions().mode() & 0o777, 0o600);

    sb.write("paii-home/.env", "TRACKER_TOKEN=tok-123456\nGUARD_KEY=g\nTRACKER_ORG=o\n");
    fs::set_permissions(sb.home().join(".env"), fs::Permissions::from_mode(0o600)).unwrap();
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(!out.stderr.contains("warning"), "{}", out.stderr);
    let headers: Value = serde_json::from_str(&sb.paii_in("team", &["mcp", "headers", "tracker"]).ok().stdout).unwrap();
    assert_eq!(headers, json!({"Authorization": "Bearer tok-123456"}));
}

#[test]
fn history_goes_through_the_memory_provider_or_says_how_to_get_one() {
    let sb = Sandbox::new();
    handler(&sb, "notes", "stop = true", "exit 0", "");
    install(&sb, &["notes"]);
    let out = sb.paii_in("team", &["history", "recent"]).fails();
    assert!(out.stderr.contains("MemoryProvider") && out.stderr.contains("paii plugin install"), "{}", out.stderr);
    handler(
        &sb,
        "history",
        "stop = true",
        r#"[ "$1" = action ] && shift && echo "history $*" && exit 0; exit 1"#,
        "actions = [\"query\", \"recent\", \"categories\"]\n\n[provides]\nmemory = \"MemoryProvider\"\n",
    );
    install(&sb, &["notes", "history"]);
    let out = sb.paii_in("team", &["history", "query", "deploy failed"]).ok();
    assert_eq!(out.stdout, "history query deploy failed\n");
    let out = sb.paii_in("team", &["history", "categories"]).ok();
    assert_eq!(out.stdout, "history categories\n");
    // The provider's flags anywhere, and paii's `-o json` among them.
    let out = sb.paii_in("team", &["history", "recent", "--category", "learnings", "3", "-o", "json"]).ok();
    assert_eq!(out.stdout, "history recent --category learnings 3 --json\n");
    let out = sb.paii_in("team", &["-o", "json", "history", "--category", "decisions", "redis"]).ok();
    assert_eq!(out.stdout, "history query --category decisions redis --json\n");

    // Each call is in the audit log, like a hook event.
    let line = audit(&sb).into_iter().rfind(|l| l["event"] == "run").unwrap();
    assert_eq!((line["via"].as_str(), line["args"].as_u64()), (Some("paii history"), Some(4)), "{line:#}");
    assert_eq!(line["handlers"][0]["plugin"], "history");
    assert_eq!(line["handlers"][0]["action"], "query");
    assert_eq!(line["handlers"][0]["exit"], 0);
    sb.paii_in("team", &["run", "history", "--action", "categories"]).ok();
    let line = audit(&sb).pop().unwrap();
    assert_eq!((line["event"].as_str(), line["via"].as_str()), (Some("run"), Some("paii run")), "{line:#}");
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn any_bytes_and_any_event_name_exit_0_or_2_and_never_panic(
            input in proptest::collection::vec(any::<u8>(), 0..512),
            event in prop_oneof![Just("pre-tool-use".to_string()), Just("Stop".to_string()), "[a-zA-Z_-]{0,24}", any::<String>()],
        ) {
            let sb = shared();
            let event = if event.is_empty() || event.contains('\0') { "x".to_string() } else { event };
            let out = dispatch(sb, &event, &input);
            prop_assert!(out.code == 0 || out.code == 2, "exit {}: {}", out.code, out.stderr);
            prop_assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
        }
    }

    fn shared() -> &'static Sandbox {
        static SB: std::sync::OnceLock<Sandbox> = std::sync::OnceLock::new();
        SB.get_or_init(|| {
            let sb = Sandbox::new();
            handler(&sb, "guard", "pre_tool_use = true\nstop = true", GUARD, "");
            install(&sb, &["guard"]);
            sb
        })
    }
}

#[test]
fn fail_closed_also_blocks_when_its_secret_is_missing_or_its_output_is_garbage() {
    let sb = Sandbox::new();
    handler(
        &sb,
        "keyless",
        "fail_closed = true\npre_tool_use = true",
        "cat >/dev/null; exit 0",
        "\n[secrets]\nrequired = [\"GUARD_KEY\"]\n",
    );
    handler(&sb, "garbled", "fail_closed = true\npre_tool_use = true", "cat >/dev/null; echo 'not json'", "");
    install(&sb, &["keyless", "garbled"]);
    let out = dispatch(&sb, "pre-tool-use", &bash("ls"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("keyless: not run (required secret GUARD_KEY"), "{}", out.stderr);
    assert!(out.stderr.contains("garbled: failed (stdout is not a JSON object"), "{}", out.stderr);
}

#[test]
fn commands_matchers_and_config_are_checked_when_the_generation_is_made() {
    // A relative command that names no file of the plugin would be looked
    // up in Claude Code's working directory: refused.
    let sb = Sandbox::new();
    handler(&sb, "typo", "stop = true", "exit 0", "");
    let toml = sb.read("plugins/typo/plugin.toml").replace("command = [\"h.sh\"]", "command = [\"bin/guard\"]");
    sb.write("plugins/typo/plugin.toml", &toml);
    sb.write("team/paii.toml", "[plugins]\ntypo = { path = \"../plugins/typo\" }\n");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("`bin/guard`, which is in neither its build output nor the plugin"), "{}", out.stderr);

    // A matcher that is not a pattern would silence every plugin's handlers
    // of the event in Claude Code: refused at its place.
    let sb = Sandbox::new();
    handler(&sb, "bad", "pre_tool_use = { matcher = \"Write(*.md)\" }", "exit 0", "");
    sb.write("team/paii.toml", "[plugins]\nbad = { path = \"../plugins/bad\" }\n");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("plugin.toml:6:") && out.stderr.contains("not a valid pattern"), "{}", out.stderr);

    // Floats stay floats; `config set` applies to the paii.toml the current
    // generation came from, wherever it is run.
    let sb = Sandbox::new();
    handler(
        &sb,
        "tuned",
        "stop = true",
        "cat >/dev/null; echo \"$PAII_CONFIG\" > \"$PAII_HOME/seen\"",
        "\n[config]\nratio = { type = \"float\", default = 1 }\n",
    );
    install(&sb, &["tuned"]);
    dispatch(&sb, "stop", b"{}").ok();
    assert_eq!(serde_json::from_str::<Value>(&sb.read("paii-home/seen")).unwrap(), json!({"ratio": 1.0}));
    sb.paii_in("elsewhere", &["config", "set", "tuned.ratio", "2"]).ok();
    assert!(sb.home().join("generations/2").exists(), "applied by a sync of team/paii.toml");
    let table = sb.read("paii-home/current/dispatch.json");
    assert!(table.contains("\\\"ratio\\\":2.0"), "{table}");
    assert!(!sb.path("elsewhere/paii.lock").exists() && !sb.home().join("paii.lock").exists());
}

/// The crates whose functions a binary holds: the first path segment of
/// each legacy-mangled symbol (`_ZN4toml2de...` -> `toml`).
fn linked_crates(binary: &std::path::Path) -> std::collections::BTreeSet<String> {
    let bytes = fs::read(binary).unwrap();
    let mut crates = std::collections::BTreeSet::new();
    let mut i = 0;
    while i + 3 < bytes.len() {
        if &bytes[i..i + 3] != b"_ZN" {
            i += 1;
            continue;
        }
        let digits = bytes[i + 3..].iter().take_while(|b| b.is_ascii_digit()).count();
        let len: usize = std::str::from_utf8(&bytes[i + 3..i + 3 + digits]).ok().and_then(|d| d.parse().ok()).unwrap_or(0);
        let start = i + 3 + digits;
        if len > 0 && start + len <= bytes.len() {
            crates.insert(String::from_utf8_lossy(&bytes[start..start + len]).into_owned());
        }
        i = start.max(i + 1);
    }
    crates
}

/// The hot path's boundary is a fact of the build: the `paii` launcher
/// links the dispatcher crate and none of the CLI's TOML, HTTP, git, clap
/// or miette (their functions would be in its symbol table).
#[test]
fn the_launcher_links_only_the_dispatcher() {
    let launcher = linked_crates(std::path::Path::new(env!("CARGO_BIN_EXE_paii")));
    let cli = linked_crates(std::path::Path::new(env!("CARGO_BIN_EXE_paii-cli")));
    assert!(launcher.contains("paii_dispatch"), "the launcher is the dispatcher: {launcher:?}");
    for krate in ["paii", "toml", "toml_edit", "reqwest", "gix", "clap_builder", "miette", "rustls", "pubgrub", "tar", "indicatif"] {
        assert!(cli.contains(krate), "{krate}: the check would see it (paii-cli links it)");
        assert!(!launcher.contains(krate), "the launcher links {krate}: {launcher:?}");
    }
}

/// Only the launcher is position-dependent (it starts on every hook
/// event); `paii-cli`, which talks to the network and unpacks archives,
/// keeps full address randomisation.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn only_the_launcher_gives_up_address_randomisation() {
    // e_type, two bytes at offset 16 of an ELF header: 2 = EXEC, 3 = DYN (PIE).
    let e_type = |path: &str| {
        let bytes = fs::read(path).unwrap();
        u16::from_le_bytes([bytes[16], bytes[17]])
    };
    assert_eq!(e_type(env!("CARGO_BIN_EXE_paii")), 2, "the launcher is position-dependent");
    assert_eq!(e_type(env!("CARGO_BIN_EXE_paii-cli")), 3, "paii-cli is a PIE");
}

/// An observer's spool (user scope: in PAII_HOME).
fn spool(sb: &Sandbox, plugin: &str) -> std::path::PathBuf {
    sb.home().join("spool").join(plugin)
}

/// The records left in a spool: the queue and the claimed batches.
fn spooled(sb: &Sandbox, plugin: &str) -> Vec<Value> {
    let mut files: Vec<_> = fs::read_dir(spool(sb, plugin)).map(|d| d.flatten().map(|e| e.path()).collect()).unwrap_or_default();
    files.retain(|p: &std::path::PathBuf| p.extension().is_some_and(|e| e == "jsonl") && !p.ends_with("failed.jsonl"));
    files.sort();
    files
        .iter()
        .flat_map(|f| fs::read_to_string(f).unwrap().lines().filter_map(|l| serde_json::from_str(l).ok()).collect::<Vec<_>>())
        .collect()
}

/// A plugin that speaks `drain`: each record appended to drained.jsonl and
/// acknowledged; a record holding `poison` hangs it.
const DRAINER: &str = r#"case "$1" in
drain) n=0; while IFS= read -r line; do
    case "$line" in *poison*) sleep 60 & echo $! > "$PAII_HOME/grandchild"; sleep 60;; esac
    n=$((n+1)); printf '%s\n' "$line" >> "$PAII_HOME/drained.jsonl"; echo "{\"consumed\": $n}"
  done;;
hook) echo "hook $2" >> "$PAII_HOME/hooked";;
esac"#;

fn drained(sb: &Sandbox) -> Vec<Value> {
    fs::read_to_string(sb.home().join("drained.jsonl")).unwrap_or_default().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

#[test]
fn an_observer_costs_no_process_its_events_are_queued_and_drained_at_stop() {
    let sb = Sandbox::new();
    handler(&sb, "observer", "pre_tool_use = { async = true }\nstop = { async = true }", DRAINER, "");
    handler(&sb, "guard", "pre_tool_use = { matcher = \"Bash\" }", GUARD, "");
    install(&sb, &["observer", "guard"]);

    let out = dispatch(&sb, "pre-tool-use", &bash("ls"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let line = audit(&sb).pop().unwrap();
    let observer = line["handlers"].as_array().unwrap().iter().find(|h| h["plugin"] == "observer").unwrap();
    assert_eq!(observer["decision"], "queued", "{line:#}");
    // A blocking handler still blocks beside it, and the observer's event
    // is queued all the same.
    let out = dispatch(&sb, "pre-tool-use", &bash("rm -rf ~"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    std::thread::sleep(Duration::from_millis(300));
    assert!(!sb.home().join("hooked").exists() && !sb.home().join("drained.jsonl").exists(), "no process ran for the observer");
    let queued = spooled(&sb, "observer");
    assert_eq!(queued.len(), 2, "{queued:#?}");
    assert_eq!(queued[0]["event"], "pre-tool-use");
    assert_eq!(queued[0]["input"]["tool_input"]["command"], "ls");
    assert!(queued[0]["queued_at"].as_u64().is_some());
    let mode = fs::metadata(spool(&sb, "observer").join("queue.jsonl")).unwrap().permissions().mode();
    assert_eq!(mode & 0o077, 0, "the spool holds what Claude Code saw: private");

    // Stop drains it, detached, in order: the two queued events and Stop.
    let out = dispatch(&sb, "stop", br#"{"session_id": "s", "hook_event_name": "Stop"}"#);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let deadline = Instant::now() + Duration::from_secs(10);
    while drained(&sb).len() < 3 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let events: Vec<Value> = drained(&sb).iter().map(|r| r["event"].clone()).collect();
    assert_eq!(events, vec![json!("pre-tool-use"), json!("pre-tool-use"), json!("stop")]);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !audit(&sb).iter().any(|l| l["event"] == "drain") && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let drain = audit(&sb).into_iter().find(|l| l["event"] == "drain").unwrap();
    assert_eq!((drain["drain"]["consumed"].as_u64(), drain["drain"]["left"].as_u64()), (Some(3), Some(0)), "{drain:#}");
    assert!(spooled(&sb, "observer").is_empty());
    assert!(!sb.home().join("hooked").exists(), "it drains; it is not run per event");

    // Claude Code's timeout is not lengthened by an observer's.
    let settings: Value = serde_json::from_str(&sb.read("claude/settings.json")).unwrap();
    assert_eq!(settings["hooks"]["PreToolUse"][0]["hooks"][0]["timeout"], 15, "{settings:#}");
    // `hook test` is a dry run: it queues nothing.
    let run = sb.paii_in("team", &["hook", "test", "pre-tool-use", "--plugin", "observer", "-o", "json"]).ok();
    assert_eq!(run.json()["handlers"][0]["decision"], "would be queued");
    assert!(spooled(&sb, "observer").is_empty());
}

#[test]
fn a_drain_past_its_timeout_is_killed_with_its_group_and_keeps_what_it_did_not_consume() {
    let sb = Sandbox::new();
    handler(&sb, "observer", "pre_tool_use = { async = true, timeout_ms = 500 }", DRAINER, "");
    install(&sb, &["observer"]);
    for command in ["one", "poison", "two"] {
        assert_eq!(dispatch(&sb, "pre-tool-use", &bash(command)).code, 0);
    }

    let started = Instant::now();
    let run = sb.paii_in("team", &["hook", "drain", "observer", "-o", "json"]).fails();
    assert!(started.elapsed() < Duration::from_secs(5), "the drain was ended at its timeout: {:?}", started.elapsed());
    let report = run.json();
    assert_eq!((report["consumed"].as_u64(), report["left"].as_u64()), (Some(1), Some(2)), "{report:#}");
    assert!(report["error"].as_str().unwrap().contains("timed out after 500 ms"), "{report:#}");
    let pid = fs::read_to_string(sb.home().join("grandchild")).unwrap().trim().to_string();
    std::thread::sleep(Duration::from_millis(100));
    // A zombie waiting for its reaper is dead.
    let alive = std::path::Path::new(&format!("/proc/{pid}")).exists()
        && !fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default().contains(") Z ");
    assert!(!alive, "its process group was killed");
    let left: Vec<Value> = spooled(&sb, "observer").iter().map(|r| r["input"]["tool_input"]["command"].clone()).collect();
    assert_eq!(left, vec![json!("poison"), json!("two")], "nothing lost, nothing twice");

    // The poisonous record is retried, then set aside with why, and the
    // rest goes on.
    for _ in 0..2 {
        sb.paii_in("team", &["hook", "drain", "observer"]).fails();
    }
    sb.paii_in("team", &["hook", "drain", "observer"]).ok();
    let commands: Vec<Value> = drained(&sb).iter().map(|r| r["input"]["tool_input"]["command"].clone()).collect();
    assert_eq!(commands, vec![json!("one"), json!("two")]);
    let failed = fs::read_to_string(spool(&sb, "observer").join("failed.jsonl")).unwrap();
    assert!(failed.contains("poison") && failed.contains("3 drains in a row failed"), "{failed}");
    assert!(spooled(&sb, "observer").is_empty());
}

#[test]
fn a_torn_spool_line_is_skipped_and_the_next_event_kept() {
    let sb = Sandbox::new();
    handler(&sb, "observer", "pre_tool_use = { async = true }", DRAINER, "");
    install(&sb, &["observer"]);
    assert_eq!(dispatch(&sb, "pre-tool-use", &bash("first")).code, 0);
    // A dispatcher killed in the middle of its write.
    let queue = spool(&sb, "observer").join("queue.jsonl");
    fs::OpenOptions::new().append(true).open(&queue).unwrap().write_all(br#"{"event":"pre-tool-use","queued_at":1,"inp"#).unwrap();
    assert_eq!(dispatch(&sb, "pre-tool-use", &bash("after")).code, 0);

    let report = sb.paii_in("team", &["hook", "drain", "observer", "-o", "json"]).ok().json();
    assert_eq!((report["consumed"].as_u64(), report["torn"].as_u64()), (Some(2), Some(1)), "{report:#}");
    let commands: Vec<Value> = drained(&sb).iter().map(|r| r["input"]["tool_input"]["command"].clone()).collect();
    assert_eq!(commands, vec![json!("first"), json!("after")]);
}

#[test]
fn a_plugin_without_drain_gets_its_queued_events_one_hook_call_each() {
    let sb = Sandbox::new();
    let legacy = r#"case "$1" in hook) cat >> "$PAII_HOME/hooked.jsonl"; echo >> "$PAII_HOME/hooked.jsonl";; *) echo "old: bad usage: $*" >&2; exit 64;; esac"#;
    handler(&sb, "observer", "pre_tool_use = { async = true }", legacy, "");
    install(&sb, &["observer"]);
    for command in ["a", "b"] {
        assert_eq!(dispatch(&sb, "pre-tool-use", &bash(command)).code, 0);
    }
    sb.paii_in("team", &["hook", "drain", "observer"]).ok();
    let seen: Vec<Value> = fs::read_to_string(sb.home().join("hooked.jsonl"))
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap()["tool_input"]["command"].clone())
        .collect();
    assert_eq!(seen, vec![json!("a"), json!("b")]);
}
