//! What a new generation holds, computed from the lock, the fetched and
//! built plugins and paii.toml before anything is written: plugin links,
//! Claude Code's fragment, and the dispatch table's entries with the plugin
//! environment contract (merged config as `PAII_CONFIG`, contract wiring as
//! `PAII_CONTRACT_<KEY>`, the names of its secrets).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::fragment::Contribution;
use super::{Assembly, GenerationError, GenerationPlugin};
use crate::claude::Fragment;
use crate::dispatch::event::HookEvent;
use crate::dispatch::{Handler, NativeCommand, RunEntry};
use crate::lock::Lock;
use crate::manifest::{Manifest, PluginManifest, PluginRequest};

/// A plugin's hooks, compiled: the handlers paii's dispatcher runs for its
/// events, and for a Claude Code plugin the hooks.json Claude Code reads
/// from its directory with the command hooks paii runs one by one.
#[derive(Debug, Clone, Default)]
pub struct PluginHooks {
    pub handlers: Vec<(HookEvent, Handler)>,
    /// A Claude Code plugin's hooks.json (`None`: it has no hooks, or they
    /// are off).
    pub doc: Option<Value>,
    /// Its command hooks that `paii hook handler` runs, by their index.
    pub routed: Vec<crate::dispatch::PluginHook>,
    pub warnings: Vec<String>,
}

/// How much later than the hook's own timeout Claude Code gives up on a
/// hook paii runs, so that paii kills the hook's process group and answers
/// first.
const ROUTED_TIMEOUT_MARGIN_S: f64 = 5.0;

/// The hooks of one plugin. A paii plugin's `[hooks]` run through its `[run]`
/// command, when it has one (`runnable`). A Claude Code plugin's hooks stay
/// Claude Code's to match (`matcher` on every event, `if`, `once`, `async`):
/// the hooks.json of its directory keeps every group and hook as written,
/// and a `command` hook (in the default shell) runs through `paii hook
/// handler`, which gives it its environment, secrets, timeout and audit;
/// with `dispatch = false` they are all left as written.
pub fn plugin_hooks(
    request: Option<&PluginRequest>,
    pm: &PluginManifest,
    root: &Path,
    runnable: bool,
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
    // Checks the hooks as sync always has (and warns of unknown events).
    let (_, warnings) = native.load_hooks(root)?;
    out.warnings = warnings;
    let docs = native.hook_docs(root)?;
    if docs.is_empty() {
        return Ok(out);
    }
    let dispatch = request.is_none_or(|r| r.dispatch);
    let exe = crate::util::paths::paii_exe().display().to_string();
    let mut events: Map<String, Value> = Map::new();
    for (_, doc) in docs {
        for (name, groups) in doc {
            let known = HookEvent::parse(&name).filter(|e| e.pascal() == name);
            let mut groups = groups;
            for group in groups.as_array_mut().into_iter().flatten() {
                for hook in group.get_mut("hooks").and_then(Value::as_array_mut).into_iter().flatten() {
                    let Some(event) = known.filter(|_| dispatch) else { continue };
                    let Some(h) = hook.as_object_mut() else { continue };
                    let routed = h.get("type").and_then(Value::as_str) == Some("command") && !h.contains_key("shell");
                    let Some(program) = h.get("command").and_then(Value::as_str).filter(|_| routed).map(str::to_string) else {
                        continue;
                    };
                    let command = match h.get("args").and_then(Value::as_array) {
                        None => {
                            if let Some(at) = program.find("${user_config.") {
                                let reference = program[at..].split('}').next().unwrap_or_default();
                                out.warnings.push(format!(
                                    "`{}`: a {} hook's shell command references `{reference}}}`, which Claude Code refuses (an option's value would be shell text): it will fail; read $CLAUDE_PLUGIN_OPTION_<KEY> or use exec form (`args`)",
                                    pm.name,
                                    event.pascal()
                                ));
                            }
                            NativeCommand::Shell(program)
                        }
                        Some(args) => NativeCommand::Exec(
                            std::iter::once(program)
                                .chain(args.iter().map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_string)))
                                .collect(),
                        ),
                    };
                    let timeout_s = h.get("timeout").and_then(Value::as_f64).unwrap_or(native_default_timeout_ms(event) as f64 / 1000.0);
                    let index = out.routed.len();
                    out.routed.push(crate::dispatch::PluginHook {
                        event: event.kebab().to_string(),
                        handler: Handler {
                            plugin: pm.name.clone(),
                            matcher: None,
                            timeout_ms: (timeout_s * 1000.0) as u64,
                            command: Some(command),
                            observer: false,
                        },
                    });
                    h.remove("shell");
                    h.insert("command".into(), Value::String(exe.clone()));
                    let args = ["hook", "handler", crate::claude::plugin_dir::TABLE_VAR, &pm.name, &index.to_string()];
                    h.insert("args".into(), Value::Array(args.iter().map(|a| Value::String(a.to_string())).collect()));
                    let outer = timeout_s + ROUTED_TIMEOUT_MARGIN_S;
                    let outer = if outer.fract() == 0.0 { serde_json::json!(outer as u64) } else { serde_json::json!(outer) };
                    h.insert("timeout".into(), outer);
                }
            }
            match (events.get_mut(&name), groups) {
                (Some(Value::Array(all)), Value::Array(more)) => all.extend(more),
                (_, groups) => {
                    events.insert(name, groups);
                }
            }
        }
    }
    out.doc = Some(serde_json::json!({ "hooks": events }));
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
    for (plugin, dir) in &fragment.plugin_dirs {
        let servers = dir.files.get(".mcp.json").and_then(|f| f.as_ref()?.get("mcpServers")?.as_object());
        for (name, server) in servers.into_iter().flatten() {
            if let Some(r) = found(server) {
                out.push(format!("`{plugin}`'s MCP server `{name}` is written with `{r}` unexpanded: no value is set for it"));
            }
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

/// What each plugin gives Claude Code, its hooks compiled; `runnable` says
/// which of them have a command to call for paii-style hooks.
pub fn contributions<'a>(
    scope: &crate::scope::Scope,
    manifest: &Manifest,
    lock: &'a Lock,
    manifests: &'a [PluginManifest],
    trees: &'a [PathBuf],
    runnable: &[bool],
    held: &[bool],
) -> Result<Vec<Contribution<'a>>, GenerationError> {
    manifests
        .iter()
        .zip(trees)
        .zip(runnable)
        .zip(&lock.plugins)
        .enumerate()
        .map(|(i, (((pm, root), runnable), locked))| {
            let held = held.get(i).copied().unwrap_or(false);
            let request = manifest.plugin(&pm.name);
            // A plugin's config is what its MCP servers see as
            // `${user_config.KEY}`: a Claude Code plugin's options, and a
            // paii plugin's `[config]` alike (an endpoint per region, say).
            let config = super::plugin_config::effective(pm, &manifest.file, manifest.config.get(&pm.name), &scope.home)?;
            let mut options = config.options();
            // A plugin awaiting approval keeps its skills, agents and
            // commands; nothing of it runs.
            let hooks = if held { PluginHooks::default() } else { plugin_hooks(request, pm, root, *runnable)? };
            for key in pm.native.iter().flat_map(|n| n.user_config.iter()).filter(|(_, o)| o.sensitive).map(|(k, _)| k) {
                options.push((key.clone(), format!("${{{}}}", crate::manifest::plugin::option_secret(&pm.name, key))));
            }
            let overlay = locked.overlay.as_deref();
            // Only what the team or the user set: Claude Code applies the
            // defaults itself.
            let claude_options = match (&pm.native, config.to_json()) {
                (Some(native), serde_json::Value::Object(values)) => values
                    .into_iter()
                    .filter(|(k, _)| native.user_config.get(k).is_some_and(|o| !o.sensitive))
                    .filter(|(k, _)| config.0.get(k).is_some_and(|v| v.origin != super::plugin_config::Origin::Default))
                    // A number as Claude Code's own form saves it: 3, not 3.0.
                    .map(|(k, v)| match v.as_f64() {
                        Some(f) if v.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => (k, serde_json::Value::from(f as i64)),
                        _ => (k, v),
                    })
                    .collect(),
                _ => Default::default(),
            };
            Ok(Contribution {
                manifest: pm,
                root,
                hooks,
                mcp: !held && request.is_none_or(|r| r.mcp),
                held,
                options,
                overlay,
                claude_options,
            })
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
        if p.held {
            commands.push(Vec::new());
            continue;
        }
        let command = crate::build::resolve_command(pm, p.build_path.as_deref(), &p.store_path);
        // A path left relative would be looked up in whatever directory
        // Claude Code works in: a cloned repository could supply it.
        if let Some(arg) = command.iter().find(|a| a.contains('/') && !Path::new(a).is_absolute()) {
            return Err(GenerationError::CommandOutside { plugin: pm.name.clone(), arg: arg.clone() });
        }
        commands.push(command);
    }
    let runnable: Vec<bool> = commands.iter().map(|c| !c.is_empty()).collect();
    let held: Vec<bool> = plugins.iter().map(|p| p.held).collect();
    let contributions = contributions(scope, manifest, lock, manifests, &trees, &runnable, &held)?;
    let fragment = Fragment::build(scope, &contributions).map_err(|e| GenerationError::Assemble(Box::new(e)))?;
    warnings.extend(unexpanded(&fragment));
    let mut handlers = Vec::new();
    let mut plugin_hooks = BTreeMap::new();
    for c in &contributions {
        warnings.extend(c.hooks.warnings.iter().cloned());
        handlers.extend(c.hooks.handlers.iter().cloned());
        if !c.hooks.routed.is_empty() {
            plugin_hooks.insert(c.manifest.name.clone(), c.hooks.routed.clone());
        }
    }
    let home = scope.home.as_path();
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
            let data = super::fragment::claude_plugin_data(pm);
            env.insert("CLAUDE_PLUGIN_DATA".to_string(), data.display().to_string());
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
    }
    let assembly = Assembly {
        lock_hash,
        plugins,
        fragment,
        run,
        handlers,
        plugin_hooks,
        history_dir: manifest.history_dir.clone().unwrap_or_else(|| home.join("history")),
        manifest: Some(crate::util::paths::absolute(&manifest.file.path)),
    };
    Ok(Assembled { assembly, warnings })
}
