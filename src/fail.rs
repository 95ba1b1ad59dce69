//! Failpoints for crash-safety tests, named where a crash or a full disk
//! would hurt most. `FAILPOINTS="generation-rename=return(abort)"` kills
//! paii right there (SIGABRT: no destructor, no cleanup, like SIGKILL);
//! `return(enospc)` makes the step fail as a full disk would. Unset, a point
//! costs one map lookup; `hook dispatch` never sets them up.

use std::io;

/// Reads `FAILPOINTS` once; call at the start of a mutating command.
pub fn setup() {
    if std::env::var_os("FAILPOINTS").is_some() {
        std::mem::forget(fail::FailScenario::setup());
    }
}

pub fn point(name: &str) -> io::Result<()> {
    fail::fail_point!(name, |arg: Option<String>| match arg.as_deref() {
        Some("enospc") => Err(io::Error::from_raw_os_error(libc::ENOSPC)),
        Some("abort") | None => std::process::abort(),
        Some(other) => Err(io::Error::other(other.to_string())),
    });
    Ok(())
}
