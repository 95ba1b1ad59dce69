"""The history directory: its layout, and writing into it without losing
anything already there.

    <history>/raw/YYYY-MM/YYYY-MM-DD.jsonl        one JSON line per event
    <history>/sessions/YYYY-MM/<date>-<session>.md
    <history>/{learnings,incidents,decisions}/YYYY-MM/<date>-<name>.md

Files are created 0600 (they hold whatever a session saw); markdown is
written whole (temporary file, fsync, rename), so a reader or a failed write
never leaves a partial file in place of a good one.
"""

from __future__ import annotations

import os
import time

from .raw import FILE_MODE, day_utc, iso_utc  # noqa: F401  (one definition, shared)

CATEGORIES = ("sessions", "learnings", "incidents", "decisions")
FILED = ("learnings", "incidents", "decisions")


def utc_now() -> float:
    return time.time()


def is_day(s: str) -> bool:
    """Whether ``s`` starts with a ``YYYY-MM-DD`` date."""
    return (
        len(s) >= 10
        and s[4] == "-"
        and s[7] == "-"
        and s[:4].isdigit()
        and s[5:7].isdigit()
        and s[8:10].isdigit()
    )


def safe_name(s: str, limit: int = 100) -> str:
    """``s`` as one file-name component: letters, digits, ``.``, ``_``, ``-``."""
    out = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in s)[:limit]
    out = out.lstrip(".")
    return out or "unknown"


def slug(title: str, limit: int = 60) -> str:
    out, dash = [], False
    for c in title.lower():
        if c.isascii() and c.isalnum():
            out.append(c)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    return "".join(out)[:limit].strip("-") or "entry"


def month_dir(history, category: str, day: str) -> str:
    return os.path.join(os.fspath(history), category, day[:7])


def publish_new(directory: str, stem: str, data: bytes) -> str:
    """Writes ``data`` as ``<stem>.md`` in ``directory``, or ``<stem>-2.md``,
    ``-3``... when that exists: never replaces a file, even when another
    process publishes the same name at the same moment (hard link of a
    complete temporary file, which fails if the name is taken)."""
    import tempfile

    from . import paii_plugin as paii

    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % stem[:40], suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        n = 1
        while True:
            path = os.path.join(directory, "%s.md" % stem if n == 1 else "%s-%d.md" % (stem, n))
            try:
                os.link(tmp, path)
                break
            except FileExistsError:
                n += 1
            except OSError:
                # No hard links here: reserve the name, then rename over it.
                try:
                    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
                except FileExistsError:
                    n += 1
                    continue
                os.replace(tmp, path)
                break
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    paii.fsync_dir(directory)
    return path


def project_of(cwd: str):
    """``(path, name)`` of the project ``cwd`` is in: the nearest directory
    upward that holds ``.git`` (a repository, a worktree, a submodule),
    else ``cwd`` itself. A repository at the home directory (dotfiles) is
    no project of the directories under it."""
    if not cwd:
        return "", ""
    d = os.path.normpath(os.path.abspath(cwd))
    home = os.path.expanduser("~")
    p = d
    for _ in range(128):
        if os.path.exists(os.path.join(p, ".git")) and not (p == home and d != home):
            return p, os.path.basename(p) or p
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    return d, os.path.basename(d) or d


def publish_once(path: str, data: bytes) -> bool:
    """Writes ``data`` as ``path`` unless a file is there; True when this
    call wrote it. Complete or absent, even when two processes try at once
    (a hard link of a complete temporary file fails if the name is taken)."""
    import tempfile

    from . import paii_plugin as paii

    directory = os.path.dirname(path)
    os.makedirs(directory, exist_ok=True)
    if os.path.lexists(path):
        return False
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".%s." % os.path.basename(path)[:40], suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, FILE_MODE)
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
        except OSError:
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
            except FileExistsError:
                return False
            os.replace(tmp, path)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    paii.fsync_dir(directory)
    return True


class Entry:
    __slots__ = ("category", "day", "path", "mtime")

    def __init__(self, category, day, path, mtime):
        self.category, self.day, self.path, self.mtime = category, day, path, mtime

    def sort_key(self):
        return (self.day, self.mtime, self.path)

    def title(self) -> str:
        """The first ``# `` heading (read from the head of the file)."""
        try:
            with open(self.path, "rb") as f:
                head = f.read(4096).decode("utf-8", "replace")
        except OSError:
            return ""
        for line in head.splitlines():
            if line.startswith("# "):
                return line[2:].strip()
        return ""


def entries(history, categories=CATEGORIES) -> list:
    """Every markdown entry of ``categories``, newest first (by the date in
    its name, then its modification time)."""
    out = []
    root = os.fspath(history)
    for category in categories:
        base = os.path.join(root, category)
        try:
            months = [m for m in os.listdir(base) if not m.startswith(".")]
        except OSError:
            continue
        for month in months:
            d = os.path.join(base, month)
            try:
                names = os.listdir(d)
            except OSError:
                continue
            for name in names:
                if name.startswith(".") or not name.endswith(".md"):
                    continue
                path = os.path.join(d, name)
                try:
                    st = os.stat(path)
                except OSError:
                    continue
                day = name[:10] if is_day(name) else day_utc(st.st_mtime)
                out.append(Entry(category, day, path, st.st_mtime))
    out.sort(key=Entry.sort_key, reverse=True)
    return out


def raw_days(history) -> int:
    """How many days of raw event log there are."""
    base = os.path.join(os.fspath(history), "raw")
    n = 0
    try:
        months = os.listdir(base)
    except OSError:
        return 0
    for month in months:
        try:
            n += sum(1 for f in os.listdir(os.path.join(base, month)) if f.endswith(".jsonl") and not f.startswith("."))
        except OSError:
            pass
    return n
