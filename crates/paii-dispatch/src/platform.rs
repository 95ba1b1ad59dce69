//! The calls the process loop makes that differ by platform, in one place.
//!
//! Linux has `pidfd_open` (a descriptor that becomes readable when a child
//! exits) and `ppoll`. Elsewhere (macOS, the BSDs), or with the `portable`
//! feature, which forces the fallbacks on Linux so that the suite runs
//! through them too: no pidfd (the loop then sees an exit by asking
//! `try_wait` on a short tick, see `exec`) and plain `poll`.

use std::time::Duration;

/// A descriptor readable once `pid` has exited, where the platform has one.
#[cfg(all(target_os = "linux", not(feature = "portable")))]
pub fn pidfd(pid: u32) -> Option<std::os::fd::OwnedFd> {
    use std::os::fd::FromRawFd;
    // SAFETY: pidfd_open takes a pid and flags and returns a new descriptor we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    // SAFETY: fd is a fresh descriptor, owned by nothing else.
    (fd >= 0).then(|| unsafe { std::os::fd::OwnedFd::from_raw_fd(fd as i32) })
}

#[cfg(not(all(target_os = "linux", not(feature = "portable"))))]
pub fn pidfd(_pid: u32) -> Option<std::os::fd::OwnedFd> {
    None
}

/// Waits until one of `fds` is ready or `wait` has passed.
#[cfg(all(target_os = "linux", not(feature = "portable")))]
pub fn poll(fds: &mut [libc::pollfd], wait: Duration) {
    let ts = libc::timespec { tv_sec: wait.as_secs().min(i32::MAX as u64) as libc::time_t, tv_nsec: wait.subsec_nanos() as libc::c_long };
    // SAFETY: fds is a valid array of pollfd for the duration of the call.
    unsafe {
        libc::ppoll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, &ts, std::ptr::null());
    }
}

#[cfg(not(all(target_os = "linux", not(feature = "portable"))))]
pub fn poll(fds: &mut [libc::pollfd], wait: Duration) {
    // poll takes milliseconds: round up, so that a wait never becomes a spin.
    let ms = wait.as_micros().div_ceil(1000).min(i32::MAX as u128) as libc::c_int;
    // SAFETY: fds is a valid array of pollfd for the duration of the call.
    unsafe {
        libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms);
    }
}

/// A child bound to this process's life: when paii dies, however it dies,
/// the child (and everything in its process group) dies too, so that a
/// build tool never goes on writing into an output the next run rebuilds.
pub struct Bound {
    pub child: std::process::Child,
    /// Elsewhere than Linux: a watchdog in the child's process group,
    /// reading a pipe only paii holds open.
    watchdog: Option<std::process::Child>,
}

/// Spawns `cmd` bound to this process: Linux's `PR_SET_PDEATHSIG`.
#[cfg(all(target_os = "linux", not(feature = "portable")))]
pub fn spawn_bound(cmd: &mut std::process::Command) -> std::io::Result<Bound> {
    use std::os::unix::process::CommandExt;
    let parent = std::process::id();
    // SAFETY: prctl and getppid are async-signal-safe and touch no memory of ours.
    unsafe {
        cmd.pre_exec(move || {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            // paii died before the signal was armed: nobody would send it.
            if libc::getppid() as u32 != parent {
                return Err(std::io::Error::other("paii exited while starting the build"));
            }
            Ok(())
        });
    }
    Ok(Bound { child: cmd.spawn()?, watchdog: None })
}

/// Spawns `cmd` bound to this process, where there is no death signal: a
/// watchdog starts first, leading a process group of its own, and the
/// child joins that group; the watchdog waits on a pipe whose writing end
/// only paii holds (close-on-exec, so no child inherits it), and when paii
/// dies the pipe ends and the watchdog kills its group, the build with
/// everything it started. The group cannot be reused while the watchdog is
/// in it, so the kill never reaches anyone else's processes. A terminal's
/// Ctrl-C reaches paii alone, and the group dies with it. A build that
/// kills its own group ends itself with the watchdog.
#[cfg(not(all(target_os = "linux", not(feature = "portable"))))]
pub fn spawn_bound(cmd: &mut std::process::Command) -> std::io::Result<Bound> {
    use std::os::unix::process::CommandExt;
    use std::process::{Command, Stdio};
    let watchdog = Command::new("/bin/sh")
        .args(["-c", "read -r _; kill -9 0 2>/dev/null", "paii-watchdog"])
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    cmd.process_group(watchdog.id() as i32);
    let mut bound = Bound {
        child: match cmd.spawn() {
            Ok(c) => c,
            Err(e) => {
                let mut w = watchdog;
                let _ = w.kill();
                let _ = w.wait();
                return Err(e);
            }
        },
        watchdog: None,
    };
    bound.watchdog = Some(watchdog);
    Ok(bound)
}

impl Bound {
    /// Waits for the child, then retires the watchdog.
    pub fn wait(mut self) -> std::io::Result<std::process::ExitStatus> {
        let status = self.child.wait();
        self.retire();
        status
    }

    fn retire(&mut self) {
        if let Some(mut w) = self.watchdog.take() {
            let _ = w.kill();
            let _ = w.wait();
        }
    }
}

impl Drop for Bound {
    fn drop(&mut self) {
        self.retire();
    }
}

/// Whether this build uses the portable fallbacks (for tests to say so).
pub const PORTABLE: bool = !cfg!(all(target_os = "linux", not(feature = "portable")));

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fallbacks_are_what_the_build_asked_for() {
        let child = std::process::Command::new("sleep").arg("0.2").spawn().unwrap();
        let fd = pidfd(child.id());
        assert_eq!(fd.is_none(), PORTABLE, "a pidfd exactly when not portable");
        assert_eq!(PORTABLE, cfg!(feature = "portable") || !cfg!(target_os = "linux"));
        // poll returns after its timeout with nothing to watch.
        let start = std::time::Instant::now();
        poll(&mut [], Duration::from_millis(20));
        assert!(start.elapsed() >= Duration::from_millis(15));
        let _ = { child }.wait();
    }

    #[test]
    fn a_bound_child_runs_to_its_end_and_its_status_is_kept() {
        let status = spawn_bound(std::process::Command::new("sh").args(["-c", "exit 3"])).unwrap().wait().unwrap();
        assert_eq!(status.code(), Some(3));
    }

    #[test]
    fn a_bound_child_dies_with_the_process_that_started_it() {
        // A parent (a shell that starts this test binary's child and is then
        // SIGKILLed) stands in for paii: `sleep` must not outlive it.
        let dir = std::env::temp_dir().join(format!("paii-bound-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pidfile = dir.join("pid");
        let exe = std::env::current_exe().unwrap();
        let mut parent = std::process::Command::new(exe)
            .args(["--exact", "platform::tests::bound_child_helper", "--nocapture", "--include-ignored"])
            .env("PAII_BOUND_PIDFILE", &pidfile)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        let pid: i32 = loop {
            if let Some(p) = std::fs::read_to_string(&pidfile).ok().and_then(|t| t.trim().parse().ok()) {
                break p;
            }
            assert!(started.elapsed() < Duration::from_secs(20), "the helper never started its child");
            std::thread::sleep(Duration::from_millis(10));
        };
        parent.kill().unwrap();
        parent.wait().unwrap();
        let alive = || {
            // SAFETY: signal 0 only checks that the process exists.
            unsafe { libc::kill(pid, 0) == 0 }
        };
        let killed = std::time::Instant::now();
        while alive() && killed.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = std::fs::remove_dir_all(&dir);
        assert!(!alive(), "the bound child outlived its parent");
    }

    /// Run by the test above as the parent to kill.
    #[test]
    #[ignore]
    fn bound_child_helper() {
        let Some(pidfile) = std::env::var_os("PAII_BOUND_PIDFILE") else { return };
        let bound = spawn_bound(std::process::Command::new("sleep").arg("30")).unwrap();
        std::fs::write(pidfile, bound.child.id().to_string()).unwrap();
        let _ = bound.wait();
    }
}
