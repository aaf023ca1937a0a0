#!/usr/bin/python3
"""End-to-end tests of DNS Cookies (RFC 7873, RFC 9018 server cookies)
against the real server with dnspython, dig and kdig: a fresh server
cookie for a client cookie (checked against a SipHash-2-4 written here),
a valid cookie accepted and echoed, FORMERR for a malformed length,
BADCOOKIE where cookies are required, a secret rotation (a cookie made
under the previous secret still verifies), and a fleet of ringdns and
knotd (its cookies module) sharing one secret, each accepting the
other's cookies."""
import os
import struct
import subprocess
import time

import dns.edns
import dns.message
import dns.query
import dns.rcode

from e2elib import SRCDIR, Knotd, Server, knot_conf_head, run, wait_for

EX = os.path.join(SRCDIR, "zones/examples")
EXAMPLES = {"example.com.": os.path.join(EX, "example.com.zone")}
S1 = "e5e973e5a6b2a43f48e7dc849e37bfcf"
S2 = "00112233445566778899aabbccddeeff"
CC = bytes.fromhex("2464c4abcf10c957")
M64 = (1 << 64) - 1


def _rotl(x, b):
    return ((x << b) | (x >> (64 - b))) & M64


def siphash24(key, msg):
    """SipHash-2-4 (Aumasson, Bernstein 2012), 8 bytes out."""
    k0, k1 = struct.unpack("<QQ", key)
    v = [k0 ^ 0x736f6d6570736575, k1 ^ 0x646f72616e646f6d,
         k0 ^ 0x6c7967656e657261, k1 ^ 0x7465646279746573]

    def rnd():
        v[0] = (v[0] + v[1]) & M64; v[1] = _rotl(v[1], 13) ^ v[0]; v[0] = _rotl(v[0], 32)
        v[2] = (v[2] + v[3]) & M64; v[3] = _rotl(v[3], 16) ^ v[2]
        v[0] = (v[0] + v[3]) & M64; v[3] = _rotl(v[3], 21) ^ v[0]
        v[2] = (v[2] + v[1]) & M64; v[1] = _rotl(v[1], 17) ^ v[2]; v[2] = _rotl(v[2], 32)

    tail = len(msg) % 8
    blocks = [struct.unpack("<Q", msg[i:i + 8])[0] for i in range(0, len(msg) - tail, 8)]
    blocks.append(int.from_bytes(msg[len(msg) - tail:] + bytes(7 - tail) + bytes([len(msg) & 255]),
                                 "little"))
    for m in blocks:
        v[3] ^= m
        rnd()
        rnd()
        v[0] ^= m
    v[2] ^= 0xff
    for _ in range(4):
        rnd()
    return struct.pack("<Q", v[0] ^ v[1] ^ v[2] ^ v[3])


def server_cookie(secret, cc, ts, ip):
    """RFC 9018 §4: version 1, reserved, timestamp, hash."""
    head = bytes([1, 0, 0, 0]) + struct.pack(">I", ts)
    return head + siphash24(bytes.fromhex(secret), cc + head + ip)


def query(s, opt_data, tcp=False, v6=False):
    """A query with a COOKIE option of exactly these bytes; the response
    and its COOKIE option's bytes (None when absent)."""
    q = dns.message.make_query("www.example.com.", "A", use_edns=0,
                               options=[dns.edns.GenericOption(10, opt_data)])
    host = "::1" if v6 else "127.0.0.1"
    if tcp:
        r = dns.query.tcp(q, host, port=s.port, timeout=3)
    else:
        r = dns.query.udp(q, host, port=s.port, timeout=3)
    got = [o for o in r.options if o.otype == 10]
    return r, (got[0].to_wire() if got else None)


def check_fresh(secret, cc, cookie, ip):
    """cookie is the client cookie and a server cookie made now under secret."""
    assert cookie is not None and len(cookie) == 24, cookie
    assert cookie[:8] == cc
    ts = struct.unpack(">I", cookie[12:16])[0]
    assert abs(ts - time.time()) < 5, ts
    assert cookie[8:] == server_cookie(secret, cc, ts, ip), cookie.hex()


def test_fresh_and_valid_cookie():
    with Server(EXAMPLES, extra=["--cookie-secret", S1]) as s:
        s.start()
        for v6, ip in ((False, bytes([127, 0, 0, 1])), (True, bytes(15) + b"\1")):
            # a client cookie alone: answered, with a fresh server cookie
            r, ck = query(s, CC, v6=v6)
            assert r.rcode() == dns.rcode.NOERROR and r.answer, r
            check_fresh(S1, CC, ck, ip)
            # the cookie sent back is valid: echoed (younger than 30 min)
            r, ck2 = query(s, ck, v6=v6)
            assert r.rcode() == dns.rcode.NOERROR and r.answer
            assert ck2 == ck
            # over TCP too
            r, ck3 = query(s, ck, tcp=True, v6=v6)
            assert r.rcode() == dns.rcode.NOERROR and ck3 == ck
        # an invalid server cookie, not required: answered, a fresh one
        bad = bytearray(ck)
        bad[-1] ^= 1
        r, ck4 = query(s, bytes(bad))
        assert r.rcode() == dns.rcode.NOERROR and r.answer
        check_fresh(S1, CC, ck4, bytes([127, 0, 0, 1]))
        # no COOKIE option: none in the response
        r = s.query("www.example.com.", "A", use_edns=0)
        assert not [o for o in r.options if o.otype == 10]
        assert s.stop() == 0


def test_malformed_length_formerr():
    # RFC 7873 §5.2.2: a client cookie of another size than 8, or a
    # server cookie of fewer than 8 or more than 32 bytes
    with Server(EXAMPLES) as s:
        s.start()
        for n in (0, 1, 7, 9, 12, 15, 41, 64):
            r, ck = query(s, bytes(range(n)))
            assert r.rcode() == dns.rcode.FORMERR, (n, r)
            assert ck is None
        for n in (8, 16, 24, 40):
            r, _ = query(s, bytes(range(n)))
            assert r.rcode() == dns.rcode.NOERROR, (n, r)
        assert s.stop() == 0


def test_dig_and_kdig_cookie():
    with Server(EXAMPLES) as s:
        s.start()
        out = s.dig("+cookie", "www.example.com", "A")
        assert "status: NOERROR" in out and "COOKIE:" in out and "(good)" in out, out
        out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(s.port), "+cookie",
                              "www.example.com", "A"], capture_output=True, text=True,
                             timeout=30).stdout
        # kdig prints the client and server cookie the server sent back
        line = [x for x in out.splitlines() if x.startswith(";; COOKIE:")]
        assert "NOERROR" in out and len(line) == 1, out
        assert len(line[0].split()[2]) == 48 and line[0].split()[2][16:18] == "01", out
        assert s.stop() == 0


def test_rotation_and_required():
    ip = bytes([127, 0, 0, 1])
    with Server(EXAMPLES, extra=["--cookie-secret", S1]) as s:
        s.start()
        _, old = query(s, CC)
        check_fresh(S1, CC, old, ip)
        assert s.stop() == 0
    # the fleet moved to S2, S1 kept as the previous secret: the old
    # cookie still verifies, responses carry S2's
    with Server(EXAMPLES, extra=["--cookie-secret", S2, "--cookie-secret-previous", S1,
                                 "--cookie-require"]) as s:
        s.start()
        r, ck = query(s, old)
        assert r.rcode() == dns.rcode.NOERROR and r.answer, r
        check_fresh(S2, CC, ck, ip)
        r, ck2 = query(s, ck)
        assert r.rcode() == dns.rcode.NOERROR and ck2 == ck
        # required: a client cookie alone over UDP gets BADCOOKIE and a
        # cookie to retry with (RFC 7873 §5.2.3); over TCP an answer
        r, ck3 = query(s, CC)
        assert r.rcode() == dns.rcode.BADCOOKIE and not r.answer, r
        check_fresh(S2, CC, ck3, ip)
        r, _ = query(s, ck3)
        assert r.rcode() == dns.rcode.NOERROR and r.answer
        r, _ = query(s, CC, tcp=True)
        assert r.rcode() == dns.rcode.NOERROR and r.answer
        # a query without any COOKIE option is answered
        assert s.query("www.example.com.", "A").rcode() == dns.rcode.NOERROR
        assert s.stop() == 0
    # S1 dropped: the old cookie is invalid
    with Server(EXAMPLES, extra=["--cookie-secret", S2, "--cookie-require"]) as s:
        s.start()
        r, ck = query(s, old)
        assert r.rcode() == dns.rcode.BADCOOKIE, r
        check_fresh(S2, CC, ck, ip)
        assert s.stop() == 0


def knot_cookie_conf(d, port):
    """knotd serving example.com. with its cookies module under S1."""
    return knot_conf_head(d, port) + f"""mod-cookies:
  - id: fleet
    secret: 0x{S1}
template:
  - id: default
    storage: {d}
    global-module: mod-cookies/fleet
zone:
  - domain: example.com.
    file: {os.path.abspath(EXAMPLES["example.com."])}
    zonefile-sync: -1
    journal-content: none
"""


def test_fleet_with_knotd():
    """RFC 9018 §1: servers of different implementations behind one
    anycast address verify each other's cookies."""
    ip = bytes([127, 0, 0, 1])
    k = Knotd(knot_cookie_conf)
    try:
        assert wait_for(lambda: k.serial("example.com.") is not None, 10), k.logtext()
        with Server(EXAMPLES, extra=["--cookie-secret", S1, "--cookie-require"]) as s:
            s.start()
            # knotd's cookie (it requires cookies over UDP: BADCOOKIE and one)
            r, kc = query(k, CC)
            assert r.rcode() == dns.rcode.BADCOOKIE, r
            check_fresh(S1, CC, kc, ip)
            r, ck = query(s, kc)
            assert r.rcode() == dns.rcode.NOERROR and r.answer, r
            assert ck == kc, "valid and young: echoed"
            # ringdns's cookie, to knotd
            _, rc = query(s, CC)
            r, back = query(k, rc)
            assert r.rcode() == dns.rcode.NOERROR and r.answer, r
            assert back[:8] == CC and len(back) == 24
            assert s.stop() == 0
    finally:
        k.close()


if __name__ == "__main__":
    run([test_fresh_and_valid_cookie, test_malformed_length_formerr, test_dig_and_kdig_cookie,
         test_rotation_and_required, test_fleet_with_knotd])
