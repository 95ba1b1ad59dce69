//! Running one event: `paii hook dispatch <event>` reads stdin, the current
//! generation's table, spawns the matching handlers at once and answers:
//! exit 2 when a handler blocks, else exit 0 with the merged JSON. No async
//! runtime, no TOML, no network, no PAII_HOME lock, no failpoints; and
//! nothing that goes wrong inside paii itself ever blocks Claude Code.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::decision::{Answer, Merged};
use crate::env::{base_env, plugin_env};
use crate::event::HookEvent;
use crate::table::{self, DispatchTable, Handler, NativeCommand};
use crate::{audit, exec, matcher};

/// Input larger than this is not passed on (the event is allowed).
pub const MAX_INPUT: usize = 64 << 20;

#[derive(Debug, Default, Clone)]
pub struct Options {
    /// Append to the audit log and queue observers' events (`hook test`,
    /// a dry run, does neither).
    pub audit: bool,
    /// Run only this plugin's handlers.
    pub plugin: Option<String>,
    /// The profile whose current generation answers (a project's, as its
    /// hook entry names it); `None`: `PAII_HOME`'s own.
    pub profile: Option<std::path::PathBuf>,
}

/// What one handler did, for the audit log and `hook test`.
#[derive(Debug, Serialize)]
pub struct Report {
    pub plugin: String,
    /// Exit code; `null` when it was killed, timed out or never started.
    pub exit: Option<i32>,
    pub duration_ms: u64,
    /// `block`, `allow`, `ask`, `deny`, `failed` or `skipped`.
    pub decision: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stdout: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub stderr: String,
}

impl Report {
    /// What the audit log keeps of it.
    fn audited(&self) -> Value {
        json!({"plugin": self.plugin, "exit": self.exit, "duration_ms": self.duration_ms, "decision": self.decision, "error": self.error})
    }
}

/// Claude Code's hook input: stdin, up to [`MAX_INPUT`] bytes.
fn read_input() -> Result<Vec<u8>, String> {
    let mut input = Vec::new();
    std::io::stdin().take(MAX_INPUT as u64 + 1).read_to_end(&mut input).map_err(|e| format!("cannot read stdin: {e}"))?;
    if input.len() > MAX_INPUT { Err(format!("input is larger than {MAX_INPUT} bytes")) } else { Ok(input) }
}

/// The answer to Claude Code.
#[derive(Debug, Serialize)]
pub struct Outcome {
    pub event: String,
    /// 0 or 2.
    pub code: u8,
    pub stdout: String,
    pub stderr: String,
    pub decision: String,
    pub handlers: Vec<Report>,
    /// Why the event was allowed without running anything, if it was, or
    /// why its input could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip)]
    session: Option<String>,
    #[serde(skip)]
    tool: Option<String>,
    #[serde(skip)]
    generation: Option<u32>,
    /// Observers whose spool this event started draining.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub drains: Vec<String>,
}

#[derive(Deserialize)]
struct Input {
    session_id: Option<String>,
    tool_name: Option<String>,
}

/// `paii hook dispatch EVENT [--profile DIR]`: reads stdin, answers, and
/// returns the exit code, 0 or 2, whatever happens (a panic inside paii
/// included).
pub fn main(event: &str, profile: Option<std::path::PathBuf>) -> u8 {
    std::panic::set_hook(Box::new(|_| {}));
    let started = Instant::now();
    let home = crate::home::paii_home();
    let outcome =
        std::panic::catch_unwind(|| dispatch(&home, event, read_input(), &Options { audit: true, plugin: None, profile }, started));
    match outcome {
        Ok(o) => {
            use std::io::Write;
            if !o.stdout.is_empty() {
                let _ = std::io::stdout().write_all(o.stdout.as_bytes());
            }
            if !o.stderr.is_empty() {
                let _ = std::io::stderr().write_all(o.stderr.as_bytes());
            }
            // The launcher runs without Rust's start-up and clean-up, which
            // would otherwise flush stdout at exit.
            let _ = std::io::stdout().flush();
            o.code
        }
        Err(_) => {
            audit::append(
                &home.join("logs"),
                &json!({ "time": crate::time::now_millis(), "event": event, "decision": "allow", "error": "paii panicked; the event was allowed" }),
            );
            0
        }
    }
}

/// `paii hook handler GENERATION PLUGIN INDEX`: one hook of a Claude Code
/// plugin, which Claude Code has matched, run as Claude Code would run it
/// (stdin, stdout, stderr and exit code are the hook's own) with what paii
/// adds: the plugin's environment and secrets, its timeout enforced on the
/// whole process group, and a line in the audit log. Whatever goes wrong
/// inside paii allows (exit 0), unless the plugin is fail-closed.
pub fn handler_main(generation: &Path, plugin: &str, index: &str) -> i32 {
    std::panic::set_hook(Box::new(|_| {}));
    exec::forward_termination();
    let started = Instant::now();
    let fallback_home = crate::home::paii_home();
    let result = std::panic::catch_unwind(|| run_handler(generation, plugin, index, read_input()));
    let ran = match result {
        Ok(ran) => ran,
        Err(_) => HandlerRun { error: Some("paii panicked; the hook was allowed".into()), ..HandlerRun::new(&fallback_home) },
    };
    {
        use std::io::Write;
        if !ran.stdout.is_empty() {
            let _ = std::io::stdout().write_all(&ran.stdout);
        }
        if !ran.stderr.is_empty() {
            let _ = std::io::stderr().write_all(&ran.stderr);
        }
        let _ = std::io::stdout().flush();
    }
    let line = json!({
        "time": crate::time::now_millis(),
        "event": ran.event,
        "session": ran.session,
        "tool": ran.tool,
        "generation": ran.generation,
        "hook": format!("{plugin}#{index}"),
        "handlers": ran.report.iter().map(Report::audited).collect::<Vec<_>>(),
        "decision": ran.decision,
        "error": ran.error,
        "duration_ms": started.elapsed().as_millis() as u64,
    });
    audit::append(&ran.home.join("logs"), &line);
    ran.code
}

/// What `hook handler` did.
struct HandlerRun {
    home: std::path::PathBuf,
    code: i32,
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    event: Option<String>,
    session: Option<String>,
    tool: Option<String>,
    generation: Option<u32>,
    decision: String,
    report: Option<Report>,
    error: Option<String>,
}

impl HandlerRun {
    fn new(home: &Path) -> HandlerRun {
        HandlerRun {
            home: home.to_path_buf(),
            code: 0,
            stdout: Vec::new(),
            stderr: Vec::new(),
            event: None,
            session: None,
            tool: None,
            generation: None,
            decision: "allow".into(),
            report: None,
            error: None,
        }
    }
}

fn run_handler(generation: &Path, plugin: &str, index: &str, input: Result<Vec<u8>, String>) -> HandlerRun {
    let mut ran = HandlerRun::new(&crate::home::paii_home());
    let (table, _in_use) = match DispatchTable::read_locked(&generation.join(table::FILE)) {
        Ok(t) => t,
        Err(e) => {
            ran.error = Some(format!("no usable generation: {e}"));
            return ran;
        }
    };
    // Secrets and logs are the home the generation was made in.
    ran.home = table.home.clone();
    // A plugin root's table belongs to no one generation.
    ran.generation = (table.generation != 0).then_some(table.generation);
    let Some(hook) = index.parse::<usize>().ok().and_then(|i| table.plugin_hooks.get(plugin)?.get(i)) else {
        ran.error = Some(format!("generation {} has no hook {plugin}#{index}", table.generation));
        return ran;
    };
    let (h, kebab) = (&hook.handler, hook.event.as_str());
    ran.event = Some(kebab.to_string());
    let input = match input {
        Ok(i) => i,
        Err(e) => {
            ran.error = Some(e);
            return ran;
        }
    };
    if let Ok(parsed) = serde_json::from_slice::<Input>(&input) {
        ran.session = parsed.session_id;
        ran.tool = parsed.tool_name;
    }
    let Some(entry) = table.plugins.get(plugin) else {
        ran.error = Some(format!("`{plugin}` is not in the dispatch table"));
        return ran;
    };
    let refuse = |ran: &mut HandlerRun, why: String| {
        // Claude Code reads a hook that cannot run as a non-blocking error;
        // a fail-closed plugin blocks instead.
        ran.code = if entry.fail_closed { 2 } else { 1 };
        ran.decision = if entry.fail_closed { "block" } else { "failed" }.into();
        ran.stderr = format!("{plugin}: {why}\n").into_bytes();
        ran.report = Some(Report {
            plugin: plugin.to_string(),
            exit: None,
            duration_ms: 0,
            decision: ran.decision.clone(),
            error: Some(why),
            stdout: String::new(),
            stderr: String::new(),
        });
    };
    let dotenv = if entry.secrets.is_empty() { BTreeMap::new() } else { crate::env::read_dotenv(&table.home.join(".env")) };
    let mut env = match plugin_env(&table, plugin, entry, kebab, &crate::env::caller_env(), &dotenv) {
        Ok(env) => env,
        Err(missing) => {
            refuse(&mut ran, missing);
            return ran;
        }
    };
    // The data directory Claude Code gives the plugin (its MCP servers see
    // the same one).
    if let Ok(data) = std::env::var("CLAUDE_PLUGIN_DATA") {
        env.retain(|(k, _)| k != "CLAUDE_PLUGIN_DATA");
        env.push(("CLAUDE_PLUGIN_DATA".into(), data));
    }
    let argv = match command(h, entry, kebab, &env) {
        Ok(argv) => argv,
        Err(why) => {
            refuse(&mut ran, why);
            return ran;
        }
    };
    // The hook's output goes straight to Claude Code as the hook writes it:
    // Claude Code reads an `{"async": true}` first line to stop waiting.
    let job = exec::Job { argv, env, timeout: Duration::from_millis(h.timeout_ms), inherit_output: true };
    let finished = exec::run_all(std::slice::from_ref(&job), &input, None);
    let Some(done) = finished.into_iter().next() else {
        ran.error = Some("the handler did not run".into());
        return ran;
    };
    let (decision, error) = match (&done.spawn_error, done.timed_out, done.code) {
        (Some(e), _, _) => ("failed", Some(e.clone())),
        (None, true, _) => ("failed", Some(format!("timed out after {} ms; its process group was killed", h.timeout_ms))),
        (None, false, Some(0)) => ("allow", None),
        (None, false, Some(2)) => ("block", None),
        (None, false, code) => ("failed", Some(format!("exited {code:?}"))),
    };
    let decision = decision.to_string();
    ran.code = match (&done.spawn_error, done.timed_out, done.code) {
        (Some(e), _, _) => {
            ran.stderr = format!("{plugin}: {e}\n").into_bytes();
            1
        }
        (None, true, _) => {
            ran.stderr
                .extend_from_slice(format!("{plugin}: timed out after {} ms; its process group was killed\n", h.timeout_ms).as_bytes());
            1
        }
        (None, false, Some(code)) => code,
        (None, false, None) => 1,
    };
    if entry.fail_closed && ran.code != 0 && ran.code != 2 {
        ran.code = 2;
    }
    ran.decision.clone_from(&decision);
    ran.report = Some(Report {
        plugin: plugin.to_string(),
        exit: done.code,
        duration_ms: done.duration.as_millis() as u64,
        decision,
        error,
        stdout: String::new(),
        stderr: String::new(),
    });
    ran
}

fn allowed(event: &str, error: String) -> Outcome {
    Outcome {
        event: event.to_string(),
        code: 0,
        stdout: String::new(),
        stderr: String::new(),
        decision: "allow".into(),
        handlers: Vec::new(),
        error: Some(error),
        session: None,
        tool: None,
        generation: None,
        drains: Vec::new(),
    }
}

/// An event whose input paii cannot read: allowed, unless a plugin with a
/// handler for the event is fail-closed. Its matcher cannot be checked
/// without the input, so any of its handlers for the event blocks it.
fn unreadable(home: &Path, event: HookEvent, why: String, opts: &Options) -> Outcome {
    let kebab = event.kebab();
    let profile = opts.profile.as_deref().unwrap_or(home);
    let Ok((table, _in_use)) = DispatchTable::read_locked(&profile.join("current").join(table::FILE)) else {
        return allowed(kebab, why);
    };
    let mut closed: Vec<&str> = table
        .events
        .get(kebab)
        .into_iter()
        .flatten()
        .filter(|h| !h.observer && opts.plugin.as_ref().is_none_or(|p| *p == h.plugin))
        .map(|h| h.plugin.as_str())
        .filter(|p| table.plugins.get(*p).is_some_and(|e| e.fail_closed))
        .collect();
    closed.sort_unstable();
    closed.dedup();
    if closed.is_empty() {
        return allowed(kebab, why);
    }
    let mut outcome = allowed(kebab, why.clone());
    outcome.generation = Some(table.generation);
    let mut merged = Merged::default();
    for plugin in closed {
        merged.add(plugin, Answer::Block(format!("the hook input could not be read ({why}); it is fail-closed, so the event is blocked")));
        outcome.handlers.push(Report {
            plugin: plugin.to_string(),
            exit: None,
            duration_ms: 0,
            decision: "block".into(),
            error: Some(why.clone()),
            stdout: String::new(),
            stderr: String::new(),
        });
    }
    outcome.decision = merged.decision().to_string();
    outcome.code = 2;
    outcome.stderr = merged.blocks.join("\n") + "\n";
    outcome
}

/// Runs `event` with `input` against the current generation of `home` (or
/// of `opts.profile`); secrets and logs are `home`'s.
pub fn dispatch(home: &Path, event_arg: &str, input: Result<Vec<u8>, String>, opts: &Options, started: Instant) -> Outcome {
    let outcome = run(home, event_arg, input, opts);
    if opts.audit {
        let line = json!({
            "time": crate::time::now_millis(),
            "event": outcome.event,
            "session": outcome.session,
            "tool": outcome.tool,
            "generation": outcome.generation,
            "profile": opts.profile,
            "handlers": outcome.handlers.iter().map(Report::audited).collect::<Vec<_>>(),
            "decision": outcome.decision,
            "error": outcome.error,
            "drains": outcome.drains,
            "duration_ms": started.elapsed().as_millis() as u64,
        });
        audit::append(&home.join("logs"), &line);
    }
    outcome
}

fn run(home: &Path, event_arg: &str, input: Result<Vec<u8>, String>, opts: &Options) -> Outcome {
    let Some(event) = HookEvent::parse(event_arg) else {
        return allowed(event_arg, format!("unknown event `{event_arg}`"));
    };
    let kebab = event.kebab();
    let input = match input {
        Ok(i) => i,
        Err(e) => return unreadable(home, event, e, opts),
    };
    let parsed: Input = match serde_json::from_slice(&input) {
        Ok(p) => p,
        Err(e) => return unreadable(home, event, format!("the hook input is not a JSON object: {e}"), opts),
    };
    let mut outcome = allowed(kebab, String::new());
    outcome.error = None;
    outcome.session = parsed.session_id;
    outcome.tool = parsed.tool_name.clone();
    // The shared lock keeps `paii gc` from deleting this generation while
    // its handlers run.
    let profile = opts.profile.as_deref().unwrap_or(home);
    let (table, _in_use) = match DispatchTable::read_locked(&profile.join("current").join(table::FILE)) {
        Ok(t) => t,
        Err(e) => {
            outcome.error = Some(format!("no usable current generation: {e}"));
            return outcome;
        }
    };
    outcome.generation = Some(table.generation);
    let tool = parsed.tool_name.as_deref().filter(|_| event.is_tool_event());
    let handlers: Vec<&Handler> = table
        .events
        .get(kebab)
        .into_iter()
        .flatten()
        .filter(|h| opts.plugin.as_ref().is_none_or(|p| *p == h.plugin))
        .filter(|h| !event.is_tool_event() || matcher::matches(h.matcher.as_deref(), tool))
        .collect();
    if handlers.is_empty() {
        return outcome;
    }

    let base = base_env();
    let dotenv = if handlers.iter().any(|h| table.plugins.get(&h.plugin).is_some_and(|p| !p.secrets.is_empty())) {
        crate::env::read_dotenv(&home.join(".env"))
    } else {
        BTreeMap::new()
    };
    let mut jobs = Vec::new();
    let mut slots = Vec::new(); // per handler: its job, or why it did not run
    for h in &handlers {
        let Some(entry) = table.plugins.get(&h.plugin) else {
            slots.push(Slot::NotRun(format!("`{}` is not in the dispatch table", h.plugin)));
            continue;
        };
        if h.observer && h.command.is_none() {
            // A dry run (`hook test`) queues nothing.
            let started = Instant::now();
            let queued = if opts.audit {
                crate::spool::Spool::new(profile, &h.plugin)
                    .append(kebab, &input, crate::time::unix_millis())
                    .map(|size| (started.elapsed(), size))
                    .map_err(|e| format!("cannot queue the event: {e}"))
            } else {
                Ok((Duration::ZERO, 0))
            };
            let drain = opts.audit
                && (matches!(event, HookEvent::Stop | HookEvent::SessionEnd)
                    || queued.as_ref().is_ok_and(|(_, size)| *size > crate::spool::DRAIN_BOUND));
            if drain && !outcome.drains.contains(&h.plugin) {
                outcome.drains.push(h.plugin.clone());
            }
            slots.push(Slot::Queued(queued.map(|(d, _)| d)));
            continue;
        }
        match plugin_env(&table, &h.plugin, entry, kebab, &base, &dotenv) {
            Err(missing) => slots.push(Slot::NotRun(missing)),
            Ok(env) => match command(h, entry, kebab, &env) {
                Err(why) => slots.push(Slot::NotRun(why)),
                Ok(argv) if h.observer => {
                    let job = exec::Job { argv, env, timeout: Duration::from_millis(h.timeout_ms), inherit_output: false };
                    let started = Instant::now();
                    let log = home.join("logs").join(format!("{}.log", h.plugin));
                    slots.push(Slot::Observer(exec::start_detached(&job, &input, &log).map(|_| started.elapsed())));
                }
                Ok(argv) => {
                    slots.push(Slot::Job(jobs.len()));
                    jobs.push(exec::Job { argv, env, timeout: Duration::from_millis(h.timeout_ms), inherit_output: false });
                }
            },
        }
    }
    let finished = exec::run_all(&jobs, &input, None);
    for plugin in &outcome.drains {
        if let Err(e) = crate::spool::start_drain(home, profile, plugin) {
            audit::append(
                &home.join("logs"),
                &json!({"time": crate::time::now_millis(), "event": "drain", "handlers": [{"plugin": plugin, "decision": "failed", "error": e}]}),
            );
        }
    }

    let mut merged = Merged::default();
    for (h, slot) in handlers.iter().zip(slots) {
        let fail_closed = table.plugins.get(&h.plugin).is_some_and(|p| p.fail_closed);
        let job = match slot {
            // An observer's answer is not waited for: it can neither block
            // nor add context, even when it is fail-closed.
            Slot::Observer(result) => {
                outcome.handlers.push(not_waited(&h.plugin, result, "started"));
                continue;
            }
            Slot::Queued(result) => {
                outcome.handlers.push(not_waited(&h.plugin, result, if opts.audit { "queued" } else { "would be queued" }));
                continue;
            }
            Slot::NotRun(why) => {
                let decision = if fail_closed {
                    merged.add(&h.plugin, Answer::Block(format!("not run ({why}); it is fail-closed, so the event is blocked")));
                    "block"
                } else {
                    "skipped"
                };
                outcome.handlers.push(Report {
                    plugin: h.plugin.clone(),
                    exit: None,
                    duration_ms: 0,
                    decision: decision.into(),
                    error: Some(why),
                    stdout: String::new(),
                    stderr: String::new(),
                });
                continue;
            }
            Slot::Job(j) => &finished[j],
        };
        let (answer, decision, error) = match h.command {
            None => judge(job, h.timeout_ms, fail_closed),
            Some(_) => judge_native(job, h.timeout_ms, event),
        };
        let stdout = String::from_utf8_lossy(&job.stdout).into_owned();
        let stderr = String::from_utf8_lossy(&job.stderr).into_owned();
        merged.add(&h.plugin, answer);
        outcome.handlers.push(Report {
            plugin: h.plugin.clone(),
            exit: job.code,
            duration_ms: job.duration.as_millis() as u64,
            decision,
            error,
            stdout,
            stderr,
        });
    }
    outcome.decision = merged.decision().to_string();
    if merged.blocks.is_empty() {
        if !merged.output.is_empty() {
            outcome.stdout = serde_json::to_string(&Value::Object(merged.output)).unwrap_or_default();
            outcome.stdout.push('\n');
        }
    } else {
        outcome.code = 2;
        outcome.stderr = merged.blocks.join("\n");
        outcome.stderr.push('\n');
    }
    outcome
}

/// The report of a handler whose answer is not waited for: `ok` when it
/// was started or queued (in that long), else why it could not be.
fn not_waited(plugin: &str, result: Result<Duration, String>, ok: &str) -> Report {
    let (decision, duration, error) = match result {
        Ok(d) => (ok, d, None),
        Err(e) => ("failed", Duration::ZERO, Some(e)),
    };
    Report {
        plugin: plugin.to_string(),
        exit: None,
        duration_ms: duration.as_millis() as u64,
        decision: decision.into(),
        error,
        stdout: String::new(),
        stderr: String::new(),
    }
}

/// What became of one matching handler.
enum Slot {
    /// Run and waited for: its index in the jobs.
    Job(usize),
    /// Started detached, in this long, or why it could not be.
    Observer(Result<Duration, String>),
    /// An observer's event appended to its spool, in this long, or why it
    /// could not be.
    Queued(Result<Duration, String>),
    /// Not run, and why.
    NotRun(String),
}

/// The argv of a handler: a paii plugin's `[run] command` + `hook <event>`,
/// or a Claude Code plugin's own command as Claude Code would run it.
fn command(h: &Handler, entry: &crate::table::RunEntry, event: &str, env: &[(String, String)]) -> Result<Vec<String>, String> {
    let var = |name: &str| env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    if h.command.is_some()
        && let Some(data) = var("CLAUDE_PLUGIN_DATA")
    {
        // Created on first use, as Claude Code does; kept across generations.
        let _ = std::fs::create_dir_all(data);
    }
    match &h.command {
        None => {
            let mut argv = entry.argv.clone();
            argv.extend(["hook".to_string(), event.to_string()]);
            Ok(argv)
        }
        // The shell re-parses the text: an option's value substituted into
        // it could run anything, so Claude Code refuses the reference.
        Some(NativeCommand::Shell(c)) if c.contains("${user_config.") => Err(format!(
            "references ${{user_config.*}} in a shell-form command; use exec form (`args`) or read $CLAUDE_PLUGIN_OPTION_<KEY> (as Claude Code requires): {c}"
        )),
        Some(NativeCommand::Shell(c)) => Ok(vec!["/bin/sh".into(), "-c".into(), c.clone()]),
        Some(NativeCommand::Exec(argv)) => {
            let mut argv = argv.clone();
            for name in ["CLAUDE_PROJECT_DIR", "CLAUDE_PLUGIN_ROOT", "CLAUDE_PLUGIN_DATA"] {
                let value = var(name).unwrap_or_default();
                argv.iter_mut().for_each(|a| *a = a.replace(&format!("${{{name}}}"), value));
            }
            argv.iter().map(|a| user_config(a, &var)).collect()
        }
    }
}

/// `arg` with each `${user_config.KEY}` replaced by the plugin's option
/// (`CLAUDE_PLUGIN_OPTION_<KEY>`); an option that has no value fails the
/// hook, as in Claude Code.
fn user_config<'a>(arg: &str, var: &impl Fn(&str) -> Option<&'a str>) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = arg;
    while let Some(at) = rest.find("${user_config.") {
        let Some(end) = rest[at..].find('}') else { break };
        let key = &rest[at + "${user_config.".len()..at + end];
        let value =
            var(&format!("CLAUDE_PLUGIN_OPTION_{}", key.to_uppercase())).ok_or_else(|| format!("plugin option \"{key}\" isn't set"))?;
        out.push_str(&rest[..at]);
        out.push_str(value);
        rest = &rest[at + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// What a Claude Code plugin's hook said, read as Claude Code reads it:
/// stdout starting with `{` is JSON on any exit code; exit 2 blocks (with
/// stderr as the reason); another code with valid JSON lets the JSON decide,
/// without it is a non-blocking error; plain text on exit 0 is context for
/// the events that take it.
fn judge_native(job: &exec::Finished, timeout_ms: u64, event: HookEvent) -> (Answer, String, Option<String>) {
    if let Some(e) = &job.spawn_error {
        return (Answer::Allow, "failed".into(), Some(e.clone()));
    }
    if job.timed_out {
        return (Answer::Allow, "failed".into(), Some(format!("timed out after {timeout_ms} ms; its process group was killed")));
    }
    let stdout = String::from_utf8_lossy(&job.stdout);
    let text = stdout.trim();
    let json = if text.starts_with('{') { serde_json::from_str::<serde_json::Map<String, Value>>(text).ok() } else { None };
    let stderr = String::from_utf8_lossy(&job.stderr);
    match (job.code, json) {
        (Some(2), json) => {
            // The reason of the JSON's own blocking decision, else stderr.
            let reason = json.as_ref().and_then(blocking_reason).map_or_else(|| stderr.into_owned(), str::to_string);
            (Answer::Block(reason), "block".into(), None)
        }
        (_, Some(map)) => {
            let mut m = Merged::default();
            m.add("", Answer::Output(map.clone()));
            let d = m.decision().to_string();
            (Answer::Output(map), d, None)
        }
        (Some(0), None) if text.is_empty() => (Answer::Allow, "allow".into(), None),
        (Some(0), None) if matches!(event, HookEvent::SessionStart | HookEvent::UserPromptSubmit | HookEvent::UserPromptExpansion) => {
            let context = serde_json::json!({"hookSpecificOutput": {"hookEventName": event.pascal(), "additionalContext": text}});
            let Value::Object(map) = context else { return (Answer::Allow, "allow".into(), None) };
            (Answer::Output(map), "allow".into(), None)
        }
        (Some(0), None) => (Answer::Allow, "allow".into(), None),
        (code, None) => {
            let why = match (code, job.signal) {
                (_, Some(sig)) => format!("killed by signal {sig}"),
                (Some(c), _) => format!("exited {c}: {}", stderr.trim()),
                (None, None) => "ended without an exit code".into(),
            };
            (Answer::Allow, "failed".into(), Some(why))
        }
    }
}

/// The reason a hook's JSON gives for a blocking decision it makes.
fn blocking_reason(j: &serde_json::Map<String, Value>) -> Option<&str> {
    if j.get("decision").and_then(Value::as_str) == Some("block") {
        return j.get("reason").and_then(Value::as_str);
    }
    let specific = j.get("hookSpecificOutput")?;
    (specific.get("permissionDecision").and_then(Value::as_str) == Some("deny"))
        .then(|| specific.get("permissionDecisionReason").and_then(Value::as_str))
        .flatten()
}

/// What a finished handler said, its decision for the log, and what went wrong.
fn judge(job: &exec::Finished, timeout_ms: u64, fail_closed: bool) -> (Answer, String, Option<String>) {
    let failure = if let Some(e) = &job.spawn_error {
        Some(e.clone())
    } else if job.timed_out {
        Some(format!("timed out after {timeout_ms} ms; its process group was killed"))
    } else if let Some(sig) = job.signal {
        Some(format!("killed by signal {sig}"))
    } else {
        match job.code {
            Some(0 | 2) => None,
            Some(c) => Some(format!("exited {c}: {}", String::from_utf8_lossy(&job.stderr).trim())),
            None => Some("ended without an exit code".into()),
        }
    };
    if let Some(why) = failure {
        return if fail_closed {
            (Answer::Block(format!("failed ({why}); it is fail-closed, so the event is blocked")), "block".into(), Some(why))
        } else {
            (Answer::Allow, "failed".into(), Some(why))
        };
    }
    if job.code == Some(2) {
        return (Answer::Block(String::from_utf8_lossy(&job.stderr).into_owned()), "block".into(), None);
    }
    let text = String::from_utf8_lossy(&job.stdout);
    let text = text.trim();
    if text.is_empty() {
        return (Answer::Allow, "allow".into(), None);
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => {
            let mut m = Merged::default();
            m.add("", Answer::Output(map.clone()));
            let d = m.decision().to_string();
            (Answer::Output(map), d, None)
        }
        _ => {
            let note = if job.stdout_dropped > 0 {
                format!("stdout was cut at {} bytes ({} dropped) and is not JSON; ignored", exec::OUTPUT_CAP, job.stdout_dropped)
            } else {
                "stdout is not a JSON object; ignored".to_string()
            };
            if fail_closed {
                return (Answer::Block(format!("failed ({note}); it is fail-closed, so the event is blocked")), "block".into(), Some(note));
            }
            (Answer::Allow, "allow".into(), Some(note))
        }
    }
}
