"""Reads a Claude Code session transcript (JSON Lines), streaming.

What is relied on (checked against the transcripts of the Claude Code
client this project pins, 2.1.332, and the older formats community tools
document; see tests/fixtures/README.md):

- each line is one JSON object with a ``type``; ``user`` and ``assistant``
  lines carry ``message.content`` (a string, or a list of blocks), a
  ``timestamp`` (ISO 8601, UTC), ``sessionId``, ``cwd``, ``gitBranch``,
  ``isSidechain``; many other types (``attachment``, ``queue-operation``,
  ``api-request``, ``last-prompt``, ``system``, ``summary``...) exist and
  are skipped but for their ``timestamp``;
- assistant blocks are ``text`` (``text``), ``tool_use`` (``id``, ``name``,
  ``input``) and ``thinking``; the client writes one line per block, the
  same ``message.id`` repeated, and a block may be written twice, so
  ``tool_use`` blocks are counted once per ``id``;
- a user line that answers a tool holds ``tool_result`` blocks
  (``tool_use_id``, ``content`` a string or a list of ``text`` blocks,
  ``is_error`` true for a failure, often absent otherwise) and a
  ``toolUseResult`` field; a prompt the user typed is a string (or ``text``
  blocks) on a line without ``toolUseResult`` and without ``isMeta``;
  slash commands appear as ``<command-name>/x</command-name>`` markup;
- older clients write ``{"type": "summary", "summary": TITLE}`` lines.

Lines that are not JSON objects are counted and skipped. At most
``max_bytes`` are read; the session says when it stopped early.
"""

from __future__ import annotations

import json

FILE_TOOLS = ("Write", "Edit", "MultiEdit", "Read", "NotebookEdit")
FILE_KEYS = ("file_path", "notebook_path", "path")

_NOT_PROMPTS = (
    "<local-command-",
    "<system-reminder>",
    "Caveat: The messages below were generated",
    "[Request interrupted",
    "<bash-input>",
    "<bash-stdout>",
    "<bash-stderr>",
)


class Session:
    """What a transcript says about its session."""

    def __init__(self, path: str):
        self.path = path
        self.session_id = ""
        self.cwd = ""
        self.git_branch = ""
        self.version = ""
        self.first_time = ""
        self.last_time = ""
        self.title = ""
        self.prompts = []  # (timestamp, text)
        self.assistant_texts = []  # (timestamp, text)
        self.assistant_messages = 0
        self.tools = {}  # name -> calls
        self.files = {}  # path -> {tool: calls}
        self.commands = []  # [command, times], in order of first use
        self.errors = []  # (timestamp, tool, text)
        self.calls = []  # Call, in the order of the calls
        self.lines = 0
        self.bad_lines = 0
        self.bytes_read = 0
        self.size = 0
        self.truncated = False
        self._seen_tool_uses = set()
        self._calls = {}  # tool_use id -> Call
        self._tool_names = {}
        self._message_ids = set()
        self._command_index = {}

    def tool_calls(self) -> int:
        return sum(self.tools.values())


class Call:
    """One tool call and how it ended: ``arg`` is what it was called on
    (a Bash command, a file path, else its input as compact JSON, cut),
    ``ok`` None until its result is seen, and ``error`` the text of a
    failed result (cut)."""

    __slots__ = ("time", "name", "arg", "ok", "error", "result_time")

    def __init__(self, time, name, arg):
        self.time, self.name, self.arg = time, name, arg
        self.ok = None
        self.error = ""
        self.result_time = ""


MAX_CALL_ARG = 2000
MAX_CALL_ERROR = 4000


def _blocks_text(content) -> str:
    """The text of a message or tool result ``content``."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for b in content:
            if isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str):
                parts.append(b["text"])
            elif isinstance(b, str):
                parts.append(b)
        return "\n".join(parts)
    return ""


def _tag(text: str, name: str) -> str:
    start = text.find("<%s>" % name)
    if start < 0:
        return ""
    start += len(name) + 2
    end = text.find("</%s>" % name, start)
    return text[start:end if end >= 0 else len(text)].strip()


def prompt_text(text: str) -> str:
    """The prompt a user line stands for, or ``""`` when it is none (system
    reminders, command output, interruptions); a slash command becomes
    ``/name args``."""
    t = text.strip()
    if not t:
        return ""
    if "<command-name>" in t:
        name = _tag(t, "command-name")
        args = _tag(t, "command-args")
        return ("%s %s" % (name, args)).strip()
    if t.startswith("<command-message>"):
        return ""
    for p in _NOT_PROMPTS:
        if t.startswith(p):
            return ""
    return t


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip()
        if line:
            return line
    return ""


def _clean_error(text: str) -> str:
    return text.replace("<tool_use_error>", "").replace("</tool_use_error>", "")


def _add(session: Session, d: dict) -> None:
    ts = d.get("timestamp")
    if isinstance(ts, str) and ts:
        if not session.first_time or ts < session.first_time:
            session.first_time = ts
        if ts > session.last_time:
            session.last_time = ts
    else:
        ts = ""
    kind = d.get("type")
    if kind not in ("user", "assistant"):
        if kind == "summary" and isinstance(d.get("summary"), str):
            session.title = d["summary"]
        return
    if not session.session_id and isinstance(d.get("sessionId"), str):
        session.session_id = d["sessionId"]
    if not session.cwd and isinstance(d.get("cwd"), str):
        session.cwd = d["cwd"]
    if isinstance(d.get("gitBranch"), str) and d["gitBranch"]:
        session.git_branch = d["gitBranch"]
    if isinstance(d.get("version"), str) and d["version"]:
        session.version = d["version"]
    message = d.get("message")
    if not isinstance(message, dict):
        return
    content = message.get("content")
    main_thread = not d.get("isSidechain")
    if kind == "assistant":
        mid = message.get("id")
        if main_thread and (mid is None or mid not in session._message_ids):
            if mid is not None:
                session._message_ids.add(mid)
            session.assistant_messages += 1
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        if not isinstance(content, list):
            return
        for b in content:
            if not isinstance(b, dict):
                continue
            t = b.get("type")
            if t == "text" and main_thread:
                text = b.get("text")
                if isinstance(text, str) and text.strip():
                    session.assistant_texts.append((ts, text))
            elif t == "tool_use":
                _tool_use(session, b, ts)
        return
    # A user line: a prompt, tool results, or something the client added.
    if isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
        for b in content:
            if not (isinstance(b, dict) and b.get("type") == "tool_result"):
                continue
            call = session._calls.get(b.get("tool_use_id"))
            failed = b.get("is_error") is True
            if failed:
                tool = session._tool_names.get(b.get("tool_use_id"), "")
                text = _blocks_text(b.get("content"))
                session.errors.append((ts, tool, _clean_error(text)))
            if call is not None and call.ok is None:
                call.ok = not failed
                call.result_time = ts
                if failed:
                    # Uncleaned: <tool_use_error> tells the client's own
                    # refusals from the tool's failures.
                    call.error = text[:MAX_CALL_ERROR]
        return
    if d.get("isMeta") or d.get("isCompactSummary") or "toolUseResult" in d or not main_thread:
        return
    text = prompt_text(_blocks_text(content))
    if text:
        session.prompts.append((ts, text))


def _call_arg(name: str, inp) -> str:
    if isinstance(inp, dict):
        if name == "Bash" and isinstance(inp.get("command"), str):
            return inp["command"].strip()[:MAX_CALL_ARG]
        if name in FILE_TOOLS:
            for key in FILE_KEYS:
                if isinstance(inp.get(key), str):
                    return inp[key][:MAX_CALL_ARG]
        if not name.startswith("mcp__"):
            # What it was called on, for the model pass's digest; only an
            # MCP tool's whole input is compared (extract.error_fixes).
            for key in ("pattern", "url", "query", "description", "prompt", "command"):
                if isinstance(inp.get(key), str):
                    return inp[key][:MAX_CALL_ARG]
            return ""
    try:
        return json.dumps(inp, sort_keys=True, ensure_ascii=False)[:MAX_CALL_ARG]
    except (TypeError, ValueError):
        return ""


def _tool_use(session: Session, b: dict, ts: str) -> None:
    tid = b.get("id")
    if tid is not None:
        if tid in session._seen_tool_uses:
            return
        session._seen_tool_uses.add(tid)
    name = b.get("name")
    if not isinstance(name, str) or not name:
        name = "?"
    if tid is not None:
        session._tool_names[tid] = name
    session.tools[name] = session.tools.get(name, 0) + 1
    inp = b.get("input")
    call = Call(ts, name, _call_arg(name, inp))
    session.calls.append(call)
    if tid is not None:
        session._calls[tid] = call
    if not isinstance(inp, dict):
        return
    if name in FILE_TOOLS:
        for key in FILE_KEYS:
            p = inp.get(key)
            if isinstance(p, str) and p:
                per = session.files.setdefault(p, {})
                per[name] = per.get(name, 0) + 1
                break
    elif name == "Bash":
        cmd = inp.get("command")
        if isinstance(cmd, str) and cmd.strip():
            cmd = cmd.strip()
            i = session._command_index.get(cmd)
            if i is None:
                session._command_index[cmd] = len(session.commands)
                session.commands.append([cmd, 1])
            else:
                session.commands[i][1] += 1


def _objects(text: str, scan):
    """The JSON values of one line (None for what does not parse):
    normally one. A line that a crash tore, and the next record was
    appended to, gives that next record too: it starts at a ``{"`` at or
    just before where the torn one stopped parsing."""
    at, n = 0, len(text)
    while at < n:
        try:
            value, end = scan(text, at)
        except StopIteration as e:
            stop = e.value if isinstance(e.value, int) else at
        except ValueError as e:
            stop = getattr(e, "pos", at)
        except RecursionError:
            yield None
            return
        else:
            yield value
            at = end
            while at < n and text[at] in " \t\r":
                at += 1
            continue
        yield None
        at = text.rfind('{"', at + 1, max(stop, at) + 2)
        if at < 0:
            return


def open_regular(path: str):
    """``path`` opened for reading in binary, if it is a regular file;
    OSError otherwise. The open itself never waits (``O_NONBLOCK``): a
    FIFO in place of a transcript would otherwise hold the hook until a
    writer comes, and reading it could go on for ever."""
    import os
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            from .redact import _kind

            raise OSError("not a regular file (%s)" % _kind(st.st_mode))
        return os.fdopen(fd, "rb"), st.st_size
    except BaseException:
        os.close(fd)
        raise


def read(path: str, max_bytes: int) -> Session:
    """Streams the transcript at ``path``, at most ``max_bytes`` of it;
    raises OSError when it cannot be opened or read, or is not a regular
    file."""
    session = Session(path)
    # The decoder's scanner, called directly: a third faster than
    # json.loads per line (no encoding detection, no wrappers).
    scan = json.JSONDecoder().scan_once
    f, session.size = open_regular(path)
    with f:
        readline = f.readline
        while True:
            budget = max_bytes - session.bytes_read
            if budget <= 0:
                session.truncated = bool(f.read(1))
                break
            line = readline(budget)
            if not line:
                break
            session.bytes_read += len(line)
            if not line.endswith(b"\n") and session.bytes_read >= max_bytes and f.read(1):
                session.truncated = True
                break
            if not line.strip():
                continue
            session.lines += 1
            try:
                text = line.decode("utf-8").strip()
            except ValueError:
                session.bad_lines += 1
                continue
            try:
                d, end = scan(text, 0)
            except (ValueError, StopIteration, RecursionError):
                d, end = None, -1
            if end == len(text) and isinstance(d, dict):
                _add(session, d)
                continue
            # Not one object: a torn line, perhaps with the next record
            # glued to it (see _objects).
            bad = False
            for d in _objects(text, scan):
                if isinstance(d, dict):
                    _add(session, d)
                else:
                    bad = True
            if bad:
                session.bad_lines += 1
    return session
