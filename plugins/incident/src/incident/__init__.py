"""paii's incident plugin: the lifecycle of an incident, from declaration to
postmortem, acting through the plugins the lock wired to its ``[consumes]``.

Run by paii as ``incident action <name> [args...]``::

    paii run incident --action declare -- --severity SEV-2 --title "..." [--summary TEXT]
    paii run incident --action update -- ID [--note TEXT] [--severity SEV-N] [--status S]
    paii run incident --action escalate -- ID [--force] [--note TEXT]
    paii run incident --action page -- ID
    paii run incident --action resolve -- ID [--note TEXT]
    paii run incident --action list [-- --all]
    paii run incident --action show -- ID
    paii run incident --action postmortem -- ID [--force]
    paii run incident --action severities

Every action takes ``--json``. Standard library only; talks to paii through
the vendored SDK (``paii_plugin.py``, a byte-for-byte copy of the project's
``sdk/python/paii_plugin.py``). It never calls the network itself: paging,
chat and the history go through the plugins wired to ``pagerduty``,
``slack`` and ``memory`` (``PAII_CONTRACT_<KEY>``).

- ``severity``: the severity table and checklist of ``workflows/declare.md``;
- ``settings``: the config, each value checked, none replaced silently;
- ``store``: the incidents' state files, ids, locks;
- ``providers``: the calls through ``paii run``;
- ``actions``: the lifecycle; ``postmortem``: the draft.
"""

from __future__ import annotations

import os

from . import paii_plugin as paii
from .actions import declare, escalate, list_, page, resolve, severities, show, update
from .cli import EXIT_USAGE, split_args as _split_args  # noqa: F401  (the tests' entry to it)
from .postmortem import postmortem
from .settings import DEFAULT_ESCALATION_MINUTES, DEFAULT_POSTMORTEM_REQUIRED, DEFAULT_SEVERITY, ESCALATION_MINUTES_RANGE
from .severity import CHECKLIST, PAGER_SEVERITY, PAGING, SEVERITIES, normalise_severity

__all__ = [
    "main",
    "ACTIONS",
    "SEVERITIES",
    "CHECKLIST",
    "PAGING",
    "PAGER_SEVERITY",
    "normalise_severity",
    "DEFAULT_SEVERITY",
    "DEFAULT_ESCALATION_MINUTES",
    "DEFAULT_POSTMORTEM_REQUIRED",
    "ESCALATION_MINUTES_RANGE",
    "EXIT_USAGE",
]

#: plugin.toml's ``[run] actions`` lists exactly these (a test keeps them equal).
ACTIONS = {
    "declare": declare,
    "update": update,
    "escalate": escalate,
    "page": page,
    "resolve": resolve,
    "list": list_,
    "show": show,
    "postmortem": postmortem,
    "severities": severities,
}


def main(argv=None) -> int:
    """The console script ``incident``: ``incident action <name> [args...]``."""
    os.environ.setdefault("PAII_PLUGIN_NAME", "incident")
    return paii.main({}, ACTIONS, argv)
