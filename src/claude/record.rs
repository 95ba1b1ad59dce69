//! What paii owns in Claude Code's files: `$PAII_HOME/claude-owned.json`.
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

pub const FILE: &str = "claude-owned.json";

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// The `CLAUDE_CONFIG_DIR` this record is about.
    pub claude_dir: PathBuf,
    /// False after `paii deactivate`, until the next sync or switch.
    #[serde(default)]
    pub active: bool,
    #[serde(default)]
    pub settings: SettingsRecord,
    /// Link path relative to the Claude dir -> the target paii wrote.
    #[serde(default)]
    pub links: BTreeMap<String, PathBuf>,
    #[serde(default)]
    pub mcp: McpRecord,
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
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct McpRecord {
    #[serde(default)]
    pub created_file: bool,
    #[serde(default)]
    pub created_key: bool,
    /// Server name -> the value paii wrote.
    #[serde(default)]
    pub servers: IndexMap<String, Value>,
}

impl Record {
    /// The record for `claude_dir`; a record about another directory (the
    /// user moved CLAUDE_CONFIG_DIR) starts afresh.
    pub fn load(home: &Path, claude_dir: &Path) -> Result<Record, ClaudeError> {
        let path = home.join(FILE);
        let fresh = Record { claude_dir: claude_dir.to_path_buf(), ..Record::default() };
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(fresh),
            Err(e) => return Err(ClaudeError::io("cannot read", &path, e)),
        };
        let record: Record = serde_json::from_str(&text).map_err(|e| ClaudeError::Record { path: path.clone(), message: e.to_string() })?;
        Ok(if record.claude_dir == claude_dir { record } else { fresh })
    }

    pub fn exists(home: &Path) -> bool {
        home.join(FILE).exists()
    }

    pub fn save(&self, home: &Path) -> Result<(), ClaudeError> {
        let path = home.join(FILE);
        let text = serde_json::to_string_pretty(self).unwrap_or_default();
        crate::fsutil::atomic_write(&path, text.as_bytes()).map_err(|e| ClaudeError::io("cannot write", &path, e))
    }
}
