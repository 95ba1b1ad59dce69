//! The corpus: every dangerous command is blocked (no false negative), at
//! most 2 % of the benign look-alikes are not allowed, and borderline
//! commands are asked about.

use security::{Config, Verdict, check_command};

/// The commands of a corpus file whose verdict is not the `expected` one,
/// each with the verdict it got; and how many commands the file has.
fn misjudged(text: &str, expected: fn(&Verdict) -> bool) -> (Vec<String>, usize) {
    let config = Config::from_json(None, Some("/home/dev".into())).unwrap();
    let corpus: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty() && !l.starts_with('#')).collect();
    let wrong = corpus
        .iter()
        .filter_map(|c| {
            let v = check_command(c, &config);
            (!expected(&v)).then(|| format!("{c}  => {v:?}"))
        })
        .collect();
    (wrong, corpus.len())
}

#[test]
fn every_dangerous_command_is_blocked() {
    let (missed, total) = misjudged(include_str!("corpus/dangerous.txt"), |v| matches!(v, Verdict::Block(_)));
    assert!(total >= 150, "{total} dangerous commands");
    assert!(missed.is_empty(), "{} of {total} dangerous commands not blocked:\n{}", missed.len(), missed.join("\n"));
}

#[test]
fn benign_look_alikes_are_allowed() {
    let (flagged, total) = misjudged(include_str!("corpus/benign.txt"), |v| *v == Verdict::Allow);
    assert!(total >= 150, "{total} benign commands");
    let rate = flagged.len() as f64 / total as f64;
    println!("false positives: {} of {total} ({:.1} %)", flagged.len(), rate * 100.0);
    assert!(rate <= 0.02, "{} of {total} benign commands flagged ({:.1} %):\n{}", flagged.len(), rate * 100.0, flagged.join("\n"));
}

#[test]
fn borderline_commands_are_asked_about() {
    let (wrong, _) = misjudged(include_str!("corpus/ask.txt"), |v| matches!(v, Verdict::Ask(_)));
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
