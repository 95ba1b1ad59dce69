//! Plugin config with the contract's precedence: the plugin's `[config]`
//! defaults < `[config.<plugin>]` in paii.toml < `$PAII_HOME/config/<plugin>.toml`.
//! Every value is checked against the plugin's declared type once, here;
//! the dispatch table carries the merged result.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Serialize;

use crate::diagnostic::{SourceFile, SpannedError};
use crate::manifest::PluginManifest;

/// Where an effective value came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "path", rename_all = "kebab-case")]
pub enum Origin {
    Default,
    Manifest(PathBuf),
    User(PathBuf),
}

#[derive(Debug, Clone, Serialize)]
pub struct Value {
    pub value: toml::Value,
    pub origin: Origin,
}

/// A plugin's effective config, in its declared order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Effective(pub IndexMap<String, Value>);

impl Effective {
    /// The config as `PAII_CONFIG` carries it.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::Value::Object(
            self.0.iter().map(|(k, v)| (k.clone(), serde_json::to_value(&v.value).unwrap_or(serde_json::Value::Null))).collect(),
        )
    }

    /// Each value as Claude Code exports a plugin option
    /// (`CLAUDE_PLUGIN_OPTION_<KEY>`): strings as they are, lists joined
    /// with `,`, numbers and booleans as text.
    pub fn options(&self) -> Vec<(String, String)> {
        fn text(v: &toml::Value) -> String {
            match v {
                toml::Value::String(s) => s.clone(),
                toml::Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(","),
                // As JSON writes a number: 3, not 3.0.
                toml::Value::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => (*f as i64).to_string(),
                other => other.to_string(),
            }
        }
        self.0.iter().map(|(k, v)| (k.clone(), text(&v.value))).collect()
    }
}

/// The user's own overrides of one plugin.
pub fn user_file(home: &Path, plugin: &str) -> PathBuf {
    home.join("config").join(format!("{plugin}.toml"))
}

/// Merges and type-checks the layers; a bad value is an error at its place.
pub fn effective(pm: &PluginManifest, manifest: &SourceFile, team: Option<&toml::Table>, home: &Path) -> Result<Effective, SpannedError> {
    let mut out = Effective::default();
    for (key, opt) in &pm.config {
        if let Some(v) = &opt.default {
            out.0.insert(key.clone(), Value { value: as_declared(opt.kind, v.clone()), origin: Origin::Default });
        }
    }
    if let Some(table) = team {
        layer(pm, &mut out, table, manifest, &["config", &pm.name], Origin::Manifest(manifest.path.clone()))?;
    }
    let user = user_file(home, &pm.name);
    if user.is_file() {
        let file = SourceFile::read(&user).map_err(|e| e.into_spanned(None))?;
        let table: toml::Table = toml::from_str(&file.text).map_err(|e| crate::diagnostic::toml_error(&file, e, None))?;
        layer(pm, &mut out, &table, &file, &[], Origin::User(user.clone()))?;
    }
    Ok(out)
}

fn layer(
    pm: &PluginManifest,
    out: &mut Effective,
    table: &toml::Table,
    file: &SourceFile,
    prefix: &[&str],
    origin: Origin,
) -> Result<(), SpannedError> {
    for (key, value) in table {
        let mut path: Vec<&str> = prefix.to_vec();
        path.push(key);
        let Some(opt) = pm.config.get(key) else {
            return Err(file.error(
                file.key_span(&path),
                format!("`{key}` is not a config key of `{}`", pm.name),
                Some(unknown_key_help(pm, key)),
            ));
        };
        if let Some(why) = opt.refuses(value) {
            return Err(file.error(file.key_span(&path), format!("`{key}` of `{}` {why}", pm.name), opt_help(opt)));
        }
        out.0.insert(key.clone(), Value { value: as_declared(opt.kind, value.clone()), origin: origin.clone() });
    }
    Ok(())
}

/// The option's description, as the hint of an error about its value.
pub fn opt_help(opt: &crate::manifest::plugin::ConfigOption) -> Option<String> {
    (!opt.description.is_empty()).then(|| opt.description.clone())
}

/// A float written as `15` is still a float to the plugin.
pub fn as_declared(kind: crate::manifest::plugin::ConfigType, value: toml::Value) -> toml::Value {
    match (kind, value) {
        (crate::manifest::plugin::ConfigType::Float, toml::Value::Integer(i)) => toml::Value::Float(i as f64),
        (_, v) => v,
    }
}

/// What to tell someone who named `key`, which `pm` has no config for.
pub fn unknown_key_help(pm: &PluginManifest, key: &str) -> String {
    let known: Vec<&str> = pm.config.keys().map(String::as_str).collect();
    crate::util::suggest::did_you_mean(key, known.iter().copied()).unwrap_or_else(|| {
        if known.is_empty() { format!("`{}` has no config", pm.name) } else { format!("`{}` accepts: {}", pm.name, known.join(", ")) }
    })
}

pub fn type_name(t: crate::manifest::plugin::ConfigType) -> &'static str {
    use crate::manifest::plugin::ConfigType::*;
    match t {
        Integer => "an integer",
        Float => "a float",
        String => "a string",
        Boolean => "a boolean",
        Array => "an array",
        Table => "a table",
    }
}
