//! Setting up what tests of Claude Code's side need: plugins that give it
//! everything (a hook, a skill, an agent, a command, an MCP server), a team
//! config, and checks of the state paii leaves.

use std::fs;
use std::os::unix::fs::PermissionsExt;

use serde_json::Value;

use super::{Run, Sandbox};

/// A plugin with a hook handler, a skill, an agent, a command and an MCP server.
pub fn full_plugin(sb: &Sandbox, name: &str, extra: &str) {
    let dir = sb.path(&format!("plugins/{name}"));
    fs::create_dir_all(dir.join("agents")).unwrap();
    fs::create_dir_all(dir.join("commands")).unwrap();
    fs::write(
        dir.join("plugin.toml"),
        format!(
            "[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\n\n[hooks]\npre_tool_use = {{ matcher = \"Bash\", timeout_ms = 2000 }}\nstop = true\n\n[run]\ncommand = [\"run.sh\"]\n{extra}"
        ),
    )
    .unwrap();
    fs::write(dir.join("run.sh"), "#!/bin/sh\nexit 0\n").unwrap();
    fs::set_permissions(dir.join("run.sh"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(dir.join("SKILL.md"), format!("# {name}\n")).unwrap();
    fs::write(dir.join(format!("agents/{name}-agent.md")), "# agent\n").unwrap();
    fs::write(dir.join(format!("commands/{name}-cmd.md")), "# command\n").unwrap();
    fs::write(
        dir.join(".mcp.json"),
        format!(
            r#"{{"mcpServers": {{"{name}-srv": {{"command": "${{CLAUDE_PLUGIN_ROOT}}/srv", "env": {{"TOKEN": "${{{name}_TOKEN}}"}}}}}}}}"#
        ),
    )
    .unwrap();
}

/// A sandbox with these plugins (each a [`full_plugin`]) synced.
pub fn synced(plugins: &[&str]) -> Sandbox {
    let sb = Sandbox::new();
    for p in plugins {
        full_plugin(&sb, p, "");
    }
    team(&sb, plugins);
    sync(&sb).ok();
    sb
}

pub fn team(sb: &Sandbox, plugins: &[&str]) {
    let mut text = String::from("[plugins]\n");
    for p in plugins {
        if p.contains('=') {
            text.push_str(p);
        } else {
            text.push_str(&format!("{p} = {{ path = \"../plugins/{p}\" }}"));
        }
        text.push('\n');
    }
    sb.write("team/paii.toml", &text);
}

pub fn sync(sb: &Sandbox) -> Run {
    sb.paii_in("team", &["sync"])
}

pub fn settings(sb: &Sandbox) -> Value {
    serde_json::from_str(&sb.read("claude/settings.json")).unwrap()
}

pub fn claude_json(sb: &Sandbox) -> Value {
    serde_json::from_str(&sb.read("claude/.claude.json")).unwrap()
}

pub fn current(sb: &Sandbox) -> Option<String> {
    fs::read_link(sb.home().join("current")).ok().map(|p| p.display().to_string())
}

pub fn assert_valid_settings(v: &Value) {
    let schema: Value = serde_json::from_str(include_str!("../../vendor/schemastore/claude-code-settings.schema.json")).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> = validator.iter_errors(v).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "settings.json fails the schema: {errors:?}\n{v:#}");
}

/// The paii dispatch commands in settings.json: event -> (matcher, command).
pub fn paii_hooks(v: &Value) -> Vec<(String, Option<String>, String)> {
    let mut out = Vec::new();
    for (event, groups) in v["hooks"].as_object().into_iter().flatten() {
        for g in groups.as_array().unwrap() {
            for h in g["hooks"].as_array().unwrap() {
                let c = h["command"].as_str().unwrap_or_default();
                if c.contains(" hook dispatch ") {
                    out.push((event.clone(), g.get("matcher").and_then(Value::as_str).map(str::to_string), c.to_string()));
                }
            }
        }
    }
    out
}

pub const USER_SETTINGS: &str = r#"{
    "model": "opus",
    "permissions": { "allow": ["Bash(ls:*)"] },
    "hooks": {
        "PreToolUse": [
            { "matcher": "Edit", "hooks": [ { "type": "command", "command": "my-formatter" } ] }
        ]
    },
    "zzz_unknown_to_schema": true
}
"#;

/// The state every crash must leave: `current` names a complete generation
/// (or none exists yet), settings.json parses and validates, nothing
/// half-written sits under a final name.
pub fn assert_consistent(sb: &Sandbox) {
    if let Some(c) = current(sb) {
        let g = sb.home().join(&c);
        assert!(g.join("generation.toml").is_file() && g.join("dispatch.json").is_file(), "current -> {c} is incomplete");
    }
    if sb.path("claude/settings.json").exists() {
        let s = settings(sb);
        assert_valid_settings(&s);
    }
    for e in fs::read_dir(sb.home().join("generations")).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.parse::<u32>().is_ok() {
            assert!(e.path().join("dispatch.json").is_file(), "generation {name} is incomplete");
        }
    }
    for e in fs::read_dir(sb.home().join("store")).into_iter().flatten().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        assert!(
            name.starts_with(".tmp-") || e.path().join("plugin.toml").is_file() || name.ends_with("-build"),
            "half-written store entry {name}"
        );
    }
}
