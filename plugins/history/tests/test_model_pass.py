"""The optional model pass: a fake `claude` stands for the user's Claude
Code (`claude -p --output-format json`, the digest on stdin)."""

import json
import os
import stat
import sys
import textwrap
import time

from .helpers import Home, assistant, event, tool_result, tool_use, user
from .test_redaction import GITHUB

FAKE = textwrap.dedent(
    """\
    #!%s
    import json, os, subprocess, sys, time
    here = os.path.dirname(os.path.abspath(__file__))
    data = sys.stdin.read()
    n = len([f for f in os.listdir(here) if f.startswith("call-")])
    with open(os.path.join(here, "call-%%d.json" %% n), "w") as f:
        json.dump({"argv": sys.argv[1:], "stdin": data, "env": os.environ.get("PAII_HISTORY_MODEL_PASS"),
                   "cwd": os.getcwd()}, f)
    mode = open(os.path.join(here, "mode")).read().strip()
    if mode == "hang":
        child = subprocess.Popen(["sleep", "300"])
        open(os.path.join(here, "grandchild"), "w").write(str(child.pid))
        time.sleep(300)
    if mode == "fail":
        sys.stderr.write("Error: not logged in\\n")
        sys.exit(1)
    print(open(os.path.join(here, "answer")).read())
    """
)


def result(text, **extra):
    """What `claude -p --output-format json` prints."""
    d = {"type": "result", "subtype": "success", "is_error": False, "duration_ms": 5123, "num_turns": 1, "result": text,
         "session_id": "00000000-0000-4000-8000-5e1fca11ed00", "total_cost_usd": 0.01}
    d.update(extra)
    return json.dumps(d)


LINES = [
    user("the nightly export keeps failing on the big tenants", ts="2026-01-05T10:00:00.000Z"),
    assistant("The export job builds the whole CSV in memory; for the big tenants that is over the 2 GiB container limit, "
              "so the kernel kills it.", ts="2026-01-05T10:00:05.000Z", mid="m1"),
    user("ok, stream it to S3 in parts then. token for the bucket is %s" % GITHUB, ts="2026-01-05T10:00:09.000Z"),
    assistant([tool_use("t1", "Bash", command="python export.py --tenant big")], ts="2026-01-05T10:00:10.000Z", mid="m2"),
    tool_result("t1", "Killed", is_error=True, ts="2026-01-05T10:00:12.000Z"),
]

GOOD = {"entries": [
    {"category": "learnings", "title": "The export job OOMs on big tenants: it builds the whole CSV in memory",
     "body": "Over the 2 GiB container limit the kernel kills it.",
     "evidence": "The export job builds the whole CSV in memory"},
    {"category": "decisions", "title": "Stream exports to S3 in parts", "body": "Instead of building the file in memory.",
     "evidence": "ok, stream it to S3 in parts then."},
]}


class ModelPass(Home):
    def setUp(self):
        super().setUp()
        self.bin = self.root / "bin"
        self.bin.mkdir()
        self.fake = self.bin / "claude"
        self.fake.write_text(FAKE % sys.executable)
        self.fake.chmod(self.fake.stat().st_mode | stat.S_IXUSR)
        self.mode("answer")
        self.answer(result(json.dumps(GOOD)))
        self.config = {"model_pass": True, "claude_command": [str(self.fake)]}

    def mode(self, m):
        (self.bin / "mode").write_text(m)

    def answer(self, text):
        (self.bin / "answer").write_text(text)

    def calls(self):
        return [json.loads(p.read_text()) for p in sorted(self.bin.glob("call-*.json"))]

    def entries(self, category):
        return [p.read_text(encoding="utf-8") for p in self.files(category)]

    def test_it_files_the_entries_it_proposes(self):
        t = self.transcript(LINES)
        p = self.stop(t, session_id="mp-1")
        [call] = self.calls()
        argv = call["argv"]
        self.assertEqual(argv[:9], ["-p", "--output-format", "json", "--settings", '{"disableAllHooks":true}', "--tools", "",
                                    "--strict-mcp-config", "--no-session-persistence"])
        self.assertEqual(argv[9], "--session-id")
        self.assertRegex(argv[10], r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-5e1fca11ed00$")
        self.assertEqual(call["env"], "1", "PAII_HISTORY_MODEL_PASS is set for the child")
        self.assertEqual(call["cwd"], str(self.home / "cache" / "history-model-pass"), "not the project: no CLAUDE.md, no trust prompt")
        stdin = call["stdin"]
        self.assertIn('{"entries":[{"category":"learnings|decisions|incidents","title":', stdin)
        self.assertIn("USER: the nightly export keeps failing on the big tenants", stdin)
        self.assertIn("TOOL ERROR: Bash python export.py --tenant big -> Killed", stdin)
        self.assertNotIn(GITHUB[:10], stdin, "the digest is redacted")
        self.assertIn("[REDACTED]", stdin)
        [learning] = self.entries("learnings")
        self.assertIn("# Learning: The export job OOMs on big tenants: it builds the whole CSV in memory\n", learning)
        self.assertIn("- **From:** the model pass (claude -p)\n", learning)
        self.assertIn("  > The export job builds the whole CSV in memory\n", learning)
        [decision] = self.entries("decisions")
        self.assertIn("# Decision: Stream exports to S3 in parts\n", decision)
        self.assertIn(b"the model pass of mp-1 took", p.stderr)

    def test_it_runs_again_only_when_the_transcript_grew(self):
        t = self.transcript(LINES)
        self.stop(t, session_id="mp-2")
        self.stop(t, session_id="mp-2")
        self.stop(t, session_id="mp-2", name="SessionEnd")
        self.assertEqual(len(self.calls()), 1)
        with open(t, "a") as f:
            f.write(json.dumps(user("and gzip the parts", ts="2026-01-05T10:01:00.000Z")) + "\n")
        self.stop(t, session_id="mp-2")
        self.assertEqual(len(self.calls()), 2)
        self.assertEqual(len(self.files("decisions")) + len(self.files("learnings")), 2, "the same proposals file nothing twice")

    def test_what_the_patterns_found_is_not_filed_again(self):
        lines = [user("Decision: stream exports to S3 in parts from now on", ts="2026-01-05T10:00:00.000Z")]
        self.answer(result(json.dumps({"entries": [
            {"category": "decisions", "title": "Stream exports to S3 in parts", "body": "From now on.",
             "evidence": "Decision: stream exports to S3 in parts from now on"}]})))
        self.stop(self.transcript(lines), session_id="mp-3")
        self.assertEqual(len(self.files("decisions")), 1)

    def test_the_answer_is_checked_strictly(self):
        bad = {"entries": [
            GOOD["entries"][0],
            {"category": "opinions", "title": "x y z", "body": "b", "evidence": "The export job"},
            {"category": "learnings", "title": "Made up", "body": "b", "evidence": "the database runs on a mainframe in Ohio"},
            {"category": "learnings", "title": "Extra key", "body": "b", "evidence": "The export job", "confidence": 0.9},
            {"category": "learnings", "title": 7, "body": "b", "evidence": "The export job"},
            "not an object",
            {"category": "decisions", "title": "", "body": "b", "evidence": "The export job"},
        ], "notes": "ignored"}
        self.answer(result("```json\n%s\n```" % json.dumps(bad)))
        p = self.stop(self.transcript(LINES), session_id="mp-4")
        err = p.stderr.decode()
        self.assertIn("other keys than entries (notes)", err)
        self.assertIn("entries[1] is refused: category 'opinions' is not one of", err)
        self.assertIn("entries[2] is refused: its evidence is not in the session", err)
        self.assertIn("entries[3] is refused: its keys are not exactly category, title, body, evidence", err)
        self.assertIn("entries[4] is refused: title is not a string", err)
        self.assertIn("entries[5] is refused: not an object", err)
        self.assertIn("entries[6] is refused: the title is not 3 to 200 characters", err)
        self.assertEqual(len(self.files("learnings")), 1, "the one good entry")
        self.assertEqual(self.files("decisions"), [])

    def test_answers_that_are_not_the_shape(self):
        for answer, why in [
            ("not json", "output is not JSON"),
            (json.dumps({"type": "result"}), "not a result object"),
            (result("sorry, I can't help with that"), "answer is not a JSON object"),
            (result(json.dumps({"items": []})), 'answer is not {"entries": [...]}'),
            (result(json.dumps(GOOD), is_error=True, subtype="error_max_turns"), "reports an error"),
        ]:
            with self.subTest(why):
                self.answer(answer)
                t = self.transcript(LINES + [user(why, ts="2026-01-05T10:09:00.000Z")], name="%s.jsonl" % len(why))
                p = self.stop(t, session_id="mp-5-%d" % len(why))
                self.assertIn(why, p.stderr.decode())
        self.assertEqual(self.files("learnings"), [])

    def test_a_hung_claude_is_killed_with_its_children(self):
        self.mode("hang")
        self.config["model_pass_timeout_s"] = 2
        start = time.monotonic()
        p = self.stop(self.transcript(LINES), session_id="mp-6")
        self.assertLess(time.monotonic() - start, 30)
        self.assertIn(b"took over 2s and was killed; nothing from it", p.stderr)
        pid = int((self.bin / "grandchild").read_text())
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            self.fail("the grandchild (sleep 300) outlived the model pass")
        self.assertTrue(self.files("sessions"), "the summary is written all the same")

    def test_a_failing_or_missing_claude(self):
        self.mode("fail")
        p = self.stop(self.transcript(LINES), session_id="mp-7")
        self.assertIn(b"the model pass (%s) exited with 1: Error: not logged in" % bytes(self.fake), p.stderr)
        self.config["claude_command"] = [str(self.root / "no-such-claude")]
        p = self.stop(self.transcript(LINES + [user("more", ts="2026-01-05T10:09:00.000Z")]), session_id="mp-7")
        self.assertIn(b"cannot run the model pass", p.stderr)
        self.config["claude_command"] = "claude"
        p = self.stop(self.transcript(LINES + [user("more", ts="2026-01-05T10:09:00.000Z"), user("x", ts="2026-01-05T10:09:01.000Z")]),
                      session_id="mp-7")
        self.assertIn(b"claude_command = 'claude' is not an array of strings", p.stderr)

    def test_off_by_default(self):
        del self.config["model_pass"]
        self.stop(self.transcript(LINES), session_id="mp-8")
        self.assertEqual(self.calls(), [])

    def test_its_own_session_never_reaches_history(self):
        # What the child's hooks would send, were they not disabled: with
        # the marker in the environment...
        p = self.run_history(["hook", "user-prompt-submit"], {"hook_event_name": "UserPromptSubmit", "session_id": "x", "prompt": "p"},
                             env=self.env(PAII_HISTORY_MODEL_PASS="1"))
        self.assertEqual(p.returncode, 0)
        # ...or through paii's spool, which passes no environment on.
        self.hook("stop", event("Stop", session_id="0f0e0d0c-0b0a-4908-8706-5e1fca11ed00",
                                transcript_path=str(self.transcript(LINES))))
        self.assertFalse((self.history / "raw").exists())
        self.assertFalse((self.history / "sessions").exists())
        self.assertEqual(self.calls(), [])


def real_client():
    """The Claude Code client this repository pins (tests/common/claude_code.rs:
    PAII_CLAUDE_CODE, else target/claude-code), or None."""
    from .helpers import ROOT

    named = os.environ.get("PAII_CLAUDE_CODE")
    if named:
        return named if os.path.isfile(named) else None
    scope = ROOT.parent.parent / "target" / "claude-code" / "node_modules" / "@anthropic-ai"
    found = sorted(scope.glob("claude-code-*/claude")) if scope.is_dir() else []
    return str(found[0]) if found else None


def scripted_api(answer: str):
    """A Messages API on 127.0.0.1 that answers every request with ``answer``
    (the protocol of tests/fixtures/capture.py); returns (server, requests)."""
    import threading
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    requests = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *a):
            pass

        def do_HEAD(self):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.send_header("Connection", "close")
            self.end_headers()

        def do_POST(self):
            req = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
            requests.append(req)
            usage = {"input_tokens": 10, "output_tokens": 5, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
            msg = {"id": "msg_1", "type": "message", "role": "assistant", "model": req.get("model", "m"), "content": [],
                   "stop_reason": None, "stop_sequence": None, "usage": usage}
            if req.get("stream"):
                events = [("message_start", {"type": "message_start", "message": msg}),
                          ("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
                          ("content_block_delta", {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": answer}}),
                          ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                          ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                             "usage": {"output_tokens": 5}}),
                          ("message_stop", {"type": "message_stop"})]
                data = b"".join(("event: %s\ndata: %s\n\n" % (n, json.dumps(d))).encode() for n, d in events)
                kind = "text/event-stream"
            else:
                data = json.dumps(dict(msg, content=[{"type": "text", "text": answer}], stop_reason="end_turn")).encode()
                kind = "application/json"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, requests


class RealClient(Home):
    """The pinned Claude Code client, offline, as the model pass runs it:
    it takes the flags, runs no hook and no tool, saves no session, and
    its answer is read."""

    def test_the_pinned_client(self):
        client = real_client()
        if client is None:
            self.skipTest("no pinned Claude Code client (scripts/test.sh installs it in target/claude-code)")
        server, requests = scripted_api(json.dumps(GOOD))
        try:
            claude = self.root / "claude"
            claude.mkdir()
            (claude / ".claude.json").write_text("{}\n")
            fired = self.root / "fired"
            (claude / "settings.json").write_text(json.dumps({"hooks": {
                e: [{"matcher": "", "hooks": [{"type": "command", "command": "touch %s-%s" % (fired, e)}]}]
                for e in ("SessionStart", "UserPromptSubmit", "Stop", "SessionEnd")}}))
            self.config = {"model_pass": True, "claude_command": [client]}
            env = self.env(CLAUDE_CONFIG_DIR=str(claude), ANTHROPIC_BASE_URL="http://127.0.0.1:%d" % server.server_address[1],
                           ANTHROPIC_API_KEY="sk-ant-test-key", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1", DISABLE_TELEMETRY="1",
                           DISABLE_AUTOUPDATER="1", CLAUDE_CODE_MAX_RETRIES="0", NO_COLOR="1")
            t = self.transcript(LINES)
            p = self.run_history(["hook", "stop"], event("Stop", transcript_path=str(t), session_id="real-1"), env=env)
            self.assertEqual(p.returncode, 0, p.stderr)
        finally:
            server.shutdown()
        self.assertIn(b"proposed 2 entries", p.stderr)
        self.assertEqual(len(self.files("learnings")), 1)
        self.assertEqual(len(self.files("decisions")), 1)
        asked = [r for r in requests if "the nightly export keeps failing" in json.dumps(r.get("messages"))]
        self.assertEqual(len(asked), 1)
        self.assertEqual(asked[0].get("tools") or [], [], "no tools")
        self.assertNotIn(GITHUB[:10], json.dumps(asked[0]), "what the model is sent is redacted")
        self.assertEqual(list(self.root.glob("fired-*")), [], "no hook of the child's session ran")
        self.assertEqual(list(claude.rglob("*.jsonl")), [], "no session saved")


class Budget(Home):
    def test_passes_in_one_drain_share_its_timeout(self):
        """Sessions of several projects can end in one drained batch: the
        passes get what is left of the drain's timeout, and none starts
        without time to finish (the next Stop runs it)."""
        from unittest import mock

        from history import modelpass, transcript

        t = self.transcript(LINES)
        s = transcript.read(str(t), 1 << 20)
        logged = []
        calls = []
        cfg = {"model_pass_timeout_s": 60, "claude_command": ["claude"]}
        with mock.patch.object(modelpass, "STARTED", time.monotonic() - (modelpass.DRAIN_TIMEOUT_S - modelpass.DRAIN_MARGIN_S - 3)), \
                mock.patch.object(modelpass, "_run", side_effect=lambda *a: calls.append(a) or (0, b"", b"")):
            self.assertEqual(modelpass.propose(s, "b-1", ("/p", "p"), cfg, str(self.history), None, logged.append, str(self.home)), [])
        self.assertEqual(calls, [])
        self.assertIn("no time left in this run for the model pass of b-1; the next Stop runs it", logged)
        with mock.patch.object(modelpass, "STARTED", time.monotonic() - (modelpass.DRAIN_TIMEOUT_S - modelpass.DRAIN_MARGIN_S - 30)), \
                mock.patch.object(modelpass, "_run", side_effect=lambda *a: calls.append(a) or (0, result('{"entries": []}').encode(), b"")):
            from history.redact import Redactor

            modelpass.propose(s, "b-2", ("/p", "p"), cfg, str(self.history), Redactor(), logged.append, str(self.home))
        [(argv, data, timeout, env, cwd)] = calls
        self.assertLessEqual(timeout, 30)
        self.assertGreater(timeout, 25, "what is left of the drain, not the 60 s configured")


class WhatItLogs(Home):
    def test_what_the_answer_says_is_redacted_before_it_is_cut_in_the_log(self):
        from history import modelpass, transcript
        from history.redact import Redactor

        s = transcript.Session("t")
        s.last_time = ""
        for pad in range(0, 45):
            logged = []
            bad = {"entries": [{"category": "x" * pad + " " + GITHUB, "title": "ttt", "body": "b", "evidence": "e"},
                               {"category": "learnings", "title": "ttt", "body": "b", "evidence": "e", "x" * pad + GITHUB: 1}],
                   "y" * pad + GITHUB: 2}
            modelpass.parse(result(json.dumps(bad)).encode(), "e", s, Redactor(), logged.append)
            self.assertEqual(len(logged), 3)
            self.assertNotIn(GITHUB[:6], "\n".join(logged), pad)
