//! The corpus (`tests/corpus/<category>.txt`, see SOURCES.md): every
//! dangerous command keeps its verdict (blocked, or asked about), and at
//! most 2 % of the benign ones are flagged.

use std::path::PathBuf;

use security::{Config, Verdict, check_command};

struct Case {
    file: String,
    expected: &'static str,
    command: String,
}

fn corpus() -> Vec<Case> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "txt")).collect();
    files.sort();
    let mut cases = Vec::new();
    for f in files {
        let name = f.file_stem().unwrap().to_string_lossy().into_owned();
        for (i, line) in std::fs::read_to_string(&f).unwrap().lines().enumerate() {
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let (verdict, command) = line.split_once(' ').unwrap_or_else(|| panic!("{name}.txt:{}: no verdict", i + 1));
            let expected = match verdict {
                "block" => "block",
                "ask" => "ask",
                "allow" => "allow",
                other => panic!("{name}.txt:{}: `{other}` is not block, ask or allow", i + 1),
            };
            cases.push(Case { file: name.clone(), expected, command: command.trim_start().to_string() });
        }
    }
    cases
}

fn name(v: &Verdict) -> &'static str {
    match v {
        Verdict::Allow => "allow",
        Verdict::Ask(_) => "ask",
        Verdict::Block(_) => "block",
    }
}

fn config() -> Config {
    Config::from_json(None, Some("/home/dev".into())).unwrap()
}

#[test]
fn the_corpus_is_large_and_sorted_by_category() {
    let cases = corpus();
    let dangerous = cases.iter().filter(|c| c.expected != "allow").count();
    assert!(cases.len() >= 1000, "{} commands", cases.len());
    assert!(dangerous >= 500, "{dangerous} dangerous commands");
    let files: std::collections::BTreeSet<&str> = cases.iter().map(|c| c.file.as_str()).collect();
    assert!(files.len() >= 10, "{files:?}");
}

#[test]
fn every_dangerous_command_keeps_its_verdict() {
    let config = config();
    let wrong: Vec<String> = corpus()
        .iter()
        .filter(|c| c.expected != "allow")
        .filter_map(|c| {
            let v = check_command(&c.command, &config);
            (name(&v) != c.expected).then(|| format!("{}: expected {}: {}  => {v:?}", c.file, c.expected, c.command))
        })
        .collect();
    assert!(wrong.is_empty(), "{} dangerous commands misjudged:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn at_most_two_percent_of_benign_commands_are_flagged() {
    let config = config();
    let benign: Vec<Case> = corpus().into_iter().filter(|c| c.expected == "allow").collect();
    let flagged: Vec<String> = benign
        .iter()
        .filter_map(|c| {
            let v = check_command(&c.command, &config);
            (v != Verdict::Allow).then(|| format!("{}: {}  => {v:?}", c.file, c.command))
        })
        .collect();
    let rate = flagged.len() as f64 / benign.len() as f64;
    println!("false positives: {} of {} ({:.1} %)", flagged.len(), benign.len(), rate * 100.0);
    assert!(rate <= 0.02, "{} of {} benign commands flagged ({:.1} %):\n{}", flagged.len(), benign.len(), rate * 100.0, flagged.join("\n"));
}
