//! paii's MCP servers in Claude Code's user config (`~/.claude.json`), a
//! file Claude Code itself rewrites: nothing but the servers paii owns is
//! touched. The user scope's are in `mcpServers`; a project's in
//! `projects["<repository root>"].mcpServers`, Claude Code's local scope.

use std::path::Path;

use indexmap::IndexMap;
use serde_json::{Map, Value};

use super::{Changes, ClaudeError, record};

/// The servers of `project` (or the user's) in `doc`.
pub(super) fn servers<'a>(doc: &'a Map<String, Value>, project: Option<&str>) -> Option<&'a Map<String, Value>> {
    let holder = match project {
        None => doc,
        Some(root) => doc.get("projects")?.get(root)?.as_object()?,
    };
    holder.get("mcpServers")?.as_object()
}

/// [`plan_in`] the object that holds `project`'s servers (the names that
/// are not paii's are returned): the document
/// itself for the user's, else its `projects` entry, created when needed
/// and removed again when paii created it and leaves it empty.
pub(super) fn plan(
    doc: &mut Map<String, Value>,
    project: Option<&str>,
    wanted: &IndexMap<String, Value>,
    mrec: &mut record::McpRecord,
    path: &Path,
    changes: &mut Changes,
) -> Result<Vec<String>, ClaudeError> {
    let Some(root) = project else { return plan_in(doc, wanted, mrec, path, changes) };
    let needed = !wanted.is_empty() || !mrec.servers.is_empty();
    if !doc.contains_key("projects") {
        if !needed {
            return Ok(Vec::new());
        }
        doc.insert("projects".into(), Value::Object(Map::new()));
        mrec.created_projects = true;
    }
    let not_object = |key: String| ClaudeError::NotObject { path: path.to_path_buf(), key };
    let Some(Value::Object(projects)) = doc.get_mut("projects") else { return Err(not_object("projects".into())) };
    if !projects.contains_key(root) {
        if !needed {
            return Ok(Vec::new());
        }
        projects.insert(root.to_string(), Value::Object(Map::new()));
        mrec.created_project = true;
    }
    let Some(Value::Object(entry)) = projects.get_mut(root) else { return Err(not_object(format!("projects[\"{root}\"]"))) };
    let conflicts = plan_in(entry, wanted, mrec, path, changes)?;
    if mrec.created_project && entry.is_empty() {
        projects.shift_remove(root);
        mrec.created_project = false;
    }
    if mrec.created_projects && projects.is_empty() {
        doc.shift_remove("projects");
        mrec.created_projects = false;
    }
    Ok(conflicts)
}

/// Puts `wanted` into `mcpServers` of `doc`: servers paii owns are replaced or
/// removed; a name that is the user's is a conflict, even with paii's very
/// value (removing the plugin would otherwise remove the user's server).
fn plan_in(
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
        return Err(ClaudeError::NotObject { path: path.to_path_buf(), key: "mcpServers".into() });
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
            Some(_) => conflicts.push(name.clone()),
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
