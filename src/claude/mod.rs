//! Claude Code's side of a generation. A generation carries a `claude/`
//! tree (skill, agent and command links into the store, and the settings
//! and MCP fragments); reconciling makes `$CLAUDE_CONFIG_DIR` show exactly
//! that, owning only what paii added:
//!
//! - links `skills/<n>`, `agents/<n>.md`, `commands/<n>.md` point through
//!   `$PAII_HOME/current/claude/...`, so a switch that keeps the names
//!   touches no link;
//! - one hook entry per event in settings.json, recognised by its command;
//! - MCP servers in `mcpServers` of Claude Code's user config.
//!
//! Reconciling is idempotent: after a crash, running it again finishes the job.

pub mod client;
pub mod exclude;
pub mod fragment;
pub mod json;
pub mod links;
pub mod mcp;
pub mod plugin_dir;
pub mod record;
pub mod settings;

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::{Map, Value};

pub use fragment::Fragment;
use json::JsonFile;
use record::Record;

use crate::dispatch::event::HookEvent;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ClaudeError {
    #[error(transparent)]
    #[diagnostic(transparent)]
    Invalid(Box<crate::diagnostic::SpannedError>),
    #[error("`hooks` in settings.json is not an object")]
    #[diagnostic(help("paii adds its entries to the `hooks` object; fix settings.json by hand first"))]
    HooksNotObject,
    #[error("`hooks.{0}` in settings.json is not an array")]
    #[diagnostic(help("each event in `hooks` holds a list of matcher groups; fix settings.json by hand first"))]
    EventNotArray(String),
    #[error("`{key}` in {} is not an object", path.display())]
    #[diagnostic(help("paii keeps its MCP servers there; fix the file by hand first"))]
    NotObject { path: PathBuf, key: String },
    #[error("{} would not match Claude Code's settings schema after paii's edit, so it was left as it was:\n{}", path.display(), errors.iter().map(|e| format!("  - {e}")).collect::<Vec<_>>().join("\n"))]
    Schema { path: PathBuf, errors: Vec<String> },
    #[error("{} not paii's:\n{}", if .0.len() == 1 { "this name already exists and is" } else { "these names already exist and are" }, .0.iter().map(|c| format!("  - {c}")).collect::<Vec<_>>().join("\n"))]
    #[diagnostic(help(
        "paii never replaces your own files: rename or remove yours, or drop the plugin that provides the name; nothing was switched"
    ))]
    Conflicts(Vec<String>),
    #[error("plugins collide:\n{}", .0.iter().map(|c| format!("  - {c}")).collect::<Vec<_>>().join("\n"))]
    #[diagnostic(help("two plugins of one generation cannot provide the same name; remove one of them from paii.toml"))]
    Collisions(Vec<String>),
    #[error("{}: {message}", path.display())]
    Record { path: PathBuf, message: String },
    #[error("plugin `{plugin}`: `{path}` leads outside the plugin")]
    #[diagnostic(help("a plugin's manifest may only name files inside the plugin"))]
    Escapes { plugin: String, path: String },
    #[error(transparent)]
    Io(#[from] crate::util::fs::IoError),
}

impl ClaudeError {
    pub fn io(action: &'static str, path: &Path, source: std::io::Error) -> ClaudeError {
        ClaudeError::Io(crate::util::fs::IoError::new(action, path, source))
    }
}

/// What a reconcile changed (or, planned, would change).
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Changes {
    pub hooks_added: Vec<String>,
    pub hooks_removed: Vec<String>,
    pub hooks_changed: Vec<String>,
    pub links_added: Vec<String>,
    pub links_removed: Vec<String>,
    pub mcp_added: Vec<String>,
    pub mcp_removed: Vec<String>,
    pub mcp_changed: Vec<String>,
    /// paii-owned entries someone edited by hand, replaced by paii's value.
    pub foreign_edits: Vec<String>,
    /// Claude Code's own copies of plugins paii installs, turned off in
    /// `enabledPlugins` (`name@marketplace`), and ones turned back on.
    pub plugins_disabled: Vec<String>,
    pub plugins_enabled: Vec<String>,
    /// Plugins (`<name>@skills-dir`) whose options paii set or took out in
    /// `pluginConfigs`.
    pub plugin_options: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        let Changes { foreign_edits: _, .. } = self;
        [
            &self.hooks_added,
            &self.hooks_removed,
            &self.hooks_changed,
            &self.links_added,
            &self.links_removed,
            &self.mcp_added,
            &self.mcp_removed,
            &self.mcp_changed,
            &self.plugins_disabled,
            &self.plugins_enabled,
            &self.plugin_options,
        ]
        .iter()
        .all(|v| v.is_empty())
    }

    /// One line per change, for people.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut add = |sign: &str, what: &str, v: &[String]| out.extend(v.iter().map(|n| format!("{sign} {what} {n}")));
        add("+", "hook", &self.hooks_added);
        add("-", "hook", &self.hooks_removed);
        add("~", "hook", &self.hooks_changed);
        add("+", "link", &self.links_added);
        add("-", "link", &self.links_removed);
        add("+", "mcp server", &self.mcp_added);
        add("-", "mcp server", &self.mcp_removed);
        add("~", "mcp server", &self.mcp_changed);
        add("-", "Claude Code's own plugin (paii's copy replaces it)", &self.plugins_disabled);
        add("+", "Claude Code's own plugin (re-enabled)", &self.plugins_enabled);
        add("~", "plugin options", &self.plugin_options);
        out
    }
}

/// A problem `doctor` reports.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub what: String,
    /// Whether reconciling with the current generation repairs it.
    pub fixable: bool,
}

/// Claude Code's files of one scope, as one `PAII_HOME` installs into them.
pub struct Claude {
    /// `PAII_HOME`: a link into it is paii's, whichever scope made it.
    pub home: PathBuf,
    /// The scope's generations: links go through its `current`, and what
    /// paii owns is recorded there.
    pub profile: PathBuf,
    /// `$CLAUDE_CONFIG_DIR`, or a repository's `.claude/`.
    pub dir: PathBuf,
    /// `settings.json`, or for a project `settings.local.json` (the
    /// committed `settings.json` is the team's and never written).
    pub settings_name: &'static str,
    pub user_config: PathBuf,
    /// The repository whose entry of the user config's `projects` holds
    /// the MCP servers (Claude Code's local scope); `None`: `mcpServers`.
    pub mcp_project: Option<String>,
    /// A project's `.git/info/exclude`, and its repository root.
    pub exclude: Option<(PathBuf, PathBuf)>,
    /// The profile a hook entry names (project scope).
    pub dispatch_profile: Option<PathBuf>,
    /// The paii binary hook entries call.
    pub exe: PathBuf,
}

const KINDS: [&str; 3] = ["skills", "agents", "commands"];
const USER_CONFIG_BACKUP: &str = "claude.json";

impl Claude {
    /// The user scope: `CLAUDE_CONFIG_DIR` (or `~/.claude`) and the running binary.
    pub fn from_env(home: &Path) -> Claude {
        Claude::for_scope(&crate::scope::Scope::user(home))
    }

    pub fn for_scope(scope: &crate::scope::Scope) -> Claude {
        let exe = crate::util::paths::paii_exe();
        let user_config = crate::util::paths::claude_user_config();
        match &scope.project {
            None => Claude {
                home: scope.home.clone(),
                profile: scope.profile.clone(),
                dir: crate::util::paths::claude_config_dir(),
                settings_name: "settings.json",
                user_config,
                mcp_project: None,
                exclude: None,
                dispatch_profile: None,
                exe,
            },
            Some(p) => Claude {
                home: scope.home.clone(),
                profile: scope.profile.clone(),
                dir: p.root.join(".claude"),
                settings_name: "settings.local.json",
                user_config,
                mcp_project: Some(crate::scope::canonical_root(&p.root).display().to_string()),
                exclude: crate::scope::git_exclude(&p.root).map(|e| (e, p.root.clone())),
                dispatch_profile: Some(scope.profile.clone()),
                exe,
            },
        }
    }

    fn settings_path(&self) -> PathBuf {
        self.dir.join(self.settings_name)
    }

    /// Where the originals of this Claude config directory's files are kept.
    pub fn backups(&self) -> PathBuf {
        self.profile.join("backups").join(record::key(&self.dir))
    }

    /// Where a link of the Claude dir points: through `current`.
    fn link_target(&self, rel: &str) -> PathBuf {
        self.profile.join("current").join("claude").join(rel)
    }

    /// The conflicts of MCP server names that are taken: the user's, or
    /// (a project) another checkout's of the same repository, whose
    /// worktrees Claude Code gives one set of servers.
    fn mcp_conflicts(&self, names: Vec<String>) -> Vec<String> {
        names
            .into_iter()
            .map(|name| match self.mcp_owner(&name) {
                Some(other) => format!(
                    "MCP server `{name}` in {}, which paii installs for {} (Claude Code reads one set of MCP servers for every worktree of a repository)",
                    self.user_config.display(),
                    other.display()
                ),
                None => format!("MCP server `{name}` in {}", self.user_config.display()),
            })
            .collect()
    }

    /// The root of another project whose profile owns MCP server `name` in
    /// this project's entry of Claude Code's user config.
    fn mcp_owner(&self, name: &str) -> Option<PathBuf> {
        let key = self.mcp_project.as_deref()?;
        crate::scope::known_projects(&self.home).into_iter().filter(|p| p.profile != self.profile).find_map(|p| {
            let root = p.record?.root;
            let same = crate::scope::canonical_root(&root).display().to_string() == key;
            let record = Record::load(&p.profile, &root.join(".claude")).ok().filter(|_| same)?;
            record.mcp.servers.contains_key(name).then_some(root)
        })
    }

    /// What paii's block of the repository's `.git/info/exclude` lists:
    /// the settings file it writes to and its links, as paths from the root.
    fn excluded<'a>(&self, links: impl Iterator<Item = &'a String>, settings: bool) -> Vec<String> {
        let Some((_, root)) = &self.exclude else { return Vec::new() };
        let rel = |p: PathBuf| p.strip_prefix(root).map(|r| r.to_string_lossy().into_owned()).unwrap_or_default();
        let mut out: Vec<String> = settings.then(|| rel(self.settings_path())).into_iter().collect();
        out.extend(links.map(|l| rel(self.dir.join(l))));
        out.sort();
        out.dedup();
        out
    }

    fn write_exclude(&self, paths: &[String]) -> Result<(), ClaudeError> {
        if let Some((file, _)) = &self.exclude {
            let tag = self.profile.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            exclude::write(file, &tag, paths)?;
        }
        Ok(())
    }

    fn is_ours(&self, target: &Path) -> bool {
        target.starts_with(&self.home)
    }

    /// What reconciling with `fragment` would change; names that are the
    /// user's are conflicts, returned as an error before anything is written.
    pub fn plan(&self, fragment: &Fragment) -> Result<Changes, ClaudeError> {
        self.plan_with(fragment, &Record::load(&self.profile, &self.dir)?)
    }

    fn plan_with(&self, fragment: &Fragment, record: &Record) -> Result<Changes, ClaudeError> {
        let mut changes = Changes::default();
        let mut conflicts = self.plan_links(fragment, record, &mut changes)?;
        let settings = JsonFile::read(&self.settings_path())?;
        let mut doc = settings.doc.clone();
        self.plan_settings(&mut doc, fragment, &mut record.settings.clone(), record, &mut changes)?;
        // Checked while planning, so that a result Claude Code would reject
        // stops a sync before `current` moves.
        if settings.changed(&doc) {
            settings::validate(&settings.path, &settings.doc, &doc)?;
        }
        let user = JsonFile::read(&self.user_config)?;
        let mut udoc = user.doc.clone();
        let taken = mcp::plan(
            &mut udoc,
            self.mcp_project.as_deref(),
            &fragment.mcp_servers,
            &mut record.mcp.clone(),
            &self.user_config,
            &mut changes,
        )?;
        conflicts.extend(self.mcp_conflicts(taken));
        if !conflicts.is_empty() {
            return Err(ClaudeError::Conflicts(conflicts));
        }
        Ok(changes)
    }

    /// Makes Claude Code's files show `fragment` (the current generation's).
    pub fn apply(&self, fragment: &Fragment) -> Result<Changes, ClaudeError> {
        let old = Record::load(&self.profile, &self.dir)?;
        let changes = self.plan_with(fragment, &old)?;
        // The intent first: everything paii owns before or after this run,
        // marked pending until the files agree with it.
        let mut record = old.clone();
        record.active = true;
        // The directories this run may create, recorded once they exist
        // (a crash in between leaves an empty one, nothing worse).
        let missing: Vec<(String, PathBuf)> = self.own_dirs().filter(|(_, path)| !path.exists()).collect();
        if !links::unchanged(self, fragment, &old) {
            record.pending = true;
            let mut union = record.links().clone();
            union.extend(fragment.links().keys().map(|rel| (rel.clone(), self.link_target(rel))));
            let digest = record.links_digest.clone();
            record.set_links(union, digest);
        }
        for (name, v) in &fragment.mcp_servers {
            if !record.mcp.servers.contains_key(name) {
                record.pending = true;
                record.mcp.servers.insert(name.clone(), v.clone());
            }
        }
        // Raw groups are recognised by the record alone: the new ones are
        // in it before settings.json can hold them.
        for (event, groups) in &fragment.raw_hooks {
            let recorded = record.settings.raw.entry(event.pascal().to_string()).or_default();
            for g in groups {
                if !recorded.contains(g) {
                    record.pending = true;
                    recorded.push(g.clone());
                }
            }
        }
        if record != old {
            record.save()?;
        }
        // Kept out of git before they exist.
        if self.exclude.is_some() {
            let hooks = !(fragment.hooks.is_empty() && fragment.raw_hooks.is_empty());
            let settings = hooks || !fragment.claude_plugins.is_empty() || !old.settings.is_empty();
            self.write_exclude(&self.excluded(record.links().keys(), settings))?;
        }

        links::apply(self, fragment, &record)?;
        if !links::unchanged(self, fragment, &old) {
            record.set_links(
                fragment.links().keys().map(|rel| (rel.clone(), self.link_target(rel))).collect(),
                fragment.links_digest.clone(),
            );
        }

        let settings = JsonFile::read(&self.settings_path())?;
        let mut doc = settings.doc.clone();
        let mut scratch = Changes::default();
        let mut srec = record.settings.clone();
        self.plan_settings(&mut doc, fragment, &mut srec, &old, &mut scratch)?;
        srec.entries = settings::owned_entries(&doc);
        if settings.text.is_none() && !doc.is_empty() {
            srec.created_file = true;
        }
        if settings.changed(&doc) {
            settings::validate(&settings.path, &settings.doc, &doc)?;
        }
        // A plugin turned off is recorded before the file says so, or a
        // crash between the two would leave it off for good; options paii
        // writes likewise.
        if !srec.disabled_plugins.is_subset(&record.settings.disabled_plugins)
            || !srec.shadowed_plugins.is_subset(&record.settings.shadowed_plugins)
            || srec.plugin_configs.iter().any(|(id, values)| {
                record.settings.plugin_configs.get(id).is_none_or(|had| values.iter().any(|(k, v)| had.get(k) != Some(v)))
            })
        {
            record.settings.disabled_plugins.extend(srec.disabled_plugins.iter().cloned());
            record.settings.shadowed_plugins.extend(srec.shadowed_plugins.iter().cloned());
            // Options too: a crash must not leave paii's values unowned.
            for (id, values) in &srec.plugin_configs {
                record.settings.plugin_configs.entry(id.clone()).or_default().extend(values.clone());
            }
            record.pending = true;
            record.save()?;
        }
        crate::util::fail::point("claude-write-settings").map_err(|e| ClaudeError::io("cannot write", &settings.path, e))?;
        let exists = settle(&settings, &doc, &self.backups(), self.settings_name, srec.created_file)?;
        srec.created_file &= exists;
        record.settings = srec;

        // Claude Code rewrites this file itself: read it right before writing.
        let user = JsonFile::read(&self.user_config)?;
        let mut udoc = user.doc.clone();
        if user.text.is_none() && !fragment.mcp_servers.is_empty() {
            record.mcp.created_file = true;
        }
        let mut mrec = record.mcp.clone();
        let taken = mcp::plan(&mut udoc, self.mcp_project.as_deref(), &fragment.mcp_servers, &mut mrec, &self.user_config, &mut scratch)?;
        if !taken.is_empty() {
            return Err(ClaudeError::Conflicts(self.mcp_conflicts(taken)));
        }
        mrec.servers = fragment.mcp_servers.clone();
        let exists = settle(&user, &udoc, &self.backups(), USER_CONFIG_BACKUP, mrec.created_file)?;
        mrec.created_file &= exists;
        record.mcp = mrec;
        if self.exclude.is_some() {
            let settings = !record.settings.is_empty();
            self.write_exclude(&self.excluded(fragment.links().keys(), settings))?;
        }
        record.created_dirs.extend(missing.into_iter().filter(|(_, path)| path.is_dir()).map(|(rel, _)| rel));
        record.pending = false;
        if record != old {
            record.save()?;
        }
        Ok(changes)
    }

    /// Removes everything paii added; the user's files are left as they were
    /// before paii (byte for byte when nothing else in them changed since).
    pub fn deactivate(&self) -> Result<Changes, ClaudeError> {
        let mut record = Record::load(&self.profile, &self.dir)?;
        let mut changes = Changes::default();
        let empty = Fragment::default();
        let empty = Fragment { links_digest: fragment::digest(std::iter::empty()), ..empty };
        // A project whose repository was moved or deleted has only its MCP
        // servers left to remove: nothing is created where it was.
        let present = match &self.exclude {
            None => self.mcp_project.is_none() || self.dir.parent().is_some_and(|root| root.join(".git").exists()),
            Some((_, root)) => root.join(".git").exists(),
        };
        if present {
            links::apply(self, &empty, &record).map(|removed| changes.links_removed = removed)?;
            let settings = JsonFile::read(&self.settings_path())?;
            let mut doc = settings.doc.clone();
            let old = record.clone();
            self.plan_settings(&mut doc, &empty, &mut record.settings, &old, &mut changes)?;
            settle(&settings, &doc, &self.backups(), self.settings_name, record.settings.created_file)?;
            self.write_exclude(&[])?;
        }
        record.set_links(Default::default(), String::new());
        record.settings = Default::default();

        let user = JsonFile::read(&self.user_config)?;
        let mut udoc = user.doc.clone();
        mcp::plan(&mut udoc, self.mcp_project.as_deref(), &IndexMap::new(), &mut record.mcp, &self.user_config, &mut changes)?;
        settle(&user, &udoc, &self.backups(), USER_CONFIG_BACKUP, record.mcp.created_file)?;
        record.mcp = Default::default();
        // Last: the user config may have been a file in the Claude dir.
        if present {
            self.remove_created_dirs(&record.created_dirs);
        }
        record.created_dirs.clear();
        record.active = false;
        record.save()?;
        Ok(changes)
    }

    /// The directories paii may create in the Claude dir, the deepest
    /// first: (relative path, path).
    fn own_dirs(&self) -> impl Iterator<Item = (String, PathBuf)> + '_ {
        KINDS.iter().map(|kind| kind.to_string()).chain([String::new()]).map(|rel| (rel.clone(), self.dir.join(rel)))
    }

    /// Removes the directories paii created that are empty now; one with
    /// anything else in it stays (`remove_dir` refuses it).
    fn remove_created_dirs(&self, created: &BTreeSet<String>) {
        for (rel, path) in self.own_dirs() {
            if created.contains(&rel) {
                let _ = fs::remove_dir(&path);
            }
        }
    }

    /// Makes the next [`Claude::apply`] check every link instead of trusting
    /// the record (for `doctor --fix`).
    pub fn distrust_links(&self) -> Result<(), ClaudeError> {
        let mut record = Record::load(&self.profile, &self.dir)?;
        record.pending = true;
        record.save()
    }

    /// Whether paii's entries are in Claude Code's files (false after
    /// `deactivate`, and before the first sync).
    pub fn active(&self) -> bool {
        Record::load(&self.profile, &self.dir).is_ok_and(|r| r.active)
    }

    /// What `doctor` finds wrong on the Claude Code side.
    pub fn check(&self, fragment: Option<&Fragment>) -> Vec<Finding> {
        let mut out = Vec::new();
        let record = match Record::load(&self.profile, &self.dir) {
            Ok(r) => r,
            Err(e) => return vec![Finding { what: e.to_string(), fixable: false }],
        };
        for kind in KINDS {
            for (path, name) in links::ours(self, kind) {
                if fs::metadata(&path).is_err() {
                    out.push(Finding { what: format!("dangling link {kind}/{name}"), fixable: true });
                }
            }
        }
        for (rel, target) in record.links() {
            match fs::read_link(self.dir.join(rel)) {
                Ok(t) if &t == target => {}
                Ok(_) | Err(_) if self.dir.join(rel).symlink_metadata().is_ok() => {
                    out.push(Finding { what: format!("{rel} is paii's but was replaced by hand"), fixable: false })
                }
                _ => out.push(Finding { what: format!("link {rel} is missing"), fixable: true }),
            }
        }
        match JsonFile::read(&self.settings_path()) {
            Err(e) => out.push(Finding { what: e.to_string(), fixable: false }),
            Ok(s) => {
                let now = settings::owned_entries(&s.doc);
                for (event, written) in &record.settings.entries {
                    match now.get(event) {
                        None => out.push(Finding {
                            what: format!("{}: paii's {event} hook was removed by hand", self.settings_name),
                            fixable: true,
                        }),
                        Some(v) if normalize(v) != normalize(written) => out.push(Finding {
                            what: format!("{}: paii's {event} hook was edited by hand (now {v})", self.settings_name),
                            fixable: true,
                        }),
                        Some(_) => {}
                    }
                }
                for (event, group) in &now {
                    for h in group.get("hooks").and_then(Value::as_array).into_iter().flatten() {
                        let Some(command) = h.get("command").and_then(Value::as_str) else { continue };
                        let Some((head, _)) = command.split_once(" hook dispatch ") else { continue };
                        let program = head.trim_matches('\'');
                        if !Path::new(program).is_file() {
                            out.push(Finding {
                                what: format!(
                                    "{}: the {event} hook runs {program}, which no longer exists (paii moved or was upgraded)",
                                    self.settings_name
                                ),
                                fixable: true,
                            });
                        }
                    }
                }
                let errors = settings::schema_errors(&s.doc);
                if !errors.is_empty() {
                    out.push(Finding {
                        what: format!("{} does not match Claude Code's schema: {}", self.settings_name, errors.join("; ")),
                        fixable: false,
                    });
                }
            }
        }
        match JsonFile::read(&self.user_config) {
            Err(e) => out.push(Finding { what: e.to_string(), fixable: false }),
            Ok(u) => {
                let servers = mcp::servers(&u.doc, self.mcp_project.as_deref());
                for (name, written) in &record.mcp.servers {
                    match servers.and_then(|s| s.get(name)) {
                        None => out.push(Finding { what: format!("MCP server `{name}` (paii's) was removed by hand"), fixable: true }),
                        Some(v) if v != written => {
                            out.push(Finding { what: format!("MCP server `{name}` (paii's) was edited by hand"), fixable: true })
                        }
                        Some(_) => {}
                    }
                }
            }
        }
        if let Some(f) = fragment
            && record.active
            && let Ok(changes) = self.plan(f)
            && !changes.is_empty()
        {
            out.push(Finding {
                what: format!("Claude Code's files lag behind the current generation: {}", changes.lines().join(", ")),
                fixable: true,
            });
        }
        out
    }

    fn plan_settings(
        &self,
        doc: &mut Map<String, Value>,
        fragment: &Fragment,
        srec: &mut record::SettingsRecord,
        record: &Record,
        changes: &mut Changes,
    ) -> Result<(), ClaudeError> {
        let before = settings::owned_entries(doc);
        for (event, written) in &record.settings.entries {
            if before.get(event).is_some_and(|v| normalize(v) != normalize(written)) {
                changes.foreign_edits.push(format!("{} hooks.{event}", self.settings_name));
            }
        }
        let wanted: BTreeMap<HookEvent, Value> =
            fragment.hooks.iter().map(|(e, entry)| (*e, settings::group(&self.exe, self.dispatch_profile.as_deref(), *e, entry))).collect();
        settings::merge(doc, &wanted, srec)?;
        let (off, on) = settings::merge_enabled(doc, &fragment.claude_plugins, srec);
        changes.plugins_disabled.extend(off);
        changes.plugins_enabled.extend(on);
        changes.plugin_options.extend(settings::merge_configs(doc, &fragment.plugin_configs, srec));
        if self.exclude.is_some() || self.mcp_project.is_some() {
            // A project's local settings turn off, for this project, Claude
            // Code's own copies the user or the team enabled.
            let mut elsewhere = BTreeSet::new();
            for file in [crate::util::paths::claude_config_dir().join("settings.json"), self.dir.join("settings.json")] {
                if let Ok(f) = JsonFile::read(&file) {
                    elsewhere.extend(settings::enabled_keys(&f.doc, &fragment.claude_plugins));
                }
            }
            let (off, on) = settings::shadow_enabled(doc, &elsewhere, srec);
            changes.plugins_disabled.extend(off);
            changes.plugins_enabled.extend(on);
        }
        let raw_before = srec.raw.clone();
        settings::merge_raw(doc, &fragment.raw_hooks, srec)?;
        for event in raw_before.keys().chain(srec.raw.keys()).collect::<std::collections::BTreeSet<_>>() {
            let label = format!("{event} (a plugin's hooks as written)");
            match (raw_before.get(event), srec.raw.get(event)) {
                (None, Some(_)) => changes.hooks_added.push(label),
                (Some(_), None) => changes.hooks_removed.push(label),
                (Some(a), Some(b)) if a != b => changes.hooks_changed.push(label),
                _ => {}
            }
        }
        let after = settings::owned_entries(doc);
        for k in after.keys().filter(|k| !before.contains_key(*k)) {
            changes.hooks_added.push(k.clone());
        }
        for k in before.keys().filter(|k| !after.contains_key(*k)) {
            changes.hooks_removed.push(k.clone());
        }
        for (k, v) in &after {
            if before.get(k).is_some_and(|b| b != v) {
                changes.hooks_changed.push(k.clone());
            }
        }
        Ok(())
    }

    fn plan_links(&self, fragment: &Fragment, record: &Record, changes: &mut Changes) -> Result<Vec<String>, ClaudeError> {
        let mut conflicts = Vec::new();
        if links::unchanged(self, fragment, record) {
            return Ok(conflicts);
        }
        for rel in fragment.links().keys() {
            let path = self.dir.join(rel);
            match fs::symlink_metadata(&path) {
                Err(_) => changes.links_added.push(rel.clone()),
                Ok(m) if m.file_type().is_symlink() => {
                    let target = fs::read_link(&path).unwrap_or_default();
                    if target == self.link_target(rel) {
                    } else if self.is_ours(&target) || record.links().contains_key(rel) {
                        changes.links_added.push(rel.clone());
                    } else {
                        conflicts.push(format!("{} (a link to {})", path.display(), target.display()));
                    }
                }
                Ok(_) => conflicts.push(path.display().to_string()),
            }
        }
        for rel in links::stale(self, fragment, record) {
            changes.links_removed.push(rel);
        }
        Ok(conflicts)
    }
}

/// Writes `doc` in place of `file`: nothing at all when paii created the
/// file and nothing else is in it, the user's original bytes when the
/// document is the original again, else the document. Returns whether the
/// file now exists.
fn settle(file: &JsonFile, doc: &Map<String, Value>, backups: &Path, name: &str, created: bool) -> Result<bool, ClaudeError> {
    if created && doc.is_empty() {
        if file.text.is_some() {
            fs::remove_file(&file.path).map_err(|e| ClaudeError::io("cannot remove", &file.path, e))?;
        }
        return Ok(false);
    }
    if let Some(original) = json::original_if_same(backups, name, doc) {
        if file.text.as_deref() != Some(original.as_str()) {
            crate::util::fs::atomic_write(&file.path, original.as_bytes()).map_err(|e| ClaudeError::io("cannot write", &file.path, e))?;
        }
        return Ok(true);
    }
    if file.changed(doc) {
        json::write(file, doc, backups, name)?;
    }
    Ok(file.text.is_some() || !doc.is_empty())
}

/// A matcher group with paii's command reduced to its event, so that a
/// moved paii binary is not mistaken for an edit.
fn normalize(group: &Value) -> Value {
    let mut g = group.clone();
    if let Some(hs) = g.get_mut("hooks").and_then(Value::as_array_mut) {
        for h in hs {
            if let Some(e) = h.get("command").and_then(Value::as_str).and_then(settings::dispatch_event) {
                h["command"] = Value::String(format!("paii hook dispatch {}", e.kebab()));
            }
        }
    }
    g
}

impl crate::scope::Scope {
    /// Claude Code's files this scope installs into.
    pub fn claude(&self) -> Claude {
        Claude::for_scope(self)
    }
}
