//! The security plugin's cost (issues 15 and 23): the verdict per command
//! over the whole corpus (goals: mean <= 50 µs, slowest <= 1 ms), and its handler process, start to exit, vs
//! `/bin/true` (goal <= 1.5x), interleaved so that noise falls on both.
//! Run: `cargo bench` in plugins/security. Prints; asserts nothing.

use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use security::{Config, check_command};

const RUNS: usize = 201;

/// Every command of tests/corpus/*.txt (after its verdict).
fn corpus() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "txt")).collect();
    files.sort();
    files
        .iter()
        .flat_map(|f| std::fs::read_to_string(f).unwrap().lines().map(String::from).collect::<Vec<_>>())
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| l.split_once(' ').map(|(_, c)| c.trim_start().to_string()))
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
    let mut slowest: Vec<(Duration, &String)> = per.iter().copied().zip(lines.iter()).collect();
    slowest.sort_by_key(|s| std::cmp::Reverse(s.0));
    for (d, l) in slowest.iter().take(3) {
        println!("  slow: {:.1} µs  {}", d.as_secs_f64() * 1e6, l.chars().take(100).collect::<String>());
    }
    let total: Duration = per.iter().sum();
    println!(
        "verdict per command over {} commands: mean {:.1} µs, median {:.1} µs, slowest {:.1} µs (goals: mean <= 50 µs, slowest <= 1 ms)",
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
