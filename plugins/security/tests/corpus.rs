//! The corpus: every dangerous command is blocked (no false negative), at
//! most 2 % of the benign look-alikes are not allowed, and borderline
//! commands are asked about.

use security::{Config, Verdict, check_command};

fn lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).collect()
}

fn config() -> Config {
    Config::from_json(None, Some("/home/dev".into())).unwrap()
}

#[test]
fn every_dangerous_command_is_blocked() {
    let corpus = lines(include_str!("corpus/dangerous.txt"));
    assert!(corpus.len() >= 150, "{} dangerous commands", corpus.len());
    let missed: Vec<String> = corpus
        .iter()
        .filter_map(|c| match check_command(c, &config()) {
            Verdict::Block(_) => None,
            other => Some(format!("{c}  => {other:?}")),
        })
        .collect();
    assert!(missed.is_empty(), "{} of {} dangerous commands not blocked:\n{}", missed.len(), corpus.len(), missed.join("\n"));
}

#[test]
fn benign_look_alikes_are_allowed() {
    let corpus = lines(include_str!("corpus/benign.txt"));
    assert!(corpus.len() >= 150, "{} benign commands", corpus.len());
    let flagged: Vec<String> = corpus
        .iter()
        .filter_map(|c| match check_command(c, &config()) {
            Verdict::Allow => None,
            other => Some(format!("{c}  => {other:?}")),
        })
        .collect();
    let rate = flagged.len() as f64 / corpus.len() as f64;
    println!("false positives: {} of {} ({:.1} %)", flagged.len(), corpus.len(), rate * 100.0);
    assert!(rate <= 0.02, "{} of {} benign commands flagged ({:.1} %):\n{}", flagged.len(), corpus.len(), rate * 100.0, flagged.join("\n"));
}

#[test]
fn borderline_commands_are_asked_about() {
    let wrong: Vec<String> = lines(include_str!("corpus/ask.txt"))
        .iter()
        .filter_map(|c| match check_command(c, &config()) {
            Verdict::Ask(_) => None,
            other => Some(format!("{c}  => {other:?}")),
        })
        .collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
