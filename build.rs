//! Links the paii binary as a position-dependent executable on Linux.
//!
//! Claude Code starts `paii hook dispatch` on every hook event, so its
//! start-up is on the hot path. A PIE build of this size spends most of its
//! start-up applying ~40,000 relative relocations (about 270 page faults);
//! a fixed-address executable has none, which halves the cost of starting
//! it. Only the binary's link changes: the code stays PIC, and libraries,
//! build scripts and proc macros are untouched.
fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-no-pie");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
