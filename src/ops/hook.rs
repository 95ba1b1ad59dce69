//! `paii hook list`, `paii hook test`, `paii run` and `paii history`: the
//! run-time commands, all reading the current generation's dispatch table.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{Context, Error};
use crate::dispatch::{self, DispatchTable, Options, Outcome};
use crate::generation::GenerationError;

/// The current generation's table, or an error that says how to get one.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum HookError {
    #[error("{reason}")]
    #[diagnostic(help("run `paii sync` to assemble a new generation"))]
    UnreadableTable { reason: String },
    #[error("`{event}` is not a Claude Code hook event")]
    UnknownEvent {
        event: String,
        #[help]
        help: Option<String>,
    },
    #[error("`{name}` is not a runnable plugin of the current generation {generation}")]
    NotRunnable {
        name: String,
        generation: u32,
        #[help]
        help: Option<String>,
    },
    #[error("`{plugin}` has no action `{action}`")]
    UnknownAction {
        plugin: String,
        action: String,
        #[help]
        help: String,
    },
    #[error("`{plugin}`: {reason}")]
    CannotRun { plugin: String, reason: String },
    #[error("no plugin of the current generation provides the MemoryProvider contract, so there is no history to query")]
    #[diagnostic(help(
        "add a provider to paii.toml, e.g. `paii plugin install history` (a plugin whose plugin.toml has `[provides] memory = \"MemoryProvider\"`)"
    ))]
    NoMemoryProvider,
}

/// The dispatch table of `profile`'s current generation.
pub fn current_table(profile: &Path) -> Result<DispatchTable, Error> {
    let path = profile.join("current").join(dispatch::table::FILE);
    if !profile.join("current").exists() {
        return Err(GenerationError::NoCurrent.into());
    }
    Ok(DispatchTable::read(&path).map_err(|reason| HookError::UnreadableTable { reason })?)
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub event: String,
    pub plugin: String,
    pub matcher: Option<String>,
    pub timeout_ms: u64,
    pub fail_closed: bool,
    pub command: Vec<String>,
}

pub fn list(ctx: &Context) -> Result<(u32, Vec<Row>), Error> {
    let scope = ctx.acting_scope()?;
    let table = current_table(&scope.profile)?;
    let mut rows = Vec::new();
    for (event, handlers) in &table.events {
        for h in handlers {
            let entry = table.plugins.get(&h.plugin);
            rows.push(Row {
                event: event.clone(),
                plugin: h.plugin.clone(),
                matcher: h.matcher.clone(),
                timeout_ms: h.timeout_ms,
                fail_closed: entry.is_some_and(|e| e.fail_closed),
                command: entry.map(|e| e.argv.clone()).unwrap_or_default(),
            });
        }
    }
    Ok((table.generation, rows))
}

/// Runs `event` as dispatch would, without writing the audit log.
pub fn test(ctx: &Context, event: &str, input: Option<&Path>, plugin: Option<String>) -> Result<Outcome, Error> {
    if crate::dispatch::event::HookEvent::parse(event).is_none() {
        let help = crate::util::suggest::closest(event, crate::dispatch::event::HookEvent::ALL.iter().map(|e| e.snake()))
            .map(|s| format!("did you mean `{}`?", s.replace('_', "-")));
        return Err(HookError::UnknownEvent { event: event.to_string(), help }.into());
    }
    let scope = ctx.acting_scope()?;
    let table = current_table(&scope.profile)?;
    if let Some(p) = &plugin
        && !table.plugins.contains_key(p)
    {
        return Err(unknown_plugin(&table, p));
    }
    let bytes = match input {
        Some(path) if path == Path::new("-") => {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes).map_err(Error::io("cannot read", Path::new("stdin")))?;
            bytes
        }
        Some(path) => std::fs::read(path).map_err(Error::io("cannot read", path))?,
        None => {
            let e = crate::dispatch::event::HookEvent::parse(event).map(|e| e.pascal()).unwrap_or_default();
            serde_json::to_vec(&serde_json::json!({ "session_id": "paii-hook-test", "hook_event_name": e })).unwrap_or_default()
        }
    };
    let profile = scope.dispatch_profile().map(Path::to_path_buf);
    Ok(dispatch::dispatch(&scope.home, event, Ok(bytes), &Options { audit: false, plugin, profile }, std::time::Instant::now()))
}

/// `paii hook drain PLUGIN`: the observer's spool handed to it now, in the
/// scope's profile (or `profile`).
pub fn drain(ctx: &Context, plugin: &str, profile: Option<PathBuf>) -> Result<dispatch::spool::Drained, Error> {
    let scope = ctx.scope()?;
    let profile = profile.unwrap_or_else(|| scope.profile.clone());
    let table = current_table(&profile)?;
    if !table.plugins.contains_key(plugin) {
        return Err(unknown_plugin(&table, plugin));
    }
    Ok(dispatch::spool::drain(&scope.home, &profile, plugin))
}

fn unknown_plugin(table: &DispatchTable, name: &str) -> Error {
    let help = crate::util::suggest::did_you_mean(name, table.plugins.keys().map(String::as_str)).or_else(|| {
        Some(format!(
            "plugins that can run: {} (a plugin awaiting `paii approve` runs nothing)",
            table.plugins.keys().cloned().collect::<Vec<_>>().join(", ")
        ))
    });
    HookError::NotRunnable { name: name.to_string(), generation: table.generation, help }.into()
}

/// `paii run PLUGIN --action ACTION [-- ARGS...]`: the exit code of the
/// action. In a project, a plugin the project does not have is the user's.
pub fn run(ctx: &Context, plugin: &str, action: &str, args: &[String]) -> Result<i32, Error> {
    run_via(ctx, plugin, action, args, "paii run")
}

/// [`run`], saying in the audit log which command asked for it.
fn run_via(ctx: &Context, plugin: &str, action: &str, args: &[String], via: &str) -> Result<i32, Error> {
    let home = crate::util::paths::paii_home();
    let table = table_with(ctx, |t| t.plugins.contains_key(plugin))?;
    let entry = table.plugins.get(plugin).ok_or_else(|| unknown_plugin(&table, plugin))?;
    if let Some(actions) = &entry.actions
        && !actions.iter().any(|a| a == action)
    {
        return Err(HookError::UnknownAction {
            plugin: plugin.to_string(),
            action: action.to_string(),
            help: match crate::util::suggest::closest(action, actions.iter().map(String::as_str)) {
                Some(s) => format!("did you mean `{s}`? its actions: {}", actions.join(", ")),
                None => format!("its actions: {}", actions.join(", ")),
            },
        }
        .into());
    }
    let dotenv = crate::generation::secrets::read(&home.join(".env"))?;
    let env = dispatch::plugin_env(&table, plugin, entry, "", &dispatch::base_env(), &dotenv)
        .map_err(|reason| HookError::CannotRun { plugin: plugin.to_string(), reason })?;
    let mut argv = entry.argv.clone();
    argv.extend(["action".to_string(), action.to_string()]);
    argv.extend(args.iter().cloned());
    let (program, rest) =
        argv.split_first().ok_or_else(|| HookError::CannotRun { plugin: plugin.to_string(), reason: "it has no command".into() })?;
    let started = std::time::Instant::now();
    let status = std::process::Command::new(program).args(rest).env_clear().envs(env).env("PAII_ACTION", action).status();
    use std::os::unix::process::ExitStatusExt;
    let code = status.as_ref().ok().map(|s| s.code().unwrap_or_else(|| 128 + s.signal().unwrap_or(0)));
    // Like a hook event: what ran, for whom, how it ended; not its
    // arguments, which may hold what the user typed.
    dispatch::audit::append(
        &home.join("logs"),
        &serde_json::json!({
            "time": dispatch::time::now_millis(),
            "event": "run",
            "via": via,
            "generation": table.generation,
            "handlers": [{
                "plugin": plugin,
                "action": action,
                "exit": code,
                "duration_ms": started.elapsed().as_millis() as u64,
                "decision": if code == Some(0) { "ok" } else { "failed" },
                "error": status.as_ref().err().map(ToString::to_string),
            }],
            "args": args.len(),
        }),
    );
    let status = status.map_err(Error::io("cannot run", Path::new(program)))?;
    Ok(status.code().unwrap_or_else(|| 128 + status.signal().unwrap_or(0)))
}

/// `paii history query TEXT|recent|categories|context ...`: the
/// MemoryProvider's action; its flags in any order, `--json` when `json`.
pub fn history(ctx: &Context, what: &[String], json: bool) -> Result<i32, Error> {
    let table = table_with(ctx, |t| t.plugins.values().any(|e| e.provides.iter().any(|c| c == "MemoryProvider")))?;
    let providers: Vec<&String> =
        table.plugins.iter().filter(|(_, e)| e.provides.iter().any(|c| c == "MemoryProvider")).map(|(n, _)| n).collect();
    let Some(provider) = wired_provider(&table, &providers) else {
        return Err(HookError::NoMemoryProvider.into());
    };
    let (action, mut args) = match what.split_first() {
        Some((first, rest)) if ["recent", "categories", "context", "query"].contains(&first.as_str()) => (first.as_str(), rest.to_vec()),
        _ => ("query", what.to_vec()),
    };
    if json && !args.iter().any(|a| a == "--json") {
        args.push("--json".into());
    }
    run_via(ctx, provider, action, &args, "paii history")
}

/// The dispatch table a plugin action runs from: the scope's current
/// generation when it has what `wanted` asks for; else, unless `--scope`
/// chose, the user's (a project leaves the user's plugins usable, even
/// before its first sync or with its paii.toml broken).
fn table_with(ctx: &Context, wanted: impl Fn(&DispatchTable) -> bool) -> Result<DispatchTable, Error> {
    let scoped = ctx.scope().and_then(|s| current_table(&s.profile).map(|t| (s, t)));
    match scoped {
        Ok((_, t)) if wanted(&t) => Ok(t),
        Ok((s, t)) if s.project.is_none() || ctx.scope.is_some() => Ok(t),
        Err(e) if ctx.scope.is_some() => Err(e),
        scoped => match current_table(&crate::util::paths::paii_home()) {
            Ok(user) if wanted(&user) => Ok(user),
            _ => scoped.map(|(_, t)| t),
        },
    }
}

/// The provider consumers are wired to (the lock's choice), else the only one.
fn wired_provider<'a>(table: &'a DispatchTable, providers: &[&'a String]) -> Option<&'a str> {
    let mut votes: BTreeMap<&str, usize> = BTreeMap::new();
    for entry in table.plugins.values() {
        for (k, v) in &entry.env {
            if k.starts_with("PAII_CONTRACT_") && providers.contains(&v) {
                *votes.entry(v.as_str()).or_default() += 1;
            }
        }
    }
    votes.into_iter().max_by_key(|(_, n)| *n).map(|(p, _)| p).or_else(|| providers.first().map(|p| p.as_str()))
}
