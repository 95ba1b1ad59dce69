//! Diagnostic logging on stderr, filtered by `PAII_LOG` (`error`, `warn`,
//! `info`, `debug`, `trace`; default `info`) and raised by `-v` / `-vv`.
//! Messages for people (status lines, warnings) go through the CLI printer;
//! this is for finding out what paii did and why.

use std::sync::atomic::{AtomicU8, Ordering};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Level {
    Error = 0,
    Warn = 1,
    Info = 2,
    Debug = 3,
    Trace = 4,
}

static LEVEL: AtomicU8 = AtomicU8::new(Level::Info as u8);

impl Level {
    fn parse(s: &str) -> Option<Level> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "error" | "off" => Level::Error,
            "warn" | "warning" => Level::Warn,
            "info" => Level::Info,
            "debug" => Level::Debug,
            "trace" => Level::Trace,
            _ => return None,
        })
    }
}

/// Sets the level from `PAII_LOG`, then `-v` (each one level more).
pub fn init(verbose: u8) {
    let base = std::env::var("PAII_LOG").ok().and_then(|s| Level::parse(&s)).unwrap_or(Level::Info);
    let level = (base as u8).saturating_add(verbose).min(Level::Trace as u8);
    LEVEL.store(level, Ordering::Relaxed);
}

pub fn enabled(level: Level) -> bool {
    level as u8 <= LEVEL.load(Ordering::Relaxed)
}

/// `debug!("loaded {} entries", n)`: printed with `-v` or `PAII_LOG=debug`.
#[macro_export]
macro_rules! debug {
    ($($arg:tt)*) => {
        if $crate::util::log::enabled($crate::util::log::Level::Debug) {
            eprintln!("debug: {}", format_args!($($arg)*));
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_parse_and_order() {
        assert_eq!(Level::parse("DEBUG"), Some(Level::Debug));
        assert_eq!(Level::parse("nonsense"), None);
        assert!(Level::Error < Level::Trace);
    }
}
