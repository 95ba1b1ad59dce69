//! git: rewriting shared history, and destroying uncommitted work.

use super::{has_flag, has_long, operands};
use crate::Verdict;
use crate::paths::PROTECTED_BRANCHES;

pub fn judge(args: &[String]) -> Verdict {
    // Global options come before the subcommand.
    let mut i = 0;
    while i < args.len() && args[i].starts_with('-') {
        i += if matches!(args[i].as_str(), "-C" | "-c" | "--git-dir" | "--work-tree" | "--namespace") { 2 } else { 1 };
    }
    let Some(sub) = args.get(i) else { return Verdict::Allow };
    let rest = &args[i + 1..];
    // Options of checkout and restore that take the next word.
    let valued = ["--conflict", "--unified", "-U", "--inter-hunk-context", "--source", "-s"];
    let ops: Vec<&String> = {
        let mut out = Vec::new();
        let (mut skip, mut after_dashes) = (false, false);
        for a in rest {
            match a.as_str() {
                _ if skip => skip = false,
                "--" if !after_dashes => after_dashes = true,
                _ if after_dashes || !a.starts_with('-') || a == "-" => out.push(a),
                v if valued.contains(&v) => skip = true,
                _ => {}
            }
        }
        out
    };
    let dry_run = has_flag(rest, 'n', &["--dry-run"]);
    let lost = |what: &str| Verdict::Ask(format!("`git {sub}` {what}; uncommitted work there is lost"));
    // `checkout -b new`, `switch -c new` (even as `-bnew`) create a branch.
    let letters: &[char] = if sub == "switch" { &['c', 'C'] } else { &['b', 'B'] };
    let creates = rest.iter().any(|a| {
        a.starts_with('-')
            && !a.starts_with("--")
            && a.len() > 1
            && a[1..].chars().take_while(|c| c.is_ascii_alphabetic()).any(|c| letters.contains(&c))
            || matches!(a.as_str(), "--orphan" | "--create" | "--force-create")
    }) && matches!(sub.as_str(), "checkout" | "switch");
    if creates && !has_long(rest, "--force") && !rest.iter().any(|a| a == "-f") {
        return Verdict::Allow;
    }
    match sub.as_str() {
        "push" => push(rest),
        "reset" if has_long(rest, "--hard") || has_long(rest, "--merge") => lost("discards every change in the working tree and the index"),
        "clean" if !dry_run && has_flag(rest, 'f', &["--force"]) && !has_flag(rest, 'i', &["--interactive"]) => {
            lost("deletes untracked files")
        }
        "checkout" if has_flag(rest, 'f', &["--force"]) => lost("overwrites local changes"),
        "checkout" if rest.iter().any(|a| a == "--") && ops.iter().any(|p| is_whole_tree(p)) => lost("discards local changes"),
        "checkout" if ops.first().is_some_and(|p| is_whole_tree(p)) => lost("discards local changes"),
        "checkout" if rest.iter().any(|a| a == "--") && !ops.is_empty() => lost("discards local changes to those files"),
        // `git checkout REF PATH...` overwrites PATH with REF's version.
        "checkout" if ops.len() >= 2 || rest.iter().any(|a| a.starts_with("--pathspec-from-file")) => {
            lost("overwrites those files with another version")
        }
        "restore" if !has_flag(rest, 'S', &["--staged"]) || has_flag(rest, 'W', &["--worktree"]) => {
            if ops.is_empty() {
                Verdict::Allow
            } else {
                lost("discards local changes")
            }
        }
        "stash" if matches!(rest.first().map(String::as_str), Some("drop" | "clear")) => {
            Verdict::Ask(format!("`git stash {}` deletes stashed work", rest[0]))
        }
        "branch" if (has_flag(rest, 'f', &["--force"]) && !has_flag(rest, 'd', &["--delete"])) => {
            Verdict::Ask("`git branch -f` moves a branch, and commits only it held are lost".into())
        }
        "branch" if has_flag(rest, 'D', &[]) || (has_flag(rest, 'd', &["--delete"]) && has_flag(rest, 'f', &["--force"])) => {
            Verdict::Ask("`git branch -D` deletes a branch whether or not it was merged".into())
        }
        "worktree" if rest.first().is_some_and(|a| a == "remove") && has_flag(rest, 'f', &["--force"]) => {
            lost("removes a worktree with its changes")
        }
        "reflog" if rest.first().is_some_and(|a| a == "expire" || a == "delete") => {
            Verdict::Ask("`git reflog expire` drops the record that recovers lost commits".into())
        }
        "gc" if rest.iter().any(|a| a.starts_with("--prune=now") || a == "--prune=all") => {
            Verdict::Ask("`git gc --prune=now` deletes unreachable commits for good".into())
        }
        "filter-branch" | "filter-repo" => Verdict::Ask(format!("`git {sub}` rewrites the whole history")),
        "update-ref" if has_flag(rest, 'd', &[]) => Verdict::Ask("`git update-ref -d` deletes a ref".into()),
        "switch" if has_flag(rest, 'f', &["--force"]) || has_long(rest, "--discard-changes") => lost("throws away local changes"),
        "rm" if has_flag(rest, 'r', &[]) && has_flag(rest, 'f', &["--force"]) && ops.iter().any(|p| is_whole_tree(p)) => {
            lost("deletes every tracked file")
        }
        "config" if rest.iter().any(|a| a == "core.hooksPath" || a.starts_with("core.hooksPath=")) => {
            Verdict::Ask("`git config core.hooksPath` changes which hooks run on every commit".into())
        }
        _ => Verdict::Allow,
    }
}

/// `.`, `*`, `:/`: the whole working tree.
fn is_whole_tree(p: &str) -> bool {
    matches!(p, "." | "./" | "*" | ":/" | ":/*" | "./*" | "..")
}

fn push(rest: &[String]) -> Verdict {
    let force = has_flag(rest, 'f', &["--force"]);
    let lease = rest.iter().any(|a| a.starts_with("--force-with-lease") || a == "--force-if-includes");
    let deletes = has_flag(rest, 'd', &["--delete"]);
    let ops = operands(rest);
    let refspecs: Vec<&str> = ops.iter().skip(1).map(|s| s.as_str()).collect();
    let protected = |branch: &str| {
        let b = branch.rsplit(':').next().unwrap_or(branch).trim_start_matches('+').trim_start_matches("refs/heads/");
        PROTECTED_BRANCHES.contains(&b) || b.starts_with("release/") || b.starts_with("release-")
    };
    if rest.iter().any(|a| a == "--mirror") {
        return Verdict::Block("`git push --mirror` rewrites every branch of the remote".into());
    }
    if rest.iter().any(|a| a == "--prune") {
        return Verdict::Ask("`git push --prune` deletes remote branches that are not local".into());
    }
    for r in &refspecs {
        if r.starts_with(':') && protected(r) || deletes && protected(r) {
            return Verdict::Block(format!("deletes the protected branch `{}`", r.trim_start_matches(':')));
        }
        if r.starts_with('+') && protected(r) {
            return Verdict::Block(format!("force-pushes the protected branch `{}`", r.trim_start_matches('+')));
        }
    }
    if force && (rest.iter().any(|a| a == "--all" || a == "--tags")) {
        return Verdict::Block("force-pushes every branch".into());
    }
    if force || lease {
        match refspecs.iter().find(|r| protected(r)) {
            Some(r) if force && !lease => return Verdict::Block(format!("force-pushes the protected branch `{r}`")),
            Some(r) => return Verdict::Ask(format!("rewrites the protected branch `{r}` (with a lease)")),
            None if refspecs.is_empty() && force && !lease => {
                return Verdict::Ask("force-pushes the current branch; is it not a protected one?".into());
            }
            None => {}
        }
    }
    if deletes || refspecs.iter().any(|r| r.starts_with(':')) {
        return Verdict::Ask("deletes a remote branch".into());
    }
    Verdict::Allow
}
