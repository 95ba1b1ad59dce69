//! The directory Claude Code loads as a Claude Code plugin.
//!
//! Claude Code (>= 2.1.157) loads a directory under `skills/` that holds
//! `.claude-plugin/plugin.json` as the plugin `<name>@skills-dir`: its
//! skills, commands, agents, hooks, MCP and LSP servers, output styles and
//! whatever else a plugin may hold, namespaced by the plugin as when Claude
//! Code installs it.
//!
//! That directory is the plugin's *root*: `<profile>/roots/<store entry>/<name>`,
//! a writable copy of the plugin's tree in the store (some plugins write
//! into their root at run time, `bun install` at session start, as Claude
//! Code's own install lets them), made once per plugin version and kept
//! while a generation uses it. A copy, not links: Claude Code refuses a path
//! its manifest names that resolves outside the plugin's directory, and a
//! write must never reach the store. The few files paii writes for the
//! plugin (the hooks routed through its dispatcher, the MCP servers given
//! their options and secrets, a plugin.json without what those replace)
//! differ per generation: in the root they are symlinks through `current`
//! into the generation's `plugin-files/<name>/`, so a switch of generation
//! switches them too, and one the generation does not write (hooks off)
//! is simply absent. Each generation's `plugins/<name>` links to the root
//! of the plugin version it holds: a rollback to another version gives the
//! plugin that version's files. Claude Code's `skills/<name>` links to it
//! through `current`, so the plugin's root still ends in its name.

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

/// What `${PAII_GENERATION}` in a written file stands for: the generation's
/// directory, known only when it is created.
pub const GENERATION_VAR: &str = "${PAII_GENERATION}";

/// Where a generation keeps the files paii writes for each plugin.
pub const FILES_DIR: &str = "plugin-files";

/// The files paii writes for every Claude Code plugin (or leaves absent):
/// in a root they are symlinks into the current generation.
pub const GENERATED: [&str; 3] = [".claude-plugin/plugin.json", "hooks/hooks.json", ".mcp.json"];

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

/// Writes the files of `dir` that paii writes for a plugin (those it
/// hides are not written) into `dest`, `vars` expanded in their strings.
pub fn write_files(dir: &PluginDir, dest: &Path, vars: &[(&str, String)]) -> io::Result<()> {
    for (rel, content) in &dir.files {
        let Some(v) = content else { continue };
        let path = dest.join(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)?;
        }
        let mut v = v.clone();
        super::fragment::expand(&mut v, vars);
        let text = serde_json::to_string_pretty(&v).map_err(io::Error::other)? + "\n";
        fs::write(&path, text)?;
    }
    Ok(())
}

/// The root of the plugin `name` whose tree is the store entry `tree`, in
/// `profile`: made (a writable copy, without what `dir` hides, with the
/// files paii writes as symlinks into `current`) unless it is there.
pub fn ensure_root(profile: &Path, name: &str, tree: &Path, dir: &PluginDir) -> io::Result<PathBuf> {
    let key = tree.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| name.to_string());
    let roots = profile.join("roots");
    let root = roots.join(&key).join(name);
    if root.is_dir() {
        return Ok(root);
    }
    fs::create_dir_all(&roots)?;
    let tmp = tempfile::Builder::new().prefix(".tmp-").tempdir_in(&roots)?;
    let made = tmp.path().join(name);
    let hidden: Vec<&str> =
        dir.files.iter().filter(|(rel, v)| v.is_none() && !GENERATED.contains(&rel.as_str())).map(|(r, _)| r.as_str()).collect();
    copy_writable(tree, &made, Path::new(""), &hidden)?;
    let current = profile.join("current").join(FILES_DIR).join(name);
    for rel in GENERATED {
        let link = made.join(rel);
        if let Some(parent) = link.parent() {
            fs::create_dir_all(parent)?;
        }
        let _ = fs::remove_file(&link);
        std::os::unix::fs::symlink(current.join(rel), &link)?;
    }
    let tmp = tmp.keep();
    match fs::rename(&tmp, roots.join(&key)) {
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
/// the `hidden` paths (relative to the top).
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

    #[test]
    fn a_root_is_a_writable_copy_with_paiis_files_through_current() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let tree = d.path().join("store/abc-kit-1.0.0");
        fs::create_dir_all(tree.join("hooks")).unwrap();
        fs::create_dir_all(tree.join("skills/pdf")).unwrap();
        fs::create_dir_all(tree.join("skills/hidden")).unwrap();
        fs::write(tree.join("hooks/hooks.json"), "{}").unwrap();
        fs::write(tree.join("hooks/check.py"), "").unwrap();
        fs::set_permissions(tree.join("hooks/check.py"), fs::Permissions::from_mode(0o555)).unwrap();
        let dir = PluginDir {
            files: BTreeMap::from([
                ("hooks/hooks.json".to_string(), Some(json!({"hooks": {}, "at": "${PAII_GENERATION}/x"}))),
                (".mcp.json".to_string(), None),
                ("skills/hidden".to_string(), None),
            ]),
        };
        let profile = d.path().join("profile");
        let root = ensure_root(&profile, "kit", &tree, &dir).unwrap();
        assert_eq!(root, profile.join("roots/abc-kit-1.0.0/kit"));
        let copied = fs::metadata(root.join("hooks/check.py")).unwrap();
        assert!(copied.is_file() && copied.permissions().mode() & 0o200 != 0, "a writable copy");
        assert_eq!(fs::metadata(tree.join("hooks/check.py")).unwrap().permissions().mode() & 0o777, 0o555, "the store's is untouched");
        assert!(root.join("skills/pdf").is_dir() && !root.join("skills/hidden").exists());
        assert_eq!(fs::read_link(root.join("hooks/hooks.json")).unwrap(), profile.join("current/plugin-files/kit/hooks/hooks.json"));
        // The generation's files, written where the links lead.
        write_files(&dir, &profile.join("current/plugin-files/kit"), &[(GENERATION_VAR, "/g/7".into())]).unwrap();
        let hooks: Value = serde_json::from_str(&fs::read_to_string(root.join("hooks/hooks.json")).unwrap()).unwrap();
        assert_eq!(hooks["at"], "/g/7/x");
        assert!(!root.join(".mcp.json").exists(), "hidden: its link leads nowhere");
        // Made once: a write into it survives the next generation.
        fs::write(root.join("state"), "kept").unwrap();
        assert_eq!(ensure_root(&profile, "kit", &tree, &dir).unwrap(), root);
        assert!(root.join("state").is_file());
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
