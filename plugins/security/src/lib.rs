//! paii's security plugin: judges a tool call before Claude Code runs it.
//!
//! Bash commands are parsed (see [`shell`]) and judged by [`rules`]; writes
//! and edits are judged by their path. A block is exit 2 with the reason,
//! a borderline call asks the user (Claude Code's `permissionDecision`),
//! everything else passes. The team's `[config]` adds `deny` and `allow`
//! patterns and protected paths.

pub mod config;
pub mod expand;
pub mod paths;
pub mod rules;
pub mod shell;

pub use config::Config;

use paths::{Kind, Places};

/// Longer lines are asked about, not parsed: no command a person means
/// runs to 64 KiB, and parsing one must not hold up the call.
const MAX_LINE: usize = 64 * 1024;

/// What to do with one tool call. Ordered: a later variant wins.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verdict {
    Allow,
    /// Ask the user, with the reason.
    Ask(String),
    /// Refuse, with the reason.
    Block(String),
}

/// The verdict on a Bash command line.
pub fn check_command(line: &str, config: &Config) -> Verdict {
    if let Some(p) = config.deny.iter().find(|p| p.is_match(line)) {
        return Verdict::Block(format!("matches the team's deny pattern `{}`", p.as_str()));
    }
    if config.allow.iter().any(|p| p.is_match(line)) {
        return Verdict::Allow;
    }
    check_command_with(line, &config.places)
}

/// The verdict on a command line by the rules alone.
pub fn check_command_with(line: &str, places: &Places) -> Verdict {
    if line.len() > MAX_LINE {
        return Verdict::Ask(format!("this command is {} KiB long, too long to check", line.len() / 1024));
    }
    // NUL marks what the plugin cannot know; bash drops it from a line.
    if line.contains('\0') {
        return Verdict::Ask("this command holds a NUL byte, so it could not be checked".into());
    }
    // Bytes that were not text reach here as U+FFFD.
    if line.contains('\u{fffd}') {
        return Verdict::Ask("this command holds bytes that are not text, so it could not be checked".into());
    }
    let script = shell::parse(line);
    match rules::judge(&script, places) {
        // A line bash itself would refuse runs nothing; one this parser
        // cannot read (or that nests too deep to read whole) is asked
        // about rather than guessed.
        Verdict::Allow if script.unparsed => Verdict::Ask("this command could not be parsed whole, so it could not be checked".into()),
        v => v,
    }
}

/// The verdict on writing or editing `path` with Claude Code's Write,
/// Edit or NotebookEdit tool.
pub fn check_write(path: &str, config: &Config) -> Verdict {
    let p = config.home_relative(path);
    if config.protected.iter().any(|prot| p == *prot || p.starts_with(&format!("{}/", prot.trim_end_matches('/')))) {
        return Verdict::Block(format!("`{path}` is a protected path"));
    }
    if p.contains("/.git/") || p.starts_with(".git/") {
        return Verdict::Block(format!("`{path}` is inside a git directory; edit through git"));
    }
    // The tool shows the user what it writes, so these are asked, not refused.
    match config.places.kind(&p) {
        Kind::Critical => Verdict::Block(format!("`{path}` decides who can log in or how the machine starts")),
        Kind::Secret => Verdict::Ask(format!("`{path}` holds credentials")),
        Kind::Controls => Verdict::Ask(format!("`{path}` is Claude Code's or paii's own configuration")),
        Kind::Persistence => Verdict::Ask(format!("`{path}` runs at login, at boot or on a timer")),
        Kind::Record => Verdict::Ask(format!("`{path}` is a record of what happened")),
        Kind::System => Verdict::Ask(format!("`{path}` is a system file")),
        Kind::Other => Verdict::Allow,
    }
}

/// The verdict on reading `path` with Claude Code's Read, NotebookRead or
/// Grep tool: credentials are not read into the conversation.
pub fn check_read(path: &str, tool: &str, config: &Config) -> Verdict {
    let p = config.home_relative(path);
    if paths::is_secret_file(&p) {
        return Verdict::Block(format!("{tool} would read the credential `{path}` into the conversation"));
    }
    if paths::is_secret_dir(&p) && tool == "Grep" {
        return Verdict::Block(format!("{tool} would search the credentials in `{path}`"));
    }
    Verdict::Allow
}

/// The verdict on listing files with Claude Code's Glob tool.
pub fn check_glob(pattern: &str, dir: Option<&str>, config: &Config) -> Verdict {
    let full = match dir {
        Some(d) if !pattern.starts_with('/') && !pattern.starts_with('~') => format!("{}/{pattern}", d.trim_end_matches('/')),
        _ => pattern.to_string(),
    };
    let p = config.home_relative(&full);
    let stem = p.split(['*', '?', '[', '{']).next().unwrap_or(&p).trim_end_matches('/');
    if paths::is_secret_dir(stem) || paths::is_secret_file(stem) {
        return Verdict::Ask(format!("lists the credentials in `{stem}`"));
    }
    Verdict::Allow
}

/// The verdict on one PreToolUse or PreSkillShellCommand event (Claude
/// Code's hook input), or what is missing from it.
pub fn check_event(event: &serde_json::Value, config: &Config) -> Result<Verdict, String> {
    let input = &event["tool_input"];
    // Every call it is given names a tool; one that does not is not an
    // event it can judge (and `fail_closed` blocks it).
    let tool = event["tool_name"].as_str().ok_or("the event has no `tool_name`")?;
    let field = |name: &str| input[name].as_str().ok_or_else(|| format!("a {tool} call without `tool_input.{name}`"));
    Ok(match tool {
        // A skill's `!` line arrives as PreSkillShellCommand with the same
        // `tool_name` and `tool_input.command` as a Bash call.
        "Bash" => check_command(field("command")?, config),
        "Write" | "Edit" | "MultiEdit" => check_write(field("file_path")?, config),
        "NotebookEdit" => check_write(
            input["notebook_path"]
                .as_str()
                .or_else(|| input["file_path"].as_str())
                .ok_or("a NotebookEdit call without `tool_input.notebook_path`")?,
            config,
        ),
        "Read" => check_read(field("file_path")?, tool, config),
        "NotebookRead" => check_read(
            input["notebook_path"]
                .as_str()
                .or_else(|| input["file_path"].as_str())
                .ok_or("a NotebookRead call without `tool_input.notebook_path`")?,
            tool,
            config,
        ),
        "Grep" => match input["path"].as_str() {
            Some(p) => check_read(p, tool, config),
            None => Verdict::Allow,
        },
        "Glob" => check_glob(field("pattern")?, input["path"].as_str(), config),
        _ => Verdict::Allow,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(json: &str) -> Config {
        Config::from_json(Some(json), Some("/home/u".into())).unwrap()
    }

    #[test]
    fn an_allow_pattern_must_match_the_whole_line() {
        let c = config(r#"{"allow": ["terraform plan( -out=\\S+)?", "rm -rf ~/scratch"]}"#);
        assert_eq!(check_command("terraform plan -out=x", &c), Verdict::Allow);
        assert!(matches!(check_command("terraform plan; rm -rf ~", &c), Verdict::Block(_)));
        assert_eq!(check_command("rm -rf ~/scratch", &c), Verdict::Allow);
        assert!(matches!(check_command("rm -rf ~/scratch ~", &c), Verdict::Block(_)));
    }

    fn event(tool: &str, input: serde_json::Value) -> Verdict {
        let c = config("{}");
        check_event(&serde_json::json!({"tool_name": tool, "tool_input": input}), &c).unwrap()
    }

    #[test]
    fn every_tool_claude_code_asks_about_is_judged() {
        use serde_json::json;
        assert!(matches!(event("Read", json!({"file_path": "/home/u/.ssh/id_ed25519"})), Verdict::Block(_)));
        assert!(matches!(event("Read", json!({"file_path": "/root/.aws/credentials"})), Verdict::Block(_)));
        assert_eq!(event("Read", json!({"file_path": "/home/u/.ssh/id_ed25519.pub"})), Verdict::Allow);
        assert_eq!(event("Read", json!({"file_path": "src/main.rs"})), Verdict::Allow);
        assert!(matches!(event("NotebookRead", json!({"notebook_path": "/home/u/.aws/credentials"})), Verdict::Block(_)));
        assert!(matches!(event("Grep", json!({"pattern": "AKIA", "path": "/home/u/.aws"})), Verdict::Block(_)));
        assert_eq!(event("Grep", json!({"pattern": "id_rsa", "path": "docs"})), Verdict::Allow);
        assert!(matches!(event("Glob", json!({"pattern": "~/.ssh/*"})), Verdict::Ask(_)));
        assert!(matches!(event("Glob", json!({"pattern": "*", "path": "/home/u/.gnupg"})), Verdict::Ask(_)));
        assert_eq!(event("Glob", json!({"pattern": "**/*.rs"})), Verdict::Allow);
        assert!(matches!(event("Write", json!({"file_path": "/home/u/.bashrc", "content": ""})), Verdict::Ask(_)));
        assert!(matches!(event("Edit", json!({"file_path": "/home/u/.ssh/authorized_keys"})), Verdict::Block(_)));
        assert!(matches!(event("Write", json!({"file_path": "/home/u/.claude/settings.json"})), Verdict::Ask(_)));
        assert!(matches!(event("Edit", json!({"file_path": ".claude/settings.local.json"})), Verdict::Ask(_)));
        assert!(matches!(event("Write", json!({"file_path": "/home/u/.config/paii/paii.toml"})), Verdict::Ask(_)));
        assert!(matches!(event("NotebookEdit", json!({"notebook_path": "/home/u/.config/systemd/user/x.service"})), Verdict::Ask(_)));
        assert_eq!(event("Write", json!({"file_path": "src/lib.rs"})), Verdict::Allow);
    }

    #[test]
    fn a_skills_shell_line_is_judged_as_a_bash_call() {
        let c = config("{}");
        let e = serde_json::json!({"hook_event_name": "PreSkillShellCommand", "tool_name": "Bash", "tool_input": {"command": "rm -rf ~"}, "command_name": "cleanup"});
        assert!(matches!(check_event(&e, &c).unwrap(), Verdict::Block(_)));
    }

    #[test]
    fn a_deny_pattern_matches_anywhere() {
        let c = config(r#"{"deny": ["terraform apply"]}"#);
        assert!(matches!(check_command("cd infra && terraform apply -auto-approve", &c), Verdict::Block(_)));
    }
}
