"""The MemoryProvider's actions: query, recent, categories, record."""

import json
import os
import re

from .helpers import Home, utc_day


class Actions(Home):
    def seed(self):
        """Three categories, four dates, and a raw log of two days."""
        files = {
            "sessions/2026-01/2026-01-03-aaa.md": "# Refactor the parser\n\n- **Session:** `aaa`\n\nWe touched parser.rs and Lexer.\n",
            "learnings/2026-01/2026-01-05-aaa-1.md": "# Learning: the lexer is greedy\n\nTIL the LEXER is greedy.\n",
            "decisions/2026-02/2026-02-01-bbb-1.md": "# Decision: keep the lexer\n\nWe keep the lexer as it is.\nlexer again\nlexer thrice\nlexer four\n",
            "incidents/2025-12/2025-12-24-ccc.md": "# Incident: prod down\n\nNothing about it.\n",
            "learnings/2026-01/.2026-01-06-tmp.md.123.tmp": "# half written lexer\n",
            "learnings/2026-01/notes.txt": "lexer\n",
        }
        for rel, text in files.items():
            p = self.history / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        for day in ("2026-01-03", "2026-01-05"):
            p = self.history / "raw" / day[:7] / (day + ".jsonl")
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text("{}\n")

    def test_query_finds_case_insensitively_newest_first(self):
        self.seed()
        out = self.action("query", "LeXeR").stdout.decode()
        heads = [l for l in out.splitlines() if not l.startswith(" ")]
        self.assertEqual(
            heads,
            [
                "decisions  2026-02-01  %s" % (self.history / "decisions/2026-02/2026-02-01-bbb-1.md"),
                "learnings  2026-01-05  %s" % (self.history / "learnings/2026-01/2026-01-05-aaa-1.md"),
                "sessions  2026-01-03  %s" % (self.history / "sessions/2026-01/2026-01-03-aaa.md"),
            ],
        )
        self.assertIn("    3: TIL the LEXER is greedy.\n", out)
        self.assertIn("    …2 more matching lines\n", out)
        self.assertNotIn("half written", out)

    def test_query_words_are_one_phrase_and_json(self):
        self.seed()
        rows = json.loads(self.action("query", "the", "lexer", "--json").stdout)
        self.assertEqual([r["category"] for r in rows], ["decisions", "learnings"])
        self.assertEqual(rows[1]["date"], "2026-01-05")
        self.assertEqual(rows[1]["title"], "Learning: the lexer is greedy")
        self.assertEqual(rows[1]["line"], "# Learning: the lexer is greedy")
        self.assertEqual(rows[1]["line_number"], 1)
        self.assertEqual([m["line_number"] for m in rows[1]["matches"]], [1, 3])
        self.assertTrue(os.path.isabs(rows[0]["path"]))

    def test_query_by_category_and_limit(self):
        self.seed()
        rows = json.loads(self.action("query", "lexer", "--category", "sessions", "--json").stdout)
        self.assertEqual([r["category"] for r in rows], ["sessions"])
        out = self.action("query", "lexer", "--limit", "1").stdout.decode()
        self.assertIn("…and 2 more files (use --limit)", out)

    def test_no_match_is_not_an_error(self):
        self.assertEqual(self.action("query", "anything").stdout, b"no match\n", "even with no history at all")
        self.seed()
        self.assertEqual(self.action("query", "zebra").stdout, b"no match\n")
        self.assertEqual(json.loads(self.action("query", "zebra", "--json").stdout), [])

    def test_recent(self):
        self.seed()
        out = self.action("recent", "2").stdout.decode()
        self.assertEqual(
            out,
            "2026-02-01  decisions  Decision: keep the lexer\n            %s\n"
            "2026-01-05  learnings  Learning: the lexer is greedy\n            %s\n"
            % (self.history / "decisions/2026-02/2026-02-01-bbb-1.md", self.history / "learnings/2026-01/2026-01-05-aaa-1.md"),
        )
        rows = json.loads(self.action("recent", "--json").stdout)
        self.assertEqual([r["date"] for r in rows], ["2026-02-01", "2026-01-05", "2026-01-03", "2025-12-24"], "default 10")
        rows = json.loads(self.action("recent", "5", "--category", "incidents", "--json").stdout)
        self.assertEqual(rows, [{"category": "incidents", "date": "2025-12-24", "title": "Incident: prod down",
                                 "path": str(self.history / "incidents/2025-12/2025-12-24-ccc.md")}])
        self.assertEqual(self.action("recent", "--category", "sessions", "--json").stdout.count(b'"path"'), 1)

    def test_recent_with_nothing(self):
        self.assertEqual(self.action("recent").stdout, b"no entries\n")

    def test_categories(self):
        self.seed()
        out = self.action("categories").stdout.decode()
        self.assertEqual(out, "sessions   1\nlearnings  1\nincidents  1\ndecisions  1\nraw        2\n")
        self.assertEqual(json.loads(self.action("categories", "--json").stdout),
                         {"sessions": 1, "learnings": 1, "incidents": 1, "decisions": 1, "raw": 2})

    def test_record(self):
        p = self.action("record", "--category", "incidents", "--title", "API latency: p99 > 2s!", "--body", "Started at 10:02.\nRolled back.",
                        "--session", "sess-9")
        path = p.stdout.decode().strip()
        day = utc_day()
        self.assertEqual(path, str(self.history / "incidents" / day[:7] / ("%s-api-latency-p99-2s.md" % day)))
        text = open(path, encoding="utf-8").read()
        self.assertTrue(text.startswith("# API latency: p99 > 2s!\n\n- **Category:** incidents\n- **Recorded:** %s" % day))
        self.assertIn("- **Session:** `sess-9`\n\nStarted at 10:02.\nRolled back.\n", text)
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        # The same title again: a new file, the first kept.
        again = json.loads(self.action("record", "--category", "incidents", "--title", "API latency: p99 > 2s!", "--json").stdout)
        self.assertEqual(again["path"], path[:-3] + "-2.md")
        self.assertEqual(again["category"], "incidents")
        self.assertEqual(open(path, encoding="utf-8").read(), text)
        # It is found, listed and counted like any entry.
        self.assertIn(path, self.action("query", "rolled back").stdout.decode())
        self.assertEqual(json.loads(self.action("recent", "1", "--json").stdout)[0]["title"], "API latency: p99 > 2s!")

    def test_record_values_that_start_with_a_dash(self):
        path = self.action("record", "--category", "incidents", "--title", "-x-", "--body", "---\n- **Severity:** SEV-1").stdout.decode().strip()
        text = open(path).read()
        self.assertTrue(text.startswith("# -x-\n"))
        self.assertIn("\n---\n- **Severity:** SEV-1\n", text)
        # `--` itself, which some Pythons' argparse drops as a value.
        path = self.action("record", "--category", "decisions", "--title", "--", "--body", "--", "--session", "--").stdout.decode().strip()
        text = open(path).read()
        self.assertTrue(text.startswith("# --\n"), text)
        self.assertIn("- **Session:** `--`\n\n--\n", text)
        self.action("record", "--category", "--", "--title", "x", code=2)

    def test_record_bodies_from_a_file_and_stdin(self):
        body = self.root / "body.md"
        body.write_text("from a file\n")
        path = self.action("record", "--category", "learnings", "--title", "f", "--body-file", str(body)).stdout.decode().strip()
        self.assertIn("\nfrom a file\n", open(path).read())
        path = self.action("record", "--category", "decisions", "--title", "s", "--body-file", "-", stdin="from stdin\n").stdout.decode().strip()
        self.assertIn("\nfrom stdin\n", open(path).read())
        p = self.action("record", "--category", "decisions", "--title", "s", "--body-file", str(self.root / "none"), code=1)
        self.assertIn(b"cannot read", p.stderr)

    def test_record_in_parallel_never_overwrites(self):
        import subprocess

        from .helpers import command

        procs = [subprocess.Popen(command() + ["action", "record", "--category", "learnings", "--title", "same", "--body", str(i)],
                                  stdout=subprocess.PIPE, env=self.env()) for i in range(8)]
        paths = [p.communicate(timeout=120)[0].decode().strip() for p in procs]
        self.assertEqual(len(set(paths)), 8)
        bodies = sorted(open(p).read().rstrip().rsplit("\n", 1)[1] for p in paths)
        self.assertEqual(bodies, [str(i) for i in range(8)])

    def test_usage_errors(self):
        p = self.action("record", "--category", "gossip", "--title", "x", code=2)
        self.assertIn(b"unknown category `gossip`; categories: sessions, learnings, incidents, decisions", p.stderr)
        self.action("record", "--category", "learnings", code=2)
        self.action("record", "--category", "learnings", "--title", "  ", code=2)
        self.action("record", "--category", "learnings", "--title", "t", "--body", "a", "--body-file", "-", code=2)
        self.action("recent", "zero", code=2)
        self.action("recent", "0", code=2)
        self.action("query", code=2)
        p = self.action("frobnicate", code=64)
        self.assertIn(b"actions: categories, context, query, recent, record", p.stderr)

    def test_record_into_an_unwritable_history(self):
        (self.root / "blocker").write_text("")
        env = self.env(PAII_HISTORY_DIR=str(self.root / "blocker" / "history"))
        p = self.run_history(["action", "record", "--category", "learnings", "--title", "t"], env=env)
        self.assertEqual(p.returncode, 1)
        self.assertRegex(p.stderr.decode(), re.compile(r"cannot write into .*blocker/history/learnings"))


class AnyOrder(Home):
    """paii passes `--json` wherever; every action takes its options in any
    order, before or after its words, and `-o json` as `--json`."""

    def test_options_anywhere(self):
        Actions.seed(self)
        base = json.loads(self.action("query", "the", "lexer", "--json").stdout)
        for args in [("--json", "the", "lexer"), ("the", "--json", "lexer"), ("-o", "json", "the", "lexer"),
                     ("the", "lexer", "--output", "json"), ("--limit", "5", "the", "--json", "lexer")]:
            with self.subTest(args):
                self.assertEqual(json.loads(self.action("query", *args).stdout), base)
        rows = json.loads(self.action("query", "lexer", "--json", "--category", "sessions").stdout)
        self.assertEqual([r["category"] for r in rows], ["sessions"])
        for args in [("--json", "2"), ("2", "--json"), ("-o", "json", "2"), ("--category", "learnings", "--json", "2")]:
            with self.subTest(args):
                self.assertIsInstance(json.loads(self.action("recent", *args).stdout), list)
        self.assertEqual(len(json.loads(self.action("recent", "--json", "2").stdout)), 2)
        self.assertIsInstance(json.loads(self.action("categories", "-o", "json").stdout), dict)
        self.assertIsInstance(json.loads(self.action("context", "--json", "--limit", "2").stdout), list)
        self.assertIn("path", json.loads(self.action("record", "--json", "--title", "t", "--category", "learnings").stdout))
        self.assertIn("path", json.loads(self.action("record", "-o", "json", "--category", "learnings", "--title", "u").stdout))
        self.assertEqual(self.action("categories", "-o", "text").stdout.decode().splitlines()[0], "sessions   1")
        self.action("categories", "-o", "yaml", code=2)
        self.action("context", "stray", code=2)


class Context(Home):
    """`history action context`: what a session starting in a project
    should know, for the hooks plugin to inject at SessionStart."""

    def entry(self, category, day, title, project, body, name=None):
        path = self.history / category / day[:7] / ("%s-%s.md" % (day, name or title.lower().replace(" ", "-")))
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = ["# %s: %s" % ({"learnings": "Learning", "decisions": "Decision", "incidents": "Incident"}[category], title), "",
                 "- **Session:** `s`"]
        if project:
            lines.append("- **Project:** %s (`%s`)" % (os.path.basename(project), project))
        lines += ["- **When:** %sT10:00:00.000Z" % day, "", body, "", "## Evidence", "", "- the user's prompt:", "  > evidence text", ""]
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    def seed(self):
        self.repo = self.root / "repo"
        (self.repo / ".git").mkdir(parents=True)
        (self.repo / "src" / "deep").mkdir(parents=True)
        other = str(self.root / "other")
        self.entry("decisions", "2026-01-02", "Use fakeredis everywhere", str(self.repo), "Going forward, fakeredis in all tests.")
        self.entry("learnings", "2026-01-09", "The CI has no Docker", str(self.repo), "So integration tests use fakes.")
        self.entry("incidents", "2026-01-05", "Prod down after deploy", str(self.repo), "Checkout returned 502 for 20 minutes.")
        self.entry("learnings", "2026-02-01", "rg respects gitignore", other, "Use --no-ignore to search everything.")
        self.entry("decisions", "2026-02-02", "Other project decision", other, "Not for this project.")
        self.entry("incidents", "2026-02-03", "Other project outage", other, "Not for this project.")
        self.entry("learnings", "2026-01-20", "Recorded by hand", "", "A learning for no project.")

    def test_the_project_first_then_recency(self):
        self.seed()
        rows = json.loads(self.action("context", "--project", str(self.repo / "src" / "deep"), "--json").stdout)
        self.assertEqual([(r["category"], r["title"]) for r in rows], [
            ("learnings", "The CI has no Docker"),
            ("incidents", "Prod down after deploy"),
            ("decisions", "Use fakeredis everywhere"),
            ("learnings", "Recorded by hand"),
            ("learnings", "rg respects gitignore"),
        ], "the project's own entries (its git root found upward), newest first; then entries of no project; then other "
           "projects' learnings; never their decisions or incidents")
        first = rows[0]
        self.assertEqual(set(first), {"category", "title", "date", "path", "project", "project_name", "same_project", "body"})
        self.assertEqual((first["date"], first["project"], first["project_name"], first["same_project"]),
                         ("2026-01-09", str(self.repo), "repo", True))
        self.assertEqual(first["body"], "So integration tests use fakes.", "the entry's text, not its evidence")
        self.assertTrue(first["path"].endswith("learnings/2026-01/2026-01-09-the-ci-has-no-docker.md"))
        self.assertEqual(rows[3]["project"], None)
        self.assertEqual(len(json.loads(self.action("context", "--project", str(self.repo), "--limit", "2", "--json").stdout)), 2)

    def test_the_default_project_is_the_current_directory(self):
        self.seed()
        p = self.run_history(["action", "context", "--json"], cwd=str(self.repo / "src"))
        self.assertEqual(json.loads(p.stdout)[0]["title"], "The CI has no Docker")

    def test_markdown_without_json(self):
        self.seed()
        out = self.action("context", "--project", str(self.repo)).stdout.decode()
        self.assertTrue(out.startswith("Learnings and decisions from earlier sessions (paii history) for repo:\n\n### Learning: The CI has no Docker\n2026-01-09 · repo · "))
        self.assertIn("\n\nSo integration tests use fakes.\n", out)
        self.assertIn("### Decision: Use fakeredis everywhere\n", out)
        out = self.action("context", "--project", str(self.root / "empty")).stdout.decode()
        self.assertTrue(out.startswith("Learnings and decisions from earlier sessions (paii history) for empty:\n\n"
                                       "### Learning: Recorded by hand\n"), "a project with nothing of its own")
        self.assertNotIn("Decision", out)

    def test_nothing_known(self):
        self.assertEqual(self.action("context", "--json").stdout, b"[]\n")
        self.assertEqual(self.action("context").stdout, b"")

    def test_the_output_stays_within_max_bytes(self):
        self.seed()
        long_body = "\n".join("Line %d of a long learning about the CI runners, with ünïcödé — and more words." % i for i in range(200))
        self.entry("learnings", "2026-01-10", "A long one", str(self.repo), long_body)
        for as_json in (True, False):
            for max_bytes in (60, 120, 300, 700, 1500, 4000, 9000):
                with self.subTest(json=as_json, max_bytes=max_bytes):
                    args = ["context", "--project", str(self.repo), "--max-bytes", str(max_bytes)] + (["--json"] if as_json else [])
                    out = self.action(*args).stdout
                    self.assertLessEqual(len(out), max_bytes)
                    if as_json:
                        rows = json.loads(out)
                        if max_bytes >= 4000:
                            self.assertEqual(len(rows), 6, "every entry, bodies cut")
                            self.assertTrue(rows[0]["body"].endswith("…"), "the long body is cut")
                            self.assertEqual(rows[1]["body"], "So integration tests use fakes.", "a short body is whole")
        rows = json.loads(self.action("context", "--project", str(self.repo), "--json").stdout)
        self.assertLessEqual(len(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode()) + 1, 4000, "the default bound")

    def test_filed_and_recorded_entries_carry_their_project(self):
        from .helpers import event, user

        repo = self.root / "repo"
        (repo / ".git").mkdir(parents=True)
        t = self.transcript([user("Decision: every service logs JSON from now on", ts="2026-01-05T10:00:00.000Z")])
        self.hook("stop", event("Stop", transcript_path=str(t), session_id="s", cwd=str(repo)))
        self.action("record", "--category", "learnings", "--title", "Recorded for repo", "--body", "Body.", "--project", str(repo))
        self.action("record", "--category", "decisions", "--title", "Recorded elsewhere", "--project", str(self.root))
        rows = json.loads(self.action("context", "--project", str(repo), "--json").stdout)
        self.assertEqual([r["title"] for r in rows], ["Recorded for repo", "every service logs JSON from now on"])
        self.assertTrue(all(r["same_project"] for r in rows))


class QueryText(Home):
    def test_metadata_lines_are_not_searched(self):
        from .helpers import user

        self.stop(self.transcript([user("TIL: pnpm hoists nothing by default")]), session_id="q")
        self.assertEqual(self.action("query", "project_name", "--json").stdout, b"[]\n", "not the entry's marker line")
        self.assertEqual(self.action("query", "transcript_bytes").stdout, b"no match\n", "not the summary's")
        rows = json.loads(self.action("query", "hoists", "--json").stdout)
        self.assertEqual(sorted(r["category"] for r in rows), ["learnings", "sessions"])
        self.assertFalse(any(m["line"].startswith("<!--") for r in rows for m in r["matches"]))
