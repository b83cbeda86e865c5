"""peer.py - the comparison receiver for bench/receiver.sh: FastAPI under
uvicorn doing what tally-receiver does for a Standard Webhooks source, the
usual way (one transaction per request):

  verify webhook-id / webhook-timestamp / webhook-signature (HMAC-SHA256,
  constant-time compare, 300 s both ways), parse the JSON body, then
  INSERT ... ON CONFLICT (source, event_key) DO NOTHING RETURNING and
  COMMIT (synchronous_commit on) before answering 200 stored/duplicate;
  503 when the database fails.

Configured at its best: bench/receiver.sh starts one uvicorn worker per
core, with uvloop and httptools when installed (uvloop sets TCP_NODELAY);
the blocking database work runs in the worker's thread pool with a pooled
connection per thread.

Environment: PEER_DSN (libpq conninfo), PEER_SECRET (whsec_...),
PEER_POOL (connections per worker, all opened at start, default 40).
"""
import base64
import hashlib
import hmac
import json
import os
import time

import psycopg2
import psycopg2.pool
from fastapi import FastAPI, Request, Response
from starlette.concurrency import run_in_threadpool

SECRET = os.environ["PEER_SECRET"]
KEY = base64.b64decode(SECRET[6:] if SECRET.startswith("whsec_") else SECRET)
TOLERANCE = 300
# minconn = maxconn: psycopg2's pool closes every connection handed back
# beyond minconn, which would mean a new connection per request under load.
# 40: one per thread of the worker's thread pool (anyio's default limit),
# so a request never finds the pool empty.
POOL_SIZE = int(os.environ.get("PEER_POOL", "40"))
POOL = psycopg2.pool.ThreadedConnectionPool(
    POOL_SIZE, POOL_SIZE, os.environ["PEER_DSN"],
    application_name="bench-peer", options="-c synchronous_commit=on")

INSERT = ("INSERT INTO raw_events (source, scheme, event_key, content_type, "
          "sig_headers, body, payload) VALUES (%s, %s, %s, %s, %s, %s, %s) "
          "ON CONFLICT (source, event_key) DO NOTHING RETURNING event_key")

app = FastAPI()


def answer(status, payload):
    return Response(json.dumps(payload, separators=(",", ":")), status,
                    media_type="application/json")


def verify(msg_id, ts, sig_header, body):
    if not msg_id or not ts or not sig_header or not ts.isdigit():
        return False
    if abs(time.time() - int(ts)) > TOLERANCE:
        return False
    mac = hmac.new(KEY, msg_id.encode() + b"." + ts.encode() + b"." + body,
                   hashlib.sha256).digest()
    expected = base64.b64encode(mac).decode()
    ok = False
    for entry in sig_header.split(" "):
        version, _, sig = entry.partition(",")
        if version == "v1" and hmac.compare_digest(sig, expected):
            ok = True
    return ok


def store(msg_id, ctype, sig_headers, body, payload):
    conn = POOL.getconn()
    try:
        with conn.cursor() as cur:
            cur.execute(INSERT, ("usage", "standard-webhooks", msg_id, ctype,
                                 json.dumps(sig_headers), body, payload))
            stored = cur.fetchone() is not None
        conn.commit()
        return stored
    except psycopg2.Error:
        conn.rollback()
        raise
    finally:
        POOL.putconn(conn)


@app.post("/webhooks/usage")
async def receive(request: Request):
    body = await request.body()
    h = request.headers
    ctype = h.get("content-type", "")
    if not ctype.startswith("application/json"):
        return answer(415, {"status": "error", "reason": "unsupported content type"})
    msg_id, ts, sig = h.get("webhook-id"), h.get("webhook-timestamp"), h.get("webhook-signature")
    if not verify(msg_id, ts, sig, body):
        return answer(401, {"status": "error", "reason": "signature"})
    try:
        text = body.decode("utf-8")
        if not isinstance(json.loads(text), dict):
            raise ValueError
    except ValueError:
        return answer(400, {"status": "error", "reason": "body is not a JSON object"})
    try:
        stored = await run_in_threadpool(
            store, msg_id, ctype,
            {"webhook-id": msg_id, "webhook-timestamp": ts, "webhook-signature": sig},
            body, text)
    except psycopg2.Error:
        return answer(503, {"status": "unavailable", "reason": "database"})
    return answer(200, {"status": "stored" if stored else "duplicate"})
