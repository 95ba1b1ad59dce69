//! What {{name}} decides about a Bash call.

use paii_plugin::{Answer, Event, Value};

/// Blocks a Bash command that contains one of the config's `blocked`
/// strings; allows everything else.
pub fn judge(event: &Event, config: &Value) -> Answer {
    let command = event.tool_input().get("command").and_then(Value::as_str).unwrap_or_default();
    let blocked = config.get("blocked").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str);
    for b in blocked {
        if command.contains(b) {
            return Answer::Deny(format!("`{command}` contains `{b}`"));
        }
    }
    Answer::Allow
}

#[cfg(test)]
mod tests {
    use super::*;
    use paii_plugin::json;

    fn bash(command: &str) -> Event {
        Event { raw: json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": command}}) }
    }

    #[test]
    fn a_blocked_command_is_denied_with_a_reason() {
        let config = json!({"blocked": ["rm -rf /"]});
        assert!(matches!(judge(&bash("sudo rm -rf / --no-preserve-root"), &config), Answer::Deny(r) if r.contains("rm -rf /")));
    }

    #[test]
    fn anything_else_is_allowed() {
        assert_eq!(judge(&bash("ls -la"), &json!({"blocked": ["rm -rf /"]})), Answer::Allow);
        assert_eq!(judge(&bash("ls"), &json!({})), Answer::Allow);
    }
}
