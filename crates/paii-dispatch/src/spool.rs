//! An observer's spool: `<profile>/spool/<plugin>/`.
//!
//! An observer (`async = true`) costs the hot path no process: dispatch
//! appends the event to the plugin's `queue.jsonl` (one write) and goes on.
//! At Stop, SessionEnd, or when the queue passes [`DRAIN_BOUND`], dispatch
//! claims the queue (one rename into a `batch-*.jsonl`) and starts `paii
//! hook drain PLUGIN` detached, which hands the batches to the plugin's
//! `drain` command under a timeout, killing its process group past it.
//!
//! Nothing is lost: the plugin acknowledges records as it consumes them
//! (`{"consumed": N}` lines), and what a failed or killed drain did not
//! acknowledge is written back as the batch. A record that fails
//! [`MAX_ATTEMPTS`] drains in a row is moved to `failed.jsonl` (with why),
//! so that one poisonous event cannot hold the rest back forever. Every
//! record starts on a new line, so a torn one (a crash mid-write) is one
//! unreadable line that readers skip, never the next record's prefix.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::json;

use crate::exec::{self, Job};
use crate::table::{self, DispatchTable};

/// A queue past this many bytes is drained without waiting for Stop.
pub const DRAIN_BOUND: u64 = 1 << 20;
/// Drains a record may fail before it is set aside in `failed.jsonl`.
pub const MAX_ATTEMPTS: u32 = 3;
const QUEUE: &str = "queue.jsonl";
const FAILED: &str = "failed.jsonl";

/// One plugin's spool directory.
#[derive(Debug, Clone)]
pub struct Spool {
    dir: PathBuf,
}

/// What makes a queued line a record (its input is left unparsed).
#[derive(Deserialize)]
struct Record {
    #[serde(rename = "event")]
    _event: String,
    #[serde(rename = "input")]
    _input: serde::de::IgnoredAny,
}

impl Spool {
    pub fn new(profile: &Path, plugin: &str) -> Spool {
        Spool { dir: profile.join("spool").join(plugin) }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Appends `event` with Claude Code's `input` (a JSON object) as one
    /// record; returns the queue's size after it.
    pub fn append(&self, event: &str, input: &[u8], queued_at: u128) -> io::Result<u64> {
        let record = record(event, input, queued_at)?;
        let path = self.dir.join(QUEUE);
        let open = || OpenOptions::new().read(true).create(true).append(true).mode(0o600).open(&path);
        let file = match open() {
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                fs::create_dir_all(&self.dir)?;
                open()?
            }
            other => other?,
        };
        // One writer at a time, so that the check for a torn last line and
        // the write that follows it see the same file.
        file.lock()?;
        let len = file.metadata()?.len();
        let mut last = [b'\n'];
        if len > 0 {
            file.read_exact_at(&mut last, len - 1)?;
        }
        let mut bytes = Vec::with_capacity(record.len() + 2);
        if last[0] != b'\n' {
            bytes.push(b'\n');
        }
        bytes.extend_from_slice(&record);
        (&file).write_all(&bytes)?;
        Ok(len + bytes.len() as u64)
    }

    /// Moves the queue aside as a batch for a drain; `None` when it is
    /// empty or absent.
    pub fn claim(&self) -> io::Result<Option<PathBuf>> {
        let queue = self.dir.join(QUEUE);
        match fs::metadata(&queue) {
            Ok(m) if m.len() == 0 => return Ok(None),
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
            Ok(_) => {}
        }
        let nanos = crate::time::unix_nanos();
        let batch = self.dir.join(format!("batch-{nanos:020}-{}.jsonl", std::process::id()));
        match fs::rename(&queue, &batch) {
            Ok(()) => Ok(Some(batch)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The claimed batches, oldest first.
    pub fn batches(&self) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = fs::read_dir(&self.dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("batch-") && n.ends_with(".jsonl")))
            .collect();
        out.sort();
        out
    }

    /// Records waiting: queued and claimed, torn lines not counted.
    pub fn pending(&self) -> usize {
        let queue = self.dir.join(QUEUE);
        std::iter::once(queue).chain(self.batches()).map(|p| fs::read(p).map(|b| split(&b).0.len()).unwrap_or(0)).sum()
    }

    fn set_aside(&self, record: &[u8], why: &str) -> io::Result<()> {
        let mut line = serde_json::to_vec(&json!({
            "time": crate::time::now_millis(),
            "why": why,
            "record": String::from_utf8_lossy(record),
        }))
        .map_err(io::Error::other)?;
        line.push(b'\n');
        OpenOptions::new().create(true).append(true).mode(0o600).open(self.dir.join(FAILED))?.write_all(&line)
    }
}

/// The record line of one event: `{"event","queued_at","input"}` and a
/// newline, the input copied as it came when it is one line already.
fn record(event: &str, input: &[u8], queued_at: u128) -> io::Result<Vec<u8>> {
    let input = input.trim_ascii();
    if input.first() != Some(&b'{') {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "the hook input is not a JSON object"));
    }
    let one_line;
    let input = if input.iter().any(|b| matches!(b, b'\n' | b'\r')) {
        // Whitespace between tokens only (a JSON string holds no raw
        // newline): compact it, so that the record is one line.
        let value: serde_json::Value = serde_json::from_slice(input).map_err(io::Error::other)?;
        one_line = serde_json::to_vec(&value).map_err(io::Error::other)?;
        &one_line[..]
    } else {
        input
    };
    let event = serde_json::to_string(event).map_err(io::Error::other)?;
    let mut out = Vec::with_capacity(input.len() + event.len() + 48);
    write!(out, "{{\"event\":{event},\"queued_at\":{queued_at},\"input\":")?;
    out.extend_from_slice(input);
    out.extend_from_slice(b"}\n");
    Ok(out)
}

/// The records of a batch (each without its newline) and how many of its
/// non-empty lines were torn or otherwise unreadable.
fn split(bytes: &[u8]) -> (Vec<&[u8]>, usize) {
    let mut records = Vec::new();
    let mut torn = 0;
    for line in bytes.split(|b| *b == b'\n').map(<[u8]>::trim_ascii).filter(|l| !l.is_empty()) {
        if serde_json::from_slice::<Record>(line).is_ok() {
            records.push(line);
        } else {
            torn += 1;
        }
    }
    (records, torn)
}

/// Starts `paii hook drain PLUGIN --profile PROFILE` detached (its own
/// session; output appended to `logs/<plugin>.log`).
pub fn start_drain(home: &Path, profile: &Path, plugin: &str) -> Result<(), String> {
    use std::os::unix::process::CommandExt;
    let exe = std::env::current_exe().map_err(|e| format!("cannot find paii itself: {e}"))?;
    let logs = home.join("logs");
    let _ = fs::create_dir_all(&logs);
    let log = logs.join(format!("{plugin}.log"));
    let out = OpenOptions::new().create(true).append(true).open(&log).map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let err = out.try_clone().map_err(|e| format!("cannot open {}: {e}", log.display()))?;
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["hook", "drain", plugin, "--profile"]).arg(profile).stdin(std::process::Stdio::null()).stdout(out).stderr(err);
    // SAFETY: setsid is async-signal-safe and touches only the child.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd.spawn().map(drop).map_err(|e| format!("cannot start the drain: {e}"))
}

/// What a drain did, for the audit log and `paii hook drain`.
#[derive(Debug, Default, serde::Serialize)]
pub struct Drained {
    pub plugin: String,
    pub batches: usize,
    pub records: usize,
    pub consumed: usize,
    /// Unreadable lines skipped.
    pub torn: usize,
    /// Records moved to `failed.jsonl`.
    pub set_aside: usize,
    /// Records still in the spool.
    pub left: usize,
    pub duration_ms: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Another drain of this plugin was running; it takes what is queued.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub busy: bool,
}

/// `paii hook drain PLUGIN [--profile DIR]`: drains the plugin's spool
/// (the profile's current generation runs it; secrets and logs are
/// `PAII_HOME`'s) and returns the exit code: 0 when nothing is left.
pub fn drain_main(plugin: &str, profile: Option<PathBuf>) -> i32 {
    std::panic::set_hook(Box::new(|_| {}));
    let home = crate::home::paii_home();
    let profile = profile.unwrap_or_else(|| home.clone());
    let drained = std::panic::catch_unwind(|| drain(&home, &profile, plugin)).unwrap_or_else(|_| Drained {
        plugin: plugin.to_string(),
        error: Some("paii panicked; the spool was left as it was".into()),
        ..Drained::default()
    });
    let code = i32::from(drained.error.is_some() || drained.left > 0);
    if let Some(e) = &drained.error {
        let _ = writeln!(io::stderr(), "paii: drain of {plugin}: {e}");
    }
    code
}

/// Drains every batch of `plugin` in `profile` (claiming the queue
/// first), one drain at a time per plugin.
pub fn drain(home: &Path, profile: &Path, plugin: &str) -> Drained {
    let started = Instant::now();
    let spool = Spool::new(profile, plugin);
    let mut d = Drained { plugin: plugin.to_string(), ..Drained::default() };
    let lock = fs::create_dir_all(spool.dir())
        .and_then(|_| OpenOptions::new().create(true).truncate(false).write(true).mode(0o600).open(spool.dir().join(".drain.lock")));
    let lock = match lock {
        Ok(l) => l,
        Err(e) => {
            d.error = Some(format!("cannot lock {}: {e}", spool.dir().display()));
            return d;
        }
    };
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            d.busy = true;
            return d;
        }
        Err(std::fs::TryLockError::Error(e)) => {
            d.error = Some(format!("cannot lock {}: {e}", spool.dir().display()));
            return d;
        }
    }
    if let Err(e) = spool.claim() {
        d.error = Some(format!("cannot claim {}: {e}", spool.dir().join(QUEUE).display()));
    }
    let table_path = profile.join("current").join(table::FILE);
    for batch in spool.batches() {
        d.batches += 1;
        // The shared lock keeps `paii gc` from deleting the generation
        // while its plugin drains.
        let (table, _in_use) = match DispatchTable::read_locked(&table_path) {
            Ok(t) => t,
            Err(e) => {
                d.error = Some(format!("no usable current generation: {e}; the spool is kept"));
                break;
            }
        };
        if let Err(e) = drain_batch(home, &table, &spool, plugin, &batch, &mut d) {
            d.error = Some(e);
            break;
        }
    }
    d.left = spool.pending();
    d.duration_ms = started.elapsed().as_millis() as u64;
    crate::audit::append(
        &home.join("logs"),
        &json!({
            "time": crate::time::now_millis(),
            "event": "drain",
            "profile": profile,
            "handlers": [{
                "plugin": plugin,
                "decision": if d.error.is_some() { "failed" } else { "drained" },
                "duration_ms": d.duration_ms,
                "error": d.error,
            }],
            "drain": &d,
        }),
    );
    drop(lock);
    d
}

/// Drains one batch; an error leaves what was not consumed in it.
fn drain_batch(home: &Path, table: &DispatchTable, spool: &Spool, plugin: &str, batch: &Path, d: &mut Drained) -> Result<(), String> {
    let bytes = fs::read(batch).map_err(|e| format!("cannot read {}: {e}", batch.display()))?;
    let (mut records, torn) = split(&bytes);
    d.torn += torn;
    let attempts_path = batch.with_extension("attempts");
    let attempts: u32 = fs::read_to_string(&attempts_path).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(0);
    if attempts >= MAX_ATTEMPTS && !records.is_empty() {
        let why = format!("{attempts} drains in a row failed on it");
        spool.set_aside(records[0], &why).map_err(|e| format!("cannot write {}: {e}", spool.dir().join(FAILED).display()))?;
        records.remove(0);
        d.set_aside += 1;
    }
    d.records += records.len();
    let Some(entry) = table.plugins.get(plugin) else {
        return Err(format!("`{plugin}` is not in generation {}; its spool is kept for when it returns", table.generation));
    };
    let timeout = drain_timeout(table, plugin);
    let (consumed, failure) = if records.is_empty() {
        (0, None)
    } else {
        let dotenv = if entry.secrets.is_empty() { Default::default() } else { crate::env::read_dotenv(&home.join(".env")) };
        let env = crate::env::plugin_env(table, plugin, entry, "", &crate::env::base_env(), &dotenv)?;
        run_drain(entry, env, &records, timeout, &home.join("logs").join(format!("{plugin}.log")))
    };
    d.consumed += consumed;
    if consumed >= records.len() {
        let _ = fs::remove_file(&attempts_path);
        return fs::remove_file(batch).map_err(|e| format!("cannot remove {}: {e}", batch.display()));
    }
    let mut rest = Vec::new();
    for r in &records[consumed..] {
        rest.extend_from_slice(r);
        rest.push(b'\n');
    }
    write_atomic(batch, &rest).map_err(|e| format!("cannot rewrite {}: {e}", batch.display()))?;
    let attempts = if consumed > 0 { 1 } else { attempts.min(MAX_ATTEMPTS) + 1 };
    let _ = write_atomic(&attempts_path, attempts.to_string().as_bytes());
    Err(failure.unwrap_or_else(|| "the drain consumed only part of the batch".into())
        + &format!("; {} of {} records are kept in the spool", records.len() - consumed, records.len()))
}

/// The longest timeout of the plugin's observer handlers: the drain's.
fn drain_timeout(table: &DispatchTable, plugin: &str) -> Duration {
    let ms = table.events.values().flatten().filter(|h| h.plugin == plugin && h.observer).map(|h| h.timeout_ms).max();
    Duration::from_millis(ms.unwrap_or(10_000))
}

/// Runs `<command> drain` with the records on stdin; returns how many it
/// acknowledged, and why it did not take them all. A plugin whose SDK
/// predates `drain` (it refuses the command line) gets each record as a
/// `hook <event>` call instead.
fn run_drain(
    entry: &crate::table::RunEntry,
    env: Vec<(String, String)>,
    records: &[&[u8]],
    timeout: Duration,
    log: &Path,
) -> (usize, Option<String>) {
    let mut input = Vec::new();
    for r in records {
        input.extend_from_slice(r);
        input.push(b'\n');
    }
    let mut argv = entry.argv.clone();
    argv.push("drain".into());
    let job = Job { argv, env: env.clone(), timeout, inherit_output: false };
    let done = exec::run_all(std::slice::from_ref(&job), &input, None).pop().unwrap_or_default();
    append_log(log, &done.stderr);
    let acked = String::from_utf8_lossy(&done.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok()?.get("consumed")?.as_u64())
        .max()
        .map_or(0, |n| (n as usize).min(records.len()));
    let refused = acked == 0
        && matches!(done.code, Some(2 | 64))
        && !done.stdout.windows(10).any(|w| w == b"\"consumed\"")
        && String::from_utf8_lossy(&done.stderr).contains("drain");
    if refused {
        return one_by_one(entry, env, records, timeout, log);
    }
    (acked, failure(&done, timeout, &[0]))
}

/// Why a drain's process did not end well, or `None` when it exited with
/// one of the codes in `ok`.
fn failure(done: &exec::Finished, timeout: Duration, ok: &[i32]) -> Option<String> {
    if let Some(e) = &done.spawn_error {
        Some(e.clone())
    } else if done.timed_out {
        Some(format!("timed out after {} ms; its process group was killed", timeout.as_millis()))
    } else if let Some(sig) = done.signal {
        Some(format!("killed by signal {sig}"))
    } else if done.code.is_none_or(|c| !ok.contains(&c)) {
        Some(format!("exited {:?}", done.code))
    } else {
        None
    }
}

/// The drain of a plugin without `drain`: one `hook <event>` per record,
/// each consumed when its handler has answered (0 or 2).
fn one_by_one(
    entry: &crate::table::RunEntry,
    env: Vec<(String, String)>,
    records: &[&[u8]],
    timeout: Duration,
    log: &Path,
) -> (usize, Option<String>) {
    #[derive(Deserialize)]
    struct Full {
        event: String,
        input: serde_json::Value,
    }
    for (i, r) in records.iter().enumerate() {
        let Ok(rec) = serde_json::from_slice::<Full>(r) else { continue };
        let mut argv = entry.argv.clone();
        argv.extend(["hook".to_string(), rec.event.clone()]);
        let mut env = env.clone();
        env.push(("PAII_EVENT".into(), rec.event.clone()));
        let job = Job { argv, env, timeout, inherit_output: false };
        let input = serde_json::to_vec(&rec.input).unwrap_or_default();
        let done = exec::run_all(std::slice::from_ref(&job), &input, None).pop().unwrap_or_default();
        append_log(log, &done.stderr);
        if let Some(why) = failure(&done, timeout, &[0, 2]) {
            return (i, Some(format!("`hook {}`: {why}", rec.event)));
        }
    }
    (records.len(), None)
}

fn append_log(log: &Path, bytes: &[u8]) {
    if bytes.is_empty() {
        return;
    }
    if let Ok(mut f) = OpenOptions::new().create(true).append(true).open(log) {
        let _ = f.write_all(bytes);
        if !bytes.ends_with(b"\n") {
            let _ = f.write_all(b"\n");
        }
    }
}

/// Temporary file, fsync, rename: a batch is never half rewritten.
fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let result = (|| {
        let mut f = OpenOptions::new().create(true).truncate(true).write(true).mode(0o600).open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)?;
        if let Some(dir) = path.parent() {
            File::open(dir)?.sync_all()?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_one_line_even_when_its_input_is_pretty_printed() {
        let r = record("stop", b"{\n  \"a\": \"x\\ny\"\n}\n", 5).unwrap();
        assert_eq!(r, b"{\"event\":\"stop\",\"queued_at\":5,\"input\":{\"a\":\"x\\ny\"}}\n");
        assert!(record("stop", b"[1]", 5).is_err());
    }

    #[test]
    fn a_torn_line_is_skipped_and_the_next_record_kept() {
        let d = tempfile::tempdir().unwrap();
        let spool = Spool::new(d.path(), "p");
        spool.append("pre-tool-use", b"{\"n\":1}", 1).unwrap();
        // A crash in the middle of a write: no newline at the end.
        let mut f = OpenOptions::new().append(true).open(spool.dir().join(QUEUE)).unwrap();
        f.write_all(b"{\"event\":\"pre-tool-use\",\"queued_at\":2,\"inp").unwrap();
        spool.append("stop", b"{\"n\":3}", 3).unwrap();
        let bytes = fs::read(spool.dir().join(QUEUE)).unwrap();
        let (records, torn) = split(&bytes);
        assert_eq!(torn, 1);
        assert_eq!(records.len(), 2);
        assert!(records[1].starts_with(b"{\"event\":\"stop\""), "{}", String::from_utf8_lossy(records[1]));
    }

    #[test]
    fn claiming_moves_the_queue_aside_and_an_empty_queue_is_not_claimed() {
        let d = tempfile::tempdir().unwrap();
        let spool = Spool::new(d.path(), "p");
        assert!(spool.claim().unwrap().is_none());
        spool.append("stop", b"{}", 1).unwrap();
        let batch = spool.claim().unwrap().unwrap();
        assert_eq!(spool.batches(), vec![batch]);
        assert!(spool.claim().unwrap().is_none());
        assert_eq!(spool.pending(), 1);
    }
}
