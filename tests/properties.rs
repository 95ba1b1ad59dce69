//! Property tests of resolution: for random registries, every lock produced
//! satisfies every requirement, contract and core_version, and the order of
//! registry entries or of `[plugins]` never changes a byte of the lock.

use std::path::Path;

use paii::diagnostic::SourceFile;
use paii::lock::Lock;
use paii::manifest::Manifest;
use paii::registry::{Index, Registry};
use paii::resolve::{PubGrubSolver, Request, Update, resolve};
use proptest::prelude::*;
use semver::{Version, VersionReq};

const CONTRACTS: [&str; 3] = ["ContractA", "ContractB", "ContractC"];
const REQS: [&str; 8] = ["*", "*", "*", ">=1", "^1", "<2", "^0.2", "~2.0"];
const CORE: [Option<&str>; 3] = [None, Some(">=0.1.0"), Some(">=0.2.0")];

#[derive(Debug, Clone)]
struct Entry {
    name: usize,
    version: (u64, u64),
    core: usize,
    yanked: bool,
    /// Build metadata, which must not change what is chosen.
    build: bool,
    provides: Vec<usize>,
    consumes: Vec<(usize, bool)>,
}

impl Entry {
    fn toml(&self) -> String {
        let provides: Vec<String> = self.provides.iter().map(|c| format!("\"{}\"", CONTRACTS[*c])).collect();
        let consumes: Vec<String> = self
            .consumes
            .iter()
            .enumerate()
            .map(|(i, (c, optional))| format!("k{i} = {{ contract = \"{}\", optional = {optional} }}", CONTRACTS[*c]))
            .collect();
        let mut s = format!(
            "\n[[plugins]]\nname = \"p{}\"\nversion = \"{}.{}.0{}\"\nsource = \"https://example.org/p{}.git\"\nrev = \"{:040x}\"\nyanked = {}\nprovides = [{}]\nconsumes = {{ {} }}\n",
            self.name,
            self.version.0,
            self.version.1,
            if self.build { "+build.7" } else { "" },
            self.name,
            self.name * 100 + self.version.0 as usize * 10 + self.version.1 as usize,
            self.yanked,
            provides.join(", "),
            consumes.join(", "),
        );
        if let Some(core) = CORE[self.core] {
            s.push_str(&format!("core_version = \"{core}\"\n"));
        }
        s
    }
}

fn entry() -> impl Strategy<Value = Entry> {
    (
        0usize..6,
        (0u64..3, 0u64..3),
        prop_oneof![3 => Just(0usize), 3 => Just(1usize), 1 => Just(2usize)],
        (prop::bool::weighted(0.1), prop::bool::weighted(0.2)),
        prop::collection::vec(0usize..3, 0..2),
        prop::collection::vec((0usize..3, prop::bool::weighted(0.85)), 0..2),
    )
        .prop_map(|(name, version, core, (yanked, build), provides, consumes)| Entry {
            name,
            version,
            core,
            yanked,
            build,
            provides,
            consumes,
        })
}

/// Entries with unique (name, version).
fn entries() -> impl Strategy<Value = Vec<Entry>> {
    prop::collection::vec(entry(), 1..24).prop_map(|mut es| {
        let mut seen = std::collections::BTreeSet::new();
        es.retain(|e| seen.insert((e.name, e.version)));
        es
    })
}

/// A registry and requests for plugins that it (mostly) lists.
fn case() -> impl Strategy<Value = (Vec<Entry>, Vec<(usize, usize)>)> {
    entries().prop_flat_map(|es| {
        let mut names: Vec<usize> = es.iter().map(|e| e.name).collect();
        names.sort();
        names.dedup();
        let n = names.len();
        (Just(es), prop::sample::subsequence(names, 1..=n.min(3)), prop::collection::vec(0usize..REQS.len(), 4))
            .prop_map(|(es, picked, reqs)| (es, picked.into_iter().zip(reqs).collect()))
    })
}

fn lock_for(entries: &[Entry], requests: &[(usize, usize)]) -> Result<Lock, String> {
    let mut reg = String::from("[registry]\nname = \"r\"\n");
    for e in entries {
        reg.push_str(&e.toml());
    }
    let mut man = String::from("[registries]\nr = { path = \"r.toml\" }\n[plugins]\n");
    for (name, req) in requests {
        man.push_str(&format!("p{name} = \"{}\"\n", REQS[*req]));
    }
    let (registry, _) = Registry::parse("r", SourceFile::new(Path::new("/t/r.toml"), reg)).map_err(|e| format!("{e:?}"))?;
    let manifest = Manifest::parse(SourceFile::new(Path::new("/t/paii.toml"), man)).map_err(|e| format!("{e:?}"))?;
    let index = Index { registries: vec![registry] };
    let direct = Default::default();
    resolve(&Request {
        manifest: &manifest,
        index: &index,
        locked: None,
        update: Update::Nothing,
        solver: &PubGrubSolver,
        direct: &direct,
        cutoff: None,
    })
    .map(|r| r.lock)
    .map_err(|e| e.to_string())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn every_lock_satisfies_requirements_contracts_and_core_version((entries, requests) in case()) {
        let running = paii::manifest::version::paii_version();
        // Brute force: plugins have no dependencies on each other, so a
        // version solution exists exactly when each request has a usable version.
        let usable = |name: usize, req: &str| entries.iter().any(|e| {
            e.name == name
                && !e.yanked
                && CORE[e.core].is_none_or(|c| VersionReq::parse(c).unwrap().matches(&running))
                && VersionReq::parse(req).unwrap().matches(&Version::new(e.version.0, e.version.1, 0))
        });
        let solvable = requests.iter().all(|(n, r)| usable(*n, REQS[*r]));
        let lock = match lock_for(&entries, &requests) {
            Ok(lock) => lock,
            Err(e) => {
                let no_versions = e.starts_with("no set of versions");
                prop_assert!(!(no_versions && solvable), "a version solution exists, but: {}", e);
                prop_assert!(no_versions || e.contains("contract") || e.contains("provide"), "unexpected error: {}", e);
                return Ok(());
            }
        };
        prop_assert!(solvable);
        let find = |name: &str, v: &Version| entries.iter().find(|e| format!("p{}", e.name) == name && Version::new(e.version.0, e.version.1, 0) == paii::manifest::version::precedence(v));
        prop_assert_eq!(lock.plugins.len(), requests.len());
        for (name, req) in &requests {
            let name = format!("p{name}");
            let p = lock.plugin(&name).expect("every requested plugin is locked");
            prop_assert!(VersionReq::parse(REQS[*req]).unwrap().matches(&p.version), "{} {} vs {}", name, p.version, REQS[*req]);
            let e = find(&name, &p.version).expect("locked version exists in the registry");
            prop_assert!(!e.yanked, "yanked {} {} chosen", name, p.version);
            if let Some(core) = CORE[e.core] {
                prop_assert!(VersionReq::parse(core).unwrap().matches(&running));
            }
            for (i, (c, optional)) in e.consumes.iter().enumerate() {
                let key = format!("k{i}");
                let wired = p.wiring.get(&key).expect("every consumed contract has a wiring");
                let providers: Vec<&str> = lock.plugins.iter()
                    .filter(|q| q.name != name && q.provides.iter().any(|pr| pr.contract == CONTRACTS[*c]))
                    .map(|q| q.name.as_str()).collect();
                if wired == "none" {
                    prop_assert!(*optional && providers.is_empty());
                } else {
                    prop_assert_eq!(providers, vec![wired.as_str()]);
                }
            }
        }
    }

    #[test]
    fn entry_and_plugin_order_never_change_the_lock(
        (entries, shuffled, requests, shuffled_requests) in case().prop_flat_map(|(es, rs)| {
            (Just(es.clone()), Just(es).prop_shuffle(), Just(rs.clone()), Just(rs).prop_shuffle())
        }),
    ) {
        let a = lock_for(&entries, &requests).map(|l| l.to_toml());
        let b = lock_for(&shuffled, &shuffled_requests).map(|l| l.to_toml());
        match (a, b) {
            (Ok(a), Ok(b)) => prop_assert_eq!(a, b),
            (Err(_), Err(_)) => {}
            (a, b) => prop_assert!(false, "one order resolved and the other did not: {:?} / {:?}", a, b),
        }
    }
}
