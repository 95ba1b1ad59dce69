"""Scrubs secrets from everything history writes.

Two kinds of secrets are replaced:

- the values of ``$PAII_HOME/.env`` (read only for this), each by
  ``[REDACTED:KEY]``; values shorter than 6 characters are left alone, as
  they would match ordinary words;
- common token shapes, each by ``[REDACTED]``: GitHub, Slack (tokens and
  webhook URLs), AWS access key ids, ``sk-``/``sk-ant-`` API keys, Stripe
  (``sk_live_``, ``sk_test_``, ``rk_live_``, ``rk_test_``), GitLab
  (``glpat-``), npm (``npm_``), PyPI (``pypi-``) and Hugging Face (``hf_``)
  tokens, Google API keys, JWTs, private key blocks (``-----BEGIN ...
  PRIVATE KEY-----``, PGP's included), ``Bearer`` tokens,
  ``password=``/``token: ...`` assignments and ``--password X``/``--token
  X`` options, plus the config's ``redact_patterns``.

A token pattern is compiled only when a cheap substring test says its text
could match, so an ordinary event costs no regex compilation.
"""

from __future__ import annotations

import os

REDACTED = "[REDACTED]"

# How far past a cut redaction looks: longer than any one-line token.
_MARGIN = 4096

# (name, substrings one of which a match must contain (tested on the text,
# or on its lower-cased form when lower is true), lower, pattern, keep)
# where `keep` is how many leading groups of the match are kept.
_TOKEN_SHAPES = [
    ("github", ("ghp_", "gho_", "ghs_", "ghu_", "ghr_", "github_pat_"), False,
     r"(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})", 0),
    ("slack", ("xox",), False, r"xox[abprs]-[A-Za-z0-9-]{8,}", 0),
    ("aws", ("AKIA", "ASIA"), False, r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b", 0),
    ("api-key", ("sk-",), False, r"(?<![A-Za-z0-9_-])sk-(?:ant-)?[A-Za-z0-9_-]{16,}", 0),
    ("google", ("AIza",), False, r"AIza[0-9A-Za-z_-]{30,}", 0),
    ("stripe", ("sk_live_", "sk_test_", "rk_live_", "rk_test_"), False, r"\b[sr]k_(?:live|test)_[A-Za-z0-9]{10,}", 0),
    ("gitlab", ("glpat-",), False, r"\bglpat-[A-Za-z0-9_-]{20,}(?:\.[A-Za-z0-9_-]+)*", 0),
    ("npm", ("npm_",), False, r"\bnpm_[A-Za-z0-9]{36}\b", 0),
    ("pypi", ("pypi-",), False, r"\bpypi-[A-Za-z0-9_-]{50,}", 0),
    ("huggingface", ("hf_",), False, r"\bhf_[A-Za-z0-9]{30,}", 0),
    ("slack-webhook", ("hooks.slack.com",), False, r"https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/-]+", 0),
    ("jwt", ("eyJ",), False, r"eyJ[A-Za-z0-9_-]{4,}\.eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*", 0),
    ("pem", ("-----BEGIN",), False,
     r"-----BEGIN[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----(?:.|\n)*?(?:-----END[A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|\Z)", 0),
    ("bearer", ("bearer",), True, r"(?i)\b(bearer[ \t]+)[A-Za-z0-9._~+/=-]{8,}", 1),
    ("flag", ("pass", "secret", "token", "key", "credential"), True,
     r"""(?ix)
        (?<![a-z0-9_-])(--?[a-z0-9-]*?
           (?:password|passwd|pass|passphrase|secret|token|api-?key|apikey|access-?key|credentials?)
        [ \t]+)
        (?!\[REDACTED|-)
        ("[^"\n]*"|'[^'\n]*'|[^\s"',;&]+)""", 1),
    ("assignment", ("pass", "pwd", "secret", "token", "key", "auth", "credential"), True,
     r"""(?ix)
        \b([a-z0-9_.-]*?
           (?:password|passwd|pwd|passphrase|secret|token|api[_-]?key|apikey|access[_-]?key
              |private[_-]?key|auth|credentials?))
        (["']?[ \t]*[:=][ \t]*)
        (?!\[REDACTED)
        ("[^"\n]*"|'[^'\n]*'|[^\s"',;&]+)""", 2),
]

# A dict key whose string value is a secret whatever it looks like.
_SECRET_KEY_WORDS = (
    "password", "passwd", "passphrase", "secret", "token", "apikey", "api_key", "api-key",
    "private_key", "privatekey", "authorization", "credential", "credentials", "access_key",
)


def _secret_key(key: str) -> bool:
    k = key.lower()
    for w in _SECRET_KEY_WORDS:
        if k == w or k.endswith("_" + w) or k.endswith("-" + w):
            return True
    return k in ("auth", "cookie", "set-cookie")


def read_regular(path, limit: int) -> bytes:
    """At most ``limit`` bytes of the regular file at ``path``. Anything
    else (a FIFO, a device, a directory) raises OSError instead of being
    read: opening a FIFO for reading waits for a writer, and reading one,
    or a device, may never end, which would hang an observer for good."""
    import stat

    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError("not a regular file (%s)" % _kind(st.st_mode))
        chunks, left = [], limit
        while left > 0:
            b = os.read(fd, min(left, 1 << 20))
            if not b:
                break
            chunks.append(b)
            left -= len(b)
        return b"".join(chunks)
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    import stat

    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


def read_dotenv(path) -> list:
    """``(KEY, value)`` pairs of a .env file: ``KEY=value`` lines, an
    ``export`` prefix and quotes allowed, ``#`` comments skipped."""
    try:
        text = read_regular(path, 1 << 20).decode("utf-8", "replace")
    except OSError:
        return []
    if text.startswith("\ufeff"):
        text = text[1:]
    pairs = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[7:].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip()
        if not sep or not key or any(c.isspace() for c in key):
            continue
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            quote, value = value[0], value[1:-1]
            if quote == '"':
                value = value.replace("\\n", "\n").replace('\\"', '"')
        else:
            hash_at = value.find(" #")
            if hash_at >= 0:
                value = value[:hash_at].rstrip()
        pairs.append((key, value))
    return pairs


class Redactor:
    """Replaces secrets in strings and in decoded JSON values."""

    def __init__(self, dotenv=(), extra_patterns=(), log=None):
        # Longest first, so that a value containing another is replaced whole.
        values = {}
        for key, value in dotenv:
            if len(value) >= 6:
                values.setdefault(value, key)
                if "\n" in value:
                    # A text cut inside a multi-line value (a key pasted in
                    # .env) still hides each of its lines.
                    for line in value.splitlines():
                        if len(line.strip()) >= 6:
                            values.setdefault(line.strip(), key)
        self._values = sorted(values.items(), key=lambda kv: (-len(kv[0]), kv[0]))
        self._compiled = {}
        self._extra = []
        if extra_patterns:
            import re

            for p in extra_patterns:
                if not isinstance(p, str) or not p:
                    if log:
                        log("redact_patterns: %r is not a pattern; ignored" % (p,))
                    continue
                try:
                    self._extra.append(re.compile(p))
                except re.error as e:
                    if log:
                        log("redact_patterns: `%s` is not a regular expression (%s); ignored" % (p, e))

    @classmethod
    def from_env(cls, cfg: dict, home, log=None) -> "Redactor":
        extra = cfg.get("redact_patterns") or []
        if not isinstance(extra, list):
            if log:
                log("redact_patterns is not an array; ignored")
            extra = []
        return cls(read_dotenv(os.path.join(os.fspath(home), ".env")), extra, log)

    def _pattern(self, index: int):
        p = self._compiled.get(index)
        if p is None:
            import re

            p = self._compiled[index] = re.compile(_TOKEN_SHAPES[index][3])
        return p

    def text(self, s: str) -> str:
        """``s`` with every secret replaced."""
        if not s:
            return s
        for value, key in self._values:
            if value in s:
                s = s.replace(value, "[REDACTED:%s]" % key)
        low = None
        for i, (_, triggers, lower, _, keep) in enumerate(_TOKEN_SHAPES):
            if lower:
                if low is None:
                    low = s.lower()
                hit = any(t in low for t in triggers)
            else:
                hit = any(t in s for t in triggers)
            if not hit:
                continue
            pattern = self._pattern(i)
            if keep == 0:
                s = pattern.sub(REDACTED, s)
            else:
                s = pattern.sub(lambda m, k=keep: "".join(m.group(j) for j in range(1, k + 1)) + _quoted(m, k + 1), s)
            low = None
        for p in self._extra:
            s = p.sub(REDACTED, s)
        return s

    def head(self, s: str, need: int) -> str:
        """``s`` redacted, or as much of its beginning, redacted, as it
        takes to be longer than ``need`` characters (the caller then cuts
        it). Redaction comes before any cut: a cut token (``ghp_abc``) no
        longer matches its pattern and would be written as it is.

        What is redacted ends at a line end, so that no one-line secret
        is redacted in part (multi-line ones are private key blocks,
        matched to the end of the text when their end is missing, and
        .env values, matched line by line too). A line with no end near
        is redacted in a window whose last 4 KiB are dropped, where a
        secret cut by the window could begin."""
        if not s:
            return s
        end = need + _MARGIN
        while True:
            if end >= len(s):
                return self.text(s)
            cut = s.find("\n", end, end + 16 * _MARGIN)
            if cut >= 0:
                out = self.text(s[:cut])
            else:
                cut = end + _MARGIN
                out = self.text(s[:cut])
                if len(out) > _MARGIN:
                    out = out[: len(out) - _MARGIN]
                else:
                    out = ""
            if len(out) > need:
                return out
            # Redaction shrank it (a long key became [REDACTED]): take more.
            end = cut + max(end, _MARGIN)

    def clip(self, s: str, limit: int) -> str:
        """``s`` redacted, then cut to ``limit`` characters with ``…``:
        the redaction comes first, so that a cut never leaves a part of a
        secret that no pattern matches any more."""
        out = self.head(s, limit)
        return out if len(out) <= limit else out[: limit - 1].rstrip() + "…"

    def value(self, v, on_string=None, depth: int = 0):
        """A decoded JSON value with every string passed through
        ``on_string`` (default: :meth:`text`; the raw log also cuts long
        strings), and the string value of a key named like a secret
        (``password``, ``api_key``, ``authorization``...) replaced whole."""
        if on_string is None:
            on_string = self.text
        if isinstance(v, str):
            return on_string(v)
        if depth > 32:
            return "[nested too deep]"
        if isinstance(v, dict):
            out = {}
            for k, x in v.items():
                if isinstance(x, str) and x and isinstance(k, str) and _secret_key(k):
                    out[k] = REDACTED
                else:
                    out[k] = self.value(x, on_string, depth + 1)
            return out
        if isinstance(v, list):
            return [self.value(x, on_string, depth + 1) for x in v]
        return v


def _quoted(m, group: int) -> str:
    """The replacement of an assignment's value: quotes kept."""
    try:
        value = m.group(group)
    except IndexError:
        return REDACTED
    if value and value[0] in "\"'":
        return value[0] + REDACTED + value[0]
    return REDACTED
