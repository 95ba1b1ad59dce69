"""The severity table and the declaration checklist of ``workflows/declare.md``
(a test keeps the code and the document equal), and what follows from them:
which severities page, and at which PagerDuty severity."""

from __future__ import annotations

import re

#: (severity, name, impact, response, updates, postmortem), most severe first.
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

NAMES = {row[0]: row[1] for row in SEVERITIES}

# Derived from the table's "Response" column, so that the document people
# read and the paging the code does cannot drift apart.
PAGING = tuple(row[0] for row in SEVERITIES if row[3].startswith("Page on-call"))

#: PagerDuty Events API v2 severities, most severe first, one per row.
PAGER_SEVERITY = {"SEV-1": "critical", "SEV-2": "error", "SEV-3": "warning", "SEV-4": "info"}

#: An escalation pages the next level of on-call: always at the top.
ESCALATION_PAGER_SEVERITY = "critical"

_SEVERITY_RE = re.compile(r"^\s*sev[-_ ]?([1-4])\s*$", re.IGNORECASE)


def normalise_severity(text) -> str | None:
    """``"sev-2"``, ``"SEV2"``, ``"Sev-2"`` -> ``"SEV-2"``; anything else -> ``None``."""
    if not isinstance(text, str):
        return None
    m = _SEVERITY_RE.match(text)
    return "SEV-%s" % m.group(1) if m else None


def rank(severity: str) -> int:
    """1 for SEV-1 (the most severe) .. 4."""
    return int(severity[-1])


def choices() -> str:
    return ", ".join(row[0] for row in SEVERITIES)
