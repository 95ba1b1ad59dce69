//! The documentation cannot drift from the code: `docs/reference/cli.md` is
//! generated from the clap definitions (every command, argument and flag,
//! with its help), and every relative link of the README, CONTRIBUTING.md
//! and `docs/` points at a file that exists.
//!
//! After changing the CLI: `PAII_UPDATE_DOCS=1 cargo test --test docs`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use clap::CommandFactory;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// One argument as the reference lists it: `--name <VALUE>`, `-s`, `NAME`.
fn spelling(a: &clap::Arg) -> String {
    let value = a.get_value_names().map(|v| v.iter().map(|n| format!("<{n}>")).collect::<Vec<_>>().join(" "));
    if a.is_positional() {
        let name = value.unwrap_or_else(|| a.get_id().as_str().to_uppercase());
        return if a.is_required_set() { name } else { format!("[{name}]") };
    }
    let mut names = Vec::new();
    if let Some(s) = a.get_short() {
        names.push(format!("-{s}"));
    }
    if let Some(l) = a.get_long() {
        names.push(format!("--{l}"));
    }
    let takes = a.get_action().takes_values();
    let value = value.or_else(|| takes.then(|| format!("<{}>", a.get_id().as_str().to_uppercase())));
    match value {
        Some(v) if takes => format!("{} {v}", names.join(", ")),
        _ => names.join(", "),
    }
}

fn help_of(a: &clap::Arg) -> String {
    let mut help = a.get_long_help().or(a.get_help()).map(|h| h.to_string().replace('\n', " ")).unwrap_or_default();
    let values: Vec<String> = a.get_possible_values().iter().filter(|v| !v.is_hide_set()).map(|v| format!("`{}`", v.get_name())).collect();
    if !values.is_empty() && a.get_action().takes_values() {
        let _ = write!(help, " (one of {})", values.join(", "));
    }
    let defaults: Vec<String> = a.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect();
    if !defaults.is_empty() && a.get_action().takes_values() {
        let _ = write!(help, " (default `{}`)", defaults.join(" "));
    }
    help.trim().to_string()
}

fn render(cmd: &clap::Command, path: &[&str], out: &mut String) {
    let name = path.join(" ");
    let depth = path.len().min(4);
    let _ = writeln!(out, "{} `{name}`\n", "#".repeat(depth + 1));
    if cmd.is_hide_set() {
        let _ = writeln!(out, "*Run by Claude Code or by paii itself, not typed by hand.*\n");
    }
    if let Some(about) = cmd.get_long_about().or(cmd.get_about()) {
        let _ = writeln!(out, "{}\n", about.to_string().trim());
    }
    let args: Vec<&clap::Arg> =
        cmd.get_arguments().filter(|a| !a.is_hide_set() && !matches!(a.get_id().as_str(), "help" | "version")).collect();
    if !args.is_empty() {
        for a in args {
            let help = help_of(a);
            if help.is_empty() {
                let _ = writeln!(out, "- `{}`", spelling(a));
            } else {
                let _ = writeln!(out, "- `{}`: {help}", spelling(a));
            }
        }
        out.push('\n');
    }
    let subs: Vec<&clap::Command> = cmd.get_subcommands().filter(|s| s.get_name() != "help").collect();
    if !subs.is_empty() && path.len() > 1 {
        let list: Vec<String> = subs.iter().map(|s| format!("`{}`", s.get_name())).collect();
        let _ = writeln!(out, "Subcommands: {}.\n", list.join(", "));
    }
    for s in subs {
        let mut p = path.to_vec();
        p.push(s.get_name());
        render(s, &p, out);
    }
}

/// The reference as the clap definitions say it.
fn reference() -> String {
    let mut out = String::from(
        "# Command reference\n\n\
         Generated from paii's clap definitions by `tests/docs.rs` \
         (`PAII_UPDATE_DOCS=1 cargo test --test docs` rewrites it); do not edit by hand. \
         `paii help COMMAND` prints the same. Exit codes: 0 success, 1 error, 2 usage error \
         (`hook dispatch` exits 0 or 2 only, see [the dispatch protocol](dispatch.md)).\n\n",
    );
    render(&paii::cli::Cli::command(), &["paii"], &mut out);
    out.trim_end().to_string() + "\n"
}

#[test]
fn the_cli_reference_is_generated_from_the_clap_definitions() {
    let path = root().join("docs/reference/cli.md");
    let want = reference();
    if std::env::var_os("PAII_UPDATE_DOCS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(have == want, "docs/reference/cli.md is out of date with the CLI; run `PAII_UPDATE_DOCS=1 cargo test --test docs`");
}

/// Every command path and every flag of the CLI, as the reference must
/// name them.
fn names(cmd: &clap::Command, path: &[&str], out: &mut Vec<String>) {
    out.push(format!("`{}`", path.join(" ")));
    for a in cmd.get_arguments().filter(|a| !a.is_hide_set()) {
        if let Some(l) = a.get_long().filter(|l| !matches!(*l, "help" | "version")) {
            out.push(format!("--{l}"));
        }
    }
    for s in cmd.get_subcommands().filter(|s| s.get_name() != "help") {
        let mut p = path.to_vec();
        p.push(s.get_name());
        names(s, &p, out);
    }
}

#[test]
fn every_command_and_flag_is_in_the_reference() {
    let text = std::fs::read_to_string(root().join("docs/reference/cli.md")).unwrap_or_default();
    let mut all = Vec::new();
    names(&paii::cli::Cli::command(), &["paii"], &mut all);
    assert!(all.len() > 60, "the CLI was read: {all:?}");
    let missing: Vec<&String> = all.iter().filter(|n| !text.contains(n.as_str())).collect();
    assert!(missing.is_empty(), "missing from docs/reference/cli.md: {missing:?}");
}

fn markdown_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            markdown_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "md") {
            out.push(p);
        }
    }
}

/// The relative link targets of a markdown text, outside code blocks and
/// inline code, without their `#anchor`.
fn relative_links(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        // Inline code holds examples, not links.
        let prose: String = line.split('`').step_by(2).collect::<Vec<_>>().join(" ");
        let mut rest = prose.as_str();
        while let Some(at) = rest.find("](") {
            let target = &rest[at + 2..];
            let end = target.find(')').unwrap_or(target.len());
            let link = target[..end].split_whitespace().next().unwrap_or_default();
            let file = link.split('#').next().unwrap_or_default();
            if !file.is_empty() && !link.contains("://") && !link.starts_with("mailto:") {
                out.push(file.to_string());
            }
            rest = &target[end..];
        }
    }
    out
}

#[test]
fn every_relative_link_of_the_docs_resolves() {
    let root = root();
    let mut files = vec![root.join("README.md")];
    if root.join("CONTRIBUTING.md").exists() {
        files.push(root.join("CONTRIBUTING.md"));
    }
    markdown_files(&root.join("docs"), &mut files);
    let mut broken = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for link in relative_links(&text) {
            let target = f.parent().unwrap().join(&link);
            if !target.exists() {
                broken.push(format!("{}: {link}", f.strip_prefix(&root).unwrap().display()));
            }
        }
    }
    assert!(broken.is_empty(), "broken relative links:\n{}", broken.join("\n"));
}

#[test]
fn the_readme_stays_short() {
    let lines = std::fs::read_to_string(root().join("README.md")).unwrap().lines().count();
    assert!(lines <= 200, "README.md has {lines} lines; the reference lives in docs/");
}

#[test]
fn man_pages_are_written_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_paii")).args(["man", "--out"]).arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let mut all = Vec::new();
    names(&paii::cli::Cli::command(), &["paii"], &mut all);
    for command in all.iter().filter(|n| n.starts_with('`')) {
        let page = dir.path().join(format!("{}.1", command.trim_matches('`').replace(' ', "-")));
        let text = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{}: {e}", page.display()));
        assert!(text.contains(".TH"), "a roff page: {}", page.display());
    }
}
