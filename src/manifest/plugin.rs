//! `plugin.toml`: a plugin's identity, contracts, config schema, hooks, build
//! recipe, entry point and secrets.

use std::collections::BTreeMap;
use std::path::Path;

use indexmap::IndexMap;
use schemars::JsonSchema;
use semver::{Version, VersionReq};
use serde::{Deserialize, Serialize};
use toml::Spanned;

use super::{Shorthand, de_with};
use crate::diagnostic::{SourceFile, SpannedError, Warning, parse_toml};
use crate::dispatch::event::HookEvent;
use crate::manifest::contract::{Consume, Provide, check_contract_syntax, check_provision_name, near_miss_warning};

// ---- the file format -------------------------------------------------------

/// plugin.toml: one plugin.
#[derive(Debug, Deserialize, JsonSchema)]
#[schemars(title = "plugin.toml", description = "A paii plugin's manifest")]
pub struct PluginFile {
    pub plugin: PluginMeta,
    #[serde(default)]
    pub paii: PluginPaii,
    /// Each entry normalises to (contract, name-or-service): `skill = "x"` is
    /// SkillProvider "x", `memory = "MemoryProvider"` is MemoryProvider,
    /// `hooks = true` is HookHandler, `x = false` provides nothing, and
    /// `jira = { contract = "IntegrationProvider", service = "jira" }`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ProvideValueSchema>")]
    pub provides: IndexMap<String, Spanned<Shorthand<ContractTable>>>,
    /// Contracts this plugin uses; optional unless `optional = false`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, ConsumeValueSchema>")]
    pub consumes: IndexMap<String, Spanned<Shorthand<ContractTable>>>,
    /// The plugin's settings with their types and defaults.
    #[serde(default)]
    pub config: IndexMap<String, ConfigOption>,
    /// Claude Code events this plugin handles (snake_case names), plus
    /// `fail_closed`.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, HookValueSchema>")]
    pub hooks: IndexMap<String, Spanned<Shorthand<HookTable>>>,
    #[serde(default)]
    pub build: BuildTable,
    pub run: Option<RunTable>,
    #[serde(default)]
    pub secrets: Secrets,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct PluginMeta {
    /// `[a-z0-9][a-z0-9-]*`, unique in a generation.
    #[serde(deserialize_with = "de_with::name")]
    #[schemars(regex(pattern = r"^[a-z0-9][a-z0-9-]*$"))]
    pub name: String,
    #[serde(deserialize_with = "de_with::version")]
    #[schemars(with = "String")]
    pub version: Version,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub language: Language,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    Python,
    Rust,
    Mixed,
    #[default]
    Markdown,
    Shell,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct PluginPaii {
    /// paii versions this plugin works with; checked at lock time.
    #[serde(default, deserialize_with = "de_with::req_opt")]
    #[schemars(with = "Option<String>")]
    pub core_version: Option<VersionReq>,
}

/// `{ contract = "...", service = "...", optional = ... }`.
#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct ContractTable {
    #[schemars(required)]
    pub contract: Option<String>,
    /// The service or name this provision is for (`jira`, a skill name).
    #[serde(alias = "name")]
    pub service: Option<String>,
    /// For `[consumes]` only; defaults to `true`.
    pub optional: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct ConfigOption {
    #[serde(rename = "type")]
    pub kind: ConfigType,
    #[schemars(with = "Option<serde_json::Value>")]
    pub default: Option<toml::Value>,
    #[serde(default)]
    pub description: String,
    /// The smallest value an integer or float may take.
    pub min: Option<f64>,
    /// The largest value an integer or float may take.
    pub max: Option<f64>,
    /// The only values it may take.
    #[schemars(with = "Option<Vec<serde_json::Value>>")]
    pub choices: Option<Vec<toml::Value>>,
}

impl ConfigOption {
    /// Why `value` is not one this option accepts (its type, range and
    /// choices), or `None` when it is.
    pub fn refuses(&self, value: &toml::Value) -> Option<String> {
        if !self.kind.admits(value) {
            return Some(format!("must be {}, found {value}", self.kind.described()));
        }
        let number = match value {
            toml::Value::Integer(i) => Some(*i as f64),
            toml::Value::Float(f) => Some(*f),
            _ => None,
        };
        if let Some(n) = number {
            let shown = |b: f64| if b.fract() == 0.0 { format!("{}", b as i64) } else { b.to_string() };
            match (self.min, self.max) {
                (Some(lo), Some(hi)) if n < lo || n > hi => {
                    return Some(format!("must be from {} to {}, found {value}", shown(lo), shown(hi)));
                }
                (Some(lo), None) if n < lo => return Some(format!("must be at least {}, found {value}", shown(lo))),
                (None, Some(hi)) if n > hi => return Some(format!("must be at most {}, found {value}", shown(hi))),
                _ => {}
            }
        }
        if let Some(choices) = &self.choices
            && !choices.contains(value)
        {
            let list: Vec<String> = choices.iter().map(toml::Value::to_string).collect();
            return Some(format!("must be one of {}, found {value}", list.join(", ")));
        }
        None
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConfigType {
    Integer,
    Float,
    String,
    Boolean,
    Array,
    Table,
}

impl ConfigType {
    /// "an integer", "a string"...
    pub fn described(self) -> &'static str {
        match self {
            ConfigType::Integer => "an integer",
            ConfigType::Float => "a number",
            ConfigType::String => "a string",
            ConfigType::Boolean => "true or false",
            ConfigType::Array => "an array",
            ConfigType::Table => "a table",
        }
    }

    pub fn admits(self, value: &toml::Value) -> bool {
        matches!(
            (self, value),
            (ConfigType::Integer, toml::Value::Integer(_))
                | (ConfigType::Float, toml::Value::Float(_) | toml::Value::Integer(_))
                | (ConfigType::String, toml::Value::String(_))
                | (ConfigType::Boolean, toml::Value::Boolean(_))
                | (ConfigType::Array, toml::Value::Array(_))
                | (ConfigType::Table, toml::Value::Table(_))
        )
    }
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct HookTable {
    /// Tool-name matcher for tool events (`Bash`, `Edit|Write`, a regex).
    pub matcher: Option<String>,
    pub timeout_ms: Option<u64>,
    /// An observer: started detached and not waited for; it can neither
    /// block nor add context.
    #[serde(rename = "async", default)]
    pub observer: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize, JsonSchema)]
pub struct BuildTable {
    #[serde(rename = "type", default)]
    pub kind: BuildType,
    /// pip: the requirements file.
    pub requirements: Option<String>,
    /// cargo: `false` allows a plugin without Cargo.lock.
    pub locked: Option<bool>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum BuildType {
    Cargo,
    Uv,
    Pip,
    #[default]
    #[serde(alias = "skill")]
    None,
}

#[derive(Debug, Clone, Deserialize, JsonSchema)]
pub struct RunTable {
    /// argv of the entry point, relative to the build output or plugin root.
    pub command: Vec<String>,
    /// Actions `paii run --action` accepts; any when absent.
    pub actions: Option<Vec<String>>,
}

#[derive(Debug, Clone, Default, Deserialize, JsonSchema)]
pub struct Secrets {
    /// `.env` keys this plugin must have.
    #[serde(default)]
    pub required: Vec<String>,
    /// `.env` keys this plugin may have.
    #[serde(default)]
    pub optional: Vec<String>,
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(untagged)]
enum ProvideValueSchema {
    Flag(bool),
    Name(String),
    Names(Vec<String>),
    Table(ContractTable),
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(untagged)]
pub(crate) enum ConsumeValueSchema {
    Contract(String),
    Table(ContractTable),
}

#[allow(dead_code)]
#[derive(JsonSchema)]
#[serde(untagged)]
enum HookValueSchema {
    Flag(bool),
    Table(HookTable),
}

// ---- the typed manifest ----------------------------------------------------

/// One handled hook event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HookSpec {
    pub event: HookEvent,
    pub matcher: Option<String>,
    pub timeout_ms: Option<u64>,
    /// `async = true`: see [`HookTable::observer`].
    pub observer: bool,
}

/// A parsed, validated plugin.toml.
#[derive(Debug, Clone)]
pub struct PluginManifest {
    pub name: String,
    pub version: Version,
    pub description: String,
    pub authors: Vec<String>,
    pub language: Language,
    pub core_version: Option<VersionReq>,
    /// Sorted, normalised.
    pub provides: Vec<Provide>,
    pub consumes: BTreeMap<String, Consume>,
    pub config: IndexMap<String, ConfigOption>,
    pub hooks: Vec<HookSpec>,
    pub fail_closed: bool,
    pub build: BuildTable,
    pub run: Option<RunTable>,
    pub secrets: Secrets,
    pub warnings: Vec<Warning>,
    /// For a Claude Code plugin (`.claude-plugin/plugin.json`), its manifest:
    /// hooks, MCP servers, extra content paths, options and dependencies.
    pub native: Option<Box<super::native::NativeManifest>>,
    /// plugin.json gave no version: `version` is a stand-in until the
    /// lock names one (`0.0.0+<short commit>` or `+<digest>`).
    pub unversioned: bool,
}

/// The `.env` key that holds a Claude Code plugin's sensitive option:
/// `<PLUGIN>_<KEY>`, upper-cased, `-` as `_` (`github`'s `token` is
/// `GITHUB_TOKEN`).
pub fn option_secret(plugin: &str, key: &str) -> String {
    format!("{plugin}_{key}").to_uppercase().replace(|c: char| !c.is_ascii_alphanumeric(), "_")
}

/// A JSON option value as TOML config (`null` has no TOML form).
fn json_to_toml(v: &serde_json::Value) -> Option<toml::Value> {
    Some(match v {
        serde_json::Value::Null => return None,
        serde_json::Value::Bool(b) => toml::Value::Boolean(*b),
        serde_json::Value::Number(n) => match n.as_i64() {
            Some(i) => toml::Value::Integer(i),
            None => toml::Value::Float(n.as_f64()?),
        },
        serde_json::Value::String(s) => toml::Value::String(s.clone()),
        serde_json::Value::Array(a) => toml::Value::Array(a.iter().filter_map(json_to_toml).collect()),
        serde_json::Value::Object(o) => toml::Value::Table(o.iter().filter_map(|(k, v)| Some((k.clone(), json_to_toml(v)?))).collect()),
    })
}

/// Contracts implied by a `[provides]` key set to `true`, and keys whose
/// string value is a name rather than a contract.
fn implied_contract(key: &str) -> Option<&'static str> {
    match key {
        "hooks" | "hook" => Some("HookHandler"),
        "memory" => Some("MemoryProvider"),
        "skill" | "skills" => Some("SkillProvider"),
        "agent" | "agents" => Some("AgentProvider"),
        "command" | "commands" => Some("CommandProvider"),
        "integration" | "integrations" => Some("IntegrationProvider"),
        "mcp" => Some("McpProvider"),
        _ => None,
    }
}

/// Keys whose string values name what is provided (`skill = "incident"`).
fn names_a_provision(key: &str) -> bool {
    matches!(key, "skill" | "skills" | "agent" | "agents" | "command" | "commands" | "integration" | "integrations")
}

/// Normalises one `[consumes]` value (plugin.toml and registry entries).
pub fn consume_from(value: &Shorthand<ContractTable>) -> Result<Consume, String> {
    let consume = match value {
        Shorthand::Str(contract) => Consume { contract: contract.clone(), service: None, optional: true },
        Shorthand::Table(t) => Consume {
            contract: t.contract.clone().ok_or("a table needs `contract`")?,
            service: t.service.clone(),
            optional: t.optional.unwrap_or(true),
        },
        other => return Err(format!("expected a contract name or a table, found {}", other.kind())),
    };
    check_contract_syntax(&consume.contract)?;
    if let Some(service) = &consume.service {
        check_provision_name(service)?;
    }
    Ok(consume)
}

impl PluginManifest {
    pub fn load(path: &Path) -> Result<PluginManifest, SpannedError> {
        let file = SourceFile::read(path).map_err(|e| e.into_spanned(None))?;
        PluginManifest::parse(&file)
    }

    /// The manifest of the plugin installed as `name` from `root`. A Claude
    /// Code plugin takes its marketplace entry's name, as Claude Code
    /// installs it, whatever its plugin.json says (which still names its
    /// components' namespace: see `native`).
    /// Its errors and warnings name the plugin and the file in it, not the
    /// store.
    pub fn load_installed(root: &Path, name: &str) -> Result<PluginManifest, SpannedError> {
        let mut pm = PluginManifest::load_dir(root).map_err(|e| e.in_plugin(name, root))?;
        if pm.native.is_some() {
            pm.name = name.to_string();
        }
        pm.warnings = std::mem::take(&mut pm.warnings).into_iter().map(|w| w.in_plugin(name, root)).collect();
        Ok(pm)
    }

    /// The manifest of the plugin in `root`: its plugin.toml, else a Claude
    /// Code plugin's `.claude-plugin/plugin.json`. With both, plugin.toml is
    /// used and the two must agree on name and version.
    pub fn load_dir(root: &Path) -> Result<PluginManifest, SpannedError> {
        let toml = root.join("plugin.toml");
        let json = root.join(super::native::PLUGIN_JSON);
        let read_json = || -> Result<super::native::NativeManifest, SpannedError> {
            let file = SourceFile::read(&json).map_err(|e| e.into_spanned(None))?;
            super::native::NativeManifest::parse(&file)
        };
        if toml.is_file() {
            let pm = PluginManifest::load(&toml)?;
            if json.is_file() {
                let native = read_json()?;
                let disagree = if native.name != pm.name {
                    Some(format!("names it `{}`, plugin.toml `{}`", native.name, pm.name))
                } else {
                    native.version.as_ref().filter(|v| **v != pm.version).map(|v| format!("says version {v}, plugin.toml {}", pm.version))
                };
                if let Some(why) = disagree {
                    return Err(SourceFile::new(&json, "").error(
                        None,
                        format!("{} disagrees with plugin.toml: it {why}", super::native::PLUGIN_JSON),
                        Some("a plugin with both manifests is read through plugin.toml; make the two agree".into()),
                    ));
                }
            }
            return Ok(pm);
        }
        if json.is_file() {
            let mut pm = PluginManifest::from_native(read_json()?);
            // Claude Code loads `hooks/hooks.json` by convention: hooks as
            // much as the ones plugin.json names.
            if pm.provides.is_empty() && root.join(super::native::HOOKS_JSON).is_file() {
                pm.provides.push(Provide::new("HookHandler", None));
            }
            return Ok(pm);
        }
        Err(SourceFile::new(root, "").error(
            None,
            format!("{} holds neither plugin.toml nor {}", root.display(), super::native::PLUGIN_JSON),
            Some("a plugin is a directory with a plugin.toml, or a Claude Code plugin with .claude-plugin/plugin.json".into()),
        ))
    }

    /// A Claude Code plugin as paii sees it: no build, no `[run]`; its hooks,
    /// MCP servers and content come from `native`. Options become plugin
    /// config (`[config.<plugin>]`), sensitive ones secrets read from `.env`
    /// as `<PLUGIN>_<KEY>`.
    pub fn from_native(native: super::native::NativeManifest) -> PluginManifest {
        let mut config = IndexMap::new();
        let mut secrets = Secrets::default();
        for (key, option) in &native.user_config {
            if option.sensitive {
                let var = option_secret(&native.name, key);
                if option.required {
                    secrets.required.push(var)
                } else {
                    secrets.optional.push(var)
                }
                continue;
            }
            let kind = match option.kind.as_str() {
                "number" => ConfigType::Float,
                "boolean" => ConfigType::Boolean,
                _ if option.multiple => ConfigType::Array,
                _ => ConfigType::String,
            };
            let default = option.default.as_ref().and_then(json_to_toml);
            let (min, max) = if kind == ConfigType::Float { (option.min, option.max) } else { (None, None) };
            config.insert(key.clone(), ConfigOption { kind, default, description: option.description.clone(), min, max, choices: None });
        }
        let has_hooks = !native.hooks.is_empty();
        PluginManifest {
            name: native.name.clone(),
            unversioned: native.version.is_none(),
            version: native.version.clone().unwrap_or_else(|| Version::new(0, 0, 0)),
            description: native.description.clone(),
            authors: native.author.iter().cloned().collect(),
            language: Language::Markdown,
            core_version: None,
            provides: if has_hooks { vec![Provide::new("HookHandler", None)] } else { Vec::new() },
            consumes: BTreeMap::new(),
            config,
            hooks: Vec::new(),
            fail_closed: false,
            build: BuildTable::default(),
            run: None,
            secrets,
            warnings: native.warnings.clone(),
            native: Some(Box::new(native)),
        }
    }

    pub fn parse(file: &SourceFile) -> Result<PluginManifest, SpannedError> {
        let parsed = parse_toml::<PluginFile>(file)?;
        let raw = parsed.value;
        let name = raw.plugin.name.clone();

        let mut provides = Vec::new();
        // Contract names near a known one, with where they are written.
        let mut near_misses = Vec::new();
        for (key, value) in &raw.provides {
            let key_name = key.as_str();
            let err = |msg: String| file.error(Some(value.span()), format!("`provides.{key_name}`: {msg}"), None);
            match value.get_ref() {
                Shorthand::Bool(false) => {}
                Shorthand::Bool(true) => match implied_contract(key_name) {
                    // `skill = true` provides the skill named after the plugin.
                    Some("SkillProvider") => provides.push(Provide::new("SkillProvider", Some(&name))),
                    Some(c) => provides.push(Provide::new(c, None)),
                    None => {
                        return Err(err(format!("`{key_name} = true` implies no contract; write `{key_name} = \"ContractName\"`")));
                    }
                },
                Shorthand::Str(s) if names_a_provision(key_name) => {
                    let contract = implied_contract(key_name).unwrap_or("SkillProvider");
                    check_provision_name(s).map_err(err)?;
                    provides.push(Provide::new(contract, Some(s)));
                }
                Shorthand::Str(s) => {
                    check_contract_syntax(s).map_err(err)?;
                    near_misses.extend(near_miss_warning(s).map(|w| (value.span(), w)));
                    provides.push(Provide::new(s, None));
                }
                Shorthand::List(items) if names_a_provision(key_name) => {
                    let contract = implied_contract(key_name).unwrap_or("SkillProvider");
                    for s in items {
                        check_provision_name(s).map_err(err)?;
                        provides.push(Provide::new(contract, Some(s)));
                    }
                }
                Shorthand::List(_) => {
                    return Err(err("a list is accepted only for skill, agent, command and integration names".into()));
                }
                Shorthand::Table(t) => {
                    let Some(contract) = &t.contract else {
                        return Err(err("a table needs `contract`".into()));
                    };
                    check_contract_syntax(contract).map_err(err)?;
                    near_misses.extend(near_miss_warning(contract).map(|w| (value.span(), w)));
                    if let Some(service) = &t.service {
                        check_provision_name(service).map_err(err)?;
                    }
                    provides.push(Provide::new(contract, t.service.as_deref()));
                }
            }
        }
        provides.sort();
        provides.dedup();

        let mut consumes = BTreeMap::new();
        for (key, value) in &raw.consumes {
            let key_name = key.as_str();
            let err = |msg: String| file.error(Some(value.span()), format!("`consumes.{key_name}`: {msg}"), None);
            let consume = consume_from(value.get_ref()).map_err(err)?;
            near_misses.extend(near_miss_warning(&consume.contract).map(|w| (value.span(), w)));
            consumes.insert(key_name.to_string(), consume);
        }

        let mut hooks = Vec::new();
        let mut fail_closed = false;
        for (key, value) in &raw.hooks {
            let key_name = key.as_str();
            if key_name == "fail_closed" {
                match value.get_ref() {
                    Shorthand::Bool(b) => fail_closed = *b,
                    other => {
                        return Err(file.error(
                            Some(value.span()),
                            format!("`hooks.fail_closed`: expected a boolean, found {}", other.kind()),
                            None,
                        ));
                    }
                }
                continue;
            }
            let Some(event) = HookEvent::parse(key_name) else {
                let help = crate::util::suggest::closest(key_name, HookEvent::ALL.iter().map(|e| e.snake()))
                    .map(|s| format!("did you mean `{s}`?"))
                    .unwrap_or_else(|| "hook events are Claude Code's event names in snake_case, such as `pre_tool_use`".into());
                return Err(file.error(file.key_span(&["hooks", key_name]), format!("unknown hook event `{key_name}`"), Some(help)));
            };
            match value.get_ref() {
                Shorthand::Bool(false) => {}
                Shorthand::Bool(true) => hooks.push(HookSpec { event, matcher: None, timeout_ms: None, observer: false }),
                Shorthand::Table(t) => {
                    // Claude Code gets the union of the matchers as one
                    // pattern: one that does not compile would silence
                    // every plugin's handlers of the event.
                    if let Some(m) = &t.matcher
                        && let Err(e) = crate::dispatch::matcher::check(m)
                    {
                        return Err(file.error(
                            file.key_span(&["hooks", key_name, "matcher"]),
                            format!("`hooks.{key_name}.matcher` is not a valid pattern: {e}"),
                            Some(
                                "a matcher is a tool name, names joined by `|`, `*`, or a regular expression such as `mcp__memory__.*`"
                                    .into(),
                            ),
                        ));
                    }
                    // Claude Code's WorktreeCreate hook does the creating and
                    // answers with the worktree's path; an observer answers
                    // nothing, and `claude --worktree` would fail.
                    if t.observer && event == HookEvent::WorktreeCreate {
                        return Err(file.error(
                            file.key_span(&["hooks", key_name, "async"]),
                            format!("`hooks.{key_name}` cannot be an observer: Claude Code's WorktreeCreate hook creates the worktree and must print its path"),
                            Some("handle it (without `async`), or leave the event out".into()),
                        ));
                    }
                    hooks.push(HookSpec { event, matcher: t.matcher.clone(), timeout_ms: t.timeout_ms, observer: t.observer })
                }
                other => {
                    return Err(file.error(
                        Some(value.span()),
                        format!("`hooks.{key_name}`: expected `true` or a table, found {}", other.kind()),
                        None,
                    ));
                }
            }
        }
        hooks.sort_by_key(|h| h.event);

        if let Some(run) = &raw.run
            && run.command.is_empty()
        {
            return Err(file.error(
                file.key_span(&["run", "command"]),
                "`run.command` is empty",
                Some("give the program and its arguments, e.g. `command = [\"bin/tool\"]`".into()),
            ));
        }
        for (key, option) in &raw.config {
            if let (Some(lo), Some(hi)) = (option.min, option.max)
                && lo > hi
            {
                return Err(file.error(
                    file.key_span(&["config", key, "min"]),
                    format!("`config.{key}`: min {lo} is above max {hi}"),
                    None,
                ));
            }
            if let Some(default) = &option.default
                && !option.kind.admits(default)
            {
                return Err(file.error(
                    file.key_span(&["config", key, "default"]),
                    format!(
                        "`config.{key}`: default {default} is not of type {}",
                        serde_json::to_string(&option.kind).unwrap_or_default().trim_matches('"')
                    ),
                    None,
                ));
            }
            if let Some(why) = option.default.as_ref().and_then(|d| option.refuses(d)) {
                return Err(file.error(file.key_span(&["config", key, "default"]), format!("`config.{key}`: the default {why}"), None));
            }
        }

        Ok(PluginManifest {
            name,
            version: raw.plugin.version,
            description: raw.plugin.description,
            authors: raw.plugin.authors,
            language: raw.plugin.language,
            core_version: raw.paii.core_version,
            provides,
            consumes,
            config: raw.config,
            hooks,
            fail_closed,
            build: raw.build,
            run: raw.run,
            secrets: raw.secrets,
            native: None,
            unversioned: false,
            warnings: parsed.warnings.into_iter().chain(near_misses.into_iter().map(|(span, w)| file.warning(Some(span), w))).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<PluginManifest, SpannedError> {
        PluginManifest::parse(&SourceFile::new(Path::new("plugin.toml"), text))
    }

    const INCIDENT: &str = r#"
[plugin]
name = "incident"
version = "1.0.0"
description = "Incident response workflows"
authors = ["your-team"]
language = "python"

[paii]
core_version = ">=0.1.0"

[provides]
skill = "incident"
integration = false
jira = { contract = "IntegrationProvider", service = "jira" }

[consumes]
memory = { contract = "MemoryProvider", optional = true }
pagerduty = { contract = "IntegrationProvider", service = "pagerduty", optional = true }
store = { contract = "MemoryProvider", optional = false }

[config]
escalation_threshold_minutes = { type = "integer", default = 30 }

[hooks]
pre_tool_use = { matcher = "Bash", timeout_ms = 2000 }
stop = true
session_start = true

[build]
type = "pip"
requirements = "requirements.txt"

[run]
command = ["bin/incident"]

[secrets]
required = ["PAGERDUTY_API_KEY"]
optional = ["SLACK_BOT_TOKEN"]
"#;

    #[test]
    fn the_seed_manifest_parses_and_normalises() {
        let m = parse(INCIDENT).unwrap();
        assert_eq!(m.name, "incident");
        let provides: Vec<String> = m.provides.iter().map(|p| p.to_string()).collect();
        assert_eq!(provides, ["IntegrationProvider:jira", "SkillProvider:incident"]);
        assert!(m.consumes["memory"].optional);
        assert!(!m.consumes["store"].optional);
        assert_eq!(m.consumes["pagerduty"].service.as_deref(), Some("pagerduty"));
        assert_eq!(m.hooks.len(), 3);
        assert_eq!(m.hooks[0].event, HookEvent::PreToolUse);
        assert_eq!(m.hooks[0].timeout_ms, Some(2000));
        assert_eq!(m.build.kind, BuildType::Pip);
        assert!(m.warnings.is_empty(), "{:?}", m.warnings);
    }

    #[test]
    fn provides_shorthands_normalise() {
        let m = parse("[plugin]\nname = \"h\"\nversion = \"1.0.0\"\n[provides]\nmemory = \"MemoryProvider\"\nhooks = true\nskill = true\n")
            .unwrap();
        let provides: Vec<String> = m.provides.iter().map(|p| p.to_string()).collect();
        assert_eq!(provides, ["HookHandler", "MemoryProvider", "SkillProvider:h"]);
    }

    #[test]
    fn worktree_create_cannot_be_observed() {
        let err = parse("[plugin]\nname = \"x\"\nversion = \"1.0.0\"\n[hooks]\nworktree_create = { async = true }\n").unwrap_err();
        assert!(err.message.contains("cannot be an observer"), "{}", err.message);
        assert!(parse("[plugin]\nname = \"x\"\nversion = \"1.0.0\"\n[hooks]\nworktree_remove = { async = true }\n").is_ok());
    }

    #[test]
    fn misspelt_hook_event_is_an_error_with_a_suggestion() {
        let err = parse("[plugin]\nname = \"x\"\nversion = \"1.0.0\"\n[hooks]\npre_tool_us = true\n").unwrap_err();
        assert!(err.message.contains("unknown hook event `pre_tool_us`"));
        assert_eq!(err.help.as_deref(), Some("did you mean `pre_tool_use`?"));
        assert_eq!(err.location.to_string(), "plugin.toml:5:1");
    }

    #[test]
    fn bad_build_type_lists_the_choices() {
        let err = parse("[plugin]\nname = \"x\"\nversion = \"1.0.0\"\n[build]\ntype = \"carg\"\n").unwrap_err();
        assert!(err.message.contains("`cargo`, `uv`, `pip`, `none`"), "{}", err.message);
        assert_eq!(err.help.as_deref(), Some("did you mean `cargo`?"));
    }

    #[test]
    fn a_contract_near_a_known_name_is_a_warning_at_its_location() {
        let m = parse(
            "[plugin]\nname = \"x\"\nversion = \"1.0.0\"\n[provides]\npager = \"PagerProvider\"\n[consumes]\nm = \"MemoryProvidr\"\n",
        )
        .unwrap();
        assert_eq!(m.provides, vec![Provide::new("PagerProvider", None)], "a team's own contract is a contract");
        assert_eq!(m.consumes["m"].contract, "MemoryProvidr");
        let notes: Vec<String> = m.warnings.iter().map(|w| format!("{} {}", w.location, w.message)).collect();
        assert_eq!(notes.len(), 2, "{notes:?}");
        assert!(notes[0].starts_with("plugin.toml:5:9 ") && notes[0].contains("did you mean `AgentProvider`"), "{notes:?}");
        assert!(notes[1].starts_with("plugin.toml:7:5 ") && notes[1].contains("did you mean `MemoryProvider`"), "{notes:?}");
    }

    #[test]
    fn a_bad_default_is_an_error() {
        let err =
            parse("[plugin]\nname = \"x\"\nversion = \"1.0.0\"\n[config]\nn = { type = \"integer\", default = \"x\" }\n").unwrap_err();
        assert!(err.message.contains("not of type integer"), "{}", err.message);
    }

    #[test]
    fn skill_build_type_is_none() {
        let m = parse("[plugin]\nname = \"x\"\nversion = \"1.0.0\"\n[build]\ntype = \"skill\"\n").unwrap();
        assert_eq!(m.build.kind, BuildType::None);
    }
}
