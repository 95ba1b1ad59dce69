//! The directory Claude Code loads as a Claude Code plugin.
//!
//! Claude Code (>= 2.1.157) loads a directory under `skills/` that holds
//! `.claude-plugin/plugin.json` as the plugin `<name>@skills-dir`: its
//! skills, commands, agents, hooks, MCP and LSP servers, output styles and
//! whatever else a plugin may hold, namespaced by the plugin as when Claude
//! Code installs it.
//!
//! That directory is the plugin's *root*: `<profile>/roots/<key>/<name>`,
//! a writable copy of the plugin's tree in the store (some plugins write
//! into their root at run time, `bun install` at session start, as Claude
//! Code's own install lets them), with the few files paii writes for the
//! plugin in place of its own (the hooks routed through paii's dispatcher,
//! the MCP servers given their options and secrets, a plugin.json without
//! what those replace). A copy, not links: Claude Code refuses a manifest
//! or a path its manifest names that resolves outside the plugin's
//! directory (and, for a project, its folder), and a write must never
//! reach the store. Beside it, `<key>/dispatch.json` holds what `paii hook
//! handler` needs to run the plugin's hooks.
//!
//! The key names everything a root holds (the store entry, the files paii
//! writes, the hook table), so a root is made once and never changed by
//! paii: every generation with the same plugin version and settings shares
//! it, and the plugin keeps what it wrote there; a generation with another
//! version or other settings has a root of its own, so a rollback gives the
//! plugin its old files. Each generation's `plugins/<name>` links to its
//! root; Claude Code's `skills/<name>` links to that through `current`, so
//! the plugin's root still ends in its name.

use std::collections::BTreeMap;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The files paii writes in a plugin's directory in place of its tree's, by
/// path relative to the plugin root: `Some` is written (as JSON), `None`
/// hides the tree's file.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct PluginDir {
    pub files: BTreeMap<String, Option<Value>>,
}

/// What `${PAII_HOOK_TABLE}` in a written file stands for: the directory
/// of the root's hook table, known once the root's key is.
pub const TABLE_VAR: &str = "${PAII_HOOK_TABLE}";

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

/// The root of the plugin `name` whose tree is the store entry `tree`, in
/// `profile`, with `dir`'s files in place of the tree's and `table` (made
/// for the root's path) beside it: made unless it is there.
pub fn ensure_root(
    profile: &Path,
    name: &str,
    tree: &Path,
    dir: &PluginDir,
    table: impl Fn(&Path) -> crate::dispatch::DispatchTable,
) -> io::Result<PathBuf> {
    use sha2::Digest;
    let entry = tree.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| name.to_string());
    let mut h = sha2::Sha256::new();
    h.update(entry.as_bytes());
    h.update(serde_json::to_vec(dir).map_err(io::Error::other)?);
    // The table as it is for any root: its paths are the root's own.
    h.update(serde_json::to_vec(&table(Path::new(""))).map_err(io::Error::other)?);
    let key = format!("{entry}-{}", &crate::store::integrity::hex(&h.finalize())[..16]);
    let roots = profile.join("roots");
    let home = roots.join(&key);
    let root = home.join(name);
    if root.is_dir() && home.join(crate::dispatch::table::FILE).is_file() {
        return Ok(root);
    }
    fs::create_dir_all(&roots)?;
    let tmp = tempfile::Builder::new().prefix(".tmp-").tempdir_in(&roots)?;
    let made = tmp.path().join(name);
    let replaced: Vec<&str> = dir.files.keys().map(String::as_str).collect();
    copy_writable(tree, &made, Path::new(""), &replaced)?;
    let vars = [(TABLE_VAR, home.display().to_string())];
    for (rel, content) in &dir.files {
        let Some(v) = content else { continue };
        let path = made.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut v = v.clone();
        super::json::expand(&mut v, &vars);
        fs::write(&path, serde_json::to_string_pretty(&v).map_err(io::Error::other)? + "\n")?;
    }
    table(&root).write(&tmp.path().join(crate::dispatch::table::FILE))?;
    let tmp = tmp.keep();
    match fs::rename(&tmp, &home) {
        Ok(()) => Ok(root),
        // Another sync made it first.
        Err(_) if root.is_dir() => {
            let _ = crate::util::fs::remove_tree(&tmp);
            Ok(root)
        }
        Err(e) => {
            let _ = crate::util::fs::remove_tree(&tmp);
            Err(e)
        }
    }
}

/// Copies `from` to `to` with every file and directory writable by its
/// owner (the store's are read-only), symlinks as they are, leaving out
/// the `hidden` paths (relative to the top): those paii writes or hides.
fn copy_writable(from: &Path, to: &Path, rel: &Path, hidden: &[&str]) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let sub = rel.join(entry.file_name());
        if hidden.iter().any(|h| Path::new(h) == sub) {
            continue;
        }
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        let kind = entry.file_type()?;
        if kind.is_dir() {
            copy_writable(&src, &dst, &sub, hidden)?;
        } else if kind.is_symlink() {
            std::os::unix::fs::symlink(fs::read_link(&src)?, &dst)?;
        } else {
            fs::copy(&src, &dst)?;
            let mode = fs::metadata(&dst)?.permissions().mode();
            fs::set_permissions(&dst, fs::Permissions::from_mode(mode | 0o200))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn table(root: &Path) -> crate::dispatch::DispatchTable {
        crate::dispatch::DispatchTable {
            format: crate::dispatch::table::FORMAT,
            generation: 0,
            home: PathBuf::from("/h"),
            history_dir: root.join("history"),
            plugins: Default::default(),
            events: Default::default(),
            plugin_hooks: Default::default(),
        }
    }

    #[test]
    fn a_root_is_a_writable_copy_with_paiis_files_made_once_per_content() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let tree = d.path().join("store/abc-kit-1.0.0");
        fs::create_dir_all(tree.join("hooks")).unwrap();
        fs::create_dir_all(tree.join("skills/pdf")).unwrap();
        fs::create_dir_all(tree.join("skills/hidden")).unwrap();
        fs::write(tree.join("hooks/hooks.json"), "{}").unwrap();
        fs::write(tree.join(".mcp.json"), "{}").unwrap();
        fs::write(tree.join("hooks/check.py"), "").unwrap();
        fs::set_permissions(tree.join("hooks/check.py"), fs::Permissions::from_mode(0o555)).unwrap();
        let dir = PluginDir {
            files: BTreeMap::from([
                ("hooks/hooks.json".to_string(), Some(json!({"hooks": {}, "at": "${PAII_HOOK_TABLE}/x"}))),
                (".mcp.json".to_string(), None),
                ("skills/hidden".to_string(), None),
            ]),
        };
        let profile = d.path().join("profile");
        let root = ensure_root(&profile, "kit", &tree, &dir, table).unwrap();
        assert!(root.ends_with("kit") && root.parent().unwrap().parent().unwrap() == profile.join("roots"), "{}", root.display());
        let copied = fs::metadata(root.join("hooks/check.py")).unwrap();
        assert!(copied.is_file() && copied.permissions().mode() & 0o200 != 0, "a writable copy");
        assert_eq!(fs::metadata(tree.join("hooks/check.py")).unwrap().permissions().mode() & 0o777, 0o555, "the store's is untouched");
        assert!(root.join("skills/pdf").is_dir() && !root.join("skills/hidden").exists() && !root.join(".mcp.json").exists());
        let hooks: Value = serde_json::from_str(&fs::read_to_string(root.join("hooks/hooks.json")).unwrap()).unwrap();
        assert_eq!(hooks["at"], format!("{}/x", root.parent().unwrap().display()));
        assert!(!fs::symlink_metadata(root.join("hooks/hooks.json")).unwrap().file_type().is_symlink(), "a file of the root's own");
        assert!(root.parent().unwrap().join("dispatch.json").is_file());
        // Made once: a write into it survives the next generation.
        fs::write(root.join("state"), "kept").unwrap();
        assert_eq!(ensure_root(&profile, "kit", &tree, &dir, table).unwrap(), root);
        assert!(root.join("state").is_file());
        // Other settings, another root.
        let other = PluginDir { files: BTreeMap::from([(".mcp.json".to_string(), Some(json!({"mcpServers": {}})))]) };
        assert_ne!(ensure_root(&profile, "kit", &tree, &other, table).unwrap(), root);
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
