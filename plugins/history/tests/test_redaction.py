"""Secrets never reach the history: .env values and token shapes are
scrubbed from raw lines, summaries, filed entries and recorded entries."""

import json
import unittest

from .helpers import Home, assistant, tool_result, tool_use, user

from history.redact import Redactor, read_dotenv  # noqa: E402  (helpers put src/ on the path)

# One sample of each shape, built from parts so that no scanner mistakes
# this file for a leak.
GITHUB = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
GITHUB_PAT = "github_pat_" + "11ABCDEFG0" + "x" * 40
SLACK = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
AWS = "AKIA" + "IOSFODNN7EXAMPLE"
OPENAI = "sk-" + "proj-Abc123Def456Ghi789Jkl012"
ANTHROPIC = "sk-ant-" + "api03-" + "Z" * 40
GOOGLE = "AIza" + "SyD-1234567890abcdefghijklmnopqrstu"
JWT = "eyJhbGciOiJIUzI1NiJ9" + "." + "eyJzdWIiOiIxMjM0NTY3ODkwIn0" + "." + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
PEM = "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEpAIBAAKCAQEA75\nabcdef==\n-----END RSA " + "PRIVATE KEY-----"
STRIPE_LIVE = "sk_" + "live_" + "51HxYzAbCdEfGhIjKlMnOpQrStUv"
STRIPE_TEST = "sk_" + "test_" + "4eC39HqLyjWDarjtT1zdp7dc"
STRIPE_RESTRICTED_LIVE = "rk_" + "live_" + "51HxYzAbCdEfGhIjKlMnOp"
STRIPE_RESTRICTED_TEST = "rk_" + "test_" + "51HxYzAbCdEfGhIjKlMnOp"
GITLAB = "glpat-" + "xYz12AbC_dEf34-GhIj56"
GITLAB_ROUTABLE = "glpat-" + "AbCdEfGhIjKlMnOpQrStUvWx" + ".01.0s1" + "abcdef2"
NPM = "npm_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
PYPI = "pypi-" + "AgEIcHlwaS5vcmcCJDUwYzY4ZjQ1LWFiY2QtNDEyMy05ODc2LWFiY2RlZjAxMjM0NQACKlsz"
HUGGINGFACE = "hf_" + "AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
SLACK_WEBHOOK = "https://hooks." + "slack.com/services/" + "T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX"
SLACK_WORKFLOW = "https://hooks." + "slack.com/workflows/" + "T01ABCDE/A02BCDEF/123456789/AbCdEfGhIjKl"
PRIVATE_KEYS = {
    "pkcs8": "PRIVATE KEY",
    "openssh": "OPENSSH PRIVATE KEY",
    "ec": "EC PRIVATE KEY",
    "encrypted": "ENCRYPTED PRIVATE KEY",
    "dsa": "DSA PRIVATE KEY",
    "pgp": "PGP PRIVATE KEY BLOCK",
}
BEARER_TOKEN = "abc.DEF-123_456~xyz"
PASSWORD = "hunter2-horse-battery"

SHAPES = {
    "github": GITHUB,
    "github_pat": GITHUB_PAT,
    "slack": SLACK,
    "aws": AWS,
    "sk": OPENAI,
    "sk-ant": ANTHROPIC,
    "google": GOOGLE,
    "jwt": JWT,
    "pem": PEM,
    "stripe_live": STRIPE_LIVE,
    "stripe_test": STRIPE_TEST,
    "stripe_restricted_live": STRIPE_RESTRICTED_LIVE,
    "stripe_restricted_test": STRIPE_RESTRICTED_TEST,
    "gitlab": GITLAB,
    "gitlab_routable": GITLAB_ROUTABLE,
    "npm": NPM,
    "pypi": PYPI,
    "huggingface": HUGGINGFACE,
    "slack_webhook": SLACK_WEBHOOK,
    "slack_workflow": SLACK_WORKFLOW,
}
SHAPES.update(
    ("key_" + name, "-----BEGIN %s-----\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo%s\n-----END %s-----" % (kind, name, kind))
    for name, kind in PRIVATE_KEYS.items()
)

ENV_VALUE = "s3cr3t-from-dotenv-42"
ENV_QUOTED = "quoted value with spaces"


class Shapes(unittest.TestCase):
    def setUp(self):
        self.r = Redactor()

    def test_each_token_shape(self):
        for name, secret in SHAPES.items():
            with self.subTest(name):
                out = self.r.text("before %s after" % secret)
                self.assertEqual(out, "before [REDACTED] after")

    def test_the_token_in_context(self):
        cases = {
            "STRIPE_SECRET_KEY=%s" % STRIPE_LIVE: "STRIPE_SECRET_KEY=[REDACTED]",
            "stripe.api_key = '%s'" % STRIPE_TEST: "stripe.api_key = '[REDACTED]'",
            "curl -u %s: https://api.stripe.com/v1/charges" % STRIPE_TEST: "curl -u [REDACTED]: https://api.stripe.com/v1/charges",
            "git clone https://oauth2:%s@gitlab.com/g/p.git" % GITLAB: "git clone https://oauth2:[REDACTED]@gitlab.com/g/p.git",
            "//registry.npmjs.org/:_authToken=%s" % NPM: "//registry.npmjs.org/:_authToken=[REDACTED]",
            "twine upload -u __token__ -p %s dist/*" % PYPI: "twine upload -u __token__ -p [REDACTED] dist/*",
            "huggingface-cli login --token %s" % HUGGINGFACE: "huggingface-cli login --token [REDACTED]",
            'curl -X POST -d \'{"text":"hi"}\' %s' % SLACK_WEBHOOK: 'curl -X POST -d \'{"text":"hi"}\' [REDACTED]',
            "the webhook (%s)." % SLACK_WEBHOOK: "the webhook ([REDACTED]).",
            "key:\n-----BEGIN PRIVATE KEY-----\nMIIEvQIBADAN\nno end": "key:\n[REDACTED]",
        }
        for text, expected in cases.items():
            with self.subTest(text):
                self.assertEqual(self.r.text(text), expected)

    def test_bearer_and_assignments_keep_their_names(self):
        cases = {
            "Authorization: Bearer %s" % BEARER_TOKEN: "Authorization: Bearer [REDACTED]",
            "curl -H 'authorization: bearer %s' x" % BEARER_TOKEN: "curl -H 'authorization: bearer [REDACTED]' x",
            "password=%s done" % PASSWORD: "password=[REDACTED] done",
            "DB_PASSWORD = \"%s\"" % PASSWORD: "DB_PASSWORD = \"[REDACTED]\"",
            "token: %s" % PASSWORD: "token: [REDACTED]",
            '{"api_key": "%s"}' % PASSWORD: '{"api_key": "[REDACTED]"}',
            "export GITHUB_TOKEN=%s" % PASSWORD: "export GITHUB_TOKEN=[REDACTED]",
            "mysql --password %s -u root" % PASSWORD: "mysql --password [REDACTED] -u root",
            "gh auth login --with-token %s" % PASSWORD: "gh auth login --with-token [REDACTED]",
            "deploy --token=%s" % PASSWORD: "deploy --token=[REDACTED]",
        }
        for text, expected in cases.items():
            with self.subTest(text):
                self.assertEqual(self.r.text(text), expected)

    def test_ordinary_text_is_left_alone(self):
        for text in [
            "max_tokens: 100 and input_tokens=5",
            "the author: Jane",
            "ask-me-anything",
            "a password is needed",
            "token\nnext line",
            "the monkey-key is here",
            "pytest --tokenizer fast",
            "cmd --password --other",
            "npm_config_cache=/tmp/npm",
            "from huggingface_hub import hf_hub_download",
            "network_test_suite and desk_live_view",
            "pypi-simple index",
            "glpat-short",
            "https://hooks.slack.com/ is Slack's webhook host",
            "-----BEGIN PUBLIC KEY-----\nMFkwEwYH\n-----END PUBLIC KEY-----",
            "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
        ]:
            with self.subTest(text):
                self.assertEqual(self.r.text(text), text)

    def test_secret_named_keys_of_json_values(self):
        v = {"password": "abc", "nested": [{"client_secret": "x1"}, {"Authorization": "Basic Zm9v"}], "max_tokens": 5, "token_count": "12"}
        self.assertEqual(
            self.r.value(v),
            {"password": "[REDACTED]", "nested": [{"client_secret": "[REDACTED]"}, {"Authorization": "[REDACTED]"}], "max_tokens": 5, "token_count": "12"},
        )
        # The raw log's walk is this one, with its own treatment of strings.
        self.assertEqual(self.r.value({"api_key": "k", "note": ["abc"]}, str.upper), {"api_key": "[REDACTED]", "note": ["ABC"]})
        deep = "x"
        for _ in range(40):
            deep = [deep]
        self.assertIn("[nested too deep]", json.dumps(self.r.value(deep)))

    def test_dotenv_values_and_extra_patterns(self):
        r = Redactor([("API_KEY", ENV_VALUE), ("SHORT", "abc12"), ("LONGER", ENV_VALUE + "-more")], [r"ACME-\d{6}", "(bad"], log=lambda m: None)
        self.assertEqual(r.text("use %s and abc12" % ENV_VALUE), "use [REDACTED:API_KEY] and abc12")
        self.assertEqual(r.text("%s-more" % ENV_VALUE), "[REDACTED:LONGER]", "the longest value first")
        self.assertEqual(r.text("ticket ACME-123456"), "ticket [REDACTED]")


class Dotenv(Home):
    def test_the_dotenv_syntax(self):
        (self.home / ".env").write_text(
            "\ufeff# secrets\n"
            "PLAIN=%s\n"
            "export EXPORTED=exported-value-1\n"
            "QUOTED=\"%s\"\n"
            "SINGLE='single-quoted-1'\n"
            "COMMENTED=commented-value # a note\n"
            "EMPTY=\n"
            "not a line\n" % (ENV_VALUE, ENV_QUOTED),
            encoding="utf-8",
        )
        self.assertEqual(
            read_dotenv(self.home / ".env"),
            [
                ("PLAIN", ENV_VALUE),
                ("EXPORTED", "exported-value-1"),
                ("QUOTED", ENV_QUOTED),
                ("SINGLE", "single-quoted-1"),
                ("COMMENTED", "commented-value"),
                ("EMPTY", ""),
            ],
        )
        self.assertEqual(read_dotenv(self.home / "missing"), [])


class EverywhereHistoryWrites(Home):
    def setUp(self):
        super().setUp()
        (self.home / ".env").write_text("export MY_API_KEY='%s'\nTEAM_PASS=\"%s\"\nPIN=1234\n" % (ENV_VALUE, ENV_QUOTED))
        self.secrets = list(SHAPES.values()) + [BEARER_TOKEN, PASSWORD, ENV_VALUE, ENV_QUOTED, "ACME-777777"]
        self.config = {"redact_patterns": [r"ACME-\d{6}"], "rules": [{"category": "learnings", "on": "prompt", "pattern": "TIL"},
                                                                   {"category": "incidents", "on": "error", "pattern": "denied"}]}

    def leak_text(self) -> str:
        lines = ["%s: %s" % (name, s) for name, s in SHAPES.items()]
        lines += ["Authorization: Bearer %s" % BEARER_TOKEN, "password=%s" % PASSWORD, "key %s" % ENV_VALUE,
                  "team %s" % ENV_QUOTED, "ticket ACME-777777"]
        return "\n".join(lines)

    def assert_clean(self, text: str, where: str):
        for s in self.secrets:
            self.assertNotIn(s, text, "%s leaks %r" % (where, s))
        for part in ["MIIEpAIBAAKCAQEA75", "abcdef==", "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo"]:
            self.assertNotIn(part, text, "%s leaks the PEM body" % where)

    def test_raw_lines(self):
        leak = self.leak_text()
        self.hook("pre-tool-use", {"hook_event_name": "PreToolUse", "session_id": "s", "tool_name": "Bash",
                                   "tool_input": {"command": "curl -H 'Authorization: Bearer %s' x" % BEARER_TOKEN, "env": {"password": "p"}},
                                   "tool_response": leak, "cwd": "/w pin 1234"})
        text = next((self.history / "raw").glob("*/*.jsonl")).read_text(encoding="utf-8")
        self.assert_clean(text, "the raw line")
        line = json.loads(text)
        self.assertIn("[REDACTED:MY_API_KEY]", line["data"]["tool_response"])
        self.assertIn("[REDACTED:TEAM_PASS]", line["data"]["tool_response"])
        self.assertEqual(line["data"]["tool_input"]["env"]["password"], "[REDACTED]")
        self.assertIn("pin 1234", line["data"]["cwd"], "a value under 6 characters is no secret")

    def test_a_secret_across_the_cut_of_a_long_field(self):
        self.config["max_field_kb"] = 1
        self.hook("post-tool-use", {"hook_event_name": "PostToolUse", "tool_response": "x" * 1010 + GITHUB + "y" * 5000})
        text = next((self.history / "raw").glob("*/*.jsonl")).read_text(encoding="utf-8")
        self.assertNotIn(GITHUB[:14], text, "no prefix of the token either")

    def test_summaries_and_filed_entries(self):
        leak = self.leak_text()
        lines = [
            user("TIL: the deploy token is %s\n%s" % (GITHUB, leak)),
            assistant([tool_use("t1", "Bash", command="deploy --token %s --key %s" % (PASSWORD, ENV_VALUE)),
                       tool_use("t2", "Write", file_path="/app/%s.txt" % ENV_VALUE, content="x")]),
            tool_result("t1", "permission denied for %s\n%s" % (AWS, leak), is_error=True),
            assistant("done, password=%s" % PASSWORD, ts="2026-01-05T10:00:09.000Z", mid="m9"),
        ]
        self.stop(self.transcript(lines), session_id="leaky")
        summary = self.files("sessions")[0].read_text(encoding="utf-8")
        self.assert_clean(summary, "the summary")
        self.assertIn("[REDACTED:MY_API_KEY]", summary)
        entries = self.files("learnings") + self.files("incidents")
        self.assertEqual(len(entries), 2)
        for p in entries:
            self.assert_clean(p.read_text(encoding="utf-8"), p.name)
        self.assert_clean(self.all_written(), "history")

    def test_recorded_entries(self):
        p = self.action("record", "--category", "incidents", "--title", "leak of %s" % GITHUB, "--body", self.leak_text(), "--json")
        out = json.loads(p.stdout)
        self.assert_clean(p.stdout.decode(), "record's output")
        self.assert_clean(open(out["path"], encoding="utf-8").read(), "the recorded entry")
        p = self.action("record", "--category", "learnings", "--title", "from stdin", "--body-file", "-", stdin=self.leak_text())
        self.assert_clean(open(p.stdout.decode().strip(), encoding="utf-8").read(), "the entry read from stdin")

    def test_a_bad_extra_pattern_is_logged_and_the_rest_still_apply(self):
        self.config["redact_patterns"] = ["(oops", r"ACME-\d{6}"]
        p = self.hook("notification", {"hook_event_name": "Notification", "message": "see ACME-777777 and %s" % AWS})
        self.assertIn(b"redact_patterns: `(oops` is not a regular expression", p.stderr)
        self.assert_clean(self.all_written(), "history")
