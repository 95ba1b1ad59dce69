//! Merging the handlers' answers into one: exit 2 anywhere blocks; JSON on
//! stdout (Claude Code's hook output) is merged into one object, deny beating
//! ask beating allow, contexts and messages concatenated in plugin order.

use serde_json::{Map, Value};

/// What one handler said.
pub enum Answer {
    /// Exit 2, with its reason.
    Block(String),
    /// Exit 0 with this JSON object on stdout (possibly empty).
    Output(Map<String, Value>),
    /// Exit 0 and nothing (or nothing usable) to say.
    Allow,
}

#[derive(Debug, Default)]
pub struct Merged {
    /// `plugin: reason` for every handler that blocked.
    pub blocks: Vec<String>,
    /// The merged JSON for stdout (empty: print nothing).
    pub output: Map<String, Value>,
}

fn rank(decision: &str) -> u8 {
    match decision {
        "deny" => 3,
        "ask" => 2,
        "allow" => 1,
        _ => 0,
    }
}

fn append(into: &mut Map<String, Value>, key: &str, text: &str, sep: &str) {
    match into.get_mut(key) {
        Some(Value::String(s)) if !s.is_empty() => {
            s.push_str(sep);
            s.push_str(text);
        }
        _ => {
            into.insert(key.to_string(), Value::String(text.to_string()));
        }
    }
}

impl Merged {
    pub fn add(&mut self, plugin: &str, answer: Answer) {
        let out = match answer {
            Answer::Block(reason) => {
                let reason = reason.trim();
                let reason = if reason.is_empty() { "blocked (no reason given)" } else { reason };
                self.blocks.push(format!("{plugin}: {reason}"));
                return;
            }
            Answer::Allow => return,
            Answer::Output(out) => out,
        };
        for (key, value) in out {
            match (key.as_str(), value) {
                ("continue", Value::Bool(false)) => {
                    self.output.insert(key, Value::Bool(false));
                }
                ("continue", _) => {
                    self.output.entry(key).or_insert(Value::Bool(true));
                }
                ("suppressOutput", Value::Bool(b)) => {
                    let prev = self.output.get("suppressOutput").and_then(Value::as_bool).unwrap_or(false);
                    self.output.insert(key, Value::Bool(prev || b));
                }
                ("systemMessage" | "stopReason", Value::String(s)) => append(&mut self.output, &key, &s, "\n"),
                ("decision", Value::String(d)) => {
                    // `block` wins over `approve`/anything else.
                    if d == "block" || !self.output.contains_key("decision") {
                        self.output.insert(key, Value::String(d));
                    }
                }
                ("reason", Value::String(s)) => append(&mut self.output, &key, &format!("{plugin}: {s}"), "\n"),
                ("hookSpecificOutput", Value::Object(specific)) => self.add_specific(plugin, specific),
                (_, v) => {
                    self.output.entry(key).or_insert(v);
                }
            }
        }
    }

    fn add_specific(&mut self, plugin: &str, specific: Map<String, Value>) {
        let slot = self.output.entry("hookSpecificOutput").or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(into) = slot else { return };
        let decision = specific.get("permissionDecision").and_then(Value::as_str).map(str::to_string);
        let reason = specific.get("permissionDecisionReason").and_then(Value::as_str).map(str::to_string);
        if let Some(d) = &decision {
            let current = into.get("permissionDecision").and_then(Value::as_str).map_or(0, rank);
            let r = rank(d);
            if r > current {
                into.insert("permissionDecision".into(), Value::String(d.clone()));
                into.remove("permissionDecisionReason");
            }
            if r >= current
                && let Some(reason) = &reason
            {
                append(into, "permissionDecisionReason", &format!("{plugin}: {reason}"), "; ");
            }
        }
        for (key, value) in specific {
            match (key.as_str(), value) {
                ("permissionDecision" | "permissionDecisionReason", _) => {}
                ("additionalContext", Value::String(s)) => append(into, &key, &s, "\n"),
                (_, v) => {
                    into.entry(key).or_insert(v);
                }
            }
        }
    }

    /// The decision for the audit log.
    pub fn decision(&self) -> &str {
        if !self.blocks.is_empty() {
            return "block";
        }
        if let Some(d) = self.output.get("hookSpecificOutput").and_then(|s| s.get("permissionDecision")).and_then(Value::as_str) {
            return d;
        }
        if self.output.get("decision").and_then(Value::as_str) == Some("block") || self.output.get("continue") == Some(&Value::Bool(false))
        {
            return "block";
        }
        "allow"
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn out(v: Value) -> Answer {
        Answer::Output(v.as_object().unwrap().clone())
    }

    #[test]
    fn deny_beats_ask_beats_allow_and_contexts_concatenate_in_order() {
        let mut m = Merged::default();
        m.add("a", out(json!({"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "allow", "additionalContext": "from a"}})));
        m.add("b", out(json!({"hookSpecificOutput": {"permissionDecision": "ask", "permissionDecisionReason": "sure?"}})));
        m.add("c", out(json!({"hookSpecificOutput": {"permissionDecision": "deny", "permissionDecisionReason": "no", "additionalContext": "from c"}})));
        m.add("d", out(json!({"hookSpecificOutput": {"permissionDecision": "ask"}, "systemMessage": "hi"})));
        let s = &m.output["hookSpecificOutput"];
        assert_eq!(s["permissionDecision"], "deny");
        assert_eq!(s["permissionDecisionReason"], "c: no");
        assert_eq!(s["additionalContext"], "from a\nfrom c");
        assert_eq!(m.output["systemMessage"], "hi");
        assert_eq!(m.decision(), "deny");
    }

    #[test]
    fn exit_2_blocks_with_each_reason_prefixed_and_block_decisions_win() {
        let mut m = Merged::default();
        m.add("guard", Answer::Block("rm -rf ~ is not allowed\n".into()));
        m.add("quiet", Answer::Block(String::new()));
        assert_eq!(m.blocks, ["guard: rm -rf ~ is not allowed", "quiet: blocked (no reason given)"]);
        assert_eq!(m.decision(), "block");
        let mut m = Merged::default();
        m.add("a", out(json!({"decision": "approve"})));
        m.add("b", out(json!({"decision": "block", "reason": "tests fail", "continue": true})));
        m.add("c", out(json!({"continue": false, "stopReason": "stop"})));
        assert_eq!(m.output["decision"], "block");
        assert_eq!(m.output["reason"], "b: tests fail");
        assert_eq!(m.output["continue"], false);
        assert_eq!(m.decision(), "block");
    }
}
