//! `{{name}} hook pre-tool-use`: Claude Code's hook input on stdin; exit 2
//! with a reason blocks the call, exit 0 lets it run. The decision is in
//! lib.rs, beside its tests.

use std::process::ExitCode;

use paii_plugin::Invocation;

fn main() -> ExitCode {
    match paii_plugin::invocation() {
        Invocation::Hook { event } => paii_plugin::hook(&event, |e, config| Ok({{module}}::judge(e, config))),
        other => paii_plugin::usage(&other, "{{name}} hook pre-tool-use < event.json"),
    }
}
