"""How fast history is where it matters.

    cd plugins/history && uv run --locked python benches/bench.py [--runs N] [--mb MB]

(or plain ``python3 benches/bench.py`` once ``uv sync`` has built .venv).

(a) The hook: wall time of ``.venv/bin/history hook post-tool-use`` with a
    typical event on stdin, Python start-up included, against ``python -c
    pass`` and ``python -S -c pass`` of the same interpreter, measured
    interleaved in the same run, all in paii's environment. As paii runs
    it: ``PYTHONPYCACHEPREFIX`` names a bytecode cache outside the plugin
    (paii's is ``$PAII_HOME/cache/python``; here a temporary directory that
    a first run warms), so the modules are compiled once, not on every
    event; and, for comparison, the first run after the cache is emptied
    (every module, the standard library's included, compiled from source).
(b) The session summary of a generated transcript of --mb MiB (default 10)
    in Claude Code 2.1.332's line shapes: in process (read + render +
    redact + extraction) and end to end (``history hook stop``).

The config is plugin.toml's defaults, as paii passes them in PAII_CONFIG.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src"

sys.path.insert(0, str(ROOT))
from tests.toml_subset import config_defaults  # noqa: E402


def console_script() -> Path:
    for candidate in (Path(sys.executable).parent / "history", ROOT / ".venv" / "bin" / "history"):
        if candidate.is_file():
            return candidate
    sys.exit("bench: no .venv/bin/history; run `uv sync --locked` in %s first" % ROOT)


def interpreter(script: Path) -> str:
    """The interpreter of the console script's shebang."""
    first = script.read_text(encoding="utf-8", errors="replace").splitlines()[0]
    return first[2:].strip().split()[0] if first.startswith("#!") else sys.executable


def time_runs(cases: dict, runs: int) -> dict:
    """Wall times (s) of each case, the cases interleaved run by run."""
    out = {k: [] for k in cases}
    for _ in range(runs):
        for name, (argv, stdin, env, before) in cases.items():
            if before:
                before()
            t = time.perf_counter()
            p = subprocess.run(argv, input=stdin, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            out[name].append(time.perf_counter() - t)
            if p.returncode != 0:
                sys.exit("bench: %s failed (%d): %s" % (name, p.returncode, p.stderr.decode()))
    return out


def typical_event(transcript: str) -> bytes:
    e = json.loads((ROOT / "tests" / "fixtures" / "events" / "PostToolUse.json").read_text(encoding="utf-8"))
    e["transcript_path"] = transcript
    listing = "\n".join("-rw-r--r-- 1 dev dev %6d Jan  5 10:00 file_%03d.py" % (i * 37, i) for i in range(40))
    e["tool_input"] = {"command": "ls -l src/", "description": "List the sources"}
    e["tool_response"] = {"stdout": listing, "stderr": "", "interrupted": False, "isImage": False}
    return json.dumps(e).encode()


def generate_transcript(path: Path, mb: float) -> int:
    """A transcript of about ``mb`` MiB in the client's line shapes: a prompt,
    then turns of assistant text + tool call + tool result, with the
    bookkeeping lines the client writes in between."""
    sid = "0b5e55ed-0000-4000-8000-000000000000"
    base = {"isSidechain": False, "userType": "external", "entrypoint": "cli", "cwd": "/home/dev/app",
            "sessionId": sid, "version": "2.1.332", "gitBranch": "main"}
    tools = [
        ("Read", lambda i: {"file_path": "/home/dev/app/src/mod_%d.py" % (i % 50)}),
        ("Edit", lambda i: {"file_path": "/home/dev/app/src/mod_%d.py" % (i % 50), "old_string": "a" * 80, "new_string": "b" * 90, "replace_all": False}),
        ("Bash", lambda i: {"command": "pytest -q tests/test_%d.py" % (i % 20), "description": "Run the tests"}),
        ("Grep", lambda i: {"pattern": "def handler", "path": "/home/dev/app"}),
    ]
    body = "\n".join("%4d\tdef f_%d(x):  # some source code that the tool read back" % (n, n) for n in range(40))
    turns = 0
    with open(path, "w", encoding="utf-8") as f:
        def w(d):
            f.write(json.dumps(d, separators=(",", ":")) + "\n")

        w(dict(base, type="user", parentUuid=None, uuid="u0", timestamp="2026-03-02T09:00:00.000Z",
               message={"role": "user", "content": "Refactor the handlers and keep the tests green"}))
        while f.tell() < mb * 1024 * 1024:
            i = turns
            ts = "2026-03-02T%02d:%02d:%02d.%03dZ" % (9 + i // 3600 % 14, i // 60 % 60, i % 60, i % 1000)
            name, inp = tools[i % len(tools)]
            mid = "msg_%08d" % i
            tid = "toolu_%08d" % i
            w(dict(base, type="assistant", parentUuid="p", uuid="a%d" % i, timestamp=ts, requestId="req_%d" % i,
                   message={"id": mid, "type": "message", "role": "assistant", "model": "claude-opus-5-5",
                            "content": [{"type": "text", "text": "Next I will look at step %d of the refactor." % i}],
                            "stop_reason": None, "usage": {"input_tokens": 10, "output_tokens": 5}}))
            w(dict(base, type="assistant", parentUuid="a%d" % i, uuid="b%d" % i, timestamp=ts,
                   message={"id": mid, "type": "message", "role": "assistant", "model": "claude-opus-5-5",
                            "content": [{"type": "tool_use", "id": tid, "name": name, "input": inp(i)}],
                            "stop_reason": "tool_use", "usage": {"input_tokens": 10, "output_tokens": 5}}))
            failed = i % 17 == 0
            result = "Exit code 1\nFAILED tests/test_x.py::test_y" if failed else body
            w(dict(base, type="user", parentUuid="b%d" % i, uuid="r%d" % i, timestamp=ts, sourceToolAssistantUUID="b%d" % i,
                   message={"role": "user", "content": [{"tool_use_id": tid, "type": "tool_result", "content": result, "is_error": failed}]},
                   toolUseResult=("Error: " + result) if failed else {"stdout": body, "stderr": "", "interrupted": False}))
            if i % 10 == 0:
                w({"type": "api-request", "sessionId": sid, "id": "req_%d" % i, "timestamp": ts, "version": "2.1.332",
                   "params": {"model": "claude-opus-5-5", "max_tokens": 128000}})
                w({"type": "tools-used", "tools": [t for t, _ in tools], "sessionId": sid})
            turns += 1
    return turns


def fmt(xs) -> str:
    return "median %6.1f ms  min %6.1f ms" % (statistics.median(xs) * 1000, min(xs) * 1000)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=40, help="spawns per case (default 40)")
    ap.add_argument("--mb", type=float, default=10.0, help="size of the generated transcript (default 10)")
    a = ap.parse_args()

    script = console_script()
    python = interpreter(script)
    tmp = Path(tempfile.mkdtemp(prefix="history-bench-"))
    try:
        home = tmp / "paii"
        home.mkdir()
        (home / ".env").write_text("GITHUB_TOKEN=ghp_%s\nSLACK_TOKEN=xoxb-%s\n" % ("a" * 36, "1" * 30))
        defaults = config_defaults(ROOT / "plugin.toml")
        cache = tmp / "cache" / "python"
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(tmp),
            "PAII_HOME": str(home),
            "PAII_HISTORY_DIR": str(home / "history"),
            "PAII_PLUGIN_NAME": "history",
            "PAII_CONFIG": json.dumps(defaults),
            "PYTHONPYCACHEPREFIX": str(cache),
        }
        cold_cache = tmp / "cold"
        cold = dict(env, PYTHONPYCACHEPREFIX=str(cold_cache))
        package = Path(subprocess.run([python, "-c", "import history, os; print(os.path.dirname(history.__file__))"],
                                      capture_output=True, text=True, env=env, check=True).stdout.strip())

        def empty_cache():
            shutil.rmtree(cold_cache, ignore_errors=True)

        transcript = tmp / "transcript.jsonl"
        turns = generate_transcript(transcript, a.mb)
        event = typical_event(str(transcript))
        hook = [str(script), "hook", "post-tool-use"]
        subprocess.run(hook, input=event, env=env, check=True)  # the first run: fills the cache, as paii's first event does
        cases = {
            "python -S -c pass": ([python, "-S", "-c", "pass"], b"", env, None),
            "python -c pass": ([python, "-c", "pass"], b"", env, None),
            "hook (as paii runs it)": (hook, event, env, None),
            "hook (first run)": (hook, event, cold, empty_cache),
        }
        times = time_runs(cases, a.runs)
        print("history benchmark (%s, %s, %d runs per case, interleaved)" % (python, sys.platform, a.runs))
        print()
        print("(a) one PostToolUse event, %d bytes, start-up included" % len(event))
        for name, xs in times.items():
            print("  %-24s %s" % (name, fmt(xs)))
        hook_ms = statistics.median(times["hook (as paii runs it)"])
        for base in ("python -c pass", "python -S -c pass"):
            print("  hook / %-17s %.2fx" % (base, hook_ms / statistics.median(times[base])))
        print("  hook - python -c pass   %+.1f ms" % ((hook_ms - statistics.median(times["python -c pass"])) * 1000))
        print("  first run - as paii     %+.1f ms (compiling from source)" % ((statistics.median(times["hook (first run)"]) - hook_ms) * 1000))
        lines = sum(len(p.read_bytes().splitlines()) for p in (home / "history" / "raw").glob("*/*.jsonl"))
        print("  raw lines written: %d" % lines)

        # (b) The summary of the generated transcript.
        sys.path.insert(0, str(package.parent))
        from history import extract, filing, summary
        from history import transcript as tr
        from history.redact import Redactor

        size = transcript.stat().st_size
        redactor = Redactor.from_env(defaults, str(home))
        rules = filing.load_rules(defaults, lambda m: None)
        best = []
        for _ in range(5):
            t = time.perf_counter()
            s = tr.read(str(transcript), 64 * 1024 * 1024)
            text = redactor.text(summary.render(s, s.session_id, "/home/dev/app", 64, redactor))
            found = extract.extract(s, redactor, rules)
            best.append(time.perf_counter() - t)
        print()
        print("(b) session summary of a %.1f MiB transcript (%d lines, %d tool calls, %d errors)" % (size / 2**20, s.lines, s.tool_calls(), len(s.errors)))
        print("  in process (read + render + redact + extract): %s  = %.0f MiB/s (%d entries)"
              % (fmt(best), size / 2**20 / statistics.median(best), len(found)))
        stop = json.loads(event)
        stop.update(hook_event_name="Stop", stop_hook_active=False)
        stop.pop("tool_name"), stop.pop("tool_input"), stop.pop("tool_response")
        stop_json = json.dumps(stop).encode()
        ends = time_runs({"stop": ([str(script), "hook", "stop"], stop_json, env, None)}, 5)["stop"]
        print("  end to end (history hook stop):             %s" % fmt(ends))
        print("  summary: %d bytes, %d turns" % (len(text.encode()), turns))
        return 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
