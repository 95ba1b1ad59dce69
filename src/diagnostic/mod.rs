//! Source files, spans, and the typed TOML parsing that every input file goes
//! through: one place turns serde errors and unknown keys into diagnostics
//! that name the file, line, column and key.

pub mod json;

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use miette::{Diagnostic, NamedSource, SourceSpan};
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::DeTable;

/// The text of one input file, kept so that later stages can point into it.
#[derive(Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    /// How the file is named in messages (relative where that reads better).
    pub name: String,
    pub text: Arc<str>,
}

impl fmt::Debug for SourceFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SourceFile").field("name", &self.name).finish()
    }
}

/// A file could not be read, or is not UTF-8.
#[derive(Debug, thiserror::Error, Diagnostic)]
pub enum ReadError {
    #[error("cannot read {}: {source}", path.display())]
    #[diagnostic(code(paii::io))]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Not UTF-8: located at the first invalid byte.
    #[error(transparent)]
    #[diagnostic(transparent)]
    Encoding(Box<SpannedError>),
}

impl ReadError {
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound)
    }

    /// As an error of the file, with `help` for one that cannot be read.
    pub fn into_spanned(self, help: Option<String>) -> SpannedError {
        match self {
            ReadError::Io { path, source } => {
                SourceFile::new(&path, "").error(None, format!("cannot read {}: {source}", path.display()), help)
            }
            ReadError::Encoding(e) => *e,
        }
    }
}

/// The text of a file paii reads: UTF-8, with a leading byte-order mark
/// dropped (an editor that adds one changes nothing). An invalid byte is an
/// error at its line and column.
pub fn decode(path: &Path, bytes: Vec<u8>) -> Result<String, Box<SpannedError>> {
    let bytes = match bytes.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => bytes,
    };
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bad = e.as_bytes()[at];
        // The prefix is valid, so offsets into the lossy text match the
        // file's up to the bad byte.
        let shown = String::from_utf8_lossy(e.as_bytes()).into_owned();
        Box::new(SourceFile::new(path, shown).error(
            Some(at..at + '\u{fffd}'.len_utf8()),
            format!("invalid UTF-8 (byte 0x{bad:02x})"),
            Some("paii reads UTF-8 files; save this one as UTF-8".into()),
        ))
    })
}

/// Reads a file's text as [`decode`] does.
pub fn read_text(path: &Path) -> Result<String, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io { path: path.to_path_buf(), source })?;
    decode(path, bytes).map_err(ReadError::Encoding)
}

impl SourceFile {
    pub fn read(path: &Path) -> Result<SourceFile, ReadError> {
        Ok(SourceFile::new(path, read_text(path)?))
    }

    pub fn new(path: &Path, text: impl Into<Arc<str>>) -> SourceFile {
        SourceFile { path: path.to_path_buf(), name: display_name(path), text: text.into() }
    }

    /// 1-based line and column of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let before = &self.text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = self.text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    /// Where a span is, for messages and CI annotations.
    pub fn location(&self, span: Option<&Range<usize>>) -> Location {
        let (line, column) = match span {
            Some(span) => {
                let (l, c) = self.line_col(span.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        Location { file: self.name.clone(), line, column }
    }

    /// The span of the key at `path` (`["hooks", "stop"]`), found by parsing
    /// the file again: only error paths need it.
    pub fn key_span(&self, path: &[&str]) -> Option<Range<usize>> {
        let table = DeTable::parse(&self.text).ok()?;
        let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        key_span(table.get_ref(), &path)
    }

    /// An error pointing at `span` in this file.
    pub fn error(&self, span: Option<Range<usize>>, message: impl Into<String>, help: Option<String>) -> SpannedError {
        let (location, label, message, src, span) = self.located(span, message.into());
        SpannedError { location, message, label, src, span, help }
    }

    pub fn warning(&self, span: Option<Range<usize>>, message: impl Into<String>) -> Warning {
        let (location, label, message, src, span) = self.located(span, message.into());
        Warning { location, message, label, src, span }
    }

    /// What an error and a warning at `span` both carry.
    fn located(
        &self,
        span: Option<Range<usize>>,
        message: String,
    ) -> (Location, String, String, NamedSource<Arc<str>>, Option<SourceSpan>) {
        (
            self.location(span.as_ref()),
            short_label(&message),
            message,
            NamedSource::new(self.name.clone(), self.text.clone()),
            span.map(|r| SourceSpan::from(r.start..r.end.max(r.start))),
        )
    }
}

fn short_label(message: &str) -> String {
    message.lines().next().unwrap_or_default().chars().take(80).collect()
}

/// Names a file relative to the working directory when it lies below it.
pub fn display_name(path: &Path) -> String {
    if let Ok(cwd) = std::env::current_dir()
        && let Ok(rel) = path.strip_prefix(&cwd)
    {
        return rel.display().to_string();
    }
    path.display().to_string()
}

/// A file, and where known a 1-based line and column in it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Location {
    pub file: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.file)?;
        if let (Some(l), Some(c)) = (self.line, self.column) {
            write!(f, ":{l}:{c}")?;
        }
        Ok(())
    }
}

/// An error at a place in a file.
#[derive(Debug, thiserror::Error, Diagnostic)]
#[error("{location}: {message}")]
pub struct SpannedError {
    pub location: Location,
    pub message: String,
    label: String,
    #[source_code]
    src: NamedSource<Arc<str>>,
    #[label("{label}")]
    span: Option<SourceSpan>,
    #[help]
    pub help: Option<String>,
}

impl SpannedError {
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// The error with its file named as a file of the plugin `name`, whose
    /// tree is `root` (a store entry, or one being fetched), instead of by
    /// where that tree happens to be.
    pub fn in_plugin(mut self, name: &str, root: &std::path::Path) -> Self {
        if let Some(file) = plugin_file(&self.location.file, name, root) {
            self.src = NamedSource::new(file.clone(), self.src.inner().clone());
            self.location.file = file;
        }
        self
    }
}

impl Warning {
    /// See [`SpannedError::in_plugin`].
    pub fn in_plugin(mut self, name: &str, root: &std::path::Path) -> Self {
        if let Some(file) = plugin_file(&self.location.file, name, root) {
            self.src = NamedSource::new(file.clone(), self.src.inner().clone());
            self.location.file = file;
        }
        self
    }
}

/// `file` (as a message names it) as `plugin <name>: <path in the plugin>`,
/// when it lies in `root`.
fn plugin_file(file: &str, name: &str, root: &std::path::Path) -> Option<String> {
    let path = std::path::Path::new(file);
    let abs = if path.is_absolute() { path.to_path_buf() } else { std::env::current_dir().ok()?.join(path) };
    let rel = abs.strip_prefix(root).ok()?;
    Some(format!("plugin `{name}`: {}", rel.display()))
}

/// Something worth telling the user that does not stop the command.
#[derive(Debug, Clone, thiserror::Error, Diagnostic)]
#[error("{location}: {message}")]
#[diagnostic(severity(Warning))]
pub struct Warning {
    pub location: Location,
    pub message: String,
    label: String,
    #[source_code]
    src: NamedSource<Arc<str>>,
    #[label("{label}")]
    span: Option<SourceSpan>,
}

/// A parsed value plus the warnings found while parsing it.
#[derive(Debug)]
pub struct Parsed<T> {
    pub value: T,
    pub warnings: Vec<Warning>,
}

/// Parses `file` into `T`: a syntax error, a type error or a failed
/// validation inside a `Deserialize` impl becomes an error at its span with the
/// key path; keys that `T` does not know become warnings at their span.
pub fn parse_toml<T: DeserializeOwned>(file: &SourceFile) -> Result<Parsed<T>, SpannedError> {
    let table = parse_table(file)?;
    let (value, unknown) = deserialize_table(file, table, &[])?;
    Ok(Parsed { value, warnings: unknown_key_warnings(file, unknown) })
}

/// The syntax tree of `file`, with spans.
pub fn parse_table(file: &SourceFile) -> Result<Spanned<DeTable<'_>>, SpannedError> {
    DeTable::parse(&file.text).map_err(|e| toml_error(file, e, None))
}

/// Deserializes one table of `file` (the root, or one element of an array of
/// tables at `prefix`). Returns the value and the paths of the keys `T` did not
/// know, for [`unknown_key_warnings`].
pub fn deserialize_table<'de, T: serde::Deserialize<'de>>(
    file: &SourceFile,
    table: Spanned<DeTable<'de>>,
    prefix: &[String],
) -> Result<(T, Vec<Vec<String>>), SpannedError> {
    let mut unknown: Vec<Vec<String>> = Vec::new();
    let de = toml::de::Deserializer::from(table);
    let mut record = |path: serde_ignored::Path<'_>| {
        let mut full = prefix.to_vec();
        full.extend(path_segments(&path));
        unknown.push(full);
    };
    let ignoring = serde_ignored::Deserializer::new(de, &mut record);
    let value: T = serde_path_to_error::deserialize(ignoring).map_err(|e| {
        let mut key = prefix.join(".");
        let inner = e.path().to_string();
        if inner != "." && !inner.is_empty() {
            if !key.is_empty() {
                key.push('.');
            }
            key.push_str(&inner);
        }
        toml_error(file, e.into_inner(), Some(key))
    })?;
    Ok((value, unknown))
}

/// Warnings for unknown keys, each at the key's span.
pub fn unknown_key_warnings(file: &SourceFile, unknown: Vec<Vec<String>>) -> Vec<Warning> {
    if unknown.is_empty() {
        return Vec::new();
    }
    // Parsed again only when there is something to point at: the first parse
    // was consumed by deserialization.
    let table = DeTable::parse(&file.text).ok();
    unknown
        .into_iter()
        .map(|path| {
            let span = table.as_ref().and_then(|t| key_span(t.get_ref(), &path));
            file.warning(span, format!("unknown key `{}`, ignored", path.join(".")))
        })
        .collect()
}

pub fn toml_error(file: &SourceFile, err: toml::de::Error, key: Option<String>) -> SpannedError {
    let mut message = err.message().trim_end().to_string();
    // toml::Spanned deserializes through a private wrapper; not a user's key.
    let key = key.map(|k| k.split('.').filter(|s| !s.starts_with("$__serde_spanned_private")).collect::<Vec<_>>().join("."));
    if let Some(key) = key.filter(|k| !k.is_empty() && k != ".") {
        message = format!("in `{key}`: {message}");
    }
    let help = hint_for(err.message());
    file.error(err.span(), message, help)
}

/// Hints for messages that carry a known list of choices.
fn hint_for(message: &str) -> Option<String> {
    // serde's "unknown variant `x`, expected one of `a`, `b`" already lists
    // the choices; add the nearest one.
    let rest = message.strip_prefix("unknown variant `")?;
    let (found, rest) = rest.split_once('`')?;
    let choices: Vec<&str> = rest.split('`').skip(1).step_by(2).collect();
    crate::util::suggest::did_you_mean(found, choices.iter().copied())
}

fn path_segments(path: &serde_ignored::Path<'_>) -> Vec<String> {
    use serde_ignored::Path;
    match path {
        Path::Root => Vec::new(),
        Path::Seq { parent, index } => {
            let mut v = path_segments(parent);
            v.push(index.to_string());
            v
        }
        Path::Map { parent, key } => {
            let mut v = path_segments(parent);
            // toml::Spanned wraps values in a private struct; not a user's key.
            if !key.starts_with("$__serde_spanned_private") {
                v.push(key.clone());
            }
            v
        }
        Path::Some { parent } | Path::NewtypeStruct { parent } | Path::NewtypeVariant { parent } => path_segments(parent),
    }
}

/// The span of the key at `path` (table keys and array indices).
fn key_span(root: &toml::de::DeTable<'_>, path: &[String]) -> Option<Range<usize>> {
    use toml::de::DeValue;
    let (first, rest) = path.split_first()?;
    let (key, value) = root.get_key_value(first.as_str())?;
    if rest.is_empty() {
        return Some(key.span());
    }
    let mut current = value;
    for (i, seg) in rest.iter().enumerate() {
        let last = i + 1 == rest.len();
        match current.get_ref() {
            DeValue::Table(t) => {
                let (k, v) = t.get_key_value(seg.as_str())?;
                if last {
                    return Some(k.span());
                }
                current = v;
            }
            DeValue::Array(a) => {
                let v = a.get(seg.parse::<usize>().ok()?)?;
                if last {
                    return Some(v.span());
                }
                current = v;
            }
            _ => return Some(current.span()),
        }
    }
    Some(current.span())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    struct Demo {
        #[allow(dead_code)]
        name: String,
        #[serde(default)]
        #[allow(dead_code)]
        inner: Option<Inner>,
    }
    #[derive(Debug, Deserialize)]
    struct Inner {
        #[allow(dead_code)]
        count: u32,
    }

    fn file(text: &str) -> SourceFile {
        SourceFile::new(Path::new("demo.toml"), text)
    }

    #[test]
    fn type_error_names_file_line_column_and_key() {
        let err = parse_toml::<Demo>(&file("name = \"x\"\n[inner]\ncount = \"three\"\n")).unwrap_err();
        assert_eq!(err.location.to_string(), "demo.toml:3:9");
        assert!(err.message.contains("inner.count"), "{}", err.message);
        assert!(err.message.contains("expected u32"), "{}", err.message);
    }

    #[test]
    fn syntax_error_has_a_location() {
        let err = parse_toml::<Demo>(&file("name = \n")).unwrap_err();
        assert!(err.location.to_string().starts_with("demo.toml:1:"), "{}", err.location);
    }

    #[test]
    fn unknown_keys_are_warnings_at_their_span() {
        let parsed = parse_toml::<Demo>(&file("name = \"x\"\n[inner]\ncount = 3\ncuont = 4\n")).unwrap();
        assert_eq!(parsed.warnings.len(), 1);
        assert_eq!(parsed.warnings[0].location.to_string(), "demo.toml:4:1");
        assert!(parsed.warnings[0].message.contains("inner.cuont"));
    }

    #[test]
    fn line_col_counts_characters_not_bytes() {
        let f = file("é = 1\nab = 2\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(2), (1, 2));
        assert_eq!(f.line_col(8), (2, 2));
    }
}
