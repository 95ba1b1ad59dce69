//! The expansions a shell does before a command runs, done statically:
//! brace expansion, ANSI-C quoting, `echo -e` and `printf` escapes, and the
//! decoders commands pipe through (`base64 -d`, `xxd -r -p`, `rev`).
//!
//! What cannot be known is marked, not guessed: an unknown part of a word
//! is wrapped in [`UNKNOWN`] (NUL, which no command line the plugin judges
//! holds), so a rule can tell `rm -rf "$DIR"` from `rm -rf build`.

use base64::Engine;

/// Wraps a part of a word the plugin cannot know (`\0$DIR\0`).
pub const UNKNOWN: char = '\0';

/// How many words one word may expand to before the rest is dropped.
const MAX_FIELDS: usize = 64;

/// `display` marked as unknown.
pub fn unknown(display: &str) -> String {
    format!("{UNKNOWN}{display}{UNKNOWN}")
}

/// Whether any part of `word` is unknown.
pub fn is_unknown(word: &str) -> bool {
    word.contains(UNKNOWN)
}

/// `word` as the user wrote it, for messages.
pub fn display(word: &str) -> String {
    word.replace(UNKNOWN, "")
}

/// `word` with each unknown part replaced by `with`.
pub fn instantiate(word: &str, with: &str) -> String {
    let mut out = String::new();
    for (i, part) in word.split(UNKNOWN).enumerate() {
        // Even parts are known text, odd parts the unknown ones.
        out.push_str(if i % 2 == 0 { part } else { with });
    }
    out
}

/// The unknown parts of `word`, as displayed (`$GITHUB_TOKEN`, `$(...)`).
pub fn unknown_parts(word: &str) -> impl Iterator<Item = &str> {
    word.split(UNKNOWN).skip(1).step_by(2)
}

/// Whether the whole of `word` is unknown (nothing of it is written out).
pub fn wholly_unknown(word: &str) -> bool {
    is_unknown(word) && instantiate(word, "").is_empty()
}

/// Brace expansion of a raw (still quoted) word: `/{etc,usr}` is `/etc`
/// and `/usr`, `f{1..3}` is `f1 f2 f3`. Braces in quotes, `${...}` and
/// braces without a top-level `,` or `..` stay as written.
pub fn braces(raw: &str) -> Vec<String> {
    let mut out = Vec::new();
    expand_braces(raw, &mut out);
    out
}

fn expand_braces(raw: &str, out: &mut Vec<String>) {
    if out.len() >= MAX_FIELDS {
        return;
    }
    let Some((open, close, parts)) = first_brace(raw) else {
        out.push(raw.to_string());
        return;
    };
    let (pre, post) = (&raw[..open], &raw[close + 1..]);
    for p in parts {
        expand_braces(&format!("{pre}{p}{post}"), out);
    }
}

/// The first expandable `{...}` in `raw`: its bounds and alternatives.
fn first_brace(raw: &str) -> Option<(usize, usize, Vec<String>)> {
    let bytes = raw.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        match (quote, c) {
            (_, b'\\') => i += 1,
            (None, b'\'' | b'"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, b'{') if i == 0 || bytes[i - 1] != b'$' => {
                if let Some((close, parts)) = brace_body(raw, i) {
                    return Some((i, close, parts));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The alternatives of the brace group opening at `open`, if it is one.
fn brace_body(raw: &str, open: usize) -> Option<(usize, Vec<String>)> {
    let bytes = raw.as_bytes();
    let (mut depth, mut quote, mut start) = (0usize, None::<u8>, open + 1);
    let mut parts = Vec::new();
    let mut i = open;
    while i < bytes.len() {
        let c = bytes[i];
        match (quote, c) {
            (_, b'\\') => i += 1,
            (None, b'\'' | b'"') => quote = Some(c),
            (Some(q), _) if c == q => quote = None,
            (None, b'{') => depth += 1,
            (None, b',') if depth == 1 => {
                parts.push(raw[start..i].to_string());
                start = i + 1;
            }
            (None, b'}') => {
                depth -= 1;
                if depth == 0 {
                    let last = &raw[start..i];
                    if parts.is_empty() {
                        return sequence(last).map(|s| (i, s));
                    }
                    parts.push(last.to_string());
                    return Some((i, parts));
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// `1..3`, `a..c`, `1..10..2`.
fn sequence(body: &str) -> Option<Vec<String>> {
    let mut it = body.split("..");
    let (a, b, step) = (it.next()?, it.next()?, it.next());
    if it.next().is_some() {
        return None;
    }
    let step: i64 = step.map(str::parse).transpose().ok()?.unwrap_or(1).max(1);
    if let (Ok(x), Ok(y)) = (a.parse::<i64>(), b.parse::<i64>()) {
        let range: Vec<i64> =
            if x <= y { (x..=y).step_by(step as usize).collect() } else { (y..=x).rev().step_by(step as usize).collect() };
        return Some(range.into_iter().take(MAX_FIELDS).map(|n| n.to_string()).collect());
    }
    let (x, y) = (single_char(a)?, single_char(b)?);
    let (lo, hi) = (x.min(y), x.max(y));
    Some((lo..=hi).filter(char::is_ascii_alphanumeric).take(MAX_FIELDS).map(String::from).collect())
}

fn single_char(s: &str) -> Option<char> {
    let mut c = s.chars();
    c.next().filter(|_| c.next().is_none())
}

/// The text of `$'...'` (without the quotes): `\x2f` is `/`.
pub fn ansi_c(text: &str) -> String {
    decode_escapes(text, true)
}

/// `echo -e` and `printf`'s escapes.
pub fn echo_escapes(text: &str) -> String {
    decode_escapes(text, false)
}

fn decode_escapes(text: &str, ansi: bool) -> String {
    let mut out: Vec<u8> = Vec::new();
    let b = text.as_bytes();
    let mut i = 0;
    let digits = |from: usize, max: usize, radix: u32| -> (u32, usize) {
        let mut n = 0u32;
        let mut len = 0;
        while len < max && from + len < b.len() && (b[from + len] as char).is_digit(radix) {
            n = n * radix + (b[from + len] as char).to_digit(radix).unwrap_or(0);
            len += 1;
        }
        (n, len)
    };
    while i < b.len() {
        if b[i] != b'\\' || i + 1 == b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let c = b[i + 1];
        i += 2;
        match c {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'e' | b'E' => out.push(27),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'\\' => out.push(b'\\'),
            b'\'' if ansi => out.push(b'\''),
            b'"' if ansi => out.push(b'"'),
            b'x' => {
                let (n, len) = digits(i, 2, 16);
                if len == 0 {
                    out.extend_from_slice(b"\\x");
                }
                out.push(n as u8);
                i += len;
            }
            b'u' | b'U' => {
                let (n, len) = digits(i, if c == b'u' { 4 } else { 8 }, 16);
                let mut buf = [0u8; 4];
                out.extend_from_slice(char::from_u32(n).unwrap_or('?').encode_utf8(&mut buf).as_bytes());
                i += len;
            }
            // `$'\057'` (ANSI-C, up to three digits) and `echo -e '\0057'`.
            b'0'..=b'7' => {
                let (start, max) = if ansi {
                    (i - 1, 3)
                } else if c == b'0' {
                    (i, 3)
                } else {
                    (i - 1, 3)
                };
                let (n, len) = digits(start, max, 8);
                out.push(n as u8);
                i = start + len;
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// What `printf FORMAT ARGS...` prints: escapes decoded, `%s` and `%b`
/// filled in turn (the format repeats while arguments remain).
pub fn printf(format: &str, args: &[String]) -> String {
    let format = echo_escapes(format);
    let mut out = String::new();
    let mut args = args.iter();
    loop {
        let mut used = false;
        let mut chars = format.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '%' {
                out.push(c);
                continue;
            }
            // Flags, width and precision, then the conversion.
            let mut spec = String::new();
            while let Some(&d) = chars.peek() {
                if d.is_ascii_digit() || "-+ #.".contains(d) {
                    spec.push(d);
                    chars.next();
                } else {
                    break;
                }
            }
            match chars.next() {
                Some('%') => out.push('%'),
                Some('b') => {
                    used = true;
                    out.push_str(&echo_escapes(args.next().map(String::as_str).unwrap_or("")));
                }
                Some('c') => {
                    used = true;
                    out.extend(args.next().and_then(|a| a.chars().next()));
                }
                Some(_) => {
                    used = true;
                    out.push_str(args.next().map(String::as_str).unwrap_or(""));
                }
                None => out.push('%'),
            }
        }
        if !used || args.len() == 0 {
            return out;
        }
    }
}

/// `base64 -d` of `text` (whitespace ignored), if it is text.
pub fn base64_decode(text: &str) -> Option<String> {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let engine = base64::engine::general_purpose::GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        base64::engine::GeneralPurposeConfig::new().with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
    );
    let bytes = engine.decode(compact.as_bytes()).ok()?;
    String::from_utf8(bytes).ok()
}

/// `xxd -r -p` of `text`: hex digits, whitespace ignored.
pub fn hex_decode(text: &str) -> Option<String> {
    let digits: Vec<u8> = text.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if !digits.len().is_multiple_of(2) {
        return None;
    }
    let bytes: Option<Vec<u8>> = digits.chunks(2).map(|p| u8::from_str_radix(std::str::from_utf8(p).ok()?, 16).ok()).collect();
    String::from_utf8(bytes?).ok()
}

/// `rev`: every line reversed.
pub fn reverse_lines(text: &str) -> String {
    text.lines().map(|l| l.chars().rev().collect::<String>()).collect::<Vec<_>>().join("\n")
}

/// Whether `pattern` (a shell glob) matches `text`.
pub fn glob_matches(pattern: &str, text: &str) -> bool {
    let opts = glob::MatchOptions { case_sensitive: true, require_literal_separator: true, require_literal_leading_dot: false };
    glob::Pattern::new(pattern).is_ok_and(|p| p.matches_with(text, opts))
}

/// Whether `word` holds glob characters.
pub fn has_glob(word: &str) -> bool {
    word.contains(['*', '?', '['])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn braces_expand_outside_quotes_only() {
        assert_eq!(braces("/{etc,usr}"), vec!["/etc", "/usr"]);
        assert_eq!(braces("a{1..3}"), vec!["a1", "a2", "a3"]);
        assert_eq!(braces("'{a,b}'"), vec!["'{a,b}'"]);
        assert_eq!(braces("${HOME}"), vec!["${HOME}"]);
        assert_eq!(braces("{x}"), vec!["{x}"]);
        assert_eq!(braces("~/{.ssh,.aws}/x"), vec!["~/.ssh/x", "~/.aws/x"]);
    }

    #[test]
    fn escapes_decode_as_bash_does() {
        assert_eq!(ansi_c(r"\x2f"), "/");
        assert_eq!(ansi_c(r"\057etc"), "/etc");
        assert_eq!(echo_escapes(r"\0057"), "/");
        assert_eq!(printf(r"%s -rf %s\n", &["rm".into(), "~".into()]), "rm -rf ~\n");
        assert_eq!(printf(r"\x72\x6d", &[]), "rm");
    }

    #[test]
    fn decoders() {
        assert_eq!(base64_decode("cm0gLXJmIH4=").as_deref(), Some("rm -rf ~"));
        assert_eq!(hex_decode("726d202d7266207e").as_deref(), Some("rm -rf ~"));
        assert_eq!(reverse_lines("~ fr- mr"), "rm -rf ~");
    }

    #[test]
    fn unknown_parts_are_marked() {
        let w = format!("/home/{}/x", unknown("$USER"));
        assert!(is_unknown(&w));
        assert_eq!(display(&w), "/home/$USER/x");
        assert_eq!(instantiate(&w, ""), "/home//x");
        assert_eq!(unknown_parts(&w).collect::<Vec<_>>(), vec!["$USER"]);
        assert!(wholly_unknown(&unknown("$(...)")));
    }
}
