"""The config keys this plugin reads, each checked against its valid range.

A bad value is never replaced silently: the action still runs (an incident
must be declarable whatever the config says), with the default, and says so
on stderr and in its ``--json`` output (``warnings``), naming the key, the
value found, the valid range, the value used and the command that fixes it.
"""

from __future__ import annotations

from . import paii_plugin as paii
from .severity import choices, normalise_severity

DEFAULT_SEVERITY = "SEV-3"
DEFAULT_ESCALATION_MINUTES = 30
DEFAULT_POSTMORTEM_REQUIRED = ("SEV-1", "SEV-2")
DEFAULT_SLACK_CHANNEL = ""

#: Valid escalation thresholds, in minutes: beyond a day an incident is not
#: escalated by a clock any more, it is managed.
ESCALATION_MINUTES_RANGE = (1, 1440)


def _fix(key: str, example: str) -> str:
    return "`paii config set incident.%s %s`" % (key, example)


def load(cfg: dict) -> dict:
    """``{"escalation_minutes", "default_severity", "postmortem_required_for",
    "slack_channel", "warnings"}``; each warning is also logged."""
    warnings = []

    def warn(text):
        warnings.append(text)
        paii.log("warning: " + text)

    low, high = ESCALATION_MINUTES_RANGE
    minutes = cfg.get("escalation_threshold_minutes", DEFAULT_ESCALATION_MINUTES)
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not low <= minutes <= high:
        warn(
            "config escalation_threshold_minutes = %s is not a whole number of minutes from %d to %d; "
            "using the default, %d minutes (fix it: %s)"
            % (_shown(minutes), low, high, DEFAULT_ESCALATION_MINUTES, _fix("escalation_threshold_minutes", "N"))
        )
        minutes = DEFAULT_ESCALATION_MINUTES

    default = cfg.get("default_severity", DEFAULT_SEVERITY)
    default_severity = normalise_severity(default)
    if default_severity is None:
        warn(
            "config default_severity = %s is not one of %s; using the default, %s (fix it: %s)"
            % (_shown(default), choices(), DEFAULT_SEVERITY, _fix("default_severity", "SEV-N"))
        )
        default_severity = DEFAULT_SEVERITY

    required = cfg.get("postmortem_required_for", list(DEFAULT_POSTMORTEM_REQUIRED))
    if not isinstance(required, list):
        warn(
            "config postmortem_required_for = %s is not an array of severities; using the default, %s"
            % (_shown(required), ", ".join(DEFAULT_POSTMORTEM_REQUIRED))
        )
        required = list(DEFAULT_POSTMORTEM_REQUIRED)
    postmortem = set()
    for item in required:
        sev = normalise_severity(item)
        if sev is None:
            warn("config postmortem_required_for: %s is not one of %s; ignored" % (_shown(item), choices()))
        else:
            postmortem.add(sev)

    channel = cfg.get("slack_channel", DEFAULT_SLACK_CHANNEL)
    if not isinstance(channel, str):
        warn("config slack_channel = %s is not a string; posting to the chat plugin's default channel" % _shown(channel))
        channel = DEFAULT_SLACK_CHANNEL
    channel = channel.strip()

    return {
        "escalation_minutes": minutes,
        "default_severity": default_severity,
        "postmortem_required_for": postmortem,
        "slack_channel": channel,
        "warnings": warnings,
    }


def _shown(value) -> str:
    import json

    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)
