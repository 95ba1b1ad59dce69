//! What a new generation holds, computed from the lock, the fetched and
//! built plugins and paii.toml before anything is written: plugin links,
//! Claude Code's fragment, and the dispatch table's entries with the plugin
//! environment contract (merged config as `PAII_CONFIG`, contract wiring as
//! `PAII_CONTRACT_<KEY>`, the names of its secrets).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::{Assembly, GenerationError, GenerationPlugin};
use crate::claude::{Contribution, Fragment};
use crate::dispatch::event::HookEvent;
use crate::dispatch::{Handler, NativeCommand, RunEntry};
use crate::lock::Lock;
use crate::manifest::native::NativeHook;
use crate::manifest::{Manifest, PluginManifest, PluginRequest};

/// A plugin's hooks, compiled: the handlers paii's dispatcher runs and the
/// matcher groups written into settings.json as they are.
#[derive(Debug, Clone, Default)]
pub struct PluginHooks {
    pub handlers: Vec<(HookEvent, Handler)>,
    pub raw: Vec<(HookEvent, Value)>,
    pub warnings: Vec<String>,
}

/// The hooks of one plugin. A paii plugin's `[hooks]` run through its `[run]`
/// command, when it has one (`runnable`); a Claude Code plugin's own hooks
/// run through the dispatcher as Claude Code runs them, except those that
/// use what paii does not reproduce (other hook types; `async`,
/// `asyncRewake`, `once`, `if`, a PowerShell `shell`) and all of them with
/// `dispatch = false`: those go into settings.json as written.
pub fn plugin_hooks(
    scope: &crate::scope::Scope,
    request: Option<&PluginRequest>,
    pm: &PluginManifest,
    root: &Path,
    runnable: bool,
    options: &[(String, String)],
) -> Result<PluginHooks, GenerationError> {
    let mut out = PluginHooks::default();
    if request.is_some_and(|r| !r.hooks) {
        return Ok(out);
    }
    let Some(native) = &pm.native else {
        if runnable {
            for h in &pm.hooks {
                let handler = Handler {
                    plugin: pm.name.clone(),
                    matcher: h.matcher.clone().filter(|m| !m.is_empty() && m != "*"),
                    timeout_ms: h.timeout_ms.unwrap_or(crate::claude::fragment::DEFAULT_TIMEOUT_MS),
                    command: None,
                    observer: h.observer,
                };
                out.handlers.push((h.event, handler));
            }
        } else if !pm.hooks.is_empty() {
            out.warnings.push(format!("`{}` declares [hooks] but has no [run] command; its hooks are not installed", pm.name));
        }
        return Ok(out);
    };
    let (hooks, warnings) = native.load_hooks(root)?;
    out.warnings = warnings;
    let dispatch = request.is_none_or(|r| r.dispatch);
    let data = scope.home.join("data").join(&pm.name);
    // What settings.json names: the plugin through `current`, so that a
    // switch that keeps the plugin keeps the entry.
    let stable_root = scope.profile.join("plugins").join(&pm.name);
    for NativeHook { event, matcher, hook } in hooks {
        let kind = hook.get("type").and_then(Value::as_str).unwrap_or_default();
        let reproduced = kind == "command"
            && !["async", "asyncRewake", "once", "if"].iter().any(|k| hook.contains_key(*k))
            && hook.get("shell").and_then(Value::as_str) != Some("powershell");
        if dispatch && reproduced {
            let program = hook.get("command").and_then(Value::as_str).unwrap_or_default().to_string();
            let command = match hook.get("args").and_then(Value::as_array) {
                None => NativeCommand::Shell(program),
                Some(args) => {
                    let data = data.display().to_string();
                    let argv =
                        std::iter::once(program).chain(args.iter().map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_string)));
                    // The plugin root is the generation's, known when it is
                    // created (see `Generations::create`).
                    NativeCommand::Exec(argv.map(|a| a.replace("${CLAUDE_PLUGIN_DATA}", &data)).collect())
                }
            };
            let timeout_ms = hook.get("timeout").and_then(Value::as_f64).map_or(native_default_timeout_ms(event), |s| (s * 1000.0) as u64);
            let handler = Handler {
                plugin: pm.name.clone(),
                matcher: matcher.filter(|m| !m.is_empty() && m != "*"),
                timeout_ms,
                command: Some(command),
                observer: false,
            };
            out.handlers.push((event, handler));
        } else {
            let Some(allowed) = crate::claude::settings::hook_keys(kind) else {
                out.warnings
                    .push(format!("`{}`: a `{kind}` hook on {event} is of a type Claude Code's settings do not take; skipped", pm.name));
                continue;
            };
            let mut hook = hook;
            let dropped: Vec<String> = hook.keys().filter(|k| !allowed.contains(k)).cloned().collect();
            if !dropped.is_empty() {
                // settings.json would fail Claude Code's schema with them
                // (`once` is honoured in skills only, for one).
                out.warnings.push(format!(
                    "`{}`: a {event} hook's {} cannot be written into settings.json; left out",
                    pm.name,
                    dropped.join(", ")
                ));
                hook.retain(|k, _| allowed.contains(k));
            }
            out.raw.push((event, raw_group(&pm.name, matcher, hook, &stable_root, &data, options)));
        }
    }
    Ok(out)
}

/// What Claude Code's config would hold literally: a `${user_config.KEY}`
/// of an MCP server or a hook written into settings.json that no option
/// gives a value (a sensitive one in a hook, or one without a default or a
/// `[config.<plugin>]` value). Claude Code does not expand it there.
fn unexpanded(fragment: &Fragment) -> Vec<String> {
    let found = |v: &Value| {
        let text = v.to_string();
        let at = text.find("${user_config.")?;
        Some(text[at..].split('}').next().unwrap_or_default().to_string() + "}")
    };
    let mut out = Vec::new();
    for (name, server) in &fragment.mcp_servers {
        if let Some(r) = found(server) {
            out.push(format!("MCP server `{name}` is written with `{r}` unexpanded: no value is set for it"));
        }
    }
    for (event, groups) in &fragment.raw_hooks {
        if let Some(r) = groups.iter().find_map(found) {
            out.push(format!("a {} hook is written into settings.json with `{r}` unexpanded: no value is set for it", event.pascal()));
        }
    }
    out
}

/// Claude Code's default timeout of a `command` hook.
fn native_default_timeout_ms(event: HookEvent) -> u64 {
    match event {
        HookEvent::UserPromptSubmit => 30_000,
        HookEvent::MessageDisplay => 10_000,
        _ => 600_000,
    }
}

/// A hook as settings.json must hold it to behave as it does in the plugin:
/// the plugin's placeholders made concrete (settings.json does not expand
/// them), a shell command given them in its environment too, and a call of
/// the plugin's own MCP server by the name paii installs it under.
/// `options` are the plugin's non-sensitive options (`${user_config.KEY}`,
/// `CLAUDE_PLUGIN_OPTION_<KEY>`): a sensitive one is never written into
/// settings.json.
fn raw_group(
    plugin: &str,
    matcher: Option<String>,
    mut hook: Map<String, Value>,
    root: &Path,
    data: &Path,
    options: &[(String, String)],
) -> Value {
    let mut vars = vec![
        ("${CLAUDE_PLUGIN_ROOT}".to_string(), root.display().to_string()),
        ("${CLAUDE_PLUGIN_DATA}".to_string(), data.display().to_string()),
    ];
    vars.extend(options.iter().map(|(k, v)| (format!("${{user_config.{k}}}"), v.clone())));
    let vars: Vec<(&str, String)> = vars.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    if hook.get("type").and_then(Value::as_str) == Some("command") {
        let mut env = vec![format!("CLAUDE_PLUGIN_ROOT={}", root.display()), format!("CLAUDE_PLUGIN_DATA={}", data.display())];
        // Only names a shell can export: `export A-B=…` stops dash with
        // status 2, which Claude Code takes for a block.
        let exportable = |k: &str| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        env.extend(options.iter().filter(|(k, _)| exportable(k)).map(|(k, v)| format!("CLAUDE_PLUGIN_OPTION_{}={v}", k.to_uppercase())));
        match (hook.get("command").and_then(Value::as_str).map(str::to_string), hook.get("args").and_then(Value::as_array).cloned()) {
            // Shell form: the shell gets the variables first.
            (Some(c), None) => {
                let quote = |s: &str| format!("'{}'", s.replace('\'', r"'\''"));
                let exports: Vec<String> =
                    env.iter().map(|e| e.split_once('=').map_or_else(String::new, |(k, v)| format!("{k}={}", quote(v)))).collect();
                hook.insert("command".into(), Value::String(format!("export {}; {c}", exports.join(" "))));
            }
            // Exec form: `env` sets them and runs the program.
            (Some(c), Some(args)) => {
                let argv: Vec<Value> = env.into_iter().map(Value::String).chain([Value::String(c)]).chain(args).collect();
                hook.insert("command".into(), Value::String("env".into()));
                hook.insert("args".into(), Value::Array(argv));
            }
            _ => {}
        }
    }
    if let Some(Value::String(server)) = hook.get_mut("server")
        && let Some(own) = server.strip_prefix(&format!("plugin:{plugin}:"))
    {
        *server = own.to_string();
    }
    let mut v = Value::Object(hook);
    crate::claude::fragment::expand(&mut v, &vars);
    let mut group = Map::new();
    if let Some(m) = matcher {
        group.insert("matcher".into(), Value::String(m));
    }
    group.insert("hooks".into(), Value::Array(vec![v]));
    Value::Object(group)
}

/// What each plugin gives Claude Code, its hooks compiled; `runnable` says
/// which of them have a command to call for paii-style hooks.
pub fn contributions<'a>(
    scope: &crate::scope::Scope,
    manifest: &Manifest,
    manifests: &'a [PluginManifest],
    trees: &'a [PathBuf],
    runnable: &[bool],
) -> Result<Vec<Contribution<'a>>, GenerationError> {
    manifests
        .iter()
        .zip(trees)
        .zip(runnable)
        .map(|((pm, root), runnable)| {
            let request = manifest.plugin(&pm.name);
            // A plugin's config is what its MCP servers see as
            // `${user_config.KEY}`: a Claude Code plugin's options, and a
            // paii plugin's `[config]` alike (an endpoint per region, say).
            let config = super::plugin_config::effective(pm, &manifest.file, manifest.config.get(&pm.name), &scope.home)?;
            let mut options = config.options();
            let hooks = plugin_hooks(scope, request, pm, root, *runnable, &options)?;
            for key in pm.native.iter().flat_map(|n| n.user_config.iter()).filter(|(_, o)| o.sensitive).map(|(k, _)| k) {
                options.push((key.clone(), format!("${{{}}}", crate::manifest::plugin::option_secret(&pm.name, key))));
            }
            Ok(Contribution { manifest: pm, root, hooks, mcp: request.is_none_or(|r| r.mcp), options })
        })
        .collect()
}

/// An assembly, and what is worth telling the user about it.
pub struct Assembled {
    pub assembly: Assembly,
    pub warnings: Vec<String>,
}

/// Everything the new generation holds. `plugins` are in lock order, each
/// with its tree in the store and its build output; `manifests` are their
/// plugin.toml files, `lock_hash` the hash of the lock's text.
pub fn assemble(
    scope: &crate::scope::Scope,
    manifest: &Manifest,
    lock: &Lock,
    plugins: Vec<GenerationPlugin>,
    manifests: &[PluginManifest],
    lock_hash: String,
) -> Result<Assembled, GenerationError> {
    let mut warnings = Vec::new();
    let trees: Vec<PathBuf> = plugins.iter().map(|p| p.store_path.clone()).collect();
    let mut commands = Vec::new();
    for (p, pm) in plugins.iter().zip(manifests) {
        let command = crate::build::resolve_command(pm, p.build_path.as_deref(), &p.store_path);
        // A path left relative would be looked up in whatever directory
        // Claude Code works in: a cloned repository could supply it.
        if let Some(arg) = command.iter().find(|a| a.contains('/') && !Path::new(a).is_absolute()) {
            return Err(GenerationError::CommandOutside { plugin: pm.name.clone(), arg: arg.clone() });
        }
        commands.push(command);
    }
    let runnable: Vec<bool> = commands.iter().map(|c| !c.is_empty()).collect();
    let contributions = contributions(scope, manifest, manifests, &trees, &runnable)?;
    let fragment = Fragment::build(scope, &contributions).map_err(|e| GenerationError::Assemble(Box::new(e)))?;
    warnings.extend(unexpanded(&fragment));
    let mut handlers = Vec::new();
    for c in &contributions {
        warnings.extend(c.hooks.warnings.iter().cloned());
        handlers.extend(c.hooks.handlers.iter().cloned());
    }
    let home = scope.home.as_path();
    let secrets = super::secrets::names(&home.join(".env"))?;
    let mut run = BTreeMap::new();
    for ((pm, locked), command) in manifests.iter().zip(&lock.plugins).zip(commands) {
        let config = super::plugin_config::effective(pm, &manifest.file, manifest.config.get(&pm.name), &scope.home)?;
        if command.is_empty() && pm.native.is_none() {
            continue;
        }
        let mut env = BTreeMap::new();
        env.insert("PAII_CONFIG".to_string(), config.to_json().to_string());
        for (key, provider) in &locked.wiring {
            env.insert(format!("PAII_CONTRACT_{}", key.to_uppercase().replace('-', "_")), provider.clone());
        }
        if pm.native.is_some() {
            // A Claude Code plugin's hooks see its data directory and its
            // options, as Claude Code gives them.
            env.insert("CLAUDE_PLUGIN_DATA".to_string(), home.join("data").join(&pm.name).display().to_string());
            for (key, value) in config.options() {
                env.insert(format!("CLAUDE_PLUGIN_OPTION_{}", key.to_uppercase()), value);
            }
        }
        run.insert(
            pm.name.clone(),
            RunEntry {
                argv: command,
                root: PathBuf::new(),
                env,
                secrets: pm.secrets.required.iter().chain(&pm.secrets.optional).cloned().collect(),
                required_secrets: pm.secrets.required.clone(),
                actions: pm.run.as_ref().and_then(|r| r.actions.clone()),
                provides: pm.provides.iter().map(|c| c.contract.clone()).collect(),
                // A plugin whose `[config]` has a `fail_closed` switch lets
                // the team choose: it then covers paii's handling of the
                // plugin's crashes and timeouts too, not only the input the
                // plugin itself cannot read.
                fail_closed: pm.fail_closed || config.to_json().get("fail_closed").and_then(serde_json::Value::as_bool) == Some(true),
                secret_as: pm
                    .native
                    .iter()
                    .flat_map(|n| n.user_config.iter().filter(|(_, o)| o.sensitive))
                    .map(|(key, _)| {
                        (crate::manifest::plugin::option_secret(&pm.name, key), format!("CLAUDE_PLUGIN_OPTION_{}", key.to_uppercase()))
                    })
                    .collect(),
            },
        );
        if handlers.iter().any(|(_, h)| h.plugin == pm.name) {
            let missing: Vec<&str> = pm.secrets.required.iter().filter(|k| !secrets.contains(*k)).map(String::as_str).collect();
            if !missing.is_empty() {
                warnings.push(format!(
                    "`{}` needs {} in {}; its hooks will be skipped until then",
                    pm.name,
                    missing.join(", "),
                    home.join(".env").display()
                ));
            }
        }
    }
    let assembly = Assembly {
        lock_hash,
        plugins,
        fragment,
        run,
        handlers,
        history_dir: manifest.history_dir.clone().unwrap_or_else(|| home.join("history")),
        manifest: Some(crate::util::paths::absolute(&manifest.file.path)),
    };
    Ok(Assembled { assembly, warnings })
}
