"""The lifecycle after ``declare``: paging and chat through whatever the lock
wired, ``update``, ``escalate``, ``page``, ``resolve``, ``list``, ``show``,
and what happens when an integration is missing or rejects its key."""

from __future__ import annotations

import json
import re

from helpers import ID_RE, PluginTest, fail

# Names no plugin in this repository has: the plugin must call what is wired.
WIRED = {"PAII_CONTRACT_PAGERDUTY": "oncall-pager", "PAII_CONTRACT_SLACK": "team-chat", "PAII_CONTRACT_MEMORY": "history"}
NO_PAGER = "no pager is wired (consumes `pagerduty`: install a plugin that provides IntegrationProvider for pagerduty)"
NO_CHAT = "no chat is wired (consumes `slack`: install a plugin that provides IntegrationProvider for slack)"
PAGER_KEY = "oncall-pager: PAGERDUTY_ROUTING_KEY is not set in $PAII_HOME/.env"
SLACK_KEY = "team-chat: SLACK_BOT_TOKEN is not set in $PAII_HOME/.env"


def opt(args, flag):
    return args[args.index(flag) + 1]


class PagingTest(PluginTest):
    def test_sev2_pages_the_wired_pager_and_posts_to_the_wired_chat(self):
        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "Checkout fails in eu-west", "--summary", "502s", "--json", env=WIRED)
        self.assertEqual(r.code, 0, r.err)
        data = r.json()
        incident_id = data["id"]
        self.assertEqual([c[1] for c in self.calls()], ["history", "oncall-pager", "team-chat"], "recorded first, then paged, then posted")
        (plugin, args), = self.calls_to("trigger")
        self.assertEqual(plugin, "oncall-pager")
        self.assertEqual(opt(args, "--severity"), "error")
        self.assertEqual(opt(args, "--dedup-key"), incident_id)
        self.assertEqual(opt(args, "--summary"), "[SEV-2] Checkout fails in eu-west (%s)" % incident_id)
        self.assertEqual(args[-1], "--json")
        (plugin, args), = self.calls_to("post")
        self.assertEqual(plugin, "team-chat")
        self.assertIn("%s declared: SEV-2 (Major), Checkout fails in eu-west" % incident_id, opt(args, "--text"))
        self.assertIn("Impact: 502s", opt(args, "--text"))
        self.assertEqual(args[-1], "--json")
        self.assertEqual(data["paging"], "paged")
        self.assertEqual(data["integrations"], {"pagerduty": "oncall-pager", "slack": "team-chat"})
        page, = data["pages"]
        self.assertEqual((page["dedup_key"], page["severity"], page["status"], page["provider"]), (incident_id, "error", "triggered", "oncall-pager"))
        self.assertEqual(page["url"], "https://acme.pagerduty.com/incidents/Q" + incident_id[-4:])
        self.assertEqual(self.events(incident_id), ["declared", "recorded", "paged", "posted"])
        self.assertEqual(self.state(incident_id)["pages"], data["pages"])

        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "Checkout fails", env=WIRED)
        self.assertIn("paged: `oncall-pager` triggered severity error, dedup key INC-", r.out)
        self.assertIn("posted: `team-chat` in #incidents", r.out)
        self.assertNotIn("would", r.out)

    def test_each_severity_pages_as_the_table_says(self):
        for severity, level in (("SEV-1", "critical"), ("SEV-2", "error")):
            with self.subTest(severity=severity):
                self.forget_calls()
                incident_id = self.declare("--severity", severity, "--title", "x", env=WIRED)
                (_, args), = self.calls_to("trigger")
                self.assertEqual(opt(args, "--severity"), level)
        for severity in ("SEV-3", "SEV-4"):
            with self.subTest(severity=severity):
                self.forget_calls()
                r = self.run_incident("declare", "--severity", severity, "--title", "x", env=WIRED)
                self.assertEqual(r.code, 0, r.err)
                self.assertEqual(self.calls_to("trigger"), [], "%s pages nobody" % severity)
                self.assertEqual(len(self.calls_to("post")), 1, "but it is posted")
                incident_id = re.search(ID_RE, r.out).group(0)
                self.assertIn("not paged: %s pages nobody (`paii run incident --action page -- %s` pages anyway)" % (severity, incident_id), r.out)
                self.assertEqual(self.state(incident_id)["paging"], "not_required")

    def test_with_no_pager_wired_it_says_so(self):
        r = self.run_incident("declare", "--severity", "SEV-1", "--title", "API down")
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("not paged: %s; page on-call by hand" % NO_PAGER, r.out)
        self.assertIn("not posted: %s" % NO_CHAT, r.out)
        self.assertNotIn("would page", r.out)
        self.assertEqual(self.calls(), [])
        incident_id = re.search(ID_RE, r.out).group(0)
        self.assertEqual(self.state(incident_id)["paging"], "not_wired")
        self.assertIn(NO_PAGER, self.state(incident_id)["timeline"][1]["text"])
        # `none` is how paii says an optional contract has no provider
        r = self.run_incident("declare", "--severity", "SEV-1", "--title", "x", env={"PAII_CONTRACT_PAGERDUTY": "none"})
        self.assertIn(NO_PAGER, r.out)
        self.assertEqual(self.calls(), [])

    def test_a_rejected_pager_key_keeps_the_record_and_says_paging_failed(self):
        scenario = {"oncall-pager trigger": fail(PAGER_KEY)}
        r = self.run_incident("declare", "--severity", "SEV-1", "--title", "API down", env=WIRED, scenario=scenario)
        self.assertEqual(r.code, 1)
        incident_id = re.search(ID_RE, r.out).group(0)
        self.assertIn("paging %s through `oncall-pager` failed: `oncall-pager` exited with 1: %s" % (incident_id, PAGER_KEY), r.err)
        self.assertIn("Page on-call by hand now", r.err)
        self.assertIn("`paii run incident --action page -- %s` pages again" % incident_id, r.err)
        self.assertIn("PAGING FAILED through `oncall-pager`", r.out)
        state = self.state(incident_id)
        self.assertEqual(state["paging"], "failed")
        self.assertEqual(state["pages"], [])
        self.assertEqual(self.events(incident_id), ["declared", "recorded", "page_failed", "posted"])
        self.assertIn("PAGERDUTY_ROUTING_KEY is not set", state["timeline"][2]["text"])
        self.assertEqual(len(self.calls_to("post")), 1, "the chat still hears of it")
        r = self.run_incident("list")
        self.assertIn("PAGING FAILED", r.out)

        # the key fixed, `page` pages the incident that is already recorded
        self.forget_calls()
        r = self.run_incident("page", incident_id, "--json", env=WIRED)
        self.assertEqual(r.code, 0, r.err)
        (_, args), = self.calls_to("trigger")
        self.assertEqual((opt(args, "--dedup-key"), opt(args, "--severity")), (incident_id, "critical"))
        self.assertEqual(r.json()["paging"], "paged")
        self.assertEqual(self.events(incident_id)[-1], "paged")

    def test_a_missing_chat_token_is_an_error_and_the_page_still_goes_out(self):
        scenario = {"team-chat post": fail(SLACK_KEY)}
        r = self.run_incident("declare", "--severity", "SEV-2", "--title", "x", "--json", env=WIRED, scenario=scenario)
        self.assertEqual(r.code, 1)
        data = r.json()
        self.assertIn("posting %s to chat through `team-chat` failed: `team-chat` exited with 1: %s" % (data["id"], SLACK_KEY), r.err)
        self.assertEqual(data["paging"], "paged")
        self.assertEqual(self.events(data["id"]), ["declared", "recorded", "paged", "post_failed"])
        self.assertTrue(any(SLACK_KEY in e for e in data["errors"]))

    def test_paii_failing_to_run_the_pager_is_a_clear_error(self):
        scenario = {"trigger": {"code": 1, "stderr": "error: required secret PAGERDUTY_ROUTING_KEY is not in .env; skipped\n"}}
        r = self.run_incident("declare", "--severity", "SEV-1", "--title", "x", env=WIRED, scenario=scenario)
        self.assertEqual(r.code, 1)
        self.assertIn("required secret PAGERDUTY_ROUTING_KEY is not in .env", r.err)

    def test_page_needs_a_pager_and_an_open_incident(self):
        incident_id = self.declare("--severity", "SEV-3", "--title", "x")
        r = self.run_incident("page", incident_id)
        self.assertEqual(r.code, 1)
        self.assertIn("%s is not paged: %s" % (incident_id, NO_PAGER), r.err)
        self.run_incident("resolve", incident_id)
        r = self.run_incident("page", incident_id, env=WIRED)
        self.assertEqual(r.code, 1)
        self.assertIn("resolved", r.err)
        self.assertEqual(self.calls_to("trigger"), [])


class UpdateTest(PluginTest):
    def test_update_appends_to_the_timeline_and_posts(self):
        incident_id = self.declare("--severity", "SEV-3", "--title", "Search is stale", env=WIRED)
        self.forget_calls()
        r = self.run_incident("update", incident_id, "--note", "Indexer is stuck on a poison message", env=WIRED)
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("Updated %s: [SEV-3] Search is stale" % incident_id, r.out)
        entry = self.state(incident_id)["timeline"][-2]
        self.assertEqual((entry["event"], entry["text"]), ("note", "Indexer is stuck on a poison message"))
        self.assertEqual(self.events(incident_id)[-1], "posted")
        (plugin, args), = self.calls_to("post")
        self.assertEqual(plugin, "team-chat")
        self.assertIn("%s update (SEV-3, investigating): Search is stale" % incident_id, opt(args, "--text"))
        self.assertIn("Indexer is stuck on a poison message", opt(args, "--text"))
        self.assertEqual(self.calls_to("trigger"), [])

    def test_update_without_chat_says_so(self):
        incident_id = self.declare("--title", "x")
        r = self.run_incident("update", incident_id, "--note", "-n looks like a flag but is a note", "--json")
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(r.json()["timeline"][-1]["text"], "-n looks like a flag but is a note")
        r = self.run_incident("update", incident_id, "--note", "more")
        self.assertIn("not posted: " + NO_CHAT, r.out)

    def test_raising_into_a_paging_severity_pages_once(self):
        incident_id = self.declare("--severity", "SEV-3", "--title", "Search is stale", env=WIRED)
        self.forget_calls()
        r = self.run_incident("update", incident_id, "--severity", "sev-2", "--note", "most customers now", "--json", env=WIRED)
        self.assertEqual(r.code, 0, r.err)
        data = r.json()
        self.assertEqual((data["severity"], data["severity_name"], data["severities"]), ("SEV-2", "Major", ["SEV-3", "SEV-2"]))
        self.assertTrue(data["postmortem_required"])
        (_, args), = self.calls_to("trigger")
        self.assertEqual((opt(args, "--severity"), opt(args, "--dedup-key")), ("error", incident_id))
        self.assertIn("severity SEV-3 -> SEV-2: most customers now", [e["text"] for e in data["timeline"]])
        # already paged: raising again does not page again
        self.forget_calls()
        self.run_incident("update", incident_id, "--severity", "SEV-1", env=WIRED)
        self.assertEqual(self.calls_to("trigger"), [])
        # lowering keeps the postmortem obligation
        r = self.run_incident("update", incident_id, "--severity", "SEV-4", "--json", env=WIRED)
        self.assertTrue(r.json()["postmortem_required"])

    def test_status_changes(self):
        incident_id = self.declare("--title", "x")
        r = self.run_incident("update", incident_id, "--status", "mitigated", "--json")
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(r.json()["status"], "mitigated")
        self.assertIsNotNone(r.json()["mitigated_at"])
        for bad in ("resolved", "done"):
            r = self.run_incident("update", incident_id, "--status", bad)
            self.assertEqual(r.code, 2)
            self.assertIn("investigating, identified, mitigated", r.err)
        self.assertIn("`paii run incident --action resolve -- ID` resolves", self.run_incident("update", incident_id, "--status", "resolved").err)

    def test_an_update_that_changes_nothing_posts_nothing(self):
        incident_id = self.declare("--severity", "SEV-2", "--title", "x")
        before = self.state(incident_id)
        self.forget_calls()
        r = self.run_incident("update", incident_id, "--severity", "SEV-2", "--status", "investigating", env=WIRED)
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("no change (already SEV-2, investigating)", r.out)
        self.assertEqual(self.calls(), [])
        self.assertEqual(self.state(incident_id), before)

    def test_update_usage_errors(self):
        incident_id = self.declare("--title", "x")
        r = self.run_incident("update", incident_id)
        self.assertEqual(r.code, 2)
        self.assertIn("nothing to update", r.err)
        r = self.run_incident("update", incident_id, "--severity", "SEV-7")
        self.assertEqual(r.code, 2)
        r = self.run_incident("update", "--note", "x")
        self.assertEqual(r.code, 2, "the id is required")

    def test_a_resolved_incident_takes_notes_only(self):
        incident_id = self.declare("--title", "x")
        self.run_incident("resolve", incident_id)
        self.assertEqual(self.run_incident("update", incident_id, "--note", "found the cause").code, 0)
        r = self.run_incident("update", incident_id, "--severity", "SEV-1")
        self.assertEqual(r.code, 1)
        self.assertIn("only --note", r.err)


class EscalateTest(PluginTest):
    CFG = {"PAII_CONFIG": json.dumps({"escalation_threshold_minutes": 10})}

    def test_escalation_waits_for_the_threshold(self):
        env = dict(WIRED, **self.CFG)
        incident_id = self.declare("--severity", "SEV-2", "--title", "Checkout fails", env=env)
        self.forget_calls()
        r = self.run_incident("escalate", incident_id, env=env)
        self.assertEqual(r.code, 1)
        self.assertRegex(r.err, r"%s was declared \d+s ago \(.*\); escalation_threshold_minutes is 10, so it escalates from " % incident_id)
        self.assertIn("add --force", r.err)
        self.assertEqual(r.out, "")
        self.assertEqual(self.calls(), [])
        self.assertNotIn("escalation", self.events(incident_id))

        self.backdate(incident_id, 11)
        r = self.run_incident("escalate", incident_id, "--note", "no owner for the gateway", "--json", env=env)
        self.assertEqual(r.code, 0, r.err)
        data = r.json()
        (plugin, args), = self.calls_to("trigger")
        self.assertEqual(plugin, "oncall-pager")
        self.assertEqual(opt(args, "--severity"), "critical")
        self.assertEqual(opt(args, "--dedup-key"), incident_id + "-esc1", "a new key, or PagerDuty folds it into the open page")
        self.assertTrue(opt(args, "--summary").startswith("ESCALATED (1): [SEV-2] Checkout fails"))
        self.assertEqual(data["escalations"], 1)
        self.assertEqual([p["dedup_key"] for p in data["pages"]], [incident_id, incident_id + "-esc1"])
        self.assertEqual(self.events(incident_id)[-3:], ["escalation", "paged", "posted"])
        self.assertIn("no owner for the gateway", data["timeline"][-3]["text"])
        (_, args), = self.calls_to("post")
        self.assertIn("%s escalated to the next level of on-call (1)" % incident_id, opt(args, "--text"))

        # the clock starts again at the escalation
        r = self.run_incident("escalate", incident_id, env=env)
        self.assertEqual(r.code, 1)
        self.assertIn("was last escalated", r.err)
        r = self.run_incident("escalate", incident_id, "--force", env=env)
        self.assertEqual(r.code, 0, r.err)
        self.assertEqual(opt(self.calls_to("trigger")[-1][1], "--dedup-key"), incident_id + "-esc2")
        self.assertIn("Escalated %s: [SEV-2] Checkout fails (level 2)" % incident_id, r.out)

    def test_force_escalates_at_once(self):
        incident_id = self.declare("--severity", "SEV-3", "--title", "x", env=self.CFG)
        r = self.run_incident("escalate", incident_id, "--force", "--json", env=dict(WIRED, **self.CFG))
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("forced before the threshold", r.json()["pages"][0]["reason"])

    def test_the_threshold_is_the_configured_one_now(self):
        incident_id = self.declare("--title", "x", env=self.CFG)
        self.backdate(incident_id, 11)
        r = self.run_incident("escalate", incident_id, env=dict(WIRED, PAII_CONFIG=json.dumps({"escalation_threshold_minutes": 60})))
        self.assertEqual(r.code, 1)
        self.assertIn("escalation_threshold_minutes is 60", r.err)

    def test_a_bad_threshold_escalates_after_the_default(self):
        incident_id = self.declare("--title", "x")
        self.backdate(incident_id, 29)
        env = dict(WIRED, PAII_CONFIG=json.dumps({"escalation_threshold_minutes": -5}))
        r = self.run_incident("escalate", incident_id, env=env)
        self.assertEqual(r.code, 1)
        self.assertIn("escalation_threshold_minutes is 30", r.err)
        self.assertIn("escalation_threshold_minutes = -5", r.err)
        self.backdate(incident_id, 2)
        self.assertEqual(self.run_incident("escalate", incident_id, env=env).code, 0)

    def test_escalating_without_a_pager(self):
        incident_id = self.declare("--title", "x")
        r = self.run_incident("escalate", incident_id, "--force")
        self.assertEqual(r.code, 1)
        self.assertIn("%s is not escalated: %s" % (incident_id, NO_PAGER), r.err)
        self.assertIn("Page the next level of on-call by hand", r.err)
        self.assertEqual(self.events(incident_id)[-2:], ["escalation", "not_paged"])
        self.assertEqual(self.state(incident_id)["escalations"], 0)

    def test_a_failed_escalation_is_retried_with_the_same_key(self):
        incident_id = self.declare("--title", "x")
        r = self.run_incident("escalate", incident_id, "--force", env=WIRED, scenario={"trigger": fail(PAGER_KEY)})
        self.assertEqual(r.code, 1)
        self.assertIn("`paii run incident --action escalate -- %s` pages again" % incident_id, r.err)
        self.assertEqual(self.state(incident_id)["paging"], "failed")
        r = self.run_incident("escalate", incident_id, "--force", env=WIRED)
        self.assertEqual(r.code, 0, r.err)
        keys = [opt(args, "--dedup-key") for _, args in self.calls_to("trigger")]
        self.assertEqual(keys, [incident_id + "-esc1", incident_id + "-esc1"])

    def test_a_resolved_incident_is_not_escalated(self):
        incident_id = self.declare("--title", "x")
        self.run_incident("resolve", incident_id)
        r = self.run_incident("escalate", incident_id, "--force", env=WIRED)
        self.assertEqual(r.code, 1)
        self.assertIn("resolved", r.err)
        self.assertEqual(self.calls_to("trigger"), [])


class ResolveTest(PluginTest):
    def test_resolve_resolves_every_page_posts_and_records(self):
        incident_id = self.declare("--severity", "SEV-1", "--title", "API down", env=WIRED)
        self.run_incident("escalate", incident_id, "--force", env=WIRED)
        self.forget_calls()
        r = self.run_incident("resolve", incident_id, "--note", "rolled back 2025.03.14-2", "--json", env=WIRED)
        self.assertEqual(r.code, 0, r.err)
        data = r.json()
        self.assertEqual(data["status"], "resolved")
        self.assertIsNotNone(data["resolved_at"])
        keys = [opt(args, "--dedup-key") for plugin, args in self.calls_to("resolve") if plugin == "oncall-pager"]
        self.assertEqual(keys, [incident_id, incident_id + "-esc1"])
        self.assertEqual({p["status"] for p in data["pages"]}, {"resolved"})
        (_, args), = self.calls_to("post")
        self.assertIn("%s resolved after" % incident_id, opt(args, "--text"))
        self.assertIn("rolled back 2025.03.14-2", opt(args, "--text"))
        (plugin, args), = self.calls_to("record")
        self.assertEqual(plugin, "history")
        self.assertEqual(opt(args, "--title"), "%s: resolved [SEV-1] API down" % incident_id)
        self.assertIn("page_resolved", opt(args, "--body"))
        self.assertEqual(self.events(incident_id)[-5:], ["resolved", "page_resolved", "page_resolved", "posted", "recorded"])

        # resolving again changes nothing and calls nobody
        self.forget_calls()
        r = self.run_incident("resolve", incident_id, env=WIRED)
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("was already resolved", r.out)
        self.assertEqual(self.calls(), [])

    def test_a_failed_page_resolution_is_retried(self):
        incident_id = self.declare("--severity", "SEV-2", "--title", "x", env=WIRED)
        r = self.run_incident("resolve", incident_id, env=WIRED, scenario={"oncall-pager resolve": fail(PAGER_KEY)})
        self.assertEqual(r.code, 1)
        self.assertIn("resolving the page %s of %s through `oncall-pager` failed" % (incident_id, incident_id), r.err)
        self.assertEqual(self.state(incident_id)["status"], "resolved", "the incident is resolved all the same")
        self.forget_calls()
        r = self.run_incident("resolve", incident_id, env=WIRED)
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("resolving its open pages", r.out)
        self.assertEqual(len(self.calls_to("resolve")), 1)
        self.assertEqual(self.calls_to("post"), [], "the resolution was already announced")

    def test_open_pages_without_a_pager_are_named(self):
        incident_id = self.declare("--severity", "SEV-2", "--title", "x", env=WIRED)
        r = self.run_incident("resolve", incident_id)
        self.assertEqual(r.code, 1)
        self.assertIn("stay open: %s; resolve them in PagerDuty" % NO_PAGER, r.err)
        self.assertIn(incident_id, r.err)

    def test_resolve_says_when_a_postmortem_is_due(self):
        incident_id = self.declare("--severity", "SEV-2", "--title", "x")
        r = self.run_incident("resolve", incident_id)
        self.assertIn("postmortem: required; draft it with `paii run incident --action postmortem -- %s`" % incident_id, r.out)
        incident_id = self.declare("--severity", "SEV-4", "--title", "x")
        self.assertNotIn("postmortem", self.run_incident("resolve", incident_id).out)


class ListAndShowTest(PluginTest):
    def test_list_shows_open_incidents_and_all_with_all(self):
        self.assertIn("no open incidents", self.run_incident("list").out)
        first = self.declare("--severity", "SEV-2", "--title", "Checkout fails")
        second = self.declare("--severity", "SEV-4", "--title", "Dashboard wrong")
        self.run_incident("resolve", second)
        self.backdate(first, 95)
        r = self.run_incident("list")
        self.assertEqual(r.code, 0, r.err)
        lines = r.out.splitlines()
        self.assertEqual(lines[0].split(), ["ID", "SEV", "STATUS", "AGE", "TITLE"])
        self.assertEqual(len(lines), 2)
        self.assertRegex(lines[1], r"^%s  SEV-2  investigating  1h3\dm  +Checkout fails  \(escalation due\)$" % first)
        r = self.run_incident("list", "--all", "--json")
        rows = r.json()
        self.assertEqual([row["id"] for row in rows], [first, second], "oldest first")
        self.assertEqual(rows[1]["status"], "resolved")
        for key in ("id", "severity", "status", "age", "age_seconds", "title", "declared_at", "escalation_due"):
            self.assertIn(key, rows[0])
        self.assertTrue(rows[0]["escalation_due"])
        self.assertGreaterEqual(rows[0]["age_seconds"], 95 * 60)
        self.assertEqual([row["id"] for row in self.run_incident("list", "--json").json()], [first])

    def test_a_mitigated_incident_is_not_due_for_escalation(self):
        incident_id = self.declare("--title", "x")
        self.run_incident("update", incident_id, "--status", "mitigated")
        self.backdate(incident_id, 45)
        self.assertFalse(self.run_incident("list", "--json").json()[0]["escalation_due"])

    def test_a_broken_state_file_is_reported_not_hidden(self):
        good = self.declare("--title", "good")
        (self.data / "incidents" / "INC-20250101-000000-dead.json").write_text("{not json")
        r = self.run_incident("list", "--json")
        self.assertEqual(r.code, 0)
        self.assertEqual([row["id"] for row in r.json()], [good])
        self.assertIn("INC-20250101-000000-dead.json is not JSON", r.err)

    def test_show(self):
        incident_id = self.declare("--severity", "SEV-2", "--title", "Checkout fails", env=WIRED)
        r = self.run_incident("show", incident_id)
        self.assertEqual(r.code, 0, r.err)
        self.assertIn("%s: [SEV-2] Checkout fails" % incident_id, r.out)
        self.assertIn("page: %s triggered (error)" % incident_id, r.out)
        self.assertRegex(r.out, r"timeline \(UTC\):\n  \S+Z  declared +declared SEV-2")
        data = self.run_incident("show", incident_id.lower(), "--json").json()
        self.assertEqual(data["id"], incident_id, "ids are matched whatever their case")
        self.assertEqual(data["timeline"], self.state(incident_id)["timeline"])


class UnknownIdTest(PluginTest):
    def test_an_unknown_id_is_named_with_the_way_to_list_them(self):
        self.declare("--title", "x")
        for bad in ("INC-20250101-000000-beef", "INC-42", "../../etc/passwd", ""):
            for action in ("update", "escalate", "page", "resolve", "show", "postmortem"):
                args = [action, bad] + (["--note", "x"] if action == "update" else [])
                with self.subTest(id=bad, action=action):
                    r = self.run_incident(*args, env=WIRED)
                    self.assertEqual(r.code, 1, r.err)
                    self.assertIn("no incident `%s`" % bad, r.err)
                    self.assertIn("`paii run incident --action list -- --all` lists them", r.err)
                    self.assertEqual(r.out, "")
        self.assertEqual([c for c in self.calls() if c[3] != "record"], [])
