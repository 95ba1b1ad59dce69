//! Running plugin processes: each in its own process group, all at once,
//! input written and output read (capped) by one poll loop, every one held
//! to its timeout. A handler that times out is killed with its whole
//! group, grandchildren included, and nobody waits for pipes a runaway
//! process keeps open.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Bytes kept of each of a handler's stdout and stderr.
pub const OUTPUT_CAP: usize = 1 << 20;
/// How long a finished handler's pipes may stay open (held by a process it
/// left behind) before its output is taken as it is.
const PIPE_GRACE: Duration = Duration::from_millis(20);

/// The process group of the hook `paii hook handler` runs, for the signal
/// handler that passes an end to it.
static HOOK_GROUP: std::sync::atomic::AtomicI32 = std::sync::atomic::AtomicI32::new(0);

/// When Claude Code ends the hook it started (a background hook at the
/// session's end, one past Claude Code's timeout), it ends `paii hook
/// handler`; the hook, in a process group of its own, would live on. This
/// passes SIGTERM, SIGINT and SIGHUP on to the hook's group, and paii
/// goes on to see it end and log it.
pub fn forward_termination() {
    extern "C" fn forward(sig: libc::c_int) {
        let group = HOOK_GROUP.load(std::sync::atomic::Ordering::SeqCst);
        if group > 0 {
            // SAFETY: kill is async-signal-safe; a group that is gone is ESRCH.
            unsafe {
                libc::kill(-group, sig);
            }
        }
    }
    for sig in [libc::SIGTERM, libc::SIGINT, libc::SIGHUP] {
        // SAFETY: the handler only reads an atomic and calls kill, both
        // async-signal-safe.
        unsafe {
            libc::signal(sig, forward as *const () as libc::sighandler_t);
        }
    }
}

/// One process to run.
pub struct Job {
    pub argv: Vec<String>,
    pub env: Vec<(String, String)>,
    pub timeout: Duration,
    /// Its stdout and stderr are this process's own, written as it writes
    /// them (and not collected): a hook whose caller reads its first line
    /// before it ends (Claude Code's `{"async": true}`).
    pub inherit_output: bool,
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

/// One pipe being drained into a capped buffer.
struct Sink<R> {
    pipe: Option<R>,
    bytes: Vec<u8>,
    dropped: u64,
}

impl<R: Read + AsRawFd> Sink<R> {
    fn new(pipe: Option<R>) -> Sink<R> {
        if let Some(p) = &pipe {
            nonblocking(p.as_raw_fd());
        }
        Sink { pipe, bytes: Vec::new(), dropped: 0 }
    }

    /// Reads what is there; closes the pipe at its end.
    fn drain(&mut self) {
        let Some(pipe) = &mut self.pipe else { return };
        let mut chunk = [0u8; 64 * 1024];
        loop {
            match pipe.read(&mut chunk) {
                Ok(0) => {
                    self.pipe = None;
                    return;
                }
                Ok(n) => {
                    let room = OUTPUT_CAP.saturating_sub(self.bytes.len()).min(n);
                    self.bytes.extend_from_slice(&chunk[..room]);
                    self.dropped += (n - room) as u64;
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => {
                    self.pipe = None;
                    return;
                }
            }
        }
    }
}

fn nonblocking(fd: i32) {
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK);
    }
}

struct Running {
    child: std::process::Child,
    started: Instant,
    deadline: Instant,
    stdin: Option<std::process::ChildStdin>,
    written: usize,
    stdout: Sink<std::process::ChildStdout>,
    stderr: Sink<std::process::ChildStderr>,
    /// When it exited or was killed.
    ended: Option<Instant>,
    /// Readable once the process has exited (Linux 5.3+); without one, a
    /// handler that closed its pipes is checked on a short tick.
    pidfd: Option<std::os::fd::OwnedFd>,
}

/// Starts `job` detached: in a session of its own, `input` on its stdin
/// (from an unlinked file, so that no pipe can fill), stdout and stderr
/// appended to `log`. Not waited for: it outlives the dispatcher.
pub fn start_detached(job: &Job, input: &[u8], log: &std::path::Path) -> Result<(), String> {
    use std::io::{Seek, Write};
    use std::os::unix::process::CommandExt;
    let (program, args) = job.argv.split_first().ok_or("no command")?;
    let dir = log.parent().ok_or("no log directory")?;
    let _ = std::fs::create_dir_all(dir);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
    let stdin_path = dir.join(format!(".observer-{}-{nanos}", std::process::id()));
    let mut stdin = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&stdin_path)
        .map_err(|e| format!("cannot create {}: {e}", stdin_path.display()))?;
    let _ = std::fs::remove_file(&stdin_path);
    stdin.write_all(input).and_then(|_| stdin.rewind()).map_err(|e| format!("cannot write the event for it: {e}"))?;
    let out = std::fs::OpenOptions::new().create(true).append(true).open(log).map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let mut cmd = Command::new(program);
    cmd.args(args).env_clear().envs(job.env.iter().map(|(k, v)| (k, v))).stdin(stdin).stdout(out).stderr(err);
    // SAFETY: setsid is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd.spawn().map(drop).map_err(|e| format!("cannot run {program}: {e}"))
}

/// Runs every job at once with `input` on its stdin; the results in job
/// order. One thread: the pipes of all handlers are polled together, so
/// that a dispatch costs no thread start-ups.
pub fn run_all(jobs: &[Job], input: &[u8], cwd: Option<&std::path::Path>) -> Vec<Finished> {
    let mut results: Vec<Finished> = (0..jobs.len()).map(|_| Finished::default()).collect();
    let mut running: Vec<(usize, Running)> = Vec::new();
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
            .stdout(if job.inherit_output { Stdio::inherit() } else { Stdio::piped() })
            .stderr(if job.inherit_output { Stdio::inherit() } else { Stdio::piped() })
            .process_group(0);
        if let Some(dir) = cwd {
            cmd.current_dir(dir);
        }
        // No pre_exec hook (such as PR_SET_PDEATHSIG): it would force a
        // fork of this process instead of posix_spawn, which costs more than
        // the rest of dispatch. The dispatcher outlives its handlers anyway:
        // Claude Code's timeout is 5 s above the slowest handler's, and a
        // handler past its own is killed with its group.
        let started = Instant::now();
        let mut child = match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                results[i].spawn_error = Some(format!("cannot run {program}: {e}"));
                continue;
            }
        };
        if job.inherit_output {
            // Its caller may end it (see `forward_termination`).
            HOOK_GROUP.store(child.id() as i32, std::sync::atomic::Ordering::SeqCst);
        }
        let stdin = child.stdin.take();
        if let Some(s) = &stdin {
            nonblocking(s.as_raw_fd());
        }
        let stdout = Sink::new(child.stdout.take());
        let stderr = Sink::new(child.stderr.take());
        let pidfd = crate::platform::pidfd(child.id());
        running
            .push((i, Running { child, started, deadline: started + job.timeout, stdin, written: 0, stdout, stderr, ended: None, pidfd }));
    }

    loop {
        let now = Instant::now();
        for (i, r) in running.iter_mut() {
            if r.ended.is_some() {
                continue;
            }
            if let Ok(Some(status)) = r.child.try_wait() {
                use std::os::unix::process::ExitStatusExt;
                results[*i].code = status.code();
                results[*i].signal = status.signal();
                results[*i].duration = r.started.elapsed();
                r.ended = Some(now);
                // Its stdin is of no more use.
                r.stdin = None;
            } else if r.deadline <= now {
                // SAFETY: killpg of the group we created; at worst ESRCH.
                unsafe {
                    libc::killpg(r.child.id() as i32, libc::SIGKILL);
                }
                let _ = r.child.wait();
                results[*i].timed_out = true;
                results[*i].duration = r.started.elapsed();
                r.ended = Some(now);
                r.stdin = None;
            }
        }
        // Done when every handler has ended and its pipes are closed, or
        // PIPE_GRACE after the last end (a process it left may hold them).
        let all_ended = running.iter().all(|(_, r)| r.ended.is_some());
        let pipes_open = running.iter().any(|(_, r)| r.stdout.pipe.is_some() || r.stderr.pipe.is_some());
        let last_end = running.iter().filter_map(|(_, r)| r.ended).max();
        if all_ended && (!pipes_open || last_end.is_some_and(|t| now >= t + PIPE_GRACE)) {
            break;
        }

        let mut fds: Vec<libc::pollfd> = Vec::new();
        for (_, r) in running.iter() {
            if let Some(s) = &r.stdin {
                fds.push(libc::pollfd { fd: s.as_raw_fd(), events: libc::POLLOUT, revents: 0 });
            }
            let exit = r.pidfd.as_ref().filter(|_| r.ended.is_none()).map(|p| p.as_raw_fd());
            for fd in
                [r.stdout.pipe.as_ref().map(|p| p.as_raw_fd()), r.stderr.pipe.as_ref().map(|p| p.as_raw_fd()), exit].into_iter().flatten()
            {
                fds.push(libc::pollfd { fd, events: libc::POLLIN, revents: 0 });
            }
        }
        // Wake for the next deadline, or soon when a handler may have
        // exited without its pipes telling (closed early, or held open).
        let mut wake = running.iter().filter(|(_, r)| r.ended.is_none()).map(|(_, r)| r.deadline).min().unwrap_or(now + PIPE_GRACE);
        if let Some(t) = last_end.filter(|_| all_ended) {
            wake = wake.min(t + PIPE_GRACE);
        }
        // Without a pidfd, an exit is seen only by asking: soon after the
        // pipes close (the usual moment), else every few milliseconds.
        let blind = running.iter().filter(|(_, r)| r.ended.is_none() && r.pidfd.is_none());
        let mut quiet = false;
        let mut any_blind = false;
        for (_, r) in blind {
            any_blind = true;
            quiet |= r.stdout.pipe.is_none() && r.stderr.pipe.is_none();
        }
        if quiet {
            wake = wake.min(now + Duration::from_millis(1));
        } else if any_blind {
            wake = wake.min(now + Duration::from_millis(5));
        }
        if fds.is_empty() {
            wake = wake.min(now + Duration::from_millis(1));
        }
        let wait = wake.saturating_duration_since(now);
        crate::platform::poll(&mut fds, wait);
        for (_, r) in running.iter_mut() {
            if let Some(s) = &mut r.stdin {
                match s.write(&input[r.written..]) {
                    Ok(n) => r.written += n,
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock || e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(_) => r.written = input.len(),
                }
                if r.written >= input.len() {
                    r.stdin = None;
                }
            }
            r.stdout.drain();
            r.stderr.drain();
        }
    }
    for (i, r) in running {
        results[i].stdout = r.stdout.bytes;
        results[i].stdout_dropped = r.stdout.dropped;
        results[i].stderr = r.stderr.bytes;
        results[i].stderr_dropped = r.stderr.dropped;
    }
    results
}
