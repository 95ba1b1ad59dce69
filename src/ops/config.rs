//! `paii config get|set|list`: plugin config with its effective value and
//! where it came from (plugin default < paii.toml < `$PAII_HOME/config`).

use serde::Serialize;

use super::{Context, Error};
pub use crate::generation::plugin_config::Origin;
use crate::generation::plugin_config::type_name;
use crate::manifest::PluginManifest;

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ConfigError {
    #[error("`{target}` is not PLUGIN.KEY")]
    #[diagnostic(help("for example `paii config get incident.escalation_threshold_minutes`"))]
    NotPluginKey { target: String },
    #[error("`{plugin}` is not a plugin of the current generation")]
    NotAPlugin {
        plugin: String,
        #[help]
        help: Option<String>,
    },
    #[error("`{key}` is not a config key of `{plugin}`")]
    UnknownKey {
        plugin: String,
        key: String,
        #[help]
        help: String,
    },
    #[error("`{raw}` is not a TOML value")]
    #[diagnostic(help("`{key}` must be {expected}"))]
    NotToml { raw: String, key: String, expected: &'static str },
    #[error("`{key}` of `{plugin}` {why}; nothing was written")]
    Refused {
        plugin: String,
        key: String,
        why: String,
        #[help]
        help: Option<String>,
    },
    #[error("cannot write {value} as TOML")]
    Unwritable { value: String },
}

#[derive(Debug, Serialize)]
pub struct Row {
    pub plugin: String,
    pub key: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `None` when the key has no default and is not set.
    pub value: Option<toml::Value>,
    pub origin: Option<Origin>,
    pub description: String,
}

/// The plugins of the scope's current generation, with their manifests.
fn plugins(ctx: &Context) -> Result<Vec<PluginManifest>, Error> {
    let generations = ctx.scope()?.generations();
    let n = generations.current().ok_or(crate::generation::GenerationError::NoCurrent)?;
    generations.meta(n)?.plugins.iter().map(|p| Ok(PluginManifest::load_installed(&p.store_path, &p.name)?)).collect()
}

/// The paii.toml whose `[config.<plugin>]` the current generation carries:
/// `--manifest`, else the one it was made from, else the usual search.
pub fn manifest_path(ctx: &Context) -> std::path::PathBuf {
    if let Some(m) = &ctx.manifest {
        return m.clone();
    }
    let Ok(scope) = ctx.scope() else { return ctx.manifest_path() };
    let generations = scope.generations();
    generations
        .current()
        .and_then(|n| generations.meta(n).ok())
        .and_then(|m| m.manifest)
        .filter(|p| p.is_file())
        .unwrap_or_else(|| ctx.manifest_path())
}

fn rows(ctx: &Context, pm: &PluginManifest) -> Result<Vec<Row>, Error> {
    let home = crate::util::paths::paii_home();
    let path = manifest_path(ctx);
    let manifest = if path.is_file() { Some(crate::manifest::Manifest::load(&path)?) } else { None };
    let empty = crate::diagnostic::SourceFile::new(std::path::Path::new("paii.toml"), "");
    let (file, team) = match &manifest {
        Some(m) => (&m.file, m.config.get(&pm.name)),
        None => (&empty, None),
    };
    let effective = crate::generation::plugin_config::effective(pm, file, team, &home)?;
    Ok(pm
        .config
        .iter()
        .map(|(key, opt)| {
            let v = effective.0.get(key);
            Row {
                plugin: pm.name.clone(),
                key: key.clone(),
                kind: type_name(opt.kind),
                value: v.map(|v| v.value.clone()),
                origin: v.map(|v| v.origin.clone()),
                description: opt.description.clone(),
            }
        })
        .collect())
}

fn split(target: &str) -> Result<(&str, &str), Error> {
    Ok(target.split_once('.').ok_or_else(|| ConfigError::NotPluginKey { target: target.to_string() })?)
}

fn find(ctx: &Context, plugin: &str) -> Result<PluginManifest, Error> {
    let all = plugins(ctx)?;
    let names: Vec<String> = all.iter().map(|p| p.name.clone()).collect();
    all.into_iter().find(|p| p.name == plugin).ok_or_else(|| {
        ConfigError::NotAPlugin {
            plugin: plugin.to_string(),
            help: crate::util::suggest::did_you_mean(plugin, names.iter().map(String::as_str)),
        }
        .into()
    })
}

pub fn list(ctx: &Context, plugin: Option<&str>) -> Result<Vec<Row>, Error> {
    let pms = match plugin {
        Some(p) => vec![find(ctx, p)?],
        None => plugins(ctx)?,
    };
    let mut out = Vec::new();
    for pm in &pms {
        out.extend(rows(ctx, pm)?);
    }
    Ok(out)
}

pub fn get(ctx: &Context, target: &str) -> Result<Row, Error> {
    let (plugin, key) = split(target)?;
    let pm = find(ctx, plugin)?;
    rows(ctx, &pm)?.into_iter().find(|r| r.key == key).ok_or_else(|| unknown_key(&pm, key))
}

fn unknown_key(pm: &PluginManifest, key: &str) -> Error {
    ConfigError::UnknownKey {
        plugin: pm.name.clone(),
        key: key.to_string(),
        help: crate::generation::plugin_config::unknown_key_help(pm, key),
    }
    .into()
}

/// Writes `VALUE` (checked against the key's type) to
/// `$PAII_HOME/config/<plugin>.toml`, keeping that file's comments.
pub fn set(ctx: &Context, target: &str, raw: &str) -> Result<Row, Error> {
    let (plugin, key) = split(target)?;
    let pm = find(ctx, plugin)?;
    let opt = pm.config.get(key).ok_or_else(|| unknown_key(&pm, key))?;
    use crate::manifest::plugin::ConfigType;
    let value: toml::Value = match opt.kind {
        ConfigType::String => toml::Value::String(raw.to_string()),
        _ => toml::from_str::<toml::Table>(&format!("v = {raw}"))
            .ok()
            .and_then(|mut t| t.remove("v"))
            .ok_or_else(|| ConfigError::NotToml { raw: raw.to_string(), key: key.to_string(), expected: type_name(opt.kind) })?,
    };
    if let Some(why) = opt.refuses(&value) {
        return Err(ConfigError::Refused {
            plugin: plugin.to_string(),
            key: key.to_string(),
            why,
            help: crate::generation::plugin_config::opt_help(opt),
        }
        .into());
    }
    let value = crate::generation::plugin_config::as_declared(opt.kind, value);
    let home = crate::util::paths::paii_home();
    let _guard = ctx.lock_home("config set")?;
    let path = crate::generation::plugin_config::user_file(&home, plugin);
    let text = match crate::diagnostic::read_text(&path) {
        Ok(t) => t,
        Err(e) if e.is_not_found() => String::new(),
        Err(e) => return Err(e.into_spanned(None).into()),
    };
    let mut doc: toml_edit::DocumentMut = text.parse().map_err(|e: toml_edit::TomlError| {
        crate::diagnostic::SourceFile::new(&path, text.as_str()).error(e.span(), e.message().to_string(), None)
    })?;
    let item: toml_edit::Value = value.to_string().parse().map_err(|_| ConfigError::Unwritable { value: value.to_string() })?;
    doc[key] = toml_edit::Item::Value(item);
    crate::util::fs::atomic_write(&path, doc.to_string().as_bytes()).map_err(Error::io("cannot write", &path))?;
    drop(_guard);
    get(ctx, target)
}
