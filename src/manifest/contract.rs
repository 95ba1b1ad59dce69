//! Contracts: what plugins provide and consume, and how consumers are wired
//! to providers among the selected plugins.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// Contracts paii itself knows. Teams may define others; a name close to one
/// of these is treated as a typo.
pub const KNOWN_CONTRACTS: &[&str] =
    &["AgentProvider", "CommandProvider", "HookHandler", "IntegrationProvider", "McpProvider", "MemoryProvider", "SkillProvider"];

/// Checks a contract name's syntax: a PascalCase identifier.
pub fn check_contract_syntax(name: &str) -> Result<(), String> {
    let pascal = name.chars().next().is_some_and(|c| c.is_ascii_uppercase()) && name.chars().all(|c| c.is_ascii_alphanumeric());
    if pascal {
        Ok(())
    } else {
        Err(format!("invalid contract name `{name}`: contracts are PascalCase identifiers such as `MemoryProvider`"))
    }
}

/// Skill, agent, command and service names follow the plugin-name rule:
/// they become file names under `~/.claude`.
pub fn check_provision_name(name: &str) -> Result<(), String> {
    if crate::manifest::version::is_valid_name(name) {
        Ok(())
    } else {
        Err(format!("invalid name `{name}`: skill, agent, command and service names are lower-case letters, digits and `-`"))
    }
}

/// The contract paii knows that `name` nearly spells, when it is not one:
/// a team's own contract (`PagerProvider`) is fine, so this is a warning at
/// its location, never an error.
pub fn near_miss(name: &str) -> Option<&'static str> {
    if KNOWN_CONTRACTS.contains(&name) {
        return None;
    }
    crate::util::suggest::closest(name, KNOWN_CONTRACTS.iter().copied())
}

/// The warning's text for a near miss of a known contract.
pub fn near_miss_warning(name: &str) -> Option<String> {
    near_miss(name)
        .map(|known| format!("contract `{name}` is not one paii knows; did you mean `{known}`? (a contract of your own needs no change)"))
}

/// One provided contract, normalised: `MemoryProvider`, or with a name or
/// service, `SkillProvider:incident`, `IntegrationProvider:jira`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Provide {
    pub contract: String,
    pub name: Option<String>,
}

impl Provide {
    pub fn new(contract: &str, name: Option<&str>) -> Provide {
        Provide { contract: contract.to_string(), name: name.map(str::to_string) }
    }

    /// Whether this provision satisfies `consume`.
    pub fn satisfies(&self, consume: &Consume) -> bool {
        self.contract == consume.contract
            && match &consume.service {
                Some(service) => self.name.as_deref() == Some(service),
                None => true,
            }
    }
}

impl fmt::Display for Provide {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.name {
            Some(name) => write!(f, "{}:{}", self.contract, name),
            None => f.write_str(&self.contract),
        }
    }
}

/// `Contract` or `Contract:name`: syntax only (a near miss of a known
/// contract is a warning where a person wrote it, see [`near_miss`]).
impl FromStr for Provide {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (contract, name) = match s.split_once(':') {
            Some((c, n)) => (c, Some(n)),
            None => (s, None),
        };
        check_contract_syntax(contract)?;
        if let Some(n) = name {
            check_provision_name(n)?;
        }
        Ok(Provide::new(contract, name))
    }
}

impl Serialize for Provide {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Provide {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// One consumed contract.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Consume {
    pub contract: String,
    pub service: Option<String>,
    pub optional: bool,
}

impl fmt::Display for Consume {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.service {
            Some(s) => write!(f, "{}:{}", self.contract, s),
            None => f.write_str(&self.contract),
        }
    }
}
