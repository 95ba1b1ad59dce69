"""``postmortem ID [--force] [--json]``: a first draft of the blameless
postmortem of ``workflows/postmortem.md``, written to
``<history>/incidents/YYYY-MM/<date>-<id>-postmortem.md`` (the month and
date of the declaration, so that it sits beside the incident's record and a
second run finds the first draft), 0600, all at once.

It is drafted from what was written down while it happened:

- the incident's own timeline (declaration, notes, severity and status
  changes, pages, escalations, chat posts, resolution);
- the sessions that worked on it: those whose raw events in
  ``<history>/raw/YYYY-MM/YYYY-MM-DD.jsonl`` mention the incident's id
  (the output of ``declare``, a later ``update``), and their prompts,
  commands, edits and failures from an hour before the declaration to the
  resolution;
- the history entries the MemoryProvider finds for the id, the title and
  those sessions: decisions, learnings, session summaries, records.

What it cannot know (impact, root cause, action items) is left as "to
confirm" for people to fill in; it never overwrites a draft unless told to.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta

from . import cli, providers, settings as config, store
from . import paii_plugin as paii
from .actions import Report, _highest, _id_parser, _load, _locate, _refuse, duration
from .providers import MEMORY, NOT_WIRED

#: Triage happens before the declaration: the draft's timeline starts this early.
LOOKBACK = timedelta(minutes=60)
#: The command that resolves it is logged just after `resolved_at`.
SLACK_AFTER = timedelta(minutes=2)
MAX_DAYS = 31
MAX_SESSION_EVENTS = 300
CLIP = 240
# Tools that only look: in a postmortem timeline they are noise.
_QUIET_TOOLS = {"Read", "Grep", "Glob", "LS", "TodoWrite", "TodoRead", "NotebookRead", "TaskOutput", "ToolSearch"}
_EDIT_TOOLS = {"Edit", "Write", "MultiEdit", "NotebookEdit"}
_CATEGORY_ORDER = ("decisions", "learnings", "sessions", "incidents")


def target_path(incident: dict) -> str:
    declared = store.parse_utc(incident.get("declared_at")) or store.now()
    day = declared.strftime("%Y-%m-%d")
    return os.path.join(os.fspath(paii.history_dir()), "incidents", day[:7], "%s-%s-postmortem.md" % (day, incident["id"]))


def postmortem(args) -> int:
    p = _id_parser("postmortem", "Draft the postmortem from the incident's timeline and the history.")
    p.add_argument("--force", action="store_true", help="draft it again over an existing draft (its edits are lost)")
    try:
        opts = cli.parse(p, args)
    except cli.UsageError as e:
        return cli.usage_error(p, str(e))
    incident_id, code = _locate(opts.id)
    if incident_id is None:
        return code
    incident, code = _load(incident_id)
    if incident is None:
        return code
    target = target_path(incident)
    if os.path.exists(target) and not opts.force:
        return _refuse("the postmortem of %s exists: %s; edit it, or add --force to draft it again over it (its edits are lost)" % (incident_id, target))

    report = Report(opts.json, config.load(paii.config())["warnings"])
    now = store.now()
    start = store.parse_utc(incident.get("declared_at")) or now
    end = store.parse_utc(incident.get("resolved_at")) or now
    history = os.fspath(paii.history_dir())

    sessions, events, raw_files, omitted = session_events(history, incident_id, start - LOOKBACK, end + SLACK_AFTER)
    memory = providers.wired(MEMORY)
    entries = {}
    if memory is None:
        report.warnings.append("%s: decisions, learnings and session summaries were not searched" % NOT_WIRED[MEMORY])
        paii.log("warning: " + report.warnings[-1])
    else:
        texts = [incident_id, incident.get("title", "").lstrip("-").strip()] + sorted(sessions)
        entries = history_entries(memory, [t for t in texts if t], {os.path.abspath(target)}, report)

    text = render(incident, now, target, sessions, events, omitted, raw_files, entries, memory)
    try:
        _write(target, text, opts.force)
    except FileExistsError:
        return _refuse("the postmortem of %s was just written by someone else: %s" % (incident_id, target))
    except OSError as e:
        return _refuse("cannot write the postmortem of %s to %s: %s" % (incident_id, target, e))

    with store.locked(incident_id):
        current, code = _load(incident_id)
        if current is not None:
            current["postmortem"] = target
            store.add_event(current, "postmortem", "postmortem %s: %s" % ("drafted again" if opts.force else "drafted", target))
            try:
                store.save(current)
            except OSError as e:
                report.fail("the postmortem is written, but %s could not be saved: %s" % (incident_id, e))

    counts = {c: len(v) for c, v in entries.items()}
    report.say("postmortem draft: %s" % target)
    report.say(
        "from: %d timeline entries, %d session events of %d session%s, %s"
        % (
            len(incident.get("timeline", [])), len(events), len(sessions), "" if len(sessions) == 1 else "s",
            ", ".join("%d %s" % (n, c) for c, n in sorted(counts.items())) or "no history entries",
        )
    )
    report.say("next: fill in what says \"to confirm\", then review it (workflows/postmortem.md)")
    return report.finish(
        {
            "id": incident_id,
            "path": target,
            "forced": bool(opts.force),
            "sessions": sorted(sessions),
            "session_events": len(events),
            "raw_files": raw_files,
            "history_entries": counts,
        }
    )


def _write(path: str, text: str, replace: bool) -> None:
    """Replaces with ``replace``; else publishes only if the name is free
    (a hard link of a complete file), so two drafts never clobber."""
    import tempfile

    if replace:
        paii.atomic_write(path, text, mode=store.FILE_MODE)
        return
    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(text.encode("utf-8"))
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, store.FILE_MODE)
        os.link(tmp, path)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    paii.fsync_dir(directory)


# --- the sessions' raw events ----------------------------------------------------------


def _raw_files(history: str, start: datetime, end: datetime) -> list:
    files, day = [], start.date()
    for _ in range(MAX_DAYS):
        if day > end.date():
            break
        d = day.strftime("%Y-%m-%d")
        path = os.path.join(history, "raw", d[:7], d + ".jsonl")
        if os.path.isfile(path):
            files.append(path)
        day += timedelta(days=1)
    return files


def _lines(path: str):
    try:
        with open(path, "rb") as f:
            for raw in f:
                yield raw.decode("utf-8", "replace")
    except OSError as e:
        paii.log("warning: cannot read %s: %s" % (path, e.strerror or e))


def session_events(history: str, incident_id: str, start: datetime, end: datetime):
    """``(sessions, events, files read, events omitted)``: the sessions whose
    raw events mention ``incident_id``, and their events between ``start``
    and ``end`` worth a line in a postmortem, as ``(time, session, text)``."""
    files = _raw_files(history, start, end)
    sessions = set()
    for path in files:
        for line in _lines(path):
            if incident_id in line:
                rec = _record(line)
                if rec and isinstance(rec.get("session_id"), str) and rec["session_id"]:
                    sessions.add(rec["session_id"])
    events = []
    if sessions:
        low, high = store.utc(start), store.utc(end)
        for path in files:
            for line in _lines(path):
                if not any(s in line for s in sessions):
                    continue
                rec = _record(line)
                if not rec or rec.get("session_id") not in sessions:
                    continue
                at = str(rec.get("time", ""))[:19] + "Z"
                if not low <= at <= high:
                    continue
                text = describe(rec)
                if text:
                    events.append((at, rec["session_id"], text))
    events.sort(key=lambda e: e[0])
    omitted = 0
    if len(events) > MAX_SESSION_EVENTS:
        # Keep how it started and how it ended; the middle is in the raw log.
        half = MAX_SESSION_EVENTS // 2
        omitted = len(events) - 2 * half
        events = events[:half] + [None] + events[-half:]
    return sessions, [e for e in events if e is not None], files, omitted


def _record(line: str):
    try:
        rec = json.loads(line)
    except ValueError:
        return None
    return rec if isinstance(rec, dict) else None


def clip(text, limit: int = CLIP) -> str:
    one = " ".join(str(text or "").split())
    return one if len(one) <= limit else one[: limit - 1] + "…"


def _first_line(text) -> str:
    for line in str(text or "").splitlines():
        if line.strip():
            return line
    return ""


def describe(rec: dict):
    """One raw event as a postmortem line, or ``None`` for one that is noise."""
    event = rec.get("event")
    data = rec.get("data") if isinstance(rec.get("data"), dict) else {}
    tool = rec.get("tool_name") or data.get("tool_name")
    tool_input = data.get("tool_input") if isinstance(data.get("tool_input"), dict) else {}
    if event == "UserPromptSubmit":
        return "prompt: %s" % clip(data.get("prompt")) if data.get("prompt") else None
    if event == "PreToolUse":
        if tool == "Bash":
            return "ran `%s`" % clip(tool_input.get("command")).replace("`", "'")
        if tool in _EDIT_TOOLS:
            return "%s %s" % (tool, tool_input.get("file_path") or tool_input.get("notebook_path") or "")
        if not tool or tool in _QUIET_TOOLS:
            return None
        return "used %s" % tool
    if event == "PostToolUseFailure":
        return "failed: %s: %s" % (tool or "a tool", clip(_first_line(data.get("error"))) or "(no message)")
    if event == "PermissionDenied":
        return "permission denied: %s" % (tool or "a tool")
    if event == "SessionStart":
        return "session started%s" % (" (%s)" % data["source"] if isinstance(data.get("source"), str) else "")
    if event == "SessionEnd":
        return "session ended%s" % (" (%s)" % data["reason"] if isinstance(data.get("reason"), str) else "")
    return None


# --- the history, through the MemoryProvider ---------------------------------------------


def history_entries(memory: str, texts: list, exclude: set, report: Report) -> dict:
    """``{category: [entry, ...]}``, each path once, newest first as the
    provider answers; a failed query is an error, the others still count."""
    found, seen = {}, set(exclude)
    for text in texts:
        out = providers.query(memory, text)
        if not out.ok:
            report.fail("searching the history for `%s` through `%s` failed: %s; the draft lacks those entries" % (text, memory, out.error))
            continue
        for entry in out.data:
            path = entry.get("path")
            if not isinstance(path, str) or os.path.abspath(path) in seen:
                continue
            seen.add(os.path.abspath(path))
            found.setdefault(str(entry.get("category") or "other"), []).append(entry)
    return found


# --- the draft --------------------------------------------------------------------------


def _cell(text) -> str:
    return clip(text, 300).replace("|", "\\|")


def _link(entry: dict, base: str) -> str:
    path = entry["path"]
    try:
        shown = os.path.relpath(path, base)
    except ValueError:
        shown = path
    title = clip(entry.get("title") or os.path.basename(path), 120).replace("[", "(").replace("]", ")")
    return "[%s](%s)" % (title, shown.replace(" ", "%20"))


def _quote(entry: dict) -> str:
    """The entry's matching line, unless it is only the metadata that matched."""
    line = (entry.get("line") or "").strip()
    if not line or line.startswith("- **") or line.startswith("# "):
        return ""
    return ": \"%s\"" % clip(line, 200)


def render(incident, now, target, sessions, events, omitted, raw_files, entries, memory) -> str:
    base = os.path.dirname(target)
    declared = incident.get("declared_at")
    mitigated = incident.get("mitigated_at")
    resolved = incident.get("resolved_at")
    start = store.parse_utc(declared) or now
    end = store.parse_utc(resolved)
    severities = incident.get("severities") or [incident["severity"]]

    rows = [(e.get("at", ""), "incident", e.get("text")) for e in incident.get("timeline", [])]
    rows += [(at, "session %s" % sid[:8], text) for at, sid, text in events]
    rows.sort(key=lambda r: r[0])
    one_day = len({r[0][:10] for r in rows}) <= 1
    L = []
    w = L.append

    w("# Postmortem: %s: %s" % (incident["id"], incident["title"]))
    w("")
    w("- **Severity:** %s (highest reached%s)" % (_highest(incident), "; held " + " -> ".join(severities) if len(severities) > 1 else ""))
    w("- **Status:** draft")
    w("- **Date:** %s" % (declared or "")[:10])
    if end:
        w("- **Duration:** declared %s -> mitigated %s -> resolved %s (UTC); %s from declaration to resolution; impact start: to confirm"
          % (declared, mitigated or "to confirm", resolved, duration((end - start).total_seconds())))
    else:
        w("- **Duration:** declared %s -> mitigated %s -> **still open** at %s (UTC); impact start: to confirm"
          % (declared, mitigated or "not yet", store.utc(now)))
    w("- **Incident commander:** to confirm")
    w("- **Author(s):** to confirm")
    w("- **Incident:** `%s`%s" % (store.path_of(incident["id"]), "; record: %s" % incident["recorded"] if incident.get("recorded") else ""))
    w("")
    w("> Drafted by `paii run incident --action postmortem` at %s from the incident's timeline (%d entries), "
      "%d event%s of %d session%s and %d history entr%s. Everything marked \"to confirm\" needs a person; "
      "keep it blameless: describe what the systems and the process allowed, not who erred (workflows/postmortem.md)."
      % (store.utc(now), len(incident.get("timeline", [])), len(events), "" if len(events) == 1 else "s", len(sessions),
         "" if len(sessions) == 1 else "s", sum(len(v) for v in entries.values()), "y" if sum(len(v) for v in entries.values()) == 1 else "ies"))
    if not end:
        w(">")
        w("> **The incident is still open**: this draft covers it up to %s. Draft it again with `--force` once it is resolved." % store.utc(now))
    w("")

    w("## Summary")
    w("")
    w(incident.get("summary") or "To confirm: what broke, who was affected and how badly, how it was mitigated, and the most important follow-up.")
    w("")
    w("To confirm: three to five sentences a reader outside the team understands.")
    w("")

    w("## Impact")
    w("")
    for item in (
        "Who was affected (customers, regions, plans, internal teams) and how many: to confirm",
        "What they experienced: to confirm",
        "For how long (start and end of impact, not of the response): to confirm",
        "Data lost, corrupted or exposed: to confirm",
        "SLO/error budget, SLA credits, money, support tickets, status page posts: to confirm",
    ):
        w("- %s" % item)
    w("")

    w("## Timeline (UTC)")
    w("")
    w("| Time | Source | Event |")
    w("|---|---|---|")
    half = None
    if omitted:
        session_rows = [i for i, r in enumerate(rows) if r[1] != "incident"]
        half = session_rows[len(session_rows) // 2] if session_rows else None
    for i, (at, source, text) in enumerate(rows):
        if half is not None and i == half:
            w("| … | sessions | %d session events omitted; they are in the raw log |" % omitted)
        shown = at[11:19] if one_day else at[:19].replace("T", " ")
        w("| %s | %s | %s |" % (shown, source, _cell(text)))
    w("")
    w("To confirm: the start of impact, detection (alert, customer, employee), each hypothesis tried and dropped, and mitigation.")
    w("")

    decisions = entries.get("decisions", [])
    w("## Decisions")
    w("")
    if decisions:
        for e in decisions:
            w("- %s %s%s" % (e.get("date", ""), _link(e, base), _quote(e)))
    else:
        w("None found in the history%s; to confirm." % ("" if memory else " (no MemoryProvider wired)"))
    w("")

    w("## Detection")
    w("")
    w("How did we find out, how long from the start of impact to detection and from detection to declaration, and what would have detected it sooner: to confirm.")
    w("")

    w("## Response")
    w("")
    response = _response(incident)
    for line in response:
        w("- %s" % line)
    if response:
        w("")
    w("What went well and what slowed us down (paging, access, dashboards, runbooks, coordination, communications): to confirm.")
    w("")

    w("## Root cause and contributing factors")
    w("")
    w("1. Trigger: to confirm")
    w("2. Contributing: to confirm")
    w("3. Why it was not caught earlier: to confirm")
    w("")
    w("## What went well")
    w("")
    w("To confirm.")
    w("")
    w("## Where we got lucky")
    w("")
    w("To confirm.")
    w("")
    w("## Action items")
    w("")
    w("| Action | Type | Owner | Priority | Due | Ticket |")
    w("|---|---|---|---|---|---|")
    w("| to confirm | prevent | to confirm | to confirm | to confirm | to confirm |")
    w("| to confirm | detect | to confirm | to confirm | to confirm | to confirm |")
    w("")

    w("## Lessons learned")
    w("")
    learnings = entries.get("learnings", [])
    if learnings:
        for e in learnings:
            w("- %s %s%s" % (e.get("date", ""), _link(e, base), _quote(e)))
    else:
        w("None found in the history%s; to confirm." % ("" if memory else " (no MemoryProvider wired)"))
    w("")

    w("## Sources")
    w("")
    others = [c for c in entries if c not in ("decisions", "learnings")]
    for category in sorted(others, key=lambda c: (_CATEGORY_ORDER.index(c) if c in _CATEGORY_ORDER else 99, c)):
        for e in entries[category]:
            w("- %s %s %s" % (category, e.get("date", ""), _link(e, base)))
    for sid in sorted(sessions):
        w("- session `%s` (raw events)" % sid)
    for path in raw_files if sessions else ():
        w("- raw log `%s`" % path)
    if not others and not sessions:
        w("- the incident's own timeline only%s" % ("" if memory else "; no MemoryProvider wired, so the history was not searched"))
    w("")
    return "\n".join(L)


def _response(incident: dict) -> list:
    out = []
    for e in incident.get("timeline", []):
        if e.get("event") in ("paged", "page_failed", "not_paged", "escalation", "page_resolved", "page_resolve_failed", "severity", "status"):
            out.append("%s %s" % (e.get("at", "")[11:16], clip(e.get("text"), 300)))
    return out
