//! The first-party plugins in `plugins/`, installed through paii as any
//! plugin is (built with cargo --locked into the store) and judged by the
//! events they answer.

mod common;

use common::{Sandbox, copy_dir, repo_root};
use serde_json::{Value, json};

/// A sandbox whose team config installs the first-party `plugins`, copied
/// from this repository, with `config` as paii.toml's extra tables.
fn team(plugins: &[&str], config: &str) -> Sandbox {
    let sb = Sandbox::new();
    let mut toml = String::from("[plugins]\n");
    for p in plugins {
        copy_dir(&repo_root().join("plugins").join(p), &sb.path(&format!("plugins/{p}")));
        toml.push_str(&format!("{p} = {{ path = \"../plugins/{p}\" }}\n"));
    }
    toml.push_str(config);
    sb.write("team/paii.toml", &toml);
    sb.paii_in("team", &["sync", "-q"]).ok();
    sb
}

fn bash(command: &str) -> Value {
    json!({"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": command}, "cwd": "/tmp"})
}

#[test]
fn security_blocks_destruction_asks_about_the_borderline_and_allows_the_rest() {
    let sb = team(&["security"], "\n[config.security]\ndeny = ['terraform apply']\nprotected_paths = ['~/prod']\n");

    let out = sb.dispatch_in("team", "PreToolUse", &bash("sudo bash -c 'rm -rf \"$HOME\"'"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("security: `rm` would delete `~` recursively"), "{}", out.stderr);

    let out = sb.dispatch_in("team", "PreToolUse", &bash("rm -rf ./build && cargo build"));
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);

    let out = sb.dispatch_in("team", "PreToolUse", &bash("git push --force-with-lease origin main"));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let answer: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "ask", "{answer:#}");

    let out = sb.dispatch_in("team", "PreToolUse", &bash("terraform apply -auto-approve"));
    assert!(out.code == 2 && out.stderr.contains("deny pattern"), "the team's deny pattern: {}", out.stderr);

    let home = sb.path("home").display().to_string();
    let write =
        |path: String| json!({"tool_name": "Write", "hook_event_name": "PreToolUse", "tool_input": {"file_path": path, "content": "x"}});
    assert_eq!(sb.dispatch_in("team", "PreToolUse", &write(format!("{home}/.ssh/authorized_keys"))).code, 2);
    assert_eq!(sb.dispatch_in("team", "PreToolUse", &write(format!("{home}/prod/app.yaml"))).code, 2, "a protected path of the team's");
    assert_eq!(sb.dispatch_in("team", "PreToolUse", &write("/tmp/notes.md".into())).code, 0);

    // A Bash call without a command: allowed, as every plugin's bad input
    // is, unless the team asks for the opposite.
    let unreadable = json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": "rm -rf ~"});
    let out = sb.dispatch_in("team", "PreToolUse", &unreadable);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let toml = sb.read("team/paii.toml").replace("[config.security]", "[config.security]\nfail_closed = true");
    sb.write("team/paii.toml", &toml);
    sb.paii_in("team", &["sync", "-q"]).ok();
    let out = sb.dispatch_in("team", "PreToolUse", &unreadable);
    assert_eq!(out.code, 2, "fail_closed blocks what cannot be read: {}", out.stderr);
}
