//! `paii import claude`: an existing Claude Code plugin setup as paii.toml.
//!
//! The marketplaces Claude Code knows (`extraKnownMarketplaces` in
//! settings.json, and the ones added with `claude plugin marketplace add`,
//! in `plugins/known_marketplaces.json`) become `[registries]`, and every
//! plugin enabled in `enabledPlugins` a `[plugins]` entry from its
//! marketplace, pinned where Claude Code recorded what it installed
//! (`plugins/installed_plugins.json`: the marketplace commit, the version).
//! Each plugin is then looked up in its marketplace, so that what would not
//! sync is listed with the reason and left out before anything is written.
//! A dry run by default; `--write` edits paii.toml keeping its comments.
//! After the next sync, paii's copies replace Claude Code's own.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;
use toml_edit::{InlineTable, Item};

use super::{Context, Error, read_for_edit, table_mut};
use crate::claude::json::JsonFile;
use crate::diagnostic::SourceFile;
use crate::manifest::Manifest;
use crate::manifest::version::is_valid_name;

/// Claude Code's built-in marketplace, which no settings file declares.
const OFFICIAL: (&str, &str) = ("claude-plugins-official", "anthropics/claude-plugins-official");

#[derive(Debug, Serialize)]
pub struct Imported {
    /// Registry name -> the paii.toml value written for it.
    pub registries: BTreeMap<String, String>,
    /// Plugin name -> the registry it comes from.
    pub plugins: BTreeMap<String, String>,
    /// What was left out, and why (what would not sync among it).
    pub skipped: Vec<Skipped>,
    /// What is pinned to what Claude Code had installed: plugin or
    /// registry -> the version or commit.
    pub pinned: BTreeMap<String, String>,
    /// The paii.toml edited (or that would be).
    pub manifest: String,
    /// Whether paii.toml was written.
    pub written: bool,
}

#[derive(Debug, Serialize)]
pub struct Skipped {
    pub what: String,
    pub why: String,
}

/// A marketplace source as Claude Code records it, as paii.toml's
/// `marketplace` (and `rev`), or why it cannot be.
fn marketplace_spec(source: &Value) -> Result<(String, Option<String>), String> {
    let get = |k: &str| source.get(k).and_then(Value::as_str).map(str::to_string);
    let kind = get("source").unwrap_or_default();
    let spec = match kind.as_str() {
        "github" => get("repo"),
        "git" => get("url"),
        "directory" => get("path"),
        "file" => get("path").and_then(|p| p.strip_suffix(crate::registry::marketplace::MARKETPLACE_JSON).map(str::to_string)),
        other => return Err(format!("a `{other}` marketplace source is not one paii reads (it reads github, git, directory)")),
    };
    let spec = spec.filter(|s| !s.is_empty()).ok_or_else(|| format!("its `{kind}` source names no repository or path"))?;
    Ok((spec, get("ref")))
}

/// The marketplaces Claude Code knows, by name: settings.json's own, then
/// the ones Claude Code recorded when they were added.
fn known_marketplaces(settings: &serde_json::Map<String, Value>, claude_dir: &Path) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let known = JsonFile::read(&claude_dir.join("plugins").join("known_marketplaces.json")).map(|f| f.doc).unwrap_or_default();
    for (name, m) in &known {
        if let Some(source) = m.get("source") {
            out.insert(name.clone(), source.clone());
        }
    }
    for key in ["extraKnownMarketplaces", "additionalMarketplaces"] {
        for (name, m) in settings.get(key).and_then(Value::as_object).into_iter().flatten() {
            if let Some(source) = m.get("source") {
                out.insert(name.clone(), source.clone());
            }
        }
    }
    out.entry(OFFICIAL.0.to_string()).or_insert_with(|| serde_json::json!({ "source": "github", "repo": OFFICIAL.1 }));
    out
}

/// What Claude Code installed: `plugin@marketplace` -> (version, the
/// marketplace commit it was installed at), from `installed_plugins.json`
/// (a user-scope install where there are several).
fn installed(claude_dir: &Path) -> BTreeMap<String, (Option<String>, Option<String>)> {
    let doc = JsonFile::read(&claude_dir.join("plugins").join("installed_plugins.json")).map(|f| f.doc).unwrap_or_default();
    let mut out = BTreeMap::new();
    for (id, installs) in doc.get("plugins").and_then(Value::as_object).into_iter().flatten() {
        let installs: Vec<&Value> = installs.as_array().into_iter().flatten().collect();
        let Some(i) = installs.iter().find(|i| i.get("scope").and_then(Value::as_str) == Some("user")).or(installs.first()) else {
            continue;
        };
        let get = |k: &str| i.get(k).and_then(Value::as_str).map(str::to_string);
        out.insert(id.clone(), (get("version"), get("gitCommitSha")));
    }
    out
}

pub fn claude(ctx: &Context, write: bool) -> Result<Imported, Error> {
    let claude_dir = crate::util::paths::claude_config_dir();
    let installed = installed(&claude_dir);
    let settings = JsonFile::read(&claude_dir.join("settings.json"))?;
    let marketplaces = known_marketplaces(&settings.doc, &claude_dir);

    let path = ctx.manifest_path();
    let (file, doc) = if path.exists() {
        read_for_edit(&path)?
    } else {
        let text = crate::manifest::project::TEMPLATE;
        let file = SourceFile::new(&path, text);
        let doc = text.parse::<toml_edit::DocumentMut>().map_err(|e| file.error(e.span(), e.message().to_string(), None))?;
        (file, doc)
    };
    let existing = Manifest::parse(file.clone())?;
    let mut out = Imported {
        registries: BTreeMap::new(),
        plugins: BTreeMap::new(),
        skipped: Vec::new(),
        pinned: BTreeMap::new(),
        manifest: file.name.clone(),
        written: false,
    };
    let mut skip = |what: String, why: String| out.skipped.push(Skipped { what, why });

    let enabled = settings.doc.get("enabledPlugins").and_then(Value::as_object).cloned().unwrap_or_default();
    let mut wanted: Vec<(String, String)> = Vec::new();
    for (key, value) in &enabled {
        let Some((plugin, market)) = key.split_once('@') else {
            skip(key.clone(), "not `plugin@marketplace`".into());
            continue;
        };
        if *value != Value::Bool(true) {
            skip(key.clone(), "not enabled".into());
        } else if ["inline", "skills-dir", "synced"].contains(&market) {
            skip(key.clone(), format!("`@{market}` plugins are not from a marketplace"));
        } else if !is_valid_name(plugin) {
            skip(key.clone(), crate::manifest::version::name_error(plugin));
        } else if existing.plugin(plugin).is_some() {
            skip(key.clone(), "already in paii.toml".into());
        } else {
            wanted.push((plugin.to_string(), market.to_string()));
        }
    }

    let mut registries: BTreeMap<String, (String, Option<String>)> = BTreeMap::new();
    let mut plugins: Vec<(String, String)> = Vec::new();
    for (plugin, market) in wanted {
        let declared = existing.registries.iter().any(|r| r.name == market);
        if !declared && !registries.contains_key(&market) {
            let Some(source) = marketplaces.get(&market).map(marketplace_spec) else {
                skip(format!("{plugin}@{market}"), format!("Claude Code knows no marketplace `{market}`"));
                continue;
            };
            match source {
                Ok(spec) if is_valid_name(&market) => {
                    registries.insert(market.clone(), spec);
                }
                Ok(_) => {
                    skip(format!("{plugin}@{market}"), crate::manifest::version::name_error(&market));
                    continue;
                }
                Err(why) => {
                    skip(format!("{plugin}@{market}"), format!("marketplace `{market}`: {why}"));
                    continue;
                }
            }
        }
        plugins.push((plugin, market));
    }

    // A git marketplace is pinned to the commit Claude Code installed its
    // plugins from, when they agree on one.
    for (name, (_, rev)) in registries.iter_mut() {
        let commits: std::collections::BTreeSet<&String> =
            plugins.iter().filter(|(_, m)| m == name).filter_map(|(p, m)| installed.get(&format!("{p}@{m}"))?.1.as_ref()).collect();
        if let (1, Some(commit)) = (commits.len(), commits.first()) {
            *rev = Some(commit.to_string());
            out.pinned.insert(name.clone(), commit.to_string());
        }
    }
    // What would not sync is named, with the reason, and left out.
    let planned = render(&doc, &registries, &plugins, &installed, &mut BTreeMap::new())?;
    let check = Manifest::parse(SourceFile::new(&file.path, planned.as_str()))?;
    let unsyncable = check_plugins(ctx, &check, &plugins);
    plugins.retain(|(p, m)| !unsyncable.iter().any(|(q, n, _)| q == p && n == m));
    for (p, m, why) in unsyncable {
        out.skipped.push(Skipped { what: format!("{p}@{m}"), why: format!("would not sync: {why}") });
    }
    registries.retain(|name, _| plugins.iter().any(|(_, m)| m == name));
    let text = render(&doc, &registries, &plugins, &installed, &mut out.pinned)?;
    for (name, (spec, rev)) in &registries {
        let mut t = InlineTable::new();
        t.insert("marketplace", spec.as_str().into());
        if let Some(r) = rev {
            t.insert("rev", r.as_str().into());
        }
        out.registries.insert(name.clone(), t.to_string());
    }
    for (plugin, market) in &plugins {
        out.plugins.insert(plugin.clone(), market.clone());
    }
    // What is written must read back as a manifest.
    Manifest::parse(SourceFile::new(&file.path, text.as_str()))?;
    if write && !(out.registries.is_empty() && out.plugins.is_empty()) {
        let _guard = ctx.lock_home("import")?;
        if path.exists() {
            super::write_if_unchanged(&file, &text)?;
        } else {
            crate::util::fs::atomic_write(&path, text.as_bytes()).map_err(Error::io("cannot write", &path))?;
        }
        out.written = true;
    }
    Ok(out)
}

/// paii.toml with `registries` and `plugins` added; a plugin whose
/// installed version is a semantic one is pinned to it (recorded in
/// `pinned`).
fn render(
    doc: &toml_edit::DocumentMut,
    registries: &BTreeMap<String, (String, Option<String>)>,
    plugins: &[(String, String)],
    installed: &BTreeMap<String, (Option<String>, Option<String>)>,
    pinned: &mut BTreeMap<String, String>,
) -> Result<String, Error> {
    let mut doc = doc.clone();
    {
        let regs = table_mut(&mut doc, "registries")?;
        for (name, (spec, rev)) in registries {
            let mut t = InlineTable::new();
            t.insert("marketplace", spec.as_str().into());
            if let Some(r) = rev {
                t.insert("rev", r.as_str().into());
            }
            regs.insert(name, Item::Value(t.into()));
        }
    }
    {
        let table = table_mut(&mut doc, "plugins")?;
        for (plugin, market) in plugins {
            let version = installed
                .get(&format!("{plugin}@{market}"))
                .and_then(|(v, _)| v.as_deref())
                .filter(|v| semver::Version::parse(v).is_ok())
                .map_or_else(|| "*".to_string(), |v| format!("={v}"));
            if version != "*" {
                pinned.insert(plugin.clone(), version.clone());
            }
            let mut t = InlineTable::new();
            t.insert("version", version.as_str().into());
            t.insert("registry", market.as_str().into());
            table.insert(plugin.as_str(), Item::Value(t.into()));
        }
    }
    Ok(doc.to_string())
}

/// Each plugin of `plugins` that would not sync from `manifest`'s
/// registries, and why: its marketplace cannot be read, or has no such
/// plugin, or no version the pin allows.
fn check_plugins(ctx: &Context, manifest: &Manifest, plugins: &[(String, String)]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for decl in &manifest.registries {
        let wanted: Vec<&(String, String)> = plugins.iter().filter(|(_, m)| *m == decl.name).collect();
        if wanted.is_empty() {
            continue;
        }
        let registry = match ctx.load_registry(decl, false, false) {
            Ok((registry, _)) => registry,
            Err(e) => {
                let why = format!("marketplace `{}` cannot be read: {}", decl.name, e.to_string().lines().next().unwrap_or_default());
                out.extend(wanted.iter().map(|(p, m)| (p.clone(), m.clone(), why.clone())));
                continue;
            }
        };
        for (p, m) in wanted {
            let req = manifest.plugin(p).and_then(|r| match &r.source {
                crate::manifest::project::Requested::Registry { req, .. } => Some(req.clone()),
                _ => None,
            });
            let versions: Vec<&semver::Version> = registry.entries.iter().filter(|e| &e.name == p).map(|e| &e.version).collect();
            if versions.is_empty() {
                out.push((p.clone(), m.clone(), format!("marketplace `{m}` lists no plugin `{p}`")));
            } else if let Some(req) = req.filter(|r| !versions.iter().any(|v| r.matches(v))) {
                let have: Vec<String> = versions.iter().map(|v| v.to_string()).collect();
                out.push((p.clone(), m.clone(), format!("Claude Code had {req} installed; marketplace `{m}` now has {}", have.join(", "))));
            }
        }
    }
    out
}
