//! SPDX 2.3, JSON.

use serde_json::{Value, json};

use super::{Bill, Component, ComponentKind, Reference};
use crate::inventory::HashAlg;

/// An SPDX identifier for a bom-ref: `SPDXRef-` and only letters, digits,
/// `.` and `-`; a short hash keeps two refs that differ only in other
/// characters apart.
fn spdx_id(bom_ref: &str) -> String {
    use sha2::Digest;
    let clean: String = bom_ref.chars().map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' { c } else { '-' }).collect();
    let digest = sha2::Sha256::digest(bom_ref.as_bytes());
    format!("SPDXRef-{}-{}", clean.trim_matches('-'), &crate::store::integrity::hex(&digest)[..8])
}

fn download_location(c: &Component) -> String {
    for r in &c.references {
        match r {
            // SPDX's VCS form: `git+https://host/repo@commit`.
            Reference::Vcs { url, commit } => {
                let url = if url.starts_with("git+") { url.clone() } else { format!("git+{url}") };
                return match commit {
                    Some(c) => format!("{url}@{c}"),
                    None => url,
                };
            }
            Reference::Distribution { url, .. } if url.starts_with("http") => return url.clone(),
            _ => {}
        }
    }
    "NOASSERTION".to_string()
}

pub fn render(bill: &Bill) -> Value {
    let packages: Vec<Value> = bill
        .components
        .iter()
        .map(|c| {
            let mut v = json!({
                "SPDXID": spdx_id(&c.bom_ref),
                "name": c.name,
                "versionInfo": c.version,
                "downloadLocation": download_location(c),
                "filesAnalyzed": false,
                "primaryPackagePurpose": match c.kind { ComponentKind::Plugin => "APPLICATION", ComponentKind::Package => "LIBRARY" },
            });
            let checksums: Vec<Value> = c
                .hashes
                .iter()
                .map(|h| json!({"algorithm": match h.alg { HashAlg::Sha256 => "SHA256", HashAlg::Sha512 => "SHA512" }, "checksumValue": h.hex}))
                .collect();
            if !checksums.is_empty() {
                v["checksums"] = Value::from(checksums);
            }
            if let Some(d) = &c.description {
                v["description"] = json!(d);
            }
            if !c.authors.is_empty() {
                v["originator"] = json!(format!("Person: {}", c.authors.join(", ")));
            }
            let mut refs = Vec::new();
            if !c.purl.is_empty() {
                refs.push(json!({"referenceCategory": "PACKAGE-MANAGER", "referenceType": "purl", "referenceLocator": c.purl}));
            }
            if !refs.is_empty() {
                v["externalRefs"] = Value::from(refs);
            }
            if !c.properties.is_empty() {
                let comment = c.properties.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("\n");
                v["comment"] = json!(comment);
            }
            v
        })
        .collect();
    let mut relationships: Vec<Value> = bill
        .plugins
        .iter()
        .map(|p| json!({"spdxElementId": "SPDXRef-DOCUMENT", "relationshipType": "DESCRIBES", "relatedSpdxElement": spdx_id(p)}))
        .collect();
    for (from, deps) in &bill.dependencies {
        for to in deps {
            relationships
                .push(json!({"spdxElementId": spdx_id(from), "relationshipType": "DEPENDS_ON", "relatedSpdxElement": spdx_id(to)}));
        }
    }
    let lock_hex = crate::store::integrity::hex(&bill.lock_digest);
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": "paii.lock",
        "documentNamespace": format!("https://paii.dev/spdx/paii.lock-{lock_hex}"),
        "creationInfo": {
            "created": bill.created(),
            "creators": [format!("Tool: paii-{}", env!("CARGO_PKG_VERSION"))],
        },
        "packages": packages,
        "relationships": relationships,
    })
}
