#!/usr/bin/env python3
"""A minimal Streamable HTTP MCP server for the real-client tests: JSON-RPC
over POST on 127.0.0.1, answered as application/json, with one tool, `ping`.
Every request must carry `Authorization: <argv[1]>`; any other gets 401.
Prints the port it listens on, then serves until killed. Each request's
Authorization header (or "-") is appended to argv[2], so a test can see
what Claude Code sent."""
import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

EXPECTED = sys.argv[1]
SEEN = sys.argv[2]


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, code, body=None):
        data = b"" if body is None else json.dumps(body).encode()
        self.send_response(code)
        if body is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._send(405)

    def do_DELETE(self):
        self._send(405)

    def do_POST(self):
        auth = self.headers.get("Authorization")
        with open(SEEN, "a") as f:
            f.write((auth or "-") + "\n")
        length = int(self.headers.get("Content-Length") or 0)
        msg = json.loads(self.rfile.read(length) or b"{}")
        if auth != EXPECTED:
            return self._send(401, {"error": "unauthorized"})
        mid, method = msg.get("id"), msg.get("method")
        if mid is None:
            return self._send(202)
        if method == "initialize":
            version = msg.get("params", {}).get("protocolVersion", "2025-03-26")
            result = {"protocolVersion": version, "capabilities": {"tools": {}},
                      "serverInfo": {"name": "paii-test-http-mcp", "version": "0.1.0"}}
        elif method == "tools/list":
            result = {"tools": [{"name": "ping", "description": "HTTP-MCP-DESC replies pong",
                                 "inputSchema": {"type": "object", "properties": {}}}]}
        elif method == "tools/call":
            result = {"content": [{"type": "text", "text": "pong"}]}
        else:
            result = {}
        self._send(200, {"jsonrpc": "2.0", "id": mid, "result": result})


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
