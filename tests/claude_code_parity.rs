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

use common::Sandbox;
use common::anthropic::{MessagesApi, Script};
use common::claude_code::{command, run};
use common::parity::{claude_installs, paii_installs};

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
        ["kit:", "twin:", "picks:", "original:", "renamed:", "collection:", "bare:"]
            .iter()
            .any(|p| l.trim_start().starts_with(&format!("- {p}")))
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
    let own = Sandbox::new();
    let theirs = seen(&own, &claude_installs(&own));
    let sb = Sandbox::new();
    let ours = seen(&sb, &paii_installs(&sb));

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
        "- bare:bare-run:",
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
