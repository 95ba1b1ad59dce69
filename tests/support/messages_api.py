#!/usr/bin/env python3
"""A scripted stand-in for the Anthropic Messages API on 127.0.0.1, for
driving the real Claude Code client offline from scripts (the Rust tests
have their own in tests/common/anthropic.rs; this one speaks the same
protocol).

    messages_api.py --port-file F --log REQUESTS.jsonl [--tool NAME --input JSON]

Every `POST /v1/messages` body is appended to the log as one JSON line.
The first request of a conversation is answered with the scripted tool call
(when there is one); any other, and a subagent's, with text.
"""
import argparse
import http.server
import json
import threading

FINAL = "FINAL: done"


def events(mid, model, blocks, stop):
    out = []

    def ev(name, data):
        out.append(f"event: {name}\ndata: {json.dumps(data)}\n\n")

    usage = {"input_tokens": 10, "output_tokens": 1, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    ev("message_start", {"type": "message_start", "message": {
        "id": mid, "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": None, "stop_sequence": None, "usage": usage}})
    for i, b in enumerate(blocks):
        if b["type"] == "tool_use":
            ev("content_block_start", {"type": "content_block_start", "index": i,
                                       "content_block": {"type": "tool_use", "id": b["id"], "name": b["name"], "input": {}}})
            ev("content_block_delta", {"type": "content_block_delta", "index": i,
                                       "delta": {"type": "input_json_delta", "partial_json": json.dumps(b["input"])}})
        else:
            ev("content_block_start", {"type": "content_block_start", "index": i,
                                       "content_block": {"type": "text", "text": ""}})
            ev("content_block_delta", {"type": "content_block_delta", "index": i,
                                       "delta": {"type": "text_delta", "text": b["text"]}})
        ev("content_block_stop", {"type": "content_block_stop", "index": i})
    ev("message_delta", {"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                         "usage": {"output_tokens": 5}})
    ev("message_stop", {"type": "message_stop"})
    return "".join(out).encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--log", required=True)
    ap.add_argument("--tool")
    ap.add_argument("--input", default="{}")
    args = ap.parse_args()
    lock = threading.Lock()
    ids = [0]

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_HEAD(self):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0") or 0))
            if self.path.split("?")[0] != "/v1/messages":
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            req = json.loads(body)
            with lock:
                with open(args.log, "a") as f:
                    f.write(json.dumps(req) + "\n")
                ids[0] += 1
                n = ids[0]
            last = (req.get("messages") or [{}])[-1]
            content = last.get("content") if isinstance(last.get("content"), list) else []
            tool_result = any(b.get("type") == "tool_result" for b in content)
            sub = "cc_is_subagent=true" in json.dumps(req.get("system"))
            if args.tool and not tool_result and not sub:
                blocks = [{"type": "tool_use", "id": f"toolu_{n:020}", "name": args.tool, "input": json.loads(args.input)}]
                stop = "tool_use"
            else:
                blocks, stop = [{"type": "text", "text": FINAL}], "end_turn"
            mid = f"msg_{n:024}"
            model = req.get("model", "claude-test")
            if req.get("stream"):
                data = events(mid, model, blocks, stop)
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            else:
                data = json.dumps({"id": mid, "type": "message", "role": "assistant", "model": model, "content": blocks,
                                   "stop_reason": stop, "stop_sequence": None,
                                   "usage": {"input_tokens": 10, "output_tokens": 5}}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(args.port_file, "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
