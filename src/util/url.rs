//! URL helpers. Credentials never leave this module in a message: every URL
//! shown to a user or written to a file goes through [`redact`].

/// Removes credentials from a URL: all userinfo of http(s) URLs (a token is
/// often sent as the user name), the password of ssh URLs (whose user name,
/// such as `git@`, is an address, not a secret).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((user, host)) if scheme.ends_with("ssh") => {
            let user = user.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}@{host}{tail}")
        }
        Some((_, host)) => format!("{scheme}://{host}{tail}"),
        None => url.to_string(),
    }
}

/// Removes userinfo from every URL inside a message (errors of libraries
/// quote the URL they were given).
pub fn redact_text(text: &str, url: &str) -> String {
    let mut out = text.replace(url, &redact(url));
    let mut from = 0;
    while let Some(i) = out[from..].find("://") {
        let start = from + i + 3;
        let end = out[start..]
            .find(|c: char| c == '/' || c == '?' || c == '#' || c.is_whitespace() || c == ')' || c == '"' || c == '\'')
            .map_or(out.len(), |e| start + e);
        if let Some(at) = out[start..end].rfind('@') {
            out.replace_range(start..start + at + 1, "");
        }
        from = start;
    }
    out
}

/// Whether `rev` is a full 40-hex git commit id.
pub fn is_full_commit(rev: &str) -> bool {
    rev.len() == 40 && rev.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn userinfo_is_removed_and_the_rest_kept() {
        assert_eq!(redact("https://tok:secret@example.org/a/b?x=1"), "https://example.org/a/b?x=1");
        assert_eq!(redact("https://example.org/a@b"), "https://example.org/a@b");
        assert_eq!(redact("/local/path"), "/local/path");
        assert_eq!(redact("ssh://git@h.example/r.git"), "ssh://git@h.example/r.git");
        assert_eq!(redact("ssh://git:pw@h.example/r.git"), "ssh://git@h.example/r.git");
    }

    #[test]
    fn urls_inside_messages_lose_their_credentials() {
        let msg = "error sending request for url (https://u:p@h.example/x): refused; see http://a@b/c";
        assert_eq!(
            redact_text(msg, "https://u:p@h.example/x"),
            "error sending request for url (https://h.example/x): refused; see http://b/c"
        );
    }

    #[test]
    fn only_full_hex_ids_are_commits() {
        assert!(is_full_commit("3f1c2a9e5b7d4c6f8a0b1c2d3e4f5a6b7c8d9e0f"));
        assert!(!is_full_commit("main"));
        assert!(!is_full_commit("3f1c2a9"));
    }
}
