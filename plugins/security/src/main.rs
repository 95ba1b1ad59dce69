//! `security hook pre-tool-use`: reads Claude Code's hook input on stdin.
//! Exit 2 with the reason on stderr blocks; a borderline call prints
//! Claude Code's `permissionDecision: ask`; anything else exits 0.
//! `security check COMMAND...` judges command lines given as arguments.

use std::io::Read;
use std::process::ExitCode;

use security::{Config, Verdict};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let config = match Config::from_json(std::env::var("PAII_CONFIG").ok().as_deref(), std::env::var("HOME").ok()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("security: {e}");
            return ExitCode::from(2);
        }
    };
    match args.first().map(String::as_str) {
        Some("hook") => hook(&config),
        Some("check") => {
            let mut worst = ExitCode::SUCCESS;
            for line in &args[1..] {
                match security::check_command(line, &config) {
                    Verdict::Allow => println!("allow  {line}"),
                    Verdict::Ask(why) => println!("ask    {line}  ({why})"),
                    Verdict::Block(why) => {
                        println!("block  {line}  ({why})");
                        worst = ExitCode::from(2);
                    }
                }
            }
            worst
        }
        _ => {
            eprintln!("usage: security hook pre-tool-use < event.json | security check COMMAND...");
            ExitCode::from(64)
        }
    }
}

fn hook(config: &Config) -> ExitCode {
    let mut input = String::new();
    let event: Option<serde_json::Value> = std::io::stdin().read_to_string(&mut input).ok().and_then(|_| serde_json::from_str(&input).ok());
    let Some(event) = event.filter(|e| e.is_object()) else {
        // Not an event: allowed (and said), unless the team wants the
        // opposite.
        eprintln!("security: the hook input is not a JSON event object");
        return if config.fail_closed { ExitCode::from(2) } else { ExitCode::SUCCESS };
    };
    let verdict = match security::check_event(&event, config) {
        Ok(v) => v,
        Err(why) => {
            eprintln!("security: {why}");
            return if config.fail_closed { ExitCode::from(2) } else { ExitCode::SUCCESS };
        }
    };
    match verdict {
        Verdict::Allow => ExitCode::SUCCESS,
        Verdict::Block(why) => {
            eprintln!("{why}");
            ExitCode::from(2)
        }
        Verdict::Ask(why) => {
            let out = serde_json::json!({"hookSpecificOutput": {
                "hookEventName": "PreToolUse",
                "permissionDecision": "ask",
                "permissionDecisionReason": format!("security: {why}"),
            }});
            println!("{out}");
            ExitCode::SUCCESS
        }
    }
}
