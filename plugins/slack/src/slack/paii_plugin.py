"""paii plugin SDK for Python: one stdlib-only file, vendored into each plugin.

A plugin copies this file byte for byte into its package
(``src/<package>/paii_plugin.py``) and calls :func:`main` from its console
script::

    from . import paii_plugin as paii

    def pre_tool_use(event):
        if "rm -rf /" in event.tool_input.get("command", ""):
            return paii.deny("that would delete everything")
        return paii.allow()

    def main():
        return paii.main({"pre-tool-use": pre_tool_use}, {})

paii runs a plugin as ``<command> hook <event-kebab>`` (the event JSON on
stdin), ``<command> drain`` (an observer's queued events, see
:func:`main`) and ``<command> action <name> [args...]`` (``paii run``). The
contract of both is in the project's design notes ("Hook dispatch"):
exit 0 allows, exit 2 blocks (the reason on stderr), JSON on stdout asks or
adds context, and anything that goes wrong inside a hook allows the event
unless the plugin's config says ``fail_closed = true``.

Start-up time matters (a hook runs on every tool call), so this module
imports only ``json``, ``os`` and ``sys`` up front; ``pathlib``,
``subprocess`` and ``tempfile`` are imported where they are used.
"""

from __future__ import annotations

import json
import os
import sys

__all__ = [
    "EventError",
    "Event",
    "read_event",
    "config",
    "plugin_name",
    "paii_home",
    "history_dir",
    "contract",
    "log",
    "allow",
    "ask",
    "deny",
    "context",
    "atomic_write",
    "fsync_dir",
    "run_action",
    "main",
]

__version__ = "1.0.0"

#: Exit code of a bad command line (BSD's EX_USAGE).
EXIT_USAGE = 64


class EventError(Exception):
    """The hook input is empty, not UTF-8, not JSON, or not a JSON object."""


def _str_or_none(value):
    return value if isinstance(value, str) else None


class Event:
    """Claude Code's hook input.

    ``raw`` is the whole JSON object; the attributes are its common fields,
    normalised so that a handler never meets the wrong type: strings are
    ``""`` or ``None`` when absent, ``tool_input`` is always a dict.
    """

    __slots__ = (
        "raw",
        "name",
        "session_id",
        "cwd",
        "transcript_path",
        "tool_name",
        "tool_input",
        "tool_response",
        "prompt",
        "queued_at",
    )

    def __init__(self, raw: dict):
        if not isinstance(raw, dict):
            raise EventError("the event is not a JSON object")
        self.raw = raw
        self.name = _str_or_none(raw.get("hook_event_name")) or ""
        self.session_id = _str_or_none(raw.get("session_id")) or ""
        self.cwd = _str_or_none(raw.get("cwd")) or ""
        self.transcript_path = _str_or_none(raw.get("transcript_path")) or None
        self.tool_name = _str_or_none(raw.get("tool_name"))
        tool_input = raw.get("tool_input")
        self.tool_input = tool_input if isinstance(tool_input, dict) else {}
        self.tool_response = raw.get("tool_response")
        self.prompt = _str_or_none(raw.get("prompt"))
        #: When paii queued the event for an observer (seconds since the
        #: epoch), else ``None``: the event is happening now.
        self.queued_at = None

    def get(self, key, default=None):
        """A field of the raw event."""
        return self.raw.get(key, default)

    def __repr__(self):
        return "Event(name=%r, session_id=%r, tool_name=%r)" % (self.name, self.session_id, self.tool_name)


def read_event(stream=None) -> Event:
    """Reads one event from ``stream`` (default: stdin, as bytes).

    Raises :class:`EventError` when the input is empty, not UTF-8, not JSON
    or not a JSON object.
    """
    if stream is None:
        stream = getattr(sys.stdin, "buffer", sys.stdin)
    try:
        data = stream.read()
    except (OSError, ValueError) as e:
        raise EventError("cannot read the event: %s" % e) from None
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as e:
            raise EventError("the event is not UTF-8: %s" % e) from None
    if data.startswith("\ufeff"):
        data = data[1:]
    if not data.strip():
        raise EventError("the event is empty")
    try:
        raw = json.loads(data)
    except ValueError as e:
        raise EventError("the event is not JSON: %s" % e) from None
    if not isinstance(raw, dict):
        raise EventError("the event is not a JSON object but %s" % type(raw).__name__)
    return Event(raw)


def config() -> dict:
    """The plugin's merged config (``PAII_CONFIG``); ``{}`` when unset or bad."""
    text = os.environ.get("PAII_CONFIG", "")
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except ValueError as e:
        log("PAII_CONFIG is not JSON (%s); using the defaults" % e)
        return {}
    if not isinstance(value, dict):
        log("PAII_CONFIG is not a JSON object; using the defaults")
        return {}
    return value


def plugin_name() -> str:
    """``PAII_PLUGIN_NAME``, or ``"plugin"``."""
    return os.environ.get("PAII_PLUGIN_NAME") or "plugin"


def paii_home():
    """``PAII_HOME``, else ``$XDG_CONFIG_HOME/paii``, else ``~/.config/paii``."""
    from pathlib import Path

    home = os.environ.get("PAII_HOME")
    if home:
        return Path(home)
    xdg = os.environ.get("XDG_CONFIG_HOME")
    if xdg:
        return Path(xdg) / "paii"
    return Path.home() / ".config" / "paii"


def history_dir():
    """``PAII_HISTORY_DIR``, else ``paii_home()/"history"``."""
    from pathlib import Path

    d = os.environ.get("PAII_HISTORY_DIR")
    return Path(d) if d else paii_home() / "history"


def contract(key: str) -> str | None:
    """The plugin wired to this plugin's ``[consumes]`` key, if any (paii
    sets ``none`` for an optional contract nothing provides)."""
    value = os.environ.get("PAII_CONTRACT_" + key.upper().replace("-", "_"))
    return value if value and value != "none" else None


def log(message: str) -> None:
    """One line on stderr (paii files it in the plugin's log)."""
    line = " ".join(str(message).splitlines()) or "-"
    try:
        sys.stderr.write("%s: %s\n" % (plugin_name(), line))
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def allow() -> int:
    """Let the event go on; prints nothing."""
    return 0


def _emit(payload) -> None:
    sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def ask(event_name: str, reason: str) -> int:
    """Ask the user to confirm the tool call (PreToolUse)."""
    _emit(
        {
            "hookSpecificOutput": {
                "hookEventName": event_name,
                "permissionDecision": "ask",
                "permissionDecisionReason": reason,
            }
        }
    )
    return 0


def deny(reason: str) -> int:
    """Block: the reason goes to stderr, and the exit code is 2."""
    try:
        sys.stderr.write(str(reason).rstrip("\n") + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return 2


def context(event_name: str, text: str) -> int:
    """Add ``text`` to the model's context."""
    _emit({"hookSpecificOutput": {"hookEventName": event_name, "additionalContext": text}})
    return 0


def fsync_dir(directory) -> None:
    """Fsyncs ``directory``, so that a file created, renamed or linked in it
    survives a crash; best effort (a directory that cannot be opened or
    synced, as on some file systems, is left as it is)."""
    flags = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0)
    try:
        fd = os.open(directory, flags)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path, data, mode=None) -> None:
    """Replaces ``path`` with ``data`` (bytes, or str as UTF-8) all at once.

    Creates the parent directories, writes a temporary file in the same
    directory, fsyncs it, renames it over ``path`` and fsyncs the directory:
    a reader sees the old content or the new, never a part, and a failure
    leaves the old file as it was. The file keeps the mode of the one it
    replaces; a new file gets ``mode`` (default ``0o666`` less the umask).
    """
    import tempfile

    path = os.fspath(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    if mode is None:
        try:
            mode = os.stat(path).st_mode & 0o7777
        except OSError:
            umask = os.umask(0)
            os.umask(umask)
            mode = 0o666 & ~umask
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    fsync_dir(directory)


def run_action(plugin: str, action: str, args: list):
    """Runs another plugin's action through paii (``paii run``).

    Returns the ``subprocess.CompletedProcess`` (text output captured).
    ``PAII_BIN`` names the paii binary, else ``paii`` is found on PATH.
    """
    import subprocess

    paii = os.environ.get("PAII_BIN") or "paii"
    argv = [paii, "run", plugin, "--action", action, "--"] + [str(a) for a in args]
    return subprocess.run(argv, capture_output=True, text=True)


def _kebab(name: str) -> str:
    """``PreToolUse``, ``pre_tool_use`` and ``pre-tool-use`` -> ``pre-tool-use``."""
    out = []
    for i, c in enumerate(name):
        if c.isupper() and i > 0 and name[i - 1] not in "-_":
            out.append("-")
        out.append(c.lower())
    return "".join(out).replace("_", "-")


def _describe(exc: BaseException) -> str:
    where = ""
    tb = exc.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    if tb is not None:
        where = " (at %s:%d)" % (os.path.basename(tb.tb_frame.f_code.co_filename), tb.tb_lineno)
    text = str(exc)
    return "%s%s%s" % (type(exc).__name__, ": " + text if text else "", where)


def _exit_code(value) -> int:
    if value is None:
        return 0
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    raise TypeError("a handler returned %r, not an exit code" % (value,))


def _usage(hooks: dict, actions: dict) -> str:
    name = plugin_name()
    lines = [
        "usage: %s hook EVENT < event.json" % name,
        "       %s drain < queued-events.jsonl" % name,
        "       %s action NAME [ARGS...]" % name,
    ]
    lines.append("hooks: " + (", ".join(sorted(hooks)) or "(none)"))
    lines.append("actions: " + (", ".join(sorted(actions)) or "(none)"))
    return "\n".join(lines) + "\n"


def _run_hook(hooks: dict, event_name: str) -> int:
    key = _kebab(event_name)
    handler = hooks.get(key)
    if handler is None:
        log("no handler for the %s event; allowed" % event_name)
        return 0
    try:
        return _exit_code(handler(read_event()))
    except SystemExit as e:
        code = e.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    except Exception as e:
        failed_closed = config().get("fail_closed") is True
        log("hook %s failed: %s; %s" % (key, _describe(e), "blocked (fail_closed)" if failed_closed else "allowed"))
        return 2 if failed_closed else 0


def _drain(hooks: dict, stream=None, out=None) -> int:
    """``drain``: an observer's queued events, one JSON record a line on
    stdin (``{"event": KEBAB, "queued_at": MS, "input": {...}}``), each
    handed to its hook handler in order. After each record, whatever its
    handler did, one ``{"consumed": N}`` line on stdout tells paii that the
    first N records are done: a drain that is killed or crashes leaves the
    rest in the spool, and a record whose handler failed is logged, not
    retried forever. A handler's own stdout goes to stderr, so that nothing
    it prints can read as an acknowledgement."""
    if stream is None:
        stream = getattr(sys.stdin, "buffer", sys.stdin)
    if out is None:
        out = sys.stdout
    real_stdout = sys.stdout
    n = 0
    for line in stream:
        n += 1
        if isinstance(line, bytes):
            line = line.decode("utf-8", "replace")
        line = line.strip()
        record = None
        if line:
            try:
                record = json.loads(line)
            except ValueError:
                pass
        if isinstance(record, dict) and isinstance(record.get("event"), str) and isinstance(record.get("input"), dict):
            key = _kebab(record["event"])
            handler = hooks.get(key)
            if handler is None:
                log("no handler for the queued %s event; skipped" % key)
            else:
                event = Event(record["input"])
                queued = record.get("queued_at")
                if isinstance(queued, (int, float)) and not isinstance(queued, bool):
                    event.queued_at = queued / 1000.0
                os.environ["PAII_EVENT"] = key
                sys.stdout = sys.stderr
                try:
                    handler(event)
                except (Exception, SystemExit) as e:
                    log("hook %s failed on a queued event: %s; skipped" % (key, _describe(e)))
                finally:
                    sys.stdout = real_stdout
        elif line:
            log("queued record %d is not an event; skipped" % n)
        out.write('{"consumed": %d}\n' % n)
        out.flush()
    return 0


def _run_action(actions: dict, hooks: dict, name, args: list) -> int:
    handler = actions.get(name) if name is not None else None
    if handler is None:
        if name is None:
            sys.stderr.write("%s: `action` needs a NAME\n" % plugin_name())
        else:
            sys.stderr.write("%s: unknown action `%s`\n" % (plugin_name(), name))
        sys.stderr.write(_usage(hooks, actions))
        return EXIT_USAGE
    try:
        return _exit_code(handler(list(args)))
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        sys.stderr.write("%s\n" % code)
        return 1
    except BrokenPipeError:
        return 0
    except Exception as e:
        log("action %s failed: %s" % (name, _describe(e)))
        return 1


def main(hooks: dict, actions: dict, argv=None) -> int:
    """Runs ``hook EVENT``, ``drain`` or ``action NAME [ARGS...]``; returns
    the exit code.

    ``hooks`` maps kebab-case event names to ``handler(event) -> exit code``
    (``None`` is 0); ``actions`` maps names to ``handler(args) -> exit code``.
    An observer's (``async = true``) events are queued by paii and reach the
    same ``hooks`` through ``drain``, in batches, with ``event.queued_at``
    set.
    """
    if argv is None:
        argv = sys.argv[1:]
    argv = list(argv)
    if argv[:1] == ["hook"] and len(argv) == 2:
        return _run_hook(hooks, argv[1])
    if argv == ["drain"]:
        return _drain(hooks)
    if argv[:1] == ["action"]:
        return _run_action(actions, hooks, argv[1] if len(argv) > 1 else None, argv[2:])
    if argv[:1] in (["help"], ["-h"], ["--help"]):
        sys.stdout.write(_usage(hooks, actions))
        return 0
    sys.stderr.write("%s: bad usage: %s\n" % (plugin_name(), " ".join(argv) or "(no arguments)"))
    sys.stderr.write(_usage(hooks, actions))
    return EXIT_USAGE
