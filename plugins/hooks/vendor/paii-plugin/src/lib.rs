//! The paii plugin SDK for Rust.
//!
//! paii runs a plugin's `[run] command` as `<command> hook <event-kebab>`
//! with Claude Code's hook input on stdin, or `<command> action <name>
//! [args...]` for `paii run`, with its merged `[config]` as JSON in
//! `PAII_CONFIG`. A handler answers with exit 0 (allow), exit 2 and a reason
//! on stderr (block), or JSON on stdout (ask, context).
//!
//! ```no_run
//! use paii_plugin::{Answer, Invocation};
//!
//! fn main() -> std::process::ExitCode {
//!     match paii_plugin::invocation() {
//!         Invocation::Hook { event } => paii_plugin::hook(&event, |e, _config| {
//!             if e.tool_name() == Some("Bash") { Ok(Answer::Allow) } else { Ok(Answer::Allow) }
//!         }),
//!         other => paii_plugin::usage(&other, "hook pre-tool-use"),
//!     }
//! }
//! ```

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;

pub use serde_json::{Value, json};

/// How the plugin was started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invocation {
    /// `hook <event-kebab>`: an event on stdin.
    Hook { event: String },
    /// `action <name> [args...]`: `paii run PLUGIN --action NAME -- ARGS`.
    Action { name: String, args: Vec<String> },
    /// Anything else, as given.
    Other(Vec<String>),
}

/// The command line of this process, read as paii calls plugins.
pub fn invocation() -> Invocation {
    parse_invocation(std::env::args().skip(1).collect())
}

pub fn parse_invocation(args: Vec<String>) -> Invocation {
    match args.split_first() {
        Some((first, rest)) if first == "hook" && rest.len() == 1 => Invocation::Hook { event: rest[0].clone() },
        Some((first, rest)) if first == "action" && !rest.is_empty() => {
            Invocation::Action { name: rest[0].clone(), args: rest[1..].to_vec() }
        }
        _ => Invocation::Other(args),
    }
}

/// Claude Code's hook input.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub raw: Value,
}

impl Event {
    /// Parses hook input; it must be a JSON object.
    pub fn parse(input: &[u8]) -> Result<Event, String> {
        if input.iter().all(u8::is_ascii_whitespace) {
            return Err("the hook input is empty".to_string());
        }
        let raw: Value = serde_json::from_slice(input).map_err(|e| format!("the hook input is not JSON: {e}"))?;
        if !raw.is_object() {
            return Err("the hook input is not a JSON object".to_string());
        }
        Ok(Event { raw })
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.raw.get(key)
    }

    fn str(&self, key: &str) -> Option<&str> {
        self.raw.get(key).and_then(Value::as_str)
    }

    /// `hook_event_name`: `PreToolUse`, `SessionStart`, ...
    pub fn name(&self) -> Option<&str> {
        self.str("hook_event_name")
    }
    pub fn session_id(&self) -> Option<&str> {
        self.str("session_id")
    }
    pub fn cwd(&self) -> Option<&str> {
        self.str("cwd")
    }
    pub fn transcript_path(&self) -> Option<&str> {
        self.str("transcript_path")
    }
    pub fn tool_name(&self) -> Option<&str> {
        self.str("tool_name")
    }
    /// `tool_input`, or `Value::Null`.
    pub fn tool_input(&self) -> &Value {
        self.raw.get("tool_input").unwrap_or(&Value::Null)
    }
    /// `source` of a SessionStart: `startup`, `resume`, `clear`, `compact`.
    pub fn source(&self) -> Option<&str> {
        self.str("source")
    }
}

/// What a handler says about an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Nothing to say: the call goes on.
    Allow,
    /// Ask the user (a tool event's `permissionDecision: ask`).
    Ask(String),
    /// Block, with the reason Claude is shown (exit 2).
    Deny(String),
    /// Context for Claude (`additionalContext`).
    Context(String),
}

impl Answer {
    /// The JSON Claude Code reads on stdout for this answer, if any.
    pub fn output(&self, event_name: &str) -> Option<Value> {
        match self {
            Answer::Allow | Answer::Deny(_) => None,
            Answer::Ask(reason) => Some(json!({"hookSpecificOutput": {
                "hookEventName": event_name,
                "permissionDecision": "ask",
                "permissionDecisionReason": reason,
            }})),
            Answer::Context(text) => Some(json!({"hookSpecificOutput": {
                "hookEventName": event_name,
                "additionalContext": text,
            }})),
        }
    }

    /// Writes the answer where Claude Code reads it; the exit code.
    pub fn emit(&self, event_name: &str) -> ExitCode {
        if let Some(out) = self.output(event_name) {
            let _ = writeln!(std::io::stdout().lock(), "{out}");
        }
        match self {
            Answer::Deny(reason) => {
                let _ = writeln!(std::io::stderr().lock(), "{reason}");
                ExitCode::from(2)
            }
            _ => ExitCode::SUCCESS,
        }
    }
}

/// The plugin's merged `[config]` (`PAII_CONFIG`); an empty object when
/// unset, an error when it is not a JSON object.
pub fn config() -> Result<Value, String> {
    config_from(std::env::var("PAII_CONFIG").ok().as_deref())
}

pub fn config_from(text: Option<&str>) -> Result<Value, String> {
    match text.map(str::trim) {
        None | Some("") => Ok(json!({})),
        Some(t) => match serde_json::from_str::<Value>(t) {
            Ok(v) if v.is_object() => Ok(v),
            Ok(_) => Err("PAII_CONFIG is not a JSON object".to_string()),
            Err(e) => Err(format!("PAII_CONFIG is not JSON: {e}")),
        },
    }
}

/// `PAII_PLUGIN_NAME`, else `plugin`.
pub fn plugin_name() -> String {
    std::env::var("PAII_PLUGIN_NAME").unwrap_or_else(|_| "plugin".to_string())
}

/// `PAII_HOME`, else `$XDG_CONFIG_HOME/paii`, else `~/.config/paii`.
pub fn paii_home() -> PathBuf {
    if let Some(h) = std::env::var_os("PAII_HOME") {
        return PathBuf::from(h);
    }
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME") {
        return PathBuf::from(x).join("paii");
    }
    PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".config/paii")
}

/// `PAII_HISTORY_DIR`, else `<paii home>/history`.
pub fn history_dir() -> PathBuf {
    std::env::var_os("PAII_HISTORY_DIR").map(PathBuf::from).unwrap_or_else(|| paii_home().join("history"))
}

/// The plugin wired to the consumed contract `key` (`PAII_CONTRACT_<KEY>`;
/// paii sets `none` for an optional contract nothing provides).
pub fn contract(key: &str) -> Option<String> {
    std::env::var(format!("PAII_CONTRACT_{}", key.to_ascii_uppercase().replace('-', "_"))).ok().filter(|v| !v.is_empty() && v != "none")
}

/// One line on stderr, which paii keeps in the plugin's log.
pub fn log(message: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{}: {message}", plugin_name());
}

/// `PreToolUse` for `pre-tool-use`: the name Claude Code's output wants
/// when the event does not say it.
pub fn pascal(kebab: &str) -> String {
    kebab
        .split('-')
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect()
}

/// Runs a hook handler the way paii expects one to behave: the event is
/// read from stdin; an event that cannot be read, or a handler that fails,
/// is logged and allowed, unless the config says `fail_closed = true`,
/// which blocks.
pub fn hook(event: &str, handler: impl FnOnce(&Event, &Value) -> Result<Answer, String>) -> ExitCode {
    let mut input = Vec::new();
    let read = std::io::stdin().read_to_end(&mut input).map(|_| ()).map_err(|e| format!("cannot read the hook input: {e}"));
    hook_with_input(event, read.map(|_| input), handler)
}

/// [`hook`] on input the plugin has read itself (to look at it first);
/// `Err` when it could not be read.
pub fn hook_with_input(
    event: &str,
    input: Result<Vec<u8>, String>,
    handler: impl FnOnce(&Event, &Value) -> Result<Answer, String>,
) -> ExitCode {
    let (read, input) = match input {
        Ok(bytes) => (Ok(()), bytes),
        Err(why) => (Err(why), Vec::new()),
    };
    let config = config();
    let fail_closed = config.as_ref().ok().and_then(|c| c.get("fail_closed")).and_then(Value::as_bool).unwrap_or(false);
    let answer = read
        .and_then(|_| config.clone())
        .and_then(|config| Event::parse(&input).map(|e| (e, config)))
        .and_then(|(e, config)| handler(&e, &config).map(|a| (a, e)));
    match answer {
        Ok((answer, e)) => answer.emit(e.name().map(str::to_string).unwrap_or_else(|| pascal(event)).as_str()),
        Err(why) => {
            log(&why);
            if fail_closed {
                let _ = writeln!(std::io::stderr().lock(), "{}: blocked because the call could not be judged (fail_closed)", plugin_name());
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
    }
}

/// The usage message for an invocation the plugin does not know; exit 64.
pub fn usage(got: &Invocation, expected: &str) -> ExitCode {
    let _ = writeln!(std::io::stderr().lock(), "{}: unexpected invocation {got:?}; usage: {expected}", plugin_name());
    ExitCode::from(64)
}

/// Runs `paii run PLUGIN --action ACTION -- ARGS` (through `PAII_BIN`, the
/// paii that started this plugin); its stdout on success.
pub fn run_action(plugin: &str, action: &str, args: &[&str]) -> Result<String, String> {
    let paii = std::env::var_os("PAII_BIN").unwrap_or_else(|| "paii".into());
    let out = std::process::Command::new(&paii)
        .args(["run", plugin, "--action", action, "--"])
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", PathBuf::from(&paii).display()))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!("`paii run {plugin} --action {action}` failed ({}): {}", out.status, String::from_utf8_lossy(&out.stderr).trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invocations_are_read_as_paii_makes_them() {
        let v = |a: &[&str]| parse_invocation(a.iter().map(|s| s.to_string()).collect());
        assert_eq!(v(&["hook", "pre-tool-use"]), Invocation::Hook { event: "pre-tool-use".into() });
        assert_eq!(v(&["action", "recent", "3"]), Invocation::Action { name: "recent".into(), args: vec!["3".into()] });
        assert!(matches!(v(&["hook"]), Invocation::Other(_)));
    }

    #[test]
    fn events_must_be_json_objects() {
        assert!(Event::parse(b"").is_err());
        assert!(Event::parse(b"  \n").is_err());
        assert!(Event::parse(b"[1]").is_err());
        assert!(Event::parse(b"{not json").is_err());
        let e = Event::parse(br#"{"hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"ls"}}"#).unwrap();
        assert_eq!(e.name(), Some("PreToolUse"));
        assert_eq!(e.tool_input()["command"], "ls");
    }

    #[test]
    fn answers_are_claude_codes_hook_output() {
        assert_eq!(Answer::Allow.output("PreToolUse"), None);
        assert_eq!(Answer::Ask("sure?".into()).output("PreToolUse").unwrap()["hookSpecificOutput"]["permissionDecision"], "ask");
        let c = Answer::Context("hi".into()).output("SessionStart").unwrap();
        assert_eq!(c["hookSpecificOutput"]["hookEventName"], "SessionStart");
        assert_eq!(c["hookSpecificOutput"]["additionalContext"], "hi");
    }

    #[test]
    fn config_is_an_object_or_an_error() {
        assert_eq!(config_from(None).unwrap(), json!({}));
        assert_eq!(config_from(Some("{\"a\":1}")).unwrap()["a"], 1);
        assert!(config_from(Some("[]")).is_err());
        assert!(config_from(Some("{")).is_err());
    }

    #[test]
    fn event_names_convert_to_claude_codes() {
        assert_eq!(pascal("pre-tool-use"), "PreToolUse");
        assert_eq!(pascal("session-start"), "SessionStart");
    }
}
