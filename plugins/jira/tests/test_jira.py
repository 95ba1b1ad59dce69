"""The jira actions against a Jira Cloud played on 127.0.0.1.

The fake checks every request as Atlassian documents the REST API v3
(https://developer.atlassian.com/cloud/jira/platform/rest/v3/api-group-issues/,
basic auth with an API token: https://developer.atlassian.com/cloud/jira/platform/basic-auth-for-rest-apis/)
and answers as Jira does: ``{"errorMessages": [...], "errors": {...}}`` for
a refused request, a text body for a failed login. A request it finds wrong
is also listed in ``problems``, which every test expects empty.
"""

from __future__ import annotations

import base64

import pytest
from conftest import closed_port_url

EMAIL = "oncall@acme.example"
TOKEN = "ATATT3xFfGF0SecretJiraApiTokenValue=1234ABCD"
BASIC = base64.b64encode(("%s:%s" % (EMAIL, TOKEN)).encode()).decode()
ISSUE_TYPES = {"Task", "Bug", "Story", "Incident"}


def check_adf(doc) -> str | None:
    """What is wrong with ``doc`` as the ADF the plugin writes, or None."""
    if not isinstance(doc, dict) or doc.get("type") != "doc" or doc.get("version") != 1:
        return "not an ADF doc (type doc, version 1)"
    content = doc.get("content")
    if not isinstance(content, list) or not content:
        return "an empty doc"
    for block in content:
        if not isinstance(block, dict) or block.get("type") != "paragraph" or not isinstance(block.get("content"), list):
            return "a block that is not a paragraph"
        for node in block["content"]:
            if node.get("type") == "text":
                if not isinstance(node.get("text"), str) or not node["text"]:
                    return "an empty text node (Jira refuses them)"
            elif node.get("type") != "hardBreak":
                return "an unknown inline node %r" % node.get("type")
    return None


def text_of(doc) -> str:
    out = []
    for block in doc["content"]:
        out.append("".join(n.get("text", "\n") for n in block["content"]))
    return "\n\n".join(out)


class Jira:
    def __init__(self, vendor_factory):
        self.problems = []
        self.vendor = vendor_factory(self.app)
        self.seen = self.vendor.seen
        self.config = {"site": self.vendor.url, "email": EMAIL}

    def bad(self, status, messages=(), errors=None):
        return status, {"errorMessages": list(messages), "errors": errors or {}}, {}

    def app(self, ex):
        auth = ex.header("Authorization") or ""
        if not auth.startswith("Basic "):
            self.problems.append("Authorization is not basic auth: %r" % auth[:8])
        if auth != "Basic " + BASIC:
            return 401, "Client must be authenticated to access this resource.", {}
        if ex.header("Content-Type") != "application/json":
            self.problems.append("Content-Type %r" % ex.header("Content-Type"))
            return 415, "", {}
        if "application/json" not in (ex.header("Accept") or ""):
            self.problems.append("Accept %r" % ex.header("Accept"))
        body = ex.json if isinstance(ex.json, dict) else None
        if body is None:
            self.problems.append("body is not a JSON object")
            return self.bad(400, ["Unexpected character in the JSON body"])
        if ex.method == "POST" and ex.path == "/rest/api/3/issue":
            return self.create(body)
        prefix, suffix = "/rest/api/3/issue/", "/comment"
        if ex.method == "POST" and ex.path.startswith(prefix) and ex.path.endswith(suffix):
            return self.comment(ex.path[len(prefix):-len(suffix)], body)
        self.problems.append("no such endpoint %s %s" % (ex.method, ex.path))
        return 404, "", {}

    def create(self, body):
        fields = body.get("fields")
        if not isinstance(fields, dict):
            self.problems.append("no fields")
            return self.bad(400, ["Issue must have fields"])
        errors = {}
        project = fields.get("project")
        if not (isinstance(project, dict) and project.get("key")):
            errors["project"] = "Specify a valid project ID or key"
        if not fields.get("summary"):
            errors["summary"] = "You must specify a summary of the issue."
        issuetype = fields.get("issuetype")
        if not (isinstance(issuetype, dict) and issuetype.get("name")):
            errors["issuetype"] = "Specify an issue type"
        if "description" in fields and check_adf(fields["description"]):
            self.problems.append("description: %s" % check_adf(fields["description"]))
            errors["description"] = "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
        if errors:
            self.problems.append("create: %s" % errors)
            return self.bad(400, errors=errors)
        if project["key"] != "OPS":
            return self.bad(400, errors={"project": "valid project is required"})
        if issuetype["name"] not in ISSUE_TYPES:
            return self.bad(400, errors={"issuetype": "The issue type selected is invalid."})
        return 201, {"id": "10024", "key": "OPS-24", "self": self.vendor.url + "/rest/api/3/issue/10024"}, {}

    def comment(self, key, body):
        problem = check_adf(body.get("body"))
        if problem:
            self.problems.append("comment body: %s" % problem)
            return self.bad(400, errors={"comment": "Comment body can not be empty!"})
        if key != "OPS-24":
            return self.bad(404, ["Issue does not exist or you do not have permission to see it."])
        return 201, {"id": "10100", "self": self.vendor.url + "/rest/api/3/issue/10024/comment/10100", "body": body["body"]}, {}


@pytest.fixture
def jira(vendor_factory):
    return Jira(vendor_factory)


def assert_failed(r, code=1):
    assert r.code == code, r
    assert r.out == "", "nothing on stdout when it fails: %r" % r
    assert r.err.startswith("jira: "), r


def run_jira(run, *args, **kw):
    return run(*args, hidden=(BASIC,), **kw)


def test_create(jira, run):
    r = run_jira(
        run, "create", "--project", "OPS", "--summary", "Checkout fails in eu-west", "--type", "Bug",
        "--description", "502s since 14:02.\nOnly eu-west.\n\nRolled back at 14:20.", "--json",
        config=jira.config, secrets={"JIRA_API_TOKEN": TOKEN},
    )
    assert r.code == 0, r
    assert r.json() == {"service": "jira", "key": "OPS-24", "id": "10024", "url": jira.vendor.url + "/browse/OPS-24"}
    [ex] = jira.seen
    assert (ex.method, ex.path) == ("POST", "/rest/api/3/issue")
    fields = ex.json["fields"]
    assert fields["project"] == {"key": "OPS"}
    assert fields["summary"] == "Checkout fails in eu-west"
    assert fields["issuetype"] == {"name": "Bug"}
    assert fields["description"]["content"][0] == {
        "type": "paragraph",
        "content": [{"type": "text", "text": "502s since 14:02."}, {"type": "hardBreak"}, {"type": "text", "text": "Only eu-west."}],
    }
    assert text_of(fields["description"]) == "502s since 14:02.\nOnly eu-west.\n\nRolled back at 14:20."
    assert jira.problems == []


def test_create_with_the_configured_project_and_default_type(jira, run):
    r = run_jira(run, "create", "--", "--summary", "Disk full", config=dict(jira.config, project="OPS"), secrets={"JIRA_API_TOKEN": TOKEN})
    assert r.code == 0, r
    assert r.out == "Jira: created OPS-24: %s/browse/OPS-24\n" % jira.vendor.url
    fields = jira.seen[0].json["fields"]
    assert fields["issuetype"] == {"name": "Task"}
    assert "description" not in fields
    assert jira.problems == []


def test_the_email_secret_wins_over_the_config(jira, run):
    r = run_jira(run, "create", "--project", "OPS", "--summary", "x", config=dict(jira.config, email="someone@else"), secrets={"JIRA_API_TOKEN": TOKEN, "JIRA_EMAIL": EMAIL})
    assert r.code == 0, r


def test_comment(jira, run):
    r = run_jira(run, "comment", "--issue", "OPS-24", "--body", "Mitigated: rolled back.", "--json", config=jira.config, secrets={"JIRA_API_TOKEN": TOKEN})
    assert r.code == 0, r
    assert r.json() == {"service": "jira", "key": "OPS-24", "id": "10100", "url": jira.vendor.url + "/browse/OPS-24"}
    [ex] = jira.seen
    assert (ex.method, ex.path) == ("POST", "/rest/api/3/issue/OPS-24/comment")
    assert ex.json == {"body": {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Mitigated: rolled back."}]}]}}
    assert jira.problems == []


def test_comment_on_an_issue_that_does_not_exist(jira, run):
    r = run_jira(run, "comment", "--issue", "OPS-999", "--body", "x", config=jira.config, secrets={"JIRA_API_TOKEN": TOKEN})
    assert_failed(r)
    assert "HTTP 404" in r.err and "Issue does not exist or you do not have permission to see it." in r.err, r


def test_jiras_field_errors_are_shown(jira, run):
    r = run_jira(run, "create", "--project", "NOPE", "--summary", "x", config=jira.config, secrets={"JIRA_API_TOKEN": TOKEN})
    assert_failed(r)
    assert "HTTP 400" in r.err and "project: valid project is required" in r.err, r
    r = run_jira(run, "create", "--project", "OPS", "--summary", "x", "--type", "Epicness", config=jira.config, secrets={"JIRA_API_TOKEN": TOKEN})
    assert_failed(r)
    assert "issuetype: The issue type selected is invalid." in r.err, r


def test_a_rejected_token_says_what_jira_said(jira, run):
    bad = "ATATT3xNotTheRightTokenAtAll=0000"
    r = run("create", "--project", "OPS", "--summary", "x", config=jira.config, secrets={"JIRA_API_TOKEN": bad},
            hidden=(base64.b64encode(("%s:%s" % (EMAIL, bad)).encode()).decode(),))
    assert_failed(r)
    assert "HTTP 401" in r.err and "Client must be authenticated" in r.err and "JIRA_API_TOKEN" in r.err, r
    assert jira.problems == []


def test_everything_missing_is_named_at_once_and_nothing_is_sent(jira, run):
    r = run("create", "--project", "OPS", "--summary", "x", "--json", config={})
    assert_failed(r)
    for thing in ("`site`", "JIRA_API_TOKEN", "JIRA_EMAIL", "`email`", "$PAII_HOME/.env"):
        assert thing in r.err, (thing, r)
    r = run("comment", "--issue", "OPS-24", "--body", "x", config={"site": jira.vendor.url, "email": EMAIL})
    assert_failed(r)
    assert "JIRA_API_TOKEN" in r.err and "`site`" not in r.err, r
    r = run("comment", "--issue", "OPS-24", "--body", "x", config={"email": EMAIL}, secrets={"JIRA_API_TOKEN": TOKEN})
    assert_failed(r)
    assert "`site`" in r.err and "JIRA_API_TOKEN" not in r.err, r
    assert jira.seen == []


@pytest.mark.parametrize(
    "action,args",
    [
        ("create", ["--project", "OPS"]),
        ("create", ["--project", "OPS", "--summary", ""]),
        ("create", ["--summary", "x"]),
        ("create", ["--project", "OPS", "--summary", "x", "--type", " "]),
        ("comment", ["--issue", "OPS-24"]),
        ("comment", ["--body", "x"]),
        ("comment", ["--issue", "OPS-24", "--body", "x", "--internal"]),
    ],
)
def test_usage_errors_exit_2_and_send_nothing(jira, run, action, args):
    r = run_jira(run, action, *args, config=jira.config, secrets={"JIRA_API_TOKEN": TOKEN})
    assert_failed(r, 2)
    assert "usage: jira action %s" % action in r.err, r
    assert jira.seen == []


def test_connection_refused_names_the_url(run):
    url = closed_port_url()
    r = run_jira(run, "comment", "--issue", "OPS-1", "--body", "x", config={"site": url, "email": EMAIL}, secrets={"JIRA_API_TOKEN": TOKEN})
    assert_failed(r)
    assert "cannot connect to %s/rest/api/3/issue/OPS-1/comment: connection refused" % url in r.err, r
