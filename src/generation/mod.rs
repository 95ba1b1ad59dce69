//! Generations: immutable, numbered sets of installed plugins under
//! `$PAII_HOME/generations/<N>/`, and `current`, a symlink to exactly one of
//! them that is replaced with one atomic rename.

pub mod assemble;
pub mod fragment;
pub mod plugin_config;
pub mod secrets;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::util::fs::{self as fsutil, IoError};

/// `generation.toml`: what a generation holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationMeta {
    pub number: u32,
    /// Seconds since the Unix epoch.
    pub created: u64,
    /// The generation this one was made from (what `rollback` returns to).
    pub parent: Option<u32>,
    pub paii_version: String,
    /// sha256 of the paii.lock text it was made from.
    pub lock_hash: String,
    /// sha256 of everything assembled into it: a sync whose assembly hashes
    /// the same as current's creates no generation.
    #[serde(default)]
    pub content_hash: String,
    /// The paii.toml it was made from (what `config set` syncs again).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<PathBuf>,
    #[serde(default, rename = "plugin")]
    pub plugins: Vec<GenerationPlugin>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenerationPlugin {
    pub name: String,
    pub version: String,
    /// The plugin's tree in the store.
    pub store_path: PathBuf,
    /// Its integrity, for `doctor` to check the tree against.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub integrity: Option<crate::store::integrity::Integrity>,
    /// Its build output, if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub build_path: Option<PathBuf>,
    /// A Claude Code plugin's root: the writable directory Claude Code loads
    /// it from (see [`crate::claude::plugin_dir`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub root: Option<PathBuf>,
    /// The contracts it provides (`MemoryProvider`, `IntegrationProvider:jira`):
    /// what a plugin such as `hooks` tells Claude about the generation.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub provides: Vec<String>,
    /// Awaiting `paii approve` (`[policy] require-approval`): installed
    /// without its hooks, MCP servers and build.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
}

/// The part of `generation.toml` a switch needs.
#[derive(Debug, Clone, Deserialize)]
pub struct GenerationHeader {
    pub number: u32,
    pub parent: Option<u32>,
    pub content_hash: Option<String>,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum GenerationError {
    #[error("generation {0} does not exist")]
    #[diagnostic(help("`paii generations list` shows the generations there are"))]
    Missing(u32),
    #[error("generation {0} has no parent to roll back to")]
    NoParent(u32),
    #[error("there is no current generation yet")]
    #[diagnostic(help("run `paii sync` first"))]
    NoCurrent,
    #[error("{}: {message}", path.display())]
    Corrupt { path: PathBuf, message: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    Assemble(Box<crate::claude::ClaudeError>),
    #[error("plugin `{plugin}`: cannot make the directory Claude Code loads it from")]
    #[diagnostic(help("free some space, or check the permissions of $PAII_HOME/roots; nothing was switched"))]
    Root { plugin: String, source: std::io::Error },
    #[error("`{plugin}`: `[run] command` names `{arg}`, which is in neither its build output nor the plugin")]
    #[diagnostic(help("a relative path in `[run] command` must name a file of the plugin (or of its build)"))]
    CommandOutside { plugin: String, arg: String },
    /// A plugin's config or secrets file is bad.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Input(#[from] crate::diagnostic::SpannedError),
    #[error(transparent)]
    Io(#[from] IoError),
}

fn io_err(action: &'static str, path: &Path) -> impl FnOnce(std::io::Error) -> GenerationError {
    let path = path.to_path_buf();
    move |source| GenerationError::Io(IoError { action, path, source })
}

/// Everything a new generation is made of, computed before it is created.
#[derive(Debug, Clone, Default)]
pub struct Assembly {
    pub lock_hash: String,
    pub plugins: Vec<GenerationPlugin>,
    /// What it contributes to Claude Code.
    pub fragment: crate::claude::Fragment,
    /// How to run each plugin; `root` is filled in by
    /// [`Generations::create`], which knows the generation's number.
    pub run: BTreeMap<String, crate::dispatch::RunEntry>,
    /// Hook handlers by event, in plugin order.
    pub handlers: Vec<(crate::dispatch::event::HookEvent, crate::dispatch::Handler)>,
    /// Claude Code plugins' hooks that Claude Code matches and paii runs.
    pub plugin_hooks: BTreeMap<String, Vec<crate::dispatch::PluginHook>>,
    pub history_dir: PathBuf,
    /// The paii.toml it is made from.
    pub manifest: Option<PathBuf>,
}

impl Assembly {
    /// Identifies the assembly's content (independent of its number and
    /// parent): sha256 of its JSON serialisation, which is the same for the
    /// same content whatever compiler built paii (maps are sorted, fields in
    /// declaration order).
    pub fn content_hash(&self) -> String {
        use sha2::Digest;
        #[derive(Serialize)]
        struct Content<'a> {
            paii_version: &'a str,
            lock_hash: &'a str,
            plugins: &'a [GenerationPlugin],
            hooks: BTreeMap<&'static str, &'a crate::claude::settings::HookEntry>,
            links: &'a BTreeMap<String, PathBuf>,
            mcp_servers: &'a indexmap::IndexMap<String, serde_json::Value>,
            run: &'a BTreeMap<String, crate::dispatch::RunEntry>,
            handlers: Vec<(&'static str, &'a crate::dispatch::Handler)>,
            history_dir: &'a Path,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            plugin_dirs: &'a BTreeMap<String, crate::claude::plugin_dir::PluginDir>,
            #[serde(skip_serializing_if = "BTreeMap::is_empty")]
            plugin_hooks: &'a BTreeMap<String, Vec<crate::dispatch::PluginHook>>,
        }
        let content = Content {
            paii_version: env!("CARGO_PKG_VERSION"),
            lock_hash: &self.lock_hash,
            plugins: &self.plugins,
            hooks: self.fragment.hooks.iter().map(|(e, h)| (e.pascal(), h)).collect(),
            links: self.fragment.links(),
            mcp_servers: &self.fragment.mcp_servers,
            run: &self.run,
            handlers: self.handlers.iter().map(|(e, h)| (e.kebab(), h)).collect(),
            history_dir: &self.history_dir,
            plugin_dirs: &self.fragment.plugin_dirs,
            plugin_hooks: &self.plugin_hooks,
        };
        // Serialising plain data cannot fail; an empty text would only make
        // the next sync assemble a generation again.
        let text = serde_json::to_vec(&content).unwrap_or_default();
        crate::store::integrity::hex(&sha2::Sha256::digest(&text))
    }
}

/// The generations of one profile: `PAII_HOME` itself (the user scope) or
/// a project's directory under it.
pub struct Generations {
    home: PathBuf,
    profile: PathBuf,
}

impl Generations {
    /// The user scope's.
    pub fn new(home: &Path) -> Generations {
        Generations::in_profile(home, home)
    }

    pub fn in_profile(home: &Path, profile: &Path) -> Generations {
        Generations { home: home.to_path_buf(), profile: profile.to_path_buf() }
    }

    fn dir(&self) -> PathBuf {
        self.profile.join("generations")
    }

    /// The profile hook entries name (a project's), else `None`.
    fn dispatch_profile(&self) -> Option<&Path> {
        (self.profile != self.home).then_some(self.profile.as_path())
    }

    pub fn path(&self, n: u32) -> PathBuf {
        self.dir().join(n.to_string())
    }

    /// The number `current` points at.
    pub fn current(&self) -> Option<u32> {
        let target = fs::read_link(self.profile.join("current")).ok()?;
        target.file_name()?.to_str()?.parse().ok()
    }

    pub fn meta(&self, n: u32) -> Result<GenerationMeta, GenerationError> {
        let path = self.path(n).join("generation.toml");
        let text = fs::read_to_string(&path).map_err(|_| GenerationError::Missing(n))?;
        toml::from_str(&text).map_err(|e| GenerationError::Corrupt { path, message: e.message().to_string() })
    }

    /// The numbers of every generation directory, oldest first.
    pub fn numbers(&self) -> Vec<u32> {
        let Ok(entries) = fs::read_dir(self.dir()) else { return Vec::new() };
        let mut numbers: Vec<u32> = entries.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect();
        numbers.sort_unstable();
        numbers
    }

    /// Every complete generation, oldest first.
    pub fn list(&self) -> Result<Vec<GenerationMeta>, GenerationError> {
        self.numbers().into_iter().map(|n| self.meta(n)).collect()
    }

    /// Assembles a new generation from `plugins` (made from the lock whose
    /// text hashes to `lock_hash`), with `current` as its parent. It is built
    /// in a temporary directory, made read-only and renamed into place: a
    /// generation under its final number is always complete.
    pub fn create(&self, assembly: &Assembly) -> Result<u32, GenerationError> {
        let dir = self.dir();
        fs::create_dir_all(&dir).map_err(io_err("cannot create", &dir))?;
        // Numbers are never reused, even when a generation does not read back.
        let number = self.numbers().last().map_or(1, |n| n + 1);
        let tmp = tempfile::Builder::new().prefix(".tmp-").tempdir_in(&dir).map_err(io_err("cannot create a directory in", &dir))?;
        let root = tmp.path().join("generation");
        let links = root.join("plugins");
        fs::create_dir_all(&links).map_err(io_err("cannot create", &links))?;
        let final_path = self.path(number);
        let mut plugins = assembly.plugins.clone();
        for p in &mut plugins {
            let link = links.join(&p.name);
            match assembly.fragment.plugin_dirs.get(&p.name) {
                // A Claude Code plugin: the directory Claude Code loads, with
                // the table its hooks run from.
                Some(dir) => {
                    let table = |root: &Path| {
                        let mut entry = assembly.run.get(&p.name).cloned();
                        if let Some(e) = &mut entry {
                            e.root = root.to_path_buf();
                        }
                        crate::dispatch::DispatchTable {
                            format: crate::dispatch::table::FORMAT,
                            generation: 0,
                            home: self.home.clone(),
                            history_dir: assembly.history_dir.clone(),
                            plugins: entry.map(|e| (p.name.clone(), e)).into_iter().collect(),
                            events: Default::default(),
                            plugin_hooks: assembly.plugin_hooks.get(&p.name).map(|h| (p.name.clone(), h.clone())).into_iter().collect(),
                        }
                    };
                    let plugin_root = crate::claude::plugin_dir::ensure_root(&self.profile, &p.name, &p.store_path, dir, table)
                        .map_err(|e| GenerationError::Root { plugin: p.name.clone(), source: e })?;
                    symlink(&plugin_root, &link).map_err(io_err("cannot link", &link))?;
                    p.root = Some(plugin_root);
                }
                None => symlink(&p.store_path, &link).map_err(io_err("cannot link", &link))?,
            }
        }
        let exe = crate::util::paths::paii_exe();
        assembly.fragment.write(&root.join("claude"), &exe, self.dispatch_profile()).map_err(|e| GenerationError::Assemble(Box::new(e)))?;
        let mut table = crate::dispatch::DispatchTable {
            format: crate::dispatch::table::FORMAT,
            generation: number,
            home: self.home.clone(),
            history_dir: assembly.history_dir.clone(),
            plugins: assembly.run.clone(),
            events: Default::default(),
            plugin_hooks: Default::default(),
        };
        for (name, entry) in &mut table.plugins {
            entry.root = final_path.join("plugins").join(name);
        }
        for (event, handler) in &assembly.handlers {
            table.events.entry(event.kebab().to_string()).or_default().push(handler.clone());
        }
        crate::util::fail::point("generation-write-table").map_err(io_err("cannot write", &root))?;
        let table_path = root.join(crate::dispatch::table::FILE);
        table.write(&table_path).map_err(io_err("cannot write", &table_path))?;
        let meta = GenerationMeta {
            number,
            created: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()),
            parent: self.current(),
            paii_version: env!("CARGO_PKG_VERSION").to_string(),
            lock_hash: assembly.lock_hash.clone(),
            content_hash: assembly.content_hash(),
            manifest: assembly.manifest.clone(),
            plugins,
        };
        let text = toml::to_string(&meta).unwrap_or_default();
        fsutil::atomic_write(&root.join("generation.toml"), text.as_bytes()).map_err(io_err("cannot write", &root))?;
        // Everything in it reaches the disk before its name does.
        fsutil::sync_filesystem(&root);
        fsutil::make_read_only(&root)?;
        crate::util::fail::point("generation-rename").map_err(io_err("cannot move into place", &final_path))?;
        fsutil::publish(&root, &final_path).map_err(io_err("cannot move into place", &final_path))?;
        if let Ok(d) = fs::File::open(&dir) {
            let _ = d.sync_all();
        }
        Ok(number)
    }

    /// Points `current` at generation `n`: a new symlink renamed over the
    /// old one, so `current` is always one complete generation or the other.
    pub fn switch(&self, n: u32) -> Result<(), GenerationError> {
        // A generation that does not read back is never made current.
        self.header(n)?;
        if !self.path(n).join(crate::dispatch::table::FILE).is_file() {
            return Err(GenerationError::Corrupt { path: self.path(n), message: "has no dispatch table".into() });
        }
        let current = self.profile.join("current");
        let tmp = self.profile.join(format!(".current.{}.tmp", std::process::id()));
        let _ = fs::remove_file(&tmp);
        symlink(format!("generations/{n}"), &tmp).map_err(io_err("cannot create", &tmp))?;
        fs::rename(&tmp, &current).map_err(io_err("cannot replace", &current))?;
        // The seed's layout: plugins/<name> through current.
        let plugins = self.profile.join("plugins");
        if fs::read_link(&plugins).ok().as_deref() != Some(Path::new("current/plugins")) {
            let tmp = self.profile.join(format!(".plugins.{}.tmp", std::process::id()));
            let _ = fs::remove_file(&tmp);
            symlink("current/plugins", &tmp).map_err(io_err("cannot create", &tmp))?;
            fs::rename(&tmp, &plugins).map_err(io_err("cannot replace", &plugins))?;
        }
        if let Ok(d) = fs::File::open(&self.profile) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Removes generations a killed run left half-assembled (call with the
    /// `PAII_HOME` lock held).
    pub fn clean_temporaries(&self) -> Result<(), GenerationError> {
        let Ok(entries) = fs::read_dir(self.dir()) else { return Ok(()) };
        for e in entries.flatten() {
            if e.file_name().to_string_lossy().starts_with(".tmp-") {
                fsutil::remove_tree(&e.path())?;
            }
        }
        Ok(())
    }

    /// The generation `rollback` goes to.
    pub fn parent_of_current(&self) -> Result<u32, GenerationError> {
        let current = self.current().ok_or(GenerationError::NoCurrent)?;
        self.header(current)?.parent.ok_or(GenerationError::NoParent(current))
    }

    /// The scalar fields of `generation.toml` without its plugin list, so
    /// that a rollback costs the same with 500 plugins as with 10. paii
    /// writes the scalars first, so the text before the first `[[plugin]]`
    /// is a complete document of its own.
    pub fn header(&self, n: u32) -> Result<GenerationHeader, GenerationError> {
        use std::io::Read;
        let path = self.path(n).join("generation.toml");
        let mut file = fs::File::open(&path).map_err(|_| GenerationError::Missing(n))?;
        // The header is a few hundred bytes; the plugin list is not read.
        let mut head = Vec::with_capacity(4096);
        file.by_ref().take(4096).read_to_end(&mut head).map_err(io_err("cannot read", &path))?;
        let text = String::from_utf8_lossy(&head);
        let head = match text.find("\n[[plugin]]") {
            Some(end) => text[..end].to_string(),
            None => fs::read_to_string(&path).map_err(io_err("cannot read", &path))?,
        };
        toml::from_str(&head).map_err(|e| GenerationError::Corrupt { path, message: e.message().to_string() })
    }

    /// Switches to the parent of the current generation.
    pub fn rollback(&self) -> Result<u32, GenerationError> {
        let parent = self.parent_of_current()?;
        self.switch(parent)?;
        Ok(parent)
    }
}

// Where a scope keeps its generations: `scope` is a value the stages take,
// and knows nothing of what they keep in it.
impl crate::scope::Scope {
    pub fn generations(&self) -> Generations {
        Generations::in_profile(&self.home, &self.profile)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_content_hash_is_sha256_of_a_stable_json_serialisation() {
        use sha2::Digest;
        let a = Assembly { lock_hash: "h1".into(), history_dir: PathBuf::from("/h"), ..Assembly::default() };
        let text = format!(
            r#"{{"paii_version":"{}","lock_hash":"h1","plugins":[],"hooks":{{}},"links":{{}},"mcp_servers":{{}},"run":{{}},"handlers":[],"history_dir":"/h"}}"#,
            env!("CARGO_PKG_VERSION")
        );
        assert_eq!(a.content_hash(), crate::store::integrity::hex(&sha2::Sha256::digest(text.as_bytes())));
        let b = Assembly { lock_hash: "h2".into(), ..a.clone() };
        assert_ne!(a.content_hash(), b.content_hash());
    }

    #[test]
    fn generations_count_up_and_rollback_follows_parents() {
        let d = tempfile::tempdir().unwrap();
        let g = Generations::new(d.path());
        assert_eq!(g.current(), None);
        let a = |h: &str| Assembly { lock_hash: h.into(), ..Assembly::default() };
        let one = g.create(&a("h1")).unwrap();
        g.switch(one).unwrap();
        let two = g.create(&a("h2")).unwrap();
        g.switch(two).unwrap();
        assert_eq!((one, two), (1, 2));
        assert_eq!(g.meta(2).unwrap().parent, Some(1));
        g.switch(1).unwrap();
        let three = g.create(&a("h3")).unwrap();
        g.switch(three).unwrap();
        // Rollback goes to the parent, not to N-1.
        assert_eq!(g.rollback().unwrap(), 1);
        assert_eq!(g.current(), Some(1));
        assert!(matches!(g.rollback(), Err(GenerationError::NoParent(1))));
        assert_eq!(fs::read_link(d.path().join("plugins")).unwrap(), Path::new("current/plugins"));
        assert!(matches!(g.switch(9), Err(GenerationError::Missing(9))));
    }
}
