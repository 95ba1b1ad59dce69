//! CycloneDX 1.6, JSON.

use serde_json::{Value, json};

use super::{Bill, ComponentKind, Reference};
use crate::inventory::{Hash, HashAlg};

fn hash(h: &Hash) -> Value {
    let alg = match h.alg {
        HashAlg::Sha256 => "SHA-256",
        HashAlg::Sha512 => "SHA-512",
    };
    json!({"alg": alg, "content": h.hex})
}

pub fn render(bill: &Bill) -> Value {
    let components: Vec<Value> = bill
        .components
        .iter()
        .map(|c| {
            let mut v = json!({
                "type": match c.kind { ComponentKind::Plugin => "application", ComponentKind::Package => "library" },
                "bom-ref": c.bom_ref,
                "name": c.name,
                "version": c.version,
            });
            if let Some(d) = &c.description {
                v["description"] = json!(d);
            }
            if !c.authors.is_empty() {
                v["authors"] = c.authors.iter().map(|a| json!({"name": a})).collect::<Value>();
            }
            if !c.hashes.is_empty() {
                v["hashes"] = c.hashes.iter().map(hash).collect::<Value>();
            }
            if !c.purl.is_empty() {
                v["purl"] = json!(c.purl);
            }
            if !c.references.is_empty() {
                let refs: Vec<Value> = c
                    .references
                    .iter()
                    .map(|r| match r {
                        Reference::Vcs { url, commit: None } => json!({"type": "vcs", "url": url}),
                        Reference::Vcs { url, commit: Some(c) } => json!({"type": "vcs", "url": url, "comment": format!("commit {c}")}),
                        Reference::Distribution { url, hashes } if hashes.is_empty() => json!({"type": "distribution", "url": url}),
                        Reference::Distribution { url, hashes } => {
                            json!({"type": "distribution", "url": url, "hashes": hashes.iter().map(hash).collect::<Vec<_>>()})
                        }
                    })
                    .collect();
                v["externalReferences"] = Value::from(refs);
            }
            if !c.properties.is_empty() {
                v["properties"] = c.properties.iter().map(|(k, v)| json!({"name": k, "value": v})).collect::<Value>();
            }
            v
        })
        .collect();
    let dependencies: Vec<Value> =
        bill.dependencies.iter().map(|(r, deps)| json!({"ref": r, "dependsOn": deps.iter().collect::<Vec<_>>()})).collect();
    json!({
        "$schema": "http://cyclonedx.org/schema/bom-1.6.schema.json",
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", bill.uuid()),
        "version": 1,
        "metadata": {
            "timestamp": bill.created(),
            "tools": {"components": [{"type": "application", "name": "paii", "version": env!("CARGO_PKG_VERSION")}]},
            "properties": [{"name": "paii:lock-sha256", "value": crate::store::integrity::hex(&bill.lock_digest)}],
        },
        "components": components,
        "dependencies": dependencies,
    })
}
