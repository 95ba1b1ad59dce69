//! Binary cache benchmarks (issue 16), against Distribution's registry
//! (`docker-registry`, which scripts/test.sh installs) on 127.0.0.1, each
//! figure against a baseline measured in the same run:
//!
//! 1. a fresh PAII_HOME syncing a team config of 10 cargo plugins from a
//!    warm cache vs building them (goal <= 0.1x);
//! 2. push then pull of a 50 MB build output vs `curl` uploading and
//!    downloading the same blob to the same registry (goal <= 1.5x);
//! 3. a second push of an unchanged lock: bytes of blobs uploaded (goal 0).
//!
//! Needs cargo, curl, docker-registry and crates.io. Run: `cargo bench
//! --bench cache`. Prints medians and ratios; asserts nothing.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "support/mod.rs"]
mod support;
use support::{median, ms};

const PLUGINS: usize = 10;
const RUNS: usize = 3;

fn run(root: &Path, home: &str, args: &[&str]) -> (Duration, String) {
    let start = Instant::now();
    let out = support::paii(root, args).env("PAII_HOME", root.join(home)).output().unwrap();
    let took = start.elapsed();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    (took, String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr))
}

fn registry(dir: &Path) -> (std::process::Child, u16) {
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(
        dir.join("config.yml"),
        format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("data").display()
        ),
    )
    .unwrap();
    let child = Command::new("docker-registry")
        .arg("serve")
        .arg(dir.join("config.yml"))
        .stderr(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("docker-registry (apt install docker-registry)");
    for _ in 0..100 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    (child, port)
}

/// `count` copies of the fixture Rust plugin `guard`, renamed.
fn plugins(root: &Path, count: usize) -> String {
    let guard = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/plugins/guard");
    let mut manifest = String::new();
    for i in 0..count {
        let name = format!("guard{i}");
        let dir = root.join("plugins").join(&name);
        std::fs::create_dir_all(dir.join("src")).unwrap();
        for f in ["plugin.toml", "Cargo.toml", "Cargo.lock", "src/main.rs"] {
            let text = std::fs::read_to_string(guard.join(f)).unwrap().replace("guard", &name);
            std::fs::write(dir.join(f), text).unwrap();
        }
        manifest.push_str(&format!("{name} = {{ path = \"../plugins/{name}\" }}\n"));
    }
    manifest
}

/// Incompressible bytes (xorshift), so that gzip cannot shrink them.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn main() {
    let work = tempfile::tempdir().unwrap();
    let root = work.path();
    let (mut reg, port) = registry(&root.join("registry"));
    let repo = format!("oci://127.0.0.1:{port}/bench/cache");
    std::fs::create_dir_all(root.join("team")).unwrap();
    let public = run(root, "ci", &["key", "generate", "bench"]).1.lines().next().unwrap_or_default().trim().to_string();
    let list = plugins(root, PLUGINS);
    std::fs::write(
        root.join("team/paii.toml"),
        format!("[cache]\nsubstituters = [\"{repo}\"]\ntrusted-keys = [\"{public}\"]\n\n[plugins]\n{list}"),
    )
    .unwrap();

    // CI: build once, push; a second push of the same lock.
    run(root, "ci", &["sync", "-q"]);
    run(root, "ci", &["cache", "push", "-q"]);
    let again = run(root, "ci", &["cache", "push", "-o", "json"]).1;
    let again: serde_json::Value = serde_json::from_str(again.lines().next().unwrap_or("{}")).unwrap_or_default();
    let uploaded: u64 = again["outputs"].as_array().into_iter().flatten().filter_map(|o| o["uploaded"].as_u64()).sum();

    // Fresh homes: from the cache vs building (`--offline` never asks it).
    let (mut cached, mut built) = (Vec::new(), Vec::new());
    for i in 0..RUNS {
        let (t, out) = run(root, &format!("member-c{i}"), &["sync"]);
        assert!(out.matches("(built, from").count() == PLUGINS, "every plugin from the cache:\n{out}");
        cached.push(t);
        built.push(run(root, &format!("member-b{i}"), &["sync", "--offline"]).0);
    }
    let (c, b) = (median(cached), median(built));
    println!(
        "fresh PAII_HOME, {PLUGINS} cargo plugins: from the cache {:.0} ms vs building {:.0} ms = {:.3}x (goal <= 0.1x)",
        ms(c),
        ms(b),
        c.as_secs_f64() / b.as_secs_f64()
    );
    println!("second push of an unchanged lock: {uploaded} bytes of blobs uploaded (goal 0)");

    // 50 MB: paii's push and pull vs curl's upload and download.
    let secret = paii::sign::SecretKey::read(&root.join("ci/keys/bench.secret")).unwrap();
    let trusted = vec![secret.public()];
    let (mut t_paii, mut t_curl) = (Vec::new(), Vec::new());
    for i in 0..RUNS {
        let out = root.join(format!("big{i}"));
        std::fs::create_dir_all(&out).unwrap();
        std::fs::write(out.join("blob"), noise(50 << 20, 7 + i as u64)).unwrap();
        let r = paii::oci::Repository::parse(&format!("oci://127.0.0.1:{port}/bench/big{i}")).unwrap();
        let client = paii::oci::Client::new(&r).unwrap();
        let key = format!("{:032x}", i);
        let start = Instant::now();
        paii::substitute::push(&client, &key, "big", "1.0.0", &out, &secret).unwrap();
        let dest = root.join(format!("pulled{i}"));
        std::fs::create_dir_all(&dest).unwrap();
        paii::substitute::fetch(&client, &key, "big", "1.0.0", &trusted, &dest).unwrap();
        t_paii.push(start.elapsed());

        // curl: the same bytes as a blob of another repository, up and down.
        let (layer, digest) = paii::substitute::pack(&out).unwrap();
        let file = root.join(format!("layer{i}"));
        std::fs::write(&file, &layer).unwrap();
        let start = Instant::now();
        let post = Command::new("curl")
            .args(["-s", "-i", "-X", "POST", &format!("http://127.0.0.1:{port}/v2/bench/curl{i}/blobs/uploads/")])
            .output()
            .unwrap();
        let head = String::from_utf8_lossy(&post.stdout);
        let location = head.lines().find_map(|l| l.strip_prefix("Location: ")).unwrap_or_default().trim().to_string();
        let put = format!("{location}&digest={digest}");
        let ok = Command::new("curl")
            .args(["-s", "-f", "-X", "PUT", "-H", "Content-Type: application/octet-stream", "--data-binary"])
            .arg(format!("@{}", file.display()))
            .arg(&put)
            .status()
            .unwrap();
        assert!(ok.success(), "curl upload");
        let ok = Command::new("curl")
            .args(["-s", "-f", "-o"])
            .arg(root.join(format!("curl{i}.out")))
            .arg(format!("http://127.0.0.1:{port}/v2/bench/curl{i}/blobs/{digest}"))
            .status()
            .unwrap();
        assert!(ok.success(), "curl download");
        t_curl.push(start.elapsed());
    }
    let (a, b) = (median(t_paii), median(t_curl));
    println!(
        "50 MB output: paii push then pull {:.0} ms vs curl upload then download of the blob {:.0} ms = {:.2}x (goal <= 1.5x)",
        ms(a),
        ms(b),
        a.as_secs_f64() / b.as_secs_f64()
    );
    println!("  (paii's includes packing the tree, signing, hashing it three times and unpacking it; curl's only moves bytes)");
    let _ = reg.kill();
    let _ = reg.wait();
}
