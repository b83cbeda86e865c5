#!/usr/bin/python3
"""gen.py DIR PREFIX THREADS PER_THREAD SECRET [SCHEME]

Pre-sign webhook deliveries for wrk: wrk's Lua has no HMAC, and signing in
the load generator would steal CPU from the receiver on a small machine.
Writes DIR/PREFIX.N.tsv for N in 0..THREADS-1, one delivery per line:
webhook-id, webhook-timestamp, webhook-signature, body (1 KB JSON, unique
id).  Timestamps are now, so the files are good for the receiver's
tolerance (300 s by default).
"""
import base64, hashlib, hmac, json, os, sys, time

def main():
    out, prefix, threads, per, secret = sys.argv[1:6]
    threads, per = int(threads), int(per)
    key = base64.b64decode(secret[6:] if secret.startswith("whsec_") else secret)
    ts = str(int(time.time()))
    pad = "x" * 1024
    for t in range(threads):
        path = os.path.join(out, "%s.%d.tsv" % (prefix, t))
        with open(path, "w") as f:
            for i in range(per):
                mid = "%s_%d_%d" % (prefix, t, i)
                ev = {"id": mid, "type": "usage.recorded",
                      "occurred_at": "2026-01-01T00:00:00Z",
                      "user": {"id": "u_%d" % (i % 1000), "email": "u%d@example.com" % (i % 1000)},
                      "model": "qwen-image-edit", "kind": "edit",
                      "duration_ms": 8123, "credits": 5, "status": "ok", "pad": ""}
                body = json.dumps(ev, separators=(",", ":"))
                ev["pad"] = pad[: max(0, 1024 - len(body))]
                body = json.dumps(ev, separators=(",", ":")).encode()
                mac = hmac.new(key, ("%s.%s." % (mid, ts)).encode() + body, hashlib.sha256).digest()
                f.write("%s\t%s\tv1,%s\t%s\n" % (mid, ts, base64.b64encode(mac).decode(), body.decode()))

main()
