//! What the hooks plugin tells Claude at the start of a session: the
//! active generation (from `$PAII_HOME/current/generation.toml`), its
//! plugins and the contracts they provide, and the latest learnings of the
//! MemoryProvider when one is wired.

use std::fmt::Write;
use std::path::Path;

use paii_plugin::Value;

/// The context text, or `None` when there is nothing to say (no
/// generation readable and no learnings).
pub fn context(home: &Path, list_plugins: bool, learnings: usize, memory: Option<(String, Result<String, String>)>) -> Option<String> {
    let mut out = String::new();
    match generation(home) {
        Ok(g) => {
            let _ = writeln!(out, "paii generation {} is active ({} plugins).", g.number, g.plugins.len());
            if list_plugins {
                for p in &g.plugins {
                    let provides = if p.provides.is_empty() { String::new() } else { format!(": provides {}", p.provides.join(", ")) };
                    let _ = writeln!(out, "- {} {}{provides}", p.name, p.version);
                }
            }
        }
        Err(why) => paii_plugin::log(&why),
    }
    if let Some((provider, got)) = memory {
        match got.and_then(|text| parse_recent(&text)) {
            Ok(items) if items.is_empty() => {}
            Ok(items) => {
                let _ = writeln!(out, "Latest learnings (from {provider}):");
                for item in items.iter().take(learnings) {
                    let _ = writeln!(out, "- {item}");
                }
            }
            Err(why) => paii_plugin::log(&format!("cannot read the learnings of {provider}: {why}")),
        }
    }
    (!out.is_empty()).then(|| out.trim_end().to_string())
}

pub struct Generation {
    pub number: u64,
    pub plugins: Vec<Plugin>,
}

pub struct Plugin {
    pub name: String,
    pub version: String,
    pub provides: Vec<String>,
}

/// The current generation's record.
pub fn generation(home: &Path) -> Result<Generation, String> {
    let path = home.join("current").join("generation.toml");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let doc: toml::Table = text.parse().map_err(|e| format!("{} is not TOML: {e}", path.display()))?;
    let number = doc.get("number").and_then(toml::Value::as_integer).unwrap_or_default().max(0) as u64;
    let str_of = |t: &toml::Table, k: &str| t.get(k).and_then(toml::Value::as_str).unwrap_or_default().to_string();
    let plugins = doc
        .get("plugin")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(toml::Value::as_table)
        .map(|t| Plugin {
            name: str_of(t, "name"),
            version: str_of(t, "version"),
            provides: t
                .get("provides")
                .and_then(toml::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(toml::Value::as_str)
                .map(str::to_string)
                .collect(),
        })
        .collect();
    Ok(Generation { number, plugins })
}

/// A MemoryProvider's `recent --json` answer: an array of entries with a
/// `title` (and a `path`, a `date`), or of strings.
pub fn parse_recent(text: &str) -> Result<Vec<String>, String> {
    let v: Value = serde_json::from_str(text.trim()).map_err(|e| format!("its answer is not JSON: {e}"))?;
    let items = match &v {
        Value::Array(a) => a.as_slice(),
        Value::Object(o) => o.get("entries").and_then(Value::as_array).map(Vec::as_slice).unwrap_or_default(),
        _ => &[],
    };
    Ok(items
        .iter()
        .filter_map(|i| match i {
            Value::String(s) => Some(s.clone()),
            Value::Object(o) => {
                let title = o.get("title").and_then(Value::as_str)?;
                Some(match o.get("date").and_then(Value::as_str) {
                    Some(d) => format!("{d} {title}"),
                    None => title.to_string(),
                })
            }
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn home_with_generation() -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("generations/4")).unwrap();
        std::fs::write(
            dir.path().join("generations/4/generation.toml"),
            "number = 4\ncreated = 1\n\n[[plugin]]\nname = \"history\"\nversion = \"1.0.0\"\nstore_path = \"/x\"\nprovides = [\"MemoryProvider\"]\n\n[[plugin]]\nname = \"incident\"\nversion = \"1.0.0\"\nstore_path = \"/y\"\n",
        )
        .unwrap();
        std::os::unix::fs::symlink("generations/4", dir.path().join("current")).unwrap();
        dir
    }

    #[test]
    fn the_context_names_the_generation_its_plugins_and_what_they_provide() {
        let home = home_with_generation();
        let text = context(home.path(), true, 3, None).unwrap();
        assert!(text.starts_with("paii generation 4 is active (2 plugins)."), "{text}");
        assert!(text.contains("- history 1.0.0: provides MemoryProvider"), "{text}");
        assert!(text.contains("- incident 1.0.0\n") || text.ends_with("- incident 1.0.0"), "{text}");
    }

    #[test]
    fn the_latest_learnings_come_from_the_wired_memory_provider() {
        let home = home_with_generation();
        let answer = r#"[{"title":"Run the migrations before the deploy","date":"2026-11-30","path":"/h/l.md"},{"title":"b"}]"#;
        let text = context(home.path(), false, 1, Some(("history".into(), Ok(answer.into())))).unwrap();
        assert!(text.contains("Latest learnings (from history):\n- 2026-11-30 Run the migrations before the deploy"), "{text}");
        assert!(!text.contains("- b"), "{text}");
        // A provider that fails costs the learnings, not the context.
        let text = context(home.path(), true, 3, Some(("history".into(), Err("boom".into())))).unwrap();
        assert!(text.contains("paii generation 4"), "{text}");
    }

    #[test]
    fn without_a_generation_or_learnings_there_is_nothing_to_say() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(context(home.path(), true, 3, None), None);
    }
}
