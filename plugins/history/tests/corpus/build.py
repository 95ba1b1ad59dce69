"""Builds the extraction corpus: realistic sessions written as Claude Code
2.1.332 writes transcripts (the line shapes of
tests/fixtures/transcript-2.1.332.jsonl: one assistant line per content
block, tool results as user lines with toolUseResult, the client's
bookkeeping lines in between), and what history should file from them.

    python3 tests/corpus/build.py      # rewrites tests/corpus/*.jsonl and expected.json

Each session says what must be filed (``expect``: a category and words
of the statement) and sentences that must not be (``reject``: questions,
hypotheticals, quoted code, file names, plans, narration...). Sessions of
one project are filed in order: a decision repeated in a later session is
not expected again (it is the same entry). tests/test_corpus.py measures
precision and recall over all of it.
"""

from __future__ import annotations

import json
import os
import uuid as uuidlib

HERE = os.path.dirname(os.path.abspath(__file__))
VERSION = "2.1.332"


class U:
    def __init__(self, text, **extra):
        self.text, self.extra = text, extra


class A:
    def __init__(self, text, sidechain=False):
        self.text, self.sidechain = text, sidechain


class T:
    """A tool call and its result."""

    def __init__(self, name, inp, result, error=False):
        self.name, self.inp, self.result, self.error = name, inp, result, error


def bash(cmd, result="", error=False):
    return T("Bash", {"command": cmd, "description": cmd[:40]}, result, error)


def edit(path, old="a", new="b"):
    return T("Edit", {"file_path": path, "old_string": old, "new_string": new, "replace_all": False},
             "The file %s has been updated successfully." % path)


def read(path, body="1\tx"):
    return T("Read", {"file_path": path}, body)


class Session:
    def __init__(self, name, project, start, turns, expect=(), reject=(), branch="main", sub=""):
        self.name, self.project, self.start, self.turns = name, project, start, turns
        self.expect, self.reject, self.branch, self.sub = list(expect), list(reject), branch, sub


def _times(start):
    """Timestamps a few seconds apart from ``start`` (ISO, UTC)."""
    import calendar
    import time

    t = calendar.timegm(time.strptime(start, "%Y-%m-%dT%H:%M:%S"))
    ms = 0
    while True:
        ms += 2345
        yield time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t + ms // 1000)) + ".%03dZ" % (ms % 1000)


def write(session: Session, path: str) -> None:
    sid = str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, "history-corpus/" + session.name))
    cwd = "/home/dev/%s%s" % (session.project, session.sub)
    clock = _times(session.start)
    ids = iter(range(1, 100000))
    lines = []
    base = {"userType": "external", "entrypoint": "cli", "cwd": cwd, "sessionId": sid, "version": VERSION,
            "gitBranch": session.branch}
    parent = [None]

    def uid():
        return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, "%s/%d" % (session.name, next(ids))))

    def line(d):
        lines.append(json.dumps(d, ensure_ascii=False, separators=(",", ":")))

    def usage():
        return {"input_tokens": 1200, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 9000, "output_tokens": 180,
                "service_tier": "standard"}

    pending_tool = [None]
    prompt_index = [0]
    for turn in session.turns:
        ts = next(clock)
        if isinstance(turn, U):
            line({"type": "queue-operation", "operation": "enqueue", "timestamp": ts, "sessionId": sid, "content": turn.text})
            u = uid()
            d = dict({"parentUuid": parent[0], "isSidechain": False, "promptId": uid(), "type": "user",
                      "message": {"role": "user", "content": turn.text}, "uuid": u, "timestamp": ts,
                      "permissionMode": "default", "promptSource": "cli",
                      "turnPosition": {"promptIndex": prompt_index[0], "turnIndex": 1}}, **base)
            d.update(turn.extra)
            line(d)
            prompt_index[0] += 1
            parent[0] = u
            line(dict({"parentUuid": u, "isSidechain": False, "attachment": {"type": "date", "date": ts[:10]},
                       "type": "attachment", "uuid": uid(), "timestamp": ts,
                       "rendered": [{"content": "<system-reminder>\n(elided)\n</system-reminder>"}], "renderedRole": "system"}, **base))
        elif isinstance(turn, A):
            u = uid()
            mid = "msg_%024d" % next(ids)
            line(dict({"parentUuid": parent[0], "isSidechain": turn.sidechain,
                       "message": {"id": mid, "type": "message", "role": "assistant", "model": "claude-opus-5-5",
                                   "content": [{"type": "text", "text": turn.text}], "stop_reason": "end_turn",
                                   "stop_sequence": None, "usage": usage()},
                       "requestId": "req_%020d" % next(ids), "type": "assistant", "uuid": u, "timestamp": ts}, **base))
            if not turn.sidechain:
                parent[0] = u
                line({"type": "last-prompt", "lastPrompt": "", "sessionId": sid})
        elif isinstance(turn, T):
            u = uid()
            tid = "toolu_%020d" % next(ids)
            mid = "msg_%024d" % next(ids)
            line(dict({"parentUuid": parent[0], "isSidechain": False,
                       "message": {"id": mid, "type": "message", "role": "assistant", "model": "claude-opus-5-5",
                                   "content": [{"type": "tool_use", "id": tid, "name": turn.name, "input": turn.inp}],
                                   "stop_reason": "tool_use", "stop_sequence": None, "usage": usage()},
                       "requestId": "req_%020d" % next(ids), "type": "assistant", "uuid": u, "timestamp": ts}, **base))
            line({"type": "tools-used", "tools": [turn.name], "sessionId": sid})
            r = uid()
            ts2 = next(clock)
            block = {"tool_use_id": tid, "type": "tool_result", "content": turn.result}
            if turn.error:
                block["is_error"] = True
                result = "Error: " + turn.result
            elif turn.name == "Bash":
                block["is_error"] = False
                result = {"stdout": turn.result, "stderr": "", "interrupted": False, "isImage": False}
            else:
                result = {"type": "update", "filePath": turn.inp.get("file_path", "")}
            line(dict({"parentUuid": u, "isSidechain": False, "type": "user",
                       "message": {"role": "user", "content": [block]}, "uuid": r, "timestamp": ts2,
                       "toolUseResult": result, "sourceToolAssistantUUID": u}, **base))
            parent[0] = r
    line({"parentUuid": parent[0], "isSidechain": False, "type": "system", "subtype": "stop_hook_summary", "hookCount": 1,
          "hookInfos": [], "hookErrors": [], "preventedContinuation": False, "stopReason": "", "hasOutput": False,
          "level": "suggestion", "timestamp": next(clock), "uuid": uid(), **base})
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


SESSIONS = [
    Session("01-shop-fakeredis", "shop", "2026-03-02T09:12:00", [
        U("the integration tests keep timing out on CI because there's no redis on the runners. going forward, let's use "
          "fakeredis everywhere in the test suite"),
        A("Understood — from now on we'll use fakeredis everywhere in the tests instead of a live Redis. Let me look at the "
          "conftest first."),
        read("/home/dev/shop/tests/conftest.py", "1\timport redis\n2\t\n3\t@pytest.fixture\n4\tdef cache():\n5\t    return redis.Redis()"),
        edit("/home/dev/shop/tests/conftest.py", "redis.Redis()", "fakeredis.FakeRedis()"),
        bash("pytest -q tests/", "ImportError while loading conftest '/home/dev/shop/tests/conftest.py'.\n"
             "tests/conftest.py:1: in <module>\n    import fakeredis\nE   ModuleNotFoundError: No module named 'fakeredis'", True),
        bash("uv add --dev fakeredis", "Resolved 41 packages in 312ms\n + fakeredis==2.26.1"),
        bash("uv run pytest -q tests/", "........................................ [100%]\n40 passed in 3.21s"),
        A("Should I also mock the pubsub client?"),
        U("no, leave pubsub alone for now"),
        A("## Summary\n\n- Replaced the `cache` fixture with `fakeredis.FakeRedis()`\n- Added `fakeredis` to the dev dependencies\n"
          "- All 40 tests pass locally in 3.2s"),
    ], expect=[("decisions", "fakeredis everywhere"), ("learnings", "No module named 'fakeredis'")],
        reject=["Let me look at the conftest first", "mock the pubsub client", "leave pubsub alone", "Replaced the"]),

    Session("02-orders-postgres", "orders", "2026-03-03T14:01:00", [
        U("we need to pick the database for the new orders service. We chose Postgres 16 over MySQL because we need jsonb "
          "and partial indexes."),
        A("Good choice. I'll scaffold the migrations with `sqlx`.\n\n```sql\n-- Decision: keep money as integer cents\nCREATE TABLE orders (id bigserial primary key);\n```"),
        bash("sqlx migrate add create_orders", "Creating migrations/20260303140512_create_orders.sql"),
        U("TIL psql's \\copy runs client-side, so it works without superuser on RDS."),
        A("Right, and `COPY` (without the backslash) reads the file on the server, which RDS doesn't allow."),
        U("heads up, prod is down — checkout returns 502 since the 14:05 deploy of the payments service"),
        A("Since production is down, I'll look at the deploy diff first. Checking the payments logs now."),
        bash("kubectl -n payments logs deploy/payments --since=15m | tail -50",
             "panic: runtime error: invalid memory address or nil pointer dereference\n[signal SIGSEGV]"),
        U("we got paged again, the on-call rolled it back. ok, back to the orders schema"),
        A("The rollback worked; checkout is serving 200s again. The root cause was a nil config pointer when "
          "PAYMENTS_REGION is unset, which the new deploy no longer defaulted."),
    ], expect=[("decisions", "Postgres 16 over MySQL"), ("learnings", "copy runs client-side"),
               ("incidents", "prod is down"), ("learnings", "nil config pointer")],
        reject=["Good choice", "keep money as integer cents", "Checking the payments logs", "back to the orders schema"]),

    Session("03-gateway-go", "api-gateway", "2026-03-04T10:30:00", [
        U("Decision: all handlers return problem+json errors (RFC 7807), no more plain-text 500s."),
        A("Noted. I'll switch the remaining handlers to problem+json."),
        bash("go test ./...", "go: updates to go.mod needed; to update it:\n\tgo mod tidy", True),
        bash("go mod tidy", "go: finding module for package github.com/google/uuid"),
        bash("go test ./...", "ok  \tgateway/internal/auth\t0.412s\nok  \tgateway/internal/proxy\t1.031s"),
        bash("go test ./internal/auth", "--- FAIL: TestTokenExpiry (0.00s)\n    auth_test.go:41: expected 3600, got 0\nFAIL", True),
        edit("/home/dev/api-gateway/internal/auth/token.go", "exp: 0", "exp: ttl"),
        bash("go test ./internal/auth", "ok  \tgateway/internal/auth\t0.398s"),
        A("The root cause was that the logging middleware read the request body twice, so the handler got an empty body "
          "(EOF) on the second read."),
        U("What if we used chi instead of gorilla/mux? We could standardise on zap for logging later, too."),
        A("Chi would work; its middleware signature is the standard one. I think we agreed on slog last sprint?"),
    ], expect=[("decisions", "problem+json"), ("learnings", "go mod tidy"), ("learnings", "read the request body twice")],
        reject=["switch the remaining handlers", "chi instead of gorilla", "standardise on zap", "agreed on slog",
                "expected 3600"]),

    Session("04-infra-nat", "infra", "2026-03-05T07:45:00", [
        U("We had an outage in eu-west-1 this morning: the NAT gateway hit its connection limit and the batch jobs "
          "couldn't reach S3. I got paged twice overnight for it."),
        A("Let me look at the CloudWatch metrics for the NAT gateway."),
        bash("aws cloudwatch get-metric-statistics --namespace AWS/NATGateway --metric-name ErrorPortAllocation "
             "--dimensions Name=NatGatewayId,Value=nat-0a1b2c --start-time 2026-03-05T00:00:00Z --end-time "
             "2026-03-05T07:00:00Z --period 300 --statistics Sum", '{"Datapoints": [{"Sum": 18211.0}]}'),
        A("Turns out NAT gateways cap at 55,000 simultaneous connections to a single destination, and the batch "
          "workers open a connection per object."),
        U("ok. we agreed to move the batch jobs to a VPC gateway endpoint for S3 instead of going through NAT."),
        bash("terraform plan", "Error: Required plugins are not installed\n\nThe installed provider plugins are not "
             "consistent with the packages selected in the dependency lock file", True),
        bash("terraform init -upgrade", "Terraform has been successfully initialized!"),
        bash("terraform plan", "Plan: 2 to add, 0 to change, 0 to destroy."),
        A("The runbook covers what to do during an outage; I've added the endpoint to `modules/network/endpoints.tf`. "
          "Let's also add an alarm on ErrorPortAllocation so we notice before it becomes an outage."),
        U("sure. this module handles data loss scenarios for the backups too, leave that part alone"),
    ], expect=[("incidents", "outage in eu-west-1"), ("learnings", "55,000 simultaneous connections"),
               ("decisions", "VPC gateway endpoint"), ("learnings", "Required plugins are not installed")],
        reject=["runbook covers", "before it becomes an outage", "handles data loss scenarios", "CloudWatch metrics"]),

    Session("05-webapp-vite", "webapp", "2026-03-06T16:20:00", [
        U("the env var isn't showing up in the browser build, import.meta.env.API_URL is undefined"),
        A("Vite only exposes variables that start with `VITE_` to client code. Renaming it to `VITE_API_URL` fixes it."),
        U("Note to self: vite only exposes env vars prefixed with VITE_ to the client bundle."),
        bash("npx tsc --noEmit", "error TS5058: The specified path does not exist: 'tsconfig.json'.", True),
        bash("npx tsc --noEmit -p tsconfig.app.json", ""),
        U("let's stick with pnpm for the monorepo, npm keeps rewriting the lockfile"),
        A("Sounds good, we'll stick with pnpm across the monorepo. I'll run the build again."),
        bash("pnpm -r build", "packages/ui build: ✓ built in 2.31s\npackages/app build: ✓ built in 5.02s"),
        U("TIL that `npm ci` deletes node_modules before installing, that's why it's slow locally"),
        U("Could we drop the polyfills? We should probably upgrade React at some point. Remember to run the formatter."),
        A("Let me check the browserslist first; the polyfills are only needed for Safari 14."),
    ], expect=[("learnings", "VITE_"), ("learnings", "tsconfig.json"), ("decisions", "stick with pnpm"),
               ("learnings", "deletes node_modules")],
        reject=["drop the polyfills", "upgrade React", "run the formatter", "check the browserslist", "build again"]),

    Session("06-ml-pipeline", "ml-pipeline", "2026-03-07T11:00:00", [
        U("training crashes on the new box"),
        bash("python train.py --config configs/nightly.yaml",
             "Traceback (most recent call last):\n  File \"train.py\", line 3, in <module>\n    import lightgbm\n"
             "OSError: libgomp.so.1: cannot open shared object file: No such file or directory", True),
        bash("sudo apt-get install -y libgomp1", "Setting up libgomp1:amd64 (12.2.0-14) ..."),
        bash("python train.py --config configs/nightly.yaml", "[LightGBM] [Info] Finished loading 1204331 rows\nAUC 0.871"),
        U("Lesson learned: never pickle the model with a different numpy version than the one that loads it."),
        A("Agreed. To summarise where we landed:\n\n## Decisions\n\n- Keep the feature store in Parquet, partitioned by day.\n"
          "- Train nightly at 02:00 UTC from the `main` branch only.\n\n## Next steps\n\n- Add drift metrics to the dashboard\n"
          "- Backfill January"),
        U("there's an incident open for the recommendations API — p99 latency over 4s since midnight (INC-4821). the "
          "incident_id column in our events table is nullable btw, ignore that"),
        A("Should the retraining be triggered by data drift? We might move to Airflow eventually, but cron is fine for now."),
    ], expect=[("learnings", "libgomp"), ("learnings", "never pickle the model"), ("decisions", "Parquet, partitioned by day"),
               ("decisions", "Train nightly at 02:00"), ("incidents", "INC-4821")],
        reject=["Add drift metrics", "Backfill January", "triggered by data drift", "move to Airflow", "training crashes"]),

    Session("07-docs-incident-page", "docs-site", "2026-03-08T13:10:00", [
        U("Write a page explaining how we run incident response: declaring a SEV1, paging the on-call, writing the postmortem."),
        A("Here's a draft for `docs/incident-response.md`:\n\n> We decided long ago that every SEV1 gets a postmortem.\n\n"
          "## When production is down\n\nWhen production is down, page the on-call through PagerDuty and open a channel.\n\n"
          "```md\n# TIL\nDecision: use the incident template\n```"),
        U("What's our policy when prod is down on a weekend?"),
        A("The outage-banner component shows the status message; the `incident.py` script posts it."),
        edit("/home/dev/docs-site/docs/incident-response.md"),
        A("I decided to split the page into two sections: declaring and resolving.", sidechain=True),
        U("looks good. the incident plugin's README already links to it"),
    ], expect=[],
        reject=["every SEV1 gets a postmortem", "page the on-call through PagerDuty", "policy when prod is down",
                "outage-banner", "split the page", "incident plugin", "how we run incident response"]),

    Session("08-cli-rust", "cli-tool", "2026-03-09T09:40:00", [
        U("cargo build fails on the fresh container"),
        bash("cargo build", "   Compiling libc v0.2.158\nerror: linker `cc` not found\n  |\n  = note: No such file or directory "
             "(os error 2)", True),
        bash("apt-get install -y build-essential", "Setting up build-essential (12.9) ..."),
        bash("cargo build", "    Finished `dev` profile [unoptimized + debuginfo] target(s) in 41.20s"),
        A("It turns out `cargo test` runs the doc tests too, which is why the test run takes a minute."),
        U("we'll use clap's derive API everywhere instead of the builder, it's much easier to read"),
        U("Let's use `cargo nextest` to run them faster."),
        A("I decided to split `main.rs` into modules. The `incident` subcommand needs a `--since` flag."),
        bash("cargo clippy -- -D warnings", "error: unused variable: `since`\n  --> src/cmd/incident.rs:12:9", True),
        edit("/home/dev/cli-tool/src/cmd/incident.rs", "let since", "let _since"),
        bash("cargo clippy -- -D warnings", "    Finished `dev` profile [unoptimized + debuginfo] target(s) in 3.02s"),
        bash("grep -rn 'todo!' src", "", True),
        bash("grep -rn 'unimplemented!' src", "src/cmd/export.rs:40:        unimplemented!()"),
    ], expect=[("learnings", "linker `cc` not found"), ("learnings", "doc tests"), ("decisions", "derive API everywhere")],
        reject=["cargo nextest", "split `main.rs`", "--since", "unused variable", "todo!"]),

    Session("09-billing", "billing", "2026-03-10T15:00:00", [
        U("The decision is to bill annually by default, monthly stays available as an option."),
        A("Got it. I'll change the default plan interval in `plans.py`."),
        edit("/home/dev/billing/billing/plans.py", "interval='month'", "interval='year'"),
        U("From now on, never log full card numbers, only the last four digits."),
        U("We lost about 200 webhook events yesterday when the queue was purged by mistake, that's data loss we need to "
          "reconcile today"),
        A("Worth noting: Stripe retries webhooks for up to 3 days, so we can replay the missing ones from the dashboard "
          "or with `stripe events resend`."),
        U("What happens if a webhook arrives twice? The handler should be idempotent to prevent data loss. Stripe's docs "
          "describe an outage mode for webhooks too."),
        A("The handler is idempotent: it keys on the event id."),
    ], expect=[("decisions", "bill annually by default"), ("decisions", "never log full card numbers"),
               ("incidents", "lost about 200 webhook events"), ("learnings", "retries webhooks")],
        reject=["change the default plan interval", "arrives twice", "idempotent to prevent", "outage mode", "keys on the event id"]),

    Session("10-shop-python", "shop", "2026-03-11T10:05:00", [
        U("as we decided, fakeredis everywhere in the tests. now the Docker image fails with an import error"),
        bash("docker compose run --rm app pytest -q", "E   ImportError: bad magic number in 'shop.models': b'\\x03\\xf3\\r\\n'", True),
        A("The culprit was a stale `.pyc` cache baked into the Docker image; adding `PYTHONDONTWRITEBYTECODE=1` and a "
          "`.dockerignore` entry for `__pycache__` fixes it."),
        edit("/home/dev/shop/.dockerignore", "", "__pycache__/"),
        bash("docker compose run --rm app pytest -q", "40 passed in 4.02s"),
        U("also, we agreed to drop Python 3.9 support in the next release."),
        A("I'll update `requires-python` and the CI matrix."),
    ], expect=[("learnings", "stale `.pyc` cache"), ("decisions", "drop Python 3.9 support")],
        reject=["update `requires-python`", "import error"]),

    Session("11-mobile", "mobile", "2026-03-12T18:30:00", [
        U("push notifications never arrive in the simulator"),
        A("**Key takeaways:**\n\n1. The simulator caches entitlements, so reset it after changing them.\n"
          "2. Push notifications only work in the simulator from iOS 16 on, with an Apple silicon Mac."),
        U("gotcha: the build number must increase for every TestFlight upload, even for the same version"),
        A("Gotcha. Thanks!"),
        U("I learned Swift last year, so the code is fine, I just don't know Xcode well"),
    ], expect=[("learnings", "caches entitlements"), ("learnings", "iOS 16"), ("learnings", "build number must increase")],
        reject=["Gotcha. Thanks", "learned Swift", "never arrive"]),

    Session("12-warehouse", "warehouse", "2026-03-13T06:10:00", [
        U("sev1: the nightly ETL corrupted the orders table in prod, finance dashboards show doubled revenue"),
        bash("psql -c \"select count(*), count(distinct id) from orders where day = '2026-03-12'\"", " 84122 | 42061"),
        A("The root cause is that the UPSERT ran without the partition filter, so every row of the day was inserted again."),
        U("we've decided to put all destructive ETL steps behind a dry-run flag going forward"),
        U("Could this corrupt the data again? Add a test for data loss in the staging pipeline."),
        A("I'll add the test and a row-count check before the swap."),
    ], expect=[("incidents", "corrupted the orders table"), ("learnings", "without the partition filter"),
               ("decisions", "dry-run flag")],
        reject=["corrupt the data again", "test for data loss", "row-count check"]),

    Session("13-search", "search", "2026-03-14T12:00:00", [
        U("If prod goes down during the reindex, we need a rollback plan. I wonder whether we should standardise on "
          "OpenSearch. Maybe we decided this already?"),
        A("We could use aliases to swap indexes without downtime."),
        U("We're switching to index aliases for every reindex from now on."),
        U("TIL Elasticsearch refuses to close an index while a snapshot of it is running."),
        A("That matches the error we saw; I'll make the reindex script wait for the snapshot to finish."),
    ], expect=[("decisions", "switching to index aliases"), ("learnings", "refuses to close an index")],
        reject=["rollback plan", "standardise on OpenSearch", "decided this already", "without downtime", "wait for the snapshot"]),

    Session("14-tooling-fixes", "platform", "2026-03-15T08:00:00", [
        U("push my branch and start the stack"),
        bash("git push", " ! [rejected]        main -> main (non-fast-forward)\nerror: failed to push some refs", True),
        bash("git pull --rebase", "Successfully rebased and updated refs/heads/main."),
        bash("git push", "To github.com:acme/platform.git\n   4f1c2d0..9e8b7a6  main -> main"),
        bash("docker compose up -d db", "Error response from daemon: driver failed programming external connectivity: Error "
             "starting userland proxy: listen tcp4 0.0.0.0:5432: bind: address already in use", True),
        bash("sudo systemctl stop postgresql", ""),
        bash("docker compose up -d db", " ✔ Container platform-db-1  Started"),
        bash("python -m pytest tests/smoke", "/usr/bin/python: No module named pytest", True),
        bash("uv run pytest tests/smoke", "5 passed in 0.81s"),
        bash("ls build/", "ls: cannot access 'build/': No such file or directory", True),
        bash("ls dist/", "platform-0.4.0-py3-none-any.whl"),
        A("Pushed, the database is up, and the smoke tests pass."),
    ], expect=[("learnings", "non-fast-forward"), ("learnings", "address already in use"), ("learnings", "No module named pytest")],
        reject=["build/", "smoke tests pass"]),

    Session("15-odd-lines", "shop", "2026-03-16T17:00:00", [
        U("<command-name>/compact</command-name>\n<command-message>compact</command-message>\n<command-args></command-args>"),
        U("[Request interrupted by user]"),
        A("| Decision | Why |\n|---|---|\n| Use fakeredis | no Redis on CI |\n| Keep Celery | it works |"),
        A('You asked: "should we decide on the ORM now?" — I\'d wait until the schema settles.'),
        U("ok let's go with SQLAlchemy 2.0 for the ORM then"),
        A("I'd pick SQLAlchemy over Django ORM here as well."),
    ], expect=[("decisions", "SQLAlchemy 2.0")],
        reject=["Keep Celery", "decide on the ORM now", "over Django ORM"]),
]


# Written after the patterns, and measured once before any change to them
# (the figures are in README.md): phrasings the patterns were not made
# from, including entries only a model would see ("apparently ...", "one
# thing I keep forgetting ...").
HELD_OUT = [
    Session("16-ledger", "ledger", "2026-03-17T10:00:00", [
        U("ok so after the call with finance: we're going to keep the ledger append-only, no updates or deletes, ever. "
          "corrections are new entries."),
        A("Makes sense. Append-only also gives us an audit trail for free."),
        bash("pytest tests/ledger", "E   AssertionError: datetime(2026, 3, 1, 0, 0) != datetime(2026, 2, 28, 23, 0)", True),
        bash("TZ=UTC pytest tests/ledger", "12 passed in 0.44s"),
        U("fyi the ledger tests only pass with TZ=UTC, the fixtures have naive datetimes"),
        A("Heads up: the `refund` path still does an UPDATE on `ledger_entries`; I'll convert it to a reversing entry."),
        U("Should corrections reference the original entry id?"),
    ], expect=[("decisions", "append-only"), ("learnings", "TZ=UTC")],
        reject=["audit trail for free", "reversing entry", "reference the original entry id"]),

    Session("17-k8s", "k8s-cluster", "2026-03-18T09:00:00", [
        U("the cluster autoscaler isn't scaling up, pods stuck Pending"),
        bash("kubectl describe pod api-7d9f8-x2k4q", "Events:\n  Normal  NotTriggerScaleUp  cluster-autoscaler  pod didn't "
             "trigger scale-up: 1 max node group size reached"),
        A("The problem was that the node group's max size was already reached (10/10), so the autoscaler had nowhere to go."),
        A("For future reference, `kubectl describe pod` shows the autoscaler's `NotTriggerScaleUp` event with the reason."),
        U("alright, we'll raise max to 20 for now and revisit. Is the autoscaler even installed on the staging cluster?"),
        U("p1 incident just got declared for the EU cluster, api is returning 503s"),
        A("I'll check the ingress controller logs. If we hit the max again we should page someone."),
    ], expect=[("learnings", "max size was already reached"), ("learnings", "NotTriggerScaleUp"), ("incidents", "p1 incident")],
        reject=["even installed", "ingress controller logs", "page someone"]),

    Session("18-design-system", "design-system", "2026-03-19T14:00:00", [
        U("We settled on Tailwind for new components; the old SCSS modules stay until they're rewritten."),
        A("Great — I'll use Tailwind for the new `Button` and keep the SCSS module for `LegacyCard`."),
        bash("npm run storybook", "Error: spawn xdg-open ENOENT\n    at ChildProcess._handle.onexit", True),
        bash("npm run storybook -- --no-open", "Storybook 8.1.0 started\nLocal: http://localhost:6006/"),
        U("one thing i keep forgetting: storybook needs --no-open in the container or it crashes trying to launch a browser"),
        A("Let's go with CSS variables for the colour tokens so both systems share them."),
        U("Would it make sense to drop SCSS entirely? maybe later."),
    ], expect=[("decisions", "settled on Tailwind"), ("learnings", "no-open")],
        reject=["new `Button`", "drop SCSS entirely"]),

    Session("19-auth", "auth-service", "2026-03-20T11:00:00", [
        U("Key decision from the security review: session tokens expire after 12 hours, refresh tokens after 30 days."),
        A("I'll set `SESSION_TTL=12h` and `REFRESH_TTL=30d` in the config."),
        U("also the reason login was flaky: the clock on the CI runner drifts, and the JWT nbf check had no leeway"),
        A("Adding 30 seconds of leeway to the `nbf`/`exp` checks is the usual fix. The lockout logic prevents an outage of "
          "the login page under brute force."),
        bash("openssl rand -hex 32", "9f2c4e..."),
    ], expect=[("decisions", "expire after 12 hours"), ("learnings", "clock on the CI runner drifts")],
        reject=["SESSION_TTL", "outage of the login page", "usual fix"]),

    Session("20-analytics", "analytics", "2026-03-21T16:00:00", [
        U("Heads-up: we're deprecating the v1 events endpoint; everything goes through /v2/events from April."),
        A("The v2 endpoint batches events, so clients should send arrays."),
        U("btw the dashboard was down for an hour yesterday because the materialized view refresh locked the table"),
        bash("psql -f refresh.sql", "ERROR:  cannot refresh materialized view \"daily_active\" concurrently\nHINT:  Create a "
             "unique index with no WHERE clause on one or more columns of the materialized view.", True),
        A("Refreshing with `REFRESH MATERIALIZED VIEW CONCURRENTLY` avoids that lock; it needs a unique index on the view."),
        U("what if we moved analytics to ClickHouse?"),
    ], expect=[("decisions", "deprecating the v1 events endpoint"), ("incidents", "dashboard was down")],
        reject=["send arrays", "ClickHouse"]),

    Session("21-monorepo-ci", "monorepo", "2026-03-22T08:30:00", [
        U("Policy going forward: every PR needs a changeset file, the release bot refuses to publish otherwise."),
        A("I'll add a CI check that fails when `.changeset/` has no new file."),
        bash("pnpm changeset status", "🦋  error Some packages have been changed but no changesets were found.", True),
        U("huh, apparently GitHub Actions caches are scoped per branch, so main's cache isn't visible from tag builds"),
        A("Right — caches created on a branch are only visible to that branch and its children."),
        U("Do we want the check to be required? Let me look at the workflow file."),
    ], expect=[("decisions", "changeset file"), ("learnings", "scoped per branch")],
        reject=["add a CI check", "required?", "workflow file"]),

    Session("22-db-migration", "accounts", "2026-03-23T21:00:00", [
        U("we're doing the users table split tonight. if anything goes wrong we roll back with the snapshot."),
        A("Migration ran: 1.2M rows copied, constraints validated."),
        U("the migration took the table lock longer than expected and the API timed out for ~6 minutes, customers noticed. "
          "writing it up as an incident."),
        A("Lesson for next time: adding a column with a default rewrites the whole table on Postgres 10, so add it "
          "without the default and backfill in batches."),
    ], expect=[("incidents", "timed out for ~6 minutes"), ("learnings", "rewrites the whole table")],
        reject=["roll back with the snapshot", "1.2M rows copied"]),
]


# Written last and measured once, the patterns left as they were: the
# figure to believe (README.md).
BLIND = [
    Session("23-notifications", "notifier", "2026-03-24T10:00:00", [
        U("quick context: we use SES for email, and after today we're standardizing on SNS for push too, not Firebase."),
        A("I'll wire up SNS for the iOS and Android platform applications."),
        bash("aws sns create-platform-application --name ios-prod --platform APNS --attributes file://apns.json",
             "An error occurred (InvalidParameter) when calling the CreatePlatformApplication operation: Invalid parameter: "
             "Attributes Reason: Platform credentials are invalid", True),
        U("note: SES sandbox only lets you send to verified addresses, that's why staging emails vanish"),
        U("Can SNS do rich notifications? I'd keep Firebase for web push maybe."),
    ], expect=[("decisions", "SNS for push"), ("learnings", "verified addresses")],
        reject=["rich notifications", "Firebase for web push", "wire up SNS"]),

    Session("24-payments-retry", "payments", "2026-03-25T08:15:00", [
        U("we had a double-charge bug in production last night, ~40 customers were charged twice"),
        A("The retry middleware re-sent the charge request after a timeout without the idempotency key, so Stripe treated "
          "it as a new charge."),
        U("ok from here on every Stripe call must carry an idempotency key, no exceptions"),
        U("Could the webhook also double-process? Let me grep for other charge calls."),
    ], expect=[("incidents", "charged twice"), ("learnings", "without the idempotency key"),
               ("decisions", "idempotency key, no exceptions")],
        reject=["double-process", "grep for other charge calls"]),

    Session("25-docs-build", "handbook", "2026-03-26T13:30:00", [
        U("mkdocs build is failing"),
        bash("mkdocs build --strict", "WARNING - Doc file 'api.md' contains a link 'old/auth.md', but the target is not "
             "found among documentation files.\nAborted with 1 warnings in strict mode!", True),
        edit("/home/dev/handbook/docs/api.md", "old/auth.md", "auth.md"),
        bash("mkdocs build --strict", "INFO - Documentation built in 1.92 seconds"),
        A("Fixed the broken link in `api.md`; strict mode treats warnings as errors, which is why a single bad link fails "
          "the build."),
        U("nice. let's keep --strict in CI though. Does mkdocs support versioned docs?"),
    ], expect=[("decisions", "--strict in CI")],
        reject=["versioned docs", "Fixed the broken link"]),

    Session("26-incident-bot", "chatops", "2026-03-27T15:00:00", [
        U("add a /incident slash command to the slack bot that opens a channel named inc-<date>"),
        A("I'll add `IncidentCommand` in `bot/commands/incident.py` and register it in `bot/app.py`."),
        U("When someone runs /incident sev1, page the on-call automatically."),
        A("Done. The command declares an incident in the tracker and pages the on-call."),
        U("and the incident channel should be archived after the postmortem is published"),
    ], expect=[],
        reject=["slash command", "IncidentCommand", "page the on-call automatically", "declares an incident",
                "archived after the postmortem"]),

    Session("27-search-perf", "storefront", "2026-03-28T09:45:00", [
        U("the p95 on /search went from 180ms to 900ms after the ORM upgrade"),
        A("Found it: SQLAlchemy 2.0 no longer applies `lazy='joined'` the same way for this relationship, so every result "
          "triggers an extra query (N+1)."),
        U("good catch. we're pinning selectinload explicitly on all list endpoints from now on"),
        bash("pytest -k search --benchmark-only", "ERROR: usage: pytest [options] [file_or_dir] [file_or_dir] [...]\n"
             "pytest: error: unrecognized arguments: --benchmark-only", True),
        bash("uv add --dev pytest-benchmark", "Resolved 58 packages in 402ms\n + pytest-benchmark==4.0.0"),
        bash("pytest -k search --benchmark-only", "search_endpoint    Mean 182.4ms"),
        U("Should we add a query-count assertion to the tests? Maybe the cache would hide it anyway."),
    ], expect=[("learnings", "N+1"), ("decisions", "selectinload"), ("learnings", "--benchmark-only")],
        reject=["query-count assertion", "cache would hide it"]),

    Session("28-onboarding", "handbook", "2026-03-29T11:00:00", [
        U("new teammate starts monday. important: the VPN config lives in 1password, not in the repo, and the staging DB "
          "needs an SSH tunnel"),
        A("I'll add an onboarding checklist to `docs/onboarding.md` with the VPN and tunnel steps."),
        U("we also decided that new hires pair for their first two weeks"),
        U("What laptop should they get? If they're remote, ship the laptop early."),
    ], expect=[("learnings", "VPN config lives in 1password"), ("decisions", "pair for their first two weeks")],
        reject=["onboarding checklist", "What laptop", "ship the laptop early"]),
]


# A second blind batch, written after the first one had been measured and
# the patterns widened from what it showed; measured once, patterns left
# as they were. Its figures are the ones README.md gives.
BLIND_2 = [
    Session("29-airflow", "etl", "2026-03-30T07:30:00", [
        U("the daily DAG has been failing since Friday, can you look?"),
        bash("airflow dags list-import-errors", "filepath                       | error\n"
             "dags/daily_sales.py | ModuleNotFoundError: No module named 'pandas_gbq'"),
        A("### Root cause\n\nThe DAG imports `pandas_gbq`, which was removed from the worker image in Friday's base-image "
          "bump. Airflow marks the DAG as broken at parse time, so no task ever starts.\n\n### What I changed\n\n"
          "- Added `pandas-gbq==0.23.1` back to `requirements-worker.txt`\n- Added an import check to CI so a missing "
          "module fails the build instead of the scheduler\n\n### Follow-ups\n\n- Should we pin the base image by digest?"),
        U("yes, pin base images by digest from now on, tags move under us"),
    ], expect=[("learnings", "removed from the worker image"), ("decisions", "by digest")],
        reject=["import check to CI", "Should we pin"]),

    Session("30-samesite", "webshop", "2026-03-31T10:20:00", [
        U("users are getting logged out every 5 minutes on prod since this morning's release"),
        A("The new release sets the session cookie with `SameSite=Strict`, so the redirect back from the identity provider "
          "arrives without the cookie and the app starts a new session."),
        U("revert that to Lax. and let's agree: cookie attribute changes need a security review before they ship"),
        A("Reverted to `SameSite=Lax` and added a note in `SECURITY.md`."),
        U("Is Strict ever useful for us?"),
    ], expect=[("incidents", "logged out every 5 minutes"), ("learnings", "SameSite=Strict"),
               ("decisions", "security review")],
        reject=["Reverted to", "ever useful"]),

    Session("31-goprivate", "inventory", "2026-04-01T09:00:00", [
        bash("go build ./...", "go: github.com/acme/internal-lib@v1.4.0: reading https://proxy.golang.org/github.com/acme/"
             "internal-lib/@v/v1.4.0.info: 410 Gone", True),
        bash("GOPRIVATE=github.com/acme go build ./...", ""),
        U("right, private modules need GOPRIVATE or the proxy returns 410. I always forget that."),
        A("I'll add `GOPRIVATE` to the Makefile's env so CI has it too."),
    ], expect=[("learnings", "GOPRIVATE")],
        reject=["Makefile's env"]),

    Session("32-releases", "platform", "2026-04-02T15:00:00", [
        U("From the retro: we'll cut releases every other Tuesday, and hotfixes go out whenever needed."),
        U("also the staging deploy broke last week because someone merged with a red build, so the merge button now "
          "requires green CI"),
        A("I'll update `RELEASING.md` with the Tuesday cadence."),
        U("What if a Tuesday is a holiday?"),
    ], expect=[("decisions", "every other Tuesday")],
        reject=["Tuesday cadence", "holiday"]),

    Session("33-logging", "observability", "2026-04-03T12:00:00", [
        U("we had a SEV-2 this morning: logs stopped shipping for 3 hours because the Fluent Bit buffer filled the disk"),
        A("Fluent Bit's filesystem buffer has no size cap by default; `storage.total_limit_size` bounds it."),
        U("set it to 5G on every node. that's the standard from now on. Could we alert on buffer usage?"),
    ], expect=[("incidents", "SEV-2"), ("learnings", "no size cap by default"), ("decisions", "standard from now on")],
        reject=["alert on buffer usage"]),

    Session("34-eslint", "dashboard", "2026-04-04T16:40:00", [
        U("eslint is yelling about floating promises everywhere"),
        A("That's `@typescript-eslint/no-floating-promises`. I'd fix the real ones and `void` the intentional "
          "fire-and-forget calls."),
        U("ok. TIL you can prefix a promise with void to mark it intentionally unawaited"),
        bash("npx eslint . --fix", "Oops! Something went wrong! :(\n\nESLint: 9.2.0\n\nESLint couldn't find an "
             "eslint.config.(js|mjs|cjs) file.", True),
        bash("ESLINT_USE_FLAT_CONFIG=false npx eslint . --fix", ""),
        U("Going forward no floating promises in new code, lint blocks the PR."),
    ], expect=[("learnings", "prefix a promise with void"), ("learnings", "eslint.config"),
               ("decisions", "no floating promises")],
        reject=["fix the real ones", "yelling"]),
]


# The last batch: written after every change to the patterns and measured
# once; nothing was changed after. These are the figures to believe.
BLIND_3 = [
    Session("35-vault", "billing-api", "2026-04-05T09:10:00", [
        U("the app can't read secrets in the new namespace, vault says permission denied"),
        bash("vault kv get secret/billing/api", "Error reading secret/data/billing/api: Error making API request.\n\n"
             "Code: 403. Errors:\n\n* 1 error occurred:\n\t* permission denied", True),
        bash("vault login -method=oidc role=billing", "Success! You are now authenticated."),
        bash("vault kv get secret/billing/api", "====== Data ======\nKey        Value\n---        -----\nendpoint   https://..."),
        A("Your token had expired; the `billing` policy only grants read on `secret/data/billing/*` to the OIDC role, not "
          "to the old userpass token."),
        U("ugh. we're moving everyone to OIDC logins this quarter, userpass gets disabled in May. Can the CI runner use OIDC too?"),
    ], expect=[("decisions", "OIDC logins")],
        reject=["CI runner use OIDC"]),

    Session("36-kafka", "fulfilment", "2026-04-06T03:20:00", [
        U("consumer lag on orders-events is at 2M and climbing, the fulfilment service is stuck. this is customer-facing, "
          "orders aren't shipping"),
        A("One partition's consumer is stuck on a poison message: it fails to deserialize and the consumer retries it forever."),
        A("Lesson learned: the consumer needs a dead-letter topic so one bad message can't block a partition."),
        U("agreed, DLQ for every consumer from now on. Should the DLQ be per service or shared?"),
        A("Let me check the consumer group offsets."),
    ], expect=[("incidents", "orders aren't shipping"), ("learnings", "dead-letter topic"), ("decisions", "DLQ for every consumer")],
        reject=["per service or shared", "consumer group offsets"]),

    Session("37-safari-modal", "webshop", "2026-04-07T14:00:00", [
        U("the modal is behind the header on Safari"),
        A("It turns out Safari creates a new stacking context for elements with `-webkit-overflow-scrolling: touch`, so "
          "the modal's z-index is only compared inside the scroll container."),
        edit("/home/dev/webshop/src/styles/modal.css", "z-index: 10", "z-index: 1000"),
        U("nice, thanks! could you also check the footer?"),
        A("The footer looks fine; I checked it in Safari 17 and Chrome 124."),
    ], expect=[("learnings", "stacking context")],
        reject=["check the footer", "footer looks fine"]),

    Session("38-api-versioning", "public-api", "2026-04-08T10:00:00", [
        U("After a long thread we landed on URL versioning (/v2/...) rather than headers, mostly for cacheability."),
        A("Makes sense — CDN caching keys on the URL by default, while header versioning needs `Vary`."),
        U("I think header versioning is nicer but whatever"),
        U("also note that /v1 must keep working until all mobile clients upgrade, minimum 6 months"),
    ], expect=[("decisions", "URL versioning"), ("decisions", "must keep working")],
        reject=["header versioning is nicer"]),

    Session("39-failover", "accounts", "2026-04-09T02:30:00", [
        U("db primary failed over at 02:14, writes were rejected for about 4 minutes"),
        A("The failover itself worked; the 4 minutes were the app's connection pool holding dead connections until the TCP "
          "keepalive timed out."),
        U("so the fix is to set the pool's max lifetime and a lower keepalive. what's the current keepalive?"),
    ], expect=[("incidents", "writes were rejected"), ("learnings", "max lifetime")],
        reject=["current keepalive"]),

    Session("40-refactor", "toolkit", "2026-04-10T11:00:00", [
        U("refactor utils.py into smaller modules, keep the public API the same"),
        A("I'll split it into `strings.py`, `dates.py` and `io.py`, and re-export everything from `utils/__init__.py` so "
          "imports keep working."),
        bash("pytest -q", "212 passed in 6.10s"),
        A("## Summary\n\n- Split `utils.py` into three modules\n- Kept `from utils import *` working\n- All 212 tests pass"),
        U("great. did we decide whether to keep the deprecated helpers?"),
        A("Not yet — I left them in place with a `DeprecationWarning`."),
        U("leave them for now, we can decide next sprint"),
    ], expect=[],
        reject=["smaller modules", "re-export everything", "Split `utils.py`", "deprecated helpers", "DeprecationWarning",
                "decide next sprint"]),
]


def expected() -> dict:
    return {s.name: {"project": s.project, "set": "held-out" if s in HELD_OUT else "blind" if s in BLIND else
                     "blind-2" if s in BLIND_2 else "blind-3" if s in BLIND_3 else "tuned",
                     "expect": [{"category": c, "words": w} for c, w in s.expect], "reject": s.reject}
            for s in SESSIONS + HELD_OUT + BLIND + BLIND_2 + BLIND_3}


def main() -> int:
    for s in SESSIONS + HELD_OUT + BLIND + BLIND_2 + BLIND_3:
        write(s, os.path.join(HERE, s.name + ".jsonl"))
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected(), f, ensure_ascii=False, indent=1)
        f.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
