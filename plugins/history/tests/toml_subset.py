"""Just enough TOML to read plugin.toml on every Python history supports
(3.9 and 3.10 have no tomllib): tables, ``key = value`` with bare or quoted
keys, strings (basic, literal, multi-line), integers, floats, booleans,
arrays and inline tables, comments. Anything else is an error, not a guess.

``config_defaults(path)`` is what paii passes as ``PAII_CONFIG`` when no
one overrides a key: each ``[config]`` key's ``default``. The tests and the
benchmark run history with it, as paii does.
"""

from __future__ import annotations

import re

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_NUMBER = re.compile(r"[+-]?(?:0|[1-9](?:_?[0-9])*)(?:\.[0-9](?:_?[0-9])*)?(?:[eE][+-]?[0-9]+)?")
_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


class TomlError(ValueError):
    pass


class _Parser:
    def __init__(self, text: str):
        self.s = text
        self.i = 0

    def error(self, what: str):
        line = self.s.count("\n", 0, self.i) + 1
        raise TomlError("line %d: %s" % (line, what))

    def peek(self, n: int = 1) -> str:
        return self.s[self.i : self.i + n]

    def blank(self, newlines: bool) -> None:
        """Skips spaces and comments (and newlines when ``newlines``)."""
        while self.i < len(self.s):
            c = self.s[self.i]
            if c in " \t" or (newlines and c in "\r\n"):
                self.i += 1
            elif c == "#":
                end = self.s.find("\n", self.i)
                self.i = len(self.s) if end < 0 else end
            else:
                break

    def expect(self, token: str) -> None:
        if not self.s.startswith(token, self.i):
            self.error("expected %r" % token)
        self.i += len(token)

    def key(self) -> str:
        c = self.peek()
        if c == '"':
            return self.basic()
        if c == "'":
            return self.literal()
        m = _BARE.match(self.s, self.i)
        if not m:
            self.error("expected a key")
        self.i = m.end()
        return m.group()

    def basic(self) -> str:
        multi = self.peek(3) == '"""'
        self.i += 3 if multi else 1
        if multi and self.peek() == "\n":
            self.i += 1
        out = []
        while True:
            if self.i >= len(self.s):
                self.error("unterminated string")
            c = self.s[self.i]
            if multi and self.peek(3) == '"""':
                self.i += 3
                return "".join(out)
            if not multi and c == '"':
                self.i += 1
                return "".join(out)
            if c == "\n" and not multi:
                self.error("newline in a string")
            if c == "\\":
                e = self.s[self.i + 1 : self.i + 2]
                if e in _ESCAPES:
                    out.append(_ESCAPES[e])
                    self.i += 2
                elif e in ("u", "U"):
                    n = 4 if e == "u" else 8
                    out.append(chr(int(self.s[self.i + 2 : self.i + 2 + n], 16)))
                    self.i += 2 + n
                else:
                    self.error("unsupported escape \\%s" % e)
                continue
            out.append(c)
            self.i += 1

    def literal(self) -> str:
        if self.peek(3) == "'''":
            self.i += 3
            if self.peek() == "\n":
                self.i += 1
            end = self.s.find("'''", self.i)
            if end < 0:
                self.error("unterminated string")
            value, self.i = self.s[self.i : end], end + 3
            return value
        self.i += 1
        end = self.s.find("'", self.i)
        if end < 0 or "\n" in self.s[self.i : end]:
            self.error("unterminated string")
        value, self.i = self.s[self.i : end], end + 1
        return value

    def value(self):
        c = self.peek()
        if c == '"':
            return self.basic()
        if c == "'":
            return self.literal()
        if c == "[":
            return self.array()
        if c == "{":
            return self.inline_table()
        for word, v in (("true", True), ("false", False)):
            if self.s.startswith(word, self.i):
                self.i += len(word)
                return v
        m = _NUMBER.match(self.s, self.i)
        if not m:
            self.error("unsupported value")
        self.i = m.end()
        text = m.group().replace("_", "")
        return float(text) if any(ch in text for ch in ".eE") else int(text)

    def array(self) -> list:
        self.expect("[")
        out = []
        while True:
            self.blank(True)
            if self.peek() == "]":
                self.i += 1
                return out
            out.append(self.value())
            self.blank(True)
            if self.peek() == ",":
                self.i += 1
            elif self.peek() != "]":
                self.error("expected , or ]")

    def inline_table(self) -> dict:
        self.expect("{")
        out = {}
        self.blank(False)
        if self.peek() == "}":
            self.i += 1
            return out
        while True:
            self.blank(False)
            k = self.key()
            self.blank(False)
            self.expect("=")
            self.blank(False)
            if k in out:
                self.error("duplicate key %r" % k)
            out[k] = self.value()
            self.blank(False)
            if self.peek() == ",":
                self.i += 1
            elif self.peek() == "}":
                self.i += 1
                return out
            else:
                self.error("expected , or }")

    def document(self) -> dict:
        root = {}
        table = root
        while True:
            self.blank(True)
            if self.i >= len(self.s):
                return root
            if self.peek() == "[":
                if self.peek(2) == "[[":
                    self.error("arrays of tables are not supported")
                self.i += 1
                table = root
                while True:
                    self.blank(False)
                    k = self.key()
                    table = table.setdefault(k, {})
                    if not isinstance(table, dict):
                        self.error("%r is not a table" % k)
                    self.blank(False)
                    if self.peek() == ".":
                        self.i += 1
                        continue
                    self.expect("]")
                    break
            else:
                k = self.key()
                self.blank(False)
                self.expect("=")
                self.blank(False)
                if k in table:
                    self.error("duplicate key %r" % k)
                table[k] = self.value()
            self.blank(False)
            if self.i < len(self.s) and self.peek() not in "\r\n":
                self.error("expected the end of the line")


def loads(text: str) -> dict:
    return _Parser(text).document()


def load(path) -> dict:
    with open(path, encoding="utf-8") as f:
        return loads(f.read())


def config_defaults(path) -> dict:
    """Each ``[config]`` key of a plugin.toml with its ``default``, in order."""
    config = load(path).get("config", {})
    return {k: v["default"] for k, v in config.items() if isinstance(v, dict) and "default" in v}
