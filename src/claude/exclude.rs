//! paii's lines in a repository's `.git/info/exclude`: what a project-scope
//! sync adds under `.claude/` is kept out of version control there, in one
//! marked block, and never by editing the team's `.gitignore`.

use std::path::Path;

use super::ClaudeError;

/// The block's first line. `tag` tells the blocks of two worktrees apart:
/// they share one `info/exclude`, each its own block.
fn begin(tag: &str) -> String {
    format!("# >>> paii {tag}: installed by `paii sync` for this checkout only")
}

fn end(tag: &str) -> String {
    format!("# <<< paii {tag}")
}

/// Makes paii's block `tag` of `exclude` list exactly `paths` (relative to
/// the repository root), removing the block when there are none; every
/// other line of the file is kept byte for byte. Returns whether the file
/// changed.
pub fn write(exclude: &Path, tag: &str, paths: &[String]) -> Result<bool, ClaudeError> {
    let old = match std::fs::read_to_string(exclude) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(ClaudeError::io("cannot read", exclude, e)),
    };
    let new = render(&old, tag, paths);
    if new == old {
        return Ok(false);
    }
    if let Some(dir) = exclude.parent() {
        std::fs::create_dir_all(dir).map_err(|e| ClaudeError::io("cannot create", dir, e))?;
    }
    crate::util::fs::atomic_write(exclude, new.as_bytes()).map_err(|e| ClaudeError::io("cannot write", exclude, e))?;
    Ok(true)
}

/// The paths block `tag` lists now.
pub fn listed(exclude: &Path, tag: &str) -> Vec<String> {
    let text = std::fs::read_to_string(exclude).unwrap_or_default();
    let (begin, end) = (begin(tag), end(tag));
    text.lines()
        .map(|l| l.trim_end_matches('\r'))
        .skip_while(|l| *l != begin)
        .skip(1)
        .take_while(|l| *l != end)
        .map(|l| l.trim_start_matches('/').to_string())
        .collect()
}

/// The file with block `tag` replaced. A block whose end marker was
/// removed by hand ends at its first line that is not one of paii's
/// anchored paths, so no line of the user's is ever dropped.
fn render(old: &str, tag: &str, paths: &[String]) -> String {
    let (begin, end) = (begin(tag), end(tag));
    let eol = if old.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = String::new();
    let mut lines = old.split_inclusive('\n').peekable();
    let mut placed = false;
    while let Some(line) = lines.next() {
        if line.trim_end_matches(['\r', '\n']) != begin {
            out.push_str(line);
            continue;
        }
        while let Some(next) = lines.peek() {
            let bare = next.trim_end_matches(['\r', '\n']);
            if bare == end {
                lines.next();
                break;
            }
            if !bare.starts_with("/.claude/") {
                break;
            }
            lines.next();
        }
        block(&mut out, &begin, &end, paths, eol);
        placed = true;
    }
    if !placed && !paths.is_empty() {
        if !out.is_empty() && !out.ends_with('\n') {
            out.push_str(eol);
        }
        block(&mut out, &begin, &end, paths, eol);
    }
    out
}

fn block(out: &mut String, begin: &str, end: &str, paths: &[String], eol: &str) {
    if paths.is_empty() {
        return;
    }
    out.push_str(begin);
    out.push_str(eol);
    for p in paths {
        // Anchored: only this path at the repository's root.
        out.push('/');
        out.push_str(&escape(p));
        out.push_str(eol);
    }
    out.push_str(end);
    out.push_str(eol);
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
        assert!(!write(&f, "a", &[]).unwrap());
        assert!(!f.exists());
        std::fs::create_dir_all(d.path().join("info")).unwrap();
        std::fs::write(&f, "# git's own comment\n*.swp").unwrap();
        assert!(write(&f, "a", &[".claude/skills/a".into(), ".claude/settings.local.json".into()]).unwrap());
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.starts_with("# git's own comment\n*.swp\n# >>> paii a"), "{text}");
        assert!(text.contains("\n/.claude/skills/a\n"), "{text}");
        assert_eq!(listed(&f, "a"), vec![".claude/skills/a", ".claude/settings.local.json"]);
        assert!(!write(&f, "a", &[".claude/skills/a".into(), ".claude/settings.local.json".into()]).unwrap());
        write(&f, "a", &[".claude/skills/b*".into()]).unwrap();
        assert_eq!(listed(&f, "a"), vec![".claude/skills/b\\*"]);
        write(&f, "a", &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "# git's own comment\n*.swp\n");
    }

    #[test]
    fn two_worktrees_keep_a_block_each() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("exclude");
        write(&f, "main-1", &[".claude/skills/x".into()]).unwrap();
        write(&f, "wt-2", &[".claude/skills/y".into()]).unwrap();
        write(&f, "main-1", &[]).unwrap();
        assert_eq!(listed(&f, "wt-2"), vec![".claude/skills/y"]);
        assert!(listed(&f, "main-1").is_empty());
    }

    #[test]
    fn a_block_edited_by_hand_never_costs_the_user_a_line() {
        let d = tempfile::tempdir().unwrap();
        let f = d.path().join("exclude");
        // The end marker deleted, the user's own patterns after the block.
        std::fs::write(&f, format!("{}\n/.claude/skills/x\nmine/\n*.log\n", begin("t"))).unwrap();
        write(&f, "t", &[".claude/skills/z".into()]).unwrap();
        let text = std::fs::read_to_string(&f).unwrap();
        assert!(text.contains("mine/\n*.log\n") && text.contains("/.claude/skills/z\n# <<< paii t\n"), "{text}");
        assert!(!text.contains("/.claude/skills/x"), "{text}");
        // CRLF files stay CRLF, and the block is found again.
        std::fs::write(&f, "a\r\nb\r\n").unwrap();
        write(&f, "t", &[".claude/skills/z".into()]).unwrap();
        write(&f, "t", &[".claude/skills/z".into()]).unwrap();
        let text = std::fs::read_to_string(&f).unwrap();
        assert_eq!(text.matches(">>> paii").count(), 1, "{text}");
        assert!(!text.replace("\r\n", "").contains('\n'), "{text:?}");
        write(&f, "t", &[]).unwrap();
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "a\r\nb\r\n");
    }
}
