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
}
