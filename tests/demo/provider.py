#!/usr/bin/env python3
"""provider.py DIR KEYFILE PORTFILE - the demo's stand-in for the Midtrans
and Xendit status APIs (make demo; tests use tests/support/fake_provider.c).

Listens on 127.0.0.1 on a port the kernel picks, writes that port to
PORTFILE, and answers, for requests with HTTP basic auth KEY: (KEY the
first line of KEYFILE, empty password):
  GET /v2/ID/status      DIR/midtrans/ID.json, else Midtrans's not-found
                         ("status_code": "404" in a 200)
  GET /v2/invoices/ID    DIR/xendit/ID.json, else 404
Anything else: 404; a wrong or missing key: 401.  Stops on SIGTERM.
"""
import base64
import http.server
import os
import re
import signal
import sys


def main():
    top, keyfile, portfile = sys.argv[1:4]
    with open(keyfile) as f:
        key = f.readline().strip()
    want = "Basic " + base64.b64encode((key + ":").encode()).decode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self, status, body):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.headers.get("Authorization") != want:
                return self.answer(401, '{"error":"unauthorized"}')
            m = re.fullmatch(r"/v2/([A-Za-z0-9._~-]+)/status", self.path)
            x = re.fullmatch(r"/v2/invoices/([A-Za-z0-9._~-]+)", self.path)
            if m:
                path = os.path.join(top, "midtrans", m.group(1) + ".json")
                missing = (200, '{"status_code":"404","status_message":'
                           '"Transaction doesn\'t exist."}')
            elif x:
                path = os.path.join(top, "xendit", x.group(1) + ".json")
                missing = (404, '{"error_code":"INVOICE_NOT_FOUND_ERROR"}')
            else:
                return self.answer(404, '{"error":"no such API"}')
            if not os.path.exists(path):
                return self.answer(*missing)
            with open(path) as f:
                return self.answer(200, f.read())

        def log_message(self, fmt, *args):
            sys.stderr.write("provider: " + fmt % args + "\n")

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with open(portfile + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.rename(portfile + ".tmp", portfile)
    server.serve_forever()


if __name__ == "__main__":
    main()
