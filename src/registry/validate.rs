//! `paii registry validate`: everything that can be checked about a registry
//! file without fetching its sources, reported as findings for people (text)
//! and machines (json, GitHub annotations).

use serde::Serialize;

use super::{IndexEntry, parse_registry};
use crate::diagnostic::{Location, SourceFile};
use crate::manifest::PluginManifest;
use crate::manifest::contract::{Consume, Provide};
use crate::manifest::version::is_valid_name;
use crate::source::Fetcher;
use crate::util::url::is_full_commit;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Notice,
}

#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub severity: Severity,
    #[serde(flatten)]
    pub location: Location,
    pub message: String,
}

#[derive(Debug, Serialize)]
pub struct Report {
    pub file: String,
    pub valid: bool,
    pub plugins: usize,
    pub versions: usize,
    pub findings: Vec<Finding>,
}

pub fn validate(file: &SourceFile) -> Report {
    validate_with(file, None)
}

/// What a validated file is, from its name (or, for other `.json` files,
/// its content).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Registry,
    Marketplace,
    Plugin,
}

impl Kind {
    pub fn of(file: &SourceFile) -> Kind {
        let name = file.path.file_name().and_then(|n| n.to_str()).unwrap_or(&file.name).to_string();
        if name.ends_with("marketplace.json") {
            Kind::Marketplace
        } else if name.ends_with("plugin.json") {
            Kind::Plugin
        } else if name.ends_with(".json") {
            let doc: serde_json::Value = serde_json::from_str(&file.text).unwrap_or_default();
            if doc.get("owner").is_some() || doc.get("plugins").is_some_and(|p| p.is_array()) { Kind::Marketplace } else { Kind::Plugin }
        } else {
            Kind::Registry
        }
    }
}

/// [`validate`], and with `fetcher` also fetch every entry's source, check
/// its integrity and that its manifest agrees with the entry.
pub fn validate_with(file: &SourceFile, fetcher: Option<&Fetcher>) -> Report {
    match Kind::of(file) {
        Kind::Registry => validate_registry(file, fetcher),
        Kind::Marketplace => validate_marketplace(file, fetcher),
        Kind::Plugin => validate_plugin(file),
    }
}

/// Adds an error for each entry of a registry file whose source
/// `[policy] allowed-sources` does not allow.
pub fn check_policy(report: &mut Report, file: &SourceFile, policy: &crate::policy::Policy) {
    let entries = match Kind::of(file) {
        Kind::Registry => parse_registry(file).entries,
        Kind::Marketplace => {
            let reader = super::marketplace::Reader { base: super::marketplace::Base::Detached, npm: None };
            super::marketplace::check(file, &reader).entries
        }
        Kind::Plugin => return,
    };
    for e in entries {
        let url = match &e.source {
            super::EntrySource::Git { url, .. } | super::EntrySource::Tarball { url, .. } | super::EntrySource::Oci { repo: url, .. } => {
                url
            }
            super::EntrySource::Path { .. } => continue,
        };
        if let Err(err) = policy.check_url(&format!("{} {}", e.name, e.version), url) {
            report.findings.push(Finding { severity: Severity::Error, location: file.location(Some(&e.span)), message: err.to_string() });
            report.valid = false;
        }
    }
}

fn error_finding(e: &crate::diagnostic::SpannedError) -> Finding {
    let mut message = e.message.clone();
    if let Some(help) = &e.help {
        message.push_str(&format!(" (hint: {help})"));
    }
    Finding { severity: Severity::Error, location: e.location.clone(), message }
}

fn report(file: &SourceFile, mut findings: Vec<Finding>, readable: bool, entries: &[IndexEntry]) -> Report {
    findings.sort_by(|a, b| {
        (&a.location.file, a.location.line, a.location.column, a.severity).cmp(&(
            &b.location.file,
            b.location.line,
            b.location.column,
            b.severity,
        ))
    });
    let valid = readable && !findings.iter().any(|f| f.severity == Severity::Error);
    let mut names: Vec<&str> = entries.iter().map(|e| e.name.as_str()).collect();
    names.sort();
    names.dedup();
    Report { file: file.name.clone(), valid, plugins: names.len(), versions: entries.len(), findings }
}

/// A Claude Code plugin.json: every schema error, then paii's own checks,
/// then the plugin's hooks files and components; and, as `claude plugin
/// validate` has it, a plugin on its own may not take a name reserved for
/// Anthropic's (one a marketplace of Anthropic's lists may).
fn validate_plugin(file: &SourceFile) -> Report {
    let mut findings = plugin_findings(file);
    if let Ok(m) = crate::manifest::native::NativeManifest::parse(file)
        && reserved(&m.name)
    {
        findings.push(Finding {
            severity: Severity::Error,
            location: file.location(crate::diagnostic::json::pointer_span(&file.text, "/name").as_ref()),
            message: format!(
                "plugin name `{}` is reserved for Anthropic's own plugins (a name starting with claude-, anthropic-, anthropics- or cc-plugin-, or claude, anthropic, anthropics, claude-code, claude-mods, or one putting official beside claude or anthropic); name it for what it does, or validate the marketplace that lists it",
                m.name
            ),
        });
    }
    let valid = !findings.iter().any(|f| f.severity == Severity::Error);
    Report { file: file.name.clone(), valid, plugins: usize::from(valid), versions: usize::from(valid), findings }
}

/// A Claude Code marketplace.json: the schema, every entry's source, and,
/// when the file sits in its repository, each local plugin's plugin.json.
fn validate_marketplace(file: &SourceFile, fetcher: Option<&Fetcher>) -> Report {
    use super::marketplace::{Base, Reader};
    // `<root>/.claude-plugin/marketplace.json` on this machine: plugins
    // inside it can be read too.
    let root = file
        .path
        .parent()
        .filter(|p| p.file_name().is_some_and(|n| n == ".claude-plugin") && p.is_dir())
        .and_then(|p| p.parent())
        .map(std::path::Path::to_path_buf);
    let base = match &root {
        Some(dir) => Base::Dir { dir, written: "." },
        None => Base::Detached,
    };
    let parsed = super::marketplace::check(file, &Reader { base, npm: None });
    let mut findings: Vec<Finding> = parsed.errors.iter().map(error_finding).collect();
    findings.extend(parsed.warnings.iter().map(|w| Finding {
        severity: Severity::Warning,
        location: w.location.clone(),
        message: w.message.clone(),
    }));
    let at = |e: &IndexEntry| file.location(Some(&e.span));
    for e in &parsed.entries {
        match &e.source {
            super::EntrySource::Git { rev, .. } if !rev.as_deref().is_some_and(is_full_commit) => findings.push(Finding {
                severity: Severity::Warning,
                location: at(e),
                message: format!(
                    "plugin `{}`: no `sha`; paii's lock pins the commit, but Claude Code users get whatever the branch holds",
                    e.name
                ),
            }),
            super::EntrySource::Path { path } if root.is_some() => {
                let dir = root.as_deref().map(|r| r.join(path)).unwrap_or_default();
                let manifest = dir.join(crate::manifest::native::PLUGIN_JSON);
                if !dir.is_dir() {
                    findings.push(Finding {
                        severity: Severity::Error,
                        location: at(e),
                        message: format!("plugin `{}`: `{path}` does not exist", e.name),
                    });
                } else if manifest.is_file() {
                    match SourceFile::read(&manifest) {
                        Ok(f) => findings.extend(plugin_findings(&f)),
                        Err(err) => findings.push(error_finding(&err.into_spanned(None))),
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(fetcher) = fetcher {
        for e in parsed.entries.iter().filter(|e| !matches!(e.source, super::EntrySource::Path { .. })) {
            for (severity, message) in check_source(fetcher, e) {
                findings.push(Finding { severity, location: at(e), message });
            }
        }
    }
    report(file, findings, parsed.meta.is_some(), &parsed.entries)
}

/// Whether Claude Code reserves `name` for Anthropic's own plugins.
fn reserved(name: &str) -> bool {
    let official = name.split('-').any(|w| w == "official");
    ["claude-", "anthropic-", "anthropics-", "cc-plugin-"].iter().any(|p| name.starts_with(p))
        || ["claude", "anthropic", "anthropics", "claude-code", "claude-mods"].contains(&name)
        || (official && name.split('-').any(|w| w == "claude" || w == "anthropic"))
}

/// Each agent, command and skill of the plugin in `root` whose YAML
/// frontmatter does not parse: Claude Code then loads it with its name
/// taken from the file and every other field dropped, and `claude plugin
/// validate` refuses it.
fn frontmatter_findings(root: &std::path::Path) -> Vec<Finding> {
    let mut files: Vec<std::path::PathBuf> = Vec::new();
    for kind in ["agents", "commands"] {
        files.extend(
            std::fs::read_dir(root.join(kind))
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x == "md")),
        );
    }
    files.extend(
        std::fs::read_dir(root.join("skills")).into_iter().flatten().flatten().map(|e| e.path().join("SKILL.md")).filter(|p| p.is_file()),
    );
    files.sort();
    let mut out = Vec::new();
    for path in files {
        let Ok(file) = SourceFile::read(&path) else { continue };
        let Some(rest) = file.text.strip_prefix("---\n").or_else(|| file.text.strip_prefix("---\r\n")) else { continue };
        let Some(end) = rest.find("\n---") else { continue };
        let yaml = &rest[..end];
        // Claude Code reads a `key: value` line whose value holds `: `
        // (a description with examples) as the plain string it is meant to be.
        let lenient = || {
            let quoted: Vec<String> = yaml
                .lines()
                .map(|l| match l.split_once(": ") {
                    Some((k, v))
                        if !k.starts_with([' ', '\t', '-']) && v.contains(": ") && !v.starts_with(['"', '\'', '[', '{', '|', '>']) =>
                    {
                        format!("{k}: '{}'", v.replace('\'', "''"))
                    }
                    _ => l.to_string(),
                })
                .collect();
            yaml_rust2::YamlLoader::load_from_str(&quoted.join("\n")).is_ok()
        };
        if let Err(e) = yaml_rust2::YamlLoader::load_from_str(yaml)
            && !lenient()
        {
            let line = e.marker().line() + 1;
            let at = file.text.lines().take(line).map(|l| l.len() + 1).sum::<usize>();
            out.push(Finding {
                severity: Severity::Error,
                location: file.location(Some(&(at..at))),
                message: format!(
                    "its YAML frontmatter does not parse ({}); Claude Code loads it with its name taken from the file and every other field dropped",
                    e.info()
                ),
            });
        }
    }
    out
}

/// What is wrong with the plugin whose plugin.json is `file`: the manifest
/// against the schema (strict, as `claude plugin validate` is), then its
/// hooks files (`hooks/hooks.json` and those the manifest names), which
/// Claude Code refuses to load when they are malformed.
fn plugin_findings(file: &SourceFile) -> Vec<Finding> {
    let mut findings: Vec<Finding> = crate::manifest::native::NativeManifest::check(file).iter().map(error_finding).collect();
    let root = file.path.parent().and_then(std::path::Path::parent);
    if let (true, Some(root), Ok(m)) = (findings.is_empty(), root, crate::manifest::native::NativeManifest::parse(file)) {
        match m.load_hooks(root) {
            Ok((_, warnings)) => findings.extend(warnings.into_iter().map(|message| Finding {
                severity: Severity::Warning,
                location: file.location(None),
                message,
            })),
            Err(e) => findings.push(error_finding(&e)),
        }
        findings.extend(frontmatter_findings(root));
    }
    findings
}

fn validate_registry(file: &SourceFile, fetcher: Option<&Fetcher>) -> Report {
    let parsed = parse_registry(file);
    let mut findings: Vec<Finding> = Vec::new();
    let mut push = |severity, location, message: String| findings.push(Finding { severity, location, message });
    for e in &parsed.errors {
        let f = error_finding(e);
        push(f.severity, f.location, f.message);
    }
    for w in &parsed.warnings {
        push(Severity::Warning, w.location.clone(), w.message.clone());
    }
    if let Some(meta) = &parsed.meta
        && !is_valid_name(&meta.name)
    {
        let span = file.key_span(&["registry", "name"]);
        push(Severity::Error, file.location(span.as_ref()), crate::manifest::version::name_error(&meta.name));
    }

    let at = |e: &IndexEntry| file.location(Some(&e.span));
    for e in &parsed.entries {
        if let super::EntrySource::Git { rev, .. } = &e.source {
            match rev {
                Some(rev) if !is_full_commit(rev) => push(
                    Severity::Warning,
                    at(e),
                    format!("{} {}: `rev = \"{rev}\"` is not a full commit id; a branch or tag can move under the lock", e.name, e.version),
                ),
                None => push(Severity::Warning, at(e), format!("{} {}: no `rev`; the default branch will be used", e.name, e.version)),
                Some(_) => {}
            }
        }
        if e.yanked {
            push(Severity::Notice, at(e), format!("{} {} is yanked", e.name, e.version));
        }
    }
    for e in &parsed.entries {
        for (key, consume) in &e.consumes {
            if consume.optional {
                continue;
            }
            let provided = parsed.entries.iter().any(|p| p.name != e.name && p.provides.iter().any(|pr| pr.satisfies(consume)));
            if !provided {
                push(
                    Severity::Warning,
                    at(e),
                    format!("{} {} requires {consume} (`consumes.{key}`), which no plugin in this registry provides", e.name, e.version),
                );
            }
        }
    }
    if let Some(fetcher) = fetcher {
        for e in &parsed.entries {
            // A plugin beside the registry file: relative to that file.
            let mut e = e.clone();
            if let super::EntrySource::Path { path } = &mut e.source
                && let Some(dir) = file.path.parent()
            {
                *path = dir.join(&*path).display().to_string();
            }
            for (severity, message) in check_source(fetcher, &e) {
                findings.push(Finding { severity, location: file.location(Some(&e.span)), message });
            }
        }
    }
    report(file, findings, parsed.meta.is_some(), &parsed.entries)
}

/// Fetches one entry's tree and compares it with the entry.
fn check_source(fetcher: &Fetcher, e: &IndexEntry) -> Vec<(Severity, String)> {
    let label = format!("{} {}", e.name, e.version);
    let source = e.source.locked();
    let fetched = match fetcher.fetch_unlocked(&e.name, &source, e.subdir.as_deref(), e.integrity.as_ref()) {
        Ok(f) => f,
        Err(err) => return vec![(Severity::Error, format!("{label}: {err}"))],
    };
    let mut out = Vec::new();
    // A Claude Code marketplace entry carries neither an integrity nor
    // contracts, and takes its plugin's name and version from plugin.json
    // as Claude Code installs it: none of that is a difference.
    if e.overlay.is_some() {
        match PluginManifest::load_dir(&fetched.entry.path) {
            Err(err) => out.push((Severity::Error, format!("{label}: {}", err.message))),
            Ok(pm) => {
                if let Some(native) = pm.native.as_ref().filter(|n| n.name != e.name) {
                    out.push((
                        Severity::Warning,
                        format!(
                            "{label}: its plugin.json names it `{}`; Claude Code installs it as `{}` and namespaces its components `{}:`",
                            native.name, e.name, native.name
                        ),
                    ));
                }
            }
        }
        return out;
    }
    if e.integrity.is_none() {
        out.push((
            Severity::Notice,
            format!("{label}: the tree hashes to {}; add `integrity = \"{}\"`", fetched.entry.integrity, fetched.entry.integrity),
        ));
    }
    let pm = match PluginManifest::load_dir(&fetched.entry.path) {
        Ok(pm) => pm,
        Err(err) => return vec![(Severity::Error, format!("{label}: {}", err.message))],
    };
    let manifest = if pm.native.is_some() && !fetched.entry.path.join("plugin.toml").is_file() { "plugin.json" } else { "plugin.toml" };
    let mut differ = |what: &str, entry: String, plugin: String| {
        if entry != plugin {
            out.push((Severity::Error, format!("{label}: `{what}` is {entry} in the registry but {plugin} in {manifest}")));
        }
    };
    differ("name", e.name.clone(), pm.name.clone());
    if !pm.unversioned {
        differ("version", e.version.to_string(), pm.version.to_string());
    }
    let list = |v: &[Provide]| format!("[{}]", v.iter().map(|p| p.to_string()).collect::<Vec<_>>().join(", "));
    differ("provides", list(&e.provides), list(&pm.provides));
    let consumes = |c: &std::collections::BTreeMap<String, Consume>| {
        c.iter().map(|(k, v)| format!("{k}={v}{}", if v.optional { "?" } else { "" })).collect::<Vec<_>>().join(", ")
    };
    differ("consumes", format!("{{{}}}", consumes(&e.consumes)), format!("{{{}}}", consumes(&pm.consumes)));
    let cv = |r: &Option<semver::VersionReq>| r.as_ref().map_or_else(|| "(none)".to_string(), |r| r.to_string());
    differ("core_version", cv(&e.core_version), cv(&pm.core_version));
    out
}

impl Report {
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let sev = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Notice => "note",
            };
            out.push_str(&format!("{}: {sev}: {}\n", f.location, f.message));
        }
        let errors = self.count(Severity::Error);
        let warnings = self.count(Severity::Warning);
        out.push_str(&format!(
            "{}: {} ({} plugins, {} versions; {errors} error{}, {warnings} warning{})\n",
            self.file,
            if self.valid { "valid" } else { "invalid" },
            self.plugins,
            self.versions,
            if errors == 1 { "" } else { "s" },
            if warnings == 1 { "" } else { "s" },
        ));
        out
    }

    /// GitHub Actions workflow commands, one per finding.
    pub fn render_github(&self) -> String {
        let mut out = String::new();
        for f in &self.findings {
            let level = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Notice => "notice",
            };
            let mut props = format!("file={}", escape_property(&f.location.file));
            if let (Some(l), Some(c)) = (f.location.line, f.location.column) {
                props.push_str(&format!(",line={l},col={c}"));
            }
            out.push_str(&format!("::{level} {props}::{}\n", escape_data(&f.message)));
        }
        out
    }

    pub fn count(&self, severity: Severity) -> usize {
        self.findings.iter().filter(|f| f.severity == severity).count()
    }
}

// GitHub's workflow-command escaping rules.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn check(text: &str) -> Report {
        validate(&SourceFile::new(Path::new("reg.toml"), text))
    }

    const HEAD: &str = "[registry]\nname = \"core\"\n";

    #[test]
    fn duplicates_short_revs_yanked_and_unprovided_contracts_are_found() {
        let r = check(&format!(
            "{HEAD}[[plugins]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"g\"\nrev = \"main\"\nyanked = true\n\
             [[plugins]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"g\"\nrev = \"3f1c2a9e5b7d4c6f8a0b1c2d3e4f5a6b7c8d9e0f\"\n\
             consumes = {{ memory = {{ contract = \"MemoryProvider\", optional = false }} }}\n"
        ));
        assert!(!r.valid);
        let msgs: Vec<String> = r.findings.iter().map(|f| format!("{:?} {}", f.severity, f.message)).collect();
        assert!(msgs.iter().any(|m| m.starts_with("Error duplicate entry for a 1.0.0")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.starts_with("Warning a 1.0.0: `rev = \"main\"`")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.starts_with("Notice a 1.0.0 is yanked")), "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("requires MemoryProvider")), "{msgs:?}");
    }

    #[test]
    fn github_format_is_workflow_commands_with_positions() {
        let r = check(&format!(
            "{HEAD}[[plugins]]\nname = \"Bad\"\nversion = \"1.0.0\"\nsource = \"g\"\nrev = \"3f1c2a9e5b7d4c6f8a0b1c2d3e4f5a6b7c8d9e0f\"\n"
        ));
        assert_eq!(
            r.render_github(),
            "::error file=reg.toml,line=4,col=8::invalid name `Bad`: names are lower-case letters, digits and `-`, starting with a letter or digit\n"
        );
    }

    #[test]
    fn a_clean_registry_is_valid() {
        let r = check(&format!(
            "{HEAD}[[plugins]]\nname = \"a\"\nversion = \"1.0.0\"\nsource = \"g\"\nrev = \"3f1c2a9e5b7d4c6f8a0b1c2d3e4f5a6b7c8d9e0f\"\n"
        ));
        assert!(r.valid, "{}", r.render_text());
        assert!(r.findings.is_empty());
    }
}
