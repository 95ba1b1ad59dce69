"""``postmortem``: the draft's contents (the incident's timeline, the
sessions' raw events, decisions and learnings through the MemoryProvider),
its location in the history, and that it never overwrites a draft unless
told to."""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

from helpers import FMT, PluginTest, fail

MEMORY = {"PAII_CONTRACT_MEMORY": "mem-x"}


def read(path) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()
HEADINGS = (
    "## Summary", "## Impact", "## Timeline (UTC)", "## Decisions", "## Detection", "## Response",
    "## Root cause and contributing factors", "## What went well", "## Where we got lucky",
    "## Action items", "## Lessons learned", "## Sources",
)


class PostmortemTest(PluginTest):
    def raw(self, at: datetime, event: str, session: str, tool=None, **data):
        day = at.strftime("%Y-%m-%d")
        path = self.history / "raw" / day[:7] / (day + ".jsonl")
        path.parent.mkdir(parents=True, exist_ok=True)
        line = {
            "time": at.strftime("%Y-%m-%dT%H:%M:%S.123Z"),
            "event": event,
            "session_id": session,
            "cwd": "/srv",
            "tool_name": tool,
            "data": dict(data, hook_event_name=event, session_id=session, **({"tool_name": tool} if tool else {})),
        }
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(line) + "\n")

    def entry(self, category, title, line="", name=None):
        path = str(self.history / category / "2025-03" / (name or "2025-03-14-%s.md" % title.lower().replace(" ", "-")[:30]))
        return {"category": category, "date": "2025-03-14", "path": path, "title": title, "line": line, "line_number": 1, "matches": []}

    def target(self, incident_id: str) -> str:
        declared = datetime.strptime(self.state(incident_id)["declared_at"], FMT)
        day = declared.strftime("%Y-%m-%d")
        return str(self.history / "incidents" / day[:7] / ("%s-%s-postmortem.md" % (day, incident_id)))

    def test_the_draft_gathers_the_timeline_the_sessions_and_the_history(self):
        title = "Checkout fails in eu-west"
        incident_id = self.declare("--severity", "SEV-2", "--title", title, "--summary", "502s on card payments", env=MEMORY)
        self.run_incident("update", incident_id, "--note", "gateway pool exhausted", env=MEMORY)
        self.run_incident("resolve", incident_id, "--note", "rolled back the gateway config", env=MEMORY)
        t = datetime.strptime(self.state(incident_id)["declared_at"], FMT).replace(tzinfo=timezone.utc)

        self.raw(t - timedelta(hours=3), "UserPromptSubmit", "sess-1", prompt="an old unrelated prompt")
        self.raw(t - timedelta(minutes=20), "UserPromptSubmit", "sess-1", prompt="checkout is returning 502s, help")
        self.raw(t - timedelta(minutes=15), "PreToolUse", "sess-1", "Bash", tool_input={"command": "kubectl get pods | grep gateway"})
        self.raw(t - timedelta(minutes=14), "PreToolUse", "sess-1", "Read", tool_input={"file_path": "/srv/gateway/README"})
        self.raw(t - timedelta(minutes=10), "PostToolUseFailure", "sess-1", "Bash", error="Error: connection refused\nat line 2")
        self.raw(t - timedelta(minutes=5), "UserPromptSubmit", "sess-2", prompt="unrelated session prompt")
        self.raw(t, "PostToolUse", "sess-1", "Bash", tool_response={"stdout": "Declared %s: [SEV-2] %s" % (incident_id, title)})
        self.raw(t + timedelta(seconds=1), "PreToolUse", "sess-1", "Edit", tool_input={"file_path": "/srv/gateway/config.yaml"})
        self.raw(t + timedelta(hours=1), "UserPromptSubmit", "sess-1", prompt="later, something else")

        target = self.target(incident_id)
        decision = self.entry("decisions", "Decision: roll back the gateway config", line="We decided to roll back the gateway config")
        learning = self.entry("learnings", "Learning: pool size must follow traffic", line="- **Session:** `sess-1`")
        summary = self.entry("sessions", "Checkout 502s", name="2025-03-14-sess-1.md")
        record = self.entry("incidents", "%s: [SEV-2] %s" % (incident_id, title))
        older = self.entry("incidents", "INC-20250101-000000-aaaa: [SEV-2] %s" % title)
        own = dict(self.entry("incidents", "Postmortem: %s" % incident_id), path=target)
        scenario = {"mem-x query": {"answers": {incident_id: [own, record], title: [record, older], "sess-1": [decision, learning, summary]}}}

        self.forget_calls()
        r = self.run_incident("postmortem", incident_id, env=MEMORY, scenario=scenario)
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(r.err, "")
        self.assertIn("postmortem draft: %s" % target, r.out)
        self.assertEqual(os.stat(target).st_mode & 0o777, 0o600)
        queries = self.calls_to("query")
        self.assertEqual({plugin for plugin, _ in queries}, {"mem-x"}, "the wired MemoryProvider, whatever its name")
        self.assertEqual(sorted(args for _, args in queries), sorted([[incident_id, "--json"], [title, "--json"], ["sess-1", "--json"]]))

        text = read(target)
        self.assertTrue(text.startswith("# Postmortem: %s: %s\n" % (incident_id, title)))
        positions = [text.index(h) for h in HEADINGS]
        self.assertEqual(positions, sorted(positions), "the template's order")
        self.assertIn("- **Severity:** SEV-2 (highest reached)", text)
        self.assertIn("- **Status:** draft", text)
        self.assertIn("502s on card payments", text)
        # the incident's timeline
        for line in ("declared SEV-2 (Major): %s" % title, "gateway pool exhausted", "resolved after", "rolled back the gateway config"):
            self.assertIn(line, text)
        # the session's events, in time order, within the window
        wanted = [
            "| session sess-1 | prompt: checkout is returning 502s, help |",
            "| session sess-1 | ran `kubectl get pods \\| grep gateway` |",
            "| session sess-1 | failed: Bash: Error: connection refused |",
            "| incident | declared SEV-2 (Major): %s |" % title,
            "| session sess-1 | Edit /srv/gateway/config.yaml |",
        ]
        found = [text.index(w) for w in wanted]
        self.assertEqual(found, sorted(found), "the timeline is in time order")
        for absent in ("an old unrelated prompt", "unrelated session prompt", "later, something else", "/srv/gateway/README"):
            self.assertNotIn(absent, text)
        # the history, through the MemoryProvider
        decisions = text.split("## Decisions", 1)[1].split("\n## ", 1)[0]
        self.assertIn("[Decision: roll back the gateway config](../../decisions/2025-03/", decisions)
        self.assertIn('"We decided to roll back the gateway config"', decisions)
        lessons = text.split("## Lessons learned", 1)[1].split("\n## ", 1)[0]
        self.assertIn("[Learning: pool size must follow traffic]", lessons)
        self.assertNotIn("**Session:**", lessons, "a metadata line is not quoted")
        sources = text.split("## Sources", 1)[1]
        self.assertIn("sessions 2025-03-14 [Checkout 502s](../../sessions/2025-03/2025-03-14-sess-1.md)", sources)
        self.assertIn("INC-20250101-000000-aaaa", sources)
        self.assertIn("session `sess-1` (raw events)", sources)
        self.assertEqual(text.count(os.path.basename(target)), 0, "its own earlier draft is not a source")
        # the incident knows where its postmortem is
        state = self.state(incident_id)
        self.assertEqual(state["postmortem"], target)
        self.assertEqual(state["timeline"][-1]["event"], "postmortem")

    def test_it_never_overwrites_a_draft_unless_forced(self):
        incident_id = self.declare("--severity", "SEV-1", "--title", "API down")
        self.run_incident("resolve", incident_id)
        r = self.run_incident("postmortem", incident_id, "--json")
        self.assertEqual(r.code, 0, r.err)
        data = r.json()
        target = self.target(incident_id)
        self.assertEqual(data["path"], target)
        self.assertFalse(data["forced"])
        for key in ("id", "sessions", "session_events", "history_entries", "warnings", "errors"):
            self.assertIn(key, data)
        with open(target, "a", encoding="utf-8") as f:
            f.write("\nA person's edits.\n")
        r = self.run_incident("postmortem", incident_id)
        self.assertEqual(r.code, 1)
        self.assertIn("the postmortem of %s exists: %s" % (incident_id, target), r.err)
        self.assertIn("--force", r.err)
        self.assertIn("A person's edits.", read(target))
        r = self.run_incident("postmortem", incident_id, "--force", "--json")
        self.assertEqual(r.code, 0, r.err)
        self.assertTrue(r.json()["forced"])
        self.assertNotIn("A person's edits.", read(target))
        self.assertEqual(os.stat(target).st_mode & 0o777, 0o600)
        self.assertEqual(self.events(incident_id)[-2:], ["postmortem", "postmortem"])
        self.assertEqual(os.listdir(os.path.dirname(target)), [os.path.basename(target)], "no temporary file left behind")

    def test_it_lives_in_the_month_of_the_declaration(self):
        incident_id = self.declare("--title", "x")
        self.backdate(incident_id, 60 * 24 * 40)
        r = self.run_incident("postmortem", incident_id)
        self.assertEqual(r.code, 0, r.err)
        declared = datetime.strptime(self.state(incident_id)["declared_at"], FMT)
        expected = self.history / "incidents" / declared.strftime("%Y-%m") / ("%s-%s-postmortem.md" % (declared.strftime("%Y-%m-%d"), incident_id))
        self.assertTrue(expected.is_file(), r.out)

    def test_without_a_memory_provider_it_says_what_it_could_not_search(self):
        incident_id = self.declare("--title", "x")
        r = self.run_incident("postmortem", incident_id, "--json")
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("no MemoryProvider wired", r.json()["warnings"][0])
        self.assertIn("no MemoryProvider wired", r.err)
        text = read(r.json()["path"])
        self.assertIn("None found in the history (no MemoryProvider wired); to confirm.", text)
        self.assertIn("**The incident is still open**", text)
        self.assertIn("still open", text.split("- **Duration:**", 1)[1].split("\n", 1)[0])

    def test_a_failing_memory_provider_is_an_error_but_the_draft_is_written(self):
        incident_id = self.declare("--title", "x")
        r = self.run_incident("postmortem", incident_id, env=MEMORY, scenario={"query": fail("history: cannot read the history")})
        self.assertEqual(r.code, 1)
        self.assertIn("searching the history for `%s` through `mem-x` failed" % incident_id, r.err)
        self.assertIn("cannot read the history", r.err)
        self.assertTrue(os.path.isfile(self.target(incident_id)))
        self.assertIn("postmortem draft:", r.out)

    def test_a_long_session_keeps_its_start_and_end(self):
        incident_id = self.declare("--title", "x")
        t = datetime.strptime(self.state(incident_id)["declared_at"], FMT).replace(tzinfo=timezone.utc)
        self.raw(t, "PostToolUse", "s-long", "Bash", tool_response={"stdout": incident_id})
        for n in range(400):
            self.raw(t - timedelta(minutes=50) + timedelta(seconds=n), "PreToolUse", "s-long", "Bash", tool_input={"command": "step %03d" % n})
        r = self.run_incident("postmortem", incident_id, "--json")
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(r.json()["session_events"], 300)
        text = read(r.json()["path"])
        self.assertIn("step 000", text)
        self.assertIn("step 399", text)
        self.assertNotIn("step 200", text)
        self.assertIn("| … | sessions | 100 session events omitted; they are in the raw log |", text)
