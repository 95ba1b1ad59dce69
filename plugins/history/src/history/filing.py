"""Filing: rules that turn parts of a session into learnings, incidents and
decisions.

A rule is ``{category, pattern, on}``: its ``pattern`` (a Python regular
expression) is searched in the user's prompts (``on = "prompt"``), the
assistant's texts (``"assistant"``) or the text of the tools' error results
(``"error"``). A match files the paragraphs that match, with where they came
from, as ``<history>/<category>/YYYY-MM/<date>-<session>-<key>.md``, where
``key`` is a hash of the category, the session and the filed text: a text
is filed once per session and category however often Stop fires.
"""

from __future__ import annotations

import os

from . import store
from .summary import CATEGORY_WORDS, clip, code, path_for as summary_path

SOURCES = ("prompt", "assistant", "error")
MAX_EXCERPT = 4000


class Rule:
    __slots__ = ("category", "on", "pattern", "regex")

    def __init__(self, category, on, pattern, regex):
        self.category, self.on, self.pattern, self.regex = category, on, pattern, regex


def load_rules(cfg: dict, log) -> list:
    """The config's valid rules (bad ones are logged and skipped).

    The default rules live in one place, plugin.toml's ``[config.rules]``:
    paii always passes them in ``PAII_CONFIG`` when the user sets none. A
    config without ``rules`` (history run outside paii, without
    ``PAII_CONFIG``) files nothing.
    """
    import re

    raw = cfg.get("rules")
    if raw is None:
        return []
    if not isinstance(raw, list):
        log("rules is not an array; no filing")
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


def excerpt(text: str, regex) -> str:
    """The paragraphs of ``text`` that match (all of it when the match
    spans paragraphs), capped."""
    import re

    paragraphs = [p.strip() for p in re.split(r"\n[ \t]*\n", text.strip()) if p.strip()]
    kept = [p for p in paragraphs if regex.search(p)]
    body = "\n\n".join(kept) if kept else text.strip()
    return clip(body, MAX_EXCERPT)


def _existing(history, category: str) -> set:
    """``<session>-<key>.md`` of every entry already filed in ``category``."""
    names = set()
    base = os.path.join(os.fspath(history), category)
    try:
        months = os.listdir(base)
    except OSError:
        return names
    for m in months:
        try:
            for name in os.listdir(os.path.join(base, m)):
                if store.is_day(name):
                    names.add(name[11:])
        except OSError:
            pass
    return names


def candidates(session, rules: list):
    """``(rule, timestamp, source, text)`` for each rule match, in
    transcript order, rules in their order."""
    by_source = {
        "prompt": [(ts, "the user's prompt", t) for ts, t in session.prompts],
        "assistant": [(ts, "the assistant", t) for ts, t in session.assistant_texts],
        "error": [(ts, "an error of %s" % (tool or "a tool"), t) for ts, tool, t in session.errors],
    }
    for rule in rules:
        for ts, source, text in by_source[rule.on]:
            if rule.regex.search(text):
                yield rule, ts, source, excerpt(text, rule.regex)


def file_session(session, session_id: str, cwd: str, history, redactor, rules: list, now: float, log) -> list:
    """Files what the rules match; returns the paths written this time."""
    import hashlib

    from . import paii_plugin as paii

    sid = session_id or session.session_id or "unknown"
    short = store.safe_name(sid)[:8]
    written = []
    existing = {}
    day0 = session.first_time[:10] if store.is_day(session.first_time) else store.day_utc(now)
    for rule, ts, source, text in candidates(session, rules):
        text = redactor.text(text)
        key = hashlib.sha256(("%s\0%s\0%s" % (rule.category, sid, text)).encode("utf-8", "surrogatepass")).hexdigest()[:12]
        names = existing.get(rule.category)
        if names is None:
            names = existing[rule.category] = _existing(history, rule.category)
        name = "%s-%s.md" % (short, key)
        if name in names:
            continue
        day = ts[:10] if store.is_day(ts) else day0
        path = os.path.join(store.month_dir(history, rule.category, day), "%s-%s" % (day, name))
        word = CATEGORY_WORDS[rule.category]
        title = " ".join(text.splitlines()[0].split()) if text else ""
        bare = title.lstrip("*#_ ")
        if bare.lower().startswith(word.lower()):
            # "Decision: keep it" is titled "Decision: keep it", not "Decision: Decision: ...".
            title = bare[len(word):].lstrip("*_ ").lstrip(":").lstrip("*_ ") or title
        title = clip(title, 80)
        summary = os.path.relpath(summary_path(history, sid, day0), os.path.dirname(path))
        lines = [
            "# %s: %s" % (word, title),
            "",
            "- **Session:** %s" % code(sid),
        ]
        if ts:
            lines.append("- **When:** %s" % ts)
        lines.append("- **From:** %s" % source)
        if cwd or session.cwd:
            lines.append("- **Directory:** %s" % code(cwd or session.cwd))
        lines.append("- **Rule:** %s" % code(rule.pattern))
        lines.append("- **Session summary:** [%s](%s)" % (os.path.basename(summary), summary))
        lines += ["", text, ""]
        data = redactor.text("\n".join(lines))
        try:
            paii.atomic_write(path, data, mode=store.FILE_MODE)
        except OSError as e:
            log("cannot file a %s entry in %s: %s" % (rule.category, os.path.dirname(path), e))
            continue
        names.add(name)
        written.append(path)
    return written
