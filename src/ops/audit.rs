//! `paii audit`: the Rust and Python packages the locked plugins pin,
//! checked against OSV advisory databases. Each database is a git source
//! brought into the store like a plugin and pinned in paii.lock
//! (`[[audit-database]]`): an audit says which commit it checked against,
//! `--offline` reuses that copy, `--locked` audits against it without
//! looking for a newer one.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use sha2::Digest;

use super::stage::inventory::{inventory, require_lock};
use super::{Context, Error};
use crate::advisory::db::Database;
use crate::advisory::{Advisory, Severity};
use crate::inventory::Ecosystem;
use crate::lock::{LockedDatabase, LockedSource};
use crate::manifest::project::AdvisoryDb;
use crate::source::SourceError;
use crate::source::git::{self, GitSpec};
use crate::store::Store;

pub struct AuditOptions {
    /// Use only the pinned copies in the store.
    pub offline: bool,
    /// Use the pinned commits; never move a pin or write paii.lock.
    pub locked: bool,
    pub jobs: usize,
}

/// What went wrong with an advisory database.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum AuditError {
    #[error("the advisory database `{name}` is not pinned in paii.lock")]
    #[diagnostic(help("run `paii audit` without --locked once to fetch and pin it"))]
    NotPinned { name: String },
    #[error("the advisory database `{name}` ({source_desc}) is not in the store, and --offline allows no network")]
    #[diagnostic(help("run `paii audit` once without --offline to fetch it"))]
    Offline { name: String, source_desc: String },
}

/// The audit's outcome.
#[derive(Debug, Serialize)]
pub struct Report {
    pub databases: Vec<DatabaseUsed>,
    pub plugins: usize,
    /// Distinct third-party packages checked.
    pub packages: usize,
    /// Vulnerabilities, most severe first.
    pub findings: Vec<Finding>,
    /// Informational advisories (unmaintained, unsound, notices): reported,
    /// never failing.
    pub warnings: Vec<Finding>,
    /// Findings `[audit] ignore` silenced.
    pub ignored: Vec<Finding>,
    /// Records of a database that could not be read, and records of the
    /// packages checked whose ranges hold something that is not a version
    /// (`<database>: <path>: <id> affected[0] ranges[0]: ...`).
    pub unreadable: Vec<String>,
    /// The threshold: findings at or above it (or without a score) fail.
    pub severity: Severity,
    /// Whether paii.lock was written (a database pin moved).
    pub lock_written: bool,
    /// paii.lock, relative to the working directory when inside it.
    pub lock: String,
}

#[derive(Debug, Serialize)]
pub struct DatabaseUsed {
    pub name: String,
    pub source: String,
    pub integrity: String,
    pub records: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: String,
    pub aliases: Vec<String>,
    pub plugin: String,
    pub plugin_version: String,
    pub ecosystem: Ecosystem,
    pub package: String,
    pub version: String,
    /// `None`: the advisory gives no score (it counts at every threshold).
    pub severity: Option<Severity>,
    /// RustSec's kind for an informational advisory.
    pub informational: Option<String>,
    pub summary: String,
    pub url: Option<String>,
    /// The versions above the one in use that fix it (its ranges' `fixed`
    /// events for this package), in version order.
    pub fixed: Vec<String>,
    /// The lockfile of the plugin that pins the package.
    pub lockfile: String,
    /// Why it is ignored, when it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored_because: Option<String>,
    pub database: String,
    /// The line of paii.lock that locks the plugin.
    #[serde(skip)]
    pub lock_line: usize,
}

impl Finding {
    /// What to upgrade to, as the reports say it.
    pub fn remedy(&self) -> String {
        if self.fixed.is_empty() { "no fixed version is known".to_string() } else { format!("fixed in {}", self.fixed.join(", ")) }
    }
}

impl Report {
    /// Whether a finding reaches the threshold (exit 1).
    pub fn fails(&self) -> bool {
        self.failing().next().is_some()
    }

    /// The findings at or above the threshold, or without a score.
    pub fn failing(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.severity.is_none_or(|s| s >= self.severity))
    }
}

pub fn run(ctx: &Context, opts: &AuditOptions, threshold: Severity) -> Result<Report, Error> {
    let manifest = ctx.load_manifest()?;
    // Fetching into the store, and writing the lock, as sync does.
    let _guard = ctx.lock_home("audit")?;
    let lock = require_lock(&manifest)?;
    let found = inventory(ctx, &manifest, &lock, opts.offline, opts.jobs)?;
    let home = crate::util::paths::paii_home();
    let store = Store::new(home.join("store"));
    let cache = home.join("cache");

    let mut pins = Vec::new();
    let mut databases = Vec::new();
    let mut dbs = Vec::new();
    for decl in &manifest.audit.databases {
        let pinned = lock.audit_databases.iter().find(|d| d.name == decl.name && same_source(d, decl));
        let (pin, root) = bring(decl, pinned, opts, &store, &cache)?;
        // `paii gc` keeps the copy `--offline` reads: one root per database
        // and paii.lock, so that two projects' pins both stay.
        let lock_id = crate::store::integrity::hex(&sha2::Sha256::digest(manifest.lock_path().to_string_lossy().as_bytes())[..6]);
        crate::store::set_root(&home, &format!("advisories-{}-{lock_id}", decl.name), &root)?;
        let db = Database::open(&decl.name, &root, &pin.integrity.hex(), &cache)?;
        (ctx.status)(&format!("advisories: {} at {} ({} records)", decl.name, crate::source::describe(&pin.source), db.records()));
        databases.push(DatabaseUsed {
            name: decl.name.clone(),
            source: pin.source.to_string(),
            integrity: pin.integrity.to_string(),
            records: db.records(),
        });
        pins.push(pin);
        dbs.push(db);
    }
    pins.sort_by(|a, b| a.name.cmp(&b.name));

    let mut lock_written = false;
    if !opts.locked && !opts.offline && lock.audit_databases != pins {
        // Only the pins change: read the lock again, as it is now.
        let mut now = require_lock(&manifest)?;
        now.audit_databases = pins;
        let path = manifest.lock_path();
        crate::util::fs::atomic_write(&path, now.to_toml().as_bytes()).map_err(Error::io("cannot write", &path))?;
        lock_written = true;
    }

    let mut report = Report {
        databases,
        plugins: found.len(),
        packages: 0,
        findings: Vec::new(),
        warnings: Vec::new(),
        ignored: Vec::new(),
        unreadable: dbs.iter().flat_map(|d| d.unreadable().iter().map(move |(p, why)| format!("{}: {p}: {why}", d.name))).collect(),
        severity: threshold,
        lock_written,
        lock: {
            let path = manifest.lock_path();
            let cwd = std::env::current_dir().unwrap_or_default();
            path.strip_prefix(&cwd).unwrap_or(&path).display().to_string()
        },
    };
    let lock_text = std::fs::read_to_string(manifest.lock_path()).unwrap_or_default();
    let mut checked = BTreeSet::new();
    // Every report, and where each id it is known by was reported.
    let mut all: Vec<Finding> = Vec::new();
    let mut seen = BTreeMap::new();
    for f in &found {
        let lockfile =
            |eco: Ecosystem| f.inventory.lockfiles.iter().find(|l| l.ecosystem == eco).map(|l| l.path.clone()).unwrap_or_default();
        for pkg in f.inventory.third_party().filter(|p| p.audited()) {
            checked.insert(pkg.key());
            for db in &dbs {
                for (path, a) in db.advisories(pkg.ecosystem, &pkg.name)? {
                    // A range paii cannot read may cover this version or
                    // not: said, never silently taken as "not affected".
                    let malformed = a.malformed(pkg.ecosystem, &pkg.name);
                    if !malformed.is_empty() {
                        let line = format!("{}: {path}: {} {}", db.name, a.id, malformed.join("; "));
                        if !report.unreadable.contains(&line) {
                            report.unreadable.push(line);
                        }
                    }
                    if !a.affects(pkg.ecosystem, &pkg.name, &pkg.version) {
                        continue;
                    }
                    // One report per advisory, plugin and package, however
                    // many databases carry it (by id or alias); a database
                    // that scores it (GitHub's, for a PyPA record that does
                    // not) lends the report its severity.
                    let key = |id: &str| (f.plugin.name.clone(), pkg.key(), id.to_string());
                    if let Some(&i) = a.ids().find_map(|id| seen.get(&key(id))) {
                        let earlier: &mut Finding = &mut all[i];
                        if let Some(score) = a.severity().filter(|&s| earlier.severity.is_none_or(|e| e < s)) {
                            earlier.severity = Some(score);
                        }
                        continue;
                    }
                    seen.extend(a.ids().map(|id| (key(id), all.len())));
                    let mut finding = finding(&a, f, pkg, lockfile(pkg.ecosystem), &db.name);
                    finding.lock_line = line_of(&lock_text, &f.plugin.name);
                    if let Some(ig) = manifest.audit.ignore.iter().find(|i| a.ids().any(|id| id == i.id)) {
                        finding.ignored_because = Some(ig.reason.clone().unwrap_or_else(|| "(no reason given)".into()));
                    }
                    all.push(finding);
                }
            }
        }
    }
    for finding in all {
        if finding.ignored_because.is_some() {
            report.ignored.push(finding);
        } else if finding.informational.is_some() {
            report.warnings.push(finding);
        } else {
            report.findings.push(finding);
        }
    }
    report.packages = checked.len();
    // Most severe first (unscored with the most severe), then by id.
    let order = |f: &Finding| (std::cmp::Reverse(f.severity.unwrap_or(Severity::Critical)), f.id.clone(), f.plugin.clone());
    report.findings.sort_by_key(order);
    report.warnings.sort_by_key(order);
    report.ignored.sort_by_key(order);
    Ok(report)
}

/// Whether a pin is of the database as paii.toml declares it now.
fn same_source(pin: &LockedDatabase, decl: &AdvisoryDb) -> bool {
    matches!(&pin.source, LockedSource::Git { url, rev, .. } if *url == crate::util::url::redact(&decl.url) && *rev == decl.rev)
        && pin.subdir == decl.subdir
}

/// The database's tree in the store, and its pin: the pinned commit with
/// `--locked` or `--offline`, else the newest commit of its branch.
fn bring(
    decl: &AdvisoryDb,
    pinned: Option<&LockedDatabase>,
    opts: &AuditOptions,
    store: &Store,
    cache: &std::path::Path,
) -> Result<(LockedDatabase, std::path::PathBuf), Error> {
    let desc = format!("git {}", crate::util::url::redact(&decl.url));
    let store_name = format!("advisories-{}", decl.name);
    let pinned_commit = pinned.and_then(|p| match &p.source {
        LockedSource::Git { commit, .. } => commit.clone(),
        _ => None,
    });
    if opts.offline || opts.locked {
        let Some(pin) = pinned else {
            return Err(match opts.offline {
                true => AuditError::Offline { name: decl.name.clone(), source_desc: desc }.into(),
                false => AuditError::NotPinned { name: decl.name.clone() }.into(),
            });
        };
        let version = pinned_commit.as_deref().map(short).unwrap_or_default();
        if let Some(entry) = store.get(&pin.integrity, &store_name, &version) {
            return Ok((pin.clone(), entry.path));
        }
        if opts.offline {
            return Err(AuditError::Offline { name: decl.name.clone(), source_desc: desc }.into());
        }
    }
    let commit = match (&pinned_commit, opts.locked) {
        (Some(c), true) => c.clone(),
        _ => {
            let spec = GitSpec { name: &decl.name, url: &decl.url, rev: decl.rev.as_deref(), commit: None };
            git::resolve(&spec, cache, false)?
        }
    };
    let expected = pinned.filter(|_| pinned_commit.as_deref() == Some(commit.as_str())).map(|p| p.integrity);
    let spec = GitSpec { name: &decl.name, url: &decl.url, rev: decl.rev.as_deref(), commit: Some(&commit) };
    let entry = match expected.and_then(|i| store.get(&i, &store_name, short(&commit).as_str())) {
        Some(e) => e,
        None => store.add::<SourceError>(&store_name, &desc, expected.as_ref(), |tree| {
            git::checkout(&spec, decl.subdir.as_deref(), cache, false, tree)?;
            Ok(short(&commit))
        })?,
    };
    let pin = LockedDatabase {
        name: decl.name.clone(),
        source: LockedSource::Git { url: decl.url.clone(), rev: decl.rev.clone(), commit: Some(commit) }.redacted(),
        subdir: decl.subdir.clone(),
        integrity: entry.integrity,
    };
    Ok((pin, entry.path))
}

/// A commit's first 12 digits: the "version" part of a store entry's name.
fn short(commit: &str) -> String {
    commit.chars().take(12).collect()
}

fn finding(a: &Advisory, f: &super::stage::inventory::Inventoried, pkg: &crate::inventory::Package, lockfile: String, db: &str) -> Finding {
    let fixed = a.fixes(pkg.ecosystem, &pkg.name, &pkg.version);
    Finding {
        id: a.id.clone(),
        aliases: a.aliases.clone(),
        plugin: f.plugin.name.clone(),
        plugin_version: f.plugin.version.to_string(),
        ecosystem: pkg.ecosystem,
        package: pkg.name.clone(),
        version: pkg.version.clone(),
        severity: a.severity(),
        informational: a.informational(),
        summary: a.headline(),
        url: a.url(),
        fixed,
        lockfile,
        ignored_because: None,
        database: db.to_string(),
        lock_line: 1,
    }
}

/// The line (from 1) of `name = "<plugin>"` in a `[[plugin]]` of the lock.
fn line_of(lock: &str, plugin: &str) -> usize {
    let want = format!("name = \"{plugin}\"");
    let mut in_plugin = false;
    for (i, line) in lock.lines().enumerate() {
        let line = line.trim();
        if line.starts_with('[') {
            in_plugin = line == "[[plugin]]";
        } else if in_plugin && line == want {
            return i + 1;
        }
    }
    1
}

/// The report as SARIF 2.1.0, for code scanning: a rule per advisory, a
/// result per finding at the plugin's entry in paii.lock.
pub fn sarif(report: &Report) -> serde_json::Value {
    use serde_json::json;
    let all: Vec<&Finding> = report.findings.iter().chain(&report.warnings).collect();
    let mut rules: Vec<serde_json::Value> = Vec::new();
    let mut rule_ids: Vec<&str> = Vec::new();
    for f in &all {
        if rule_ids.contains(&f.id.as_str()) {
            continue;
        }
        rule_ids.push(&f.id);
        let score = match f.severity {
            Some(Severity::Critical) => "9.5",
            Some(Severity::High) => "8.0",
            Some(Severity::Medium) => "5.5",
            Some(Severity::Low) => "2.0",
            None => "7.0",
        };
        let mut rule = json!({
            "id": f.id,
            "name": f.id.replace('-', ""),
            "shortDescription": {"text": f.summary},
            "fullDescription": {"text": format!("{} ({} {})", f.summary, f.ecosystem, f.package)},
            "defaultConfiguration": {"level": if f.informational.is_some() { "warning" } else { "error" }},
            "properties": {
                "security-severity": score,
                "tags": ["security", "dependency", f.ecosystem.osv_name()],
            },
        });
        if let Some(url) = &f.url {
            rule["helpUri"] = json!(url);
            rule["help"] = json!({"text": format!("{}\nSee {url}", f.summary)});
        }
        rules.push(rule);
    }
    let results: Vec<serde_json::Value> = all
        .iter()
        .map(|f| {
            json!({
                "ruleId": f.id,
                "ruleIndex": rule_ids.iter().position(|r| *r == f.id).unwrap_or(0),
                "level": if f.informational.is_some() { "warning" } else { "error" },
                "message": {"text": format!(
                    "plugin {} {} pins {} {} ({}), affected by {}: {}; {}",
                    f.plugin, f.plugin_version, f.package, f.version, f.lockfile, f.id, f.summary, f.remedy()
                )},
                "locations": [{"physicalLocation": {
                    "artifactLocation": {"uri": report.lock},
                    "region": {"startLine": f.lock_line},
                }}],
                "partialFingerprints": {"paii/v1": format!("{}/{}/{}/{}", f.plugin, f.package, f.version, f.id)},
            })
        })
        .collect();
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "paii audit",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "results": results,
        }],
    })
}
