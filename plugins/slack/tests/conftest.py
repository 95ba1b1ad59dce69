"""Fixtures of the integration plugins' tests: a vendor played by a real HTTP
server on 127.0.0.1, and the plugin's actions run as paii runs them.

Identical in pagerduty, slack, jira and github (like ``client.py``); the
vendor itself (what it checks and answers) is in each plugin's test file.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
PACKAGE = next(p.name for p in SRC.iterdir() if (p / "__init__.py").is_file())
sys.path.insert(0, str(SRC))

#: Variables of the caller's environment that must not reach the action:
#: paii's own, proxies (which would take 127.0.0.1 elsewhere), and any
#: real secret of the four vendors.
_DROPPED_PREFIXES = ("PAII_", "PAGERDUTY_", "SLACK_", "JIRA_", "GITHUB_")
_PROXIES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


class Exchange:
    """One request the vendor received."""

    def __init__(self, method, target, headers, raw):
        parsed = urllib.parse.urlsplit(target)
        self.method = method
        self.path = parsed.path
        self.query = urllib.parse.parse_qs(parsed.query)
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.raw = raw
        try:
            self.json = json.loads(raw.decode("utf-8")) if raw else None
        except ValueError:
            self.json = None

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def __repr__(self):
        return "Exchange(%s %s)" % (self.method, self.path)


class Vendor:
    """A vendor on 127.0.0.1: ``app(exchange) -> (status, body, headers)``
    answers each request (``body`` a dict or list is sent as JSON, a str as
    text); every request is kept in ``seen``."""

    def __init__(self, app):
        self.app = app
        self.seen = []
        vendor = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                ex = Exchange(self.command, self.path, dict(self.headers.items()), raw)
                vendor.seen.append(ex)
                try:
                    status, body, headers = vendor.app(ex)
                except Exception as e:  # a broken fake must fail the test, not hang it
                    status, body, headers = 599, "fake vendor crashed: %r" % (e,), {}
                if isinstance(body, (dict, list)):
                    data = json.dumps(body).encode("utf-8")
                    ctype = "application/json; charset=utf-8"
                else:
                    data = (body or "").encode("utf-8")
                    ctype = "text/plain; charset=utf-8"
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _handle

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return "http://127.0.0.1:%d" % port


class Result:
    def __init__(self, done):
        self.code = done.returncode
        self.out = done.stdout
        self.err = done.stderr

    def json(self):
        lines = self.out.splitlines()
        assert len(lines) == 1, "one JSON object on one line: %r" % self.out
        return json.loads(lines[0])

    def __repr__(self):
        return "Result(code=%d, out=%r, err=%r)" % (self.code, self.out, self.err)


@pytest.fixture
def vendor_factory():
    made = []

    def make(app):
        v = Vendor(app)
        made.append(v)
        return v

    yield make
    for v in made:
        v.close()


@pytest.fixture
def run(tmp_path):
    """``run(action, *args, config={}, secrets={})``: runs ``python -m
    <package> action ACTION ARGS`` with ``PAII_CONFIG`` and the secrets in
    its environment, as paii would, and checks that no secret's value is in
    what it printed."""
    home = tmp_path / "paii-home"
    home.mkdir()

    def run_action(action, *args, config=None, secrets=None, hidden=()):
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(_DROPPED_PREFIXES) and k.lower() not in _PROXIES
        }
        env["PYTHONPATH"] = str(SRC)
        env["PAII_HOME"] = str(home)
        env["PAII_PLUGIN_NAME"] = PACKAGE
        env["PAII_CONFIG"] = json.dumps(config or {})
        env.update(secrets or {})
        done = subprocess.run(
            [sys.executable, "-m", PACKAGE, "action", action] + [str(a) for a in args],
            capture_output=True,
            text=True,
            env=env,
            cwd=str(tmp_path),
            timeout=60,
        )
        result = Result(done)
        for value in list((secrets or {}).values()) + list(hidden):
            if value and len(value) >= 4:
                assert value not in result.out, "a secret on stdout: %r" % result
                assert value not in result.err, "a secret on stderr: %r" % result
        return result

    run_action.home = home
    return run_action
