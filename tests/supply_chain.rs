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
    common::init_repo(&repo, "main");
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
    assert_eq!(deps("plugin:guard@0.1.0"), vec!["plugin:guard@0.1.0/pkg:cargo/guard@0.1.0"]);
    assert_eq!(deps("plugin:guard@0.1.0/pkg:cargo/guard@0.1.0"), vec!["pkg:cargo/itoa@1.0.19"]);
    assert_eq!(deps("plugin:notes@0.1.0"), vec!["plugin:notes@0.1.0/pkg:pypi/notes@0.1.0"]);

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

/// Advisory databases in OSV format, each a git repository on branch
/// `osv` (RustSec's layout: `crates/*.json`) or `main` (the PyPA's:
/// `vulns/<package>/*.yaml`): the real records of fixtures/advisories plus
/// records about the fixture plugins' own packages. Returns the
/// `[audit.databases]` table.
fn advisory_databases(sb: &Sandbox) -> String {
    let fixtures = repo_root().join("fixtures/advisories");
    let rustsec = sb.path("repos/rustsec");
    common::copy_dir(&fixtures.join("rustsec"), &rustsec.join("crates"));
    let osv = |id: &str, eco: &str, name: &str, extra: &str, events: &str| {
        format!(
            r#"{{"id": "{id}", "modified": "2026-01-01T00:00:00Z", "published": "2026-01-01T00:00:00Z", "summary": "{id} in {name}",
  "affected": [{{"package": {{"ecosystem": "{eco}", "name": "{name}"}}, "ranges": [{{"type": "SEMVER", "events": [{events}]}}]{extra}}}],
  "references": [{{"type": "ADVISORY", "url": "https://rustsec.org/advisories/{id}.html"}}]}}"#
        )
    };
    let cvss_high = r#", "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}]"#;
    // Affects itoa 1.0.19, with a score.
    let high = osv("RUSTSEC-2099-0001", "crates.io", "itoa", "", r#"{"introduced": "0.0.0-0"}, {"fixed": "1.0.20"}"#).replacen(
        r#""summary""#,
        &format!("{}, \"summary\"", &cvss_high[2..]),
        1,
    );
    std::fs::write(rustsec.join("crates/RUSTSEC-2099-0001.json"), high).unwrap();
    // Withdrawn: never reported.
    let withdrawn = osv("RUSTSEC-2099-0002", "crates.io", "itoa", "", r#"{"introduced": "0.0.0-0"}"#).replacen(
        r#""summary""#,
        r#""withdrawn": "2026-02-01T00:00:00Z", "summary""#,
        1,
    );
    std::fs::write(rustsec.join("crates/RUSTSEC-2099-0002.json"), withdrawn).unwrap();
    // Informational: a warning.
    let unmaintained = osv(
        "RUSTSEC-2099-0003",
        "crates.io",
        "itoa",
        r#", "database_specific": {"informational": "unmaintained"}"#,
        r#"{"introduced": "0.0.0-0"}"#,
    );
    std::fs::write(rustsec.join("crates/RUSTSEC-2099-0003.json"), unmaintained).unwrap();
    // Fixed before the locked version: not reported.
    std::fs::write(
        rustsec.join("crates/RUSTSEC-2099-0004.json"),
        osv("RUSTSEC-2099-0004", "crates.io", "itoa", "", r#"{"introduced": "0.0.0-0"}, {"fixed": "1.0.1"}"#),
    )
    .unwrap();
    common::init_repo(&rustsec, "osv");

    let pypa = sb.path("repos/pypa");
    common::copy_dir(&fixtures.join("pypa"), &pypa.join("vulns"));
    std::fs::create_dir_all(pypa.join("vulns/six")).unwrap();
    // No score, PEP 440 range, YAML with unquoted versions.
    std::fs::write(
        pypa.join("vulns/six/PYSEC-2099-1.yaml"),
        "id: PYSEC-2099-1\nmodified: 2026-01-01T00:00:00Z\nsummary: six can be made to do five things\naliases:\n- CVE-2099-0001\naffected:\n- package:\n    ecosystem: PyPI\n    name: Six\n  ranges:\n  - type: ECOSYSTEM\n    events:\n    - introduced: \"0\"\n    - fixed: 1.17.0\nreferences:\n- type: WEB\n  url: https://example.org/six\n",
    )
    .unwrap();
    common::init_repo(&pypa, "main");
    format!(
        "[audit.databases]\nrustsec = {{ git = \"file://{}\", rev = \"osv\", path = \"crates\" }}\npypa = {{ git = \"file://{}\", rev = \"main\", path = \"vulns\" }}\n",
        rustsec.display(),
        pypa.display()
    )
}

fn append(sb: &Sandbox, rel: &str, text: &str) {
    let now = sb.read(rel);
    sb.write(rel, &format!("{now}\n{text}"));
}

#[test]
fn audit_reports_what_the_plugins_lockfiles_pin_against_osv_databases_and_pins_them() {
    let sb = Sandbox::new();
    team_with_lockfiles(&sb);
    append(&sb, "team/paii.toml", &advisory_databases(&sb));
    let out = sb.paii_in("team", &["audit"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let text = &out.stdout;
    assert!(text.contains("RUSTSEC-2099-0001 high itoa 1.0.19 in plugin guard 0.1.0 (Cargo.lock)"), "{text}");
    assert!(text.contains("fixed in 1.0.20"), "{text}");
    assert!(
        text.contains("PYSEC-2099-1 unscored Six 1.16.0 in plugin notes 0.1.0 (uv.lock)")
            || text.contains("PYSEC-2099-1 unscored six 1.16.0 in plugin notes 0.1.0 (uv.lock)"),
        "{text}"
    );
    assert!(!text.contains("RUSTSEC-2099-0002"), "a withdrawn advisory is not reported: {text}");
    assert!(!text.contains("RUSTSEC-2099-0004"), "a fixed range does not match: {text}");
    assert!(text.contains("warnings (informational"), "{text}");
    assert!(text.contains("RUSTSEC-2099-0003 unmaintained itoa"), "{text}");

    // The databases are pinned in paii.lock at the commits read.
    let lock = sb.read("team/paii.lock");
    let rustsec_head = git(&sb.path("repos/rustsec"), &["rev-parse", "HEAD"]);
    assert!(lock.contains("[[audit-database]]"), "{lock}");
    assert!(lock.contains(&rustsec_head), "{lock}");

    // JSON says the same.
    let json = sb.paii_in("team", &["audit", "-o", "json"]).json();
    let ids: Vec<&str> = json["findings"].as_array().unwrap().iter().map(|f| f["id"].as_str().unwrap()).collect();
    // Unscored first: it counts at every threshold.
    assert_eq!(ids, vec!["PYSEC-2099-1", "RUSTSEC-2099-0001"]);
    assert_eq!(json["packages"], 2);
}

#[test]
fn a_database_that_scores_a_vulnerability_lends_its_severity_to_the_one_that_does_not() {
    let sb = Sandbox::new();
    team_with_lockfiles(&sb);
    let databases = advisory_databases(&sb);
    // GitHub's database, in OSV: the same vulnerability as PYSEC-2099-1
    // (by alias), with a CVSS vector PyPA's record lacks.
    let ghsa = sb.path("repos/ghsa");
    std::fs::create_dir_all(ghsa.join("advisories")).unwrap();
    std::fs::write(
        ghsa.join("advisories/GHSA-six0-0000-0001.json"),
        r#"{"id": "GHSA-six0-0000-0001", "modified": "2026-01-01T00:00:00Z", "aliases": ["CVE-2099-0001"], "summary": "six does five things",
  "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}],
  "affected": [{"package": {"ecosystem": "PyPI", "name": "six"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.17.0"}]}]}],
  "database_specific": {"severity": "CRITICAL"}}"#,
    )
    .unwrap();
    common::init_repo(&ghsa, "main");
    let ghsa_db = format!("ghsa = {{ git = \"file://{}\", rev = \"main\", path = \"advisories\" }}\n", ghsa.display());
    append(&sb, "team/paii.toml", &format!("{databases}{ghsa_db}"));

    let json = sb.paii_in("team", &["audit", "-o", "json"]).json();
    let findings = json["findings"].as_array().unwrap();
    let six: Vec<&Value> = findings.iter().filter(|f| f["package"].as_str().unwrap().eq_ignore_ascii_case("six")).collect();
    assert_eq!(six.len(), 1, "one vulnerability, one report: {findings:#?}");
    assert_eq!(six[0]["id"], "PYSEC-2099-1");
    assert_eq!(six[0]["severity"], "critical", "{:#}", six[0]);
    let out = sb.paii_in("team", &["audit"]);
    assert!(out.stdout.to_lowercase().contains("pysec-2099-1 critical six 1.16.0"), "{}", out.stdout);
}

#[test]
fn audit_honours_ignores_with_reasons_and_the_severity_threshold() {
    let sb = Sandbox::new();
    team_with_lockfiles(&sb);
    let databases = advisory_databases(&sb);
    let ignore = "[audit]\nignore = [{ id = \"CVE-2099-0001\", reason = \"six is only imported by tests\" }]\n";
    append(&sb, "team/paii.toml", &format!("{ignore}\n{databases}"));

    let out = sb.paii_in("team", &["audit"]);
    assert_eq!(out.code, 1, "the high one still fails: {}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("ignored: six is only imported by tests"), "{}", out.stdout);
    // Only the high one is left: a critical threshold passes.
    let out = sb.paii_in("team", &["audit", "--severity", "critical"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = sb.paii_in("team", &["audit", "--severity", "high"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
}

#[test]
fn audit_offline_uses_the_pinned_copy_and_locked_never_moves_a_pin() {
    let sb = Sandbox::new();
    team_with_lockfiles(&sb);
    append(&sb, "team/paii.toml", &advisory_databases(&sb));
    sb.paii_in("team", &["audit", "-q"]);
    let pinned = sb.read("team/paii.lock");

    // A new advisory is published.
    let rustsec = sb.path("repos/rustsec");
    std::fs::write(
        rustsec.join("crates/RUSTSEC-2099-0005.json"),
        r#"{"id": "RUSTSEC-2099-0005", "modified": "2026-03-01T00:00:00Z", "summary": "another",
  "affected": [{"package": {"ecosystem": "crates.io", "name": "itoa"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}]}]}]}"#,
    )
    .unwrap();
    git(&rustsec, &["add", "-A"]);
    git(&rustsec, &["commit", "-q", "-m", "another"]);

    // --locked audits against the pin, and leaves paii.lock alone.
    let out = sb.paii_in("team", &["audit", "--locked", "-o", "json"]);
    assert!(!out.stdout.contains("RUSTSEC-2099-0005"), "{}", out.stdout);
    assert_eq!(sb.read("team/paii.lock"), pinned);

    // Without the network (the repositories gone), --offline still audits,
    // also after a garbage collection.
    sb.paii_in("team", &["gc", "-q"]).ok();
    std::fs::rename(sb.path("repos"), sb.path("repos-away")).unwrap();
    let out = sb.paii_in("team", &["audit", "--offline", "-o", "json"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_eq!(out.json()["findings"].as_array().unwrap().len(), 2);
    std::fs::rename(sb.path("repos-away"), sb.path("repos")).unwrap();

    // A plain audit takes the newest advisories and moves the pin.
    let out = sb.paii_in("team", &["audit", "-o", "json"]);
    assert!(out.stdout.contains("RUSTSEC-2099-0005"), "{}", out.stdout);
    assert_ne!(sb.read("team/paii.lock"), pinned);
    // Re-locking keeps the pins.
    let before = sb.read("team/paii.lock");
    sb.paii_in("team", &["lock", "-q"]).ok();
    assert_eq!(sb.read("team/paii.lock"), before);
}

#[test]
fn audit_writes_sarif_for_code_scanning() {
    let sb = Sandbox::new();
    team_with_lockfiles(&sb);
    append(&sb, "team/paii.toml", &advisory_databases(&sb));
    let out = sb.paii_in("team", &["audit", "--format", "sarif"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    let sarif: Value = serde_json::from_str(&out.stdout).unwrap();
    let sarif_schema = schema_validator("../sarif/sarif-schema-2.1.0.json", &[]);
    assert_valid(&sarif_schema, &sarif);
    assert!(!sarif_schema.is_valid(&serde_json::json!({"version": "2.1.0"})), "the schema is in force: runs are required");
    assert_eq!(sarif["version"], "2.1.0");
    let run = &sarif["runs"][0];
    let results = run["results"].as_array().unwrap();
    let high = results.iter().find(|r| r["ruleId"] == "RUSTSEC-2099-0001").unwrap();
    assert_eq!(high["level"], "error");
    assert_eq!(high["locations"][0]["physicalLocation"]["artifactLocation"]["uri"], "paii.lock");
    let line = high["locations"][0]["physicalLocation"]["region"]["startLine"].as_u64().unwrap() as usize;
    assert_eq!(sb.read("team/paii.lock").lines().nth(line - 1).unwrap(), "name = \"guard\"");
    let rule = run["tool"]["driver"]["rules"].as_array().unwrap().iter().find(|r| r["id"] == "RUSTSEC-2099-0001").unwrap();
    assert_eq!(rule["properties"]["security-severity"], "8.0");
    assert!(results.iter().any(|r| r["ruleId"] == "RUSTSEC-2099-0003" && r["level"] == "warning"));
}

#[test]
fn an_advisory_database_that_cannot_be_reached_is_a_clear_error() {
    let sb = Sandbox::new();
    team_with_lockfiles(&sb);
    append(&sb, "team/paii.toml", "[audit.databases]\nrustsec = { git = \"http://127.0.0.1:9/advisory-db\", rev = \"osv\" }\n");
    let out = sb.paii_in("team", &["audit"]).fails();
    assert!(out.stderr.contains("127.0.0.1:9"), "{}", out.stderr);
    let out = sb.paii_in("team", &["audit", "--offline"]).fails();
    assert!(out.stderr.contains("advisory database `rustsec`"), "{}", out.stderr);
    assert!(out.stderr.contains("without --offline"), "{}", out.stderr);
}

/// `YYYY-MM-DD` of `days` days ago.
fn days_ago(days: i64) -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() as i64 - days * 86_400;
    let out = std::process::Command::new("date").args(["-u", "-d", &format!("@{secs}"), "+%Y-%m-%d"]).output().unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// A git repository with `notes` 1.0.0 and 1.1.0 at two commits, and a
/// registry listing both with the given publish dates.
fn registry_with_dates(sb: &Sandbox, old: &str, new: &str) {
    let repo = sb.path("repos/tools");
    let v1 = common::plugin_repo(&repo, &[("notes", "1.0.0")]);
    common::write_plugin(&repo.join("plugins/notes"), "notes", "1.1.0");
    git(&repo, &["commit", "-qam", "1.1.0"]);
    let v2 = git(&repo, &["rev-parse", "HEAD"]);
    let url = format!("file://{}", repo.display());
    sb.write(
        "team/registry.toml",
        &format!(
            "[registry]\nname = \"tools\"\n\n[[plugins]]\nname = \"notes\"\nversion = \"1.0.0\"\nsource = \"{url}\"\nrev = \"{v1}\"\npath = \"plugins/notes\"\npublished = \"{old}\"\n\n[[plugins]]\nname = \"notes\"\nversion = \"1.1.0\"\nsource = \"{url}\"\nrev = \"{v2}\"\npath = \"plugins/notes\"\npublished = \"{new}\"\n"
        ),
    );
}

#[test]
fn a_minimum_release_age_skips_young_versions_and_the_lock_records_the_date_relied_on() {
    let sb = Sandbox::new();
    registry_with_dates(&sb, "2026-01-01", &days_ago(1));
    let team = "[policy]\nmin-release-age = \"7d\"\n\n[registries]\ntools = { path = \"registry.toml\" }\n\n";
    sb.write("team/paii.toml", &format!("{team}[plugins]\nnotes = \"^1\"\n"));
    sb.paii_in("team", &["lock", "-q"]).ok();
    let lock = sb.read("team/paii.lock");
    assert!(lock.contains("version = \"1.0.0\""), "{lock}");
    assert!(lock.contains("published = \"2026-01-01T00:00:00Z\""), "{lock}");

    // An exact pin takes the young one, and says so.
    sb.write("team/paii.toml", &format!("{team}[plugins]\nnotes = \"=1.1.0\"\n"));
    let out = sb.paii_in("team", &["lock"]).ok();
    assert!(sb.read("team/paii.lock").contains("version = \"1.1.0\""));
    assert!(
        out.stderr.contains("notes 1.1.0 was published ")
            && out.stderr.contains(" ago, more recently than [policy] min-release-age allows"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("pins it exactly"), "{}", out.stderr);

    // Nothing old enough: the error names what was skipped and how to take it.
    let sb2 = Sandbox::new();
    registry_with_dates(&sb2, &days_ago(2), &days_ago(1));
    sb2.write("team/paii.toml", &format!("{team}[plugins]\nnotes = \"^1\"\n"));
    let out = sb2.paii_in("team", &["lock"]).fails();
    assert!(out.stderr.contains("younger than [policy] min-release-age"), "{}", out.stderr);
    assert!(out.stderr.contains("notes 1.0.0 (published 2 days ago)"), "{}", out.stderr);
    assert!(out.stderr.contains("=VERSION"), "{}", out.stderr);
}

#[test]
fn a_minimum_release_age_reads_git_commit_dates_and_takes_a_branchs_newest_old_enough_commit() {
    let sb = Sandbox::new();
    // One commit from 2026-01-01 (the test repositories' date), one from today.
    let repo = sb.path("repos/tools");
    let old = common::plugin_repo(&repo, &[("notes", "1.0.0")]);
    common::write_plugin(&repo.join("plugins/notes"), "notes", "1.1.0");
    let now = std::process::Command::new("git")
        .args(["commit", "-qam", "today"])
        .current_dir(&repo)
        .env("GIT_AUTHOR_NAME", "T")
        .env("GIT_AUTHOR_EMAIL", "t@example.org")
        .env("GIT_COMMITTER_NAME", "T")
        .env("GIT_COMMITTER_EMAIL", "t@example.org")
        .status()
        .unwrap();
    assert!(now.success());
    let url = format!("file://{}", repo.display());

    // Straight from git on a branch: the newest commit old enough.
    sb.write(
        "team/paii.toml",
        &format!(
            "[policy]\nmin-release-age = \"7d\"\n\n[plugins]\nnotes = {{ git = \"{url}\", path = \"plugins/notes\", rev = \"main\" }}\n"
        ),
    );
    let out = sb.paii_in("team", &["lock"]).ok();
    let lock = sb.read("team/paii.lock");
    assert!(lock.contains(&old), "{lock}");
    assert!(lock.contains("version = \"1.0.0\""), "{lock}");
    assert!(lock.contains("published = \"2026-01-01T00:00:00Z\""), "{lock}");
    assert!(out.stderr.contains("younger than [policy] min-release-age; locking"), "{}", out.stderr);

    // A registry entry without a date: its commit's is read.
    let head = git(&repo, &["rev-parse", "HEAD"]);
    sb.write(
        "team/registry.toml",
        &format!(
            "[registry]\nname = \"tools\"\n\n[[plugins]]\nname = \"notes\"\nversion = \"1.0.0\"\nsource = \"{url}\"\nrev = \"{old}\"\npath = \"plugins/notes\"\n\n[[plugins]]\nname = \"notes\"\nversion = \"1.1.0\"\nsource = \"{url}\"\nrev = \"{head}\"\npath = \"plugins/notes\"\n"
        ),
    );
    sb.write(
        "team/paii.toml",
        "[policy]\nmin-release-age = \"7d\"\n\n[registries]\ntools = { path = \"registry.toml\" }\n\n[plugins]\nnotes = \"^1\"\n",
    );
    std::fs::remove_file(sb.path("team/paii.lock")).unwrap();
    sb.paii_in("team", &["lock", "-q"]).ok();
    let lock = sb.read("team/paii.lock");
    assert!(lock.contains("version = \"1.0.0\""), "{lock}");

    // Without the policy, the newest.
    sb.write("team/paii.toml", "[registries]\ntools = { path = \"registry.toml\" }\n\n[plugins]\nnotes = \"^1\"\n");
    sb.paii_in("team", &["lock", "-q", "--update"]).ok();
    let lock = sb.read("team/paii.lock");
    assert!(lock.contains("version = \"1.1.0\""), "{lock}");
    assert!(!lock.contains("published"), "{lock}");
}

#[test]
fn a_minimum_release_age_that_is_not_a_duration_is_an_error_at_its_place() {
    let sb = Sandbox::new();
    sb.write("team/paii.toml", "[policy]\nmin-release-age = \"a week\"\n");
    let out = sb.paii_in("team", &["lock"]).fails();
    assert!(out.stderr.contains("policy.min-release-age"), "{}", out.stderr);
    assert!(out.stderr.contains("paii.toml:2"), "{}", out.stderr);
}

/// A repository with `gate`: a paii plugin whose PreToolUse handler blocks
/// `rm -rf`, with an MCP server and a skill. Returns its URL.
fn gate_repo(sb: &Sandbox, block: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let repo = sb.path("repos/gate");
    let fresh = !repo.join(".git").exists();
    std::fs::create_dir_all(repo.join("bin")).unwrap();
    std::fs::create_dir_all(repo.join("skills/gate")).unwrap();
    std::fs::write(
        repo.join("plugin.toml"),
        "[plugin]\nname = \"gate\"\nversion = \"1.0.0\"\n\n[provides]\nhooks = true\n\n[hooks]\npre_tool_use = { matcher = \"Bash\" }\n\n[run]\ncommand = [\"bin/run\"]\n",
    )
    .unwrap();
    std::fs::write(repo.join("bin/run"), format!("#!/bin/sh\nif grep -q '{block}'; then echo 'blocked by gate' >&2; exit 2; fi\nexit 0\n"))
        .unwrap();
    std::fs::set_permissions(repo.join("bin/run"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        repo.join(".mcp.json"),
        r#"{"mcpServers": {"gate-mcp": {"command": "${CLAUDE_PLUGIN_ROOT}/bin/run", "args": ["serve"]}}}"#,
    )
    .unwrap();
    std::fs::write(repo.join("skills/gate/SKILL.md"), "---\nname: gate\ndescription: Says what gate blocks\n---\n\nGate blocks rm -rf.\n")
        .unwrap();
    if fresh {
        git(&repo, &["init", "-q", "-b", "main"]);
    }
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "gate"]);
    format!("file://{}", repo.display())
}

fn bash(command: &str) -> Value {
    serde_json::json!({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": command}})
}

#[test]
fn with_require_approval_a_new_plugin_runs_nothing_until_approved_and_a_change_needs_approval_again() {
    let sb = Sandbox::new();
    let url = gate_repo(&sb, "rm -rf");
    sb.write("team/paii.toml", &format!("[policy]\nrequire-approval = true\n\n[plugins]\ngate = {{ git = \"{url}\", rev = \"main\" }}\n"));
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("1 plugin awaits approval"), "{}", out.stderr);
    assert!(out.stderr.contains("gate 1.0.0 (new)"), "{}", out.stderr);
    assert!(out.stderr.contains("hook   PreToolUse [Bash]: bin/run"), "{}", out.stderr);
    assert!(out.stderr.contains("mcp    gate-mcp: ${CLAUDE_PLUGIN_ROOT}/bin/run serve"), "{}", out.stderr);
    // Held: its hook does not run, its MCP server is not installed, its skill is.
    assert_eq!(sb.dispatch_in("team", "PreToolUse", &bash("rm -rf ~")).code, 0);
    let claude_json = std::fs::read_to_string(sb.path("claude/.claude.json")).unwrap_or_default();
    assert!(!claude_json.contains("gate-mcp"), "{claude_json}");
    assert!(sb.path("claude/skills/gate/SKILL.md").exists(), "the skill of a held plugin is linked");
    let json = sb.paii_in("team", &["sync", "-o", "json"]).json();
    assert_eq!(json["awaiting_approval"][0]["name"], "gate");
    let status = sb.paii_in("team", &["status"]).ok();
    assert!(status.stdout.contains("gate 1.0.0 (awaits `paii approve`"), "{}", status.stdout);

    // Approved: the digest is in the lock, and the sync that follows runs it.
    let out = sb.paii_in("team", &["approve", "gate"]).ok();
    assert!(out.stderr.contains("approved gate 1.0.0 (1 hook, 1 MCP server)"), "{}", out.stderr);
    assert!(sb.read("team/paii.lock").contains("approved = \"sha256-"));
    let run = sb.dispatch_in("team", "PreToolUse", &bash("rm -rf ~"));
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(std::fs::read_to_string(sb.path("claude/.claude.json")).unwrap().contains("gate-mcp"));

    // Its handler changes upstream: the update installs it held again.
    gate_repo(&sb, "rm -r");
    sb.paii_in("team", &["lock", "-q", "--update"]).ok();
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("gate 1.0.0 (changed since it was approved)"), "{}", out.stderr);
    assert_eq!(sb.dispatch_in("team", "PreToolUse", &bash("rm -rf ~")).code, 0);
    sb.paii_in("team", &["approve", "--all"]).ok();
    assert_eq!(sb.dispatch_in("team", "PreToolUse", &bash("rm -r ~")).code, 2);
}

#[test]
fn without_require_approval_plugins_run_as_synced_and_approve_says_so() {
    let sb = Sandbox::new();
    let url = gate_repo(&sb, "rm -rf");
    sb.write("team/paii.toml", &format!("[plugins]\ngate = {{ git = \"{url}\", rev = \"main\" }}\n"));
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(!out.stderr.contains("awaits approval"), "{}", out.stderr);
    assert_eq!(sb.dispatch_in("team", "PreToolUse", &bash("rm -rf ~")).code, 2);
    let out = sb.paii_in("team", &["approve", "gate", "--no-sync"]).ok();
    assert!(out.stderr.contains("does not set `[policy] require-approval = true`"), "{}", out.stderr);
    let out = sb.paii_in("team", &["approve", "gat"]).fails();
    assert!(out.stderr.contains("`gat` is not in paii.lock"), "{}", out.stderr);
}

#[test]
fn a_path_plugin_is_the_users_own_and_is_never_held() {
    let sb = Sandbox::new();
    gate_repo(&sb, "rm -rf");
    sb.write("team/paii.toml", "[policy]\nrequire-approval = true\n\n[plugins]\ngate = { path = \"../repos/gate\" }\n");
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(!out.stderr.contains("awaits approval"), "{}", out.stderr);
    assert_eq!(sb.dispatch_in("team", "PreToolUse", &bash("rm -rf ~")).code, 2);
    let out = sb.paii_in("team", &["approve", "--all", "--no-sync"]).ok();
    assert!(out.stderr.contains("gate is a path plugin"), "{}", out.stderr);
}

#[test]
fn a_broken_lockfile_or_advisory_record_is_named_and_nothing_is_lost() {
    let sb = Sandbox::new();
    let repo = sb.path("repos/broken");
    common::write_plugin(&repo.join("p"), "p", "1.0.0");
    std::fs::write(repo.join("p/uv.lock"), "version = 1\n[[package]]\nname = 3\n").unwrap();
    common::init_repo(&repo, "main");
    sb.write("team/paii.toml", &format!("[plugins]\np = {{ git = \"file://{}\", path = \"p\", rev = \"main\" }}\n", repo.display()));
    sb.paii_in("team", &["lock", "-q"]).ok();
    let lock = sb.read("team/paii.lock");
    let out = sb.paii_in("team", &["sbom"]).fails();
    assert!(out.stderr.contains("-p-1.0.0/uv.lock"), "{}", out.stderr);
    assert!(out.stderr.contains("uv lock"), "the hint says how to regenerate it: {}", out.stderr);
    assert_eq!(sb.read("team/paii.lock"), lock, "nothing was written");

    // A record the database holds but paii cannot read is reported; the
    // rest of the database is still read.
    let sb = Sandbox::new();
    team_with_lockfiles(&sb);
    let databases = advisory_databases(&sb);
    let rustsec = sb.path("repos/rustsec");
    std::fs::write(rustsec.join("crates/RUSTSEC-2099-0009.json"), "{\"id\": ").unwrap();
    // And a record of a package the plugins pin whose range is not semver.
    std::fs::write(
        rustsec.join("crates/RUSTSEC-2099-0010.json"),
        r#"{"id": "RUSTSEC-2099-0010", "modified": "2026-01-01T00:00:00Z", "summary": "bad range",
  "affected": [{"package": {"ecosystem": "crates.io", "name": "itoa"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}, {"fixed": "1.x"}]}]}]}"#,
    )
    .unwrap();
    git(&rustsec, &["add", "-A"]);
    git(&rustsec, &["commit", "-q", "-m", "broken"]);
    append(&sb, "team/paii.toml", &databases);
    let out = sb.paii_in("team", &["audit"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.contains("unreadable record: rustsec: RUSTSEC-2099-0009.json"), "{}", out.stdout);
    assert!(
        out.stdout.contains(
            r#"rustsec: RUSTSEC-2099-0010.json: RUSTSEC-2099-0010 affected[0] ranges[0]: `fixed: "1.x"` is not a semver version"#
        ),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("RUSTSEC-2099-0001"), "{}", out.stdout);
}

#[test]
fn a_held_plugin_is_not_built_by_sync_or_build_and_its_language_servers_do_not_start() {
    let sb = Sandbox::new();
    // A build that would fail if it ran: paii cannot have run it.
    let repo = sb.path("repos/tool");
    common::write_plugin(&repo, "tool", "1.0.0");
    let toml = sb.read("repos/tool/plugin.toml");
    sb.write("repos/tool/plugin.toml", &format!("{toml}\n[build]\ntype = \"cargo\"\n"));
    // A Claude Code plugin whose only runtime is a language server.
    sb.write("repos/lsp/.claude-plugin/plugin.json", r#"{"name": "lsp", "version": "1.0.0"}"#);
    sb.write("repos/lsp/.lsp.json", r#"{"rust": {"command": "rust-analyzer", "extensionToLanguage": {".rs": "rust"}}}"#);
    for r in ["tool", "lsp"] {
        let dir = sb.path(&format!("repos/{r}"));
        common::init_repo(&dir, "main");
    }
    let url = |r: &str| format!("file://{}", sb.path(&format!("repos/{r}")).display());
    sb.write(
        "team/paii.toml",
        &format!(
            "[policy]\nrequire-approval = true\n\n[plugins]\ntool = {{ git = \"{}\", rev = \"main\" }}\nlsp = {{ git = \"{}\", rev = \"main\" }}\n",
            url("tool"),
            url("lsp")
        ),
    );
    let out = sb.paii_in("team", &["sync"]).ok();
    assert!(out.stderr.contains("build  cargo build --release --bins --locked"), "{}", out.stderr);
    assert!(out.stderr.contains("lsp    rust: rust-analyzer"), "{}", out.stderr);
    let installed = sb.path("claude/skills/lsp");
    assert!(installed.join(".claude-plugin/plugin.json").exists(), "the held plugin is installed");
    assert!(!installed.join(".lsp.json").exists(), "but not its language server");
    sb.paii_in("team", &["build"]).ok();

    // Approved, the build runs (and fails: it has no Cargo.toml).
    sb.paii_in("team", &["approve", "--all", "--no-sync"]).ok();
    assert!(sb.paii_in("team", &["build", "tool"]).code != 0);
    sb.paii_in("team", &["sync"]).fails();
    sb.paii_in("team", &["plugin", "remove", "tool"]).ok();
    assert!(installed.join(".lsp.json").exists(), "approved: its language server is there");
}

#[test]
fn plugin_install_under_a_minimum_release_age_requests_a_version_old_enough() {
    let sb = Sandbox::new();
    registry_with_dates(&sb, "2026-01-01", &days_ago(1));
    sb.write("team/paii.toml", "[policy]\nmin-release-age = \"7d\"\n\n[registries]\ntools = { path = \"registry.toml\" }\n\n[plugins]\n");
    sb.paii_in("team", &["plugin", "install", "notes", "-q"]).ok();
    assert!(sb.read("team/paii.toml").contains("notes = \"^1.0.0\""), "{}", sb.read("team/paii.toml"));
    assert!(sb.read("team/paii.lock").contains("version = \"1.0.0\""));
}
