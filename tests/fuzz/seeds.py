#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets tsig, config and ctlproto
(tests/fuzz/corpus/NAME/), each input in its target's layout (see the
target's header comment).  Run from the source root after changing a
layout:  /usr/bin/python3 tests/fuzz/seeds.py   (needs dnspython)."""
import base64
import os
import re
import struct
import time

import dns.message
import dns.name
import dns.rrset
import dns.tsig
import dns.tsigkeyring

OUT = "tests/fuzz/corpus"


def put(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(OUT, target, name), "wb") as f:
        f.write(data)


# ---- tsig: [key][mode][skew hi][skew lo] + mode's bytes -------------------
# The keys of fuzz_tsig.c, in its order.
KEYS = [("k1.example.", dns.tsig.HMAC_SHA1, "c2VjcmV0LW9uZQ=="),
        ("k224.", dns.tsig.HMAC_SHA224, "MjI0LWJpdHMtb2Ytc2VjcmV0LW1hdGVyaWFs"),
        ("xfr.k256.example.", dns.tsig.HMAC_SHA256,
         "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="),
        ("k384.", dns.tsig.HMAC_SHA384, "a2V5LTM4NA=="),
        ("shared.", dns.tsig.HMAC_SHA256, "c2hhcmVkLWE=")]
NOW = 1700000000
SKEW0 = struct.pack(">H", 600)          # skew 0 (600 - 600)


def tsig_seeds():
    for i, (name, alg, secret) in enumerate(KEYS):
        ring = {dns.name.from_text(name): base64.b64decode(secret)}
        q = dns.message.make_query("example.", "AXFR")
        q.id = 0x1234
        q.use_tsig(ring, keyname=name, algorithm=alg)
        time.time = lambda: float(NOW)     # dnspython signs at time.time()
        wire = q.to_wire()
        put("tsig", "query-signed-%d" % i, bytes([i, 0]) + SKEW0 + wire)
    plain = dns.message.make_query("www.example.com.", "A").to_wire()
    put("tsig", "query-plain", bytes([2, 1]) + SKEW0 + plain)
    put("tsig", "query-plain-late", bytes([4, 1]) + struct.pack(">H", 1200) + plain)
    ixfr = dns.message.make_query("example.", "IXFR")
    ixfr.authority.append(dns.rrset.from_text(
        "example.", 0, "IN", "SOA", "ns. h. 5 1 1 1 1"))
    put("tsig", "query-ixfr", bytes([3, 1]) + SKEW0 + ixfr.to_wire())
    # a response stream: three messages, the server signing each, the
    # second garbled at byte 20
    r = dns.message.make_response(dns.message.make_query("example.", "AXFR"))
    r.answer.append(dns.rrset.from_text("example.", 300, "IN", "SOA",
                                        "ns.example. h.example. 1 2 3 4 5"))
    body = r.to_wire()
    r2 = dns.message.make_response(dns.message.make_query("example.", "AXFR"))
    r2.question = []
    r2.answer.append(dns.rrset.from_text("www.example.", 300, "IN", "A", "198.18.0.1"))
    body2 = r2.to_wire()
    def msg(flags, pos, x, m):
        return bytes([flags]) + struct.pack(">HBH", pos, x, len(m)) + m
    put("tsig", "stream-signed", bytes([2, 2]) + SKEW0 +
        msg(1, 0, 0, body) + msg(1, 0, 0, body2) + msg(1, 0, 0, body))
    put("tsig", "stream-unsigned-between", bytes([1, 2]) + SKEW0 +
        msg(1, 0, 0, body) + msg(0, 0, 0, body2) + msg(1, 0, 0, body))
    put("tsig", "stream-garbled", bytes([0, 2]) + SKEW0 +
        msg(1, 0, 0, body) + msg(3, 20, 0x40, body2))
    put("tsig", "stream-late", bytes([5, 2]) + struct.pack(">H", 1150) + msg(1, 0, 0, body))


# ---- config: [even: YAML | odd: flags split at NUL] -----------------------
def config_seeds():
    text = open("doc/config.md").read()
    for i, b in enumerate(re.findall(r"```yaml\n(.*?)```", text, re.S)):
        put("config", "doc-%d.yaml" % i, b"\0" + b.encode())
    put("config", "example.yaml", b"\0" + open("zones/examples/ringdns.yaml", "rb").read())
    put("config", "anchors.yaml", b"\0" + b"x: &a {name: a., file: a.zone}\n"
        b"zones: [*a, {name: b, file: b.zone, key: k.}]\n"
        b"keys: [{name: k., algorithm: hmac-sha1, secret: c2VjcmV0}]\n")
    put("config", "rate-limit.yaml", b"\0" + b"rate-limit:\n  responses-per-second: 5\n"
        b"  slip: 2\n  log-only: true\n  exempt: [10.0.0.0/8]\n")
    flags = [
        ["--listen", "127.0.0.1:5300", "--listen", "[::1]:5300", "--workers", "2",
         "--zone", "example.com=/tmp/example.com.zone"],
        ["--zone=example.net=n.zone", "--key", "hmac-sha256:xfr.:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
         "--primary", "example.net=198.18.0.1@5300", "--zone-key", "example.net=xfr."],
        ["--io", "dpdk", "--address", "198.18.0.53", "--", "-l", "0-1", "--vdev", "net_tap0"],
        ["--hide-version", "--nsid", "ns1", "--cookie-secret", "00112233445566778899aabbccddeeff",
         "--rate-limit", "10", "--rate-limit-slip", "2", "--allow-transfer", "10.0.0.0/8",
         "--dp-fd", "3"],
        ["--xot-listen", "127.0.0.1:853", "--tls-cert", "c.pem", "--tls-key", "k.pem",
         "--metrics-listen", "127.0.0.1:9100", "--log-level", "debug", "--syslog"],
    ]
    for i, f in enumerate(flags):
        put("config", "flags-%d" % i, b"\1" + "\0".join(f).encode())


# ---- ctlproto: [0 request | 1 answer | 2 client argv | 3 message] ----------
def ctlproto_seeds():
    for i, line in enumerate(["RINGCTL/1 status\n", "RINGCTL/1 zones\n",
                              "RINGCTL/1 journal example.com\n",
                              "RINGCTL/1 refresh broken.example.\n",
                              "RINGCTL/1 reload nope.example\n",
                              "RINGCTL/1 stats --text\n", "RINGCTL/1  status\n",
                              "RINGCTL/2 status\n", "RINGCTL/1 a b c d e f g h i j k l m n o p q\n"]):
        put("ctlproto", "request-%d" % i, b"\0" + line.encode())
    for i, a in enumerate(["RINGCTL/1 OK\nserial 5\n", "RINGCTL/1 ERR zone x not found\n",
                           "RINGCTL/1 ERR bad\nline 1\nline 2", "garbage", "RINGCTL/1 OK"]):
        put("ctlproto", "answer-%d" % i, b"\1" + a.encode())
    for i, a in enumerate([["reload", "example.com"], ["stats", "--json"],
                           ["journal", "a b"], ["status"]]):
        put("ctlproto", "client-%d" % i, b"\2" + "\0".join(a).encode())
    put("ctlproto", "message", b"\3" + "zone \x01\t\xc3\xa9".encode("latin-1"))


# ---- xfr: [0 AXFR | 1 AXFR, serial 100 served | 2 IXFR from 100] + stream --
def xfr_msgs(records, per=3, question=("example.com.", "AXFR")):
    """The records as response messages to ID 0x4242, per records each,
    the question in the first; each after its 2-byte length."""
    out = b""
    for i in range(0, len(records), per):
        q = dns.message.make_query(*question)
        q.id = 0x4242
        r = dns.message.make_response(q)
        if i:
            r.question = []
        for rr in records[i:i + per]:
            r.answer.append(dns.rrset.from_text(*rr))
        w = r.to_wire()
        out += struct.pack(">H", len(w)) + w
    return out


def soa(serial, owner="example.com."):
    return (owner, 300, "IN", "SOA", "ns1.example.com. hostmaster.example.com. %d 3600 600 86400 300" % serial)


def xfr_seeds():
    zone = [soa(101), ("example.com.", 300, "IN", "NS", "ns1.example.com."),
            ("ns1.example.com.", 300, "IN", "A", "198.18.0.53"),
            ("www.example.com.", 300, "IN", "A", "198.18.0.1"),
            ("www.example.com.", 300, "IN", "AAAA", "2001:db8::1"),
            ("example.com.", 300, "IN", "MX", "10 mail.example.com."),
            ("txt.example.com.", 300, "IN", "TXT", '"a" "b c"'),
            ("_sip._tcp.example.com.", 300, "IN", "SRV", "1 2 5060 sip.example.com."),
            ("sub.example.com.", 300, "IN", "NS", "ns.sub.example.com."),
            ("ns.sub.example.com.", 300, "IN", "A", "198.18.0.99"),
            ("c.example.com.", 300, "IN", "CAA", '0 issue "ca.example"'),
            soa(101)]
    put("xfr", "axfr", b"\0" + xfr_msgs(zone))
    put("xfr", "axfr-one-message", b"\0" + xfr_msgs(zone, per=100))
    put("xfr", "axfr-uptodate", b"\1" + xfr_msgs([soa(100)] + zone[1:-1] + [soa(100)]))
    put("xfr", "axfr-newer", b"\1" + xfr_msgs(zone))
    steps = [soa(102), soa(100), ("www.example.com.", 300, "IN", "A", "198.18.0.1"),
             soa(101), ("www.example.com.", 300, "IN", "A", "198.18.0.7"),
             soa(101), ("mail.example.com.", 300, "IN", "A", "198.18.0.25"),
             soa(102), ("new.example.com.", 300, "IN", "TXT", '"new"'), soa(102)]
    ixq = ("example.com.", "IXFR")
    put("xfr", "ixfr-steps", b"\2" + xfr_msgs(steps, question=ixq))
    put("xfr", "ixfr-steps-bad-delete", b"\2" + xfr_msgs(
        [soa(101), soa(100), ("nope.example.com.", 300, "IN", "A", "198.18.0.9"),
         soa(101), soa(101)], question=ixq))
    put("xfr", "ixfr-soa-only", b"\2" + xfr_msgs([soa(103)], question=ixq))
    put("xfr", "ixfr-axfr-form", b"\2" + xfr_msgs(zone, question=ixq))
    put("xfr", "axfr-out-of-zone", b"\0" + xfr_msgs(
        [soa(5), ("example.net.", 300, "IN", "A", "198.18.0.1"), soa(5)]))


if __name__ == "__main__":
    xfr_seeds()
    tsig_seeds()
    config_seeds()
    ctlproto_seeds()
