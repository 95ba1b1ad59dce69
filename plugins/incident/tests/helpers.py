"""What the tests share: the plugin run as paii runs it, in a temporary
PAII_HOME, with a fake ``paii`` (``PAII_BIN``) standing in for the plugins
it acts through.

The fake answers ``paii run NAME --action X -- ARGS`` as the integration
plugins' interface says (one JSON object on stdout, exit 0; or exit 1 with
the reason on stderr) and records every call. ``FAKE_PAII_SCENARIO`` (JSON)
changes an answer: keys ``"NAME ACTION"`` or ``"ACTION"``, values
``{"code": N, "stdout": TEXT, "stderr": TEXT}``, or for ``query``
``{"answers": {TEXT: [entries]}}``.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))

ID_RE = r"INC-\d{8}-\d{6}-[0-9a-f]{4}"
FMT = "%Y-%m-%dT%H:%M:%SZ"

FAKE_PAII = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys
    argv = sys.argv[1:]
    with open(os.environ["FAKE_PAII_LOG"], "a", encoding="utf-8") as f:
        f.write(json.dumps(argv) + "\\n")
    if len(argv) < 5 or argv[0] != "run" or argv[2] != "--action" or argv[4] != "--":
        sys.stderr.write("fake paii: bad usage: %r\\n" % argv)
        sys.exit(2)
    name, action, args = argv[1], argv[3], argv[5:]
    scenario = json.loads(os.environ.get("FAKE_PAII_SCENARIO") or "{{}}")
    rule = scenario.get(name + " " + action) or scenario.get(action)

    def opt(flag):
        return args[args.index(flag) + 1] if flag in args else None

    if rule is not None and "answers" not in rule:
        sys.stdout.write(rule.get("stdout", ""))
        sys.stderr.write(rule.get("stderr", ""))
        sys.exit(rule.get("code", 0))
    if action == "record":
        print(json.dumps({{"path": os.environ["FAKE_PAII_PATH"], "category": opt("--category")}}))
    elif action == "query":
        answers = (rule or {{}}).get("answers", {{}})
        print(json.dumps(answers.get(args[0], [])))
    elif action == "trigger":
        key = opt("--dedup-key")
        print(json.dumps({{"service": "pagerduty", "api": "events-v2", "dedup_key": key, "id": "Q" + key[-4:],
                          "status": "triggered", "url": "https://acme.pagerduty.com/incidents/Q" + key[-4:]}}))
    elif action in ("resolve", "acknowledge"):
        print(json.dumps({{"service": "pagerduty", "dedup_key": opt("--dedup-key"), "status": action + "d"}}))
    elif action == "post":
        print(json.dumps({{"service": "slack", "channel": opt("--channel") or "#incidents", "ts": "1700000000.000100"}}))
    else:
        sys.stderr.write("fake paii: `%s` has no action `%s`\\n" % (name, action))
        sys.exit(1)
    """
)


class Run:
    def __init__(self, done: subprocess.CompletedProcess):
        self.code = done.returncode
        self.out = done.stdout
        self.err = done.stderr

    def json(self):
        return json.loads(self.out)


def fail(message: str) -> dict:
    """A scenario answer: exit 1 with ``message`` on stderr."""
    return {"code": 1, "stderr": message + "\n"}


class PluginTest(unittest.TestCase):
    maxDiff = None

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.home = self.dir / "home"
        self.history = self.home / "history"
        self.data = self.home / "data" / "incident"
        self.calls_log = self.dir / "calls.jsonl"
        self.record_path = str(self.history / "incidents" / "2025-03" / "inc.md")
        self.fake = self.dir / "paii"
        self.fake.write_text(FAKE_PAII.format(python=sys.executable), encoding="utf-8")
        self.fake.chmod(self.fake.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    def tearDown(self):
        self.tmp.cleanup()

    def env(self, env=None, scenario=None) -> dict:
        base = {k: v for k, v in os.environ.items() if not k.startswith("PAII_") and not k.startswith("FAKE_PAII_")}
        base["PYTHONPATH"] = os.pathsep.join([str(SRC)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
        base["PAII_HOME"] = str(self.home)
        base["PAII_HISTORY_DIR"] = str(self.history)
        base["PAII_DATA_DIR"] = str(self.data)
        base["PAII_BIN"] = str(self.fake)
        base["FAKE_PAII_LOG"] = str(self.calls_log)
        base["FAKE_PAII_PATH"] = self.record_path
        if scenario is not None:
            base["FAKE_PAII_SCENARIO"] = json.dumps(scenario)
        for k, v in (env or {}).items():
            if v is None:
                base.pop(k, None)
            else:
                base[k] = v
        return base

    def argv(self, args) -> list:
        return [sys.executable, "-m", "incident", "action"] + [str(a) for a in args]

    def run_incident(self, *args, env=None, scenario=None) -> Run:
        done = subprocess.run(
            self.argv(args), capture_output=True, text=True, env=self.env(env, scenario), cwd=str(self.dir), timeout=60
        )
        return Run(done)

    def calls(self) -> list:
        if not self.calls_log.exists():
            return []
        return [json.loads(line) for line in self.calls_log.read_text(encoding="utf-8").splitlines()]

    def calls_to(self, action: str) -> list:
        """The ``(plugin, args)`` of every call of ``action``."""
        return [(c[1], c[5:]) for c in self.calls() if c[3] == action]

    def forget_calls(self):
        if self.calls_log.exists():
            self.calls_log.unlink()

    # --- the incidents' state ---------------------------------------------------

    def state_path(self, incident_id: str) -> Path:
        return self.data / "incidents" / (incident_id + ".json")

    def state(self, incident_id: str) -> dict:
        return json.loads(self.state_path(incident_id).read_text(encoding="utf-8"))

    def events(self, incident_id: str) -> list:
        return [e["event"] for e in self.state(incident_id)["timeline"]]

    def backdate(self, incident_id: str, minutes: int):
        """Moves every time of the incident ``minutes`` into the past, as if
        it had been declared that long ago."""
        state = self.state(incident_id)

        def shift(value):
            if isinstance(value, str) and len(value) == 20 and value.endswith("Z") and value[10] == "T":
                t = datetime.strptime(value, FMT) - timedelta(minutes=minutes)
                return t.strftime(FMT)
            return value

        for key in ("declared_at", "escalate_at", "escalated_at", "mitigated_at", "resolved_at"):
            state[key] = shift(state.get(key))
        for entry in state["timeline"]:
            entry["at"] = shift(entry["at"])
        for page in state.get("pages", []):
            page["at"] = shift(page.get("at"))
        self.state_path(incident_id).write_text(json.dumps(state), encoding="utf-8")

    def declare(self, *args, env=None, scenario=None) -> str:
        r = self.run_incident("declare", *args, "--json", env=env, scenario=scenario)
        self.assertIn(r.code, (0, 1), r.err)
        return r.json()["id"]


def utc_now() -> datetime:
    return datetime.now(timezone.utc)
