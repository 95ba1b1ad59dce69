//! Semver helpers: the running paii's version, plugin names, and the
//! translation of cargo-style requirements into pubgrub ranges.

use pubgrub::Ranges;
use semver::{Comparator, Op, Prerelease, Version, VersionReq};

/// The version of this paii, checked against `core_version` requirements.
pub fn paii_version() -> Version {
    // CARGO_PKG_VERSION is a valid semver by cargo's own rules.
    Version::parse(env!("CARGO_PKG_VERSION")).unwrap_or_else(|_| Version::new(0, 0, 0))
}

/// `v` without build metadata, which semver says plays no part in
/// precedence: `1.0.0+b1` and `1.0.0` are the same version to a resolver.
pub fn precedence(v: &Version) -> Version {
    Version { build: semver::BuildMetadata::EMPTY, ..v.clone() }
}

/// What the lock and `PAII_CONTRACT_<KEY>` say of a contract nothing
/// provides: no plugin may be called that.
pub const NO_PROVIDER: &str = "none";

/// `[a-z0-9][a-z0-9-]*`, the rule for plugin and registry names.
pub fn is_valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

/// [`is_valid_name`], less [`NO_PROVIDER`]: the rule where a plugin's name
/// can reach the lock (paii.toml, plugin.toml, a registry entry). A Claude
/// Code marketplace's names are not held to it; such a plugin is refused
/// only when asked for.
pub fn is_valid_plugin_name(name: &str) -> bool {
    name != NO_PROVIDER && is_valid_name(name)
}

pub fn name_error(name: &str) -> String {
    if name == NO_PROVIDER {
        return format!("`{NO_PROVIDER}` cannot be a name: paii.lock says `{NO_PROVIDER}` for a contract nothing provides");
    }
    format!("invalid name `{name}`: names are lower-case letters, digits and `-`, starting with a letter or digit")
}

/// Parses a requirement with a message that shows what was found.
pub fn parse_req(s: &str) -> Result<VersionReq, String> {
    VersionReq::parse(s).map_err(|e| format!("invalid version requirement `{s}`: {e}"))
}

/// Parses a version with a message that shows what was found.
pub fn parse_version(s: &str) -> Result<Version, String> {
    Version::parse(s).map_err(|e| format!("invalid version `{s}`: {e} (expected semver such as `1.2.0`)"))
}

/// The set of versions a requirement admits, as pubgrub ranges.
///
/// Semver's rule that pre-releases match only comparators naming the same
/// `major.minor.patch` is not expressible as ranges; callers filter candidate
/// versions with [`VersionReq::matches`] as well.
pub fn req_to_ranges(req: &VersionReq) -> Ranges<Version> {
    req.comparators.iter().fold(Ranges::full(), |acc, c| acc.intersection(&comparator_ranges(c)))
}

fn v(major: u64, minor: u64, patch: u64) -> Version {
    Version::new(major, minor, patch)
}

fn comparator_ranges(c: &Comparator) -> Ranges<Version> {
    let major = c.major;
    let exact =
        || Version { major, minor: c.minor.unwrap_or(0), patch: c.patch.unwrap_or(0), pre: c.pre.clone(), build: Default::default() };
    // The range [lower, upper) covered by the comparator's partial version.
    let span = || -> (Version, Version) {
        match (c.minor, c.patch) {
            (None, _) => (v(major, 0, 0), v(major + 1, 0, 0)),
            (Some(minor), None) => (v(major, minor, 0), v(major, minor + 1, 0)),
            (Some(_), Some(_)) => {
                let lo = exact();
                let hi = Version { pre: Prerelease::EMPTY, ..lo.clone() };
                let hi = Version { patch: hi.patch + 1, ..hi };
                (lo, hi)
            }
        }
    };
    match c.op {
        Op::Exact => match (c.minor, c.patch) {
            (Some(_), Some(_)) => Ranges::singleton(exact()),
            _ => {
                let (lo, hi) = span();
                Ranges::between(lo, hi)
            }
        },
        Op::Greater => match (c.minor, c.patch) {
            (Some(_), Some(_)) => Ranges::strictly_higher_than(exact()),
            _ => Ranges::higher_than(span().1),
        },
        Op::GreaterEq => Ranges::higher_than(span().0),
        Op::Less => Ranges::strictly_lower_than(span().0),
        Op::LessEq => match (c.minor, c.patch) {
            (Some(_), Some(_)) => Ranges::lower_than(exact()),
            _ => Ranges::strictly_lower_than(span().1),
        },
        Op::Tilde => {
            let lo = span().0;
            let lo = if c.patch.is_some() { exact() } else { lo };
            let hi = match c.minor {
                Some(minor) => v(major, minor + 1, 0),
                None => v(major + 1, 0, 0),
            };
            Ranges::between(lo, hi)
        }
        Op::Caret => {
            let lo = if c.patch.is_some() { exact() } else { span().0 };
            let hi = match (major, c.minor, c.patch) {
                (0, None, _) => v(1, 0, 0),
                (0, Some(0), None) => v(0, 1, 0),
                (0, Some(0), Some(patch)) => v(0, 0, patch + 1),
                (0, Some(minor), _) => v(0, minor + 1, 0),
                (_, _, _) => v(major + 1, 0, 0),
            };
            Ranges::between(lo, hi)
        }
        Op::Wildcard => {
            let (lo, hi) = span();
            Ranges::between(lo, hi)
        }
        // `Op` is non-exhaustive; an operator semver adds later is treated as
        // admitting nothing rather than everything.
        _ => Ranges::empty(),
    }
}

/// The version of a plugin that names none: `0.0.0+<first 7 of id>`, which
/// `"*"` matches.
pub fn unversioned(id: &str) -> semver::Version {
    let mut v = semver::Version::new(0, 0, 0);
    v.build = semver::BuildMetadata::new(&id[..id.len().min(7)]).unwrap_or(semver::BuildMetadata::EMPTY);
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_follow_the_contract_rule() {
        for ok in ["security", "a", "0day", "my-plugin-2"] {
            assert!(is_valid_name(ok), "{ok}");
        }
        for bad in ["", "-x", "Security", "my_plugin", "a.b", "é"] {
            assert!(!is_valid_name(bad), "{bad}");
        }
        assert!(is_valid_name(NO_PROVIDER) && !is_valid_plugin_name(NO_PROVIDER) && is_valid_plugin_name("security"));
        assert!(name_error(NO_PROVIDER).contains("a contract nothing provides"));
    }

    #[test]
    fn caret_and_tilde_ranges_agree_with_semver_on_examples() {
        let cases = [
            ("^1.2", "1.9.9", true),
            ("^1.2", "2.0.0", false),
            ("^0.2.3", "0.2.9", true),
            ("^0.2.3", "0.3.0", false),
            ("^0.0.3", "0.0.4", false),
            ("~1.2", "1.2.7", true),
            ("~1.2", "1.3.0", false),
            (">=1.0, <1.5", "1.4.0", true),
            ("=1.2", "1.2.5", true),
            ("<=1.2", "1.2.9", true),
            (">1.2", "1.2.9", false),
            ("*", "7.0.0", true),
        ];
        for (req, ver, expected) in cases {
            let r = req_to_ranges(&VersionReq::parse(req).unwrap());
            assert_eq!(r.contains(&Version::parse(ver).unwrap()), expected, "{req} vs {ver}");
        }
    }

    fn arb_req() -> impl Strategy<Value = String> {
        let op = prop_oneof![Just(""), Just("="), Just(">"), Just(">="), Just("<"), Just("<="), Just("~"), Just("^")];
        (op, 0u64..4, proptest::option::of(0u64..4), proptest::option::of(0u64..4)).prop_map(|(op, major, minor, patch)| {
            match (minor, patch) {
                (None, _) => format!("{op}{major}"),
                (Some(mi), None) => format!("{op}{major}.{mi}"),
                (Some(mi), Some(p)) => format!("{op}{major}.{mi}.{p}"),
            }
        })
    }

    proptest! {
        /// For release versions the ranges admit exactly what semver matches.
        #[test]
        fn ranges_match_semver_for_release_versions(
            req in arb_req(), req2 in arb_req(), major in 0u64..5, minor in 0u64..5, patch in 0u64..5
        ) {
            let req = VersionReq::parse(&format!("{req}, {req2}")).unwrap();
            let ver = Version::new(major, minor, patch);
            prop_assert_eq!(req_to_ranges(&req).contains(&ver), req.matches(&ver), "{} vs {}", req, ver);
        }
    }
}
