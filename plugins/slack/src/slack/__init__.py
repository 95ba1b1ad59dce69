"""paii's Slack plugin: posts messages through Slack's Web API.

Run by paii as ``slack action <name> [args...]``::

    paii run slack --action post -- [--channel C] --text T [--thread-ts TS] [--json]

``post`` calls ``{api_url}/chat.postMessage`` with the bot token
``SLACK_BOT_TOKEN``. Standard library only.
"""

from __future__ import annotations

import os

from . import client
from . import paii_plugin as paii

__all__ = ["main", "ACTIONS", "post"]

PLUGIN = "slack"
VERSION = "1.0.0"

DEFAULT_API_URL = "https://slack.com/api"
TOKEN = "SLACK_BOT_TOKEN"

#: What to do about the error codes a bot meets most; Slack's code is always
#: shown, these only add the fix.
HINTS = {
    "not_authed": "put %s=xoxb-... in {env}" % TOKEN,
    "invalid_auth": "%s is not a valid token: check it in {env}" % TOKEN,
    "account_inactive": "the token's bot or workspace was deactivated",
    "token_revoked": "the token was revoked: install the app again and update %s" % TOKEN,
    "token_expired": "the token expired: update %s" % TOKEN,
    "missing_scope": "the app lacks a scope",
    "channel_not_found": "no channel by that name or ID that the bot can see",
    "not_in_channel": "invite the bot to the channel first (/invite @your-bot)",
    "is_archived": "the channel is archived",
    "msg_too_long": "the text is too long",
    "no_text": "the text is empty",
    "ratelimited": "too many messages: wait and retry",
}


def _slack_error(status, data, text):
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    return None


def _post_parser():
    p = client.parser(PLUGIN, "post", "Post a message to a Slack channel (chat.postMessage).")
    p.add_argument("--channel", help="channel ID (C0123...) or name (default: the channel config)")
    p.add_argument("--text", help="the message (required; Slack's mrkdwn)")
    p.add_argument("--thread-ts", help="reply in the thread of this message's ts")
    return p


@client.action(PLUGIN, _post_parser, ("--channel", "--text", "--thread-ts"), required=("--text",))
def post(opts) -> int:
    text = client.nonblank(opts.text, "--text")
    cfg = client.config()
    api_url = client.config_url(cfg, "api_url", DEFAULT_API_URL) or DEFAULT_API_URL
    timeout = client.config_timeout(cfg)
    channel = (opts.channel or "").strip() or client.config_str(cfg, "channel")
    if not channel:
        raise client.UsageError("no channel: give --channel C or set `channel` in the slack config")
    token = client.secret(TOKEN)
    if token is None:
        raise client.missing(
            [
                "%s: put %s=xoxb-... (the Bot User OAuth Token of a Slack app with the chat:write scope) in %s"
                % (TOKEN, TOKEN, client.dotenv())
            ]
        )
    body = {"channel": channel, "text": text}
    if opts.thread_ts is not None:
        body["thread_ts"] = client.nonblank(opts.thread_ts, "--thread-ts")
    url = api_url + "/chat.postMessage"
    _, data = client.request(
        "POST",
        url,
        {
            "Authorization": "Bearer %s" % token,
            "Content-Type": "application/json; charset=utf-8",
            "Accept": "application/json",
            "User-Agent": client.user_agent(PLUGIN, VERSION),
        },
        body=body,
        timeout=timeout,
        expect=(200,),
        explain=_slack_error,
        hint="check %s in %s" % (TOKEN, client.dotenv()),
    )
    if not isinstance(data, dict):
        raise client.Failure("POST %s answered HTTP 200 without a JSON object" % url)
    # Slack reports failures in the body of an HTTP 200.
    if data.get("ok") is not True:
        code = str(data.get("error") or "unknown_error")
        message = "Slack refused chat.postMessage: %s" % code
        hint = HINTS.get(code, "").replace("{env}", client.dotenv())
        if code == "missing_scope" and data.get("needed"):
            hint = "the app needs the %s scope; add it and reinstall the app" % data.get("needed")
        if hint:
            message += " (%s)" % hint
        raise client.Failure(message)
    result = {"service": PLUGIN, "channel": data.get("channel") or channel, "ts": data.get("ts")}
    where = result["channel"] + (" in thread %s" % body["thread_ts"] if "thread_ts" in body else "")
    return client.emit(opts.json, result, "Slack: posted to %s (ts %s)" % (where, result["ts"]))


ACTIONS = {"post": post}


def main(argv=None) -> int:
    """The console script ``slack``: ``slack action <name> [args...]``."""
    os.environ.setdefault("PAII_PLUGIN_NAME", PLUGIN)
    return paii.main(hooks={}, actions=ACTIONS, argv=argv)
