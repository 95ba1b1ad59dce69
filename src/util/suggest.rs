//! "Did you mean ...?" hints.

/// The candidate closest to `input`, if it is close enough to be a likely typo.
///
/// Case and `_`/`-` separators are ignored, so `PreToolUse` suggests
/// `pre_tool_use`.
pub fn closest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let norm = |s: &str| -> String { s.chars().filter(|c| *c != '_' && *c != '-').flat_map(char::to_lowercase).collect() };
    let wanted = norm(input);
    let len = wanted.chars().count();
    let limit = (len / 3).max(2);
    candidates
        .into_iter()
        .filter_map(|c| {
            let cand = norm(c);
            // The distance is at least the difference in length.
            (cand.chars().count().abs_diff(len) <= limit).then(|| (strsim::levenshtein(&wanted, &cand), c))
        })
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// "did you mean `x`?" for the candidate closest to `input`, if any.
pub fn did_you_mean<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<String> {
    closest(input, candidates).map(|s| format!("did you mean `{s}`?"))
}

#[cfg(test)]
mod tests {
    use super::closest;

    #[test]
    fn close_names_are_suggested_and_far_ones_are_not() {
        let names = ["cargo", "uv", "pip", "none"];
        assert_eq!(closest("carg", names), Some("cargo"));
        assert_eq!(closest("Cargo", names), Some("cargo"));
        assert_eq!(closest("gradle-build-tool", names), None);
    }
}
