//! `security hook pre-tool-use`: reads Claude Code's hook input on stdin.
//! Exit 2 with the reason on stderr blocks; a borderline call prints
//! Claude Code's `permissionDecision: ask`; anything else exits 0.
//! `security check COMMAND...` judges command lines given as arguments.

use std::process::ExitCode;

use paii_plugin::{Answer, Invocation};
use security::{Config, Verdict};

fn main() -> ExitCode {
    let config = || Config::from_json(std::env::var("PAII_CONFIG").ok().as_deref(), std::env::var("HOME").ok());
    match paii_plugin::invocation() {
        // The SDK reads the event and applies `fail_closed` to an event that
        // cannot be judged. A deny pattern that does not compile blocks
        // every call, loudly: allowing would drop every rule with it.
        Invocation::Hook { event } => paii_plugin::hook(&event, |e, _| {
            let config = match config() {
                Ok(c) => c,
                Err(why) => return Ok(Answer::Deny(format!("{why}; fix it in [config.security]"))),
            };
            Ok(match security::check_event(&e.raw, &config)? {
                Verdict::Allow => Answer::Allow,
                Verdict::Block(why) => Answer::Deny(why),
                Verdict::Ask(why) => Answer::Ask(why),
            })
        }),
        Invocation::Other(args) if args.first().is_some_and(|a| a == "check") => {
            let config = match config() {
                Ok(c) => c,
                Err(e) => {
                    eprintln!("security: {e}");
                    return ExitCode::from(2);
                }
            };
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
        other => paii_plugin::usage(&other, "security hook pre-tool-use < event.json | security check COMMAND..."),
    }
}
