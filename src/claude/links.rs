//! Skill, agent and command links in the Claude dir. Each points through
//! `$PAII_HOME/current/claude/<kind>/<name>`, so switching generations
//! changes no link unless the set of names changes.

use std::fs;
use std::path::PathBuf;

use super::record::Record;
use super::{Claude, ClaudeError, Fragment, KINDS};

/// Whether the links `fragment` wants are exactly the ones the last complete
/// reconcile made: then a switch has nothing to do for links, whatever the
/// number of plugins (doctor still finds links removed by hand).
pub fn unchanged(c: &Claude, fragment: &Fragment, record: &Record) -> bool {
    let _ = c;
    record.active && !record.pending && record.links_digest == fragment.links_digest
}

/// paii's links of one kind now in the Claude dir: (path, file name).
pub fn ours(c: &Claude, kind: &str) -> Vec<(PathBuf, String)> {
    let Ok(rd) = fs::read_dir(c.dir.join(kind)) else { return Vec::new() };
    rd.flatten()
        .filter(|e| fs::read_link(e.path()).is_ok_and(|t| c.is_ours(&t)))
        .map(|e| (e.path(), e.file_name().to_string_lossy().into_owned()))
        .collect()
}

/// paii's links that `fragment` no longer has: recorded ones, and any link
/// into `PAII_HOME` a crash left unrecorded.
pub fn stale(c: &Claude, fragment: &Fragment, record: &Record) -> Vec<String> {
    let mut found: Vec<String> = record.links().keys().cloned().collect();
    for kind in KINDS {
        found.extend(ours(c, kind).into_iter().map(|(_, name)| format!("{kind}/{name}")));
    }
    found.sort();
    found.dedup();
    found
        .into_iter()
        .filter(|rel| !fragment.links().contains_key(rel))
        .filter(|rel| fs::read_link(c.dir.join(rel)).is_ok_and(|t| c.is_ours(&t)))
        .collect()
}

/// Creates the links `fragment` wants and removes paii's stale ones;
/// returns the removed ones. Conflicts were ruled out by planning.
pub fn apply(c: &Claude, fragment: &Fragment, record: &Record) -> Result<Vec<String>, ClaudeError> {
    if unchanged(c, fragment, record) {
        return Ok(Vec::new());
    }
    for rel in fragment.links().keys() {
        let path = c.dir.join(rel);
        let target = c.link_target(rel);
        if fs::read_link(&path).is_ok_and(|t| t == target) {
            continue;
        }
        if let Ok(m) = fs::symlink_metadata(&path)
            && !(m.file_type().is_symlink() && fs::read_link(&path).is_ok_and(|t| c.is_ours(&t) || record.links().contains_key(rel)))
        {
            return Err(ClaudeError::Conflicts(vec![path.display().to_string()]));
        }
        let parent = path.parent().unwrap_or(&c.dir);
        fs::create_dir_all(parent).map_err(|e| ClaudeError::io("cannot create", parent, e))?;
        // A new link renamed over the old: never a moment without one.
        let tmp = parent.join(format!(".paii-link.{}.tmp", std::process::id()));
        let _ = fs::remove_file(&tmp);
        std::os::unix::fs::symlink(&target, &tmp).map_err(|e| ClaudeError::io("cannot create", &tmp, e))?;
        fs::rename(&tmp, &path).map_err(|e| ClaudeError::io("cannot replace", &path, e))?;
    }
    let removed = stale(c, fragment, record);
    for rel in &removed {
        let path = c.dir.join(rel);
        fs::remove_file(&path).map_err(|e| ClaudeError::io("cannot remove", &path, e))?;
    }
    Ok(removed)
}
