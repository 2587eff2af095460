#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
#
# ccid_hotplug_load.py - the guest side of secel_ccid_hotplug_test.sh:
# WORKERS processes exchange APDUs on the CCID reader's SE while the host
# (tools/testing/ccid-hotplug) pulls and puts back the card and the reader.
#
# Each worker loops: find the listed SE of transport "ccid", open
# /dev/secelN, SECEL_IOC_TRANSMIT the SELECT of the CAC ID applet until an
# error, close, and again.  It counts answers, open errors and transmit
# errors by errno in a page shared with the parent.  The parent:
#   - listens to the kernel's uevents (NETLINK_KOBJECT_UEVENT) and counts
#     the add and remove events of SUBSYSTEM=secel and of USB devices;
#   - prints "# ccid-hotplug: go", then "# ccid-hotplug: gone N" and
#     "# ccid-hotplug: listed N" as the SE goes and comes back (the host
#     waits for them before each next step);
#   - flags a worker that stays in one call longer than --hang seconds;
#   - after the last cycle, keeps the load on for --settle seconds, stops
#     the workers and waits for each at most --hang seconds.
# It writes its counts as KEY VALUE lines to --out.  Every wait is bounded.
import argparse
import ctypes
import errno
import fcntl
import mmap
import os
import signal
import socket
import struct
import sys
import time

CAC = bytes.fromhex('00A4040007A0000000790300')
# _IOWR(0xE7, 0x03, struct secel_transmit of 40 bytes)
TRANSMIT = (3 << 30) | (40 << 16) | (0xE7 << 8) | 0x03
NERR = 160          # errno slots per worker
# per worker, in 8-byte slots: ok, in-call-since (ns, 0 when idle),
# then NERR transmit errors and NERR open errors
SLOTS = 2 + 2 * NERR


def ccid_se():
    """The index of a listed SE of transport ccid, or None."""
    try:
        names = os.listdir('/sys/class/secel')
    except OSError:
        return None
    for n in sorted(names):
        d = '/sys/class/secel/' + n
        try:
            with open(d + '/transport') as f:
                if f.read().strip() != 'ccid':
                    continue
            with open(d + '/state') as f:
                if f.read().strip() != 'listed':
                    continue
        except OSError:
            continue
        return int(n[len('secel'):])
    return None


def worker(w, shm, stop_at):
    base = w * SLOTS
    cnt = memoryview(shm).cast('q')
    cmd = ctypes.create_string_buffer(CAC, len(CAC))
    rsp = ctypes.create_string_buffer(258)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    while cnt[stop_at] == 0:
        i = ccid_se()
        if i is None:
            time.sleep(0.05)
            continue
        cnt[base + 1] = time.monotonic_ns()
        try:
            fd = os.open('/dev/secel%d' % i, os.O_RDWR)
        except OSError as e:
            cnt[base + 1] = 0
            cnt[base + 2 + NERR + min(e.errno, NERR - 1)] += 1
            time.sleep(0.05)
            continue
        cnt[base + 1] = 0
        while cnt[stop_at] == 0:
            b = bytearray(struct.pack('QQIIII8x', ctypes.addressof(cmd),
                                      ctypes.addressof(rsp), len(CAC), 258,
                                      0, 0))
            cnt[base + 1] = time.monotonic_ns()
            try:
                fcntl.ioctl(fd, TRANSMIT, b)
            except OSError as e:
                cnt[base + 1] = 0
                cnt[base + 2 + min(e.errno, NERR - 1)] += 1
                break
            cnt[base + 1] = 0
            n = struct.unpack_from('I', b, 20)[0]
            if n >= 2 and rsp.raw[n - 2] == 0x90:
                cnt[base] += 1
            else:
                # an answer, but not the card's 9000: count it apart
                cnt[base + 2 + NERR - 1] += 1
        cnt[base + 1] = 0
        os.close(fd)
    os._exit(0)


def uevent_socket():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM,
                      15)  # NETLINK_KOBJECT_UEVENT
    s.bind((0, 1))
    s.setblocking(False)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    return s


def read_uevents(s, seen):
    while True:
        try:
            msg = s.recv(65536)
        except BlockingIOError:
            return
        fields = msg.split(b'\0')
        kv = dict(f.split(b'=', 1) for f in fields[1:] if b'=' in f)
        action = kv.get(b'ACTION', b'').decode()
        sub = kv.get(b'SUBSYSTEM', b'').decode()
        if sub == 'usb':
            sub = 'usb_device' if kv.get(b'DEVTYPE') == b'usb_device' \
                else 'usb_other'
        if action in ('add', 'remove') and sub in ('secel', 'usb_device'):
            key = 'uevent_%s_%s' % (sub, action)
            seen[key] = seen.get(key, 0) + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--rounds', type=int, required=True)
    ap.add_argument('--workers', type=int, default=16)
    ap.add_argument('--hang', type=float, default=90)
    ap.add_argument('--settle', type=float, default=5)
    ap.add_argument('--wait', type=float, default=300,
                    help='seconds at most between two changes (the host '
                    'may have given up)')
    ap.add_argument('--out', required=True)
    a = ap.parse_args()

    stop_at = a.workers * SLOTS
    shm = mmap.mmap(-1, (stop_at + 1) * 8)
    cnt = memoryview(shm).cast('q')
    ue = uevent_socket()
    seen = {}
    pids = []
    for w in range(a.workers):
        pid = os.fork()
        if pid == 0:
            ue.close()
            worker(w, shm, stop_at)
        pids.append(pid)

    def total_ok():
        return sum(cnt[w * SLOTS] for w in range(a.workers))

    hung = set()

    def check_hangs():
        now = time.monotonic_ns()
        for w in range(a.workers):
            t = cnt[w * SLOTS + 1]
            if t and now - t > a.hang * 1e9 and w not in hung:
                hung.add(w)
                print('# ccid-hotplug: worker %d in one call for over %.0f s'
                      % (w, a.hang), flush=True)

    # the load on before the first cycle
    end = time.monotonic() + 60
    while total_ok() < a.workers and time.monotonic() < end:
        time.sleep(0.1)
    ok_before = total_ok()
    print('# ccid-hotplug: go', flush=True)
    gone = 0
    was = True
    last = time.monotonic()
    while time.monotonic() - last < a.wait:
        read_uevents(ue, seen)
        check_hangs()
        now = ccid_se() is not None
        if was != now:
            last = time.monotonic()
        if was and not now:
            gone += 1
            print('# ccid-hotplug: gone %d' % gone, flush=True)
        elif not was and now:
            print('# ccid-hotplug: listed %d' % gone, flush=True)
        was = now
        if gone >= a.rounds * 2 and now:
            break
        time.sleep(0.1)
    ok_cycles = total_ok()
    # the load on after the last cycle: exchanges must work again
    end = time.monotonic() + a.settle
    while time.monotonic() < end:
        read_uevents(ue, seen)
        check_hangs()
        time.sleep(0.1)
    ok_after = total_ok()
    cnt[stop_at] = 1
    # each worker gets a bounded time to finish its call and exit
    left = set(pids)
    end = time.monotonic() + a.hang
    while left and time.monotonic() < end:
        for p in list(left):
            if os.waitpid(p, os.WNOHANG)[0]:
                left.discard(p)
        check_hangs()
        time.sleep(0.1)
    for p in left:
        os.kill(p, signal.SIGKILL)
    read_uevents(ue, seen)

    res = {'cycles': gone, 'rounds': a.rounds, 'workers': a.workers,
           'ok_before': ok_before, 'ok_cycles': ok_cycles,
           'ok_after': ok_after, 'hung': len(hung),
           'unfinished': len(left)}
    res.update(seen)
    errs, oerrs = {}, {}
    for w in range(a.workers):
        for e in range(NERR):
            n = cnt[w * SLOTS + 2 + e]
            if n:
                errs[e] = errs.get(e, 0) + n
            n = cnt[w * SLOTS + 2 + NERR + e]
            if n:
                oerrs[e] = oerrs.get(e, 0) + n

    def name(e):
        return 'BADSW' if e == NERR - 1 else errno.errorcode.get(e, str(e))
    with open(a.out, 'w') as f:
        for k, v in res.items():
            f.write('%s %s\n' % (k, v))
        for e, n in sorted(errs.items()):
            f.write('err %s %d\n' % (name(e), n))
        for e, n in sorted(oerrs.items()):
            f.write('openerr %s %d\n' % (name(e), n))
    return 0


if __name__ == '__main__':
    sys.exit(main())
