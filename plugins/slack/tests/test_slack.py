"""The slack action against a Slack Web API played on 127.0.0.1.

The fake checks every request as Slack documents chat.postMessage
(https://docs.slack.dev/reference/methods/chat.postMessage) and answers as
Slack does: HTTP 200 with ``{"ok": false, "error": CODE}`` for a refused
call, HTTP 429 with Retry-After when rate limited. A request it finds wrong
is also listed in ``problems``, which every test expects empty.
"""

from __future__ import annotations

import pytest
from conftest import closed_port_url

TOKEN = "xoxb-1111111111-2222222222-SecretBotTokenValue"
CHANNELS = {"C123ABC456": "C123ABC456", "#incidents": "C123ABC456", "incidents": "C123ABC456", "C0NOTIN": "C0NOTIN", "C0RATE": "C0RATE"}


class Slack:
    def __init__(self, vendor_factory):
        self.problems = []
        self.vendor = vendor_factory(self.app)
        self.seen = self.vendor.seen
        self.config = {"api_url": self.vendor.url + "/api"}

    def app(self, ex):
        if ex.path != "/api/chat.postMessage":
            self.problems.append("unknown method %s" % ex.path)
            return 404, {"ok": False, "error": "unknown_method"}, {}
        if ex.method != "POST":
            self.problems.append("chat.postMessage with %s" % ex.method)
        ctype = ex.header("Content-Type") or ""
        if ctype != "application/json; charset=utf-8":
            # Slack reads a JSON body only with this type, and warns
            # about a missing charset.
            self.problems.append("Content-Type %r" % ctype)
            return 200, {"ok": False, "error": "invalid_form_data"}, {}
        auth = ex.header("Authorization")
        if auth is None:
            return 200, {"ok": False, "error": "not_authed"}, {}
        if not auth.startswith("Bearer "):
            self.problems.append("Authorization not a Bearer token")
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        if auth[len("Bearer "):] != TOKEN:
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        body = ex.json
        if not isinstance(body, dict):
            self.problems.append("body is not a JSON object")
            return 200, {"ok": False, "error": "invalid_json"}, {}
        unknown = set(body) - {"channel", "text", "thread_ts", "blocks", "attachments", "mrkdwn"}
        if unknown:
            self.problems.append("unknown arguments %s" % sorted(unknown))
        if not body.get("channel"):
            self.problems.append("no channel")
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        if not body.get("text"):
            self.problems.append("no text")
            return 200, {"ok": False, "error": "no_text"}, {}
        channel = CHANNELS.get(body["channel"])
        if channel is None:
            return 200, {"ok": False, "error": "channel_not_found"}, {}
        if channel == "C0NOTIN":
            return 200, {"ok": False, "error": "not_in_channel"}, {}
        if channel == "C0RATE":
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "30"}
        message = {"type": "message", "text": body["text"], "user": "U012AB3CD", "ts": "1503435956.000247", "bot_id": "B0123"}
        if "thread_ts" in body:
            message["thread_ts"] = body["thread_ts"]
        return 200, {"ok": True, "channel": channel, "ts": "1503435956.000247", "message": message}, {}


@pytest.fixture
def slack(vendor_factory):
    return Slack(vendor_factory)


def assert_failed(r, code=1):
    assert r.code == code, r
    assert r.out == "", "nothing on stdout when it fails: %r" % r
    assert r.err.startswith("slack: "), r


def test_post(slack, run):
    r = run("post", "--channel", "#incidents", "--text", "SEV-2 declared: *checkout* fails", "--json", config=slack.config, secrets={"SLACK_BOT_TOKEN": TOKEN})
    assert r.code == 0, r
    assert r.json() == {"service": "slack", "channel": "C123ABC456", "ts": "1503435956.000247"}
    [ex] = slack.seen
    assert ex.method == "POST"
    assert ex.header("Authorization") == "Bearer " + TOKEN
    assert ex.json == {"channel": "#incidents", "text": "SEV-2 declared: *checkout* fails"}
    assert slack.problems == []


def test_post_in_a_thread_to_the_configured_channel_after_pariis_separator(slack, run):
    r = run("post", "--", "--text", "update: mitigated", "--thread-ts", "1503435956.000100", config=dict(slack.config, channel="C123ABC456"), secrets={"SLACK_BOT_TOKEN": TOKEN})
    assert r.code == 0, r
    assert r.out == "Slack: posted to C123ABC456 in thread 1503435956.000100 (ts 1503435956.000247)\n"
    [ex] = slack.seen
    assert ex.json == {"channel": "C123ABC456", "text": "update: mitigated", "thread_ts": "1503435956.000100"}
    assert slack.problems == []


def test_the_option_wins_over_the_config(slack, run):
    r = run("post", "--channel", "incidents", "--text", "x", config=dict(slack.config, channel="C0NOTIN"), secrets={"SLACK_BOT_TOKEN": TOKEN})
    assert r.code == 0, r
    assert slack.seen[0].json["channel"] == "incidents"


def test_a_text_that_looks_like_an_option(slack, run):
    r = run("post", "--channel", "C123ABC456", "--text", "--json", config=slack.config, secrets={"SLACK_BOT_TOKEN": TOKEN})
    assert r.code == 0, r
    assert slack.seen[0].json["text"] == "--json"
    assert r.out.startswith("Slack: posted"), "--json was the text, not the flag"


def test_no_token_names_the_variable_and_sends_nothing(slack, run):
    r = run("post", "--channel", "C123ABC456", "--text", "x", "--json", config=slack.config)
    assert_failed(r)
    assert "SLACK_BOT_TOKEN" in r.err and "$PAII_HOME/.env" in r.err, r
    assert slack.seen == []


def test_a_rejected_token_is_slacks_error_code(slack, run):
    bad = "xoxb-0000000000-0000000000-NotTheRightOne"
    r = run("post", "--channel", "C123ABC456", "--text", "x", "--json", config=slack.config, secrets={"SLACK_BOT_TOKEN": bad})
    assert_failed(r)
    assert "invalid_auth" in r.err and "SLACK_BOT_TOKEN" in r.err, r
    assert slack.problems == []


def test_not_in_channel_says_to_invite_the_bot(slack, run):
    r = run("post", "--channel", "C0NOTIN", "--text", "x", config=slack.config, secrets={"SLACK_BOT_TOKEN": TOKEN})
    assert_failed(r)
    assert "not_in_channel" in r.err and "/invite" in r.err, r


def test_an_unknown_channel(slack, run):
    r = run("post", "--channel", "#nowhere", "--text", "x", config=slack.config, secrets={"SLACK_BOT_TOKEN": TOKEN})
    assert_failed(r)
    assert "channel_not_found" in r.err, r


def test_rate_limited(slack, run):
    r = run("post", "--channel", "C0RATE", "--text", "x", config=slack.config, secrets={"SLACK_BOT_TOKEN": TOKEN})
    assert_failed(r)
    assert "HTTP 429" in r.err and "ratelimited" in r.err and "retry after 30 s" in r.err, r


@pytest.mark.parametrize(
    "args,config",
    [
        (["--channel", "C123ABC456"], {}),
        (["--channel", "C123ABC456", "--text", " \n"], {}),
        (["--text", "x"], {}),
        (["--channel", "C1", "--text", "x", "--thread-ts"], {}),
        (["--channel", "C1", "--text", "x", "--unfurl"], {}),
    ],
)
def test_usage_errors_exit_2_and_send_nothing(slack, run, args, config):
    r = run("post", *args, config=dict(slack.config, **config), secrets={"SLACK_BOT_TOKEN": TOKEN})
    assert_failed(r, 2)
    assert "usage: slack action post" in r.err, r
    assert slack.seen == []


def test_connection_refused_names_the_url(run):
    url = closed_port_url()
    r = run("post", "--channel", "C1", "--text", "x", config={"api_url": url}, secrets={"SLACK_BOT_TOKEN": TOKEN})
    assert_failed(r)
    assert "cannot connect to %s/chat.postMessage: connection refused" % url in r.err, r


def test_an_answer_that_is_not_json(vendor_factory, run):
    v = vendor_factory(lambda ex: (200, "<html>captive portal</html>", {}))
    r = run("post", "--channel", "C1", "--text", "x", config={"api_url": v.url}, secrets={"SLACK_BOT_TOKEN": TOKEN})
    assert_failed(r)
    assert "not with JSON" in r.err and "captive portal" in r.err, r
