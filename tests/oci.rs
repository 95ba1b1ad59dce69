//! Plugins kept in an OCI registry (issue 16): `paii publish` pushes a
//! plugin tree and prints its registry entry; `{ oci = ... }` in paii.toml
//! and `source = "oci://..."` in a registry fetch it like a tarball, pinned
//! in paii.lock by manifest digest plus integrity; with `[policy]
//! require-signatures` an unsigned one is refused.

mod common;

use common::{OciRegistry, Sandbox, write_plugin};

fn publish(sb: &Sandbox, to: &str, extra: &[&str]) -> common::Run {
    let dir = sb.path("plugins/tool").display().to_string();
    let key = sb.path("ci.secret").display().to_string();
    let mut args = vec!["publish", &dir, "--to", to];
    if extra.is_empty() {
        args.extend(["--key", &key]);
    }
    args.extend_from_slice(extra);
    sb.paii_in("team", &args)
}

#[test]
fn a_published_plugin_installs_from_paii_toml_and_from_a_registry_pinned_by_digest() {
    let sb = Sandbox::new();
    let reg = OciRegistry::start(&sb.path("registry"));
    write_plugin(&sb.path("plugins/tool"), "tool", "1.0.0");
    let secret = sb.path("ci.secret").display().to_string();
    let public = sb.paii_in("team", &["key", "generate", "acme-ci-1", "--out", &secret]).ok().stdout.trim().to_string();
    let host = format!("127.0.0.1:{}", reg.port);

    let out = publish(&sb, &format!("oci://{host}/acme/plugins/tool"), &[]).ok();
    assert!(out.stdout.contains("[[plugins]]\nname = \"tool\"\nversion = \"1.0.0\""), "{}", out.stdout);
    let source = out.stdout.lines().find_map(|l| l.strip_prefix("source = ")).unwrap().trim_matches('"').to_string();
    assert!(source.starts_with(&format!("oci://{host}/acme/plugins/tool@sha256:")), "{source}");

    // Requested straight from paii.toml, by tag: locked by digest.
    sb.write("team/paii.toml", &format!("[plugins]\ntool = {{ oci = \"{host}/acme/plugins/tool:1.0.0\" }}\n"));
    sb.paii_in("team", &["sync", "-q"]).ok();
    let lock = sb.read("team/paii.lock");
    let digest = source.split_once('@').unwrap().1;
    assert!(lock.contains(&format!("source = \"oci+{host}/acme/plugins/tool?tag=1.0.0#{digest}\"")), "{lock}");
    assert!(sb.path("claude/skills/tool/SKILL.md").is_file(), "its skill is installed");

    // The tag moves to another tree: the lock keeps the digest it pinned.
    std::fs::write(sb.path("plugins/tool/SKILL.md"), "# tool\n\nChanged.\n").unwrap();
    publish(&sb, &format!("oci://{host}/acme/plugins/tool"), &[]).ok();
    common::remove_tree(&sb.home());
    sb.paii_in("team", &["sync", "--locked", "-q"]).ok();
    assert!(!sb.read("claude/skills/tool/SKILL.md").contains("Changed"), "the locked tree, not the tag's new one");

    // From a registry entry, with signatures required and trusted.
    let entry = publish(&sb, &format!("oci://{host}/acme/plugins/tool:1.0.1"), &[]).ok().stdout;
    sb.write("team/registry.toml", &format!("[registry]\nname = \"acme\"\n\n{entry}"));
    sb.write(
        "team/paii.toml",
        &format!("[registries]\nacme = {{ path = \"registry.toml\" }}\n\n[policy]\nrequire-signatures = true\n\n[cache]\ntrusted-keys = [\"{public}\"]\n\n[plugins]\ntool = \"^1\"\n"),
    );
    std::fs::remove_file(sb.path("team/paii.lock")).unwrap();
    common::remove_tree(&sb.home());
    sb.paii_in("team", &["sync", "-q"]).ok();
    assert!(sb.read("claude/skills/tool/SKILL.md").contains("Changed"));
}

#[test]
fn an_unsigned_plugin_is_refused_when_signatures_are_required() {
    let sb = Sandbox::new();
    let reg = OciRegistry::start(&sb.path("registry"));
    write_plugin(&sb.path("plugins/tool"), "tool", "1.0.0");
    let secret = sb.path("ci.secret").display().to_string();
    let public = sb.paii_in("team", &["key", "generate", "acme-ci-1", "--out", &secret]).ok().stdout.trim().to_string();
    let host = format!("127.0.0.1:{}", reg.port);
    publish(&sb, &format!("oci://{host}/acme/plugins/tool"), &["--unsigned"]).ok();
    sb.write(
        "team/paii.toml",
        &format!("[policy]\nrequire-signatures = true\n\n[cache]\ntrusted-keys = [\"{public}\"]\n\n[plugins]\ntool = {{ oci = \"{host}/acme/plugins/tool:1.0.0\" }}\n"),
    );
    let out = sb.paii_in("team", &["sync"]).fails();
    assert!(out.stderr.contains("is not signed by a trusted key"), "{}", out.stderr);
    assert!(!sb.path("team/paii.lock").exists());
    // Without the policy it installs.
    sb.write("team/paii.toml", &format!("[plugins]\ntool = {{ oci = \"{host}/acme/plugins/tool:1.0.0\" }}\n"));
    sb.paii_in("team", &["sync", "-q"]).ok();
}
