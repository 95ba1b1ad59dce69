//! What a plugin runs on the user's machine: its hook handlers, its MCP
//! and language servers' commands, its build, and the code they run. With `[policy]
//! require-approval`, a plugin whose [`Surface`] differs from the digest
//! paii.lock records (`approved`) is installed with all of that off until
//! `paii approve` records the new digest, where a reviewer sees it change.

use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::manifest::PluginManifest;
use crate::manifest::plugin::BuildType;
use crate::store::integrity::{Integrity, hash_path_only};

/// What a plugin would run, in words a reviewer reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Surface {
    /// `PreToolUse [Bash]: bin/security`.
    pub hooks: Vec<String>,
    /// `github: npx -y @modelcontextprotocol/server-github`, or its URL, or
    /// an MCPB bundle's path.
    pub mcp: Vec<String>,
    /// A Claude Code plugin's language servers: `rust: rust-analyzer`.
    pub lsp: Vec<String>,
    /// `cargo build --release --bins --locked`.
    pub build: Vec<String>,
    /// The tree but its top-level documentation (README, CHANGELOG,
    /// LICENSE, `docs/`): a change to a handler's code, or to a skill or
    /// command that can run a shell line, is a change to what runs.
    #[serde(skip)]
    pub code: Option<Integrity>,
}

/// A plugin's tree could not be read to describe it.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("plugin `{name}`: cannot read what it runs: {message}")]
pub struct SurfaceError {
    pub name: String,
    pub message: String,
}

impl Surface {
    /// The surface of the plugin `pm` whose tree is `root`.
    pub fn of(pm: &PluginManifest, root: &Path) -> Result<Surface, SurfaceError> {
        let err = |message: String| SurfaceError { name: pm.name.clone(), message };
        let mut s = Surface::default();
        let run = pm.run.as_ref().map(|r| r.command.join(" "));
        match &pm.native {
            None => {
                for h in &pm.hooks {
                    let matcher = h.matcher.as_deref().map(|m| format!(" [{m}]")).unwrap_or_default();
                    s.hooks.push(format!("{}{matcher}: {}", h.event.pascal(), run.as_deref().unwrap_or("(no [run] command)")));
                }
            }
            Some(native) => {
                let (hooks, _) = native.load_hooks(root).map_err(|e| err(e.to_string()))?;
                for h in hooks {
                    let matcher = h.matcher.as_deref().filter(|m| !m.is_empty()).map(|m| format!(" [{m}]")).unwrap_or_default();
                    let what = match h.hook.get("type").and_then(Value::as_str) {
                        Some("command") | None => h.hook.get("command").and_then(Value::as_str).unwrap_or_default().to_string(),
                        Some("http") => format!("POST {}", h.hook.get("url").and_then(Value::as_str).unwrap_or_default()),
                        Some(other) => format!("({other} hook)"),
                    };
                    s.hooks.push(format!("{}{matcher}: {what}", h.event.pascal()));
                }
            }
        }
        for (name, server) in mcp_servers(pm, root).map_err(err)? {
            s.mcp.push(format!("{name}: {}", command_line(&server)));
        }
        if pm.native.is_some() {
            let (bundles, lsp) = claude_plugin_servers(root).map_err(err)?;
            s.mcp.extend(bundles.into_iter().map(|b| format!("bundle: {b}")));
            s.lsp.extend(lsp.into_iter().map(|(name, server)| format!("{name}: {}", command_line(&server))));
        }
        match pm.build.kind {
            BuildType::Cargo => {
                let locked = if pm.build.locked == Some(false) { "" } else { " --locked" };
                s.build.push(format!("cargo build --release --bins{locked}"));
            }
            BuildType::Uv => s.build.push("uv sync --locked --no-dev --no-editable".into()),
            BuildType::Pip => {
                let reqs = pm.build.requirements.as_deref().unwrap_or("requirements.txt");
                s.build.push(format!("uv pip install -r {reqs}"));
            }
            BuildType::None => {}
        }
        if let Some(run) = run.filter(|_| s.hooks.is_empty()) {
            // A plugin that only has actions runs them through `paii run`.
            s.hooks.push(format!("paii run: {run}"));
        }
        s.hooks.sort();
        s.mcp.sort();
        s.lsp.sort();
        if !s.is_empty() {
            s.code = Some(hash_path_only(root, &|p| !is_documentation(root, p)).map_err(|e| err(e.to_string()))?);
        }
        Ok(s)
    }

    /// Nothing runs: such a plugin needs no approval.
    pub fn is_empty(&self) -> bool {
        self.hooks.is_empty() && self.mcp.is_empty() && self.lsp.is_empty() && self.build.is_empty()
    }

    /// `sha256-<base64>` of the surface: what `approved` in paii.lock holds.
    pub fn digest(&self) -> Integrity {
        let doc = serde_json::json!({
            "hooks": self.hooks,
            "mcp": self.mcp,
            "lsp": self.lsp,
            "build": self.build,
            "code": self.code.map(|c| c.to_string()),
        });
        Integrity::from_digest(Sha256::digest(doc.to_string().as_bytes()).into())
    }
}

/// The plugin's own documentation, which nothing runs: `docs/`, and the
/// top-level README, CHANGELOG, LICENSE and NOTICE as text or markdown
/// (a skill, agent or command can carry hooks and shell lines, so counts).
fn is_documentation(root: &Path, path: &Path) -> bool {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut parts = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned());
    let (first, nested) = (parts.next().unwrap_or_default(), parts.next().is_some());
    if first == "docs" {
        return true;
    }
    let (stem, ext) = match first.rsplit_once('.') {
        Some((s, e)) => (s.to_ascii_uppercase(), e.to_ascii_lowercase()),
        None => (first.to_ascii_uppercase(), String::new()),
    };
    !nested
        && ["README", "CHANGELOG", "CHANGES", "LICENSE", "LICENCE", "NOTICE", "AUTHORS"].iter().any(|n| stem.starts_with(n))
        && matches!(ext.as_str(), "" | "md" | "txt" | "rst")
}

/// A server's command and arguments, or its URL.
fn command_line(server: &Value) -> String {
    match (server.get("command").and_then(Value::as_str), server.get("url").and_then(Value::as_str)) {
        (Some(cmd), _) => {
            let args: Vec<&str> = server.get("args").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
            std::iter::once(cmd).chain(args).collect::<Vec<_>>().join(" ")
        }
        (None, Some(url)) => url.to_string(),
        _ => "(no command)".to_string(),
    }
}

/// A Claude Code plugin's MCPB bundles (`mcpServers` paths that are not
/// JSON files) and language servers (`lspServers`, inline or in files, and
/// `.lsp.json`), which Claude Code starts itself.
type Servers = (Vec<String>, Vec<(String, Value)>);
fn claude_plugin_servers(root: &Path) -> Result<Servers, String> {
    let read = |path: &Path| -> Result<Option<Value>, String> {
        if !path.is_file() {
            return Ok(None);
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map(Some).map_err(|e| format!("{}: {e}", path.display()))
    };
    let manifest = read(&root.join(crate::manifest::native::PLUGIN_JSON))?.unwrap_or(Value::Null);
    let listed = |v: Option<&Value>| -> Vec<Value> {
        match v {
            Some(Value::Array(items)) => items.clone(),
            Some(other) => vec![other.clone()],
            None => Vec::new(),
        }
    };
    let bundles = listed(manifest.get("mcpServers"))
        .into_iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .filter(|p| !p.ends_with(".json"))
        .collect();
    let mut lsp = Vec::new();
    let mut add = |doc: &Value| {
        let servers = doc.get("lspServers").unwrap_or(doc);
        lsp.extend(servers.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())));
    };
    if let Some(doc) = read(&root.join(".lsp.json"))? {
        add(&doc);
    }
    for item in listed(manifest.get("lspServers")) {
        match &item {
            Value::String(rel) => {
                if let Some(doc) = read(&root.join(rel.trim_start_matches("./")))? {
                    add(&doc);
                }
            }
            Value::Object(_) => add(&item),
            _ => {}
        }
    }
    Ok((bundles, lsp))
}

/// The MCP servers a plugin declares, by name: `.mcp.json` and a Claude Code
/// plugin's `mcpServers`.
fn mcp_servers(pm: &PluginManifest, root: &Path) -> Result<Vec<(String, Value)>, String> {
    let from_file = |path: &Path| -> Result<Vec<(String, Value)>, String> {
        if !path.is_file() {
            return Ok(Vec::new());
        }
        let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
        let servers = doc.get("mcpServers").unwrap_or(&doc);
        Ok(servers.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())).collect())
    };
    let mut out = from_file(&root.join(".mcp.json"))?;
    for declared in pm.native.iter().flat_map(|n| &n.mcp_servers) {
        match declared {
            crate::manifest::native::Declared::Path(rel) => out.extend(from_file(&root.join(rel.trim_start_matches("./")))?),
            crate::manifest::native::Declared::Inline(m) => out.extend(m.iter().map(|(k, v)| (k.clone(), v.clone()))),
        }
    }
    Ok(out)
}
