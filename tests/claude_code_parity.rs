//! Parity with Claude Code's own install, judged by the real client: one
//! marketplace of fixture plugins covering every component kind (skills
//! from the default folder and from the manifest's paths, commands, agents,
//! hooks on tool and non-tool events with matchers, an option, a stdio MCP
//! server, an LSP server, output styles), plugins that ship components of
//! the same name, `strict: false` entries that list one skill of two (in
//! the plugin's folder, and at the marketplace's root, where Claude Code
//! loads only the listed one), and an entry whose plugin.json names the
//! plugin otherwise. Claude Code
//! installs them itself in one sandbox (`claude plugin marketplace add`,
//! `claude plugin install`), paii syncs them in another; then what the
//! client shows of each plugin (`claude plugin details`), what it sends the
//! model (the skills, commands and agents with their descriptions, the MCP
//! tools) and which hooks fire for which events and matchers must be the
//! same in both.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;

use common::Sandbox;
use common::anthropic::{MessagesApi, Script};
use common::claude_code::{command, run};

const PLUGINS: [&str; 5] = ["kit", "twin", "picks", "renamed", "collection"];

fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, text).unwrap();
}

/// A hook that appends `<label>` to `$HOME/hooks.log`.
fn logs(label: &str) -> String {
    format!(r#"{{"type": "command", "command": "cat > /dev/null; echo '{label}' >> \"$HOME/hooks.log\""}}"#)
}

/// The marketplace `parity` in `root`.
fn marketplace(root: &Path) {
    write(
        root,
        ".claude-plugin/marketplace.json",
        r#"{"name": "parity", "owner": {"name": "Tests"}, "plugins": [
  {"name": "kit", "source": "./kit", "description": "every component kind"},
  {"name": "twin", "source": "./twin", "description": "components named as kit's"},
  {"name": "picks", "source": "./picks", "strict": false, "description": "one skill of two", "skills": ["./skills/one"]},
  {"name": "renamed", "source": "./renamed", "description": "its plugin.json names it otherwise"},
  {"name": "collection", "source": "./", "strict": false, "description": "the marketplace's root, one skill listed", "skills": ["./skills/listed"]}
]}"#,
    );
    write(
        root,
        "kit/.claude-plugin/plugin.json",
        r#"{"name": "kit", "version": "1.4.0", "description": "every component kind",
  "author": "A string author",
  "repository": {"type": "git", "url": "https://example.org/kit.git"},
  "skills": ["./extra/skills"],
  "userConfig": {"greeting": {"type": "string", "title": "Greeting", "description": "how to greet", "default": "hello"}},
  "lspServers": {"kit-lsp": {"command": "kit-language-server", "extensionToLanguage": {".kit": "kit"}}}
}"#,
    );
    write(root, "kit/skills/kit-skill/SKILL.md", "---\nname: kit-skill\ndescription: KIT-SKILL-DESC the default folder's\n---\nBody.\n");
    write(
        root,
        "kit/extra/skills/extra-skill/SKILL.md",
        "---\nname: extra-skill\ndescription: EXTRA-SKILL-DESC a declared path's\n---\nBody.\n",
    );
    write(root, "kit/commands/help.md", "---\ndescription: KIT-HELP-DESC kit's help\n---\nHelp with kit.\n");
    write(root, "kit/agents/code-reviewer.md", "---\nname: code-reviewer\ndescription: KIT-REVIEWER-DESC reviews kit code\n---\nReview.\n");
    write(root, "kit/output-styles/terse.md", "---\nname: terse\ndescription: KIT-STYLE-DESC answers tersely\n---\nBe terse.\n");
    let server = fs::read_to_string(common::repo_root().join("tests/support/mcp_server.py")).unwrap();
    write(root, "kit/mcp_server.py", &server);
    write(
        root,
        "kit/.mcp.json",
        r#"{"mcpServers": {"kit-srv": {"command": "python3", "args": ["${CLAUDE_PLUGIN_ROOT}/mcp_server.py", "KIT-MCP-DESC"]}}}"#,
    );
    let hooks = format!(
        r#"{{"hooks": {{
  "SessionStart": [{{"matcher": "startup", "hooks": [{}]}}, {{"matcher": "resume", "hooks": [{}]}}],
  "UserPromptSubmit": [{{"hooks": [{}, {{"type": "command", "command": "sh", "args": ["-c", "cat > /dev/null; echo \"kit option $1\" >> \"$HOME/hooks.log\"", "_", "${{user_config.greeting}}"]}}]}}],
  "PreToolUse": [{{"matcher": "Bash", "hooks": [{}]}}, {{"matcher": "Write|Edit", "hooks": [{}]}}],
  "PostToolUse": [{{"matcher": "Bash", "hooks": [{}]}}],
  "Stop": [{{"hooks": [{}]}}]
}}}}"#,
        logs("kit SessionStart startup"),
        logs("kit SessionStart resume"),
        logs("kit UserPromptSubmit"),
        logs("kit PreToolUse Bash"),
        logs("kit PreToolUse Write|Edit"),
        logs("kit PostToolUse Bash"),
        logs("kit Stop"),
    );
    write(root, "kit/hooks/hooks.json", &hooks);

    write(root, "twin/.claude-plugin/plugin.json", r#"{"name": "twin", "version": "0.2.0"}"#);
    write(root, "twin/commands/help.md", "---\ndescription: TWIN-HELP-DESC twin's help\n---\nHelp with twin.\n");
    write(
        root,
        "twin/agents/code-reviewer.md",
        "---\nname: code-reviewer\ndescription: TWIN-REVIEWER-DESC reviews twin code\n---\nReview.\n",
    );
    write(root, "twin/hooks/hooks.json", &format!(r#"{{"hooks": {{"SessionStart": [{{"hooks": [{}]}}]}}}}"#, logs("twin SessionStart")));

    write(root, "picks/skills/one/SKILL.md", "---\nname: one\ndescription: PICKS-ONE-DESC listed\n---\nBody.\n");
    write(root, "picks/skills/two/SKILL.md", "---\nname: two\ndescription: PICKS-TWO-DESC not listed\n---\nBody.\n");

    write(root, "skills/listed/SKILL.md", "---\nname: listed\ndescription: LISTED-DESC listed by the root entry\n---\nBody.\n");
    write(root, "skills/unlisted/SKILL.md", "---\nname: unlisted\ndescription: UNLISTED-DESC not listed\n---\nBody.\n");
    write(root, "renamed/.claude-plugin/plugin.json", r#"{"name": "original", "version": "3.0.0"}"#);
    write(
        root,
        "renamed/skills/orig-skill/SKILL.md",
        "---\nname: orig-skill\ndescription: ORIG-SKILL-DESC of the renamed plugin\n---\nBody.\n",
    );
}

/// What the client shows of each plugin, its request and the hooks that fired.
#[derive(Debug, PartialEq)]
struct Seen {
    details: Vec<(String, String)>,
    listed: BTreeSet<String>,
    tools: BTreeSet<String>,
    hooks: Vec<String>,
}

/// `claude plugin details` of `id`, without the line naming where it came from.
fn details(sb: &Sandbox, id: &str) -> String {
    let out = command(sb, &["plugin", "details", id]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "claude plugin details {id}:\n{text}");
    text.lines().filter(|l| !l.trim_start().starts_with("Source:")).collect::<Vec<_>>().join("\n")
}

/// One turn in `sb` (a Bash call), and what Claude Code showed and did.
fn seen(sb: &Sandbox, ids: &[String]) -> Seen {
    let work = sb.path("work");
    fs::create_dir_all(&work).unwrap();
    let _ = fs::remove_file(sb.path("home/hooks.log"));
    let api = MessagesApi::start(Script::Bash("echo parity".into()));
    let turn = run(sb, &api, &work, "check parity", "Bash");
    assert_eq!(turn.code, 0, "{:#}\n{}", turn.json, turn.stderr);
    let errors = turn.config_errors();
    assert!(errors.is_empty(), "Claude Code reported errors:\n{}", errors.join("\n"));
    let sent = turn.sent().replace("\\n", "\n");
    let ours = |l: &str| {
        ["kit:", "twin:", "picks:", "original:", "renamed:", "collection:"].iter().any(|p| l.trim_start().starts_with(&format!("- {p}")))
    };
    let listed = sent.lines().filter(|l| ours(l)).map(|l| l.trim().to_string()).collect();
    let tools = sent
        .split(|c: char| !(c.is_ascii_alphanumeric() || "_-".contains(c)))
        .filter(|w| w.starts_with("mcp__plugin_"))
        .map(str::to_string)
        .collect();
    let mut hooks: Vec<String> = fs::read_to_string(sb.path("home/hooks.log")).unwrap_or_default().lines().map(str::to_string).collect();
    hooks.sort();
    Seen { details: ids.iter().map(|id| (id.split('@').next().unwrap().to_string(), details(sb, id))).collect(), listed, tools, hooks }
}

#[test]
fn paiis_install_shows_and_does_what_claude_codes_own_install_does() {
    // Claude Code installs the marketplace itself.
    let own = Sandbox::new();
    marketplace(&own.path("market"));
    let market = own.path("market").display().to_string();
    let added = command(&own, &["plugin", "marketplace", "add", &market]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let listed = command(&own, &["plugin", "marketplace", "list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("parity"), "the marketplace was not added");
    for plugin in PLUGINS {
        let mut args = vec!["plugin", "install", plugin];
        let id = format!("{plugin}@parity");
        args[2] = &id;
        if plugin == "kit" {
            args.extend(["--config", "greeting=hola"]);
        }
        let out = command(&own, &args);
        assert!(out.status.success(), "{}: {}", id, String::from_utf8_lossy(&out.stderr));
    }
    let own_ids: Vec<String> = PLUGINS.iter().map(|p| format!("{p}@parity")).collect();
    let theirs = seen(&own, &own_ids);

    // paii installs the same marketplace.
    let sb = Sandbox::new();
    marketplace(&sb.path("team/market"));
    let plugins: String = PLUGINS.iter().map(|p| format!("{p} = \"*\"\n")).collect();
    sb.write(
        "team/paii.toml",
        &format!("[registries]\nparity = {{ marketplace = \"./market\" }}\n\n[plugins]\n{plugins}\n[config.kit]\ngreeting = \"hola\"\n"),
    );
    sb.paii_in("team", &["sync"]).ok();
    // Claude Code names a plugin it loads from a directory by its
    // plugin.json: `renamed` is `original@skills-dir`.
    let paii_ids: Vec<String> = PLUGINS.iter().map(|p| format!("{}@skills-dir", if *p == "renamed" { "original" } else { p })).collect();
    let ours = seen(&sb, &paii_ids);

    // Not vacuous: everything the fixture holds was seen.
    for item in [
        "- kit:kit-skill: KIT-SKILL-DESC",
        "- kit:extra-skill:",
        "- kit:help:",
        "- twin:help:",
        "- kit:code-reviewer:",
        "- twin:code-reviewer:",
        "- picks:one:",
        "- collection:listed:",
    ] {
        assert!(theirs.listed.iter().any(|l| l.starts_with(item)), "{item:?} not in Claude Code's own install: {:#?}", theirs.listed);
    }
    assert!(theirs.tools.contains("mcp__plugin_kit_kit-srv__ping"), "{:?}", theirs.tools);
    assert!(
        theirs.hooks.contains(&"kit SessionStart startup".to_string()) && theirs.hooks.contains(&"kit option hola".to_string()),
        "{:?}",
        theirs.hooks
    );
    assert_eq!(theirs.listed, ours.listed, "skills, commands and agents differ");
    assert_eq!(theirs.tools, ours.tools, "MCP tools differ");
    assert_eq!(theirs.hooks, ours.hooks, "the hooks that fired differ");
    for ((name, a), (_, b)) in theirs.details.iter().zip(&ours.details) {
        assert_eq!(a, b, "`claude plugin details` of {name} differs");
    }
}
