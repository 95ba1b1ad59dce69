//! The first-party plugins in `plugins/`, installed through paii from the
//! core registry (`plugins/registry.toml`, pinned by integrity) as any
//! plugin is, built for real (cargo --locked, uv --locked), and judged by
//! what they do: the events they answer, the history they write, the
//! context they give Claude, the MCP servers they add.
//!
//! The builds are the slow part, so the whole file shares one sandbox (one
//! store): each test takes it in turn, writes its own team config and syncs,
//! which finds every build already made.

mod common;

use std::path::Path;
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::{Duration, Instant};

use common::{Run, Sandbox, files_under, repo_root};
use serde_json::{Value, json};

fn shared() -> MutexGuard<'static, Sandbox> {
    static SB: OnceLock<Mutex<Sandbox>> = OnceLock::new();
    // A failed test leaves the sandbox as usable as it found it.
    SB.get_or_init(|| Mutex::new(Sandbox::with_demo())).lock().unwrap_or_else(|e| e.into_inner())
}

/// Syncs `team/paii.toml`: the core registry and `body`.
fn sync(sb: &Sandbox, body: &str) {
    sb.write("team/paii.toml", &format!("[registries]\ncore = {{ path = \"../plugins/registry.toml\" }}\n\n{body}"));
    let _ = std::fs::remove_file(sb.path("team/paii.lock"));
    sb.paii_in("team", &["sync", "-q"]).ok();
}

fn bash(command: &str) -> Value {
    json!({"session_id": "s", "hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": command}, "cwd": "/tmp"})
}

/// Waits for an observer's output (its spool is drained detached).
fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(start.elapsed() < Duration::from_secs(20), "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn raw_history(sb: &Sandbox) -> Vec<Value> {
    files_under(&sb.home().join("history/raw"))
        .iter()
        .flat_map(|f| std::fs::read_to_string(f).unwrap_or_default().lines().map(str::to_string).collect::<Vec<_>>())
        .filter_map(|l| serde_json::from_str(&l).ok())
        .collect()
}

#[test]
fn security_blocks_destruction_asks_about_the_borderline_and_allows_the_rest() {
    let sb = shared();
    sync(&sb, "[plugins]\nsecurity = \"^1\"\n\n[config.security]\ndeny = ['terraform apply']\nprotected_paths = ['~/prod']\n");

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
    sync(&sb, "[plugins]\nsecurity = \"^1\"\n\n[config.security]\nfail_closed = true\n");
    let out = sb.dispatch_in("team", "PreToolUse", &unreadable);
    assert_eq!(out.code, 2, "fail_closed blocks what cannot be read: {}", out.stderr);
    // The same switch makes paii block on the plugin's crash or timeout.
    let table: Value = serde_json::from_str(&std::fs::read_to_string(sb.home().join("current/dispatch.json")).unwrap()).unwrap();
    assert_eq!(table["plugins"]["security"]["fail_closed"], true);
}

/// The README demo's config: `rm -rf ~` is blocked with the security
/// plugin's reason, `ls` is allowed, and history (an observer: its events
/// queued, no process on the hot path) writes a raw line for each when
/// Stop drains its spool.
#[test]
fn the_example_team_config_blocks_rm_rf_home_allows_ls_and_records_both() {
    let sb = shared();
    sb.paii_in("fixtures/demo", &["sync", "-q"]).ok();

    let out = sb.dispatch_in("fixtures/demo", "pre-tool-use", &bash("rm -rf ~"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("security: `rm` would delete `~` recursively"), "{}", out.stderr);
    let out = sb.dispatch_in("fixtures/demo", "pre-tool-use", &bash("ls"));
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);
    let audit = std::fs::read_to_string(sb.home().join("logs/audit.jsonl")).unwrap();
    let last: Value = serde_json::from_str(audit.lines().last().unwrap()).unwrap();
    let results = last["handlers"].as_array().unwrap();
    let history = results.iter().find(|h| h["plugin"] == "history").unwrap();
    assert_eq!(history["decision"], "queued", "{last:#}");
    let out = sb.dispatch_in("fixtures/demo", "stop", &json!({"session_id": "s", "hook_event_name": "Stop", "cwd": "/tmp"}));
    assert_eq!(out.code, 0, "{}", out.stderr);

    let lines = eventually("history's raw lines", || {
        let lines = raw_history(&sb);
        let mine: Vec<Value> = lines.into_iter().filter(|l| l["tool_name"] == "Bash" && l["session_id"] == "s").collect();
        (mine.len() >= 2).then_some(mine)
    });
    let commands: Vec<&str> = lines.iter().filter_map(|l| l["data"]["tool_input"]["command"].as_str()).collect();
    assert!(commands.contains(&"rm -rf ~") && commands.contains(&"ls"), "{lines:#?}");
    assert!(lines.iter().all(|l| l["event"] == "PreToolUse"), "{lines:#?}");
    let month = files_under(&sb.home().join("history/raw"));
    assert!(
        month.iter().any(|f| f.to_string_lossy().contains("/raw/") && f.extension().is_some_and(|e| e == "jsonl")),
        "history/raw/YYYY-MM/YYYY-MM-DD.jsonl: {month:?}"
    );

    // Python keeps the plugins' bytecode in the cache, never in the store.
    let pyc = |dir: &Path| files_under(dir).into_iter().filter(|f| f.extension().is_some_and(|e| e == "pyc")).count();
    let store_pyc: usize = std::fs::read_dir(sb.home().join("store")).unwrap().flatten().map(|e| pyc(&e.path())).sum();
    assert_eq!(store_pyc, 0, "no bytecode written into the store");
    assert!(pyc(&sb.home().join("cache/python")) > 0, "history's bytecode is cached");
}

/// The hooks plugin's SessionStart context: the generation, each plugin and
/// what it provides, and the bodies of the relevant learnings read through
/// the wired MemoryProvider (history's `context` action).
#[test]
fn hooks_tells_claude_the_generation_its_plugins_and_the_relevant_learnings() {
    let sb = shared();
    sync(&sb, "[plugins]\nhooks = \"^1\"\nhistory = \"^1\"\nsecurity = \"^1\"\n");
    sb.paii_in(
        "team",
        &[
            "run",
            "history",
            "--action",
            "record",
            "--",
            "--category",
            "learnings",
            "--title",
            "Run the migrations before the deploy",
            "--body",
            "We learned it the hard way.",
        ],
    )
    .ok();

    let out = sb.dispatch_in("team", "session-start", &json!({"session_id": "s", "hook_event_name": "SessionStart", "source": "startup"}));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let answer: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    let context = answer["hookSpecificOutput"]["additionalContext"].as_str().unwrap();
    let generation = std::fs::read_link(sb.home().join("current")).unwrap();
    let n = generation.file_name().unwrap().to_string_lossy().to_string();
    assert!(context.contains(&format!("paii generation {n} is active (3 plugins)")), "{context}");
    assert!(context.contains("- history 1.0.0: provides MemoryProvider"), "{context}");
    assert!(context.contains("- security 1.0.0: provides HookHandler"), "{context}");
    assert!(context.contains("What this project learned and decided (from history"), "{context}");
    assert!(context.contains("### Learning: Run the migrations before the deploy"), "{context}");
    assert!(context.contains("We learned it the hard way."), "the body, not only the title: {context}");
}

/// The incident plugin pages and posts through the providers the lock
/// wired (pagerduty's Events API v2 and Slack's Web API, served on
/// 127.0.0.1 as the vendors document them), with the keys from `.env`; a
/// missing key is a clear error and the record is kept; with nothing wired
/// it says so.
#[test]
fn incident_pages_and_posts_through_the_wired_integrations_and_keeps_the_record_without_a_key() {
    let sb = shared();
    let port = common::free_port();
    let log = sb.path("vendor.jsonl");
    let _vendor = common::Process::listening(
        std::process::Command::new("python3")
            .arg(common::repo_root().join("tests/support/vendor_api.py"))
            .arg(port.to_string())
            .arg(&log)
            .args(["R0UTINGKEY0123456789", "xoxb-test-token-123456"]),
        port,
        "the vendor APIs",
    );
    let requests =
        || -> Vec<Value> { std::fs::read_to_string(&log).unwrap_or_default().lines().map(|l| serde_json::from_str(l).unwrap()).collect() };
    sync(
        &sb,
        &format!(
            "[plugins]\nincident = \"^1\"\nhistory = \"^1\"\npagerduty = \"^1\"\nslack = \"^1\"\n\n[config.pagerduty]\nevents_url = \"http://127.0.0.1:{port}\"\n\n[config.slack]\napi_url = \"http://127.0.0.1:{port}/api\"\nchannel = \"#incidents\"\n"
        ),
    );

    // No keys: the incident is recorded, the page fails and says why.
    let out = sb.paii_in("team", &["run", "incident", "--action", "declare", "--severity", "SEV-2", "--title", "Checkout is down"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("PAGERDUTY_ROUTING_KEY"), "names the key: {}", out.stderr);
    assert!(requests().is_empty(), "nothing is sent without a key");
    let kept = files_under(&sb.home().join("data/incident"));
    assert!(kept.iter().any(|f| std::fs::read_to_string(f).unwrap_or_default().contains("Checkout is down")), "{kept:?}");
    let recorded = files_under(&sb.home().join("history/incidents"));
    assert!(recorded.iter().any(|f| std::fs::read_to_string(f).unwrap().contains("Checkout is down")), "{recorded:?}");

    // With the keys: paged (dedup key = the id) and posted.
    sb.write("paii-home/.env", "PAGERDUTY_ROUTING_KEY=R0UTINGKEY0123456789\nSLACK_BOT_TOKEN=xoxb-test-token-123456\n");
    std::fs::set_permissions(sb.home().join(".env"), std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let out =
        sb.paii_in("team", &["run", "incident", "--action", "declare", "--", "--severity", "SEV-1", "--title", "Payments down", "--json"]);
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
    let v: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    let id = v["id"].as_str().unwrap().to_string();
    let sent = requests();
    let page = sent.iter().find(|r| r["path"] == "/v2/enqueue").unwrap_or_else(|| panic!("{sent:#?}"));
    assert_eq!(page["body"]["event_action"], "trigger");
    assert_eq!(page["body"]["dedup_key"], id.as_str());
    assert_eq!(page["body"]["payload"]["severity"], "critical");
    let post = sent.iter().find(|r| r["path"] == "/api/chat.postMessage").unwrap_or_else(|| panic!("{sent:#?}"));
    assert_eq!(post["body"]["channel"], "#incidents");
    assert!(post["body"]["text"].as_str().unwrap().contains("Payments down"), "{post:#}");

    // Resolving it resolves the page.
    sb.paii_in("team", &["run", "incident", "--action", "resolve", "--", &id, "--note", "rolled back"]).ok();
    let resolve = requests().into_iter().find(|r| r["body"]["event_action"] == "resolve").unwrap();
    assert_eq!(resolve["body"]["dedup_key"], id.as_str());
    let list = sb.paii_in("team", &["run", "incident", "--action", "list", "--", "--all", "--json"]).ok();
    assert!(list.stdout.contains(&id) && list.stdout.contains("resolved"), "{}", list.stdout);
    // Every call is in the audit log.
    let audit = std::fs::read_to_string(sb.home().join("logs/audit.jsonl")).unwrap();
    assert!(audit.lines().any(|l| l.contains("\"event\":\"run\"") && l.contains("\"plugin\":\"pagerduty\"")), "{audit}");

    // Nothing wired: said, not pretended.
    sync(&sb, "[plugins]\nincident = \"^1\"\nhistory = \"^1\"\n");
    let out = sb.paii_in("team", &["run", "incident", "--action", "declare", "--severity", "SEV-1", "--title", "Alone"]).ok();
    assert!(out.stdout.contains("no pager is wired") || out.stderr.contains("no pager is wired"), "{}\n{}", out.stdout, out.stderr);
}

/// The integrations reach Claude Code's MCP config with their secrets as
/// `${VAR}` references; the values come from `.env` only when Claude Code
/// connects (`paii mcp headers`), and no file paii writes holds one.
#[test]
fn integrations_write_var_references_and_no_secret_value_lands_in_any_file() {
    let sb = shared();
    let (gh, pd) = ("github_pat_11AAAAAAA0secretvalue", "u+pagerdutysecretvalue");
    sb.write("paii-home/.env", &format!("GITHUB_PERSONAL_ACCESS_TOKEN={gh}\nPAGERDUTY_USER_API_KEY=\"{pd}\"\n"));
    sync(&sb, "[plugins]\ngithub = \"^1\"\njira = \"^1\"\nslack = \"^1\"\npagerduty = \"^1\"\nincident = \"^1\"\n");

    let claude: Value = serde_json::from_str(&sb.read("claude/.claude.json")).unwrap();
    let servers = &claude["mcpServers"];
    assert_eq!(servers["github"]["type"], "http");
    assert_eq!(servers["github"]["url"], "https://api.githubcopilot.com/mcp/");
    assert_eq!(servers["github"]["headers"]["Authorization"], "Bearer ${GITHUB_PERSONAL_ACCESS_TOKEN}");
    assert!(servers["github"]["headersHelper"].as_str().unwrap().ends_with(" mcp headers github"), "{servers:#}");
    assert_eq!(servers["pagerduty"]["url"], "https://mcp.pagerduty.com/mcp");
    assert_eq!(servers["pagerduty"]["headers"]["Authorization"], "Token token=${PAGERDUTY_USER_API_KEY}");
    assert_eq!(
        servers["slack"],
        json!({"type": "http", "url": "https://mcp.slack.com/mcp", "oauth": {"clientId": "1601185624273.8899143856786", "callbackPort": 3118}}),
        "OAuth with the client Slack registered for Claude Code: nothing secret"
    );
    assert_eq!(servers["atlassian"], json!({"type": "http", "url": "https://mcp.atlassian.com/v1/mcp"}), "OAuth: nothing secret");

    let headers: Value = serde_json::from_str(&sb.paii_in("team", &["mcp", "headers", "github"]).ok().stdout).unwrap();
    assert_eq!(headers, json!({"Authorization": format!("Bearer {gh}")}));
    let headers: Value = serde_json::from_str(&sb.paii_in("team", &["mcp", "headers", "pagerduty"]).ok().stdout).unwrap();
    assert_eq!(headers, json!({"Authorization": format!("Token token={pd}")}));
    // Only a server whose plugin declared secrets can be asked for them.
    sb.paii_in("team", &["mcp", "headers", "slack"]).fails();

    let env_file = sb.home().join(".env");
    for dir in [sb.home(), sb.path("claude"), sb.path("team")] {
        for f in files_under(&dir).into_iter().filter(|f| *f != env_file) {
            let bytes = std::fs::read(&f).unwrap_or_default();
            let text = String::from_utf8_lossy(&bytes);
            assert!(!text.contains(gh) && !text.contains(pd), "a secret value in {}", f.display());
        }
    }

    // An EU account: the plugin's config names the endpoint.
    sync(&sb, "[plugins]\npagerduty = \"^1\"\n\n[config.pagerduty]\nurl = \"https://mcp.eu.pagerduty.com/mcp\"\n");
    let claude: Value = serde_json::from_str(&sb.read("claude/.claude.json")).unwrap();
    assert_eq!(claude["mcpServers"]["pagerduty"]["url"], "https://mcp.eu.pagerduty.com/mcp");
    let headers: Value = serde_json::from_str(&sb.paii_in("team", &["mcp", "headers", "pagerduty"]).ok().stdout).unwrap();
    assert_eq!(headers, json!({"Authorization": format!("Token token={pd}")}));
}

/// Every plugin given empty, invalid or unexpected event JSON allows (exit
/// 0) and says why on stderr, except security, which asks (it never lets
/// through what it could not check); with `fail_closed = true` it blocks.
#[test]
fn plugins_allow_and_log_input_they_cannot_read_and_security_asks_unless_fail_closed() {
    let sb = shared();
    sync(&sb, "[plugins]\nsecurity = \"^1\"\nhistory = \"^1\"\nhooks = \"^1\"\nincident = \"^1\"\n");
    let table: Value = serde_json::from_str(&std::fs::read_to_string(sb.home().join("current/dispatch.json")).unwrap()).unwrap();
    let run = |plugin: &str, event: &str, input: &str, config: &str| -> Run {
        use std::io::Write;
        let argv: Vec<String> = serde_json::from_value(table["plugins"][plugin]["argv"].clone()).unwrap();
        let mut child = std::process::Command::new(&argv[0])
            .args(&argv[1..])
            .args(["hook", event])
            .env("PAII_HOME", sb.home())
            .env("PAII_PLUGIN_NAME", plugin)
            .env("PAII_HISTORY_DIR", sb.home().join("history"))
            .env("PAII_CONFIG", config)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
        common::run(child.wait_with_output().unwrap())
    };
    let bad = ["", "{not json", "[1, 2]", "\"a string\"", r#"{"unexpected": true}"#];
    for (plugin, event) in [("security", "pre-tool-use"), ("history", "post-tool-use"), ("history", "stop"), ("hooks", "session-start")] {
        for input in bad {
            let out = run(plugin, event, input, "{}");
            assert_eq!(out.code, 0, "{plugin} {event} with {input:?}: {}", out.stderr);
            if plugin == "security" {
                assert!(out.stdout.contains(r#""permissionDecision":"ask""#), "security asks about {input:?}: {}", out.stdout);
            } else {
                assert_eq!(out.stdout, "", "{plugin} {event} with {input:?} says nothing to Claude Code");
            }
        }
        let out = run(plugin, event, "{not json", "{}");
        assert!(!out.stderr.is_empty(), "{plugin} logs what it could not read");
    }
    for input in bad {
        let out = run("security", "pre-tool-use", input, r#"{"fail_closed": true}"#);
        assert_eq!(out.code, 2, "fail_closed with {input:?}: {}", out.stderr);
    }
}

/// The core registry pins every first-party plugin by the integrity of its
/// tree as it is now: a plugin changed without updating the registry
/// (`scripts/pin-registry.py`) fails here rather than on a user's machine.
#[test]
fn the_core_registry_is_valid_and_pins_each_plugin_as_it_is() {
    let sb = shared();
    let registry = repo_root().join("plugins/registry.toml");
    let out = sb.paii_in("team", &["registry", "validate", &registry.display().to_string(), "--fetch"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("0 errors, 0 warnings"), "{}", out.stdout);
}

/// Each plugin that embeds the SDK carries an exact copy of `sdk/`.
#[test]
fn vendored_sdk_copies_are_identical_to_sdk() {
    let root = repo_root();
    let rust = ["Cargo.toml", "src/lib.rs"];
    let mut checked = 0;
    for entry in std::fs::read_dir(root.join("plugins")).unwrap().flatten() {
        let dir = entry.path();
        if dir.join("vendor/paii-plugin").is_dir() {
            for f in rust {
                assert_eq!(
                    std::fs::read(dir.join("vendor/paii-plugin").join(f)).unwrap(),
                    std::fs::read(root.join("sdk/rust").join(f)).unwrap(),
                    "{}/vendor/paii-plugin/{f} differs from sdk/rust/{f}",
                    dir.display()
                );
                checked += 1;
            }
        }
        for py in files_under(&dir.join("src")).into_iter().filter(|p| p.file_name().is_some_and(|n| n == "paii_plugin.py")) {
            assert_eq!(
                std::fs::read(&py).unwrap(),
                std::fs::read(root.join("sdk/python/paii_plugin.py")).unwrap(),
                "{} differs from sdk/python/paii_plugin.py",
                py.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 6, "security, hooks (Rust) and history, incident (Python) embed the SDK: {checked} files checked");
}

/// `paii plugin new` in each language makes a plugin that syncs and handles
/// an event with no edits: the Rust and Python ones block a Bash command
/// their config names, the Markdown one installs its skill and command and
/// reminds Claude of them at session start.
#[test]
fn scaffolded_plugins_sync_and_handle_an_event_as_they_are() {
    let sb = shared();
    for lang in ["rust", "python", "markdown"] {
        let out = sb.paii_in("new", &["plugin", "new", &format!("my-{lang}"), "--lang", lang]);
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(sb.path(&format!("new/my-{lang}/README.md")).is_file());
    }
    sb.paii_in("new", &["plugin", "new", "my-rust", "--lang", "rust"]).fails();
    // Each comes with a test of its own, which passes as it is.
    let test = |dir: &str, cmd: &[&str]| {
        let out = std::process::Command::new(cmd[0]).args(&cmd[1..]).current_dir(sb.path(dir)).output().unwrap();
        assert!(out.status.success(), "{dir}: {cmd:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    };
    test("new/my-rust", &["cargo", "test", "--locked", "-q"]);
    test("new/my-python", &["uv", "run", "--locked", "-q", "python", "-m", "unittest", "discover", "-s", "tests"]);
    test("new/my-markdown", &["sh", "tests/test.sh"]);
    sync(
        &sb,
        "[plugins]\nmy-rust = { path = \"../new/my-rust\" }\nmy-python = { path = \"../new/my-python\" }\nmy-markdown = { path = \"../new/my-markdown\" }\n",
    );

    let out = sb.dispatch_in("team", "pre-tool-use", &bash("sudo rm -rf / --no-preserve-root"));
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("my-rust: `sudo rm -rf / --no-preserve-root` contains `rm -rf /`"), "{}", out.stderr);
    assert!(out.stderr.contains("my-python: `sudo rm -rf / --no-preserve-root` contains `rm -rf /`"), "{}", out.stderr);
    let out = sb.dispatch_in("team", "pre-tool-use", &bash("ls"));
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{}", out.stderr);

    let out = sb.dispatch_in("team", "session-start", &json!({"session_id": "s", "hook_event_name": "SessionStart", "source": "startup"}));
    let answer: Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout));
    assert!(answer["hookSpecificOutput"]["additionalContext"].as_str().unwrap().contains("The my-markdown skill"), "{answer:#}");
    assert!(sb.path("claude/skills/my-markdown/SKILL.md").is_file());
    assert!(sb.path("claude/commands/my-markdown.md").is_file());
}
