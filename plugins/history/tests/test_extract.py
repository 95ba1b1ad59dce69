"""The built-in extraction: what is a learning, a decision or an incident,
what is not, tool errors and their fixes, and filing each once per
project with its evidence."""

import json
import subprocess
import unittest

from .helpers import Home, assistant, command, event, tool_result, tool_use, user

from history import extract  # noqa: E402
from history.redact import Redactor  # noqa: E402


def category(sentence, source="prompt"):
    """The category the whole extraction files ``sentence`` under."""
    out = []
    extract._from_texts([("2026-01-05T10:00:00.000Z", sentence)], source, Redactor(), out)
    return out[0].category if out else None


class Sentences(unittest.TestCase):
    def test_what_the_issue_says_files_nothing_now_files(self):
        for sentence, expected in [
            ("going forward, let's use fakeredis everywhere", "decisions"),
            ("we chose fakeredis over a live Redis", "decisions"),
            ("The staging database is shared with QA, that's worth remembering.", "learnings"),
            ("from now on, always run ruff before committing", "decisions"),
            ("We decided not to support Python 3.8 anymore.", "decisions"),
            ("Let's go with option B.", "decisions"),
            ("We'll standardise on structlog everywhere.", "decisions"),
            ("The decision is to bill annually by default.", "decisions"),
            ("TIL: uv lock pins hashes", "learnings"),
            ("Turns out the cache key ignores the locale.", "learnings"),
            ("Note to self: the VPN must be up for the integration tests.", "learnings"),
            ("One gotcha: pytest-xdist does not share fixtures across workers.", "learnings"),
            ("The fix was to pin urllib3 below 2.", "learnings"),
            ("The root cause was a missing index on orders.created_at.", "learnings"),
            ("Remember that the staging DB is shared with QA.", "learnings"),
            ("prod is down", "incidents"),
            ("We had an outage last night: the payments API returned 502s.", "incidents"),
            ("I got paged at 3am because the queue backed up.", "incidents"),
            ("SEV2 declared for the login failures.", "incidents"),
            ("We lost about 200 webhook events, that's data loss.", "incidents"),
        ]:
            with self.subTest(sentence):
                self.assertEqual(category(sentence), expected)

    def test_what_must_not_file(self):
        for sentence, source in [
            ("should we decide?", "prompt"),
            ("Should we go with Postgres or MySQL?", "prompt"),
            ("Have we decided on the database", "prompt"),
            ("If we decided to use Redis, we'd need a cache layer.", "prompt"),
            ("We could standardise on zap for logging later.", "prompt"),
            ("We haven't decided on the database yet.", "prompt"),
            ("I think we agreed on slog last sprint?", "assistant"),
            ("Look at incident.py and the incident_report template", "prompt"),
            ("The outage-banner component shows a message.", "assistant"),
            ("The `Decision:` prefix is parsed by the ADR tool.", "prompt"),
            ('grep for "we decided" in the docs', "prompt"),
            ("Let's use grep to find the callers.", "assistant"),
            ("Let's use grep to find the callers.", "prompt"),
            ("I decided to use a dict for O(1) lookups.", "assistant"),
            ("Going forward, I'll read files before editing them.", "assistant"),
            ("We'll run the migration over the weekend.", "assistant"),
            ("This could cause an outage if the cache is cold.", "assistant"),
            ("To avoid data loss, the migration runs in a transaction.", "assistant"),
            ("There's no outage, just a slow deploy.", "prompt"),
            ("The runbook covers what to do during an outage.", "assistant"),
            ("I'm paging through the results to find the bad row.", "prompt"),
            ("What happens if prod goes down?", "prompt"),
            ("Let's see how it turns out.", "prompt"),
            ("I'll keep that in mind.", "assistant"),
            ("Do you remember that bug from last week?", "prompt"),
            ("Gotcha, I'll update the tests.", "assistant"),
            ("The tests fail in CI, what is the root cause?", "prompt"),
            ("Here is the incident response workflow of the incident plugin.", "assistant"),
            ("Decision: TBD", "prompt"),
            ("TIL nothing", "assistant"),
        ]:
            with self.subTest(sentence):
                self.assertIsNone(category(sentence, source))

    def test_code_quotes_tables_and_subagents_are_not_statements(self):
        text = ("Here is the plan:\n\n```python\n# TIL: never ship on Fridays\nDecision = 'keep'\n```\n\n"
                "> We decided long ago that every SEV1 gets a postmortem.\n\n"
                "| Decision | Why |\n|---|---|\n| Use fakeredis | no Redis on CI |\n\n"
                "    # Decision: an indented code line\n\nThat is all.")
        self.assertEqual([u.text for u in extract.units(text)], ["Here is the plan:", "That is all."])

    def test_a_list_under_a_label(self):
        text = ("To summarise:\n\n## Decisions\n\n- Keep the feature store in Parquet, partitioned by day.\n"
                "- Should we train hourly?\n\n## Next steps\n\n- Add drift metrics to the dashboard\n\n"
                "**Key takeaways:**\n1. The simulator caches entitlements.\n")
        s = extract.units(text)
        labelled = [(u.text, u.label) for u in s if u.label]
        self.assertEqual(labelled, [("- Keep the feature store in Parquet, partitioned by day.", "decisions"),
                                    ("- Should we train hourly?", "decisions"),
                                    ("1. The simulator caches entitlements.", "learnings")])
        self.assertIsNone(extract.classify("Should we train hourly?", "assistant", "decisions"), "a question even under a label")

    def test_every_match_holds_one_of_its_patterns_needles(self):
        """A pattern's regex runs only where one of its needles is: a match
        without one would never be found."""
        from history import transcript

        from .helpers import ROOT

        sentences = []
        for path in sorted((ROOT / "tests" / "corpus").glob("*.jsonl")):
            s = transcript.read(str(path), 1 << 26)
            for _, text in s.prompts + s.assistant_texts:
                for unit in extract.units(text):
                    sentences += extract._split_sentences(extract._clean(unit.text))
        self.assertGreater(len(sentences), 200)
        checked = 0
        for category, sources, scope, needles, pattern in extract._PATTERNS:
            regex = __import__("re").compile(pattern, __import__("re").I)
            for sentence in sentences:
                view = extract.view_of(sentence)
                if regex.search(view):
                    checked += 1
                    self.assertTrue(any(n in view.lower() for n in needles), "%s: %r" % (needles, sentence))
        self.assertGreater(checked, 100)

    def test_the_first_thing_under_a_root_cause_heading(self):
        for body in ("The DAG imports pandas_gbq, which the new image dropped. More detail.",
                     "- The DAG imports pandas_gbq, which the new image dropped.\n- Another point."):
            with self.subTest(body):
                out = []
                extract._from_texts([("2026-01-05T10:00:00Z", "### Root cause\n\n%s\n\n### What I changed\n\n- Added it back" % body)],
                                    "assistant", Redactor(), out)
                self.assertEqual([(c.category, c.statement) for c in out],
                                 [("learnings", "The DAG imports pandas_gbq, which the new image dropped.")])

    def test_the_same_statement_from_the_user_and_the_assistant_is_one(self):
        a = extract.normalise("going forward, let's use fakeredis everywhere in the test suite")
        b = extract.normalise("Understood: from now on we'll use fakeredis everywhere in the tests instead of a live Redis.")
        self.assertTrue(extract.same(extract.tokens(a), extract.tokens(b)))
        for x, y in [("use Postgres", "never use Postgres for analytics"),
                     ("keep the logs for 30 days", "keep the logs for 90 days"),
                     ("use fakeredis in unit tests", "use fakeredis in integration tests")]:
            with self.subTest(x):
                self.assertFalse(extract.same(extract.tokens(extract.normalise(x)), extract.tokens(extract.normalise(y))))


def session_of(lines):
    """A Session from transcript lines, in process."""
    from history import transcript

    s = transcript.Session("t.jsonl")
    for d in lines:
        transcript._add(s, d)
    return s


class ErrorsAndFixes(unittest.TestCase):
    def fixes(self, lines):
        out = []
        extract.error_fixes(session_of(lines), Redactor(), out)
        return [c.statement for c in out]

    def call(self, tid, cmd, result, error, ts):
        return [assistant([tool_use(tid, "Bash", command=cmd)], ts=ts, mid="m" + tid),
                tool_result(tid, result, is_error=error or None, ts=ts)]

    def test_a_different_call_that_works(self):
        lines = (self.call("1", "python -m pytest -q", "Exit code 1\n/usr/bin/python: No module named pytest", True, "2026-01-05T10:00:01Z")
                 + self.call("2", "uv run pytest -q", "5 passed", False, "2026-01-05T10:00:05Z"))
        [s] = self.fixes(lines)
        self.assertEqual(s, '`python -m pytest -q` failed with "/usr/bin/python: No module named pytest"; `uv run pytest -q` worked')

    def test_the_same_call_after_a_fix(self):
        lines = (self.call("1", "cargo build", "error: linker `cc` not found", True, "2026-01-05T10:00:01Z")
                 + self.call("2", "ls target", "debug", False, "2026-01-05T10:00:02Z")
                 + self.call("3", "apt-get install -y build-essential", "ok", False, "2026-01-05T10:00:03Z")
                 + self.call("4", "cargo build", "Finished", False, "2026-01-05T10:00:04Z"))
        [s] = self.fixes(lines)
        self.assertIn("after `apt-get install -y build-essential`, `cargo build` worked", s)

    def test_nothing_to_learn(self):
        cases = {
            "a failing test fixed in the code": (
                self.call("1", "pytest -q", "FAILED tests/test_a.py::test_x - AssertionError: 1 != 2", True, "2026-01-05T10:00:01Z")
                + [assistant([tool_use("e", "Edit", file_path="/a.py", old_string="1", new_string="2")], mid="me")]
                + self.call("2", "pytest -q", "1 passed", False, "2026-01-05T10:00:04Z")),
            "the same call, nothing in between but edits": (
                self.call("1", "npm test", "sh: 1: jest: not found", True, "2026-01-05T10:00:01Z")
                + self.call("2", "npm test", "ok", False, "2026-01-05T10:00:04Z")),
            "a look somewhere else": (
                self.call("1", "ls build/", "ls: cannot access 'build/': No such file or directory", True, "2026-01-05T10:00:01Z")
                + self.call("2", "ls dist/", "a.whl", False, "2026-01-05T10:00:04Z")),
            "grep finding nothing": (
                self.call("1", "grep -rn todo src", "", True, "2026-01-05T10:00:01Z")
                + self.call("2", "grep -rn fixme src", "src/a.py:1", False, "2026-01-05T10:00:04Z")),
            "never fixed": self.call("1", "make deploy", "make: *** No rule to make target 'deploy'. Stop.", True, "2026-01-05T10:00:01Z"),
            "the client's own refusal": (
                [assistant([tool_use("1", "Edit", file_path="/b.txt", old_string="x", new_string="y")], mid="m1"),
                 tool_result("1", "<tool_use_error>File does not exist.</tool_use_error>", is_error=True),
                 assistant([tool_use("2", "Edit", file_path="/a.txt", old_string="x", new_string="y")], mid="m2"),
                 tool_result("2", "ok")]),
        }
        for name, lines in cases.items():
            with self.subTest(name):
                self.assertEqual(self.fixes(lines), [])

    def test_shapes(self):
        for cmd, shape in [("uv run pytest -q", "pytest"), ("python -m pytest", "pytest"), ("FOO=1 npx jest --ci", "jest"),
                           ("cd app && npm run build", "npm run"), ("git push origin main", "git push"),
                           ("uv pip install x", "uv pip"), ("sudo apt-get install -y x", "apt-get install")]:
            with self.subTest(cmd):
                self.assertEqual(extract.shape("Bash", cmd), shape)


class Filing(Home):
    def entries(self):
        out = []
        for c in ("learnings", "decisions", "incidents"):
            out += [(c, p.read_text(encoding="utf-8")) for p in self.files(c)]
        return out

    def test_the_issues_session_files_three_entries_not_six(self):
        lines = [
            user("TIL: the CI cache is keyed on the lockfile hash", ts="2026-01-05T10:00:00.000Z"),
            assistant("TIL: the CI cache is keyed on the lockfile hash. Good to know.", ts="2026-01-05T10:00:01.000Z", mid="m1"),
            user("Decision: we ship the API behind a feature flag", ts="2026-01-05T10:00:02.000Z"),
            assistant("Decision: we ship the API behind a feature flag.", ts="2026-01-05T10:00:03.000Z", mid="m2"),
            user("prod is down, checkout returns 502", ts="2026-01-05T10:00:04.000Z"),
            assistant("Since prod is down, I'll look at the deploy first.", ts="2026-01-05T10:00:05.000Z", mid="m3"),
        ]
        self.stop(self.transcript(lines), session_id="sess-1")
        found = self.entries()
        self.assertEqual([c for c, _ in found], ["learnings", "decisions", "incidents"])
        decision = found[1][1]
        self.assertIn("# Decision: we ship the API behind a feature flag\n", decision)
        self.assertIn("- **From:** the user's prompt, the assistant\n", decision)
        self.assertIn("- the user's prompt, 2026-01-05T10:00:02.000Z:\n  > Decision: we ship the API behind a feature flag\n", decision)
        self.assertIn("- the assistant, 2026-01-05T10:00:03.000Z:\n  > Decision: we ship the API behind a feature flag.\n", decision)
        meta = json.loads(decision.rsplit("<!-- history-entry: ", 1)[1].split(" -->")[0])
        self.assertEqual(meta["session"], "sess-1")
        self.assertEqual((meta["project"], meta["project_name"]), ("/home/dev/demo", "demo"))
        self.assertEqual(meta["sources"], ["prompt", "assistant"])
        self.assertEqual([e["time"] for e in meta["evidence"]], ["2026-01-05T10:00:02.000Z", "2026-01-05T10:00:03.000Z"])

    def test_repeated_stops_and_a_lost_index_file_nothing_new(self):
        t = self.transcript([user("we agreed to drop Python 3.9 support in the next release"),
                             user("TIL: rg respects .gitignore", ts="2026-01-05T10:01:00.000Z")])
        self.stop(t, session_id="s1")
        before = {p: p.stat().st_mtime_ns for c in ("learnings", "decisions") for p in self.files(c)}
        self.assertEqual(len(before), 2)
        self.stop(t, session_id="s1")
        self.stop(t, session_id="s1", name="SessionEnd")
        for f in (self.history / ".index").iterdir():
            f.unlink()
        self.stop(t, session_id="s1")
        self.stop(t, session_id="s2")
        after = {p: p.stat().st_mtime_ns for c in ("learnings", "decisions") for p in self.files(c)}
        self.assertEqual(after, before)

    def test_two_stops_at_once_file_once(self):
        lines = [user("Decision: number %d is kept as is" % i, ts="2026-01-05T10:%02d:00.000Z" % i) for i in range(20)]
        t = self.transcript(lines)
        data = json.dumps(event("Stop", transcript_path=str(t), session_id="race")).encode()
        procs = [subprocess.Popen(command() + ["hook", "stop"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=self.env()) for _ in range(4)]
        for p in procs:
            p.communicate(data, timeout=120)
            self.assertEqual(p.returncode, 0)
        self.assertEqual(len(self.files("decisions")), 20)

    def test_a_tool_error_and_its_fix_as_evidence(self):
        lines = [
            user("run the smoke tests", ts="2026-01-05T10:00:00.000Z"),
            assistant([tool_use("t1", "Bash", command="python -m pytest tests/smoke")], ts="2026-01-05T10:00:01.000Z", mid="m1"),
            tool_result("t1", "Exit code 1\n/usr/bin/python: No module named pytest", is_error=True, ts="2026-01-05T10:00:02.000Z"),
            assistant([tool_use("t2", "Bash", command="uv run pytest tests/smoke")], ts="2026-01-05T10:00:03.000Z", mid="m2"),
            tool_result("t2", "5 passed", ts="2026-01-05T10:00:04.000Z"),
        ]
        self.stop(self.transcript(lines), session_id="fix")
        [(c, text)] = self.entries()
        self.assertEqual(c, "learnings")
        self.assertIn("- **From:** a tool error and its fix\n", text)
        self.assertIn("- **When:** 2026-01-05T10:00:02.000Z\n", text)
        self.assertIn("`python -m pytest tests/smoke` (Bash) failed:\n\n    /usr/bin/python: No module named pytest\n", text)
        self.assertIn("The fix: `uv run pytest tests/smoke` worked.", text)
        self.assertIn("- a tool error and its fix (error of Bash: `python -m pytest tests/smoke`), 2026-01-05T10:00:02.000Z:", text)
        self.assertIn("- a tool error and its fix (fix), 2026-01-05T10:00:04.000Z:\n  > `uv run pytest tests/smoke` worked\n", text)

    def test_extraction_can_be_turned_off(self):
        self.config = {"extract": False}
        self.stop(self.transcript([user("TIL: something worth keeping here")]))
        self.assertEqual(self.entries(), [])
        self.assertFalse((self.history / ".index").exists())


if __name__ == "__main__":
    unittest.main()
