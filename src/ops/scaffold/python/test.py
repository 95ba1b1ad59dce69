import unittest

from {{module}} import judge


class JudgeTest(unittest.TestCase):
    def test_a_blocked_command_is_named(self):
        self.assertEqual(judge("sudo rm -rf / now", {"blocked": ["rm -rf /"]}), "rm -rf /")

    def test_anything_else_is_allowed(self):
        self.assertIsNone(judge("ls -la", {"blocked": ["rm -rf /"]}))
        self.assertIsNone(judge("ls", {}))


if __name__ == "__main__":
    unittest.main()
