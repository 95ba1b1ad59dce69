//! JSON inputs (Claude Code's plugin.json and marketplace.json, settings
//! files): parsed with the line and column of a syntax error, and JSON
//! Schema violations located at the value they are about.

use std::ops::Range;

use serde_json::Value;

use super::{SourceFile, SpannedError};

/// Parses `file` as JSON; a syntax error points at its line and column.
pub fn parse(file: &SourceFile) -> Result<Value, SpannedError> {
    serde_json::from_str(&file.text).map_err(|e| {
        let at = offset_of(&file.text, e.line(), e.column());
        file.error(Some(at..at + 1), format!("is not valid JSON: {e}"), None)
    })
}

/// The byte offset of a 1-based line and column (serde_json's).
pub fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start: usize = text.split_inclusive('\n').take(line.saturating_sub(1)).map(str::len).sum();
    (start + column.saturating_sub(1)).min(text.len().saturating_sub(1))
}

/// Every violation of `schema` by `doc` (parsed from `file`), at the value
/// it is about, in document order.
pub fn schema_errors(file: &SourceFile, doc: &Value, schema: &Value) -> Vec<SpannedError> {
    let Ok(validator) = jsonschema::validator_for(schema) else {
        return vec![file.error(None, "the vendored schema does not compile", None)];
    };
    schema_findings(file, doc, &validator).into_iter().map(|f| file.error(f.span, f.message, None)).collect()
}

/// One place where a document breaks its schema.
pub struct Finding {
    /// JSON pointer of the value (`/author`).
    pub pointer: String,
    pub span: Option<Range<usize>>,
    pub message: String,
}

/// Every place where `doc` (read from `file`) breaks the schema of
/// `validator`, in the order of the file.
pub fn schema_findings(file: &SourceFile, doc: &Value, validator: &jsonschema::Validator) -> Vec<Finding> {
    let mut errors: Vec<(usize, String, String)> = validator
        .iter_errors(doc)
        .map(|e| {
            let pointer = e.instance_path().to_string();
            let at = pointer_span(&file.text, &pointer).map_or(0, |r| r.start);
            let at_path = if pointer.is_empty() { String::new() } else { format!("`{pointer}`: ") };
            (at, pointer, format!("{at_path}{e}"))
        })
        .collect();
    errors.sort();
    errors.dedup_by(|a, b| a.2 == b.2);
    errors
        .into_iter()
        .map(|(at, pointer, message)| Finding { span: pointer_span(&file.text, &pointer).or(Some(at..at)), pointer, message })
        .collect()
}

/// Where the value at `pointer` (RFC 6901, `/plugins/0/source`) is in the
/// JSON `text`.
pub fn pointer_span(text: &str, pointer: &str) -> Option<Range<usize>> {
    let segments: Vec<String> =
        if pointer.is_empty() { Vec::new() } else { pointer.split('/').skip(1).map(|s| s.replace("~1", "/").replace("~0", "~")).collect() };
    let mut s = Scanner { bytes: text.as_bytes(), at: 0 };
    s.find(&segments)
}

/// A minimal JSON scanner that knows where each value starts and ends.
struct Scanner<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Scanner<'_> {
    fn ws(&mut self) {
        while self.bytes.get(self.at).is_some_and(|b| b.is_ascii_whitespace()) {
            self.at += 1;
        }
    }

    /// Finds the value at `path` below the value that starts here.
    fn find(&mut self, path: &[String]) -> Option<Range<usize>> {
        self.ws();
        let start = self.at;
        let Some((first, rest)) = path.split_first() else {
            self.skip()?;
            return Some(start..self.at);
        };
        match self.bytes.get(self.at)? {
            b'{' => {
                self.at += 1;
                loop {
                    self.ws();
                    if self.bytes.get(self.at)? == &b'}' {
                        return None;
                    }
                    let key = self.string()?;
                    self.ws();
                    if self.bytes.get(self.at)? != &b':' {
                        return None;
                    }
                    self.at += 1;
                    if &key == first {
                        return self.find(rest);
                    }
                    self.ws();
                    self.skip()?;
                    self.ws();
                    if self.bytes.get(self.at)? == &b',' {
                        self.at += 1;
                    }
                }
            }
            b'[' => {
                let index: usize = first.parse().ok()?;
                self.at += 1;
                for _ in 0..index {
                    self.ws();
                    self.skip()?;
                    self.ws();
                    if self.bytes.get(self.at)? != &b',' {
                        return None;
                    }
                    self.at += 1;
                }
                self.find(rest)
            }
            _ => None,
        }
    }

    /// Reads a string, returning its unescaped value.
    fn string(&mut self) -> Option<String> {
        let start = self.at;
        if self.bytes.get(self.at)? != &b'"' {
            return None;
        }
        self.at += 1;
        while let Some(&b) = self.bytes.get(self.at) {
            self.at += 1;
            match b {
                b'\\' => self.at += 1,
                b'"' => return serde_json::from_slice(&self.bytes[start..self.at]).ok(),
                _ => {}
            }
        }
        None
    }

    /// Skips the value that starts here.
    fn skip(&mut self) -> Option<()> {
        match self.bytes.get(self.at)? {
            b'"' => self.string().map(|_| ()),
            open @ (b'{' | b'[') => {
                let close = if *open == b'{' { b'}' } else { b']' };
                self.at += 1;
                loop {
                    self.ws();
                    if self.bytes.get(self.at)? == &close {
                        self.at += 1;
                        return Some(());
                    }
                    self.skip()?;
                    self.ws();
                    match self.bytes.get(self.at)? {
                        b',' | b':' => self.at += 1,
                        b if *b == close => {}
                        _ => return None,
                    }
                }
            }
            _ => {
                while self.bytes.get(self.at).is_some_and(|b| !b.is_ascii_whitespace() && !b",]}".contains(b)) {
                    self.at += 1;
                }
                Some(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_find_their_values() {
        let text = "{\n  \"a\": {\"b\": [1, {\"c\": \"x\\\"y\"}, 3]},\n  \"d/e\": true\n}";
        let at = |p: &str| pointer_span(text, p).map(|r| &text[r]);
        assert_eq!(at(""), Some(text));
        assert_eq!(at("/a/b/0"), Some("1"));
        assert_eq!(at("/a/b/1/c"), Some("\"x\\\"y\""));
        assert_eq!(at("/a/b/2"), Some("3"));
        assert_eq!(at("/d~1e"), Some("true"));
        assert_eq!(at("/a/nope"), None);
        assert_eq!(at("/a/b/9"), None);
    }

    #[test]
    fn schema_errors_point_at_the_value() {
        let file = SourceFile::new(std::path::Path::new("plugin.json"), "{\n  \"name\": \"x\",\n  \"version\": 3\n}\n");
        let doc = parse(&file).unwrap();
        let schema = serde_json::json!({"type": "object", "properties": {"version": {"type": "string"}}});
        let errors = schema_errors(&file, &doc, &schema);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].location.to_string(), "plugin.json:3:14");
        assert!(errors[0].message.contains("/version"), "{}", errors[0].message);
    }
}
