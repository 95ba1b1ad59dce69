//! `hooks hook session-start`: context for Claude about what paii installed
//! and what the session's project has learned and decided.

use std::path::PathBuf;
use std::process::ExitCode;

use hooks::Memory;
use paii_plugin::{Answer, Invocation, Value};

fn main() -> ExitCode {
    match paii_plugin::invocation() {
        Invocation::Hook { event } if event == "session-start" => paii_plugin::hook(&event, |e, config| {
            if e.name() != Some("SessionStart") {
                return Err(format!("not a SessionStart event (hook_event_name {:?}); nothing to add", e.name()));
            }
            let root = std::env::var_os("PAII_PLUGIN_ROOT").map(PathBuf::from);
            let generation = hooks::generation(&hooks::generation_dir(root.as_deref(), &paii_plugin::paii_home()));
            let learnings = config.get("learnings").and_then(Value::as_u64).unwrap_or(5) as usize;
            let max_bytes = config.get("max_bytes").and_then(Value::as_u64).unwrap_or(4000) as usize;
            let list_plugins = config.get("list_plugins").and_then(Value::as_bool).unwrap_or(true);
            let project = e.cwd().map(str::to_string).or_else(|| std::env::var("CLAUDE_PROJECT_DIR").ok());
            let memory = paii_plugin::contract("memory").filter(|_| learnings > 0).map(|provider| {
                let got = memory(&provider, project.as_deref(), learnings, max_bytes);
                (provider, got)
            });
            Ok(hooks::context(generation, list_plugins, memory, max_bytes).map_or(Answer::Allow, Answer::Context))
        }),
        // Other events: nothing to add.
        Invocation::Hook { .. } => ExitCode::SUCCESS,
        other => paii_plugin::usage(&other, "hooks hook session-start < event.json"),
    }
}

/// The provider's most relevant entries for `project` (`context`), or,
/// from a provider without that action, its latest learnings' titles.
fn memory(provider: &str, project: Option<&str>, limit: usize, max_bytes: usize) -> Result<Memory, String> {
    let (limit, max_bytes) = (limit.to_string(), max_bytes.to_string());
    let mut args = vec!["--limit", &limit, "--max-bytes", &max_bytes, "--json"];
    if let Some(p) = project {
        args.extend(["--project", p]);
    }
    match paii_plugin::run_action(provider, "context", &args) {
        Ok(text) => hooks::parse_context(&text).map(Memory::Entries),
        Err(why) if why.contains("context") && (why.contains("no action") || why.contains("unknown action")) => {
            let text = paii_plugin::run_action(provider, "recent", &[&limit, "--category", "learnings", "--json"])?;
            hooks::parse_recent(&text).map(Memory::Titles)
        }
        Err(why) => Err(why),
    }
}
