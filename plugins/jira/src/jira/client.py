"""What paii's integration plugins (pagerduty, slack, jira, github) share:
the command line of an action, the secrets and config it reads, one JSON
request to the vendor, and how a failure is told.

Each of those plugins holds an identical copy of this file (a plugin is
built alone, from its own directory, so it cannot import a sibling's);
change them together.

The action contract: ``--json`` prints one JSON object on stdout, else one
line for a person; exit 0 is success, 1 an error (one message on stderr,
nothing on stdout), 2 a bad command line. The first bare ``--`` (from
``paii run PLUGIN --action X -- ARGS``) is dropped. No secret's value is
ever printed: every message passes through :func:`redact`.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys

from . import paii_plugin as paii

EXIT_ERROR = 1
EXIT_USAGE = 2

#: Values that must never reach stdout or stderr: every secret read with
#: :func:`secret`, and whatever :func:`hide` is given (an encoded form).
_HIDDEN = set()


class Failure(Exception):
    """The action failed (exit 1); the message names what to fix."""


class UsageError(Exception):
    """The command line is wrong (exit 2)."""


# --- command lines -----------------------------------------------------------


class Parser(argparse.ArgumentParser):
    """argparse that raises instead of exiting, so the action can return 2."""

    def error(self, message):
        raise UsageError(message)


def parser(plugin: str, action: str, description: str) -> Parser:
    p = Parser(prog="%s action %s" % (plugin, action), description=description, allow_abbrev=False)
    p.add_argument("--json", action="store_true", help="print one JSON object")
    return p


def split_args(args, value_options=()):
    """``(rest, values)``: what argparse gets, and the values of
    ``value_options`` (each a list, in order) taken out of its hands.

    A value option takes the next argument (or what follows its ``=``)
    whatever it is, so that a message may be ``--text "--force is gone"``
    or ``--body -1``, which argparse refuses, and ``--title=--``, whose
    ``--`` Python < 3.12 drops. The first bare ``--`` is dropped, so flags
    work before and after paii's separator; a later one is left to
    argparse. An option with nothing after it is left to argparse to report.
    """
    rest, values, dropped, i = [], {}, False, 0
    while i < len(args):
        a = args[i]
        name, eq, inline = a.partition("=")
        if a in value_options and i + 1 < len(args):
            values.setdefault(a, []).append(args[i + 1])
            i += 2
            continue
        if eq and name in value_options:
            values.setdefault(name, []).append(inline)
        elif a == "--" and not dropped:
            dropped = True
        else:
            rest.append(a)
        i += 1
    return rest, values


def parse(p: Parser, args, value_options=(), repeated=(), required=()):
    """The options: argparse's, plus ``value_options`` (the last occurrence
    wins, except for ``repeated`` ones, which keep a list); ``required``
    options missing are a :class:`UsageError`."""
    rest, values = split_args(list(args), value_options)
    opts = p.parse_args(rest)
    for option in value_options:
        dest = option[2:].replace("-", "_")
        found = values.get(option)
        if option in repeated:
            setattr(opts, dest, list(getattr(opts, dest, None) or []) + (found or []))
        elif found is not None:
            setattr(opts, dest, found[-1])
        elif not hasattr(opts, dest):
            setattr(opts, dest, None)
    missing = [o for o in required if getattr(opts, o[2:].replace("-", "_")) is None]
    if missing:
        raise UsageError("the following arguments are required: %s" % ", ".join(missing))
    return opts


def action(plugin: str, build, value_options=(), repeated=(), required=()):
    """Decorates ``fn(opts) -> exit code`` into an SDK action
    ``handler(args) -> exit code``: parses with the parser ``build()``
    makes, and turns :class:`UsageError` into 2 and :class:`Failure` into 1,
    each with its message on stderr."""

    def wrap(fn):
        def run(args):
            p = build()
            try:
                opts = parse(p, args, value_options, repeated, required)
                return fn(opts) or 0
            except UsageError as e:
                _stderr("%s: %s\n%s" % (plugin, e, p.format_usage()))
                return EXIT_USAGE
            except Failure as e:
                _stderr("%s: %s\n" % (plugin, e))
                return EXIT_ERROR

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        return run

    return wrap


def nonblank(value, option: str) -> str:
    """``value`` stripped; a :class:`UsageError` when it is empty."""
    text = (value or "").strip()
    if not text:
        raise UsageError("%s is empty" % option)
    return text


# --- secrets and config ------------------------------------------------------


def dotenv() -> str:
    """Where the user puts secrets, for messages."""
    return "$PAII_HOME/.env (%s)" % os.path.join(str(paii.paii_home()), ".env")


def secret(name: str):
    """The value of the secret ``name`` (paii passes only the ``.env`` keys
    of the plugin's ``[secrets]``), or ``None`` when unset or blank."""
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    hide(value)
    return value


def hide(value: str) -> None:
    """Never print ``value`` (nor any message containing it)."""
    if value:
        _HIDDEN.add(value)


def redact(text: str) -> str:
    for value in sorted(_HIDDEN, key=len, reverse=True):
        text = text.replace(value, "[redacted]")
    return text


def missing(things) -> Failure:
    """One error naming everything that is missing, so that one run says
    all there is to fix."""
    return Failure("missing " + "; ".join(things))


def config() -> dict:
    return paii.config()


def config_str(cfg: dict, key: str, default: str = "") -> str:
    value = cfg.get(key, default)
    if value is None:
        return default
    if not isinstance(value, str):
        raise Failure("config `%s` must be a string, not %s" % (key, json.dumps(value)))
    return value.strip()


def config_url(cfg: dict, key: str, default: str = "") -> str:
    """An http(s) base URL from the config, without its trailing ``/``;
    ``""`` when unset and no default."""
    value = config_str(cfg, key, default).rstrip("/")
    if value and not value.lower().startswith(("https://", "http://")):
        raise Failure("config `%s` = %s is not an http(s) URL" % (key, json.dumps(value)))
    return value


def config_timeout(cfg: dict, default: float = 30) -> float:
    value = cfg.get("timeout_seconds", default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise Failure("config `timeout_seconds` must be a positive number, not %s" % json.dumps(value))
    return float(value)


# --- HTTP --------------------------------------------------------------------


def _no_redirects():
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        # urllib would resend the Authorization header to wherever a
        # redirect points, and turn a POST into a GET without its body: a
        # redirect is reported instead, to be fixed in the config.
        def redirect_request(self, req, fp, code, msg, headers, newurl):
            return None

    return NoRedirect


def request(method: str, url: str, headers: dict, body=None, timeout: float = 30, expect=(200,), explain=None, hint=None):
    """Sends one request (``body`` as JSON) and returns ``(status, json)``.

    Anything but a status in ``expect`` is a :class:`Failure` saying the
    method, URL and status, what the vendor said (``explain(status, data,
    text)`` -> its message, or ``None`` to show the start of the body) and,
    for 401 and 403, ``hint``. No answer at all is a :class:`Failure` naming
    the URL.
    """
    import http.client
    import urllib.error
    import urllib.request

    data = None
    headers = dict(headers)
    if body is not None:
        data = json.dumps(body, ensure_ascii=False).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    req = urllib.request.Request(url, data=data, headers=headers, method=method)
    opener = urllib.request.build_opener(_no_redirects())
    where = "%s %s" % (method, url)
    reason = ""
    try:
        with opener.open(req, timeout=timeout) as resp:
            status, reason, raw, answer_headers = resp.status, resp.reason, resp.read(), resp.headers
    except urllib.error.HTTPError as e:
        status, reason, answer_headers = e.code, e.reason, e.headers
        try:
            raw = e.read()
        except (OSError, http.client.HTTPException):
            raw = b""
    except urllib.error.URLError as e:
        cause = e.reason
        if isinstance(cause, ConnectionRefusedError):
            raise Failure("cannot connect to %s: connection refused" % url) from None
        if isinstance(cause, (socket.timeout, TimeoutError)):
            raise Failure("no answer from %s within %g s" % (url, timeout)) from None
        if isinstance(cause, socket.gaierror):
            raise Failure("cannot reach %s: unknown host (%s)" % (url, cause)) from None
        raise Failure("cannot reach %s: %s" % (url, cause)) from None
    except (socket.timeout, TimeoutError):
        raise Failure("no answer from %s within %g s" % (url, timeout)) from None
    except (http.client.HTTPException, ConnectionError) as e:
        raise Failure("%s failed: the connection broke (%s)" % (where, type(e).__name__ + (": %s" % e if str(e) else ""))) from None
    except ValueError:
        # http.client quotes the offending header value, a secret
        # perhaps, in its message: that message is not shown.
        raise Failure("cannot send %s: a header value has a character HTTP does not allow (check the secrets in %s)" % (where, dotenv())) from None

    text = raw.decode("utf-8", "replace")
    try:
        parsed = json.loads(text) if text.strip() else None
    except ValueError:
        parsed = None

    if status in expect:
        if parsed is None and text.strip():
            raise Failure("%s answered HTTP %d, but not with JSON: %s" % (where, status, _start(text)))
        return status, parsed

    if 300 <= status < 400:
        to = answer_headers.get("Location") if answer_headers is not None else None
        raise Failure("%s answered HTTP %d, a redirect to %s: set the base URL in the config to where it points" % (where, status, to or "(no Location)"))
    said = explain(status, parsed, text) if explain is not None else None
    if not said:
        said = _start(text) or "(no body)"
    message = "%s failed: HTTP %d%s: %s" % (where, status, " " + reason if reason else "", said)
    if status == 429 and answer_headers is not None and answer_headers.get("Retry-After"):
        message += " (rate limited; retry after %s s)" % answer_headers.get("Retry-After")
    if status in (401, 403) and hint:
        message += "; " + hint
    raise Failure(message)


def _start(text: str, limit: int = 300) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[:limit] + "..."


def user_agent(plugin: str, version: str) -> str:
    return "paii-%s/%s" % (plugin, version)


# --- output ------------------------------------------------------------------


def emit(as_json: bool, obj: dict, line: str) -> int:
    """Prints the result: ``obj`` as one JSON object, or ``line``."""
    text = json.dumps(obj, ensure_ascii=False) if as_json else line
    sys.stdout.write(redact(text) + "\n")
    sys.stdout.flush()
    return 0


def _stderr(text: str) -> None:
    try:
        sys.stderr.write(redact(text))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
