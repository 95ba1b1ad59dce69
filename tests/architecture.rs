//! The shape of `src/`: data at the bottom, actions on top, no circles.
//!
//! Drawn from the code itself: each file of `src/` is a node, and a
//! `crate::` path in it (outside comments and its test module) is an edge
//! to the file that defines the module it names. Two rules:
//!
//! 1. no import circle between files, nor between the top-level modules
//!    they make up (`manifest`, `resolve`, `source`, `generation`...): the
//!    data modules at the bottom import no action module above them;
//! 2. a command module of `ops` (one per CLI command) imports no other
//!    command module: what several share is a stage (`ops::stage`) or lives
//!    lower down.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// `claude/fragment.rs` -> `claude::fragment`; `ops/mod.rs` -> `ops`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if matches!(parts.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        parts.pop();
    }
    parts.join("::")
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The code of a file that counts: its test module and comments left out.
fn code(text: &str) -> String {
    let text = text.split("#[cfg(test)]\nmod tests").next().unwrap_or_default();
    text.lines().filter(|l| !l.trim_start().starts_with("//")).map(|l| l.split(" // ").next().unwrap_or(l)).collect::<Vec<_>>().join("\n")
}

/// Every path after `crate::` in `text`, and each item of a
/// `use crate::{a::b, c}` group.
fn crate_paths(text: &str) -> Vec<String> {
    let word = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == ':';
    let mut out = Vec::new();
    for (at, _) in text.match_indices("crate::") {
        let rest = &text[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            // Only the group's own items: `a::{b, c}` inside it names `a`.
            let (mut depth, mut item) = (0, String::new());
            for c in group.chars() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => out.push(std::mem::take(&mut item)),
                    c if depth == 0 => item.push(c),
                    _ => {}
                }
            }
            out.push(item);
            let n = out.len();
            for p in out.iter_mut().rev().take(n) {
                *p = p.trim().chars().take_while(|c| word(*c)).collect();
            }
        } else {
            out.push(rest.chars().take_while(|c| word(*c)).collect());
        }
    }
    out.into_iter().map(|p| p.trim_end_matches(':').to_string()).filter(|p| !p.is_empty()).collect()
}

/// Module -> the modules its `crate::` paths name (the longest prefix of
/// each path that is a module of `src/`).
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let src = root();
    let mut all = Vec::new();
    files(&src, &mut all);
    all.retain(|f| !f.starts_with(src.join("bin")) && f.file_name().is_some_and(|n| n != "build.rs" || f.parent() != Some(&src)));
    let modules: BTreeSet<String> = all.iter().map(|f| module_of(&src, f)).collect();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &all {
        let m = module_of(&src, f);
        let text = code(&std::fs::read_to_string(f).unwrap());
        let named = crate_paths(&text);
        let out = edges.entry(m.clone()).or_default();
        for n in named {
            let parts: Vec<&str> = n.split("::").filter(|p| !p.is_empty()).collect();
            if let Some(target) = (1..=parts.len()).rev().map(|k| parts[..k].join("::")).find(|c| modules.contains(c))
                && target != m
            {
                out.insert(target);
            }
        }
    }
    edges
}

/// The strongly connected components with more than one module (Tarjan).
fn circles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    struct State<'a> {
        edges: &'a BTreeMap<String, BTreeSet<String>>,
        index: BTreeMap<&'a str, usize>,
        low: BTreeMap<&'a str, usize>,
        stack: Vec<&'a str>,
        on: BTreeSet<&'a str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(s: &mut State<'a>, v: &'a str) {
        let n = s.index.len();
        s.index.insert(v, n);
        s.low.insert(v, n);
        s.stack.push(v);
        s.on.insert(v);
        for w in s.edges.get(v).into_iter().flatten() {
            let w = w.as_str();
            if !s.index.contains_key(w) {
                visit(s, w);
                let lw = s.low[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if s.on.contains(w) {
                let iw = s.index[w];
                let lv = s.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(w);
                comp.push(w.to_string());
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                s.out.push(comp);
            }
        }
    }
    let mut s = State { edges, index: BTreeMap::new(), low: BTreeMap::new(), stack: Vec::new(), on: BTreeSet::new(), out: Vec::new() };
    for v in edges.keys() {
        if !s.index.contains_key(v.as_str()) {
            visit(&mut s, v);
        }
    }
    s.out
}

#[test]
fn src_has_no_import_circle() {
    let edges = graph();
    assert!(edges.len() > 50, "the graph was read: {} modules", edges.len());
    let found = circles(&edges);
    let described: Vec<String> = found
        .iter()
        .map(|c| {
            let inner: Vec<String> = c
                .iter()
                .map(|m| format!("  {m} -> {}", edges[m].iter().filter(|t| c.contains(t)).cloned().collect::<Vec<_>>().join(", ")))
                .collect();
            format!("{} modules:\n{}", c.len(), inner.join("\n"))
        })
        .collect();
    assert!(found.is_empty(), "import circles in src/ (move the shared piece down, or the caller up):\n{}", described.join("\n"));
}

#[test]
fn the_top_level_modules_form_no_circle() {
    let top = |m: &str| m.split("::").next().unwrap_or_default().to_string();
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (from, to) in graph() {
        let from = top(&from);
        let out = edges.entry(from.clone()).or_default();
        out.extend(to.iter().map(|t| top(t)).filter(|t| *t != from));
    }
    let found = circles(&edges);
    assert!(found.is_empty(), "circles between top-level modules of src/: {found:?}");
    // The parsed files are data: they import no action module.
    for data in ["manifest", "lock"] {
        let reaches: Vec<&String> = edges[data]
            .iter()
            .filter(|t| {
                ["ops", "resolve", "registry", "source", "generation", "claude", "policy", "build", "substitute"].contains(&t.as_str())
            })
            .collect();
        assert!(reaches.is_empty(), "`{data}` (data) imports action modules {reaches:?}");
    }
}

#[test]
fn no_ops_command_imports_another() {
    let src = root();
    let commands: Vec<String> = std::fs::read_dir(src.join("ops"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs") && p.file_stem().is_some_and(|s| s != "mod"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(commands.contains(&"sync".to_string()) && commands.contains(&"lock".to_string()), "{commands:?}");
    let mut borrowed = Vec::new();
    for c in &commands {
        let text = code(&std::fs::read_to_string(src.join("ops").join(format!("{c}.rs"))).unwrap());
        for other in commands.iter().filter(|o| *o != c) {
            if text.contains(&format!("super::{other}::")) || text.contains(&format!("crate::ops::{other}::")) {
                borrowed.push(format!("ops::{c} uses ops::{other}"));
            }
        }
    }
    assert!(
        borrowed.is_empty(),
        "a command module borrows another's internals (move it into ops::stage or lower):\n{}",
        borrowed.join("\n")
    );
}
