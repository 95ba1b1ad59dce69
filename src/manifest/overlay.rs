//! A marketplace entry laid over the plugin it points at.
//!
//! Claude Code reads a marketplace entry as part of the plugin's manifest:
//! with `strict: true` (the default) the entry's components add to
//! plugin.json's, and plugin.json's metadata wins; with `strict: false` the
//! entry *is* the manifest, and a plugin.json that also declares components
//! is an error. paii writes the result into the fetched tree as
//! `.claude-plugin/plugin.json` before it is hashed, so the store holds
//! exactly what is installed and the lock's integrity covers it.

use std::path::Path;

use serde_json::{Map, Value};

use super::native::PLUGIN_JSON;

/// The manifest keys that declare components.
const COMPONENTS: &[&str] = &["commands", "agents", "skills", "hooks", "mcpServers", "lspServers", "outputStyles"];

/// Entry keys that belong to the marketplace, not to any manifest.
const MARKETPLACE_ONLY: &[&str] = &["source", "category", "tags", "relevance", "displayName", "defaultEnabled", "metadata", "$schema"];

/// What an entry says of its plugin that Claude Code shows (see
/// [`fill_metadata`]); carried in the lock's overlay, and written into the
/// tree only as before (a strict entry with components adds a description
/// plugin.json lacks), so that no tree's hash changes.
const SHOWN: &[&str] = &["description", "version", "displayName"];

/// The overlay a marketplace entry makes. A strict entry without
/// components names the plugin, for a plugin directory that has no
/// plugin.json (Claude Code's manifest is optional), and carries the
/// description and version Claude Code shows for it.
pub fn from_entry(entry: &Map<String, Value>) -> Option<String> {
    let strict = entry.get("strict").and_then(Value::as_bool).unwrap_or(true);
    if strict && !COMPONENTS.iter().any(|k| entry.contains_key(*k)) {
        let mut m = Map::new();
        m.insert("name".into(), entry.get("name")?.clone());
        for key in SHOWN {
            if let Some(v) = entry.get(*key) {
                m.insert(key.to_string(), v.clone());
            }
        }
        return serde_json::to_string(&Value::Object(m)).ok();
    }
    let mut kept: Map<String, Value> =
        entry.iter().filter(|(k, _)| !MARKETPLACE_ONLY.contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
    if let Some(v) = entry.get("displayName") {
        kept.insert("displayName".into(), v.clone());
    }
    serde_json::to_string(&Value::Object(kept)).ok()
}

/// What Claude Code shows of a plugin from its marketplace entry (the
/// lock's `overlay`): the entry's description and display name over
/// plugin.json's, its version where plugin.json has none (plugin.json's
/// version wins, as Claude Code's own install shows).
pub fn fill_metadata(manifest: &mut Map<String, Value>, overlay: &str) {
    let Ok(entry) = serde_json::from_str::<Map<String, Value>>(overlay) else { return };
    for key in SHOWN {
        if let Some(v) = entry.get(*key).filter(|_| *key != "version" || !manifest.contains_key(*key)) {
            manifest.insert(key.to_string(), v.clone());
        }
    }
}

/// Writes the plugin.json that `overlay` and the tree's own manifest make.
/// A tree with a plugin.toml is a paii plugin and keeps its manifest.
pub fn apply(tree: &Path, overlay: &str) -> Result<(), String> {
    if tree.join("plugin.toml").is_file() {
        return Ok(());
    }
    let mut entry: Map<String, Value> =
        serde_json::from_str(overlay).map_err(|e| format!("the lock's overlay is not a JSON object: {e}"))?;
    let strict = entry.remove("strict").and_then(|v| v.as_bool()).unwrap_or(true);
    // Shown from the lock, never written into the tree.
    entry.remove("displayName");
    if strict && !COMPONENTS.iter().any(|k| entry.contains_key(*k)) {
        // Only the name reaches the tree (its hash stays what it was).
        entry.retain(|k, _| k == "name");
    }
    let path = tree.join(PLUGIN_JSON);
    let own: Option<Map<String, Value>> = match crate::diagnostic::read_text(&path) {
        Ok(text) => Some(serde_json::from_str(&text).map_err(|e| format!("{PLUGIN_JSON}: {e}"))?),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e.to_string()),
    };
    let declares = |m: &Map<String, Value>| COMPONENTS.iter().any(|k| m.contains_key(*k));
    let unchanged = own.clone();
    let merged = match own {
        Some(own) if !strict && declares(&entry) && declares(&own) => {
            return Err(format!(
                "both {PLUGIN_JSON} and the marketplace entry (strict: false) declare components; set `strict: true` in the entry or remove the components from one of them"
            ));
        }
        own if !strict => {
            // The entry is the manifest; its metadata wins, and the default
            // folders still count.
            let mut m = own.unwrap_or_default();
            for (k, v) in entry {
                let v = if COMPONENTS.contains(&k.as_str()) { combine(&k, default_folder(tree, &k), v)? } else { v };
                m.insert(k, v);
            }
            m
        }
        own => {
            let mut m = own.unwrap_or_default();
            for (k, v) in entry {
                if COMPONENTS.contains(&k.as_str()) {
                    let base = m.remove(&k).or_else(|| default_folder(tree, &k));
                    m.insert(k.clone(), combine(&k, base, v)?);
                } else if !m.contains_key(&k) {
                    m.insert(k, v);
                }
            }
            m
        }
    };
    // Nothing to add: the plugin's own file stays byte for byte.
    if unchanged.as_ref() == Some(&merged) {
        return Ok(());
    }
    let text = serde_json::to_string_pretty(&Value::Object(merged)).map_err(|e| e.to_string())?;
    let dir = tree.join(".claude-plugin");
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    // A symlinked plugin.json must not be written through.
    let _ = std::fs::remove_file(&path);
    std::fs::write(&path, text + "\n").map_err(|e| format!("cannot write {PLUGIN_JSON}: {e}"))
}

/// `commands/` and `agents/`, which a manifest's own list replaces: kept
/// explicitly so that the entry's paths add to them, as Claude Code does.
fn default_folder(tree: &Path, key: &str) -> Option<Value> {
    let dir = match key {
        "commands" => "commands",
        "agents" => "agents",
        _ => return None,
    };
    tree.join(dir).is_dir().then(|| Value::String(format!("./{dir}/")))
}

/// Both declarations of one component kind, as one value.
fn combine(key: &str, base: Option<Value>, add: Value) -> Result<Value, String> {
    let Some(base) = base else { return Ok(add) };
    match (base, add) {
        (Value::Object(mut a), Value::Object(b)) if key != "hooks" => {
            a.extend(b);
            Ok(Value::Object(a))
        }
        (a, b) => {
            let list = |v: Value| match v {
                Value::Array(items) => items,
                other => vec![other],
            };
            let items: Vec<Value> = list(a).into_iter().chain(list(b)).collect();
            if key == "commands" && items.iter().any(Value::is_object) {
                return Err("`commands` given both as paths and as an object cannot be combined".into());
            }
            Ok(Value::Array(items))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let p = dir.path().join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, text).unwrap();
        }
        dir
    }

    fn manifest(dir: &Path) -> Value {
        serde_json::from_str(&std::fs::read_to_string(dir.join(PLUGIN_JSON)).unwrap()).unwrap()
    }

    #[test]
    fn a_strict_entry_without_components_only_names_the_plugin_in_its_tree() {
        let entry = serde_json::json!({"name": "a", "source": "./a", "description": "x"});
        let overlay = from_entry(entry.as_object().unwrap()).unwrap();
        assert_eq!(overlay, r#"{"name":"a","description":"x"}"#);
        let own = r#"{ "name": "a",  "version": "1.0.0" }"#;
        let dir = tree(&[(PLUGIN_JSON, own)]);
        apply(dir.path(), &overlay).unwrap();
        assert_eq!(std::fs::read_to_string(dir.path().join(PLUGIN_JSON)).unwrap(), own, "left byte for byte");
        let bare = tree(&[("commands/c.md", "c")]);
        apply(bare.path(), &overlay).unwrap();
        assert_eq!(manifest(bare.path()), serde_json::json!({"name": "a"}));
        // What Claude Code shows comes from the entry where plugin.json is silent.
        let mut shown: Map<String, Value> = serde_json::from_str(own).unwrap();
        fill_metadata(&mut shown, &overlay);
        assert_eq!(Value::Object(shown), serde_json::json!({"name": "a", "version": "1.0.0", "description": "x"}));
    }

    #[test]
    fn a_non_strict_entry_is_the_manifest_and_keeps_the_default_folders() {
        let dir = tree(&[("commands/c.md", "c"), ("extra/s/SKILL.md", "s")]);
        let entry = serde_json::json!({"name": "a", "version": "1.0.0", "source": "./", "strict": false, "skills": ["./extra/s"], "commands": ["./more/"]});
        apply(dir.path(), &from_entry(entry.as_object().unwrap()).unwrap()).unwrap();
        let m = manifest(dir.path());
        assert_eq!(m["name"], "a");
        assert_eq!(m["skills"], serde_json::json!(["./extra/s"]));
        assert_eq!(m["commands"], serde_json::json!(["./commands/", "./more/"]));
        assert!(m.get("source").is_none() && m.get("strict").is_none());
    }

    #[test]
    fn a_non_strict_entry_and_a_plugin_json_with_components_conflict() {
        let dir = tree(&[(PLUGIN_JSON, r#"{"name": "a", "agents": "./x.md"}"#)]);
        let entry = serde_json::json!({"name": "a", "strict": false, "skills": "./s"});
        let err = apply(dir.path(), &from_entry(entry.as_object().unwrap()).unwrap()).unwrap_err();
        assert!(err.contains("strict: true"), "{err}");
    }

    #[test]
    fn a_strict_entry_adds_components_and_the_plugin_json_metadata_wins() {
        let dir = tree(&[(PLUGIN_JSON, r#"{"name": "a", "version": "2.0.0", "commands": "./own/"}"#)]);
        let entry = serde_json::json!({"name": "a", "version": "9.9.9", "commands": ["./more/"]});
        apply(dir.path(), &from_entry(entry.as_object().unwrap()).unwrap()).unwrap();
        let m = manifest(dir.path());
        assert_eq!(m["version"], "2.0.0");
        assert_eq!(m["commands"], serde_json::json!(["./own/", "./more/"]));
    }
}
