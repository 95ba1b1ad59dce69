#!/usr/bin/env python3
"""A minimal stdio MCP server for the real-client tests: newline-delimited
JSON-RPC 2.0 with one tool, `ping`, whose description is argv[1]."""
import json
import os
import sys

DESCRIPTION = sys.argv[1] if len(sys.argv) > 1 else "replies pong"
# `--token-sha256 HEX`: refuse to start unless $PING_TOKEN hashes to HEX
# (a test's proof that the server was given its secret).
if len(sys.argv) > 3 and sys.argv[2] == "--token-sha256":
    import hashlib
    if hashlib.sha256(os.environ.get("PING_TOKEN", "").encode()).hexdigest() != sys.argv[3]:
        sys.exit("PING_TOKEN is not the expected token")


def send(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


for line in sys.stdin:
    line = line.strip()
    if not line:
        continue
    msg = json.loads(line)
    mid, method = msg.get("id"), msg.get("method")
    if mid is None:  # a notification
        continue
    if method == "initialize":
        version = msg.get("params", {}).get("protocolVersion", "2024-11-05")
        send({"jsonrpc": "2.0", "id": mid, "result": {
            "protocolVersion": version, "capabilities": {"tools": {}},
            "serverInfo": {"name": "paii-test-mcp", "version": "0.1.0"}}})
    elif method == "tools/list":
        send({"jsonrpc": "2.0", "id": mid, "result": {"tools": [{
            "name": "ping", "description": DESCRIPTION,
            "inputSchema": {"type": "object", "properties": {"msg": {"type": "string"}}}}]}})
    elif method == "tools/call":
        args = msg.get("params", {}).get("arguments", {})
        send({"jsonrpc": "2.0", "id": mid, "result": {"content": [{"type": "text", "text": "pong " + str(args.get("msg", ""))}]}})
    elif method == "ping":
        send({"jsonrpc": "2.0", "id": mid, "result": {}})
    else:
        send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": "method not found: " + str(method)}})
