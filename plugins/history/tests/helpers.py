"""What the tests share: a throwaway PAII_HOME and the plugin run as paii
runs it (the console script, the event on stdin, paii's environment)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
SRC = ROOT / "src"
TRANSCRIPT = FIXTURES / "transcript-2.1.332.jsonl"
SESSION_ID = "db4d1f3d-fe3f-4839-9385-b0f31f0f544a"

if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

from .toml_subset import config_defaults  # noqa: E402

#: What paii passes in PAII_CONFIG when nobody overrides a key: the
#: defaults of plugin.toml's [config] (the only place they are written).
DEFAULT_CONFIG = config_defaults(ROOT / "plugin.toml")


def command() -> list:
    """How to start the plugin: the installed console script when there is
    one next to this interpreter (``uv run``), else the package from src/."""
    script = Path(sys.executable).parent / "history"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "import sys; sys.path.insert(0, %r); from history import main; sys.exit(main())" % str(SRC)]


def event(name: str, **changes) -> dict:
    """A hook input Claude Code 2.1.332 sent (tests/fixtures/events/)."""
    e = json.loads((FIXTURES / "events" / ("%s.json" % name)).read_text(encoding="utf-8"))
    e.update(changes)
    return e


class Home(unittest.TestCase):
    """A test with its own PAII_HOME (and history inside it)."""

    def setUp(self):
        self._dir = tempfile.TemporaryDirectory(prefix="history-test-")
        self.root = Path(self._dir.name)
        self.home = self.root / "paii"
        self.home.mkdir()
        self.history = self.home / "history"
        # The test's config over plugin.toml's defaults, as paii merges
        # them; None runs history as outside paii, without PAII_CONFIG.
        self.config = {}

    def tearDown(self):
        for p in self.root.rglob("*"):
            try:
                if p.is_dir() and not p.is_symlink():
                    os.chmod(p, 0o755)
            except OSError:
                pass
        self._dir.cleanup()

    def env(self, **extra) -> dict:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.root),
            "PAII_HOME": str(self.home),
            "PAII_HISTORY_DIR": str(self.history),
            "PAII_PLUGIN_NAME": "history",
            # paii sets PYTHONPYCACHEPREFIX=$PAII_HOME/cache/python; a fresh
            # home per test would only make every test compile the standard
            # library again, and no bytecode must land in src/ either.
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        if self.config is not None:
            env["PAII_CONFIG"] = json.dumps(dict(DEFAULT_CONFIG, **self.config))
        env.update(extra)
        return env

    def run_history(self, args, stdin=b"", env=None, **kw) -> subprocess.CompletedProcess:
        if isinstance(stdin, (dict, list)):
            stdin = json.dumps(stdin).encode()
        elif isinstance(stdin, str):
            stdin = stdin.encode()
        kw.setdefault("timeout", 120)
        return subprocess.run(command() + list(args), input=stdin, capture_output=True, env=env or self.env(), **kw)

    def hook(self, kebab: str, payload, **kw) -> subprocess.CompletedProcess:
        p = self.run_history(["hook", kebab], payload, **kw)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return p

    def action(self, *args, stdin=b"", code=0) -> subprocess.CompletedProcess:
        p = self.run_history(["action"] + list(args), stdin)
        self.assertEqual(p.returncode, code, "stdout:\n%s\nstderr:\n%s" % (p.stdout.decode(), p.stderr.decode()))
        return p

    def transcript(self, lines=None, name="transcript.jsonl") -> Path:
        """A transcript in the sandbox: the fixture, or these lines."""
        path = self.root / name
        if lines is None:
            shutil.copyfile(TRANSCRIPT, path)
        else:
            path.write_text("".join((l if isinstance(l, str) else json.dumps(l)) + "\n" for l in lines), encoding="utf-8")
        return path

    def stop(self, transcript: Path, session_id=SESSION_ID, name="Stop", **kw):
        kebab = "stop" if name == "Stop" else "session-end"
        return self.hook(kebab, event(name, transcript_path=str(transcript), session_id=session_id), **kw)

    def raw_lines(self) -> list:
        out = []
        for f in sorted((self.history / "raw").glob("*/*.jsonl")):
            out += [json.loads(l) for l in f.read_text(encoding="utf-8").splitlines()]
        return out

    def files(self, category: str) -> list:
        return sorted((self.history / category).glob("*/*.md"))

    def all_written(self) -> str:
        """Every file history wrote, as one text."""
        return "\n".join(p.read_text(encoding="utf-8") for p in sorted(self.history.rglob("*")) if p.is_file())


def utc_day() -> str:
    return time.strftime("%Y-%m-%d", time.gmtime())


def user(text, ts="2026-01-05T10:00:00.000Z", **extra) -> dict:
    d = {"parentUuid": None, "isSidechain": False, "type": "user", "message": {"role": "user", "content": text},
         "uuid": "u-%s" % ts, "timestamp": ts, "userType": "external", "cwd": "/home/dev/app", "sessionId": "sess-1",
         "version": "2.1.332", "gitBranch": "main"}
    d.update(extra)
    return d


def assistant(blocks, ts="2026-01-05T10:00:01.000Z", mid="msg_1", **extra) -> dict:
    if isinstance(blocks, str):
        blocks = [{"type": "text", "text": blocks}]
    d = {"parentUuid": "p", "isSidechain": False, "type": "assistant",
         "message": {"id": mid, "type": "message", "role": "assistant", "model": "claude-test", "content": blocks},
         "uuid": "a-%s" % ts, "timestamp": ts, "userType": "external", "cwd": "/home/dev/app", "sessionId": "sess-1",
         "version": "2.1.332", "gitBranch": "main"}
    d.update(extra)
    return d


def tool_use(tid, name, **inp) -> dict:
    return {"type": "tool_use", "id": tid, "name": name, "input": inp}


def tool_result(tid, content, is_error=None, ts="2026-01-05T10:00:02.000Z") -> dict:
    block = {"tool_use_id": tid, "type": "tool_result", "content": content}
    if is_error is not None:
        block["is_error"] = is_error
    return user([block], ts=ts, toolUseResult=("Error: %s" % content) if is_error else {"stdout": "ok"})
