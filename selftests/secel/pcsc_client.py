#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""pcsc_client.py - the PC/SC application side of secel_pcsc_test.sh.

pyscard (Debian's python3-pyscard) over pcscd and libifdsecel.so; each
verb prints what it saw and exits 0 when the behaviour held, 1 when not.

  pcsc_client.py readers             the reader names, one a line
  pcsc_client.py apdu READER HEX...   send APDUs, print 'resp SW'
  pcsc_client.py wait-state READER present|empty SECONDS
  pcsc_client.py wait-reader READER SECONDS   print the wall clock when
                                      READER is listed (pcscd may restart)
  pcsc_client.py isolation READER     two client contexts on channels
  pcsc_client.py channels-freed READER N
  pcsc_client.py reconnect READER     SCardReconnect with a warm reset
  pcsc_client.py rtt READER DEV N     round trips: PC/SC vs /dev/secelN
"""
import ctypes
import fcntl
import os
import sys
import time

from smartcard.scard import (SCARD_E_NO_READERS_AVAILABLE,
                             SCARD_E_NO_SERVICE, SCARD_LEAVE_CARD,
                             SCARD_PCI_T0, SCARD_PCI_T1, SCARD_PROTOCOL_T0,
                             SCARD_PROTOCOL_T1, SCARD_RESET_CARD,
                             SCARD_S_SUCCESS, SCARD_SCOPE_USER,
                             SCARD_SHARE_SHARED, SCARD_STATE_EMPTY,
                             SCARD_STATE_PRESENT, SCARD_STATE_UNAWARE,
                             SCardConnect, SCardDisconnect,
                             SCardEstablishContext, SCardGetErrorMessage,
                             SCardGetStatusChange, SCardListReaders,
                             SCardReconnect, SCardReleaseContext,
                             SCardStatus, SCardTransmit)

ISD = "A000000151000000"


def die(msg):
    print("# " + msg)
    sys.exit(1)


def check(rv, what):
    if rv != SCARD_S_SUCCESS:
        die("%s: %s (0x%08X)" % (what, SCardGetErrorMessage(rv),
                                 rv & 0xFFFFFFFF))


def full_name(ctx, reader):
    """The PC/SC name of READER: READER itself or READER and its numbers."""
    rv, readers = SCardListReaders(ctx, [])
    if rv == SCARD_E_NO_READERS_AVAILABLE:
        readers = []
    else:
        check(rv, "SCardListReaders")
    for r in readers:
        if r == reader or r.startswith(reader + " "):
            return r
    die("no reader '%s' among %s" % (reader, readers))


class Client:
    """One PC/SC client context (one pcscd client thread) on one reader."""

    def __init__(self, reader):
        rv, self.ctx = SCardEstablishContext(SCARD_SCOPE_USER)
        check(rv, "SCardEstablishContext")
        self.reader = full_name(self.ctx, reader)
        rv, self.card, self.proto = SCardConnect(
            self.ctx, self.reader, SCARD_SHARE_SHARED,
            SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
        check(rv, "SCardConnect %s" % self.reader)

    def tx(self, hexstr):
        pci = SCARD_PCI_T1 if self.proto == SCARD_PROTOCOL_T1 else \
            SCARD_PCI_T0
        rv, resp = SCardTransmit(self.card, pci, list(bytes.fromhex(hexstr)))
        check(rv, "SCardTransmit %s" % hexstr)
        return bytes(resp).hex().upper()

    def sw(self, hexstr):
        return self.tx(hexstr)[-4:]

    def close(self):
        SCardDisconnect(self.card, SCARD_LEAVE_CARD)
        SCardReleaseContext(self.ctx)


def cmd_readers(args):
    rv, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    check(rv, "SCardEstablishContext")
    rv, readers = SCardListReaders(ctx, [])
    if rv != SCARD_E_NO_READERS_AVAILABLE:
        check(rv, "SCardListReaders")
        for r in readers:
            print(r)
    SCardReleaseContext(ctx)


def cmd_apdu(args):
    c = Client(args[0])
    for a in args[1:]:
        r = c.tx(a)
        print("%s %s" % (r[:-4], r[-4:]))
    c.close()


def cmd_wait_state(args):
    reader, want, secs = args[0], args[1], float(args[2])
    rv, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    check(rv, "SCardEstablishContext")
    name = full_name(ctx, reader)
    flag = SCARD_STATE_PRESENT if want == "present" else SCARD_STATE_EMPTY
    state = SCARD_STATE_UNAWARE
    end = time.monotonic() + secs
    while time.monotonic() < end:
        ms = int(max(1, (end - time.monotonic()) * 1000))
        rv, states = SCardGetStatusChange(ctx, ms, [(name, state)])
        if rv != SCARD_S_SUCCESS:
            continue
        state = states[0][1] & ~0xFFFF0000  # without the event counter
        if state & flag:
            print("state %s after an event" % want)
            return
        state = states[0][1]
    die("reader %s not %s within %s s" % (name, want, secs))


def cmd_wait_reader(args):
    reader, secs = args[0], float(args[1])
    end = time.monotonic() + secs
    ctx = None
    while time.monotonic() < end:
        if ctx is None:
            rv, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
            if rv != SCARD_S_SUCCESS:
                ctx = None
                time.sleep(0.02)
                continue
        try:
            rv, readers = SCardListReaders(ctx, [])
        except SystemError:  # pyscard, when pcscd goes away meanwhile
            rv, readers = SCARD_E_NO_SERVICE, []
        if rv == SCARD_S_SUCCESS and any(
                r.startswith(reader + " ") for r in readers):
            print("%.3f" % time.time())
            return
        if rv not in (SCARD_S_SUCCESS, SCARD_E_NO_READERS_AVAILABLE):
            try:  # pcscd restarted: a new context
                SCardReleaseContext(ctx)
            except SystemError:
                pass
            ctx = None
        time.sleep(0.02)
    die("no reader %s within %s s" % (reader, secs))


def cmd_isolation(args):
    a, b = Client(args[0]), Client(args[0])
    r = a.tx("0070000001")
    if r[-4:] != "9000" or len(r) != 6:
        die("A: MANAGE CHANNEL open answered %s" % r)
    cha = int(r[:2], 16)
    if not 1 <= cha <= 3:
        die("A: channel %d, expected 1..3" % cha)
    cla = "%02X" % cha
    sw = a.sw(cla + "A4040008" + ISD + "00")
    if sw != "9000":
        die("A: SELECT ISD on channel %d: %s" % (cha, sw))
    # B never opened channel cha: it must not reach A's
    sw = b.sw(cla + "CA9F7F00")
    if sw != "6881":
        die("B reached A's channel %d: GET DATA answered %s" % (cha, sw))
    print("B on A's channel %d: 6881" % cha)
    r = b.tx("0070000001")
    if r[-4:] != "9000":
        die("B: MANAGE CHANNEL open answered %s" % r)
    chb = int(r[:2], 16)
    print("A has channel %d, B has channel %d (each its own view)" %
          (cha, chb))
    if b.sw("%02XA4040008%s00" % (chb, ISD)) != "9000":
        die("B: SELECT ISD on its channel failed")
    # A closes its channel: B's goes on
    if a.sw("0070800%d00" % cha) != "9000":
        die("A: MANAGE CHANNEL close failed")
    if a.sw(cla + "CA9F7F00") != "6881":
        die("A: its closed channel still answers")
    if b.sw("%02XCA9F7F00" % chb) != "9000":
        die("B: its channel stopped working when A closed A's")
    if b.sw("0070800%d00" % chb) != "9000":
        die("B: MANAGE CHANNEL close failed")
    a.close()
    b.close()
    print("isolated")


def cmd_channels_freed(args):
    reader, n = args[0], int(args[1])
    a = Client(reader)
    for _ in range(n):
        r = a.tx("0070000001")
        if r[-4:] != "9000":
            die("A: open %s" % r)
    a.close()
    time.sleep(0.5)  # pcscd's client thread ends after the socket closes
    b = Client(reader)
    for i in range(n):
        r = b.tx("0070000001")
        if r[-4:] != "9000":
            die("B: open %d of %d answered %s: the channels of A's ended "
                "context were not closed" % (i + 1, n, r))
    b.close()
    print("B opened %d channels after A's context ended" % n)


def cmd_reconnect(args):
    c = Client(args[0])
    r = c.tx("0070000001")
    if r[-4:] != "9000":
        die("open %s" % r)
    ch = int(r[:2], 16)
    rv, c.proto = SCardReconnect(c.card, SCARD_SHARE_SHARED,
                                 SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
                                 SCARD_RESET_CARD)
    check(rv, "SCardReconnect (reset)")
    rv, name, state, proto, atr = SCardStatus(c.card)
    check(rv, "SCardStatus")
    print("ATR after reset %s" % bytes(atr).hex().upper())
    # the reset closed every channel
    sw = c.sw("%02XCA9F7F00" % ch)
    if sw != "6881":
        die("channel %d still open after the reset: %s" % (ch, sw))
    if c.sw("00A4040008" + ISD + "00") != "9000":
        die("SELECT after the reset failed")
    c.close()


class Transmit(ctypes.Structure):
    _fields_ = [("cmd_ptr", ctypes.c_uint64), ("rsp_ptr", ctypes.c_uint64),
                ("cmd_len", ctypes.c_uint32), ("rsp_len", ctypes.c_uint32),
                ("channel", ctypes.c_uint32), ("flags", ctypes.c_uint32),
                ("reserved", ctypes.c_uint32 * 2)]


# _IOWR(0xE7, 0x03, struct secel_transmit): dir 3, size 40
SECEL_IOC_TRANSMIT = (3 << 30) | (ctypes.sizeof(Transmit) << 16) | \
    (0xE7 << 8) | 0x03


def cmd_rtt(args):
    reader, dev, n = args[0], args[1], int(args[2])
    apdu = "00CA9F7F00"
    c = Client(reader)
    c.tx("00A4040008" + ISD + "00")
    t0 = time.monotonic()
    for _ in range(n):
        c.tx(apdu)
    pcsc = (time.monotonic() - t0) / n
    c.close()
    fd = os.open(dev, os.O_RDWR)
    cmd = ctypes.create_string_buffer(bytes.fromhex(apdu))
    rsp = ctypes.create_string_buffer(300)
    t = Transmit()
    t0 = time.monotonic()
    for _ in range(n):
        t.cmd_ptr, t.cmd_len = ctypes.addressof(cmd), 5
        t.rsp_ptr, t.rsp_len = ctypes.addressof(rsp), 300
        fcntl.ioctl(fd, SECEL_IOC_TRANSMIT, t)
    direct = (time.monotonic() - t0) / n
    os.close(fd)
    print("# APDU round trip (GET DATA 9F7F, %d each): pyscard via pcscd "
          "and libifdsecel %.0f us, ioctl on %s %.0f us, ratio %.1f" %
          (n, pcsc * 1e6, dev, direct * 1e6, pcsc / direct))


VERBS = {"readers": cmd_readers, "apdu": cmd_apdu, "wait-state": cmd_wait_state,
         "wait-reader": cmd_wait_reader,
         "isolation": cmd_isolation, "channels-freed": cmd_channels_freed,
         "reconnect": cmd_reconnect, "rtt": cmd_rtt}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in VERBS:
        die(__doc__)
    VERBS[sys.argv[1]](sys.argv[2:])
