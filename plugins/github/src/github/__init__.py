"""paii's GitHub plugin: opens and comments on issues through GitHub's REST API.

Run by paii as ``github action <name> [args...]``::

    paii run github --action create-issue -- [--repo OWNER/NAME] --title T [--body B] [--label L]... [--json]
    paii run github --action comment -- [--repo OWNER/NAME] --issue N --body B [--json]

It authenticates with ``GITHUB_TOKEN``, else the MCP server's
``GITHUB_PERSONAL_ACCESS_TOKEN``. Standard library only.
"""

from __future__ import annotations

import os
import re

from . import client
from . import paii_plugin as paii

__all__ = ["main", "ACTIONS", "create_issue", "comment"]

PLUGIN = "github"
VERSION = "1.0.0"

DEFAULT_API_URL = "https://api.github.com"
TOKEN = "GITHUB_TOKEN"
MCP_TOKEN = "GITHUB_PERSONAL_ACCESS_TOKEN"
API_VERSION = "2022-11-28"

_REPO_RE = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


def _github_error(status, data, text):
    if not isinstance(data, dict) or not data.get("message"):
        return None
    message = str(data["message"])
    details = []
    for e in data.get("errors") or []:
        if isinstance(e, dict):
            if e.get("message"):
                details.append(str(e["message"]))
            else:
                details.append(" ".join(str(e[k]) for k in ("resource", "field", "code") if e.get(k)))
        elif e:
            details.append(str(e))
    details = [d for d in details if d]
    if details:
        message += " (%s)" % "; ".join(details)
    if status == 404:
        message += "; the repository or issue does not exist, or the token cannot see it"
    return message


class _Settings:
    def __init__(self, repo_option):
        cfg = client.config()
        self.api_url = client.config_url(cfg, "api_url", DEFAULT_API_URL) or DEFAULT_API_URL
        self.timeout = client.config_timeout(cfg)
        repo = (repo_option or "").strip() or client.config_str(cfg, "repo")
        if not repo:
            raise client.UsageError("no repository: give --repo OWNER/NAME or set `repo` in the github config")
        if not _REPO_RE.match(repo):
            raise client.UsageError("--repo %r is not OWNER/NAME" % repo)
        self.repo = repo
        self.token_name = TOKEN
        token = client.secret(TOKEN)
        if token is None:
            token = client.secret(MCP_TOKEN)
            self.token_name = MCP_TOKEN
        if token is None:
            raise client.missing(
                [
                    "a GitHub token: put %s=<token with Issues: write> (or %s, which the MCP server uses too) in %s"
                    % (TOKEN, MCP_TOKEN, client.dotenv())
                ]
            )
        self.token = token

    def post(self, path: str, body: dict) -> dict:
        url = "%s/repos/%s%s" % (self.api_url, self.repo, path)
        _, data = client.request(
            "POST",
            url,
            {
                "Authorization": "Bearer %s" % self.token,
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": API_VERSION,
                "Content-Type": "application/json",
                "User-Agent": client.user_agent(PLUGIN, VERSION),
            },
            body=body,
            timeout=self.timeout,
            expect=(201,),
            explain=_github_error,
            hint="check %s in %s (it needs write access to the repository's issues)" % (self.token_name, client.dotenv()),
        )
        if not isinstance(data, dict):
            raise client.Failure("POST %s answered without a JSON object" % url)
        return data


def _create_parser():
    p = client.parser(PLUGIN, "create-issue", "Open a GitHub issue.")
    p.add_argument("--repo", help="OWNER/NAME (default: the repo config)")
    p.add_argument("--title", help="the issue's title (required)")
    p.add_argument("--body", help="the issue's text (Markdown)")
    p.add_argument("--label", action="append", help="a label; repeat for more")
    return p


@client.action(PLUGIN, _create_parser, ("--repo", "--title", "--body", "--label"), repeated=("--label",), required=("--title",))
def create_issue(opts) -> int:
    title = client.nonblank(opts.title, "--title")
    labels = [label.strip() for label in opts.label if label.strip()]
    s = _Settings(opts.repo)
    body = {"title": title}
    if opts.body is not None:
        body["body"] = opts.body
    if labels:
        body["labels"] = labels
    data = s.post("/issues", body)
    result = {"service": PLUGIN, "repo": s.repo, "number": data.get("number"), "id": data.get("id"), "url": data.get("html_url")}
    return client.emit(opts.json, result, "GitHub: opened %s#%s: %s" % (s.repo, result["number"], result["url"]))


def _comment_parser():
    p = client.parser(PLUGIN, "comment", "Comment on a GitHub issue or pull request.")
    p.add_argument("--repo", help="OWNER/NAME (default: the repo config)")
    p.add_argument("--issue", help="the issue or pull request number (required)")
    p.add_argument("--body", help="the comment (Markdown, required)")
    return p


@client.action(PLUGIN, _comment_parser, ("--repo", "--issue", "--body"), required=("--issue", "--body"))
def comment(opts) -> int:
    number = opts.issue.strip().lstrip("#")
    if not re.fullmatch(r"[0-9]+", number) or int(number) <= 0:
        raise client.UsageError("--issue %r is not an issue number" % opts.issue)
    text = client.nonblank(opts.body, "--body")
    s = _Settings(opts.repo)
    data = s.post("/issues/%d/comments" % int(number), {"body": text})
    result = {"service": PLUGIN, "repo": s.repo, "number": int(number), "id": data.get("id"), "url": data.get("html_url")}
    return client.emit(opts.json, result, "GitHub: commented on %s#%d: %s" % (s.repo, int(number), result["url"]))


ACTIONS = {"create-issue": create_issue, "comment": comment}


def main(argv=None) -> int:
    """The console script ``github``: ``github action <name> [args...]``."""
    os.environ.setdefault("PAII_PLUGIN_NAME", PLUGIN)
    return paii.main(hooks={}, actions=ACTIONS, argv=argv)
