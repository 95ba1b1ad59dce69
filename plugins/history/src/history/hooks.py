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
EXTRACT = True
MODEL_PASS = False
CLAUDE_COMMAND = ["claude"]
MODEL_PASS_TIMEOUT_S = 60

#: Set in the environment of the model pass's `claude -p`: history ignores
#: every event while it is set, should that session's hooks reach it.
MODEL_PASS_ENV = "PAII_HISTORY_MODEL_PASS"
#: The last group of the session id the model pass gives its `claude -p`:
#: events of that session are ignored even when they reach history through
#: paii's spool (which does not pass the environment on).
MODEL_PASS_SESSION_TAIL = "-5e1fca11ed00"

#: When this process took its first event: a drain's events share the
#: drain's timeout, and the model pass must end within it.
STARTED = time.monotonic()


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


def _flag(cfg: dict, key: str, default: bool) -> bool:
    v = cfg.get(key, default)
    if not isinstance(v, bool):
        paii.log("%s = %r is not true or false; using %s" % (key, v, "true" if default else "false"))
        return default
    return v


def ignored(event) -> bool:
    """Events of history's own model pass (see ``modelpass.py``)."""
    return bool(os.environ.get(MODEL_PASS_ENV)) or event.session_id.endswith(MODEL_PASS_SESSION_TAIL)


def observe(event, name: str) -> int:
    if ignored(event):
        return 0
    from .redact import Redactor

    cfg = paii.config()
    home, history = _dirs()
    redactor = Redactor.from_env(cfg, home, paii.log)
    # A drained event happened when paii queued it, not when it is drained.
    queued = getattr(event, "queued_at", None)
    now = queued if isinstance(queued, (int, float)) and queued > 0 else time.time()
    event_name = event.name or name

    from . import raw

    field_kb = _number(cfg, "max_field_kb", MAX_FIELD_KB, 1)
    try:
        line = raw.line_for(event, name, redactor, int(field_kb * 1024), now)
        raw.append(raw.path_for(history, now), line)
    except OSError as e:
        paii.log("cannot append the %s event to the raw log: %s" % (event_name, e))

    if event_name in ("Stop", "SessionEnd") or name in ("Stop", "SessionEnd"):
        summarise(event, cfg, history, redactor, now, home)
    return 0


def summarise(event, cfg: dict, history: str, redactor, now: float, home: str = "") -> None:
    """Rewrites the session's summary and files entries from its transcript."""
    from . import summary, transcript

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
    text = redactor.text(summary.render(session, sid, event.cwd, max_mb, redactor))
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
    file_entries(event, cfg, session, sid, history, redactor, day, home)


def file_entries(event, cfg: dict, session, sid: str, history: str, redactor, day: str, home: str = "") -> None:
    """Learnings, decisions and incidents: the built-in extraction and the
    user's rules first (filed at once), then the model pass if it is on."""
    from . import extract, filing, store

    rules = filing.load_rules(cfg, paii.log)
    builtin = _flag(cfg, "extract", EXTRACT)
    model_pass = _flag(cfg, "model_pass", MODEL_PASS)
    if not (rules or builtin or model_pass):
        return
    cwd = event.cwd or session.cwd
    project = store.project_of(cwd)
    common = dict(history=history, session_id=sid or session.session_id or "unknown", project=project, cwd=cwd,
                  day0=day, redactor=redactor, log=paii.log)
    if rules or builtin:
        filing.file_candidates(extract.extract(session, redactor, rules, builtin), **common)
    if model_pass:
        from . import modelpass

        proposed = modelpass.propose(session, common["session_id"], project, cfg, history, redactor, paii.log, home)
        if proposed:
            filing.file_candidates(extract.merge(proposed, one_incident=False), **common)
