//! The security plugin's cost (issue 15): the verdict per command over the
//! whole corpus (goal < 1 ms), and its handler process, start to exit, vs
//! `/bin/true` (goal <= 1.5x), interleaved so that noise falls on both.
//! Run: `cargo bench` in plugins/security. Prints; asserts nothing.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use security::{Config, check_command};

const RUNS: usize = 201;

fn corpus() -> Vec<&'static str> {
    [include_str!("../tests/corpus/dangerous.txt"), include_str!("../tests/corpus/benign.txt"), include_str!("../tests/corpus/ask.txt")]
        .iter()
        .flat_map(|t| t.lines())
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .collect()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn timed(cmd: &mut Command, input: &[u8]) -> Duration {
    let start = Instant::now();
    let mut child = cmd.stdin(Stdio::piped()).stdout(Stdio::null()).stderr(Stdio::null()).spawn().unwrap();
    let _ = child.stdin.take().unwrap().write_all(input);
    child.wait().unwrap();
    start.elapsed()
}

fn main() {
    let config = Config::from_json(None, Some("/home/dev".into())).unwrap();
    let lines = corpus();
    // Warm up, then time every command many times.
    for l in &lines {
        check_command(l, &config);
    }
    // Round-robin over the whole corpus: the parser's small caches (64
    // entries) never hold the command being timed.
    let rounds = 20;
    let mut sums = vec![Duration::ZERO; lines.len()];
    for _ in 0..rounds {
        for (i, l) in lines.iter().enumerate() {
            let start = Instant::now();
            std::hint::black_box(check_command(std::hint::black_box(l), &config));
            sums[i] += start.elapsed();
        }
    }
    let per: Vec<Duration> = sums.into_iter().map(|s| s / rounds).collect();
    let worst = per.iter().max().copied().unwrap_or_default();
    let total: Duration = per.iter().sum();
    println!(
        "verdict per command over {} commands: mean {:.1} µs, median {:.1} µs, slowest {:.1} µs (goal < 1 ms)",
        lines.len(),
        total.as_secs_f64() * 1e6 / lines.len() as f64,
        median(per.clone()).as_secs_f64() * 1e6,
        worst.as_secs_f64() * 1e6
    );

    let exe = env!("CARGO_BIN_EXE_security");
    let event = br#"{"session_id":"bench","hook_event_name":"PreToolUse","tool_name":"Bash","tool_input":{"command":"sudo bash -c 'rm -rf \"$HOME\"' && echo done"}}"#;
    let (mut t_plugin, mut t_true) = (Vec::new(), Vec::new());
    for _ in 0..RUNS {
        t_plugin.push(timed(Command::new(exe).args(["hook", "pre-tool-use"]), event));
        t_true.push(timed(&mut Command::new("/bin/true"), event));
    }
    let (a, b) = (median(t_plugin), median(t_true));
    println!(
        "the handler process (parse, judge, answer): {:.2} ms vs /bin/true {:.2} ms = {:.2}x (goal <= 1.5x)",
        a.as_secs_f64() * 1e3,
        b.as_secs_f64() * 1e3,
        a.as_secs_f64() / b.as_secs_f64()
    );
}
