//! A plugin in a directory on this machine: the files it is made of are the
//! ones git would track. A working copy also holds build outputs (`target/`,
//! `.venv/`), caches and editor files; copying those into the store would
//! make the tree's hash depend on the last build, and a registry that pins a
//! path plugin by integrity could never match. So, like `cargo package` and
//! Nix flakes, the tree honours the directory's `.gitignore` and `.ignore`
//! files (and never `.git/`), and only the ones inside the plugin directory:
//! the same directory gives the same tree wherever it sits.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};

use crate::store::integrity::{HashError, Integrity};

/// The paths (absolute, under `dir`) that make up the plugin, directories
/// included, `dir` itself included.
pub fn included(dir: &Path) -> io::Result<HashSet<PathBuf>> {
    let walker = ignore::WalkBuilder::new(dir)
        .hidden(false)
        .parents(false)
        .require_git(false)
        .git_global(false)
        .git_exclude(false)
        .follow_links(false)
        .filter_entry(|e| e.file_name() != ".git")
        .build();
    let mut out = HashSet::new();
    out.insert(dir.to_path_buf());
    for entry in walker {
        let entry = entry.map_err(|e| e.into_io_error().unwrap_or_else(|| io::Error::other("cannot read an ignore file")))?;
        if entry.file_type().is_some_and(|t| t.is_dir()) {
            continue;
        }
        // As in git, a directory is there when something in it is: a tool
        // that leaves an empty or wholly ignored directory behind
        // (`.pytest_cache/` with its own `*` .gitignore) changes nothing.
        let path = entry.into_path();
        for a in path.ancestors().skip(1).take_while(|a| a.starts_with(dir) && *a != dir) {
            if !out.insert(a.to_path_buf()) {
                break;
            }
        }
        out.insert(path);
    }
    Ok(out)
}

/// The integrity of the plugin in `dir`, as the store will have it.
pub fn hash(dir: &Path, included: &HashSet<PathBuf>) -> Result<Integrity, HashError> {
    crate::store::integrity::hash_path_only(dir, &|p: &Path| included.contains(p))
}

/// The integrity of the plugin in `dir` now, if it can be read.
pub fn current_hash(dir: &Path) -> Option<Integrity> {
    hash(dir, &included(dir).ok()?).ok()
}

/// Copies what [`included`] found from `from` into the empty directory `to`.
pub fn copy(from: &Path, to: &Path, included: &HashSet<PathBuf>) -> io::Result<()> {
    crate::util::fs::copy_tree_only(from, to, &|p: &Path| included.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    #[test]
    fn build_outputs_named_in_gitignore_are_not_part_of_the_plugin() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        fs::write(root.join("plugin.toml"), "x").unwrap();
        fs::write(root.join(".gitignore"), "/target\n.venv/\n*.pyc\n").unwrap();
        fs::write(root.join(".mcp.json"), "{}").unwrap();
        for d in ["target/release", ".venv/bin", "src", ".git"] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        fs::write(root.join("target/release/x"), "built").unwrap();
        fs::write(root.join("src/a.pyc"), "cache").unwrap();
        fs::write(root.join("src/a.py"), "code").unwrap();
        fs::write(root.join(".git/HEAD"), "ref").unwrap();
        fs::create_dir_all(root.join(".pytest_cache/v")).unwrap();
        fs::write(root.join(".pytest_cache/.gitignore"), "*\n").unwrap();
        fs::create_dir_all(root.join("empty")).unwrap();
        let before = hash(root, &included(root).unwrap()).unwrap();

        let set = included(root).unwrap();
        let out = tempfile::tempdir().unwrap();
        copy(root, out.path(), &set).unwrap();
        let mut names: Vec<String> = walk(out.path(), out.path());
        names.sort();
        assert_eq!(names, [".gitignore", ".mcp.json", "plugin.toml", "src", "src/a.py"]);
        // The hash is the copy's, and a new build output does not change it.
        assert_eq!(before, crate::store::integrity::hash_path(out.path()).unwrap());
        fs::write(root.join("target/release/y"), "built again").unwrap();
        assert_eq!(before, hash(root, &included(root).unwrap()).unwrap());
    }

    fn walk(root: &Path, dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        for e in fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            out.push(p.strip_prefix(root).unwrap().display().to_string());
            if p.is_dir() {
                out.extend(walk(root, &p));
            }
        }
        out
    }
}
