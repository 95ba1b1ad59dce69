//! Failpoints for crash-safety tests, named where a crash or a full disk
//! would hurt most. `FAILPOINTS="generation-rename=return(abort)"` kills
//! paii right there (SIGABRT: no destructor, no cleanup, like SIGKILL);
//! `return(enospc)` makes the step fail as a full disk would.
//!
//! They exist only in builds with the `failpoints` feature, which the test
//! command turns on: a binary built by `cargo install` reads no `FAILPOINTS`
//! variable and its points cost nothing. `hook dispatch` has none in any
//! build (the dispatcher is another crate).

use std::io;

/// Reads `FAILPOINTS` (`NAME=ACTIONS;...`); a malformed entry is returned as
/// an error for the caller to report, never a panic.
#[cfg(feature = "failpoints")]
pub fn setup() -> Result<(), String> {
    let Some(spec) = std::env::var_os("FAILPOINTS") else { return Ok(()) };
    let spec = spec.into_string().map_err(|_| "FAILPOINTS is not UTF-8".to_string())?;
    for entry in spec.split(';').map(str::trim).filter(|e| !e.is_empty()) {
        let (name, actions) = entry.split_once('=').ok_or_else(|| format!("FAILPOINTS: `{entry}` is not NAME=ACTIONS"))?;
        fail::cfg(name.trim(), actions.trim()).map_err(|e| format!("FAILPOINTS: `{entry}`: {e}"))?;
    }
    Ok(())
}

#[cfg(not(feature = "failpoints"))]
pub fn setup() -> Result<(), String> {
    Ok(())
}

#[cfg(feature = "failpoints")]
pub fn point(name: &str) -> io::Result<()> {
    fail::fail_point!(name, |arg: Option<String>| match arg.as_deref() {
        Some("enospc") => Err(io::Error::from_raw_os_error(libc::ENOSPC)),
        Some("abort") | None => std::process::abort(),
        Some(other) => Err(io::Error::other(other.to_string())),
    });
    Ok(())
}

#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn point(_name: &str) -> io::Result<()> {
    Ok(())
}
