#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""apdu_interrupt.py: one APDU through SECEL_IOC_TRANSMIT, for the tests
of exchanges cut off by a signal.

  apdu_interrupt.py [--channel] [--first APDU] [--alarm SEC]
                    [--ready FILE] NODE APDU

--channel opens a logical channel first (SECEL_IOC_OPEN_CHANNEL, the
card's default application) and sends APDU on it; --first sends an APDU
on the basic channel before (a test card's fault knob); --ready FILE is
written (the channel's number) just before the APDU goes; --alarm SEC
sends the process SIGALRM SEC seconds later, caught by a handler that
does nothing, installed without SA_RESTART (signal.siginterrupt), so the
ioctl returns EINTR if the signal interrupts it.  Prints one line:
"ok HEX SECONDS" or "errno NAME SECONDS", SECONDS from the signal to the
ioctl's return (from the ioctl's start without --alarm).  Exit status 0
when the line is printed, 2 on a usage or open error.
"""
import ctypes
import errno
import fcntl
import os
import signal
import struct
import sys
import time

# _IOWR(0xE7, 0x03, struct secel_transmit of 40 bytes)
TRANSMIT = (3 << 30) | (40 << 16) | (0xE7 << 8) | 0x03
# _IOWR(0xE7, 0x04, struct secel_channel_open of 40 bytes)
OPEN_CHANNEL = (3 << 30) | (40 << 16) | (0xE7 << 8) | 0x04

fired = []


def on_alarm(sig, frame):
    fired.append(time.monotonic())


def transmit(fd, cmd, rsp, ch):
    c = ctypes.create_string_buffer(cmd, len(cmd))
    b = bytearray(struct.pack('QQIIII8x', ctypes.addressof(c),
                              ctypes.addressof(rsp), len(cmd), 65538, ch, 0))
    try:
        fcntl.ioctl(fd, TRANSMIT, b)
        return 'ok ' + rsp.raw[:struct.unpack_from('I', b, 20)[0]].hex()
    except OSError as e:
        return 'errno ' + errno.errorcode.get(e.errno, str(e.errno))


def main():
    args = sys.argv[1:]
    channel, alarm, ready, first = False, None, None, None
    while args and args[0].startswith('--'):
        opt = args.pop(0)
        if opt == '--channel':
            channel = True
        elif opt == '--alarm' and args:
            alarm = float(args.pop(0))
        elif opt == '--ready' and args:
            ready = args.pop(0)
        elif opt == '--first' and args:
            first = args.pop(0)
        else:
            args = []
    if len(args) != 2:
        print(__doc__.split('\n\n')[1], file=sys.stderr)
        return 2
    node, hexcmd = args
    try:
        cmd = bytes.fromhex(hexcmd)
        first = bytes.fromhex(first) if first else None
        fd = os.open(node, os.O_RDWR)
    except (ValueError, OSError) as e:
        print('apdu_interrupt.py: %s: %s' % (node, e), file=sys.stderr)
        return 2
    rsp = ctypes.create_string_buffer(65538)
    ch = 0
    if channel:
        b = bytearray(struct.pack('QQIIIB3xII', 0, ctypes.addressof(rsp),
                                  0, 258, 0, 0, 0, 0))
        try:
            fcntl.ioctl(fd, OPEN_CHANNEL, b)
        except OSError as e:
            print('errno %s 0 (OPEN_CHANNEL)' % errno.errorcode[e.errno])
            return 0
        ch = struct.unpack_from('I', b, 24)[0]
    if first and transmit(fd, first, rsp, 0)[:3] != 'ok ':
        print('errno EIO 0 (the first APDU failed)')
        return 0
    if ready:
        with open(ready, 'w') as f:
            f.write('%d\n' % ch)
    if alarm is not None:
        signal.signal(signal.SIGALRM, on_alarm)
        signal.siginterrupt(signal.SIGALRM, True)
        signal.setitimer(signal.ITIMER_REAL, alarm)
    start = time.monotonic()
    res = transmit(fd, cmd, rsp, ch)
    end = time.monotonic()
    print('%s %.3f' % (res, end - (fired[0] if fired else start)),
          flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
