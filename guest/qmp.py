#!/usr/bin/env python3
"""Minimal QMP client for the guest scripts (standard library only).

  qmp.py SOCK execute COMMAND [ARGUMENTS_JSON]   print the command's "return" as JSON
  qmp.py SOCK balloon-wait TARGET_BYTES TIMEOUT_S
        send `balloon` (TARGET = wanted guest size, not balloon size), poll `query-balloon` every
        20 ms until `actual` equals TARGET; print "ms=<elapsed> actual=<bytes>"; exit 1 on timeout.
  qmp.py SOCK wait-socket TIMEOUT_S              wait until the QMP socket accepts a connection

SOCK is the host path of QEMU's `-qmp unix:...,server,nowait` socket.
"""
import json
import socket
import sys
import time


class Qmp:
    def __init__(self, path):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.file = self.sock.makefile("rwb")
        self._read()  # greeting
        self.execute("qmp_capabilities")

    def _read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise ConnectionError("QMP connection closed")
            msg = json.loads(line)
            if "event" not in msg:
                return msg

    def execute(self, command, arguments=None):
        req = {"execute": command}
        if arguments:
            req["arguments"] = arguments
        self.file.write(json.dumps(req).encode() + b"\n")
        self.file.flush()
        reply = self._read()
        if "error" in reply:
            raise RuntimeError(f"{command}: {reply['error'].get('desc', reply['error'])}")
        return reply.get("return")


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    path, verb = argv[1], argv[2]
    if verb == "wait-socket":
        deadline = time.monotonic() + float(argv[3])
        while True:
            try:
                Qmp(path)
                return 0
            except (FileNotFoundError, ConnectionError, OSError):
                if time.monotonic() > deadline:
                    print(f"QMP socket {path} not up", file=sys.stderr)
                    return 1
                time.sleep(0.1)
    qmp = Qmp(path)
    if verb == "execute":
        args = json.loads(argv[4]) if len(argv) > 4 else None
        print(json.dumps(qmp.execute(argv[3], args)))
        return 0
    if verb == "balloon-wait":
        target, timeout = int(argv[3]), float(argv[4])
        start = time.monotonic()
        qmp.execute("balloon", {"value": target})
        actual = None
        while time.monotonic() - start < timeout:
            actual = qmp.execute("query-balloon")["actual"]
            if actual == target:
                print(f"ms={int((time.monotonic() - start) * 1000)} actual={actual}")
                return 0
            time.sleep(0.02)
        print(f"timeout after {timeout}s: actual={actual} target={target}", file=sys.stderr)
        return 1
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
