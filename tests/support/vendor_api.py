"""PagerDuty's Events API v2 and Slack's chat.postMessage on 127.0.0.1, as
the vendors document them, for the tests that run paii's integrations end
to end: each request is checked (method, path, auth, content type, required
fields), answered as the vendor answers, and appended to a JSON-lines log.

    python3 vendor_api.py PORT LOG ROUTING_KEY SLACK_TOKEN
"""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PORT, LOG, ROUTING_KEY, SLACK_TOKEN = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, code, body):
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            doc = json.loads(body)
        except ValueError:
            doc = None
        with open(LOG, "a") as f:
            f.write(json.dumps({"path": self.path, "auth": self.headers.get("Authorization"),
                                "type": self.headers.get("Content-Type"), "body": doc}) + "\n")
        if not (self.headers.get("Content-Type") or "").startswith("application/json") or not isinstance(doc, dict):
            return self.answer(400, {"status": "invalid event", "message": "Event object is invalid"})
        if self.path == "/v2/enqueue":
            if doc.get("routing_key") != ROUTING_KEY:
                return self.answer(400, {"status": "invalid event", "message": "Event object is invalid", "errors": ["Invalid routing key"]})
            if doc.get("event_action") not in ("trigger", "acknowledge", "resolve") or not doc.get("dedup_key") and doc.get("event_action") != "trigger":
                return self.answer(400, {"status": "invalid event", "message": "Event object is invalid", "errors": ["bad event_action or dedup_key"]})
            if doc["event_action"] == "trigger":
                p = doc.get("payload") or {}
                if not all(p.get(k) for k in ("summary", "source", "severity")):
                    return self.answer(400, {"status": "invalid event", "message": "Event object is invalid", "errors": ["payload needs summary, source, severity"]})
            return self.answer(202, {"status": "success", "message": "Event processed", "dedup_key": doc.get("dedup_key") or "generated"})
        if self.path == "/api/chat.postMessage":
            if self.headers.get("Authorization") != "Bearer " + SLACK_TOKEN:
                return self.answer(200, {"ok": False, "error": "invalid_auth"})
            if not doc.get("channel") or not doc.get("text"):
                return self.answer(200, {"ok": False, "error": "no_text" if doc.get("channel") else "channel_not_found"})
            return self.answer(200, {"ok": True, "channel": "C0INCIDENTS", "ts": "1700000000.000100", "message": {"text": doc["text"]}})
        return self.answer(404, {"error": "not found"})


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
