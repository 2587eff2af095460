#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""scp03_ref.py - a second, independent SCP03 host for secel's tests.

Written from GlobalPlatform Card Specification 2.3.1 Amendment D (SCP03)
and the card specification's command descriptions, sharing no code and no
tables with libsecelgp (tools/gp), so that secel's card and host cannot
agree with each other on a mistake unnoticed.  Python's "cryptography"
package (Debian's python3-cryptography) gives AES and AES-CMAC; the rest
is here.

  scp03_ref.py vectors
      the public vectors below; exit status 0 when all match
  scp03_ref.py card /dev/secelN CHECK...
      run the named checks against a GlobalPlatform card behind an SE
      (secel-vcard in the selftests); "scp03_ref.py card - list" lists them
  scp03_ref.py pcsc "READER NAME" CHECK...
      the same checks through PC/SC (pyscard, python3-pyscard): the host
      opens and closes logical channels itself with MANAGE CHANNEL and
      codes the channel in CLA, as PC/SC applications do; with
      SCP03_REF_CHANNEL=N it asks for channels N, N+1... by number
      (MANAGE CHANNEL open, P2 = N) instead of taking the card's choice

The vectors are osmocom pySim's, tests/unittests/test_globalplatform.py
(SCP03_Test_AES{128,192,256}_{11,03,33}: whole sessions, key versions
30-32, security levels 11, 03 and 33), and NIST SP 800-38B's AES-CMAC
examples.
"""

import ctypes
import errno
import fcntl
import os
import struct
import sys

from cryptography.hazmat.primitives import cmac as _cmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# ---------------------------------------------------------------- crypto


def aes_cmac(key, msg):
    c = _cmac.CMAC(algorithms.AES(key))
    c.update(msg)
    return c.finalize()


def aes_cbc(key, iv, data, encrypt=True):
    c = Cipher(algorithms.AES(key), modes.CBC(iv))
    op = c.encryptor() if encrypt else c.decryptor()
    return op.update(data) + op.finalize()


def aes_block(key, block):
    return aes_cbc(key, bytes(16), block)


def kdf(key, constant, context, bits):
    """Amendment D 4.1.5: NIST SP 800-108 in counter mode, PRF AES-CMAC.
    Label: eleven 00 bytes and the derivation constant; separator 00;
    L on two bytes; the counter i on one byte; then the context."""
    out = b""
    i = 1
    while len(out) * 8 < bits:
        msg = bytes(11) + bytes([constant, 0]) + bits.to_bytes(2, "big") + \
            bytes([i]) + context
        out += aes_cmac(key, msg)
        i += 1
    return out[:bits // 8]


def pad80(data):
    data = data + b"\x80"
    return data + bytes(-len(data) % 16)


def unpad80(data):
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80") or len(data) - len(stripped) >= 16:
        raise ValueError("bad padding")
    return stripped[:-1]


# derivation constants, Amendment D table 4-1 (written out again here on
# purpose: no table is shared with libsecelgp)
CARD_CRYPTOGRAM, HOST_CRYPTOGRAM, CARD_CHALLENGE = 0x00, 0x01, 0x02
S_ENC, S_MAC, S_RMAC = 0x04, 0x06, 0x07


class SCPError(Exception):
    pass


class Host:
    """The off-card entity of one SCP03 session (S8 mode)."""

    def __init__(self, enc, mac, dek, kvn=0):
        self.enc, self.mac, self.dek, self.kvn = enc, mac, dek, kvn
        self.level = 0
        self.authenticated = False

    def init_update(self, host_chal):
        self.host_chal = bytes(host_chal)
        return bytes([0x80, 0x50, self.kvn, 0x00, 8]) + self.host_chal + b"\x00"

    def begin(self, rsp, sd_aid=None):
        """Check an INITIALIZE UPDATE answer (data only).  With @sd_aid,
        a pseudo-random card challenge must be the one the sequence
        counter and the security domain's AID give."""
        if len(rsp) not in (29, 32):
            raise SCPError("INITIALIZE UPDATE answer of %d bytes" % len(rsp))
        if rsp[11] != 0x03:
            raise SCPError("SCP%02X, not SCP03" % rsp[11])
        self.i_param = rsp[12]
        self.card_chal = rsp[13:21]
        self.seq = rsp[29:32]
        if (self.i_param & 0x10) != (0x10 if len(rsp) == 32 else 0):
            raise SCPError("sequence counter present iff pseudo-random")
        ctx = self.host_chal + self.card_chal
        bits = len(self.enc) * 8
        self.s_enc = kdf(self.enc, S_ENC, ctx, bits)
        self.s_mac = kdf(self.mac, S_MAC, ctx, bits)
        self.s_rmac = kdf(self.mac, S_RMAC, ctx, bits)
        if kdf(self.s_mac, CARD_CRYPTOGRAM, ctx, 64) != rsp[21:29]:
            raise SCPError("card cryptogram does not verify")
        if sd_aid is not None and self.i_param & 0x10:
            want = kdf(self.enc, CARD_CHALLENGE, self.seq + bytes(sd_aid), 64)
            if want != self.card_chal:
                raise SCPError("pseudo-random card challenge does not verify")

    def ext_auth(self, level, p2=0):
        host = kdf(self.s_mac, HOST_CRYPTOGRAM,
                   self.host_chal + self.card_chal, 64)
        self.mcv = bytes(16)
        hdr = bytes([0x84, 0x82, level, p2, 16])
        self.mcv = aes_cmac(self.s_mac, self.mcv + hdr + host)
        self.level = level
        self.counter = 0
        self.authenticated = True
        return hdr + host + self.mcv[:8]

    def wrap(self, apdu):
        """Protect a command given with a basic-channel class byte.  The
        C-MAC is computed with the logical channel number zero
        (Amendment D 6.2.4); the caller codes the channel afterwards,
        here the kernel does when it sends the command on a channel."""
        cla, ins, p1, p2 = apdu[:4]
        body = apdu[4:]
        data, le = b"", None
        if len(body) == 1:
            le = body
        elif len(body) > 1 and body[0] == 0 and len(body) >= 3:
            # extended: 00 Lc1 Lc2 data [Le1 Le2], or 00 Le1 Le2
            if len(body) == 3:
                le = body[1:]
            else:
                n = int.from_bytes(body[1:3], "big")
                data = body[3:3 + n]
                if len(body) == 3 + n + 2:
                    le = body[3 + n:]
                elif len(body) != 3 + n:
                    raise SCPError("bad extended APDU")
        elif body:
            n = body[0]
            data = body[1:1 + n]
            if len(body) == 2 + n:
                le = body[1 + n:]
            elif len(body) != 1 + n:
                raise SCPError("bad short APDU")
        self.counter += 1
        if not self.level & 0x01:
            return apdu
        if self.level & 0x02 and data:
            ctr = self.counter.to_bytes(16, "big")
            data = aes_cbc(self.s_enc, aes_block(self.s_enc, ctr), pad80(data))
        cla = (cla & ~0x03 & 0xff) | 0x04   # channel 0, secure messaging
        nc = len(data) + 8
        ext = nc > 255 or (le is not None and len(le) == 2)
        if ext:
            lc = b"\x00" + nc.to_bytes(2, "big")
            if le is not None and len(le) == 1:
                le = b"\x00" + le
        else:
            lc = bytes([nc])
        msg = bytes([cla, ins, p1, p2]) + lc + data
        self.mcv = aes_cmac(self.s_mac, self.mcv + msg)
        return msg + self.mcv[:8] + (le or b"")

    def unwrap(self, data, sw):
        """Check (R-MAC) and decrypt (R-ENC) a response's data."""
        if not (sw == 0x9000 or sw >> 8 in (0x62, 0x63)):
            if data:
                raise SCPError("data beside error %04X" % sw)
            return data
        if self.level & 0x10:
            if len(data) < 8:
                raise SCPError("no R-MAC")
            data, rmac = data[:-8], data[-8:]
            want = aes_cmac(self.s_rmac, self.mcv + data + sw.to_bytes(2, "big"))
            if want[:8] != rmac:
                raise SCPError("R-MAC does not verify")
        if self.level & 0x20 and data:
            ctr = b"\x80" + self.counter.to_bytes(15, "big")
            data = unpad80(aes_cbc(self.s_enc, aes_block(self.s_enc, ctr),
                                   data, encrypt=False))
        return data

    def encrypt_key(self, key):
        """A key for PUT KEY (Amendment D 7.2.3, table 7-10 for lengths
        that are not whole blocks): AES-CBC under the DEK, zero IV."""
        if len(key) % 16:
            padded = key + bytes(-len(key) % 16)
            return bytes([len(key)]) + aes_cbc(self.dek, bytes(16), padded)
        return aes_cbc(self.dek, bytes(16), key)


def kdf3(master, kdd, purpose):
    """Key diversification KDF3 (GlobalPlatformPro's name): SP 800-108
    counter mode, AES-CMAC, input i || 00 00 00 purpose 00 || KDD;
    purpose 1 ENC, 2 MAC, 3 DEK; as long as the master key."""
    out = b""
    i = 1
    while len(out) < len(master):
        out += aes_cmac(master, bytes([i, 0, 0, 0, purpose, 0]) + kdd)
        i += 1
    return out[:len(master)]


def kcv(key):
    return aes_block(key, b"\x01" * 16)[:3]


# --------------------------------------------------------------- vectors

def h(s):
    return bytes.fromhex(s)


# pySim tests/unittests/test_globalplatform.py (osmocom/pysim)
PYSIM_KEYS = {
    0x30: (h("000102030405060708090a0b0c0d0e0f"),
           h("101112131415161718191a1b1c1d1e1f"),
           h("202122232425262728292a2b2c2d2e2f")),
    0x31: (h("000102030405060708090a0b0c0d0e0f0001020304050607"),
           h("101112131415161718191a1b1c1d1e1f1011121314151617"),
           h("202122232425262728292a2b2c2d2e2f2021222324252627")),
    0x32: (h("000102030405060708090a0b0c0d0e0f000102030405060708090a0b0c0d0e0f"),
           h("101112131415161718191a1b1c1d1e1f101112131415161718191a1b1c1d1e1f"),
           h("202122232425262728292a2b2c2d2e2f202122232425262728292a2b2c2d2e2f")),
}
PLAIN = ["80E2910006BF3E035C015A00", "80F22002", "80ca006600",
         "80F220020a4f0212345c054f9f70c5", "80f28002024f0000"]
EID_RSP = "bf3e125a1089882119900000000000000000000005"
# name: IU command, IU answer, EA command, wrapped PLAIN..., GET EID answer
PYSIM = {
    "AES128_11": ("8050300008b13e5f938fc108c400",
                  "000000000000000000003003703eb51047495b249f66c484c1d2ef1948000002",
                  "84821100107d5f5826a993ebc89eea24957fa0b3ce",
                  ["84e291000ebf3e035c015a558d036518a2829700",
                   "84f220020863a63f8959827fb2", "84ca006608a0c6a4a74166f7ce00",
                   "84f22002124f0212345c054f9f70c52249b50272656536",
                   "84f280020a4f00e91443f6dce6b8ed00"],
                  "bf3e125a1089882119900000000000000000000005971be68992dbbdfa"),
    "AES128_03": ("80503000088e1552d0513c60f300",
                  "0000000000000000000030037030760cd2c47c1dd395065fe5ead8a9d7000001",
                  "8482030010fd4721a14d9b07003c451d2f8ae6bb21",
                  ["84e2910018ca9c00f6713d79bc8baa642bdff51c3f6a4082d3bd9ad26c00",
                   "84f2200208c9811b11f1264cf1", "84ca006608e10ab60b3054798800",
                   "84f22002184e2908bdb48b2315a55482e9e936ca122d6ecfae7d17416e",
                   "84f28002180dd10a6b6193e5340b9e77d32d5a179cd710ac2773aefb2800"],
                  EID_RSP),
    "AES128_33": ("8050300008fdf38259a1e0de4400",
                  "000000000000000000003003703b1aca81e821f219081cdc01c26b372d000003",
                  "84823300108c36f96bcc00724a4e13ad591d7da3f0",
                  ["84e2910018267a85dfe4a98fca6fb0527e0dfecce4914e40401433c87f00",
                   "84f2200208ac6a59024bed84cc", "84ca006608409912ad8fb7aed000",
                   "84f22002185f3dafc3ac14c381536a488bf44e06d056df9d74dbd21e5a",
                   "84f280021865165105be3373347d0424d4400af2ac393f569ec779389e00"],
                  "f3ba2b1013aa6224f5e1c138d71805c569e5439b47576260b75fc021b25097cb2e68f8a0144975b9"),
    "AES192_11": ("80503100087396430b768b085b00",
                  "000000000000000000003103708cfc23522ffdbf1e5df5542cac8fd866000003",
                  "84821100102145ed30b146f5db252fb7e624cec244",
                  ["84e291000ebf3e035c015aff42cf801d14394400",
                   "84f22002084584e4f6784811ee", "84ca006608937776ebe190fa3000",
                   "84f22002124f0212345c054f9f70c59a52bddf3040368c",
                   "84f280020a4f009804b11411f7393d00"],
                  "bf3e125a1089882119900000000000000000000005162fbd33e04940a9"),
    "AES192_03": ("805031000869c65da8202bf19f00",
                  "00000000000000000000310370b570a67be38446717729d6dd3d2ec5b1000001",
                  "848203001065df4f1a356a887905466516d9e5b7c1",
                  ["84e2910018d2c6fb477c5d4afe4fd4d21f17eff10d3578ec1774a12a2d00",
                   "84f2200208964e188f0b1bb697", "84ca006608f0820035a41d3e1800",
                   "84f220021806b076ed452cd1fa84f77f5c08a146aa77a9286757dea791",
                   "84f2800218d06527e39222dce091fabdb8e9b898417a67a6852d3577db00"],
                  EID_RSP),
    "AES192_33": ("80503100089b3f2eef0e8c937400",
                  "00000000000000000000310370f6bb305a15bae1a68f79fb08212fbed7000002",
                  "84823300109100bc22d58b45b86a26365ce39ff3cf",
                  ["84e29100188f7f946c84f70d17994bc6e8791251bb1bb1bf02cf8de58900",
                   "84f2200208d5d97754b6b3d2ba", "84ca006608516c82b8e30adbeb00",
                   "84f2200218cc247f4761e6944277a4e0d6e32e44025b1e31537e2fc668",
                   "84f2800218ba22b63d509bef5d093b43e5eaed03ed23144ab2d9cb51de00"],
                  "c05176c1b6f72aae50c32cbee63b0e95998928fd4dfb2be9f27ffde8c8476f5909b4805cc4039599"),
    "AES256_11": ("805032000811666d57866c6f5400",
                  "0000000000000000000032037053ea8847efa7674e41498a4d66cf0dee000003",
                  "84821100102f2ad190eff2fafc4908996d1cebd310",
                  ["84e291000ebf3e035c015af4b680372542b59d00",
                   "84f2200208d618b7da68d5fe52", "84ca0066088f3e055db23ad5e500",
                   "84f22002124f0212345c054f9f70c5b6e15cc42404915e",
                   "84f280020a4f00aa124aa74afe7f7500"],
                  "bf3e125a10898821199000000000000000000000058012dd7f01f1c4c1"),
    "AES256_03": ("8050320008c6066990fc426e1d00",
                  "000000000000000000003203708682cd81bbd8919f2de3f2664581f118000001",
                  "848203001077c493b632edadaf865a1e64acc07ce9",
                  ["84e29100183ddaa60594963befaada3525b492ede23c2ab2c1ce3afe4400",
                   "84f2200208480ddc8e419da38d", "84ca0066083e9d6a6c0b2d732000",
                   "84f22002183ebfef2da8b04af2a85f491f299b76973df76ff08a4031be",
                   "84f2800218783fff80990f5585b1055010ea95094a26e4a8f1ef4b18e100"],
                  EID_RSP),
    "AES256_33": ("805032000897b2055fe58599fd00",
                  "00000000000000000000320370a8439a22cedf045fa9f1903b2834f26e000002",
                  "8482330010508a0fd959d2e547c6b33154a6be2057",
                  ["84e29100187a5ef717eaf1e135ae92fe54429d0e465decda65f5fe5aea00",
                   "84f2200208bcc5c17275545d93", "84ca00660804806aba9d543bb600",
                   "84f2200218717222491556ec81a45f49ce48be33320024801a1c4cb0e0",
                   "84f2800218561f105bccd3a1642904b251ccc1228beb80a82370a8637000"],
                  "ea90dbfa648a67c5eb6abc57f8530b97d0cd5647c5e8732016b55203b078dd2ace7f8bc5d1c1cd99"),
}


def run_vectors():
    bad = 0

    def check(name, got, want):
        nonlocal bad
        if got.hex() != want.lower():
            bad += 1
            print("FAIL %s: got %s want %s" % (name, got.hex(), want.lower()))

    # NIST SP 800-38B, D.1 (AES-128)
    k = h("2b7e151628aed2a6abf7158809cf4f3c")
    check("cmac-empty", aes_cmac(k, b""), "bb1d6929e95937287fa37d129b756746")
    check("cmac-16", aes_cmac(k, h("6bc1bee22e409f96e93d7e117393172a")),
          "070a16b46b4d4144f79bdd9dd04a287c")
    for name, (iu, iu_rsp, ea, wrapped, eid_rsp) in sorted(PYSIM.items()):
        iu, iu_rsp = h(iu), h(iu_rsp)
        host = Host(*PYSIM_KEYS[iu[2]], kvn=iu[2])
        check(name + " INITIALIZE UPDATE", host.init_update(iu[5:13]), iu.hex())
        try:
            host.begin(iu_rsp)
        except SCPError as e:
            bad += 1
            print("FAIL %s: %s" % (name, e))
            continue
        check(name + " EXTERNAL AUTHENTICATE", host.ext_auth(h(ea)[2]), ea)
        check(name + " GET DATA EID", host.wrap(h(PLAIN[0])), wrapped[0])
        try:
            got = host.unwrap(h(eid_rsp), 0x9000)
            check(name + " EID answer", got, EID_RSP)
        except SCPError as e:
            bad += 1
            print("FAIL %s EID answer: %s" % (name, e))
        for i, plain in enumerate(PLAIN[1:], 1):
            check("%s case %d" % (name, i), host.wrap(h(plain)), wrapped[i])
    # the wrong cryptogram is refused
    iu, iu_rsp = h(PYSIM["AES128_11"][0]), bytearray(h(PYSIM["AES128_11"][1]))
    iu_rsp[28] ^= 1
    host = Host(*PYSIM_KEYS[0x30], kvn=0x30)
    host.init_update(iu[5:13])
    try:
        host.begin(bytes(iu_rsp))
        bad += 1
        print("FAIL a wrong card cryptogram was accepted")
    except SCPError:
        pass
    # GlobalPlatformPro's KDF3 vector (library/src/test/java/pro/javacard/
    # gp/TestSCP03.java, testKDF3)
    check("KDF3 ENC", kdf3(h("8C72C72CF908411653018807950D82FBAD947562F0828A0B"
                             "10B8B9606ABF3BCD"), h("D9B1DE5D0362DEDCE4FB"), 1),
          "9AAC5D0B3601F89438A0D9D0B6B256CFB47E6462DFA5228D3420C4AC7C224781")
    # the key component block of table 7-10: length, then whole blocks
    host.dek = PYSIM_KEYS[0x31][2]
    blk = host.encrypt_key(bytes(range(24)))
    if len(blk) != 33 or blk[0] != 24:
        bad += 1
        print("FAIL AES-192 key component block of %d bytes" % len(blk))
    print("%s: %s" % (sys.argv[0], "all vectors match" if not bad else
                      "%d mismatches" % bad))
    return 1 if bad else 0


# ------------------------------------------------- the card through secel

SECEL_MAGIC = 0xE7


def _iowr(nr, size):
    return (3 << 30) | (size << 16) | (SECEL_MAGIC << 8) | nr


def _iow(nr, size):
    return (1 << 30) | (size << 16) | (SECEL_MAGIC << 8) | nr


IOC_TRANSMIT = _iowr(0x03, 40)
IOC_OPEN_CHANNEL = _iowr(0x04, 40)
IOC_CLOSE_CHANNEL = _iow(0x05, 8)
ISD_AID = h("A000000151000000")
TEST_KEYS = (bytes(range(0x40, 0x50)),) * 3     # secel-vcard's default


class SE:
    """An SE through /dev/secelN: SECEL_IOC_TRANSMIT and the channel
    ioctls of uapi/linux/secel.h, packed by hand."""

    def __init__(self, path):
        self.fd = os.open(path, os.O_RDWR)
        self.trace = os.environ.get("SCP03_REF_TRACE")

    def transmit(self, apdu, channel=0):
        cmd = ctypes.create_string_buffer(bytes(apdu), len(apdu))
        rsp = ctypes.create_string_buffer(65538)
        arg = bytearray(struct.pack("=QQIIII8x", ctypes.addressof(cmd),
                                    ctypes.addressof(rsp), len(apdu),
                                    len(rsp), channel, 0))
        fcntl.ioctl(self.fd, IOC_TRANSMIT, arg)
        n = struct.unpack_from("=I", arg, 20)[0]
        out = rsp.raw[:n]
        if self.trace:
            sys.stderr.write("[%d] > %s\n[%d] < %s\n" % (channel, bytes(apdu).hex(),
                                                         channel, out.hex()))
        return out[:-2], int.from_bytes(out[-2:], "big")

    def open_channel(self, aid):
        a = ctypes.create_string_buffer(bytes(aid), len(aid))
        rsp = ctypes.create_string_buffer(258)
        arg = bytearray(struct.pack("=QQIIIB3xII", ctypes.addressof(a),
                                    ctypes.addressof(rsp), len(aid), 258,
                                    0, 0, 0, 0))
        fcntl.ioctl(self.fd, IOC_OPEN_CHANNEL, arg)
        return struct.unpack_from("=I", arg, 24)[0]

    def close_channel(self, ch):
        fcntl.ioctl(self.fd, IOC_CLOSE_CHANNEL, struct.pack("=II", ch, 0))


def cla_for_channel(cla, ch):
    """@cla (a basic-channel class byte) coded for logical channel @ch:
    ISO/IEC 7816-4 5.4.1, GlobalPlatform 2.3.1 11.1.4.  Channels 1-3 in
    b2-b1; 4-19 in the further class, b7 set, ch - 4 in b4-b1, secure
    messaging (b4-b3 of the first class) in b6, chaining (b5) kept."""
    if ch < 4:
        return (cla & 0xfc) | ch
    sm = 0x20 if cla & 0x0c else 0
    return (cla & 0x80) | 0x40 | sm | (cla & 0x10) | (ch - 4)


class PCSC:
    """An SE through PC/SC: pyscard's connection to a reader, logical
    channels by MANAGE CHANNEL and the class byte, never through secel's
    ioctls (pcscd's reader driver maps them onto the kernel's)."""

    def __init__(self, reader):
        from smartcard.System import readers
        try:
            names = [str(r) for r in readers()]
            found = [r for r in readers()
                     if str(r) == reader or str(r).startswith(reader + " ")]
            if not found:
                raise OSError(errno.ENODEV, "no PC/SC reader '%s' among %s"
                              % (reader, names))
            self.conn = found[0].createConnection()
            self.conn.connect()
        except OSError:
            raise
        except Exception as e:  # pyscard's own exceptions, one line
            raise OSError(errno.EIO, "PC/SC: %s" % e) from e
        self.trace = os.environ.get("SCP03_REF_TRACE")
        self.ask = int(os.environ.get("SCP03_REF_CHANNEL", "0"))
        self.held = set()

    def transmit(self, apdu, channel=0):
        apdu = bytearray(apdu)
        if channel:
            apdu[0] = cla_for_channel(apdu[0], channel)
        try:
            data, sw1, sw2 = self.conn.transmit(list(apdu))
        except Exception as e:  # pyscard's CardConnectionException...
            raise OSError(errno.EIO, "PC/SC transmit %s: %s" %
                          (bytes(apdu).hex(), e)) from e
        out = bytes(data)
        if self.trace:
            sys.stderr.write("[%d] > %s\n[%d] < %s%02x%02x\n" % (
                channel, bytes(apdu).hex(), channel, out.hex(), sw1, sw2))
        return out, (sw1 << 8) | sw2

    def open_channel(self, aid):
        if self.ask:
            ch = self.ask
            while ch in self.held:
                ch += 1
            data, sw = self.transmit(bytes([0, 0x70, 0, ch]))
            if sw != 0x9000 or data:
                raise OSError(errno.EBUSY, "MANAGE CHANNEL open %d: %s %04X"
                              % (ch, data.hex(), sw))
        else:
            data, sw = self.transmit(h("0070000001"))
            if sw != 0x9000 or len(data) != 1:
                raise OSError(errno.EBUSY, "MANAGE CHANNEL open: %s %04X" %
                              (data.hex(), sw))
            ch = data[0]
        self.held.add(ch)
        sw = self.transmit(h("00A40400") + lv(bytes(aid)) + b"\x00", ch)[1]
        if sw != 0x9000:
            self.close_channel(ch)
            raise OSError(errno.ENOENT, "SELECT %s on channel %d: %04X" %
                          (bytes(aid).hex(), ch, sw))
        return ch

    def close_channel(self, ch):
        sw = self.transmit(bytes([0x00, 0x70, 0x80, ch]))[1]
        self.held.discard(ch)
        if sw != 0x9000:
            raise OSError(errno.EIO, "MANAGE CHANNEL close %d: %04X" % (ch, sw))


class Session:
    """An SCP03 session with the ISD on one channel of an SE."""

    def __init__(self, se, channel=0, keys=TEST_KEYS, kvn=0, level=0x33,
                 p2=0):
        self.se, self.channel = se, channel
        self.host = Host(*keys, kvn=kvn)
        if channel == 0:
            self.expect(se.transmit(h("00A4040008") + ISD_AID + b"\x00"),
                        0x9000, "SELECT ISD")
        data, sw = se.transmit(self.host.init_update(os.urandom(8)), channel)
        if sw != 0x9000:
            raise SCPError("INITIALIZE UPDATE: %04X" % sw)
        self.iu = data
        self.host.begin(data, ISD_AID)
        self.ea_sw = se.transmit(self.host.ext_auth(level, p2), channel)[1]
        if self.ea_sw != 0x9000 and p2 == 0:
            raise SCPError("EXTERNAL AUTHENTICATE: %04X" % self.ea_sw)

    @staticmethod
    def expect(r, sw, what):
        if r[1] != sw:
            raise SCPError("%s: %04X, want %04X" % (what, r[1], sw))
        return r[0]

    def send(self, apdu):
        data, sw = self.se.transmit(self.host.wrap(bytes(apdu)), self.channel)
        return self.host.unwrap(data, sw), sw

    def cmd(self, apdu, sw=0x9000, what=None):
        return self.expect(self.send(h(apdu) if isinstance(apdu, str) else apdu),
                           sw, what or (apdu if isinstance(apdu, str) else apdu.hex()))


def tlv_find(buf, tag):
    """A BER-TLV value at the top level of @buf (1- or 2-byte tags)."""
    i = 0
    while i < len(buf):
        t = buf[i]
        i += 1
        if t & 0x1f == 0x1f:
            t = (t << 8) | buf[i]
            i += 1
        n = buf[i]
        i += 1
        if n & 0x80:
            k = n & 0x7f
            n = int.from_bytes(buf[i:i + k], "big")
            i += k
        if t == tag:
            return buf[i:i + n]
        i += n
    return None


def lv(b):
    return bytes([len(b)]) + b


CHECKS = {}


def check(fn):
    CHECKS[fn.__name__] = fn
    return fn


def _status_session(se, channel, level):
    s = Session(se, channel, level=level)
    isd = s.cmd("80F28002024F0000", what="GET STATUS ISD")
    if tlv_find(tlv_find(isd, 0xE3), 0x4F) != ISD_AID:
        raise SCPError("GET STATUS ISD: %s" % isd.hex())
    s.cmd("80CA00E000", what="GET DATA key information")
    s.cmd("80F24002024F0000", what="GET STATUS applications")
    return s


@check
def basic_channel(se):
    """Levels 01, 03, 11, 13, 33 on the basic channel."""
    for level in (0x01, 0x03, 0x11, 0x13, 0x33):
        _status_session(se, 0, level)


@check
def logical_channel(se):
    """A session on a logical channel 1-3, class byte 84 in the MAC."""
    ch = se.open_channel(ISD_AID)
    try:
        for level in (0x01, 0x33):
            _status_session(se, ch, level)
    finally:
        se.close_channel(ch)


@check
def further_channel(se):
    """A session on a logical channel 4-19 (further interindustry
    class byte on the wire, channel zero in the MAC)."""
    chans = []
    try:
        while not chans or chans[-1] < 4:
            chans.append(se.open_channel(ISD_AID))
        _status_session(se, chans[-1], 0x33)
    finally:
        for ch in chans:
            se.close_channel(ch)


def _fresh_keyset(s, kvn, klen, replace=0):
    """PUT KEY of a new key set @kvn of @klen-byte keys: table 7-10."""
    keys = [bytes((kvn + i + j) & 0xff for j in range(klen)) for i in range(3)]
    data = bytes([kvn])
    for k in keys:
        blk = s.host.encrypt_key(k)
        if len(k) % 16 == 0:
            blk = bytes([len(k)]) + blk
        data += b"\x88" + lv(blk) + b"\x03" + kcv(k)
    return keys, bytes([0x80, 0xD8, replace, 0x81, len(data)]) + data + b"\x00"


@check
def isd_fci_9f65(se):
    """GPCS table 11-82: the ISD's FCI carries 9F65 in A5."""
    data = Session.expect(se.transmit(h("00A4040008") + ISD_AID + b"\x00"),
                          0x9000, "SELECT ISD")
    a5 = tlv_find(tlv_find(data, 0x6F) or b"", 0xA5) or b""
    m = tlv_find(a5, 0x9F65)
    if not m or int.from_bytes(m, "big") < 255:
        raise SCPError("no 9F65 of at least 255 in the FCI: %s" % data.hex())


@check
def get_data_c1(se):
    """GET DATA C1, the sequence counter, and the next INITIALIZE UPDATE's
    challenge predicted from it (pseudo-random mode)."""
    Session.expect(se.transmit(h("00A4040008") + ISD_AID + b"\x00"), 0x9000,
                   "SELECT ISD")
    data = Session.expect(se.transmit(h("80CA00C100")), 0x9000, "GET DATA C1")
    c1 = tlv_find(data, 0xC1)
    if c1 is None or len(c1) != 3:
        raise SCPError("GET DATA C1: %s" % data.hex())
    s = Session(se, 0, level=0x01)
    if int.from_bytes(s.host.seq, "big") != int.from_bytes(c1, "big") + 1:
        raise SCPError("counter %s after C1 %s" % (s.host.seq.hex(), c1.hex()))
    want = kdf(TEST_KEYS[0], CARD_CHALLENGE, s.host.seq + ISD_AID, 64)
    if want != s.host.card_chal:
        raise SCPError("card challenge not the predicted one")


@check
def ext_auth_p2(se):
    """EXTERNAL AUTHENTICATE with P2 other than 00 is refused (6A86)."""
    s = Session(se, 0, level=0x01, p2=0x01)
    if s.ea_sw != 0x6A86:
        raise SCPError("P2 01 answered %04X, want 6A86" % s.ea_sw)


@check
def put_key_wrong_kcv(se):
    """PUT KEY with a wrong key check value: 6982 (GPCS 11.8.2.3)."""
    s = Session(se, 0, level=0x03)
    keys, apdu = _fresh_keyset(s, 0x35, 16)
    apdu = bytearray(apdu)
    apdu[5 + 1 + 2 + 1 + 16 + 1] ^= 0x01     # first key's KCV
    s.cmd(bytes(apdu), 0x6982, "PUT KEY with a wrong KCV")


@check
def seq_per_keyset(se):
    """One sequence counter per key set, zero for a new key set."""
    s = Session(se, 0, level=0x03)
    before = int.from_bytes(s.host.seq, "big")
    keys, apdu = _fresh_keyset(s, 0x36, 16)
    s.cmd(apdu, what="PUT KEY 36")
    n = Session(se, 0, keys=keys, kvn=0x36, level=0x01)
    if n.host.seq != b"\x00\x00\x01":
        raise SCPError("new key set's first counter %s, want 000001" %
                       n.host.seq.hex())
    again = Session(se, 0, level=0x01)
    if int.from_bytes(again.host.seq, "big") != before + 1:
        raise SCPError("default key set's counter moved with another's")
    # replacing the key set starts it again from zero
    keys2 = [bytes(b ^ 0x5A for b in k) for k in keys]
    data = bytes([0x36])
    for k in keys2:
        data += b"\x88" + lv(bytes([16]) + again.host.encrypt_key(k)) + \
            b"\x03" + kcv(k)
    again.cmd(bytes([0x80, 0xD8, 0x36, 0x81, len(data)]) + data + b"\x00",
              what="PUT KEY replacing 36")
    r = Session(se, 0, keys=keys2, kvn=0x36, level=0x01)
    if r.host.seq != b"\x00\x00\x01":
        raise SCPError("replaced key set's counter %s" % r.host.seq.hex())


@check
def put_key_aes192(se):
    """PUT KEY of an AES-192 key set (table 7-10: length byte, key padded
    to whole blocks), then a session with it."""
    s = Session(se, 0, level=0x03)
    keys, apdu = _fresh_keyset(s, 0x37, 24)
    s.cmd(apdu, what="PUT KEY AES-192")
    Session(se, 0, keys=keys, kvn=0x37, level=0x33)


def _install_purse(s, elf, mod, app, code=0):
    lfd = b"\x4F" + lv(elf) + h("DF010101") + b"\xDF\x02" + \
        lv(b"secel.purse") + h("CE020100") + b"\x84" + lv(mod)
    if code:
        lfd += h("DF0382") + code.to_bytes(2, "big") + bytes(code)
    blob = b"\xC4" + (bytes([0x82]) + len(lfd).to_bytes(2, "big") if len(lfd) > 127
                       else bytes([len(lfd)])) + lfd
    s.cmd(h("80E60200") + lv(lv(elf) + b"\x00\x00\x00\x00") + b"\x00",
          what="INSTALL for load")
    size = 200
    blocks = [blob[i:i + size] for i in range(0, len(blob), size)]
    answers = []
    for i, b in enumerate(blocks):
        last = i == len(blocks) - 1
        answers.append(s.cmd(bytes([0x80, 0xE8, 0x80 if last else 0, i]) +
                             lv(b) + b"\x00", what="LOAD %d" % i))
    params = b"\xC9" + lv(h("DF1010") + bytes(16) + h("DF110400001388"))
    s.cmd(h("80E60C00") + lv(lv(elf) + lv(mod) + lv(app) + h("0100") +
                             lv(params) + b"\x00") + b"\x00",
          what="INSTALL for install")
    return answers


@check
def load_block_answers(se):
    """Every LOAD block is answered 00 (GPCS 11.6.3.1), not only the last."""
    s = Session(se, 0, level=0x03)
    answers = _install_purse(s, h("A0000005534543F1"), h("A0000005534543F101"),
                             h("A0000005534543F101"), code=600)
    if len(answers) < 3 or any(a != b"\x00" for a in answers):
        raise SCPError("LOAD answers %s" % [a.hex() for a in answers])


@check
def set_status_app(se):
    """SET STATUS takes the plain AID; locking a locked application (or
    unlocking an unlocked one) is refused, 6985."""
    app = h("A0000005534543F201")
    s = Session(se, 0, level=0x03)
    _install_purse(s, h("A0000005534543F2"), app, app)
    s.cmd(h("80F04080") + lv(app), what="SET STATUS lock, plain AID")
    st = s.cmd(h("80F24002") + lv(b"\x4F" + lv(app)) + b"\x00")
    lc = tlv_find(tlv_find(st, 0xE3), 0x9F70)
    if not lc or not lc[0] & 0x80:
        raise SCPError("not locked: %s" % st.hex())
    s.cmd(h("80F04080") + lv(app), 0x6985, "SET STATUS lock of a locked app")
    s.cmd(h("80F04000") + lv(app), what="SET STATUS unlock")
    s.cmd(h("80F04000") + lv(app), 0x6985, "SET STATUS unlock of an unlocked app")


@check
def card_lock(se):
    """Card lock 80F0807F and back (80F0800F): locked, applications
    cannot be selected; a transition to the current state is refused."""
    s = Session(se, 0, level=0x03)
    s.cmd("80F0807F", what="SET STATUS card lock")
    try:
        s.cmd("80F0807F", 0x6985, "card lock of a locked card")
        r = se.transmit(h("00A4040007F0534543454C0100"))
        if r[1] != 0x6A82:
            raise SCPError("an application selected on a locked card: %04X" % r[1])
        s = Session(se, 0, level=0x03)
        isd = s.cmd("80F28002024F0000")
        if tlv_find(tlv_find(isd, 0xE3), 0x9F70) != b"\x7F":
            raise SCPError("ISD not CARD_LOCKED: %s" % isd.hex())
    finally:
        s = Session(se, 0, level=0x03)
        s.cmd("80F0800F", what="SET STATUS card unlock")
    Session.expect(se.transmit(h("00A4040007F0534543454C0100")), 0x9000,
                   "SELECT after unlock")


def main(argv):
    if len(argv) >= 2 and argv[1] == "vectors":
        return run_vectors()
    if len(argv) >= 4 and argv[1] in ("card", "pcsc") and argv[3] != "list":
        try:
            se = SE(argv[2]) if argv[1] == "card" else PCSC(argv[2])
        except OSError as e:
            print("%s: %s: %s" % (os.path.basename(argv[0]), argv[2], e),
                  file=sys.stderr)
            return 1
        for name in argv[3:]:
            try:
                CHECKS[name](se)
            except (SCPError, OSError, AssertionError) as e:
                print("%s: %s: %s" % (os.path.basename(argv[0]), name, e),
                      file=sys.stderr)
                return 1
        return 0
    if len(argv) == 4 and argv[1] == "kdf3":
        # kdf3 MASTER KDD: the three diversified keys, ENC:MAC:DEK
        m, kdd = h(argv[2]), h(argv[3])
        print(":".join(kdf3(m, kdd, p).hex().upper() for p in (1, 2, 3)))
        return 0
    if len(argv) == 4 and argv[3] == "list":
        print("\n".join(sorted(CHECKS)))
        return 0
    print("usage: %s vectors | card /dev/secelN CHECK... | "
          "pcsc READER CHECK..." % argv[0],
          file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
