//! `$PAII_HOME/.env`: KEY=value lines (dotenv syntax). A plugin is given
//! only the keys its `[secrets]` lists, and only when it runs (see
//! `paii_dispatch::env::plugin_env`). The dispatcher reads the file
//! leniently; the command line checks it: text that is not UTF-8 is an
//! error at its line and column.

use std::collections::BTreeMap;
use std::path::Path;

use crate::diagnostic::SpannedError;

/// Every key and value of `.env`; a missing file is empty, a malformed line
/// is skipped.
pub fn read(path: &Path) -> Result<BTreeMap<String, String>, SpannedError> {
    match crate::diagnostic::read_text(path) {
        Ok(text) => Ok(crate::dispatch::env::parse_dotenv(text.as_bytes())),
        Err(e) if e.is_not_found() => Ok(BTreeMap::new()),
        Err(e) => Err(e.into_spanned(None)),
    }
}

/// A plugin's declared secrets that neither `.env` nor the environment
/// holds, and who would miss them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    pub plugin: String,
    pub required: Vec<String>,
    pub optional: Vec<String>,
    /// Its MCP servers that send one of them.
    pub servers: Vec<String>,
    /// Whether it has hooks that a missing required secret keeps from running.
    pub has_hooks: bool,
    /// Whether it has actions (`paii run`) that a missing required secret
    /// keeps from running.
    pub has_actions: bool,
}

impl Missing {
    /// One line: what is missing and what that stops.
    pub fn describe(&self, env_file: &Path) -> String {
        let mut keys: Vec<String> = self.required.iter().map(|k| format!("{k} (required)")).collect();
        keys.extend(self.optional.iter().cloned());
        let verb = if keys.len() == 1 { "is" } else { "are" };
        let mut out = format!("`{}`: {} {verb} not in {}", self.plugin, keys.join(", "), env_file.display());
        if !self.required.is_empty() {
            let what = match (self.has_hooks, self.has_actions) {
                (true, true) => Some("its hooks and actions are skipped"),
                (true, false) => Some("its hooks are skipped"),
                (false, true) => Some("its actions cannot run"),
                (false, false) => None,
            };
            if let Some(w) = what {
                out.push_str(&format!("; {w} until it is there"));
            }
        }
        if !self.servers.is_empty() {
            let servers: Vec<String> = self.servers.iter().map(|s| format!("`{s}`")).collect();
            out.push_str(&format!(
                "; MCP server{} {} cannot authenticate without {}",
                if servers.len() == 1 { "" } else { "s" },
                servers.join(", "),
                if keys.len() == 1 { "it" } else { "them" }
            ));
        }
        out
    }
}

/// What each plugin of `manifests` declares and `.env` (read as `dotenv`)
/// or the environment lacks; `mcp_secrets` is the generation's record of
/// which MCP server uses which secret.
pub fn missing(
    manifests: &[crate::manifest::PluginManifest],
    dotenv: &BTreeMap<String, String>,
    mcp_secrets: &indexmap::IndexMap<String, serde_json::Value>,
) -> Vec<Missing> {
    let absent = |k: &&String| !dotenv.contains_key(k.as_str()) && std::env::var_os(k.as_str()).is_none();
    let mut out = Vec::new();
    for pm in manifests {
        let required: Vec<String> = pm.secrets.required.iter().filter(absent).cloned().collect();
        let optional: Vec<String> = pm.secrets.optional.iter().filter(absent).cloned().collect();
        if required.is_empty() && optional.is_empty() {
            continue;
        }
        let servers = mcp_secrets
            .iter()
            .filter(|(_, rec)| rec.get("plugin").and_then(serde_json::Value::as_str) == Some(pm.name.as_str()))
            .filter(|(_, rec)| {
                rec.get("secrets")
                    .and_then(serde_json::Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(serde_json::Value::as_str)
                    .any(|k| required.iter().chain(&optional).any(|m| m == k))
            })
            .map(|(name, _)| name.clone())
            .collect();
        out.push(Missing {
            plugin: pm.name.clone(),
            required,
            optional,
            servers,
            has_hooks: !pm.hooks.is_empty() || pm.native.as_ref().is_some_and(|n| !n.hooks.is_empty()),
            has_actions: pm.run.as_ref().and_then(|r| r.actions.as_ref()).is_some_and(|a| !a.is_empty()),
        });
    }
    out
}

/// The permission bits of `.env` when others than its owner may read it.
pub fn readable_by_others(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
    (mode & 0o044 != 0).then_some(mode)
}

/// The warning for a `.env` others can read.
pub fn exposed(path: &Path, mode: u32) -> String {
    format!("{} holds secrets and others can read it (mode {mode:o}); run `chmod 600 {}`", path.display(), path.display())
}
