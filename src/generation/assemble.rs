//! What a new generation holds, computed from the lock, the fetched and
//! built plugins and paii.toml before anything is written: plugin links,
//! Claude Code's fragment, and the dispatch table's entries with the plugin
//! environment contract (merged config as `PAII_CONFIG`, contract wiring as
//! `PAII_CONTRACT_<KEY>`, the names of its secrets).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Assembly, GenerationError, GenerationPlugin};
use crate::claude::{Contribution, Fragment};
use crate::dispatch::{Handler, RunEntry};
use crate::lock::Lock;
use crate::manifest::{Manifest, PluginManifest};

/// What each plugin gives Claude Code; `runnable` says which of them have
/// a command to call for their hooks.
pub fn contributions<'a>(
    manifest: &Manifest,
    manifests: &'a [PluginManifest],
    trees: &'a [PathBuf],
    runnable: &[bool],
) -> Vec<Contribution<'a>> {
    manifests
        .iter()
        .zip(trees)
        .zip(runnable)
        .map(|((pm, root), runnable)| {
            let request = manifest.plugin(&pm.name);
            Contribution { manifest: pm, root, hooks: *runnable && request.is_none_or(|r| r.hooks), mcp: request.is_none_or(|r| r.mcp) }
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
    home: &Path,
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
    let fragment = Fragment::build(home, &contributions(manifest, manifests, &trees, &runnable))
        .map_err(|e| GenerationError::Assemble(Box::new(e)))?;
    let secrets = super::secrets::names(&home.join(".env"))?;
    let mut run = BTreeMap::new();
    let mut handlers = Vec::new();
    for ((pm, locked), command) in manifests.iter().zip(&lock.plugins).zip(commands) {
        let config = super::plugin_config::effective(pm, &manifest.file, manifest.config.get(&pm.name), home)?;
        if command.is_empty() {
            if !pm.hooks.is_empty() {
                warnings.push(format!("`{}` declares [hooks] but has no [run] command; its hooks are not installed", pm.name));
            }
            continue;
        }
        let mut env = BTreeMap::new();
        env.insert("PAII_CONFIG".to_string(), config.to_json().to_string());
        for (key, provider) in &locked.wiring {
            env.insert(format!("PAII_CONTRACT_{}", key.to_uppercase().replace('-', "_")), provider.clone());
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
                fail_closed: pm.fail_closed,
            },
        );
        if manifest.plugin(&pm.name).is_some_and(|r| !r.hooks) || pm.hooks.is_empty() {
            continue;
        }
        let missing: Vec<&str> = pm.secrets.required.iter().filter(|k| !secrets.contains(*k)).map(String::as_str).collect();
        if !missing.is_empty() {
            warnings.push(format!(
                "`{}` needs {} in {}; its hooks will be skipped until then",
                pm.name,
                missing.join(", "),
                home.join(".env").display()
            ));
        }
        for h in &pm.hooks {
            handlers.push((
                h.event,
                Handler {
                    plugin: pm.name.clone(),
                    matcher: h.matcher.clone().filter(|m| !m.is_empty() && m != "*"),
                    timeout_ms: h.timeout_ms.unwrap_or(crate::claude::fragment::DEFAULT_TIMEOUT_MS),
                },
            ));
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
