"""plugin.toml, the code, paii's list of events and the vendored SDK agree.

plugin.toml is read with tests/toml_subset.py, so that none of this is
skipped on Python 3.9 and 3.10 (no tomllib)."""

import re
import unittest

from .helpers import DEFAULT_CONFIG, ROOT
from .toml_subset import load

import history  # noqa: E402
from history import filing, hooks, modelpass  # noqa: E402

EVENT_RS = ROOT.parent.parent / "crates" / "paii-dispatch" / "src" / "event.rs"


# Claude Code's WorktreeCreate hook creates the worktree and prints its path:
# an observer cannot answer it (paii refuses `async = true` there).
NOT_OBSERVED = {"worktree-create"}


class Manifest(unittest.TestCase):
    def setUp(self):
        self.toml = load(ROOT / "plugin.toml")

    def test_every_event_history_knows_is_an_observer_in_the_same_order(self):
        hooks_table = self.toml["hooks"]
        self.assertEqual(list(hooks_table), [kebab.replace("-", "_") for kebab in history.EVENTS if kebab not in NOT_OBSERVED])
        for snake, table in hooks_table.items():
            # Stop and SessionEnd set the drain's timeout: room for the model pass.
            expected = {"async": True, "timeout_ms": 1000 * modelpass.DRAIN_TIMEOUT_S} if snake in ("stop", "session_end") else {"async": True}
            self.assertEqual(table, expected, snake)

    def test_history_knows_every_event_paii_knows(self):
        if not EVENT_RS.is_file():
            self.skipTest("no crates/paii-dispatch/src/event.rs (not inside the paii repository)")
        text = EVENT_RS.read_text(encoding="utf-8")
        body = text[text.index("events! {") :]
        rows = re.findall(r'^\s*\w+ => "(\w+)", "(\w+)", "([\w-]+)", (?:true|false);', body, re.M)
        self.assertGreaterEqual(len(rows), 31)
        self.assertEqual(list(history.EVENTS.items()), [(kebab, pascal) for pascal, _, kebab in rows])
        self.assertEqual(list(self.toml["hooks"]), [snake for _, snake, kebab in rows if kebab not in NOT_OBSERVED])

    def test_the_default_rules_are_only_in_plugin_toml(self):
        self.assertFalse(hasattr(filing, "DEFAULT_RULES"), "plugin.toml is the one place of the default rules")
        logged = []
        rules = filing.load_rules(DEFAULT_CONFIG, logged.append)
        self.assertEqual((len(rules), logged), (len(self.toml["config"]["rules"]["default"]), []))
        self.assertEqual(rules, [], "the built-in extraction does what the old default rules did, and more")
        self.assertEqual(filing.load_rules({}, logged.append), [])
        self.assertEqual(logged, [])

    def test_the_codes_fallbacks_are_plugin_tomls_defaults(self):
        self.assertEqual(hooks.MAX_FIELD_KB, DEFAULT_CONFIG["max_field_kb"])
        self.assertEqual(hooks.MAX_TRANSCRIPT_MB, DEFAULT_CONFIG["max_transcript_mb"])
        self.assertEqual(DEFAULT_CONFIG["redact_patterns"], [])
        self.assertEqual(hooks.EXTRACT, DEFAULT_CONFIG["extract"])
        self.assertEqual(hooks.MODEL_PASS, DEFAULT_CONFIG["model_pass"])
        self.assertIs(DEFAULT_CONFIG["model_pass"], False, "the model pass is opt-in")
        self.assertEqual(hooks.CLAUDE_COMMAND, DEFAULT_CONFIG["claude_command"])
        self.assertEqual(hooks.MODEL_PASS_TIMEOUT_S, DEFAULT_CONFIG["model_pass_timeout_s"])
        self.assertLess(hooks.MODEL_PASS_TIMEOUT_S, modelpass.DRAIN_TIMEOUT_S - modelpass.DRAIN_MARGIN_S)
        for key, kind in [("extract", "boolean"), ("model_pass", "boolean"), ("claude_command", "array"), ("model_pass_timeout_s", "integer")]:
            self.assertEqual(self.toml["config"][key]["type"], kind, key)

    def test_actions_and_contract(self):
        self.assertEqual(sorted(self.toml["run"]["actions"]), sorted(history.ACTIONS))
        self.assertEqual(self.toml["provides"], {"memory": "MemoryProvider"})
        self.assertEqual(self.toml["run"]["command"], ["history"])
        self.assertEqual(self.toml["build"], {"type": "uv"})

    def test_the_subset_parser_reads_plugin_toml_as_tomllib_does(self):
        try:
            import tomllib
        except ImportError:  # Python < 3.11: nothing to compare with
            self.skipTest("tomllib needs Python 3.11")
        for name in ("plugin.toml", "pyproject.toml"):
            with self.subTest(name), open(ROOT / name, "rb") as f:
                self.assertEqual(load(ROOT / name), tomllib.load(f))


class VendoredSdk(unittest.TestCase):
    def test_the_copy_is_the_sdk(self):
        sdk = ROOT.parent.parent / "sdk" / "python" / "paii_plugin.py"
        if not sdk.is_file():
            self.skipTest("not inside the paii repository")
        self.assertEqual((ROOT / "src" / "history" / "paii_plugin.py").read_bytes(), sdk.read_bytes(),
                         "copy sdk/python/paii_plugin.py to src/history/paii_plugin.py")

    def test_the_store_uses_the_sdks_public_fsync_dir(self):
        import tempfile
        from unittest import mock

        from history import paii_plugin, store

        with tempfile.TemporaryDirectory() as d, mock.patch.object(paii_plugin, "fsync_dir") as fsync_dir:
            path = store.publish_new(d, "entry", b"x")
        self.assertEqual(path, "%s/entry.md" % d)
        fsync_dir.assert_called_once_with(d)


class Directories(unittest.TestCase):
    def test_the_hot_path_finds_the_directories_as_the_sdk_does(self):
        import os
        from unittest import mock

        from history import hooks, paii_plugin

        for env in [
            {"PAII_HOME": "/h", "PAII_HISTORY_DIR": "/x"},
            {"PAII_HOME": "/h"},
            {"XDG_CONFIG_HOME": "/xdg"},
            {"HOME": "/home/u"},
        ]:
            with self.subTest(env=env), mock.patch.dict(os.environ, env, clear=True):
                self.assertEqual(hooks._dirs(), (str(paii_plugin.paii_home()), str(paii_plugin.history_dir())))
