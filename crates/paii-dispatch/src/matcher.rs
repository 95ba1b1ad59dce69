//! Claude Code's matcher semantics for tool events: empty or `*` matches
//! every tool; a plain name (letters, digits, `_`, `-`, and `|`, `,` or
//! spaces between names) is a list of exact names; anything else is a
//! regular expression over the whole tool name (so `mcp__memory__.*`
//! matches every tool of the `memory` MCP server). Matching is
//! case-sensitive. Non-tool events ignore the matcher.

fn plain(m: &str) -> bool {
    m.bytes().all(|b| b.is_ascii_alphanumeric() || b"_|-, ".contains(&b))
}

/// Whether a handler with `matcher` runs for `tool` on a tool event.
pub fn matches(matcher: Option<&str>, tool: Option<&str>) -> bool {
    let Some(m) = matcher.filter(|m| !m.is_empty() && *m != "*") else { return true };
    let Some(tool) = tool else { return false };
    if plain(m) {
        return m.split(['|', ',']).map(str::trim).any(|name| name == tool);
    }
    // plugin.toml refuses a matcher that does not compile; one that slipped
    // through matches nothing.
    regex::Regex::new(&format!("^(?:{m})$")).is_ok_and(|re| re.is_match(tool))
}

/// Why `matcher` is not a usable pattern, if it is not.
pub fn check(matcher: &str) -> Result<(), String> {
    if matcher.is_empty() || matcher == "*" || plain(matcher) {
        return Ok(());
    }
    regex::Regex::new(&format!("^(?:{matcher})$"))
        .map(|_| ())
        .map_err(|e| e.to_string().lines().last().unwrap_or_default().trim().to_string())
}

#[cfg(test)]
mod tests {
    use super::{check, matches};

    #[test]
    fn matchers_follow_claude_codes_semantics() {
        assert!(matches(None, Some("Bash")));
        assert!(matches(Some(""), Some("Bash")));
        assert!(matches(Some("*"), None));
        assert!(matches(Some("Bash"), Some("Bash")));
        assert!(!matches(Some("Bash"), Some("BashOutput")), "a plain name is exact");
        assert!(matches(Some("Edit|Write"), Some("Write")));
        assert!(matches(Some("Bash, Write"), Some("Write")), "comma-separated lists");
        assert!(!matches(Some("bash"), Some("Bash")), "case-sensitive");
        assert!(!matches(Some("Edit|Write"), Some("MultiEdit")));
        assert!(matches(Some("Notebook.*"), Some("NotebookEdit")));
        assert!(matches(Some("mcp__memory__.*"), Some("mcp__memory__create_entities")));
        assert!(!matches(Some("mcp__memory__.*"), Some("mcp__github__search")));
        assert!(matches(Some("mcp__github__search_repositories"), Some("mcp__github__search_repositories")));
        assert!(!matches(Some("Bash"), None), "no tool name, no match for a named matcher");
        assert!(!matches(Some("(unclosed"), Some("(unclosed")));
        assert!(check("Write(*.md)").is_err() && check("mcp__x__.*").is_ok() && check("Edit|Write").is_ok());
    }
}
