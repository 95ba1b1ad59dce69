"""Filing learnings, decisions and incidents: the built-in extraction and
the user's rules, deduplicated per project."""

import os

from .helpers import SESSION_ID, Home, assistant, event, tool_result, tool_use, user


def texts(paths):
    return [p.read_text(encoding="utf-8") for p in paths]


class DefaultConfig(Home):
    """plugin.toml's defaults (the built-in extraction, no extra rules),
    passed in PAII_CONFIG as paii does."""

    def test_the_real_session_files_its_learnings_and_decisions(self):
        self.stop(self.transcript())
        learnings, decisions = self.files("learnings"), self.files("decisions")
        self.assertEqual(len(learnings), 2)
        self.assertEqual(len(decisions), 2)
        self.assertEqual(self.files("incidents"), [])
        for p in learnings + decisions:
            self.assertRegex(p.name, r"^2026-12-01-db4d1f3d-[0-9a-f]{12}\.md$")
            self.assertEqual(p.parent.name, "2026-12")
            self.assertEqual(p.stat().st_mode & 0o777, 0o600)
        body = "\n".join(texts(learnings))
        self.assertIn("# Learning: hooks see the transcript.\n", body, "the sentence, not the whole prompt")
        self.assertNotIn("tidy", body)
        self.assertIn("- **From:** the user's prompt\n", body)
        self.assertIn("# Learning: read a file before editing it.\n", body)
        self.assertIn("- **From:** the assistant\n", body)
        self.assertIn("- **Session:** `%s`" % SESSION_ID, body)
        self.assertIn("- **Project:** demo (`/home/dev/demo`)\n", body, "no git repository there: the directory")
        self.assertIn("(../../sessions/2026-12/2026-12-01-%s.md)" % SESSION_ID, body, "a link to the session's summary")
        self.assertIn("## Evidence\n\n- the user's prompt, 2026-12-01T23:24:55.330Z:\n  > TIL: hooks see the transcript.\n", body)
        body = "\n".join(texts(decisions))
        self.assertIn("# Decision: keep a.txt.\n", body, "not 'Decision: Decision: ...'")
        self.assertIn("\nDecision: keep a.txt.\n", body)
        self.assertNotIn("Lesson learned", body, "only the sentence of the assistant's text")
        self.assertIn("# Decision: We decided to keep the logs for 30 days.\n", body)
        self.assertIn("- **When:** 2026-12-01T23:25:08.408Z\n", body, "the transcript's time of the evidence")

    def test_repeated_stops_file_nothing_twice(self):
        t = self.transcript()
        self.stop(t)
        before = {p: p.stat().st_mtime_ns for c in ("learnings", "decisions") for p in self.files(c)}
        self.stop(t)
        self.stop(t, name="SessionEnd")
        after = {p: p.stat().st_mtime_ns for c in ("learnings", "decisions") for p in self.files(c)}
        self.assertEqual(after, before, "same files, not even rewritten")
        with open(t, "a", encoding="utf-8") as f:
            import json

            f.write(json.dumps(user("TIL: uv lock pins hashes", ts="2026-12-02T08:00:00.000Z", sessionId=SESSION_ID)) + "\n")
        self.stop(t)
        learnings = self.files("learnings")
        self.assertEqual(len(learnings), 3, "only the new text is filed")
        self.assertEqual(sum("2026-12-02-db4d1f3d-" in p.name for p in learnings), 1, "under the date of its message")

    def test_the_same_text_in_another_session_of_the_project_is_not_filed_again(self):
        t = self.transcript([user("TIL: rg is fast on big trees")])
        self.stop(t, session_id="one")
        self.stop(t, session_id="two")
        self.assertEqual(len(self.files("learnings")), 1, "one project (/home/dev/demo): one entry")
        repo = self.root / "repo"
        (repo / ".git").mkdir(parents=True)
        (repo / "src").mkdir()
        self.hook("stop", event("Stop", transcript_path=str(t), session_id="three", cwd=str(repo / "src")))
        learnings = texts(self.files("learnings"))
        self.assertEqual(len(learnings), 2, "another project: filed again")
        self.assertEqual(sum("- **Project:** repo (`%s`)\n" % repo in t for t in learnings), 1, "the git root found upward")
        self.assertEqual(sum("- **Directory:** `%s`\n" % (repo / "src") in t for t in learnings), 1)


class ConfiguredRules(Home):
    def test_rules_from_the_config_on_prompts_assistant_texts_and_errors(self):
        self.config = {
            "rules": [
                {"category": "incidents", "on": "error", "pattern": "(?i)no such file"},
                {"category": "decisions", "on": "assistant", "pattern": "ADR-\\d+"},
                {"category": "learnings", "on": "prompt", "pattern": "gotcha"},
            ]
        }
        lines = [
            user("Here is a gotcha: the cache is per user.\n\nUnrelated second paragraph."),
            assistant([tool_use("t1", "Bash", command="cat missing.txt")]),
            tool_result("t1", "Exit code 1\ncat: missing.txt: No such file or directory", is_error=True),
            assistant("We follow ADR-12 here.", ts="2026-01-05T10:00:05.000Z", mid="m2"),
            assistant("TIL nothing", ts="2026-01-05T10:00:06.000Z", mid="m3"),
        ]
        self.stop(self.transcript(lines), session_id="cfg")
        [incident] = texts(self.files("incidents"))
        self.assertIn("- **From:** an error of Bash\n", incident)
        self.assertIn("cat: missing.txt: No such file or directory", incident)
        [decision] = texts(self.files("decisions"))
        self.assertIn("We follow ADR-12 here.", decision)
        [learning] = texts(self.files("learnings"))
        self.assertIn("Here is a gotcha: the cache is per user.", learning)
        self.assertNotIn("Unrelated second paragraph", learning)

    def test_bad_rules_are_logged_and_skipped(self):
        self.config = {
            "rules": [
                {"category": "learnings", "on": "prompt", "pattern": "(unclosed"},
                {"category": "gossip", "on": "prompt", "pattern": "x"},
                {"category": "learnings", "on": "tool", "pattern": "x"},
                "not a table",
                {"category": "learnings", "on": "prompt", "pattern": "remember"},
            ]
        }
        p = self.stop(self.transcript([user("remember the milk")]), session_id="bad")
        err = p.stderr.decode()
        self.assertIn("rules[0]: pattern `(unclosed` is not a regular expression", err)
        self.assertIn("rules[1]: category 'gossip'", err)
        self.assertIn("rules[2]: on = 'tool'", err)
        self.assertIn("rules[3] is not a table", err)
        self.assertEqual(len(self.files("learnings")), 1, "the good rule still files")

    def test_no_extraction_and_no_rules_no_filing(self):
        self.config = {"rules": [], "extract": False}
        self.stop(self.transcript())
        for c in ("learnings", "incidents", "decisions"):
            self.assertFalse((self.history / c).exists())
        self.assertEqual(len(self.files("sessions")), 1)

    def test_rules_alone_without_the_built_in_extraction(self):
        self.config = {"extract": False, "rules": [{"category": "decisions", "on": "prompt", "pattern": "30 days"}]}
        self.stop(self.transcript())
        [decision] = texts(self.files("decisions"))
        self.assertIn("# Decision: We decided to keep the logs for 30 days.\n", decision)
        self.assertIn("- **Rule:** `30 days`\n", decision)
        self.assertEqual(self.files("learnings"), [])

    def test_outside_paii_without_paii_config_the_defaults_apply(self):
        self.config = None
        p = self.stop(self.transcript())
        self.assertEqual(p.stderr, b"")
        self.assertEqual(len(self.files("sessions")), 1)
        self.assertEqual((len(self.files("learnings")), len(self.files("decisions"))), (2, 2), "the code's fallbacks are plugin.toml's defaults")

    def test_an_unwritable_category_does_not_stop_the_others(self):
        self.history.mkdir()
        (self.history / "learnings").write_text("a file in the way")
        p = self.stop(self.transcript())
        self.assertIn(b"cannot file a learnings entry", p.stderr)
        self.assertEqual(len(self.files("decisions")), 2)
        self.assertEqual((self.history / "learnings").read_text(), "a file in the way")
        self.assertTrue(os.path.isfile(self.files("sessions")[0]))
