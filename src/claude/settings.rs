//! paii's hook entries in `$CLAUDE_CONFIG_DIR/settings.json`: one command
//! hook per event some plugin handles, recognised by its command alone
//! (the schema allows no extra keys on a hook), everything else untouched.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::{Map, Value, json};

use super::ClaudeError;
use super::record::SettingsRecord;
use crate::dispatch::event::HookEvent;

/// The vendored SchemaStore schema of settings.json.
pub const SCHEMA: &str = include_str!("../../vendor/schemastore/claude-code-settings.schema.json");

/// What a generation asks of one event.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HookEntry {
    /// `None` for events without tools; `""` when every tool is wanted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matcher: Option<String>,
    /// Seconds Claude Code waits for the dispatcher.
    pub timeout: u64,
}

/// The command Claude Code runs for `event`; a project's names the profile
/// whose current generation answers it.
pub fn dispatch_command(exe: &Path, profile: Option<&Path>, event: HookEvent) -> String {
    let command = format!("{} hook dispatch {}", shell_quote(&exe.display().to_string()), event.kebab());
    match profile {
        None => command,
        Some(p) => format!("{command} --profile {}", shell_quote(&p.display().to_string())),
    }
}

/// The event of a paii dispatch command, of any paii binary and profile.
pub fn dispatch_event(command: &str) -> Option<HookEvent> {
    let (program, rest) = command.trim_end().split_once(" hook dispatch ")?;
    let (event, tail) = rest.split_once(' ').unwrap_or((rest, ""));
    if !(tail.is_empty() || tail.starts_with("--profile ")) {
        return None;
    }
    let program = program.strip_prefix('\'').and_then(|p| p.strip_suffix('\'')).unwrap_or(program);
    let name = Path::new(program).file_name()?.to_str()?;
    (name == "paii" || name == "paii-cli").then(|| HookEvent::parse(event)).flatten()
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"/._-+:@%,=".contains(&b)) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The matcher group paii writes for an event.
pub fn group(exe: &Path, profile: Option<&Path>, event: HookEvent, entry: &HookEntry) -> Value {
    let mut g = Map::new();
    if let Some(m) = &entry.matcher {
        g.insert("matcher".into(), Value::String(m.clone()));
    }
    g.insert("hooks".into(), json!([{ "type": "command", "command": dispatch_command(exe, profile, event), "timeout": entry.timeout }]));
    Value::Object(g)
}

fn is_paii_hook(hook: &Value) -> Option<HookEvent> {
    hook.get("command").and_then(Value::as_str).and_then(dispatch_event)
}

/// paii's entries currently in `doc`: event -> its matcher group.
pub fn owned_entries(doc: &Map<String, Value>) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    let Some(Value::Object(hooks)) = doc.get("hooks") else { return out };
    for (event, groups) in hooks {
        for g in groups.as_array().into_iter().flatten() {
            if g.get("hooks").and_then(Value::as_array).is_some_and(|hs| hs.iter().any(|h| is_paii_hook(h).is_some())) {
                out.insert(event.clone(), g.clone());
            }
        }
    }
    out
}

/// Replaces paii's entries in `doc` with `wanted` (event -> group), in
/// place where an event already had one; every other key, group, hook and
/// order stays as it was. `record` learns what paii created.
pub fn merge(doc: &mut Map<String, Value>, wanted: &BTreeMap<HookEvent, Value>, record: &mut SettingsRecord) -> Result<(), ClaudeError> {
    if !doc.contains_key("hooks") {
        if wanted.is_empty() {
            return Ok(());
        }
        doc.insert("hooks".into(), Value::Object(Map::new()));
        record.created_hooks = true;
    }
    let Some(Value::Object(hooks)) = doc.get_mut("hooks") else {
        return Err(ClaudeError::HooksNotObject);
    };
    // Where paii's group stood in each event, to put the new one there.
    let mut slots: BTreeMap<String, usize> = BTreeMap::new();
    for (event, groups) in hooks.iter_mut() {
        let Some(groups) = groups.as_array_mut() else { continue };
        let mut i = 0;
        while i < groups.len() {
            let g = &mut groups[i];
            let had_paii = if let Some(hs) = g.get_mut("hooks").and_then(Value::as_array_mut) {
                let before = hs.len();
                hs.retain(|h| is_paii_hook(h).is_none());
                let removed = hs.len() != before;
                if removed && hs.is_empty() {
                    groups.remove(i);
                    slots.entry(event.clone()).or_insert(i);
                    continue;
                }
                removed
            } else {
                false
            };
            if had_paii {
                slots.entry(event.clone()).or_insert(i + 1);
            }
            i += 1;
        }
    }
    for (event, g) in wanted {
        let key = event.pascal().to_string();
        if !hooks.contains_key(&key) {
            hooks.insert(key.clone(), Value::Array(Vec::new()));
            record.created_events.insert(key.clone());
        }
        if let Some(groups) = hooks.get_mut(&key).and_then(Value::as_array_mut) {
            let at = slots.get(&key).copied().unwrap_or(groups.len()).min(groups.len());
            groups.insert(at, g.clone());
        } else {
            return Err(ClaudeError::EventNotArray(key));
        }
    }
    drop_emptied(doc, record);
    Ok(())
}

/// Event arrays and the `hooks` key that paii itself added go when emptied.
fn drop_emptied(doc: &mut Map<String, Value>, record: &mut SettingsRecord) {
    let Some(Value::Object(hooks)) = doc.get_mut("hooks") else { return };
    for key in std::mem::take(&mut record.created_events) {
        if hooks.get(&key).and_then(Value::as_array).is_some_and(Vec::is_empty) {
            hooks.shift_remove(&key);
        } else if hooks.contains_key(&key) {
            record.created_events.insert(key);
        }
    }
    if record.created_hooks && hooks.is_empty() {
        doc.shift_remove("hooks");
        record.created_hooks = false;
    }
}

/// Replaces the raw groups paii wrote before (`srec.raw`) with `wanted`:
/// the recorded groups are removed wherever they still stand, the wanted
/// ones appended to their events. A group edited by hand is no longer
/// paii's and stays.
pub fn merge_raw(
    doc: &mut Map<String, Value>,
    wanted: &BTreeMap<HookEvent, Vec<Value>>,
    srec: &mut SettingsRecord,
) -> Result<(), ClaudeError> {
    if srec.raw.is_empty() && wanted.is_empty() {
        return Ok(());
    }
    if !doc.contains_key("hooks") {
        doc.insert("hooks".into(), Value::Object(Map::new()));
        srec.created_hooks = true;
    }
    let Some(Value::Object(hooks)) = doc.get_mut("hooks") else {
        return Err(ClaudeError::HooksNotObject);
    };
    for (event, written) in std::mem::take(&mut srec.raw) {
        if let Some(groups) = hooks.get_mut(&event).and_then(Value::as_array_mut) {
            for w in &written {
                if let Some(i) = groups.iter().position(|g| g == w) {
                    groups.remove(i);
                }
            }
        }
    }
    for (event, groups) in wanted {
        let key = event.pascal().to_string();
        if !hooks.contains_key(&key) {
            hooks.insert(key.clone(), Value::Array(Vec::new()));
            srec.created_events.insert(key.clone());
        }
        let Some(list) = hooks.get_mut(&key).and_then(Value::as_array_mut) else { return Err(ClaudeError::EventNotArray(key)) };
        list.extend(groups.iter().cloned());
        srec.raw.insert(key, groups.clone());
    }
    drop_emptied(doc, srec);
    Ok(())
}

/// Turns off Claude Code's own copy of each plugin paii installs
/// (`enabledPlugins["<name>@<marketplace>"]: true` becomes `false`), so that
/// nothing runs twice, and turns back on what paii turned off and no longer
/// replaces. A value changed by hand since is left alone. Returns the keys
/// turned off and back on.
pub fn merge_enabled(doc: &mut Map<String, Value>, replaced: &BTreeSet<String>, srec: &mut SettingsRecord) -> (Vec<String>, Vec<String>) {
    let (mut off, mut on) = (Vec::new(), Vec::new());
    let Some(Value::Object(enabled)) = doc.get_mut("enabledPlugins") else {
        srec.disabled_plugins.clear();
        return (off, on);
    };
    let plugin = |key: &str| key.split('@').next().unwrap_or_default().to_string();
    for key in std::mem::take(&mut srec.disabled_plugins) {
        if replaced.contains(&plugin(&key)) && enabled.get(&key) == Some(&Value::Bool(false)) {
            srec.disabled_plugins.insert(key);
        } else if enabled.get(&key) == Some(&Value::Bool(false)) {
            enabled.insert(key.clone(), Value::Bool(true));
            on.push(key);
        }
    }
    for (key, value) in enabled.iter_mut() {
        if *value == Value::Bool(true) && replaced.contains(&plugin(key)) {
            *value = Value::Bool(false);
            srec.disabled_plugins.insert(key.clone());
            off.push(key.clone());
        }
    }
    (off, on)
}

/// Puts `wanted` (`name@marketplace` keys enabled in another settings
/// file) into `enabledPlugins` of `doc` as `false`, and takes out the ones
/// paii added that are no longer wanted; a key the file already had is
/// left to [`merge_enabled`]. Returns the keys turned off and back on.
pub fn shadow_enabled(doc: &mut Map<String, Value>, wanted: &BTreeSet<String>, srec: &mut SettingsRecord) -> (Vec<String>, Vec<String>) {
    let (mut off, mut on) = (Vec::new(), Vec::new());
    if !doc.contains_key("enabledPlugins") {
        if wanted.is_empty() {
            srec.shadowed_plugins.clear();
            return (off, on);
        }
        doc.insert("enabledPlugins".into(), Value::Object(Map::new()));
        srec.created_enabled = true;
    }
    let Some(Value::Object(enabled)) = doc.get_mut("enabledPlugins") else { return (off, on) };
    for key in std::mem::take(&mut srec.shadowed_plugins) {
        if wanted.contains(&key) {
            srec.shadowed_plugins.insert(key);
        } else if enabled.get(&key) == Some(&Value::Bool(false)) {
            enabled.shift_remove(&key);
            on.push(key);
        }
    }
    for key in wanted {
        if !enabled.contains_key(key) {
            enabled.insert(key.clone(), Value::Bool(false));
            srec.shadowed_plugins.insert(key.clone());
            off.push(key.clone());
        }
    }
    if srec.created_enabled && enabled.is_empty() {
        doc.shift_remove("enabledPlugins");
        srec.created_enabled = false;
    }
    (off, on)
}

/// Writes each plugin's options that paii sets into
/// `pluginConfigs.<id>.options` (the keys it sets; a key the user set
/// through Claude Code for the same plugin stays), and takes out the values
/// paii wrote before and no longer sets, unless changed by hand since.
/// Returns the plugin ids whose options changed.
pub fn merge_configs(
    doc: &mut Map<String, Value>,
    wanted: &BTreeMap<String, Map<String, Value>>,
    srec: &mut SettingsRecord,
) -> Vec<String> {
    let mut changed = BTreeSet::new();
    let recorded = std::mem::take(&mut srec.plugin_configs);
    if !doc.contains_key("pluginConfigs") && !wanted.is_empty() {
        doc.insert("pluginConfigs".into(), Value::Object(Map::new()));
        srec.created_plugin_configs = true;
    }
    let Some(Value::Object(configs)) = doc.get_mut("pluginConfigs") else {
        return Vec::new();
    };
    for (id, written) in &recorded {
        let Some(Value::Object(entry)) = configs.get_mut(id) else { continue };
        if let Some(Value::Object(options)) = entry.get_mut("options") {
            for (key, value) in written {
                if wanted.get(id).is_none_or(|w| !w.contains_key(key)) && options.get(key) == Some(value) {
                    options.shift_remove(key);
                    changed.insert(id.clone());
                }
            }
            if options.is_empty() {
                entry.shift_remove("options");
            }
        }
        if entry.is_empty() {
            configs.shift_remove(id);
        }
    }
    for (id, values) in wanted {
        let entry = configs.entry(id.clone()).or_insert_with(|| Value::Object(Map::new()));
        if !entry.is_object() {
            *entry = Value::Object(Map::new());
        }
        let Some(entry) = entry.as_object_mut() else { continue };
        let options = entry.entry("options").or_insert_with(|| Value::Object(Map::new()));
        if !options.is_object() {
            *options = Value::Object(Map::new());
        }
        let Some(options) = options.as_object_mut() else { continue };
        for (key, value) in values {
            if options.get(key) != Some(value) {
                options.insert(key.clone(), value.clone());
                changed.insert(id.clone());
            }
        }
        srec.plugin_configs.insert(id.clone(), values.clone());
    }
    if srec.created_plugin_configs && configs.is_empty() {
        doc.shift_remove("pluginConfigs");
        srec.created_plugin_configs = false;
    }
    changed.into_iter().collect()
}

/// The `name@marketplace` keys enabled (`true`) in `doc` whose plugin is
/// one of `replaced`.
pub fn enabled_keys(doc: &Map<String, Value>, replaced: &BTreeSet<String>) -> BTreeSet<String> {
    let Some(Value::Object(enabled)) = doc.get("enabledPlugins") else { return BTreeSet::new() };
    enabled
        .iter()
        .filter(|(k, v)| **v == Value::Bool(true) && replaced.contains(k.split('@').next().unwrap_or_default()))
        .map(|(k, _)| k.clone())
        .collect()
}

/// Schema errors of `doc` as "path: message" lines.
pub fn schema_errors(doc: &Map<String, Value>) -> Vec<String> {
    let Ok(schema) = serde_json::from_str::<Value>(SCHEMA) else { return vec!["the vendored schema does not parse".into()] };
    let Ok(validator) = jsonschema::validator_for(&schema) else { return vec!["the vendored schema does not compile".into()] };
    let instance = Value::Object(doc.clone());
    let mut errors: Vec<String> = validator.iter_errors(&instance).map(|e| format!("{}: {e}", e.instance_path())).collect();
    errors.sort();
    errors.dedup();
    errors
}

/// An error with the positions in lists left out: paii's edit moves the
/// user's groups up or down, and that is not a new error.
fn unplaced(error: &str) -> String {
    let (path, message) = error.split_once(": ").unwrap_or((error, ""));
    let path: Vec<&str> = path.split('/').map(|seg| if seg.parse::<usize>().is_ok() { "*" } else { seg }).collect();
    format!("{}: {message}", path.join("/"))
}

/// Checks that paii's edit keeps settings.json valid: the new document
/// may not fail the schema where the old one did not (a user's own
/// unknown-to-the-schema value is theirs to keep).
pub fn validate(path: &Path, before: &Map<String, Value>, after: &Map<String, Value>) -> Result<(), ClaudeError> {
    let new = schema_errors(after);
    if new.is_empty() {
        return Ok(());
    }
    let old: Vec<String> = schema_errors(before).iter().map(|e| unplaced(e)).collect();
    let introduced: Vec<String> = new.into_iter().filter(|e| !old.contains(&unplaced(e))).collect();
    if introduced.is_empty() {
        return Ok(());
    }
    Err(ClaudeError::Schema { path: path.to_path_buf(), errors: introduced })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn event_list_matches_the_vendored_settings_schema() {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).unwrap();
        let mut in_schema: Vec<&str> =
            schema["properties"]["hooks"]["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        let mut ours: Vec<&str> = HookEvent::ALL.iter().map(|e| e.pascal()).collect();
        in_schema.sort();
        ours.sort();
        assert_eq!(ours, in_schema);
    }

    fn entry(m: Option<&str>) -> HookEntry {
        HookEntry { matcher: m.map(str::to_string), timeout: 12 }
    }

    #[test]
    fn dispatch_commands_are_recognised_by_command_alone() {
        let exe = Path::new("/opt/my tools/paii");
        let c = dispatch_command(exe, None, HookEvent::PreToolUse);
        assert_eq!(c, "'/opt/my tools/paii' hook dispatch pre-tool-use");
        assert_eq!(dispatch_event(&c), Some(HookEvent::PreToolUse));
        let p = dispatch_command(exe, Some(Path::new("/h/projects/my repo-0a")), HookEvent::Stop);
        assert_eq!(p, "'/opt/my tools/paii' hook dispatch stop --profile '/h/projects/my repo-0a'");
        assert_eq!(dispatch_event(&p), Some(HookEvent::Stop));
        assert_eq!(dispatch_event("/usr/bin/paii hook dispatch stop --other x"), None);
        assert_eq!(dispatch_event("/usr/bin/paii hook dispatch stop"), Some(HookEvent::Stop));
        assert_eq!(dispatch_event("/usr/bin/other hook dispatch stop"), None);
        assert_eq!(dispatch_event("paii hook dispatch not-an-event"), None);
    }

    #[test]
    fn merge_keeps_every_foreign_value_and_order_and_replaces_only_paii_entries() {
        let exe = Path::new("/bin/paii");
        let text = r#"{"model":"opus","hooks":{"PreToolUse":[{"matcher":"Edit","hooks":[{"type":"command","command":"fmt"}]},
            {"matcher":"Old","hooks":[{"type":"command","command":"/old/paii hook dispatch pre-tool-use"}]},
            {"matcher":"Write","hooks":[{"type":"command","command":"lint"}]}]},"z":1}"#;
        let mut doc: Map<String, Value> = serde_json::from_str(text).unwrap();
        let mut rec = SettingsRecord::default();
        let wanted = BTreeMap::from([
            (HookEvent::PreToolUse, group(exe, None, HookEvent::PreToolUse, &entry(Some("Bash")))),
            (HookEvent::Stop, group(exe, None, HookEvent::Stop, &entry(None))),
        ]);
        merge(&mut doc, &wanted, &mut rec).unwrap();
        let pre = doc["hooks"]["PreToolUse"].as_array().unwrap();
        let matchers: Vec<&str> = pre.iter().map(|g| g["matcher"].as_str().unwrap()).collect();
        assert_eq!(matchers, ["Edit", "Bash", "Write"], "paii's group takes the old one's place");
        assert_eq!(doc.keys().collect::<Vec<_>>(), ["model", "hooks", "z"]);
        assert!(rec.created_events.contains("Stop") && !rec.created_hooks);
        assert!(schema_errors(&doc).is_empty(), "{:?}", schema_errors(&doc));
        // Removing everything gives back the user's document exactly.
        merge(&mut doc, &BTreeMap::new(), &mut rec).unwrap();
        let mut original: Map<String, Value> = serde_json::from_str(text).unwrap();
        original["hooks"]["PreToolUse"].as_array_mut().unwrap().remove(1);
        assert_eq!(doc, original);
    }

    #[test]
    fn hooks_paii_created_go_away_with_its_last_entry() {
        let mut doc = Map::new();
        doc.insert("theme".into(), json!("dark"));
        let mut rec = SettingsRecord::default();
        let wanted = BTreeMap::from([(HookEvent::Stop, group(Path::new("/bin/paii"), None, HookEvent::Stop, &entry(None)))]);
        merge(&mut doc, &wanted, &mut rec).unwrap();
        assert!(rec.created_hooks);
        merge(&mut doc, &BTreeMap::new(), &mut rec).unwrap();
        assert_eq!(Value::Object(doc), json!({"theme": "dark"}));
    }

    #[test]
    fn a_hooks_value_that_is_not_an_object_is_refused() {
        let mut doc: Map<String, Value> = serde_json::from_str(r#"{"hooks": []}"#).unwrap();
        let wanted = BTreeMap::from([(HookEvent::Stop, json!({}))]);
        assert!(matches!(merge(&mut doc, &wanted, &mut SettingsRecord::default()), Err(ClaudeError::HooksNotObject)));
    }

    #[test]
    fn only_errors_paii_introduced_fail_validation() {
        let before: Map<String, Value> = serde_json::from_str(r#"{"cleanupPeriodDays": "x"}"#).unwrap();
        assert!(!schema_errors(&before).is_empty());
        assert!(validate(Path::new("s.json"), &before, &before).is_ok());
        let mut after = before.clone();
        after.insert("hooks".into(), json!({"Stop": [{"hooks": [{"type": "command"}]}]}));
        assert!(validate(Path::new("s.json"), &before, &after).is_err());
        // A user's group the schema does not know moves up when paii's goes: not new.
        let bad_group = json!({"matcher": "Edit", "hooks": [], "note": "mine"});
        let paii = json!({"hooks": [{"type": "command", "command": "/bin/paii hook dispatch pre-tool-use"}]});
        let before: Map<String, Value> = serde_json::from_value(json!({"hooks": {"PreToolUse": [paii, bad_group.clone()]}})).unwrap();
        let after: Map<String, Value> = serde_json::from_value(json!({"hooks": {"PreToolUse": [bad_group]}})).unwrap();
        assert!(validate(Path::new("s.json"), &before, &after).is_ok());
    }
}
