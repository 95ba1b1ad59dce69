"""Learnings, decisions and incidents, extracted from a whole session.

Sources: the user's prompts, the assistant's texts, and the tool calls
(an error that a later call of the same shape fixed). Deterministic and
local: patterns over sentences, no model (the optional model pass is in
``modelpass.py``).

A text is cut into units (paragraphs, list items, headings; fenced code,
block quotes and tables are left out) and sentences. Each sentence is
matched in a *view* where inline code, double-quoted text, paths, file
names and URLs are blanked, so that a keyword inside them (``incident.py``,
``grep "Decision:"``) is no statement. A sentence is skipped when it is a
question, or when what comes before the match makes it hypothetical
(``if``, ``would``, ``should we``...) or negated; a few patterns need a
scope (``everywhere``, ``from now on``, ``instead of``...) because without
one they are everyday narration (``let's use grep``). Items of a list under
a label (``Decisions:``, ``## Lessons learned``) are of that category.

Candidates are merged when they say the same thing (same category, and
nearly the same content words): a decision the user states and the
assistant repeats is one entry with two pieces of evidence.
"""

from __future__ import annotations

import re

CATEGORIES = ("learnings", "decisions", "incidents")
SOURCE_WORDS = {
    "prompt": "the user's prompt",
    "assistant": "the assistant",
    "error": "an error of a tool",
    "error+fix": "a tool error and its fix",
    "model": "the model pass (claude -p)",
}


def source_words(e) -> str:
    if e.source == "error":
        return "an error of %s" % (e.detail or "a tool")
    return SOURCE_WORDS.get(e.source, e.source)


MAX_STATEMENT = 600
MAX_QUOTE = 600

# ---------------------------------------------------------------- patterns
#
# (category, sources, needs_scope, needles, regex) over the view of a
# sentence, in this order of preference when two match at the same place.
# Every match holds one of its needles (lower case): a regex runs only on
# a sentence that holds one, and a text that holds none of all of them is
# not even cut into sentences (most of a long session's texts). A regex
# search costs about a microsecond per pattern and character; a needle
# test, a few nanoseconds.

_SUBJECT = r"(?P<subj>we|i|the team|our team|the whole team|everyone|we all|we both|team)"

_PATTERNS = [
    # -- decisions
    ("decisions", "pa", False, ('decision', 'policy'),
     r"^\W*(?:(?:final|key|architecture|architectural|design|team|our|the|new|one)\s+)?(?:decision|policy)"
     r"(?:\s+(?:made|record|taken|going forward|from now on)|\s+(?:from|for|on|about|of|in|after|at|by|we made|today)\b[^:：.!?]{1,60})?"
     r"\s*(?:#?\d+\s*)?[:：\-–—]\s*(?P<rest>\S.*)"),
    ("decisions", "pa", False, ('decided', 'agreed', 'settled on', 'opted', 'went with', 'committed to', 'standardized on', 'standardised on', 'chose', 'chosen', 'picked'),
     r"\b" + _SUBJECT + r"(?:'ve|'d)?\s+(?:(?:have|had|just|finally|all|both|already|now|jointly|collectively|also|then|"
     r"eventually|ultimately|unanimously|\w+ly)\s+)*"
     r"(?:decided|agreed|settled on|opted (?:for|to)|went with|committed to|standardi[sz]ed on|chose|have chosen|picked)\b"),
    ("decisions", "p", False, ("let's", 'lets'), r"\blet'?s\s+(?:just\s+)?(?:go with|stick with|standardi[sz]e on|settle on|agree)\b"),
    # A user's sentence that says "from now on" sets a convention, whatever
    # its verb ("pin base images by digest from now on").
    ("decisions", "p", False, ('going forward', 'from now on', 'from here on', 'henceforth', 'moving forward'), r"\b(?:going forward|from now on|from here on(?: out)?|henceforth|moving forward)\b"),
    ("decisions", "p", False, ('going with', 'sticking with', 'switching to', 'moving to', 'standardizing on', 'standardising on', 'dropping support', 'deprecating', 'migrating to'),
     r"\bwe(?:'re| are)\s+(?:going with|sticking with|switching to|moving to|standardi[sz]ing on|dropping support for|"
     r"deprecating|migrating to)\b"),
    ("decisions", "pa", False, ('decision', 'consensus', 'agreement', 'plan of record'),
     r"\b(?:the|our)\s+(?:decision|consensus|agreement|plan of record)\s+(?:is|was|has been)\s+(?:to|that)\b"),
    ("decisions", "pa", False, ('going forward', 'from now on', 'from here on', 'henceforth', 'moving forward', 'as a rule'),
     r"\b(?:going forward|from now on|from here on(?: out)?|henceforth|moving forward|as a rule)\b\s*[,:;—–-]?\s*"
     r"(?:we(?:'ll| will| should| must| always| never)?|let'?s|let us|always|never|please|use|prefer|avoid|all|every|"
     r"only|don'?t|do not|make sure|keep|stop|the rule)\b"),
    ("decisions", "pa", False, ('going forward', 'from now on', 'from here on', 'henceforth', 'moving forward'),
     r"\b(?:always|never|use|prefer|avoid|we(?:'ll| will| must)|let'?s)\b[^.!?]{0,160}?\b"
     r"(?:going forward|from now on|from here on|henceforth|moving forward)\b"),
    ("decisions", "pa", False, ('over', 'instead of', 'rather than'),
     r"\b(?P<subj>we|i|the team|let'?s)\b[^.!?]{0,40}?\b(?:chose|chosen|picked|went with|are going with|'re going with|"
     r"will go with|'ll go with|opted for|settled on|decided on|go with|prefer(?:red)?)\s+[^.!?]{1,80}?\s+"
     r"(?:over|instead of|rather than)\s+\S"),
    ("decisions", "p", False, ('over', 'instead of', 'rather than'),
     r"\b(?:let'?s|we(?:'ll| will| should))\s+(?:always\s+|just\s+)?use\s+[^.!?]{1,60}?\s+(?:over|instead of|rather than)\s+\S"),
    ("decisions", "pa", True, ("let's", 'lets', "we'll", 'we will', 'we are going', "we're going", 'we shall', 'we must'),
     r"\b(?:let'?s|we(?:'ll| will| are going to|'re going to| shall| must))\s+(?:always\s+|only\s+|just\s+|now\s+)?"
     r"(?:use|go with|stick with|switch to|move to|adopt|prefer|keep using|stop using|avoid|require|run|put|write|store|"
     r"standardi[sz]e on|keep)\b"),
    ("decisions", "p", True, ('we should',),
     r"\bwe\s+should\s+(?:always|never|only)\b"),
    ("decisions", "pa", True, ("we're", 'we are'), r"\bwe(?:'re| are)\s+(?:now\s+)?(?!going\b|trying\b|seeing\b|getting\b|looking\b|waiting\b)\w+ing\b"),
    ("decisions", "p", True, ('always', 'never', 'prefer'), r"^\W*(?:always|never|prefer|please always|please never)\s+\w+"),
    # -- learnings
    ("learnings", "pa", False, ('til',), r"(?-i:\bTIL\b)\s*[:,\-–—]?\s*(?P<rest>\S.*)"),
    ("learnings", "pa", False, ('learned',),
     r"\btoday i learned\b|\b(?:i|we)(?:'ve| have)?\s+(?:just\s+|finally\s+)?learned\s+(?:that|the hard way|today|something)\b"
     r"|\blearned the hard way\b"),
    ("learnings", "pa", False, ('lesson',), r"\blessons?\s+learned\b|\bthe\s+(?:main\s+|key\s+|big\s+|real\s+)?lesson(?:\s+here)?\s+(?:is|was)\b"
     r"|^\W*(?:(?:one|another|a|the|key|main|big)\s+)?lessons?(?:\s+(?:for|from|of|about|here|today)\b[^:：.!?]{0,40})?\s*[:：\-–—]\s*\S"),
    ("learnings", "pa", False, ('takeaway',), r"\b(?:key\s+)?takeaways?\s*:\s*\S|\bthe\s+(?:main\s+|key\s+)?takeaway\s+(?:is|was|here)\b"),
    ("learnings", "pa", False, ('turns out', 'turned out'),
     r"\b(?:it|this|that|which)?\s*turn(?:s|ed)\s+out\s+(?!to be (?:fine|ok|okay|great|good|easy|simple|nothing)\b)"
     r"(?:that\s+)?\S+\s+\S+"),
    ("learnings", "pa", False, ('worth',), r"\bworth (?:remembering|noting|knowing|keeping in mind)\b"),
    ("learnings", "pa", False, ('note to self', 'future reference', 'note for the future'), r"\bnote to self\b|\bfor future reference\b|\bnote for the future\b"),
    ("learnings", "pa", False, ('remember', 'keep in mind', 'to know'),
     r"^\W*(?:please\s+|always\s+|just\s+)?remember(?:\s+that|\s*:|,)\s+\S|^\W*keep in mind(?:\s+that|\s*:)\s+\S"
     r"|\b(?:important|useful|good) to (?:remember|know)(?:\s+that|\s*:)\s+\S"),
    ("learnings", "pa", False, ('gotcha',),
     r"\b(?:a|one|the|another|big|main|known|nasty|subtle|classic)\s+gotcha\b|^\W*gotchas?\s*[:：\-–—]\s*\S"
     r"|\bgotcha\s+(?:is|was|here|with)\b"),
    ("learnings", "pa", False, ('fix', 'solution', 'workaround', 'trick', 'answer'),
     r"\bthe\s+(?:real\s+|actual\s+|eventual\s+|final\s+)?(?:fix|solution|workaround|trick|answer)\s+"
     r"(?:was|turned out to be|ended up being|here was)\b"),
    ("learnings", "p", False, ('fix', 'solution', 'workaround', 'trick'),
     r"\bthe\s+(?:real\s+|actual\s+)?(?:fix|solution|workaround|trick)\s+(?:is to|is that|is:|is simply|is just)\s+\S"),
    ("learnings", "pa", False, ('cause', 'culprit', 'problem', 'issue', 'bug'),
     r"\broot[- ]cause\s*(?:was|is|turned out|ended up|:)\s*\S|\bthe\s+(?:real\s+|actual\s+)?(?:culprit|cause|problem|issue|bug)"
     r"\s+(?:was|turned out to be|ended up being)\s+(?:that\s+)?\S|\b(?:was|were)\s+(?:actually\s+)?caused\s+by\b"),
    ("learnings", "pa", False, ('reason',),
     r"\bthe\s+(?:real\s+|actual\s+)?reason\s+[^.!?:]{1,60}?\s+(?:was|were|is|kept)\s+(?:so\s+)?(?:flaky|failing|broken|slow|"
     r"crashing|hanging|down|timing out|red|empty|wrong)\b"),
    ("learnings", "p", False, ('apparently',), r"(?:^|[,;:]\s*|\b(?:huh|oh|so|ok|okay|wow)\W+)apparently,?\s+\S+\s+\S+\s+\S+"),
    ("learnings", "p", False, ('fyi',), r"^\W*fyi\b[,:]?\s+\S+\s+\S+\s+\S+"),
    ("learnings", "pa", False, ('found it',), r"^\W*found it\s*[:—–-]\s*\S+\s+\S+"),
    ("learnings", "p", "weak", ('important', 'note', 'nb', 'n.b.', 'heads', 'tip'), r"^\W*(?:important|note|nb|n\.b\.|heads[- ]up|pro tip|tip)\s*:\s*\S+\s+\S+\s+\S+"),
    ("learnings", "p", False, ('fixed', 'solved', 'resolved'), r"\b(?:i|we)\s+(?:finally\s+)?(?:fixed|solved|resolved)\s+(?:it|this|that|the \w+(?: \w+)?)\s+by\s+\w+"),
    # -- incidents
    ("incidents", "pa", False, ('down', 'offline', 'unavailable', 'unreachable', 'on fire', 'dead'),
     r"\b(?:prod|production|the (?:live )?site|our site|the website|live)\s+(?:is|was|went|has been|'s|is still|seems(?: to be)?)\s+"
     r"(?:completely\s+|fully\s+|partially\s+|totally\s+)?(?:down|offline|unavailable|unreachable|on fire|dead)\b"),
    ("incidents", "pa", False, ('outage', 'downtime'), r"(?<![\w-])(?:outage|unplanned downtime)(?![\w-])"),
    ("incidents", "pa", False, ('down', 'unavailable', 'unreachable', 'offline'),
     r"\b(?:was|went|were|has been|have been)\s+(?:down|unavailable|unreachable|offline)\s+for\s+(?:about\s+|~\s*|over\s+|almost\s+|"
     r"nearly\s+)?(?:an?|\d+|half an|two|three|several)\s*(?:hours?|minutes?|mins?|h|m|days?)\b"),
    ("incidents", "pa", False, ('customer', 'users', 'incident'),
     r"\b(?:customers?|users)\s+(?:noticed|were (?:affected|impacted)|complained|got errors)\b"
     r"|\b(?:write|writing|wrote|written|log|logging|file|filing|treat|treating)\s+(?:it|this)\s+(?:up\s+)?as\s+an?\s+incident\b"),
    ("incidents", "pa", False, ('sev', 'incident'), r"(?<![\w/.-])(?:sev|severity)[- ]?[0-2](?![\w/-])|\bp[0-2]\s+incident\b"),
    ("incidents", "pa", False, ('paged', 'paging', 'pager'),
     r"\b(?:got|get|getting|been|was|were|am|are|is|just)\s+paged\b|\bpag(?:ed|ing)\s+(?:the\s+)?on-?call\b"
     r"|\bpager(?:duty)?\s+(?:alert\s+|page\s+)?(?:went off|fired|is going off|triggered|woke)\b"
     r"|\bon-?call\s+(?:got|was|has been|is being)\s+paged\b"),
    ("incidents", "pa", False, ('data loss', 'lost', 'corrupt', 'wiped', 'deleted'),
     r"\bdata loss\b|\blost\s+(?:customer\s+|user\s+|production\s+|prod\s+|some\s+|all\s+)?(?:data|records|rows|writes|orders|events|payments)\b"
     r"|\b(?:data|records|rows)\s+(?:was|were|got|has been|have been)\s+(?:lost|corrupted|wiped|deleted)\b"
     r"|\bcorrupted\s+(?:the\s+)?(?:prod(?:uction)?\s+)?(?:data|database|db|tables?)\b"),
    ("incidents", "pa", False, ('incident', 'inc', 'mortem'),
     r"\b(?:declared|declare|opened|open(?:ing)?|raised|ongoing|active|major|security|production|prod|p[0-2])\s+(?:an?\s+)?incident\b"
     r"|\bincident\s+(?:#\s*)?\d+|\bincident\s+(?:declared|opened|is ongoing|in progress|is open|commander|bridge)\b"
     r"|\b(?:we(?:'re| are)|i'?m)\s+(?:in|handling|having|working)\s+(?:an?|the)\s+incident\b"
     r"|\bthere(?:'s| is| was)\s+an?\s+(?:\w+\s+)?incident\b|(?-i:\bINC-?\d{3,}\b)|\bpost-?mortem\s+(?:for|of|on|about)\b"),
    ("incidents", "p", False, ('prod',),
     r"\b(?:in|on)\s+prod(?:uction)?\b[^.!?]{0,80}?\b(?:5\d\d|5xx|down|crash(?:ing|ed|-?looping)|erroring|failing|timing out|on fire|OOM)"
     r"|\b(?:5\d\d|5xx|crash(?:ing|ed|-?looping)|erroring|failing|timing out|OOM(?:-?killed)?|bug|regression|leak)\b[^.!?]{0,60}?"
     r"\b(?:in|on)\s+prod(?:uction)?\b"),
]

# What before a match makes it no statement: a condition, a wish, a
# question, an opinion, a proposal, or (for incidents) a precaution.
_HYPOTHETICAL = re.compile(
    r"(?i)\b(?:if|unless|whether|suppose|supposing|imagine|what if|in case|assuming|would|could|might|may|maybe|perhaps|"
    r"possibly|probably|consider|considering|thinking about|wonder|wondering|not sure|unsure|i think|i guess|"
    r"do you think|should i|should we|can we|could we|shall we|ask(?:ed|ing)? (?:whether|if)|propos(?:e|al|ing)|suggest(?:ed|ion|ing)?|"
    r"alternatively|once|before|until|hypothetical(?:ly)?|pretend|let me know|to see|to check|try to|trying to|"
    r"haven'?t|hasn'?t|didn'?t|don'?t|doesn'?t|not yet|no longer|never|nobody|no one|instead of deciding|example|e\.g\.|"
    r"for instance|such as|like when|template|placeholder|how|see if|see whether)\b|\bwe'd\b|\bi'd\b"
)
_PRECAUTION = re.compile(
    r"(?i)\b(?:avoid|avoids|avoiding|prevent|prevents|preventing|without|zero|minimi[sz]e|reduce|risk|guard(?:s|ing)? against|"
    r"protect(?:s|ing)? against|simulat\w*|drill|chaos|tabletop|test(?:s|ing)? for|in the event of|handle|handles|"
    r"handling|recover(?:y|ing)? from|runbook|playbook|template|docs?|documentation|readme|describ\w+|explain\w*|"
    r"planned|scheduled|maintenance)\b|\b(?:no|not|never had|never)\s+(?:\w+\s+)?$"
)
_PRECAUTION_AFTER = re.compile(r"(?i)^\W*(?:\w+\W+)?(?:drills?|simulations?|runbooks?|playbooks?|templates?|tests?|docs?|prevention|window)\b")
_QUESTION_START = re.compile(
    r"(?i)^\W*(?:should|shall|could|would|can|do|does|did|is|are|was|were|will|what|which|why|how|when|where|who|whether|"
    r"have|has|any|anyone|any idea)\b"
)
# What makes "we'll use X" a decision rather than the next step of a task.
_SCOPE = {
    "assistant": re.compile(
        r"(?i)\b(?:everywhere|from now on|going forward|moving forward|henceforth|from here on|by default|as (?:the|our) "
        r"(?:standard|default|rule)|always|never|ever|forever|permanently|project-wide|repo-wide|company-wide|team-wide|as a rule|"
        r"for good)\b"
    ),
}
_SCOPE["prompt"] = re.compile(_SCOPE["assistant"].pattern[:-3] + r"|instead of|rather than)\b")
# A unit that only names what the list after it is.
_LABEL = re.compile(
    r"(?i)^\W*(?:(?:key|final|main|important|new|our|the)\s+)*"
    r"(?P<label>decisions?(?:\s+(?:made|taken|so far))?|learnings?|lessons?(?:\s+learned)?|takeaways?|gotchas|(?-i:TIL)|"
    r"things (?:we|i) learned)\s*:?\W*$"
)
_LABEL_CATEGORY = (("decision", "decisions"),)
# A heading whose first paragraph is a learning (an assistant's write-up).
_CAUSE_HEADING = re.compile(r"(?i)^\W*(?:the\s+)?(?:root\s+cause|cause|what went wrong|why it (?:broke|failed)|diagnosis)\W*$")

_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_CODE_SPAN = re.compile(r"`+[^`\n]*`+")
_QUOTED = re.compile(r'"[^"\n]{0,400}"|“[^”\n]{0,400}”')
_PATHISH = re.compile(
    r"(?i)\b[a-z][a-z0-9+.-]*://\S+|(?:[\w.~-]*/)+[\w.-]+|\b[\w-]+\.(?:py|rs|js|ts|tsx|jsx|go|rb|java|md|txt|json|jsonl|ya?ml|toml|"
    r"cfg|ini|sh|sql|log|csv|html|css|lock|env|conf|tf|proto|c|h|cpp|hpp|kt|swift|php|ex|exs)\b|\b\w+(?:_\w+)+\b"
)
_TAGS = re.compile(r"(?s)<(system-reminder|command-[a-z]+|local-command-[a-z]+|bash-[a-z]+)>.*?</\1>")
# People write sentences in lower case too; abbreviations are checked apart.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]*_]*\s+(?=[A-Za-z0-9\"“‘(\[`*_])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "cf.", "mr.", "dr.", "no.", "approx.", "incl.", "fig.", "st.")
_ANAPHORA = re.compile(r"(?i)^\W*(?:that|this|it)(?:'s|\s+is|\s+was|\s+will be)\b")
_CONTINUATION = re.compile(
    r"(?i)^\W*(?:because|since|so that|that way|this (?:means|way|is because|keeps|avoids)|the reason|otherwise|"
    r"which means|as it|as they|it (?:is|was|'s) (?:faster|simpler|cheaper|safer|because))\b"
)

_STOP = frozenset(
    """a an the and or but if of to in on at for from by with as is are was were be been being it its it's this that these those
    we i you he she they our my your their us me them let let's lets we'll we're we've i'll i'm i've 'll going forward now
    from here on henceforth moving decided decide decision decisions agreed agree chose chosen choose picked pick opted
    settled went go with will would should shall must just also so then than over instead rather til today learned learn
    lesson lessons learnt note self worth remembering remember mind gotcha turns turned out fix fixed solution workaround
    trick root cause caused culprit problem issue bug was has have had do does did can could may might please okay ok yes
    sure got it understood noted right alright great good thanks thank all everyone team key final takeaway takeaways
    that's there there's here's what which who how when where why very really actually""".split()
)

_NEGATIONS = frozenset(("not", "never", "no", "without", "avoid", "stop", "drop", "nor"))

_compiled = None
_gate = None


def _gated(text: str) -> bool:
    """Whether any pattern could match in ``text`` (or a label or a cause
    heading be in it)."""
    global _gate
    if _gate is None:
        words = {n for _, _, _, needles, _ in _PATTERNS for n in needles}
        words.update(("learning", "what went wrong", "why it", "diagnosis"))
        # A needle that holds another is redundant.
        _gate = tuple(sorted(w for w in words if not any(o != w and o in w for o in words)))
    low = text.lower().replace("’", "'")
    for n in _gate:
        if n in low:
            return True
    return False


def _patterns():
    global _compiled
    if _compiled is None:
        _compiled = [(c, s, scope, needles, re.compile(p, re.I)) for c, s, scope, needles, p in _PATTERNS]
    return _compiled


class Evidence:
    __slots__ = ("source", "time", "quote", "detail")

    def __init__(self, source, time, quote, detail=""):
        self.source, self.time, self.quote, self.detail = source, time, quote, detail

    def as_dict(self) -> dict:
        d = {"source": self.source, "time": self.time, "quote": self.quote}
        if self.detail:
            d["detail"] = self.detail
        return d


class Candidate:
    """An entry to file: ``statement`` (one line, redacted) titles it,
    ``body`` (redacted) is its text, ``evidence`` where it was seen."""

    __slots__ = ("category", "statement", "body", "evidence", "rule", "tokens", "norm")

    def __init__(self, category, statement, body, evidence, rule=None):
        self.category = category
        self.statement = statement
        self.body = body
        self.evidence = list(evidence)
        self.rule = rule
        self.norm = normalise(statement)
        self.tokens = tokens(self.norm)

    def sources(self) -> list:
        out = []
        for e in self.evidence:
            if e.source not in out:
                out.append(e.source)
        return out

    def time(self) -> str:
        times = [e.time for e in self.evidence if e.time]
        return min(times) if times else ""


# ---------------------------------------------------------------- text


def normalise(statement: str) -> str:
    """The statement as compared: lower case, words only, its labels
    (``Decision:``, ``TIL``...) and contractions gone."""
    s = statement.lower().replace("’", "'")
    s = re.sub(r"^\W*(?:(?:final|key|the|our)\s+)?(?:decision|til|lesson(?:s)? learned|lesson|learning|incident|gotcha|"
               r"note to self|takeaway)s?\s*[:：\-–—]\s*", "", s)
    s = re.sub(r"n't\b", " not", s)
    s = re.sub(r"'(?:ll|re|ve|d|s|m)\b", "", s)
    return " ".join(re.findall(r"[a-z0-9][a-z0-9_.+#-]*[a-z0-9+#]|[a-z0-9]", s))


def tokens(norm: str) -> frozenset:
    out = set()
    for w in norm.split():
        if w in _STOP:
            continue
        if len(w) > 4 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.add(w)
    return frozenset(out)


def same(a: frozenset, b: frozenset, norm_a: str = "", norm_b: str = "") -> bool:
    """Whether two statements say the same thing: equal, or nearly all the
    content words of the shorter are in the longer (two at least, so that
    "use X" is not "never use X for Y")."""
    if norm_a and norm_a == norm_b:
        return True
    if not a or not b:
        return False
    if bool(a & _NEGATIONS) != bool(b & _NEGATIONS):
        return False
    common = len(a & b)
    return common >= 2 and common >= 0.8 * min(len(a), len(b)) and common >= 0.5 * max(len(a), len(b))


def _clean(text: str) -> str:
    """A unit as a statement: one line, markdown marks and list markers
    gone."""
    t = _LIST_ITEM.sub("", text, count=1)
    t = _HEADING.sub("", t, count=1)
    t = t.replace("**", "").replace("__", "")
    t = re.sub(r"(?<!\w)[*_](\S[^*_\n]*?)[*_](?!\w)", r"\1", t)
    return " ".join(t.split())


def view_of(sentence: str) -> str:
    """What is matched: code, quotations, paths and URLs blanked (each
    by a word that no pattern holds), curly apostrophes straightened."""
    v = sentence.replace("’", "'").replace("‘", "'")
    v = _CODE_SPAN.sub(" CODE ", v)
    v = _QUOTED.sub(" QUOTE ", v)
    v = _PATHISH.sub(" PATH ", v)
    return v


def _split_sentences(text: str) -> list:
    out, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        before = text[start : m.start()].rsplit(None, 1)
        if before and before[-1].lower().rstrip("\"')]*_") in _ABBREVIATIONS:
            continue
        out.append(text[start : m.start()].strip())
        start = m.end()
    out.append(text[start:].strip())
    return [s for s in out if s]


class Unit:
    """One paragraph, list item or heading of a text, and the category its
    place gives it (an item of a "Decisions:" list), if any."""

    __slots__ = ("text", "item", "label")

    def __init__(self, text, item, label):
        self.text, self.item, self.label = text, item, label


def units(text: str) -> list:
    """The units of ``text``: code blocks, block quotes, tables and
    indented code left out; each list item and heading on its own."""
    text = _TAGS.sub(" ", text)
    out = []
    fence = None
    current = None
    label = None  # of the list being read; "cause" after a cause heading

    def close():
        nonlocal current
        if current is not None:
            out.append(current)
            current = None

    for raw in text.splitlines():
        s = raw.strip()
        if fence is not None:
            if s.startswith(fence):
                fence = None
            continue
        if s.startswith("```") or s.startswith("~~~"):
            close()
            fence = s[:3]
            continue
        if not s:
            close()
            continue
        if s.startswith(">") or s.startswith("|") or raw.startswith("\t") or (raw.startswith("    ") and not _LIST_ITEM.match(raw)):
            close()
            continue
        heading = bool(_HEADING.match(raw))
        item = bool(_LIST_ITEM.match(raw))
        if not (heading or item) and current is not None and (not current.item or raw[:1] in " \t"):
            current.text += " " + s  # the same paragraph, or the item's next line
            continue
        close()
        if heading:
            label = "cause" if _CAUSE_HEADING.match(_clean(s)) else None
            if label:
                continue
        if label == "cause":
            # What comes first under a "Root cause" heading: its first
            # sentence is the learning.
            current = Unit(s, item, "learnings-first")
            label = None
            continue
        if not item and not heading:
            label = None  # a paragraph ends the labelled list
        m = _LABEL.match(_clean(s))
        if m and (heading or s.rstrip("*_ ").endswith(":") or s.startswith("**")):
            label = _label_category(m.group("label"))
            continue
        current = Unit(s, item, label if item else None)
    close()
    return out


def _label_category(label: str) -> str:
    low = label.lower()
    for word, category in _LABEL_CATEGORY:
        if word in low:
            return category
    return "learnings"


def _question(view: str) -> bool:
    v = view.rstrip(" \"')]*_`")
    return v.endswith("?") or bool(_QUESTION_START.match(v))


def _content_words(text: str) -> int:
    return len(tokens(normalise(text)))


def classify(sentence: str, source: str, label=None):
    """``(category, match start)`` of one sentence from ``source``
    ("prompt" or "assistant"), or None."""
    view = view_of(sentence)
    if _question(view):
        return None
    code = source[0]
    best = None
    weak = None
    low = view.lower()
    for category, sources, needs_scope, needles, regex in _patterns():
        if code not in sources:
            continue
        for n in needles:
            if n in low:
                break
        else:
            continue
        m = regex.search(view)
        if m is None:
            continue
        if needs_scope == "weak":
            # A bare label ("note: ..."): only when nothing else matches.
            if weak is None and not _HYPOTHETICAL.search(view[: m.start()]):
                weak = (category, m.start())
            continue
        if best is not None and m.start() >= best[1]:
            continue
        before = view[: m.start()]
        if _HYPOTHETICAL.search(before):
            continue
        if category == "incidents" and (_PRECAUTION.search(before) or _PRECAUTION_AFTER.match(view[m.end() :])):
            continue
        subj = m.groupdict().get("subj")
        if subj and subj.lower() == "i" and source == "assistant":
            # The assistant's "I decided to use a dict" narrates its work.
            continue
        if needs_scope and not _SCOPE[source].search(view):
            continue
        rest = m.groupdict().get("rest")
        if rest is not None and re.match(r"(?i)\W*(?:tbd|todo|pending|open|none|n/a|undecided|unknown|\?)\W*$", rest):
            continue
        best = (category, m.start())
    if best is None:
        best = weak
    if best is None and label is not None:
        if _HYPOTHETICAL.search(view[:40]) is None:
            best = (label.replace("-first", ""), 0)
    return best


_TITLE_LABELS = {
    "decisions": r"(?:(?:final|key|the|our)\s+)?decisions?",
    "learnings": r"(?:TIL|lessons?\s+learned|lesson|learnings?|gotchas?|note to self|(?:key\s+)?takeaways?)",
    "incidents": r"incidents?",
}


def _strip_label(statement: str, category: str) -> str:
    """"Decision: keep it" is titled "keep it" (under "Decision")."""
    m = re.match(r"(?i)^\W*" + _TITLE_LABELS[category] + r"\s*[:：\-–—]\s*(?=\S)", statement)
    return statement[m.end() :] if m else statement


def title_of(candidate) -> str:
    return _strip_label(candidate.statement, candidate.category) or candidate.statement


# ---------------------------------------------------------------- sources


def _from_texts(items, source: str, redactor, out: list) -> None:
    for ts, text in items:
        if not _gated(text):
            continue
        # Redacted whole before it is cut into sentences, cleaned of its
        # markdown or its spaces: a secret changed first would not match.
        text = redactor.text(text)
        for unit in units(text):
            sentences = _split_sentences(_clean(unit.text))
            for si, sentence in enumerate(sentences):
                label = unit.label if not (unit.label or "").endswith("-first") or si == 0 else None
                if label is None and (len(sentence) > 4 * MAX_STATEMENT or not _gated(sentence)):
                    continue
                hit = classify(sentence, source, label)
                if hit is None:
                    continue
                if si > 0 and _ANAPHORA.match(sentence) and _content_words(sentence) < 3:
                    # "that's the standard from now on": what "that" is
                    # was said just before.
                    sentence = sentences[si - 1] + " " + sentence
                if _content_words(sentence) < 2:
                    continue
                body = sentence
                if si + 1 < len(sentences) and _CONTINUATION.match(sentences[si + 1]):
                    body = sentence + " " + sentences[si + 1]
                statement = redactor.clip(sentence, MAX_STATEMENT)
                out.append(Candidate(hit[0], statement, redactor.clip(body, 2 * MAX_STATEMENT),
                                     [Evidence(source, ts, redactor.clip(sentence, MAX_QUOTE))]))


# An error about how a tool was called, or about its environment: what a
# later, different call can fix (unlike a failing test, fixed in code).
_INVOCATION_ERROR = re.compile(
    r"(?im)^.*(?:command not found|: not found\b|no such file or directory|no module named|modulenotfounderror|importerror|"
    r"cannot find module|unrecognized (?:arguments?|options?)|unknown (?:option|flag|command|subcommand|argument|shorthand flag)|"
    r"invalid (?:option|argument|choice|value)|unexpected argument|requires? an? (?:value|argument)|missing required|"
    r"no such (?:option|command)|usage:|permission denied|eacces|operation not permitted|not a git repository|"
    r"externally-managed-environment|is not installed|not recognized as|connection refused|address already in use|"
    r"could not (?:find|resolve|connect)|couldn't find|failed to connect|did you mean|non-fast-forward|\[rejected\]|"
    r"is not a valid|not supported|unsupported|version mismatch|requires python|no matching distribution|"
    r"authentication failed|could not read username|enoent|eaddrinuse|missing script|not installed|incompatible|"
    r"does not exist|missing go\.sum entry|go\.mod needed|cannot open shared object file|linker `?\w+`? not found|"
    r"(?:lock ?file|lockfile)\b.*(?:out of date|needs to be updated|outdated)|"
    r"\b(?:401|403|404|410)\s+(?:unauthorized|forbidden|not found|gone))\b.*$"
)
_GENERIC_ERROR = re.compile(
    r"(?i)^(?:(?!no module named|modulenotfounderror|cannot open shared object|linker).)*"
    r"(?:no such file or directory|importerror|: not found|does not exist|usage:|not supported|unsupported)"
)
_TRIVIAL = frozenset("ls cat echo pwd which head tail grep rg find wc stat file type cd true test".split())
_RUNNERS = {
    "uv": ("run", "tool"), "poetry": ("run",), "pipenv": ("run",), "npx": (), "pnpx": (), "bunx": (),
    "bundle": ("exec",), "sudo": (), "env": (), "time": (), "nice": (), "exec": (), "command": (),
}
_MULTIPLEXERS = frozenset(
    "git npm yarn pnpm bun cargo go uv pip pip3 poetry docker kubectl helm make gh terraform dotnet mvn gradle rustup "
    "brew apt apt-get systemctl conda mix bundle rails rake composer".split()
)


def shape(name: str, arg: str) -> str:
    """What makes two calls the same kind: a tool, and for Bash the program
    (and its subcommand: ``git push``, ``npm run``), through runners
    (``uv run pytest`` is ``pytest``)."""
    if name != "Bash":
        return name
    for segment in re.split(r"&&|\|\||;|\|", arg):
        words = segment.split()
        while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]
        if not words or words[0] == "cd":
            continue
        while words:
            while words and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
                words = words[1:]
            if not words:
                break
            prog = words[0].rsplit("/", 1)[-1]
            if prog in ("python", "python3") and len(words) > 2 and words[1] == "-m":
                return words[2]
            if prog in _RUNNERS:
                subs = _RUNNERS[prog]
                rest = [w for w in words[1:] if not w.startswith("-")]
                if subs and rest and rest[0] in subs:
                    rest = rest[1:]
                elif subs:
                    break
                words = rest
                continue
            break
        if not words:
            continue
        prog = words[0].rsplit("/", 1)[-1]
        if prog in _MULTIPLEXERS:
            sub = next((w for w in words[1:] if not w.startswith("-")), "")
            return ("%s %s" % (prog, sub)).strip()
        return prog
    return "Bash"


def _error_line(text: str) -> str:
    """The telling line of an error: one that says what is wrong with the
    call or its environment, a specific one before a generic one (``No
    module named x`` over ``ImportError while loading conftest``)."""
    text = text.replace("<tool_use_error>", "").replace("</tool_use_error>", "")
    generic = None
    for m in _INVOCATION_ERROR.finditer(text):
        line = re.sub(r"^E\s{2,}", "", m.group(0).strip())  # pytest's marker
        if not _GENERIC_ERROR.search(line):
            return line
        if generic is None:
            generic = line
    if generic:
        return generic
    for line in text.splitlines():
        if line.strip() and not line.startswith("Exit code"):
            return line.strip()
    return ""


def _cmd(call) -> str:
    first = call.arg.strip().splitlines()[0] if call.arg.strip() else ""
    return first


def error_fixes(session, redactor, out: list) -> None:
    """A failed call whose error is about the invocation or environment,
    then a later successful call of the same shape: a learning. The fix is
    the successful call when it differs from the failed one; else the
    calls in between that changed something (an install, a chown), and
    without any, there is nothing to learn (the fix was elsewhere)."""
    pending = {}
    calls = session.calls
    for i, call in enumerate(calls):
        if call.ok is None:
            continue
        key = shape(call.name, call.arg)
        if call.ok is False:
            if "<tool_use_error>" in call.error or (call.name != "Bash" and not call.name.startswith("mcp__")):
                continue
            if call.name == "Bash" and key.split(" ", 1)[0] in _TRIVIAL:
                continue  # `ls build/` then `ls dist/` teaches nothing
            if _INVOCATION_ERROR.search(call.error):
                pending.setdefault(key, (i, call))
            continue
        found = pending.pop(key, None)
        if found is None:
            continue
        j, failed = found
        if call.name == "Bash" and call.arg.strip() == failed.arg.strip():
            between = [c for c in calls[j + 1 : i] if c.name == "Bash" and c.ok and shape("Bash", c.arg) not in _TRIVIAL
                       and shape("Bash", c.arg) != key]
            if not between:
                continue
            fix = "; ".join("`%s`" % redactor.clip(_cmd(c), 200).replace("`", "'") for c in between[:3])
            fix_text = "after %s, `%s` worked" % (fix, redactor.clip(_cmd(call), 200).replace("`", "'"))
        elif call.arg.strip() == failed.arg.strip():
            continue
        else:
            fix_text = "`%s` worked" % redactor.clip(_cmd(call), 200).replace("`", "'")
        line = redactor.clip(_error_line(failed.error), 300)
        what = redactor.clip(_cmd(failed), 200).replace("`", "'")
        statement = "%s failed with \"%s\"; %s" % ("`%s`" % what if what else failed.name, line, fix_text)
        statement = redactor.clip(statement, MAX_STATEMENT)
        body = "`%s` (%s) failed:\n\n    %s\n\nThe fix: %s." % (what, failed.name, line, fix_text)
        out.append(Candidate("learnings", statement, body, [
            Evidence("error+fix", failed.result_time or failed.time, line, "error of %s: `%s`" % (failed.name, what)),
            Evidence("error+fix", call.result_time or call.time, fix_text, "fix"),
        ]))


def from_rules(session, rules: list, redactor, out: list) -> None:
    """The user's rules (``[config] rules``): a rule's pattern, searched in
    its source, files the matching sentences (a tool error: its first
    line) under its category."""
    by_source = {
        "prompt": [(ts, "prompt", t) for ts, t in session.prompts],
        "assistant": [(ts, "assistant", t) for ts, t in session.assistant_texts],
    }
    for rule in rules:
        if rule.on == "error":
            for ts, tool, text in session.errors:
                if rule.regex.search(text):
                    line = redactor.clip(_error_line(text) or text.strip(), MAX_STATEMENT)
                    quote = redactor.clip(text.strip(), 2 * MAX_QUOTE)
                    out.append(Candidate(rule.category, line, quote, [Evidence("error", ts, quote, tool)], rule.pattern))
            continue
        for ts, source, text in by_source[rule.on]:
            if not rule.regex.search(text):
                continue
            text = redactor.text(text)
            hits = []
            for unit in units(text) or [Unit(text, False, None)]:
                for sentence in _split_sentences(_clean(unit.text)):
                    if rule.regex.search(sentence):
                        hits.append(sentence)
            if not hits:
                # The match spans sentences (or sits in code): the text.
                hits = [" ".join(text.split())]
            for sentence in hits:
                statement = redactor.clip(sentence, MAX_STATEMENT)
                out.append(Candidate(rule.category, statement, statement,
                                     [Evidence(source, ts, redactor.clip(sentence, MAX_QUOTE))], rule.pattern))


def extract(session, redactor, rules=(), builtin: bool = True) -> list:
    """Every candidate of ``session``, merged."""
    out = []
    if builtin:
        _from_texts(session.prompts, "prompt", redactor, out)
        _from_texts(session.assistant_texts, "assistant", redactor, out)
        error_fixes(session, redactor, out)
    if rules:
        from_rules(session, rules, redactor, out)
    return merge(out)


def merge(candidates: list, one_incident: bool = True) -> list:
    """Candidates that say the same thing (same category) as one, with
    all their evidence, in the order first seen. The incidents of one
    session are one (it is reported as "prod is down", then "we got paged",
    then "SEV1 declared"), unless ``one_incident`` is false."""
    out = []
    for c in candidates:
        for m in out:
            if m.category == c.category and (
                    (one_incident and c.category == "incidents") or same(m.tokens, c.tokens, m.norm, c.norm)):
                seen = {(e.source, e.time, e.quote) for e in m.evidence}
                m.evidence += [e for e in c.evidence if (e.source, e.time, e.quote) not in seen]
                if m.rule is None and c.rule is not None:
                    m.rule = c.rule
                break
        else:
            out.append(c)
    return out
