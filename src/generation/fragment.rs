//! From plugins to what a generation gives Claude Code: skills, agents and
//! commands found by convention in each plugin, one hook entry per handled
//! event, and MCP servers, collected into a [`Fragment`]. Computed before
//! anything is switched, so that collisions are errors while the previous
//! generation is still current; `claude` applies a fragment to Claude
//! Code's files.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde_json::{Map, Value};

use crate::claude::settings::HookEntry;
use crate::claude::{ClaudeError, Fragment};
use crate::dispatch::event::HookEvent;
use crate::manifest::PluginManifest;

/// One plugin as the fragment sees it.
pub struct Contribution<'a> {
    pub manifest: &'a PluginManifest,
    /// The plugin's tree in the store.
    pub root: &'a Path,
    /// Its hooks, compiled: dispatched ones and ones written as they are.
    pub hooks: super::assemble::PluginHooks,
    pub mcp: bool,
    /// Awaiting `paii approve`: nothing of it may run (no LSP servers
    /// either); its skills, agents and commands are linked.
    pub held: bool,
    /// A Claude Code plugin's options as its MCP servers get them: option
    /// key -> value (a sensitive one as a `${VAR}` reference, never its
    /// value).
    pub options: Vec<(String, String)>,
    /// A marketplace plugin's entry, as the lock keeps it.
    pub overlay: Option<&'a str>,
    /// A Claude Code plugin's options that are not sensitive, typed, as
    /// Claude Code keeps them in `pluginConfigs`.
    pub claude_options: Map<String, Value>,
}

impl Fragment {
    /// The fragment of `plugins`; two plugins claiming one name is an error
    /// naming both.
    pub fn build(scope: &crate::scope::Scope, plugins: &[Contribution<'_>]) -> Result<Fragment, ClaudeError> {
        let mut fragment = Fragment::default();
        let mut links = BTreeMap::new();
        let mut owners: BTreeMap<String, &str> = BTreeMap::new();
        let mut matchers: BTreeMap<HookEvent, (Vec<String>, bool, u64)> = BTreeMap::new();
        let mut collisions = Vec::new();
        for c in plugins {
            let name = c.manifest.name.as_str();
            if c.manifest.native.is_some() {
                // Claude Code loads it as a plugin, namespaced: one link,
                // to the plugin's directory in the same generation.
                fragment.claude_plugins.insert(name.to_string());
                let link = format!("skills/{name}");
                if let Some(other) = owners.insert(link.clone(), name) {
                    collisions.push(format!("{link} is provided by both `{other}` and `{name}`"));
                }
                links.insert(link, Path::new("../../plugins").join(name));
                // The paths its manifest names must stay inside it.
                discover(c.manifest, c.root)?;
                let (dir, records) = plugin_dir(scope, c)?;
                fragment.plugin_dirs.insert(name.to_string(), dir);
                if !c.claude_options.is_empty() {
                    fragment.plugin_configs.insert(skills_dir_id(c.manifest), c.claude_options.clone());
                }
                fragment.mcp_secrets.extend(records);
                continue;
            }
            for (link, target) in discover(c.manifest, c.root)? {
                if let Some(other) = owners.insert(link.clone(), name) {
                    collisions.push(format!("{link} is provided by both `{other}` and `{name}`"));
                }
                links.insert(link, target);
            }
            for (event, h) in &c.hooks.handlers {
                let e = matchers.entry(*event).or_default();
                match h.matcher.as_deref() {
                    None | Some("") | Some("*") => e.1 = true,
                    Some(m) if !e.0.iter().any(|x| x == m) => e.0.push(m.to_string()),
                    Some(_) => {}
                }
                // An observer is not waited for.
                if !h.observer {
                    e.2 = e.2.max(h.timeout_ms);
                }
            }
            if c.mcp {
                let (root, data) = (scope.profile.join("plugins").join(name), scope.home.join("data").join(name));
                for (server, value) in mcp_servers(c, Some((&root, &data)))? {
                    let key = format!("MCP server `{server}`");
                    if let Some(other) = owners.insert(key.clone(), name) {
                        collisions.push(format!("{key} is provided by both `{other}` and `{name}`"));
                    }
                    let (written, recorded) = with_secrets(&server, value, name, &c.manifest.secrets, scope.dispatch_profile());
                    if let Some(r) = recorded {
                        fragment.mcp_secrets.insert(server.clone(), r);
                    }
                    fragment.mcp_servers.insert(server, written);
                }
            }
        }
        if !collisions.is_empty() {
            return Err(ClaudeError::Collisions(collisions));
        }
        fragment.links_digest = crate::claude::fragment::digest(links.keys());
        fragment.links = std::cell::OnceCell::from(links);
        for (event, (list, all, timeout_ms)) in matchers {
            let matcher = event.is_tool_event().then(|| if all { String::new() } else { list.join("|") });
            fragment
                .hooks
                .insert(event, HookEntry { matcher, timeout: timeout_ms.div_ceil(1000) + crate::claude::fragment::TIMEOUT_MARGIN_S });
        }
        Ok(fragment)
    }
}

/// What paii writes into a Claude Code plugin's directory: its plugin.json
/// without what the other files replace, its hooks routed through paii
/// (none with `hooks = false`), and its MCP servers with the plugin's
/// options, a server that needs a sensitive one started through `paii mcp
/// exec` (none with `mcp = false`). `${CLAUDE_PLUGIN_ROOT}` and
/// `${CLAUDE_PLUGIN_DATA}` are left for Claude Code to expand, as in its
/// own install.
fn plugin_dir(
    scope: &crate::scope::Scope,
    c: &Contribution<'_>,
) -> Result<(crate::claude::plugin_dir::PluginDir, Vec<(String, Value)>), ClaudeError> {
    use crate::claude::plugin_dir::PluginDir;
    let name = c.manifest.name.as_str();
    let json_path = c.root.join(crate::manifest::native::PLUGIN_JSON);
    let mut own = crate::claude::json::JsonFile::read(&json_path)?.doc;
    if let Some(overlay) = c.overlay {
        crate::manifest::overlay::fill_metadata(&mut own, overlay);
    }
    let mut dir = PluginDir::default();
    let mut manifest = crate::claude::plugin_dir::manifest(&own, c.mcp);
    if c.held {
        // Claude Code starts a plugin's language servers itself.
        manifest.remove("lspServers");
        dir.files.insert(".lsp.json".to_string(), None);
    }
    dir.files.insert(crate::manifest::native::PLUGIN_JSON.to_string(), Some(Value::Object(manifest)));
    dir.files.insert(crate::manifest::native::HOOKS_JSON.to_string(), c.hooks.doc.clone());
    if let Some(native) = c.manifest.native.as_deref().filter(|n| !n.skills.is_empty())
        && c.root.join(crate::registry::marketplace::MARKETPLACE_JSON).is_file()
    {
        // A plugin that is its marketplace's root (`"source": "./"`, as
        // anthropics/skills' entries are) has only the skills it lists in
        // Claude Code's own install, where a plugin elsewhere adds them to
        // `skills/`; from a plugin directory Claude Code would add them, so
        // the skills it does not list are hidden.
        let declared: Vec<PathBuf> = native.skills.iter().map(|rel| crate::util::paths::normalize(&c.root.join(rel))).collect();
        for (path, name) in entries(&c.root.join("skills")) {
            if !declared.iter().any(|d| d.starts_with(&path) || path.starts_with(d)) {
                dir.files.insert(format!("skills/{name}"), None);
            }
        }
    }
    let mut mcp = None;
    let mut records = Vec::new();
    if c.mcp {
        let servers = mcp_servers(c, None)?;
        if !servers.is_empty() || c.root.join(".mcp.json").exists() {
            let mut written = Map::new();
            for (server, value) in servers {
                // Recorded by the name Claude Code gives the server.
                let id = format!("plugin:{name}:{server}");
                let (value, recorded) = with_secrets(&id, value, name, &c.manifest.secrets, scope.dispatch_profile());
                if let Some(mut r) = recorded {
                    // `paii mcp exec` starts it, outside Claude Code's expansion.
                    let root = scope.profile.join("plugins").join(name).display().to_string();
                    let data = claude_plugin_data(c.manifest).display().to_string();
                    crate::claude::json::expand(&mut r, &[("${CLAUDE_PLUGIN_ROOT}", root), ("${CLAUDE_PLUGIN_DATA}", data)]);
                    records.push((id, r));
                }
                written.insert(server, value);
            }
            mcp = Some(serde_json::json!({ "mcpServers": written }));
        }
    }
    dir.files.insert(".mcp.json".to_string(), mcp);
    Ok((dir, records))
}

/// The data directory Claude Code gives a plugin it loads from a skills
/// directory (`<name>@skills-dir`, named by its plugin.json), which paii's
/// hooks and servers of the plugin share:
/// `$CLAUDE_CONFIG_DIR/plugins/data/<name>-skills-dir`.
pub fn claude_plugin_data(pm: &PluginManifest) -> std::path::PathBuf {
    let name = pm.native.as_ref().map_or(pm.name.as_str(), |n| n.name.as_str());
    crate::util::paths::claude_config_dir().join("plugins").join("data").join(format!("{name}-skills-dir"))
}

/// The id Claude Code gives a plugin it loads from a skills directory,
/// named by its plugin.json: `<name>@skills-dir`.
pub fn skills_dir_id(pm: &PluginManifest) -> String {
    format!("{}@skills-dir", pm.native.as_ref().map_or(pm.name.as_str(), |n| n.name.as_str()))
}

/// Skills, agents and commands of one plugin tree: by convention
/// (`skills/<n>/SKILL.md`, `agents/<n>.md` or `agents/<n>/AGENT.md`,
/// `commands/<n>.md`, and a paii plugin's root `SKILL.md`), plus the paths a
/// Claude Code plugin's manifest adds.
pub fn discover(pm: &PluginManifest, root: &Path) -> Result<Vec<(String, PathBuf)>, ClaudeError> {
    let mut out = Vec::new();
    if pm.native.is_none() && root.join("SKILL.md").is_file() {
        let name =
            pm.provides.iter().find(|p| p.contract == "SkillProvider").and_then(|p| p.name.clone()).unwrap_or_else(|| pm.name.clone());
        out.push((format!("skills/{name}"), root.to_path_buf()));
    }
    skills_in(&root.join("skills"), &mut out);
    // As Claude Code has it: a manifest's `agents` or `commands` replaces the
    // default folder, its `skills` adds to `skills/`.
    let native = pm.native.as_deref();
    if native.is_none_or(|n| n.agents.is_empty()) {
        agents_in(&root.join("agents"), &mut out);
    }
    if native.is_none_or(|n| n.commands.is_empty() && n.command_objects.is_empty()) {
        commands_in(&root.join("commands"), &mut out);
    }
    if let Some(native) = native {
        for rel in &native.skills {
            let dir = inside(root, rel, pm)?;
            // A skill directory itself, or a directory of them.
            match dir.file_name().and_then(|n| n.to_str()).filter(|_| dir.join("SKILL.md").is_file()) {
                Some(name) => out.push((format!("skills/{name}"), dir.clone())),
                None => skills_in(&dir, &mut out),
            }
        }
        for rel in &native.agents {
            let path = inside(root, rel, pm)?;
            if path.is_dir() { agents_in(&path, &mut out) } else { agent_file(&path, &mut out) }
        }
        for rel in &native.commands {
            let path = inside(root, rel, pm)?;
            if path.is_dir() { commands_in(&path, &mut out) } else { command_file(&path, &mut out) }
        }
        for (name, spec) in &native.command_objects {
            if let Some(source) = spec.get("source").and_then(Value::as_str) {
                out.push((format!("commands/{name}.md"), inside(root, source, pm)?));
            }
        }
    }
    // A manifest may name what a default folder already holds.
    let mut seen = std::collections::HashSet::new();
    out.retain(|entry| seen.insert(entry.clone()));
    Ok(out)
}

fn skills_in(dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    for (dir, name) in entries(dir) {
        if dir.join("SKILL.md").is_file() {
            out.push((format!("skills/{name}"), dir));
        }
    }
}

fn agents_in(dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    for (path, name) in entries(dir) {
        if path.join("AGENT.md").is_file() {
            out.push((format!("agents/{name}.md"), path.join("AGENT.md")));
        } else {
            agent_file(&path, out);
        }
    }
}

fn agent_file(path: &Path, out: &mut Vec<(String, PathBuf)>) {
    if let Some(stem) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".md")).filter(|_| path.is_file()) {
        out.push((format!("agents/{stem}.md"), path.to_path_buf()));
    }
}

fn commands_in(dir: &Path, out: &mut Vec<(String, PathBuf)>) {
    for (path, _) in entries(dir) {
        command_file(&path, out);
    }
}

fn command_file(path: &Path, out: &mut Vec<(String, PathBuf)>) {
    if let Some(name) = path.file_name().and_then(|n| n.to_str()).filter(|n| n.ends_with(".md") && path.is_file()) {
        out.push((format!("commands/{name}"), path.to_path_buf()));
    }
}

/// A path a plugin's manifest names, which must stay inside the plugin.
fn inside(root: &Path, rel: &str, pm: &PluginManifest) -> Result<PathBuf, ClaudeError> {
    let path = crate::util::paths::normalize(&root.join(rel));
    if !path.starts_with(root) {
        return Err(ClaudeError::Escapes { plugin: pm.name.clone(), path: rel.to_string() });
    }
    Ok(path)
}

/// The visible entries of a directory, sorted by name.
fn entries(dir: &Path) -> Vec<(PathBuf, String)> {
    let Ok(rd) = fs::read_dir(dir) else { return Vec::new() };
    let mut v: Vec<(PathBuf, String)> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_str()?.to_string();
            (!name.starts_with('.')).then(|| (e.path(), name))
        })
        .collect();
    v.sort_by(|a, b| a.1.cmp(&b.1));
    v
}

/// The MCP servers of a plugin: its `.mcp.json` (`{"mcpServers": {...}}`,
/// or the servers object alone) and, for a Claude Code plugin, the files and
/// objects its manifest's `mcpServers` adds, with `${CLAUDE_PLUGIN_ROOT}` and
/// `${CLAUDE_PLUGIN_DATA}` made concrete. Other `${VAR}` references, secrets
/// among them, are left for Claude Code to expand: their values are never
/// written.
/// `paths` are the plugin root and data directory to expand; `None` leaves
/// them to Claude Code.
fn mcp_servers(c: &Contribution<'_>, paths: Option<(&Path, &Path)>) -> Result<IndexMap<String, Value>, ClaudeError> {
    let (pm, root) = (c.manifest, c.root);
    let from_file = |path: &Path| -> Result<Map<String, Value>, ClaudeError> {
        if !path.is_file() {
            return Ok(Map::new());
        }
        let file = crate::claude::json::JsonFile::read(path)?;
        match file.doc.get("mcpServers") {
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(other) => Err(ClaudeError::Record {
                path: path.to_path_buf(),
                message: format!("`mcpServers` is {}, not an object", crate::claude::json::kind(other)),
            }),
            None => Ok(file.doc),
        }
    };
    let mut servers = from_file(&root.join(".mcp.json"))?;
    for declared in pm.native.iter().flat_map(|n| &n.mcp_servers) {
        match declared {
            crate::manifest::native::Declared::Path(rel) => servers.extend(from_file(&inside(root, rel, pm)?)?),
            crate::manifest::native::Declared::Inline(m) => servers.extend(m.clone()),
        }
    }
    let mut vars = Vec::new();
    if let Some((plugin_root, data)) = paths {
        vars.push(("${CLAUDE_PLUGIN_ROOT}".to_string(), plugin_root.display().to_string()));
        vars.push(("${CLAUDE_PLUGIN_DATA}".to_string(), data.display().to_string()));
    }
    vars.extend(c.options.iter().map(|(k, v)| (format!("${{user_config.{k}}}"), v.clone())));
    let vars: Vec<(&str, String)> = vars.iter().map(|(k, v)| (k.as_str(), v.clone())).collect();
    Ok(servers
        .into_iter()
        .map(|(k, mut v)| {
            crate::claude::json::expand(&mut v, &vars);
            // A Claude Code plugin's stdio server gets its options in its
            // environment too, as Claude Code gives them; a paii plugin's
            // config reaches its servers only where `.mcp.json` names it.
            let native = pm.native.is_some();
            if let Some(server) = v.as_object_mut().filter(|s| native && s.contains_key("command") && !c.options.is_empty()) {
                let env = server.entry("env").or_insert_with(|| Value::Object(Map::new()));
                if let Some(env) = env.as_object_mut() {
                    for (key, value) in &c.options {
                        env.entry(format!("CLAUDE_PLUGIN_OPTION_{}", key.to_uppercase())).or_insert_with(|| Value::String(value.clone()));
                    }
                }
            }
            (k, v)
        })
        .collect())
}

/// A server whose strings reference secrets the plugin declares
/// (`${GITHUB_PERSONAL_ACCESS_TOKEN}`) reaches them through paii, so that no
/// value is ever written into Claude Code's config: a stdio server runs as
/// `paii mcp exec SERVER`, which starts the recorded command with the
/// plugin's declared `.env` keys in its environment and its `${VAR}`
/// references expanded; an HTTP or SSE server gets a `headersHelper`, `paii
/// mcp headers SERVER`, whose headers Claude Code lays over the static ones.
/// What Claude Code sees keeps the `${VAR}` references as the plugin wrote
/// them. The second value is the record paii runs from; a server that
/// references no declared secret is left as it is.
fn with_secrets(
    server: &str,
    mut v: Value,
    plugin: &str,
    secrets: &crate::manifest::plugin::Secrets,
    profile: Option<&Path>,
) -> (Value, Option<Value>) {
    let declared: Vec<&String> = secrets.required.iter().chain(&secrets.optional).collect();
    let text = v.to_string();
    let used: Vec<&String> =
        declared.into_iter().filter(|k| text.contains(&format!("${{{k}}}")) || text.contains(&format!("${{{k}:-"))).collect();
    let Some(obj) = v.as_object_mut().filter(|_| !used.is_empty()) else {
        return (v, None);
    };
    let mut record = Map::new();
    record.insert("plugin".into(), Value::String(plugin.to_string()));
    record.insert("secrets".into(), Value::Array(used.iter().map(|k| Value::String(k.to_string())).collect()));
    if obj.contains_key("command") {
        for key in ["command", "args", "env"] {
            if let Some(x) = obj.get(key) {
                record.insert(key.into(), x.clone());
            }
        }
        let exe = crate::util::paths::paii_exe();
        obj.insert("command".into(), Value::String(exe.display().to_string()));
        let mut args = vec!["mcp".to_string(), "exec".to_string()];
        if let Some(p) = profile {
            args.extend(["--profile".to_string(), p.display().to_string()]);
        }
        args.push(server.to_string());
        obj.insert("args".into(), serde_json::json!(args));
    } else {
        record.insert("headers".into(), obj.get("headers").cloned().unwrap_or_else(|| Value::Object(Map::new())));
        let exe = shell_quote(&crate::util::paths::paii_exe().display().to_string());
        let profile = profile.map(|p| format!("--profile {} ", shell_quote(&p.display().to_string()))).unwrap_or_default();
        obj.insert("headersHelper".into(), Value::String(format!("{exe} mcp headers {profile}{}", shell_quote(server))));
    }
    (v, Some(Value::Object(record)))
}

/// `s` as one word of a POSIX shell command line.
fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}
