//! `$PAII_HOME/logs/audit.jsonl`: one JSON line per dispatched event.
//!
//! Each line goes out in one `write` on a file opened with O_APPEND, so
//! concurrent dispatchers never interleave within a line. At [`MAX_BYTES`]
//! the log is renamed to `audit.jsonl.1` (one previous file is kept) by
//! whichever dispatcher gets the rotation lock without waiting. A failed
//! write (a full disk) is dropped: the event is never held up by its log.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;

/// The size at which the log rotates: 10 MiB.
pub const MAX_BYTES: u64 = 10 * 1024 * 1024;

pub fn append(logs: &Path, line: &serde_json::Value) {
    let mut bytes = serde_json::to_vec(line).unwrap_or_default();
    bytes.push(b'\n');
    let path = logs.join("audit.jsonl");
    let open = || OpenOptions::new().create(true).append(true).open(&path);
    let file = match open() {
        Ok(f) => f,
        Err(_) => {
            let _ = fs::create_dir_all(logs);
            match open() {
                Ok(f) => f,
                Err(_) => return,
            }
        }
    };
    let mut file = file;
    let _ = file.write_all(&bytes);
    if file.metadata().is_ok_and(|m| m.len() > MAX_BYTES) {
        rotate(logs);
    }
}

fn rotate(logs: &Path) {
    let Ok(lock) = OpenOptions::new().create(true).truncate(false).write(true).open(logs.join(".audit.lock")) else { return };
    if lock.try_lock().is_err() {
        return;
    }
    let path = logs.join("audit.jsonl");
    // Someone may have rotated between our write and the lock.
    if fs::metadata(&path).is_ok_and(|m| m.len() > MAX_BYTES) {
        let _ = fs::rename(&path, logs.join("audit.jsonl.1"));
    }
}
