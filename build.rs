//! Link settings for the `paii` launcher alone (Claude Code starts it on
//! every hook event, so its start-up is on the hot path); `paii-cli`, which
//! talks to the network and unpacks archives, keeps the defaults, full
//! address-space randomisation included.
//!
//! On Linux with glibc:
//! - position-dependent (`-no-pie`): a PIE spends its start-up applying
//!   relative relocations; a fixed-address executable has none. The code
//!   itself stays PIC; only the launcher's link changes.
//! - the unwinder linked statically: std asks for `-lgcc_s`, and loading
//!   that shared library (and binding its symbols) costs about as much as
//!   the rest of the dynamic loader's work. A directory holding a static
//!   archive under the name `libgcc_s.a` (gcc's own `libgcc_eh.a`, the
//!   unwinder `-static-libgcc` would link) is searched first, so the linker
//!   takes the archive; unwinding (the dispatcher's panic guard) works the
//!   same. When the compiler has no `libgcc_eh.a`, nothing changes.
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    if os != "linux" || env != "gnu" {
        return;
    }
    println!("cargo:rustc-link-arg-bin=paii=-no-pie");
    if let Some(dir) = static_unwinder() {
        println!("cargo:rustc-link-arg-bin=paii=-L{}", dir.display());
    }
}

/// A directory in OUT_DIR with gcc's static unwinder as `libgcc_s.a`.
fn static_unwinder() -> Option<PathBuf> {
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(cc).arg("-print-file-name=libgcc_eh.a").output().ok()?;
    let archive = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    // An unknown file is printed back as its bare name.
    if !archive.is_absolute() || !archive.is_file() {
        return None;
    }
    let dir = PathBuf::from(std::env::var_os("OUT_DIR")?).join("static-unwinder");
    std::fs::create_dir_all(&dir).ok()?;
    std::fs::copy(&archive, dir.join("libgcc_s.a")).ok()?;
    println!("cargo:rerun-if-changed={}", archive.display());
    Some(dir)
}
