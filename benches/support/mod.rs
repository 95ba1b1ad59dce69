//! What every benchmark prints with: medians in milliseconds.
#![allow(dead_code)]

use std::path::Path;
use std::process::Command;
use std::time::Duration;

pub fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// paii in `root/team`, with `root/home` as PAII_HOME and `root/claude` as
/// CLAUDE_CONFIG_DIR.
pub fn paii(root: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_paii"));
    c.args(args)
        .current_dir(root.join("team"))
        .env("PAII_HOME", root.join("home"))
        .env("CLAUDE_CONFIG_DIR", root.join("claude"))
        .env("HOME", root.join("userhome"));
    c
}

/// Runs `cmd` with `input` on stdin, output discarded; how long it took.
pub fn timed_with(cmd: &mut Command, input: &[u8]) -> Duration {
    use std::io::Write;
    use std::process::Stdio;
    let start = std::time::Instant::now();
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait().unwrap();
    start.elapsed()
}
