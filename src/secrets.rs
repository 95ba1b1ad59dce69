//! `$PAII_HOME/.env`: KEY=value lines (dotenv syntax). A plugin is given
//! only the keys its `[secrets]` lists, and only when it runs (see
//! `dispatch::plugin_env`).

use std::collections::BTreeMap;
use std::path::Path;

/// The keys `.env` defines (values are not kept).
pub fn names(path: &Path) -> Vec<String> {
    read(path).into_keys().collect()
}

/// Every key and value of `.env`; a missing or unreadable file is empty and
/// a malformed line is skipped.
pub fn read(path: &Path) -> BTreeMap<String, String> {
    let Ok(iter) = dotenvy::from_path_iter(path) else { return BTreeMap::new() };
    iter.flatten().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_lines_are_read_with_quotes_and_export() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join(".env");
        std::fs::write(&p, "# team secrets\nAPI_KEY=abc\nexport OTHER=\"x y\"\n").unwrap();
        let all = read(&p);
        assert_eq!(all.get("OTHER").map(String::as_str), Some("x y"));
        assert_eq!(all.get("API_KEY").map(String::as_str), Some("abc"));
        assert!(read(&d.path().join("none")).is_empty());
    }
}
