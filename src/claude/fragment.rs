//! What one generation contributes to Claude Code: skills, agents and
//! commands found by convention in each plugin, one hook entry per handled
//! event, and MCP servers. Computed before anything is switched, so that
//! collisions are errors while the previous generation is still current.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::settings::HookEntry;
use super::{ClaudeError, KINDS};
use crate::dispatch::event::HookEvent;

/// The default handler timeout, as the dispatcher applies it.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Claude Code's timeout is the slowest handler's plus this, so that the
/// dispatcher always gets to kill its handlers and answer first.
pub const TIMEOUT_MARGIN_S: u64 = 5;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Fragment {
    pub hooks: BTreeMap<HookEvent, HookEntry>,
    /// Claude Code plugins' hooks written into settings.json as they are:
    /// event -> matcher groups, in plugin order. Only generations made
    /// before Claude Code loaded its plugins itself have them (a rollback
    /// to one writes them back).
    pub raw_hooks: BTreeMap<HookEvent, Vec<Value>>,
    /// `skills/<n>`, `agents/<n>.md`, `commands/<n>.md` -> file or directory
    /// in the store; read from a generation only when needed.
    pub(crate) links: std::cell::OnceCell<BTreeMap<String, PathBuf>>,
    /// Identifies the set of link names.
    pub links_digest: String,
    /// Where `links` is read from, for a fragment loaded from a generation.
    pub(crate) dir: Option<PathBuf>,
    pub mcp_servers: IndexMap<String, Value>,
    /// The servers that need a plugin's secrets, as the plugin wrote them:
    /// what `paii mcp exec` and `paii mcp headers` run and send (see
    /// [`with_secrets`]). Only in the generation, never in Claude Code's files.
    pub mcp_secrets: IndexMap<String, Value>,
    /// The Claude Code plugins (plugin.json) in the generation: Claude Code's
    /// own copies of them are turned off in `enabledPlugins`, so that
    /// nothing runs twice.
    pub claude_plugins: std::collections::BTreeSet<String>,
    /// Each Claude Code plugin's directory, which Claude Code loads as that
    /// plugin: what paii writes there in place of the plugin's own files.
    /// Laid out in the generation's `plugins/<name>` when it is created.
    pub plugin_dirs: BTreeMap<String, super::plugin_dir::PluginDir>,
    /// `pluginConfigs` of settings.json: `<name>@skills-dir` -> the options
    /// that are not sensitive, from which Claude Code fills
    /// `${user_config.KEY}` and `CLAUDE_PLUGIN_OPTION_<KEY>` where it runs
    /// or reads the plugin itself (hooks left as written, LSP servers,
    /// skill and agent text). Sensitive ones are never written there.
    pub plugin_configs: BTreeMap<String, Map<String, Value>>,
}

/// Identifies a set of link names: equal digests, same links in the Claude dir.
pub fn digest<'a>(names: impl Iterator<Item = &'a String>) -> String {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    for n in names {
        h.update(n.as_bytes());
        h.update(b"\n");
    }
    crate::store::integrity::hex(&h.finalize())
}

impl Fragment {
    /// Writes the `claude/` tree of a generation being assembled: the
    /// links themselves, and `links.json` listing them so that a switch
    /// reads one file instead of every link.
    pub fn write(&self, dir: &Path, exe: &Path, profile: Option<&Path>) -> Result<(), ClaudeError> {
        for (rel, target) in self.links() {
            let link = dir.join(rel);
            if let Some(parent) = link.parent() {
                fs::create_dir_all(parent).map_err(|e| ClaudeError::io("cannot create", parent, e))?;
            }
            let target = match rel.strip_prefix("skills/") {
                // A paii plugin's root skill whose tree also holds a Claude
                // Code manifest: Claude Code would load that directory as a
                // plugin as well, running its hooks a second time. The skill
                // gets a directory of links to everything else instead.
                Some(name) if target.is_absolute() && target.join(".claude-plugin").exists() => {
                    let shown = dir.join("skill-dirs").join(name);
                    link_all_but(target, &shown, ".claude-plugin")?;
                    Path::new("../skill-dirs").join(name)
                }
                _ => target.clone(),
            };
            std::os::unix::fs::symlink(&target, &link).map_err(|e| ClaudeError::io("cannot link", &link, e))?;
        }
        fs::create_dir_all(dir).map_err(|e| ClaudeError::io("cannot create", dir, e))?;
        let hooks: Map<String, Value> = self
            .hooks
            .iter()
            .map(|(e, entry)| (e.pascal().to_string(), Value::Array(vec![super::settings::group(exe, profile, *e, entry)])))
            .collect();
        let settings = serde_json::json!({ "hooks": hooks });
        let raw: Map<String, Value> =
            self.raw_hooks.iter().map(|(e, groups)| (e.pascal().to_string(), Value::Array(groups.clone()))).collect();
        let mcp = serde_json::json!({ "mcpServers": self.mcp_servers });
        let mcp_secrets = Value::Object(self.mcp_secrets.iter().map(|(k, v)| (k.clone(), v.clone())).collect());
        let links = serde_json::to_value(self.links()).unwrap_or_default();
        let digest = Value::String(self.links_digest.clone());
        let claude_plugins = serde_json::to_value(&self.claude_plugins).unwrap_or_default();
        let plugin_configs = serde_json::to_value(&self.plugin_configs).unwrap_or_default();
        let files = [
            ("claude-plugins.json", claude_plugins),
            ("plugin-configs.json", plugin_configs),
            ("settings.json", settings),
            ("raw-hooks.json", Value::Object(raw)),
            ("mcp.json", mcp),
            ("mcp-secrets.json", mcp_secrets),
            ("links.json", links),
            ("links.digest", digest),
        ];
        for (name, v) in files {
            let path = dir.join(name);
            let text = serde_json::to_string_pretty(&v).unwrap_or_default() + "\n";
            fs::write(&path, text).map_err(|e| ClaudeError::io("cannot write", &path, e))?;
        }
        Ok(())
    }

    /// The links, read from the generation on first use.
    pub fn links(&self) -> &BTreeMap<String, PathBuf> {
        self.links.get_or_init(|| {
            let Some(dir) = &self.dir else { return BTreeMap::new() };
            if let Some(links) = fs::read(dir.join("links.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()) {
                return links;
            }
            let mut links = BTreeMap::new();
            for kind in KINDS {
                for e in fs::read_dir(dir.join(kind)).into_iter().flatten().flatten() {
                    links.insert(format!("{kind}/{}", e.file_name().to_string_lossy()), fs::read_link(e.path()).unwrap_or_default());
                }
            }
            links
        })
    }

    /// Reads a generation's `claude/` tree back.
    pub fn load(dir: &Path) -> Result<Fragment, ClaudeError> {
        let mut f = Fragment { dir: Some(dir.to_path_buf()), ..Fragment::default() };
        f.links_digest = fs::read_to_string(dir.join("links.digest"))
            .ok()
            .and_then(|t| serde_json::from_str::<String>(&t).ok())
            .unwrap_or_else(|| digest(f.links().keys()));
        let settings = super::json::JsonFile::read(&dir.join("settings.json"))?;
        if let Some(Value::Object(hooks)) = settings.doc.get("hooks") {
            for (event, groups) in hooks {
                let (Some(e), Some(g)) = (HookEvent::parse(event), groups.get(0)) else { continue };
                let matcher = g.get("matcher").and_then(Value::as_str).map(str::to_string);
                let timeout = g.pointer("/hooks/0/timeout").and_then(Value::as_u64).unwrap_or(DEFAULT_TIMEOUT_MS / 1000);
                f.hooks.insert(e, HookEntry { matcher, timeout });
            }
        }
        for (event, groups) in super::json::JsonFile::read(&dir.join("raw-hooks.json"))?.doc {
            if let (Some(e), Value::Array(groups)) = (HookEvent::parse(&event), groups) {
                f.raw_hooks.insert(e, groups);
            }
        }
        // Absent from generations made before paii replaced Claude Code's copies.
        f.claude_plugins = fs::read(dir.join("claude-plugins.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        f.plugin_configs = fs::read(dir.join("plugin-configs.json")).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
        let mcp = super::json::JsonFile::read(&dir.join("mcp.json"))?;
        if let Some(Value::Object(servers)) = mcp.doc.get("mcpServers") {
            f.mcp_servers = servers.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
        }
        if let Ok(secrets) = super::json::JsonFile::read(&dir.join("mcp-secrets.json")) {
            f.mcp_secrets = secrets.doc.into_iter().collect();
        }
        Ok(f)
    }
}

/// Fills `dir` with a link to each entry of `target` but `skip`.
pub(crate) fn link_all_but(target: &Path, dir: &Path, skip: &str) -> Result<(), ClaudeError> {
    fs::create_dir_all(dir).map_err(|e| ClaudeError::io("cannot create", dir, e))?;
    for entry in fs::read_dir(target).map_err(|e| ClaudeError::io("cannot read", target, e))? {
        let entry = entry.map_err(|e| ClaudeError::io("cannot read", target, e))?;
        if entry.file_name() != skip {
            let link = dir.join(entry.file_name());
            std::os::unix::fs::symlink(entry.path(), &link).map_err(|e| ClaudeError::io("cannot link", &link, e))?;
        }
    }
    Ok(())
}
