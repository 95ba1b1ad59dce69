"""The github actions against a GitHub REST API played on 127.0.0.1.

The fake checks every request as GitHub documents it
(https://docs.github.com/en/rest/issues/issues#create-an-issue,
https://docs.github.com/en/rest/issues/comments#create-an-issue-comment,
https://docs.github.com/en/rest/using-the-rest-api/getting-started-with-the-rest-api)
and answers as GitHub does: ``{"message": ..., "documentation_url": ...}``,
with ``errors`` on a 422. A request it finds wrong is also listed in
``problems``, which every test expects empty.
"""

from __future__ import annotations

import pytest
from conftest import closed_port_url

TOKEN = "github_pat_11AAAAAAA0SecretGitHubTokenValue"
MCP_TOKEN = "ghp_SecretMcpServerTokenValue0000"
DOCS = "https://docs.github.com/rest"


class GitHub:
    def __init__(self, vendor_factory, tokens=(TOKEN, MCP_TOKEN)):
        self.problems = []
        self.tokens = tokens
        self.vendor = vendor_factory(self.app)
        self.seen = self.vendor.seen
        self.config = {"api_url": self.vendor.url, "repo": "acme/api"}

    def app(self, ex):
        if not ex.header("User-Agent"):
            self.problems.append("no User-Agent")
            return 403, {"message": "Request forbidden by administrative rules. Please make sure your request has a User-Agent header", "documentation_url": DOCS}, {}
        if ex.header("Accept") != "application/vnd.github+json":
            self.problems.append("Accept %r" % ex.header("Accept"))
        if ex.header("X-GitHub-Api-Version") != "2022-11-28":
            self.problems.append("X-GitHub-Api-Version %r" % ex.header("X-GitHub-Api-Version"))
            return 400, {"message": "Invalid API version", "documentation_url": DOCS}, {}
        auth = ex.header("Authorization") or ""
        if not auth.startswith("Bearer "):
            self.problems.append("Authorization is not a Bearer token")
        if auth[len("Bearer "):] not in self.tokens:
            return 401, {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"}, {}
        if ex.path == "/repos/acme/moved/issues":
            return 301, {"message": "Moved Permanently", "url": "https://api.github.com/repositories/1/issues", "documentation_url": DOCS}, {"Location": "http://evil.example/steal"}
        if ex.method != "POST":
            self.problems.append("%s %s" % (ex.method, ex.path))
        if ex.header("Content-Type") != "application/json":
            self.problems.append("Content-Type %r" % ex.header("Content-Type"))
        body = ex.json if isinstance(ex.json, dict) else None
        if body is None:
            self.problems.append("body is not a JSON object")
            return 400, {"message": "Problems parsing JSON", "documentation_url": DOCS}, {}
        if ex.path == "/repos/acme/api/issues":
            return self.create(body)
        if ex.path.startswith("/repos/acme/api/issues/") and ex.path.endswith("/comments"):
            return self.comment(ex.path.split("/")[5], body)
        return 404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, {}

    def create(self, body):
        unknown = set(body) - {"title", "body", "labels", "assignees", "milestone", "type"}
        if unknown:
            self.problems.append("unknown fields %s" % sorted(unknown))
        if not isinstance(body.get("title"), str) or not body["title"]:
            self.problems.append("no title")
            return 422, {"message": "Validation Failed", "errors": [{"resource": "Issue", "code": "missing_field", "field": "title"}], "documentation_url": DOCS, "status": "422"}, {}
        if "body" in body and not isinstance(body["body"], str):
            self.problems.append("body is not a string")
        labels = body.get("labels", [])
        if not (isinstance(labels, list) and all(isinstance(label, str) and label for label in labels)):
            self.problems.append("labels %r" % (labels,))
            return 422, {"message": "Invalid request.\n\nFor 'items', nil is not a string.", "documentation_url": DOCS, "status": "422"}, {}
        if "sev-0" in labels:
            return 422, {"message": "Validation Failed", "errors": [{"value": "sev-0", "resource": "Label", "field": "name", "code": "invalid"}], "documentation_url": DOCS, "status": "422"}, {}
        return 201, {
            "id": 1,
            "number": 1347,
            "title": body["title"],
            "body": body.get("body"),
            "labels": [{"name": label} for label in labels],
            "state": "open",
            "html_url": "https://github.com/acme/api/issues/1347",
            "url": "https://api.github.com/repos/acme/api/issues/1347",
        }, {}

    def comment(self, number, body):
        if not isinstance(body.get("body"), str) or not body["body"]:
            self.problems.append("no comment body")
            return 422, {"message": "Validation Failed", "errors": [{"resource": "IssueComment", "code": "missing_field", "field": "body"}], "documentation_url": DOCS}, {}
        if number != "1347":
            return 404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"}, {}
        return 201, {"id": 1, "body": body["body"], "html_url": "https://github.com/acme/api/issues/1347#issuecomment-1"}, {}


@pytest.fixture
def gh(vendor_factory):
    return GitHub(vendor_factory)


def assert_failed(r, code=1):
    assert r.code == code, r
    assert r.out == "", "nothing on stdout when it fails: %r" % r
    assert r.err.startswith("github: "), r


def test_create_issue(gh, run):
    r = run(
        "create-issue", "--repo", "acme/api", "--title", "Checkout fails in eu-west", "--body", "502s since **14:02**",
        "--label", "incident", "--label=sev-2", "--json",
        config=gh.config, secrets={"GITHUB_TOKEN": TOKEN},
    )
    assert r.code == 0, r
    assert r.json() == {"service": "github", "repo": "acme/api", "number": 1347, "id": 1, "url": "https://github.com/acme/api/issues/1347"}
    [ex] = gh.seen
    assert (ex.method, ex.path) == ("POST", "/repos/acme/api/issues")
    assert ex.header("Authorization") == "Bearer " + TOKEN
    assert ex.header("User-Agent").startswith("paii-github/")
    assert ex.json == {"title": "Checkout fails in eu-west", "body": "502s since **14:02**", "labels": ["incident", "sev-2"]}
    assert gh.problems == []


def test_create_issue_in_the_configured_repo_with_the_mcp_servers_token(gh, run):
    r = run("create-issue", "--", "--title", "Disk full", config=gh.config, secrets={"GITHUB_PERSONAL_ACCESS_TOKEN": MCP_TOKEN})
    assert r.code == 0, r
    assert r.out == "GitHub: opened acme/api#1347: https://github.com/acme/api/issues/1347\n"
    [ex] = gh.seen
    assert ex.header("Authorization") == "Bearer " + MCP_TOKEN
    assert ex.json == {"title": "Disk full"}
    assert gh.problems == []


def test_github_token_wins_over_the_mcp_servers(gh, run):
    r = run("create-issue", "--title", "x", config=gh.config, secrets={"GITHUB_TOKEN": TOKEN, "GITHUB_PERSONAL_ACCESS_TOKEN": MCP_TOKEN})
    assert r.code == 0, r
    assert gh.seen[0].header("Authorization") == "Bearer " + TOKEN


def test_comment(gh, run):
    r = run("comment", "--issue", "#1347", "--body", "Mitigated.", "--json", config=gh.config, secrets={"GITHUB_TOKEN": TOKEN})
    assert r.code == 0, r
    assert r.json() == {"service": "github", "repo": "acme/api", "number": 1347, "id": 1, "url": "https://github.com/acme/api/issues/1347#issuecomment-1"}
    [ex] = gh.seen
    assert (ex.method, ex.path) == ("POST", "/repos/acme/api/issues/1347/comments")
    assert ex.json == {"body": "Mitigated."}
    assert gh.problems == []


def test_comment_on_an_issue_that_does_not_exist(gh, run):
    r = run("comment", "--issue", "9", "--body", "x", config=gh.config, secrets={"GITHUB_TOKEN": TOKEN})
    assert_failed(r)
    assert "HTTP 404" in r.err and "Not Found" in r.err and "cannot see it" in r.err, r


def test_validation_errors_are_shown(gh, run):
    r = run("create-issue", "--title", "x", "--label", "sev-0", config=gh.config, secrets={"GITHUB_TOKEN": TOKEN})
    assert_failed(r)
    assert "HTTP 422" in r.err and "Validation Failed (Label name invalid)" in r.err, r


def test_a_rejected_token_is_bad_credentials(gh, run):
    bad = "github_pat_11ZZZZZZZ0NotTheRightToken"
    r = run("create-issue", "--title", "x", "--json", config=gh.config, secrets={"GITHUB_TOKEN": bad})
    assert_failed(r)
    assert "HTTP 401" in r.err and "Bad credentials" in r.err and "GITHUB_TOKEN" in r.err, r
    assert gh.problems == []


def test_no_token_names_both_variables_and_sends_nothing(gh, run):
    r = run("comment", "--issue", "1347", "--body", "x", "--json", config=gh.config)
    assert_failed(r)
    assert "GITHUB_TOKEN" in r.err and "GITHUB_PERSONAL_ACCESS_TOKEN" in r.err and "$PAII_HOME/.env" in r.err, r
    assert gh.seen == []


def test_a_redirect_is_reported_not_followed(gh, run):
    r = run("create-issue", "--repo", "acme/moved", "--title", "x", config=gh.config, secrets={"GITHUB_TOKEN": TOKEN})
    assert_failed(r)
    assert "HTTP 301" in r.err and "redirect" in r.err, r
    assert len(gh.seen) == 1, "the token is not sent where the redirect points"


@pytest.mark.parametrize(
    "action,args,config",
    [
        ("create-issue", [], None),
        ("create-issue", ["--title", "  "], None),
        ("create-issue", ["--title", "x", "--repo", "acme"], None),
        ("create-issue", ["--title", "x", "--repo", "https://github.com/acme/api"], None),
        ("create-issue", ["--title", "x"], {"repo": ""}),
        ("create-issue", ["--title", "x", "--assignee", "me"], None),
        ("comment", ["--body", "x"], None),
        ("comment", ["--issue", "x12", "--body", "x"], None),
        ("comment", ["--issue", "0", "--body", "x"], None),
        ("comment", ["--issue", "12"], None),
    ],
)
def test_usage_errors_exit_2_and_send_nothing(gh, run, action, args, config):
    r = run(action, *args, config=dict(gh.config, **(config or {})), secrets={"GITHUB_TOKEN": TOKEN})
    assert_failed(r, 2)
    assert "usage: github action %s" % action in r.err, r
    assert gh.seen == []


def test_connection_refused_names_the_url(run):
    url = closed_port_url()
    r = run("create-issue", "--title", "x", config={"api_url": url, "repo": "acme/api"}, secrets={"GITHUB_TOKEN": TOKEN})
    assert_failed(r)
    assert "cannot connect to %s/repos/acme/api/issues: connection refused" % url in r.err, r


def test_a_vendor_that_echoes_the_token_does_not_get_it_printed(vendor_factory, run):
    v = vendor_factory(lambda ex: (500, {"message": "internal error for %s" % ex.header("Authorization")}, {}))
    r = run("create-issue", "--title", "x", config={"api_url": v.url, "repo": "acme/api"}, secrets={"GITHUB_TOKEN": TOKEN})
    assert_failed(r)
    assert "HTTP 500" in r.err and "internal error for Bearer [redacted]" in r.err, r
