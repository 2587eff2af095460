#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# ram_peer.py - an independent minimal peer of GlobalPlatform Amendment B
# (remote application management over HTTP) for the TSM selftest, written
# from the specification's text and ETSI TS 102 226's expanded remote
# format, sharing nothing with libsecelram:
#
#   ram_peer.py tsm --ready FILE --log FILE --mode MODE
#       an admin server on 127.0.0.1 (port in FILE) for secel-relay;
#       MODE says how the dialog goes (see TSM_MODES)
#   ram_peer.py agent --dev /dev/secelN --url URL --from X-ADMIN-FROM
#       [--lose N] [--status N:VALUE] [--channel N]
#       an admin agent for secel-tsm that runs the scripts on the SE's
#       basic channel through the secel ioctls, or with --channel on a
#       logical channel to the ISD numbered N or above (the agent opens
#       channels until it has one); it tells the TSM nothing of the
#       channel, as a standard agent would not
#
# Both write one line per exchange to the log (tsm) or stdout (agent), for
# the test to check.  Only 127.0.0.1 is ever used.

import argparse
import ctypes
import fcntl
import http.client
import http.server
import os
import sys
import urllib.parse

PROTOCOL = "globalplatform-remote-admin/1.0"
CT_SCRIPT = "application/vnd.globalplatform.card-content-mgt;version=1.0"
CT_RESPONSE = ("application/vnd.globalplatform.card-content-mgt-response;"
               "version=1.0")


# ---- TS 102 226 expanded remote format, BER-TLV lengths -----------------

def ber_len(n):
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return bytes([0x81, n])
    if n < 0x10000:
        return bytes([0x82, n >> 8, n & 0xFF])
    return bytes([0x83, n >> 16, (n >> 8) & 0xFF, n & 0xFF])


def tlv(tag, value):
    return bytes([tag]) + ber_len(len(value)) + value


def read_tlv(buf, off):
    """(tag, value, next offset) of the TLV at off; ValueError if broken"""
    if off + 2 > len(buf):
        raise ValueError("TLV cut short at %d" % off)
    tag = buf[off]
    first = buf[off + 1]
    off += 2
    if first < 0x80:
        n = first
    elif first in (0x81, 0x82, 0x83):
        k = first - 0x80
        if off + k > len(buf):
            raise ValueError("length cut short")
        n = int.from_bytes(buf[off:off + k], "big")
        off += k
    else:
        raise ValueError("length byte %02X" % first)
    if off + n > len(buf):
        raise ValueError("value cut short")
    return tag, buf[off:off + n], off + n


def script(apdus, indefinite=False):
    """A command script: AA L {22 L C-APDU} or AE 80 ... 00 00"""
    inner = b"".join(tlv(0x22, a) for a in apdus)
    if indefinite:
        return b"\xAE\x80" + inner + b"\x00\x00"
    return tlv(0xAA, inner)


def parse_items(body, outer_definite, outer_indefinite):
    """The inner TLVs of a script or response script, and its form"""
    if len(body) >= 2 and body[0] == outer_indefinite and body[1] == 0x80:
        items, off = [], 2
        while True:
            if body[off:off + 2] == b"\x00\x00":
                if off + 2 != len(body):
                    raise ValueError("bytes after the end of contents")
                return items, True
            tag, val, off = read_tlv(body, off)
            items.append((tag, val))
    tag, val, off = read_tlv(body, 0)
    if tag != outer_definite or off != len(body):
        raise ValueError("not a %02X script" % outer_definite)
    items, off = [], 0
    while off < len(val):
        t, v, off = read_tlv(val, off)
        items.append((t, v))
    return items, False


def parse_response(body):
    """R-APDUs of a response script (count checked when it is there)"""
    items, _ = parse_items(body, 0xAB, 0xAF)
    count = None
    rapdus = []
    for tag, val in items:
        if tag == 0x80:
            count = int.from_bytes(val, "big")
        elif tag == 0x23:
            rapdus.append(val)
        else:
            raise ValueError("tag %02X in a response script" % tag)
    if count is not None and count != len(rapdus):
        raise ValueError("count %d, %d R-APDUs" % (count, len(rapdus)))
    return rapdus


# ---- the admin server (secel-relay's peer) -------------------------------

# Each mode is the dialog the server leads, one entry per POST it expects
# at a path: what must come (first: empty body, no status; ok: a response
# script with status ok; empty: no body, no status; bodiless: no body and
# a status that is not ok) and what goes back.
GET_CIN = bytes.fromhex("80CA004500")
GET_CPLC = bytes.fromhex("80CA9F7F00")
UNKNOWN_SD = "//aid/A000000151/0000FE"

TSM_MODES = {
    # a script, then a plain 204 without any header of secel's
    "end204": {
        "/admin": ("first", 200, script([GET_CIN]), "/admin/2", None),
        "/admin/2": ("ok", 204, None, None, None),
    },
    # a script; a 204 that goes on to a Next-URI; the last script in a
    # 200 without Next-URI, which the agent runs and does not answer
    "standard": {
        "/admin": ("first", 200, script([GET_CIN]), "/admin/2", None),
        "/admin/2": ("ok", 204, None, "/admin/3", None),
        "/admin/3": ("empty", 200, script([GET_CPLC], True), None, None),
    },
    # as end204, but the connection carrying the first answer script is
    # dropped without an answer: the agent posts it again with
    # X-Admin-Resume: true
    "drop": {
        "/admin": ("first", 200, script([GET_CIN]), "/admin/2", None),
        "/admin/2": ("ok", 204, None, None, None),
    },
    # a script for an application the card does not have
    "unknown": {
        "/admin": ("first", 200, script([GET_CIN]), "/admin/2", UNKNOWN_SD),
        "/admin/2": ("bodiless", 204, None, None, None),
    },
}


class PeerTSM(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    mode = None
    log_file = None
    dropped = False
    last_body = None

    def log_message(self, fmt, *args):
        pass

    def note(self, line):
        with open(self.log_file, "a") as f:
            f.write(line + "\n")

    def refuse(self, code, why):
        self.note("refused %d: %s" % (code, why))
        data = (why + "\n").encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(n) if n else b""
        h = self.headers
        status = h.get("X-Admin-Script-Status")
        resume = h.get("X-Admin-Resume")
        self.note("POST %s len=%d status=%s resume=%s from=%s ctype=%s" %
                  (self.path, len(body), status, resume,
                   h.get("X-Admin-From"), h.get("Content-Type")))
        step = TSM_MODES[self.mode].get(self.path)
        if step is None:
            return self.refuse(404, "no step at " + self.path)
        want, code, out, nxt, target = step
        if h.get("X-Admin-Protocol") != PROTOCOL:
            return self.refuse(400, "X-Admin-Protocol")
        frm = h.get("X-Admin-From", "")
        if not frm.startswith("//se-id/") or ";//aa-id/aid/" not in frm:
            return self.refuse(400, "X-Admin-From " + frm)
        if want == "first" or want == "empty":
            if body or status is not None:
                return self.refuse(400, "a body or a status in a %s POST" %
                                   want)
        elif want == "bodiless":
            if body or status in (None, "ok"):
                return self.refuse(400, "want no body and a status not ok")
            self.note("status %s" % status)
        else:
            if status != "ok" or h.get("Content-Type") != CT_RESPONSE:
                return self.refuse(400, "want status ok and " + CT_RESPONSE)
            try:
                rapdus = parse_response(body)
            except ValueError as e:
                return self.refuse(400, "response script: %s" % e)
            for r in rapdus:
                self.note("R-APDU %s" % r.hex().upper())
            if self.mode == "drop" and not PeerTSM.dropped:
                PeerTSM.dropped = True
                PeerTSM.last_body = body
                self.note("dropped")
                self.close_connection = True
                return
            if self.mode == "drop":
                if resume != "true" or body != PeerTSM.last_body:
                    return self.refuse(400, "want the same answer resumed")
                self.note("resumed")
        self.send_response(code)
        self.send_header("X-Admin-Protocol", PROTOCOL)
        if self.mode == "drop" and not PeerTSM.dropped:
            # the POST to be dropped comes on a new connection: on a
            # reused one, libcurl would send it again itself, once
            self.send_header("Connection", "close")
            self.close_connection = True
        if nxt:
            self.send_header("X-Admin-Next-URI", nxt)
        if target:
            self.send_header("X-Admin-Targeted-Application", target)
        if out:
            self.send_header("Content-Type", CT_SCRIPT)
            self.send_header("Content-Length", str(len(out)))
        elif code != 204:
            self.send_header("Content-Length", "0")
        self.end_headers()
        if out:
            self.wfile.write(out)
        self.note("answered %d next=%s script=%s" %
                  (code, nxt, out.hex().upper() if out else "-"))


def run_tsm(args):
    PeerTSM.mode = args.mode
    PeerTSM.log_file = args.log
    srv = http.server.HTTPServer(("127.0.0.1", 0), PeerTSM)
    tmp = args.ready + ".tmp"
    with open(tmp, "w") as f:
        f.write("http://127.0.0.1:%d\n" % srv.server_address[1])
    os.rename(tmp, args.ready)
    srv.serve_forever()


# ---- the admin agent (secel-tsm's peer) ----------------------------------

def iowr(nr, size):
    return (3 << 30) | (size << 16) | (0xE7 << 8) | nr


SECEL_IOC_TRANSMIT = iowr(0x03, 40)
SECEL_IOC_OPEN_CHANNEL = iowr(0x04, 40)
ISD_AID = bytes.fromhex("A000000151000000")


class Card:
    """The SE through SECEL_IOC_TRANSMIT, on the basic channel or on a
    logical channel opened with SECEL_IOC_OPEN_CHANNEL (the kernel codes
    the channel into the class byte; commands carry the basic one)"""

    def __init__(self, dev):
        self.fd = os.open(dev, os.O_RDWR)
        self.rsp = ctypes.create_string_buffer(65538)
        self.channel = 0

    def transmit(self, cmd):
        cbuf = ctypes.create_string_buffer(bytes(cmd), len(cmd))
        arg = bytearray(40)
        arg[0:8] = ctypes.addressof(cbuf).to_bytes(8, "little")
        arg[8:16] = ctypes.addressof(self.rsp).to_bytes(8, "little")
        arg[16:20] = len(cmd).to_bytes(4, "little")
        arg[20:24] = len(self.rsp).to_bytes(4, "little")
        arg[24:28] = self.channel.to_bytes(4, "little")
        fcntl.ioctl(self.fd, SECEL_IOC_TRANSMIT, arg, True)
        n = int.from_bytes(arg[20:24], "little")
        return self.rsp.raw[:n]

    def open_isd_channel(self, least):
        """Open channels to the ISD until one numbered @least or above
        (kept open while the agent runs: the file holds them)"""
        aid = ctypes.create_string_buffer(ISD_AID, len(ISD_AID))
        rsp = ctypes.create_string_buffer(258)
        ch = 0
        while ch < least:
            arg = bytearray(40)
            arg[0:8] = ctypes.addressof(aid).to_bytes(8, "little")
            arg[8:16] = ctypes.addressof(rsp).to_bytes(8, "little")
            arg[16:20] = len(ISD_AID).to_bytes(4, "little")
            arg[20:24] = (258).to_bytes(4, "little")
            fcntl.ioctl(self.fd, SECEL_IOC_OPEN_CHANNEL, arg, True)
            ch = int.from_bytes(arg[24:28], "little")
        self.channel = ch
        return ch


def goes_on(rapdu):
    return rapdu[-2:] == b"\x90\x00" or rapdu[-2] in (0x62, 0x63)


def run_script(card, body, target):
    """(status, response script or None) for a command script"""
    try:
        items, indefinite = parse_items(body, 0xAA, 0xAE)
    except ValueError:
        return "script-format-error", None
    if target:
        parts = target.split("/")
        if len(parts) != 5 or parts[:3] != ["", "", "aid"]:
            return "script-format-error", None
        aid = bytes.fromhex(parts[3] + parts[4])
        r = card.transmit(bytes([0, 0xA4, 4, 0, len(aid)]) + aid)
        if r[-2:] == b"\x69\x82":
            return "security-error", None
        if not goes_on(r):
            return "unknown-application", None
    rapdus = []
    for tag, val in items:
        if tag != 0x22:
            return "script-format-error", None
        r = card.transmit(val)
        rapdus.append(r)
        if not goes_on(r):
            break
    inner = b"".join(tlv(0x23, r) for r in rapdus)
    if indefinite:
        return "ok", b"\xAF\x80" + inner + b"\x00\x00"
    return "ok", tlv(0xAB, tlv(0x80, bytes([len(rapdus)])) + inner)


def post(url, frm, body, status, resume):
    u = urllib.parse.urlsplit(url)
    if u.hostname not in ("127.0.0.1", "::1"):
        raise SystemExit("ram_peer: only loopback, not " + url)
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    h = {"X-Admin-Protocol": PROTOCOL, "X-Admin-From": frm}
    if body:
        h["Content-Type"] = CT_RESPONSE
    if status:
        h["X-Admin-Script-Status"] = status
    if resume:
        h["X-Admin-Resume"] = "true"
    path = u.path + ("?" + u.query if u.query else "")
    c.request("POST", path, body=body or b"", headers=h)
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, r.headers, data


def run_agent(args):
    card = Card(args.dev)
    if args.channel:
        print("channel %d" % card.open_isd_channel(args.channel))
    r = card.transmit(bytes.fromhex("00A4040008A000000151000000"))
    if not goes_on(r):
        raise SystemExit("ram_peer: SELECT ISD answered " + r.hex())
    lose = args.lose
    bad = {}
    if args.status:
        n, v = args.status.split(":", 1)
        bad[int(n)] = v
    url, body, status = args.url, None, None
    posts = scripts = 0
    while True:
        posts += 1
        if posts > 64:
            raise SystemExit("ram_peer: more than 64 POSTs")
        code, hdr, data = post(url, args.frm, body, status, False)
        if posts == lose:
            # the answer is lost on the way: navigate the same URI again
            print("lost the answer to POST %d (HTTP %d)" % (posts, code))
            code, hdr, data = post(url, args.frm, body, status, True)
        nxt = hdr.get("X-Admin-Next-URI")
        result = hdr.get("X-Secel-Result")
        print("POST %d: HTTP %d next=%s result=%s" % (posts, code, nxt,
                                                       result))
        if code == 204:
            if not nxt:
                print("end")
                return 0
            url = urllib.parse.urljoin(url, nxt)
            body, status = None, None
            continue
        if code != 200:
            print("error: %s" % data.decode(errors="replace").strip())
            return 1
        if hdr.get("Content-Type", "").split(";")[0] != CT_SCRIPT.split(";")[0]:
            print("error: Content-Type %s" % hdr.get("Content-Type"))
            return 1
        scripts += 1
        if scripts in bad:
            status, body = bad[scripts], None
            print("script %d: not run, %s" % (scripts, status))
        else:
            status, body = run_script(card, data,
                                      hdr.get("X-Admin-Targeted-Application"))
            print("script %d: %s" % (scripts, status))
            if status != "ok":
                body = None
        if not nxt:
            print("end after the last script")
            return 0
        url = urllib.parse.urljoin(url, nxt)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="role", required=True)
    t = sub.add_parser("tsm")
    t.add_argument("--ready", required=True)
    t.add_argument("--log", required=True)
    t.add_argument("--mode", choices=sorted(TSM_MODES), required=True)
    a = sub.add_parser("agent")
    a.add_argument("--dev", required=True)
    a.add_argument("--url", required=True)
    a.add_argument("--from", dest="frm", required=True)
    a.add_argument("--lose", type=int, default=0)
    a.add_argument("--status")
    a.add_argument("--channel", type=int, default=0, choices=range(0, 20),
                   metavar="0-19")
    args = p.parse_args()
    if args.role == "tsm":
        run_tsm(args)
        return 0
    return run_agent(args)


if __name__ == "__main__":
    sys.exit(main())
