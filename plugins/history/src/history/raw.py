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


def _cut(s: str, limit: int, redact) -> str:
    """``s`` redacted and cut to ``limit`` UTF-8 bytes, with a marker."""
    if len(s) <= limit // 4:
        return redact(s)
    size = len(s.encode("utf-8", "surrogatepass"))
    if size <= limit:
        return redact(s)
    # Redact a generous prefix, so that a secret across the cut is still
    # whole when it is matched; the cut then keeps at most `limit` bytes.
    head = redact(s[: limit * 4])
    b = head.encode("utf-8", "surrogatepass")
    if len(b) <= limit and len(s) <= limit * 4:
        return head
    kept = b[:limit].decode("utf-8", "ignore")
    dropped = size - len(kept.encode("utf-8", "surrogatepass"))
    return "%s…[truncated %d bytes]" % (kept, max(dropped, 0))


def line_for(event, event_name: str, redactor, field_limit: int, now: float) -> bytes:
    """The log line of ``event``, redacted and capped, newline included."""
    raw = event.raw

    def data(limit: int):
        return redactor.value(raw, lambda s: _cut(s, limit, redactor.text))

    record = {
        "time": iso_utc(now),
        "event": event.name or event_name,
        "session_id": _cut(event.session_id, 1024, redactor.text) or None,
        "cwd": _cut(event.cwd, 4096, redactor.text) or None,
        "tool_name": _cut(event.tool_name, 1024, redactor.text) if event.tool_name else None,
        "data": data(field_limit),
    }
    line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    if len(line) > MAX_LINE // 4 and len(line.encode("utf-8")) > MAX_LINE:
        record["data"] = data(1024)
        line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
        if len(line.encode("utf-8")) > MAX_LINE:
            size = len(json.dumps(raw, ensure_ascii=False).encode("utf-8"))
            keys = sorted(str(k) for k in raw)[:100]
            record["data"] = {"truncated": True, "bytes": size, "keys": [_cut(k, 256, redactor.text) for k in keys]}
            line = json.dumps(record, ensure_ascii=False, separators=(",", ":"))
    # A lone surrogate (from a "\\ud800" escape) goes back to that escape.
    return (line + "\n").encode("utf-8", "backslashreplace")


def path_for(history, now: float) -> str:
    day = day_utc(now)
    return os.path.join(os.fspath(history), "raw", day[:7], day + ".jsonl")


def append(path: str, line: bytes) -> None:
    """Appends ``line`` whole under an exclusive lock, then fsyncs."""
    import fcntl

    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        view = memoryview(line)
        while view:
            n = os.write(fd, view)
            view = view[n:]
        os.fsync(fd)
    finally:
        os.close(fd)
