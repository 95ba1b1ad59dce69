"""``history drain``: the events paii queued for history (an observer),
handed over in a batch at Stop."""

import json

from .helpers import Home, event


class Drain(Home):
    def test_a_batch_is_recorded_in_order_with_the_time_each_event_was_queued(self):
        t0 = 1767225600000  # 2026-01-01T00:00:00Z
        records = [
            {"event": "pre-tool-use", "queued_at": t0, "input": event("PreToolUse", tool_name="Bash", tool_input={"command": "ls"})},
            {"event": "post-tool-use", "queued_at": t0 + 1500, "input": event("PostToolUse", tool_name="Bash")},
        ]
        stdin = "".join(json.dumps(r) + "\n" for r in records)
        p = self.run_history(["drain"], stdin)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        self.assertEqual(p.stdout.decode().splitlines(), ['{"consumed": 1}', '{"consumed": 2}'])
        lines = self.raw_lines()
        self.assertEqual([l["event"] for l in lines], ["PreToolUse", "PostToolUse"])
        self.assertEqual([l["time"] for l in lines], ["2026-01-01T00:00:00.000Z", "2026-01-01T00:00:01.500Z"])
        self.assertTrue((self.history / "raw" / "2026-01" / "2026-01-01.jsonl").is_file(), "filed under the day it happened")
