//! Supply chain (issue 26): `paii sbom` describes exactly what paii.lock
//! installs, in formats a security team's tools read; `paii audit` checks
//! the plugins' own dependencies against advisory databases; a minimum
//! release age and approval keep new code from running unseen.

mod common;

use common::{Sandbox, git, repo_root};
use serde_json::Value;

/// A git repository holding the fixture plugins `guard` (Rust, a Cargo.lock
/// with one crate) and `notes` (Python, a uv.lock with one package), and a
/// paii.toml in `team/` that locks both from it.
fn team_with_lockfiles(sb: &Sandbox) -> String {
    let repo = sb.path("repos/plugins");
    for name in ["guard", "notes"] {
        let from = repo_root().join("fixtures/plugins").join(name);
        let to = repo.join(name);
        common::copy_dir(&from, &to);
        for junk in [".venv", "__pycache__"] {
            let _ = std::fs::remove_dir_all(to.join(junk));
        }
    }
    git(&repo, &["init", "-q", "-b", "main"]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "plugins"]);
    let url = format!("file://{}", repo.display());
    sb.write(
        "team/paii.toml",
        &format!(
            "[plugins]\nguard = {{ git = \"{url}\", path = \"guard\", rev = \"main\" }}\nnotes = {{ git = \"{url}\", path = \"notes\", rev = \"main\" }}\n"
        ),
    );
    sb.paii_in("team", &["lock", "-q"]).ok();
    url
}

fn schema_validator(main: &str, extra: &[(&str, &str)]) -> jsonschema::Validator {
    let dir = repo_root().join("fixtures/vendor/sbom");
    let read = |rel: &str| -> Value { serde_json::from_str(&std::fs::read_to_string(dir.join(rel)).unwrap()).unwrap() };
    let mut registry = jsonschema::Registry::new();
    for (uri, rel) in extra {
        registry = registry.add(*uri, read(rel)).unwrap();
    }
    let registry = registry.prepare().unwrap();
    jsonschema::options().with_registry(&registry).should_validate_formats(true).build(&read(main)).unwrap()
}

fn assert_valid(validator: &jsonschema::Validator, doc: &Value) {
    let errors: Vec<String> = validator.iter_errors(doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}

fn component<'a>(doc: &'a Value, purl: &str) -> &'a Value {
    doc["components"].as_array().unwrap().iter().find(|c| c["purl"] == purl).unwrap_or_else(|| panic!("no {purl} in {doc:#}"))
}

#[test]
fn an_sbom_lists_every_plugin_and_the_packages_its_lockfiles_pin_as_valid_cyclonedx() {
    let sb = Sandbox::new();
    let url = team_with_lockfiles(&sb);
    let out = sb.paii_in("team", &["sbom", "-q"]).ok();
    let doc: Value = serde_json::from_str(&out.stdout).unwrap();
    let validator = schema_validator(
        "cyclonedx/bom-1.6.schema.json",
        &[
            ("http://cyclonedx.org/schema/spdx.schema.json", "cyclonedx/spdx.schema.json"),
            ("http://cyclonedx.org/schema/jsf-0.82.schema.json", "cyclonedx/jsf-0.82.schema.json"),
        ],
    );
    assert_valid(&validator, &doc);
    assert_eq!(doc["specVersion"], "1.6");

    // The plugins, each with its source at the locked commit and its tree's integrity.
    let lock = sb.read("team/paii.lock");
    let after = &lock[lock.find(&url).unwrap()..];
    let commit = after[after.find('#').unwrap() + 1..][..40].to_string();
    let guard = doc["components"].as_array().unwrap().iter().find(|c| c["bom-ref"] == "plugin:guard@0.1.0").unwrap();
    assert!(guard["purl"].as_str().unwrap().starts_with("pkg:generic/paii/guard@0.1.0?"), "{guard:#}");
    assert!(guard["purl"].as_str().unwrap().contains(&commit), "{guard:#}");
    assert_eq!(guard["hashes"][0]["alg"], "SHA-256");
    assert_eq!(guard["description"], "Blocks obviously dangerous shell commands (a small Rust hook handler)");

    // Its crate and the crate's dependency, with Cargo.lock's checksum; the
    // Python plugin's package with its sdist hash and every file.
    let itoa = component(&doc, "pkg:cargo/itoa@1.0.19");
    assert_eq!(itoa["hashes"][0]["content"], "3bd1574e617a9a6c1f8f8181bd7e841e1f20e4277607ef28945765188d6284d4");
    let six = component(&doc, "pkg:pypi/six@1.16.0");
    assert_eq!(six["hashes"][0]["content"], "1e61c37477a1626458e36f7b1d82aa5c9b094fa4802892072e49de9c60c4c926");
    assert_eq!(six["externalReferences"].as_array().unwrap().len(), 2);

    // The graph: plugin -> its own crate -> the crate it uses.
    let deps = |r: &str| -> Vec<String> {
        let d = doc["dependencies"].as_array().unwrap().iter().find(|d| d["ref"] == r).unwrap();
        d["dependsOn"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect()
    };
    assert_eq!(deps("plugin:guard@0.1.0"), vec!["pkg:cargo/guard@0.1.0"]);
    assert_eq!(deps("pkg:cargo/guard@0.1.0"), vec!["pkg:cargo/itoa@1.0.19"]);
    assert_eq!(deps("plugin:notes@0.1.0"), vec!["pkg:pypi/notes@0.1.0"]);

    // One lock, one document: byte for byte, also from a warm store.
    let again = sb.paii_in("team", &["sbom", "-q", "--offline"]).ok();
    assert_eq!(out.stdout, again.stdout);
}

#[test]
fn an_sbom_in_spdx_is_valid_spdx_2_3_and_written_to_a_file() {
    let sb = Sandbox::new();
    team_with_lockfiles(&sb);
    let file = sb.path("team/sbom.spdx.json");
    sb.paii_in("team", &["sbom", "-q", "--format", "spdx", "--out", &file.display().to_string()]).ok();
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_valid(&schema_validator("spdx/spdx-2.3.schema.json", &[]), &doc);
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    let packages = doc["packages"].as_array().unwrap();
    let itoa = packages.iter().find(|p| p["name"] == "itoa").unwrap();
    assert_eq!(itoa["externalRefs"][0]["referenceLocator"], "pkg:cargo/itoa@1.0.19");
    assert_eq!(itoa["checksums"][0]["algorithm"], "SHA256");
    let guard = packages.iter().find(|p| p["name"] == "guard" && p["primaryPackagePurpose"] == "APPLICATION").unwrap();
    assert!(guard["downloadLocation"].as_str().unwrap().starts_with("git+file://"), "{guard:#}");
    let rels = doc["relationships"].as_array().unwrap();
    assert!(rels.iter().any(|r| r["relationshipType"] == "DESCRIBES" && r["relatedSpdxElement"] == guard["SPDXID"]));
    assert!(rels.iter().any(|r| r["relationshipType"] == "DEPENDS_ON" && r["relatedSpdxElement"] == itoa["SPDXID"]));
}

#[test]
fn an_sbom_without_a_lock_says_how_to_make_one() {
    let sb = Sandbox::new();
    sb.write("team/paii.toml", "[plugins]\n");
    let out = sb.paii_in("team", &["sbom"]).fails();
    assert!(out.stderr.contains("paii.lock does not exist"), "{}", out.stderr);
    assert!(out.stderr.contains("paii lock"), "{}", out.stderr);
}
