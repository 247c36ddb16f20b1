#!/usr/bin/env python3
"""Minimal client for `ballast serve`'s management API (HTTP/1.1 on a unix socket), for measure.sh.

  balloon_api.py set-wait API_SOCKET TARGET_BYTES [TIMEOUT_S]
      PUT /balloon {"target_bytes": TARGET_BYTES}, then poll GET /balloon every 5 ms on the same
      connection until actual_bytes == TARGET_BYTES, then until release_pending_bytes == 0 (the
      daemon's --defer-release; at once otherwise); print "INFLATE_MS RELEASE_MS", the milliseconds
      from just before the PUT to the first poll that saw each (exit 3 on timeout, printing the
      last values).
  balloon_api.py wait-connected API_SOCKET [TIMEOUT_S]
      poll GET /balloon until the guest is connected and its driver negotiated features; print them.
  balloon_api.py metrics API_SOCKET
      print GET /metrics samples as NAME=VALUE (the ballast_balloon_ prefix dropped, labels kept).
"""
import http.client
import json
import socket
import sys
import time


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path):
        super().__init__("localhost")
        self.unix_path = path

    def connect(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(self.unix_path)
        self.sock = s


def call(conn, method, path, body=None):
    headers = {"Content-Type": "application/json"} if body is not None else {}
    conn.request(method, path, body=body, headers=headers)
    response = conn.getresponse()
    data = response.read()
    return response.status, data


def state(conn):
    status, data = call(conn, "GET", "/balloon")
    if status != 200:
        sys.exit(f"GET /balloon: HTTP {status}: {data!r}")
    return json.loads(data)


def set_wait(api, target, timeout):
    conn = UnixConnection(api)
    conn.connect()
    t0 = time.monotonic()
    status, data = call(conn, "PUT", "/balloon", json.dumps({"target_bytes": target}))
    if status != 204:
        sys.exit(f"PUT /balloon: HTTP {status}: {data!r}")
    reached = None
    while True:
        s = state(conn)
        now = time.monotonic()
        if reached is None and s["actual_bytes"] == target:
            reached = now
        if reached is not None and s.get("release_pending_bytes", 0) == 0:
            print(round((reached - t0) * 1000), round((now - t0) * 1000))
            return 0
        if now - t0 > timeout:
            print(f"timeout actual_bytes={s['actual_bytes']} release_pending_bytes={s.get('release_pending_bytes', 0)}")
            return 3
        time.sleep(0.005)


def wait_connected(api, timeout):
    conn = UnixConnection(api)
    conn.connect()
    t0 = time.monotonic()
    while True:
        s = state(conn)
        if s["connected"] and s["features"]:
            print(",".join(s["features"]))
            return 0
        if time.monotonic() - t0 > timeout:
            print("timeout")
            return 3
        time.sleep(0.1)


def metrics(api):
    conn = UnixConnection(api)
    conn.connect()
    status, data = call(conn, "GET", "/metrics")
    if status != 200:
        sys.exit(f"GET /metrics: HTTP {status}")
    for line in data.decode().splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            print(f"{name.removeprefix('ballast_balloon_')}={value}")
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "set-wait":
        return set_wait(argv[2], int(argv[3]), float(argv[4]) if len(argv) > 4 else 120)
    if len(argv) >= 3 and argv[1] == "wait-connected":
        return wait_connected(argv[2], float(argv[3]) if len(argv) > 3 else 120)
    if len(argv) == 3 and argv[1] == "metrics":
        return metrics(argv[2])
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
