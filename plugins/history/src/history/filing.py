"""Filing: candidates (from ``extract.py``, the user's rules and the model
pass) become entries, once per project.

An entry is ``<history>/<category>/YYYY-MM/<date>-<session>-<key>.md``:
its statement as the title, its text, the session, the project, where it
was seen (the evidence), a link to the session's summary, and a last line
``<!-- history-entry: {...} -->`` that says what it is.

Deduplication is per project: ``<history>/.index/<project-key>.jsonl``
lists what was filed for the project (category, key, normalised statement,
path). A candidate that says what an entry of its category already says
(``extract.same``) files nothing, whichever session it comes from and
however often Stop fires; the index is read and appended under a lock, so
two events filing at once file one entry. A lost index is rebuilt from the
entries' last lines.
"""

from __future__ import annotations

import json
import os

from . import store
from .summary import CATEGORY_WORDS, clip, code, path_for as summary_path

SOURCES = ("prompt", "assistant", "error")
MARKER = "<!-- history-entry: "
INDEX_DIR = ".index"
MAX_TITLE = 80


class Rule:
    __slots__ = ("category", "on", "pattern", "regex")

    def __init__(self, category, on, pattern, regex):
        self.category, self.on, self.pattern, self.regex = category, on, pattern, regex


def load_rules(cfg: dict, log) -> list:
    """The config's valid extra rules (bad ones are logged and skipped).

    A rule's ``pattern`` (a Python regular expression) searched in its
    source (``on``: the prompts, the assistant's texts or the tools'
    errors) files the matching sentences under its ``category``, through
    the same deduplication as the built-in extraction.
    """
    import re

    raw = cfg.get("rules")
    if raw is None:
        return []
    if not isinstance(raw, list):
        log("rules is not an array; no filing by rules")
        return []
    rules = []
    for i, r in enumerate(raw):
        where = "rules[%d]" % i
        if not isinstance(r, dict):
            log("%s is not a table; skipped" % where)
            continue
        category, on, pattern = r.get("category"), r.get("on", "prompt"), r.get("pattern")
        if category not in store.FILED:
            log("%s: category %r is not one of %s; skipped" % (where, category, ", ".join(store.FILED)))
            continue
        if on not in SOURCES:
            log("%s: on = %r is not one of %s; skipped" % (where, on, ", ".join(SOURCES)))
            continue
        if not isinstance(pattern, str) or not pattern:
            log("%s: pattern is missing; skipped" % where)
            continue
        try:
            regex = re.compile(pattern)
        except re.error as e:
            log("%s: pattern `%s` is not a regular expression (%s); skipped" % (where, pattern, e))
            continue
        rules.append(Rule(category, on, pattern, regex))
    return rules


def project_key(project_path: str) -> str:
    import hashlib

    return hashlib.sha256(project_path.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def entry_key(category: str, project_path: str, norm: str) -> str:
    import hashlib

    return hashlib.sha256(("%s\0%s\0%s" % (category, project_path, norm)).encode("utf-8", "surrogatepass")).hexdigest()[:12]


def read_marker(text: str):
    """The ``history-entry`` metadata of an entry's text, or None."""
    at = text.rfind(MARKER)
    if at < 0:
        return None
    end = text.find(" -->", at)
    try:
        d = json.loads(text[at + len(MARKER) : end if end >= 0 else len(text)])
    except ValueError:
        return None
    return d if isinstance(d, dict) else None


class Index:
    """The filed entries of one project, under an exclusive lock."""

    def __init__(self, history, project_path: str):
        self.history = os.fspath(history)
        self.project = project_path
        self.path = os.path.join(self.history, INDEX_DIR, project_key(project_path) + ".jsonl")
        self.rows = []
        self.fd = None

    def __enter__(self):
        import fcntl

        os.makedirs(os.path.dirname(self.path), mode=0o700, exist_ok=True)
        self.fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), store.FILE_MODE)
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX)
            chunks = []
            while True:
                b = os.read(self.fd, 1 << 20)
                if not b:
                    break
                chunks.append(b)
            data = b"".join(chunks)
            if not data:
                self._rebuild()
            else:
                for line in data.decode("utf-8", "replace").splitlines():
                    try:
                        d = json.loads(line)
                    except ValueError:
                        continue  # a torn line: the next one is whole
                    if isinstance(d, dict) and d.get("category") and isinstance(d.get("norm"), str):
                        self.rows.append(d)
        except BaseException:
            os.close(self.fd)
            raise
        return self

    def __exit__(self, *exc):
        os.close(self.fd)

    def _rebuild(self) -> None:
        """A new or lost index: the project's entries, from their marker."""
        rows = []
        for e in store.entries(self.history, store.FILED):
            try:
                with open(e.path, "rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    f.seek(max(size - 4096, 0))
                    tail = f.read().decode("utf-8", "replace")
            except OSError:
                continue
            d = read_marker(tail)
            if d and d.get("project") == self.project and isinstance(d.get("norm"), str):
                rows.append(self._row(d.get("category"), d.get("key", ""), d["norm"], e.path, d.get("title", ""), e.day,
                                      d.get("session", "")))
        header = {"v": 1, "project": self.project}
        self._append([header] + rows)
        self.rows = rows

    def _row(self, category, key, norm, path, title, day, session) -> dict:
        return {"category": category, "key": key, "norm": norm, "path": os.path.relpath(path, self.history),
                "title": title, "day": day, "session": session}

    def _append(self, rows: list) -> None:
        data = "".join(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n" for r in rows).encode("utf-8", "backslashreplace")
        size = os.fstat(self.fd).st_size
        if size and os.pread(self.fd, 1, size - 1) != b"\n":
            data = b"\n" + data
        view = memoryview(data)
        while view:
            n = os.write(self.fd, view)
            view = view[n:]
        os.fsync(self.fd)

    def known(self, candidate) -> bool:
        from .extract import same, tokens

        for r in self.rows:
            if r.get("category") == candidate.category and same(candidate.tokens, tokens(r["norm"]), candidate.norm, r["norm"]):
                return True
        return False

    def add(self, candidate, key: str, path: str, title: str, day: str, session: str) -> None:
        row = self._row(candidate.category, key, candidate.norm, path, title, day, session)
        self._append([row])
        self.rows.append(row)


def render(c, *, title: str, key: str, session_id: str, project, cwd: str, summary_link: str) -> str:
    from .extract import source_words

    project_path, project_name = project
    word = CATEGORY_WORDS[c.category]
    lines = ["# %s: %s" % (word, title), "", "- **Session:** %s" % code(session_id)]
    if project_path:
        lines.append("- **Project:** %s (%s)" % (project_name, code(project_path)))
    when = c.time()
    if when:
        lines.append("- **When:** %s" % when)
    lines.append("- **From:** %s" % ", ".join(dict.fromkeys(source_words(e) for e in c.evidence)))
    if cwd and cwd != project_path:
        lines.append("- **Directory:** %s" % code(cwd))
    if c.rule:
        lines.append("- **Rule:** %s" % code(c.rule))
    if summary_link:
        lines.append("- **Session summary:** [%s](%s)" % (os.path.basename(summary_link), summary_link))
    lines += ["", c.body.strip(), "", "## Evidence", ""]
    for e in c.evidence:
        head = source_words(e)
        if e.detail and e.source != "error":
            head += " (%s)" % e.detail
        lines.append("- %s%s:" % (head, ", " + e.time if e.time else ""))
        for q in (e.quote.strip() or "(empty)").splitlines() or ["(empty)"]:
            lines.append("  > " + q if q.strip() else "  >")
    meta = {"v": 1, "category": c.category, "key": key, "project": project_path, "project_name": project_name,
            "session": session_id, "norm": c.norm, "title": title, "sources": c.sources(),
            "evidence": [e.as_dict() for e in c.evidence]}
    lines += ["", MARKER + json.dumps(meta, ensure_ascii=False).replace("-->", "--\\u003e") + " -->", ""]
    return "\n".join(lines)


def entry(c, *, history, session_id: str, project, cwd: str, day0: str):
    """``(key, day, path, title, text)`` of the entry of candidate ``c``
    (whose texts are redacted already: only redacted text is cut here)."""
    from .extract import title_of

    key = entry_key(c.category, project[0], c.norm)
    ts = c.time()
    day = ts[:10] if store.is_day(ts) else day0
    short = store.safe_name(session_id)[:8]
    path = os.path.join(store.month_dir(history, c.category, day), "%s-%s-%s.md" % (day, short, key))
    title = clip(" ".join(title_of(c).split()), MAX_TITLE)
    link = os.path.relpath(summary_path(history, session_id, day0), os.path.dirname(path))
    return key, day, path, title, render(c, title=title, key=key, session_id=session_id, project=project, cwd=cwd, summary_link=link)


def file_candidates(candidates: list, *, history, session_id: str, project, cwd: str, day0: str, redactor, log) -> list:
    """Files the candidates that no entry of the project says yet;
    returns the paths written."""
    if not candidates:
        return []
    sid = session_id or "unknown"
    project_path = project[0]
    written = []
    try:
        index = Index(history, project_path)
        index.__enter__()
    except OSError as e:
        log("cannot open the filing index of %s in %s: %s; nothing filed" % (project_path or "(no project)", history, e))
        return []
    try:
        for c in candidates:
            if index.known(c):
                continue
            key, day, path, title, text = entry(c, history=history, session_id=sid, project=project, cwd=cwd, day0=day0)
            # Everything in it was redacted before it was cut; once more
            # whole, as everything history writes.
            data = redactor.text(text).encode("utf-8", "backslashreplace")
            try:
                fresh = store.publish_once(path, data)
            except OSError as e:
                log("cannot file a %s entry in %s: %s" % (c.category, os.path.dirname(path), e))
                continue
            try:
                index.add(c, key, path, title, day, sid)
            except OSError as e:
                log("cannot update the filing index %s: %s" % (index.path, e))
            if fresh:
                written.append(path)
    finally:
        index.__exit__(None, None, None)
    return written
