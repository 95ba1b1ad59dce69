//! paii under the real Claude Code: the acceptance suite for everything
//! paii writes into `CLAUDE_CONFIG_DIR`. Each scenario syncs a team config
//! into a fresh PAII_HOME, CLAUDE_CONFIG_DIR and HOME, runs the pinned
//! Claude Code client offline (`claude -p`) against a scripted Messages API
//! on 127.0.0.1, and checks what Claude Code loaded (its requests), what it
//! did (its JSON result, the tool results it sent back), paii's audit log,
//! and that Claude Code reported no configuration error.

mod common;

use std::fs;
use std::path::Path;

use common::Sandbox;
use common::anthropic::{FINAL, MessagesApi, Script};
use common::claude_code::{Turn, run};
use serde_json::Value;

fn audit(sb: &Sandbox) -> Vec<Value> {
    fs::read_to_string(sb.home().join("logs/audit.jsonl")).unwrap_or_default().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// A turn that ended as Claude Code ends a good one, with nothing wrong in
/// its configuration.
fn assert_clean(turn: &Turn) {
    assert_clean_offline(turn, &[]);
}

/// [`assert_clean`], but a remote MCP server on one of `hosts` may fail to
/// resolve: the suite runs offline, and that is the network's doing, not a
/// configuration error.
fn assert_clean_offline(turn: &Turn, hosts: &[&str]) {
    assert_eq!(turn.code, 0, "{:#}\n{}", turn.json, turn.stderr);
    assert_eq!(turn.json["is_error"], false, "{:#}", turn.json);
    let errors: Vec<String> =
        turn.config_errors().into_iter().filter(|e| !hosts.iter().any(|h| e.contains(&format!("ENOTFOUND {h}")))).collect();
    assert!(errors.is_empty(), "Claude Code reported errors:\n{}", errors.join("\n"));
}

/// The README demo's team config (security, history, hooks, incident and
/// pagerduty from the core registry), synced: Claude Code's `rm -rf ~` is
/// denied through `paii hook dispatch` (the security plugin's reason
/// reaches the model, the audit line carries Claude Code's session id),
/// `ls` runs (its output reaches the model), the hooks plugin's session
/// context reaches the model, history records the calls, and the
/// pagerduty server's config loads without an error.
#[test]
fn the_demo_config_blocks_rm_rf_home_inside_claude_code_and_lets_ls_run() {
    let sb = Sandbox::with_demo();
    // The key pagerduty's MCP server sends (without it, `paii mcp headers`
    // fails and Claude Code reports the server: see the next scenario).
    sb.write("paii-home/.env", "PAGERDUTY_USER_API_KEY=u+offline-test-key\n");
    sb.paii_in("fixtures/demo", &["sync"]).ok();
    let work = sb.path("work");
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("notes-for-ls.txt"), "x").unwrap();
    let api = MessagesApi::start(Script::Bash("rm -rf ~".into()));

    let turn = run(&sb, &api, &work, "clean up my home directory", "Bash");
    assert_clean_offline(&turn, &["mcp.pagerduty.com"]);
    let denials = turn.json["permission_denials"].as_array().unwrap();
    assert_eq!(denials.len(), 1, "{:#}", turn.json);
    assert_eq!(denials[0]["tool_name"], "Bash");
    assert_eq!(denials[0]["tool_input"]["command"], "rm -rf ~");
    let results = turn.tool_results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert!(results[0].1, "the denial is an error result");
    assert!(
        results[0].0.contains("security: `rm` would delete `~` recursively"),
        "the security plugin's reason reaches the model: {results:?}"
    );
    let sent = turn.sent();
    assert!(
        sent.contains("paii generation 1 is active (5 plugins).") && sent.contains("- security 1.0.0: provides HookHandler"),
        "the hooks plugin's SessionStart context reaches the model"
    );
    assert!(sb.path("home").is_dir(), "the command did not run");
    let line = audit(&sb).into_iter().rfind(|l| l["event"] == "pre-tool-use").unwrap();
    assert_eq!(line["decision"], "block");
    assert_eq!(line["tool"], "Bash");
    assert_eq!(line["session"], turn.json["session_id"], "the audit line carries Claude Code's session id");
    assert_eq!(turn.json["result"], FINAL);

    api.script(Script::Bash("ls".into()));
    let turn = run(&sb, &api, &work, "what is here?", "Bash");
    assert_clean_offline(&turn, &["mcp.pagerduty.com"]);
    assert_eq!(turn.json["permission_denials"], serde_json::json!([]));
    let results = turn.tool_results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert!(!results[0].1 && results[0].0.contains("notes-for-ls.txt"), "ls ran and its output reached the model: {results:?}");
    let line = audit(&sb).into_iter().rfind(|l| l["event"] == "pre-tool-use").unwrap();
    assert_eq!((line["decision"].as_str(), &line["session"]), (Some("allow"), &turn.json["session_id"]));

    // history, an observer of every event, wrote Claude Code's own events.
    let session = turn.json["session_id"].as_str().unwrap().to_string();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let raw = loop {
        let raw: String =
            common::files_under(&sb.home().join("history/raw")).iter().map(|f| fs::read_to_string(f).unwrap_or_default()).collect();
        if raw.contains(&session) && raw.contains("\"SessionStart\"") && raw.contains("\"Stop\"") || std::time::Instant::now() > deadline {
            break raw;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(raw.contains(&session) && raw.contains("\"PreToolUse\""), "history's raw lines hold the session's events:\n{raw}");
}

/// A plugin whose hook handler is the shell script `script` (run as
/// `h.sh hook <event>` with the event on stdin).
fn hook_plugin(sb: &Sandbox, name: &str, hooks: &str, script: &str) {
    use std::os::unix::fs::PermissionsExt;
    sb.write(
        &format!("plugins/{name}/plugin.toml"),
        &format!("[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\n\n[hooks]\n{hooks}\n\n[run]\ncommand = [\"h.sh\"]\n"),
    );
    let h = sb.write(&format!("plugins/{name}/h.sh"), &format!("#!/bin/sh\n{script}\n"));
    fs::set_permissions(h, fs::Permissions::from_mode(0o755)).unwrap();
}

/// A plugin that gives Claude Code a skill, an agent, a slash command and a
/// stdio MCP server, each named after it.
fn items_plugin(sb: &Sandbox, name: &str) {
    let upper = name.to_uppercase();
    sb.write(&format!("plugins/{name}/plugin.toml"), &format!("[plugin]\nname = \"{name}\"\nversion = \"1.0.0\"\n"));
    sb.write(
        &format!("plugins/{name}/skills/{name}-skill/SKILL.md"),
        &format!("---\nname: {name}-skill\ndescription: {upper}-SKILL-DESC does {name} things\n---\n\nThe {name} skill.\n"),
    );
    sb.write(
        &format!("plugins/{name}/agents/{name}-agent.md"),
        &format!(
            "---\nname: {name}-agent\ndescription: {upper}-AGENT-DESC helps with {name}\ntools: Bash\n---\n\nYou are the {name} agent.\n"
        ),
    );
    sb.write(
        &format!("plugins/{name}/commands/{name}-cmd.md"),
        &format!("---\ndescription: {upper}-CMD-DESC runs {name}\n---\n\nDo {name} with $ARGUMENTS.\n"),
    );
    fs::copy(common::repo_root().join("tests/support/mcp_server.py"), sb.path(&format!("plugins/{name}/mcp_server.py"))).unwrap();
    sb.write(
        &format!("plugins/{name}/.mcp.json"),
        &format!(
            r#"{{"mcpServers": {{"{name}-mcp": {{"command": "python3", "args": ["${{CLAUDE_PLUGIN_ROOT}}/mcp_server.py", "{upper}-MCP-DESC"]}}}}}}"#
        ),
    );
}

fn team(sb: &Sandbox, plugins: &[&str]) {
    let text: String = plugins.iter().map(|p| format!("{p} = {{ path = \"../plugins/{p}\" }}\n")).collect();
    sb.write("team/paii.toml", &format!("[plugins]\n{text}"));
}

/// What Claude Code shows the model of one [`items_plugin`]: its skill, agent
/// and command in the lists of the system reminder, its MCP tool by name.
fn shows(turn: &Turn, name: &str) -> [bool; 4] {
    let sent = turn.sent();
    let upper = name.to_uppercase();
    [
        sent.contains(&format!("- {name}-skill: {upper}-SKILL-DESC")),
        sent.contains(&format!("- {name}-agent: {upper}-AGENT-DESC")),
        sent.contains(&format!("- {name}-cmd: {upper}-CMD-DESC")),
        sent.contains(&format!("mcp__{name}-mcp__ping")),
    ]
}

/// A plugin's MCP servers get the secrets it declares in `[secrets]` from
/// `$PAII_HOME/.env` while Claude Code's config holds only the `${VAR}`
/// references the plugin wrote: Claude Code starts the stdio server through
/// `paii mcp exec` (it refuses to start without the right token) and asks
/// `paii mcp headers` for the HTTP server's Authorization header (the
/// server answers 401 without it), at the endpoint the team's config gives
/// the plugin (`${user_config.endpoint}`). Both servers' tools reach the
/// model.
#[test]
fn mcp_servers_get_their_plugins_secrets_from_dotenv_and_no_value_is_written() {
    use sha2::Digest;
    use std::io::BufRead;
    let sb = Sandbox::new();
    let token = "tok-5ecret-4-mcp";
    let seen = sb.path("seen-authorization");
    let mut http = std::process::Command::new("python3")
        .arg(common::repo_root().join("tests/support/mcp_http_server.py"))
        .arg(format!("Bearer {token}"))
        .arg(&seen)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut port = String::new();
    std::io::BufReader::new(http.stdout.take().unwrap()).read_line(&mut port).unwrap();
    let port = port.trim().to_string();

    // The HTTP server's endpoint is the plugin's config, set by the team.
    sb.write(
        "plugins/vault/plugin.toml",
        "[plugin]\nname = \"vault\"\nversion = \"1.0.0\"\n\n[config]\nendpoint = { type = \"string\", default = \"http://127.0.0.1:9/mcp\" }\n\n[secrets]\nrequired = [\"PING_TOKEN\"]\n",
    );
    fs::copy(common::repo_root().join("tests/support/mcp_server.py"), sb.path("plugins/vault/mcp_server.py")).unwrap();
    let sha = crate_hex(&sha2::Sha256::digest(token.as_bytes()));
    sb.write(
        "plugins/vault/.mcp.json",
        &format!(
            r#"{{"mcpServers": {{
  "vault-stdio": {{"command": "python3", "args": ["${{CLAUDE_PLUGIN_ROOT}}/mcp_server.py", "STDIO-MCP-DESC", "--token-sha256", "{sha}"], "env": {{"PING_TOKEN": "${{PING_TOKEN}}"}}}},
  "vault-http": {{"type": "http", "url": "${{user_config.endpoint}}", "headers": {{"Authorization": "Bearer ${{PING_TOKEN}}"}}}}
}}}}"#
        ),
    );
    team(&sb, &["vault"]);
    let manifest = sb.read("team/paii.toml");
    sb.write("team/paii.toml", &format!("{manifest}\n[config.vault]\nendpoint = \"http://127.0.0.1:{port}/mcp\"\n"));
    sb.write("paii-home/.env", &format!("PING_TOKEN={token}\n"));
    sb.paii_in("team", &["sync"]).ok();
    let claude = fs::read_to_string(sb.path("claude/.claude.json")).unwrap();
    assert!(claude.contains("Bearer ${PING_TOKEN}") && claude.contains(r#""PING_TOKEN": "${PING_TOKEN}""#), "{claude}");

    let work = sb.path("work");
    fs::create_dir_all(&work).unwrap();
    let api = MessagesApi::start(Script::Text);
    let turn = run(&sb, &api, &work, "hello", "Bash");
    let _ = http.kill();
    let _ = http.wait();
    assert_clean(&turn);
    let sent = turn.sent();
    assert!(sent.contains("mcp__vault-stdio__ping"), "the stdio server started with its token:\n{}", turn.debug);
    assert!(sent.contains("mcp__vault-http__ping"), "the HTTP server accepted the header:\n{}", turn.debug);
    let headers = fs::read_to_string(&seen).unwrap_or_default();
    assert!(headers.lines().any(|l| l == format!("Bearer {token}")), "{headers}");

    let env_file = sb.home().join(".env");
    for dir in [sb.home(), sb.path("claude")] {
        for f in common::files_under(&dir).into_iter().filter(|f| *f != env_file) {
            let bytes = fs::read(&f).unwrap_or_default();
            assert!(!bytes.windows(token.len()).any(|w| w == token.as_bytes()), "the token is in {}", f.display());
        }
    }
}

fn crate_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Skills, agents, commands and MCP servers installed by paii appear in
/// Claude Code's request; after `paii rollback` exactly the previous
/// generation's set does; after `paii deactivate` none of them, while the
/// user's own settings, skills and hooks still work.
#[test]
fn claude_code_sees_what_each_generation_installs_and_nothing_after_deactivate() {
    let sb = Sandbox::new();
    items_plugin(&sb, "alpha");
    items_plugin(&sb, "beta");
    // The user's own: a skill, a settings key (an environment variable for
    // hooks and tools) and a SessionStart hook that uses it.
    sb.write("claude/skills/user-skill/SKILL.md", "---\nname: user-skill\ndescription: USER-SKILL-DESC is mine\n---\n\nMine.\n");
    sb.write(
        "claude/settings.json",
        r#"{
  "env": { "USER_MARK": "kept-by-paii" },
  "hooks": {
    "SessionStart": [ { "hooks": [ { "type": "command", "command": "echo \"$USER_MARK\" >> \"$HOME/user-hook-ran\"" } ] } ]
  }
}
"#,
    );
    let work = sb.path("work");
    fs::create_dir_all(&work).unwrap();
    let api = MessagesApi::start(Script::Text);
    let user_hook_runs =
        || fs::read_to_string(sb.path("home/user-hook-ran")).unwrap_or_default().lines().filter(|l| *l == "kept-by-paii").count();

    team(&sb, &["alpha"]);
    sb.paii_in("team", &["sync"]).ok();
    team(&sb, &["alpha", "beta"]);
    sb.paii_in("team", &["sync"]).ok();
    let turn = run(&sb, &api, &work, "hello", "Bash");
    assert_clean(&turn);
    assert_eq!(shows(&turn, "alpha"), [true; 4], "generation 2 shows alpha\n{}", turn.sent());
    assert_eq!(shows(&turn, "beta"), [true; 4], "generation 2 shows beta");
    assert!(turn.sent().contains("- user-skill: USER-SKILL-DESC"));
    assert!(turn.debug.contains(r#"MCP server "alpha-mcp": Successfully connected"#), "the MCP server started");
    assert_eq!(user_hook_runs(), 1);

    sb.paii_in("team", &["rollback"]).ok();
    let turn = run(&sb, &api, &work, "hello", "Bash");
    assert_clean(&turn);
    assert_eq!(shows(&turn, "alpha"), [true; 4], "generation 1 shows alpha");
    assert_eq!(shows(&turn, "beta"), [false; 4], "generation 1 has no beta");
    assert_eq!(user_hook_runs(), 2);

    sb.paii_in("team", &["deactivate"]).ok();
    let turn = run(&sb, &api, &work, "hello", "Bash");
    assert_clean(&turn);
    assert_eq!(shows(&turn, "alpha"), [false; 4], "nothing of paii's after deactivate");
    assert_eq!(shows(&turn, "beta"), [false; 4]);
    assert!(turn.sent().contains("- user-skill: USER-SKILL-DESC"), "the user's skill is still there");
    assert_eq!(user_hook_runs(), 3, "the user's hook and settings still work");
}

/// A repository's committed paii.toml with `scope = "project"`, synced in
/// the repository, and a user-scope paii.toml synced too: Claude Code
/// started in the repository loads the project's skill, agent, command, MCP
/// server and hook (from `.claude/` and `settings.local.json`, the MCP
/// server from the project's entry in `.claude.json`) and the user's as
/// well; started in another directory, only the user's; started in a
/// worktree synced on its own, the worktree's.
#[test]
fn a_project_synced_by_paii_loads_in_its_repository_beside_the_users_plugins_and_nowhere_else() {
    let sb = Sandbox::new();
    for scope in ["proj", "usr"] {
        items_plugin(&sb, scope);
        hook_plugin(&sb, &format!("{scope}hook"), "user_prompt_submit = true", &format!("echo {scope} >> \"$HOME/hooks-ran\""));
    }
    team(&sb, &["usr", "usrhook"]);
    sb.paii_in("team", &["sync"]).ok();
    let repo = sb.path("repo");
    fs::create_dir_all(&repo).unwrap();
    common::git(&repo, &["init", "-q"]);
    sb.write(
        "repo/paii.toml",
        "[paii]\nscope = \"project\"\n\n[plugins]\nproj = { path = \"../plugins/proj\" }\nprojhook = { path = \"../plugins/projhook\" }\n",
    );
    common::git(&repo, &["add", "paii.toml"]);
    common::git(&repo, &["commit", "-qm", "team config"]);
    sb.paii_in("repo", &["sync"]).ok();
    let hooks_ran = || {
        let text = fs::read_to_string(sb.path("home/hooks-ran")).unwrap_or_default();
        let _ = fs::remove_file(sb.path("home/hooks-ran"));
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        lines.sort();
        lines
    };
    let api = MessagesApi::start(Script::Text);

    let turn = run(&sb, &api, &repo, "hello", "Bash");
    assert_clean(&turn);
    assert_eq!(shows(&turn, "proj"), [true; 4], "the project's skill, agent, command and MCP tool\n{}", turn.sent());
    assert_eq!(shows(&turn, "usr"), [true; 4], "the user's too");
    assert_eq!(hooks_ran(), ["proj", "usr"], "both scopes' hooks ran");

    let other = sb.path("other");
    fs::create_dir_all(&other).unwrap();
    let turn = run(&sb, &api, &other, "hello", "Bash");
    assert_clean(&turn);
    assert_eq!(shows(&turn, "proj"), [false; 4], "nothing of the project's outside it");
    assert_eq!(shows(&turn, "usr"), [true; 4]);
    assert_eq!(hooks_ran(), ["usr"]);

    // A worktree of the repository is a project of its own, whose MCP
    // servers Claude Code reads from the repository's entry.
    sb.paii_in("repo", &["deactivate"]).ok();
    common::git(&repo, &["worktree", "add", "-q", "../wt"]);
    sb.paii_in("wt", &["sync"]).ok();
    let turn = run(&sb, &api, &sb.path("wt"), "hello", "Bash");
    assert_clean(&turn);
    assert_eq!(shows(&turn, "proj"), [true; 4], "the worktree's project\n{}", turn.sent());
    assert_eq!(hooks_ran(), ["proj", "usr"]);
}

/// A user's own settings.json hook and paii's hooks on the same event both
/// run.
#[test]
fn a_users_own_hook_and_paiis_hooks_on_one_event_both_run() {
    let sb = Sandbox::new();
    hook_plugin(&sb, "tracer", "pre_tool_use = { matcher = \"Bash\" }", "cat > \"$HOME/paii-hook-input.json\"");
    sb.write(
        "claude/settings.json",
        r#"{ "hooks": { "PreToolUse": [ { "matcher": "Bash", "hooks": [ { "type": "command", "command": "cat > \"$HOME/user-hook-input.json\"" } ] } ] } }
"#,
    );
    team(&sb, &["tracer"]);
    sb.paii_in("team", &["sync"]).ok();
    let work = sb.path("work");
    fs::create_dir_all(&work).unwrap();
    let api = MessagesApi::start(Script::Bash("ls".into()));
    let turn = run(&sb, &api, &work, "list", "Bash");
    assert_clean(&turn);
    for who in ["user", "paii"] {
        let input: Value = serde_json::from_str(&sb.read(&format!("home/{who}-hook-input.json"))).unwrap();
        assert_eq!(input["tool_input"]["command"], "ls", "the {who} hook ran on the Bash call");
        assert_eq!(input["session_id"], turn.json["session_id"]);
    }
    let settings: Value = serde_json::from_str(&sb.read("claude/settings.json")).unwrap();
    assert_eq!(settings["hooks"]["PreToolUse"].as_array().unwrap().len(), 2, "the user's entry and paii's");
}

/// A `session_start` handler's `additionalContext` and a
/// `user_prompt_submit` handler's reach the model; a `user_prompt_submit`
/// block stops the prompt before any request.
#[test]
fn hook_context_reaches_the_model_and_a_prompt_block_stops_the_prompt() {
    let sb = Sandbox::new();
    hook_plugin(
        &sb,
        "context",
        "session_start = true\nuser_prompt_submit = true",
        r#"input=$(cat)
case "$2" in
  session-start) printf '{"hookSpecificOutput":{"hookEventName":"SessionStart","additionalContext":"PAII-SESSION-CONTEXT-7f3a"}}' ;;
  user-prompt-submit)
    case "$input" in *forbidden*) echo "forbidden prompts are refused" >&2; exit 2 ;; esac
    printf '{"hookSpecificOutput":{"hookEventName":"UserPromptSubmit","additionalContext":"PAII-PROMPT-CONTEXT-9c1d"}}' ;;
esac"#,
    );
    team(&sb, &["context"]);
    sb.paii_in("team", &["sync"]).ok();
    let work = sb.path("work");
    fs::create_dir_all(&work).unwrap();
    let api = MessagesApi::start(Script::Text);
    let turn = run(&sb, &api, &work, "hello there", "Bash");
    assert_clean(&turn);
    assert!(turn.sent().contains("PAII-SESSION-CONTEXT-7f3a"), "session context reached the model:\n{}", turn.sent());
    assert!(turn.sent().contains("PAII-PROMPT-CONTEXT-9c1d"), "prompt context reached the model");

    let turn = run(&sb, &api, &work, "do the forbidden thing", "Bash");
    assert_eq!(turn.code, 0, "{}", turn.stderr);
    assert!(turn.requests.is_empty(), "a blocked prompt makes no request: {:?}", turn.requests);
    assert_eq!(turn.json["num_turns"], 0);
    let result = turn.json["result"].as_str().unwrap_or_default();
    assert!(result.contains("context: forbidden prompts are refused"), "{result}");
    assert!(turn.config_errors().is_empty(), "{:?}", turn.config_errors());
}

/// A handler that hangs with a short timeout: Claude Code's turn completes
/// well inside its own hook timeout, and the handler is gone.
#[test]
fn a_hanging_handler_is_killed_on_time_and_the_turn_completes() {
    let sb = Sandbox::new();
    hook_plugin(
        &sb,
        "hang",
        "pre_tool_use = { matcher = \"Bash\", timeout_ms = 1000 }",
        "echo $$ > \"$HOME/hang.pid\"\nsleep 60 &\nsleep 60",
    );
    team(&sb, &["hang"]);
    sb.paii_in("team", &["sync"]).ok();
    let settings: Value = serde_json::from_str(&sb.read("claude/settings.json")).unwrap();
    let claude_timeout = settings["hooks"]["PreToolUse"][0]["hooks"][0]["timeout"].as_u64().unwrap();
    let work = sb.path("work");
    fs::create_dir_all(&work).unwrap();
    fs::write(work.join("still-listed.txt"), "x").unwrap();
    let api = MessagesApi::start(Script::Bash("ls".into()));
    let turn = run(&sb, &api, &work, "list", "Bash");
    assert_clean(&turn);
    let results = turn.tool_results();
    assert!(results.len() == 1 && results[0].0.contains("still-listed.txt"), "a timed-out handler allows: {results:?}");
    let pid = sb.read("home/hang.pid").trim().to_string();
    assert!(!Path::new(&format!("/proc/{pid}")).exists(), "the handler {pid} is gone");
    let line = audit(&sb).pop().unwrap();
    assert!(line["handlers"][0]["error"].as_str().unwrap_or_default().contains("timed out"), "{line}");
    // paii ended the hook, not Claude Code: the dispatch returned well
    // inside Claude Code's own timeout. (Timed by paii itself, since the
    // turn's wall time includes the client's start, which a loaded
    // machine stretches by seconds.)
    let took = line["duration_ms"].as_u64().unwrap();
    assert!(took < claude_timeout * 1000 - 2000, "the dispatch took {took} ms; Claude Code's own hook timeout is {claude_timeout} s");
}

/// The suite's error check is not vacuous: a hook entry Claude Code cannot
/// read is reported, and would fail every scenario above.
#[test]
fn the_configuration_check_sees_a_broken_hook_entry() {
    let sb = Sandbox::new();
    sb.write("claude/settings.json", r#"{ "hooks": { "PreToolUse": { "matcher": "Bash" } } }"#);
    let work = sb.path("work");
    fs::create_dir_all(&work).unwrap();
    let api = MessagesApi::start(Script::Text);
    let turn = run(&sb, &api, &work, "hello", "Bash");
    let errors = turn.config_errors();
    assert!(errors.iter().any(|e| e.contains("PreToolUse")), "{errors:?}");
}

/// A Claude Code plugin installed by paii is loaded by Claude Code as that
/// plugin: its skill, agent, command and MCP tool appear in the request
/// under its namespace (`native:native-skill`,
/// `mcp__plugin_native_native-mcp__ping`); its Python hook, matched by
/// Claude Code and run through paii, blocks a dangerous Bash command by
/// printing Claude Code's JSON decision; a SessionStart hook whose matcher
/// is `resume` does not fire on a new session while one with `startup`
/// does, and gets the option the team's paii.toml set (from its
/// environment, and as an exec-form argument); a `prompt` hook raises no
/// configuration error.
#[test]
fn a_claude_code_plugin_installed_by_paii_works_inside_claude_code() {
    let sb = Sandbox::new();
    let dir = "plugins/native";
    sb.write(
        &format!("{dir}/.claude-plugin/plugin.json"),
        r#"{"name": "native", "description": "a Claude Code plugin", "userConfig": {"stamp": {"type": "string", "title": "Stamp", "description": "d", "default": "x"}}}"#,
    );
    sb.write(&format!("{dir}/skills/native-skill/SKILL.md"), "---\nname: native-skill\ndescription: NATIVE-SKILL-DESC\n---\nBody.\n");
    sb.write(
        &format!("{dir}/agents/native-agent.md"),
        "---\nname: native-agent\ndescription: NATIVE-AGENT-DESC\ntools: Bash\n---\nBody.\n",
    );
    sb.write(&format!("{dir}/commands/native-cmd.md"), "---\ndescription: NATIVE-CMD-DESC\n---\nDo it.\n");
    fs::copy(common::repo_root().join("tests/support/mcp_server.py"), sb.path(&format!("{dir}/mcp_server.py"))).unwrap();
    sb.write(
        &format!("{dir}/.mcp.json"),
        r#"{"mcpServers": {"native-mcp": {"command": "python3", "args": ["${CLAUDE_PLUGIN_ROOT}/mcp_server.py", "NATIVE-MCP-DESC"]}}}"#,
    );
    sb.write(
        &format!("{dir}/hooks/guard.py"),
        "import json, sys\nevent = json.load(sys.stdin)\nif 'rm -rf' in event.get('tool_input', {}).get('command', ''):\n    print(json.dumps({'hookSpecificOutput': {'hookEventName': 'PreToolUse', 'permissionDecision': 'deny', 'permissionDecisionReason': 'native plugin refuses rm -rf'}}))\n",
    );
    sb.write(
        &format!("{dir}/hooks/hooks.json"),
        r#"{"hooks": {
  "PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "python3 \"${CLAUDE_PLUGIN_ROOT}/hooks/guard.py\""}]}],
  "PreCompact": [{"hooks": [{"type": "prompt", "prompt": "Summarise what matters: $ARGUMENTS"}]}],
  "SessionStart": [
    {"matcher": "startup", "hooks": [{"type": "command", "once": true, "command": "sh", "args": ["-c", "cat > /dev/null; echo \"$CLAUDE_PLUGIN_OPTION_STAMP $1\" > \"$HOME/stamp\"", "_", "${user_config.stamp}"]}]},
    {"matcher": "resume", "hooks": [{"type": "command", "command": "touch \"$HOME/resumed\""}]}
  ]
}}"#,
    );
    sb.write("team/paii.toml", "[plugins]\nnative = { path = \"../plugins/native\" }\n\n[config.native]\nstamp = \"TEAM-STAMP\"\n");
    sb.paii_in("team", &["sync"]).ok();

    let work = sb.path("work");
    fs::create_dir_all(&work).unwrap();
    let api = MessagesApi::start(Script::Bash("rm -rf ./build".into()));
    let turn = run(&sb, &api, &work, "clean the build", "Bash");
    assert_clean(&turn);
    let sent = turn.sent();
    for item in
        ["- native:native-skill: NATIVE-SKILL-DESC", "- native:native-agent: NATIVE-AGENT-DESC", "- native:native-cmd: NATIVE-CMD-DESC"]
    {
        assert!(sent.contains(item), "{item:?} is not in Claude Code's request:\n{sent}");
    }
    assert!(sent.contains("mcp__plugin_native_native-mcp__ping"), "{sent}");
    let denials = turn.json["permission_denials"].as_array().unwrap();
    assert_eq!(denials.len(), 1, "{:#}", turn.json);
    let results = turn.tool_results();
    assert!(results[0].1 && results[0].0.contains("native plugin refuses rm -rf"), "{results:?}");
    // Claude Code matched SessionStart's matchers; the hook got the option
    // the team set, both ways it can ask.
    assert_eq!(sb.read("home/stamp"), "TEAM-STAMP TEAM-STAMP\n", "{}", turn.debug);
    assert!(!sb.path("home/resumed").exists(), "a `resume` hook does not fire on a new session");
    let handled: Vec<Value> = audit(&sb).into_iter().filter(|l| l["hook"].is_string()).collect();
    assert!(handled.iter().any(|l| l["event"] == "pre-tool-use" && l["session"] == turn.json["session_id"]), "{handled:#?}");
}

/// A Claude Code plugin whose hooks Claude Code runs itself (`dispatch =
/// false`) gets the option the team's paii.toml set as Claude Code gives
/// its hooks options: from `pluginConfigs`, which paii writes.
#[test]
fn a_plugin_with_hooks_left_to_claude_code_gets_its_options_from_claude_code() {
    let sb = Sandbox::new();
    sb.write(
        "plugins/plain/.claude-plugin/plugin.json",
        r#"{"name": "plain", "userConfig": {"stamp": {"type": "string", "title": "Stamp", "description": "d", "default": "x"}}}"#,
    );
    sb.write(
        "plugins/plain/hooks/hooks.json",
        r#"{"hooks": {"SessionStart": [{"hooks": [{"type": "command", "command": "sh", "args": ["-c", "cat > /dev/null; echo \"$CLAUDE_PLUGIN_OPTION_STAMP $1\" > \"$HOME/stamp\"", "_", "${user_config.stamp}"]}]}]}}"#,
    );
    sb.write(
        "team/paii.toml",
        "[plugins]\nplain = { path = \"../plugins/plain\", dispatch = false }\n\n[config.plain]\nstamp = \"TEAM-STAMP\"\n",
    );
    sb.paii_in("team", &["sync"]).ok();
    let work = sb.path("work");
    fs::create_dir_all(&work).unwrap();
    let api = MessagesApi::start(Script::Text);
    let turn = run(&sb, &api, &work, "hello", "Bash");
    assert_clean(&turn);
    assert_eq!(sb.read("home/stamp"), "TEAM-STAMP TEAM-STAMP\n", "{}", turn.debug);
    assert!(audit(&sb).iter().all(|l| !l["hook"].is_string()), "Claude Code ran it, not paii");
}

/// A Claude Code marketplace (built as a git repository) used as a paii
/// registry: its Python hook blocks `rm -rf` inside Claude Code; its skills
/// (a `strict: false` entry), agent and commands (one through a
/// dependency) and MCP tool appear in Claude Code's request, each under its
/// plugin's namespace; its `prompt` hook raises no configuration error; and
/// Claude Code's own copy, enabled before, is turned off.
#[test]
fn a_marketplace_synced_by_paii_works_inside_claude_code() {
    let sb = Sandbox::new();
    common::marketplace::marketplace_repo(&sb.path("repos/acme"));
    let url = format!("file://{}", sb.path("repos/acme").display());
    sb.write("claude/settings.json", r#"{"enabledPlugins": {"guard@acme-tools": true}}"#);
    sb.write(
        "team/paii.toml",
        &format!(
            "[registries]\nacme-tools = {{ marketplace = \"{url}\" }}\n\n[plugins]\nguard = \"*\"\ndoc-skills = \"*\"\ndocs-mcp = \"*\"\nnudge = \"*\"\nlint = \"*\"\n"
        ),
    );
    sb.paii_in("team", &["sync"]).ok();
    let settings: Value = serde_json::from_str(&sb.read("claude/settings.json")).unwrap();
    assert_eq!(settings["enabledPlugins"]["guard@acme-tools"], false, "{settings:#}");

    let work = sb.path("work");
    fs::create_dir_all(work.join("build")).unwrap();
    let api = MessagesApi::start(Script::Bash("rm -rf ./build".into()));
    let turn = run(&sb, &api, &work, "clean the build", "Bash");
    assert_clean(&turn);
    let sent = turn.sent();
    for item in [
        "- doc-skills:pdf: Reads and writes PDF files",
        "- doc-skills:xlsx: Reads and writes spreadsheets",
        "- review:reviewer: Reviews a change for defects",
        "- review:review: Review the current diff",
        "- lint:lint: Lint the project",
        "mcp__plugin_docs-mcp_acme-docs__ping",
    ] {
        assert!(sent.contains(item), "{item:?} is not in Claude Code's request:\n{sent}");
    }
    assert!(!sent.contains("unlisted"), "a `strict: false` entry has only the skills it lists:\n{sent}");
    let denials = turn.json["permission_denials"].as_array().unwrap();
    assert_eq!(denials.len(), 1, "{:#}", turn.json);
    let results = turn.tool_results();
    assert!(results[0].1 && results[0].0.contains("guard: refusing a recursive delete"), "{results:?}");
    assert!(work.join("build").is_dir(), "the command did not run");
}

/// A Claude Code plugin in a project's paii.toml is loaded by Claude Code
/// started in the repository, namespaced (`.claude/skills/<name>`, the
/// project being the user's to trust, as all of its settings are), its
/// hook run through paii with the project's generation; elsewhere it is
/// not there.
#[test]
fn a_claude_code_plugin_of_a_project_loads_in_its_repository() {
    let sb = Sandbox::new();
    let repo = sb.path("repo");
    fs::create_dir_all(&repo).unwrap();
    common::git(&repo, &["init", "-q"]);
    common::marketplace::write_marketplace(&sb.path("acme"));
    sb.write(
        "repo/paii.toml",
        &format!(
            "[paii]\nscope = \"project\"\n\n[registries]\nacme = {{ marketplace = \"{}\" }}\n\n[plugins]\nguard = \"*\"\nreview = \"*\"\n",
            sb.path("acme").display()
        ),
    );
    sb.paii_in("repo", &["sync"]).ok();
    assert!(sb.path("repo/.claude/skills/review/agents/reviewer.md").is_file());
    // The workspace trusted, as a person would.
    let config = serde_json::json!({"projects": {repo.display().to_string(): {"hasTrustDialogAccepted": true}}});
    sb.write("claude/.claude.json", &config.to_string());
    fs::create_dir_all(repo.join("build")).unwrap();
    let api = MessagesApi::start(Script::Bash("rm -rf ./build".into()));
    let turn = run(&sb, &api, &repo, "clean the build", "Bash");
    assert_clean(&turn);
    assert!(turn.sent().contains("- review:reviewer: Reviews a change for defects"), "{}", turn.sent());
    let results = turn.tool_results();
    assert!(results[0].1 && results[0].0.contains("guard: refusing a recursive delete"), "{results:?}");
    assert!(repo.join("build").is_dir(), "the command did not run");
    let handled = audit(&sb).into_iter().filter(|l| l["hook"] == "guard#0").count();
    assert_eq!(handled, 1, "the hook ran through paii");

    let other = sb.path("other");
    fs::create_dir_all(&other).unwrap();
    api.script(Script::Text);
    let turn = run(&sb, &api, &other, "hello", "Bash");
    assert_clean(&turn);
    assert!(!turn.sent().contains("review:reviewer"), "nothing of the project's outside it");
}

/// The security plugin judges every tool Claude Code asks about, inside the
/// real client: its Read tool on a private key is denied, and a slash
/// command's `!` shell line that would print it (Claude Code's
/// PreSkillShellCommand, routed by paii) never runs.
#[test]
fn security_denies_reading_a_key_through_the_read_tool_and_a_commands_shell_line() {
    let sb = Sandbox::with_demo();
    sb.write("paii-home/.env", "PAGERDUTY_USER_API_KEY=u+offline-test-key\n");
    sb.paii_in("fixtures/demo", &["sync"]).ok();
    let work = sb.path("work");
    fs::create_dir_all(work.join(".claude/commands")).unwrap();
    let key = sb.path("home/.ssh/id_ed25519");
    fs::create_dir_all(key.parent().unwrap()).unwrap();
    fs::write(&key, "-----BEGIN OPENSSH PRIVATE KEY-----\nsecret\n").unwrap();

    let api = MessagesApi::start(Script::Tool("Read".into(), serde_json::json!({"file_path": key})));
    let turn = run(&sb, &api, &work, "show me my key", "Read");
    assert_clean_offline(&turn, &["mcp.pagerduty.com"]);
    let results = turn.tool_results();
    assert_eq!(results.len(), 1, "{results:?}");
    assert!(results[0].1 && results[0].0.contains("credential"), "the Read is denied with the reason: {results:?}");
    assert!(!turn.sent().contains("secret\\n"), "the key never reached the model");

    // Claude Code's own check already refuses `rm -rf ~` in a command; a
    // line it allows (`allowed-tools: Bash(cat:*)`) that prints the key is
    // refused by the plugin, through paii.
    fs::write(work.join(".claude/commands/leak.md"), "---\nallowed-tools: Bash(cat:*)\n---\nKey: !`cat ~/.ssh/id_ed25519`\nSay done.\n")
        .unwrap();
    api.script(Script::Text);
    let turn = run(&sb, &api, &work, "/leak", "Bash");
    let line = audit(&sb).into_iter().rfind(|l| l["event"] == "pre-skill-shell-command");
    assert_eq!(line.as_ref().map(|l| l["decision"].clone()), Some(Value::from("block")), "paii dispatched the shell line: {:#}", turn.json);
    assert!(!turn.sent().contains("BEGIN OPENSSH"), "the key never reached the model");
    assert!(!turn.json["result"].as_str().unwrap_or_default().contains("BEGIN OPENSSH"), "{:#}", turn.json);
}

/// Memory that learns, under the real client: a decision the user states
/// in one session is queued by paii (history is an observer: no process on
/// the hot path), extracted by history when Stop drains its spool, and the
/// next session in the same directory starts with its body in the context
/// the hooks plugin gives the model.
#[test]
fn a_decision_stated_in_one_session_reaches_the_model_in_the_next() {
    let sb = Sandbox::with_demo();
    sb.paii_in("fixtures/demo", &["sync"]).ok();
    let work = sb.path("work");
    fs::create_dir_all(&work).unwrap();
    let api = MessagesApi::start(Script::Text);

    let turn = run(&sb, &api, &work, "Going forward, let's use fakeredis everywhere in the test suite: CI has no Redis server.", "Bash");
    // No PagerDuty key in .env: `paii mcp headers` refuses to send an empty
    // credential, and Claude Code says that server cannot connect; nothing
    // else is wrong.
    assert_eq!((turn.code, &turn.json["is_error"]), (0, &Value::Bool(false)), "{:#}", turn.json);
    let errors = turn.config_errors();
    assert!(errors.iter().any(|e| e.contains("headersHelper for MCP server 'pagerduty'")), "{errors:#?}");
    assert!(errors.iter().all(|e| e.contains("pagerduty")), "{errors:#?}");
    let prompt = audit(&sb).into_iter().find(|l| l["event"] == "user-prompt-submit").unwrap();
    let history = prompt["handlers"].as_array().unwrap().iter().find(|h| h["plugin"] == "history").unwrap();
    assert_eq!(history["decision"], "queued", "{prompt:#}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let filed = loop {
        let filed: String =
            common::files_under(&sb.home().join("history/decisions")).iter().map(|f| fs::read_to_string(f).unwrap_or_default()).collect();
        // The drain's audit line is written once the drain has ended,
        // after history filed what it drained.
        let drained = audit(&sb).iter().any(|l| l["event"] == "drain" && l["handlers"][0]["plugin"] == "history");
        if filed.contains("fakeredis") && drained || std::time::Instant::now() > deadline {
            break filed;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(filed.contains("fakeredis everywhere"), "history filed the decision from the transcript:\n{filed}");
    assert!(audit(&sb).iter().any(|l| l["event"] == "drain" && l["handlers"][0]["plugin"] == "history"), "Stop drained the spool");

    sb.write("paii-home/.env", "PAGERDUTY_USER_API_KEY=u+offline-test-key\n");
    let turn = run(&sb, &api, &work, "which Redis do the tests use?", "Bash");
    assert_clean_offline(&turn, &["mcp.pagerduty.com"]);
    let sent = turn.sent();
    assert!(sent.contains("What this project learned and decided (from history"), "the hooks plugin's memory reaches the model");
    assert!(sent.contains("fakeredis everywhere in the test suite"), "with the decision's body, not only a title");
}

/// With `[policy] require-approval`, a plugin from git with a skill, an
/// agent, a command, an MCP server and a PreToolUse hook is installed held:
/// inside Claude Code its skill, agent and command show, its MCP server
/// does not, and its hook does not run (the command it would deny runs).
/// After `paii approve`, Claude Code shows all four and the hook denies the
/// command.
#[test]
fn a_plugin_awaiting_approval_shows_its_skill_but_runs_nothing_in_claude_code_until_approved() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    items_plugin(&sb, "gamma");
    sb.write(
        "plugins/gamma/plugin.toml",
        "[plugin]\nname = \"gamma\"\nversion = \"1.0.0\"\n\n[hooks]\npre_tool_use = { matcher = \"Bash\" }\n\n[run]\ncommand = [\"h.sh\"]\n",
    );
    let h = sb.write(
        "plugins/gamma/h.sh",
        "#!/bin/sh\nif grep -q 'touch gamma-ran'; then echo 'gamma: not in this repository' >&2; exit 2; fi\nexit 0\n",
    );
    fs::set_permissions(h, fs::Permissions::from_mode(0o755)).unwrap();
    let repo = sb.path("plugins/gamma");
    common::git(&repo, &["init", "-q", "-b", "main"]);
    common::git(&repo, &["add", "-A"]);
    common::git(&repo, &["commit", "-q", "-m", "gamma"]);
    sb.write(
        "team/paii.toml",
        &format!("[policy]\nrequire-approval = true\n\n[plugins]\ngamma = {{ git = \"file://{}\", rev = \"main\" }}\n", repo.display()),
    );
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("gamma 1.0.0 (new)"), "{}", out.stderr);
    let work = sb.path("work");
    fs::create_dir_all(&work).unwrap();
    let api = MessagesApi::start(Script::Bash("touch gamma-ran".into()));

    let turn = run(&sb, &api, &work, "mark it", "Bash");
    assert_clean(&turn);
    assert_eq!(shows(&turn, "gamma"), [true, true, true, false], "held: skill, agent and command, no MCP server\n{}", turn.sent());
    assert_eq!(turn.json["permission_denials"], serde_json::json!([]), "held: its hook does not run");
    assert!(work.join("gamma-ran").exists(), "the command ran");
    fs::remove_file(work.join("gamma-ran")).unwrap();

    sb.paii_in("team", &["approve", "gamma"]).ok();
    let turn = run(&sb, &api, &work, "mark it", "Bash");
    assert_clean(&turn);
    assert_eq!(shows(&turn, "gamma"), [true; 4], "approved: everything\n{}", turn.sent());
    let denials = turn.json["permission_denials"].as_array().unwrap();
    assert_eq!(denials.len(), 1, "{:#}", turn.json);
    assert!(turn.tool_results()[0].0.contains("gamma: not in this repository"), "{:?}", turn.tool_results());
    assert!(!work.join("gamma-ran").exists(), "the command did not run");
}
