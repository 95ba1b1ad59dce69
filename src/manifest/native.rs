//! `.claude-plugin/plugin.json`: a Claude Code plugin's manifest, read the
//! way Claude Code reads it (checked against the vendored SchemaStore
//! schema, with Claude Code's own plugin reference as the authority where
//! that lags) into what paii needs to know of the plugin. Claude Code itself
//! loads the plugin from the directory paii gives it, every field included.

use std::path::Path;

use indexmap::IndexMap;
use semver::{Version, VersionReq};
use serde_json::{Map, Value};

use crate::diagnostic::{SourceFile, SpannedError};

/// Where the manifest sits in a plugin.
pub const PLUGIN_JSON: &str = ".claude-plugin/plugin.json";

/// Keys whose bad values Claude Code loads a plugin with (ignoring them).
const LENIENT: &[&str] = &["$schema", "version", "description", "author", "homepage", "repository", "license", "keywords"];

/// Keys Claude Code accepts beyond the vendored schema.
const ACCEPTED: &[&str] = &["strict", "icon"];

/// The vendored schema of plugin.json.
pub const SCHEMA: &str = include_str!("../../vendor/schemastore/claude-code-plugin-manifest.schema.json");

/// A path in the plugin, or a value written inline in the manifest.
#[derive(Debug, Clone, PartialEq)]
pub enum Declared {
    Path(String),
    Inline(Map<String, Value>),
}

/// One `userConfig` option.
#[derive(Debug, Clone, PartialEq)]
pub struct UserOption {
    /// `string`, `number`, `boolean`, `directory` or `file`.
    pub kind: String,
    pub description: String,
    pub default: Option<Value>,
    pub required: bool,
    /// Kept out of every file paii writes: it comes from `.env` only.
    pub sensitive: bool,
    /// A string option that takes a list.
    pub multiple: bool,
    /// A number option's bounds.
    pub min: Option<f64>,
    pub max: Option<f64>,
}

/// One entry of `dependencies`: another plugin, from this plugin's own
/// marketplace unless one is named, in the versions a requirement allows.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Dependency {
    pub name: String,
    pub marketplace: Option<String>,
    pub req: Option<VersionReq>,
}

/// A parsed, schema-checked plugin.json.
#[derive(Debug, Clone, Default)]
pub struct NativeManifest {
    pub name: String,
    pub version: Option<Version>,
    pub description: String,
    pub author: Option<String>,
    /// Command files or directories beyond `commands/`.
    pub commands: Vec<String>,
    /// Commands written as an object: name -> `{source | content, ...}`.
    pub command_objects: IndexMap<String, Map<String, Value>>,
    /// Agent files beyond `agents/`.
    pub agents: Vec<String>,
    /// Skill directories beyond `skills/`.
    pub skills: Vec<String>,
    /// Hooks beyond `hooks/hooks.json`.
    pub hooks: Vec<Declared>,
    /// MCP servers beyond `.mcp.json`.
    pub mcp_servers: Vec<Declared>,
    pub user_config: IndexMap<String, UserOption>,
    pub dependencies: Vec<Dependency>,
    /// `engines["claude-code"]`: the client versions it works with, as
    /// written (an npm-style range).
    pub engines: Option<String>,
    /// What Claude Code would load all the same: metadata of an unexpected
    /// type, unknown fields.
    pub warnings: Vec<crate::diagnostic::Warning>,
}

fn paths(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).map(str::to_string).collect(),
        _ => Vec::new(),
    }
}

fn declared(v: Option<&Value>) -> Vec<Declared> {
    match v {
        Some(Value::String(s)) => vec![Declared::Path(s.clone())],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|i| match i {
                Value::String(s) => Some(Declared::Path(s.clone())),
                Value::Object(m) => Some(Declared::Inline(m.clone())),
                _ => None,
            })
            .collect(),
        Some(Value::Object(m)) => vec![Declared::Inline(m.clone())],
        _ => Vec::new(),
    }
}

/// The vendored schema, parsed and compiled once per process (a sync reads
/// every plugin's plugin.json).
fn compiled() -> Result<&'static (Value, jsonschema::Validator), &'static String> {
    static COMPILED: std::sync::OnceLock<Result<(Value, jsonschema::Validator), String>> = std::sync::OnceLock::new();
    COMPILED
        .get_or_init(|| {
            let schema: Value = serde_json::from_str(SCHEMA).map_err(|e| format!("the vendored schema does not parse: {e}"))?;
            let validator = jsonschema::validator_for(&schema).map_err(|e| format!("the vendored schema does not compile: {e}"))?;
            Ok((schema, validator))
        })
        .as_ref()
}

impl NativeManifest {
    /// Every problem with `file` (all schema errors, or the first of paii's
    /// own checks), for `paii registry validate`.
    pub fn check(file: &SourceFile) -> Vec<SpannedError> {
        let doc = match crate::diagnostic::json::parse(file) {
            Ok(doc) => doc,
            Err(e) => return vec![e],
        };
        let errors = match compiled() {
            Ok((_, validator)) => crate::diagnostic::json::schema_findings(file, &doc, validator)
                .into_iter()
                .map(|f| file.error(f.span, f.message, None))
                .collect(),
            Err(e) => vec![file.error(None, e.clone(), None)],
        };
        if !errors.is_empty() {
            return errors;
        }
        NativeManifest::parse(file).err().into_iter().collect()
    }

    /// Reads `file`: JSON, then the schema, then the shapes paii needs. An
    /// error points at the value it is about. Only what Claude Code refuses
    /// is an error: metadata of an unexpected type, a version that is not
    /// semantic, and keys Claude Code does not know are warnings (it loads
    /// such a plugin, ignoring them).
    pub fn parse(file: &SourceFile) -> Result<NativeManifest, SpannedError> {
        let doc = crate::diagnostic::json::parse(file)?;
        let (schema, validator) = compiled().map_err(|e| file.error(None, e.clone(), None))?;
        let mut warnings = Vec::new();
        let mut errors = Vec::new();
        for f in crate::diagnostic::json::schema_findings(file, &doc, validator) {
            let key = f.pointer.split('/').nth(1).unwrap_or_default();
            if LENIENT.contains(&key) {
                warnings.push(file.warning(f.span, format!("{}; Claude Code ignores it, and so does paii", f.message)));
            } else {
                errors.push(file.error(f.span, f.message, None));
            }
        }
        if !errors.is_empty() {
            let more = errors.len() - 1;
            let first = errors.remove(0);
            let hint =
                "plugin.json must follow Claude Code's plugin manifest schema (vendor/schemastore/claude-code-plugin-manifest.schema.json)";
            return Err(if more > 0 {
                first.with_help(format!("{hint}; {more} more error(s) after this one"))
            } else {
                first.with_help(hint)
            });
        }
        let Value::Object(doc) = doc else { return Err(file.error(None, "is not a JSON object", None)) };
        let at = |key: &str| crate::diagnostic::json::pointer_span(&file.text, &format!("/{key}"));
        let name = doc.get("name").and_then(Value::as_str).unwrap_or_default().to_string();
        if !crate::manifest::version::is_valid_name(&name) {
            return Err(file.error(
                at("name"),
                crate::manifest::version::name_error(&name),
                Some(
                    "paii installs a plugin's skills, agents and commands under its name, which must be lower-case letters, digits and `-`"
                        .into(),
                ),
            ));
        }
        let version =
            match doc.get("version").and_then(Value::as_str).map(|v| (v, Version::parse(v))) {
                None => None,
                Some((_, Ok(v))) => Some(v),
                Some((v, Err(e))) => {
                    warnings.push(file.warning(
                        at("version"),
                        format!("`{v}` is not a semantic version ({e}); the plugin is versioned as if it named none"),
                    ));
                    None
                }
            };
        let known: Vec<&str> = schema["properties"].as_object().map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default();
        for key in doc.keys().filter(|k| !known.contains(&k.as_str()) && !ACCEPTED.contains(&k.as_str())) {
            warnings.push(file.warning(at(key), format!("unknown field `{key}`; Claude Code ignores it")));
        }
        let author = match doc.get("author") {
            Some(Value::Object(a)) => a.get("name").and_then(Value::as_str).map(str::to_string),
            Some(Value::String(s)) => Some(s.clone()),
            _ => None,
        };
        let mut m = NativeManifest {
            engines: doc.get("engines").and_then(|e| e.get("claude-code")).and_then(Value::as_str).map(str::to_string),
            warnings,
            name,
            version,
            description: doc.get("description").and_then(Value::as_str).unwrap_or_default().to_string(),
            author,
            agents: paths(doc.get("agents")),
            skills: paths(doc.get("skills")),
            hooks: declared(doc.get("hooks")),
            ..NativeManifest::default()
        };
        match doc.get("commands") {
            Some(Value::Object(commands)) => {
                for (name, v) in commands {
                    m.command_objects.insert(name.clone(), v.as_object().cloned().unwrap_or_default());
                }
            }
            other => m.commands = paths(other),
        }
        for d in declared(doc.get("mcpServers")) {
            match d {
                // An MCPB bundle (a path that is not JSON, or a URL) is
                // Claude Code's own packaging, left to it.
                Declared::Path(p) if !p.ends_with(".json") => {}
                other => m.mcp_servers.push(other),
            }
        }
        for (key, option) in doc.get("userConfig").and_then(Value::as_object).into_iter().flatten() {
            let get = |k: &str| option.get(k);
            m.user_config.insert(
                key.clone(),
                UserOption {
                    kind: get("type").and_then(Value::as_str).unwrap_or("string").to_string(),
                    description: get("description").or(get("title")).and_then(Value::as_str).unwrap_or_default().to_string(),
                    default: get("default").cloned(),
                    required: get("required").and_then(Value::as_bool).unwrap_or(false),
                    sensitive: get("sensitive").and_then(Value::as_bool).unwrap_or(false),
                    multiple: get("multiple").and_then(Value::as_bool).unwrap_or(false),
                    min: get("min").and_then(Value::as_f64),
                    max: get("max").and_then(Value::as_f64),
                },
            );
        }
        for (i, d) in doc.get("dependencies").and_then(Value::as_array).into_iter().flatten().enumerate() {
            let dep = dependency_from_json(d);
            m.dependencies.push(dep.map_err(|e| file.error(at(&format!("dependencies/{i}")), format!("`dependencies[{i}]`: {e}"), None))?);
        }
        Ok(m)
    }
}

/// One hook of a Claude Code plugin, as written: its event, the matcher of
/// its group, and the hook object (`{"type": "command", "command": ...}`).
#[derive(Debug, Clone, PartialEq)]
pub struct NativeHook {
    pub event: crate::dispatch::event::HookEvent,
    pub matcher: Option<String>,
    pub hook: Map<String, Value>,
}

/// One file's (or plugin.json's inline) event map, as written, and its file.
pub type HookDoc = (SourceFile, Map<String, Value>);

/// Where the default hooks file is.
pub const HOOKS_JSON: &str = "hooks/hooks.json";

impl NativeManifest {
    /// Every hook of the plugin in `root`: `hooks/hooks.json` (which must
    /// wrap its events in `{"hooks": ...}`), then what the manifest's
    /// `hooks` adds (files in the same form, or the event map inline). A
    /// file named twice is read once. Events this paii does not know are
    /// skipped, as Claude Code skips them, with a warning.
    pub fn load_hooks(&self, root: &Path) -> Result<(Vec<NativeHook>, Vec<String>), SpannedError> {
        let mut out = Vec::new();
        let mut warnings = Vec::new();
        for (file, events) in self.hook_docs(root)? {
            event_map(&file, &events, &mut out, &mut warnings)?;
        }
        Ok((out, warnings))
    }

    /// The event maps of the plugin in `root`, as written, each with the
    /// file it is in: `hooks/hooks.json`, then what the manifest's `hooks`
    /// adds (files in the same form, or the event map inline). A file named
    /// twice is read once.
    pub fn hook_docs(&self, root: &Path) -> Result<Vec<HookDoc>, SpannedError> {
        let mut out = Vec::new();
        let mut files = vec![root.join(HOOKS_JSON)];
        let mut inline = Vec::new();
        for d in &self.hooks {
            match d {
                Declared::Path(rel) => {
                    let path = crate::util::paths::normalize(&root.join(rel));
                    if !path.starts_with(root) {
                        return Err(SourceFile::new(&root.join(PLUGIN_JSON), "").error(
                            None,
                            format!("`hooks`: `{rel}` leads outside the plugin"),
                            None,
                        ));
                    }
                    if !files.contains(&path) {
                        files.push(path);
                    }
                }
                Declared::Inline(events) => inline.push((SourceFile::new(&root.join(PLUGIN_JSON), ""), events.clone())),
            }
        }
        out.extend(inline);
        for (i, path) in files.iter().enumerate() {
            if i == 0 && !path.is_file() {
                continue;
            }
            let file = SourceFile::read(path).map_err(|e| e.into_spanned(None))?;
            let doc = crate::diagnostic::json::parse(&file)?;
            let events = match doc.get("hooks") {
                Some(Value::Object(events)) => events.clone(),
                _ => {
                    return Err(file.error(
                        Some(0..file.text.len().min(1)),
                        "a hooks file must hold `{\"hooks\": {<event>: [...]}}`",
                        Some("wrap the events in a `hooks` object, as Claude Code requires".into()),
                    ));
                }
            };
            out.push((file, events));
        }
        Ok(out)
    }
}

/// Reads `{Event: [{matcher?, hooks: [...]}]}` into `out`.
fn event_map(
    file: &SourceFile,
    events: &Map<String, Value>,
    out: &mut Vec<NativeHook>,
    warnings: &mut Vec<String>,
) -> Result<(), SpannedError> {
    let at = |pointer: String| crate::diagnostic::json::pointer_span(&file.text, &pointer);
    for (name, groups) in events {
        let Some(event) = crate::dispatch::event::HookEvent::parse(name).filter(|e| e.pascal() == name) else {
            warnings
                .push(format!("{}: hook event `{name}` is unknown to this paii; its hooks are left to Claude Code as written", file.name));
            continue;
        };
        let Some(groups) = groups.as_array() else {
            return Err(file.error(at(format!("/hooks/{name}")), format!("`{name}` must be a list of matcher groups"), None));
        };
        for (g, group) in groups.iter().enumerate() {
            let bad = |what: &str| file.error(at(format!("/hooks/{name}/{g}")), format!("`{name}[{g}]`: {what}"), None);
            let matcher = match group.get("matcher") {
                None => None,
                Some(Value::String(m)) => Some(m.clone()),
                Some(_) => return Err(bad("`matcher` must be a string")),
            };
            let Some(hooks) = group.get("hooks").and_then(Value::as_array) else { return Err(bad("needs a `hooks` list")) };
            for hook in hooks {
                let Some(hook) = hook.as_object() else { return Err(bad("each hook must be an object")) };
                if hook.get("type").and_then(Value::as_str).is_none() {
                    return Err(bad("each hook needs a `type`"));
                }
                if hook.get("type").and_then(Value::as_str) == Some("command") && hook.get("command").and_then(Value::as_str).is_none() {
                    return Err(bad("a `command` hook needs a `command`"));
                }
                out.push(NativeHook { event, matcher: matcher.clone(), hook: hook.clone() });
            }
        }
    }
    Ok(())
}

/// One `dependencies` item of plugin.json or a marketplace entry: a string
/// (see [`parse_dependency`]) or `{name, marketplace?, version?}`.
pub fn dependency_from_json(d: &Value) -> Result<Dependency, String> {
    match d {
        Value::String(s) => parse_dependency(s),
        Value::Object(o) => o
            .get("version")
            .and_then(Value::as_str)
            .map(|r| VersionReq::parse(r).map_err(|e| format!("`{r}` is not a version requirement: {e}")))
            .transpose()
            .map(|req| Dependency {
                name: o.get("name").and_then(Value::as_str).unwrap_or_default().to_string(),
                marketplace: o.get("marketplace").and_then(Value::as_str).map(str::to_string),
                req,
            }),
        _ => Err("expected a plugin name or an object".to_string()),
    }
}

/// `name`, `name@marketplace`, `name@^1.2` or `name@marketplace@^1.2`.
pub fn parse_dependency(s: &str) -> Result<Dependency, String> {
    let mut parts = s.split('@');
    let name = parts.next().unwrap_or_default().to_string();
    let (mut marketplace, mut req) = (None, None);
    for part in parts {
        if part.starts_with('^') || part.starts_with('~') || part.starts_with(|c: char| c.is_ascii_digit() || "<>=*".contains(c)) {
            req = Some(VersionReq::parse(part).map_err(|e| format!("`{part}` is not a version requirement: {e}"))?);
        } else {
            marketplace = Some(part.to_string());
        }
    }
    Ok(Dependency { name, marketplace, req })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<NativeManifest, SpannedError> {
        NativeManifest::parse(&SourceFile::new(std::path::Path::new("plugin.json"), text))
    }

    #[test]
    fn every_shape_of_the_installed_fields_is_read() {
        let m = parse(
            r#"{
  "name": "formatter",
  "version": "1.2.0",
  "author": {"name": "Acme"},
  "commands": ["./extra/cmd.md", "./more-commands"],
  "agents": "./special/agent.md",
  "skills": ["./extra-skills"],
  "hooks": "./config/hooks.json",
  "mcpServers": {"db": {"command": "${CLAUDE_PLUGIN_ROOT}/db", "args": []}},
  "userConfig": {"api_url": {"type": "string", "title": "API", "description": "where", "default": "https://x"}, "token": {"type": "string", "title": "Token", "description": "secret", "sensitive": true}},
  "dependencies": ["helper", "lint@acme@^2.0", {"name": "other", "marketplace": "acme"}],
  "lspServers": {"rust": {"command": "rust-analyzer", "extensionToLanguage": {".rs": "rust"}}},
  "outputStyles": "./styles"
}"#,
        )
        .unwrap();
        assert_eq!(m.version, Some(Version::new(1, 2, 0)));
        assert_eq!(m.author.as_deref(), Some("Acme"));
        assert_eq!(m.commands, ["./extra/cmd.md", "./more-commands"]);
        assert_eq!(m.agents, ["./special/agent.md"]);
        assert_eq!(m.hooks, [Declared::Path("./config/hooks.json".into())]);
        assert!(matches!(&m.mcp_servers[0], Declared::Inline(s) if s.contains_key("db")));
        assert!(m.user_config["token"].sensitive && !m.user_config["api_url"].sensitive);
        assert_eq!(
            m.dependencies[1],
            Dependency { name: "lint".into(), marketplace: Some("acme".into()), req: VersionReq::parse("^2.0").ok() }
        );
        assert_eq!(m.dependencies[2].marketplace.as_deref(), Some("acme"));
    }

    #[test]
    fn only_the_name_is_required() {
        let m = parse(r#"{"name": "tiny"}"#).unwrap();
        assert_eq!((m.name.as_str(), m.version.as_ref()), ("tiny", None));
    }

    #[test]
    fn bad_manifests_are_errors_at_their_value() {
        let e = parse("{\n  \"name\": \"x\",\n  \"agents\": \"agents/a.md\"\n}").unwrap_err();
        assert_eq!(e.location.to_string(), "plugin.json:3:13", "{}", e.message);
        let e = parse("{\n  \"version\": \"1.0.0\"\n}").unwrap_err();
        assert!(e.message.contains("name"), "{}", e.message);
        // What Claude Code loads all the same is a warning, not an error.
        let m =
            parse("{\"name\": \"x\", \"version\": \"one\", \"author\": \"A\", \"repository\": {\"url\": \"u\"}, \"extra\": 1}").unwrap();
        let warnings: Vec<&str> = m.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(warnings.len(), 4, "{warnings:?}");
        assert!(
            warnings.iter().any(|w| w.contains("not a semantic version")) && warnings.iter().any(|w| w.contains("unknown field `extra`"))
        );
        assert_eq!((m.version, m.author.as_deref()), (None, Some("A")));
        let e = parse("{\"name\": \"Has Spaces\"}").unwrap_err();
        assert!(e.message.contains("Has Spaces"), "{}", e.message);
        let e = parse("{\"name\": ").unwrap_err();
        assert!(e.message.contains("not valid JSON"), "{}", e.message);
    }
}
