//! Diagnostic logging on stderr, filtered by `PAII_LOG` (`error`, `warn`,
//! `info`, `debug`, `trace`, or an `env_logger`-style filter such as
//! `warn,paii=debug`; default `info`) and raised by `-v` / `-vv`.
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

/// The level an `env_logger`-style filter gives paii: comma-separated
/// directives, a bare level for every target, `paii=LEVEL` (or a module
/// below it, `paii::source=debug`) for paii's own, which wins over a bare
/// level wherever it stands; directives for other targets are ignored.
fn filter_level(filter: &str) -> Option<Level> {
    let ours = |target: &str| target == "paii" || target.starts_with("paii::") || target.starts_with("paii_");
    let (mut own, mut default) = (None, None);
    for directive in filter.split(',').map(str::trim).filter(|d| !d.is_empty()) {
        match directive.split_once('=') {
            None if ours(directive) => own = Some(Level::Trace),
            None => default = Level::parse(directive).or(default),
            Some((target, l)) if ours(target.trim()) => own = Level::parse(l).or(own),
            Some(_) => {}
        }
    }
    own.or(default)
}

/// Sets the level from `PAII_LOG`, then `-v` (each one level more).
pub fn init(verbose: u8) {
    let base = std::env::var("PAII_LOG").ok().and_then(|s| filter_level(&s)).unwrap_or(Level::Info);
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

    #[test]
    fn filters_in_env_logger_form_give_paiis_level() {
        assert_eq!(filter_level("debug"), Some(Level::Debug));
        assert_eq!(filter_level("warn,paii=debug"), Some(Level::Debug));
        assert_eq!(filter_level("paii=debug,warn"), Some(Level::Debug), "paii's own directive wins wherever it stands");
        assert_eq!(filter_level("paii::source=trace, hyper=off"), Some(Level::Trace));
        assert_eq!(filter_level("reqwest=debug"), None, "another crate's directive");
        assert_eq!(filter_level("paii"), Some(Level::Trace));
        assert_eq!(filter_level("nonsense"), None);
    }
}
