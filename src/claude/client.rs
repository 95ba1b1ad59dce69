//! The Claude Code client installed on this machine, for the plugins whose
//! plugin.json limits the versions they work with (`engines`).

use std::path::PathBuf;
use std::process::{Command, Stdio};

use semver::{Version, VersionReq};

/// `claude` on PATH.
fn binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path).map(|d| d.join("claude")).find(|p| p.is_file())
}

/// The version of the installed client (`claude --version`), if one is.
pub fn version() -> Option<Version> {
    let out = Command::new(binary()?).arg("--version").stdin(Stdio::null()).stderr(Stdio::null()).output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace().find_map(|w| Version::parse(w).ok())
}

/// An npm-style range (`>=2.1.0 <3`, `^2.1`, `2.1.x || >=3`) as a list of
/// requirements, any of which admits a version; `None` when it does not
/// parse.
pub fn parse_range(range: &str) -> Option<Vec<VersionReq>> {
    range
        .split("||")
        .map(|alt| {
            let words: Vec<&str> = alt.split_whitespace().collect();
            // `>= 2.1` is one comparator; `>=2.1 <3` two.
            let mut parts: Vec<String> = Vec::new();
            for w in words {
                match parts.last_mut() {
                    Some(last) if last.chars().all(|c| "<>=~^".contains(c)) => last.push_str(w),
                    _ => parts.push(w.to_string()),
                }
            }
            let text = if parts.is_empty() { "*".to_string() } else { parts.join(", ") };
            VersionReq::parse(&text.replace(".x", ".*")).ok()
        })
        .collect()
}

/// Whether `range` admits `version`, as Claude Code reads `engines`.
pub fn admits(range: &[VersionReq], version: &Version) -> bool {
    range.iter().any(|r| r.matches(version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn npm_style_ranges_are_read() {
        let v = Version::new(2, 1, 332);
        for (range, ok) in
            [(">=2.1.0", true), (">=2.1.0 <3", true), ("^2.2", false), ("2.1.x", true), ("<2 || >=2.1.300", true), (">= 3", false)]
        {
            let r = parse_range(range).unwrap_or_else(|| panic!("{range} parses"));
            assert_eq!(admits(&r, &v), ok, "{range}");
        }
        assert!(parse_range("not a range").is_none());
    }
}
