#!/usr/bin/env python3
"""Parity of paii's installs with Claude Code's own, over real marketplaces.

paii installs a Claude Code plugin as the directory
`$CLAUDE_CONFIG_DIR/skills/<name>`, which Claude Code loads as the plugin
`<name>@skills-dir`. The promise is that Claude Code then shows the plugin
exactly as when it installs it itself (`claude plugin install
<name>@<marketplace>`). This script measures that promise over local clones
of real marketplaces, with the real Claude Code client, offline:

    scripts/parity.py [--paii PATH] [--claude PATH] [--out DIR]
                      [MARKET ...]

MARKET is `PATH[=OWNER/REPO]`: a git working tree holding
`.claude-plugin/marketplace.json`, and the GitHub repository it is a clone
of (guessed from its `origin` remote when left out; the default is the four
Anthropic marketplaces under /tmp/markets). For each marketplace, in two
throwaway environments (HOME, CLAUDE_CONFIG_DIR, PAII_HOME all under one
temporary directory; nothing of the caller's is read or written):

* Claude Code's own install: `claude plugin marketplace add OWNER/REPO`,
  the GitHub address redirected to the clone by a git `insteadOf` in the
  throwaway HOME (Claude Code reserves Anthropic's marketplace names for
  GitHub sources of the anthropics organisation, so a path is refused), then
  `claude plugin install <name>@<marketplace>` for each plugin whose source
  is in the repository (or a URL of one of the cloned repositories).
* paii's install: a `paii.toml` naming the same plugins from the clone as a
  `marketplace` registry, and `paii sync`; when the sync fails, the plugins
  are added one at a time to find (and record the error of) each one that
  fails.

Then, per plugin installed both ways, it compares:

1. `claude plugin details` of `<name>@<marketplace>` and `<name>@skills-dir`
   (all but the `Source:` line), section by section: version, description,
   skills, agents, hook events, MCP and LSP servers, token costs.
2. One `claude -p hi` session per install, all plugins at once, against
   tests/support/messages_api.py. From the first request: the plugin's skill
   and command listing (with descriptions), its agent types and its MCP tool
   names; and every other line the model is shown that one install only
   shows (named by plugin where the line names one). From the session's
   `--debug-file`: the hooks that ran (event, outcome, output, and a hook
   that took far longer on one side), the plugin's MCP servers (connected,
   not connected, or suppressed as a duplicate of another plugin's), and
   the `[ERROR]` lines that appear in one install only, the two installs'
   paths normalised away.

What differs by design or by chance is left out, and said so: the Source
line; offline MCP connection failures (DNS or timeout, as timing has it:
the servers' outcomes are compared instead); the order in which hooks of
one event add their context. An entry that the listing shows by name only
on one side (the listing's budget cut its description) is not a plugin's
difference: it follows from the order the two installs load plugins in,
which the report gives per marketplace (`listing`).

Plugins that only one side installed are reported with the other side's
error (and the installed side's details text).

Output: `report.json` in --out (default a new temporary directory; --keep
keeps the throwaway environments, debug logs and request logs under
--out/work), the differences and a summary table per marketplace on stdout. Exit 0 when the script ran, the
verdicts being in the report; non-zero only for the script's own errors.
Needs Python 3.8+ and git; only the standard library. No network but
127.0.0.1 is used (the Messages API stand-in; everything else is a clone).
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_PAII = REPO_ROOT / "target" / "debug" / "paii"
DEFAULT_CLAUDE = REPO_ROOT / "target/claude-code/node_modules/@anthropic-ai/claude-code-linux-x64/claude"
MESSAGES_API = REPO_ROOT / "tests" / "support" / "messages_api.py"
DEFAULT_MARKETS = [
    "/tmp/markets/claude-code=anthropics/claude-code",
    "/tmp/markets/claude-plugins-official=anthropics/claude-plugins-official",
    "/tmp/markets/knowledge-work-plugins=anthropics/knowledge-work-plugins",
    "/tmp/markets/skills=anthropics/skills",
]
TIMEOUT = 60
PROMPT_TIMEOUT = 120
STATUSES = ["identical", "differing", "own-failed", "paii-failed", "both-failed", "remote-not-compared"]


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def first_lines(text, n=6):
    lines = [l for l in (text or "").strip().splitlines() if l.strip()]
    return "\n".join(lines[:n])


# ---------------------------------------------------------------------------
# Marketplaces


class Market:
    """A marketplace clone: its path, GitHub repository, name and plugins."""

    def __init__(self, path, repo):
        self.path = Path(path).resolve()
        self.repo = repo
        doc = json.loads((self.path / ".claude-plugin" / "marketplace.json").read_text())
        self.name = doc["name"]
        self.plugins = doc.get("plugins", [])


def parse_market(spec):
    path, _, repo = spec.partition("=")
    return Market(path, repo or guess_repo(Path(path)))


def guess_repo(path):
    """OWNER/REPO from the clone's origin: a GitHub URL, or a mirror named owner+repo."""
    try:
        url = subprocess.run(["git", "-C", str(path), "remote", "get-url", "origin"],
                             capture_output=True, text=True, timeout=TIMEOUT).stdout.strip()
    except (OSError, subprocess.TimeoutExpired):
        return None
    m = re.search(r"github\.com[:/]([^/]+)/([^/]+?)(?:\.git)?/?$", url)
    if m:
        return f"{m.group(1)}/{m.group(2)}"
    m = re.search(r"([^/]+)\+([^/]+?)(?:/repo)?(?:\.git)?/?$", url)
    return f"{m.group(1)}/{m.group(2)}" if m else None


def remote_url(source):
    """The git URL of a plugin's remote source (None for npm and the like)."""
    if not isinstance(source, dict):
        return None
    if source.get("source") == "github" and source.get("repo"):
        return f"https://github.com/{source['repo']}.git"
    return source.get("url")


def cloned_repo(url, markets):
    """The marketplace clone a remote source's URL points at, if any."""
    if not url:
        return None
    m = re.match(r"(?:https://github\.com/|git@github\.com:)([^/]+/[^/]+?)(?:\.git)?/?$", url)
    if not m:
        return None
    return next((mk for mk in markets if mk.repo and mk.repo.lower() == m.group(1).lower()), None)


def classify(plugin, markets):
    """'in-repo', 'cloned-remote' (a URL of a cloned repository) or 'remote'."""
    source = plugin.get("source")
    if isinstance(source, str):
        return "in-repo"
    return "cloned-remote" if cloned_repo(remote_url(source), markets) else "remote"


# ---------------------------------------------------------------------------
# Throwaway environments


class Result:
    def __init__(self, argv, rc, out, err, seconds):
        self.argv, self.rc, self.out, self.err, self.seconds = argv, rc, out, err, seconds

    @property
    def ok(self):
        return self.rc == 0

    def text(self):
        return (self.out or "") + (self.err or "")


class Sandbox:
    """One throwaway HOME / CLAUDE_CONFIG_DIR / PAII_HOME, and commands run in it."""

    def __init__(self, root, claude, paii, markets):
        self.root, self.claude_bin, self.paii_bin = Path(root), str(claude), str(paii)
        self.home, self.config = self.root / "home", self.root / "claude"
        self.work = self.root / "work"
        for d in (self.home, self.config, self.root / "ctmp", self.work):
            d.mkdir(parents=True, exist_ok=True)
        (self.config / ".claude.json").write_text("{}")
        self.redirect_github(markets)

    def redirect_github(self, markets):
        """Make the GitHub addresses of the cloned repositories resolve to the clones."""
        gitconfig = str(self.home / ".gitconfig")
        for mk in markets:
            if not mk.repo:
                continue
            key = f"url.{mk.path}.insteadOf"
            for url in (f"https://github.com/{mk.repo}", f"https://github.com/{mk.repo}.git",
                        f"git@github.com:{mk.repo}.git", f"git@github.com:{mk.repo}"):
                subprocess.run(["git", "config", "--file", gitconfig, "--add", key, url], check=True, timeout=TIMEOUT)

    def env(self, api_port=None):
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "CLAUDE_CONFIG_DIR": str(self.config),
            "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            "DISABLE_TELEMETRY": "1",
            "DISABLE_AUTOUPDATER": "1",
            "CLAUDE_CODE_MAX_RETRIES": "0",
            "CLAUDE_CODE_TMPDIR": str(self.root / "ctmp"),
            "NO_COLOR": "1",
            "PAII_HOME": str(self.root / "paii"),
        }
        if api_port:
            env.update({
                "ANTHROPIC_BASE_URL": f"http://127.0.0.1:{api_port}",
                "ANTHROPIC_API_KEY": "sk-ant-test",
                "API_TIMEOUT_MS": "30000",
                "CLAUDE_CODE_MCP_STARTUP_WAIT_MS": "15000",
            })
        return env

    def run(self, argv, cwd=None, timeout=TIMEOUT, api_port=None):
        start = time.monotonic()
        try:
            p = subprocess.run(argv, cwd=str(cwd or self.work), env=self.env(api_port), stdin=subprocess.DEVNULL,
                               capture_output=True, text=True, errors="replace", timeout=timeout)
            rc, out, err = p.returncode, p.stdout, p.stderr
        except subprocess.TimeoutExpired as e:
            rc, out, err = -1, as_text(e.stdout), as_text(e.stderr) + f"\n[parity] timed out after {timeout}s"
        return Result(argv, rc, out, err, time.monotonic() - start)

    def claude(self, *args, **kw):
        return self.run([self.claude_bin, *args], **kw)

    def paii(self, *args, **kw):
        return self.run([self.paii_bin, *args], **kw)


def as_text(b):
    if b is None:
        return ""
    return b.decode("utf-8", "replace") if isinstance(b, bytes) else b


# ---------------------------------------------------------------------------
# Claude Code's own install


def marketplace_names(sb):
    out = sb.claude("plugin", "marketplace", "list").out
    return set(re.findall(r"^\s*❯\s+(\S+)", out, re.M))


def own_add_marketplace(sb, market):
    """Add the marketplace as Claude Code would from GitHub, else by path; the attempts made."""
    attempts = []
    sources = ([market.repo] if market.repo else []) + [str(market.path)]
    for source in sources:
        r = sb.claude("plugin", "marketplace", "add", source)
        added = market.name in marketplace_names(sb)
        attempts.append({"source": source, "rc": r.rc, "added": added, "output": first_lines(r.text(), 12)})
        if added:
            break
    return attempts


def own_install(sb, market, names):
    """claude plugin install each plugin: {name: None (installed) or error text}."""
    results = {}
    for name in names:
        r = sb.claude("plugin", "install", "--json", f"{name}@{market.name}")
        outcome = None
        for line in r.out.splitlines():
            try:
                outcome = json.loads(line)
            except ValueError:
                continue
        if r.ok and outcome and outcome.get("outcome") == "ok":
            results[name] = None
        else:
            msg = (outcome or {}).get("message") or first_lines(r.text())
            code = (outcome or {}).get("failureCode")
            results[name] = f"{msg} [{code}]" if code else msg
    return results


# ---------------------------------------------------------------------------
# paii's install


def toml_str(s):
    return json.dumps(s)  # a JSON string is a valid TOML basic string


def write_team(team, market, names):
    team.mkdir(parents=True, exist_ok=True)
    lines = ["[registries]", f"m = {{ marketplace = {toml_str(str(market.path))} }}", "", "[plugins]"]
    lines += [f'{toml_str(n)} = {{ version = "*", registry = "m" }}' for n in names]
    (team / "paii.toml").write_text("\n".join(lines) + "\n")


def paii_sync(sb, market, names):
    team = sb.root / "team"
    write_team(team, market, names)
    return sb.paii("sync", cwd=team, timeout=PROMPT_TIMEOUT)


def paii_error(r):
    """The lines of a failed sync that say what failed (`× ...`, `error...`, `failed ...`)."""
    lines = [l for l in r.text().splitlines() if l.strip()]
    picked = [l.strip() for l in lines if "×" in l or re.match(r"^\s*(error|failed)\b", l, re.I)]
    return "\n".join(picked[:8]) or first_lines(r.text(), 8)


def paii_install(sb, market, names):
    """paii sync all; on failure, one at a time. ({name: None or error}, log of syncs)."""
    syncs = []
    r = paii_sync(sb, market, names)
    syncs.append({"plugins": "all", "rc": r.rc, "output": r.text()})
    results = {}
    if not r.ok:
        kept, last_ok = [], True
        for name in names:
            r = paii_sync(sb, market, kept + [name])
            last_ok = r.ok
            if r.ok:
                kept.append(name)
            else:
                results[name] = paii_error(r)
                syncs.append({"plugins": name, "rc": r.rc, "output": r.text()})
        if not last_ok:
            r = paii_sync(sb, market, kept)
            syncs.append({"plugins": "kept", "rc": r.rc, "output": r.text()})
    for name in names:
        if name not in results and not (sb.config / "skills" / name).exists():
            results[name] = f"sync succeeded but there is no {sb.config / 'skills' / name}"
        results.setdefault(name, None)
    return results, syncs


# ---------------------------------------------------------------------------
# `claude plugin details`


def parse_details(text):
    """The details text as {key: value}, a difference then nameable by its key.

    Keys: name, display name, version, field:<Label> (Description...), inventory:<Kind>
    (a sorted list, plus count and note), cost:<label>, component:<name>
    ((always-on, on-invoke)), other:<section> (lines not otherwise parsed).
    The Source line is dropped: it names the install, which differs by design.
    """
    d, section = {}, "header"
    lines = text.splitlines()
    if lines:  # `<name> [<version>]`, or `<display name> (<name>) [<version>]`
        m = re.match(r"^(?:(?P<display>.+) \((?P<name>[^()\s]+)\)|(?P<bare>\S+))(?: (?P<version>\S+))?$", lines[0].strip())
        if m:
            d["name"] = m.group("name") or m.group("bare")
            d["display name"] = m.group("display")
            d["version"] = m.group("version")
        else:
            d["header"] = lines[0]
    for line in lines[1:]:
        if not line.strip():
            continue
        if not line.startswith(" "):
            section = line.strip()
            continue
        s = line.strip()
        if section == "header":
            label, _, value = s.partition(":")
            if label != "Source":
                d[f"field:{label}"] = value.strip()
        elif section == "Component inventory":
            m = re.match(r"(.+?) \((\d+)\)\s*(.*)$", s)
            if m:
                items, note = m.group(3), ""
                n = re.search(r"\s+\((.*)\)$", items)
                if n:
                    items, note = items[:n.start()], n.group(1)
                d[f"inventory:{m.group(1)}"] = {"count": int(m.group(2)),
                                                "items": sorted(i.strip() for i in items.split(",") if i.strip()),
                                                "note": note}
            else:
                d.setdefault("other:inventory", []).append(s)
        elif section == "Projected token cost":
            label, _, value = s.partition(":")
            d[f"cost:{label.strip()}"] = re.sub(r"\s+", " ", value.strip())
        elif section.startswith("Per-component"):
            m = re.match(r"(\S+)\s+(<\s*\d+|~?[\d.]+k?|-|—)\s+(<\s*\d+|~?[\d.]+k?|-|—)$", s)
            if m and m.group(1) != "component":
                d[f"component:{m.group(1)}"] = (m.group(2), m.group(3))
            elif not s.startswith("component"):
                d.setdefault(f"other:{section}", []).append(s)
        else:
            d.setdefault(f"other:{section}", []).append(s)
    return d


def describe_value(v):
    if v is None:
        return "nothing"
    if isinstance(v, dict) and "items" in v:
        s = f"{v['count']}: {', '.join(v['items'])}" if v["items"] else f"{v['count']}"
        return s + (f" ({v['note']})" if v["note"] else "")
    if isinstance(v, tuple):
        return f"always-on {v[0]}, on-invoke {v[1]}"
    return repr(v)


def diff_details(own, paii):
    """Named differences between two parsed details."""
    out = []
    for key in sorted(set(own) | set(paii)):
        a, b = own.get(key), paii.get(key)
        if a == b:
            continue
        if isinstance(a, dict) and isinstance(b, dict) and "items" in a and "items" in b:
            only_a = sorted(set(a["items"]) - set(b["items"]))
            only_b = sorted(set(b["items"]) - set(a["items"]))
            parts = [f"count own {a['count']}, paii {b['count']}"] if a["count"] != b["count"] else []
            parts += [f"own only: {', '.join(only_a)}"] if only_a else []
            parts += [f"paii only: {', '.join(only_b)}"] if only_b else []
            parts += [f"note own {a['note']!r}, paii {b['note']!r}"] if a["note"] != b["note"] else []
            out.append(f"details {key} differ: " + "; ".join(parts))
        else:
            out.append(f"details {key} differ: own {describe_value(a)}, paii {describe_value(b)}")
    return out


# ---------------------------------------------------------------------------
# One `claude -p` session per install


def start_api(root):
    """Start the Messages API stand-in; (process, port, log path)."""
    port_file, log_file = root / "api.port", root / "requests.jsonl"
    for f in (port_file, log_file):
        if f.exists():
            f.unlink()
    proc = subprocess.Popen([sys.executable, str(MESSAGES_API), "--port-file", str(port_file), "--log", str(log_file)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if port_file.exists() and port_file.read_text().strip():
            return proc, int(port_file.read_text()), log_file
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the Messages API stand-in did not start")


def run_session(sb):
    """claude -p hi against the stand-in: (result, first main request or None, debug log text)."""
    proc, port, log_file = start_api(sb.root)
    debug = sb.root / "debug.log"
    try:
        r = sb.claude("-p", "hi", "--output-format", "json", "--debug-file", str(debug),
                      timeout=PROMPT_TIMEOUT, api_port=port)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
    requests = []
    if log_file.exists():
        requests = [json.loads(l) for l in log_file.read_text().splitlines() if l.strip()]
    main = next((q for q in requests if any(t.get("name") == "Skill" for t in q.get("tools") or [])), None)
    main = main or (requests[0] if requests else None)
    return r, main, debug.read_text(errors="replace") if debug.exists() else ""


def request_texts(req):
    """Every text of a request: system blocks and message contents."""
    texts = []

    def add(content):
        if isinstance(content, str):
            texts.append(content)
        elif isinstance(content, list):
            for b in content:
                if isinstance(b, dict):
                    if isinstance(b.get("text"), str):
                        texts.append(b["text"])
                    if "content" in b:
                        add(b["content"])

    add(req.get("system"))
    for m in req.get("messages") or []:
        add(m.get("content"))
    return texts


def owner_of(entry, names):
    """The plugin (longest name first) whose namespace prefixes `plugin:rest`."""
    for n in names:
        if entry.startswith(n + ":"):
            return n
    return None


def mcp_token(name):
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


def extract_session(req, plugin_names):
    """Per plugin: {'skills': {name: desc}, 'agents': {name: desc}, 'mcp': [tool]}."""
    names = sorted(plugin_names, key=len, reverse=True)
    per = {n: {"skills": {}, "agents": {}, "mcp": set()} for n in plugin_names}
    if not req:
        return per
    texts = request_texts(req)
    for text in texts:
        section, last = None, None
        for line in text.splitlines():
            if re.search(r"available agent types", line, re.I):
                section, last = "agents", None
                continue
            if re.search(r"skills (are|that are) available", line, re.I):
                section, last = "skills", None
                continue
            if section is None:
                continue
            if line.startswith("- "):
                entry = line[2:]
                owner = owner_of(entry, names)
                last = "other"
                if owner:
                    rest = entry[len(owner) + 1:]
                    key, sep, desc = rest.partition(": ")
                    if not sep and rest.endswith(":"):
                        key = rest[:-1]
                    per[owner][section][key] = desc
                    last = (owner, key)
            elif not line.strip():
                if last is not None:  # a blank line after the items ends the list
                    section = None
            elif last is None:  # the section ended before its first item
                section = None
            elif last != "other":  # a description's continuation line
                o, k = last
                per[o][section][k] += "\n" + line
    blob = "\n".join(texts) + "\n" + " ".join(t.get("name", "") for t in req.get("tools") or [])
    tokens = {n: mcp_token(n) for n in names}
    for tool in set(re.findall(r"mcp__plugin_[A-Za-z0-9_-]+", blob)):
        for n in names:
            prefix = f"mcp__plugin_{tokens[n]}_"
            if tool.startswith(prefix):
                per[n]["mcp"].add(tool[len(prefix):])
                break
    for n in per:
        per[n]["mcp"] = sorted(per[n]["mcp"])
    return per


def diff_session(own, paii):
    """(differences, truncations): an entry listed with a description on one
    side and by name only on the other is a truncation by the listing's
    budget, which depends on the order of the whole listing, not a
    difference of the plugin."""
    out, truncated = [], []
    for kind in ("skills", "agents"):
        a, b = own[kind], paii[kind]
        only_a, only_b = sorted(set(a) - set(b)), sorted(set(b) - set(a))
        if only_a:
            out.append(f"session {kind}: own only: {', '.join(only_a)}")
        if only_b:
            out.append(f"session {kind}: paii only: {', '.join(only_b)}")
        for k in sorted(set(a) & set(b)):
            if a[k] == b[k]:
                continue
            if not a[k] or not b[k]:
                truncated.append(f"{kind} {k}: listed by name only in {'own' if not a[k] else 'paii'}")
            else:
                out.append(f"session {kind} {k} description differs: own {a[k]!r}, paii {b[k]!r}")
    only_a, only_b = sorted(set(own["mcp"]) - set(paii["mcp"])), sorted(set(paii["mcp"]) - set(own["mcp"]))
    if only_a:
        out.append(f"session mcp tools: own only: {', '.join(only_a)}")
    if only_b:
        out.append(f"session mcp tools: paii only: {', '.join(only_b)}")
    return out, truncated


def listing_order(req, plugin_names):
    """The plugins in the order the skill listing first names them."""
    order = []
    names = sorted(plugin_names, key=len, reverse=True)
    for text in request_texts(req) if req else []:
        if not re.search(r"skills (are|that are) available", text):
            continue
        for line in text.splitlines():
            owner = owner_of(line[2:], names) if line.startswith("- ") else None
            if owner and owner not in order:
                order.append(owner)
    return order


def drop_truncations(own_only, paii_only):
    """Remove the listing lines that differ only by a description the budget dropped."""
    def key(line):
        return line.split(": ", 1)[0] if line.startswith("- ") else None

    def cut(lines, other):
        return {l for l in lines if l.startswith("- ") and ": " not in l and any(key(o) == l != o for o in other)}
    pairs = cut(own_only, paii_only) | cut(paii_only, own_only)
    return [l for l in own_only if key(l) not in pairs], [l for l in paii_only if key(l) not in pairs]


def normalise(s, sb, market):
    """A text with what differs by design between the two installs replaced:
    the sandbox root, the plugins' install paths, the `@<marketplace>` and
    `@skills-dir` suffixes, and durations."""
    root = str(sb.root)
    cache = re.escape(root) + r"/claude/plugins/cache/" + re.escape(market.name) + r"/([^/\s\"']+)/[^/\s\"']+"
    s = re.sub(cache, r"<PLUGIN:\1>", s)
    s = re.sub(re.escape(root) + r"/claude/plugins/marketplaces/" + re.escape(market.name) + r"/", "<MARKET>/", s)
    s = re.sub(re.escape(root) + r"/claude/skills/([^/\s\"']+)", r"<PLUGIN:\1>", s)
    s = re.sub(re.escape(root) + r"/paii/(?:generations/\d+|current)/(?:claude/skills|plugins)/([^/\s\"']+)",
               r"<PLUGIN:\1>", s)
    s = s.replace(root, "<TMP>").replace(root.replace("/", "-"), "<TMP>")
    s = re.sub(r"@(" + re.escape(market.name) + r"|skills-dir)\b", "@<M>", s)
    s = re.sub(r"([\w.-]+)-(" + re.escape(market.name) + r"|skills-dir)\b", r"\1-<M>", s)
    s = re.sub(r"\b\d+(\.\d+)?\s?(ms|s)\b", r"<N>\2", s)
    return s


def debug_lines(text, level, sb, market):
    """The debug log's lines of a level, normalised across the two installs."""
    out = set()
    for line in text.splitlines():
        m = re.match(r"^\S+ \[" + level + r"\] (.*)$", line)
        if m:
            out.add(normalise(m.group(1), sb, market))
    return out


HOOK_RUN = re.compile(r"^\S+ \[DEBUG\] Hooks: (?P<event>\S+) \[.*\] \(plugin (?P<plugin>[^@\s]+)@\S+\) "
                      r"(?P<state>.+?) \((?P<ms>\d+)ms\)$")
HOOK_OUTPUT = re.compile(r'^\S+ \[DEBUG\] "Hook \S+ \(\S+\) (?P<outcome>[^:]+):\\n(?P<output>.*)"$')


def hook_runs(text, sb, market):
    """Per plugin, the hooks that ran in a session: event, state, ms and output."""
    runs, last = {}, None
    for line in text.splitlines():
        m = HOOK_RUN.match(line)
        if m:
            last = {"event": m.group("event"), "state": m.group("state"), "ms": int(m.group("ms")), "output": None}
            runs.setdefault(m.group("plugin"), []).append(last)
            continue
        m = HOOK_OUTPUT.match(line)
        if m and last is not None and last["output"] is None:
            try:
                out = json.loads('"' + m.group("output") + '"')  # the log line is a JSON string
            except ValueError:
                out = m.group("output")
            last["output"] = f"{m.group('outcome')}: " + normalise(out, sb, market)[:400]
            last = None
    return runs


def diff_hooks(own, paii):
    """Hooks that ran differently (state or output), and ones much slower on one side."""
    def key(r):
        return f"{r['event']} {r['state']}" + (f" -> {r['output']}" if r["output"] else "")
    a, b = sorted(key(r) for r in own), sorted(key(r) for r in paii)
    out = []
    for k in sorted(set(a) | set(b)):
        if a.count(k) != b.count(k):
            out.append(f"session hook run {'own' if a.count(k) > b.count(k) else 'paii'} only: {k}")
    for ev in sorted({r["event"] for r in own} & {r["event"] for r in paii}):
        ta = max(r["ms"] for r in own if r["event"] == ev)
        tb = max(r["ms"] for r in paii if r["event"] == ev)
        if abs(ta - tb) >= 2000 and max(ta, tb) >= 5 * max(min(ta, tb), 1):
            out.append(f"session hook {ev} took {tb}ms in paii's install, {ta}ms in Claude Code's")
    return out


MCP_LINE = re.compile(r'^\S+ \[(?P<level>\w+)\] MCP server "plugin:(?P<plugin>[^:"]+):(?P<server>[^"]+)":? (?P<text>.*)$')
MCP_CONNECT_FAILURE = re.compile(r"^(Connection failed|\w*Error\b)")


MCP_SUPPRESSED = re.compile(r'Suppressing plugin MCP server "plugin:(?P<plugin>[^:"]+):(?P<server>[^"]+)": '
                            r'duplicates earlier plugin server "(?P<first>[^"]+)"')


def mcp_outcomes(text):
    """Per plugin, its MCP servers: 'connected', 'not connected' (started;
    offline, a remote one cannot connect) or 'suppressed as a duplicate of
    <server>' (Claude Code starts one server per URL or command: the one of
    the plugin loaded first)."""
    out = {}
    for line in text.splitlines():
        m = MCP_SUPPRESSED.search(line)
        if m:
            out.setdefault(m.group("plugin"), {})[m.group("server")] = f"suppressed as a duplicate of {m.group('first')}"
            continue
        m = MCP_LINE.match(line)
        if not m:
            continue
        servers = out.setdefault(m.group("plugin"), {})
        if m.group("text").startswith("Successfully connected"):
            servers[m.group("server")] = "connected"
        else:
            servers.setdefault(m.group("server"), "not connected")
    return out


def diff_mcp(own, paii):
    out = []
    for server in sorted(set(own) | set(paii)):
        a, b = own.get(server, "not started"), paii.get(server, "not started")
        if a != b:
            out.append(f"session MCP server {server}: own {a}, paii {b}")
    return out


def split_startup_timing(diffs, own_mcp, paii_mcp):
    """(differences, timing notes): MCP tools in one request only, of servers
    that connected in both sessions, connected after Claude Code stopped
    waiting (CLAUDE_CODE_MCP_STARTUP_WAIT_MS) in one of them: timing, not a
    difference of the plugin."""
    kept, timing = [], []
    for d in diffs:
        m = re.match(r"session mcp tools: (own|paii) only: (.*)$", d)
        tools = m.group(2).split(", ") if m else []
        if tools and all(own_mcp.get(t.split("__")[0]) == paii_mcp.get(t.split("__")[0]) == "connected" for t in tools):
            timing.append(f"MCP server connected after the first request in {'paii' if m.group(1) == 'own' else 'own'}'s "
                          f"session only; its tools: {', '.join(tools)}")
        else:
            kept.append(d)
    return kept, timing


def is_connect_failure(line):
    """An [ERROR] line of an MCP server failing to connect: offline, every
    remote server fails, by DNS or by timeout as timing has it; compared
    through mcp_outcomes instead."""
    m = re.match(r'^MCP server "plugin:[^"]+"\s(?P<text>.*)$', line)
    return bool(m and MCP_CONNECT_FAILURE.match(m.group("text")))


# Lines of the request that list MCP servers by their connection state: that
# state is a matter of timing offline, and the lists are cut to a few names in
# the order plugins load (compared through mcp_outcomes instead).
MCP_STATE_LINES = re.compile(r"^(plugin:\S+:|The following MCP servers are (configured but failed|still connecting)"
                             r"|If the user's request might be served by one of these servers)")


def request_lines(req, sb, market):
    """The normalised lines of everything the request shows the model, and its tool names."""
    if not req:
        return [], []
    lines = []
    for t in request_texts(req):
        # hooks of one event run concurrently: their contexts come in any order
        for line in normalise(t, sb, market).splitlines():
            line = re.sub(r"^\w+ hook additional context: ", "", line)
            if line.strip() and not MCP_STATE_LINES.match(line):
                lines.append(line)
    return lines, sorted(t.get("name", "") for t in req.get("tools") or [])


def multiset_minus(a, b):
    rest = list(b)
    out = []
    for x in a:
        if x in rest:
            rest.remove(x)
        else:
            out.append(x)
    return out


def attribute(line, plugin_names):
    """The plugins a debug line names (as PLUGIN:x, x@, plugin_x_ or x:)."""
    found = []
    for n in plugin_names:
        t = re.escape(n)
        if re.search(r"(<PLUGIN:" + t + r">|\b" + t + r"@<M>|plugin_" + re.escape(mcp_token(n)) + r"_|[\"' ]" + t + r"[\"': ])", line):
            found.append(n)
    return found


# ---------------------------------------------------------------------------
# One marketplace


def details_of(sb, ident):
    r = sb.claude("plugin", "details", ident)
    return r.out if r.ok else None, (None if r.ok else first_lines(r.text()))


def compare_market(market, markets, args, root):
    log(f"== {market.name} ({market.path})")
    candidates = [p["name"] for p in market.plugins if classify(p, markets) != "remote"]
    report = {"path": str(market.path), "repo": market.repo, "plugins": {}}

    own = Sandbox(root / "own", args.claude, args.paii, markets)
    report["own_marketplace_add"] = own_add_marketplace(own, market)
    added = any(a["added"] for a in report["own_marketplace_add"])
    log(f"   own: marketplace {'added' if added else 'REFUSED'}; installing {len(candidates)} plugins")
    if added:
        own_results = own_install(own, market, candidates)
    else:
        reason = first_lines(report["own_marketplace_add"][-1]["output"], 3)
        own_results = {n: f"marketplace not added: {reason}" for n in candidates}

    pa = Sandbox(root / "paii", args.claude, args.paii, markets)
    log(f"   paii: syncing {len(candidates)} plugins")
    paii_results, syncs = paii_install(pa, market, candidates)
    report["paii_syncs"] = syncs

    log("   sessions")
    sessions = {}
    for side, sb in (("own", own), ("paii", pa)):
        r, req, debug = run_session(sb)
        sessions[side] = {"rc": r.rc, "seconds": round(r.seconds, 1), "request": req is not None,
                          "result": first_lines(r.out, 3) if not r.ok else None,
                          "per": extract_session(req, candidates),
                          "order": listing_order(req, candidates),
                          "errors": debug_lines(debug, "ERROR", sb, market),
                          "warnings": debug_lines(debug, "WARN", sb, market),
                          "hooks": hook_runs(debug, sb, market),
                          "mcp": mcp_outcomes(debug),
                          "lines_tools": request_lines(req, sb, market)}
    report["sessions"] = {s: {k: v for k, v in d.items() if k not in ("per", "order", "errors", "warnings", "hooks", "mcp", "lines_tools")}
                          for s, d in sessions.items()}
    errors = {side: {l for l in sessions[side]["errors"] if not is_connect_failure(l)} for side in sessions}
    one_side = {
        "errors_own_only": sorted(errors["own"] - errors["paii"]),
        "errors_paii_only": sorted(errors["paii"] - errors["own"]),
        "warnings_own_only": sorted(sessions["own"]["warnings"] - sessions["paii"]["warnings"]),
        "warnings_paii_only": sorted(sessions["paii"]["warnings"] - sessions["own"]["warnings"]),
    }
    (own_lines, own_tools), (paii_lines, paii_tools) = sessions["own"]["lines_tools"], sessions["paii"]["lines_tools"]
    own_only, paii_only = drop_truncations(multiset_minus(own_lines, paii_lines), multiset_minus(paii_lines, own_lines))
    one_side.update({
        "request_lines_own_only": own_only,
        "request_lines_paii_only": paii_only,
        "tools_own_only": multiset_minus(own_tools, paii_tools),
        "tools_paii_only": multiset_minus(paii_tools, own_tools),
    })
    report["session_one_side"] = one_side
    report["listing"] = {
        "same_order": sessions["own"]["order"] == sessions["paii"]["order"],
        "order": {side: sessions[side]["order"] for side in sessions},
        "by_name_only": {side: sum(1 for per in sessions[side]["per"].values() for k in ("skills", "agents")
                                   for desc in per[k].values() if not desc) for side in sessions},
    }

    log("   details")
    for p in market.plugins:
        report["plugins"][p["name"]] = compare_plugin(p, markets, own, pa, market, own_results, paii_results,
                                                       sessions, one_side)
    report["summary"] = summarise(market, markets, report["plugins"])
    return report


def compare_plugin(p, markets, own, pa, market, own_results, paii_results, sessions, one_side):
    name, kind = p["name"], classify(p, markets)
    entry = {"source": p.get("source")}
    if kind == "remote":
        entry["status"] = "remote-not-compared"
        return entry
    own_err, paii_err = own_results[name], paii_results[name]
    if own_err is not None or paii_err is not None:
        entry["status"] = {(True, False): "own-failed", (False, True): "paii-failed"}.get(
            (own_err is not None, paii_err is not None), "both-failed")
        entry["own_error"], entry["paii_error"] = own_err, paii_err
        if own_err is None:
            entry["own_details"] = details_of(own, f"{name}@{market.name}")[0]
        if paii_err is None:
            entry["paii_details"] = details_of(pa, f"{name}@skills-dir")[0]
        return entry
    own_text, own_derr = details_of(own, f"{name}@{market.name}")
    paii_text, paii_derr = details_of(pa, f"{name}@skills-dir")
    diffs = []
    if own_text is None or paii_text is None:
        diffs.append(f"details failed: own {own_derr!r}, paii {paii_derr!r}")
    else:
        diffs += diff_details(parse_details(own_text), parse_details(paii_text))
    session_diffs, truncated = diff_session(sessions["own"]["per"][name], sessions["paii"]["per"][name])
    diffs += session_diffs
    if truncated:
        entry["listing_truncated"] = truncated
    diffs += diff_hooks(sessions["own"]["hooks"].get(name, []), sessions["paii"]["hooks"].get(name, []))
    diffs += diff_mcp(sessions["own"]["mcp"].get(name, {}), sessions["paii"]["mcp"].get(name, {}))
    diffs, timing = split_startup_timing(diffs, sessions["own"]["mcp"].get(name, {}), sessions["paii"]["mcp"].get(name, {}))
    names = list(own_results)
    late = {t for line in timing for t in line.rsplit("its tools: ", 1)[-1].split(", ")}
    for key, label in (("errors_own_only", "[ERROR] in own only"), ("errors_paii_only", "[ERROR] in paii only"),
                       ("request_lines_own_only", "request line in own only"),
                       ("request_lines_paii_only", "request line in paii only")):
        for line in one_side[key]:
            # listing entries (`- <plugin>:<name>: ...`) are compared above
            if name in attribute(line, names) and not line.startswith(f"- {name}:"):
                if any(line == f"mcp__plugin_{mcp_token(name)}_{t}" for t in late):
                    continue  # the tool of a server that connected late, already noted
                diffs.append(f"session {label}: {line[:600]}")
    if timing:
        entry["startup_timing"] = timing
    entry["status"] = "differing" if diffs else "identical"
    entry["differences"] = diffs
    if diffs:
        entry["own_details"], entry["paii_details"] = own_text, paii_text
    entry["session"] = {side: dict(sessions[side]["per"][name], hooks=sessions[side]["hooks"].get(name, []),
                                   mcp_servers=sessions[side]["mcp"].get(name, {}))
                        for side in ("own", "paii")}
    return entry


def summarise(market, markets, plugins):
    s = {"total": len(market.plugins),
         "in-repo": sum(1 for p in market.plugins if classify(p, markets) == "in-repo"),
         "cloned-remote": sum(1 for p in market.plugins if classify(p, markets) == "cloned-remote")}
    for st in STATUSES:
        s[st] = sum(1 for e in plugins.values() if e["status"] == st)
    s["compared"] = s["identical"] + s["differing"]
    return s


def print_table(reports):
    cols = [("marketplace", None), ("total", "total"), ("in-repo", "in-repo"), ("compared", "compared"),
            ("identical", "identical"), ("differing", "differing"), ("own-failed", "own-failed"),
            ("paii-failed", "paii-failed"), ("both-failed", "both-failed"), ("remote", "remote-not-compared")]
    rows = [[name] + [str(r["summary"][k]) for _, k in cols[1:]] for name, r in reports.items()]
    widths = [max(len(c[0]), *(len(row[i]) for row in rows)) if rows else len(c[0]) for i, c in enumerate(cols)]
    print("  ".join(c[0].ljust(w) for c, w in zip(cols, widths)))
    for row in rows:
        print("  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(row, widths))))


def print_differences(reports):
    for name, r in reports.items():
        for pname, e in r["plugins"].items():
            if e["status"] == "differing":
                print(f"{name}/{pname}: differing")
                for d in e["differences"]:
                    print(f"    {d}")
            elif e["status"].endswith("-failed"):
                for side in ("own", "paii"):
                    if e.get(f"{side}_error"):
                        print(f"{name}/{pname}: {side} failed: {first_lines(e[f'{side}_error'], 1)}")


def remove_tree(path):
    """rm -rf, paii's store being read-only."""
    def writable(func, p, _exc):
        for q in (os.path.dirname(p), p):
            try:
                os.chmod(q, 0o755)
            except OSError:
                pass
        func(p)
    shutil.rmtree(path, onerror=writable)


def claude_version(args):
    tmp = Path(tempfile.mkdtemp(prefix="parity-version-"))
    try:
        return Sandbox(tmp, args.claude, args.paii, []).claude("--version").out.strip()
    finally:
        remove_tree(tmp)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("markets", nargs="*", metavar="MARKET", help="PATH[=OWNER/REPO] of a marketplace clone")
    ap.add_argument("--paii", default=str(DEFAULT_PAII), help="the paii binary (default target/debug/paii)")
    ap.add_argument("--claude", default=str(DEFAULT_CLAUDE), help="the Claude Code binary")
    ap.add_argument("--out", help="directory for report.json (default a new temporary directory)")
    ap.add_argument("--keep", action="store_true", help="keep the throwaway environments (under --out/work)")
    args = ap.parse_args()
    args.paii, args.claude = str(Path(args.paii).resolve()), str(Path(args.claude).resolve())
    for b in (args.paii, args.claude):
        if not os.access(b, os.X_OK):
            ap.error(f"not an executable: {b}")
    markets = [parse_market(s) for s in (args.markets or DEFAULT_MARKETS)]
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="parity-"))
    out.mkdir(parents=True, exist_ok=True)
    version = claude_version(args)
    reports = {}
    for market in markets:
        work = out / "work" / market.name if args.keep else Path(tempfile.mkdtemp(prefix=f"parity-{market.name}-"))
        if work.exists() and args.keep:
            remove_tree(work)
        work.mkdir(parents=True, exist_ok=True)
        try:
            reports[market.name] = compare_market(market, markets, args, work)
        finally:
            if not args.keep:
                remove_tree(work)
    report = {"claude": version, "paii": args.paii, "markets": reports}
    (out / "report.json").write_text(json.dumps(report, indent=2, sort_keys=False, default=sorted) + "\n")
    print_differences(reports)
    print()
    print_table(reports)
    for name, r in reports.items():
        li = r["listing"]
        print(f"{name}: skill listing order {'same' if li['same_order'] else 'DIFFERENT'}; "
              f"entries listed by name only (listing budget): own {li['by_name_only']['own']}, "
              f"paii {li['by_name_only']['paii']}; session seconds: own {r['sessions']['own']['seconds']}, "
              f"paii {r['sessions']['paii']['seconds']}")
    print(f"\nreport: {out / 'report.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
