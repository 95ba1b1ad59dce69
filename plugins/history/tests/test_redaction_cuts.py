"""Redaction comes before every cut. A secret that a cut reaches must not
leave its prefix behind (``ghp_abcde…``, ``password correcthors…``): every
place where history cuts a text is tried with the cut at every position
across every kind of secret it knows (each token shape, .env values,
``password=``/``--password X``/``Bearer`` forms).

Everything here runs in process (thousands of cuts); test_redaction.py
checks the same end to end, through the console script."""

import io
import os
import tempfile
import unittest
from contextlib import redirect_stdout
from unittest import mock

from .helpers import assistant, tool_result, tool_use, user
from .test_redaction import BEARER_TOKEN, ENV_VALUE, PASSWORD, SHAPES

from history import actions, extract, filing, modelpass, raw, summary, transcript  # noqa: E402
from history.redact import Redactor  # noqa: E402

# Values no word of what history writes starts like.
ENV_QUOTED = "velvet moon harbour"
DOTENV = [("MY_API_KEY", ENV_VALUE), ("TEAM_PASS", ENV_QUOTED), ("LONG_SECRET", "correcthorsebatterystaple")]

# Prefixes nobody needs to hide (a token's kind, an option's name).
PUBLIC = ("https://hooks.slack.com/services/", "https://hooks.slack.com/workflows/", "github_pat_", "sk-ant-api03-",
          "sk-proj-", "Authorization: Bearer ", "password=", "--password ", "--token ", "DB_PASSWORD: ", "password ")


def samples():
    """``(name, text holding the secret, the secret, how much of its
    beginning is public)``: no longer prefix may ever be written (of a
    value in a form such as ``password=``: none of 4 characters)."""
    out = []
    for name, secret in SHAPES.items():
        if secret.startswith("-----BEGIN"):
            body = secret.split("\n", 1)[1]
            out.append((name, secret, secret, len(secret) - len(body) + 3))
            continue
        public = max([len(p) for p in PUBLIC if secret.startswith(p)] + [4])
        out.append((name, secret, secret, public))
    for name, text, value in [
        ("bearer", "Authorization: Bearer %s" % BEARER_TOKEN, BEARER_TOKEN),
        ("password=", "password=%s" % PASSWORD, PASSWORD),
        ("--password", "--password %s" % PASSWORD, PASSWORD),
        ("--token", "--token %s" % PASSWORD, PASSWORD),
        ("key: value", "DB_PASSWORD: %s" % PASSWORD, PASSWORD),
        (".env", "key %s" % ENV_VALUE, ENV_VALUE),
        (".env quoted", "team %s" % ENV_QUOTED, ENV_QUOTED),
        (".env after password", "password %s" % "correcthorsebatterystaple", "correcthorsebatterystaple"),
    ]:
        out.append((name, text, value, 4))
    return out


SAMPLES = samples()


def placed(text: str, cut: int, j: int, before: str = "x") -> str:
    """``text`` placed so that a cut after ``cut`` characters falls ``j``
    characters into it, words before it, a tail after it."""
    start = cut - j
    if start < 2:
        return ""
    return (before * (start - 1))[: start - 1] + " " + text + " and then the rest of the line"


class Cuts(unittest.TestCase):
    def setUp(self):
        self.r = Redactor(DOTENV)

    def each(self, cut: int, render, where: str, before: str = "x"):
        """Renders every sample with the cut at every position across it."""
        for name, text, secret, public in SAMPLES:
            leak = secret[:public] if text is secret else secret[:4]
            for j in range(-3, len(text) + 4):
                s = placed(text, cut, j, before)
                if not s:
                    continue
                out = render(s)
                if leak in out:
                    self.fail("%s: %s cut %d characters in leaks %r:\n%s" % (where, name, j, leak, out[-400:]))

    # -- session summaries

    def session(self, **kw) -> transcript.Session:
        s = transcript.Session("/t.jsonl")
        for d in kw.get("lines", []):
            transcript._add(s, d)
        if "title" in kw:
            s.title = kw["title"]
        return s

    def render(self, s):
        return summary.render(s, "sess", "/home/dev/app", 64, self.r)

    def test_the_summary_title_from_the_first_prompt(self):
        self.each(80, lambda t: self.render(self.session(lines=[user(t)])).split("\n", 1)[0], "the title")

    def test_the_summary_title_from_an_older_clients_summary_line(self):
        self.each(100, lambda t: self.render(self.session(title=t)).split("\n", 1)[0], "the title")

    def test_the_first_prompt(self):
        self.each(2000, lambda t: self.render(self.session(lines=[user(t)])), "the first prompt", before="word ")

    def test_the_list_of_prompts(self):
        self.each(200, lambda t: self.render(self.session(lines=[user("hello there"), user(t)])).split("## Prompts")[1],
                  "the prompts")

    def test_commands(self):
        self.each(300, lambda t: self.render(self.session(lines=[assistant([tool_use("t1", "Bash", command=t)])]))
                  .split("## Commands run")[1], "the commands")

    def test_errors(self):
        def render(t):
            s = self.session(lines=[assistant([tool_use("t1", "Bash", command="x")]), tool_result("t1", "Exit code 1\n" + t, is_error=True)])
            return self.render(s).split("## Errors")[1]

        self.each(200 - len("Exit code 1: "), render, "the errors")

    # -- filed entries

    def entry(self, candidates):
        with tempfile.TemporaryDirectory() as d:
            return "\n".join(filing.entry(c, history=d, session_id="s", project=("/p", "p"), cwd="/p", day0="2026-01-05")[4]
                             for c in candidates)

    def test_entries_from_sentences(self):
        for cut in (filing.MAX_TITLE + len("TIL: "), extract.MAX_STATEMENT + len("TIL: ")):
            with self.subTest(cut=cut):
                def render(t):
                    out = []
                    extract._from_texts([("2026-01-05T10:00:00Z", "TIL: " + t)], "prompt", self.r, out)
                    return self.entry(out)

                self.each(cut, render, "a filed entry", before="word ")

    def test_entries_from_errors_and_fixes(self):
        def render(t, where):
            s = self.session(lines=[
                assistant([tool_use("t1", "Bash", command=t if where == "command" else "python -m pytest")], mid="m1"),
                tool_result("t1", "Exit code 1\nNo module named %s" % t if where == "error" else "Exit code 1\nNo module named x", is_error=True),
                assistant([tool_use("t2", "Bash", command="uv run pytest")], mid="m2"),
                tool_result("t2", "ok"),
            ])
            out = []
            extract.error_fixes(s, self.r, out)
            return self.entry(out)

        self.each(200, lambda t: render(t, "command"), "a failed command")
        self.each(300 - len("No module named "), lambda t: render(t, "error"), "an error line")

    def test_entries_from_rules(self):
        import re

        rule = filing.Rule("learnings", "prompt", "MARK", re.compile("MARK"))

        def render(t):
            out = []
            extract.from_rules(self.session(lines=[user("MARK " + t)]), [rule], self.r, out)
            return self.entry(out)

        self.each(extract.MAX_STATEMENT + len("MARK "), render, "a rule's entry", before="word ")

    # -- the raw log

    def test_raw_fields(self):
        self.each(1024, lambda t: raw._cut(t, 1024, self.r), "a raw field")

    # -- what the actions print

    def test_query_recent_and_context_print_redacted_cuts(self):
        """Entries written by an older history, or by hand, whose secrets
        were never redacted: what the actions print of them is."""
        with tempfile.TemporaryDirectory() as d:
            env = {"PAII_HOME": d, "PAII_HISTORY_DIR": os.path.join(d, "history"), "PAII_CONFIG": "{}"}
            with open(os.path.join(d, ".env"), "w") as f:
                f.write("".join("%s=%s\n" % (k, v if " " not in v else '"%s"' % v) for k, v in DOTENV))
            month = os.path.join(d, "history", "learnings", "2026-01")
            os.makedirs(month)
            longest = max(len(t) for _, t, _, _ in SAMPLES)
            for action, args, cut in [("query", ["ZZ", "--limit", "100"], 300 - 3), ("recent", ["100"], 200 - len("Learning: ")),
                                      ("context", ["--project", d, "--limit", "100", "--max-bytes", "1000000"], 200)]:
                for j in range(-3, longest + 4):
                    for i, (name, text, secret, public) in enumerate(SAMPLES):
                        t = placed(text, cut, j, "word ") if j < len(text) + 4 else ""
                        with open(os.path.join(month, "2026-01-05-%02d.md" % i), "w") as f:
                            f.write("# Learning: %s\n\n- **Project:** p (`%s`)\n\nZZ %s\n" % (t or "short", d, t))
                    buf = io.StringIO()
                    with mock.patch.dict(os.environ, env), redirect_stdout(buf):
                        self.assertEqual(getattr(actions, action)(args), 0)
                    out = buf.getvalue()
                    for name, text, secret, public in SAMPLES:
                        leak = secret[:public] if text is secret else secret[:4]
                        if leak in out:
                            self.fail("history %s: %s cut %d characters in leaks %r" % (action, name, j, leak))

    def test_context_bodies_are_redacted_then_cut_to_the_byte_bound(self):
        with tempfile.TemporaryDirectory() as d:
            env = {"PAII_HOME": d, "PAII_HISTORY_DIR": os.path.join(d, "history"), "PAII_CONFIG": "{}"}
            entry = os.path.join(d, "history", "decisions", "2026-01", "2026-01-05-old.md")
            os.makedirs(os.path.dirname(entry))
            for name, text, secret, public in SAMPLES:
                if name.startswith("."):
                    continue  # needs the .env; covered above
                for max_bytes in range(300, 300 + len(text) + 40, 3):
                    with open(entry, "w") as f:
                        f.write("# Decision: d\n\n- **Project:** p (`%s`)\n\n%s %s tail\n" % (d, "w" * 150, text))
                    buf = io.StringIO()
                    with mock.patch.dict(os.environ, env), redirect_stdout(buf):
                        actions.context(["--project", d, "--max-bytes", str(max_bytes), "--json"])
                    out = buf.getvalue()
                    self.assertLessEqual(len(out.encode()), max_bytes)
                    leak = secret[:public] if text is secret else secret[:4]
                    self.assertNotIn(leak, out, "%s at %d bytes" % (name, max_bytes))

    # -- the model pass's digest

    def test_the_model_pass_digest(self):
        self.each(3000 - len("USER: ") + 1, lambda t: modelpass.digest(self.session(lines=[user(t)]), "s", ("/p", "p"), self.r),
                  "the digest", before="word ")


if __name__ == "__main__":
    unittest.main()
