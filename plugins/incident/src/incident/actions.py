"""The lifecycle actions: ``declare``, ``update``, ``escalate``, ``page``,
``resolve``, ``list``, ``show`` (``postmortem`` is in its own module).

Every action that changes an incident saves its state first and acts
through the integrations after, appending each outcome to the incident's
timeline as it comes: whatever fails (a missing or rejected key, a plugin
that cannot run), the record is kept and says what failed. Exit codes: 0
done; 1 the incident is unknown, the action was refused, or something it
acts through failed (the record is still saved; stderr says what); 2 a bad
command line.
"""

from __future__ import annotations

import json
import sys
from contextlib import nullcontext
from datetime import datetime, timedelta

from . import cli, providers, settings as config, store
from .providers import CHAT, MEMORY, NOT_WIRED, PAGER
from .severity import (
    CHECKLIST,
    ESCALATION_PAGER_SEVERITY,
    NAMES,
    PAGER_SEVERITY,
    PAGING,
    SEVERITIES,
    choices,
    normalise_severity,
    rank,
)
from . import paii_plugin as paii

HISTORY_CATEGORY = "incidents"
#: What ``update --status`` may set; ``resolved`` is ``resolve``'s alone.
STATUSES = ("investigating", "identified", "mitigated")
_UPDATES = {row[0]: row[4] for row in SEVERITIES}


# --- output ---------------------------------------------------------------------


class Report:
    """One action's answer: lines for people, or one JSON value for scripts;
    errors go to stderr as they happen and make the exit code 1."""

    def __init__(self, as_json: bool, warnings=()):
        self.as_json = as_json
        self.lines = []
        self.errors = []
        self.warnings = list(warnings)

    def say(self, text: str) -> None:
        self.lines.append(text)

    def fail(self, text: str) -> None:
        self.errors.append(text)
        sys.stderr.write("incident: %s\n" % text)

    def finish(self, payload=None) -> int:
        if self.as_json:
            if isinstance(payload, dict):
                payload = dict(payload)
                payload["warnings"] = self.warnings
                payload["errors"] = self.errors
            sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        elif self.lines:
            sys.stdout.write("\n".join(self.lines) + "\n")
        return 1 if self.errors else 0


def _refuse(text: str) -> int:
    sys.stderr.write("incident: %s\n" % text)
    return 1


def _unknown(text) -> int:
    return _refuse(
        "no incident `%s` in %s; `paii run incident --action list -- --all` lists them"
        % (text, store.incidents_dir())
    )


def duration(seconds: float) -> str:
    """``45s``, ``12m``, ``1h05m``, ``2d03h``."""
    s = max(int(seconds), 0)
    if s < 60:
        return "%ds" % s
    m = s // 60
    if m < 60:
        return "%dm" % m
    h, m = divmod(m, 60)
    if h < 48:
        return "%dh%02dm" % (h, m)
    d, h = divmod(h, 24)
    return "%dd%02dh" % (d, h)


def title_line(incident: dict) -> str:
    return "%s: [%s] %s" % (incident["id"], incident["severity"], incident["title"])


# --- acting through the integrations ------------------------------------------------


class Session:
    """An incident being changed: saves it after each step (when it has a
    state file), so that a step that never returns loses nothing before it."""

    def __init__(self, incident: dict, report: Report, settings: dict, persistent: bool = True):
        self.incident = incident
        self.report = report
        self.settings = settings
        self.persistent = persistent
        self.save_failed = False

    def save(self) -> None:
        if not self.persistent or self.save_failed:
            return
        try:
            store.save(self.incident)
        except OSError as e:
            self.save_failed = True
            self.report.fail("cannot save %s in %s: %s" % (self.incident["id"], store.incidents_dir(), e))

    def page(self, level: str, dedup_key: str, summary: str, reason: str, retry: str = "page"):
        """Triggers the wired pager; ``None`` when none is wired, else the
        outcome. ``retry`` is the action that pages again once fixed."""
        inc = self.incident
        provider = providers.wired(PAGER)
        if provider is None:
            inc["paging"] = "not_wired"
            store.add_event(inc, "not_paged", "not paged (%s): %s" % (reason, NOT_WIRED[PAGER]))
            self.save()
            return None
        out = providers.trigger(provider, summary, level, dedup_key)
        if out.ok:
            answer = out.data if isinstance(out.data, dict) else {}
            page = {
                "dedup_key": dedup_key,
                "severity": level,
                "status": "triggered",
                "provider": provider,
                "reason": reason,
                "at": store.utc(store.now()),
                "id": answer.get("id"),
                "url": answer.get("url"),
            }
            pages = [p for p in inc.setdefault("pages", []) if p.get("dedup_key") != dedup_key]
            inc["pages"] = pages + [page]
            inc["paging"] = "paged"
            where = ", ".join(str(x) for x in (answer.get("id"), answer.get("url")) if x)
            store.add_event(
                inc, "paged", "paged through `%s` (%s): severity %s, dedup key %s%s"
                % (provider, reason, level, dedup_key, " (%s)" % where if where else ""),
                dedup_key=dedup_key,
            )
            self.report.say("paged: `%s` triggered severity %s, dedup key %s%s" % (provider, level, dedup_key, " (%s)" % where if where else ""))
        else:
            inc["paging"] = "failed"
            store.add_event(inc, "page_failed", "paging (%s) through `%s` failed: %s" % (reason, provider, out.error), dedup_key=dedup_key)
            self.report.say("PAGING FAILED through `%s`; the incident is recorded and says so" % provider)
            self.report.fail(
                "paging %s through `%s` failed: %s. Page on-call by hand now; once the key in "
                "$PAII_HOME/.env is fixed, `paii run incident --action %s -- %s` pages again"
                % (inc["id"], provider, out.error, retry, inc["id"])
            )
        self.save()
        return out

    def post(self, text: str) -> None:
        inc = self.incident
        provider = providers.wired(CHAT)
        if provider is None:
            self.report.say("not posted: " + NOT_WIRED[CHAT])
            return
        channel = self.settings["slack_channel"]
        out = providers.post(provider, text, channel)
        if out.ok:
            answer = out.data if isinstance(out.data, dict) else {}
            shown = answer.get("channel") or channel
            store.add_event(
                inc, "posted", "posted to `%s`%s" % (provider, " in %s" % shown if shown else ""),
                channel=shown or None, ts=answer.get("ts"),
            )
            self.report.say("posted: `%s`%s%s" % (provider, " in %s" % shown if shown else "", " (ts %s)" % answer["ts"] if answer.get("ts") else ""))
        else:
            store.add_event(inc, "post_failed", "posting to `%s` failed: %s" % (provider, out.error))
            self.report.say("POSTING FAILED through `%s`" % provider)
            self.report.fail("posting %s to chat through `%s` failed: %s" % (inc["id"], provider, out.error))
        self.save()

    def record(self, title: str, body: str):
        """Records an entry through the MemoryProvider: its path, or ``None``."""
        inc = self.incident
        provider = providers.wired(MEMORY)
        if provider is None:
            return None
        out = providers.record(provider, title, body)
        if not out.ok:
            store.add_event(inc, "record_failed", "recording in the history through `%s` failed: %s" % (provider, out.error))
            self.report.fail("could not record %s through the MemoryProvider: %s" % (inc["id"], out.error))
            self.save()
            return None
        if out.data is None:
            sys.stderr.write("incident: `%s` recorded %s but did not say where\n" % (provider, inc["id"]))
        store.add_event(inc, "recorded", "recorded in the history through `%s`%s" % (provider, ": %s" % out.data if out.data else ""), path=out.data)
        self.save()
        return out.data


def _open_pages(incident: dict) -> list:
    return [p for p in incident.get("pages", []) if p.get("status") == "triggered"]


# --- declare ------------------------------------------------------------------------


def build_incident(incident_id: str, severity: str, title: str, summary, settings: dict, now: datetime, integrations: dict) -> dict:
    """The incident as data: its state file, and what ``--json`` prints."""
    escalate_at = now + timedelta(minutes=settings["escalation_minutes"])
    incident = {
        "version": store.STATE_VERSION,
        "id": incident_id,
        "severity": severity,
        "severity_name": NAMES[severity],
        "severities": [severity],
        "title": title,
        "summary": summary,
        "status": "investigating",
        "declared_at": store.utc(now),
        "mitigated_at": None,
        "resolved_at": None,
        "escalation_threshold_minutes": settings["escalation_minutes"],
        "escalate_at": store.utc(escalate_at),
        "escalations": 0,
        "escalated_at": None,
        "postmortem_required": severity in settings["postmortem_required_for"],
        "postmortem": None,
        "checklist": list(CHECKLIST),
        "integrations": dict(integrations),
        "memory": None,
        "recorded": None,
        "paging": "not_required",
        "pages": [],
        "timeline": [],
    }
    store.add_event(incident, "declared", "declared %s (%s): %s" % (severity, NAMES[severity], title), when=now)
    return incident


def render_body(incident: dict) -> str:
    """The Markdown body recorded in the history (the title is recorded apart)."""
    declared = incident["declared_at"].replace("T", " ").replace("Z", " UTC")
    escalate = incident["escalate_at"].replace("T", " ").replace("Z", " UTC")
    sev = incident["severity"]
    pager = incident["integrations"].get(PAGER)
    chat = incident["integrations"].get(CHAT)
    if sev not in PAGING:
        paging = "%s pages nobody" % sev
    elif pager:
        paging = "paging on-call through `%s` (severity %s, dedup key %s)" % (pager, PAGER_SEVERITY[sev], incident["id"])
    else:
        paging = "no pager wired: page on-call by hand"
    lines = [
        "- **Incident:** %s" % incident["id"],
        "- **Severity:** %s (%s)" % (sev, incident["severity_name"]),
        "- **Status:** %s" % incident["status"],
        "- **Declared:** %s" % declared,
        "- **Escalate at:** %s, when not mitigated within %d minutes" % (escalate, incident["escalation_threshold_minutes"]),
        "- **Postmortem:** %s" % ("required" if incident["postmortem_required"] else "not required"),
        "- **Paging:** %s" % paging,
        "- **Chat:** %s" % ("through `%s`" % chat if chat else "not wired"),
        "",
        "## Summary",
        "",
        incident["summary"] or "(none given at declaration)",
        "",
        "## Checklist",
        "",
    ]
    lines += ["- [ ] %s" % item for item in incident["checklist"]]
    lines += [
        "",
        "## Timeline (UTC)",
        "",
        "- %s declared %s: %s" % (incident["declared_at"][11:19], sev, incident["title"]),
        "",
    ]
    return "\n".join(lines)


def _page_summary(incident: dict, prefix: str = "") -> str:
    return "%s[%s] %s (%s)" % (prefix, incident["severity"], incident["title"], incident["id"])


def declare(args) -> int:
    """``declare --severity SEV-N --title TEXT [--summary TEXT] [--json]``."""
    p = cli.parser("declare", "Declare an incident: record it, page for SEV-1/SEV-2, post to chat.")
    p.add_argument("--severity", help="%s (default: the default_severity config)" % choices())
    p.add_argument("--title", help="one line: what is broken, for whom, where (required)")
    p.add_argument("--summary", help="what is known so far")
    try:
        opts = cli.parse(p, args, ("--severity", "--title", "--summary"))
    except cli.UsageError as e:
        return cli.usage_error(p, str(e))
    if opts.title is None:
        return cli.usage_error(p, "the following arguments are required: --title")

    settings = config.load(paii.config())
    if opts.severity is None:
        severity = settings["default_severity"]
    else:
        severity = normalise_severity(opts.severity)
        if severity is None:
            return cli.usage_error(
                p,
                "unknown severity `%s`: use one of %s (SEV-1 is the most severe; "
                "`paii run incident --action severities` shows the table)" % (opts.severity, choices()),
            )
    title = " ".join(opts.title.split())
    if not title:
        return cli.usage_error(p, "--title is empty: say what is broken, for whom, where")
    summary = opts.summary.strip() if opts.summary and opts.summary.strip() else None

    report = Report(opts.json, settings["warnings"])
    integrations = {PAGER: providers.wired(PAGER), CHAT: providers.wired(CHAT)}
    memory = providers.wired(MEMORY)
    when = store.now()

    def build(incident_id):
        incident = build_incident(incident_id, severity, title, summary, settings, when, integrations)
        incident["memory"] = memory
        return incident

    state = None
    try:
        incident, state = store.create(when, build)
    except OSError as e:
        # Paging matters more than bookkeeping: go on without a state file.
        incident = build(store.new_id(when))
        report.fail("cannot save %s in %s: %s; it is paged and posted anyway, but later actions will not find it" % (incident["id"], store.incidents_dir(), e))

    session = Session(incident, report, settings, persistent=state is not None)
    with store.locked(incident["id"]) if state is not None else nullcontext():
        body = render_body(incident)
        incident["recorded"] = session.record(title_line(incident), body)
        if severity in PAGING:
            if session.page(PAGER_SEVERITY[severity], incident["id"], _page_summary(incident), "declared %s" % severity) is None:
                report.say("not paged: %s; page on-call by hand" % NOT_WIRED[PAGER])
        else:
            report.say("not paged: %s pages nobody (`paii run incident --action page -- %s` pages anyway)" % (severity, incident["id"]))
        session.post(_declaration_text(incident))

    head, tail = _declared_lines(incident, state, memory, body, report)
    report.lines = head + report.lines + tail
    payload = dict(incident)
    payload["state"] = str(state) if state else None
    recorded_error = next((e for e in report.errors if e.startswith("could not record")), None)
    if recorded_error is not None:
        payload["error"] = recorded_error.split(": ", 1)[1]
    return report.finish(payload)


def _declaration_text(incident: dict) -> str:
    lines = [":rotating_light: %s declared: %s (%s), %s" % (incident["id"], incident["severity"], incident["severity_name"], incident["title"])]
    if incident["summary"]:
        lines.append("Impact: %s" % incident["summary"])
    lines.append("Updates %s; escalation at %s if not mitigated." % (_UPDATES[incident["severity"]], incident["escalate_at"]))
    return "\n".join(lines)


def _declared_lines(incident: dict, state, memory, body: str, report: Report):
    """What ``declare`` prints before and after the lines of its integrations."""
    out = ["Declared %s" % title_line(incident)]
    if state is not None:
        out.append("state: %s" % state)
    if memory is not None and incident["recorded"]:
        out.append("recorded: %s (through `%s`)" % (incident["recorded"], memory))
    elif memory is not None and not any(e.startswith("could not record") for e in report.errors):
        out.append("recorded: (location not reported) (through `%s`)" % memory)
    else:
        out.append("\n# %s\n\n%s" % (title_line(incident), body))
        if memory is None:
            out.append("not recorded: %s" % NOT_WIRED[MEMORY])
        else:
            out.append("not recorded: the MemoryProvider `%s` failed (see stderr); keep this record in the incident channel" % memory)
    threshold = "threshold %d minutes" % incident["escalation_threshold_minutes"]
    if any(w.startswith("config escalation_threshold_minutes") for w in report.warnings):
        threshold += ", the default: the configured value is invalid (see the warning on stderr)"
    out.append("escalate at %s if not mitigated (%s)" % (incident["escalate_at"], threshold))
    tail = []
    if incident["postmortem_required"]:
        tail.append("postmortem: required for %s (workflows/postmortem.md)" % incident["severity"])
    tail.append(
        "next: work through the declaration checklist (workflows/declare.md); "
        "`paii run incident --action update -- %s --note TEXT` adds to the timeline" % incident["id"]
    )
    return out, tail


# --- changing an open incident -------------------------------------------------------


def _locate(raw_id):
    """``(incident id, None)``, or ``(None, exit code)`` having said why."""
    incident_id = store.normalise_id(raw_id)
    if incident_id is None or not store.path_of(incident_id).exists():
        return None, _unknown(raw_id)
    return incident_id, None


def _load(incident_id: str):
    try:
        return store.load(incident_id), None
    except store.NotFound:
        return None, _unknown(incident_id)
    except store.Corrupt as e:
        return None, _refuse(str(e))


def _id_parser(action: str, description: str) -> cli.Parser:
    p = cli.parser(action, description)
    p.add_argument("id", metavar="ID", help="the incident id (INC-YYYYMMDD-HHMMSS-xxxx)")
    return p


def update(args) -> int:
    """``update ID [--note TEXT] [--severity SEV-N] [--status S] [--json]``."""
    p = _id_parser("update", "Add to an incident's timeline; change its severity or status; post to chat.")
    p.add_argument("--note", help="what happened, was tried or decided")
    p.add_argument("--severity", help="the new severity (%s)" % choices())
    p.add_argument("--status", help="investigating, identified or mitigated (`resolve` resolves)")
    try:
        opts = cli.parse(p, args, ("--note", "--severity", "--status"))
    except cli.UsageError as e:
        return cli.usage_error(p, str(e))
    note = " ".join(opts.note.split()) if opts.note else None
    if note is None and opts.severity is None and opts.status is None:
        return cli.usage_error(p, "nothing to update: give --note, --severity or --status")
    severity = None
    if opts.severity is not None:
        severity = normalise_severity(opts.severity)
        if severity is None:
            return cli.usage_error(p, "unknown severity `%s`: use one of %s" % (opts.severity, choices()))
    status = None
    if opts.status is not None:
        status = opts.status.strip().lower()
        if status not in STATUSES:
            hint = "; `paii run incident --action resolve -- ID` resolves" if status == "resolved" else ""
            return cli.usage_error(p, "unknown status `%s`: use one of %s%s" % (opts.status, ", ".join(STATUSES), hint))

    incident_id, code = _locate(opts.id)
    if incident_id is None:
        return code
    settings = config.load(paii.config())
    report = Report(opts.json, settings["warnings"])
    with store.locked(incident_id):
        incident, code = _load(incident_id)
        if incident is None:
            return code
        resolved = incident.get("status") == "resolved"
        if resolved and (severity or status):
            return _refuse("%s was resolved at %s: only --note can be added to it" % (incident_id, incident.get("resolved_at")))
        session = Session(incident, report, settings)
        changes = []
        old = incident["severity"]
        if severity and severity != old:
            incident["severity"] = severity
            incident["severity_name"] = NAMES[severity]
            incident.setdefault("severities", [old])
            if severity not in incident["severities"]:
                incident["severities"].append(severity)
            # The obligation stays once an incident was ever severe enough.
            incident["postmortem_required"] = bool(incident.get("postmortem_required")) or severity in settings["postmortem_required_for"]
            store.add_event(incident, "severity", "severity %s -> %s" % (old, severity) + (": %s" % note if note else ""))
            changes.append("severity %s -> %s" % (old, severity))
        if status and status != incident.get("status"):
            before = incident.get("status")
            incident["status"] = status
            if status == "mitigated" and not incident.get("mitigated_at"):
                incident["mitigated_at"] = store.utc(store.now())
            store.add_event(incident, "status", "status %s -> %s" % (before, status) + (": %s" % note if note else ""))
            changes.append("status %s" % status)
        if not note and not changes:
            report.say("%s: no change (already %s, %s)" % (title_line(incident), incident["severity"], incident.get("status")))
            return report.finish(_payload(incident))
        if note and not changes:
            store.add_event(incident, "note", note)
        session.save()
        report.say("Updated %s%s" % (title_line(incident), ": " + ", ".join(changes) if changes else ""))
        if note:
            report.say("note: %s" % note)

        # Raised into a paging severity and nobody was paged yet: page now.
        if severity and severity in PAGING and rank(severity) < rank(old) and not incident.get("pages"):
            if session.page(PAGER_SEVERITY[severity], incident_id, _page_summary(incident), "raised to %s" % severity) is None:
                report.say("not paged: %s; page on-call by hand" % NOT_WIRED[PAGER])
        text = ":memo: %s update (%s, %s): %s" % (incident_id, incident["severity"], incident["status"], incident["title"])
        if changes:
            text += "\n" + "; ".join(changes)
        if note:
            text += "\n" + note
        session.post(text)
    return report.finish(_payload(incident))


def escalate(args) -> int:
    """``escalate ID [--force] [--note TEXT] [--json]``."""
    p = _id_parser(
        "escalate",
        "Page the next level of on-call (a new page at severity critical) once the incident has run "
        "escalation_threshold_minutes without mitigation since its declaration or last escalation.",
    )
    p.add_argument("--force", action="store_true", help="escalate before the threshold (impact growing, decision needed)")
    p.add_argument("--note", help="why it is escalated")
    try:
        opts = cli.parse(p, args, ("--note",))
    except cli.UsageError as e:
        return cli.usage_error(p, str(e))
    note = " ".join(opts.note.split()) if opts.note else None
    incident_id, code = _locate(opts.id)
    if incident_id is None:
        return code
    settings = config.load(paii.config())
    report = Report(opts.json, settings["warnings"])
    with store.locked(incident_id):
        incident, code = _load(incident_id)
        if incident is None:
            return code
        if incident.get("status") == "resolved":
            return _refuse("%s was resolved at %s: there is nothing to escalate" % (incident_id, incident.get("resolved_at")))
        now = store.now()
        since_text = incident.get("escalated_at") or incident.get("declared_at")
        since = store.parse_utc(since_text) or now
        threshold = settings["escalation_minutes"]
        due = since + timedelta(minutes=threshold)
        what = "last escalated" if incident.get("escalated_at") else "declared"
        if now < due and not opts.force:
            return _refuse(
                "%s was %s %s ago (%s); escalation_threshold_minutes is %d, so it escalates from %s. "
                "Escalate sooner only when the impact grows or a decision is needed that the responders cannot take: add --force"
                % (incident_id, what, duration((now - since).total_seconds()), since_text, threshold, store.utc(due))
            )
        level = incident.get("escalations", 0) + 1
        session = Session(incident, report, settings)
        reason = "escalation %d%s" % (level, ", forced before the threshold" if now < due else "")
        # A new dedup key: PagerDuty folds a trigger with an open incident's key
        # into that incident and notifies nobody, so the same key would not
        # reach the next level. `resolve` resolves every key it paged.
        dedup_key = "%s-esc%d" % (incident_id, level)
        summary = _page_summary(incident, "ESCALATED (%d): " % level)
        store.add_event(
            incident, "escalation",
            "escalating (level %d), %s after it was %s%s" % (level, duration((now - since).total_seconds()), what, ": %s" % note if note else ""),
        )
        out = session.page(ESCALATION_PAGER_SEVERITY, dedup_key, summary, reason, retry="escalate")
        if out is None:
            report.fail("%s is not escalated: %s. Page the next level of on-call by hand; the attempt is in the timeline" % (incident_id, NOT_WIRED[PAGER]))
        elif out.ok:
            incident["escalations"] = level
            incident["escalated_at"] = store.utc(now)
            session.save()
            report.lines.insert(0, "Escalated %s (level %d)" % (title_line(incident), level))
        text = ":arrow_double_up: %s escalated to the next level of on-call (%d): [%s] %s, %s for %s" % (
            incident_id, level, incident["severity"], incident["title"], incident.get("status"), duration((now - (store.parse_utc(incident["declared_at"]) or now)).total_seconds()),
        )
        if note:
            text += "\n" + note
        if out is not None and out.ok:
            session.post(text)
    return report.finish(_payload(incident))


def page(args) -> int:
    """``page ID [--json]``: (re)sends the incident's page, dedup key = its id."""
    p = _id_parser(
        "page",
        "Page on-call for an open incident at its severity (dedup key: its id), e.g. once a missing "
        "or rejected key is fixed, or for a SEV-3/SEV-4 that needs people now.",
    )
    try:
        opts = cli.parse(p, args)
    except cli.UsageError as e:
        return cli.usage_error(p, str(e))
    incident_id, code = _locate(opts.id)
    if incident_id is None:
        return code
    settings = config.load(paii.config())
    report = Report(opts.json, settings["warnings"])
    with store.locked(incident_id):
        incident, code = _load(incident_id)
        if incident is None:
            return code
        if incident.get("status") == "resolved":
            return _refuse("%s was resolved at %s: nobody needs paging" % (incident_id, incident.get("resolved_at")))
        session = Session(incident, report, settings)
        sev = incident["severity"]
        if session.page(PAGER_SEVERITY[sev], incident_id, _page_summary(incident), "paged on request at %s" % sev) is None:
            report.fail("%s is not paged: %s" % (incident_id, NOT_WIRED[PAGER]))
    return report.finish(_payload(incident))


def resolve(args) -> int:
    """``resolve ID [--note TEXT] [--json]``."""
    p = _id_parser("resolve", "Resolve an incident: its pages through the pager, a chat post, a history record.")
    p.add_argument("--note", help="how it was resolved")
    try:
        opts = cli.parse(p, args, ("--note",))
    except cli.UsageError as e:
        return cli.usage_error(p, str(e))
    note = " ".join(opts.note.split()) if opts.note else None
    incident_id, code = _locate(opts.id)
    if incident_id is None:
        return code
    settings = config.load(paii.config())
    report = Report(opts.json, settings["warnings"])
    with store.locked(incident_id):
        incident, code = _load(incident_id)
        if incident is None:
            return code
        session = Session(incident, report, settings)
        newly = incident.get("status") != "resolved"
        now = store.now()
        declared = store.parse_utc(incident.get("declared_at")) or now
        if newly:
            incident["status"] = "resolved"
            incident["resolved_at"] = store.utc(now)
            if not incident.get("mitigated_at"):
                incident["mitigated_at"] = incident["resolved_at"]
            store.add_event(incident, "resolved", "resolved after %s%s" % (duration((now - declared).total_seconds()), ": %s" % note if note else ""), when=now)
            session.save()
            report.say("Resolved %s after %s" % (title_line(incident), duration((now - declared).total_seconds())))
        elif not _open_pages(incident):
            report.say("%s was already resolved at %s" % (title_line(incident), incident.get("resolved_at")))
            return report.finish(_payload(incident))
        else:
            report.say("%s was resolved at %s; resolving its open pages" % (title_line(incident), incident.get("resolved_at")))

        open_pages = _open_pages(incident)
        if open_pages:
            provider = providers.wired(PAGER)
            if provider is None:
                keys = ", ".join(p["dedup_key"] for p in open_pages)
                store.add_event(incident, "page_resolve_failed", "pages %s stay open: %s" % (keys, NOT_WIRED[PAGER]))
                session.save()
                report.fail("the pages of %s (dedup keys %s) stay open: %s; resolve them in PagerDuty" % (incident_id, keys, NOT_WIRED[PAGER]))
            for pg in open_pages if provider else ():
                out = providers.resolve(provider, pg["dedup_key"])
                if out.ok:
                    pg["status"] = "resolved"
                    store.add_event(incident, "page_resolved", "page %s resolved through `%s`" % (pg["dedup_key"], provider), dedup_key=pg["dedup_key"])
                    report.say("page resolved: %s through `%s`" % (pg["dedup_key"], provider))
                else:
                    store.add_event(incident, "page_resolve_failed", "resolving page %s through `%s` failed: %s" % (pg["dedup_key"], provider, out.error), dedup_key=pg["dedup_key"])
                    report.fail(
                        "resolving the page %s of %s through `%s` failed: %s; the incident is resolved, "
                        "run `paii run incident --action resolve -- %s` again once fixed"
                        % (pg["dedup_key"], incident_id, provider, out.error, incident_id)
                    )
                session.save()
        if newly:
            text = ":white_check_mark: %s resolved after %s: [%s] %s" % (incident_id, duration((now - declared).total_seconds()), incident["severity"], incident["title"])
            if note:
                text += "\n" + note
            if incident.get("postmortem_required"):
                text += "\nA postmortem follows."
            session.post(text)
            path = session.record("%s: resolved [%s] %s" % (incident_id, incident["severity"], incident["title"]), _resolution_body(incident))
            if path:
                report.say("recorded: %s" % path)
        if incident.get("postmortem_required"):
            report.say("postmortem: required; draft it with `paii run incident --action postmortem -- %s`" % incident_id)
    return report.finish(_payload(incident))


def _resolution_body(incident: dict) -> str:
    lines = [
        "- **Incident:** %s" % incident["id"],
        "- **Severity:** %s (highest %s)" % (incident["severity"], _highest(incident)),
        "- **Declared:** %s" % incident.get("declared_at"),
        "- **Mitigated:** %s" % incident.get("mitigated_at"),
        "- **Resolved:** %s" % incident.get("resolved_at"),
        "- **Escalations:** %d" % incident.get("escalations", 0),
        "- **Postmortem:** %s" % ("required" if incident.get("postmortem_required") else "not required"),
        "",
        "## Timeline (UTC)",
        "",
    ]
    lines += ["- %s %s: %s" % (e.get("at"), e.get("event"), e.get("text")) for e in incident.get("timeline", [])]
    return "\n".join(lines) + "\n"


def _highest(incident: dict) -> str:
    held = [s for s in incident.get("severities") or [incident["severity"]] if normalise_severity(s)]
    return min(held or [incident["severity"]], key=rank)


def _payload(incident: dict) -> dict:
    out = dict(incident)
    out["state"] = str(store.path_of(incident["id"]))
    return out


# --- reading -------------------------------------------------------------------------


def _row(incident: dict, now: datetime, settings: dict) -> dict:
    declared = store.parse_utc(incident.get("declared_at")) or now
    resolved = store.parse_utc(incident.get("resolved_at"))
    end = resolved or now
    is_open = incident.get("status") != "resolved"
    since = store.parse_utc(incident.get("escalated_at")) or declared
    due = is_open and incident.get("status") != "mitigated" and now >= since + timedelta(minutes=settings["escalation_minutes"])
    return {
        "id": incident.get("id"),
        "severity": incident.get("severity"),
        "status": incident.get("status"),
        "title": incident.get("title"),
        "declared_at": incident.get("declared_at"),
        "resolved_at": incident.get("resolved_at"),
        "age_seconds": int((end - declared).total_seconds()),
        "age": duration((end - declared).total_seconds()),
        "escalation_due": bool(due),
        "escalations": incident.get("escalations", 0),
        "paging": incident.get("paging"),
        "postmortem_required": bool(incident.get("postmortem_required")),
        "postmortem": incident.get("postmortem"),
    }


def list_(args) -> int:
    """``list [--all] [--json]``."""
    p = cli.parser("list", "The open incidents (with --all, the resolved ones too), oldest first.")
    p.add_argument("--all", action="store_true", help="resolved incidents too")
    try:
        opts = cli.parse(p, args)
    except cli.UsageError as e:
        return cli.usage_error(p, str(e))
    settings = config.load(paii.config())
    incidents, problems = store.all_incidents()
    for problem in problems:
        paii.log("warning: %s; skipped" % problem)
    now = store.now()
    rows = [_row(i, now, settings) for i in incidents if opts.all or i.get("status") != "resolved"]
    if opts.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return 0
    if not rows:
        sys.stdout.write("no open incidents%s\n" % ("" if opts.all else " (`--all` lists the resolved ones too)"))
        return 0
    width = max(len("STATUS"), *(len(r["status"] or "") for r in rows))
    sys.stdout.write("%-24s  %-5s  %-*s  %-6s  %s\n" % ("ID", "SEV", width, "STATUS", "AGE", "TITLE"))
    for r in rows:
        flags = []
        if r["escalation_due"]:
            flags.append("escalation due")
        if r["paging"] == "failed":
            flags.append("PAGING FAILED")
        if r["status"] == "resolved" and r["postmortem_required"] and not r["postmortem"]:
            flags.append("postmortem due")
        sys.stdout.write(
            "%-24s  %-5s  %-*s  %-6s  %s%s\n"
            % (r["id"], r["severity"], width, r["status"], r["age"], r["title"], "  (%s)" % ", ".join(flags) if flags else "")
        )
    return 0


def show(args) -> int:
    """``show ID [--json]``: the incident with its timeline."""
    p = _id_parser("show", "An incident with its timeline.")
    try:
        opts = cli.parse(p, args)
    except cli.UsageError as e:
        return cli.usage_error(p, str(e))
    settings = config.load(paii.config())
    incident_id, code = _locate(opts.id)
    if incident_id is None:
        return code
    incident, code = _load(incident_id)
    if incident is None:
        return code
    row = _row(incident, store.now(), settings)
    if opts.json:
        out = _payload(incident)
        out["escalation_due"] = row["escalation_due"]
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return 0
    w = sys.stdout.write
    w("%s\n" % title_line(incident))
    w("status: %s; declared %s (%s %s)\n" % (incident.get("status"), incident.get("declared_at"), row["age"], "long" if incident.get("status") == "resolved" else "ago"))
    if incident.get("summary"):
        w("summary: %s\n" % incident["summary"])
    w("paging: %s; escalations: %d%s\n" % (incident.get("paging"), incident.get("escalations", 0), "; escalation due" if row["escalation_due"] else ""))
    for pg in incident.get("pages", []):
        w("page: %s %s (%s)%s\n" % (pg.get("dedup_key"), pg.get("status"), pg.get("severity"), " %s" % pg["url"] if pg.get("url") else ""))
    if incident.get("recorded"):
        w("recorded: %s\n" % incident["recorded"])
    if incident.get("postmortem"):
        w("postmortem: %s\n" % incident["postmortem"])
    w("state: %s\n\ntimeline (UTC):\n" % store.path_of(incident_id))
    for e in incident.get("timeline", []):
        w("  %s  %-19s %s\n" % (e.get("at"), e.get("event"), e.get("text")))
    return 0


def severities(args) -> int:
    """``severities [--json]``: the severity table."""
    p = cli.parser("severities", "Print the severity table.")
    try:
        opts = cli.parse(p, args)
    except cli.UsageError as e:
        return cli.usage_error(p, str(e))
    keys = ("severity", "name", "impact", "response", "updates", "postmortem")
    rows = [dict(zip(keys, row)) for row in SEVERITIES]
    for row in rows:
        row["pages"] = row["severity"] in PAGING
        row["pager_severity"] = PAGER_SEVERITY[row["severity"]]
    if opts.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return 0
    for row in rows:
        sys.stdout.write("%s  %-8s  %s\n" % (row["severity"], row["name"], row["impact"]))
        sys.stdout.write("%s  response: %s; updates %s; postmortem %s\n" % (" " * 15, row["response"], row["updates"], row["postmortem"]))
    return 0
