//! `paii.toml`: registries, requested plugins, config defaults and wiring.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use schemars::JsonSchema;
use semver::VersionReq;
use serde::Deserialize;
use toml::Spanned;

use super::source::{MarketplaceSource, RegistrySource};
use super::{Shorthand, de_with};
use crate::diagnostic::{SourceFile, SpannedError, Warning, parse_toml};
use crate::manifest::version::{is_valid_name, is_valid_plugin_name, name_error, parse_req};
use crate::store::integrity::Integrity;
use crate::util::paths;

// ---- the file format -------------------------------------------------------

/// paii.toml: what a user or a team wants installed.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(title = "paii.toml", description = "What a user or team wants: registries, plugins, config defaults, wiring")]
pub struct ManifestFile {
    #[serde(default)]
    pub paii: PaiiTable,
    #[serde(default)]
    pub paths: PathsTable,
    /// Registries in order of priority: the first that lists a plugin supplies it.
    #[serde(default)]
    #[schemars(with = "IndexMap<String, RegistryValueSchema>")]
    pub registries: IndexMap<String, Spanned<Shorthand<RegistryTable>>>,
    /// Requested plugins: a semver requirement, or a table.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, PluginValueSchema>")]
    pub plugins: IndexMap<String, Spanned<Shorthand<PluginTable>>>,
    /// Team defaults for each plugin's `[config]`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, BTreeMap<String, serde_json::Value>>")]
    pub config: BTreeMap<String, toml::Table>,
    /// `[wiring.<consumer>] <consumes-key> = "<provider plugin>"`, needed only
    /// when two selected plugins provide one contract.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, BTreeMap<String, String>>")]
    pub wiring: BTreeMap<String, BTreeMap<String, Spanned<String>>>,
    /// Binary caches: build outputs are looked up there before building.
    #[serde(default)]
    pub cache: CacheTable,
    /// What the team allows, checked before anything is fetched.
    #[serde(default)]
    pub policy: PolicyTable,
    /// `paii audit`: the advisory databases and the advisories ignored.
    #[serde(default)]
    pub audit: AuditTable,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct AuditTable {
    /// Advisory databases in OSV format, by name (default: `rustsec`, the
    /// `osv` branch of rustsec/advisory-db, and `pypa`,
    /// pypa/advisory-database).
    pub databases: Option<IndexMap<String, DatabaseTable>>,
    /// Advisories not reported: `{ id = "RUSTSEC-2020-0071", reason = "..." }`
    /// (an id or any alias of it).
    #[serde(default)]
    pub ignore: Vec<IgnoreValue>,
}

/// One advisory database: a git repository of OSV records.
#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DatabaseTable {
    pub git: String,
    /// Branch, tag or commit (default: the remote's default branch).
    pub rev: Option<String>,
    /// The subdirectory holding the records (default: all of it).
    pub path: Option<String>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum IgnoreValue {
    Reasoned { id: String, reason: String },
    Id(String),
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct PolicyTable {
    /// URL prefixes every git, tarball, OCI and marketplace source must
    /// start with, e.g. `https://github.com/acme/`.
    #[serde(rename = "allowed-sources")]
    pub allowed_sources: Option<Vec<String>>,
    /// Nothing from a binary cache or an OCI plugin without a trusted
    /// signature.
    #[serde(default, rename = "require-signatures")]
    pub require_signatures: bool,
    /// Skip versions published less than this long ago (`7d`, `36h`,
    /// `2w`): a registry entry's `published`, a git commit's date, npm's
    /// publish time. An exact pin in [plugins] overrides it.
    #[serde(rename = "min-release-age")]
    #[schemars(with = "Option<String>")]
    pub min_release_age: Option<Spanned<String>>,
    /// A plugin new to the lock, or whose hooks, MCP servers or build
    /// commands changed, installs with those disabled until `paii approve`.
    #[serde(default, rename = "require-approval")]
    pub require_approval: bool,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct CacheTable {
    /// OCI repositories holding build outputs, in priority order:
    /// `oci://registry.example.org/acme/paii-cache`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub substituters: Vec<Spanned<String>>,
    /// The keys whose signature makes a cached output trusted: `NAME:<base64>`,
    /// as `paii key generate` prints them.
    #[serde(default, rename = "trusted-keys")]
    #[schemars(with = "Vec<String>")]
    pub trusted_keys: Vec<Spanned<String>>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct PaiiTable {
    /// paii versions this manifest accepts, e.g. `>=0.1.0`.
    #[serde(default, deserialize_with = "de_with::req_opt")]
    #[schemars(with = "Option<String>")]
    pub version: Option<VersionReq>,
    /// Where a sync installs: `user` (`~/.claude`, the default) or `project`
    /// (the `.claude/` of the git repository holding this file).
    pub scope: Option<crate::scope::ScopeKind>,
}

#[derive(Debug, Default, Deserialize, JsonSchema)]
pub struct PathsTable {
    /// Where the history plugin keeps its memory; `~` is expanded.
    pub history: Option<String>,
}

/// `{ path = ... }`, `{ git = ..., path = ..., rev = ... }` or `{ marketplace = ... }`.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
pub struct RegistryTable {
    pub path: Option<String>,
    pub git: Option<String>,
    pub rev: Option<String>,
    pub url: Option<String>,
    pub marketplace: Option<String>,
}

/// A requested plugin written as a table.
#[derive(Debug, Default, Clone, Deserialize, JsonSchema)]
pub struct PluginTable {
    /// Semver requirement, e.g. `^1.0`.
    pub version: Option<String>,
    /// Take the plugin from this registry only.
    pub registry: Option<String>,
    pub git: Option<String>,
    /// Commit, tag or branch of `git`.
    pub rev: Option<String>,
    /// A local plugin directory (relative to paii.toml), or with `git` the
    /// subdirectory inside the repository.
    pub path: Option<String>,
    /// A tarball URL.
    pub url: Option<String>,
    /// An OCI artifact: `registry.example.org/acme/plugins/security:1.2.0`
    /// (or `@sha256:...`).
    pub oci: Option<String>,
    pub integrity: Option<Integrity>,
    /// `false` installs the plugin's skills, agents, commands and MCP servers
    /// but none of its hooks.
    pub hooks: Option<bool>,
    /// `false` installs the plugin without its MCP servers.
    pub mcp: Option<bool>,
    /// For a Claude Code plugin: `false` writes all of its hooks into
    /// settings.json as it wrote them, instead of running them through paii's
    /// dispatcher.
    pub dispatch: Option<bool>,
}

/// Schema-only: how a registry may be written.
#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(untagged)]
enum RegistryValueSchema {
    /// URL of a registry file (https, http, file).
    Url(String),
    Table(RegistryTable),
}

/// Schema-only: how a plugin may be requested.
#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(untagged)]
enum PluginValueSchema {
    /// A semver requirement, taken from the first registry that has the plugin.
    Requirement(String),
    Table(PluginTable),
}

// ---- the typed manifest ----------------------------------------------------

/// A parsed, validated paii.toml.
#[derive(Debug)]
pub struct Manifest {
    pub file: SourceFile,
    /// The directory holding paii.toml; relative paths start here.
    pub dir: PathBuf,
    pub paii_version: Option<VersionReq>,
    /// `[paii] scope`.
    pub scope: crate::scope::ScopeKind,
    pub history_dir: Option<PathBuf>,
    pub registries: Vec<RegistryDecl>,
    /// Sorted by name.
    pub plugins: Vec<PluginRequest>,
    pub config: BTreeMap<String, toml::Table>,
    pub wiring: BTreeMap<String, BTreeMap<String, String>>,
    /// `[cache]`: where build outputs may come from, and whose signature counts.
    pub cache: Cache,
    /// `[policy]`.
    pub policy: Policy,
    /// `[audit]`, with the default databases when it names none.
    pub audit: Audit,
    pub warnings: Vec<Warning>,
}

/// One entry of `[registries]`.
#[derive(Debug, Clone)]
pub struct RegistryDecl {
    pub name: String,
    pub source: RegistrySource,
    pub span: Range<usize>,
}

/// One entry of `[plugins]`.
#[derive(Debug, Clone)]
pub struct PluginRequest {
    pub name: String,
    pub source: Requested,
    /// Whether the plugin's hooks are installed.
    pub hooks: bool,
    /// Whether the plugin's MCP servers are installed.
    pub mcp: bool,
    /// Whether a Claude Code plugin's hooks run through paii's dispatcher
    /// (else they are written into settings.json as they are).
    pub dispatch: bool,
    pub span: Range<usize>,
}

/// Where a requested plugin comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Requested {
    Registry {
        req: VersionReq,
        registry: Option<String>,
    },
    Git {
        url: String,
        rev: Option<String>,
        subdir: Option<String>,
    },
    Path {
        /// Absolute.
        path: PathBuf,
        /// As written, normalised; what the lock records.
        written: String,
    },
    Url {
        url: String,
        integrity: Option<Integrity>,
    },
    /// An OCI artifact: `repo` is `oci://HOST/NAME`.
    Oci {
        repo: String,
        tag: Option<String>,
        digest: Option<String>,
    },
}

impl Manifest {
    pub fn load(path: &Path) -> Result<Manifest, SpannedError> {
        let file = SourceFile::read(path)
            .map_err(|e| e.into_spanned(Some("create one with `paii init`, or point at one with `--manifest PATH`".into())))?;
        Manifest::parse(file)
    }

    pub fn parse(file: SourceFile) -> Result<Manifest, SpannedError> {
        let parsed = parse_toml::<ManifestFile>(&file)?;
        let dir = file.path.parent().map(Path::to_path_buf).unwrap_or_default();
        let raw = parsed.value;
        let mut warnings = parsed.warnings;

        if let Some(req) = &raw.paii.version {
            let running = crate::manifest::version::paii_version();
            if !req.matches(&running) {
                return Err(file.error(
                    file.key_span(&["paii", "version"]),
                    format!("this paii.toml needs paii {req}, but this is paii {running}"),
                    Some("install a paii that satisfies `[paii] version`".into()),
                ));
            }
        }

        let mut registries = Vec::new();
        for (name, value) in &raw.registries {
            let span = value.span();
            if !is_valid_name(name) {
                return Err(file.error(Some(span), name_error(name), None));
            }
            let source = registry_source(value.get_ref(), &dir)
                .map_err(|msg| file.error(Some(span.clone()), format!("registry `{name}`: {msg}"), None))?;
            registries.push(RegistryDecl { name: name.clone(), source, span });
        }

        let mut plugins = Vec::new();
        for (key, value) in &raw.plugins {
            let name = key;
            // Looked up only on error: it parses the file again.
            let key_span = || file.key_span(&["plugins", key]);
            if !is_valid_plugin_name(name) {
                return Err(file.error(key_span(), name_error(name), None));
            }
            let span = value.span();
            let request = plugin_request(name, value.get_ref(), &dir, &registries)
                .map_err(|(msg, help)| file.error(Some(span.clone()), format!("plugin `{name}`: {msg}"), help))?;
            plugins.push(PluginRequest { span, ..request });
        }
        plugins.sort_by(|a, b| a.name.cmp(&b.name));

        let history_dir = raw.paths.history.as_deref().map(|h| paths::expand(h, &dir));

        let mut wiring = BTreeMap::new();
        for (consumer, keys) in raw.wiring {
            if !plugins.iter().any(|p| p.name == consumer) {
                let span = keys.values().next().map(|v| v.span());
                return Err(file.error(
                    span,
                    format!("`[wiring.{consumer}]` names a plugin that is not in [plugins]"),
                    crate::util::suggest::did_you_mean(&consumer, plugins.iter().map(|p| p.name.as_str())),
                ));
            }
            let keys = keys.into_iter().map(|(k, v)| (k, v.into_inner())).collect();
            wiring.insert(consumer, keys);
        }

        let mut cache = Cache::default();
        for s in &raw.cache.substituters {
            let repo = crate::oci::Repository::parse(s.get_ref()).map_err(|e| {
                file.error(
                    Some(s.span()),
                    format!("`cache.substituters`: {e}"),
                    Some("an OCI repository: `oci://registry.example.org/acme/paii-cache`".into()),
                )
            })?;
            cache.substituters.push(repo);
        }
        for k in &raw.cache.trusted_keys {
            let key = k.get_ref().parse().map_err(|e| {
                file.error(
                    Some(k.span()),
                    format!("`cache.trusted-keys`: {e}"),
                    Some("as `paii key generate NAME` prints it: `NAME:<base64>`".into()),
                )
            })?;
            cache.trusted.push(key);
        }
        if !cache.substituters.is_empty() && cache.trusted.is_empty() {
            warnings.push(file.warning(
                raw.cache.substituters.first().map(|s| s.span()),
                "`[cache]` lists substituters but no `trusted-keys`: nothing from them can be trusted, so everything is built",
            ));
        }

        for name in raw.config.keys() {
            if !plugins.iter().any(|p| &p.name == name) {
                warnings.push(file.warning(None, format!("`[config.{name}]` configures a plugin that is not in [plugins]")));
            }
        }

        let min_release_age = match &raw.policy.min_release_age {
            None => None,
            Some(s) => Some(parse_age(s.get_ref()).map_err(|e| {
                file.error(Some(s.span()), format!("`policy.min-release-age`: {e}"), Some("a duration such as `7d`, `36h` or `2w`".into()))
            })?),
        };
        let policy = Policy {
            allowed_sources: raw.policy.allowed_sources,
            require_signatures: raw.policy.require_signatures,
            min_release_age,
            require_approval: raw.policy.require_approval,
        };

        let audit = audit(raw.audit, &file, &mut warnings)?;
        Ok(Manifest {
            dir,
            paii_version: raw.paii.version,
            scope: raw.paii.scope.unwrap_or_default(),
            history_dir,
            registries,
            plugins,
            config: raw.config,
            wiring,
            cache,
            policy,
            audit,
            warnings,
            file,
        })
    }

    pub fn plugin(&self, name: &str) -> Option<&PluginRequest> {
        self.plugins.iter().find(|p| p.name == name)
    }

    pub fn lock_path(&self) -> PathBuf {
        paths::lock_path_for(&self.file.path)
    }
}

fn registry_source(value: &Shorthand<RegistryTable>, dir: &Path) -> Result<RegistrySource, String> {
    let table = match value {
        Shorthand::Str(url) => return RegistrySource::from_url(url, dir),
        Shorthand::Table(t) => t,
        other => return Err(format!("expected a URL string or a table, found {}", other.kind())),
    };
    match (&table.path, &table.git, &table.url, &table.marketplace) {
        (path, Some(git), None, None) => Ok(RegistrySource::Git { url: git.clone(), path: path.clone(), rev: table.rev.clone() }),
        (Some(path), None, None, None) => {
            Ok(RegistrySource::Path { path: paths::expand(path, dir), written: paths::normalize_written(path) })
        }
        (None, None, Some(url), None) => RegistrySource::from_url(url, dir),
        (None, None, None, Some(m)) => MarketplaceSource::parse(m, table.rev.as_deref(), dir).map(RegistrySource::Marketplace),
        (None, None, None, None) => Err("needs one of `path`, `git`, `url` or `marketplace`".to_string()),
        _ => Err("give only one of `path`, `git` (with an optional `path`), `url` or `marketplace`".to_string()),
    }
}

type RequestError = (String, Option<String>);

fn plugin_request(
    name: &str,
    value: &Shorthand<PluginTable>,
    dir: &Path,
    registries: &[RegistryDecl],
) -> Result<PluginRequest, RequestError> {
    let table = match value {
        Shorthand::Str(req) => PluginTable { version: Some(req.clone()), ..PluginTable::default() },
        Shorthand::Table(t) => t.clone(),
        other => {
            return Err((
                format!("expected a version requirement or a table, found {}", other.kind()),
                Some(format!("write `{name} = \"^1\"` or `{name} = {{ version = \"^1\" }}`")),
            ));
        }
    };
    let only = |what: &str, allowed: &[&str]| -> Result<(), RequestError> {
        let given: Vec<&str> = [
            ("version", table.version.is_some()),
            ("registry", table.registry.is_some()),
            ("git", table.git.is_some()),
            ("rev", table.rev.is_some()),
            ("path", table.path.is_some()),
            ("url", table.url.is_some()),
            ("oci", table.oci.is_some()),
            ("integrity", table.integrity.is_some()),
        ]
        .into_iter()
        .filter(|(k, set)| *set && !allowed.contains(k))
        .map(|(k, _)| k)
        .collect();
        match given.as_slice() {
            [] => Ok(()),
            keys => Err((format!("`{}` cannot be combined with a {what} source", keys.join("`, `")), None)),
        }
    };
    let source = if let Some(url) = &table.git {
        only("git", &["git", "rev", "path", "integrity"])?;
        Requested::Git { url: url.clone(), rev: table.rev.clone(), subdir: table.path.as_deref().map(paths::normalize_written) }
    } else if let Some(url) = &table.url {
        only("tarball", &["url", "integrity"])?;
        Requested::Url { url: url.clone(), integrity: table.integrity }
    } else if let Some(reference) = &table.oci {
        only("oci", &["oci"])?;
        let (repo, tag, digest) = crate::oci::parse_reference(reference)
            .map_err(|e| (e.to_string(), Some("write it as `registry.example.org/acme/plugins/NAME:TAG`".into())))?;
        Requested::Oci { repo: repo.to_string(), tag, digest }
    } else if let Some(path) = &table.path {
        only("path", &["path"])?;
        let abs = paths::expand(path, dir);
        Requested::Path { written: paths::lock_path(path, &abs, dir), path: abs }
    } else {
        only("registry", &["version", "registry"])?;
        let req = match &table.version {
            Some(v) => parse_req(v).map_err(|e| (e, None))?,
            None => VersionReq::STAR,
        };
        if let Some(r) = &table.registry
            && !registries.iter().any(|d| &d.name == r)
        {
            let hint = crate::util::suggest::did_you_mean(r, registries.iter().map(|d| d.name.as_str()))
                .or_else(|| Some("add it to [registries]".into()));
            return Err((format!("unknown registry `{r}`"), hint));
        }
        Requested::Registry { req, registry: table.registry.clone() }
    };
    Ok(PluginRequest {
        name: name.to_string(),
        source,
        hooks: table.hooks.unwrap_or(true),
        mcp: table.mcp.unwrap_or(true),
        dispatch: table.dispatch.unwrap_or(true),
        span: 0..0,
    })
}

/// paii.toml's `[cache]`, as data (`crate::substitute` uses it).
#[derive(Debug, Clone, Default)]
pub struct Cache {
    pub substituters: Vec<crate::oci::Repository>,
    pub trusted: Vec<crate::sign::PublicKey>,
}

/// paii.toml's `[policy]`, as data (`crate::policy` checks a lock against it).
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub allowed_sources: Option<Vec<String>>,
    pub require_signatures: bool,
    /// `min-release-age`, in seconds.
    pub min_release_age: Option<u64>,
    pub require_approval: bool,
}

/// A duration as a person writes it (`7d`, `36h`, `2w`, `1w 2d`), in
/// seconds; a day is 24 hours.
pub fn parse_age(text: &str) -> Result<u64, String> {
    let span: jiff::Span = text.trim().parse().map_err(|e: jiff::Error| format!("`{text}` is not a duration ({e})"))?;
    let secs = span
        .total((jiff::Unit::Second, jiff::SpanRelativeTo::days_are_24_hours()))
        .map_err(|e| format!("`{text}` is not a duration ({e})"))?;
    if secs < 0.0 {
        return Err(format!("`{text}` is negative"));
    }
    Ok(secs as u64)
}

/// paii.toml's `[audit]`, as data.
#[derive(Debug, Clone)]
pub struct Audit {
    pub databases: Vec<AdvisoryDb>,
    pub ignore: Vec<IgnoredAdvisory>,
}

impl Default for Audit {
    fn default() -> Audit {
        Audit { databases: default_databases(), ignore: Vec::new() }
    }
}

/// An advisory database to audit against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdvisoryDb {
    pub name: String,
    pub url: String,
    pub rev: Option<String>,
    pub subdir: Option<String>,
}

/// An advisory `paii audit` does not report, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoredAdvisory {
    pub id: String,
    pub reason: Option<String>,
}

/// RustSec's OSV export and the PyPA's database.
pub fn default_databases() -> Vec<AdvisoryDb> {
    vec![
        AdvisoryDb {
            name: "pypa".into(),
            url: "https://github.com/pypa/advisory-database".into(),
            rev: Some("main".into()),
            subdir: Some("vulns".into()),
        },
        AdvisoryDb {
            name: "rustsec".into(),
            url: "https://github.com/rustsec/advisory-db".into(),
            rev: Some("osv".into()),
            subdir: Some("crates".into()),
        },
    ]
}

fn audit(raw: AuditTable, file: &SourceFile, warnings: &mut Vec<Warning>) -> Result<Audit, SpannedError> {
    let databases = match raw.databases {
        None => default_databases(),
        Some(dbs) => {
            let mut out = Vec::new();
            for (name, d) in dbs {
                if !is_valid_name(&name) {
                    return Err(file.error(file.key_span(&["audit", "databases", &name]), name_error(&name), None));
                }
                let url = if d.git.contains("://") || d.git.starts_with("git@") {
                    d.git
                } else {
                    // A local repository, relative to paii.toml.
                    let dir = file.path.parent().map(Path::to_path_buf).unwrap_or_default();
                    format!("file://{}", paths::expand(&d.git, &dir).display())
                };
                out.push(AdvisoryDb { name, url, rev: d.rev, subdir: d.path.filter(|p| !p.is_empty() && p != ".") });
            }
            out
        }
    };
    let mut ignore = Vec::new();
    for i in raw.ignore {
        match i {
            IgnoreValue::Reasoned { id, reason } => ignore.push(IgnoredAdvisory { id, reason: Some(reason) }),
            IgnoreValue::Id(id) => {
                warnings.push(file.warning(
                    file.key_span(&["audit", "ignore"]),
                    format!("`audit.ignore` names {id} without a reason; write `{{ id = \"{id}\", reason = \"...\" }}` so that the next reader knows why"),
                ));
                ignore.push(IgnoredAdvisory { id, reason: None });
            }
        }
    }
    Ok(Audit { databases, ignore })
}

/// The paii.toml `paii init` writes: the plugins a new user starts with.
pub const TEMPLATE: &str = r#"# paii.toml: the plugins you want. `paii sync` installs exactly these.
# Commit it (with paii.lock) to share a setup with your team.

[paii]
version = ">=0.1.0"          # paii versions this manifest accepts

# [paths]
# history = "~/.config/paii/history"

[registries]                 # order = priority: the first that lists a plugin supplies it
# core = { path = "./registries/core.toml" }
# work = { git = "https://example.org/acme/paii-plugins", path = "registry.toml", rev = "main" }

[plugins]
# security = "^1.0"                              # from the first registry that has it
# history = { version = "~1.2", registry = "core" }
# dev = { path = "../my-plugin" }                # a plugin you are writing
# quiet = { version = "^1", hooks = false }      # everything but its hooks

# [config.incident]          # team defaults for a plugin's [config]
# escalation_threshold_minutes = 15

# [wiring.incident]          # only when two selected plugins provide one contract
# memory = "history"
"#;

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest, SpannedError> {
        Manifest::parse(SourceFile::new(Path::new("/team/paii.toml"), text))
    }

    #[test]
    fn every_plugin_form_parses() {
        let m = parse(
            r#"
[registries]
core = { path = "./registries/core.toml" }
[plugins]
security = "^1.0"
history = { version = "~1.2", registry = "core" }
mytool = { git = "https://example.org/me/mytool", rev = "v2.0.1", path = "plugins/mytool" }
dev = { path = "../my-plugin" }
blob = { url = "https://example.org/blob-1.0.tar.gz", integrity = "sha256-pQpattmS9VmO3ZIQUFn66az8GSmB4IvYhTTCFn6SUmo=" }
quiet = { version = "^1", hooks = false }
"#,
        )
        .unwrap();
        let names: Vec<&str> = m.plugins.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["blob", "dev", "history", "mytool", "quiet", "security"]);
        assert_eq!(m.plugin("dev").unwrap().source, Requested::Path { path: PathBuf::from("/my-plugin"), written: "../my-plugin".into() });
        assert!(!m.plugin("quiet").unwrap().hooks);
        assert!(matches!(&m.registries[0].source, RegistrySource::Path { path, .. } if path == Path::new("/team/registries/core.toml")));
    }

    #[test]
    fn bad_requirement_is_an_error_at_its_value() {
        let err = parse("[plugins]\nsecurity = \"^x.1\"\n").unwrap_err();
        assert_eq!(err.location.to_string(), "/team/paii.toml:2:12");
        assert!(err.message.contains("invalid version requirement `^x.1`"), "{}", err.message);
    }

    #[test]
    fn unknown_registry_gets_a_suggestion() {
        let err =
            parse("[registries]\ncore = { path = \"r.toml\" }\n[plugins]\nx = { version = \"^1\", registry = \"cor\" }\n").unwrap_err();
        assert!(err.message.contains("unknown registry `cor`"), "{}", err.message);
        assert_eq!(err.help.as_deref(), Some("did you mean `core`?"));
    }

    #[test]
    fn duplicate_plugin_keys_are_rejected() {
        let err = parse("[plugins]\nsecurity = \"^1\"\nsecurity = \"^2\"\n").unwrap_err();
        assert!(err.message.to_lowercase().contains("duplicate"), "{}", err.message);
        assert!(err.location.to_string().starts_with("/team/paii.toml:3:"), "{}", err.location);
    }

    #[test]
    fn bad_names_and_mixed_sources_are_rejected() {
        assert!(parse("[plugins]\nMy_Plugin = \"^1\"\n").unwrap_err().message.contains("invalid name"));
        let err = parse("[plugins]\nx = { git = \"u\", url = \"v\" }\n").unwrap_err();
        assert!(err.message.contains("`url` cannot be combined with a git source"), "{}", err.message);
    }

    #[test]
    fn unknown_keys_warn() {
        let m = parse("[plugins]\nx = { vresion = \"^1\" }\n[paths]\nhistroy = \"~/h\"\n").unwrap();
        let msgs: Vec<&str> = m.warnings.iter().map(|w| w.message.as_str()).collect();
        assert!(msgs.iter().any(|m| m.contains("plugins.x.vresion")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("paths.histroy")), "{msgs:?}");
    }
}
