//! The committed JSON Schemas in registry-schema/ are exactly what the Rust
//! types generate, and the fixtures validate against them.
//!
//! After changing a file format, regenerate with:
//! `PAII_UPDATE_SCHEMAS=1 cargo test --test schema`

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn committed_schemas_match_the_rust_types() {
    let dir = root().join("registry-schema");
    let update = std::env::var_os("PAII_UPDATE_SCHEMAS").is_some();
    let mut stale = Vec::new();
    for (name, generated) in paii::schema::all() {
        let path = dir.join(name);
        if update {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &generated).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        if committed != generated {
            stale.push(name);
        }
    }
    assert!(stale.is_empty(), "registry-schema/ is out of date for {stale:?}; run `PAII_UPDATE_SCHEMAS=1 cargo test --test schema`");
}

fn validator(name: &str) -> jsonschema::Validator {
    let schema = paii::schema::all().into_iter().find(|(n, _)| *n == name).unwrap().1;
    let schema: serde_json::Value = serde_json::from_str(&schema).unwrap();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    jsonschema::validator_for(&schema).unwrap()
}

fn toml_as_json(path: &Path) -> serde_json::Value {
    let value: toml::Value = toml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    serde_json::to_value(value).unwrap()
}

fn assert_valid(schema: &str, file: &Path) {
    let v = validator(schema);
    let doc = toml_as_json(file);
    let errors: Vec<String> = v.iter_errors(&doc).map(|e| format!("{} at {}", e, e.instance_path())).collect();
    assert!(errors.is_empty(), "{} against {schema}: {errors:#?}", file.display());
}

#[test]
fn fixtures_validate_against_the_schemas() {
    assert_valid("paii.schema.json", &root().join("fixtures/team/paii.toml"));
    assert_valid("registry.schema.json", &root().join("fixtures/registries/core.toml"));
    assert_valid("registry.schema.json", &root().join("fixtures/registries/work.toml"));
    assert_valid("lock.schema.json", &root().join("paii.lock.example"));
}

#[test]
fn schemas_reject_what_paii_rejects() {
    let bad_name = serde_json::json!({ "plugin": { "name": "Bad_Name", "version": "1.0.0" } });
    assert!(!validator("plugin.schema.json").is_valid(&bad_name));
    let bad_build = serde_json::json!({ "plugin": { "name": "x", "version": "1.0.0" }, "build": { "type": "gradle" } });
    assert!(!validator("plugin.schema.json").is_valid(&bad_build));
    let good = serde_json::json!({
        "plugin": { "name": "incident", "version": "1.0.0", "language": "python" },
        "provides": { "skill": "incident", "integration": false },
        "consumes": { "memory": { "contract": "MemoryProvider", "optional": true } },
        "hooks": { "pre_tool_use": { "matcher": "Bash", "timeout_ms": 2000 }, "stop": true },
        "build": { "type": "pip", "requirements": "requirements.txt" },
        "run": { "command": ["bin/incident"] },
        "secrets": { "required": ["PAGERDUTY_API_KEY"] }
    });
    let v = validator("plugin.schema.json");
    let errors: Vec<String> = v.iter_errors(&good).map(|e| e.to_string()).collect();
    assert!(errors.is_empty(), "{errors:#?}");
}
