"""paii's Jira plugin: creates and comments on issues through the Jira Cloud
REST API v3.

Run by paii as ``jira action <name> [args...]``::

    paii run jira --action create -- [--project KEY] --summary S [--description TEXT] [--type Task] [--json]
    paii run jira --action comment -- --issue KEY --body TEXT [--json]

It authenticates with an Atlassian API token (``JIRA_API_TOKEN``) and the
account's email (``JIRA_EMAIL``, else the ``email`` config), as HTTP basic
auth, against the site in the ``site`` config. Standard library only.
"""

from __future__ import annotations

import base64
import os
import re
import urllib.parse

from . import client
from . import paii_plugin as paii

__all__ = ["main", "ACTIONS", "create", "comment", "adf"]

PLUGIN = "jira"
VERSION = "1.0.0"

TOKEN = "JIRA_API_TOKEN"
EMAIL = "JIRA_EMAIL"
DEFAULT_TYPE = "Task"


def adf(text: str) -> dict:
    """``text`` as an Atlassian Document Format document, which API v3
    requires for rich-text fields: one paragraph per blank-line-separated
    block, its lines joined by hard breaks."""
    blocks = []
    for block in re.split(r"\n[ \t]*\n", text.replace("\r\n", "\n")):
        lines = block.strip("\n").split("\n")
        if not any(line.strip() for line in lines):
            continue
        content = []
        for i, line in enumerate(lines):
            if i:
                content.append({"type": "hardBreak"})
            if line:
                content.append({"type": "text", "text": line})
        blocks.append({"type": "paragraph", "content": content})
    return {"type": "doc", "version": 1, "content": blocks}


class _Settings:
    def __init__(self):
        cfg = client.config()
        site = client.config_str(cfg, "site")
        if site and "://" not in site:
            # "acme.atlassian.net" is how people name their site.
            site = "https://" + site
        self.site = client.config_url({"site": site}, "site")
        self.project = client.config_str(cfg, "project")
        self.timeout = client.config_timeout(cfg)
        self.token = client.secret(TOKEN)
        self.email = client.secret(EMAIL) or client.config_str(cfg, "email")
        missing = []
        if not self.site:
            missing.append("the Jira site: set `site` in the jira config (e.g. site = \"https://acme.atlassian.net\" under [config.jira] in paii.toml)")
        if self.token is None:
            missing.append("%s: put %s=<Atlassian API token> in %s (create one at https://id.atlassian.com/manage-profile/security/api-tokens)" % (TOKEN, TOKEN, client.dotenv()))
        if not self.email:
            missing.append("the Atlassian account's email: put %s=<email> in %s or set `email` in the jira config" % (EMAIL, client.dotenv()))
        if missing:
            raise client.missing(missing)
        basic = base64.b64encode(("%s:%s" % (self.email, self.token)).encode("utf-8")).decode("ascii")
        client.hide(basic)
        self.headers = {
            "Authorization": "Basic %s" % basic,
            "Accept": "application/json",
            "Content-Type": "application/json",
            "User-Agent": client.user_agent(PLUGIN, VERSION),
        }

    def browse(self, key: str) -> str:
        return "%s/browse/%s" % (self.site, key)


def _jira_error(status, data, text):
    if not isinstance(data, dict):
        return None
    parts = [str(m) for m in data.get("errorMessages") or [] if m]
    errors = data.get("errors")
    if isinstance(errors, dict):
        parts += ["%s: %s" % (k, v) for k, v in errors.items()]
    if not parts and data.get("message"):
        parts.append(str(data["message"]))
    return "; ".join(parts) or None


def _post(s: _Settings, path: str, body: dict) -> dict:
    url = s.site + path
    _, data = client.request(
        "POST",
        url,
        s.headers,
        body=body,
        timeout=s.timeout,
        expect=(201,),
        explain=_jira_error,
        hint="check %s and the email (%s or the email config): Jira takes an API token with the email of its account" % (TOKEN, EMAIL),
    )
    if not isinstance(data, dict):
        raise client.Failure("POST %s answered without a JSON object" % url)
    return data


def _create_parser():
    p = client.parser(PLUGIN, "create", "Create a Jira issue.")
    p.add_argument("--project", help="project key (default: the project config)")
    p.add_argument("--summary", help="the issue's title (required)")
    p.add_argument("--description", help="plain text; blank lines separate paragraphs")
    p.add_argument("--type", help="issue type name (default: %s)" % DEFAULT_TYPE)
    return p


@client.action(PLUGIN, _create_parser, ("--project", "--summary", "--description", "--type"), required=("--summary",))
def create(opts) -> int:
    summary = client.nonblank(opts.summary, "--summary")
    issue_type = client.nonblank(opts.type, "--type") if opts.type is not None else DEFAULT_TYPE
    project = (opts.project or "").strip() or client.config_str(client.config(), "project")
    if not project:
        raise client.UsageError("no project: give --project KEY or set `project` in the jira config")
    s = _Settings()
    fields = {"project": {"key": project}, "summary": summary, "issuetype": {"name": issue_type}}
    if opts.description is not None and opts.description.strip():
        fields["description"] = adf(opts.description)
    data = _post(s, "/rest/api/3/issue", {"fields": fields})
    key = data.get("key")
    if not key:
        raise client.Failure("Jira created the issue but did not say its key")
    result = {"service": PLUGIN, "key": key, "id": data.get("id"), "url": s.browse(key)}
    return client.emit(opts.json, result, "Jira: created %s: %s" % (key, result["url"]))


def _comment_parser():
    p = client.parser(PLUGIN, "comment", "Comment on a Jira issue.")
    p.add_argument("--issue", help="the issue's key or ID (required)")
    p.add_argument("--body", help="the comment, plain text (required)")
    return p


@client.action(PLUGIN, _comment_parser, ("--issue", "--body"), required=("--issue", "--body"))
def comment(opts) -> int:
    issue = client.nonblank(opts.issue, "--issue")
    body = client.nonblank(opts.body, "--body")
    s = _Settings()
    data = _post(s, "/rest/api/3/issue/%s/comment" % urllib.parse.quote(issue, safe=""), {"body": adf(body)})
    result = {"service": PLUGIN, "key": issue, "id": data.get("id"), "url": s.browse(issue)}
    return client.emit(opts.json, result, "Jira: commented on %s (comment %s): %s" % (issue, result["id"], result["url"]))


ACTIONS = {"create": create, "comment": comment}


def main(argv=None) -> int:
    """The console script ``jira``: ``jira action <name> [args...]``."""
    os.environ.setdefault("PAII_PLUGIN_NAME", PLUGIN)
    return paii.main(hooks={}, actions=ACTIONS, argv=argv)
