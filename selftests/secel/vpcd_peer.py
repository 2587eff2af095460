#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Peers of secel-vpcd for secel_vpcd_test.sh, written from vsmartcard's
protocol facts (a 2-byte big-endian length, then the bytes; 1-byte control
messages 00 off, 01 on, 02 reset, 04 get ATR; the card answers GET ATR and
APDUs only), independent of vicc and of secel-vpcd's C codec.

  vpcd_peer.py card PORT LOG [--atr HEX] [--split]
      a card: logs every message it gets ('ctrl 04', 'apdu 80100000..') to
      LOG, one a line.  INS 10 echoes the data, INS 12 returns P3 bytes
      (0..255) of 0xA5, anything else 6D00.  --split sends every answer a
      byte at a time, so the reader has to put frames together.
  vpcd_peer.py raw PORT MODE
      a broken peer: MODE badlen (answers GET ATR with length FFFF),
      short-atr (a 1-byte ATR), garbage (text at once, no framing),
      unasked (a good ATR, then bytes nobody asked for), silent (never
      answers).  Prints 'closed' when secel-vpcd closes the connection,
      'open' if it still has not after 10 s.
  vpcd_peer.py uevents SECONDS
      prints the secel uevents (ACTION SECEL_NAME), one a line, for SECONDS.
"""
import socket
import struct
import sys
import time


def recv_exact(s, n):
    data = b''
    while len(data) < n:
        chunk = s.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def recv_msg(s):
    (n,) = struct.unpack('!H', recv_exact(s, 2))
    return recv_exact(s, n)


def send_msg(s, data, split=False):
    frame = struct.pack('!H', len(data)) + data
    if not split:
        s.sendall(frame)
        return
    for i in range(len(frame)):
        s.sendall(frame[i:i + 1])
        time.sleep(0.002)


def card(port, log, atr, split):
    s = socket.create_connection(('127.0.0.1', port))
    with open(log, 'a', buffering=1) as f:
        f.write('connected\n')
        while True:
            try:
                msg = recv_msg(s)
            except (EOFError, ConnectionError):
                f.write('eof\n')
                return
            if len(msg) == 1:
                f.write('ctrl %02x\n' % msg[0])
                if msg[0] == 4:
                    send_msg(s, atr, split)
                continue
            f.write('apdu %s\n' % msg.hex())
            ins = msg[1]
            if ins == 0x10 and len(msg) > 5:
                rsp = msg[5:5 + msg[4]] + b'\x90\x00'
            elif ins == 0x12 and len(msg) >= 5:
                rsp = b'\xa5' * msg[4] + b'\x90\x00'
            else:
                rsp = b'\x6d\x00'
            send_msg(s, rsp, split)


def raw(port, mode):
    s = socket.create_connection(('127.0.0.1', port))
    s.settimeout(10)
    try:
        if mode == 'garbage':
            s.sendall(b'GET / HTTP/1.0\r\n\r\n')
        else:
            # secel-vpcd asks for the ATR first
            while recv_msg(s) != b'\x04':
                pass
            if mode == 'badlen':
                s.sendall(b'\xff\xff\x3b\x00')
            elif mode == 'short-atr':
                send_msg(s, b'\x3b')
            elif mode == 'unasked':
                # serve the core's verification, then speak unasked
                send_msg(s, bytes.fromhex('3b021450'))
                s.settimeout(1.5)
                try:
                    while True:
                        if len(recv_msg(s)) > 1:
                            send_msg(s, b'\x6d\x00')
                except (socket.timeout, TimeoutError):
                    pass
                s.settimeout(10)
                s.sendall(b'\x00\x02\x90\x00')
        while s.recv(4096):
            pass
        print('closed')
    except (socket.timeout, TimeoutError):
        print('open')
    except (EOFError, ConnectionError):
        print('closed')


def uevents(seconds):
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_DGRAM,
                      15)  # NETLINK_KOBJECT_UEVENT
    s.bind((0, 1))
    end = time.monotonic() + seconds
    sys.stdout.reconfigure(line_buffering=True)
    print('ready')
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return
        s.settimeout(left)
        try:
            data = s.recv(65536)
        except (socket.timeout, TimeoutError):
            return
        fields = data.split(b'\0')
        env = dict(f.split(b'=', 1) for f in fields[1:] if b'=' in f)
        if env.get(b'SUBSYSTEM') != b'secel':
            continue
        print(env.get(b'ACTION', b'?').decode(),
              env.get(b'SECEL_NAME', b'?').decode())


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == 'card':
        atr = bytes.fromhex('3b021450')
        if '--atr' in sys.argv:
            atr = bytes.fromhex(sys.argv[sys.argv.index('--atr') + 1])
        card(int(sys.argv[2]), sys.argv[3], atr, '--split' in sys.argv)
    elif len(sys.argv) == 4 and sys.argv[1] == 'raw':
        raw(int(sys.argv[2]), sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == 'uevents':
        uevents(float(sys.argv[2]))
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main()
