//! Bad input of every kind gets a verdict (at least ask), quickly, and
//! never a crash or an accidental allow: the handler process end to end.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The handler's exit code, stdout, and how long it took, on `input`.
fn hook(input: &[u8]) -> (i32, String, Duration) {
    let start = Instant::now();
    let mut child = Command::new(env!("CARGO_BIN_EXE_security"))
        .args(["hook", "pre-tool-use"])
        .env("HOME", "/home/dev")
        .env_remove("PAII_CONFIG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(input).unwrap();
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    (out.status.code().unwrap_or(-1), String::from_utf8_lossy(&out.stdout).into_owned(), start.elapsed())
}

fn bash(command: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": command}}))
        .unwrap()
}

/// Asked about (exit 0 with `permissionDecision: ask`) or blocked (exit 2).
fn not_allowed(what: &str, (code, out, took): (i32, String, Duration)) {
    let asked = code == 0 && out.contains("\"permissionDecision\":\"ask\"");
    assert!(asked || code == 2, "{what}: exit {code}, stdout {out:?}");
    assert!(took < Duration::from_secs(2), "{what}: took {took:?}");
}

#[test]
fn a_line_the_parser_cannot_read_is_asked_about() {
    not_allowed("unterminated quote", hook(&bash("rm -rf 'oops")));
    not_allowed("stray paren", hook(&bash("echo )(")));
}

#[test]
fn a_megabyte_line_is_asked_about_in_time() {
    not_allowed("1 MB line", hook(&bash(&format!("echo {}", "a".repeat(1 << 20)))));
    not_allowed("1 MB of commands", hook(&bash(&"rm -rf ~; ".repeat(100_000))));
}

#[test]
fn nul_bytes_and_invalid_text_are_asked_about() {
    not_allowed("NUL", hook(&bash("rm -rf /tmp/x\u{0}; rm -rf ~")));
    let mut raw = br#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf "#.to_vec();
    raw.extend_from_slice(&[0xff, 0xfe, b'"', b'}', b'}']);
    not_allowed("invalid UTF-8", hook(&raw));
    not_allowed("lone surrogate", hook(br#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"rm -rf \ud800"}}"#));
    not_allowed("truncated event", hook(br#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"comm"#));
    not_allowed("not JSON", hook(b"\x00\x01\x02"));
}

#[test]
fn deep_nesting_is_asked_about_not_a_crash() {
    let deep = format!("{}rm -rf ~{}", "$(echo ".repeat(5000), ")".repeat(5000));
    not_allowed("5000 nested substitutions", hook(&bash(&deep)));
    let evals = format!("{}rm -rf ~{}", "bash -c \"eval '".repeat(50), "'\"".repeat(50));
    not_allowed("50 nested shells", hook(&bash(&evals)));
    let braces = format!("{}echo{}", "{ ".repeat(5000), "; }".repeat(5000));
    not_allowed("5000 nested groups", hook(&bash(&braces)));
}

#[test]
fn a_well_formed_harmless_call_is_still_allowed() {
    let (code, out, _) = hook(&bash("ls -la"));
    assert_eq!((code, out.as_str()), (0, ""));
}

#[test]
fn long_flat_lines_are_judged_without_a_crash() {
    for sep in ["; ", " && ", " | ", " || ", " & "] {
        let line = vec!["true"; 6000].join(sep);
        let (code, out, took) = hook(&bash(&format!("{line}{sep}rm -rf ~")));
        assert!(code == 2 || out.contains("ask"), "`{sep}`: exit {code}, {out}");
        assert!(took < Duration::from_secs(2), "`{sep}`: took {took:?}");
    }
}
