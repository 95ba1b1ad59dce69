//! Resolution: from requested plugins and the registry index to a set of
//! exact versions, wired by contract, ready to become paii.lock.
//!
//! Version selection sits behind [`VersionSolver`] (pubgrub today); contract
//! wiring happens after it, on the selected set.

pub mod wiring;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::convert::Infallible;
use std::fmt;

use pubgrub::{
    DefaultStringReportFormatter, DefaultStringReporter, Dependencies, DependencyConstraints, DependencyProvider, Derived, External, Map,
    PackageResolutionStatistics, PubGrubError, Ranges, ReportFormatter, Reporter, Term,
};
use semver::{Version, VersionReq};

use crate::diagnostic::{SpannedError, Warning};
use crate::lock::{Lock, LockedPlugin, LockedSource};
use crate::manifest::contract::{Consume, Provide};
use crate::manifest::version::{precedence, req_to_ranges};
use crate::manifest::{Manifest, PluginManifest, Requested};
use crate::registry::{Index, IndexEntry};
use crate::store::integrity::Integrity;
use wiring::{Participant, WiringError};

// ---- version solving -------------------------------------------------------

/// One version a plugin could be chosen at.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub version: Version,
    pub core_version: Option<VersionReq>,
    /// Other plugins this version needs, in the versions it accepts.
    pub dependencies: Vec<(String, VersionReq)>,
}

/// A version-selection problem: requirements on plugins, each plugin's
/// candidate versions, and the running paii that every `core_version` is
/// checked against.
#[derive(Debug, Clone)]
pub struct Problem {
    pub requirements: BTreeMap<String, VersionReq>,
    pub candidates: BTreeMap<String, Vec<Candidate>>,
    /// Versions to keep when they still fit (the lock's, for minimal churn).
    pub preferred: BTreeMap<String, Version>,
    pub running: Version,
}

impl Default for Problem {
    fn default() -> Problem {
        Problem {
            requirements: BTreeMap::new(),
            candidates: BTreeMap::new(),
            preferred: BTreeMap::new(),
            running: crate::manifest::version::paii_version(),
        }
    }
}

/// Picks one version per required plugin, or explains why none fits.
pub trait VersionSolver {
    fn solve(&self, problem: &Problem) -> Result<BTreeMap<String, Version>, String>;
}

/// [`VersionSolver`] backed by the pubgrub crate.
#[derive(Debug, Default, Clone, Copy)]
pub struct PubGrubSolver;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Pkg {
    Root,
    Paii,
    Plugin(String),
}

impl fmt::Display for Pkg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Pkg::Root => f.write_str("paii.toml"),
            Pkg::Paii => f.write_str("paii"),
            Pkg::Plugin(n) => f.write_str(n),
        }
    }
}

struct Provider<'a> {
    problem: &'a Problem,
}

impl Provider<'_> {
    fn plugin_versions(&self, name: &str) -> impl Iterator<Item = &Candidate> {
        self.problem.candidates.get(name).into_iter().flatten()
    }
}

impl DependencyProvider for Provider<'_> {
    type P = Pkg;
    type V = Version;
    type VS = Ranges<Version>;
    type M = String;
    type Priority = (u32, Reverse<usize>);
    type Err = Infallible;

    fn prioritize(&self, pkg: &Pkg, range: &Ranges<Version>, stats: &PackageResolutionStatistics) -> Self::Priority {
        let count = match pkg {
            Pkg::Root | Pkg::Paii => 0,
            Pkg::Plugin(n) => self.plugin_versions(n).filter(|c| range.contains(&c.version)).count(),
        };
        // Decide the most constrained packages first.
        (stats.conflict_count(), Reverse(count))
    }

    fn choose_version(&self, pkg: &Pkg, range: &Ranges<Version>) -> Result<Option<Version>, Infallible> {
        Ok(match pkg {
            Pkg::Root => Some(Version::new(0, 0, 0)),
            Pkg::Paii => Some(self.problem.running.clone()).filter(|v| range.contains(v)),
            Pkg::Plugin(n) => {
                let req = self.problem.requirements.get(n);
                // Ranges cannot express semver's pre-release rule; the
                // requirement itself can.
                let fits = |v: &Version| range.contains(v) && req.is_none_or(|r| r.matches(v));
                match self.problem.preferred.get(n).filter(|v| fits(v) && self.plugin_versions(n).any(|c| &c.version == *v)) {
                    Some(v) => Some(v.clone()),
                    None => self.plugin_versions(n).map(|c| &c.version).filter(|v| fits(v)).max().cloned(),
                }
            }
        })
    }

    fn get_dependencies(&self, pkg: &Pkg, version: &Version) -> Result<Dependencies<Pkg, Ranges<Version>, String>, Infallible> {
        let deps: DependencyConstraints<Pkg, Ranges<Version>> = match pkg {
            Pkg::Root => self.problem.requirements.iter().map(|(name, req)| (Pkg::Plugin(name.clone()), req_to_ranges(req))).collect(),
            Pkg::Paii => DependencyConstraints::default(),
            Pkg::Plugin(n) => match self.plugin_versions(n).find(|c| &c.version == version) {
                None => DependencyConstraints::default(),
                Some(c) => c
                    .core_version
                    .iter()
                    .map(|req| (Pkg::Paii, req_to_ranges(req)))
                    .chain(c.dependencies.iter().map(|(dep, req)| (Pkg::Plugin(dep.clone()), req_to_ranges(req))))
                    .collect(),
            },
        };
        Ok(Dependencies::Available(deps))
    }
}

impl VersionSolver for PubGrubSolver {
    fn solve(&self, problem: &Problem) -> Result<BTreeMap<String, Version>, String> {
        let provider = Provider { problem };
        match pubgrub::resolve(&provider, Pkg::Root, Version::new(0, 0, 0)) {
            Ok(selected) => Ok(selected
                .into_iter()
                .filter_map(|(pkg, v)| match pkg {
                    Pkg::Plugin(n) => Some((n, v)),
                    _ => None,
                })
                .collect()),
            Err(PubGrubError::NoSolution(mut tree)) => {
                tree.collapse_no_versions();
                let formatter = Formatter { problem };
                Err(DefaultStringReporter::report_with_formatter(&tree, &formatter))
            }
            Err(other) => Err(other.to_string()),
        }
    }
}

/// pubgrub's default report, in the words of paii's files.
struct Formatter<'a> {
    problem: &'a Problem,
}

type Ext = External<Pkg, Ranges<Version>, String>;

impl Formatter<'_> {
    /// The real versions of `name` within `range`, rather than the range
    /// pubgrub derived, with the verb (singular, plural) that fits them.
    fn versions_of(&self, name: &str, range: &Ranges<Version>, verb: (&'static str, &'static str)) -> (String, &'static str) {
        let listed: Vec<String> = self
            .problem
            .candidates
            .get(name)
            .into_iter()
            .flatten()
            .filter(|c| range.contains(&c.version))
            .map(|c| c.version.to_string())
            .collect();
        match listed.len() {
            0 => (show(range), verb.0),
            1 => (listed[0].clone(), verb.0),
            _ => (listed.join(", "), verb.1),
        }
    }
}

impl ReportFormatter<Pkg, Ranges<Version>, String> for Formatter<'_> {
    type Output = String;

    fn format_external(&self, external: &Ext) -> String {
        match external {
            External::FromDependencyOf(Pkg::Root, _, Pkg::Plugin(n), range) => {
                let req = self.problem.requirements.get(n).map_or_else(|| range.to_string(), |r| r.to_string());
                format!("paii.toml requires {n} {req}")
            }
            External::FromDependencyOf(Pkg::Plugin(n), versions, Pkg::Paii, range) => {
                let (which, verb) = self.versions_of(n, versions, ("needs", "need"));
                format!("{n} {which} {verb} paii {range} (this is paii {})", self.problem.running)
            }
            External::FromDependencyOf(Pkg::Plugin(n), versions, Pkg::Plugin(dep), range) => {
                let (which, verb) = self.versions_of(n, versions, ("depends", "depend"));
                format!("{n} {which} {verb} on {dep} {}", show(range))
            }
            External::NoVersions(Pkg::Plugin(n), range) => {
                if self.problem.candidates.get(n).is_none_or(Vec::is_empty) {
                    format!("no registry offers {n}")
                } else {
                    format!("no usable version of {n} matches {}", show(range))
                }
            }
            External::NoVersions(Pkg::Paii, range) => {
                format!("this is paii {}, not {range}", self.problem.running)
            }
            other => DefaultStringReportFormatter.format_external(other),
        }
    }

    fn format_terms(&self, terms: &Map<Pkg, Term<Ranges<Version>>>) -> String {
        let v: Vec<_> = terms.iter().collect();
        match v.as_slice() {
            [(Pkg::Root, Term::Positive(_))] => "the requirements in paii.toml cannot all be met".into(),
            [(Pkg::Plugin(n), Term::Positive(r))] => format!("{n} {} cannot be used", show(r)),
            _ => ReportFormatter::<Pkg, Ranges<Version>, String>::format_terms(&DefaultStringReportFormatter, terms),
        }
    }

    fn explain_both_external(&self, e1: &Ext, e2: &Ext, t: &Map<Pkg, Term<Ranges<Version>>>) -> String {
        format!("Because {} and {}, {}.", self.format_external(e1), self.format_external(e2), self.format_terms(t))
    }

    fn explain_both_ref(
        &self,
        id1: usize,
        d1: &Derived<Pkg, Ranges<Version>, String>,
        id2: usize,
        d2: &Derived<Pkg, Ranges<Version>, String>,
        t: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!("Because {} ({id1}) and {} ({id2}), {}.", self.format_terms(&d1.terms), self.format_terms(&d2.terms), self.format_terms(t))
    }

    fn explain_ref_and_external(
        &self,
        id: usize,
        d: &Derived<Pkg, Ranges<Version>, String>,
        e: &Ext,
        t: &Map<Pkg, Term<Ranges<Version>>>,
    ) -> String {
        format!("Because {} ({id}) and {}, {}.", self.format_terms(&d.terms), self.format_external(e), self.format_terms(t))
    }

    fn and_explain_external(&self, e: &Ext, t: &Map<Pkg, Term<Ranges<Version>>>) -> String {
        format!("And because {}, {}.", self.format_external(e), self.format_terms(t))
    }

    fn and_explain_ref(&self, id: usize, d: &Derived<Pkg, Ranges<Version>, String>, t: &Map<Pkg, Term<Ranges<Version>>>) -> String {
        format!("And because {} ({id}), {}.", self.format_terms(&d.terms), self.format_terms(t))
    }

    fn and_explain_prior_and_external(&self, e1: &Ext, e2: &Ext, t: &Map<Pkg, Term<Ranges<Version>>>) -> String {
        format!("And because {} and {}, {}.", self.format_external(e1), self.format_external(e2), self.format_terms(t))
    }
}

fn show(r: &Ranges<Version>) -> String {
    if r == &Ranges::full() { "(any version)".into() } else { r.to_string() }
}

// ---- resolution ------------------------------------------------------------

/// Which locked versions may move.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Update {
    /// Keep every locked version that still fits (plain `paii lock`).
    #[default]
    Nothing,
    /// `paii lock --update`.
    All,
    /// `paii lock --update NAME...`.
    Only(BTreeSet<String>),
}

impl Update {
    pub fn allows(&self, name: &str) -> bool {
        match self {
            Update::Nothing => false,
            Update::All => true,
            Update::Only(names) => names.contains(name),
        }
    }
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ResolveError {
    #[error("plugin `{name}` is not in any registry ({searched})")]
    NotFound {
        name: String,
        searched: String,
        #[help]
        help: Option<String>,
    },
    #[error("no set of versions satisfies paii.toml:\n{explanation}")]
    NoSolution {
        explanation: String,
        #[help]
        help: Option<String>,
    },
    #[error("{}", errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"))]
    Contracts {
        errors: Vec<WiringError>,
        #[help]
        help: Option<String>,
    },
    #[error("plugins `{first}` and `{second}` both provide the skill `{skill}`")]
    #[diagnostic(help("a generation can hold one skill of each name; remove one of the plugins"))]
    SkillClash { skill: String, first: String, second: String },
    #[error("plugin `{name}` ({source_desc}): {reason}")]
    Unsupported { name: String, source_desc: String, reason: String },
    #[error(transparent)]
    #[diagnostic(transparent)]
    PluginManifest(#[from] SpannedError),
    #[error("plugin `{key}` in paii.toml points at a plugin.toml named `{found}`")]
    #[diagnostic(help("rename the entry in [plugins] to `{found}`, or fix `[plugin] name`"))]
    NameMismatch { key: String, found: String },
}

/// One selected plugin, wired.
#[derive(Debug, Clone)]
pub struct ResolvedPlugin {
    pub name: String,
    pub version: Version,
    pub registry: Option<String>,
    pub source: LockedSource,
    pub subdir: Option<String>,
    pub integrity: Option<Integrity>,
    pub provides: Vec<Provide>,
    pub wiring: wiring::Wiring,
}

/// A plugin requested straight from git or a tarball, fetched before
/// resolution so that its plugin.toml is known: that is its only version.
#[derive(Debug, Clone)]
pub struct DirectPlugin {
    pub source: LockedSource,
    pub subdir: Option<String>,
    pub integrity: Option<Integrity>,
    pub manifest: PluginManifest,
    /// When its commit was made, when known.
    pub published: Option<i64>,
}

/// Everything resolution needs.
pub struct Request<'a> {
    pub manifest: &'a Manifest,
    pub index: &'a Index,
    pub locked: Option<&'a Lock>,
    pub update: Update,
    pub solver: &'a dyn VersionSolver,
    /// The git and tarball plugins of paii.toml, already fetched.
    pub direct: &'a BTreeMap<String, DirectPlugin>,
    /// `[policy] min-release-age`: versions published after this time
    /// (seconds since the epoch), or at no known time, are not candidates.
    pub cutoff: Option<i64>,
}

/// A plugin's candidate versions and where they come from.
enum Origin<'a> {
    Registry(&'a str, Vec<&'a IndexEntry>),
    /// A path, git or tarball plugin: one version, its plugin.toml.
    Direct(Box<DirectPlugin>),
}

impl Origin<'_> {
    /// The plugins any of its versions depends on, each with the registries
    /// to look in first.
    fn dependencies(&self) -> Vec<(String, Vec<String>)> {
        match self {
            Origin::Registry(reg, entries) => entries
                .iter()
                .flat_map(|e| &e.dependencies)
                .map(|d| (d.name.clone(), d.marketplace.iter().cloned().chain([reg.to_string()]).collect()))
                .collect(),
            Origin::Direct(d) => d
                .manifest
                .native
                .iter()
                .flat_map(|n| &n.dependencies)
                .map(|d| (d.name.clone(), d.marketplace.iter().cloned().collect()))
                .collect(),
        }
    }
}

/// A resolved lock and what was noticed on the way (unknown keys in the
/// plugin.toml of path plugins).
#[derive(Debug)]
pub struct Resolved {
    pub lock: Lock,
    pub warnings: Vec<Warning>,
}

/// Resolves `request` into a lock.
pub fn resolve(request: &Request<'_>) -> Result<Resolved, ResolveError> {
    let Request { manifest, index, locked, update, solver, direct, cutoff } = request;
    let now = crate::util::time::now_secs();
    let mut young_note = Vec::new();
    let mut problem = Problem { running: crate::manifest::version::paii_version(), ..Problem::default() };
    let mut origins: BTreeMap<String, Origin<'_>> = BTreeMap::new();
    let mut yanked_note = Vec::new();
    let mut warnings = Vec::new();
    let locked_entry = |name: &str| locked.and_then(|l| l.plugin(name)).filter(|_| !update.allows(name));

    for plugin in &manifest.plugins {
        let name = plugin.name.as_str();
        match &plugin.source {
            Requested::Registry { req, registry } => {
                let Some((reg, entries)) = index.candidates(name, registry.as_deref()) else {
                    let searched = match registry {
                        Some(r) => format!("searched `{r}`"),
                        None => searched_all(index),
                    };
                    let all = index.registries.iter().flat_map(|r| r.entries.iter().map(|e| e.name.as_str()));
                    let help = crate::util::suggest::did_you_mean(name, all)
                        .or_else(|| index.registries.is_empty().then(|| "add a registry to [registries] in paii.toml".to_string()));
                    return Err(ResolveError::NotFound { name: name.to_string(), searched, help });
                };
                problem.requirements.insert(name.to_string(), req.clone());
                // An exact pin is the team's decision, taken at any age.
                let age = cutoff.filter(|_| !is_exact(req));
                let skipped = add_registry(&mut problem, &mut origins, name, &reg.name, entries, locked_entry(name), age);
                yanked_note.extend(skipped.yanked.into_iter().filter(|(_, v)| req.matches(v)).map(|(n, v)| format!("{n} {v}")));
                young_note.extend(skipped.young.into_iter().filter(|(_, v, _)| req.matches(v)).map(|(n, v, t)| young(&n, &v, t, now)));
            }
            Requested::Path { path, written } => {
                let mut pm = PluginManifest::load_dir(path)?;
                warnings.append(&mut pm.warnings);
                let d = DirectPlugin {
                    source: LockedSource::Path { path: written.clone() },
                    subdir: None,
                    integrity: None,
                    manifest: pm,
                    published: None,
                };
                add_direct(&mut problem, &mut origins, name, d)?;
            }
            Requested::Git { url, .. } | Requested::Url { url, .. } | Requested::Oci { repo: url, .. } => {
                let Some(d) = direct.get(name) else {
                    return Err(ResolveError::Unsupported {
                        name: name.to_string(),
                        source_desc: crate::util::url::redact(url),
                        reason: "it was not fetched before resolution".into(),
                    });
                };
                add_direct(&mut problem, &mut origins, name, d.clone())?;
            }
        }
    }

    // Dependencies join the problem as they are found, each from the
    // registry it names, else its dependent's, else any. One no registry
    // offers gets no versions: the solver then explains whether that
    // matters, since only some versions of a dependent may need it.
    let mut offered: BTreeSet<String> = origins.keys().cloned().collect();
    let mut wanted: std::collections::VecDeque<(String, Vec<String>)> = origins.values().flat_map(Origin::dependencies).collect();
    while let Some((dep, registries)) = wanted.pop_front() {
        if !offered.insert(dep.clone()) {
            continue;
        }
        let found = registries.iter().find_map(|r| index.candidates(&dep, Some(r))).or_else(|| index.candidates(&dep, None));
        match found {
            Some((reg, entries)) => {
                let skipped = add_registry(&mut problem, &mut origins, &dep, &reg.name, entries, locked_entry(&dep), *cutoff);
                young_note.extend(skipped.young.into_iter().map(|(n, v, t)| young(&n, &v, t, now)));
                // Its own dependencies, in turn.
                wanted.extend(origins.get(&dep).into_iter().flat_map(Origin::dependencies));
            }
            None => {
                problem.candidates.insert(dep, Vec::new());
            }
        }
    }

    let selected = solver
        .solve(&problem)
        .map_err(|explanation| ResolveError::NoSolution { help: no_solution_help(&problem, &yanked_note, &young_note), explanation })?;

    // Gather what each selected plugin provides and consumes.
    struct Chosen<'a> {
        name: &'a str,
        version: Version,
        registry: Option<String>,
        source: LockedSource,
        subdir: Option<String>,
        integrity: Option<Integrity>,
        provides: Vec<Provide>,
        consumes: BTreeMap<String, Consume>,
        dependencies: BTreeMap<String, String>,
        overlay: Option<String>,
        published: Option<i64>,
    }
    let mut chosen = Vec::new();
    for (name, version) in &selected {
        match origins.get(name) {
            Some(Origin::Registry(reg, entries)) => {
                let Some(e) = entries.iter().find(|e| &precedence(&e.version) == version) else { continue };
                if let (Some(new), Some(r)) = (&e.renamed_to, index.registries.iter().find(|r| r.name == *reg)) {
                    warnings.push(r.file.warning(
                        Some(e.span.clone()),
                        format!(
                            "marketplace `{reg}` renamed `{name}` to `{new}`; it is installed from that entry (rename it in paii.toml)"
                        ),
                    ));
                }
                chosen.push(Chosen {
                    name,
                    version: e.version.clone(),
                    registry: Some(reg.to_string()),
                    source: e.source.locked().redacted(),
                    subdir: e.subdir.clone(),
                    integrity: e.integrity,
                    provides: e.provides.clone(),
                    consumes: e.consumes.clone(),
                    dependencies: needs(&e.dependencies),
                    overlay: e.overlay.clone(),
                    published: e.published,
                });
                if let (Some(cutoff), Some(request)) = (cutoff, manifest.plugin(name))
                    && e.published.is_none_or(|t| t > *cutoff)
                    && !matches!(e.source, crate::registry::EntrySource::Path { .. })
                {
                    let when = e.published.map_or("at no known time".to_string(), |t| format!("{} ago", crate::util::time::ago(t, now)));
                    warnings.push(manifest.file.warning(
                        Some(request.span.clone()),
                        format!("{name} {} was published {when}, more recently than [policy] min-release-age allows; installed because paii.toml pins it exactly", e.version),
                    ));
                }
            }
            Some(Origin::Direct(d)) => chosen.push(Chosen {
                name,
                version: d.manifest.version.clone(),
                registry: None,
                source: d.source.clone(),
                subdir: d.subdir.clone(),
                integrity: d.integrity,
                provides: d.manifest.provides.clone(),
                consumes: d.manifest.consumes.clone(),
                dependencies: needs(d.manifest.native.as_ref().map_or(&[], |n| &n.dependencies)),
                overlay: None,
                published: d.published,
            }),
            None => {}
        }
    }

    // One skill name per generation.
    let mut skills: BTreeMap<&str, &str> = BTreeMap::new();
    for c in &chosen {
        for p in c.provides.iter().filter(|p| p.contract == "SkillProvider") {
            let skill = p.name.as_deref().unwrap_or(c.name);
            if let Some(first) = skills.insert(skill, c.name) {
                return Err(ResolveError::SkillClash { skill: skill.to_string(), first: first.to_string(), second: c.name.to_string() });
            }
        }
    }

    let participants: Vec<Participant<'_>> =
        chosen.iter().map(|c| Participant { name: c.name, provides: &c.provides, consumes: &c.consumes }).collect();
    let wiring = wiring::wire(&participants, &manifest.wiring).map_err(|errors| ResolveError::Contracts {
        help: contract_help(&errors, &chosen.iter().map(|c| (c.name, &c.consumes)).collect(), index),
        errors,
    })?;

    let plugins = chosen
        .into_iter()
        .map(|c| LockedPlugin {
            name: c.name.to_string(),
            version: c.version,
            registry: c.registry,
            source: c.source,
            subdir: c.subdir,
            integrity: c.integrity,
            provides: c.provides,
            dependencies: c.dependencies,
            overlay: c.overlay,
            // The date the policy relied on, for a reviewer to see.
            published: c.published.filter(|_| cutoff.is_some()).map(crate::util::time::rfc3339),
            // Approval is paii approve's to record, carried over by the plan.
            approved: None,
            wiring: wiring
                .get(c.name)
                .map(|w| {
                    w.iter()
                        .map(|(k, v)| (k.clone(), v.clone().unwrap_or_else(|| crate::manifest::version::NO_PROVIDER.to_string())))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    Ok(Resolved { lock: Lock::new(plugins), warnings })
}

/// A plugin with exactly one version, the one its plugin.toml names.
fn add_direct(problem: &mut Problem, origins: &mut BTreeMap<String, Origin<'_>>, name: &str, d: DirectPlugin) -> Result<(), ResolveError> {
    if d.manifest.name != name {
        return Err(ResolveError::NameMismatch { key: name.to_string(), found: d.manifest.name });
    }
    // Exactly that version, pre-release or not.
    let v = precedence(&d.manifest.version);
    let exact = VersionReq::parse(&format!("={v}")).unwrap_or(VersionReq::STAR);
    problem.requirements.insert(name.to_string(), exact);
    let dependencies = d.manifest.native.as_ref().map(|n| requirements_of(&n.dependencies)).unwrap_or_default();
    problem
        .candidates
        .insert(name.to_string(), vec![Candidate { version: v, core_version: d.manifest.core_version.clone(), dependencies }]);
    origins.insert(name.to_string(), Origin::Direct(Box::new(d)));
    Ok(())
}

/// Versions `add_registry` left out.
#[derive(Default)]
struct Skipped {
    yanked: Vec<(String, Version)>,
    /// Younger than `[policy] min-release-age`, with the publish time known.
    young: Vec<(String, Version, Option<i64>)>,
}

/// Whether a requirement names one version exactly (`=1.2.3`).
fn is_exact(req: &VersionReq) -> bool {
    matches!(req.comparators.as_slice(), [c] if c.op == semver::Op::Exact && c.minor.is_some() && c.patch.is_some())
}

fn young(name: &str, v: &Version, published: Option<i64>, now: i64) -> String {
    match published {
        Some(t) => format!("{name} {v} (published {} ago)", crate::util::time::ago(t, now)),
        None => format!("{name} {v} (no publish date known)"),
    }
}

/// A plugin's versions in `registry`, the lock's preferred while it fits,
/// without those published after `cutoff` (or at no known time; a plugin
/// beside the registry file is the team's own and has none); returns the
/// versions left out.
fn add_registry<'a>(
    problem: &mut Problem,
    origins: &mut BTreeMap<String, Origin<'a>>,
    name: &str,
    registry: &'a str,
    entries: Vec<&'a IndexEntry>,
    locked: Option<&LockedPlugin>,
    cutoff: Option<i64>,
) -> Skipped {
    let locked_version = locked.filter(|l| l.registry.as_deref() == Some(registry)).map(|l| precedence(&l.version));
    let mut skipped = Skipped::default();
    let mut cands = Vec::new();
    for e in &entries {
        // Yanked versions stay usable only for a lock that already has them.
        if e.yanked && locked_version.as_ref() != Some(&precedence(&e.version)) {
            skipped.yanked.push((e.name.clone(), e.version.clone()));
            continue;
        }
        if let Some(cutoff) = cutoff
            && !matches!(e.source, crate::registry::EntrySource::Path { .. })
            && e.published.is_none_or(|t| t > cutoff)
        {
            skipped.young.push((e.name.clone(), e.version.clone(), e.published));
            continue;
        }
        cands.push(Candidate {
            version: precedence(&e.version),
            core_version: e.core_version.clone(),
            dependencies: requirements_of(&e.dependencies),
        });
    }
    if let Some(v) = locked_version {
        problem.preferred.insert(name.to_string(), v);
    }
    problem.candidates.insert(name.to_string(), cands);
    origins.insert(name.to_string(), Origin::Registry(registry, entries));
    skipped
}

/// What a lock records of a plugin's dependencies: name -> requirement.
pub(crate) fn needs(deps: &[crate::manifest::native::Dependency]) -> BTreeMap<String, String> {
    deps.iter().map(|d| (d.name.clone(), d.req.as_ref().map_or_else(|| "*".to_string(), |r| r.to_string()))).collect()
}

fn requirements_of(deps: &[crate::manifest::native::Dependency]) -> Vec<(String, VersionReq)> {
    deps.iter().map(|d| (d.name.clone(), d.req.clone().unwrap_or(VersionReq::STAR))).collect()
}

fn searched_all(index: &Index) -> String {
    if index.registries.is_empty() {
        "no registries are configured".to_string()
    } else {
        format!("searched {}", index.registries.iter().map(|r| format!("`{}`", r.name)).collect::<Vec<_>>().join(", "))
    }
}

fn no_solution_help(problem: &Problem, yanked: &[String], young: &[String]) -> Option<String> {
    let mut lines = Vec::new();
    if !yanked.is_empty() {
        lines.push(format!("yanked, so not chosen: {}", yanked.join(", ")));
    }
    if !young.is_empty() {
        lines.push(format!(
            "younger than [policy] min-release-age, so not chosen: {} (pin one exactly, `=VERSION`, to take it anyway)",
            young.join(", ")
        ));
    }
    for name in problem.candidates.iter().filter(|(_, c)| c.is_empty()).map(|(n, _)| n) {
        lines.push(format!("no registry offers {name}: add one that does to [registries] in paii.toml"));
    }
    for (name, req) in &problem.requirements {
        let cands = &problem.candidates[name];
        let matching: Vec<&Candidate> = cands.iter().filter(|c| req.matches(&c.version)).collect();
        let blocked: Vec<String> = matching
            .iter()
            .filter(|c| c.core_version.as_ref().is_some_and(|cv| !cv.matches(&problem.running)))
            .map(|c| format!("{} (needs paii {})", c.version, c.core_version.as_ref().map(|r| r.to_string()).unwrap_or_default()))
            .collect();
        if matching.is_empty() && !cands.is_empty() {
            let mut versions: Vec<&Version> = cands.iter().map(|c| &c.version).collect();
            versions.sort();
            let list: Vec<String> = versions.iter().map(|v| v.to_string()).collect();
            lines.push(format!("{name}: nothing matches {req}; available: {}", list.join(", ")));
        } else if !blocked.is_empty() && blocked.len() == matching.len() {
            lines.push(format!("{name} {req}: every match needs a newer paii: {}", blocked.join(", ")));
        }
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

fn contract_help(errors: &[WiringError], consumes: &HashMap<&str, &BTreeMap<String, Consume>>, index: &Index) -> Option<String> {
    let mut lines = Vec::new();
    for e in errors {
        match e {
            WiringError::Missing { consumer, key, .. } => {
                let Some(consume) = consumes.get(consumer.as_str()).and_then(|c| c.get(key)) else { continue };
                let providers = index.providers(consume);
                if providers.is_empty() {
                    lines.push(format!("no registry has a plugin that provides {consume}"));
                }
                for p in providers {
                    lines.push(format!("add `{} = \"{}\"` to [plugins] in paii.toml", p.name, caret(&p.version)));
                }
            }
            WiringError::Ambiguous { consumer, key, providers, .. } => {
                lines.push(format!(
                    "choose one in paii.toml: `[wiring.{consumer}] {key} = \"{}\"`",
                    providers.first().map(String::as_str).unwrap_or_default()
                ));
            }
            WiringError::BadChoice { .. } => {}
        }
    }
    (!lines.is_empty()).then(|| lines.join("\n"))
}

/// The caret requirement a user would write for `v`: `^1`, `^0.2`.
fn caret(v: &Version) -> String {
    if v.major > 0 { format!("^{}", v.major) } else { format!("^0.{}", v.minor) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problem(reqs: &[(&str, &str)], cands: &[(&str, &str, Option<&str>)]) -> Problem {
        let mut p = Problem { running: Version::new(0, 1, 0), ..Default::default() };
        for (n, r) in reqs {
            p.requirements.insert(n.to_string(), VersionReq::parse(r).unwrap());
        }
        for (n, v, cv) in cands {
            p.candidates.entry(n.to_string()).or_default().push(Candidate {
                version: Version::parse(v).unwrap(),
                core_version: cv.map(|c| VersionReq::parse(c).unwrap()),
                dependencies: Vec::new(),
            });
        }
        p
    }

    #[test]
    fn newest_matching_version_is_chosen() {
        let p = problem(&[("a", "^1")], &[("a", "1.0.0", None), ("a", "1.4.0", None), ("a", "2.0.0", None)]);
        assert_eq!(PubGrubSolver.solve(&p).unwrap()["a"], Version::new(1, 4, 0));
    }

    #[test]
    fn preferred_version_is_kept_while_it_fits() {
        let mut p = problem(&[("a", "^1")], &[("a", "1.0.0", None), ("a", "1.4.0", None)]);
        p.preferred.insert("a".into(), Version::new(1, 0, 0));
        assert_eq!(PubGrubSolver.solve(&p).unwrap()["a"], Version::new(1, 0, 0));
    }

    #[test]
    fn core_version_makes_the_solver_fall_back_to_an_older_version() {
        let p = problem(&[("a", "^1")], &[("a", "1.0.0", Some(">=0.1.0")), ("a", "1.4.0", Some(">=0.2.0"))]);
        assert_eq!(PubGrubSolver.solve(&p).unwrap()["a"], Version::new(1, 0, 0));
    }

    #[test]
    fn conflict_is_explained_in_the_files_words() {
        let p = problem(&[("a", "^1")], &[("a", "1.4.0", Some(">=0.2.0"))]);
        let msg = PubGrubSolver.solve(&p).unwrap_err();
        assert!(msg.contains("paii.toml requires a ^1"), "{msg}");
        assert!(msg.contains("needs paii >=0.2.0 (this is paii 0.1.0)"), "{msg}");
    }

    #[test]
    fn prerelease_is_not_chosen_unless_asked_for() {
        let p = problem(&[("a", "^1")], &[("a", "1.0.0", None), ("a", "1.1.0-beta.1", None)]);
        assert_eq!(PubGrubSolver.solve(&p).unwrap()["a"], Version::new(1, 0, 0));
        let p = problem(&[("a", "=1.1.0-beta.1")], &[("a", "1.0.0", None), ("a", "1.1.0-beta.1", None)]);
        assert_eq!(PubGrubSolver.solve(&p).unwrap()["a"], Version::parse("1.1.0-beta.1").unwrap());
    }
}
