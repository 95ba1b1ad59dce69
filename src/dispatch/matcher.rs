//! Claude Code's matcher semantics for tool events: empty or `*` matches
//! every tool; a plain name (letters, digits, `_`, `|`) is a list of exact
//! names; anything else is a regular expression over the whole tool name
//! (so `mcp__memory__.*` matches every tool of the `memory` MCP server).
//! Non-tool events ignore the matcher.

/// Whether a handler with `matcher` runs for `tool` on a tool event.
pub fn matches(matcher: Option<&str>, tool: Option<&str>) -> bool {
    let Some(m) = matcher.filter(|m| !m.is_empty() && *m != "*") else { return true };
    let Some(tool) = tool else { return false };
    if m.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'|' || b == b'-') {
        return m.split('|').any(|name| name == tool);
    }
    // A matcher that is not a valid pattern matches nothing (and the
    // generation's assembly already warned about it).
    regex::Regex::new(&format!("^(?:{m})$")).is_ok_and(|re| re.is_match(tool))
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn matchers_follow_claude_codes_semantics() {
        assert!(matches(None, Some("Bash")));
        assert!(matches(Some(""), Some("Bash")));
        assert!(matches(Some("*"), None));
        assert!(matches(Some("Bash"), Some("Bash")));
        assert!(!matches(Some("Bash"), Some("BashOutput")), "a plain name is exact");
        assert!(matches(Some("Edit|Write"), Some("Write")));
        assert!(!matches(Some("Edit|Write"), Some("MultiEdit")));
        assert!(matches(Some("Notebook.*"), Some("NotebookEdit")));
        assert!(matches(Some("mcp__memory__.*"), Some("mcp__memory__create_entities")));
        assert!(!matches(Some("mcp__memory__.*"), Some("mcp__github__search")));
        assert!(matches(Some("mcp__github__search_repositories"), Some("mcp__github__search_repositories")));
        assert!(!matches(Some("Bash"), None), "no tool name, no match for a named matcher");
        assert!(!matches(Some("(unclosed"), Some("(unclosed")));
    }
}
