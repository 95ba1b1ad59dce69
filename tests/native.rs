//! Claude Code plugins (`.claude-plugin/plugin.json`) installed by paii
//! unchanged: each a directory that Claude Code loads as that plugin (its
//! skills, agents, commands, MCP and LSP servers, from the default
//! locations and the paths its manifest adds), through the same lock, store
//! and generations as paii's own plugins; its hooks matched by Claude Code
//! and run through paii.

mod common;

use common::{Sandbox, git, plugin_repo};
use serde_json::Value;
use std::process::Command;

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

/// A JSON file under the sandbox.
fn json_at(sb: &Sandbox, rel: &str) -> Value {
    serde_json::from_str(&sb.read(rel)).unwrap()
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

    // Claude Code loads the directory as the plugin `fmt`: every file of
    // the plugin is there, and which it loads is Claude Code's to decide
    // (the real-client scenarios check what it shows).
    for file in
        ["skills/fmt-skill/SKILL.md", "extra-skills/polish/SKILL.md", "extra/reviewer.md", "more-commands/fix.md", "agents/fmt-agent.md"]
    {
        assert!(sb.path(&format!("claude/skills/fmt/{file}")).is_file(), "{file} is installed");
    }
    for flat in ["skills/fmt-skill", "skills/polish", "agents/reviewer.md", "commands/fix.md"] {
        assert!(!sb.path(&format!("claude/{flat}")).exists(), "{flat} is not flattened into the user's own");
    }
    let manifest = json_at(&sb, "claude/skills/fmt/.claude-plugin/plugin.json");
    assert_eq!(manifest["agents"], serde_json::json!(["./extra/reviewer.md"]));
    assert_eq!(manifest["lspServers"]["rust"]["command"], "rust-analyzer", "LSP servers are Claude Code's to start: {manifest:#}");
    assert!(manifest.get("mcpServers").is_none(), "paii writes the servers into .mcp.json: {manifest:#}");
    let servers = &json_at(&sb, "claude/skills/fmt/.mcp.json")["mcpServers"];
    assert_eq!(servers["fmt-srv"]["command"], "${CLAUDE_PLUGIN_ROOT}/bin/srv", "Claude Code expands the root");
    assert_eq!(servers["fmt-srv"]["env"]["DATA"], "${CLAUDE_PLUGIN_DATA}");
    assert_eq!(servers["inline-srv"]["args"][0], "${CLAUDE_PLUGIN_ROOT}/server.js");
    assert!(!sb.path("claude/.claude.json").exists(), "nothing goes into the user's MCP servers");
    let lock = sb.read("team/paii.lock");
    assert!(lock.contains("name = \"fmt\"\nversion = \"0.0.0\""), "a path plugin without a version is 0.0.0:\n{lock}");
    let info = sb.paii_in("team", &["plugin", "info", "fmt", "-o", "json"]).ok().json();
    assert_eq!(info["description"], "formats things");
    // The directory is the plugin's own writable copy; the store's tree
    // stays as it was fetched.
    use std::os::unix::fs::PermissionsExt;
    let skill = std::fs::metadata(sb.path("claude/skills/fmt/skills/fmt-skill/SKILL.md")).unwrap();
    assert!(skill.permissions().mode() & 0o200 != 0, "writable by its owner");
    let store = std::fs::read_dir(sb.home().join("store"))
        .unwrap()
        .flatten()
        .find(|e| e.file_name().to_string_lossy().contains("-fmt-"))
        .unwrap()
        .path();
    assert_eq!(
        std::fs::metadata(store.join("skills/fmt-skill/SKILL.md")).unwrap().permissions().mode() & 0o222,
        0,
        "the store stays read-only"
    );
    let stored: Value = serde_json::from_str(&std::fs::read_to_string(store.join(".claude-plugin/plugin.json")).unwrap()).unwrap();
    assert!(stored.get("mcpServers").is_some());
    sb.paii_in("team", &["plugin", "verify"]).ok();
}

/// A plugin that writes into its root at run time (as discord's `bun
/// install` does at session start) works: its root is its own writable
/// copy, kept across generations that keep its version; another version
/// has a root of its own, and a rollback gives the old version its old
/// files; gc removes a root no generation uses.
#[test]
fn a_plugin_that_writes_into_its_root_keeps_what_it_wrote_per_version() {
    let sb = Sandbox::new();
    let version = |v: &str| {
        sb.write("plugins/writer/.claude-plugin/plugin.json", &format!(r#"{{"name": "writer", "version": "{v}"}}"#));
        sb.write(
            "plugins/writer/hooks/hooks.json",
            r#"{"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "cat > /dev/null; mkdir -p \"$CLAUDE_PLUGIN_ROOT/node_modules\" && echo installed > \"$CLAUDE_PLUGIN_ROOT/node_modules/dep\""}]}]}}"#,
        );
    };
    let start = serde_json::json!({"session_id": "s", "hook_event_name": "SessionStart", "source": "startup"});
    version("1.0.0");
    sb.write("team/paii.toml", "[plugins]\nwriter = { path = \"../plugins/writer\" }\n");
    sb.paii_in("team", &["sync"]).ok();
    let runs = hooks(&sb, "writer", "SessionStart", &start);
    assert_eq!(runs[0].code, 0, "{}", runs[0].stderr);
    assert_eq!(sb.read("claude/skills/writer/node_modules/dep"), "installed\n");
    // An unrelated change makes a new generation: the root stays.
    sb.write("plugins/other/.claude-plugin/plugin.json", r#"{"name": "other"}"#);
    sb.write("team/paii.toml", "[plugins]\nwriter = { path = \"../plugins/writer\" }\nother = { path = \"../plugins/other\" }\n");
    sb.paii_in("team", &["sync"]).ok();
    assert!(sb.path("claude/skills/writer/node_modules/dep").is_file(), "kept across generations of one version");
    // A new version starts from its own tree; a rollback finds the old one's files.
    version("2.0.0");
    sb.paii_in("team", &["sync"]).ok();
    assert!(!sb.path("claude/skills/writer/node_modules").exists());
    sb.paii_in("team", &["rollback"]).ok();
    assert!(sb.path("claude/skills/writer/node_modules/dep").is_file());
    // Nothing was written into the store.
    for e in common::files_under(&sb.home().join("store")) {
        assert!(!e.ends_with("node_modules/dep"), "{}", e.display());
    }
    sb.paii_in("team", &["switch", "3"]).ok();
    let gc = sb.paii_in("team", &["gc", "--keep", "1", "-o", "json"]).ok().json();
    assert!(gc["store_entries"].to_string().contains("roots/"), "{gc:#}");
    assert!(sb.path("claude/skills/writer/.claude-plugin/plugin.json").is_file());
}

/// A plugin that fills the disk through its writable root: the next
/// version's root cannot be made, which is an error naming the plugin, with
/// no half-made root left and the previous generation still current; once
/// space is freed, the sync goes through. The roots live on a 2 MiB tmpfs
/// in a mount namespace of the test's own (`unshare`), so no disk is filled.
#[test]
fn a_root_that_fills_the_disk_fails_the_next_sync_by_name_and_keeps_the_generation() {
    if !Command::new("unshare").args(["-Urm", "true"]).status().is_ok_and(|s| s.success()) {
        eprintln!("skipped: this machine gives no mount namespace (unshare -Urm)");
        return;
    }
    let sb = Sandbox::new();
    sb.write("plugins/writer/.claude-plugin/plugin.json", r#"{"name": "writer", "version": "1.0.0"}"#);
    sb.write("plugins/writer/commands/w.md", "Write.\n");
    sb.write("team/paii.toml", "[plugins]\nwriter = { path = \"../plugins/writer\" }\n");
    let script = r#"
        mkdir -p "$PAII_HOME/roots" && mount -t tmpfs -o size=2m tmpfs "$PAII_HOME/roots" || exit 77
        "$PAII" sync || exit 10
        # The plugin writes into its root until the disk is full.
        dd if=/dev/zero of="$CLAUDE_CONFIG_DIR/skills/writer/cache" bs=64k count=64 2>/dev/null
        echo '{"name": "writer", "version": "2.0.0"}' > ../plugins/writer/.claude-plugin/plugin.json
        "$PAII" sync 2> ../full.err
        echo $? > ../full.code
        readlink "$PAII_HOME/current" > ../current.full
        ls -A "$PAII_HOME/roots" > ../roots.full
        rm "$CLAUDE_CONFIG_DIR/skills/writer/cache"
        "$PAII" sync || exit 11
        readlink "$PAII_HOME/current" > ../current.freed
    "#;
    let paii = sb.command(&sb.path("team"), &[]);
    let mut c = Command::new("unshare");
    c.args(["-Urm", "sh", "-c", script]).current_dir(sb.path("team")).env_clear();
    for (k, v) in paii.get_envs() {
        if let Some(v) = v {
            c.env(k, v);
        }
    }
    c.env("PAII", paii.get_program());
    let out = common::run(c.output().unwrap());
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(sb.read("full.code").trim(), "1");
    let err = sb.read("full.err");
    assert!(err.contains("writer") && err.contains("No space left on device"), "{err}");
    assert_eq!(sb.read("current.full").trim(), "generations/1", "the previous generation stays current");
    assert!(!sb.read("roots.full").contains(".tmp-"), "no half-made root: {}", sb.read("roots.full"));
    assert_eq!(sb.read("current.freed").trim(), "generations/2");
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
    assert!(sb.path("claude/skills/fmt/skills/fmt-skill/SKILL.md").is_file());
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
fn a_paii_skill_whose_tree_also_holds_plugin_json_is_shown_once_as_a_skill_never_as_a_plugin() {
    let sb = Sandbox::new();
    native_plugin(&sb, "plugins/both", "both", r#", "version": "1.0.0""#);
    sb.write("plugins/both/plugin.toml", "[plugin]\nname = \"both\"\nversion = \"1.0.0\"\n");
    sb.write("plugins/both/SKILL.md", "---\nname: both\ndescription: d\n---\nRun scripts/go.sh\n");
    sb.write("plugins/both/scripts/go.sh", "echo go\n");
    sb.write("team/paii.toml", "[plugins]\nboth = { path = \"../plugins/both\" }\n");
    sb.paii_in("team", &["sync"]).ok();
    let skill = sb.path("claude/skills/both");
    assert!(skill.join("SKILL.md").is_file() && skill.join("scripts/go.sh").is_file(), "the skill and its files");
    // Claude Code loads a skills/ directory with a manifest as a plugin.
    assert!(!skill.join(".claude-plugin").exists(), "the manifest is hidden from the skill");
    assert!(sb.path("plugins/both/.claude-plugin/plugin.json").is_file(), "the plugin's own tree is untouched");
}

#[test]
fn a_bad_plugin_json_is_an_error_at_its_value_and_installs_nothing() {
    let sb = Sandbox::new();
    native_plugin(&sb, "plugins/bad", "bad", "");
    sb.write("plugins/bad/.claude-plugin/plugin.json", "{\n  \"name\": \"bad\",\n  \"agents\": \"agents/a.md\"\n}\n");
    sb.write("team/paii.toml", "[plugins]\nbad = { path = \"../plugins/bad\" }\n");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("plugins/bad/.claude-plugin/plugin.json:3:13"), "the user's own file: {}", out.stderr);
    assert!(!sb.home().join("current").exists() && !sb.path("claude/skills").exists());
    sb.write("plugins/bad/.claude-plugin/plugin.json", "{\"name\": \"bad\", \"skills\": \"./../../outside\"}");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("leads outside the plugin"), "{}", out.stderr);
    sb.write("plugins/bad/.claude-plugin/plugin.json", "{\"name\": \"bad\", ");
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("not valid JSON"), "{}", out.stderr);
    assert!(!sb.home().join("current").exists());
    // From git, the plugin and the file in it are named, not where paii
    // fetched it to.
    sb.write("plugins/bad/.claude-plugin/plugin.json", "{\n  \"name\": \"bad\",\n  \"agents\": \"agents/a.md\"\n}\n");
    let repo = sb.path("plugins/bad");
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "bad"]);
    sb.write("team/paii.toml", &format!("[plugins]\nbad = {{ git = \"file://{}\" }}\n", repo.display()));
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("plugin `bad`: .claude-plugin/plugin.json:3:13"), "{}", out.stderr);
    assert!(!out.stderr.contains(".tmp-") && !out.stderr.contains("/store/"), "{}", out.stderr);
}

/// The hooks of `plugin` for `event`, run as Claude Code runs them.
fn hooks(sb: &Sandbox, plugin: &str, event: &str, input: &Value) -> Vec<common::Run> {
    sb.plugin_hooks("team", plugin, event, input)
}

/// A Claude Code plugin with hooks of every kind paii handles: a Python
/// PreToolUse guard that answers with Claude Code's JSON decision, an
/// exec-form hook, a SessionStart hook with plain-text context, a prompt
/// hook and an async hook run once.
fn hooks_plugin(sb: &Sandbox) {
    native_plugin(
        sb,
        "plugins/guardian",
        "guardian",
        r#", "userConfig": {"level": {"type": "string", "title": "Level", "description": "how strict", "default": "high"}}"#,
    );
    sb.write(
        "plugins/guardian/hooks/guard.py",
        r#"import json, sys
event = json.load(sys.stdin)
command = event.get("tool_input", {}).get("command", "")
if "rm -rf" in command:
    print(json.dumps({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "deny",
                      "permissionDecisionReason": "guardian refuses rm -rf"}}))
"#,
    );
    sb.write(
        "plugins/guardian/hooks/record.sh",
        "#!/bin/sh\nprintf '%s\\n' \"$@\" > \"$HOME/exec-args\"\nenv | grep '^CLAUDE_PLUGIN' | sort > \"$HOME/exec-env\"\ncat > /dev/null\n",
    );
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(sb.path("plugins/guardian/hooks/record.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    sb.write(
        "plugins/guardian/hooks/hooks.json",
        r#"{"description": "guardian's hooks", "hooks": {
  "PreToolUse": [
    {"matcher": "Bash", "hooks": [{"type": "command", "command": "python3 \"${CLAUDE_PLUGIN_ROOT}/hooks/guard.py\"", "timeout": 5}]},
    {"matcher": "Bash|Write", "hooks": [{"type": "command", "command": "${CLAUDE_PLUGIN_ROOT}/hooks/record.sh", "args": ["${CLAUDE_PLUGIN_ROOT}", "${CLAUDE_PLUGIN_DATA}", "level=${user_config.level}", "$HOME"]}]}
  ],
  "SessionStart": [{"hooks": [{"type": "command", "command": "cat > /dev/null; echo guardian is watching"}]}],
  "Stop": [{"hooks": [{"type": "prompt", "prompt": "Did the work finish? $ARGUMENTS"}]}],
  "PostToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "${CLAUDE_PLUGIN_ROOT}/hooks/record.sh", "async": true, "once": true}]}]
}}"#,
    );
}

#[test]
fn a_claude_code_plugins_hooks_are_matched_by_claude_code_and_run_through_paii() {
    let sb = Sandbox::new();
    hooks_plugin(&sb);
    std::fs::create_dir_all(sb.path("home")).unwrap();
    sb.write("team/paii.toml", "[plugins]\nguardian = { path = \"../plugins/guardian\" }\n");
    sb.paii_in("team", &["sync"]).ok();
    // Its hooks come from hooks/hooks.json alone: it provides hooks all the same.
    assert!(sb.read("team/paii.lock").contains("provides = [\"HookHandler\"]"), "{}", sb.read("team/paii.lock"));
    assert!(!sb.path("claude/settings.json").exists(), "nothing of the plugin goes into the user's settings");
    // The plugin's hooks.json keeps every group, matcher and key; a command
    // hook runs through `paii hook handler`, given 5 s more than its own
    // timeout, which paii enforces.
    let home = sb.home();
    // Its root, and the table beside it that its hooks run from.
    let root = std::fs::canonicalize(sb.path("claude/skills/guardian")).unwrap();
    let table = root.parent().unwrap().to_path_buf();
    let doc = json_at(&sb, "claude/skills/guardian/hooks/hooks.json");
    let pre = doc["hooks"]["PreToolUse"].as_array().unwrap();
    assert_eq!((pre.len(), &pre[0]["matcher"], &pre[1]["matcher"]), (2, &Value::from("Bash"), &Value::from("Bash|Write")), "{doc:#}");
    let first = &pre[0]["hooks"][0];
    assert!(first["command"].as_str().unwrap().ends_with("/paii"), "{first:#}");
    let args = serde_json::json!(["hook", "handler", table.display().to_string(), "guardian", "0"]);
    assert_eq!((&first["args"], &first["timeout"]), (&args, &Value::from(10)), "{first:#}");
    assert_eq!(doc["hooks"]["Stop"][0]["hooks"][0]["type"], "prompt", "{doc:#}");
    let post = &doc["hooks"]["PostToolUse"][0]["hooks"][0];
    assert_eq!((&post["async"], &post["once"]), (&Value::Bool(true), &Value::Bool(true)), "Claude Code's keys are kept: {post:#}");

    // The Python guard's JSON decision comes back as it wrote it.
    let bash = |c: &str| serde_json::json!({"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": c}, "cwd": "/"});
    let runs = hooks(&sb, "guardian", "PreToolUse", &bash("rm -rf ./build"));
    assert_eq!(runs.len(), 2);
    assert_eq!(runs[0].code, 0, "{}", runs[0].stderr);
    let answer: Value = serde_json::from_str(&runs[0].stdout).unwrap();
    assert_eq!(answer["hookSpecificOutput"]["permissionDecision"], "deny", "{answer:#}");
    assert_eq!(answer["hookSpecificOutput"]["permissionDecisionReason"], "guardian refuses rm -rf");
    // The exec-form hook: arguments substituted one by one, no shell.
    let root = root.display().to_string();
    let data = sb.path("claude/plugins/data/guardian-skills-dir");
    assert!(
        sb.path("home/exec-args").is_file(),
        "the exec-form hook ran: {}",
        std::fs::read_to_string(home.join("logs/audit.jsonl")).unwrap_or_default()
    );
    let args = sb.read("home/exec-args");
    assert_eq!(args.lines().collect::<Vec<_>>(), [root.as_str(), &data.display().to_string(), "level=high", "$HOME"]);
    let env = sb.read("home/exec-env");
    assert!(env.contains(&format!("CLAUDE_PLUGIN_ROOT={root}")) && env.contains("CLAUDE_PLUGIN_OPTION_LEVEL=high"), "{env}");
    assert!(data.is_dir(), "the data directory is made on first use");
    // Plain text on SessionStart is passed on for Claude Code to read as context.
    let runs = hooks(
        &sb,
        "guardian",
        "SessionStart",
        &serde_json::json!({"session_id": "s", "hook_event_name": "SessionStart", "source": "startup"}),
    );
    assert_eq!(runs[0].stdout, "guardian is watching\n");
    let audit = std::fs::read_to_string(home.join("logs/audit.jsonl")).unwrap();
    let last: Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    assert_eq!((&last["event"], &last["hook"]), (&Value::from("session-start"), &Value::from("guardian#2")), "{last:#}");

    // Removing the plugin removes its directory; the data stays.
    sb.write("team/paii.toml", "[plugins]\n");
    sb.paii_in("team", &["sync"]).ok();
    assert!(!sb.path("claude/skills/guardian").exists());
    assert!(data.is_dir(), "plugin data outlives generations");
    sb.paii_in("team", &["rollback"]).ok();
    assert!(sb.path("claude/skills/guardian/hooks/hooks.json").is_file());
    sb.paii_in("team", &["deactivate"]).ok();
    assert!(!sb.path("claude/skills").exists(), "paii created it, and it holds nothing else");
}

#[test]
fn dispatch_false_leaves_a_plugins_hooks_to_claude_code_as_written() {
    let sb = Sandbox::new();
    hooks_plugin(&sb);
    sb.write("claude/settings.json", "{\n  \"model\": \"opus\"\n}\n");
    sb.write("team/paii.toml", "[plugins]\nguardian = { path = \"../plugins/guardian\", dispatch = false }\n");
    sb.paii_in("team", &["sync"]).ok();
    let doc = json_at(&sb, "claude/skills/guardian/hooks/hooks.json");
    assert!(!doc.to_string().contains("handler"), "nothing through paii: {doc:#}");
    assert_eq!(doc["hooks"], json_at(&sb, "plugins/guardian/hooks/hooks.json")["hooks"]);
    assert_eq!(sb.read("claude/settings.json"), "{\n  \"model\": \"opus\"\n}\n", "the user's settings are untouched");
}

/// `plugins/svc`: a Claude Code plugin with a string, a number and a
/// sensitive option.
fn svc_plugin(sb: &Sandbox) {
    native_plugin(
        sb,
        "plugins/svc",
        "svc",
        r#", "userConfig": {
  "endpoint": {"type": "string", "title": "Endpoint", "description": "where", "default": "https://default"},
  "retries": {"type": "number", "title": "Retries", "description": "how often", "default": 3},
  "token": {"type": "string", "title": "Token", "description": "secret", "sensitive": true}
}"#,
    );
}

/// A plugin's `userConfig` options come from paii's config layering (the
/// defaults, `[config.<plugin>]`, `config set`), a sensitive one from `.env`
/// as `<PLUGIN>_<KEY>`: hooks get `CLAUDE_PLUGIN_OPTION_<KEY>`, MCP servers
/// the values (a sensitive one only as a `${VAR}` reference).
#[test]
fn options_reach_hooks_and_mcp_servers_and_secrets_only_from_dotenv() {
    let sb = Sandbox::new();
    svc_plugin(&sb);
    sb.write(
        "plugins/svc/.mcp.json",
        r#"{"mcpServers": {"svc-srv": {"command": "sh", "args": ["-c", "printf '%s\\n' \"$@\" \"$CLAUDE_PLUGIN_OPTION_TOKEN\" > \"$HOME/srv\"", "srv", "--endpoint", "${user_config.endpoint}", "--token", "${user_config.token}"]}}}"#,
    );
    // An async hook runs through paii too; a shell command that names an
    // option in its text is what Claude Code refuses.
    sb.write(
        "plugins/svc/hooks/hooks.json",
        r#"{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "env | grep ^CLAUDE_PLUGIN_OPTION_ | sort > \"$HOME/options\""}]}],
  "PostToolUse": [{"hooks": [{"type": "command", "async": true, "command": "echo $CLAUDE_PLUGIN_OPTION_ENDPOINT $CLAUDE_PLUGIN_OPTION_RETRIES \"[$CLAUDE_PLUGIN_OPTION_TOKEN]\" > \"$HOME/raw\""}]}],
  "Notification": [{"hooks": [{"type": "command", "async": true, "command": "notify ${user_config.token}"}]}]}}"#,
    );
    std::fs::create_dir_all(sb.path("home")).unwrap();
    sb.write("team/paii.toml", "[plugins]\nsvc = { path = \"../plugins/svc\" }\n\n[config.svc]\nendpoint = \"https://team\"\n");
    sb.write("paii-home/.env", "SVC_TOKEN=s3cret-token\n");
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(
        out.stderr.contains("a Notification hook's shell command references `${user_config.token}`, which Claude Code refuses"),
        "{}",
        out.stderr
    );
    let stop = serde_json::json!({"session_id": "s", "hook_event_name": "Stop"});
    let runs = hooks(&sb, "svc", "Stop", &stop);
    assert_eq!(runs[0].code, 0, "{}", runs[0].stderr);
    assert_eq!(
        sb.read("home/options"),
        "CLAUDE_PLUGIN_OPTION_ENDPOINT=https://team\nCLAUDE_PLUGIN_OPTION_RETRIES=3\nCLAUDE_PLUGIN_OPTION_TOKEN=s3cret-token\n"
    );
    hooks(&sb, "svc", "PostToolUse", &serde_json::json!({"session_id": "s", "hook_event_name": "PostToolUse", "tool_name": "Bash"}));
    assert_eq!(sb.read("home/raw"), "https://team 3 [s3cret-token]\n");
    let refused = hooks(&sb, "svc", "Notification", &serde_json::json!({"session_id": "s", "hook_event_name": "Notification"}));
    assert_eq!(refused[0].code, 1, "a non-blocking error, as in Claude Code");
    assert!(refused[0].stderr.contains("${user_config.*}"), "{}", refused[0].stderr);
    // A server that needs a secret runs through `paii mcp exec`, which
    // starts it with the value; Claude Code's config keeps the reference.
    let server = &json_at(&sb, "claude/skills/svc/.mcp.json")["mcpServers"]["svc-srv"];
    assert_eq!(server["args"], serde_json::json!(["mcp", "exec", "plugin:svc:svc-srv"]));
    assert!(server["command"].as_str().unwrap().ends_with("/paii"), "{server:#}");
    assert_eq!(server["env"]["CLAUDE_PLUGIN_OPTION_TOKEN"], "${SVC_TOKEN}");
    assert_eq!(server["env"]["CLAUDE_PLUGIN_OPTION_RETRIES"], "3");
    sb.paii_in("team", &["mcp", "exec", "plugin:svc:svc-srv"]).ok();
    assert_eq!(sb.read("home/srv"), "--endpoint\nhttps://team\n--token\ns3cret-token\ns3cret-token\n");
    // The secret is in no file paii wrote.
    for dir in ["paii-home/generations", "paii-home/claude-state", "claude"] {
        for e in common::files_under(&sb.path(dir)) {
            let text = std::fs::read(&e).unwrap_or_default();
            assert!(!text.windows(12).any(|w| w == b"s3cret-token"), "{} holds the secret", e.display());
        }
    }
    // `config set` changes what the hooks see.
    let set = sb.paii_in("team", &["config", "set", "svc.endpoint", "https://mine"]).ok();
    assert!(set.stderr.contains("applied"), "{}", set.stderr);
    hooks(&sb, "svc", "Stop", &stop);
    assert!(sb.read("home/options").contains("CLAUDE_PLUGIN_OPTION_ENDPOINT=https://mine"));
}

/// Where Claude Code itself reads a plugin's options (hooks left as written
/// with `dispatch = false`, LSP servers, skill text), it reads
/// `pluginConfigs["<name>@skills-dir"].options` of settings.json: paii
/// writes the options that are not sensitive there (never a secret), keeps
/// a key the user set through Claude Code, and takes out only its own.
#[test]
fn options_claude_code_reads_itself_are_in_plugin_configs_without_secrets() {
    let sb = Sandbox::new();
    svc_plugin(&sb);
    sb.write(
        "plugins/svc/hooks/hooks.json",
        r#"{"hooks": {"Stop": [{"hooks": [{"type": "command", "command": "echo $CLAUDE_PLUGIN_OPTION_ENDPOINT"}]}]}}"#,
    );
    sb.write("paii-home/.env", "SVC_TOKEN=s3cret-token\n");
    let toml = |dispatch: &str| {
        format!("[plugins]\nsvc = {{ path = \"../plugins/svc\"{dispatch} }}\n\n[config.svc]\nendpoint = \"https://team\"\nretries = 5\n")
    };
    sb.write("team/paii.toml", &toml(", dispatch = false"));
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("~ plugin options svc@skills-dir"), "{}", out.stderr);
    let settings = || json_at(&sb, "claude/settings.json");
    assert_eq!(
        settings()["pluginConfigs"],
        serde_json::json!({"svc@skills-dir": {"options": {"endpoint": "https://team", "retries": 5}}}),
        "what the team set; Claude Code applies the defaults"
    );
    assert!(!sb.read("claude/settings.json").contains("s3cret"));
    // The user's own key for the plugin stays; paii's go with the plugin.
    let mut doc = settings();
    doc["pluginConfigs"]["svc@skills-dir"]["options"]["mine"] = serde_json::json!("kept");
    std::fs::write(sb.path("claude/settings.json"), doc.to_string()).unwrap();
    sb.paii_in("team", &["config", "set", "svc.endpoint", "https://mine"]).ok();
    assert_eq!(
        settings()["pluginConfigs"]["svc@skills-dir"]["options"],
        serde_json::json!({"endpoint": "https://mine", "retries": 5, "mine": "kept"})
    );
    sb.write("team/paii.toml", "[plugins]\n");
    sb.paii_in("team", &["sync"]).ok();
    assert_eq!(settings()["pluginConfigs"], serde_json::json!({"svc@skills-dir": {"options": {"mine": "kept"}}}));
    // A rollback brings them back, and `deactivate` takes them out.
    sb.paii_in("team", &["rollback"]).ok();
    assert_eq!(settings()["pluginConfigs"]["svc@skills-dir"]["options"]["endpoint"], "https://mine");
    sb.paii_in("team", &["deactivate"]).ok();
    assert_eq!(settings()["pluginConfigs"], serde_json::json!({"svc@skills-dir": {"options": {"mine": "kept"}}}));
}

/// A registry `mkt` of plugins from one git repository: `(name, version,
/// dependencies)`; every version of a name is the same checkout.
fn registry_with_dependencies(sb: &Sandbox, entries: &[(&str, &str, &str)]) {
    let mut names: Vec<(&str, &str)> = entries.iter().map(|(n, v, _)| (*n, *v)).collect();
    names.dedup_by_key(|(n, _)| *n);
    let repo = sb.path("repos/mkt");
    plugin_repo(&repo, &names);
    let mut text = String::from("[registry]\nname = \"mkt\"\n");
    for (name, version, deps) in entries {
        text.push_str(&format!(
            "\n[[plugins]]\nname = \"{name}\"\nversion = \"{version}\"\nsource = \"file://{}\"\nrev = \"main\"\npath = \"plugins/{name}\"\ndependencies = [{deps}]\n",
            repo.display()
        ));
    }
    sb.write("team/mkt.toml", &text);
}

fn locked<'a>(lock: &'a str, name: &str) -> &'a str {
    lock.split("[[plugin]]").find(|p| p.contains(&format!("name = \"{name}\""))).unwrap_or_else(|| panic!("{name} not locked:\n{lock}"))
}

#[test]
fn dependencies_are_resolved_into_the_lock_and_installed_with_their_dependent() {
    let sb = Sandbox::new();
    registry_with_dependencies(&sb, &[("app", "1.0.0", r#""lib@^1""#), ("lib", "1.0.0", "")]);
    sb.write("team/paii.toml", "[registries]\nmkt = { path = \"mkt.toml\" }\n[plugins]\napp = \"^1\"\n");
    sb.paii_in("team", &["sync"]).ok();

    let lock = sb.read("team/paii.lock");
    assert!(locked(&lock, "app").contains("[plugin.dependencies]\nlib = \"^1\""), "{lock}");
    assert!(locked(&lock, "lib").contains("version = \"1.0.0\""), "the closure is locked:\n{lock}");
    assert!(sb.path("claude/skills/lib").exists(), "the dependency is installed");
    // The lock with its dependency is exactly what paii.toml asks for.
    sb.paii_in("team", &["sync", "--frozen"]).ok();
    let list = sb.paii_in("team", &["plugin", "list", "-o", "json"]).ok().json();
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list:#}");
    let info = sb.paii_in("team", &["plugin", "info", "lib", "-o", "json"]).ok().json();
    assert_eq!(info["requested"], "as a dependency of app", "{info:#}");
    assert_eq!(info["locked"]["version"], "1.0.0", "{info:#}");
}

#[test]
fn a_dependency_conflict_is_explained_by_the_resolver() {
    let sb = Sandbox::new();
    registry_with_dependencies(&sb, &[("app", "1.0.0", r#""lib@^1""#), ("lib", "1.0.0", ""), ("lib", "2.0.0", "")]);
    sb.write("team/paii.toml", "[registries]\nmkt = { path = \"mkt.toml\" }\n[plugins]\napp = \"^1\"\nlib = \"^2\"\n");
    let out = sb.paii_in("team", &["lock"]).fails();
    assert!(out.stderr.contains("app 1.0.0 depends on lib"), "{}", out.stderr);
    assert!(out.stderr.contains("paii.toml requires lib ^2"), "{}", out.stderr);
    assert!(!sb.path("team/paii.lock").exists(), "no lock is written");
}

#[test]
fn a_claude_code_plugin_s_dependencies_come_from_the_registries() {
    let sb = Sandbox::new();
    registry_with_dependencies(&sb, &[("lib", "1.0.0", "")]);
    native_plugin(&sb, "plugins/fmt", "fmt", r#", "dependencies": ["lib", {"name": "missing-optional-looking"}]"#);
    sb.write("team/paii.toml", "[registries]\nmkt = { path = \"mkt.toml\" }\n[plugins]\nfmt = { path = \"../plugins/fmt\" }\n");
    let out = sb.paii_in("team", &["lock"]).fails();
    assert!(out.stderr.contains("no registry offers missing-optional-looking"), "{}", out.stderr);

    native_plugin(&sb, "plugins/fmt", "fmt", r#", "dependencies": ["lib"]"#);
    sb.paii_in("team", &["sync"]).ok();
    let lock = sb.read("team/paii.lock");
    assert!(locked(&lock, "fmt").contains("lib = \"*\""), "{lock}");
    assert!(locked(&lock, "lib").contains("registry = \"mkt\""), "{lock}");
    assert!(sb.path("claude/skills/lib").exists());
}

/// A plugin whose `engines` range excludes the installed Claude Code is
/// refused by name, as Claude Code would not load it, and the previous
/// generation stays; one that admits it installs; a range that does not
/// parse is a warning.
#[test]
fn an_engines_range_that_excludes_the_client_is_refused_by_name() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let fake = sb.write("bin/claude", "#!/bin/sh\necho '2.1.332 (Claude Code)'\n");
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", sb.path("bin").display(), std::env::var("PATH").unwrap_or_default());
    let sync = |range: &str| {
        sb.write("plugins/eng/.claude-plugin/plugin.json", &format!(r#"{{"name": "eng", "engines": {{"claude-code": "{range}"}}}}"#));
        sb.write("plugins/eng/commands/e.md", "E.\n");
        common::run(sb.command(&sb.path("team"), &["sync"]).env("PATH", &path).output().unwrap())
    };
    sb.write("team/paii.toml", "[plugins]\neng = { path = \"../plugins/eng\" }\n");
    let ok = sync(">=2.1.0 <3");
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let refused = sync(">=2.2");
    assert_eq!(refused.code, 1);
    assert!(
        refused.stderr.contains("plugin `eng` works with Claude Code >=2.2") && refused.stderr.contains("2.1.332"),
        "{}",
        refused.stderr
    );
    assert!(sb.path("claude/skills/eng/commands/e.md").is_file(), "the previous generation stays");
    let odd = sync("whenever");
    assert_eq!(odd.code, 0, "{}", odd.stderr);
    assert!(odd.stderr.contains("`engines` range `whenever` does not parse"), "{}", odd.stderr);
}

/// Copies `from` to `to`, symlinks as they are, everything writable.
fn copy_as_is(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let (src, dst) = (e.path(), to.join(e.file_name()));
        let kind = e.file_type().unwrap();
        if kind.is_symlink() {
            std::os::unix::fs::symlink(std::fs::read_link(&src).unwrap(), &dst).unwrap();
        } else if kind.is_dir() {
            copy_as_is(&src, &dst);
        } else {
            std::fs::copy(&src, &dst).unwrap();
            let mut p = std::fs::metadata(&dst).unwrap().permissions();
            #[allow(clippy::permissions_set_readonly_false)]
            p.set_readonly(false);
            std::fs::set_permissions(&dst, p).unwrap();
        }
    }
}

/// The upgrade: generations made before Claude Code loaded its plugins
/// itself linked a plugin's skills, agents and commands one by one and put
/// its MCP servers into the user's config. Switching between such a
/// generation and one of today's replaces the one layout by the other in
/// both directions (the user's own files untouched), so the first sync
/// after the upgrade and a rollback to before it both work.
#[test]
fn switching_between_the_old_flat_layout_and_plugin_directories_works_both_ways() {
    let sb = Sandbox::new();
    native_plugin(&sb, "plugins/fmt", "fmt", r#", "version": "1.0.0""#);
    sb.write("claude/skills/mine/SKILL.md", "---\nname: mine\ndescription: the user's own\n---\n");
    sb.write("claude/agents/own.md", "---\nname: own\ndescription: the user's own\n---\n");
    sb.write("claude/.claude.json", "{\n  \"mcpServers\": {\"users\": {\"command\": \"u\"}}\n}\n");
    sb.write("team/paii.toml", "[plugins]\nfmt = { path = \"../plugins/fmt\" }\n");
    sb.paii_in("team", &["sync"]).ok();
    let home = sb.home();
    let store =
        std::fs::read_dir(home.join("store")).unwrap().flatten().map(|e| e.path()).find(|p| p.to_string_lossy().contains("-fmt-")).unwrap();

    // Generation 2, as paii made them before: the same plugin, flat.
    let old = home.join("generations/2");
    copy_as_is(&home.join("generations/1"), &old);
    std::fs::remove_file(old.join("plugins/fmt")).unwrap();
    std::os::unix::fs::symlink(&store, old.join("plugins/fmt")).unwrap();
    let claude = old.join("claude");
    std::fs::remove_dir_all(claude.join("skills")).unwrap();
    let _ = std::fs::remove_file(claude.join("links.digest"));
    let links = serde_json::json!({
        "skills/fmt-skill": store.join("skills/fmt-skill"),
        "agents/fmt-agent.md": store.join("agents/fmt-agent.md"),
        "commands/fmt-cmd.md": store.join("commands/fmt-cmd.md"),
    });
    for (rel, target) in links.as_object().unwrap() {
        std::fs::create_dir_all(claude.join(rel).parent().unwrap()).unwrap();
        std::os::unix::fs::symlink(target.as_str().unwrap(), claude.join(rel)).unwrap();
    }
    std::fs::write(claude.join("links.json"), links.to_string()).unwrap();
    let server = serde_json::json!({"mcpServers": {"fmt-srv": {"command": store.join("bin/srv")}}});
    std::fs::write(claude.join("mcp.json"), server.to_string()).unwrap();
    let meta = std::fs::read_to_string(old.join("generation.toml")).unwrap();
    let meta: String = meta
        .lines()
        .filter(|l| !l.starts_with("root = "))
        .map(|l| if l == "number = 1" { "number = 2\nparent = 1".to_string() } else { l.to_string() } + "\n")
        .collect();
    std::fs::write(old.join("generation.toml"), meta).unwrap();

    // A rollback to before the upgrade: the flat layout comes back.
    sb.paii_in("team", &["switch", "2"]).ok();
    for flat in ["skills/fmt-skill/SKILL.md", "agents/fmt-agent.md", "commands/fmt-cmd.md"] {
        assert!(sb.path(&format!("claude/{flat}")).is_file(), "{flat} is back");
    }
    assert!(!sb.path("claude/skills/fmt").exists(), "no plugin directory in the old layout");
    let config: serde_json::Value = serde_json::from_str(&sb.read("claude/.claude.json")).unwrap();
    assert!(config["mcpServers"]["fmt-srv"].is_object() && config["mcpServers"]["users"].is_object(), "{config:#}");

    // The first sync of the new layout over it replaces the old links.
    sb.paii_in("team", &["switch", "1"]).ok();
    for flat in ["skills/fmt-skill", "agents/fmt-agent.md", "commands/fmt-cmd.md"] {
        assert!(std::fs::symlink_metadata(sb.path(&format!("claude/{flat}"))).is_err(), "{flat} is gone");
    }
    assert!(sb.path("claude/skills/fmt/skills/fmt-skill/SKILL.md").is_file());
    let config: serde_json::Value = serde_json::from_str(&sb.read("claude/.claude.json")).unwrap();
    assert!(config["mcpServers"].get("fmt-srv").is_none() && config["mcpServers"]["users"].is_object(), "{config:#}");
    assert!(sb.path("claude/skills/mine/SKILL.md").is_file() && sb.path("claude/agents/own.md").is_file(), "the user's own stay");
    sb.paii_in("team", &["sync"]).ok();
}

/// A Claude Code plugin `name` with one `command` hook on `event`, synced:
/// the arguments of the `paii` command its hooks.json runs that hook with.
fn one_hook_plugin(sb: &Sandbox, name: &str, event: &str, command: &str) -> Vec<String> {
    sb.write(&format!("plugins/{name}/.claude-plugin/plugin.json"), &format!(r#"{{"name": "{name}"}}"#));
    let hooks = serde_json::json!({"hooks": {event: [{"hooks": [{"type": "command", "command": command}]}]}});
    sb.write(&format!("plugins/{name}/hooks/hooks.json"), &hooks.to_string());
    sb.write("team/paii.toml", &format!("[plugins]\n{name} = {{ path = \"../plugins/{name}\" }}\n"));
    sb.paii_in("team", &["sync"]).ok();
    let doc = json_at(sb, &format!("claude/skills/{name}/hooks/hooks.json"));
    doc["hooks"][event][0]["hooks"][0]["args"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()).collect()
}

/// A hook's output reaches Claude Code as the hook writes it: Claude Code
/// stops waiting for a hook whose first line is `{"async": true}`, so
/// paii must not hold that line until the hook ends.
#[test]
fn a_hooks_first_line_reaches_claude_code_before_the_hook_ends() {
    use std::io::{BufRead, Write};
    let sb = Sandbox::new();
    let args = one_hook_plugin(&sb, "slow", "SessionStart", r#"cat > /dev/null; echo '{"async": true}'; sleep 5; echo done"#);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let started = std::time::Instant::now();
    let mut child =
        sb.command(&sb.path("team"), &args).stdin(std::process::Stdio::piped()).stdout(std::process::Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(br#"{"session_id": "s", "hook_event_name": "SessionStart"}"#).unwrap();
    let mut first = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
    assert_eq!(first.trim(), r#"{"async": true}"#);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(4),
        "the first line came at once, not after the hook: {:?}",
        started.elapsed()
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// When Claude Code ends a hook it started (a background hook at the
/// session's end, one past its timeout), the hook ends with paii, as it
/// would without paii: paii passes the signal on to the hook's group.
#[test]
fn a_hook_ends_when_claude_code_ends_paii() {
    use std::io::Write;
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.path("home")).unwrap();
    let args = one_hook_plugin(&sb, "long", "SessionStart", r#"cat > /dev/null; echo $$ > "$HOME/hook.pid"; sleep 30"#);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut child = sb.command(&sb.path("team"), &args).stdin(std::process::Stdio::piped()).spawn().unwrap();
    child.stdin.take().unwrap().write_all(br#"{"session_id": "s", "hook_event_name": "SessionStart"}"#).unwrap();
    let pid_file = sb.path("home/hook.pid");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !pid_file.is_file() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let hook: i32 = sb.read("home/hook.pid").trim().parse().unwrap();
    // SAFETY: a signal to the child this test started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let status = child.wait().unwrap();
    assert!(!status.success(), "paii reports the hook it ended");
    std::thread::sleep(std::time::Duration::from_millis(100));
    assert!(!std::path::Path::new(&format!("/proc/{hook}")).exists(), "the hook {hook} ended with paii");
}

/// A Claude Code plugin's hook gets Claude Code's environment, as Claude
/// Code gives its hooks (security-guidance reviews with Claude Code's own
/// credentials), and paii's variables over it.
#[test]
fn a_claude_code_plugins_hook_gets_claude_codes_environment() {
    let sb = Sandbox::new();
    std::fs::create_dir_all(sb.path("home")).unwrap();
    let args = one_hook_plugin(&sb, "envy", "Stop", r#"cat > /dev/null; echo "$ANTHROPIC_API_KEY $PAII_PLUGIN_NAME" > "$HOME/seen""#);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut c = sb.command(&sb.path("team"), &args);
    c.env("ANTHROPIC_API_KEY", "sk-ant-from-claude-code").env("PAII_PLUGIN_NAME", "spoofed");
    let out = common::with_input(c, &serde_json::json!({"session_id": "s", "hook_event_name": "Stop"}));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(sb.read("home/seen"), "sk-ant-from-claude-code envy\n");
}
