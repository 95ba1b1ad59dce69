//! What the hooks plugin tells Claude at the start of a session: the
//! generation that dispatched it (a project's, in project scope), its
//! plugins and the contracts they provide, and the bodies of the learnings
//! and decisions the wired MemoryProvider finds most relevant to the
//! session's project.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use paii_plugin::Value;

/// What the MemoryProvider answered, and whether it is whole entries
/// (`context`) or only titles (`recent`, from a provider without `context`).
pub enum Memory {
    Entries(Vec<Entry>),
    Titles(Vec<String>),
}

/// One learning, decision or incident with its body.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    pub category: String,
    pub title: String,
    pub date: String,
    pub body: String,
}

/// The context text, or `None` when there is nothing to say (no
/// generation readable and no memory). The memory part stays within
/// `max_bytes`.
pub fn context(
    generation: Result<Generation, String>,
    list_plugins: bool,
    memory: Option<(String, Result<Memory, String>)>,
    max_bytes: usize,
) -> Option<String> {
    let mut out = String::new();
    match generation {
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
        match got {
            Ok(Memory::Entries(entries)) if !entries.is_empty() => {
                let _ = writeln!(out, "\nWhat this project learned and decided (from {provider}, most relevant first):");
                out.push_str(&render_entries(&entries, max_bytes));
            }
            Ok(Memory::Titles(titles)) if !titles.is_empty() => {
                let _ = writeln!(out, "Latest learnings (from {provider}):");
                let mut used = 0;
                for t in titles {
                    let line = format!("- {t}\n");
                    if used + line.len() > max_bytes {
                        break;
                    }
                    used += line.len();
                    out.push_str(&line);
                }
            }
            Ok(_) => {}
            Err(why) => paii_plugin::log(&format!("cannot read the memory of {provider}: {why}")),
        }
    }
    (!out.trim().is_empty()).then(|| out.trim_end().to_string())
}

/// Entries as markdown sections, whole ones first: a body that does not fit
/// what is left is cut at a line (marked), and the rest are left out.
fn render_entries(entries: &[Entry], max_bytes: usize) -> String {
    let mut out = String::new();
    for e in entries {
        let word = match e.category.as_str() {
            "decisions" => "Decision",
            "incidents" => "Incident",
            _ => "Learning",
        };
        let title = e.title.strip_prefix(&format!("{word}: ")).unwrap_or(&e.title);
        let head = if e.date.is_empty() { format!("### {word}: {title}\n") } else { format!("### {word}: {title} ({})\n", e.date) };
        let room = max_bytes.saturating_sub(out.len() + head.len());
        if room < 40 {
            break;
        }
        out.push_str(&head);
        let body = e.body.trim();
        if body.len() < room {
            out.push_str(body);
        } else {
            let mut cut = 0;
            for line in body.split_inclusive('\n') {
                if cut + line.len() + 2 > room {
                    break;
                }
                cut += line.len();
            }
            out.push_str(body[..cut].trim_end());
            out.push_str(" …");
        }
        out.push('\n');
    }
    out
}

/// The directory of the generation that runs this plugin: its root is
/// `<profile>/generations/<N>/plugins/<name>` (a project's profile in
/// project scope), else `PAII_HOME`'s `current`.
pub fn generation_dir(plugin_root: Option<&Path>, home: &Path) -> PathBuf {
    plugin_root
        .and_then(|r| r.parent()?.parent())
        .filter(|g| g.join("generation.toml").is_file())
        .map_or_else(|| home.join("current"), Path::to_path_buf)
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

/// The record of the generation in `dir`.
pub fn generation(dir: &Path) -> Result<Generation, String> {
    let path = dir.join("generation.toml");
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

/// A MemoryProvider's `context --json` answer: an array of entries with
/// `category`, `title`, `date` and `body`.
pub fn parse_context(text: &str) -> Result<Vec<Entry>, String> {
    let v: Value = serde_json::from_str(text.trim()).map_err(|e| format!("its answer is not JSON: {e}"))?;
    let items = v.as_array().ok_or("its answer is not a JSON array")?;
    let field = |o: &serde_json::Map<String, Value>, k: &str| o.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    Ok(items
        .iter()
        .filter_map(Value::as_object)
        .filter(|o| o.get("title").and_then(Value::as_str).is_some())
        .map(|o| Entry { category: field(o, "category"), title: field(o, "title"), date: field(o, "date"), body: field(o, "body") })
        .collect())
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
        let text = context(generation(&home.path().join("current")), true, None, 4000).unwrap();
        assert!(text.starts_with("paii generation 4 is active (2 plugins)."), "{text}");
        assert!(text.contains("- history 1.0.0: provides MemoryProvider"), "{text}");
        assert!(text.contains("- incident 1.0.0\n") || text.ends_with("- incident 1.0.0"), "{text}");
    }

    #[test]
    fn the_generation_is_the_one_that_runs_the_plugin_not_the_users_current() {
        let home = home_with_generation();
        let project = tempfile::tempdir().unwrap();
        let root = project.path().join("generations/1/plugins/hooks");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(project.path().join("generations/1/generation.toml"), "number = 1\n").unwrap();
        assert_eq!(generation_dir(Some(&root), home.path()), project.path().join("generations/1"));
        assert_eq!(generation(&generation_dir(Some(&root), home.path())).unwrap().number, 1);
        // Run by hand, outside a generation: the user's current one.
        assert_eq!(generation_dir(None, home.path()), home.path().join("current"));
    }

    #[test]
    fn relevant_entries_are_given_whole_within_the_byte_bound() {
        let home = home_with_generation();
        let answer = r#"[{"category":"decisions","title":"Decision: Use fakeredis in tests","date":"2026-11-30","body":"We chose fakeredis over a live Redis.\nCI has no Redis."},
                         {"category":"learnings","title":"Run the migrations first","date":"2026-11-29","body":"line one\nline two\nline three"}]"#;
        let entries = parse_context(answer).unwrap();
        let text =
            context(generation(&home.path().join("current")), false, Some(("history".into(), Ok(Memory::Entries(entries.clone())))), 4000)
                .unwrap();
        assert!(
            text.contains("### Decision: Use fakeredis in tests (2026-11-30)\nWe chose fakeredis over a live Redis.\nCI has no Redis."),
            "{text}"
        );
        assert!(text.contains("### Learning: Run the migrations first (2026-11-29)\nline one"), "{text}");
        // A tight bound keeps the first entry's head and cuts its body at a line.
        let text = context(Err("none".into()), false, Some(("history".into(), Ok(Memory::Entries(entries)))), 100).unwrap();
        assert!(text.contains("### Decision: Use fakeredis in tests") && text.contains("…") && !text.contains("migrations"), "{text}");
        // A provider that fails costs the memory, not the context.
        let text = context(generation(&home.path().join("current")), true, Some(("history".into(), Err("boom".into()))), 4000).unwrap();
        assert!(text.contains("paii generation 4"), "{text}");
    }

    #[test]
    fn a_provider_without_context_still_gives_its_latest_titles() {
        let titles = parse_recent(r#"[{"title":"Run the migrations before the deploy","date":"2026-11-30"}]"#).unwrap();
        let text = context(Err("none".into()), false, Some(("history".into(), Ok(Memory::Titles(titles)))), 4000).unwrap();
        assert!(text.contains("Latest learnings (from history):\n- 2026-11-30 Run the migrations before the deploy"), "{text}");
    }

    #[test]
    fn without_a_generation_or_memory_there_is_nothing_to_say() {
        let home = tempfile::tempdir().unwrap();
        assert_eq!(context(generation(&home.path().join("current")), true, None, 4000), None);
    }
}
