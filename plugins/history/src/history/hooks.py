"""What every event does: the raw line, then at Stop and SessionEnd the
summary and the filing. Nothing here blocks or answers Claude Code (history
is an observer); every failure is logged and the exit code is 0."""

from __future__ import annotations

import os
import time

from . import paii_plugin as paii

# What a missing or bad value falls back to: plugin.toml's defaults, which
# paii passes in PAII_CONFIG (a test keeps the two equal).
MAX_FIELD_KB = 16
MAX_TRANSCRIPT_MB = 64


def _dirs():
    """``(paii_home, history_dir)`` as strings: the rules of
    ``paii.paii_home()`` and ``paii.history_dir()``, without importing
    pathlib (milliseconds of start-up on every event)."""
    env = os.environ
    home = env.get("PAII_HOME")
    if not home:
        xdg = env.get("XDG_CONFIG_HOME")
        home = os.path.join(xdg, "paii") if xdg else os.path.join(os.path.expanduser("~"), ".config", "paii")
    return home, env.get("PAII_HISTORY_DIR") or os.path.join(home, "history")


def _number(cfg: dict, key: str, default, low):
    v = cfg.get(key, default)
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < low:
        paii.log("%s = %r is not a number >= %s; using %s" % (key, v, low, default))
        return default
    return v


def observe(event, name: str) -> int:
    from .redact import Redactor

    cfg = paii.config()
    home, history = _dirs()
    redactor = Redactor.from_env(cfg, home, paii.log)
    now = time.time()
    event_name = event.name or name

    from . import raw

    field_kb = _number(cfg, "max_field_kb", MAX_FIELD_KB, 1)
    try:
        line = raw.line_for(event, name, redactor, int(field_kb * 1024), now)
        raw.append(raw.path_for(history, now), line)
    except OSError as e:
        paii.log("cannot append the %s event to the raw log: %s" % (event_name, e))

    if event_name in ("Stop", "SessionEnd") or name in ("Stop", "SessionEnd"):
        summarise(event, cfg, history, redactor, now)
    return 0


def summarise(event, cfg: dict, history: str, redactor, now: float) -> None:
    """Rewrites the session's summary and files entries from its transcript."""
    from . import filing, summary, transcript

    path = event.transcript_path
    if not path:
        paii.log("the %s event names no transcript_path; no summary" % (event.name or "Stop"))
        return
    max_mb = _number(cfg, "max_transcript_mb", MAX_TRANSCRIPT_MB, 0)
    try:
        session = transcript.read(path, int(max_mb * 1024 * 1024))
    except OSError as e:
        paii.log("cannot read the transcript %s: %s; no summary" % (path, e.strerror or e))
        return
    if session.truncated:
        paii.log("the transcript %s is over max_transcript_mb = %s; summarised its first %d bytes" % (path, max_mb, session.bytes_read))
    sid = event.session_id or session.session_id
    day = summary.session_day(session, now)
    dest = summary.path_for(history, sid or "unknown", day)
    text = redactor.text(summary.render(session, sid, event.cwd, max_mb))
    try:
        kept = summary.write(dest, text, session.bytes_read)
    except OSError as e:
        paii.log("cannot write the session summary %s: %s" % (dest, e))
    else:
        if kept is not None:
            paii.log(
                "the session summary %s was built from %d transcript bytes, this one from %d: kept it (an event that read more finished first)"
                % (dest, kept, session.bytes_read)
            )
    rules = filing.load_rules(cfg, paii.log)
    if rules:
        filing.file_session(session, sid, event.cwd, history, redactor, rules, now, paii.log)
