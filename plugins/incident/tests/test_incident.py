"""Tests of the incident plugin: the actions as paii runs them, and its files.

Run with ``uv run --locked python -m unittest discover -s tests -v`` from the
plugin's directory. The actions run in a subprocess (``python -m incident
action ...``), as paii would run them, with a controlled environment; a fake
``paii`` (``PAII_BIN``) stands in for the MemoryProvider.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"
sys.path.insert(0, str(SRC))

import incident  # noqa: E402

ID_RE = r"INC-\d{8}-\d{6}"

FAKE_PAII = textwrap.dedent(
    """\
    #!{python}
    import json, os, sys
    with open(os.environ["FAKE_PAII_LOG"], "a", encoding="utf-8") as f:
        f.write(json.dumps(sys.argv[1:]) + "\\n")
    mode = os.environ.get("FAKE_PAII_MODE", "ok")
    if mode == "fail":
        sys.stderr.write("history: cannot write the record: disk full\\n")
        sys.exit(3)
    if mode == "garbage":
        print("recorded somewhere")
        sys.exit(0)
    print(json.dumps({{"path": os.environ["FAKE_PAII_PATH"]}}))
    """
)


class Run:
    def __init__(self, done: subprocess.CompletedProcess):
        self.code = done.returncode
        self.out = done.stdout
        self.err = done.stderr

    def json(self):
        return json.loads(self.out)


class IncidentTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        self.calls = self.dir / "calls.jsonl"
        self.record_path = str(self.dir / "history" / "incidents" / "2025-03" / "inc.md")
        self.fake = self.dir / "paii"
        self.fake.write_text(FAKE_PAII.format(python=sys.executable), encoding="utf-8")
        self.fake.chmod(self.fake.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)

    def tearDown(self):
        self.tmp.cleanup()

    def run_incident(self, *args, env=None) -> Run:
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith("PAII_") and not k.startswith("FAKE_PAII_")
        }
        base["PYTHONPATH"] = os.pathsep.join([str(SRC)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else []))
        base["PAII_BIN"] = str(self.fake)
        base["FAKE_PAII_LOG"] = str(self.calls)
        base["FAKE_PAII_PATH"] = self.record_path
        base.update(env or {})
        done = subprocess.run(
            [sys.executable, "-m", "incident", "action"] + list(args),
            capture_output=True,
            text=True,
            env=base,
            cwd=str(self.dir),
            timeout=60,
        )
        return Run(done)

    def provider_calls(self) -> list:
        if not self.calls.exists():
            return []
        return [json.loads(line) for line in self.calls.read_text(encoding="utf-8").splitlines()]

    # --- declare with a MemoryProvider ---------------------------------------

    def test_declare_records_through_the_memory_provider(self):
        r = self.run_incident(
            "declare", "--severity", "SEV-2", "--title", "Checkout fails in eu-west", "--summary", "502s since 14:02",
            env={"PAII_CONTRACT_MEMORY": "history"},
        )
        self.assertEqual(r.code, 0, r.err)
        calls = self.provider_calls()
        self.assertEqual(len(calls), 1)
        argv = calls[0]
        self.assertEqual(argv[:5], ["run", "history", "--action", "record", "--"])
        rest = argv[5:]
        self.assertEqual(rest[0:2], ["--category", "incidents"])
        self.assertEqual(rest[2], "--title")
        self.assertRegex(rest[3], r"^" + ID_RE + r": \[SEV-2\] Checkout fails in eu-west$")
        self.assertEqual(rest[4], "--body")
        body = rest[5]
        self.assertIn("SEV-2 (Major)", body)
        self.assertIn("502s since 14:02", body)
        self.assertIn("within 30 minutes", body)
        for item in incident.CHECKLIST:
            self.assertIn("- [ ] " + item, body)
        self.assertEqual(rest[6:], ["--json"])
        self.assertIn("recorded: %s (through `history`)" % self.record_path, r.out)
        self.assertRegex(r.out, r"Declared " + ID_RE + r": \[SEV-2\] Checkout fails in eu-west")
        self.assertNotIn("not recorded", r.out)

    def test_declare_json_with_memory_provider(self):
        r = self.run_incident(
            "declare", "--severity", "sev-1", "--title", "API down", "--json",
            env={"PAII_CONTRACT_MEMORY": "history"},
        )
        self.assertEqual(r.code, 0, r.err)
        data = r.json()
        self.assertRegex(data["id"], "^" + ID_RE + "$")
        self.assertEqual(data["severity"], "SEV-1")
        self.assertEqual(data["title"], "API down")
        self.assertEqual(data["recorded"], self.record_path)
        self.assertEqual(data["integrations"], {"pagerduty": None, "slack": None})
        self.assertEqual(data["escalation_threshold_minutes"], 30)
        self.assertTrue(data["postmortem_required"])
        self.assertEqual(data["checklist"], list(incident.CHECKLIST))
        # the id is the declaration time
        declared = datetime.strptime(data["declared_at"], "%Y-%m-%dT%H:%M:%SZ")
        self.assertEqual(data["id"], declared.strftime("INC-%Y%m%d-%H%M%S"))
        self.assertEqual(r.err, "")

    def test_provider_failure_is_reported_and_exits_1(self):
        r = self.run_incident(
            "declare", "--severity", "SEV-2", "--title", "Checkout fails",
            env={"PAII_CONTRACT_MEMORY": "history", "FAKE_PAII_MODE": "fail"},
        )
        self.assertEqual(r.code, 1)
        self.assertIn("could not record", r.err)
        self.assertIn("disk full", r.err)
        self.assertIn("exited with 3", r.err)
        # the record is printed so it is not lost
        self.assertIn("## Checklist", r.out)
        self.assertNotRegex(r.out, r"(?m)^recorded: ")
        self.assertIn("not recorded: the MemoryProvider `history` failed", r.out)

    def test_provider_failure_json(self):
        r = self.run_incident(
            "declare", "--severity", "SEV-2", "--title", "Checkout fails", "--json",
            env={"PAII_CONTRACT_MEMORY": "history", "FAKE_PAII_MODE": "fail"},
        )
        self.assertEqual(r.code, 1)
        data = r.json()
        self.assertIsNone(data["recorded"])
        self.assertIn("disk full", data["error"])

    def test_missing_paii_binary_is_a_failure(self):
        r = self.run_incident(
            "declare", "--severity", "SEV-3", "--title", "x",
            env={"PAII_CONTRACT_MEMORY": "history", "PAII_BIN": str(self.dir / "no-such-paii")},
        )
        self.assertEqual(r.code, 1)
        self.assertIn("cannot run paii", r.err)

    def test_provider_without_path_still_succeeds(self):
        r = self.run_incident(
            "declare", "--severity", "SEV-3", "--title", "x", "--json",
            env={"PAII_CONTRACT_MEMORY": "history", "FAKE_PAII_MODE": "garbage"},
        )
        self.assertEqual(r.code, 0, r.err)
        self.assertIsNone(r.json()["recorded"])
        self.assertEqual(r.json()["memory"], "history")
        self.assertIn("did not say where", r.err)

    # --- declare without a MemoryProvider ------------------------------------

    def test_declare_without_memory_provider_prints_the_record(self):
        r = self.run_incident("declare", "--severity", "SEV-3", "--title", "Report export slow")
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(self.provider_calls(), [])
        self.assertIn("not recorded: no MemoryProvider wired; install history", r.out)
        self.assertRegex(r.out, r"# " + ID_RE + r": \[SEV-3\] Report export slow")
        self.assertIn("- [ ] " + incident.CHECKLIST[0], r.out)
        self.assertNotIn("postmortem: required", r.out)

    def test_declare_json_without_memory_provider(self):
        r = self.run_incident("declare", "--severity", "SEV-4", "--title", "Cert expires soon", "--json")
        self.assertEqual(r.code, 0, r.err)
        data = r.json()
        self.assertIsNone(data["recorded"])
        self.assertIsNone(data["memory"])
        self.assertEqual(data["severity"], "SEV-4")
        self.assertFalse(data["postmortem_required"])
        for key in ("id", "severity", "title", "recorded", "integrations"):
            self.assertIn(key, data)

    # --- severities and command lines ----------------------------------------

    def test_bad_severity_is_a_usage_error(self):
        for bad in ("SEV-5", "SEV-0", "critical", "high", "", "SEV-12"):
            with self.subTest(severity=bad):
                r = self.run_incident("declare", "--severity", bad, "--title", "x", env={"PAII_CONTRACT_MEMORY": "history"})
                self.assertEqual(r.code, 2, r.err)
                self.assertIn("unknown severity", r.err)
                self.assertIn("SEV-1, SEV-2, SEV-3, SEV-4", r.err)
                self.assertEqual(r.out, "")
        self.assertEqual(self.provider_calls(), [])

    def test_severity_is_case_insensitive(self):
        for given, want in (("sev-1", "SEV-1"), ("Sev-2", "SEV-2"), ("SEV3", "SEV-3"), ("sev-4", "SEV-4")):
            with self.subTest(severity=given):
                r = self.run_incident("declare", "--severity", given, "--title", "x", "--json")
                self.assertEqual(r.code, 0, r.err)
                self.assertEqual(r.json()["severity"], want)

    def test_missing_title_is_a_usage_error(self):
        r = self.run_incident("declare", "--severity", "SEV-2")
        self.assertEqual(r.code, 2)
        self.assertIn("--title", r.err)
        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "   ")
        self.assertEqual(r.code, 2)

    def test_unknown_flag_is_a_usage_error(self):
        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "x", "--page-everyone")
        self.assertEqual(r.code, 2)
        self.assertIn("--page-everyone", r.err)

    def test_flags_before_and_after_a_literal_separator(self):
        for args in (
            ["--", "--severity", "SEV-1", "--title", "API down", "--json"],
            ["--severity", "SEV-1", "--", "--title", "API down", "--json"],
            ["--severity", "SEV-1", "--title", "API down", "--json"],
        ):
            with self.subTest(args=args):
                r = self.run_incident("declare", *args)
                self.assertEqual(r.code, 0, r.err)
                self.assertEqual((r.json()["severity"], r.json()["title"]), ("SEV-1", "API down"))

    def test_a_separator_given_as_a_value_is_kept(self):
        for args, field, value in (
            (["--severity", "SEV-2", "--title", "--", "--json"], "title", "--"),
            (["--", "--severity", "SEV-2", "--title", "--", "--json"], "title", "--"),
            (["--severity", "SEV-2", "--", "--title", "--", "--json"], "title", "--"),
            (["--title", "API down", "--summary", "--", "--json"], "summary", "--"),
            (["--title", "-oops", "--json"], "title", "-oops"),
        ):
            with self.subTest(args=args):
                r = self.run_incident("declare", *args)
                self.assertEqual(r.code, 0, r.err)
                self.assertEqual(r.json()[field], value)

    def test_only_the_first_bare_separator_is_dropped(self):
        split = incident._split_args
        self.assertEqual(split(["--", "--title", "--", "--", "--json"], ("--title",)), (["--", "--json"], {"--title": "--"}))
        self.assertEqual(split(["--json", "--"]), (["--json"], {}))
        self.assertEqual(split(["--title=--", "--title", "b"], ("--title",)), ([], {"--title": "b"}), "the last one wins")
        self.assertEqual(split(["--title"], ("--title",)), (["--title"], {}), "a missing value is argparse's to report")
        r = self.run_incident("declare", "--", "--title", "x", "--", "--json")
        self.assertEqual(r.code, 2, "a second separator is not swallowed")

    def test_config_sets_threshold_and_default_severity(self):
        cfg = {"escalation_threshold_minutes": 15, "default_severity": "sev-4", "postmortem_required_for": ["SEV-1"]}
        r = self.run_incident("declare", "--title", "x", "--json", env={"PAII_CONFIG": json.dumps(cfg)})
        self.assertEqual(r.code, 0, r.err)
        data = r.json()
        self.assertEqual(data["severity"], "SEV-4")
        self.assertEqual(data["escalation_threshold_minutes"], 15)
        fmt = "%Y-%m-%dT%H:%M:%SZ"
        delta = datetime.strptime(data["escalate_at"], fmt) - datetime.strptime(data["declared_at"], fmt)
        self.assertEqual(delta.total_seconds(), 15 * 60)
        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "x", "--json", env={"PAII_CONFIG": json.dumps(cfg)})
        self.assertFalse(r.json()["postmortem_required"])

    def test_bad_config_falls_back_to_defaults(self):
        cfg = {"escalation_threshold_minutes": "soon", "default_severity": "SEV-9"}
        r = self.run_incident("declare", "--title", "x", "--json", env={"PAII_CONFIG": json.dumps(cfg)})
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(r.json()["escalation_threshold_minutes"], 30)
        self.assertEqual(r.json()["severity"], "SEV-3")
        self.assertIn("escalation_threshold_minutes", r.err)

    # --- integrations ----------------------------------------------------------

    def test_integrations_none_wired(self):
        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "x")
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("\npagerduty: none\n", r.out)
        self.assertIn("\nslack: none\n", r.out)

    def test_integrations_wired(self):
        env = {"PAII_CONTRACT_PAGERDUTY": "pagerduty-oncall", "PAII_CONTRACT_SLACK": "slack-notify"}
        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "x", env=env)
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("would page PagerDuty through plugin `pagerduty-oncall`", r.out)
        self.assertIn("would notify Slack through `slack-notify`", r.out)
        self.assertNotIn(": none", r.out)
        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "x", "--json", env=env)
        self.assertEqual(r.json()["integrations"], {"pagerduty": "pagerduty-oncall", "slack": "slack-notify"})

    def test_integrations_one_wired(self):
        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "x", env={"PAII_CONTRACT_SLACK": "slack"})
        self.assertIn("pagerduty: none", r.out)
        self.assertIn("would notify Slack through `slack`", r.out)
        self.assertEqual(self.provider_calls(), [])

    # --- other actions ---------------------------------------------------------

    def test_severities_action(self):
        r = self.run_incident("severities", "--json")
        self.assertEqual(r.code, 0, r.err)
        rows = r.json()
        self.assertEqual([row["severity"] for row in rows], ["SEV-1", "SEV-2", "SEV-3", "SEV-4"])
        r = self.run_incident("severities")
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("SEV-1  Critical", r.out)

    def test_unknown_action_is_left_to_the_sdk(self):
        r = self.run_incident("page-everyone")
        self.assertNotEqual(r.code, 0)
        self.assertIn("unknown action", r.err)
        self.assertIn("declare", r.err)


# --- the plugin's files --------------------------------------------------------


def frontmatter(path: Path) -> dict:
    """The YAML frontmatter's ``key: value`` lines (all this plugin uses)."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        raise AssertionError("%s does not start with a --- frontmatter line" % path)
    end = text.find("\n---\n", 4)
    if end < 0:
        raise AssertionError("%s: the frontmatter is not closed by ---" % path)
    fields = {}
    for line in text[4:end].splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        key, sep, value = line.partition(":")
        if not sep or line[:1].isspace():
            raise AssertionError("%s: not a `key: value` line: %r" % (path, line))
        value = value.strip()
        if value[:1] in ("'", '"'):
            value = json.loads(value) if value[0] == '"' else value[1:-1].replace("''", "'")
        else:
            # a plain YAML scalar must not hold `: ` or ` #` (they would end or split it)
            if ": " in value or " #" in value or value[:1] in "[{&*!|>%@`":
                raise AssertionError("%s: %s needs quoting in YAML: %r" % (path, key, value))
        fields[key.strip()] = value
    return fields


NAME_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
SKILL_KEYS = {
    "name", "description", "when_to_use", "argument-hint", "arguments", "disable-model-invocation",
    "user-invocable", "allowed-tools", "disallowed-tools", "model", "effort", "context", "agent",
    "hooks", "paths", "shell", "license", "compatibility", "metadata",
}
AGENT_KEYS = {
    "name", "description", "tools", "disallowedTools", "model", "permissionMode", "maxTurns", "skills",
    "mcpServers", "hooks", "memory", "background", "effort", "isolation", "color", "initialPrompt",
}


class FilesTest(unittest.TestCase):
    def test_skill_frontmatter(self):
        fm = frontmatter(ROOT / "SKILL.md")
        self.assertEqual(fm.get("name"), "incident")
        self.assertRegex(fm["name"], NAME_RE)
        self.assertLessEqual(len(fm["name"]), 64)
        self.assertTrue(fm.get("description"), "SKILL.md needs a description")
        self.assertLessEqual(len(fm["description"]), 1024)
        self.assertIn("Use when", fm["description"])
        self.assertLessEqual(set(fm), SKILL_KEYS)

    def test_skill_links_resolve(self):
        text = (ROOT / "SKILL.md").read_text(encoding="utf-8")
        links = re.findall(r"\]\(([^)#]+)\)", text)
        self.assertIn("workflows/declare.md", links)
        self.assertIn("workflows/postmortem.md", links)
        for link in links:
            self.assertTrue((ROOT / link).is_file(), link)

    def test_agent_frontmatter(self):
        path = ROOT / "agents" / "incident-coordinator" / "AGENT.md"
        fm = frontmatter(path)
        self.assertEqual(fm.get("name"), "incident-coordinator")
        self.assertEqual(fm["name"], path.parent.name)
        self.assertTrue(fm.get("description"))
        self.assertLessEqual(set(fm), AGENT_KEYS)
        body = path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
        self.assertGreater(len(body.strip()), 200)

    def test_severity_table_matches_declare_md(self):
        text = (ROOT / "workflows" / "declare.md").read_text(encoding="utf-8")
        rows = [
            tuple(cell.strip() for cell in line.strip().strip("|").split("|"))
            for line in text.splitlines()
            if line.startswith("| SEV-")
        ]
        self.assertEqual(rows, [tuple(row) for row in incident.SEVERITIES])

    def test_checklist_matches_declare_md(self):
        text = (ROOT / "workflows" / "declare.md").read_text(encoding="utf-8")
        section = text.split("## Declaration checklist", 1)[1].split("\n## ", 1)[0]
        items = [line[len("- [ ] "):] for line in section.splitlines() if line.startswith("- [ ] ")]
        self.assertEqual(items, list(incident.CHECKLIST))

    def test_postmortem_template_sections(self):
        text = (ROOT / "workflows" / "postmortem.md").read_text(encoding="utf-8")
        for heading in ("## Summary", "## Impact", "## Timeline (UTC)", "## Root cause", "## Action items"):
            self.assertIn(heading, text)
        self.assertIn("Blameless", text)

    def test_vendored_sdk_is_identical(self):
        upstream = ROOT.parent.parent / "sdk" / "python" / "paii_plugin.py"
        if not upstream.is_file():
            self.skipTest("no sdk/python/paii_plugin.py two levels up (not in the paii repository)")
        vendored = SRC / "incident" / "paii_plugin.py"
        self.assertEqual(
            vendored.read_bytes(), upstream.read_bytes(),
            "src/incident/paii_plugin.py differs from sdk/python/paii_plugin.py; copy it again",
        )

    def test_manifests_agree(self):
        try:
            import tomllib
        except ImportError:  # Python < 3.11
            self.skipTest("tomllib needs Python 3.11")
        plugin = tomllib.loads((ROOT / "plugin.toml").read_text(encoding="utf-8"))
        project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
        self.assertEqual(plugin["plugin"]["name"], "incident")
        self.assertEqual(plugin["plugin"]["version"], project["project"]["version"])
        self.assertEqual(plugin["provides"], {"skill": "incident"})
        self.assertEqual(set(plugin["consumes"]), {"memory", "pagerduty", "slack"})
        self.assertTrue(all(c.get("optional") for c in plugin["consumes"].values()))
        self.assertNotIn("hooks", plugin)
        self.assertEqual(plugin["build"]["type"], "uv")
        self.assertEqual(plugin["run"]["command"], ["incident"])
        self.assertEqual(sorted(plugin["run"]["actions"]), sorted(incident.ACTIONS))
        self.assertEqual(project["project"]["scripts"]["incident"], "incident:main")
        self.assertEqual(project["project"]["dependencies"], [])
        cfg = plugin["config"]
        self.assertEqual(cfg["escalation_threshold_minutes"]["type"], "integer")
        self.assertEqual(cfg["escalation_threshold_minutes"]["default"], incident.DEFAULT_ESCALATION_MINUTES)
        self.assertEqual(cfg["default_severity"]["default"], incident.DEFAULT_SEVERITY)
        self.assertEqual(cfg["postmortem_required_for"]["default"], list(incident.DEFAULT_POSTMORTEM_REQUIRED))


if __name__ == "__main__":
    unittest.main()
