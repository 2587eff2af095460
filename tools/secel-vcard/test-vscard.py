#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Host test of secel-vcard --vscard: a fake QEMU (ccid-card-passthru's
side of the VSCard protocol) on a Unix socket.  The handshake, APDUs,
Flush, the fault-control APDUs, the card taken out and put back, and the
one-line errors, naming the socket, on bad peer input.  Run by make test;
needs no kernel module and no QEMU."""

import os
import select
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time

INIT, ERROR, READER_ADD, READER_REMOVE, ATR, CARD_REMOVE, APDU, FLUSH, \
    FLUSH_COMPLETE = range(1, 10)
UNDEF = 0xffffffff
failures = 0
checks = 0


def check(ok, what):
    global failures, checks
    checks += 1
    if not ok:
        failures += 1
        print("FAIL: " + what)


class Peer:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(10)
        self.s.connect(path)

    def send(self, mtype, reader, payload=b"", length=None):
        n = len(payload) if length is None else length
        self.s.sendall(struct.pack("!III", mtype, reader, n) + payload)

    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.s.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return buf

    def recv(self):
        h = self.recv_exact(12)
        if h is None:
            return None
        mtype, reader, n = struct.unpack("!III", h)
        return mtype, reader, self.recv_exact(n) if n else b""

    def closed(self):
        try:
            return self.s.recv(1) == b""
        except OSError:
            return True

    def init(self, magic=b"VSCD", version=2):
        self.send(INIT, UNDEF, magic + struct.pack("!II", version, 0))

    def apdu(self, hexstr):
        self.send(APDU, 0, bytes.fromhex(hexstr))
        m = self.recv()
        return m[2].hex().upper() if m and m[0] == APDU else m


def handshake(p):
    m = p.recv()
    check(m is not None and m[0] == INIT and m[2][:4] == b"VSCD" and
          struct.unpack("!I", m[2][4:8])[0] == 2,
          "the card's VSC_Init: %r" % (m,))
    p.init()
    m = p.recv()
    check(m is not None and m[0] == READER_ADD and m[1] == UNDEF,
          "VSC_ReaderAdd after our VSC_Init: %r" % (m,))
    p.send(ERROR, 0, struct.pack("!I", 0))
    m = p.recv()
    check(m is not None and m[0] == ATR and m[1] == 0 and
          m[2] == bytes.fromhex("3B025345"), "VSC_ATR, T=0: %r" % (m,))
    p.send(ERROR, 0, struct.pack("!I", 0))


def stderr_lines(path, since):
    with open(path) as f:
        return f.read()[since:].splitlines()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    tmp = tempfile.mkdtemp(prefix="test-vscard.")
    sock = os.path.join(tmp, "card.sock")
    spec = "unix:" + sock
    err = os.path.join(tmp, "err")
    ready = os.path.join(tmp, "ready")
    proc = subprocess.Popen([os.path.join(here, "secel-vcard"), "--vscard",
                             spec, "--fault-control", "--ready-file", ready],
                            stdout=subprocess.PIPE, stderr=open(err, "w"))
    try:
        return run(proc, tmp, sock, spec, err, ready)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def run(proc, tmp, sock, spec, err, ready):
    here = os.path.dirname(os.path.abspath(__file__))
    line = proc.stdout.readline().decode()
    check(line == "vscard %s\n" % spec, "the ready line: %r" % line)
    check(open(ready).read() == line, "the ready file")

    p = Peer(sock)
    handshake(p)
    r = p.apdu("00A4040008A000000151000000")
    check(isinstance(r, str) and r.startswith("6F418408A000000151000000")
          and r.endswith("9000"), "SELECT ISD: %r" % (r,))
    # a second VSC_Init, as QEMU sends one on its own and one in reply
    p.init()
    p.send(FLUSH, 0)
    m = p.recv()
    check(m is not None and m[0] == FLUSH_COMPLETE, "Flush: %r" % (m,))
    check(p.apdu("805E020100") == "9000", "fault control 02 01")
    check(p.apdu("00A4040000") == "00", "one-byte answer")
    check(p.apdu("805E020000") == "9000", "fault control 02 00")
    check(p.apdu("00A4040000") == "", "empty answer")
    check(p.apdu("805E090000") == "6A86", "unknown fault control")
    check(p.apdu("805E010300") == "9000", "fault control 01 03")
    t0 = time.monotonic()
    r = p.apdu("00A4040000")
    check(time.monotonic() - t0 >= 0.3 and r.endswith("9000"),
          "300 ms late: %r after %.3f s" % (r, time.monotonic() - t0))
    check(p.apdu("00A4040000").endswith("9000"), "the fault is one-shot")

    # the card out under a pending APDU, back in after 1 s
    check(p.apdu("805E030100") == "9000", "fault control 03 01")
    p.send(APDU, 0, bytes.fromhex("00A4040000"))
    m = p.recv()
    check(m is not None and m[0] == CARD_REMOVE, "VSC_CardRemove: %r" % (m,))
    p.send(ERROR, 0, struct.pack("!I", 0))
    seen = len(open(err).read())
    # an APDU with no card: VSC_Error 1
    p.send(APDU, 0, bytes.fromhex("00A4040000"))
    m = p.recv()
    check(m is not None and m[0] == ERROR and m[2] == struct.pack("!I", 1),
          "APDU with no card: %r" % (m,))
    m = p.recv()
    check(m is not None and m[0] == ATR, "VSC_ATR again: %r" % (m,))
    p.send(ERROR, 0, struct.pack("!I", 0))
    check(p.apdu("00A4040000").endswith("9000"), "APDU after reinsertion")
    # an unexpected message type: VSC_Error 1 and a line naming the socket
    p.send(READER_REMOVE, 0)
    m = p.recv()
    check(m is not None and m[0] == ERROR and m[2] == struct.pack("!I", 1),
          "ReaderRemove from the peer: %r" % (m,))
    time.sleep(0.2)
    lines = stderr_lines(err, seen)
    check(len(lines) == 2 and all(x.startswith("secel-vcard: %s: " % spec)
                                  for x in lines) and
          "no card inserted" in lines[0] and "type 4 (ReaderRemove)" in
          lines[1], "stderr: %r" % lines)
    p.s.close()

    # bad peers, each on a connection of its own: one line, dropped
    bad = [
        ("magic", lambda q: q.init(magic=b"XXXX"), "magic 58585858"),
        ("version", lambda q: q.init(version=1 << 21), "version 1.0.0"),
        ("first", lambda q: q.send(APDU, 0, b"\x00\xa4\x04\x00"),
         "first message is type 7 (APDU)"),
        ("length", lambda q: q.send(INIT, UNDEF, b"", length=1 << 20),
         "says 1048576 payload bytes"),
        ("cut", lambda q: (q.s.sendall(struct.pack("!II", INIT, UNDEF)),
                           q.s.shutdown(socket.SHUT_WR)),
         "closed the connection in the middle of a message"),
    ]
    for name, act, want in bad:
        seen = len(open(err).read())
        q = Peer(sock)
        q.recv()		# the card's Init
        act(q)
        check(q.closed(), "%s: the connection was not dropped" % name)
        time.sleep(0.2)
        lines = stderr_lines(err, seen)
        check(len(lines) == 1 and
              lines[0].startswith("secel-vcard: %s: " % spec) and
              want in lines[0], "%s: stderr %r" % (name, lines))
        q.s.close()
    # and the next peer is served
    p = Peer(sock)
    handshake(p)
    check(p.apdu("00A4040000").endswith("9000"), "a peer after bad ones")
    p.s.close()

    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(10)
    check(rc == 0, "exit status %d after SIGTERM" % rc)
    check(not os.path.exists(sock), "the socket left behind")

    # bad specs: one line, exit 1
    for spec2, want in (("udp:x", "not unix:PATH or tcp:HOST:PORT"),
                        ("unix:/nonexistent/dir/s", "No such file")):
        r = subprocess.run([os.path.join(here, "secel-vcard"), "--vscard",
                            spec2], capture_output=True, text=True,
                           timeout=10)
        check(r.returncode == 1 and r.stderr.count("\n") == 1 and
              want in r.stderr, "--vscard %s: %d %r" %
              (spec2, r.returncode, r.stderr))
    r = subprocess.run([os.path.join(here, "secel-vcard"), "--empty"],
                       capture_output=True, text=True, timeout=10)
    check(r.returncode == 2 and "need --vscard" in r.stderr,
          "--empty without --vscard: %d %r" % (r.returncode, r.stderr))
    for f in os.listdir(tmp):
        os.unlink(os.path.join(tmp, f))
    os.rmdir(tmp)
    print("test-vscard: %d checks, %d failed" % (checks, failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
