//! The precompiled dispatch table: `generations/<N>/dispatch.json`.
//!
//! Written once when a generation is assembled, read on every hook event:
//! everything a handler needs (argv, root, matcher, timeout, environment,
//! merged config) is resolved here so that `hook dispatch` parses no TOML,
//! reads no registry and no lock. `paii run` reads the same plugin entries.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// Bumped when the layout changes; a dispatcher reading a version it does
/// not know allows the event and logs why. 2 added Claude Code plugins'
/// own commands ([`Handler::command`]), 3 observers
/// ([`Handler::observer`]), 4 the hooks of Claude Code plugins that Claude
/// Code matches itself ([`DispatchTable::plugin_hooks`]); an older table
/// reads as a newer one.
pub const FORMAT: u32 = 4;
const READS: std::ops::RangeInclusive<u32> = 1..=FORMAT;
pub const FILE: &str = "dispatch.json";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DispatchTable {
    pub format: u32,
    pub generation: u32,
    pub home: PathBuf,
    pub history_dir: PathBuf,
    /// Every plugin of the generation with a `[run] command`.
    pub plugins: BTreeMap<String, RunEntry>,
    /// kebab-case event -> its handlers, in plugin order.
    pub events: BTreeMap<String, Vec<Handler>>,
    /// A Claude Code plugin's command hooks, in the order of the hooks.json
    /// paii writes into the plugin's root: Claude Code matches them (every
    /// event's `matcher`, `if`, `once`) and runs each as `paii hook handler
    /// DIR PLUGIN INDEX`, which runs that one alone from the table in DIR
    /// (the root's, `generation` 0).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub plugin_hooks: BTreeMap<String, Vec<PluginHook>>,
}

/// One hook of a Claude Code plugin that Claude Code matches and paii runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PluginHook {
    /// kebab-case event.
    pub event: String,
    #[serde(flatten)]
    pub handler: Handler,
}

/// How to run one plugin (for hooks and for `paii run`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunEntry {
    /// The plugin's `[run] command`, resolved to absolute paths.
    pub argv: Vec<String>,
    /// `generations/<N>/plugins/<name>`: immutable while the plugin runs.
    pub root: PathBuf,
    /// PAII_CONFIG and PAII_CONTRACT_<KEY>, fixed at assembly.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
    /// The `.env` keys this plugin is given, read when it runs.
    #[serde(default)]
    pub secrets: Vec<String>,
    /// Those of them it cannot run without.
    #[serde(default)]
    pub required_secrets: Vec<String>,
    /// `[run] actions`, when the plugin lists them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actions: Option<Vec<String>>,
    /// Contracts it provides (`MemoryProvider`, ...).
    #[serde(default)]
    pub provides: Vec<String>,
    #[serde(default)]
    pub fail_closed: bool,
    /// Secrets given under another name: `.env` key -> the variable the
    /// plugin reads (a Claude Code plugin's sensitive option arrives as
    /// `CLAUDE_PLUGIN_OPTION_<KEY>`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub secret_as: BTreeMap<String, String>,
}

/// One plugin's handler of one event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Handler {
    pub plugin: String,
    /// `None`: every tool (and every non-tool event).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    pub timeout_ms: u64,
    /// A Claude Code plugin's own hook command, run as Claude Code runs it;
    /// `None`: the plugin's `[run] command` + `hook <event>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Option<NativeCommand>,
    /// Started detached (its own session, the event on stdin, its output
    /// appended to `logs/<plugin>.log`) and not waited for: it can neither
    /// block nor add context.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub observer: bool,
}

/// A Claude Code plugin's `command` hook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NativeCommand {
    /// Shell form: `/bin/sh -c <command>`, the text as the plugin wrote it
    /// (the shell expands `${CLAUDE_PLUGIN_ROOT}` from the environment).
    Shell(String),
    /// Exec form (`args`): the program and its arguments, spawned directly,
    /// the plugin root and data already substituted; `${CLAUDE_PROJECT_DIR}`
    /// is substituted when it runs.
    Exec(Vec<String>),
}

impl DispatchTable {
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        std::fs::write(path, text)
    }

    pub fn read(path: &Path) -> Result<DispatchTable, String> {
        Self::read_locked(path).map(|(t, _)| t)
    }

    /// Reads the table and holds a shared lock on it (released when the
    /// returned file is dropped); `gc` does not remove a generation whose
    /// table someone holds.
    pub fn read_locked(path: &Path) -> Result<(DispatchTable, std::fs::File), String> {
        use std::io::Read;
        let mut file = std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let _ = file.try_lock_shared();
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let table: DispatchTable =
            serde_json::from_slice(&bytes).map_err(|e| format!("{} is not a dispatch table: {e}", path.display()))?;
        if !READS.contains(&table.format) {
            return Err(format!("{} has format {}, this paii reads {} to {FORMAT}", path.display(), table.format, READS.start()));
        }
        Ok((table, file))
    }

    /// Whether a dispatcher is running from the generation of this table.
    pub fn in_use(path: &Path) -> bool {
        std::fs::File::open(path).is_ok_and(|f| matches!(f.try_lock(), Err(std::fs::TryLockError::WouldBlock)))
    }
}
