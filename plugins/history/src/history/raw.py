"""The raw event log: one JSON line per event in
``<history>/raw/YYYY-MM/YYYY-MM-DD.jsonl`` (UTC).

Many sessions append at once, so each line is written with a single
``write`` on an ``O_APPEND`` descriptor under an exclusive ``flock``, then
fsynced: lines never interleave and a crash loses at most the line being
written. A line stays a sane size: long strings are cut (after redaction,
so a cut never exposes half a secret) with a ``…[truncated N bytes]``
marker, and a line that is still too big keeps only the event's shape.
"""

from __future__ import annotations

import json
import os
import time

MAX_LINE = 256 * 1024
FILE_MODE = 0o600


def iso_utc(t: float) -> str:
    """``2026-01-02T03:04:05.678Z``."""
    ms = min(int((t - int(t)) * 1000), 999)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03dZ" % ms


def day_utc(t: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(t))


def _cut(s: str, limit: int, redactor) -> str:
    """``s`` redacted and cut to ``limit`` UTF-8 bytes, with a marker."""
    if len(s) <= limit // 4:
        return redactor.text(s)
    size = len(s.encode("utf-8", "surrogatepass"))
    if size <= limit:
        return redactor.text(s)
    # Redacted before the cut (see Redactor.head): over `limit` characters
    # is over `limit` bytes, so the cut falls inside what was redacted.
    head = redactor.head(s, limit)
    b = head.encode("utf-8", "surrogatepass")
    if len(b) <= limit:
        return head
    kept = b[:limit].decode("utf-8", "ignore")
    dropped = size - len(kept.encode("utf-8", "surrogatepass"))
    return "%s…[truncated %d bytes]" % (kept, max(dropped, 0))


def line_for(event, event_name: str, redactor, field_limit: int, now: float) -> bytes:
    """The log line of ``event``, redacted and capped, newline included."""
    raw = event.raw

    def data(limit: int):
        return redactor.value(raw, lambda s: _cut(s, limit, redactor))

    record = {
        "time": iso_utc(now),
        "event": event.name or event_name,
        "session_id": _cut(event.session_id, 1024, redactor) or None,
        "cwd": _cut(event.cwd, 4096, redactor) or None,
        "tool_name": _cut(event.tool_name, 1024, redactor) if event.tool_name else None,
        "data": data(field_limit),
    }
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    if len(line) > MAX_LINE // 4 and len(line.encode("utf-8")) > MAX_LINE:
        record["data"] = data(1024)
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        if len(line.encode("utf-8")) > MAX_LINE:
            size = len(json.dumps(raw, ensure_ascii=False).encode("utf-8"))
            keys = sorted(str(k) for k in raw)[:100]
            record["data"] = {"truncated": True, "bytes": size, "keys": [_cut(k, 256, redactor) for k in keys]}
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    # A lone surrogate (from a "\\ud800" escape) goes back to that escape.
    return (line + "\n").encode("utf-8", "backslashreplace")


def path_for(history, now: float) -> str:
    day = day_utc(now)
    return os.path.join(os.fspath(history), "raw", day[:7], day + ".jsonl")


def append(path: str, line: bytes) -> None:
    """Appends ``line`` whole under an exclusive lock, then fsyncs. The
    record starts on a line of its own: after a torn line (a writer killed
    mid-write, a full disk), a newline comes first, so that the torn line
    is one unreadable line and this record stays readable."""
    import fcntl

    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            line = b"\n" + line
        view = memoryview(line)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)


#: How every raw record begins (``line_for``'s first key). Inside a JSON
#: string a quote is escaped, so this is always the start of an object.
RECORD_START = '{"time":"'


def records(path: str):
    """The records of the raw log at ``path``, in order, as dicts. A torn
    line is skipped; a record glued to it (by a writer that did not start
    records on a new line) is recovered. Raises OSError when the file
    cannot be read."""
    decode = json.JSONDecoder().raw_decode
    with open(path, "rb") as f:
        for line in f:
            text = line.decode("utf-8", "replace").strip()
            at = 0 if text else -1
            while at >= 0:
                try:
                    d, end = decode(text, at)
                except (ValueError, RecursionError):
                    d, end = None, -1
                if isinstance(d, dict) and end == len(text):
                    yield d
                    break
                at = text.find(RECORD_START, at + 1)
