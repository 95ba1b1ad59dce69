//! Registries: files that list plugin versions (the upstream `[registry]` +
//! `[[plugins]]` format), loaded in priority order into an [`Index`].

pub mod cache;
pub mod fetch;
pub mod marketplace;
pub mod validate;

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use indexmap::IndexMap;
use schemars::JsonSchema;
use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};
use toml::Spanned;
use toml::de::DeValue;

use crate::diagnostic::{SourceFile, SpannedError, Warning, deserialize_table, parse_table, unknown_key_warnings};
use crate::manifest::Shorthand;
use crate::manifest::contract::{Consume, Provide};
use crate::manifest::plugin::{ConsumeValueSchema, ContractTable, Language, consume_from};
use crate::manifest::version::{is_valid_plugin_name, name_error, parse_req, parse_version};
use crate::store::integrity::Integrity;

pub use fetch::{RegistryFetcher, RegistrySource};

// ---- the file format -------------------------------------------------------

/// A registry file: an index of plugins and their versions.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(title = "paii registry", description = "An index of plugin versions (core.toml, work.toml)")]
pub struct RegistryFile {
    pub registry: RegistryMeta,
    /// One entry per version; a name may repeat with other versions.
    #[serde(default)]
    pub plugins: Vec<EntryFile>,
}

#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct RegistryMeta {
    pub name: String,
    #[serde(default)]
    pub description: String,
}

/// One version of one plugin.
#[derive(Debug, Deserialize, JsonSchema)]
pub struct EntryFile {
    #[schemars(with = "String", regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub name: Spanned<String>,
    /// Semver.
    #[schemars(with = "String")]
    pub version: Spanned<String>,
    #[serde(default)]
    pub description: String,
    /// Git URL of the repository holding the plugin.
    pub source: Option<String>,
    /// Tarball URL (instead of `source`); needs `integrity`.
    pub url: Option<String>,
    /// Commit (preferably the full 40-hex id), tag or branch of `source`.
    #[schemars(with = "Option<String>")]
    pub rev: Option<Spanned<String>>,
    /// Subdirectory of the source holding plugin.toml; without `source` or
    /// `url`, a directory beside the registry file.
    pub path: Option<String>,
    /// `sha256-<base64>` of the plugin tree.
    #[schemars(with = "Option<Integrity>")]
    pub integrity: Option<Spanned<String>>,
    pub language: Option<Language>,
    /// Free-form kind, e.g. `foundation`.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    /// Copied from plugin.toml's `[paii] core_version`.
    #[schemars(with = "Option<String>")]
    pub core_version: Option<Spanned<String>>,
    /// Contracts provided: `HookHandler`, `SkillProvider:incident`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub provides: Vec<Spanned<String>>,
    /// Contracts consumed, as in plugin.toml.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ConsumeValueSchema>")]
    pub consumes: IndexMap<String, Spanned<Shorthand<ContractTable>>>,
    #[serde(default)]
    pub yanked: bool,
    /// When this version was published: `2026-11-30` or an RFC 3339 time.
    /// `[policy] min-release-age` skips versions younger than that.
    #[schemars(with = "Option<String>")]
    pub published: Option<Spanned<String>>,
    /// Other plugins it needs, as Claude Code writes them: `name` (from
    /// this registry), `name@registry`, with a requirement `name@^1.2`.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub dependencies: Vec<Spanned<String>>,
}

// ---- the typed index -------------------------------------------------------

/// Where an entry's plugin tree comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum EntrySource {
    Git {
        url: String,
        rev: Option<String>,
    },
    /// A downloaded archive; `digest` is the file's hash when the source
    /// names one (a marketplace's zip or npm tarball).
    Tarball {
        url: String,
        digest: Option<crate::store::integrity::FileDigest>,
    },
    /// A directory on this machine, relative to paii.toml (a plugin of a
    /// local marketplace).
    Path {
        path: String,
    },
    /// An OCI artifact (`source = "oci://HOST/NAME@sha256:..."` or `:TAG`).
    Oci {
        repo: String,
        tag: Option<String>,
        digest: Option<String>,
    },
}

impl EntrySource {
    /// The lock's form of this source (a full commit id as `rev` is the
    /// commit itself), credentials in URLs kept: see [`LockedSource::redacted`]
    /// for what paii.lock records.
    pub fn locked(&self) -> crate::lock::LockedSource {
        use crate::lock::LockedSource;
        match self {
            EntrySource::Git { url, rev } => {
                let commit = rev.clone().filter(|r| crate::util::url::is_full_commit(r));
                LockedSource::Git { url: url.clone(), rev: rev.clone().filter(|_| commit.is_none()), commit }
            }
            EntrySource::Tarball { url, digest } => LockedSource::Tarball { url: url.clone(), digest: digest.clone() },
            EntrySource::Path { path } => LockedSource::Path { path: path.clone() },
            EntrySource::Oci { repo, tag, digest } => LockedSource::Oci { repo: repo.clone(), tag: tag.clone(), digest: digest.clone() },
        }
    }
}

/// One version of one plugin in one registry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct IndexEntry {
    pub name: String,
    pub version: Version,
    pub description: String,
    pub source: EntrySource,
    pub subdir: Option<String>,
    pub integrity: Option<Integrity>,
    pub language: Option<Language>,
    pub kind: Option<String>,
    pub tags: Vec<String>,
    pub core_version: Option<VersionReq>,
    pub provides: Vec<Provide>,
    pub consumes: BTreeMap<String, Consume>,
    pub yanked: bool,
    /// When it was published (seconds since the Unix epoch): the entry's
    /// own date, an npm release's, or learnt from its git commit.
    #[serde(default)]
    pub published: Option<i64>,
    pub dependencies: Vec<crate::manifest::native::Dependency>,
    /// A marketplace entry's manifest fields, laid over the plugin's own
    /// (see [`crate::lock::LockedPlugin::overlay`]).
    pub overlay: Option<String>,
    pub span: Range<usize>,
    /// A name a marketplace's `renames` retired: the entry is the current
    /// plugin's, under the old name it is still requested by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renamed_to: Option<String>,
}

/// One loaded registry.
#[derive(Debug)]
pub struct Registry {
    /// The key in paii.toml's `[registries]`.
    pub name: String,
    pub meta: RegistryMeta,
    pub file: SourceFile,
    pub entries: Vec<IndexEntry>,
    /// Plugin name -> indices into `entries`.
    by_name: HashMap<String, Vec<usize>>,
    /// sha256 of the file's bytes.
    pub hash: Integrity,
    /// For a registry kept in git: the commit its copy was read at.
    pub commit: Option<String>,
}

impl Registry {
    pub fn new(name: &str, meta: RegistryMeta, file: SourceFile, entries: Vec<IndexEntry>) -> Registry {
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_name.entry(e.name.clone()).or_default().push(i);
        }
        use sha2::{Digest, Sha256};
        let hash = Integrity::from_digest(Sha256::digest(file.text.as_bytes()).into());
        Registry { name: name.to_string(), meta, file, entries, by_name, hash, commit: None }
    }

    /// Places the entries that name only a `path` (a plugin beside the
    /// registry file) where the registry itself was found: a directory on
    /// this machine stays a path, relative to paii.toml as the registry's
    /// own path is; a git registry makes them subdirectories of its
    /// repository at the commit it was read at. A registry fetched from a
    /// URL has no beside.
    pub fn rebase(&mut self, source: &fetch::RegistrySource) -> Result<(), SpannedError> {
        use fetch::RegistrySource;
        for e in &mut self.entries {
            let EntrySource::Path { path } = &e.source else { continue };
            let parent = |p: &str| std::path::Path::new(p).parent().map(|d| d.to_string_lossy().into_owned()).unwrap_or_default();
            match source {
                RegistrySource::Path { written, .. } => {
                    let dir = parent(written.strip_prefix("file://").unwrap_or(written));
                    e.source = EntrySource::Path { path: crate::util::paths::normalize_written(&marketplace::join(&dir, path)) };
                }
                RegistrySource::Git { url, path: file, .. } => {
                    let sub = marketplace::join(&parent(file.as_deref().unwrap_or("")), path);
                    e.subdir = Some(sub).filter(|s| !s.is_empty() && s != ".");
                    e.source = EntrySource::Git { url: url.clone(), rev: self.commit.clone() };
                }
                RegistrySource::Url(_) | RegistrySource::Marketplace(_) => {
                    return Err(self.file.error(
                        Some(e.span.clone()),
                        format!("plugin `{}` names only a `path`, but this registry was fetched from a URL, which has no directory beside it", e.name),
                        Some("give the entry a `source` (a git URL) or `url` (a tarball); `path` alone works in a registry kept in a directory or a git repository".into()),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Every version of `name` in this registry, in file order.
    pub fn versions(&self, name: &str) -> Vec<&IndexEntry> {
        self.by_name.get(name).map(|ix| ix.iter().map(|&i| &self.entries[i]).collect()).unwrap_or_default()
    }
}

/// The errors found in one registry file, all of them.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
#[error("{file}: {} problem{} in this registry", errors.len(), if errors.len() == 1 { "" } else { "s" })]
pub struct RegistryErrors {
    pub file: String,
    #[related]
    pub errors: Vec<SpannedError>,
}

/// The outcome of reading a registry file without giving up at the first
/// bad entry: what parsed, what did not, and what is suspicious.
#[derive(Debug)]
pub struct RegistryParse {
    pub meta: Option<RegistryMeta>,
    pub entries: Vec<IndexEntry>,
    pub errors: Vec<SpannedError>,
    pub warnings: Vec<Warning>,
    /// Paths of unknown keys (what `warnings` was made from).
    pub unknown: Vec<Vec<String>>,
}

impl Registry {
    /// Parses `file`; any bad entry fails the whole registry.
    pub fn parse(name: &str, file: SourceFile) -> Result<(Registry, Vec<Warning>), RegistryErrors> {
        let parsed = parse_registry(&file);
        match (parsed.meta, parsed.errors.is_empty()) {
            (Some(meta), true) => Ok((Registry::new(name, meta, file, parsed.entries), parsed.warnings)),
            (_, _) => Err(RegistryErrors { file: file.name.clone(), errors: parsed.errors }),
        }
    }
}

/// Reads every entry of a registry file, collecting errors per entry.
pub fn parse_registry(file: &SourceFile) -> RegistryParse {
    let mut out = RegistryParse { meta: None, entries: Vec::new(), errors: Vec::new(), warnings: Vec::new(), unknown: Vec::new() };
    let root = match parse_table(file) {
        Ok(root) => root,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    let root_span = root.span();
    let mut root = root.into_inner();
    let mut unknown = Vec::new();

    match root.remove("registry").map(|v| (v.span(), v.into_inner())) {
        Some((span, DeValue::Table(t))) => match deserialize_table::<RegistryMeta>(file, Spanned::new(span, t), &["registry".into()]) {
            Ok((meta, u)) => {
                unknown.extend(u);
                out.meta = Some(meta);
            }
            Err(e) => out.errors.push(e),
        },
        Some((span, other)) => {
            out.errors.push(file.error(Some(span), format!("`registry` must be a table, found {}", other.type_str()), None))
        }
        None => out.errors.push(file.error(
            Some(root_span.start..root_span.start),
            "missing `[registry]` table",
            Some("start the file with `[registry]` and `name = \"...\"`".into()),
        )),
    }

    let plugins = match root.remove("plugins").map(|v| (v.span(), v.into_inner())) {
        Some((_, DeValue::Array(items))) => items,
        Some((span, other)) => {
            out.errors.push(file.error(
                Some(span),
                format!("`plugins` must be an array of tables (`[[plugins]]`), found {}", other.type_str()),
                None,
            ));
            Default::default()
        }
        None => Default::default(),
    };
    for key in root.keys() {
        unknown.push(vec![key.get_ref().to_string()]);
    }

    for (i, item) in plugins.into_iter().enumerate() {
        let span = item.span();
        let prefix = ["plugins".to_string(), i.to_string()];
        let DeValue::Table(table) = item.into_inner() else {
            out.errors.push(file.error(Some(span), format!("`plugins[{i}]` must be a table"), None));
            continue;
        };
        match deserialize_table::<EntryFile>(file, Spanned::new(span.clone(), table), &prefix) {
            Ok((raw, u)) => {
                unknown.extend(u);
                match entry_from(file, raw, span, &mut out.warnings) {
                    Ok(entry) => out.entries.push(entry),
                    Err(errs) => out.errors.extend(errs),
                }
            }
            Err(e) => out.errors.push(e),
        }
    }
    // One name and version, one entry: otherwise which source is meant
    // would depend on entry order. Build metadata does not make a version.
    let mut seen: HashMap<(&str, Version), &IndexEntry> = HashMap::new();
    for e in &out.entries {
        if let Some(first) = seen.insert((e.name.as_str(), crate::manifest::version::precedence(&e.version)), e) {
            let (line, _) = file.line_col(first.span.start);
            out.errors.push(file.error(
                Some(e.span.clone()),
                format!("duplicate entry for {} {} (first at line {line})", e.name, e.version),
                Some("each version of a plugin is listed once; remove one entry or give it another version".into()),
            ));
        }
    }
    out.warnings.extend(unknown_key_warnings(file, unknown.clone()));
    out.unknown = unknown;
    out
}

fn entry_from(file: &SourceFile, raw: EntryFile, span: Range<usize>, warnings: &mut Vec<Warning>) -> Result<IndexEntry, Vec<SpannedError>> {
    let mut errors = Vec::new();
    let name = raw.name.get_ref().clone();
    let label = format!("plugin `{name}`");
    if !is_valid_plugin_name(&name) {
        errors.push(file.error(Some(raw.name.span()), name_error(&name), None));
    }
    let version = parse_version(raw.version.get_ref())
        .map_err(|e| errors.push(file.error(Some(raw.version.span()), format!("{label}: {e}"), None)))
        .ok();
    let core_version = match &raw.core_version {
        Some(cv) => match parse_req(cv.get_ref()) {
            Ok(r) => Some(r),
            Err(e) => {
                errors.push(file.error(Some(cv.span()), format!("{label}: `core_version`: {e}"), None));
                None
            }
        },
        None => None,
    };
    let integrity = match &raw.integrity {
        Some(i) => match i.get_ref().parse::<Integrity>() {
            Ok(i) => Some(i),
            Err(e) => {
                errors.push(file.error(Some(i.span()), format!("{label}: {e}"), None));
                None
            }
        },
        None => None,
    };
    let source = match (&raw.source, &raw.url) {
        (Some(oci), None) if oci.starts_with("oci://") => match crate::oci::parse_reference(oci) {
            Ok((repo, tag, digest)) => Some(EntrySource::Oci { repo: repo.to_string(), tag, digest }),
            Err(e) => {
                errors.push(file.error(Some(span.clone()), format!("{label}: `source`: {e}"), None));
                None
            }
        },
        (Some(git), None) => Some(EntrySource::Git { url: git.clone(), rev: raw.rev.as_ref().map(|r| r.get_ref().clone()) }),
        (None, Some(url)) => {
            if integrity.is_none() && raw.integrity.is_none() {
                errors.push(file.error(
                    Some(span.clone()),
                    format!("{label}: a tarball (`url`) source needs `integrity`"),
                    Some("compute it with `paii registry validate --fetch`, or from the unpacked tree with `nix hash path`".into()),
                ));
            }
            Some(EntrySource::Tarball { url: url.clone(), digest: None })
        }
        // A plugin next to the registry: `path` alone, relative to the
        // registry file (see `Registry::rebase`).
        (None, None) if raw.path.is_some() => match raw.path.as_deref().and_then(marketplace::inside) {
            Some(path) => Some(EntrySource::Path { path }),
            None => {
                errors.push(file.error(Some(span.clone()), format!("{label}: `path` must stay inside the registry's directory"), None));
                None
            }
        },
        (None, None) => {
            errors.push(file.error(
                Some(span.clone()),
                format!("{label}: needs `source` (a git URL), `url` (a tarball) or `path` (a directory beside the registry file)"),
                None,
            ));
            None
        }
        (Some(_), Some(_)) => {
            errors.push(file.error(Some(span.clone()), format!("{label}: give `source` or `url`, not both"), None));
            None
        }
    };
    let mut provides = Vec::new();
    for p in &raw.provides {
        match p.get_ref().parse::<Provide>() {
            Ok(pr) => {
                if let Some(w) = crate::manifest::contract::near_miss_warning(&pr.contract) {
                    warnings.push(file.warning(Some(p.span()), format!("{label}: {w}")));
                }
                provides.push(pr)
            }
            Err(e) => errors.push(file.error(Some(p.span()), format!("{label}: `provides`: {e}"), None)),
        }
    }
    provides.sort();
    provides.dedup();
    let mut consumes = BTreeMap::new();
    for (key, value) in &raw.consumes {
        match consume_from(value.get_ref()) {
            Ok(c) => {
                if let Some(w) = crate::manifest::contract::near_miss_warning(&c.contract) {
                    warnings.push(file.warning(Some(value.span()), format!("{label}: `consumes.{key}`: {w}")));
                }
                consumes.insert(key.clone(), c);
            }
            Err(e) => errors.push(file.error(Some(value.span()), format!("{label}: `consumes.{key}`: {e}"), None)),
        }
    }
    let published = match &raw.published {
        None => None,
        Some(p) => match crate::util::time::parse_timestamp(p.get_ref()) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(file.error(Some(p.span()), format!("{label}: `published`: {e}"), None));
                None
            }
        },
    };
    let mut dependencies = Vec::new();
    for d in &raw.dependencies {
        match crate::manifest::native::parse_dependency(d.get_ref()) {
            Ok(dep) => dependencies.push(dep),
            Err(e) => errors.push(file.error(Some(d.span()), format!("{label}: `dependencies`: {e}"), None)),
        }
    }
    match (errors.is_empty(), version, source) {
        (true, Some(version), Some(source)) => Ok(IndexEntry {
            name,
            version,
            description: raw.description,
            subdir: raw.path.as_deref().filter(|_| !matches!(source, EntrySource::Path { .. })).map(crate::util::paths::normalize_written),
            source,
            integrity,
            language: raw.language,
            kind: raw.kind,
            tags: raw.tags,
            core_version,
            provides,
            consumes,
            yanked: raw.yanked,
            published,
            dependencies,
            overlay: None,
            span,
            renamed_to: None,
        }),
        _ => Err(errors),
    }
}

/// Every configured registry, in priority order.
#[derive(Debug, Default)]
pub struct Index {
    pub registries: Vec<Registry>,
}

impl Index {
    /// The registry that supplies `name` and its versions there: the named
    /// registry, or else the first in priority order that lists the name. Later
    /// registries never mix in versions of a name an earlier one has, so a team
    /// registry cannot be shadowed by a public one behind its back.
    pub fn candidates(&self, name: &str, registry: Option<&str>) -> Option<(&Registry, Vec<&IndexEntry>)> {
        self.registries.iter().filter(|r| registry.is_none_or(|want| r.name == want)).find_map(|r| {
            let versions = r.versions(name);
            (!versions.is_empty()).then_some((r, versions))
        })
    }

    pub fn registry(&self, name: &str) -> Option<&Registry> {
        self.registries.iter().find(|r| r.name == name)
    }

    /// The newest non-yanked version of each plugin (in its supplying
    /// registry) that provides what `consume` asks for.
    pub fn providers(&self, consume: &Consume) -> Vec<&IndexEntry> {
        let mut names: Vec<&str> = self
            .registries
            .iter()
            .flat_map(|r| &r.entries)
            .filter(|e| e.provides.iter().any(|p| p.satisfies(consume)))
            .map(|e| e.name.as_str())
            .collect();
        names.sort();
        names.dedup();
        names
            .into_iter()
            .filter_map(|n| {
                let (_, versions) = self.candidates(n, None)?;
                let running = crate::manifest::version::paii_version();
                versions
                    .into_iter()
                    .filter(|e| !e.yanked && e.provides.iter().any(|p| p.satisfies(consume)))
                    .filter(|e| e.core_version.as_ref().is_none_or(|r| r.matches(&running)))
                    .max_by(|a, b| a.version.cmp(&b.version))
            })
            .collect()
    }

    /// Entries whose name, description or tags contain `query`
    /// (case-insensitive), newest version of each name.
    pub fn search(&self, query: &str) -> Vec<(&Registry, &IndexEntry)> {
        let q = query.to_lowercase();
        let mut best: BTreeMap<(&str, &str), (&Registry, &IndexEntry)> = BTreeMap::new();
        for r in &self.registries {
            for e in &r.entries {
                let hit = e.name.contains(&q)
                    || e.description.to_lowercase().contains(&q)
                    || e.tags.iter().any(|t| t.to_lowercase().contains(&q));
                if !hit || e.yanked {
                    continue;
                }
                let slot = best.entry((e.name.as_str(), r.name.as_str())).or_insert((r, e));
                if e.version > slot.1.version {
                    *slot = (r, e);
                }
            }
        }
        best.into_values().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn parse(text: &str) -> RegistryParse {
        parse_registry(&SourceFile::new(Path::new("core.toml"), text))
    }

    #[test]
    fn a_path_entry_is_placed_where_its_registry_was_found() {
        let text = "[registry]\nname = \"core\"\n\n[[plugins]]\nname = \"a\"\nversion = \"1.0.0\"\npath = \"./a\"\n";
        let load = || Registry::parse("core", SourceFile::new(Path::new("registry.toml"), text)).unwrap().0;
        let mut r = load();
        r.rebase(&fetch::RegistrySource::Path { path: "/abs/plugins/registry.toml".into(), written: "../plugins/registry.toml".into() })
            .unwrap();
        assert!(matches!(&r.entries[0].source, EntrySource::Path { path } if path == "../plugins/a"), "{:?}", r.entries[0].source);
        assert_eq!(r.entries[0].subdir, None);

        let mut r = load();
        r.commit = Some("c".repeat(40));
        let git = fetch::RegistrySource::Git { url: "https://example.org/r.git".into(), path: Some("reg/core.toml".into()), rev: None };
        r.rebase(&git).unwrap();
        assert!(
            matches!(&r.entries[0].source, EntrySource::Git { url, rev } if url == "https://example.org/r.git" && rev.as_deref() == Some(&*"c".repeat(40)))
        );
        assert_eq!(r.entries[0].subdir.as_deref(), Some("reg/a"));

        let err = load().rebase(&fetch::RegistrySource::Url("https://example.org/core.toml".into())).unwrap_err();
        assert!(err.to_string().contains("names only a `path`"), "{err}");
        assert!(!parse(&text.replace("./a", "../a")).errors.is_empty(), "a path may not leave the registry's directory");
    }

    #[test]
    fn upstream_format_parses() {
        let r = parse(
            r#"
[registry]
name = "core"
description = "Core PAII plugins"

[[plugins]]
name = "security"
version = "1.2.0"
description = "Blocks dangerous commands"
source = "https://example.org/paii/plugins.git"
rev = "3f1c2a9e5b7d4c6f8a0b1c2d3e4f5a6b7c8d9e0f"
path = "plugins/security"
language = "rust"
type = "foundation"
tags = ["security", "hooks"]
core_version = ">=0.1.0"
provides = ["HookHandler"]
consumes = { memory = { contract = "MemoryProvider", optional = true } }
yanked = false
"#,
        );
        assert!(parse_errors_empty(&r), "{:?}", r.errors);
        let e = &r.entries[0];
        assert_eq!(e.version, Version::new(1, 2, 0));
        assert_eq!(e.subdir.as_deref(), Some("plugins/security"));
        assert_eq!(e.provides, [Provide::new("HookHandler", None)]);
        assert!(e.consumes["memory"].optional);
    }

    fn parse_errors_empty(r: &RegistryParse) -> bool {
        r.errors.is_empty() && r.meta.is_some()
    }

    #[test]
    fn every_bad_entry_is_reported_with_its_location() {
        let r = parse(
            "[registry]\nname = \"core\"\n\n[[plugins]]\nname = \"a\"\nversion = \"1.x\"\nsource = \"g\"\n\n[[plugins]]\nname = \"b\"\nversion = \"1.0.0\"\nurl = \"https://x/b.tgz\"\n",
        );
        assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
        assert_eq!(r.errors[0].location.to_string(), "core.toml:6:11");
        assert!(r.errors[0].message.contains("invalid version `1.x`"));
        assert!(r.errors[1].message.contains("needs `integrity`"));
    }

    #[test]
    fn a_teams_own_contract_near_a_known_one_is_a_warning() {
        let r = parse(
            "[registry]\nname = \"core\"\n[[plugins]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"g\"\nprovides = [\"PagerProvider\"]\n",
        );
        assert!(r.errors.is_empty(), "{:?}", r.errors);
        assert_eq!(r.entries[0].provides, [Provide::new("PagerProvider", None)]);
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].location.to_string(), "core.toml:7:13");
        assert!(r.warnings[0].message.contains("did you mean `AgentProvider`"), "{}", r.warnings[0].message);
    }

    #[test]
    fn unknown_entry_keys_warn_at_their_location() {
        let r = parse("[registry]\nname = \"core\"\n[[plugins]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"g\"\nyank = true\n");
        assert!(r.errors.is_empty());
        assert_eq!(r.warnings.len(), 1);
        assert_eq!(r.warnings[0].location.to_string(), "core.toml:7:1");
        assert!(r.warnings[0].message.contains("plugins.0.yank"));
    }
}
