"""The MemoryProvider's actions: ``history action NAME [ARGS...]``, reached
through ``paii run history --action NAME -- ARGS`` and ``paii history``.

- ``query TEXT... [--category C] [--limit N] [--json]``
- ``recent [N] [--category C] [--json]``
- ``categories [--json]``
- ``record --category C --title T [--body TEXT | --body-file PATH|-] [--session S] [--json]``

Usage errors exit 2 (argparse's code, and the one paii uses).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

from . import paii_plugin as paii
from . import store


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        self.print_usage(sys.stderr)
        sys.stderr.write("%s: %s\n" % (self.prog, message))
        raise SystemExit(2)


def _parser(name: str, description: str) -> argparse.ArgumentParser:
    return _Parser(prog="history %s" % name, description=description)


def _category(value: str, allowed=store.CATEGORIES) -> str:
    if value not in allowed:
        raise argparse.ArgumentTypeError("unknown category `%s`; categories: %s" % (value, ", ".join(allowed)))
    return value


def _positive(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError("`%s` is not a number" % value) from None
    if n < 1:
        raise argparse.ArgumentTypeError("`%s` is not a positive number" % value)
    return n


def _history() -> str:
    return os.fspath(paii.history_dir())


def _out(text: str) -> None:
    sys.stdout.write(text)


def _json(value) -> None:
    _out(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def query(args: list) -> int:
    p = _parser("query", "Case-insensitive search of sessions, learnings, incidents and decisions, newest first.")
    p.add_argument("text", nargs="+", help="the text to find (the words are one phrase)")
    p.add_argument("--category", action="append", type=_category, help="only this category (repeatable)")
    p.add_argument("--limit", type=_positive, default=50, help="at most this many files (default 50)")
    p.add_argument("--json", action="store_true", help="a JSON array")
    a = p.parse_args(args)
    needle = " ".join(a.text).strip()
    if not needle:
        p.error("nothing to search for")
    low = needle.casefold()
    found = []
    more = 0
    for e in store.entries(_history(), a.category or store.CATEGORIES):
        try:
            with open(e.path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        if low not in text.casefold():
            continue
        if len(found) >= a.limit:
            more += 1
            continue
        matches = [(i, line) for i, line in enumerate(text.splitlines(), 1) if low in line.casefold()]
        found.append((e, matches))
    if a.json:
        _json(
            [
                {
                    "category": e.category,
                    "date": e.day,
                    "path": e.path,
                    "title": e.title(),
                    "line": m[0][1] if m else "",
                    "line_number": m[0][0] if m else None,
                    "matches": [{"line_number": n, "line": line} for n, line in m],
                }
                for e, m in found
            ]
        )
        return 0
    if not found:
        _out("no match\n")
        return 0
    for e, matches in found:
        _out("%s  %s  %s\n" % (e.category, e.day, e.path))
        for n, line in matches[:3]:
            _out("    %d: %s\n" % (n, line.strip()))
        if len(matches) > 3:
            _out("    …%d more matching lines\n" % (len(matches) - 3))
    if more:
        _out("…and %d more files (use --limit)\n" % more)
    return 0


def recent(args: list) -> int:
    p = _parser("recent", "The newest entries across categories (or of one).")
    p.add_argument("n", nargs="?", type=_positive, default=10, help="how many (default 10)")
    p.add_argument("--category", type=_category, help="only this category")
    p.add_argument("--json", action="store_true", help="a JSON array")
    a = p.parse_args(args)
    items = store.entries(_history(), [a.category] if a.category else store.CATEGORIES)[: a.n]
    rows = [{"category": e.category, "date": e.day, "title": e.title(), "path": e.path} for e in items]
    if a.json:
        _json(rows)
        return 0
    if not rows:
        _out("no entries\n")
        return 0
    for r in rows:
        _out("%s  %-9s  %s\n            %s\n" % (r["date"], r["category"], r["title"] or "(untitled)", r["path"]))
    return 0


def categories(args: list) -> int:
    p = _parser("categories", "Each category with its number of entries (raw: days of event log).")
    p.add_argument("--json", action="store_true", help="a JSON object")
    a = p.parse_args(args)
    history = _history()
    counts = {c: 0 for c in store.CATEGORIES}
    for e in store.entries(history):
        counts[e.category] += 1
    counts["raw"] = store.raw_days(history)
    if a.json:
        _json(counts)
        return 0
    for c, n in counts.items():
        _out("%-9s  %d\n" % (c, n))
    return 0


def _glued(args: list, options: tuple) -> list:
    """``--opt VALUE`` as ``--opt=VALUE``, so that a value starting with
    ``-`` (a markdown list, ``---``) is taken as the value it is."""
    out, i = [], 0
    while i < len(args):
        if args[i] in options and i + 1 < len(args):
            out.append("%s=%s" % (args[i], args[i + 1]))
            i += 2
        else:
            out.append(args[i])
            i += 1
    return out


def record(args: list) -> int:
    p = _parser("record", "File an entry (secrets scrubbed); prints its path.")
    p.add_argument("--category", required=True, type=_category)
    p.add_argument("--title", required=True)
    body = p.add_mutually_exclusive_group()
    body.add_argument("--body", help="the entry's text")
    body.add_argument("--body-file", metavar="PATH", help="read the text from PATH (- for stdin)")
    p.add_argument("--session", help="the session it belongs to")
    p.add_argument("--json", action="store_true", help='print {"path": ...}')
    a = p.parse_args(_glued(args, ("--category", "--title", "--body", "--body-file", "--session")))
    # Python 3.11's argparse drops a `--` given as an option's value
    # (`--title=--` parses as []): for the free-text options it was that `--`.
    for dest in ("title", "body", "body_file", "session"):
        if getattr(a, dest) == []:
            setattr(a, dest, "--")
    if a.category == []:
        try:
            _category("--")
        except argparse.ArgumentTypeError as e:
            p.error("argument --category: %s" % e)
    title = " ".join(a.title.split())
    if not title:
        p.error("the title is empty")
    if a.body_file == "-":
        text = sys.stdin.buffer.read().decode("utf-8", "replace")
    elif a.body_file:
        try:
            with open(a.body_file, "rb") as f:
                text = f.read().decode("utf-8", "replace")
        except OSError as e:
            sys.stderr.write("history record: cannot read %s: %s\n" % (a.body_file, e.strerror or e))
            return 1
    else:
        text = a.body or ""
    from .redact import Redactor

    redactor = Redactor.from_env(paii.config(), paii.paii_home(), paii.log)
    now = store.utc_now()
    day = store.day_utc(now)
    lines = ["# %s" % title, "", "- **Category:** %s" % a.category, "- **Recorded:** %s" % store.iso_utc(now)]
    if a.session:
        lines.append("- **Session:** `%s`" % a.session.replace("`", "'"))
    lines.append("")
    if text.strip():
        lines += [text.strip("\n"), ""]
    data = redactor.text("\n".join(lines)).encode("utf-8", "backslashreplace")
    stem = "%s-%s" % (day, store.slug(redactor.text(title)))
    try:
        path = store.publish_new(store.month_dir(_history(), a.category, day), stem, data)
    except OSError as e:
        sys.stderr.write("history record: cannot write into %s: %s\n" % (store.month_dir(_history(), a.category, day), e))
        return 1
    if a.json:
        _json({"path": path, "category": a.category, "title": redactor.text(title)})
    else:
        _out(path + "\n")
    return 0
