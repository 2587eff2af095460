#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""Seeds for fuzz_t1 and fuzz_t1_engine: T=1 blocks (ISO with LRC and
CRC, GP), GP CIPs, and whole conversations of a well-behaved card, built
here from ISO/IEC 7816-3 11.3 and GP's T=1 over SPI/I2C.

  gen-t1-corpus.py corpus/t1 corpus/t1_engine
"""
import os
import sys


def crc16(b, gp):
    c = 0xFFFF
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ 0x8408 if c & 1 else c >> 1
    return c ^ 0xFFFF if gp else c


def block(nad, pcb, inf=b"", gp=False, crc=False):
    b = bytes([nad, pcb]) + (len(inf).to_bytes(2, "big") if gp
                             else bytes([len(inf)])) + inf
    if gp or crc:
        return b + crc16(b, gp).to_bytes(2, "big")
    x = 0
    for c in b:
        x ^= c
    return b + bytes([x])


def write(d, name, data):
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def main():
    t1, eng = sys.argv[1], sys.argv[2]
    apdu = bytes.fromhex("00a40400")
    write(t1, "iso-lrc-i", b"\x00" + block(0, 0x00, apdu))
    write(t1, "iso-crc-i", b"\x01" + block(0, 0x40, apdu, crc=True))
    write(t1, "iso-r-edc", b"\x00" + block(0, 0x81))
    write(t1, "iso-s-wtx", b"\x00" + block(0, 0xC3, b"\x05"))
    write(t1, "iso-s-ifs", b"\x00" + block(0, 0xE1, b"\xfe"))
    write(t1, "gp-s-ifs2", b"\x02" + block(0x12, 0xE1, b"\x04\x00", gp=True))
    write(t1, "gp-i", b"\x02" + block(0x12, 0x20, apdu * 8, gp=True))
    write(t1, "gp-s-swr", b"\x02" + block(0x12, 0xEF, gp=True))
    write(t1, "cip-spi", b"\x03" + bytes.fromhex(
        "0103000102010c000000000000000000000000""04012c00fe00"))
    write(t1, "cip-i2c", b"\x03" + bytes.fromhex(
        "010400010203020800000000000000000400c80ff9028000"))

    # fuzz_t1_engine: byte 0 = variant (bit 0 GP), EDC (bit 1 CRC), IFSC
    # 1 + (byte >> 3) * 8; then the card's bytes.  The harness sends a
    # 300-byte command (2 links at IFSC 249), a 4-byte one, S(IFS) 200,
    # (GP: S(CIP), S(SWR), S(RELEASE)) and S(RESYNCH).
    for gp in (False, True):
        nad = 0x12 if gp else 0
        b = lambda pcb, inf=b"": block(nad, pcb, inf, gp=gp, crc=gp)
        conv = (b(0x90) + b(0x00, b"\x90\x00") +          # the long APDU
                b(0xC3, b"\x02") + b(0x40, b"\x61\x10") +  # WTX, then I
                b(0xE1, b"\xc8"))
        if gp:
            conv += (b(0xE4, bytes.fromhex("01030001020100040064 00fe00"
                                           .replace(" ", ""))) +
                     b(0xEF) + b(0xE6))
        conv += b(0xE0)
        write(eng, "%s-ok" % ("gp" if gp else "iso"),
              bytes([0xF8 | (3 if gp else 0)]) + conv)
        # a response in links, an invalid block, silence
        conv = (b(0x90) + b(0x20, b"\x01" * 20) + b(0x40, b"\x90\x00") +
                b(0x00, b"\x90\x00")[:-1] + b"\x00" +
                b(0x00, b"\x90\x00"))
        write(eng, "%s-chain-edc" % ("gp" if gp else "iso"),
              bytes([0xF8 | (3 if gp else 0)]) + conv)


if __name__ == "__main__":
    main()
