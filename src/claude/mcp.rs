//! paii's MCP servers in `mcpServers` of Claude Code's user config
//! (`~/.claude.json`), a file Claude Code itself rewrites: nothing but the
//! servers paii owns is touched.

use std::path::Path;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::{Changes, ClaudeError, record};

/// Puts `wanted` into `mcpServers`: servers paii owns are replaced or
/// removed; a name that is the user's is a conflict, even with paii's very
/// value (removing the plugin would otherwise remove the user's server).
pub(super) fn plan(
    doc: &mut Map<String, Value>,
    wanted: &IndexMap<String, Value>,
    mrec: &mut record::McpRecord,
    path: &Path,
    changes: &mut Changes,
) -> Result<Vec<String>, ClaudeError> {
    let mut conflicts = Vec::new();
    if !doc.contains_key("mcpServers") {
        if wanted.is_empty() {
            return Ok(conflicts);
        }
        doc.insert("mcpServers".into(), Value::Object(Map::new()));
        mrec.created_key = true;
    }
    let Some(Value::Object(servers)) = doc.get_mut("mcpServers") else {
        return Err(ClaudeError::McpNotObject { path: path.to_path_buf() });
    };
    for (name, written) in &mrec.servers {
        match servers.get(name) {
            Some(v) if v != written => changes.foreign_edits.push(format!("mcpServers.{name}")),
            _ => {}
        }
    }
    for (name, v) in wanted {
        match servers.get(name) {
            None => changes.mcp_added.push(name.clone()),
            Some(cur) if mrec.servers.contains_key(name) => {
                if cur != v {
                    changes.mcp_changed.push(name.clone());
                }
            }
            Some(_) => conflicts.push(format!("MCP server `{name}` in {}", path.display())),
        }
        servers.insert(name.clone(), v.clone());
    }
    let gone: Vec<String> = mrec.servers.keys().filter(|n| !wanted.contains_key(*n)).cloned().collect();
    for name in gone {
        if servers.shift_remove(&name).is_some() {
            changes.mcp_removed.push(name.clone());
        }
        mrec.servers.shift_remove(&name);
    }
    if mrec.created_key && servers.is_empty() {
        doc.shift_remove("mcpServers");
        mrec.created_key = false;
    }
    Ok(conflicts)
}
