"""Tests of the incident plugin: ``declare`` and the command lines as paii
runs them, the config, and the plugin's files. The rest of the lifecycle
is in test_lifecycle.py, the postmortem in test_postmortem.py.

Run with ``uv run --locked python -m unittest discover -s tests -v`` from the
plugin's directory. The actions run in a subprocess (``python -m incident
action ...``), as paii would run them, with a controlled environment; a fake
``paii`` (``PAII_BIN``, see helpers.py) stands in for the plugins wired to
``memory``, ``pagerduty`` and ``slack``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import unittest
from datetime import datetime, timezone
from pathlib import Path
from unittest import mock

from helpers import FMT, ID_RE, ROOT, SRC, PluginTest, fail

import incident  # noqa: E402
from incident import store  # noqa: E402

MEMORY = {"PAII_CONTRACT_MEMORY": "history"}


class DeclareTest(PluginTest):
    # --- declare with a MemoryProvider ---------------------------------------

    def test_declare_records_through_the_memory_provider(self):
        r = self.run_incident(
            "declare", "--severity", "SEV-2", "--title", "Checkout fails in eu-west", "--summary", "502s since 14:02",
            env=MEMORY,
        )
        self.assertEqual(r.code, 0, r.err)
        calls = self.calls()
        self.assertEqual(len(calls), 1, "no pager or chat wired: only the record")
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
        self.assertIn("no pager wired: page on-call by hand", body)
        for item in incident.CHECKLIST:
            self.assertIn("- [ ] " + item, body)
        self.assertEqual(rest[6:], ["--json"])
        self.assertIn("recorded: %s (through `history`)" % self.record_path, r.out)
        self.assertRegex(r.out, r"Declared " + ID_RE + r": \[SEV-2\] Checkout fails in eu-west")
        self.assertNotIn("not recorded", r.out)

    def test_declare_json_with_memory_provider(self):
        r = self.run_incident("declare", "--severity", "sev-1", "--title", "API down", "--json", env=MEMORY)
        self.assertEqual(r.code, 0, r.err)
        data = r.json()
        self.assertRegex(data["id"], "^" + ID_RE + "$")
        self.assertEqual(data["severity"], "SEV-1")
        self.assertEqual(data["title"], "API down")
        self.assertEqual(data["recorded"], self.record_path)
        self.assertEqual(data["memory"], "history")
        self.assertEqual(data["integrations"], {"pagerduty": None, "slack": None})
        self.assertEqual(data["escalation_threshold_minutes"], 30)
        self.assertTrue(data["postmortem_required"])
        self.assertEqual(data["checklist"], list(incident.CHECKLIST))
        self.assertEqual((data["warnings"], data["errors"]), ([], []))
        # the id starts with the declaration time
        declared = datetime.strptime(data["declared_at"], FMT)
        self.assertTrue(data["id"].startswith(declared.strftime("INC-%Y%m%d-%H%M%S-")), data["id"])
        self.assertEqual(data["paging"], "not_wired", "SEV-1 pages, but nothing is wired")
        self.assertEqual(r.err, "")

    def test_the_incident_is_kept_in_the_data_dir(self):
        r = self.run_incident("declare", "--severity", "SEV-3", "--title", "Report export slow", "--json")
        self.assertEqual(r.code, 0, r.err)
        data = r.json()
        path = self.state_path(data["id"])
        self.assertEqual(data["state"], str(path))
        self.assertEqual(path.stat().st_mode & 0o777, 0o600)
        state = self.state(data["id"])
        for key in ("id", "severity", "title", "status", "declared_at", "escalate_at", "timeline", "pages"):
            self.assertEqual(state[key], data[key], key)
        self.assertEqual(state["status"], "investigating")
        self.assertEqual(state["timeline"][0]["event"], "declared")
        self.assertEqual(list((self.data / "incidents").glob(".*.tmp")), [], "no temporary file left behind")

    def test_without_paii_data_dir_the_state_is_under_paii_home(self):
        r = self.run_incident("declare", "--title", "x", "--json", env={"PAII_DATA_DIR": None})
        self.assertEqual(r.code, 0, r.err)
        expected = self.home / "data" / "incident" / "incidents" / (r.json()["id"] + ".json")
        self.assertEqual(r.json()["state"], str(expected))
        self.assertTrue(expected.is_file())
        other = self.dir / "elsewhere"
        r = self.run_incident("declare", "--title", "y", "--json", env={"PAII_DATA_DIR": str(other)})
        self.assertTrue((other / "incidents" / (r.json()["id"] + ".json")).is_file())

    def test_provider_failure_is_reported_and_exits_1(self):
        scenario = {"history record": {"code": 3, "stderr": "history: cannot write the record: disk full\n"}}
        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "Checkout fails", env=MEMORY, scenario=scenario)
        self.assertEqual(r.code, 1)
        self.assertIn("could not record", r.err)
        self.assertIn("disk full", r.err)
        self.assertIn("exited with 3", r.err)
        # the record is printed so it is not lost, and the state is kept
        self.assertIn("## Checklist", r.out)
        self.assertNotRegex(r.out, r"(?m)^recorded: ")
        self.assertIn("not recorded: the MemoryProvider `history` failed", r.out)
        incident_id = re.search(ID_RE, r.out).group(0)
        self.assertIn("record_failed", self.events(incident_id))

    def test_provider_failure_json(self):
        scenario = {"record": {"code": 3, "stderr": "history: cannot write the record: disk full\n"}}
        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "Checkout fails", "--json", env=MEMORY, scenario=scenario)
        self.assertEqual(r.code, 1)
        data = r.json()
        self.assertIsNone(data["recorded"])
        self.assertIn("disk full", data["error"])
        self.assertTrue(any("disk full" in e for e in data["errors"]))
        self.assertTrue(self.state_path(data["id"]).is_file())

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
            env=MEMORY, scenario={"record": {"stdout": "recorded somewhere\n"}},
        )
        self.assertEqual(r.code, 0, r.err)
        self.assertIsNone(r.json()["recorded"])
        self.assertEqual(r.json()["memory"], "history")
        self.assertIn("did not say where", r.err)

    def test_an_unwritable_data_dir_still_pages(self):
        blocker = self.dir / "file"
        blocker.write_text("not a directory")
        env = {"PAII_DATA_DIR": str(blocker / "sub"), "PAII_CONTRACT_PAGERDUTY": "pagerduty"}
        r = self.run_incident("declare", "--severity", "SEV-1", "--title", "x", "--json", env=env)
        self.assertEqual(r.code, 1)
        self.assertIn("cannot save", r.err)
        self.assertEqual(r.json()["paging"], "paged")
        self.assertEqual(len(self.calls_to("trigger")), 1)

    # --- declare without a MemoryProvider ------------------------------------

    def test_declare_without_memory_provider_prints_the_record(self):
        r = self.run_incident("declare", "--severity", "SEV-3", "--title", "Report export slow")
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(self.calls(), [])
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
        for key in ("id", "severity", "title", "recorded", "integrations", "state", "timeline"):
            self.assertIn(key, data)

    # --- unique ids ------------------------------------------------------------

    def test_ids_differ_within_one_second(self):
        env = {"PAII_DATA_DIR": str(self.data)}
        when = datetime(2025, 3, 14, 14, 5, 12, tzinfo=timezone.utc)
        with mock.patch.dict(os.environ, env):
            ids = [store.create(when, lambda i: {"id": i})[0]["id"] for _ in range(50)]
        self.assertEqual(len(set(ids)), 50)
        for i in ids:
            self.assertTrue(i.startswith("INC-20250314-140512-"), i)
            self.assertRegex(i, "^" + ID_RE + "$")
        self.assertEqual(len(list((self.data / "incidents").glob("*.json"))), 50)

    def test_a_taken_id_is_never_overwritten(self):
        """Two creators drawing the same suffix: the second gets another."""
        when = datetime(2025, 3, 14, 14, 5, 12, tzinfo=timezone.utc)
        draws = iter(["abcd", "abcd", "abcd", "0123"])
        with mock.patch.dict(os.environ, {"PAII_DATA_DIR": str(self.data)}), \
                mock.patch.object(store.secrets, "token_hex", lambda n: next(draws)):
            first, _ = store.create(when, lambda i: {"id": i, "n": 1})
            second, _ = store.create(when, lambda i: {"id": i, "n": 2})
        self.assertEqual(first["id"], "INC-20250314-140512-abcd")
        self.assertEqual(second["id"], "INC-20250314-140512-0123")
        with mock.patch.dict(os.environ, {"PAII_DATA_DIR": str(self.data)}):
            self.assertEqual(store.load(first["id"])["n"], 1)

    def test_ids_differ_when_creators_race(self):
        """Threads drawing from four suffixes at once: each gets its own file."""
        when = datetime(2025, 3, 14, 14, 5, 12, tzinfo=timezone.utc)
        import random

        results, errors = [], []
        barrier = threading.Barrier(4)

        def create(n):
            try:
                barrier.wait()
                results.append(store.create(when, lambda i: {"id": i, "n": n})[0])
            except Exception as e:  # pragma: no cover - reported below
                errors.append(e)

        with mock.patch.dict(os.environ, {"PAII_DATA_DIR": str(self.data)}), \
                mock.patch.object(store.secrets, "token_hex", lambda n: random.choice(["0000", "0001", "0002", "0003"])):
            threads = [threading.Thread(target=create, args=(n,)) for n in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(errors, [])
            self.assertEqual(sorted(r["id"] for r in results), ["INC-20250314-140512-000%d" % i for i in range(4)])
            for r in results:
                self.assertEqual(store.load(r["id"])["n"], r["n"], "each file holds its own creator's incident")

    def test_concurrent_declares_get_distinct_ids(self):
        procs = [
            subprocess.Popen(
                self.argv(["declare", "--severity", "SEV-3", "--title", "race %d" % n, "--json"]),
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=self.env(), cwd=str(self.dir),
            )
            for n in range(8)
        ]
        outs = [p.communicate(timeout=60) for p in procs]
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, err)
        ids = [json.loads(out)["id"] for out, _ in outs]
        self.assertEqual(len(set(ids)), 8, ids)
        titles = {self.state(i)["title"] for i in ids}
        self.assertEqual(titles, {"race %d" % n for n in range(8)})

    def test_sequential_declares_in_one_second_differ(self):
        ids = [self.declare("--title", "again") for _ in range(3)]
        self.assertEqual(len(set(ids)), 3, ids)

    # --- severities and command lines ----------------------------------------

    def test_bad_severity_is_a_usage_error(self):
        for bad in ("SEV-5", "SEV-0", "critical", "high", "", "SEV-12"):
            with self.subTest(severity=bad):
                r = self.run_incident("declare", "--severity", bad, "--title", "x", env=MEMORY)
                self.assertEqual(r.code, 2, r.err)
                self.assertIn("unknown severity", r.err)
                self.assertIn("SEV-1, SEV-2, SEV-3, SEV-4", r.err)
                self.assertEqual(r.out, "")
        self.assertEqual(self.calls(), [])
        self.assertFalse((self.data / "incidents").exists(), "nothing is kept of a refused declaration")

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

    # --- other actions ---------------------------------------------------------

    def test_severities_action(self):
        r = self.run_incident("severities", "--json")
        self.assertEqual(r.code, 0, r.err)
        rows = r.json()
        self.assertEqual([row["severity"] for row in rows], ["SEV-1", "SEV-2", "SEV-3", "SEV-4"])
        self.assertEqual([row["pages"] for row in rows], [True, True, False, False])
        self.assertEqual([row["pager_severity"] for row in rows], ["critical", "error", "warning", "info"])
        r = self.run_incident("severities")
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("SEV-1  Critical", r.out)

    def test_unknown_action_is_left_to_the_sdk(self):
        r = self.run_incident("page-everyone")
        self.assertNotEqual(r.code, 0)
        self.assertIn("unknown action", r.err)
        for action in incident.ACTIONS:
            self.assertIn(action, r.err)


class ConfigTest(PluginTest):
    def test_config_sets_threshold_and_default_severity(self):
        cfg = {"escalation_threshold_minutes": 15, "default_severity": "sev-4", "postmortem_required_for": ["SEV-1"]}
        r = self.run_incident("declare", "--title", "x", "--json", env={"PAII_CONFIG": json.dumps(cfg)})
        self.assertEqual(r.code, 0, r.err)
        data = r.json()
        self.assertEqual(data["severity"], "SEV-4")
        self.assertEqual(data["escalation_threshold_minutes"], 15)
        delta = datetime.strptime(data["escalate_at"], FMT) - datetime.strptime(data["declared_at"], FMT)
        self.assertEqual(delta.total_seconds(), 15 * 60)
        self.assertEqual(data["warnings"], [])
        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "x", "--json", env={"PAII_CONFIG": json.dumps(cfg)})
        self.assertFalse(r.json()["postmortem_required"])

    def test_a_bad_threshold_is_never_replaced_silently(self):
        low, high = incident.ESCALATION_MINUTES_RANGE
        for bad in (-5, 0, high + 1, "soon", 2.5, True, None, [30]):
            with self.subTest(value=bad):
                cfg = {"escalation_threshold_minutes": bad}
                r = self.run_incident("declare", "--title", "x", "--json", env={"PAII_CONFIG": json.dumps(cfg)})
                self.assertEqual(r.code, 0, "an incident is declared whatever the config says: " + r.err)
                data = r.json()
                self.assertEqual(data["escalation_threshold_minutes"], 30)
                shown = json.dumps(bad)
                expected = (
                    "config escalation_threshold_minutes = %s is not a whole number of minutes from %d to %d; "
                    "using the default, 30 minutes" % (shown, low, high)
                )
                self.assertEqual(len(data["warnings"]), 1, data["warnings"])
                self.assertIn(expected, data["warnings"][0])
                self.assertIn("paii config set incident.escalation_threshold_minutes", data["warnings"][0])
                self.assertIn("incident: warning: " + expected, r.err)
        r = self.run_incident("declare", "--title", "x", env={"PAII_CONFIG": json.dumps({"escalation_threshold_minutes": -5})})
        self.assertIn("threshold 30 minutes, the default: the configured value is invalid", r.out)

    def test_the_bounds_of_the_threshold_are_valid(self):
        low, high = incident.ESCALATION_MINUTES_RANGE
        for good in (low, high):
            r = self.run_incident("declare", "--title", "x", "--json", env={"PAII_CONFIG": json.dumps({"escalation_threshold_minutes": good})})
            self.assertEqual((r.json()["escalation_threshold_minutes"], r.json()["warnings"]), (good, []))

    def test_other_bad_values_are_named_with_what_is_used(self):
        cfg = {"default_severity": "SEV-9", "postmortem_required_for": ["SEV-1", "urgent"], "slack_channel": 42}
        r = self.run_incident("declare", "--title", "x", "--json", env={"PAII_CONFIG": json.dumps(cfg)})
        self.assertEqual(r.code, 0, r.err)
        data = r.json()
        self.assertEqual(data["severity"], "SEV-3")
        warnings = "\n".join(data["warnings"])
        self.assertIn('config default_severity = "SEV-9" is not one of SEV-1, SEV-2, SEV-3, SEV-4; using the default, SEV-3', warnings)
        self.assertIn('config postmortem_required_for: "urgent" is not one of', warnings)
        self.assertIn("config slack_channel = 42 is not a string", warnings)
        self.assertEqual(len(data["warnings"]), 3)
        r = self.run_incident("declare", "--title", "x", "--json", env={"PAII_CONFIG": json.dumps({"postmortem_required_for": "SEV-1"})})
        self.assertIn("is not an array of severities; using the default, SEV-1, SEV-2", r.json()["warnings"][0])

    def test_every_action_warns_about_bad_config(self):
        incident_id = self.declare("--title", "x")
        env = {"PAII_CONFIG": json.dumps({"escalation_threshold_minutes": -5})}
        for args in (["update", incident_id, "--note", "n"], ["escalate", incident_id, "--force"], ["list"], ["resolve", incident_id]):
            with self.subTest(action=args[0]):
                r = self.run_incident(*args, env=env)
                self.assertIn("escalation_threshold_minutes = -5", r.err)

    def test_slack_channel_is_passed_to_the_chat(self):
        env = {"PAII_CONTRACT_SLACK": "slack", "PAII_CONFIG": json.dumps({"slack_channel": "#inc-war-room"})}
        r = self.run_incident("declare", "--title", "x", env=env)
        self.assertEqual(r.code, 0, r.err)
        (plugin, args), = self.calls_to("post")
        self.assertEqual(args[args.index("--channel") + 1], "#inc-war-room")
        self.assertIn("posted: `slack` in #inc-war-room", r.out)
        self.forget_calls()
        self.run_incident("declare", "--title", "x", env={"PAII_CONTRACT_SLACK": "slack"})
        (plugin, args), = self.calls_to("post")
        self.assertNotIn("--channel", args, "without the config the chat plugin picks its channel")


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
        self.assertEqual(plugin["consumes"]["pagerduty"], {"contract": "IntegrationProvider", "service": "pagerduty", "optional": True})
        self.assertEqual(plugin["consumes"]["slack"], {"contract": "IntegrationProvider", "service": "slack", "optional": True})
        self.assertTrue(all(c.get("optional") for c in plugin["consumes"].values()))
        self.assertNotIn("hooks", plugin)
        self.assertEqual(plugin["build"]["type"], "uv")
        self.assertEqual(plugin["run"]["command"], ["incident"])
        self.assertEqual(sorted(plugin["run"]["actions"]), sorted(incident.ACTIONS))
        self.assertEqual(project["project"]["scripts"]["incident"], "incident:main")
        self.assertEqual(project["project"]["dependencies"], [])
        cfg = plugin["config"]
        self.assertEqual(set(cfg), {"escalation_threshold_minutes", "default_severity", "postmortem_required_for", "slack_channel"})
        self.assertEqual(cfg["escalation_threshold_minutes"]["type"], "integer")
        self.assertEqual(cfg["escalation_threshold_minutes"]["default"], incident.DEFAULT_ESCALATION_MINUTES)
        low, high = incident.ESCALATION_MINUTES_RANGE
        self.assertIn("from %d to %d" % (low, high), cfg["escalation_threshold_minutes"]["description"])
        self.assertEqual(cfg["default_severity"]["default"], incident.DEFAULT_SEVERITY)
        self.assertEqual(cfg["postmortem_required_for"]["default"], list(incident.DEFAULT_POSTMORTEM_REQUIRED))
        self.assertEqual((cfg["slack_channel"]["type"], cfg["slack_channel"]["default"]), ("string", ""))
        # paii checks these when a value is set (`paii config set`, paii.toml).
        self.assertEqual((cfg["escalation_threshold_minutes"]["min"], cfg["escalation_threshold_minutes"]["max"]), (low, high))
        self.assertEqual(cfg["default_severity"]["choices"], [row[0] for row in incident.SEVERITIES])
        for key, entry in cfg.items():
            self.assertLessEqual(set(entry), {"type", "default", "description", "min", "max", "choices"}, "keys plugin.rs's ConfigOption reads: %s" % key)

    def test_the_docs_name_every_action(self):
        for doc in ("SKILL.md", "README.md", "agents/incident-coordinator/AGENT.md"):
            text = (ROOT / doc).read_text(encoding="utf-8")
            for action in incident.ACTIONS:
                with self.subTest(doc=doc, action=action):
                    self.assertTrue("paii run incident --action %s" % action in text, "%s does not show `%s`" % (doc, action))
        text = (ROOT / "workflows" / "declare.md").read_text(encoding="utf-8")
        for action in ("declare", "update", "escalate", "resolve", "list", "page"):
            self.assertTrue("--action %s" % action in text, "workflows/declare.md does not show `%s`" % action)
        text = (ROOT / "workflows" / "postmortem.md").read_text(encoding="utf-8")
        self.assertTrue("paii run incident --action postmortem" in text, "workflows/postmortem.md does not show `postmortem`")
        self.assertNotIn("would page", (ROOT / "README.md").read_text(encoding="utf-8"))

    def test_paging_follows_the_table(self):
        self.assertEqual(incident.PAGING, ("SEV-1", "SEV-2"))
        self.assertEqual(set(incident.PAGER_SEVERITY), {row[0] for row in incident.SEVERITIES})


if __name__ == "__main__":
    unittest.main()
