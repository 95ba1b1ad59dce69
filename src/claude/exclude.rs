//! paii's lines in a repository's `.git/info/exclude`: what a project-scope
//! sync adds under `.claude/` is kept out of version control there, in one
//! marked block, and never by editing the team's `.gitignore`.

use std::path::Path;

use super::ClaudeError;

const BEGIN: &str = "# >>> paii: installed by `paii sync` for this checkout only";
const END: &str = "# <<< paii";

/// Makes paii's block of `exclude` list exactly `paths` (relative to the
/// repository root), removing the block when there are none; the rest of
/// the file is kept byte for byte. Returns whether the file changed.
pub fn write(exclude: &Path, paths: &[String]) -> Result<bool, ClaudeError> {
    let old = match std::fs::read_to_string(exclude) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(ClaudeError::io("cannot read", exclude, e)),
    };
    let new = render(&old, paths);
    if new == old {
        return Ok(false);
    }
    if let Some(dir) = exclude.parent() {
        std::fs::create_dir_all(dir).map_err(|e| ClaudeError::io("cannot create", dir, e))?;
    }
    crate::util::fs::atomic_write(exclude, new.as_bytes()).map_err(|e| ClaudeError::io("cannot write", exclude, e))?;
    Ok(true)
}

/// The paths paii's block lists now.
pub fn listed(exclude: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(exclude).unwrap_or_default();
    let Some((_, rest)) = text.split_once(&format!("{BEGIN}\n")) else { return Vec::new() };
    rest.lines().take_while(|l| *l != END).map(|l| l.trim_start_matches('/').to_string()).collect()
}

fn render(old: &str, paths: &[String]) -> String {
    let (before, after) = match old.split_once(&format!("{BEGIN}\n")) {
        Some((before, rest)) => (before, rest.split_once(&format!("{END}\n")).map_or("", |(_, after)| after)),
        None => (old, ""),
    };
    let mut out = before.to_string();
    if !paths.is_empty() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(BEGIN);
        out.push('\n');
        for p in paths {
            // Anchored: only this path at the repository's root.
            out.push('/');
            out.push_str(&escape(p));
            out.push('\n');
        }
        out.push_str(END);
        out.push('\n');
    }
    out.push_str(after);
    out
}

/// A literal path as a gitignore pattern.
fn escape(p: &str) -> String {
    let mut s = String::with_capacity(p.len());
    for c in p.chars() {
        if matches!(c, '*' | '?' | '[' | '\\' | '!' | '#') {
            s.push('\\');
        }
        s.push(c);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_is_added_replaced_and_removed_leaving_the_rest() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("info/exclude");
        assert!(!write(&f, &[]).unwrap());
        assert!(!f.exists());
        std::fs::create_dir_all(d.path().join("info")).unwrap();
        std::fs::write(&f, "# git's own comment\n*.swp").unwrap();
        assert!(write(&f, &[".claude/skills/a".into(), ".claude/settings.local.json".into()]).unwrap());
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.starts_with("# git's own comment\n*.swp\n# >>> paii"), "{text}");
        assert!(text.contains("\n/.claude/skills/a\n"), "{text}");
        assert_eq!(listed(&f), vec![".claude/skills/a", ".claude/settings.local.json"]);
        assert!(!write(&f, &[".claude/skills/a".into(), ".claude/settings.local.json".into()]).unwrap());
        write(&f, &[".claude/skills/b*".into()]).unwrap();
        assert_eq!(listed(&f), vec![".claude/skills/b\\*"]);
        write(&f, &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "# git's own comment\n*.swp\n");
    }
}
