//! `hooks hook session-start`: context for Claude about what paii installed.

use std::process::ExitCode;

use paii_plugin::{Answer, Invocation, Value};

fn main() -> ExitCode {
    match paii_plugin::invocation() {
        Invocation::Hook { event } if event == "session-start" => paii_plugin::hook(&event, |e, config| {
            if e.name() != Some("SessionStart") {
                return Err(format!("not a SessionStart event (hook_event_name {:?}); nothing to add", e.name()));
            }
            let home = paii_plugin::paii_home();
            let learnings = config.get("learnings").and_then(Value::as_u64).unwrap_or(3) as usize;
            let list_plugins = config.get("list_plugins").and_then(Value::as_bool).unwrap_or(true);
            let memory = paii_plugin::contract("memory").filter(|_| learnings > 0).map(|provider| {
                let got = paii_plugin::run_action(&provider, "recent", &[&learnings.to_string(), "--category", "learnings", "--json"]);
                (provider, got)
            });
            Ok(hooks::context(&home, list_plugins, learnings, memory).map_or(Answer::Allow, Answer::Context))
        }),
        // Other events: nothing to add.
        Invocation::Hook { .. } => ExitCode::SUCCESS,
        other => paii_plugin::usage(&other, "hooks hook session-start < event.json"),
    }
}
