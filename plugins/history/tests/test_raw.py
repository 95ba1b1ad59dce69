"""The raw event log: one whole JSON line per event, in the UTC day's file."""

import json
import os
import subprocess
import sys
import time

from .helpers import FIXTURES, SESSION_ID, SRC, Home, command, event, utc_day


class RawLog(Home):
    def test_every_event_appends_one_line_to_the_utc_days_file(self):
        names = sorted(p.stem for p in (FIXTURES / "events").glob("*.json"))
        before = utc_day()
        for name in names:
            kebab = "".join("-" + c.lower() if c.isupper() else c for c in name).lstrip("-")
            if name in ("Stop", "SessionEnd"):
                continue  # they read a transcript; see test_summary
            p = self.hook(kebab, event(name))
            self.assertEqual(p.stdout, b"", "an observer answers nothing")
        after = utc_day()
        files = sorted((self.history / "raw").glob("*/*.jsonl"))
        self.assertEqual(len(files), 1 if before == after else 2, files)
        day = files[0].stem
        self.assertIn(day, (before, after))
        self.assertEqual(files[0].parent.name, day[:7], "raw/YYYY-MM/YYYY-MM-DD.jsonl")
        lines = self.raw_lines()
        self.assertEqual([l["event"] for l in lines], [n for n in names if n not in ("Stop", "SessionEnd")])
        for line in lines:
            self.assertEqual(set(line), {"time", "event", "session_id", "cwd", "tool_name", "data"})
            self.assertRegex(line["time"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
            self.assertEqual(line["session_id"], SESSION_ID)
            self.assertEqual(line["cwd"], "/home/dev/demo")
            self.assertEqual(line["data"], event(line["event"]), "nothing to redact or cut: the event as it came")
        tools = {l["event"]: l["tool_name"] for l in lines}
        self.assertEqual(tools["PreToolUse"], "Bash")
        self.assertIsNone(tools["SessionStart"])

    def test_the_event_name_comes_from_the_command_line_when_the_input_has_none(self):
        self.hook("notification", {"session_id": "s", "message": "hi"})
        self.assertEqual(self.raw_lines()[0]["event"], "Notification")

    def test_long_strings_are_cut_with_a_marker(self):
        big = "x" * 100_000
        self.hook("post-tool-use", event("PostToolUse", tool_response={"stdout": big, "stderr": "é" * 10_000}))
        data = self.raw_lines()[0]["data"]
        out = data["tool_response"]["stdout"]
        self.assertEqual(out, "x" * 16384 + "…[truncated %d bytes]" % (100_000 - 16384))
        err = data["tool_response"]["stderr"]
        self.assertEqual(err, "é" * 8192 + "…[truncated %d bytes]" % (20_000 - 16384), "cut on a character boundary")
        self.assertEqual(data["tool_input"], event("PostToolUse")["tool_input"], "short fields are whole")

    def test_max_field_kb_sets_the_cut(self):
        self.config = {"max_field_kb": 1}
        self.hook("post-tool-use", event("PostToolUse", tool_response={"stdout": "y" * 5000}))
        self.assertEqual(self.raw_lines()[0]["data"]["tool_response"]["stdout"], "y" * 1024 + "…[truncated 3976 bytes]")

    def test_a_line_never_exceeds_a_sane_size(self):
        payload = event("PostToolUse", tool_response={"k%03d" % i: "z" * 15_000 for i in range(300)})
        self.hook("post-tool-use", payload)
        text = next((self.history / "raw").glob("*/*.jsonl")).read_bytes()
        self.assertLessEqual(len(text), 256 * 1024)
        line = json.loads(text)
        self.assertEqual(line["event"], "PostToolUse")
        self.assertEqual(line["tool_name"], "Bash")

    def test_odd_text_survives_as_valid_json(self):
        self.hook("user-prompt-submit", b'{"hook_event_name": "UserPromptSubmit", "prompt": "caf\\u00e9 \\ud83d\\ude00 lone \\ud800 nul \\u0000"}')
        line = json.loads(next((self.history / "raw").glob("*/*.jsonl")).read_bytes().decode("utf-8"))
        self.assertEqual(line["data"]["prompt"], "café 😀 lone \ud800 nul \x00")

    def test_appends_never_truncate(self):
        self.hook("session-start", event("SessionStart"))
        f = next((self.history / "raw").glob("*/*.jsonl"))
        first = f.read_bytes()
        self.hook("session-start", event("SessionStart"))
        self.assertTrue(f.read_bytes().startswith(first))
        self.assertEqual(len(self.raw_lines()), 2)
        self.assertEqual(f.stat().st_mode & 0o777, 0o600, "history is private")


class ConcurrentAppends(Home):
    def test_hooks_of_many_sessions_at_once_give_whole_lines(self):
        procs = []
        n = 24
        for i in range(n):
            payload = event("PostToolUse", session_id="session-%02d" % i, tool_response={"stdout": ("%02d" % i) * 8000})
            p = subprocess.Popen(command() + ["hook", "post-tool-use"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, env=self.env())
            procs.append((p, json.dumps(payload).encode()))
        for p, data in procs:
            p.stdin.write(data)
            p.stdin.close()
        for p, _ in procs:
            self.assertEqual(p.wait(timeout=120), 0, p.stderr.read())
            p.stdout.close()
            p.stderr.close()
        lines = self.raw_lines()
        self.assertEqual(sorted(l["session_id"] for l in lines), ["session-%02d" % i for i in range(n)])
        for l in lines:
            i = l["session_id"][-2:]
            self.assertTrue(l["data"]["tool_response"]["stdout"].startswith(i * 8000), "a line is one event's, whole")

    def test_many_writers_appending_large_lines(self):
        """8 processes x 150 lines of ~40 KiB, far above PIPE_BUF."""
        path = self.history / "raw" / "2026-01" / "2026-01-01.jsonl"
        script = (
            "import sys, json; sys.path.insert(0, %r)\n"
            "from history import raw\n"
            "w = sys.argv[1]\n"
            "for i in range(150):\n"
            "    raw.append(%r, (json.dumps({'w': w, 'i': i, 'pad': w * 40000}) + '\\n').encode())\n"
        ) % (str(SRC), str(path))
        procs = [subprocess.Popen([sys.executable, "-c", script, chr(ord("a") + k)]) for k in range(8)]
        for p in procs:
            self.assertEqual(p.wait(timeout=300), 0)
        seen = {}
        with open(path, "rb") as f:
            for line in f:
                d = json.loads(line)
                self.assertEqual(d["pad"], d["w"] * 40000)
                seen.setdefault(d["w"], []).append(d["i"])
        self.assertEqual(sorted(seen), list("abcdefgh"))
        for w, idx in seen.items():
            self.assertEqual(idx, list(range(150)), "each writer's lines, all there, in its order")


class TornLines(Home):
    """A writer killed mid-write (or a full disk) leaves a line without its
    end: the next record must still start a line of its own, and readers
    skip the torn line and keep the next record."""

    def raw_file(self):
        return next((self.history / "raw").glob("*/*.jsonl"))

    def test_the_next_record_starts_a_new_line(self):
        from history import raw

        self.hook("session-start", event("SessionStart"))
        f = self.raw_file()
        whole = f.read_bytes()
        torn = b'{"time":"2026-01-05T10:00:00.000Z","event":"PreToolUse","session_id":"s","da'
        with open(f, "ab") as out:
            out.write(torn)
        self.hook("notification", {"hook_event_name": "Notification", "session_id": "after", "message": "hi"})
        lines = f.read_bytes().split(b"\n")
        self.assertEqual(lines[0] + b"\n", whole)
        self.assertEqual(lines[1], torn, "the torn line stays as it was (append-only), on its own")
        self.assertEqual(json.loads(lines[2])["session_id"], "after")
        self.assertEqual([r["session_id"] for r in raw.records(str(f))], [SESSION_ID, "after"])
        self.hook("notification", {"hook_event_name": "Notification", "session_id": "later", "message": "hi"})
        self.assertEqual([r["session_id"] for r in raw.records(str(f))], [SESSION_ID, "after", "later"], "no blank line either")
        self.assertEqual(f.read_bytes().count(b"\n\n"), 0)

    def test_the_reader_recovers_a_record_glued_to_a_torn_line(self):
        """What an older history left: the next record appended to the torn one."""
        from history import raw

        path = self.root / "old.jsonl"
        good = [{"time": "2026-01-05T10:00:0%d.000Z" % i, "event": "Stop", "session_id": "s%d" % i, "cwd": None,
                 "tool_name": None, "data": {"time": "nested", "n": i}} for i in range(3)]
        text = [json.dumps(g, separators=(",", ":")) for g in good]
        path.write_text(text[0] + "\n" + '{"time":"2026-01-05T09:59:59.000Z","event":"Pre' + text[1] + "\n"
                        + '{"time":"x","data":{"time":"y","k":"torn' + text[2] + "\n" + "\n" + "not json at all\n", encoding="utf-8")
        self.assertEqual(list(raw.records(str(path))), good)

    def test_concurrent_writers_after_a_torn_line(self):
        from history import raw

        path = self.history / "raw" / "2026-01" / "2026-01-01.jsonl"
        path.parent.mkdir(parents=True)
        path.write_bytes(b'{"time":"torn')
        script = (
            "import sys, json; sys.path.insert(0, %r)\n"
            "from history import raw\n"
            "for i in range(50):\n"
            "    raw.append(%r, (json.dumps({'time': 't', 'w': sys.argv[1], 'i': i}) + '\\n').encode())\n"
        ) % (str(SRC), str(path))
        procs = [subprocess.Popen([sys.executable, "-c", script, w]) for w in "abcd"]
        for p in procs:
            self.assertEqual(p.wait(timeout=120), 0)
        records = list(raw.records(str(path)))
        self.assertEqual(len(records), 200)
        self.assertEqual(path.read_bytes().count(b"\n"), 201, "one newline after the torn line, one per record")
