//! paii's security plugin: judges a tool call before Claude Code runs it.
//!
//! Bash commands are parsed (see [`shell`]) and judged by [`rules`]; writes
//! and edits are judged by their path. A block is exit 2 with the reason,
//! a borderline call asks the user (Claude Code's `permissionDecision`),
//! everything else passes. The team's `[config]` adds `deny` and `allow`
//! patterns and protected paths.

pub mod config;
pub mod rules;
pub mod shell;

pub use config::Config;

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
    let script = shell::parse(line);
    match rules::judge(&script) {
        // A line bash itself would refuse runs nothing; one this parser
        // cannot read is asked about rather than guessed.
        Verdict::Allow if script.unparsed => Verdict::Ask("this command could not be parsed, so it could not be checked".into()),
        v => v,
    }
}

/// The verdict on writing or editing `path`.
pub fn check_write(path: &str, config: &Config) -> Verdict {
    let p = config.home_relative(path);
    if config.protected.iter().any(|prot| p == *prot || p.starts_with(&format!("{}/", prot.trim_end_matches('/')))) {
        return Verdict::Block(format!("`{path}` is a protected path"));
    }
    if p.contains("/.git/") || p.starts_with(".git/") {
        return Verdict::Block(format!("`{path}` is inside a git directory; edit through git"));
    }
    if rules::is_secret_file(&p) {
        return Verdict::Ask(format!("`{path}` holds credentials"));
    }
    Verdict::Allow
}

/// The verdict on one PreToolUse event (Claude Code's hook input), or what
/// is missing from it.
pub fn check_event(event: &serde_json::Value, config: &Config) -> Result<Verdict, String> {
    let input = &event["tool_input"];
    // Every call it is given names a tool; one that does not is not an
    // event it can judge (and `fail_closed` blocks it).
    let tool = event["tool_name"].as_str().ok_or("the event has no `tool_name`")?;
    Ok(match tool {
        "Bash" => check_command(input["command"].as_str().ok_or("a Bash call without `tool_input.command`")?, config),
        tool @ ("Write" | "Edit" | "MultiEdit" | "NotebookEdit") => {
            let path = input["file_path"].as_str().or_else(|| input["notebook_path"].as_str());
            check_write(path.ok_or_else(|| format!("a {tool} call without `tool_input.file_path`"))?, config)
        }
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

    #[test]
    fn a_deny_pattern_matches_anywhere() {
        let c = config(r#"{"deny": ["terraform apply"]}"#);
        assert!(matches!(check_command("cd infra && terraform apply -auto-approve", &c), Verdict::Block(_)));
    }
}
