"""The markdown summary of a session, extracted from its transcript.

Deterministic: the same transcript gives the same bytes (every list has a
fixed order, the only times are the transcript's own), so a summary that
is rewritten on each Stop changes only when the session did.

Monotonic: the last line of a summary says how many bytes of the transcript
it was built from, and a summary is replaced only by one built from at
least as many (under a lock per summary). Two events of one session run
detached and can finish in any order (Stop, then SessionEnd; two Stops):
the summary of the longer transcript stays.
"""

from __future__ import annotations

import os

from . import store
from .transcript import Session, _first_line

MAX_PROMPTS = 50
MAX_COMMANDS = 100
MAX_ERRORS = 50
MAX_FILES = 200
MAX_FIRST_PROMPT = 2000

CATEGORY_WORDS = {"learnings": "Learning", "incidents": "Incident", "decisions": "Decision"}


def parse_time(ts: str):
    """Seconds since the epoch of an ISO 8601 UTC time, or None."""
    try:
        import calendar

        fields = (int(ts[0:4]), int(ts[5:7]), int(ts[8:10]), int(ts[11:13]), int(ts[14:16]), int(ts[17:19]))
        frac = 0.0
        if len(ts) > 19 and ts[19] == ".":
            digits = ""
            for c in ts[20:]:
                if not c.isdigit():
                    break
                digits += c
            frac = float("0." + digits) if digits else 0.0
        t = calendar.timegm(fields + (0, 0, 0)) + frac
        rest = ts[19:].lstrip(".0123456789")
        if rest[:1] in "+-" and len(rest) >= 6 and rest[1:3].isdigit() and rest[4:6].isdigit():
            offset = int(rest[1:3]) * 3600 + int(rest[4:6]) * 60
            t -= offset if rest[0] == "+" else -offset
        return t
    except (ValueError, IndexError, OverflowError):
        return None


def duration(seconds: float) -> str:
    s = int(round(seconds))
    h, rem = divmod(s, 3600)
    m, s = divmod(rem, 60)
    if h:
        return "%dh %02dm %02ds" % (h, m, s)
    if m:
        return "%dm %02ds" % (m, s)
    return "%ds" % s


def code(text: str) -> str:
    """``text`` as inline code, whatever backticks it holds."""
    text = text.replace("\n", " ")
    run = longest = 0
    for c in text:
        run = run + 1 if c == "`" else 0
        longest = max(longest, run)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return "%s%s%s%s%s" % (fence, pad, text, pad, fence)


def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters. Only ever on redacted text:
    a secret cut first would no longer match (see ``Redactor.clip``)."""
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


class Unredacted:
    """A redactor that changes nothing: for a caller that redacts the
    whole result itself and cuts nothing secret (the benchmark)."""

    def text(self, s):
        return s

    def head(self, s, need):
        return s

    def clip(self, s, limit):
        return clip(s, limit)


def one_line(text: str, limit: int, redactor) -> str:
    lines = [l for l in text.strip().splitlines() if l.strip()]
    first = lines[0].strip() if lines else ""
    more = " (+%d lines)" % (len(lines) - 1) if len(lines) > 1 else ""
    return redactor.clip(first, limit) + more


def error_line(text: str) -> str:
    """The first line of an error; ``Exit code N`` gets the line after it."""
    lines = [l.strip() for l in text.splitlines() if l.strip()]
    if not lines:
        return ""
    if len(lines) > 1 and lines[0].startswith("Exit code ") and lines[0][10:].strip().lstrip("-").isdigit():
        return "%s: %s" % (lines[0], lines[1])
    return lines[0]


def session_day(session: Session, now: float) -> str:
    return session.first_time[:10] if store.is_day(session.first_time) else store.day_utc(now)


def path_for(history, session_id: str, day: str) -> str:
    return os.path.join(store.month_dir(history, "sessions", day), "%s-%s.md" % (day, store.safe_name(session_id)))


MARKER = "\n<!-- history: transcript_bytes=%d -->\n"
_MARKER_HEAD = MARKER[: MARKER.index("%")]


def built_from(path: str):
    """The transcript bytes the summary at ``path`` was built from; None
    when there is no summary, or it does not say."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            f.seek(max(size - 256, 0))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        return None
    at = tail.rfind(_MARKER_HEAD)
    if at < 0:
        return None
    digits = tail[at + len(_MARKER_HEAD) :].split(" ", 1)[0]
    return int(digits) if digits.isdigit() else None


def write(dest: str, text: str, transcript_bytes: int):
    """Replaces the summary ``dest`` with ``text`` (and its marker) unless
    the one there was built from more of the transcript. Returns None when
    written, else the byte count of the summary that was kept. Raises
    OSError when it cannot lock or write."""
    import fcntl

    from . import paii_plugin as paii

    directory, name = os.path.split(dest)
    os.makedirs(directory, exist_ok=True)
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(os.path.join(directory, ".%s.lock" % name), flags, store.FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        have = built_from(dest)
        if have is not None and have > transcript_bytes:
            return have
        paii.atomic_write(dest, text + MARKER % transcript_bytes, mode=store.FILE_MODE)
        return None
    finally:
        os.close(fd)


def title_of(session: Session, session_id: str, redactor) -> str:
    if session.title.strip():
        # Redacted before its spaces are collapsed, then cut.
        return clip(" ".join(redactor.head(session.title, 100).split()), 100)
    if session.prompts:
        return redactor.clip(_first_line(session.prompts[0][1]), 80)
    return "Session %s" % session_id


def render(session: Session, session_id: str, cwd: str, max_mb, redactor=None) -> str:
    """The summary's markdown. Every text that is cut is redacted first
    (``redactor.clip``); the caller still redacts the whole result."""
    if redactor is None:
        redactor = Unredacted()
    sid = session_id or session.session_id or "unknown"
    out = ["# %s" % title_of(session, sid, redactor), ""]
    out.append("- **Session:** %s" % code(sid))
    directory = cwd or session.cwd
    if directory:
        out.append("- **Directory:** %s" % code(directory))
    if session.git_branch:
        out.append("- **Branch:** %s" % code(session.git_branch))
    if session.first_time:
        out.append("- **Started:** %s" % session.first_time)
        out.append("- **Ended:** %s" % session.last_time)
        a, b = parse_time(session.first_time), parse_time(session.last_time)
        if a is not None and b is not None:
            out.append("- **Duration:** %s" % duration(max(b - a, 0)))
    out.append(
        "- **Activity:** %d prompt%s, %d assistant message%s, %d tool call%s, %d error%s"
        % (
            len(session.prompts), "" if len(session.prompts) == 1 else "s",
            session.assistant_messages, "" if session.assistant_messages == 1 else "s",
            session.tool_calls(), "" if session.tool_calls() == 1 else "s",
            len(session.errors), "" if len(session.errors) == 1 else "s",
        )
    )
    if session.version:
        out.append("- **Claude Code:** %s" % session.version)
    out.append("- **Transcript:** %s" % code(session.path))

    if session.prompts:
        out += ["", "## First prompt", ""]
        first = redactor.clip(session.prompts[0][1].strip(), MAX_FIRST_PROMPT)
        out += ["> " + line if line.strip() else ">" for line in first.splitlines()]
        if len(session.prompts) > 1:
            out += ["", "## Prompts", ""]
            for i, (ts, text) in enumerate(session.prompts[:MAX_PROMPTS], 1):
                out.append("%d. %s%s" % (i, one_line(text, 200, redactor), " (%s)" % ts if ts else ""))
            if len(session.prompts) > MAX_PROMPTS:
                out.append("")
                out.append("…and %d more." % (len(session.prompts) - MAX_PROMPTS))

    if session.tools:
        out += ["", "## Tools used", "", "| Tool | Calls |", "|---|---:|"]
        for name, n in sorted(session.tools.items(), key=lambda kv: (-kv[1], kv[0])):
            out.append("| %s | %d |" % (name.replace("|", "\\|"), n))

    if session.files:
        out += ["", "## Files touched", ""]
        paths = sorted(session.files)
        for p in paths[:MAX_FILES]:
            per = session.files[p]
            how = ", ".join("%s ×%d" % (t, n) if n > 1 else t for t, n in sorted(per.items()))
            out.append("- %s (%s)" % (code(p), how))
        if len(paths) > MAX_FILES:
            out.append("- …and %d more" % (len(paths) - MAX_FILES))

    if session.commands:
        out += ["", "## Commands run", ""]
        for cmd, n in session.commands[:MAX_COMMANDS]:
            lines = cmd.splitlines()
            text = redactor.clip(lines[0], 300) + (" …(+%d lines)" % (len(lines) - 1) if len(lines) > 1 else "")
            out.append("- %s%s" % (code(text), " ×%d" % n if n > 1 else ""))
        if len(session.commands) > MAX_COMMANDS:
            out.append("- …and %d more" % (len(session.commands) - MAX_COMMANDS))

    if session.errors:
        out += ["", "## Errors", ""]
        for ts, tool, text in session.errors[:MAX_ERRORS]:
            out.append("- **%s**: %s" % (tool or "tool", redactor.clip(error_line(text), 200) or "(no message)"))
        if len(session.errors) > MAX_ERRORS:
            out.append("- …and %d more" % (len(session.errors) - MAX_ERRORS))

    notes = []
    if session.truncated:
        notes.append(
            "The transcript is larger than max_transcript_mb (%s MiB); only its first %d bytes of %d were read, "
            "so this summary leaves out what came after." % (max_mb, session.bytes_read, session.size)
        )
    if session.bad_lines:
        notes.append("%d transcript line%s that were not JSON objects were skipped." % (session.bad_lines, "" if session.bad_lines == 1 else "s"))
    if not session.lines:
        notes.append("The transcript has no entries yet.")
    if notes:
        out += ["", "## Notes", ""]
        out += ["- " + n for n in notes]
    out.append("")
    return "\n".join(out)
