//! `security hook pre-tool-use`: reads Claude Code's hook input on stdin.
//! Exit 2 with the reason on stderr blocks; a borderline call prints
//! Claude Code's `permissionDecision: ask`; anything else exits 0.
//! `security check COMMAND...` judges command lines given as arguments.

use std::io::Read;
use std::process::ExitCode;

use paii_plugin::{Answer, Invocation};
use security::{Config, Verdict};

fn hook(event: &str, input: Vec<u8>, config: impl Fn() -> Result<Config, String>) -> ExitCode {
    paii_plugin::hook_with_input(event, Ok(input), |e, _| {
        let config = match config() {
            Ok(c) => c.with_cwd(e.raw["cwd"].as_str().map(String::from)),
            Err(why) => return Ok(Answer::Deny(format!("{why}; fix it in [config.security]"))),
        };
        // An event it cannot judge is asked about (blocked with `fail_closed`).
        let verdict = match security::check_event(&e.raw, &config) {
            Ok(v) => v,
            Err(why) if fail_closed() => return Err(why),
            Err(why) => {
                eprintln!("security: {why}; asking");
                Verdict::Ask(format!("{why}, so it could not be checked"))
            }
        };
        Ok(match verdict {
            Verdict::Allow => Answer::Allow,
            Verdict::Block(why) => Answer::Deny(why),
            Verdict::Ask(why) => Answer::Ask(why),
        })
    })
}

/// `input` as JSON text, and whether it is a JSON object: invalid UTF-8
/// and unpaired surrogate escapes become U+FFFD. A well-formed event is
/// parsed once here.
fn readable(input: Vec<u8>) -> (Vec<u8>, bool) {
    let object = |bytes: &[u8]| serde_json::from_slice::<serde_json::Value>(bytes).map(|v| v.is_object());
    if let Ok(is_object) = object(&input) {
        return (input, is_object);
    }
    let text = String::from_utf8_lossy(&input);
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_ref();
    while let Some(at) = rest.find("\\u") {
        out.push_str(&rest[..at]);
        // `\\u` is an escaped backslash, then `u`.
        if out.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1 {
            out.push_str(&rest[at..at + 2]);
            rest = &rest[at + 2..];
            continue;
        }
        let esc = rest.get(at..at + 6).unwrap_or("");
        let hex = u16::from_str_radix(esc.get(2..).unwrap_or(""), 16).ok();
        let next = rest.get(at + 6..at + 12).and_then(|n| n.strip_prefix("\\u")).and_then(|h| u16::from_str_radix(h, 16).ok());
        match hex {
            Some(0xD800..=0xDBFF) if next.is_some_and(|n| (0xDC00..=0xDFFF).contains(&n)) => {
                out.push_str(&rest[at..at + 12]);
                rest = &rest[at + 12..];
            }
            Some(0xD800..=0xDFFF) => {
                out.push_str("\\ufffd");
                rest = &rest[at + 6..];
            }
            _ => {
                out.push_str(&rest[at..at + 2]);
                rest = &rest[at + 2..];
            }
        }
    }
    out.push_str(rest);
    let repaired = out.into_bytes();
    let is_object = object(&repaired).unwrap_or(false);
    (repaired, is_object)
}

fn fail_closed() -> bool {
    std::env::var("PAII_CONFIG")
        .ok()
        .and_then(|c| serde_json::from_str::<serde_json::Value>(&c).ok())
        .and_then(|c| c.get("fail_closed").and_then(serde_json::Value::as_bool))
        .unwrap_or(false)
}

fn main() -> ExitCode {
    let config = || {
        Config::from_json(std::env::var("PAII_CONFIG").ok().as_deref(), std::env::var("HOME").ok())
            .map(|c| c.with_dirs(std::env::var("PAII_HOME").ok(), std::env::var("CLAUDE_CONFIG_DIR").ok()))
    };
    match paii_plugin::invocation() {
        // The SDK reads the event and applies `fail_closed` to an event that
        // cannot be judged. A deny pattern that does not compile blocks
        // every call, loudly: allowing would drop every rule with it.
        Invocation::Hook { event } => {
            let mut input = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut input) {
                return paii_plugin::hook_with_input(&event, Err(format!("cannot read the hook input: {e}")), |_, _| Ok(Answer::Allow));
            }
            // Bytes that are not UTF-8, or an unpaired surrogate escape,
            // are read as U+FFFD, which the checks ask about; an event that
            // still cannot be read is asked about too (blocked with
            // `fail_closed`), never let through unchecked.
            let (input, object) = readable(input);
            if !object && !fail_closed() {
                eprintln!("security: the hook input is not a JSON object; asking");
                return Answer::Ask("the tool call could not be read, so it could not be checked".into())
                    .emit(&paii_plugin::pascal(&event));
            }
            hook(&event, input, config)
        }
        Invocation::Other(args) if args.first().is_some_and(|a| a == "check") => {
            let config = match config() {
                Ok(c) => c.with_cwd(std::env::current_dir().ok().map(|d| d.to_string_lossy().into_owned())),
                Err(e) => {
                    eprintln!("security: {e}");
                    return ExitCode::from(2);
                }
            };
            // `security check -` reads one command line per line of stdin.
            let lines: Vec<String> = if args.get(1).is_some_and(|a| a == "-") {
                std::io::stdin().lines().map_while(Result::ok).collect()
            } else {
                args[1..].to_vec()
            };
            let mut worst = ExitCode::SUCCESS;
            for line in &lines {
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
        other => paii_plugin::usage(
            &other,
            "security hook pre-tool-use < event.json | security check COMMAND... | security check - < commands.txt",
        ),
    }
}
