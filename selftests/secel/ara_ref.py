#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""
A second, independent encoder of GlobalPlatform SEAC v1.1 access rules
(the ARA-M's response-ALL-AR-DO), for tests only.  It is written from the
data objects the specification defines, not from secelctl's C:

  FF40  response-ALL-AR-DO      a series of REF-AR-DOs
  E2    REF-AR-DO               a REF-DO and an AR-DO
  E1    REF-DO                  an AID-REF-DO and a DeviceAppID-REF-DO
  4F    AID-REF-DO              5 to 16 bytes: that SE application;
                                empty: every SE application
  C0    AID-REF-DO              empty: the implicitly selected application
  C1    DeviceAppID-REF-DO      20 (SHA-1) or 32 (SHA-256) bytes of the
                                application certificate hash; empty: every
                                device application
  E3    AR-DO                   APDU-AR-DO and/or NFC-AR-DO
  D0    APDU-AR-DO              one byte, 00 never / 01 always, or a
                                series of 4-byte header + 4-byte mask
  D1    NFC-AR-DO               one byte, 00 never / 01 always
  DF20  refresh tag             8 bytes (GET DATA [Refresh])

Lengths are BER: one byte below 128, else 81 xx or 82 xx xx.

  ara_ref.py check TEST-UTIL   encode a set of rule lists (some with long
                               length forms), feed each to 'TEST-UTIL
                               ara-parse' and compare its JSON with the
                               rules encoded; every truncation of each
                               encoding must be refused
  ara_ref.py compare RULES OUT  exit 0 when the "ara" member of the JSON
                               in file OUT (secelctl acl load-ara --json)
                               is what RULES encode
  ara_ref.py card FILE RULES [CHUNK [TAG]]
                               write a secel-vcard --ara-rules FILE from
                               RULES, a JSON list in the same form as the
                               JSON secelctl prints ("aid": hex, "all" or
                               "default"; "hash": hex or "all"; "apdu":
                               "never", "always" or ["HDR/MASK", ...])
"""
import json
import subprocess
import sys


def ber_len(n, long_form=False):
    if n < 0x80 and not long_form:
        return bytes([n])
    if n < 0x100:
        return bytes([0x81, n])
    return bytes([0x82, n >> 8, n & 0xff])


def tlv(tag, value, long_form=False):
    tag_bytes = tag.to_bytes(2 if tag > 0xff else 1, "big")
    return tag_bytes + ber_len(len(value), long_form) + value


def ref_do(rule, lf):
    aid = rule["aid"]
    if aid == "all":
        aid_do = tlv(0x4F, b"", lf)
    elif aid == "default":
        aid_do = tlv(0xC0, b"", lf)
    else:
        aid_do = tlv(0x4F, bytes.fromhex(aid), lf)
    h = rule["hash"]
    hash_do = tlv(0xC1, b"" if h == "all" else bytes.fromhex(h), lf)
    # the order inside REF-DO is not fixed by its tags: vary it
    body = hash_do + aid_do if rule.get("hash_first") else aid_do + hash_do
    return tlv(0xE1, body, lf)


def ar_do(rule, lf):
    body = b""
    apdu = rule["apdu"]
    if apdu == "never":
        body += tlv(0xD0, b"\x00", lf)
    elif apdu == "always":
        body += tlv(0xD0, b"\x01", lf)
    elif apdu != "absent":
        filters = b""
        for f in apdu:
            header, mask = f.split("/")
            filters += bytes.fromhex(header) + bytes.fromhex(mask)
        body += tlv(0xD0, filters, lf)
    if rule.get("nfc") is not None:
        body = tlv(0xD1, b"\x01" if rule["nfc"] == "always" else b"\x00",
                   lf) + body
    return tlv(0xE3, body, lf)


def encode(rules, long_form=False):
    """The whole GET DATA [All] answer, FF40 included."""
    body = b"".join(tlv(0xE2, ref_do(r, long_form) + ar_do(r, long_form),
                        long_form) for r in rules)
    return tlv(0xFF40, body, long_form)


def expected(rule):
    """What secelctl's parser must report for @rule."""
    return {"aid": rule["aid"].upper() if rule["aid"] not in
            ("all", "default") else rule["aid"],
            "hash": rule["hash"].upper() if rule["hash"] != "all" else "all",
            "apdu": [f.upper() for f in rule["apdu"]]
            if isinstance(rule["apdu"], list) else rule["apdu"],
            "nfc": rule.get("nfc"), "perm": False}


H1 = "11" * 20
H2 = "ab" * 32
CASES = [
    [],
    [{"aid": "F0534543454C01", "hash": H1, "apdu": "always"}],
    [{"aid": "F0534543454C01", "hash": H1, "apdu": "always"},
     {"aid": "F0534543454C01", "hash": "all", "apdu": "never",
      "hash_first": True},
     {"aid": "default", "hash": "all", "apdu": "always", "nfc": "never"},
     {"aid": "all", "hash": H2,
      "apdu": ["80CA0000/FFFF0000", "00B00000/FFFF0000"]},
     {"aid": "A0000001515350", "hash": "all", "apdu": "absent",
      "nfc": "always"}],
    # enough rules that FF40 needs a two-byte length
    [{"aid": "F0534543454C%02X" % i, "hash": H2 if i % 2 else H1,
      "apdu": ["80%02X0000/FFFF0000" % i]} for i in range(12)],
]


def run_parser(prog, inputs):
    """Each of @inputs through 'PROG ara-parse': a line of output each."""
    text = "".join(d.hex().upper() + "\n" for d in inputs)
    p = subprocess.run([prog, "ara-parse"], input=text, capture_output=True,
                       text=True, timeout=120)
    lines = p.stdout.splitlines()
    if p.returncode or len(lines) != len(inputs):
        sys.exit("ara_ref: %s ara-parse: exit %d, %d answers for %d: %s" %
                 (prog, p.returncode, len(lines), len(inputs), p.stderr))
    return lines


def check(prog):
    failures = 0
    good, bad = [], []
    for n, rules in enumerate(CASES):
        for long_form in (False, True):
            data = encode(rules, long_form)
            good.append((n, long_form, data, [expected(r) for r in rules]))
            # every truncation is refused, and so is a byte too many
            for cut in range(1, len(data)):
                bad.append((n, cut, data[:cut]))
            bad.append((n, len(data) + 1, data + b"\x00"))
    for (n, long_form, data, want), out in zip(
            good, run_parser(prog, [g[2] for g in good])):
        if out.startswith("error: ") or json.loads(out) != want:
            failures += 1
            print("not ok case %d%s: %s\n# got %s\n# want %s" %
                  (n, " (long lengths)" if long_form else "", data.hex(),
                   out, json.dumps(want)))
    for (n, cut, data), out in zip(bad, run_parser(prog,
                                                   [b[2] for b in bad])):
        if not out.startswith("error: "):
            failures += 1
            print("not ok case %d cut at %d: accepted (%s)" % (n, cut, out))
    print("ara_ref: %d encodings and %d bad ones through %s, %d failed" %
          (len(good), len(bad), prog, failures))
    return 1 if failures else 0


def card(path, rules_json, chunk=None, refresh=None):
    rules = json.loads(rules_json)
    data = encode(rules)
    # the REF-AR-DOs after FF40's header: the card adds the header itself
    body = data[3:] if data[2] < 0x80 else data[2 + 1 + (data[2] & 0x7f):]
    with open(path, "w") as f:
        f.write("# written by ara_ref.py\n")
        if refresh:
            f.write("refresh %s\n" % refresh)
        if chunk:
            f.write("chunk %d\n" % chunk)
        for i in range(0, len(body), 32):
            f.write(body[i:i + 32].hex().upper() + "\n")
    return 0


def compare(rules_json, out_path):
    want = [expected(r) for r in json.loads(rules_json)]
    with open(out_path) as f:
        got = json.load(f)["ara"]
    if got != want:
        print("ara_ref: secelctl read %s\nara_ref: encoded %s" %
              (json.dumps(got), json.dumps(want)), file=sys.stderr)
        return 1
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "check":
        return check(argv[2])
    if len(argv) == 4 and argv[1] == "compare":
        return compare(argv[2], argv[3])
    if len(argv) >= 4 and argv[1] == "card":
        chunk = int(argv[4]) if len(argv) > 4 else None
        refresh = argv[5] if len(argv) > 5 else None
        return card(argv[2], argv[3], chunk, refresh)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
