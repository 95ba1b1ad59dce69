//! The directory Claude Code loads as a Claude Code plugin.
//!
//! Claude Code (>= 2.1.157) loads a directory under `skills/` that holds
//! `.claude-plugin/plugin.json` as the plugin `<name>@skills-dir`: its
//! skills, commands, agents, hooks, MCP and LSP servers, output styles and
//! whatever else a plugin may hold, namespaced by the plugin as when Claude
//! Code installs it. A generation holds one such directory per Claude Code
//! plugin, `plugins/<name>`: the plugin's tree in the store, its files hard
//! links to the store's (no copy, and still read-only), except the few files
//! paii writes in their place (the hooks routed through paii's dispatcher,
//! the MCP servers given their options and secrets, and a plugin.json that
//! no longer names what those replace). Not symbolic links: Claude Code
//! refuses a path its manifest names that resolves outside the plugin's
//! directory.
//! Claude Code's directory `skills/<name>` links to it through `current`, so
//! the plugin's root still ends in its name.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::Path;

use serde_json::{Map, Value};

/// The files paii writes in a plugin's directory in place of its tree's, by
/// path relative to the plugin root: `Some` is written (as JSON), `None`
/// hides the tree's file.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PluginDir {
    pub files: BTreeMap<String, Option<Value>>,
}

/// What `${PAII_GENERATION}` in a written file stands for: the generation's
/// directory, known only when it is created.
pub const GENERATION_VAR: &str = "${PAII_GENERATION}";

/// The keys of plugin.json whose components paii writes files for.
pub const REPLACED_KEYS: [&str; 2] = ["hooks", "mcpServers"];

/// The plugin.json Claude Code reads from the directory: the tree's own
/// (with a marketplace entry already laid over it), without `hooks` (all of
/// them are in the written `hooks/hooks.json`) and with only the MCP
/// servers paii does not write into `.mcp.json` (an MCPB bundle), or none
/// when `mcp` is off.
pub fn manifest(tree_manifest: &Map<String, Value>, mcp: bool) -> Map<String, Value> {
    let mut m = tree_manifest.clone();
    m.remove("hooks");
    let bundles: Vec<Value> = match m.remove("mcpServers") {
        Some(Value::String(p)) if !p.ends_with(".json") => vec![Value::String(p)],
        Some(Value::Array(items)) => items.into_iter().filter(|i| i.as_str().is_some_and(|p| !p.ends_with(".json"))).collect(),
        _ => Vec::new(),
    };
    if mcp && !bundles.is_empty() {
        m.insert("mcpServers".into(), Value::Array(bundles));
    }
    m
}

/// Lays out `dest` as `tree` with `files` in place of the tree's: its
/// directories made, its files hard links to the tree's (a copy where the
/// two are on different file systems), its symlinks as they are. `vars` are
/// expanded in the written files' strings.
pub fn lay_out(tree: &Path, dest: &Path, files: &BTreeMap<String, Option<Value>>, vars: &[(&str, String)]) -> io::Result<()> {
    fs::create_dir_all(dest)?;
    let mut here: BTreeMap<String, BTreeMap<String, Option<Value>>> = BTreeMap::new();
    let mut written: BTreeMap<String, &Option<Value>> = BTreeMap::new();
    for (rel, content) in files {
        match rel.split_once('/') {
            Some((dir, rest)) => {
                here.entry(dir.to_string()).or_default().insert(rest.to_string(), content.clone());
            }
            None => {
                written.insert(rel.clone(), content);
            }
        }
    }
    for entry in fs::read_dir(tree)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(text) = name.to_str() else { continue };
        if written.contains_key(text) {
            continue;
        }
        let (from, to) = (entry.path(), dest.join(&name));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            lay_out(&from, &to, &here.remove(text).unwrap_or_default(), vars)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&from)?, &to)?;
        } else if fs::hard_link(&from, &to).is_err() {
            fs::copy(&from, &to)?;
        }
    }
    // Directories the tree does not have, for files paii writes.
    for (dir, inner) in here {
        if inner.values().any(Option::is_some) {
            let empty = tempfile::tempdir()?;
            lay_out(empty.path(), &dest.join(dir), &inner, vars)?;
        }
    }
    for (name, content) in written {
        if let Some(v) = content {
            let mut v = v.clone();
            super::fragment::expand(&mut v, vars);
            let text = serde_json::to_string_pretty(&v).map_err(io::Error::other)? + "\n";
            fs::write(dest.join(name), text)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_tree_is_linked_but_for_the_files_paii_writes_or_hides() {
        let d = tempfile::tempdir().unwrap();
        let tree = d.path().join("tree");
        fs::create_dir_all(tree.join("hooks")).unwrap();
        fs::create_dir_all(tree.join("skills/pdf")).unwrap();
        fs::write(tree.join("hooks/hooks.json"), "{}").unwrap();
        fs::write(tree.join("hooks/check.py"), "").unwrap();
        fs::write(tree.join(".mcp.json"), "{}").unwrap();
        let files = BTreeMap::from([
            ("hooks/hooks.json".to_string(), Some(json!({"hooks": {}, "at": "${PAII_GENERATION}/x"}))),
            (".mcp.json".to_string(), None),
            ("extra/new.json".to_string(), Some(json!({}))),
        ]);
        let dest = d.path().join("dest");
        lay_out(&tree, &dest, &files, &[(GENERATION_VAR, "/g/7".into())]).unwrap();
        use std::os::unix::fs::MetadataExt;
        assert!(dest.join("skills/pdf").is_dir() && !dest.join("skills").is_symlink());
        let (a, b) = (fs::metadata(dest.join("hooks/check.py")).unwrap(), fs::metadata(tree.join("hooks/check.py")).unwrap());
        assert_eq!(a.ino(), b.ino(), "a hard link, not a copy");
        let hooks: Value = serde_json::from_str(&fs::read_to_string(dest.join("hooks/hooks.json")).unwrap()).unwrap();
        assert_eq!(hooks["at"], "/g/7/x");
        assert!(!dest.join(".mcp.json").exists() && fs::symlink_metadata(dest.join(".mcp.json")).is_err());
        assert!(dest.join("extra/new.json").is_file());
    }

    #[test]
    fn the_manifest_keeps_all_but_what_paii_writes() {
        let m = json!({"name": "p", "hooks": "./h.json", "mcpServers": ["./m.json", "./bundle.mcpb"], "lspServers": {"x": {}}});
        let out = manifest(m.as_object().unwrap(), true);
        assert_eq!(Value::Object(out), json!({"name": "p", "mcpServers": ["./bundle.mcpb"], "lspServers": {"x": {}}}));
        let out = manifest(m.as_object().unwrap(), false);
        assert!(!out.contains_key("mcpServers"));
    }
}
