//! A Claude Code marketplace in the style of the real ones, built as a git
//! repository: a Python hook that blocks `rm -rf` with Claude Code's JSON
//! decision, a plugin of agents and commands (no version), a `strict:
//! false` entry that picks skills out of the repository, an MCP server, a
//! `prompt` hook, and a plugin that depends on another.

#![allow(dead_code)]

use std::path::Path;

use super::git::git;

/// Writes `text` to `rel` under `root`, making its directories.
pub fn write(root: &Path, rel: &str, text: &str) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(p, text).unwrap();
}

/// The hook script: denies a Bash command containing `rm -rf` as Claude
/// Code's plugins do, by printing a PreToolUse decision.
pub const GUARD_PY: &str = r#"import json, sys
event = json.load(sys.stdin)
command = event.get("tool_input", {}).get("command", "")
if "rm -rf" in command:
    print(json.dumps({"hookSpecificOutput": {
        "hookEventName": "PreToolUse",
        "permissionDecision": "deny",
        "permissionDecisionReason": "guard: refusing a recursive delete"}}))
sys.exit(0)
"#;

/// Writes the marketplace's files into `root` (no git).
pub fn write_marketplace(root: &Path) {
    write(
        root,
        ".claude-plugin/marketplace.json",
        r#"{
  "$schema": "https://json.schemastore.org/claude-code-marketplace.json",
  "name": "acme-tools",
  "owner": {"name": "Acme", "email": "tools@acme.example"},
  "description": "Acme's plugins",
  "plugins": [
    {"name": "guard", "source": "./plugins/guard", "description": "Blocks dangerous commands", "category": "security"},
    {"name": "review", "source": "./plugins/review", "description": "Review agents and commands"},
    {"name": "doc-skills", "source": "./", "strict": false, "version": "1.0.0",
     "description": "Document skills", "skills": ["./document-skills/pdf", "./document-skills/xlsx"]},
    {"name": "docs-mcp", "source": "./plugins/docs-mcp", "description": "A docs MCP server"},
    {"name": "nudge", "source": "./plugins/nudge", "description": "A prompt hook"},
    {"name": "lint", "source": "./plugins/lint", "description": "Needs review", "dependencies": ["review"]},
    {"name": "bare", "source": "./plugins/bare", "description": "No plugin.json: the entry names it"}
  ]
}
"#,
    );
    write(
        root,
        "plugins/guard/.claude-plugin/plugin.json",
        r#"{"name": "guard", "version": "1.0.0", "description": "Blocks dangerous commands"}"#,
    );
    write(
        root,
        "plugins/guard/hooks/hooks.json",
        r#"{"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [
  {"type": "command", "command": "python3 ${CLAUDE_PLUGIN_ROOT}/hooks/guard.py", "timeout": 10}]}]}}"#,
    );
    write(root, "plugins/guard/hooks/guard.py", GUARD_PY);
    write(root, "plugins/review/.claude-plugin/plugin.json", r#"{"name": "review", "description": "Review agents and commands"}"#);
    write(
        root,
        "plugins/review/agents/reviewer.md",
        "---\nname: reviewer\ndescription: Reviews a change for defects\n---\nReview carefully.\n",
    );
    write(root, "plugins/review/commands/review.md", "---\ndescription: Review the current diff\n---\nReview the diff.\n");
    write(root, "document-skills/pdf/SKILL.md", "---\nname: pdf\ndescription: Reads and writes PDF files\n---\nUse pdftotext.\n");
    // Not listed by the `strict: false` entry: Claude Code does not load it.
    write(root, "skills/unlisted/SKILL.md", "---\nname: unlisted\ndescription: A skill no entry lists\n---\nNo.\n");
    write(root, "document-skills/xlsx/SKILL.md", "---\nname: xlsx\ndescription: Reads and writes spreadsheets\n---\nUse openpyxl.\n");
    write(root, "plugins/docs-mcp/.claude-plugin/plugin.json", r#"{"name": "docs-mcp", "version": "0.3.0"}"#);
    write(
        root,
        "plugins/docs-mcp/.mcp.json",
        r#"{"mcpServers": {"acme-docs": {"command": "python3", "args": ["${CLAUDE_PLUGIN_ROOT}/mcp_server.py", "ACME-DOCS-DESC"], "env": {"DOCS_DATA": "${CLAUDE_PLUGIN_DATA}"}}}}"#,
    );
    let server = std::fs::read_to_string(super::repo_root().join("tests/support/mcp_server.py")).unwrap();
    write(root, "plugins/docs-mcp/mcp_server.py", &server);
    write(root, "plugins/nudge/.claude-plugin/plugin.json", r#"{"name": "nudge", "version": "2.0.0"}"#);
    write(
        root,
        "plugins/nudge/hooks/hooks.json",
        r#"{"hooks": {"SubagentStop": [{"hooks": [{"type": "prompt", "prompt": "Did the subagent finish its task? $ARGUMENTS"}]}]}}"#,
    );
    write(root, "plugins/lint/.claude-plugin/plugin.json", r#"{"name": "lint", "version": "0.1.0", "dependencies": ["review"]}"#);
    write(root, "plugins/lint/commands/lint.md", "---\ndescription: Lint the project\n---\nRun the linters.\n");
    write(root, "plugins/bare/commands/bare.md", "---\ndescription: A command of a plugin without a manifest\n---\nBare.\n");
}

/// The marketplace as a git repository at `dir`; returns its commit.
pub fn marketplace_repo(dir: &Path) -> String {
    std::fs::create_dir_all(dir).unwrap();
    write_marketplace(dir);
    git(dir, &["init", "-q", "-b", "main"]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "marketplace"]);
    git(dir, &["rev-parse", "HEAD"])
}

/// A zip of `files` under one top folder, as GitHub's archives are.
pub fn zip(top: &str, files: &[(&str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut out = std::io::Cursor::new(Vec::new());
    {
        let mut w = zip::ZipWriter::new(&mut out);
        let opts = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
        for (path, text) in files {
            w.start_file(format!("{top}/{path}"), opts).unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        w.finish().unwrap();
    }
    out.into_inner()
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

/// npm's `dist.integrity` of `bytes`.
pub fn sha512_sri(bytes: &[u8]) -> String {
    use base64::Engine;
    use sha2::{Digest, Sha512};
    format!("sha512-{}", base64::engine::general_purpose::STANDARD.encode(Sha512::digest(bytes)))
}
