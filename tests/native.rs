//! Claude Code plugins (`.claude-plugin/plugin.json`) installed by paii
//! unchanged: their skills, agents, commands and MCP servers, from the
//! default locations and the paths their manifest adds, through the same
//! lock, store and generations as paii's own plugins.

mod common;

use common::{Sandbox, git};
use serde_json::Value;

/// A Claude Code plugin in `dir`: `plugin.json` (with `extra` keys), a skill,
/// an agent, a command and an MCP server in the default locations.
fn native_plugin(sb: &Sandbox, dir: &str, name: &str, extra: &str) {
    sb.write(&format!("{dir}/.claude-plugin/plugin.json"), &format!(r#"{{"name": "{name}"{extra}}}"#));
    sb.write(&format!("{dir}/skills/{name}-skill/SKILL.md"), &format!("---\nname: {name}-skill\ndescription: does {name} things\n---\n"));
    sb.write(&format!("{dir}/agents/{name}-agent.md"), &format!("---\nname: {name}-agent\ndescription: helps\n---\n"));
    sb.write(&format!("{dir}/commands/{name}-cmd.md"), "---\ndescription: runs it\n---\nDo it.\n");
    sb.write(
        &format!("{dir}/.mcp.json"),
        &format!(r#"{{"mcpServers": {{"{name}-srv": {{"command": "${{CLAUDE_PLUGIN_ROOT}}/bin/srv", "env": {{"DATA": "${{CLAUDE_PLUGIN_DATA}}"}}}}}}}}"#),
    );
}

fn claude_json(sb: &Sandbox) -> Value {
    serde_json::from_str(&sb.read("claude/.claude.json")).unwrap()
}

#[test]
fn a_claude_code_plugin_installs_its_skills_agents_commands_and_mcp_servers() {
    let sb = Sandbox::new();
    native_plugin(
        &sb,
        "plugins/fmt",
        "fmt",
        r#", "description": "formats things",
  "agents": ["./extra/reviewer.md"],
  "commands": "./more-commands",
  "skills": "./extra-skills",
  "mcpServers": {"inline-srv": {"command": "node", "args": ["${CLAUDE_PLUGIN_ROOT}/server.js"]}},
  "lspServers": {"rust": {"command": "rust-analyzer", "extensionToLanguage": {".rs": "rust"}}}"#,
    );
    sb.write("plugins/fmt/extra/reviewer.md", "---\nname: reviewer\ndescription: reviews\n---\n");
    sb.write("plugins/fmt/more-commands/fix.md", "Fix it.\n");
    sb.write("plugins/fmt/extra-skills/polish/SKILL.md", "---\nname: polish\ndescription: polishes\n---\n");
    sb.write("team/paii.toml", "[plugins]\nfmt = { path = \"../plugins/fmt\" }\n");
    sb.paii_in("team", &["sync"]).ok();

    for link in ["skills/fmt-skill", "skills/polish", "agents/reviewer.md", "commands/fix.md"] {
        assert!(sb.path(&format!("claude/{link}")).exists(), "{link} is installed");
    }
    // As in Claude Code, the manifest's `agents` and `commands` replace the
    // default folders (its `skills` add to `skills/`).
    for link in ["agents/fmt-agent.md", "commands/fmt-cmd.md"] {
        assert!(!sb.path(&format!("claude/{link}")).exists(), "{link} is shadowed by the manifest");
    }
    let servers = &claude_json(&sb)["mcpServers"];
    let home = sb.home();
    assert_eq!(servers["fmt-srv"]["command"], format!("{}/plugins/fmt/bin/srv", home.display()));
    assert_eq!(servers["fmt-srv"]["env"]["DATA"], format!("{}/data/fmt", home.display()));
    assert_eq!(servers["inline-srv"]["args"][0], format!("{}/plugins/fmt/server.js", home.display()));
    let lock = sb.read("team/paii.lock");
    assert!(lock.contains("name = \"fmt\"\nversion = \"0.0.0\""), "a path plugin without a version is 0.0.0:\n{lock}");
    let info = sb.paii_in("team", &["plugin", "info", "fmt", "-o", "json"]).ok().json();
    assert_eq!(info["not_installed"], serde_json::json!(["lspServers"]), "{info:#}");
    assert_eq!(info["description"], "formats things");
    let text = sb.paii_in("team", &["plugin", "info", "fmt"]).ok();
    assert!(text.stdout.contains("not installed") && text.stdout.contains("lspServers"), "{}", text.stdout);
}

#[test]
fn a_claude_code_plugin_from_git_without_a_version_is_locked_as_0_0_0_plus_its_commit() {
    let sb = Sandbox::new();
    native_plugin(&sb, "repo/plugins/fmt", "fmt", "");
    let repo = sb.path("repo");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "plugin"]);
    let commit = git(&repo, &["rev-parse", "HEAD"]);
    sb.write("team/paii.toml", &format!("[plugins]\nfmt = {{ git = \"file://{}\", path = \"plugins/fmt\" }}\n", repo.display()));
    sb.paii_in("team", &["sync"]).ok();
    let lock = sb.read("team/paii.lock");
    assert!(lock.contains(&format!("version = \"0.0.0+{}\"", &commit[..7])), "{lock}");
    assert!(sb.path("claude/skills/fmt-skill/SKILL.md").is_file());
    let out = sb.paii_in("team", &["sync", "--locked"]).ok();
    assert!(out.stderr.contains("nothing changed"), "{}", out.stderr);
    let req = semver::VersionReq::parse("*").unwrap();
    assert!(req.matches(&semver::Version::parse(&format!("0.0.0+{}", &commit[..7])).unwrap()), "`*` matches it");
}

#[test]
fn with_both_manifests_plugin_toml_is_used_and_they_must_agree() {
    let sb = Sandbox::new();
    native_plugin(&sb, "plugins/both", "both", r#", "version": "1.0.0""#);
    sb.write("plugins/both/plugin.toml", "[plugin]\nname = \"both\"\nversion = \"1.0.0\"\n");
    sb.write("team/paii.toml", "[plugins]\nboth = { path = \"../plugins/both\" }\n");
    sb.paii_in("team", &["sync"]).ok();
    sb.write("plugins/both/.claude-plugin/plugin.json", r#"{"name": "both", "version": "2.0.0"}"#);
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("disagrees with plugin.toml") && out.stderr.contains("2.0.0"), "{}", out.stderr);
}

#[test]
fn a_bad_plugin_json_is_an_error_at_its_value_and_installs_nothing() {
    let sb = Sandbox::new();
    native_plugin(&sb, "plugins/bad", "bad", "");
    sb.write("plugins/bad/.claude-plugin/plugin.json", "{\n  \"name\": \"bad\",\n  \"agents\": \"agents/a.md\"\n}\n");
    sb.write("team/paii.toml", "[plugins]\nbad = { path = \"../plugins/bad\" }\n");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("plugin.json:3:13"), "{}", out.stderr);
    assert!(!sb.home().join("current").exists() && !sb.path("claude/skills").exists());
    sb.write("plugins/bad/.claude-plugin/plugin.json", "{\"name\": \"bad\", \"skills\": \"./../../outside\"}");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("leads outside the plugin"), "{}", out.stderr);
    sb.write("plugins/bad/.claude-plugin/plugin.json", "{\"name\": \"bad\", ");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("not valid JSON"), "{}", out.stderr);
    assert!(!sb.home().join("current").exists());
}
