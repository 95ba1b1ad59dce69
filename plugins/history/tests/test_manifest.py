"""plugin.toml, the code and the vendored SDK agree."""

import unittest

from .helpers import ROOT

import history  # noqa: E402
from history import filing  # noqa: E402

try:
    import tomllib
except ImportError:  # Python < 3.11
    tomllib = None


@unittest.skipIf(tomllib is None, "tomllib needs Python 3.11")
class Manifest(unittest.TestCase):
    def setUp(self):
        with open(ROOT / "plugin.toml", "rb") as f:
            self.toml = tomllib.load(f)

    def test_every_hook_is_an_observer_of_an_event_history_knows(self):
        hooks = self.toml["hooks"]
        self.assertGreaterEqual(len(hooks), 11)
        for snake, table in hooks.items():
            self.assertIn(snake.replace("_", "-"), history.EVENTS, snake)
            self.assertEqual(table, {"async": True}, snake)

    def test_the_default_rules_are_the_codes(self):
        self.assertEqual(self.toml["config"]["rules"]["default"], filing.DEFAULT_RULES)

    def test_actions_and_contract(self):
        self.assertEqual(sorted(self.toml["run"]["actions"]), sorted(history.ACTIONS))
        self.assertEqual(self.toml["provides"], {"memory": "MemoryProvider"})
        self.assertEqual(self.toml["run"]["command"], ["history"])
        self.assertEqual(self.toml["build"], {"type": "uv"})


class VendoredSdk(unittest.TestCase):
    def test_the_copy_is_the_sdk(self):
        sdk = ROOT.parent.parent / "sdk" / "python" / "paii_plugin.py"
        if not sdk.is_file():
            self.skipTest("not inside the paii repository")
        self.assertEqual((ROOT / "src" / "history" / "paii_plugin.py").read_bytes(), sdk.read_bytes(),
                         "copy sdk/python/paii_plugin.py to src/history/paii_plugin.py")


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
