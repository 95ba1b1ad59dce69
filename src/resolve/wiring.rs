//! Wiring, the last step of resolution: each selected consumer's
//! `consumes` bound to the plugin that provides the contract (paii.toml's
//! `[wiring]` choosing among several); a required contract nobody provides
//! is an error.

use std::collections::BTreeMap;

use crate::manifest::contract::{Consume, Provide};

/// What a selected plugin offers to the wiring step.
#[derive(Debug, Clone)]
pub struct Participant<'a> {
    pub name: &'a str,
    pub provides: &'a [Provide],
    pub consumes: &'a BTreeMap<String, Consume>,
}

/// The wiring of one consumer: consumes-key -> provider (None when an
/// optional contract has no provider).
pub type Wiring = BTreeMap<String, Option<String>>;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WiringError {
    #[error("plugin `{consumer}` requires contract {contract} (`consumes.{key}`), but no selected plugin provides it")]
    Missing { consumer: String, key: String, contract: String },
    #[error("plugin `{consumer}` consumes {contract} (`consumes.{key}`), and {} selected plugins provide it: {}", providers.len(), providers.join(", "))]
    Ambiguous { consumer: String, key: String, contract: String, providers: Vec<String> },
    #[error("`[wiring.{consumer}] {key} = \"{provider}\"`: {reason}")]
    BadChoice { consumer: String, key: String, provider: String, reason: String },
}

/// Wires every consumer to its providers. `choices` is paii.toml's
/// `[wiring]` table (consumer -> key -> provider). Errors are collected so that
/// one run reports every problem.
pub fn wire(
    selected: &[Participant<'_>],
    choices: &BTreeMap<String, BTreeMap<String, String>>,
) -> Result<BTreeMap<String, Wiring>, Vec<WiringError>> {
    let mut out = BTreeMap::new();
    let mut errors = Vec::new();
    for consumer in selected {
        let mut wiring = Wiring::new();
        for (key, consume) in consumer.consumes {
            let providers: Vec<&str> = selected
                .iter()
                .filter(|p| p.name != consumer.name)
                .filter(|p| p.provides.iter().any(|pr| pr.satisfies(consume)))
                .map(|p| p.name)
                .collect();
            let choice = choices.get(consumer.name).and_then(|c| c.get(key));
            let chosen = match (choice, providers.as_slice()) {
                (Some(choice), _) => {
                    if providers.contains(&choice.as_str()) {
                        Some(choice.clone())
                    } else {
                        let reason = if selected.iter().any(|p| p.name == choice) {
                            format!("`{choice}` does not provide {consume}")
                        } else {
                            format!("`{choice}` is not among the selected plugins")
                        };
                        errors.push(WiringError::BadChoice {
                            consumer: consumer.name.to_string(),
                            key: key.clone(),
                            provider: choice.clone(),
                            reason,
                        });
                        continue;
                    }
                }
                (None, []) if consume.optional => None,
                (None, []) => {
                    errors.push(WiringError::Missing {
                        consumer: consumer.name.to_string(),
                        key: key.clone(),
                        contract: consume.to_string(),
                    });
                    continue;
                }
                (None, [only]) => Some(only.to_string()),
                (None, many) => {
                    errors.push(WiringError::Ambiguous {
                        consumer: consumer.name.to_string(),
                        key: key.clone(),
                        contract: consume.to_string(),
                        providers: many.iter().map(|s| s.to_string()).collect(),
                    });
                    continue;
                }
            };
            wiring.insert(key.clone(), chosen);
        }
        out.insert(consumer.name.to_string(), wiring);
    }
    // A choice for a consumer or key that does not exist is a typo.
    for (consumer, keys) in choices {
        let found = selected.iter().find(|p| p.name == consumer);
        for (key, provider) in keys {
            let reason = match found {
                None => format!("no selected plugin is named `{consumer}`"),
                Some(p) if !p.consumes.contains_key(key) => {
                    format!("`{consumer}` has no `consumes.{key}`")
                }
                Some(_) => continue,
            };
            errors.push(WiringError::BadChoice { consumer: consumer.clone(), key: key.clone(), provider: provider.clone(), reason });
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifest::contract::*;

    fn consumes(contract: &str, optional: bool) -> BTreeMap<String, Consume> {
        BTreeMap::from([("memory".to_string(), Consume { contract: contract.into(), service: None, optional })])
    }

    #[test]
    fn any_pascal_case_contract_parses_and_a_near_miss_is_only_noted() {
        assert_eq!("SkillProvider:incident".parse::<Provide>().unwrap(), Provide::new("SkillProvider", Some("incident")));
        assert!("memory".parse::<Provide>().is_err(), "not PascalCase");
        assert!("TeamThing".parse::<Provide>().is_ok());
        // A team's own contracts, near a known name or not, are contracts.
        assert_eq!("PagerProvider".parse::<Provide>().unwrap(), Provide::new("PagerProvider", None));
        assert!(near_miss_warning("MemoryProvidr").unwrap().contains("did you mean `MemoryProvider`"));
        assert_eq!(near_miss("PagerProvider"), Some("AgentProvider"));
        assert_eq!(near_miss("MemoryProvider"), None);
        assert_eq!(near_miss("TeamThing"), None);
    }

    #[test]
    fn single_provider_is_wired_and_missing_optional_is_none() {
        let mem = [Provide::new("MemoryProvider", None)];
        let none = [];
        let req = consumes("MemoryProvider", false);
        let opt = consumes("IntegrationProvider", true);
        let empty = BTreeMap::new();
        let sel = [
            Participant { name: "history", provides: &mem, consumes: &empty },
            Participant { name: "incident", provides: &none, consumes: &req },
            Participant { name: "other", provides: &none, consumes: &opt },
        ];
        let w = wire(&sel, &BTreeMap::new()).unwrap();
        assert_eq!(w["incident"]["memory"], Some("history".into()));
        assert_eq!(w["other"]["memory"], None);
    }

    #[test]
    fn missing_required_and_ambiguous_providers_are_errors_unless_wired() {
        let mem = [Provide::new("MemoryProvider", None)];
        let none = [];
        let req = consumes("MemoryProvider", false);
        let empty = BTreeMap::new();
        let alone = [Participant { name: "incident", provides: &none, consumes: &req }];
        assert!(matches!(wire(&alone, &BTreeMap::new()).unwrap_err()[0], WiringError::Missing { .. }));

        let two = [
            Participant { name: "a", provides: &mem, consumes: &empty },
            Participant { name: "b", provides: &mem, consumes: &empty },
            Participant { name: "incident", provides: &none, consumes: &req },
        ];
        assert!(matches!(wire(&two, &BTreeMap::new()).unwrap_err()[0], WiringError::Ambiguous { .. }));
        let choice = BTreeMap::from([("incident".to_string(), BTreeMap::from([("memory".to_string(), "b".to_string())]))]);
        assert_eq!(wire(&two, &choice).unwrap()["incident"]["memory"], Some("b".into()));
        let typo = BTreeMap::from([("incident".to_string(), BTreeMap::from([("memroy".to_string(), "b".to_string())]))]);
        assert!(wire(&two, &typo).is_err());
    }
}
