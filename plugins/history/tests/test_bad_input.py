"""Whatever goes wrong, history logs it, exits 0 (it never blocks Claude
Code) and loses nothing it had written."""

import json
import os
import resource
import unittest

from .helpers import SESSION_ID, Home, event

SUMMARY = "sessions/2026-12/2026-12-01-%s.md" % SESSION_ID


class BadEvents(Home):
    def test_empty_invalid_and_non_object_input_is_logged_and_allowed(self):
        self.hook("session-start", event("SessionStart"))
        raw = next((self.history / "raw").glob("*/*.jsonl"))
        before = raw.read_bytes()
        for data in [b"", b"   \n", b"{not json", b"[1, 2]", b'"a string"', b"\xff\xfe\x00garbage", b"null"]:
            with self.subTest(data=data):
                p = self.run_history(["hook", "post-tool-use"], data)
                self.assertEqual((p.returncode, p.stdout), (0, b""))
                self.assertRegex(p.stderr.decode(), r"^history: hook post-tool-use failed: EventError: .*; allowed\n$")
        self.assertEqual(raw.read_bytes(), before, "nothing written, nothing lost")

    def test_unexpected_shapes_are_still_logged(self):
        odd = {"hook_event_name": 7, "session_id": ["x"], "cwd": None, "tool_name": {"a": 1}, "tool_input": "rm -rf ~",
               "transcript_path": 12}
        self.hook("stop", odd)
        self.hook("pre-tool-use", {})
        lines = self.raw_lines()
        self.assertEqual([l["event"] for l in lines], ["Stop", "PreToolUse"])
        self.assertEqual(lines[0]["data"]["tool_input"], "rm -rf ~")
        self.assertIsNone(lines[0]["session_id"])

    def test_bad_config_values_fall_back_to_defaults(self):
        self.config = {"max_transcript_mb": "lots", "max_field_kb": -1, "redact_patterns": "not a list", "rules": {"a": 1}}
        p = self.stop(self.transcript())
        err = p.stderr.decode()
        self.assertIn("max_transcript_mb = 'lots' is not a number", err)
        self.assertIn("max_field_kb = -1 is not a number", err)
        self.assertIn("redact_patterns is not an array", err)
        self.assertIn("rules is not an array; no filing", err)
        self.assertTrue((self.history / SUMMARY).is_file())

    def test_garbage_config_json(self):
        p = self.hook("session-start", event("SessionStart"), env=self.env(PAII_CONFIG="{oops"))
        self.assertIn(b"PAII_CONFIG is not JSON", p.stderr)
        self.assertEqual(len(self.raw_lines()), 1)


class MissingThings(Home):
    def test_a_missing_transcript(self):
        p = self.stop(self.transcript())
        summary = (self.history / SUMMARY).read_bytes()
        p = self.stop(self.root / "gone.jsonl")
        self.assertIn(b"cannot read the transcript", p.stderr)
        self.assertEqual((self.history / SUMMARY).read_bytes(), summary, "the last summary stays")
        self.assertEqual(len(self.raw_lines()), 2)

    def test_a_stop_without_a_transcript_path(self):
        e = event("Stop")
        del e["transcript_path"]
        p = self.hook("stop", e)
        self.assertIn(b"names no transcript_path", p.stderr)
        self.assertFalse((self.history / "sessions").exists())

    def test_a_transcript_that_is_a_directory(self):
        p = self.stop(self.root)
        self.assertIn(b"cannot read the transcript", p.stderr)

    def test_an_unwritable_history_directory(self):
        (self.root / "file").write_text("in the way")
        env = self.env(PAII_HISTORY_DIR=str(self.root / "file" / "history"))
        for kebab, name in [("post-tool-use", "PostToolUse"), ("stop", "Stop")]:
            e = event(name, transcript_path=str(self.transcript()))
            p = self.run_history(["hook", kebab], json.dumps(e).encode(), env=env)
            self.assertEqual((p.returncode, p.stdout), (0, b""), p.stderr)
            self.assertIn(b"cannot append the %s event to the raw log" % name.encode(), p.stderr)
        self.assertIn(b"cannot write the session summary", p.stderr)
        self.assertEqual((self.root / "file").read_text(), "in the way")

    @unittest.skipIf(os.geteuid() == 0, "root writes into read-only directories")
    def test_a_read_only_history_directory(self):
        self.stop(self.transcript())
        summary = (self.history / SUMMARY).read_bytes()
        for d in [self.history] + [p for p in self.history.rglob("*") if p.is_dir()]:
            os.chmod(d, 0o500)
        p = self.stop(self.transcript())
        self.assertIn(b"cannot", p.stderr)
        self.assertEqual((self.history / SUMMARY).read_bytes(), summary)

    def test_a_failed_summary_write_keeps_the_previous_summary(self):
        t = self.transcript()
        self.stop(t)
        summary = (self.history / SUMMARY).read_bytes()
        raw = next((self.history / "raw").glob("*/*.jsonl"))
        raw_before = raw.read_bytes()
        with open(t, "a", encoding="utf-8") as f:
            f.write(json.dumps({"type": "user", "sessionId": SESSION_ID, "timestamp": "2026-12-01T23:59:00.000Z",
                                "message": {"role": "user", "content": "x" * 3000}}) + "\n")
        limit = len(summary) // 2  # no file may grow past this: every write fails (EFBIG)

        def small_files():
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        p = self.stop(t, preexec_fn=small_files)
        self.assertIn(b"cannot write the session summary", p.stderr)
        self.assertEqual((self.history / SUMMARY).read_bytes(), summary, "the previous summary is intact")
        names = sorted(os.listdir(self.history / "sessions" / "2026-12"))
        self.assertEqual(names, sorted([os.path.basename(SUMMARY), ".%s.lock" % os.path.basename(SUMMARY)]), "no temporary file left")
        self.assertTrue(raw.read_bytes().startswith(raw_before), "the raw log is never truncated")


class NotAFile(Home):
    """A transcript (or .env) that is not a regular file is refused at
    once, with the reason: a FIFO would hold the hook until a writer came,
    a device could be read for ever, and paii would have to kill it."""

    def timed_stop(self, path, **kw):
        import time

        start = time.monotonic()
        p = self.run_history(["hook", "stop"], event("Stop", transcript_path=str(path)), timeout=20, **kw)
        return p, time.monotonic() - start

    def test_a_fifo_transcript(self):
        fifo = self.root / "transcript.fifo"
        os.mkfifo(fifo)
        p, took = self.timed_stop(fifo)
        self.assertEqual((p.returncode, p.stdout), (0, b""))
        self.assertIn(b"cannot read the transcript %s: not a regular file (a FIFO); no summary" % bytes(fifo), p.stderr)
        self.assertLess(took, 10)
        self.assertEqual(len(self.raw_lines()), 1, "the event is still logged")

    def test_a_fifo_with_a_writer_that_never_ends(self):
        import subprocess
        import sys

        fifo = self.root / "transcript.fifo"
        os.mkfifo(fifo)
        writer = subprocess.Popen([sys.executable, "-c", "import sys, time\nf = open(sys.argv[1], 'w')\nwhile True:\n"
                                   "    f.write('{}\\n'); f.flush(); time.sleep(0.01)", str(fifo)])
        try:
            p, took = self.timed_stop(fifo)
            self.assertIn(b"not a regular file (a FIFO)", p.stderr)
            self.assertLess(took, 10)
        finally:
            writer.kill()
            writer.wait()

    def test_a_device(self):
        p, took = self.timed_stop("/dev/zero")
        self.assertIn(b"not a regular file (a character device)", p.stderr)
        self.assertLess(took, 10)

    def test_a_fifo_in_place_of_dotenv(self):
        os.mkfifo(self.home / ".env")
        p, took = self.timed_stop(self.transcript())
        self.assertEqual(p.returncode, 0)
        self.assertLess(took, 10)
        self.assertTrue((self.history / SUMMARY).is_file())

    def test_a_torn_transcript_line_keeps_the_next_record(self):
        from .helpers import user

        whole = json.dumps(user("the next prompt survives", ts="2026-01-05T10:00:05.000Z"))
        t = self.root / "torn.jsonl"
        t.write_text(json.dumps(user("first", ts="2026-01-05T10:00:00.000Z")) + "\n"
                     + '{"parentUuid":null,"type":"user","message":{"role":"user","content":"half a pro' + whole + "\n",
                     encoding="utf-8")
        self.hook("stop", event("Stop", transcript_path=str(t), session_id="torn"))
        text = self.files("sessions")[0].read_text(encoding="utf-8")
        self.assertIn("2. the next prompt survives", text)
        self.assertIn("1 transcript line that were not JSON objects were skipped.", text, "the torn part alone")
