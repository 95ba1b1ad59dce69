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
        self.lines = 0
        self.bad_lines = 0
        self.bytes_read = 0
        self.size = 0
        self.truncated = False
        self._seen_tool_uses = set()
        self._tool_names = {}
        self._message_ids = set()
        self._command_index = {}

    def tool_calls(self) -> int:
        return sum(self.tools.values())


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
                _tool_use(session, b)
        return
    # A user line: a prompt, tool results, or something the client added.
    if isinstance(content, list) and any(isinstance(b, dict) and b.get("type") == "tool_result" for b in content):
        for b in content:
            if isinstance(b, dict) and b.get("type") == "tool_result" and b.get("is_error") is True:
                tool = session._tool_names.get(b.get("tool_use_id"), "")
                session.errors.append((ts, tool, _clean_error(_blocks_text(b.get("content")))))
        return
    if d.get("isMeta") or d.get("isCompactSummary") or "toolUseResult" in d or not main_thread:
        return
    text = prompt_text(_blocks_text(content))
    if text:
        session.prompts.append((ts, text))


def _tool_use(session: Session, b: dict) -> None:
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


def read(path: str, max_bytes: int) -> Session:
    """Streams the transcript at ``path``; raises OSError when it cannot be
    opened or read."""
    session = Session(path)
    # The decoder's scanner, called directly: a third faster than
    # json.loads per line (no encoding detection, no wrappers).
    scan = json.JSONDecoder().scan_once
    with open(path, "rb") as f:
        try:
            import os

            session.size = os.fstat(f.fileno()).st_size
        except OSError:
            pass
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
                d, end = scan(text, 0)
                if end != len(text):
                    raise ValueError("extra data")
            except (ValueError, StopIteration, RecursionError):
                session.bad_lines += 1
                continue
            if isinstance(d, dict):
                _add(session, d)
            else:
                session.bad_lines += 1
    return session
