"""Session summaries, from a transcript the pinned Claude Code client wrote
(tests/fixtures/transcript-2.1.332.jsonl) and from hand-made ones in the
older formats."""

import json
import os
import time

from .helpers import FIXTURES, SESSION_ID, Home, assistant, tool_result, tool_use, user

SUMMARY = "sessions/2026-12/2026-12-01-%s.md" % SESSION_ID


def visible(directory) -> list:
    """The names in ``directory`` but the summaries' lock files (a
    temporary file is not one of them)."""
    return sorted(n for n in os.listdir(directory) if not (n.startswith(".") and n.endswith(".md.lock")))


class RealTranscript(Home):
    def test_the_summary_of_a_real_session(self):
        t = self.transcript()
        self.stop(t)
        expected = (FIXTURES / "summary-2.1.332.md").read_text(encoding="utf-8").replace("{transcript}", str(t))
        self.assertEqual((self.history / SUMMARY).read_text(encoding="utf-8"), expected)

    def test_it_is_deterministic_and_rewritten_on_each_stop(self):
        t = self.transcript()
        self.stop(t)
        first = (self.history / SUMMARY).read_bytes()
        time.sleep(1.1)
        self.stop(t)
        self.stop(t, name="SessionEnd")
        self.assertEqual((self.history / SUMMARY).read_bytes(), first, "same transcript, same bytes")
        with open(t, "a", encoding="utf-8") as f:
            f.write(json.dumps(user("One more thing: run the tests.", ts="2026-12-01T23:40:00.000Z", sessionId=SESSION_ID)) + "\n")
        self.stop(t)
        text = (self.history / SUMMARY).read_text(encoding="utf-8")
        self.assertIn("3. One more thing: run the tests.", text, "the last Stop wins")
        self.assertIn("- **Duration:** 15m 05s", text)
        self.assertEqual(len(self.files("sessions")), 1)
        self.assertEqual(visible(self.history / "sessions" / "2026-12"), [os.path.basename(SUMMARY)], "no temporary file left")

    def test_the_summary_is_private(self):
        self.stop(self.transcript())
        self.assertEqual((self.history / SUMMARY).stat().st_mode & 0o777, 0o600)


class OutOfOrder(Home):
    """Two events of one session run detached: the one that read less of
    the transcript can finish last, and must not replace the newer summary."""

    def lines(self, n: int) -> list:
        return [user("Prompt number %d" % i, ts="2026-01-05T10:%02d:00.000Z" % i) for i in range(n)]

    def test_the_summary_of_a_shorter_prefix_does_not_replace_a_longer_one(self):
        t = self.transcript(self.lines(6))
        self.stop(t, session_id="sess-1")
        [path] = self.files("sessions")
        longer = path.read_bytes()
        self.assertIn(b"6. Prompt number 5", longer)
        self.assertTrue(longer.endswith(b"\n\n<!-- history: transcript_bytes=%d -->\n" % t.stat().st_size))
        # The Stop that read only the first three lines finishes last.
        prefix = self.transcript(self.lines(3), name="prefix.jsonl")
        p = self.stop(prefix, session_id="sess-1", name="SessionEnd")
        self.assertEqual(path.read_bytes(), longer, "the summary of the longer transcript stays")
        self.assertIn(b"kept it (an event that read more finished first)", p.stderr)
        # As far along, or further: replaced.
        self.stop(t, session_id="sess-1")
        self.assertEqual(path.read_bytes(), longer)
        with open(t, "a", encoding="utf-8") as f:
            f.write(json.dumps(user("Prompt number 6", ts="2026-01-05T10:06:00.000Z")) + "\n")
        self.stop(t, session_id="sess-1")
        self.assertIn(b"7. Prompt number 6", path.read_bytes())
        self.assertEqual(self.files("sessions"), [path])

    def test_write_is_monotonic(self):
        from history import summary

        dest = str(self.history / "sessions" / "2026-01" / "2026-01-05-s.md")
        self.assertIsNone(summary.built_from(dest))
        self.assertIsNone(summary.write(dest, "# long\n", 500))
        self.assertEqual(summary.built_from(dest), 500)
        self.assertEqual(summary.write(dest, "# short\n", 499), 500)
        self.assertEqual(open(dest).read(), "# long\n\n<!-- history: transcript_bytes=500 -->\n")
        self.assertIsNone(summary.write(dest, "# same\n", 500))
        self.assertIsNone(summary.write(dest, "# longer\n", 501))
        self.assertTrue(open(dest).read().startswith("# longer\n"))
        self.assertEqual(os.stat(dest).st_mode & 0o777, 0o600)
        lock = os.path.join(os.path.dirname(dest), ".2026-01-05-s.md.lock")
        self.assertEqual(sorted(os.listdir(os.path.dirname(dest))), [os.path.basename(lock), os.path.basename(dest)])

    def test_a_summary_without_the_marker_is_replaced(self):
        from history import summary

        dest = self.history / "sessions" / "2026-01" / "2026-01-05-s.md"
        dest.parent.mkdir(parents=True)
        dest.write_text("# written by an older history\n")
        self.assertIsNone(summary.write(str(dest), "# new\n", 1))
        self.assertEqual(summary.built_from(str(dest)), 1)

    def test_the_lock_serialises_writers(self):
        import fcntl
        import threading

        from history import summary

        dest = str(self.history / "sessions" / "2026-01" / "2026-01-05-s.md")
        summary.write(dest, "# first\n", 10)
        fd = os.open(os.path.join(os.path.dirname(dest), ".2026-01-05-s.md.lock"), os.O_RDWR)
        fcntl.flock(fd, fcntl.LOCK_EX)
        done = threading.Event()
        worker = threading.Thread(target=lambda: (summary.write(dest, "# second\n", 20), done.set()))
        worker.start()
        self.assertFalse(done.wait(0.3), "a writer waits for the lock")
        self.assertTrue(open(dest).read().startswith("# first\n"))
        os.close(fd)
        self.assertTrue(done.wait(10))
        worker.join()
        self.assertTrue(open(dest).read().startswith("# second\n"))


class OtherShapes(Home):
    def test_what_counts_as_a_prompt_a_tool_a_file_and_an_error(self):
        long_cmd = "for f in *.py; do\n  python -m py_compile \"$f\"\ndone"
        lines = [
            {"type": "summary", "summary": "Fix the flaky login test", "leafUuid": "x"},
            user("Caveat: The messages below were generated by the user while running local commands.", isMeta=True),
            user("<command-name>/review</command-name>\n<command-message>review</command-message>\n<command-args>src/login.py</command-args>",
                 ts="2026-01-05T10:00:00.000Z"),
            user("<local-command-stdout>ok</local-command-stdout>"),
            user([{"type": "text", "text": "Why does `login` fail on CI?"}], ts="2026-01-05T10:00:00.500Z"),
            assistant([{"type": "thinking", "thinking": "hmm"}, {"type": "text", "text": "Let me look."}], mid="m1"),
            assistant([tool_use("t1", "Read", file_path="/app/src/login.py")], mid="m1"),
            assistant([tool_use("t1", "Read", file_path="/app/src/login.py")], mid="m1"),  # written twice
            tool_result("t1", "1\timport os"),
            assistant([tool_use("t2", "MultiEdit", file_path="/app/src/login.py", edits=[]),
                       tool_use("t3", "NotebookEdit", notebook_path="/app/nb.ipynb", new_source="x"),
                       tool_use("t4", "Grep", pattern="login", path="/app")], mid="m2"),
            tool_result("t2", [{"type": "text", "text": "<tool_use_error>String to replace not found in file.\nmore</tool_use_error>"}], is_error=True),
            assistant([tool_use("t5", "Bash", command=long_cmd), tool_use("t6", "Bash", command="pytest -q"),
                       tool_use("t7", "Bash", command="pytest -q")], mid="m3"),
            tool_result("t5", "Exit code 1\nSyntaxError: invalid syntax", is_error=True),
            user("a subagent's prompt", isSidechain=True),
            assistant([tool_use("t8", "Write", file_path="/app/notes.md", content="x")], mid="m4", isSidechain=True),
            "{not json",
            "[1, 2, 3]",
            user("[Request interrupted by user]"),
            user("Thanks, that works", ts="2026-01-05T11:02:03.000Z"),
        ]
        self.stop(self.transcript(lines), session_id="sess-1")
        text = self.files("sessions")[0].read_text(encoding="utf-8")
        self.assertEqual(self.files("sessions")[0].name, "2026-01-05-sess-1.md")
        self.assertTrue(text.startswith("# Fix the flaky login test\n"), "an older client's summary line is the title")
        self.assertIn("- **Directory:** `/home/dev/demo`", text, "the event's cwd")
        self.assertIn("- **Duration:** 1h 02m 03s", text)
        self.assertIn("- **Activity:** 3 prompts, 3 assistant messages, 8 tool calls, 2 errors", text)
        self.assertIn("## First prompt\n\n> /review src/login.py\n", text)
        self.assertIn("2. Why does `login` fail on CI? (2026-01-05T10:00:00.500Z)\n3. Thanks, that works", text)
        self.assertNotIn("subagent's prompt", text)
        self.assertNotIn("Caveat", text)
        self.assertNotIn("interrupted", text)
        self.assertIn("| Bash | 3 |\n| Grep | 1 |\n| MultiEdit | 1 |\n| NotebookEdit | 1 |\n| Read | 1 |\n| Write | 1 |", text)
        self.assertIn(
            "## Files touched\n\n- `/app/nb.ipynb` (NotebookEdit)\n- `/app/notes.md` (Write)\n- `/app/src/login.py` (MultiEdit, Read)\n", text
        )
        self.assertIn("## Commands run\n\n- `for f in *.py; do …(+2 lines)`\n- `pytest -q` ×2\n", text)
        self.assertIn("- **MultiEdit**: String to replace not found in file.\n", text)
        self.assertIn("- **Bash**: Exit code 1: SyntaxError: invalid syntax\n", text)
        self.assertIn("2 transcript lines that were not JSON objects were skipped.", text)

    def test_a_session_without_timestamps_or_prompts(self):
        self.stop(self.transcript([{"type": "assistant", "message": {"content": "hello"}}]), session_id="s/../x")
        [f] = self.files("sessions")
        self.assertEqual(f.name[10:], "-s_.._x.md", "the session id is made safe as a file name")
        self.assertTrue(f.read_text().startswith("# Session s/../x\n"))

    def test_an_empty_transcript(self):
        self.stop(self.transcript([]))
        self.assertIn("The transcript has no entries yet.", self.files("sessions")[0].read_text())


class LargeTranscripts(Home):
    def big_transcript(self, mb: float):
        t = self.root / "big.jsonl"
        pad = "z" * 2000
        with open(t, "w", encoding="utf-8") as f:
            f.write(json.dumps(user("Start the migration", ts="2026-02-01T09:00:00.000Z")) + "\n")
            i = 0
            while f.tell() < mb * 1024 * 1024:
                ts = "2026-02-01T09:%02d:%02d.000Z" % (i // 60 % 60, i % 60)
                f.write(json.dumps(assistant([tool_use("t%d" % i, "Bash", command="step %d" % (i % 7))], ts=ts, mid="m%d" % i)) + "\n")
                f.write(json.dumps(tool_result("t%d" % i, pad, ts=ts)) + "\n")
                i += 1
        return t, i

    def test_a_10_mb_transcript_is_summarised_whole(self):
        t, n = self.big_transcript(10)
        self.stop(t, session_id="big")
        text = self.files("sessions")[0].read_text()
        self.assertIn("| Bash | %d |" % n, text)
        self.assertIn("- `step 0` ×", text)
        self.assertNotIn("## Notes", text)

    def test_reading_stops_at_max_transcript_mb_and_the_summary_says_so(self):
        t, n = self.big_transcript(3)
        self.config = {"max_transcript_mb": 1}
        p = self.stop(t, session_id="big")
        self.assertIn(b"over max_transcript_mb", p.stderr)
        text = self.files("sessions")[0].read_text()
        self.assertIn("The transcript is larger than max_transcript_mb (1 MiB); only its first", text)
        calls = int(text.split("| Bash | ")[1].split(" ")[0])
        self.assertLess(calls, n / 2)
        self.assertEqual(len(self.raw_lines()), 1, "the event is still logged")
