#!/usr/bin/env python3
"""A token realm for Distribution's registry, as Docker Hub and every
hosted registry run one: GET /token?service=...&scope=repository:NAME:ACTIONS
answers {"token": JWT}, the JWT signed RS256 (with `openssl dgst`) by the key
whose certificate the registry trusts (`rootcertbundle`), its `kid` in
libtrust's form. Basic auth `user:password` gets the actions asked for;
anyone else gets `pull` only. Prints the port, then serves until killed.

argv: KEY.pem CERT.pem SERVICE ISSUER USER PASSWORD LOG"""
import base64
import hashlib
import json
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

KEY, CERT, SERVICE, ISSUER, USER, PASSWORD, LOG = sys.argv[1:8]


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def libtrust_kid():
    pem = subprocess.run(["openssl", "x509", "-in", CERT, "-pubkey", "-noout"], capture_output=True, check=True).stdout
    der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "DER"], input=pem, capture_output=True, check=True).stdout
    b32 = base64.b32encode(hashlib.sha256(der).digest()[:30]).decode()
    return ":".join(b32[i:i + 4] for i in range(0, len(b32), 4))


KID = libtrust_kid()


def token(name, actions, subject):
    now = int(time.time())
    header = {"typ": "JWT", "alg": "RS256", "kid": KID}
    claims = {"iss": ISSUER, "sub": subject, "aud": SERVICE, "exp": now + 300, "nbf": now - 10, "iat": now,
              "jti": b64url(hashlib.sha256(str(time.time_ns()).encode()).digest()[:12]),
              "access": [{"type": "repository", "name": name, "actions": actions}]}
    signing_input = b64url(json.dumps(header).encode()) + "." + b64url(json.dumps(claims).encode())
    sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", KEY], input=signing_input.encode(), capture_output=True, check=True).stdout
    return signing_input + "." + b64url(sig)


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urlparse(self.path)
        query = parse_qs(url.query)
        auth = self.headers.get("Authorization", "")
        user = None
        if auth.startswith("Basic "):
            login = base64.b64decode(auth[6:]).decode()
            if login == USER + ":" + PASSWORD:
                user = USER
            else:
                self.send_response(401)
                self.end_headers()
                return
        scope = (query.get("scope") or ["repository::pull"])[0]
        _, name, wanted = scope.split(":", 2)
        actions = wanted.split(",") if user else [a for a in wanted.split(",") if a == "pull"]
        with open(LOG, "a") as f:
            f.write("%s %s %s\n" % (user or "-", name, ",".join(actions)))
        body = json.dumps({"token": token(name, actions, user or "anonymous")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
