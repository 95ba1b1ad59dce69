//! Claude Code's JSON files as paii reads and writes them: parsed with the
//! line and column of any error, never overwritten when they are not a JSON
//! object, written atomically, and backed up before paii first writes them.

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::ClaudeError;
use crate::diagnostic::SourceFile;

/// A JSON object file as read from disk.
#[derive(Debug)]
pub struct JsonFile {
    pub path: PathBuf,
    /// The text read, `None` when the file did not exist.
    pub text: Option<String>,
    pub doc: Map<String, Value>,
}

impl JsonFile {
    /// Reads `path`; a missing file is an empty object. Anything that is not
    /// a JSON object is an error that points at the problem.
    pub fn read(path: &Path) -> Result<JsonFile, ClaudeError> {
        // A settings file kept in a dotfiles repository is a symlink: paii
        // reads and replaces the file it points to, and the link stays.
        let resolved;
        let path = if fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink()) {
            resolved = fs::canonicalize(path).map_err(|e| ClaudeError::io("cannot follow the symlink", path, e))?;
            resolved.as_path()
        } else {
            path
        };
        // UTF-8 with an optional BOM, like every file paii reads.
        let text = match crate::diagnostic::read_text(path) {
            Ok(t) => Some(t),
            Err(e) if e.is_not_found() => None,
            Err(crate::diagnostic::ReadError::Io { source, .. }) => return Err(ClaudeError::io("cannot read", path, source)),
            Err(crate::diagnostic::ReadError::Encoding(e)) => return Err(ClaudeError::Invalid(e)),
        };
        let doc = match &text {
            None => Map::new(),
            Some(t) => parse_object(path, t)?,
        };
        Ok(JsonFile { path: path.to_path_buf(), text, doc })
    }

    /// The document as it would be written.
    pub fn render(doc: &Map<String, Value>) -> String {
        // Claude Code writes two-space indented JSON; so does paii.
        let mut s = serde_json::to_string_pretty(doc).unwrap_or_else(|_| "{}".into());
        s.push('\n');
        s
    }

    /// Whether `doc` differs from what was read.
    pub fn changed(&self, doc: &Map<String, Value>) -> bool {
        match &self.text {
            None => !doc.is_empty(),
            Some(_) => &self.doc != doc,
        }
    }
}

fn parse_object(path: &Path, text: &str) -> Result<Map<String, Value>, ClaudeError> {
    let file = SourceFile::new(path, text);
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ClaudeError::Invalid(Box::new(file.error(
            Some(0..text.len().min(1)),
            format!("is not a JSON object but {}", kind(&other)),
            Some("paii only edits a settings file whose top level is an object; fix or move it".into()),
        )))),
        Err(e) => {
            let offset = crate::diagnostic::json::offset_of(text, e.line(), e.column());
            Err(ClaudeError::Invalid(Box::new(file.error(
                Some(offset..offset + 1),
                format!("is not valid JSON: {e}"),
                Some("paii never overwrites a file it cannot parse; fix it and run the command again".into()),
            ))))
        }
    }
}

pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Writes `doc` to `file.path` (temp + fsync + rename), keeping the
/// original under `backups` the first time paii writes it.
pub fn write(file: &JsonFile, doc: &Map<String, Value>, backups: &Path, backup_name: &str) -> Result<(), ClaudeError> {
    if let Some(original) = &file.text {
        let backup = backups.join(backup_name);
        if !backup.exists() {
            crate::util::fs::atomic_write(&backup, original.as_bytes()).map_err(|e| ClaudeError::io("cannot back up to", &backup, e))?;
        }
    }
    crate::util::fs::atomic_write(&file.path, JsonFile::render(doc).as_bytes()).map_err(|e| ClaudeError::io("cannot write", &file.path, e))
}

/// The backed-up original, if it parses to exactly `doc`: restoring its
/// bytes gives back the user's own formatting.
pub fn original_if_same(backups: &Path, backup_name: &str, doc: &Map<String, Value>) -> Option<String> {
    let text = fs::read_to_string(backups.join(backup_name)).ok()?;
    let parsed: Map<String, Value> = serde_json::from_str(&text).ok()?;
    (&parsed == doc).then_some(text)
}

/// Replaces each `(placeholder, value)` in every string of `v`.
pub fn expand(v: &mut Value, vars: &[(&str, String)]) {
    match v {
        Value::String(s) => {
            for (var, value) in vars {
                if s.contains(var) {
                    *s = s.replace(var, value);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(|x| expand(x, vars)),
        Value::Object(m) => m.values_mut().for_each(|x| expand(x, vars)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bom_is_ignored_and_invalid_utf8_is_located() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("settings.json");
        fs::write(&p, "\u{feff}{\"a\": 1}\n").unwrap();
        assert_eq!(JsonFile::read(&p).unwrap().doc["a"], 1);
        fs::write(&p, b"{\n  \"a\": \"\xff\"\n}\n").unwrap();
        let e = JsonFile::read(&p).unwrap_err().to_string();
        assert!(e.contains("settings.json:2:9") && e.contains("invalid UTF-8"), "{e}");
    }

    #[test]
    fn invalid_json_is_reported_at_its_line_and_column() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("settings.json");
        fs::write(&p, "{\n  \"a\": 1,\n  \"b\": x\n}\n").unwrap();
        let e = JsonFile::read(&p).unwrap_err();
        let ClaudeError::Invalid(e) = e else { panic!("{e}") };
        assert_eq!((e.location.line, e.location.column), (Some(3), Some(8)), "{e}");
        fs::write(&p, "[1]").unwrap();
        assert!(JsonFile::read(&p).unwrap_err().to_string().contains("not a JSON object but an array"));
    }

    #[test]
    fn a_symlinked_file_is_written_through_its_link() {
        let d = tempfile::tempdir().unwrap();
        let real = d.path().join("dotfiles-settings.json");
        fs::write(&real, "{\"a\": 1}").unwrap();
        let link = d.path().join("settings.json");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let f = JsonFile::read(&link).unwrap();
        let mut doc = f.doc.clone();
        doc.insert("b".into(), Value::from(2));
        write(&f, &doc, &d.path().join("backups"), "settings.json").unwrap();
        assert!(fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link stays a link");
        assert!(fs::read_to_string(&real).unwrap().contains("\"b\": 2"));
    }

    #[test]
    fn a_missing_file_is_an_empty_object_that_is_not_written_when_left_empty() {
        let d = tempfile::tempdir().unwrap();
        let f = JsonFile::read(&d.path().join("nope.json")).unwrap();
        assert!(f.doc.is_empty());
        assert!(!f.changed(&Map::new()));
    }
}
