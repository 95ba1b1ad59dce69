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
use crate::manifest::PluginManifest;

/// The default handler timeout, as the dispatcher applies it.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
/// Claude Code's timeout is the slowest handler's plus this, so that the
/// dispatcher always gets to kill its handlers and answer first.
const TIMEOUT_MARGIN_S: u64 = 5;

/// One plugin as the fragment sees it.
pub struct Contribution<'a> {
    pub manifest: &'a PluginManifest,
    /// The plugin's tree in the store.
    pub root: &'a Path,
    /// Its hooks, compiled: dispatched ones and ones written as they are.
    pub hooks: crate::generation::assemble::PluginHooks,
    pub mcp: bool,
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
    pub(super) links: std::cell::OnceCell<BTreeMap<String, PathBuf>>,
    /// Identifies the set of link names.
    pub links_digest: String,
    /// Where `links` is read from, for a fragment loaded from a generation.
    pub(super) dir: Option<PathBuf>,
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
        fragment.links_digest = digest(links.keys());
        fragment.links = std::cell::OnceCell::from(links);
        for (event, (list, all, timeout_ms)) in matchers {
            let matcher = event.is_tool_event().then(|| if all { String::new() } else { list.join("|") });
            fragment.hooks.insert(event, HookEntry { matcher, timeout: timeout_ms.div_ceil(1000) + TIMEOUT_MARGIN_S });
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
) -> Result<(super::plugin_dir::PluginDir, Vec<(String, Value)>), ClaudeError> {
    use super::plugin_dir::PluginDir;
    let name = c.manifest.name.as_str();
    let json_path = c.root.join(crate::manifest::native::PLUGIN_JSON);
    let mut own = super::json::JsonFile::read(&json_path)?.doc;
    if let Some(overlay) = c.overlay {
        crate::manifest::overlay::fill_metadata(&mut own, overlay);
    }
    let mut dir = PluginDir::default();
    dir.files.insert(crate::manifest::native::PLUGIN_JSON.to_string(), Some(Value::Object(super::plugin_dir::manifest(&own, c.mcp))));
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
                    expand(&mut r, &[("${CLAUDE_PLUGIN_ROOT}", root), ("${CLAUDE_PLUGIN_DATA}", data)]);
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

/// Fills `dir` with a link to each entry of `target` but `skip`.
fn link_all_but(target: &Path, dir: &Path, skip: &str) -> Result<(), ClaudeError> {
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
        let file = super::json::JsonFile::read(path)?;
        match file.doc.get("mcpServers") {
            Some(Value::Object(m)) => Ok(m.clone()),
            Some(other) => Err(ClaudeError::Record {
                path: path.to_path_buf(),
                message: format!("`mcpServers` is {}, not an object", super::json::kind(other)),
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
            expand(&mut v, &vars);
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

/// Replaces each `(placeholder, value)` in every string of `v`.
pub fn expand(v: &mut Value, vars: &[(&str, String)]) {
    match v {
        Value::String(s) => {
            for (var, value) in vars {
                if s.contains(var) {
                    *s = s.replace(var, value);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| expand(x, vars)),
        Value::Object(m) => m.values_mut().for_each(|x| expand(x, vars)),
        _ => {}
    }
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
