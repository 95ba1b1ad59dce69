"""paii's PagerDuty plugin: pages, acknowledges and resolves through
PagerDuty's own APIs.

Run by paii as ``pagerduty action <name> [args...]``::

    paii run pagerduty --action trigger -- --summary S [--severity critical|error|warning|info] [--source S] [--dedup-key K] [--service ID] [--json]
    paii run pagerduty --action acknowledge -- (--dedup-key K | --id INCIDENT_ID) [--json]
    paii run pagerduty --action resolve -- (--dedup-key K | --id INCIDENT_ID) [--json]

With ``PAGERDUTY_ROUTING_KEY`` (an Events API v2 integration key) events go
to ``{events_url}/v2/enqueue``; without it, ``PAGERDUTY_API_KEY`` (or the
MCP server's ``PAGERDUTY_USER_API_KEY``) drives the REST API v2 at
``{api_url}``. Standard library only.
"""

from __future__ import annotations

import json
import os
import socket
import urllib.parse

from . import client
from . import paii_plugin as paii

__all__ = ["main", "ACTIONS", "trigger", "acknowledge", "resolve"]

PLUGIN = "pagerduty"
VERSION = "1.0.0"

DEFAULT_EVENTS_URL = "https://events.pagerduty.com"
DEFAULT_API_URL = "https://api.pagerduty.com"
SEVERITIES = ("critical", "error", "warning", "info")
DEFAULT_SEVERITY = "error"

ROUTING_KEY = "PAGERDUTY_ROUTING_KEY"
API_KEY = "PAGERDUTY_API_KEY"
#: The MCP server's token (a user API token): the REST API takes it too.
USER_API_KEY = "PAGERDUTY_USER_API_KEY"

#: PagerDuty's incidents have two urgencies; the Events API's four severities
#: map onto them as PagerDuty's own default event rules do.
URGENCY = {"critical": "high", "error": "high", "warning": "low", "info": "low"}


# --- settings ----------------------------------------------------------------


class _Settings:
    def __init__(self):
        cfg = client.config()
        self.events_url = client.config_url(cfg, "events_url", DEFAULT_EVENTS_URL) or DEFAULT_EVENTS_URL
        self.api_url = client.config_url(cfg, "api_url", DEFAULT_API_URL) or DEFAULT_API_URL
        self.from_email = client.config_str(cfg, "from_email")
        self.service_id = client.config_str(cfg, "service_id")
        self.timeout = client.config_timeout(cfg)
        self.routing_key = client.secret(ROUTING_KEY)
        api_key = client.secret(API_KEY)
        self.api_key_name = API_KEY
        if api_key is None:
            api_key = client.secret(USER_API_KEY)
            self.api_key_name = USER_API_KEY
        self.api_key = api_key

    def need_a_key(self) -> client.Failure:
        return client.missing(
            [
                "a PagerDuty key: put %s=<Events API v2 integration key> or %s=<REST API key> in %s"
                % (ROUTING_KEY, API_KEY, client.dotenv())
            ]
        )


# --- the Events API v2 -------------------------------------------------------


def _events_error(status, data, text):
    if not isinstance(data, dict):
        return None
    parts = [str(data.get("message") or data.get("status") or "")]
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        parts.append("; ".join(str(e) for e in errors))
    said = ": ".join(p for p in parts if p)
    # The Events API refuses a bad key with a 400 about the event, not a 401.
    if "routing" in said.lower() and "key" in said.lower():
        said += "; check %s in %s (the Integration Key of an Events API v2 integration)" % (ROUTING_KEY, client.dotenv())
    return said or None


def _enqueue(s: _Settings, event: dict) -> dict:
    _, data = client.request(
        "POST",
        s.events_url + "/v2/enqueue",
        {"Accept": "application/json", "User-Agent": client.user_agent(PLUGIN, VERSION)},
        body=event,
        timeout=s.timeout,
        expect=(202,),
        explain=_events_error,
        hint="check %s in %s (the Integration Key of an Events API v2 integration)" % (ROUTING_KEY, client.dotenv()),
    )
    if not isinstance(data, dict):
        raise client.Failure("PagerDuty's Events API accepted the event but answered no JSON object")
    return data


# --- the REST API v2 ---------------------------------------------------------


def _rest_error(status, data, text):
    if not isinstance(data, dict):
        return None
    err = data.get("error")
    if isinstance(err, dict):
        msg = str(err.get("message") or "")
        if err.get("code") is not None:
            msg += " (code %s)" % err.get("code")
        details = err.get("errors")
        if isinstance(details, list) and details:
            msg += ": " + "; ".join(str(d) for d in details)
        return msg.strip() or None
    if isinstance(err, str):
        return err
    return None


def _rest(s: _Settings, method: str, path: str, body=None, expect=(200,), writes=True) -> dict:
    headers = {
        "Authorization": "Token token=%s" % s.api_key,
        "Accept": "application/vnd.pagerduty+json;version=2",
        "User-Agent": client.user_agent(PLUGIN, VERSION),
    }
    if body is not None:
        headers["Content-Type"] = "application/json"
    if writes and s.from_email:
        headers["From"] = s.from_email
    _, data = client.request(
        method,
        s.api_url + path,
        headers,
        body=body,
        timeout=s.timeout,
        expect=expect,
        explain=_rest_error,
        hint="check %s in %s (a REST API key, not an integration key)" % (s.api_key_name, client.dotenv()),
    )
    if not isinstance(data, dict):
        raise client.Failure("PagerDuty's REST API answered %s %s without a JSON object" % (method, path))
    return data


def _need_from(s: _Settings) -> None:
    # PagerDuty requires `From` (a user's email) when an account API key
    # creates or changes an incident; a user token acts as its user.
    if not s.from_email and s.api_key_name != USER_API_KEY:
        raise client.Failure(
            "PagerDuty's REST API needs the email of a PagerDuty user to act as (its `From` header): "
            "set `from_email` in the pagerduty config (`[config.pagerduty]` in paii.toml, or "
            "$PAII_HOME/config/pagerduty.toml)"
        )


def _incident(data: dict) -> dict:
    inc = data.get("incident")
    if not isinstance(inc, dict):
        raise client.Failure("PagerDuty's REST API answered without the incident")
    return inc


def _open_by_key(s: _Settings, dedup_key: str):
    """The open (triggered or acknowledged) incident with this key, or None."""
    query = urllib.parse.urlencode(
        [("incident_key", dedup_key), ("statuses[]", "triggered"), ("statuses[]", "acknowledged")]
    )
    data = _rest(s, "GET", "/incidents?" + query, writes=False)
    found = [i for i in data.get("incidents") or [] if isinstance(i, dict) and i.get("id")]
    return found[0] if found else None


# --- output ------------------------------------------------------------------


def _result(api: str, action: str, dedup_key=None, id=None, status=None, url=None) -> dict:
    return {"service": PLUGIN, "api": api, "action": action, "dedup_key": dedup_key, "id": id, "status": status, "url": url}


def _rest_result(action: str, inc: dict, dedup_key=None) -> dict:
    # An incident grouping several alerts has no incident_key of its own.
    key = inc.get("incident_key") or dedup_key
    return _result("rest", action, key, inc.get("id"), inc.get("status"), inc.get("html_url"))


def _rest_line(inc: dict) -> str:
    number = inc.get("incident_number")
    name = "#%s (%s)" % (number, inc.get("id")) if number is not None else str(inc.get("id"))
    line = "PagerDuty: incident %s is %s" % (name, inc.get("status") or "unknown")
    return line + (": %s" % inc["html_url"] if inc.get("html_url") else "")


# --- actions -----------------------------------------------------------------


def _trigger_parser():
    p = client.parser(PLUGIN, "trigger", "Page: trigger a PagerDuty alert (Events API v2) or incident (REST API).")
    p.add_argument("--summary", help="what is wrong, one line (required)")
    p.add_argument("--severity", choices=SEVERITIES, default=DEFAULT_SEVERITY, help="default: %(default)s")
    p.add_argument("--source", help="the affected system (default: this host's name)")
    p.add_argument("--dedup-key", help="deduplication key: later events with it update the same alert")
    p.add_argument("--service", help="REST API: the service ID (default: the service_id config)")
    return p


@client.action(PLUGIN, _trigger_parser, ("--summary", "--source", "--dedup-key", "--service"), required=("--summary",))
def trigger(opts) -> int:
    summary = client.nonblank(opts.summary, "--summary")
    source = (opts.source or "").strip() or socket.gethostname() or "paii"
    dedup_key = client.nonblank(opts.dedup_key, "--dedup-key") if opts.dedup_key is not None else None
    s = _Settings()
    if s.routing_key:
        event = {"routing_key": s.routing_key, "event_action": "trigger"}
        if dedup_key:
            event["dedup_key"] = dedup_key
        event["payload"] = {"summary": summary, "source": source, "severity": opts.severity}
        data = _enqueue(s, event)
        key = data.get("dedup_key") or dedup_key
        return client.emit(
            opts.json,
            _result("events", "trigger", key, None, data.get("status"), None),
            "PagerDuty: triggered alert %s (%s)" % (key, data.get("message") or data.get("status") or "accepted"),
        )
    if not s.api_key:
        raise s.need_a_key()
    service = (opts.service or "").strip() or s.service_id
    if not service:
        raise client.UsageError(
            "no PagerDuty service: give --service ID or set `service_id` in the pagerduty config "
            "(the REST API needs it; with %s the Events API takes it from the key)" % ROUTING_KEY
        )
    _need_from(s)
    incident = {
        "type": "incident",
        "title": summary,
        "service": {"id": service, "type": "service_reference"},
        "urgency": URGENCY[opts.severity],
        "body": {"type": "incident_body", "details": "%s\n\nSource: %s\nSeverity: %s" % (summary, source, opts.severity)},
    }
    if dedup_key:
        incident["incident_key"] = dedup_key
        # PagerDuty rejects a second incident with the key of an open one;
        # paging again is answered with that one, as the Events API does.
        open_one = _open_by_key(s, dedup_key)
        if open_one is not None:
            line = _rest_line(open_one) + " (already open with this key)"
            return client.emit(opts.json, _rest_result("trigger", open_one, dedup_key), line)
    inc = _incident(_rest(s, "POST", "/incidents", {"incident": incident}, expect=(201,)))
    return client.emit(opts.json, _rest_result("trigger", inc), _rest_line(inc))


def _change_parser(action: str, what: str):
    def build():
        p = client.parser(PLUGIN, action, "%s a PagerDuty alert (Events API v2) or incident (REST API)." % what)
        p.add_argument("--dedup-key", help="the alert's deduplication key (what trigger printed)")
        p.add_argument("--id", help="REST API: the incident's ID (e.g. PT4KHLK)")
        return p

    return build


def _change(opts, action: str, status: str) -> int:
    if (opts.dedup_key is None) == (opts.id is None):
        raise client.UsageError("give one of --dedup-key KEY or --id INCIDENT_ID")
    key = client.nonblank(opts.dedup_key, "--dedup-key") if opts.dedup_key is not None else None
    incident_id = client.nonblank(opts.id, "--id") if opts.id is not None else None
    s = _Settings()
    if key is not None and s.routing_key:
        data = _enqueue(s, {"routing_key": s.routing_key, "event_action": action, "dedup_key": key})
        key = data.get("dedup_key") or key
        return client.emit(
            opts.json,
            _result("events", action, key, None, data.get("status"), None),
            "PagerDuty: sent %s for alert %s (%s)" % (action, key, data.get("message") or data.get("status") or "accepted"),
        )
    if not s.api_key:
        if incident_id is not None and s.routing_key:
            raise client.missing(
                ["%s: --id needs the REST API; put %s in %s, or give --dedup-key for the Events API" % (API_KEY, API_KEY, client.dotenv())]
            )
        raise s.need_a_key()
    _need_from(s)
    if incident_id is None:
        found = _open_by_key(s, key)
        if found is None:
            raise client.Failure("PagerDuty has no open incident with the key %s" % json.dumps(key))
        incident_id = str(found["id"])
    body = {"incident": {"type": "incident_reference", "status": status}}
    inc = _incident(_rest(s, "PUT", "/incidents/" + urllib.parse.quote(incident_id, safe=""), body))
    return client.emit(opts.json, _rest_result(action, inc, key), _rest_line(inc))


@client.action(PLUGIN, _change_parser("acknowledge", "Acknowledge"), ("--dedup-key", "--id"))
def acknowledge(opts) -> int:
    return _change(opts, "acknowledge", "acknowledged")


@client.action(PLUGIN, _change_parser("resolve", "Resolve"), ("--dedup-key", "--id"))
def resolve(opts) -> int:
    return _change(opts, "resolve", "resolved")


ACTIONS = {"trigger": trigger, "acknowledge": acknowledge, "resolve": resolve}


def main(argv=None) -> int:
    """The console script ``pagerduty``: ``pagerduty action <name> [args...]``."""
    os.environ.setdefault("PAII_PLUGIN_NAME", PLUGIN)
    return paii.main(hooks={}, actions=ACTIONS, argv=argv)
