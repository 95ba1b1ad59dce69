"""The pagerduty actions against a PagerDuty played on 127.0.0.1.

The fake checks every request as PagerDuty documents it (Events API v2:
https://developer.pagerduty.com/docs/events-api-v2/trigger-events/; REST
API v2: https://developer.pagerduty.com/api-reference/) and answers as
PagerDuty does, errors included; a request it finds wrong is also listed
in ``problems``, which every test expects empty.
"""

from __future__ import annotations

import pytest
from conftest import closed_port_url

ROUTING_KEY = "R0ut1ngKeyR0ut1ngKeyR0ut1ngKey01"
API_KEY = "u+ApiKeySecretValue_abc123"
USER_KEY = "u+UserTokenSecretValue_xyz789"
FROM = "oncall@example.com"

EVENT_KEYS = {"routing_key", "event_action", "dedup_key", "payload", "client", "client_url", "links", "images"}
SEVERITIES = {"critical", "error", "warning", "info"}


class PagerDuty:
    def __init__(self, vendor_factory, keys=(API_KEY, USER_KEY)):
        self.problems = []
        self.keys = keys
        self.incidents = {
            "PEXIST1": {"id": "PEXIST1", "incident_number": 41, "status": "triggered", "incident_key": "db-down", "title": "DB down"},
        }
        self.vendor = vendor_factory(self.app)
        self.seen = self.vendor.seen
        self.config = {"events_url": self.vendor.url, "api_url": self.vendor.url}

    def problem(self, text):
        self.problems.append(text)

    # --- the Events API v2 ---

    def enqueue(self, ex):
        if ex.method != "POST":
            self.problem("enqueue with %s" % ex.method)
            return 405, {"status": "invalid request", "message": "Method not allowed"}, {}
        if not (ex.header("Content-Type") or "").startswith("application/json"):
            self.problem("enqueue with Content-Type %r" % ex.header("Content-Type"))
            return 400, {"status": "invalid event", "message": "Event object is invalid", "errors": ["Content-Type must be application/json"]}, {}
        if ex.header("Authorization") is not None:
            self.problem("the Events API takes no Authorization header")
        event = ex.json
        if not isinstance(event, dict):
            return 400, {"status": "invalid event", "message": "Event object is invalid", "errors": ["Malformed JSON"]}, {}
        errors = []
        if set(event) - EVENT_KEYS:
            self.problem("unknown event fields %s" % sorted(set(event) - EVENT_KEYS))
        if not event.get("routing_key"):
            errors.append("'routing_key' is missing or blank")
        action = event.get("event_action")
        if action not in ("trigger", "acknowledge", "resolve"):
            errors.append("'event_action' is invalid (must be one of: trigger, acknowledge, resolve)")
        if action == "trigger":
            payload = event.get("payload")
            if not isinstance(payload, dict):
                errors.append("'payload' is missing or blank")
            else:
                for field in ("summary", "source", "severity"):
                    if not payload.get(field):
                        errors.append("'payload.%s' is missing or blank" % field)
                if payload.get("severity") and payload["severity"] not in SEVERITIES:
                    errors.append("'payload.severity' is invalid (must be one of: critical, error, warning, info)")
        elif action in ("acknowledge", "resolve"):
            if not event.get("dedup_key"):
                errors.append("'dedup_key' is missing or blank")
            if "payload" in event:
                self.problem("%s event with a payload" % action)
        if errors:
            self.problem("; ".join(errors))
            return 400, {"status": "invalid event", "message": "Event object is invalid", "errors": errors}, {}
        if event["routing_key"] != ROUTING_KEY:
            return 400, {"status": "invalid event", "message": "Event object is invalid", "errors": ["Invalid routing key"]}, {}
        key = event.get("dedup_key") or "4ba1b7e0a3a04cd3b29e5b3d4e7c9f00"
        return 202, {"status": "success", "message": "Event processed", "dedup_key": key}, {}

    # --- the REST API v2 ---

    def rest(self, ex):
        if ex.header("Accept") != "application/vnd.pagerduty+json;version=2":
            self.problem("REST request with Accept %r" % ex.header("Accept"))
        auth = ex.header("Authorization") or ""
        if not auth.startswith("Token token="):
            self.problem("REST Authorization header not in the `Token token=` form: %r" % auth[:12])
            return 401, {"error": {"message": "Unauthorized", "code": 2006}}, {}
        if auth[len("Token token="):] not in self.keys:
            return 401, {"error": {"message": "Unauthorized", "code": 2006}}, {}
        writes = ex.method in ("POST", "PUT")
        if writes:
            if ex.header("Content-Type") != "application/json":
                self.problem("REST write with Content-Type %r" % ex.header("Content-Type"))
            account_key = auth.endswith(API_KEY)
            if account_key and not ex.header("From"):
                return 400, {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["Requester User Not Found"]}}, {}
        if ex.method == "POST" and ex.path == "/incidents":
            return self.create(ex)
        if ex.method == "GET" and ex.path == "/incidents":
            keys = ex.query.get("incident_key") or []
            statuses = ex.query.get("statuses[]") or ["triggered", "acknowledged", "resolved"]
            found = [i for i in self.incidents.values() if i["incident_key"] in keys and i["status"] in statuses]
            return 200, {"incidents": found, "limit": 25, "offset": 0, "more": False, "total": None}, {}
        if ex.method == "PUT" and ex.path.startswith("/incidents/"):
            return self.update(ex, ex.path[len("/incidents/"):])
        self.problem("no such endpoint: %s %s" % (ex.method, ex.path))
        return 404, {"error": {"message": "Not Found", "code": 2100}}, {}

    def create(self, ex):
        body = ex.json if isinstance(ex.json, dict) else {}
        inc = body.get("incident")
        errors = []
        if not isinstance(inc, dict):
            errors.append("Incident is required")
            inc = {}
        if inc.get("type") != "incident":
            errors.append("Incident type must be 'incident'")
        if not inc.get("title"):
            errors.append("Title cannot be empty")
        service = inc.get("service")
        if not (isinstance(service, dict) and service.get("id") and service.get("type") == "service_reference"):
            errors.append("Service must be a service_reference")
        if inc.get("urgency") not in (None, "high", "low"):
            errors.append("Urgency must be high or low")
        b = inc.get("body")
        if b is not None and not (isinstance(b, dict) and b.get("type") == "incident_body" and isinstance(b.get("details"), str)):
            errors.append("Body must be an incident_body with details")
        if errors:
            self.problem("; ".join(errors))
            return 400, {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": errors}}, {}
        if service["id"] != "PSERV01":
            return 404, {"error": {"message": "Not Found", "code": 2100}}, {}
        new = {
            "id": "PT4KHLK",
            "type": "incident",
            "incident_number": 1234,
            "title": inc["title"],
            "status": "triggered",
            "incident_key": inc.get("incident_key") or "baf7cf21b1da41b4b0221008339ff357",
            "urgency": inc.get("urgency", "high"),
            "service": {"id": service["id"], "type": "service_reference"},
            "html_url": "https://acme.pagerduty.com/incidents/PT4KHLK",
        }
        self.incidents[new["id"]] = new
        return 201, {"incident": new}, {}

    def update(self, ex, incident_id):
        body = ex.json if isinstance(ex.json, dict) else {}
        inc = body.get("incident")
        if not (isinstance(inc, dict) and inc.get("type") == "incident_reference" and inc.get("status") in ("acknowledged", "resolved")):
            self.problem("bad update body %r" % (body,))
            return 400, {"error": {"message": "Invalid Input Provided", "code": 2001, "errors": ["Incident status is invalid"]}}, {}
        found = self.incidents.get(incident_id)
        if found is None:
            return 404, {"error": {"message": "Incident Not Found", "code": 5001}}, {}
        found = dict(found, status=inc["status"], html_url="https://acme.pagerduty.com/incidents/%s" % incident_id)
        self.incidents[incident_id] = found
        return 200, {"incident": found}, {}

    def app(self, ex):
        if ex.path == "/v2/enqueue":
            return self.enqueue(ex)
        return self.rest(ex)


@pytest.fixture
def pd(vendor_factory):
    return PagerDuty(vendor_factory)


def assert_failed(r, code=1):
    assert r.code == code, r
    assert r.out == "", "nothing on stdout when it fails: %r" % r
    assert r.err.startswith("pagerduty: "), r


# --- the Events API v2 --------------------------------------------------------


def test_trigger_through_the_events_api(pd, run):
    r = run(
        "trigger", "--summary", "Checkout fails in eu-west", "--severity", "critical", "--source", "web-eu-1",
        "--dedup-key", "checkout-eu", "--json",
        config=pd.config, secrets={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY},
    )
    assert r.code == 0, r
    assert r.json() == {
        "service": "pagerduty", "api": "events", "action": "trigger", "dedup_key": "checkout-eu",
        "id": None, "status": "success", "url": None,
    }
    assert pd.problems == []
    [ex] = pd.seen
    assert (ex.method, ex.path) == ("POST", "/v2/enqueue")
    assert ex.json == {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": "checkout-eu",
        "payload": {"summary": "Checkout fails in eu-west", "source": "web-eu-1", "severity": "critical"},
    }


def test_trigger_defaults_and_the_key_pagerduty_makes(pd, run):
    r = run("trigger", "--", "--summary", "Disk full", config=pd.config, secrets={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
    assert r.code == 0, r
    assert r.out == "PagerDuty: triggered alert 4ba1b7e0a3a04cd3b29e5b3d4e7c9f00 (Event processed)\n"
    [ex] = pd.seen
    assert "dedup_key" not in ex.json
    assert ex.json["payload"]["severity"] == "error"
    assert ex.json["payload"]["source"], "a source is required by PagerDuty: the host name by default"
    assert pd.problems == []


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_through_the_events_api(pd, run, action):
    r = run(action, "--dedup-key", "checkout-eu", "--json", config=pd.config, secrets={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
    assert r.code == 0, r
    assert r.json() == {
        "service": "pagerduty", "api": "events", "action": action, "dedup_key": "checkout-eu",
        "id": None, "status": "success", "url": None,
    }
    [ex] = pd.seen
    assert ex.json == {"routing_key": ROUTING_KEY, "event_action": action, "dedup_key": "checkout-eu"}
    assert pd.problems == []


def test_a_rejected_routing_key_says_what_pagerduty_said(pd, run):
    wrong = "WrongRoutingKeyWrongRoutingKey99"
    r = run("trigger", "--summary", "x", "--json", config=pd.config, secrets={"PAGERDUTY_ROUTING_KEY": wrong})
    assert_failed(r)
    assert "HTTP 400" in r.err and "Invalid routing key" in r.err, r
    assert "PAGERDUTY_ROUTING_KEY" in r.err, r
    assert len(pd.seen) == 1


def test_a_text_starting_with_dashes_is_a_value(pd, run):
    r = run("trigger", "--summary", "--force push broke main", "--json", config=pd.config, secrets={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
    assert r.code == 0, r
    assert pd.seen[0].json["payload"]["summary"] == "--force push broke main"


# --- the REST API v2 ----------------------------------------------------------


def rest_config(pd, **more):
    return dict(pd.config, from_email=FROM, service_id="PSERV01", **more)


def test_trigger_through_the_rest_api(pd, run):
    r = run(
        "trigger", "--summary", "Checkout fails", "--severity", "warning", "--source", "web-1", "--dedup-key", "co-1", "--json",
        config=rest_config(pd), secrets={"PAGERDUTY_API_KEY": API_KEY},
    )
    assert r.code == 0, r
    assert r.json() == {
        "service": "pagerduty", "api": "rest", "action": "trigger", "dedup_key": "co-1",
        "id": "PT4KHLK", "status": "triggered", "url": "https://acme.pagerduty.com/incidents/PT4KHLK",
    }
    assert pd.problems == []
    lookup, ex = pd.seen
    assert (lookup.method, lookup.path) == ("GET", "/incidents"), "is an incident with this key open already?"
    assert lookup.header("From") is None
    assert (ex.method, ex.path) == ("POST", "/incidents")
    assert ex.header("Authorization") == "Token token=" + API_KEY
    assert ex.header("From") == FROM
    inc = ex.json["incident"]
    assert inc["type"] == "incident" and inc["title"] == "Checkout fails"
    assert inc["service"] == {"id": "PSERV01", "type": "service_reference"}
    assert inc["urgency"] == "low", "warning is a low-urgency incident"
    assert inc["incident_key"] == "co-1"
    assert inc["body"]["type"] == "incident_body" and "web-1" in inc["body"]["details"]


def test_trigger_rest_human_line_and_service_option(pd, run):
    r = run("trigger", "--summary", "API down", "--service", "PSERV01", config=dict(pd.config, from_email=FROM), secrets={"PAGERDUTY_API_KEY": API_KEY})
    assert r.code == 0, r
    assert r.out == "PagerDuty: incident #1234 (PT4KHLK) is triggered: https://acme.pagerduty.com/incidents/PT4KHLK\n"
    assert pd.seen[0].json["incident"]["urgency"] == "high"


def test_the_routing_key_wins_when_both_keys_are_there(pd, run):
    r = run("trigger", "--summary", "x", "--json", config=rest_config(pd), secrets={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY, "PAGERDUTY_API_KEY": API_KEY})
    assert r.code == 0, r
    assert r.json()["api"] == "events"
    assert [ex.path for ex in pd.seen] == ["/v2/enqueue"]


def test_rest_needs_from_email_and_sends_nothing_without_it(pd, run):
    r = run("trigger", "--summary", "x", config=dict(pd.config, service_id="PSERV01"), secrets={"PAGERDUTY_API_KEY": API_KEY})
    assert_failed(r)
    assert "from_email" in r.err, r
    assert pd.seen == []


def test_rest_trigger_needs_a_service(pd, run):
    r = run("trigger", "--summary", "x", config=dict(pd.config, from_email=FROM), secrets={"PAGERDUTY_API_KEY": API_KEY})
    assert_failed(r, 2)
    assert "--service" in r.err and "service_id" in r.err, r
    assert pd.seen == []


def test_an_unknown_service_is_pagerdutys_not_found(pd, run):
    r = run("trigger", "--summary", "x", "--service", "PNOPE", config=dict(pd.config, from_email=FROM), secrets={"PAGERDUTY_API_KEY": API_KEY})
    assert_failed(r)
    assert "HTTP 404" in r.err and "Not Found (code 2100)" in r.err, r


@pytest.mark.parametrize("action,status", [("acknowledge", "acknowledged"), ("resolve", "resolved")])
def test_acknowledge_and_resolve_by_id(pd, run, action, status):
    r = run(action, "--id", "PEXIST1", "--json", config=rest_config(pd), secrets={"PAGERDUTY_API_KEY": API_KEY})
    assert r.code == 0, r
    assert r.json() == {
        "service": "pagerduty", "api": "rest", "action": action, "dedup_key": "db-down",
        "id": "PEXIST1", "status": status, "url": "https://acme.pagerduty.com/incidents/PEXIST1",
    }
    [ex] = pd.seen
    assert (ex.method, ex.path) == ("PUT", "/incidents/PEXIST1")
    assert ex.json == {"incident": {"type": "incident_reference", "status": status}}
    assert ex.header("From") == FROM
    assert pd.problems == []


def test_resolve_by_dedup_key_finds_the_incident_through_rest(pd, run):
    r = run("resolve", "--dedup-key", "db-down", "--json", config=rest_config(pd), secrets={"PAGERDUTY_API_KEY": API_KEY})
    assert r.code == 0, r
    assert r.json()["id"] == "PEXIST1" and r.json()["status"] == "resolved"
    assert [(ex.method, ex.path) for ex in pd.seen] == [("GET", "/incidents"), ("PUT", "/incidents/PEXIST1")]
    assert pd.seen[0].query == {"incident_key": ["db-down"], "statuses[]": ["triggered", "acknowledged"]}
    assert pd.problems == []
    r = run("resolve", "--dedup-key", "db-down", config=rest_config(pd), secrets={"PAGERDUTY_API_KEY": API_KEY})
    assert_failed(r)
    assert 'no open incident with the key "db-down"' in r.err, "resolved already: %r" % r


def test_trigger_again_with_the_key_of_an_open_incident_answers_that_one(pd, run):
    r = run("trigger", "--summary", "DB down again", "--dedup-key", "db-down", "--json", config=rest_config(pd), secrets={"PAGERDUTY_API_KEY": API_KEY})
    assert r.code == 0, r
    assert r.json() == {
        "service": "pagerduty", "api": "rest", "action": "trigger", "dedup_key": "db-down",
        "id": "PEXIST1", "status": "triggered", "url": None,
    }
    assert [(ex.method, ex.path) for ex in pd.seen] == [("GET", "/incidents")], "no second incident"
    r = run("trigger", "--summary", "DB down again", "--dedup-key", "db-down", config=rest_config(pd), secrets={"PAGERDUTY_API_KEY": API_KEY})
    assert r.out == "PagerDuty: incident #41 (PEXIST1) is triggered (already open with this key)\n", r


def test_resolve_an_unknown_key_or_id(pd, run):
    r = run("resolve", "--dedup-key", "nope", config=rest_config(pd), secrets={"PAGERDUTY_API_KEY": API_KEY})
    assert_failed(r)
    assert 'no open incident with the key "nope"' in r.err, r
    r = run("resolve", "--id", "PNOPE", config=rest_config(pd), secrets={"PAGERDUTY_API_KEY": API_KEY})
    assert_failed(r)
    assert "HTTP 404" in r.err and "Incident Not Found" in r.err, r


def test_a_rejected_api_key_says_unauthorized_and_names_the_variable(pd, run):
    bad = "u+NotTheRightKey_000000"
    r = run("acknowledge", "--id", "PEXIST1", config=rest_config(pd), secrets={"PAGERDUTY_API_KEY": bad})
    assert_failed(r)
    assert "HTTP 401" in r.err and "Unauthorized" in r.err and "PAGERDUTY_API_KEY" in r.err, r
    assert pd.problems == []


def test_the_mcp_servers_user_token_works_without_from(pd, run):
    r = run("trigger", "--summary", "x", "--json", config=dict(pd.config, service_id="PSERV01"), secrets={"PAGERDUTY_USER_API_KEY": USER_KEY})
    assert r.code == 0, r
    [ex] = pd.seen
    assert ex.header("Authorization") == "Token token=" + USER_KEY
    assert ex.header("From") is None
    assert pd.problems == []


def test_id_with_only_a_routing_key_names_the_rest_key(pd, run):
    r = run("resolve", "--id", "PEXIST1", config=pd.config, secrets={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
    assert_failed(r)
    assert "PAGERDUTY_API_KEY" in r.err and "--dedup-key" in r.err, r
    assert pd.seen == []


# --- no key, bad command lines, no answer -------------------------------------


@pytest.mark.parametrize("action,args", [("trigger", ["--summary", "x"]), ("acknowledge", ["--dedup-key", "k"]), ("resolve", ["--id", "P1"])])
def test_no_key_names_both_variables_and_the_env_file(pd, run, action, args):
    r = run(action, *args, "--json", config=rest_config(pd))
    assert_failed(r)
    assert "PAGERDUTY_ROUTING_KEY" in r.err and "PAGERDUTY_API_KEY" in r.err, r
    assert "$PAII_HOME/.env" in r.err and str(run.home / ".env") in r.err, r
    assert pd.seen == []


@pytest.mark.parametrize(
    "action,args",
    [
        ("trigger", []),
        ("trigger", ["--summary", "  "]),
        ("trigger", ["--summary", "x", "--severity", "sev1"]),
        ("trigger", ["--summary", "x", "--urgent"]),
        ("trigger", ["--summary", "x", "--dedup-key", " "]),
        ("trigger", ["--summary"]),
        ("acknowledge", []),
        ("acknowledge", ["--dedup-key", "k", "--id", "P1"]),
        ("resolve", ["extra"]),
    ],
)
def test_usage_errors_exit_2_and_send_nothing(pd, run, action, args):
    r = run(action, *args, config=rest_config(pd), secrets={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
    assert_failed(r, 2)
    assert "usage: pagerduty action %s" % action in r.err, r
    assert pd.seen == []


def test_connection_refused_names_the_url(run):
    url = closed_port_url()
    r = run("trigger", "--summary", "x", config={"events_url": url}, secrets={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
    assert_failed(r)
    assert "cannot connect to %s/v2/enqueue: connection refused" % url in r.err, r


def test_a_server_error_without_json_is_shown(vendor_factory, run):
    v = vendor_factory(lambda ex: (503, "upstream connect error", {}))
    r = run("trigger", "--summary", "x", config={"events_url": v.url}, secrets={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
    assert_failed(r)
    assert "HTTP 503" in r.err and "upstream connect error" in r.err, r


def test_a_bad_base_url_in_the_config(run):
    r = run("trigger", "--summary", "x", config={"events_url": "events.pagerduty.com"}, secrets={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})
    assert_failed(r)
    assert "events_url" in r.err, r
