//! JSON Schemas (draft 2020-12) for paii's file formats, generated from the
//! Rust types so that they cannot drift. `registry-schema/` holds the
//! committed copies; a test fails when they differ from these.

use schemars::{JsonSchema, generate::SchemaSettings};

use crate::lock::Lock;
use crate::manifest::plugin::PluginFile;
use crate::manifest::project::ManifestFile;
use crate::registry::RegistryFile;

/// `(file name, schema JSON)` for every format.
pub fn all() -> Vec<(&'static str, String)> {
    vec![
        ("paii.schema.json", render::<ManifestFile>()),
        ("plugin.schema.json", render::<PluginFile>()),
        ("registry.schema.json", render::<RegistryFile>()),
        ("lock.schema.json", render::<Lock>()),
    ]
}

fn render<T: JsonSchema>() -> String {
    let generator = SchemaSettings::draft2020_12().into_generator();
    let schema = generator.into_root_schema_for::<T>();
    let mut text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    text.push('\n');
    text
}
