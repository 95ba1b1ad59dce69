"""paii's incident plugin: declares incidents and records them through the MemoryProvider.

Run by paii as ``incident action <name> [args...]``::

    paii run incident --action declare -- --severity SEV-2 --title "..." [--summary TEXT] [--json]
    paii run incident --action severities [-- --json]

Standard library only; talks to paii through the vendored SDK
(``paii_plugin.py``, a byte-for-byte copy of the project's
``sdk/python/paii_plugin.py``). It never calls the network: paging goes
through the PagerDuty and Slack integration plugins, and ``declare`` only
says which of them are wired.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import datetime, timedelta, timezone

from . import paii_plugin as paii

__all__ = ["main", "declare", "severities", "SEVERITIES", "CHECKLIST", "normalise_severity"]

#: The severity table of ``workflows/declare.md`` (a test keeps the two equal):
#: (severity, name, impact, response, updates, postmortem).
SEVERITIES = (
    (
        "SEV-1",
        "Critical",
        "Core service down or data loss or security breach, most customers affected",
        "Page on-call now, 24/7; incident commander and comms lead; tell leadership",
        "every 30 min",
        "required",
    ),
    (
        "SEV-2",
        "Major",
        "Major feature broken or badly degraded, or many customers affected",
        "Page on-call now, 24/7; incident commander",
        "every 60 min",
        "required",
    ),
    (
        "SEV-3",
        "Minor",
        "Limited impact with a workaround, or few customers affected",
        "Owning team during working hours",
        "every 4 hours",
        "if there is something to learn",
    ),
    (
        "SEV-4",
        "Low",
        "No customer impact yet: cosmetic issue, near miss, degraded redundancy",
        "Ticket for the owning team",
        "at resolution",
        "no",
    ),
)

#: The "Declaration checklist" of ``workflows/declare.md`` (a test keeps the two equal).
CHECKLIST = (
    "Name the incident commander; everyone else takes direction from them",
    "Open one incident channel or thread and post the declaration there",
    "Page the on-call responders of the affected services",
    "Start the timeline: every observation, action and decision with its UTC time",
    "Write down the customer impact in one sentence: who, what, since when",
    "Set the time of the next status update and keep to it",
    "Mitigate first (roll back, fail over, turn the feature off); find the root cause later",
    "Escalate when it is not mitigated within the escalation threshold",
)

DEFAULT_SEVERITY = "SEV-3"
DEFAULT_ESCALATION_MINUTES = 30
DEFAULT_POSTMORTEM_REQUIRED = ("SEV-1", "SEV-2")
HISTORY_CATEGORY = "incidents"

#: Exit code of a bad command line for an action (paii's "usage error").
EXIT_USAGE = 2

_SEVERITY_RE = re.compile(r"^\s*sev[-_ ]?([1-4])\s*$", re.IGNORECASE)
_NAMES = {row[0]: row[1] for row in SEVERITIES}


def normalise_severity(text) -> str | None:
    """``"sev-2"``, ``"SEV2"``, ``"Sev-2"`` -> ``"SEV-2"``; anything else -> ``None``."""
    if not isinstance(text, str):
        return None
    m = _SEVERITY_RE.match(text)
    return "SEV-%s" % m.group(1) if m else None


# --- command lines -----------------------------------------------------------


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so the action can return 2."""

    def error(self, message):
        raise _UsageError(message)


def _parser(action: str, description: str) -> _Parser:
    return _Parser(prog="incident action " + action, description=description, allow_abbrev=False)


def _split_args(args, value_options=()):
    """``(rest, values)``: what argparse gets, and the values of
    ``value_options`` taken out of its hands.

    The first bare ``--`` (the separator of ``paii run ... -- ARGS``) is
    dropped, so that flags are accepted before and after it; a later one
    is left to argparse. Each of ``value_options`` takes the argument after
    it (or after its ``=``) as its value, whatever it is: ``--title --``,
    ``--title -x`` (argparse refuses both, and before Python 3.12 drops
    ``--`` even from ``--title=--``). The last occurrence wins, as in
    argparse; an option with nothing after it is left to argparse to report.
    """
    rest, values, dropped, i = [], {}, False, 0
    while i < len(args):
        a = args[i]
        name, eq, inline = a.partition("=")
        if a in value_options and i + 1 < len(args):
            values[a] = args[i + 1]
            i += 2
            continue
        if eq and name in value_options:
            values[name] = inline
        elif a == "--" and not dropped:
            dropped = True
        else:
            rest.append(a)
        i += 1
    return rest, values


def _parse(parser: _Parser, args, value_options=()):
    """The parsed options, ``value_options`` included (see
    :func:`_split_args`); raises :class:`_UsageError`."""
    rest, values = _split_args(args, value_options)
    opts = parser.parse_args(rest)
    for option, value in values.items():
        setattr(opts, option[2:].replace("-", "_"), value)
    return opts


def _usage_error(parser: _Parser, message: str) -> int:
    sys.stderr.write("incident: %s\n%s" % (message, parser.format_usage()))
    return EXIT_USAGE


def _severity_choices() -> str:
    return ", ".join(row[0] for row in SEVERITIES)


# --- config ------------------------------------------------------------------


def _settings(cfg: dict) -> dict:
    """The config keys this plugin reads, each checked, with the defaults."""
    minutes = cfg.get("escalation_threshold_minutes", DEFAULT_ESCALATION_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes <= 0:
        paii.log("config escalation_threshold_minutes = %r is not a positive integer; using %d" % (minutes, DEFAULT_ESCALATION_MINUTES))
        minutes = DEFAULT_ESCALATION_MINUTES
    default = cfg.get("default_severity", DEFAULT_SEVERITY)
    default_severity = normalise_severity(default)
    if default_severity is None:
        paii.log("config default_severity = %r is not one of %s; using %s" % (default, _severity_choices(), DEFAULT_SEVERITY))
        default_severity = DEFAULT_SEVERITY
    required = cfg.get("postmortem_required_for", list(DEFAULT_POSTMORTEM_REQUIRED))
    if not isinstance(required, list):
        paii.log("config postmortem_required_for is not an array; using %s" % ", ".join(DEFAULT_POSTMORTEM_REQUIRED))
        required = list(DEFAULT_POSTMORTEM_REQUIRED)
    postmortem = set()
    for item in required:
        sev = normalise_severity(item)
        if sev is None:
            paii.log("config postmortem_required_for: %r is not a severity; ignored" % (item,))
        else:
            postmortem.add(sev)
    return {"escalation_minutes": minutes, "default_severity": default_severity, "postmortem_required_for": postmortem}


# --- the record --------------------------------------------------------------


def _utc(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def build_incident(severity: str, title: str, summary: str | None, settings: dict, now: datetime, integrations: dict) -> dict:
    """The incident as data (what ``--json`` prints, less where it was recorded)."""
    escalate_at = now + timedelta(minutes=settings["escalation_minutes"])
    return {
        "id": now.strftime("INC-%Y%m%d-%H%M%S"),
        "severity": severity,
        "severity_name": _NAMES[severity],
        "title": title,
        "summary": summary,
        "status": "investigating",
        "declared_at": _utc(now),
        "escalation_threshold_minutes": settings["escalation_minutes"],
        "escalate_at": _utc(escalate_at),
        "postmortem_required": severity in settings["postmortem_required_for"],
        "checklist": list(CHECKLIST),
        "integrations": dict(integrations),
    }


def title_line(incident: dict) -> str:
    return "%s: [%s] %s" % (incident["id"], incident["severity"], incident["title"])


def _integration_text(service: str, provider: str | None) -> str:
    if provider is None:
        return "%s: none" % service
    if service == "pagerduty":
        return "pagerduty: would page PagerDuty through plugin `%s`" % provider
    return "slack: would notify Slack through `%s`" % provider


def render_body(incident: dict) -> str:
    """The Markdown body recorded in the history (the title is recorded apart)."""
    declared = incident["declared_at"].replace("T", " ").replace("Z", " UTC")
    escalate = incident["escalate_at"].replace("T", " ").replace("Z", " UTC")
    sev = incident["severity"]
    pd = incident["integrations"].get("pagerduty")
    slack = incident["integrations"].get("slack")
    lines = [
        "- **Incident:** %s" % incident["id"],
        "- **Severity:** %s (%s)" % (sev, incident["severity_name"]),
        "- **Status:** %s" % incident["status"],
        "- **Declared:** %s" % declared,
        "- **Escalate at:** %s, when not mitigated within %d minutes" % (escalate, incident["escalation_threshold_minutes"]),
        "- **Postmortem:** %s" % ("required" if incident["postmortem_required"] else "not required"),
        "- **PagerDuty:** %s" % ("through `%s`" % pd if pd else "not wired"),
        "- **Slack:** %s" % ("through `%s`" % slack if slack else "not wired"),
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


def _record(provider: str, incident: dict, body: str):
    """Records through the MemoryProvider: ``(path or None, error or None)``."""
    args = ["--category", HISTORY_CATEGORY, "--title", title_line(incident), "--body", body, "--json"]
    try:
        done = paii.run_action(provider, "record", args)
    except OSError as e:
        return None, "cannot run paii (%s); is it installed, or PAII_BIN set?" % e
    if done.returncode != 0:
        detail = (done.stderr or done.stdout or "").strip()
        return None, "`%s` exited with %d%s" % (provider, done.returncode, ": " + detail if detail else "")
    return _path_from(done.stdout), None


def _path_from(stdout: str) -> str | None:
    text = (stdout or "").strip()
    candidates = [text] + list(reversed(text.splitlines()))
    for candidate in candidates:
        try:
            value = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(value, dict) and isinstance(value.get("path"), str) and value["path"]:
            return value["path"]
    return None


# --- actions -----------------------------------------------------------------


def declare(args) -> int:
    """``declare --severity SEV-N --title TEXT [--summary TEXT] [--json]``."""
    parser = _parser("declare", "Declare an incident and record it through the MemoryProvider.")
    parser.add_argument("--severity", help="%s (default: the default_severity config)" % _severity_choices())
    parser.add_argument("--title", help="one line: what is broken, for whom, where (required)")
    parser.add_argument("--summary", help="what is known so far")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    try:
        opts = _parse(parser, args, ("--severity", "--title", "--summary"))
    except _UsageError as e:
        return _usage_error(parser, str(e))
    if opts.title is None:
        return _usage_error(parser, "the following arguments are required: --title")

    settings = _settings(paii.config())
    if opts.severity is None:
        severity = settings["default_severity"]
    else:
        severity = normalise_severity(opts.severity)
        if severity is None:
            return _usage_error(
                parser,
                "unknown severity `%s`: use one of %s (SEV-1 is the most severe; "
                "`paii run incident --action severities` shows the table)" % (opts.severity, _severity_choices()),
            )
    title = " ".join(opts.title.split())
    if not title:
        return _usage_error(parser, "--title is empty: say what is broken, for whom, where")
    summary = opts.summary.strip() if opts.summary and opts.summary.strip() else None

    integrations = {"pagerduty": paii.contract("pagerduty"), "slack": paii.contract("slack")}
    incident = build_incident(severity, title, summary, settings, datetime.now(timezone.utc).replace(microsecond=0), integrations)
    body = render_body(incident)

    provider = paii.contract("memory")
    path, error = (None, None)
    if provider is not None:
        path, error = _record(provider, incident, body)
        if error is not None:
            sys.stderr.write("incident: could not record %s through the MemoryProvider: %s\n" % (incident["id"], error))
        elif path is None:
            sys.stderr.write("incident: `%s` recorded %s but did not say where\n" % (provider, incident["id"]))

    if opts.json:
        out = dict(incident)
        out["recorded"] = path
        out["memory"] = provider
        if error is not None:
            out["error"] = error
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")
        return 1 if error is not None else 0

    w = sys.stdout.write
    w("Declared %s\n" % title_line(incident))
    if provider is not None and error is None:
        w("recorded: %s (through `%s`)\n" % (path or "(location not reported)", provider))
    else:
        w("\n# %s\n\n%s\n" % (title_line(incident), body))
        if provider is None:
            w("not recorded: no MemoryProvider wired; install history (`paii plugin install history`)\n")
        else:
            w("not recorded: the MemoryProvider `%s` failed (see stderr); keep this record in the incident channel\n" % provider)
    w("escalate at %s if not mitigated (threshold %d minutes)\n" % (incident["escalate_at"], incident["escalation_threshold_minutes"]))
    w(_integration_text("pagerduty", integrations["pagerduty"]) + "\n")
    w(_integration_text("slack", integrations["slack"]) + "\n")
    if incident["postmortem_required"]:
        w("postmortem: required for %s (workflows/postmortem.md)\n" % severity)
    w("next: work through the declaration checklist (workflows/declare.md)\n")
    return 1 if error is not None else 0


def severities(args) -> int:
    """``severities [--json]``: the severity table."""
    parser = _parser("severities", "Print the severity table.")
    parser.add_argument("--json", action="store_true", help="print a JSON array")
    try:
        opts = _parse(parser, args)
    except _UsageError as e:
        return _usage_error(parser, str(e))
    keys = ("severity", "name", "impact", "response", "updates", "postmortem")
    rows = [dict(zip(keys, row)) for row in SEVERITIES]
    if opts.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False) + "\n")
        return 0
    for row in rows:
        sys.stdout.write("%s  %-8s  %s\n" % (row["severity"], row["name"], row["impact"]))
        sys.stdout.write("%s  response: %s; updates %s; postmortem %s\n" % (" " * 15, row["response"], row["updates"], row["postmortem"]))
    return 0


ACTIONS = {"declare": declare, "severities": severities}


def main(argv=None) -> int:
    """The console script ``incident``: ``incident action <name> [args...]``."""
    os.environ.setdefault("PAII_PLUGIN_NAME", "incident")
    return paii.main({}, ACTIONS, argv)
