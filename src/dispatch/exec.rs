//! Running plugin processes: each in its own process group, all at once,
//! input written and output read on their own threads (capped), every one
//! held to its timeout. A handler that times out is killed with its whole
//! group, grandchildren included, and nobody waits for pipes a runaway
//! process keeps open.

use std::io::{Read, Write};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Bytes kept of each of a handler's stdout and stderr.
pub const OUTPUT_CAP: usize = 1 << 20;
/// How long a finished handler's pipes may stay open (held by a process it
/// left behind) before its output is taken as it is.
const PIPE_GRACE: Duration = Duration::from_millis(20);

/// One process to run.
pub struct Job {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
}

/// How one process ended.
#[derive(Debug, Clone, Default)]
pub struct Finished {
    /// Its exit code, when it exited.
    pub code: Option<i32>,
    /// The signal that ended it, when one did.
    pub signal: Option<i32>,
    pub timed_out: bool,
    /// It could not be started.
    pub spawn_error: Option<String>,
    pub duration: Duration,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Bytes dropped beyond [`OUTPUT_CAP`].
    pub stdout_dropped: u64,
    pub stderr_dropped: u64,
}

#[derive(Default)]
struct Capped {
    bytes: Vec<u8>,
    dropped: u64,
    eof: bool,
}

fn reader(mut from: impl Read + Send + 'static) -> Arc<Mutex<Capped>> {
    let buf = Arc::new(Mutex::new(Capped::default()));
    let shared = Arc::clone(&buf);
    std::thread::spawn(move || {
        let mut chunk = [0u8; 16 * 1024];
        loop {
            match from.read(&mut chunk) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if let Ok(mut b) = shared.lock() {
                        let room = OUTPUT_CAP.saturating_sub(b.bytes.len()).min(n);
                        b.bytes.extend_from_slice(&chunk[..room]);
                        b.dropped += (n - room) as u64;
                    }
                }
            }
        }
        if let Ok(mut b) = shared.lock() {
            b.eof = true;
        }
    });
    buf
}

struct Running {
    pid: i32,
    started: Instant,
    deadline: Instant,
    stdout: Arc<Mutex<Capped>>,
    stderr: Arc<Mutex<Capped>>,
}

/// Runs every job at once with `input` on its stdin; the results in job order.
pub fn run_all(jobs: &[Job], input: &Arc<[u8]>, cwd: Option<&std::path::Path>) -> Vec<Finished> {
    let mut results: Vec<Finished> = (0..jobs.len()).map(|_| Finished::default()).collect();
    let mut running: Vec<Option<Running>> = (0..jobs.len()).map(|_| None).collect();
    let (tx, rx) = mpsc::channel::<(usize, std::process::ExitStatus)>();
    for (i, job) in jobs.iter().enumerate() {
        let Some((program, args)) = job.argv.split_first() else {
            results[i].spawn_error = Some("no command".into());
            continue;
        };
        let mut cmd = Command::new(program);
        cmd.args(args)
            .env_clear()
            .envs(job.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .process_group(0);
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        // SAFETY: prctl is async-signal-safe and touches no memory of ours.
        // Handlers die with the dispatcher (Claude Code may kill it).
        unsafe {
            cmd.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let started = Instant::now();
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                results[i].spawn_error = Some(format!("cannot run {program}: {e}"));
                continue;
            }
        };
        if let Some(mut stdin) = child.stdin.take() {
            let input = Arc::clone(input);
            // A handler that does not read its input must not block the rest.
            std::thread::spawn(move || {
                let _ = stdin.write_all(&input);
            });
        }
        let stdout = child.stdout.take().map(reader).unwrap_or_default();
        let stderr = child.stderr.take().map(reader).unwrap_or_default();
        let pid = child.id() as i32;
        let tx = tx.clone();
        std::thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = tx.send((i, status));
            }
        });
        running[i] = Some(Running { pid, started, deadline: started + job.timeout, stdout, stderr });
    }
    drop(tx);

    let mut pending: Vec<usize> = running.iter().enumerate().filter(|(_, r)| r.is_some()).map(|(i, _)| i).collect();
    let mut ended_at: Vec<Option<Instant>> = vec![None; jobs.len()];
    while !pending.is_empty() {
        let now = Instant::now();
        let next = pending.iter().filter_map(|i| running[*i].as_ref().map(|r| r.deadline)).min().unwrap_or(now);
        match rx.recv_timeout(next.saturating_duration_since(now)) {
            Ok((i, status)) => {
                use std::os::unix::process::ExitStatusExt;
                if let Some(r) = &running[i]
                    && !results[i].timed_out
                {
                    results[i].duration = r.started.elapsed();
                    results[i].code = status.code();
                    results[i].signal = status.signal();
                    ended_at[i] = Some(Instant::now());
                }
                pending.retain(|p| *p != i);
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let now = Instant::now();
                for &i in &pending {
                    if let Some(r) = &running[i]
                        && r.deadline <= now
                        && !results[i].timed_out
                    {
                        // SAFETY: killpg with the group we created; at worst ESRCH.
                        unsafe {
                            libc::killpg(r.pid, libc::SIGKILL);
                        }
                        results[i].timed_out = true;
                        results[i].duration = r.started.elapsed();
                        ended_at[i] = Some(now);
                    }
                }
                pending.retain(|i| !results[*i].timed_out);
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }

    for (i, r) in running.iter().enumerate() {
        let Some(r) = r else { continue };
        let grace_until = ended_at[i].unwrap_or_else(Instant::now) + PIPE_GRACE;
        (results[i].stdout, results[i].stdout_dropped) = take(&r.stdout, grace_until);
        (results[i].stderr, results[i].stderr_dropped) = take(&r.stderr, grace_until);
    }
    results
}

/// A reader's bytes once it reaches the end, or at `until`, whichever is first.
fn take(buf: &Mutex<Capped>, until: Instant) -> (Vec<u8>, u64) {
    while !buf.lock().map(|b| b.eof).unwrap_or(true) && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(1));
    }
    buf.lock().map(|mut b| (std::mem::take(&mut b.bytes), b.dropped)).unwrap_or_default()
}
