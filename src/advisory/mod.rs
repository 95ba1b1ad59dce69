//! Security advisories in the OSV format (<https://ossf.github.io/osv-schema/>),
//! as RustSec and the PyPA publish them: parsed into typed records once,
//! matched against a plugin's packages by the version ranges OSV defines
//! (`range`), read from a database kept in the store (`db`).

pub mod db;
pub mod range;

use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::inventory::Ecosystem;

/// One OSV record.
#[derive(Debug, Clone, Deserialize)]
pub struct Advisory {
    pub id: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub details: String,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// When set, the advisory was retracted and matches nothing.
    pub withdrawn: Option<String>,
    pub published: Option<String>,
    #[serde(default)]
    pub severity: Vec<SeverityScore>,
    #[serde(default)]
    pub affected: Vec<Affected>,
    #[serde(default)]
    pub references: Vec<OsvReference>,
    #[serde(default)]
    pub database_specific: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct SeverityScore {
    #[serde(rename = "type")]
    pub kind: String,
    pub score: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OsvReference {
    #[serde(rename = "type")]
    pub kind: String,
    pub url: String,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Affected {
    pub package: Option<OsvPackage>,
    #[serde(default)]
    pub ranges: Vec<range::Range>,
    #[serde(default)]
    pub versions: Vec<String>,
    #[serde(default)]
    pub severity: Vec<SeverityScore>,
    #[serde(default)]
    pub database_specific: Option<Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct OsvPackage {
    pub ecosystem: String,
    pub name: String,
}

/// How bad a finding is, by CVSS base score (or the database's own word
/// for it when no vector is given).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub fn from_score(score: f64) -> Option<Severity> {
        match score {
            s if s >= 9.0 => Some(Severity::Critical),
            s if s >= 7.0 => Some(Severity::High),
            s if s >= 4.0 => Some(Severity::Medium),
            s if s > 0.0 => Some(Severity::Low),
            _ => None,
        }
    }

    fn from_word(word: &str) -> Option<Severity> {
        match word.to_ascii_lowercase().as_str() {
            "low" => Some(Severity::Low),
            "moderate" | "medium" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }
}

/// A record the database holds but paii cannot read.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("cannot read the advisory {}: {message}", path.display())]
#[diagnostic(help(
    "the advisory database is expected in OSV format (JSON or YAML), as RustSec's `osv` branch and pypa/advisory-database publish it"
))]
pub struct AdvisoryError {
    pub path: std::path::PathBuf,
    pub message: String,
}

impl Advisory {
    /// Reads one record: OSV JSON (`.json`) or YAML (`.yaml`, `.yml`).
    pub fn load(path: &Path) -> Result<Advisory, AdvisoryError> {
        let err = |message: String| AdvisoryError { path: path.to_path_buf(), message };
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let value = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| err(e.to_string()))?
        } else {
            let docs = yaml_rust2::YamlLoader::load_from_str(&text).map_err(|e| err(e.to_string()))?;
            docs.into_iter().next().map(yaml_to_json).unwrap_or(Value::Null)
        };
        serde_json::from_value(value).map_err(|e| err(e.to_string()))
    }

    /// The highest severity any of its CVSS vectors scores, else the
    /// database's word for it; `None` when it says nothing.
    pub fn severity(&self) -> Option<Severity> {
        let scored = self
            .severity
            .iter()
            .chain(self.affected.iter().flat_map(|a| &a.severity))
            .filter_map(|s| s.score.parse::<cvss::Cvss>().ok())
            .filter_map(|c| Severity::from_score(c.score()))
            .max();
        scored.or_else(|| {
            let word = |v: &Option<Value>| v.as_ref().and_then(|d| d.get("severity")).and_then(Value::as_str).and_then(Severity::from_word);
            word(&self.database_specific).or_else(|| self.affected.iter().find_map(|a| word(&a.database_specific)))
        })
    }

    /// RustSec's informational kinds (`unmaintained`, `unsound`, `notice`):
    /// warnings, not vulnerabilities.
    pub fn informational(&self) -> Option<String> {
        self.affected
            .iter()
            .filter_map(|a| a.database_specific.as_ref()?.get("informational")?.as_str())
            .next()
            .or_else(|| self.database_specific.as_ref()?.get("informational")?.as_str())
            .map(str::to_string)
    }

    /// Whether `version` of the package `name` in `ecosystem` is affected.
    pub fn affects(&self, ecosystem: Ecosystem, name: &str, version: &str) -> bool {
        self.withdrawn.is_none() && self.entries_for(ecosystem, name).any(|(_, a)| range::affected(ecosystem, a, version))
    }

    /// The versions of `name` above `version` that fix this advisory, in
    /// version order (only this package's ranges: one record may cover
    /// several packages, each fixed at its own versions).
    pub fn fixes(&self, ecosystem: Ecosystem, name: &str, version: &str) -> Vec<String> {
        let mut fixes: Vec<String> = Vec::new();
        for (_, a) in self.entries_for(ecosystem, name) {
            for f in range::fixes(ecosystem, a, version) {
                if !fixes.contains(&f) {
                    fixes.push(f);
                }
            }
        }
        fixes
    }

    /// What in this package's ranges paii cannot read as versions, each
    /// naming its entry: `affected[0] ranges[1]: \`fixed: "x"\` is not a
    /// semver version`. Empty for a well-formed record.
    pub fn malformed(&self, ecosystem: Ecosystem, name: &str) -> Vec<String> {
        self.entries_for(ecosystem, name)
            .flat_map(|(j, a)| range::malformed(ecosystem, a).into_iter().map(move |m| format!("affected[{j}] {m}")))
            .collect()
    }

    /// The `affected` entries that name the package `name` in `ecosystem`,
    /// with their index in the record.
    fn entries_for<'a>(&'a self, ecosystem: Ecosystem, name: &str) -> impl Iterator<Item = (usize, &'a Affected)> {
        let want = ecosystem.normalize(name);
        self.affected.iter().enumerate().filter(move |(_, a)| {
            a.package.as_ref().is_some_and(|p| ecosystem_matches(ecosystem, &p.ecosystem) && ecosystem.normalize(&p.name) == want)
        })
    }

    /// What a one-line report says of it: the summary, else the first
    /// sentence of the details (PyPA's records carry only details, often a
    /// paragraph), cut at a readable length.
    pub fn headline(&self) -> String {
        const MAX: usize = 160;
        if !self.summary.trim().is_empty() {
            return self.summary.trim().to_string();
        }
        let text = self.details.split_whitespace().collect::<Vec<_>>().join(" ");
        // A sentence ends at ". ", but not after "e.g." or "i.e.", nor in
        // its first 20 characters (an abbreviation such as "Ver. 2").
        let end =
            text.match_indices(". ").map(|(i, _)| i + 1).find(|&i| !text[..i].ends_with("e.g.") && !text[..i].ends_with("i.e.") && i >= 20);
        let sentence = &text[..end.unwrap_or(text.len())];
        if sentence.chars().count() <= MAX {
            return sentence.to_string();
        }
        let cut: String = sentence.chars().take(MAX).collect();
        let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
        format!("{}…", cut.trim_end_matches([',', ';', ':']))
    }

    /// Every id it is known by: its own, then its aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// The page a reader follows: the advisory reference that names the
    /// record (rustsec.org/advisories/RUSTSEC-…, github.com/advisories/
    /// GHSA-…), else, for a record of a database osv.dev mirrors, its
    /// osv.dev page, else the first advisory or other reference. A vendor's
    /// errata page that happens to come first is rarely the one to read.
    pub fn url(&self) -> Option<String> {
        let names_record = |url: &str| self.ids().any(|id| url.contains(id));
        if let Some(r) = self.references.iter().find(|r| r.kind == "ADVISORY" && names_record(&r.url)) {
            return Some(r.url.clone());
        }
        const MIRRORED: [&str; 3] = ["RUSTSEC-", "PYSEC-", "GHSA-"];
        if MIRRORED.iter().any(|p| self.id.starts_with(p)) {
            return Some(format!("https://osv.dev/vulnerability/{}", self.id));
        }
        self.references.iter().find(|r| r.kind == "ADVISORY").or_else(|| self.references.first()).map(|r| r.url.clone())
    }
}

/// OSV ecosystems may carry a suffix (`PyPI`, `crates.io`, `Debian:11`).
pub fn ecosystem_matches(ecosystem: Ecosystem, osv: &str) -> bool {
    osv.split(':').next().is_some_and(|e| e == ecosystem.osv_name())
}

/// A YAML document as JSON, every scalar that is not a list or map kept as
/// the text it was written as: `fixed: 4.2` is the version "4.2", not a float.
pub fn yaml_to_json(y: yaml_rust2::Yaml) -> Value {
    use yaml_rust2::Yaml;
    match y {
        Yaml::Real(s) | Yaml::String(s) => Value::String(s),
        Yaml::Integer(i) => Value::String(i.to_string()),
        Yaml::Boolean(b) => Value::Bool(b),
        Yaml::Array(a) => Value::Array(a.into_iter().map(yaml_to_json).collect()),
        Yaml::Hash(h) => Value::Object(
            h.into_iter()
                .filter_map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) | Yaml::Real(s) => s,
                        Yaml::Integer(i) => i.to_string(),
                        Yaml::Boolean(b) => b.to_string(),
                        _ => return None,
                    };
                    Some((key, yaml_to_json(v)))
                })
                .collect(),
        ),
        Yaml::Null | Yaml::BadValue | Yaml::Alias(_) => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(rel: &str) -> Advisory {
        Advisory::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/advisories").join(rel)).unwrap()
    }

    #[test]
    fn rustsec_osv_records_match_semver_ranges_and_score_by_cvss() {
        let a = fixture("rustsec/RUSTSEC-2024-0336.json");
        assert!(a.affects(Ecosystem::Cargo, "rustls", "0.21.10"));
        assert!(!a.affects(Ecosystem::Cargo, "rustls", "0.21.11"));
        assert!(a.affects(Ecosystem::Cargo, "rustls", "0.23.4"));
        assert!(!a.affects(Ecosystem::Cargo, "rustls", "0.23.5"));
        assert!(!a.affects(Ecosystem::PyPI, "rustls", "0.21.10"));
        assert_eq!(a.severity(), Some(Severity::High));
        assert_eq!(a.informational(), None);
        // A CVSS 4 vector scores too.
        assert!(fixture("rustsec/RUSTSEC-2026-0020.json").severity().is_some());
    }

    #[test]
    fn a_finding_offers_this_packages_upgrades_and_a_page_that_names_the_record() {
        let a = fixture("rustsec/RUSTSEC-2024-0336.json");
        assert_eq!(a.fixes(Ecosystem::Cargo, "rustls", "0.21.10"), ["0.21.11", "0.22.4", "0.23.5"]);
        assert_eq!(a.fixes(Ecosystem::Cargo, "rustls", "0.23.4"), ["0.23.5"]);
        assert!(a.fixes(Ecosystem::Cargo, "other", "0.1.0").is_empty());
        assert_eq!(a.url().as_deref(), Some("https://rustsec.org/advisories/RUSTSEC-2024-0336.html"));
        // A PyPA record whose references are vendors' pages: osv.dev's.
        let d = fixture("pypa/django/PYSEC-2024-56.yaml");
        assert_eq!(d.url().as_deref(), Some("https://osv.dev/vulnerability/PYSEC-2024-56"));
        // A private database's record: its first reference.
        let private: Advisory = serde_json::from_value(serde_json::json!({
            "id": "ACME-1", "references": [{"type": "WEB", "url": "https://acme.example/1"}],
        }))
        .unwrap();
        assert_eq!(private.url().as_deref(), Some("https://acme.example/1"));
    }

    #[test]
    fn a_record_without_a_summary_is_headed_by_its_first_sentence() {
        let record =
            |details: &str| -> Advisory { serde_json::from_value(serde_json::json!({"id": "PYSEC-1", "details": details})).unwrap() };
        let a = record("urllib3 before 1.24.2 does not remove the authorization header,\n e.g. on a redirect. Later text.");
        assert_eq!(a.headline(), "urllib3 before 1.24.2 does not remove the authorization header, e.g. on a redirect.");
        let long = record(&"word ".repeat(100));
        let h = long.headline();
        assert!(h.ends_with('…') && h.chars().count() <= 161, "{h}");
        let summed: Advisory = serde_json::from_value(serde_json::json!({"id": "X", "summary": " Short ", "details": "Long."})).unwrap();
        assert_eq!(summed.headline(), "Short");
    }

    #[test]
    fn withdrawn_records_match_nothing_and_informational_ones_say_so() {
        let a = fixture("rustsec/RUSTSEC-2023-0002.json");
        assert!(a.withdrawn.is_some());
        let name = &a.affected[0].package.as_ref().unwrap().name;
        assert!(!a.affects(Ecosystem::Cargo, name, "0.0.1"));
        assert_eq!(fixture("rustsec/RUSTSEC-2024-0436.json").informational().as_deref(), Some("unmaintained"));
    }

    #[test]
    fn pypa_yaml_records_read_versions_as_text_and_match_pep_440() {
        let a = fixture("pypa/django/PYSEC-2024-56.yaml");
        assert!(a.affects(Ecosystem::PyPI, "Django", "4.2.13"));
        assert!(!a.affects(Ecosystem::PyPI, "django", "4.2.14"));
        assert!(!a.affects(Ecosystem::PyPI, "django", "4.1"));
        assert!(a.affects(Ecosystem::PyPI, "django", "5.0.6"));
        let py = fixture("pypa/py/PYSEC-2022-42969.yaml");
        // `last_affected` includes itself.
        let last = py.affected[0].ranges[0].events.iter().find_map(|e| e.last_affected.clone()).unwrap();
        assert!(py.affects(Ecosystem::PyPI, "py", &last));
        // Only an explicit list of versions.
        let g = fixture("pypa/gratient/PYSEC-2024-1.yaml");
        let listed = g.affected[0].versions[0].clone();
        assert!(g.affects(Ecosystem::PyPI, "gratient", &listed));
        assert!(!g.affects(Ecosystem::PyPI, "gratient", "999.0"));
    }
}
