"""The MemoryProvider's actions: ``history action NAME [ARGS...]``, reached
through ``paii run history --action NAME -- ARGS`` and ``paii history``.

- ``query TEXT... [--category C] [--limit N] [--json]``
- ``recent [N] [--category C] [--json]``
- ``categories [--json]``
- ``record --category C --title T [--body TEXT | --body-file PATH|-] [--session S] [--project DIR] [--json]``
- ``context [--project DIR] [--limit N] [--max-bytes B] [--json]``

Options come in any order, before or after the positional words, and
every action takes ``--json`` (or ``-o json``). What they print is
redacted before it is cut, as what history writes. Usage errors exit 2
(argparse's code, and the one paii uses).
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
    p = _Parser(prog="history %s" % name, description=description)
    p.add_argument("--json", action="store_true", help="JSON output")
    p.add_argument("-o", "--output", choices=("json", "text"), help="json is --json")
    return p


def _parse(p, args: list, intermixed: bool = True):
    """Options anywhere among the positional words."""
    a = p.parse_intermixed_args(args) if intermixed else p.parse_args(args)
    if a.output == "json":
        a.json = True
    elif a.output == "text":
        a.json = False
    return a


def _redactor():
    from .redact import Redactor

    return Redactor.from_env(paii.config(), paii.paii_home(), paii.log)


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


MAX_LINE = 1000
_MARKERS = ("<!-- history-entry: ", "<!-- history: ")


def _json(value) -> None:
    _out(json.dumps(value, ensure_ascii=False, indent=2) + "\n")


def query(args: list) -> int:
    p = _parser("query", "Case-insensitive search of sessions, learnings, incidents and decisions, newest first.")
    p.add_argument("text", nargs="+", help="the text to find (the words are one phrase)")
    p.add_argument("--category", action="append", type=_category, help="only this category (repeatable)")
    p.add_argument("--limit", type=_positive, default=50, help="at most this many files (default 50)")
    a = _parse(p, args)
    needle = " ".join(a.text).strip()
    if not needle:
        p.error("nothing to search for")
    r = _redactor()
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
        # History's own metadata lines (an entry's, a summary's) are not text.
        matches = [(i, line) for i, line in enumerate(text.splitlines(), 1)
                   if low in line.casefold() and not line.startswith(_MARKERS)]
        if not matches:
            continue
        if len(found) >= a.limit:
            more += 1
            continue
        found.append((e, matches))
    if a.json:
        _json(
            [
                {
                    "category": e.category,
                    "date": e.day,
                    "path": e.path,
                    "title": r.clip(e.title(), MAX_LINE),
                    "line": r.clip(m[0][1], MAX_LINE) if m else "",
                    "line_number": m[0][0] if m else None,
                    "matches": [{"line_number": n, "line": r.clip(line, MAX_LINE)} for n, line in m],
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
            _out("    %d: %s\n" % (n, r.clip(line.strip(), 300)))
        if len(matches) > 3:
            _out("    …%d more matching lines\n" % (len(matches) - 3))
    if more:
        _out("…and %d more files (use --limit)\n" % more)
    return 0


def recent(args: list) -> int:
    p = _parser("recent", "The newest entries across categories (or of one).")
    p.add_argument("n", nargs="?", type=_positive, default=10, help="how many (default 10)")
    p.add_argument("--category", type=_category, help="only this category")
    a = _parse(p, args)
    items = store.entries(_history(), [a.category] if a.category else store.CATEGORIES)[: a.n]
    r = _redactor()
    rows = [{"category": e.category, "date": e.day, "title": r.clip(e.title(), 200), "path": e.path} for e in items]
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
    a = _parse(p, args)
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
    p.add_argument("--project", help="the project directory it belongs to (its git root is the project)")
    a = _parse(p, _glued(args, ("--category", "--title", "--body", "--body-file", "--session", "--project", "-o", "--output")), False)
    # Python 3.11's argparse drops a `--` given as an option's value
    # (`--title=--` parses as []): for the free-text options it was that `--`.
    for dest in ("title", "body", "body_file", "session", "project"):
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
    redactor = _redactor()
    now = store.utc_now()
    day = store.day_utc(now)
    project = store.project_of(a.project) if a.project else ("", "")
    lines = ["# %s" % title, "", "- **Category:** %s" % a.category, "- **Recorded:** %s" % store.iso_utc(now)]
    if a.session:
        lines.append("- **Session:** `%s`" % a.session.replace("`", "'"))
    if project[0]:
        lines.append("- **Project:** %s (`%s`)" % (project[1], project[0].replace("`", "'")))
    lines.append("")
    if text.strip():
        lines += [text.strip("\n"), ""]
    if project[0] and a.category != "sessions":
        from .filing import MARKER

        meta = {"v": 1, "category": a.category, "project": project[0], "project_name": project[1], "session": a.session or "",
                "title": title, "recorded": True}
        lines += [MARKER + json.dumps(meta, ensure_ascii=False).replace("-->", "--\\u003e") + " -->", ""]
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


# ---------------------------------------------------------------- context

CONTEXT_CATEGORIES = ("decisions", "learnings", "incidents")
MAX_SCAN = 5000
WORDS = {"learnings": "Learning", "decisions": "Decision", "incidents": "Incident"}


def _entry_info(e, redactor):
    """``(title, project path, project name, body)`` of an entry file."""
    from .filing import read_marker

    try:
        with open(e.path, "rb") as f:
            text = f.read(64 * 1024).decode("utf-8", "replace")
    except OSError:
        return None
    lines = text.splitlines()
    title = ""
    for line in lines:
        if line.startswith("# "):
            title = line[2:].strip()
            break
    word = WORDS.get(e.category, "")
    if word and title.startswith(word + ": "):
        title = title[len(word) + 2 :]
    meta = read_marker(text) or {}
    project, name = meta.get("project") or "", meta.get("project_name") or ""
    body, started = [], False
    for line in lines:
        if not started:
            if line.startswith("# ") or not line.strip() or line.startswith("- **"):
                if line.startswith("- **Project:** ") and not project and "(`" in line:
                    name = line[len("- **Project:** ") : line.index(" (`")]
                    project = line[line.index("(`") + 2 : line.rindex("`)")] if "`)" in line else ""
                elif line.startswith("- **Directory:** `") and not project:
                    project, name = store.project_of(line[len("- **Directory:** `") :].rstrip("`"))
                continue
            started = True
        if line.startswith("## Evidence") or line.startswith("<!-- history-entry:"):
            break
        body.append(line)
    return redactor.clip(title, 200), project, name, "\n".join(body).strip()


def _cut_bytes(text: str, limit: int) -> str:
    """``text`` (already redacted) in at most ``limit`` UTF-8 bytes."""
    b = text.encode("utf-8")
    if len(b) <= limit:
        return text
    if limit < 4:
        return ""
    return b[: limit - 3].decode("utf-8", "ignore").rstrip() + "…"


def _render_context(items: list, as_json: bool, project) -> str:
    if as_json:
        return json.dumps(items, ensure_ascii=False, separators=(",", ":")) + "\n"
    if not items:
        return ""
    out = ["Learnings and decisions from earlier sessions (paii history) for %s:" % (project[1] or project[0] or "this directory")]
    for it in items:
        out += ["", "### %s: %s" % (WORDS[it["category"]], it["title"]),
                "%s · %s · %s" % (it["date"], it["project_name"] or "no project", it["path"])]
        if it["body"]:
            out += ["", it["body"]]
    return "\n".join(out) + "\n"


def _fit(items: list, max_bytes: int, as_json: bool, project) -> str:
    """The rendering of as many of ``items`` as fit in ``max_bytes``, their
    bodies cut so that it does: each gets an equal share of what is left,
    a short one gives what it does not use to the others."""

    def size(xs):
        return len(_render_context(xs, as_json, project).encode("utf-8"))

    full = [it["body"] for it in items]
    items = [dict(it, body="") for it in items]
    while items and size(items) > max_bytes:
        items.pop()
    full = full[: len(items)]
    budget = max_bytes - size(items)
    alloc = [0] * len(items)
    need = [len(b.encode("utf-8")) + 16 for b in full]
    order = sorted(range(len(items)), key=lambda i: need[i])
    for k, i in enumerate(order):
        share = budget // (len(order) - k) if budget > 0 else 0
        alloc[i] = min(need[i], share)
        budget -= alloc[i]
    for _ in range(64):
        for i, it in enumerate(items):
            it["body"] = _cut_bytes(full[i], max(alloc[i] - 16, 0)) if alloc[i] > 16 else ""
        over = size(items) - max_bytes
        if over <= 0:
            break
        i = max(range(len(items)), key=lambda j: alloc[j])
        alloc[i] = max(alloc[i] - over - 8, 0)
    else:
        for it in items:
            it["body"] = ""
    return _render_context(items, as_json, project)


def context(args: list) -> int:
    p = _parser("context", "The learnings and decisions (and incidents) most relevant to a project, newest first, "
                           "within a size bound: what a session starting there should know.")
    p.add_argument("--project", help="the project's directory (default: the current directory; its git root is the project)")
    p.add_argument("--limit", type=_positive, default=10, help="at most this many entries (default 10)")
    p.add_argument("--max-bytes", type=_positive, default=4000, help="the whole output in at most this many bytes (default 4000)")
    a = _parse(p, args)
    project = store.project_of(a.project or os.getcwd())
    r = _redactor()
    picked = []
    for rank, e in enumerate(store.entries(_history(), CONTEXT_CATEGORIES)[:MAX_SCAN]):
        info = _entry_info(e, r)
        if info is None:
            continue
        title, path, name, body = info
        if path and path == project[0]:
            tier = 0
        elif not path and e.category != "incidents":
            tier = 1  # recorded by hand or by another plugin, for no project
        elif path and e.category == "learnings":
            tier = 2  # another project's learning may still apply; its decisions and incidents do not
        else:
            continue
        picked.append((tier, rank, {"category": e.category, "title": title, "date": e.day, "path": e.path,
                                    "project": path or None, "project_name": name or None, "same_project": tier == 0,
                                    "body": r.text(body)}))
    picked.sort(key=lambda t: (t[0], t[1]))
    items = [it for _, _, it in picked[: a.limit]]
    _out(_fit(items, a.max_bytes, a.json, project))
    return 0
