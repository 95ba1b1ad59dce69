"""Tests of the Python plugin SDK: ``python3 -m unittest discover -s sdk/python``."""

import io
import json
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
import unittest
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import paii_plugin as paii  # noqa: E402

HERE = Path(__file__).resolve().parent


class Env:
    """Sets environment variables for a block (None removes one)."""

    def __init__(self, **values):
        self.values = values

    def __enter__(self):
        self.patch = mock.patch.dict(os.environ)
        self.patch.start()
        for k, v in self.values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        return self

    def __exit__(self, *exc):
        self.patch.stop()


def stdin_bytes(data: bytes):
    """A stand-in for sys.stdin whose .buffer holds data."""
    s = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    return mock.patch.object(sys, "stdin", s)


def run_main(hooks, actions, argv, stdin=b"", env=None):
    out, err = io.StringIO(), io.StringIO()
    with Env(**(env or {})), stdin_bytes(stdin), redirect_stdout(out), redirect_stderr(err):
        code = paii.main(hooks, actions, argv)
    return code, out.getvalue(), err.getvalue()


class ReadEvent(unittest.TestCase):
    def test_an_event_and_its_fields(self):
        raw = {
            "hook_event_name": "PreToolUse",
            "session_id": "s1",
            "cwd": "/w",
            "transcript_path": "/t.jsonl",
            "tool_name": "Bash",
            "tool_input": {"command": "ls"},
            "tool_response": {"stdout": "x"},
            "extra": 1,
        }
        e = paii.read_event(io.BytesIO(json.dumps(raw).encode()))
        self.assertEqual(
            (e.name, e.session_id, e.cwd, e.transcript_path, e.tool_name), ("PreToolUse", "s1", "/w", "/t.jsonl", "Bash")
        )
        self.assertEqual(e.tool_input, {"command": "ls"})
        self.assertEqual(e.tool_response, {"stdout": "x"})
        self.assertIsNone(e.prompt)
        self.assertEqual(e.get("extra"), 1)
        self.assertEqual(e.get("missing", "d"), "d")
        self.assertIs(e.raw, e.raw)

    def test_missing_and_wrongly_typed_fields_are_normalised(self):
        e = paii.read_event(io.BytesIO(b'{"tool_input": "rm -rf ~", "session_id": 3, "prompt": "hi"}'))
        self.assertEqual((e.name, e.session_id, e.cwd), ("", "", ""))
        self.assertEqual(e.tool_input, {})
        self.assertIsNone(e.transcript_path)
        self.assertIsNone(e.tool_name)
        self.assertEqual(e.prompt, "hi")

    def test_utf8_text_streams_and_a_bom(self):
        e = paii.read_event(io.BytesIO('\ufeff{"prompt": "h\u00e9"}'.encode("utf-8")))
        self.assertEqual(e.prompt, "h\u00e9")
        e = paii.read_event(io.StringIO('{"prompt": "x"}'))
        self.assertEqual(e.prompt, "x")

    def test_bad_input_is_an_event_error(self):
        for data in [b"", b"  \n", b"{", b"[1, 2]", b'"s"', b"null", b"\xff\xfe{}"]:
            with self.subTest(data=data), self.assertRaises(paii.EventError):
                paii.read_event(io.BytesIO(data))

    def test_reads_stdin_by_default(self):
        with stdin_bytes(b'{"hook_event_name": "Stop"}'):
            self.assertEqual(paii.read_event().name, "Stop")


class Environment(unittest.TestCase):
    def test_config(self):
        with Env(PAII_CONFIG='{"a": 1, "rules": [{"x": "y"}]}'):
            self.assertEqual(paii.config(), {"a": 1, "rules": [{"x": "y"}]})
        with Env(PAII_CONFIG=None):
            self.assertEqual(paii.config(), {})
        with Env(PAII_CONFIG=""):
            self.assertEqual(paii.config(), {})

    def test_bad_config_is_logged_and_empty(self):
        for text in ["{nope", "[1]"]:
            err = io.StringIO()
            with Env(PAII_CONFIG=text, PAII_PLUGIN_NAME="p"), redirect_stderr(err):
                self.assertEqual(paii.config(), {})
            self.assertTrue(err.getvalue().startswith("p: PAII_CONFIG"), err.getvalue())

    def test_plugin_name(self):
        with Env(PAII_PLUGIN_NAME="history"):
            self.assertEqual(paii.plugin_name(), "history")
        with Env(PAII_PLUGIN_NAME=None):
            self.assertEqual(paii.plugin_name(), "plugin")

    def test_paii_home_and_history_dir(self):
        with Env(PAII_HOME="/h", PAII_HISTORY_DIR=None):
            self.assertEqual(paii.paii_home(), Path("/h"))
            self.assertEqual(paii.history_dir(), Path("/h/history"))
        with Env(PAII_HOME=None, XDG_CONFIG_HOME="/x", PAII_HISTORY_DIR="/hist"):
            self.assertEqual(paii.paii_home(), Path("/x/paii"))
            self.assertEqual(paii.history_dir(), Path("/hist"))
        with Env(PAII_HOME=None, XDG_CONFIG_HOME=None, HOME="/home/u", PAII_HISTORY_DIR=None):
            self.assertEqual(paii.paii_home(), Path("/home/u/.config/paii"))

    def test_contract(self):
        with Env(PAII_CONTRACT_MEMORY="history", PAII_CONTRACT_ISSUE_TRACKER="jira"):
            self.assertEqual(paii.contract("memory"), "history")
            self.assertEqual(paii.contract("issue-tracker"), "jira")
            self.assertIsNone(paii.contract("pager"))
        with Env(PAII_CONTRACT_MEMORY="none"):
            self.assertIsNone(paii.contract("memory"), "paii's word for an optional contract nothing provides")

    def test_log_is_one_prefixed_line(self):
        err = io.StringIO()
        with Env(PAII_PLUGIN_NAME="p"), redirect_stderr(err):
            paii.log("two\nlines")
        self.assertEqual(err.getvalue(), "p: two lines\n")


class Answers(unittest.TestCase):
    def capture(self, f, *args):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = f(*args)
        return code, out.getvalue(), err.getvalue()

    def test_allow(self):
        self.assertEqual(self.capture(paii.allow), (0, "", ""))

    def test_ask(self):
        code, out, err = self.capture(paii.ask, "PreToolUse", "sure?")
        self.assertEqual((code, err), (0, ""))
        self.assertEqual(
            json.loads(out),
            {"hookSpecificOutput": {"hookEventName": "PreToolUse", "permissionDecision": "ask", "permissionDecisionReason": "sure?"}},
        )

    def test_deny(self):
        self.assertEqual(self.capture(paii.deny, "no way"), (2, "", "no way\n"))

    def test_context(self):
        code, out, _ = self.capture(paii.context, "SessionStart", "remember \u00e9")
        self.assertEqual(code, 0)
        self.assertEqual(json.loads(out), {"hookSpecificOutput": {"hookEventName": "SessionStart", "additionalContext": "remember \u00e9"}})


class AtomicWrite(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.root = Path(self.dir.name)

    def tearDown(self):
        os.chmod(self.root, 0o755)
        self.dir.cleanup()

    def test_creates_parents_and_replaces(self):
        p = self.root / "a" / "b" / "f.txt"
        paii.atomic_write(p, "h\u00e9")
        self.assertEqual(p.read_bytes(), "h\u00e9".encode())
        paii.atomic_write(str(p), b"new")
        self.assertEqual(p.read_bytes(), b"new")
        self.assertEqual(sorted(os.listdir(p.parent)), ["f.txt"], "no temporary file left")

    def test_keeps_the_mode_and_takes_one_for_new_files(self):
        p = self.root / "f"
        paii.atomic_write(p, "x", mode=0o600)
        self.assertEqual(stat.S_IMODE(p.stat().st_mode), 0o600)
        os.chmod(p, 0o640)
        paii.atomic_write(p, "y")
        self.assertEqual(stat.S_IMODE(p.stat().st_mode), 0o640)

    @unittest.skipIf(os.geteuid() == 0, "root writes anywhere")
    def test_a_failed_write_leaves_the_old_file(self):
        p = self.root / "f"
        p.write_text("old")
        os.chmod(self.root, 0o500)
        with self.assertRaises(OSError):
            paii.atomic_write(p, "new")
        os.chmod(self.root, 0o755)
        self.assertEqual(p.read_text(), "old")

    def test_a_failed_rename_leaves_the_old_file_and_no_temporary(self):
        p = self.root / "f"
        p.write_text("old")
        with mock.patch.object(os, "replace", side_effect=OSError("disk on fire")), self.assertRaises(OSError):
            paii.atomic_write(p, "new")
        self.assertEqual(p.read_text(), "old")
        self.assertEqual(os.listdir(self.root), ["f"])

    def test_it_fsyncs_the_directory_of_the_file(self):
        p = self.root / "sub" / "f"
        with mock.patch.object(paii, "fsync_dir") as fsync_dir:
            paii.atomic_write(p, "x")
        fsync_dir.assert_called_once_with(str(p.parent))


class FsyncDir(unittest.TestCase):
    def test_it_is_public(self):
        self.assertIn("fsync_dir", paii.__all__)
        self.assertTrue(callable(paii.fsync_dir))
        for name in paii.__all__:
            self.assertTrue(hasattr(paii, name), name)

    def test_it_fsyncs_the_directory_itself(self):
        synced = []

        def fsync(fd):
            synced.append(stat.S_ISDIR(os.fstat(fd).st_mode))

        with tempfile.TemporaryDirectory() as d:
            for directory in (d, Path(d)):
                with mock.patch.object(os, "fsync", side_effect=fsync):
                    self.assertIsNone(paii.fsync_dir(directory))
        self.assertEqual(synced, [True, True])

    def test_it_is_best_effort(self):
        with tempfile.TemporaryDirectory() as d:
            paii.fsync_dir(os.path.join(d, "missing"))
            with mock.patch.object(os, "fsync", side_effect=OSError("EINVAL")):
                paii.fsync_dir(d)


class RunAction(unittest.TestCase):
    def test_runs_paii_run_with_the_arguments(self):
        with tempfile.TemporaryDirectory() as d:
            fake = Path(d) / "paii"
            fake.write_text("#!/bin/sh\nprintf '%s\\n' \"$@\"\necho oops >&2\nexit 3\n")
            fake.chmod(0o755)
            with Env(PAII_BIN=str(fake)):
                done = paii.run_action("history", "record", ["--title", "a b", 5])
        self.assertEqual(done.returncode, 3)
        self.assertEqual(done.stdout.splitlines(), ["run", "history", "--action", "record", "--", "--title", "a b", "5"])
        self.assertEqual(done.stderr, "oops\n")


class Main(unittest.TestCase):
    def test_a_hook_gets_the_event_and_its_return_is_the_exit_code(self):
        seen = []

        def handler(event):
            seen.append(event)
            return 2

        code, _, _ = run_main({"pre-tool-use": handler}, {}, ["hook", "pre-tool-use"], b'{"tool_name": "Bash"}')
        self.assertEqual(code, 2)
        self.assertEqual(seen[0].tool_name, "Bash")
        self.assertEqual(run_main({"stop": lambda e: None}, {}, ["hook", "stop"], b"{}")[0], 0)

    def test_event_names_in_any_spelling(self):
        hooks = {"pre-tool-use": lambda e: 5}
        for name in ["pre-tool-use", "pre_tool_use", "PreToolUse"]:
            self.assertEqual(run_main(hooks, {}, ["hook", name], b"{}")[0], 5, name)

    def test_an_unknown_hook_event_is_allowed_and_logged(self):
        code, out, err = run_main({}, {}, ["hook", "stop"], b"{}", env={"PAII_PLUGIN_NAME": "p"})
        self.assertEqual((code, out), (0, ""))
        self.assertIn("p: no handler for the stop event", err)

    def test_bad_events_and_crashes_are_logged_and_allowed(self):
        def crash(event):
            raise ValueError("boom")

        hooks = {"stop": lambda e: 0, "crash": crash}
        for argv, data in [(["hook", "stop"], b""), (["hook", "stop"], b"[1]"), (["hook", "stop"], b"{"), (["hook", "crash"], b"{}")]:
            with self.subTest(argv=argv, data=data):
                code, out, err = run_main(hooks, {}, argv, data, env={"PAII_CONFIG": None, "PAII_PLUGIN_NAME": "p"})
                self.assertEqual((code, out), (0, ""))
                self.assertTrue(err.startswith("p: hook "), err)
                self.assertEqual(len(err.splitlines()), 1, err)
        code, _, err = run_main(hooks, {}, ["hook", "crash"], b"{}", env={"PAII_CONFIG": None})
        self.assertIn("ValueError: boom", err)

    def test_fail_closed_turns_failures_into_blocks(self):
        def crash(event):
            raise RuntimeError("boom")

        env = {"PAII_CONFIG": '{"fail_closed": true}'}
        self.assertEqual(run_main({"stop": crash}, {}, ["hook", "stop"], b"{}", env)[0], 2)
        self.assertEqual(run_main({"stop": lambda e: 0}, {}, ["hook", "stop"], b"", env)[0], 2)
        self.assertEqual(run_main({}, {}, ["hook", "stop"], b"{}", env)[0], 0, "an unknown event is still allowed")
        env = {"PAII_CONFIG": '{"fail_closed": "yes"}'}
        self.assertEqual(run_main({"stop": crash}, {}, ["hook", "stop"], b"{}", env)[0], 0, "only a real true")

    def test_a_handler_returning_garbage_is_a_failure(self):
        self.assertEqual(run_main({"stop": lambda e: "x"}, {}, ["hook", "stop"], b"{}", {"PAII_CONFIG": None})[0], 0)

    def test_actions(self):
        got = []

        def act(args):
            got.append(args)
            print("ran")
            return 3

        code, out, _ = run_main({}, {"go": act}, ["action", "go", "a", "--b"])
        self.assertEqual((code, out, got), (3, "ran\n", [["a", "--b"]]))
        self.assertEqual(run_main({}, {"go": lambda a: None}, ["action", "go"])[0], 0)

    def test_an_action_that_exits_or_crashes(self):
        def exits(args):
            sys.exit(2)

        def crashes(args):
            raise KeyError("k")

        self.assertEqual(run_main({}, {"x": exits}, ["action", "x"])[0], 2)
        code, _, err = run_main({}, {"x": crashes}, ["action", "x"], env={"PAII_PLUGIN_NAME": "p"})
        self.assertEqual(code, 1)
        self.assertIn("p: action x failed: KeyError", err)

    def test_unknown_actions_and_bad_usage_list_the_actions(self):
        actions = {"query": lambda a: 0, "recent": lambda a: 0}
        for argv in [["action", "nope"], ["action"], [], ["frobnicate"], ["hook"], ["hook", "a", "b"]]:
            with self.subTest(argv=argv):
                code, out, err = run_main({}, actions, argv)
                self.assertEqual((code, out), (64, ""))
                self.assertIn("actions: query, recent", err)

    def test_help(self):
        code, out, _ = run_main({"stop": None}, {"query": None}, ["--help"])
        self.assertEqual(code, 0)
        self.assertIn("hooks: stop", out)


class AsAProgram(unittest.TestCase):
    """The SDK as a plugin's console script uses it: a real process."""

    def run_plugin(self, argv, stdin=b"", env=None):
        script = textwrap.dedent(
            """
            import sys
            sys.path.insert(0, %r)
            import paii_plugin as paii

            def pre_tool_use(event):
                if "rm" in event.tool_input.get("command", ""):
                    return paii.deny("no rm")
                if "push" in event.tool_input.get("command", ""):
                    return paii.ask(event.name, "pushing?")
                return paii.allow()

            sys.exit(paii.main({"pre-tool-use": pre_tool_use}, {"hello": lambda args: print("hi", *args)}))
            """
            % str(HERE)
        )
        full_env = dict(os.environ, PAII_PLUGIN_NAME="demo", **(env or {}))
        return subprocess.run([sys.executable, "-c", script] + argv, input=stdin, capture_output=True, env=full_env)

    def test_deny_ask_allow_and_an_action(self):
        ev = lambda cmd: json.dumps({"hook_event_name": "PreToolUse", "tool_name": "Bash", "tool_input": {"command": cmd}}).encode()
        p = self.run_plugin(["hook", "pre-tool-use"], ev("rm -rf x"))
        self.assertEqual((p.returncode, p.stderr), (2, b"no rm\n"))
        p = self.run_plugin(["hook", "pre-tool-use"], ev("git push"))
        self.assertEqual(p.returncode, 0)
        self.assertEqual(json.loads(p.stdout)["hookSpecificOutput"]["permissionDecision"], "ask")
        p = self.run_plugin(["hook", "pre-tool-use"], ev("ls"))
        self.assertEqual((p.returncode, p.stdout, p.stderr), (0, b"", b""))
        p = self.run_plugin(["hook", "pre-tool-use"], b"not json")
        self.assertEqual((p.returncode, p.stdout), (0, b""))
        self.assertTrue(p.stderr.startswith(b"demo: hook pre-tool-use failed: EventError"), p.stderr)
        p = self.run_plugin(["action", "hello", "x"])
        self.assertEqual((p.returncode, p.stdout), (0, b"hi x\n"))
        p = self.run_plugin(["action", "bye"])
        self.assertEqual(p.returncode, 64)
        self.assertIn(b"actions: hello", p.stderr)

    def test_imports_only_what_a_hook_needs(self):
        code = "import sys; sys.path.insert(0, %r); import paii_plugin; print(','.join(sorted(m for m in ('subprocess', 'tempfile', 'pathlib') if m in sys.modules)))"
        p = subprocess.run([sys.executable, "-S", "-c", code % str(HERE)], capture_output=True, text=True)
        self.assertEqual(p.stdout.strip(), "")


class Drain(unittest.TestCase):
    """``drain``: an observer's queued events, acknowledged one by one."""

    def record(self, event, payload, queued_at=1700000000000):
        return json.dumps({"event": event, "queued_at": queued_at, "input": payload}).encode() + b"\n"

    def test_each_record_reaches_its_handler_in_order_and_is_acknowledged(self):
        seen = []

        def observe(event):
            seen.append((os.environ.get("PAII_EVENT"), event.tool_name, event.queued_at))
            print("a handler's own output")

        hooks = {"pre-tool-use": observe, "stop": observe}
        data = self.record("pre-tool-use", {"tool_name": "Bash"}) + self.record("stop", {}, 1700000001000)
        code, out, err = run_main(hooks, {}, ["drain"], data)
        self.assertEqual(code, 0)
        self.assertEqual(seen, [("pre-tool-use", "Bash", 1700000000.0), ("stop", None, 1700000001.0)])
        self.assertEqual(out.splitlines(), ['{"consumed": 1}', '{"consumed": 2}'], "only acknowledgements on stdout")
        self.assertIn("a handler's own output", err)

    def test_a_failing_handler_or_a_bad_record_is_logged_and_still_consumed(self):
        def crash(event):
            raise ValueError("boom")

        def leave(event):
            raise SystemExit(3)

        data = self.record("stop", {}) + b"{torn\n" + self.record("stop-failure", {}) + self.record("unknown", {})
        code, out, err = run_main({"stop": crash, "stop-failure": leave}, {}, ["drain"], data, env={"PAII_PLUGIN_NAME": "p"})
        self.assertEqual(code, 0)
        self.assertEqual(out.splitlines()[-1], '{"consumed": 4}')
        self.assertIn("p: hook stop failed on a queued event: ValueError: boom", err)
        self.assertIn("queued record 2 is not an event", err)
        self.assertIn("no handler for the queued unknown event", err)


class Vendored(unittest.TestCase):
    """Every Python plugin in the repository carries this very file."""

    def test_copies_are_identical(self):
        root = HERE.parent.parent
        sdk = (HERE / "paii_plugin.py").read_bytes()
        copies = [p for base in ("plugins", "fixtures/plugins") for p in (root / base).glob("*/src/*/paii_plugin.py")]
        for copy in copies:
            with self.subTest(copy=str(copy.relative_to(root))):
                self.assertEqual(copy.read_bytes(), sdk, "copy sdk/python/paii_plugin.py over it")


if __name__ == "__main__":
    unittest.main()
