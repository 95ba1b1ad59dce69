//! What paii owns in Claude Code's files:
//! `$PAII_HOME/claude-state/<key>/owned.json`, one per Claude config
//! directory (the key hashes its path), so that syncing into a throwaway
//! `CLAUDE_CONFIG_DIR` never costs the real one its record.
//!
//! Removing plugins removes exactly what paii added, and an edit by hand to
//! something paii owns can be told apart from paii's own value. The record
//! is written before the files it describes (as the union of old and new),
//! so a crash between the two never leaves paii's entries unrecognised.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::ClaudeError;

const FILE: &str = "owned.json";
const LINKS_FILE: &str = "links.json";

/// Identifies a Claude config directory among the ones a PAII_HOME serves.
pub fn key(claude_dir: &Path) -> String {
    use sha2::Digest;
    crate::store::integrity::hex(&sha2::Sha256::digest(claude_dir.as_os_str().as_encoded_bytes()))[..16].to_string()
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Record {
    /// The `CLAUDE_CONFIG_DIR` this record is about.
    pub claude_dir: PathBuf,
    /// False after `paii deactivate`, until the next sync or switch.
    #[serde(default)]
    pub active: bool,
    /// Written with the intent of a reconcile and cleared when it is done:
    /// while set, the links on disk may lag behind `links`.
    #[serde(default)]
    pub pending: bool,
    #[serde(default)]
    pub settings: SettingsRecord,
    /// Digest of the link names below (see [`super::Fragment::links_digest`]).
    #[serde(default)]
    pub links_digest: String,
    /// Link path relative to the Claude dir -> the target paii wrote. Kept
    /// in `links.json` beside the record and read only when the names change, so
    /// that a switch costs the same with 500 plugins as with 10.
    #[serde(skip)]
    links: std::cell::OnceCell<BTreeMap<String, PathBuf>>,
    #[serde(skip)]
    links_dirty: bool,
    /// The directory holding this record.
    #[serde(skip)]
    dir: PathBuf,
    #[serde(default)]
    pub mcp: McpRecord,
    /// Directories paii created in the Claude dir, relative to it (`""` is
    /// the Claude dir itself): removed by `deactivate` when nothing else
    /// is in them, so that a repository is left as it was.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub created_dirs: BTreeSet<String>,
}

impl PartialEq for Record {
    /// Equal when saving one over the other would change nothing.
    fn eq(&self, other: &Record) -> bool {
        !self.links_dirty
            && !other.links_dirty
            && (&self.claude_dir, self.active, self.pending, &self.links_digest, &self.settings, &self.mcp, &self.created_dirs)
                == (&other.claude_dir, other.active, other.pending, &other.links_digest, &other.settings, &other.mcp, &other.created_dirs)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SettingsRecord {
    /// paii created settings.json.
    #[serde(default)]
    pub created_file: bool,
    /// paii added the `hooks` key.
    #[serde(default)]
    pub created_hooks: bool,
    /// Event arrays paii added to `hooks`.
    #[serde(default)]
    pub created_events: BTreeSet<String>,
    /// Event (PascalCase) -> the matcher group paii wrote.
    #[serde(default)]
    pub entries: BTreeMap<String, Value>,
    /// Event (PascalCase) -> the matcher groups of Claude Code plugins'
    /// hooks paii wrote as they are (recognised by being equal to these).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub raw: BTreeMap<String, Vec<Value>>,
    /// `enabledPlugins` keys (`name@marketplace`) paii turned from `true` to
    /// `false` because it installs the plugin itself; turned back on when it
    /// no longer does, and by `deactivate`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub disabled_plugins: BTreeSet<String>,
    /// A project's `settings.local.json`: `enabledPlugins` keys paii added
    /// as `false` to turn off, in this project, Claude Code's own copy of a
    /// plugin the user or the team enabled elsewhere; removed again when
    /// paii no longer installs the plugin.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub shadowed_plugins: BTreeSet<String>,
    /// paii added the `enabledPlugins` key to hold them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub created_enabled: bool,
    /// `pluginConfigs.<id>.options.<key>` values paii wrote, by plugin id
    /// (`<name>@skills-dir`): taken out again when paii no longer has them,
    /// unless changed by hand since.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub plugin_configs: BTreeMap<String, serde_json::Map<String, Value>>,
    /// paii added the `pluginConfigs` key to hold them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub created_plugin_configs: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct McpRecord {
    #[serde(default)]
    pub created_file: bool,
    #[serde(default)]
    pub created_key: bool,
    /// paii added the user config's `projects` key, or this project's entry in it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub created_projects: bool,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub created_project: bool,
    /// Server name -> the value paii wrote.
    #[serde(default)]
    pub servers: IndexMap<String, Value>,
}

impl SettingsRecord {
    /// Whether paii has nothing in the settings file.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
            && self.raw.is_empty()
            && self.disabled_plugins.is_empty()
            && self.shadowed_plugins.is_empty()
            && self.plugin_configs.is_empty()
    }
}

impl Record {
    /// The record for `claude_dir`; a record about another directory (the
    /// user moved CLAUDE_CONFIG_DIR) starts afresh.
    pub fn load(home: &Path, claude_dir: &Path) -> Result<Record, ClaudeError> {
        let dir = home.join("claude-state").join(key(claude_dir));
        let path = dir.join(FILE);
        let fresh = Record { claude_dir: claude_dir.to_path_buf(), dir: dir.clone(), ..Record::default() };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(fresh),
            Err(e) => return Err(ClaudeError::io("cannot read", &path, e)),
        };
        let mut record: Record =
            serde_json::from_str(&text).map_err(|e| ClaudeError::Record { path: path.clone(), message: e.to_string() })?;
        record.dir = dir;
        Ok(if record.claude_dir == claude_dir { record } else { fresh })
    }

    /// The links paii made (read on first use; an unreadable list is empty,
    /// and the scan for links into PAII_HOME still finds paii's own).
    pub fn links(&self) -> &BTreeMap<String, PathBuf> {
        self.links
            .get_or_init(|| std::fs::read(self.dir.join(LINKS_FILE)).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default())
    }

    pub fn set_links(&mut self, links: BTreeMap<String, PathBuf>, digest: String) {
        self.links = std::cell::OnceCell::from(links);
        self.links_digest = digest;
        self.links_dirty = true;
    }

    pub fn save(&self) -> Result<(), ClaudeError> {
        if self.links_dirty {
            let path = self.dir.join(LINKS_FILE);
            let text = serde_json::to_string(self.links()).unwrap_or_default();
            crate::util::fs::atomic_write(&path, text.as_bytes()).map_err(|e| ClaudeError::io("cannot write", &path, e))?;
        }
        let path = self.dir.join(FILE);
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        crate::util::fs::atomic_write(&path, text.as_bytes()).map_err(|e| ClaudeError::io("cannot write", &path, e))
    }
}
