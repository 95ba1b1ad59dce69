//! Claude Code marketplaces (`.claude-plugin/marketplace.json`) read as
//! registries: each plugin entry becomes an [`IndexEntry`] whose source is
//! pinned the way paii pins everything, by a full commit or a file hash.
//!
//! Every plugin source Claude Code accepts is read: a path inside the
//! marketplace (`./x`, or a bare name under `metadata.pluginRoot`),
//! `github`, `url`, `git-subdir`, `archive` (a zip and its sha256) and `npm`
//! (a registry tarball, its version chosen here and its `dist.integrity`
//! kept). `command` sources run a program to produce a directory; paii
//! cannot pin that, and says so for the entry.

use std::path::{Path, PathBuf};

use semver::{Version, VersionReq};
use serde_json::{Map, Value};

use super::{EntrySource, IndexEntry, Registry, RegistryErrors, RegistryMeta};
use crate::diagnostic::{SourceFile, SpannedError, Warning};
use crate::manifest::native::{Dependency, PLUGIN_JSON, dependency_from_json};
use crate::store::integrity::FileDigest;

/// Where a marketplace keeps its catalogue.
pub use crate::manifest::source::MARKETPLACE_JSON;

/// The vendored schema of marketplace.json.
pub const SCHEMA: &str = include_str!("../../vendor/schemastore/claude-code-marketplace.schema.json");

/// The build metadata of a plugin that names no version and whose source is
/// not pinned yet: `paii lock` replaces it once the commit is known.
pub const UNPINNED: &str = "unpinned";

pub use crate::manifest::source::MarketplaceSource;
use crate::manifest::source::github_shorthand;

fn github_url(repo: &str) -> String {
    format!("https://github.com/{}.git", repo.trim_end_matches(".git"))
}

/// What a marketplace's relative plugin sources are relative to.
pub enum Base<'a> {
    /// A local directory; plugins become path sources relative to paii.toml.
    Dir { dir: &'a Path, written: &'a str },
    /// A git repository at a commit; plugins become git sources at it.
    Git { url: &'a str, commit: &'a str, cache: &'a Path },
    /// Nothing to read (validation of a file on its own).
    Detached,
}

impl Base<'_> {
    /// A file of the marketplace repository, if it is there.
    fn read(&self, rel: &str) -> Option<String> {
        match self {
            Base::Dir { dir, .. } => crate::diagnostic::read_text(&dir.join(rel)).ok(),
            Base::Git { url, commit, cache } => crate::source::git::cached_text(url, commit, rel, cache),
            Base::Detached => None,
        }
    }
}

/// One npm release chosen for an entry.
#[derive(Debug, Clone)]
pub struct NpmRelease {
    pub version: Version,
    pub tarball: String,
    pub integrity: FileDigest,
    /// npm's publish time of the version (`time` of the packument).
    pub published: Option<i64>,
}

/// Chooses an npm package's version (the registry is asked once and its
/// answer cached; see [`NpmRegistry`]).
pub trait NpmLookup {
    fn release(&self, package: &str, range: Option<&str>, registry: Option<&str>) -> Result<NpmRelease, String>;
}

/// Reads an entry's marketplace in context.
pub struct Reader<'a> {
    pub base: Base<'a>,
    /// `None` when npm entries are only checked, not resolved.
    pub npm: Option<&'a dyn NpmLookup>,
}

/// What a marketplace file holds, with every problem found.
pub struct Parsed {
    pub meta: Option<RegistryMeta>,
    pub entries: Vec<IndexEntry>,
    pub errors: Vec<SpannedError>,
    pub warnings: Vec<Warning>,
}

/// Reads `file` as registry `name`; any bad entry fails the whole
/// marketplace, as a bad entry fails a registry.
pub fn parse(name: &str, file: SourceFile, reader: &Reader<'_>) -> Result<(Registry, Vec<Warning>), RegistryErrors> {
    let parsed = check(&file, reader);
    match (parsed.meta, parsed.errors.is_empty()) {
        (Some(meta), true) => Ok((Registry::new(name, meta, file, parsed.entries), parsed.warnings)),
        _ => Err(RegistryErrors { file: file.name.clone(), errors: parsed.errors }),
    }
}

/// The vendored schema, taught what Claude Code accepts beyond it: `archive`
/// sources, bare names under `metadata.pluginRoot`, and other source kinds
/// (refused by paii with a message of its own rather than a schema error).
fn schema() -> Result<Value, String> {
    let mut schema: Value = serde_json::from_str(SCHEMA).map_err(|e| format!("the vendored schema does not parse: {e}"))?;
    let extra = serde_json::json!([
        {"type": "object", "properties": {"source": {"const": "archive"}, "url": {"type": "string"},
            "sha256": {"type": "string", "pattern": "^[A-Fa-f0-9]{64}$"}}, "required": ["source", "url", "sha256"]},
        {"type": "object", "properties": {"source": {"type": "string",
            "not": {"enum": ["npm", "url", "github", "git-subdir", "archive"]}}}, "required": ["source"]},
        {"type": "string", "pattern": "^[^./][^/]*$"},
        {"const": "."}
    ]);
    if let Some(Value::Array(any)) = schema.pointer_mut("/properties/plugins/items/properties/source/anyOf")
        && let Value::Array(more) = extra
    {
        any.extend(more);
    }
    Ok(schema)
}

/// Reads every entry of a marketplace file, collecting errors per entry.
pub fn check(file: &SourceFile, reader: &Reader<'_>) -> Parsed {
    let mut out = Parsed { meta: None, entries: Vec::new(), errors: Vec::new(), warnings: Vec::new() };
    let doc = match crate::diagnostic::json::parse(file) {
        Ok(doc) => doc,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    let schema = match schema() {
        Ok(s) => s,
        Err(e) => {
            out.errors.push(file.error(None, e, None));
            return out;
        }
    };
    let hint = "marketplace.json must follow Claude Code's marketplace schema (vendor/schemastore/claude-code-marketplace.schema.json)";
    out.errors.extend(crate::diagnostic::json::schema_errors(file, &doc, &schema).into_iter().map(|e| e.with_help(hint)));
    // Entries are checked one by one: a schema error in one does not hide
    // the problems of the others.
    let Ok(entry_schema) = jsonschema::validator_for(&schema["properties"]["plugins"]["items"]) else { return out };
    let Value::Object(doc) = doc else { return out };
    out.meta = Some(RegistryMeta {
        name: doc.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
        description: doc
            .get("description")
            .or_else(|| doc.get("metadata").and_then(|m| m.get("description")))
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
    });
    let plugin_root = doc.get("metadata").and_then(|m| m.get("pluginRoot")).and_then(Value::as_str);
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut optionals: Vec<(usize, Vec<Dependency>)> = Vec::new();
    let mut default_enabled: std::collections::HashMap<String, bool> = std::collections::HashMap::new();
    for (i, entry) in doc.get("plugins").and_then(Value::as_array).into_iter().flatten().enumerate() {
        let Some(entry) = entry.as_object().filter(|_| entry_schema.is_valid(entry)) else { continue };
        let at = |key: &str| crate::diagnostic::json::pointer_span(&file.text, &format!("/plugins/{i}{key}"));
        let name = entry.get("name").and_then(Value::as_str).unwrap_or_default();
        if let Some(first) = seen.insert(name.to_string(), i) {
            out.errors.push(file.error(
                at("/name"),
                format!("plugin `{name}` is listed twice (first as plugins[{first}])"),
                Some("a marketplace lists each plugin once".into()),
            ));
            continue;
        }
        match entry_from(file, i, entry, plugin_root, reader) {
            Ok((e, optional)) => {
                let enabled = entry.get("defaultEnabled").and_then(Value::as_bool).unwrap_or(true);
                optionals.push((out.entries.len(), optional));
                default_enabled.insert(e.name.clone(), enabled);
                out.entries.push(e);
            }
            Err(e) => out.errors.push(e),
        }
    }
    // `optionalDependencies` are installed with their plugin, as Claude
    // Code installs them, where this marketplace has them and they start
    // enabled (`defaultEnabled`); any other is left out.
    for (i, optional) in optionals {
        for dep in optional {
            let here = dep.marketplace.as_deref().is_none_or(|m| m == out.meta.as_ref().map_or("", |meta| meta.name.as_str()));
            if here && default_enabled.get(&dep.name) == Some(&true) && !out.entries[i].dependencies.iter().any(|d| d.name == dep.name) {
                out.entries[i].dependencies.push(dep);
            }
        }
    }
    // `renames` (old name -> current name, or null when removed), as Claude
    // Code follows them: a plugin still requested by its old name is the
    // current one; a removed one is nowhere.
    for (old, new) in doc.get("renames").and_then(Value::as_object).into_iter().flatten() {
        if seen.contains_key(old) {
            continue;
        }
        let Some(new) = new.as_str() else { continue };
        let span = crate::diagnostic::json::pointer_span(&file.text, &format!("/renames/{}", old.replace('~', "~0").replace('/', "~1")));
        let renamed: Vec<IndexEntry> = out
            .entries
            .iter()
            .filter(|e| e.name == new)
            .map(|e| IndexEntry { name: old.clone(), renamed_to: Some(new.to_string()), span: span.clone().unwrap_or(0..0), ..e.clone() })
            .collect();
        out.entries.extend(renamed);
    }
    out
}

/// Where an entry's tree comes from, pinned as far as the entry says.
struct Located {
    source: EntrySource,
    subdir: Option<String>,
    /// What names this exact tree when no version does: a commit or a hash.
    id: Option<String>,
    /// For a plugin inside the marketplace: its path there, to read its
    /// plugin.json.
    inside: Option<String>,
    /// An npm release's version.
    version: Option<Version>,
    /// An npm release's publish time.
    published: Option<i64>,
}

fn entry_from(
    file: &SourceFile,
    i: usize,
    entry: &Map<String, Value>,
    plugin_root: Option<&str>,
    reader: &Reader<'_>,
) -> Result<(IndexEntry, Vec<Dependency>), SpannedError> {
    let at = |key: &str| crate::diagnostic::json::pointer_span(&file.text, &format!("/plugins/{i}{key}"));
    let name = entry.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
    if !crate::manifest::version::is_valid_name(&name) {
        return Err(file.error(at("/name"), crate::manifest::version::name_error(&name), None));
    }
    let label = format!("plugin `{name}`");
    let source = entry.get("source").cloned().unwrap_or(Value::Null);
    let located =
        locate(&source, plugin_root, reader).map_err(|(key, message)| file.error(at(&key), format!("{label}: {message}"), None))?;

    let strict = entry.get("strict").and_then(Value::as_bool).unwrap_or(true);
    // Claude Code's order: plugin.json's version (unless the entry is the
    // whole manifest), the entry's, then the commit or hash.
    let own: Option<Map<String, Value>> = located
        .inside
        .as_deref()
        .and_then(|dir| reader.base.read(&join(dir, PLUGIN_JSON)))
        .and_then(|text| serde_json::from_str(&text).ok());
    let own_version = own.as_ref().filter(|_| strict).and_then(|m| m.get("version")).and_then(Value::as_str);
    let version = match (own_version, entry.get("version").and_then(Value::as_str)) {
        (Some(v), _) => {
            Version::parse(v).map_err(|e| file.error(at("/source"), format!("{label}: its plugin.json version `{v}`: {e}"), None))?
        }
        (None, Some(v)) => {
            Version::parse(v).map_err(|e| file.error(at("/version"), format!("{label}: `{v}` is not a semantic version: {e}"), None))?
        }
        (None, None) => match (&located.version, &located.id) {
            (Some(v), _) => v.clone(),
            // A git plugin's plugin.json is read at its commit when the lock
            // pins it (its version, else `0.0.0+<commit>`).
            (None, Some(id)) if !matches!(located.source, EntrySource::Git { .. }) => crate::manifest::version::unversioned(id),
            (None, None) if matches!(located.source, EntrySource::Path { .. }) => Version::new(0, 0, 0),
            _ => {
                let mut v = Version::new(0, 0, 0);
                v.build = semver::BuildMetadata::new(UNPINNED).unwrap_or(semver::BuildMetadata::EMPTY);
                v
            }
        },
    };
    let mut dependencies: Vec<Dependency> = Vec::new();
    let declared = entry.get("dependencies").into_iter().chain(own.as_ref().and_then(|m| m.get("dependencies")));
    for (j, d) in declared.flat_map(|v| v.as_array().into_iter().flatten()).enumerate() {
        let dep = dependency_from_json(d).map_err(|e| file.error(at(&format!("/dependencies/{j}")), format!("{label}: {e}"), None))?;
        if !dependencies.iter().any(|have| have.name == dep.name) {
            dependencies.push(dep);
        }
    }
    // Optional ones that cannot be read are left out, as Claude Code leaves
    // out one it cannot install.
    let optional: Vec<Dependency> = entry
        .get("optionalDependencies")
        .into_iter()
        .chain(own.as_ref().and_then(|m| m.get("optionalDependencies")))
        .flat_map(|v| v.as_array().into_iter().flatten())
        .filter_map(|d| dependency_from_json(d).ok())
        .collect();
    let entry = IndexEntry {
        name,
        version,
        description: entry.get("description").and_then(Value::as_str).unwrap_or_default().to_string(),
        source: located.source,
        subdir: located.subdir,
        integrity: None,
        language: None,
        kind: entry.get("category").and_then(Value::as_str).map(str::to_string),
        tags: entry.get("tags").and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).map(str::to_string).collect(),
        core_version: None,
        provides: Vec::new(),
        consumes: Default::default(),
        yanked: false,
        published: located.published,
        dependencies,
        overlay: crate::manifest::overlay::from_entry(entry),
        span: at("").unwrap_or(0..0),
        renamed_to: None,
    };
    Ok((entry, optional))
}

/// An entry's `source`, pinned; an error names the key it is about.
fn locate(source: &Value, plugin_root: Option<&str>, reader: &Reader<'_>) -> Result<Located, (String, String)> {
    let err = |key: &str, m: String| (format!("/source{key}"), m);
    let get = |key: &str| source.get(key).and_then(Value::as_str);
    let pin = |sha: Option<&str>, r: Option<&str>| sha.or(r).map(str::to_string);
    let git = |url: String, rev: Option<String>, subdir: Option<String>| {
        let id = rev.clone().filter(|r| crate::util::url::is_full_commit(r));
        Located { source: EntrySource::Git { url, rev }, subdir, id, inside: None, version: None, published: None }
    };
    match source {
        Value::String(rel) => {
            // `.` is the marketplace's root, as `./` is.
            let rel = if rel == "." { "./" } else { rel.as_str() };
            let rel = match (rel.strip_prefix("./"), plugin_root) {
                (Some(r), _) => r.to_string(),
                (None, Some(root)) => join(root.trim_start_matches("./"), rel),
                (None, None) => return Err(err("", format!("the bare source `{rel}` needs `metadata.pluginRoot`; write `./{rel}`"))),
            };
            let sub = inside(&rel).ok_or_else(|| err("", format!("`{rel}` leaves the marketplace repository")))?;
            let subdir = (!sub.is_empty()).then(|| sub.clone());
            Ok(match &reader.base {
                Base::Dir { written, .. } => Located {
                    source: EntrySource::Path { path: crate::util::paths::normalize_written(&join(written, &sub)) },
                    subdir: None,
                    id: None,
                    inside: Some(sub),
                    version: None,
                    published: None,
                },
                Base::Git { url, commit, .. } => Located {
                    source: EntrySource::Git { url: url.to_string(), rev: Some(commit.to_string()) },
                    subdir,
                    id: Some(commit.to_string()),
                    inside: Some(sub),
                    version: None,
                    published: None,
                },
                Base::Detached => Located {
                    source: EntrySource::Path { path: sub.clone() },
                    subdir: None,
                    id: None,
                    inside: None,
                    version: None,
                    published: None,
                },
            })
        }
        Value::Object(_) => match get("source").unwrap_or_default() {
            "github" => Ok(git(github_url(get("repo").unwrap_or_default()), pin(get("sha"), get("ref")), None)),
            "url" => Ok(git(get("url").unwrap_or_default().to_string(), pin(get("sha"), get("ref")), None)),
            "git-subdir" => {
                let url = get("url").unwrap_or_default();
                let url = if github_shorthand(url).is_some() && !url.contains(':') { github_url(url) } else { url.to_string() };
                let path = get("path").unwrap_or_default();
                let sub = inside(path).ok_or_else(|| err("/path", format!("`{path}` leaves the repository")))?;
                Ok(git(url, pin(get("sha"), get("ref")), (!sub.is_empty()).then_some(sub)))
            }
            "archive" => {
                let url = get("url").unwrap_or_default().to_string();
                let digest: FileDigest = get("sha256").unwrap_or_default().parse().map_err(|e: String| err("/sha256", e))?;
                let id = Some(digest.hex());
                Ok(Located {
                    source: EntrySource::Tarball { url, digest: Some(digest) },
                    subdir: None,
                    id,
                    inside: None,
                    version: None,
                    published: None,
                })
            }
            "npm" => {
                let package = get("package").unwrap_or_default();
                let Some(npm) = reader.npm else {
                    // Only checked: the registry is not asked.
                    return Ok(Located {
                        source: EntrySource::Tarball { url: format!("npm:{package}"), digest: None },
                        subdir: None,
                        id: None,
                        inside: None,
                        version: None,
                        published: None,
                    });
                };
                let release = npm.release(package, get("version"), get("registry")).map_err(|e| err("/package", e))?;
                Ok(Located {
                    source: EntrySource::Tarball { url: release.tarball, digest: Some(release.integrity) },
                    subdir: None,
                    id: None,
                    inside: None,
                    version: Some(release.version),
                    published: release.published,
                })
            }
            other => Err(err(
                "/source",
                format!(
                    "the source kind `{other}` cannot be fetched by paii (it reads relative paths, github, url, git-subdir, archive and npm)"
                ),
            )),
        },
        _ => Err(err("", "`source` must be a path or an object".into())),
    }
}

/// `a` joined with `b` by `/`.
pub(crate) fn join(a: &str, b: &str) -> String {
    match (a.trim_end_matches('/'), b.trim_start_matches("./")) {
        ("" | ".", b) => b.to_string(),
        (a, "" | ".") => a.to_string(),
        (a, b) => format!("{a}/{b}"),
    }
}

/// `rel` normalised, or `None` when it climbs out of its root.
pub(crate) fn inside(rel: &str) -> Option<String> {
    if rel.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in rel.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(parts.join("/"))
}

/// The npm registry over HTTP, its answers cached in
/// `$PAII_HOME/cache/npm/` until `paii registry update`.
pub struct NpmRegistry {
    pub cache: PathBuf,
    pub offline: bool,
    pub refresh: bool,
    /// With `[policy] min-release-age`: releases published after this
    /// (seconds since the epoch) are not chosen, unless asked for exactly.
    pub cutoff: Option<i64>,
}

pub const NPM_REGISTRY: &str = "https://registry.npmjs.org";

impl NpmLookup for NpmRegistry {
    fn release(&self, package: &str, range: Option<&str>, registry: Option<&str>) -> Result<NpmRelease, String> {
        let registry = registry.unwrap_or(NPM_REGISTRY).trim_end_matches('/');
        // Scoped names keep their `@`; the `/` is escaped as npm does.
        let url = format!("{registry}/{}", package.replace('/', "%2f"));
        use sha2::{Digest, Sha256};
        let key = crate::store::integrity::hex(&Sha256::digest(crate::util::url::redact(&url).as_bytes())[..16]);
        let path = self.cache.join("npm").join(format!("{key}.json"));
        if self.refresh || !path.is_file() {
            if self.offline {
                return Err(format!("`{package}` has never been looked up in {registry}, and --offline allows no network"));
            }
            crate::http::download(&url, &path).map_err(|e| format!("cannot read `{package}` from {registry}: {e}"))?;
        }
        let text = crate::diagnostic::read_text(&path).map_err(|e| e.to_string())?;
        let doc: Value =
            serde_json::from_str(&text).map_err(|e| format!("{registry} answered for `{package}` with something that is not JSON: {e}"))?;
        choose(&doc, package, range, self.cutoff)
    }
}

/// The newest release of a packument that `range` (npm syntax) admits,
/// published at or before `cutoff` when given (an exact version is taken
/// whatever its age).
pub fn choose(doc: &Value, package: &str, range: Option<&str>, cutoff: Option<i64>) -> Result<NpmRelease, String> {
    let range = range.map(str::trim).filter(|r| !r.is_empty() && *r != "latest" && *r != "*");
    let versions = doc.get("versions").and_then(Value::as_object).ok_or_else(|| format!("npm has no versions of `{package}`"))?;
    let time_of =
        |v: &Version| doc.pointer(&format!("/time/{v}")).and_then(Value::as_str).and_then(|t| crate::util::time::parse_timestamp(t).ok());
    let exact = range.is_some_and(|r| Version::parse(r.trim_start_matches('v')).is_ok());
    let version = match range {
        _ if cutoff.is_some() && !exact => {
            let cutoff = cutoff.unwrap_or_default();
            let req = range.map(npm_range).transpose()?;
            // Without a range, nothing above `latest` (a release its
            // publisher took back from the tag).
            let latest = doc.pointer("/dist-tags/latest").and_then(Value::as_str).and_then(|l| Version::parse(l).ok());
            versions
                .keys()
                .filter_map(|v| Version::parse(v).ok())
                .filter(|v| match &req {
                    Some(req) => req.matches(v),
                    None => v.pre.is_empty() && latest.as_ref().is_none_or(|l| v <= l),
                })
                .filter(|v| time_of(v).is_some_and(|t| t <= cutoff))
                .max()
                .ok_or_else(|| {
                    format!(
                        "no version of `{package}`{} was published before {} ([policy] min-release-age)",
                        range.map(|r| format!(" matching `{r}`")).unwrap_or_default(),
                        crate::util::time::rfc3339(cutoff)
                    )
                })?
        }
        None => {
            let latest =
                doc.pointer("/dist-tags/latest").and_then(Value::as_str).ok_or_else(|| format!("`{package}` has no `latest` tag"))?;
            Version::parse(latest).map_err(|e| format!("`{package}`'s latest version `{latest}`: {e}"))?
        }
        Some(r) => {
            let req = npm_range(r)?;
            versions
                .keys()
                .filter_map(|v| Version::parse(v).ok())
                .filter(|v| req.matches(v))
                .max()
                .ok_or_else(|| format!("no version of `{package}` matches `{r}`"))?
        }
    };
    let dist =
        versions.get(&version.to_string()).and_then(|v| v.get("dist")).ok_or_else(|| format!("`{package}` {version} is not published"))?;
    let tarball = dist.get("tarball").and_then(Value::as_str).ok_or_else(|| format!("`{package}` {version} has no tarball"))?;
    let integrity = dist
        .get("integrity")
        .and_then(Value::as_str)
        .and_then(|s| s.split_whitespace().find_map(|one| one.parse::<FileDigest>().ok()))
        .ok_or_else(|| format!("`{package}` {version} has no sha512 or sha256 integrity; paii will not install an unverifiable tarball"))?;
    let published = time_of(&version);
    Ok(NpmRelease { version, tarball: tarball.to_string(), integrity, published })
}

/// An npm range as a semver requirement: a bare version is exact, and
/// comparators separated by spaces all apply.
fn npm_range(r: &str) -> Result<VersionReq, String> {
    if let Ok(v) = Version::parse(r.trim_start_matches('v')) {
        return Ok(VersionReq {
            comparators: vec![semver::Comparator {
                op: semver::Op::Exact,
                major: v.major,
                minor: Some(v.minor),
                patch: Some(v.patch),
                pre: v.pre,
            }],
        });
    }
    let joined = r.split_whitespace().collect::<Vec<_>>().join(", ");
    VersionReq::parse(&joined).map_err(|e| format!("`{r}` is not a version range paii reads: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_marketplace_is_a_url_a_github_repository_or_a_path() {
        let base = Path::new("/nonexistent-base");
        assert_eq!(
            MarketplaceSource::parse("acme/tools", None, base).unwrap(),
            MarketplaceSource::Git { url: "https://github.com/acme/tools.git".into(), rev: None }
        );
        assert!(matches!(
            MarketplaceSource::parse("file:///srv/m.git", Some("v1"), base).unwrap(),
            MarketplaceSource::Git { rev: Some(_), .. }
        ));
        let MarketplaceSource::Path { written, .. } = MarketplaceSource::parse("./m/.claude-plugin/marketplace.json", None, base).unwrap()
        else {
            panic!()
        };
        assert_eq!(written, "m");
        assert!(MarketplaceSource::parse("./m", Some("v1"), base).is_err());
    }

    #[test]
    fn relative_paths_stay_inside() {
        assert_eq!(inside("a/./b/../c").as_deref(), Some("a/c"));
        assert_eq!(inside("").as_deref(), Some(""));
        assert_eq!(inside("../x"), None);
        assert_eq!(inside("a/../../x"), None);
        assert_eq!(inside("/etc"), None);
    }

    #[test]
    fn npm_ranges_read_as_npm_means_them() {
        let sri = format!("sha512-{}==", "A".repeat(86));
        let doc = serde_json::json!({
            "dist-tags": {"latest": "1.2.0"},
            "versions": {
                "1.0.0": {"dist": {"tarball": "https://r/p-1.0.0.tgz", "integrity": sri}},
                "1.2.0": {"dist": {"tarball": "https://r/p-1.2.0.tgz", "integrity": sri}},
                "2.0.0": {"dist": {"tarball": "https://r/p-2.0.0.tgz", "shasum": "abc"}}
            }
        });
        assert_eq!(choose(&doc, "p", None, None).unwrap().version, Version::new(1, 2, 0));
        assert_eq!(choose(&doc, "p", Some("1.0.0"), None).unwrap().version, Version::new(1, 0, 0));
        assert_eq!(choose(&doc, "p", Some(">=1.0.0 <1.1.0"), None).unwrap().version, Version::new(1, 0, 0));
        assert!(choose(&doc, "p", Some("^2"), None).unwrap_err().contains("no sha512"));
        assert!(choose(&doc, "p", Some("^3"), None).is_err());
    }

    #[test]
    fn a_cutoff_chooses_the_newest_release_published_before_it_unless_one_is_named_exactly() {
        let sri = format!("sha512-{}==", "A".repeat(86));
        let doc = serde_json::json!({
            "dist-tags": {"latest": "1.2.0"},
            "time": {"1.0.0": "2026-01-01T00:00:00.000Z", "1.1.0": "2026-06-01T00:00:00.000Z", "1.2.0": "2026-12-01T00:00:00.000Z"},
            "versions": {
                "1.0.0": {"dist": {"tarball": "https://r/p-1.0.0.tgz", "integrity": sri}},
                "1.1.0": {"dist": {"tarball": "https://r/p-1.1.0.tgz", "integrity": sri}},
                "1.2.0": {"dist": {"tarball": "https://r/p-1.2.0.tgz", "integrity": sri}}
            }
        });
        let cutoff = crate::util::time::parse_timestamp("2026-11-01").ok();
        let r = choose(&doc, "p", None, cutoff).unwrap();
        assert_eq!(r.version, Version::new(1, 1, 0));
        assert_eq!(r.published, crate::util::time::parse_timestamp("2026-06-01T00:00:00Z").ok());
        assert_eq!(choose(&doc, "p", Some("<1.1.0"), cutoff).unwrap().version, Version::new(1, 0, 0));
        assert_eq!(choose(&doc, "p", Some("1.2.0"), cutoff).unwrap().version, Version::new(1, 2, 0));
        let early = crate::util::time::parse_timestamp("2025-01-01").ok();
        assert!(choose(&doc, "p", None, early).unwrap_err().contains("min-release-age"));
    }
}
