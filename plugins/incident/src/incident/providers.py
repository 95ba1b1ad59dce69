"""The plugins this one acts through, each reached with ``paii run`` under the
name the lock wired to the ``[consumes]`` key (``PAII_CONTRACT_<KEY>``),
never a hard-coded one:

- ``memory`` (MemoryProvider): ``record ... --json`` -> ``{"path": ...}``,
  ``query TEXT --json`` -> ``[{category, date, path, title, line, ...}]``;
- ``pagerduty`` (IntegrationProvider for pagerduty):
  ``trigger --summary S --severity L --dedup-key K --json``,
  ``resolve --dedup-key K --json``;
- ``slack`` (IntegrationProvider for slack): ``post --text T [--channel C] --json``.

An integration answers one JSON object on stdout and exits 0, or exits
non-zero with its reason on stderr (a missing or rejected key, say); paii
itself fails the same way when it cannot run the plugin at all.
"""

from __future__ import annotations

import json

from . import paii_plugin as paii

PAGER, CHAT, MEMORY = "pagerduty", "slack", "memory"

NOT_WIRED = {
    PAGER: "no pager is wired (consumes `pagerduty`: install a plugin that provides IntegrationProvider for pagerduty)",
    CHAT: "no chat is wired (consumes `slack`: install a plugin that provides IntegrationProvider for slack)",
    MEMORY: "no MemoryProvider wired; install history (`paii plugin install history`)",
}

# PagerDuty's Events API refuses a longer summary.
MAX_SUMMARY = 1024
_MAX_ERROR = 1000


class Outcome:
    """What one call through paii did: ``ok`` with the answer in ``data``, or
    not, with ``error`` saying why in one line."""

    __slots__ = ("provider", "ok", "data", "error")

    def __init__(self, provider, ok, data=None, error=None):
        self.provider = provider
        self.ok = ok
        self.data = data
        self.error = error


def wired(key: str) -> str | None:
    return paii.contract(key)


def call(provider: str, action: str, args: list) -> Outcome:
    try:
        done = paii.run_action(provider, action, args)
    except OSError as e:
        return Outcome(provider, False, error="cannot run paii (%s); is it installed, or PAII_BIN set?" % e)
    if done.returncode != 0:
        detail = "; ".join(line.strip() for line in (done.stderr or done.stdout or "").splitlines() if line.strip())
        if len(detail) > _MAX_ERROR:
            detail = detail[:_MAX_ERROR] + "…"
        return Outcome(provider, False, error="`%s` exited with %d%s" % (provider, done.returncode, ": " + detail if detail else ""))
    return Outcome(provider, True, data=_json_from(done.stdout))


def _json_from(stdout: str):
    """The JSON value on stdout: all of it, else its last line that is one."""
    text = (stdout or "").strip()
    for candidate in [text] + list(reversed(text.splitlines())):
        try:
            return json.loads(candidate)
        except ValueError:
            continue
    return None


def trigger(provider: str, summary: str, level: str, dedup_key: str) -> Outcome:
    if len(summary) > MAX_SUMMARY:
        summary = summary[: MAX_SUMMARY - 1] + "…"
    return call(provider, "trigger", ["--summary", summary, "--severity", level, "--dedup-key", dedup_key, "--json"])


def resolve(provider: str, dedup_key: str) -> Outcome:
    return call(provider, "resolve", ["--dedup-key", dedup_key, "--json"])


def post(provider: str, text: str, channel: str) -> Outcome:
    args = ["--text", text]
    if channel:
        args += ["--channel", channel]
    return call(provider, "post", args + ["--json"])


def record(provider: str, title: str, body: str) -> Outcome:
    """Files an entry in the history (category ``incidents``); ``data`` is its
    path, or ``None`` when the provider did not say."""
    out = call(provider, "record", ["--category", "incidents", "--title", title, "--body", body, "--json"])
    if out.ok:
        value = out.data
        out.data = value["path"] if isinstance(value, dict) and isinstance(value.get("path"), str) and value["path"] else None
    return out


def query(provider: str, text: str) -> Outcome:
    """``data`` is the provider's list of matching entries (dicts only)."""
    out = call(provider, "query", [text, "--json"])
    if out.ok:
        if not isinstance(out.data, list):
            return Outcome(provider, False, error="`%s` query did not answer a JSON array" % provider)
        out.data = [e for e in out.data if isinstance(e, dict)]
    return out
