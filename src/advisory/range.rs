//! OSV's affected ranges, evaluated as the schema defines them: the events
//! of a range in version order, `introduced` opening, `fixed` closing (the
//! fix excluded), `last_affected` closing after itself, `limit` bounding
//! the whole; plus an explicit `versions` list. Versions compare as their
//! ecosystem orders them: semver for crates.io, PEP 440 for PyPI.

use std::cmp::Ordering;
use std::str::FromStr;

use serde::Deserialize;

use super::Affected;
use crate::inventory::Ecosystem;

#[derive(Debug, Clone, Deserialize)]
pub struct Range {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub events: Vec<Event>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Event {
    pub introduced: Option<String>,
    pub fixed: Option<String>,
    pub last_affected: Option<String>,
    pub limit: Option<String>,
}

/// A version as its ecosystem orders it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Version {
    Semver(semver::Version),
    Pep440(pep440_rs::Version),
    /// `0` in an `introduced` event: before every version.
    Zero,
}

impl Version {
    fn parse(ecosystem: Ecosystem, s: &str) -> Option<Version> {
        let s = s.trim();
        if s == "0" {
            return Some(Version::Zero);
        }
        match ecosystem {
            // Build metadata (`+3.0.7`) does not order versions (semver §10).
            Ecosystem::Cargo => semver::Version::parse(s).ok().map(|mut v| {
                v.build = semver::BuildMetadata::EMPTY;
                Version::Semver(v)
            }),
            Ecosystem::PyPI => pep440_rs::Version::from_str(s).ok().map(Version::Pep440),
        }
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Version::Zero, Version::Zero) => Some(Ordering::Equal),
            (Version::Zero, _) => Some(Ordering::Less),
            (_, Version::Zero) => Some(Ordering::Greater),
            (Version::Semver(a), Version::Semver(b)) => Some(a.cmp(b)),
            (Version::Pep440(a), Version::Pep440(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Whether `version` is in `affected`'s listed versions or any of its
/// SEMVER or ECOSYSTEM ranges (GIT ranges name commits, which a lockfile
/// does not record; the databases list the versions they cover too).
pub fn affected(ecosystem: Ecosystem, affected: &Affected, version: &str) -> bool {
    let Some(v) = Version::parse(ecosystem, version) else {
        crate::debug!("`{version}` is not a {ecosystem} version; no advisory range can match it");
        return affected.versions.iter().any(|l| l == version);
    };
    // A local build of a listed release (`1.2.3+ubuntu1`) is that release.
    let public = match &v {
        Version::Pep440(p) => Version::Pep440(p.clone().without_local()),
        other => other.clone(),
    };
    let listed = affected.versions.iter().any(|l| l == version || Version::parse(ecosystem, l).is_some_and(|l| l == v || l == public));
    listed || affected.ranges.iter().filter(|r| r.kind == "SEMVER" || r.kind == "ECOSYSTEM").any(|r| in_range(ecosystem, r, &v))
}

/// The versions above `version` that `affected`'s ranges name as fixes, in
/// version order: the upgrades a reader can pick from. GIT ranges' fixes
/// are commits, which a lockfile cannot pin, and a fix below the version
/// in use is a downgrade, so neither is offered.
pub fn fixes(ecosystem: Ecosystem, affected: &Affected, version: &str) -> Vec<String> {
    let current = Version::parse(ecosystem, version);
    let mut fixes: Vec<(Version, &str)> = affected
        .ranges
        .iter()
        .filter(|r| r.kind == "SEMVER" || r.kind == "ECOSYSTEM")
        .flat_map(|r| r.events.iter().filter_map(|e| e.fixed.as_deref()))
        .filter_map(|f| Some((Version::parse(ecosystem, f)?, f)))
        .filter(|(f, _)| current.as_ref().is_none_or(|c| f > c))
        .collect();
    fixes.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal));
    fixes.dedup_by(|a, b| a.0 == b.0);
    fixes.into_iter().map(|(_, f)| f.trim().to_string()).collect()
}

/// What in `affected`'s SEMVER and ECOSYSTEM ranges is not a version of
/// `ecosystem`: an event paii would have to skip, so that the range it
/// bounds may cover more or fewer versions than its authors meant. Each
/// as `ranges[i]: \`fixed: "1.x"\` is not a semver version`.
pub fn malformed(ecosystem: Ecosystem, affected: &Affected) -> Vec<String> {
    let kind = match ecosystem {
        Ecosystem::Cargo => "semver",
        Ecosystem::PyPI => "PEP 440",
    };
    let mut out = Vec::new();
    for (i, r) in affected.ranges.iter().enumerate().filter(|(_, r)| r.kind == "SEMVER" || r.kind == "ECOSYSTEM") {
        for e in &r.events {
            let fields = [("introduced", &e.introduced), ("fixed", &e.fixed), ("last_affected", &e.last_affected), ("limit", &e.limit)];
            for (field, value) in fields {
                let Some(value) = value.as_deref() else { continue };
                let exempt = (field == "limit" && value == "*") || value.trim() == "0";
                if !exempt && Version::parse(ecosystem, value).is_none() {
                    out.push(format!("ranges[{i}]: `{field}: {value:?}` is not a {kind} version"));
                }
            }
            if e.introduced.is_none() && e.fixed.is_none() && e.last_affected.is_none() && e.limit.is_none() {
                out.push(format!("ranges[{i}]: an event names none of introduced, fixed, last_affected or limit"));
            }
        }
    }
    out
}

fn in_range(ecosystem: Ecosystem, range: &Range, v: &Version) -> bool {
    let parse = |s: &Option<String>| s.as_deref().and_then(|s| Version::parse(ecosystem, s));
    // `limit: "*"` bounds nothing.
    let limits: Vec<Version> = range.events.iter().filter(|e| e.limit.as_deref() != Some("*")).filter_map(|e| parse(&e.limit)).collect();
    if !limits.is_empty() && !limits.iter().any(|l| v < l) {
        return false;
    }
    // (version of the event, what it does), in version order.
    enum Kind {
        Introduced,
        Fixed,
        LastAffected,
    }
    let mut events: Vec<(Version, Kind)> = Vec::new();
    for e in &range.events {
        if let Some(x) = parse(&e.introduced) {
            events.push((x, Kind::Introduced));
        } else if let Some(x) = parse(&e.fixed) {
            events.push((x, Kind::Fixed));
        } else if let Some(x) = parse(&e.last_affected) {
            events.push((x, Kind::LastAffected));
        }
    }
    events.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(Ordering::Equal));
    let mut affected = false;
    for (at, kind) in &events {
        match kind {
            Kind::Introduced if v >= at => affected = true,
            Kind::Fixed if v >= at => affected = false,
            Kind::LastAffected if v > at => affected = false,
            _ => {}
        }
    }
    affected
}

#[cfg(test)]
mod tests {
    use super::*;

    fn affected(events: &[(&str, &str)], versions: &[&str]) -> Affected {
        let events = events
            .iter()
            .map(|(k, v)| {
                let mut e = Event::default();
                let v = Some(v.to_string());
                match *k {
                    "introduced" => e.introduced = v,
                    "fixed" => e.fixed = v,
                    "last_affected" => e.last_affected = v,
                    _ => e.limit = v,
                }
                e
            })
            .collect();
        Affected {
            package: None,
            ranges: vec![Range { kind: "ECOSYSTEM".into(), events }],
            versions: versions.iter().map(|s| s.to_string()).collect(),
            severity: vec![],
            database_specific: None,
        }
    }

    #[test]
    fn introduced_opens_fixed_closes_and_last_affected_includes_itself() {
        let a = affected(&[("introduced", "0"), ("fixed", "1.2.0"), ("introduced", "2.0.0"), ("last_affected", "2.1.0")], &[]);
        for (v, want) in
            [("0.1.0", true), ("1.1.9", true), ("1.2.0", false), ("1.9.0", false), ("2.0.0", true), ("2.1.0", true), ("2.1.1", false)]
        {
            assert_eq!(super::affected(Ecosystem::Cargo, &a, v), want, "{v}");
        }
    }

    #[test]
    fn pep_440_orders_pre_releases_and_normal_forms() {
        let a = affected(&[("introduced", "1.0"), ("fixed", "1.4.0rc1")], &[]);
        assert!(super::affected(Ecosystem::PyPI, &a, "1.3.99"));
        assert!(super::affected(Ecosystem::PyPI, &a, "1.4.0a1"));
        assert!(!super::affected(Ecosystem::PyPI, &a, "1.4"));
        assert!(!super::affected(Ecosystem::PyPI, &a, "0.9"));
        // 1.0 and 1.0.0 are one version in PEP 440.
        assert!(super::affected(Ecosystem::PyPI, &affected(&[], &["1.0"]), "1.0.0"));
    }

    #[test]
    fn fixes_offered_are_upgrades_in_version_order_without_commits() {
        let mut a =
            affected(&[("introduced", "0"), ("fixed", "0.2.10"), ("introduced", "0.3.0"), ("fixed", "0.2.9"), ("fixed", "0.1.5")], &[]);
        a.ranges.push(Range { kind: "GIT".into(), events: vec![Event { fixed: Some("c45d7c49ea75".into()), ..Event::default() }] });
        assert_eq!(fixes(Ecosystem::Cargo, &a, "0.2.0"), ["0.2.9", "0.2.10"]);
        assert_eq!(fixes(Ecosystem::Cargo, &a, "0.2.10"), Vec::<String>::new());
        // PEP 440 forms of one version are one fix.
        let p = affected(&[("introduced", "0"), ("fixed", "2.0"), ("fixed", "2.0.0"), ("fixed", "10.1")], &[]);
        assert_eq!(fixes(Ecosystem::PyPI, &p, "1.9"), ["2.0", "10.1"]);
    }

    #[test]
    fn events_that_are_not_versions_of_the_ecosystem_are_named() {
        let a = affected(&[("introduced", "0"), ("fixed", "1.x"), ("limit", "*")], &[]);
        assert_eq!(malformed(Ecosystem::Cargo, &a), [r#"ranges[0]: `fixed: "1.x"` is not a semver version"#]);
        let ok = affected(&[("introduced", "0.0.0-0"), ("fixed", "1.2.3")], &[]);
        assert!(malformed(Ecosystem::Cargo, &ok).is_empty());
        // `1.2` is a PEP 440 version but not a semver one.
        let short = affected(&[("introduced", "0"), ("fixed", "1.2")], &[]);
        assert!(malformed(Ecosystem::PyPI, &short).is_empty());
        assert_eq!(malformed(Ecosystem::Cargo, &short).len(), 1);
    }

    #[test]
    fn a_limit_bounds_the_range() {
        let a = affected(&[("introduced", "0"), ("limit", "3.0.0")], &[]);
        assert!(super::affected(Ecosystem::Cargo, &a, "2.9.9"));
        assert!(!super::affected(Ecosystem::Cargo, &a, "3.0.0"));
    }

    #[test]
    fn build_metadata_and_local_labels_do_not_hide_a_release() {
        let a = affected(&[("introduced", "0"), ("last_affected", "300.0.11")], &["0.11.0"]);
        assert!(super::affected(Ecosystem::Cargo, &a, "300.0.11+3.0.7"));
        assert!(super::affected(Ecosystem::Cargo, &a, "0.11.0+wasi-snapshot-preview1"));
        let p = affected(&[], &["2.0.1"]);
        assert!(super::affected(Ecosystem::PyPI, &p, "2.0.1+cpu"));
        assert!(super::affected(Ecosystem::Cargo, &affected(&[("introduced", "0"), ("limit", "*")], &[]), "9.9.9"));
    }

    #[test]
    fn semver_pre_release_zero_is_before_everything() {
        let a = affected(&[("introduced", "0.0.0-0"), ("fixed", "0.3.0")], &[]);
        assert!(super::affected(Ecosystem::Cargo, &a, "0.0.1"));
        assert!(super::affected(Ecosystem::Cargo, &a, "0.2.0"));
    }
}
