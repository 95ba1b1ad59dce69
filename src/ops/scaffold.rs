//! `paii plugin new NAME --lang rust|python|markdown`: a plugin that syncs
//! and handles an event as it is: its manifest, code on paii's SDK (the
//! SDK itself vendored in, as a plugin's store tree is its own directory),
//! a lockfile, a test and a README.
//!
//! The lockfiles are made here, without a network: the Rust one is the
//! SDK's own `Cargo.lock` plus the new package (which depends on nothing
//! the SDK does not), the Python one locks a project with no dependencies.

use std::path::{Path, PathBuf};

use super::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Rust,
    Python,
    Markdown,
}

#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum ScaffoldError {
    #[error("`{name}` is not a plugin name")]
    #[diagnostic(help("a plugin name is lowercase letters, digits and `-`, starting with a letter or digit: e.g. `deploy-guard`"))]
    BadName { name: String },
    #[error("{} already exists and is not empty", path.display())]
    #[diagnostic(help("choose another name, or another directory with --dir"))]
    Exists { path: PathBuf },
    #[error("`{name}` starts with a digit, which a {lang} {what} name cannot")]
    #[diagnostic(help("start it with a letter, e.g. `my-{name}`"))]
    LeadingDigit { name: String, lang: &'static str, what: &'static str },
    #[error("`{name}` is the name of a crate the Rust SDK depends on, which one Cargo.lock cannot hold twice")]
    #[diagnostic(help("choose another name, e.g. `{name}-guard`"))]
    CrateTaken { name: String },
}

#[derive(Debug, serde::Serialize)]
pub struct Scaffolded {
    pub name: String,
    pub lang: Lang,
    pub dir: PathBuf,
    pub files: Vec<String>,
}

const SDK_TOML: &str = include_str!("../../sdk/rust/Cargo.toml");
const SDK_LIB: &str = include_str!("../../sdk/rust/src/lib.rs");
const SDK_LOCK: &str = include_str!("../../sdk/rust/Cargo.lock");
const SDK_PY: &str = include_str!("../../sdk/python/paii_plugin.py");

/// (path in the plugin, template, executable)
fn templates(lang: Lang, name: &str) -> Vec<(String, &'static str, bool)> {
    let package = name.replace('-', "_");
    let t = |p: &str, s: &'static str| (p.to_string(), s, false);
    match lang {
        Lang::Rust => vec![
            t("plugin.toml", include_str!("scaffold/rust/plugin.toml")),
            t("Cargo.toml", include_str!("scaffold/rust/Cargo.toml")),
            t("src/main.rs", include_str!("scaffold/rust/main.rs")),
            t("src/lib.rs", include_str!("scaffold/rust/lib.rs")),
            t("README.md", include_str!("scaffold/rust/README.md")),
            t(".gitignore", include_str!("scaffold/rust/gitignore")),
            t("vendor/paii-plugin/Cargo.toml", SDK_TOML),
            t("vendor/paii-plugin/src/lib.rs", SDK_LIB),
        ],
        Lang::Python => vec![
            t("plugin.toml", include_str!("scaffold/python/plugin.toml")),
            t("pyproject.toml", include_str!("scaffold/python/pyproject.toml")),
            t("uv.lock", include_str!("scaffold/python/uv.lock")),
            (format!("src/{package}/__init__.py"), include_str!("scaffold/python/init.py"), false),
            (format!("src/{package}/paii_plugin.py"), SDK_PY, false),
            (format!("tests/test_{package}.py"), include_str!("scaffold/python/test.py"), false),
            t("README.md", include_str!("scaffold/python/README.md")),
            t(".gitignore", include_str!("scaffold/python/gitignore")),
        ],
        Lang::Markdown => vec![
            t("plugin.toml", include_str!("scaffold/markdown/plugin.toml")),
            t("SKILL.md", include_str!("scaffold/markdown/SKILL.md")),
            (format!("commands/{name}.md"), include_str!("scaffold/markdown/command.md"), false),
            ("hook.sh".to_string(), include_str!("scaffold/markdown/hook.sh"), true),
            ("tests/test.sh".to_string(), include_str!("scaffold/markdown/test.sh"), true),
            t("README.md", include_str!("scaffold/markdown/README.md")),
        ],
    }
}

/// The SDK's Cargo.lock with the new package in its place (Cargo keeps
/// packages sorted by name), so that `cargo build --locked` accepts it.
fn cargo_lock(name: &str) -> Result<String, ScaffoldError> {
    let mut parts: Vec<String> = SDK_LOCK.split("\n[[package]]\n").map(str::to_string).collect();
    let header = parts.remove(0);
    let name_of = |block: &str| block.lines().next().and_then(|l| l.strip_prefix("name = \"")).map(|n| n.trim_end_matches('"').to_string());
    if parts.iter().any(|b| name_of(b).as_deref() == Some(name)) {
        return Err(ScaffoldError::CrateTaken { name: name.to_string() });
    }
    let ours = format!("name = \"{name}\"\nversion = \"0.1.0\"\ndependencies = [\n \"paii-plugin\",\n \"serde_json\",\n]\n");
    let at = parts.iter().position(|b| name_of(b).is_some_and(|n| n.as_str() > name)).unwrap_or(parts.len());
    // Every block but the last ends with the blank line that separates it.
    if at == parts.len() {
        if let Some(last) = parts.last_mut() {
            last.push('\n');
        }
        parts.push(ours.trim_end_matches('\n').to_string() + "\n");
    } else {
        parts.insert(at, ours);
    }
    Ok(std::iter::once(header).chain(parts).collect::<Vec<_>>().join("\n[[package]]\n"))
}

pub fn run(name: &str, lang: Lang, dir: Option<&Path>) -> Result<Scaffolded, Error> {
    if !crate::manifest::version::is_valid_plugin_name(name) {
        return Err(ScaffoldError::BadName { name: name.to_string() }.into());
    }
    // The plugin's name is also its crate's or its Python package's.
    if name.starts_with(|c: char| c.is_ascii_digit()) {
        match lang {
            Lang::Rust => return Err(ScaffoldError::LeadingDigit { name: name.into(), lang: "Rust", what: "crate" }.into()),
            Lang::Python => return Err(ScaffoldError::LeadingDigit { name: name.into(), lang: "Python", what: "module" }.into()),
            Lang::Markdown => {}
        }
    }
    let dest = crate::util::paths::absolute(dir.unwrap_or(Path::new(name)));
    if dest.exists() && std::fs::read_dir(&dest).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(ScaffoldError::Exists { path: dest }.into());
    }
    let vars = [
        ("{{name}}", name.to_string()),
        // The crate's or Python package's name: `-` is not allowed there.
        ("{{module}}", name.replace('-', "_")),
        ("{{paii_version}}", env!("CARGO_PKG_VERSION").to_string()),
    ];
    let mut files: Vec<(String, String, bool)> = templates(lang, name)
        .into_iter()
        .map(|(path, text, exec)| {
            // The SDK is copied as it is; templates get the plugin's names.
            let text = if path.contains("paii_plugin") || path.starts_with("vendor/") {
                text.to_string()
            } else {
                vars.iter().fold(text.to_string(), |t, (k, v)| t.replace(k, v))
            };
            (path, text, exec)
        })
        .collect();
    if lang == Lang::Rust {
        files.push(("Cargo.lock".into(), cargo_lock(name)?, false));
    }
    // Made beside its destination and renamed into place: a plugin is there
    // whole or not at all.
    let parent = dest.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(parent).map_err(Error::io("cannot create", parent))?;
    let tmp =
        tempfile::Builder::new().prefix(".paii-new-").tempdir_in(parent).map_err(Error::io("cannot create a directory in", parent))?;
    for (rel, text, exec) in &files {
        let path = tmp.path().join(rel);
        if let Some(p) = path.parent() {
            std::fs::create_dir_all(p).map_err(Error::io("cannot create", p))?;
        }
        std::fs::write(&path, text).map_err(Error::io("cannot write", &path))?;
        if *exec {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).map_err(Error::io("cannot write", &path))?;
        }
    }
    if dest.exists() {
        std::fs::remove_dir(&dest).map_err(Error::io("cannot replace", &dest))?;
    }
    let made = tmp.keep();
    std::fs::rename(&made, &dest).map_err(Error::io("cannot create", &dest))?;
    let mut names: Vec<String> = files.into_iter().map(|(p, _, _)| p).collect();
    names.sort();
    Ok(Scaffolded { name: name.to_string(), lang, dir: dest, files: names })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cargo_lock_is_the_sdks_with_the_plugin_in_name_order() {
        let lock = cargo_lock("deploy-guard").unwrap();
        let names: Vec<&str> = lock.lines().filter_map(|l| l.strip_prefix("name = \"")).map(|n| n.trim_end_matches('"')).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        assert!(names.contains(&"deploy-guard") && names.contains(&"paii-plugin"));
        assert!(lock.contains(
            "name = \"deploy-guard\"\nversion = \"0.1.0\"\ndependencies = [\n \"paii-plugin\",\n \"serde_json\",\n]\n\n[[package]]"
        ));
        assert!(
            cargo_lock("zzz")
                .unwrap()
                .ends_with("name = \"zzz\"\nversion = \"0.1.0\"\ndependencies = [\n \"paii-plugin\",\n \"serde_json\",\n]\n")
        );
        assert!(matches!(cargo_lock("serde_json"), Err(ScaffoldError::CrateTaken { .. })));
    }

    #[test]
    fn templates_are_valid_plugin_manifests() {
        for lang in [Lang::Rust, Lang::Python, Lang::Markdown] {
            let dir = tempfile::tempdir().unwrap();
            let made = run("my-plugin", lang, Some(&dir.path().join("p"))).unwrap();
            let pm = crate::manifest::PluginManifest::load_dir(&made.dir).unwrap();
            assert_eq!(pm.name, "my-plugin");
            assert!(made.files.iter().any(|f| f.contains("README")), "{lang:?}");
            assert!(run("my-plugin", lang, Some(&dir.path().join("p"))).is_err(), "never over a plugin that is there");
        }
        assert!(run("Bad Name", Lang::Rust, None).is_err());
        let dir = tempfile::tempdir().unwrap();
        assert!(run("2fa-guard", Lang::Python, Some(&dir.path().join("p"))).is_err(), "not a Python module name");
        assert!(run("2fa-guard", Lang::Markdown, Some(&dir.path().join("m"))).is_ok());
    }
}
