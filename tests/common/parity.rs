//! The parity fixture: one Claude Code marketplace of plugins covering every
//! component kind, which Claude Code and paii each install (see
//! tests/claude_code_parity.rs and benches/claude_plugins.rs), and a
//! marketplace of many plugins in the shapes of a real one.
#![allow(dead_code)]

use std::fs;
use std::path::Path;

use super::Sandbox;
use super::claude_code::command;
use super::marketplace::write;

pub const PLUGINS: [&str; 6] = ["kit", "twin", "picks", "renamed", "collection", "bare"];

/// A hook that appends `<label>` to `$HOME/hooks.log`.
fn logs(label: &str) -> String {
    format!(r#"{{"type": "command", "command": "cat > /dev/null; echo '{label}' >> \"$HOME/hooks.log\""}}"#)
}

/// The marketplace `parity` in `root`.
pub fn marketplace(root: &Path) {
    write(
        root,
        ".claude-plugin/marketplace.json",
        r#"{"name": "parity", "owner": {"name": "Tests"}, "plugins": [
  {"name": "kit", "source": "./kit", "description": "every component kind", "displayName": "The Kit"},
  {"name": "twin", "source": "./twin", "description": "components named as kit's"},
  {"name": "picks", "source": "./picks", "strict": false, "description": "one skill of two", "skills": ["./skills/one"]},
  {"name": "renamed", "source": "./renamed", "description": "its plugin.json names it otherwise"},
  {"name": "bare", "source": "./bare", "version": "0.3.0", "description": "no plugin.json: the entry says it all"},
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
    let server = fs::read_to_string(super::repo_root().join("tests/support/mcp_server.py")).unwrap();
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

    write(
        root,
        "twin/.claude-plugin/plugin.json",
        r#"{"name": "twin", "version": "0.2.0", "description": "twin's own words, which the entry's replace"}"#,
    );
    write(root, "twin/commands/help.md", "---\ndescription: TWIN-HELP-DESC twin's help\n---\nHelp with twin.\n");
    write(
        root,
        "twin/agents/code-reviewer.md",
        "---\nname: code-reviewer\ndescription: TWIN-REVIEWER-DESC reviews twin code\n---\nReview.\n",
    );
    write(root, "twin/hooks/hooks.json", &format!(r#"{{"hooks": {{"SessionStart": [{{"hooks": [{}]}}]}}}}"#, logs("twin SessionStart")));

    write(root, "picks/skills/one/SKILL.md", "---\nname: one\ndescription: PICKS-ONE-DESC listed\n---\nBody.\n");
    write(root, "picks/skills/two/SKILL.md", "---\nname: two\ndescription: PICKS-TWO-DESC not listed\n---\nBody.\n");

    write(root, "bare/commands/bare-run.md", "---\ndescription: BARE-RUN-DESC a plugin without a manifest\n---\nRun.\n");
    write(root, "skills/listed/SKILL.md", "---\nname: listed\ndescription: LISTED-DESC listed by the root entry\n---\nBody.\n");
    write(root, "skills/unlisted/SKILL.md", "---\nname: unlisted\ndescription: UNLISTED-DESC not listed\n---\nBody.\n");
    write(root, "renamed/.claude-plugin/plugin.json", r#"{"name": "original", "version": "3.0.0"}"#);
    write(
        root,
        "renamed/skills/orig-skill/SKILL.md",
        "---\nname: orig-skill\ndescription: ORIG-SKILL-DESC of the renamed plugin\n---\nBody.\n",
    );
}

/// A marketplace `many` of `n` in-repository plugins in the shapes of
/// claude-plugins-official's (a plugin.json, a command, an agent, a skill,
/// some with a hooks file or an MCP server), each listed with its
/// description and no version.
pub fn many(root: &Path, n: usize) -> Vec<String> {
    let names: Vec<String> = (0..n).map(|i| format!("plugin-{i:02}")).collect();
    let entries: Vec<String> = names
        .iter()
        .map(|name| {
            format!(r#"{{"name": "{name}", "source": "./plugins/{name}", "description": "the {name} plugin", "category": "development"}}"#)
        })
        .collect();
    write(
        root,
        ".claude-plugin/marketplace.json",
        &format!(r#"{{"name": "many", "owner": {{"name": "Tests"}}, "plugins": [{}]}}"#, entries.join(",\n")),
    );
    for (i, name) in names.iter().enumerate() {
        let dir = format!("plugins/{name}");
        write(
            root,
            &format!("{dir}/.claude-plugin/plugin.json"),
            &format!(r#"{{"name": "{name}", "description": "the {name} plugin", "author": {{"name": "Tests"}}}}"#),
        );
        write(root, &format!("{dir}/README.md"), &format!("# {name}\n\nA plugin of the benchmark's marketplace.\n"));
        write(root, &format!("{dir}/commands/{name}-run.md"), &format!("---\ndescription: run {name}\n---\nRun it with $ARGUMENTS.\n"));
        write(
            root,
            &format!("{dir}/agents/{name}-helper.md"),
            &format!("---\nname: {name}-helper\ndescription: helps with {name}\n---\nHelp.\n"),
        );
        write(
            root,
            &format!("{dir}/skills/{name}-skill/SKILL.md"),
            &format!("---\nname: {name}-skill\ndescription: does {name} things\n---\nBody.\n"),
        );
        if i % 3 == 0 {
            write(
                root,
                &format!("{dir}/hooks/hooks.json"),
                &format!(
                    r#"{{"hooks": {{"PreToolUse": [{{"matcher": "Bash", "hooks": [{{"type": "command", "command": "cat > /dev/null # {name}"}}]}}]}}}}"#
                ),
            );
        }
        if i % 5 == 0 {
            write(
                root,
                &format!("{dir}/.mcp.json"),
                &format!(r#"{{"mcpServers": {{"{name}-srv": {{"command": "npx", "args": ["-y", "@example/{name}-mcp"]}}}}}}"#),
            );
        }
    }
    names
}

/// [`marketplace`] installed by Claude Code itself in `sb` (`claude plugin
/// marketplace add`, `claude plugin install`, kit's option set): the ids
/// Claude Code knows the plugins by.
pub fn claude_installs(sb: &Sandbox) -> Vec<String> {
    marketplace(&sb.path("market"));
    let market = sb.path("market").display().to_string();
    let added = command(sb, &["plugin", "marketplace", "add", &market]);
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let listed = command(sb, &["plugin", "marketplace", "list"]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("parity"), "the marketplace was not added");
    let ids: Vec<String> = PLUGINS.iter().map(|p| format!("{p}@parity")).collect();
    for id in &ids {
        let mut args = vec!["plugin", "install", id.as_str()];
        if id.starts_with("kit@") {
            args.extend(["--config", "greeting=hola"]);
        }
        let out = command(sb, &args);
        assert!(out.status.success(), "{id}: {}", String::from_utf8_lossy(&out.stderr));
    }
    ids
}

/// [`marketplace`] synced by paii in `sb` (kit's option from paii.toml):
/// the ids Claude Code knows the plugins by (a plugin loaded from a
/// directory is named by its plugin.json: `renamed` is `original`).
pub fn paii_installs(sb: &Sandbox) -> Vec<String> {
    marketplace(&sb.path("team/market"));
    let plugins: String = PLUGINS.iter().map(|p| format!("{p} = \"*\"\n")).collect();
    sb.write(
        "team/paii.toml",
        &format!("[registries]\nparity = {{ marketplace = \"./market\" }}\n\n[plugins]\n{plugins}\n[config.kit]\ngreeting = \"hola\"\n"),
    );
    sb.paii_in("team", &["sync"]).ok();
    PLUGINS.iter().map(|p| format!("{}@skills-dir", if *p == "renamed" { "original" } else { p })).collect()
}
