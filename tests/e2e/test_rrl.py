#!/usr/bin/python3
"""End-to-end test of response rate limiting (rate-limit:) on the real
server over loopback: a flood from many source addresses of one /24
(127.0.0.2 ... 127.0.0.60, spread over both workers) is held to the
configured rate while a client of another prefix (127.0.1.1) gets every
answer; slip sends the expected share truncated; log-only changes nothing
but counts and logs."""
import contextlib
import os
import re
import select
import shutil
import socket
import tempfile
import time

import dns.edns
import dns.flags
import dns.message
import dns.rcode

from e2elib import SRCDIR, Server, run, wait_for

EX = os.path.join(SRCDIR, "zones/examples")
EXAMPLES = {"example.com.": os.path.join(EX, "example.com.zone")}
FLOOD_SRCS = [f"127.0.0.{i}" for i in range(2, 61)]   # all in 127.0.0.0/24
OTHER_SRC = "127.0.1.1"                               # another /24


@contextlib.contextmanager
def start(rrl_yaml):
    """A started server with this rate-limit section; its directory is
    removed afterwards."""
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-")
    try:
        cfg = os.path.join(tmp, "rrl.yaml")
        with open(cfg, "w") as f:
            f.write("rate-limit:\n" + rrl_yaml)
        # the start-up probe (SOA from 127.0.0.1) spends a bucket of its
        # own: another name and type than the flood's
        with Server(EXAMPLES, tmp=tmp, config=cfg) as s:
            s.start()
            yield s
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def sockets(srcs):
    out = []
    for a in srcs:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((a, 0))
        s.setblocking(False)
        out.append(s)
    return out


class Tally:
    def __init__(self):
        self.full = 0        # answers with records
        self.truncated = 0   # TC=1 without records
        self.ede = 0         # of those, with EDE Other "rate limited" (EDNS queries)
        self.nx = 0          # NXDOMAIN answers
        self.other = 0

    def add(self, wire):
        m = dns.message.from_wire(wire)
        if m.flags & dns.flags.TC:
            assert not m.answer and not m.authority, m
            assert m.question and str(m.question[0].name).endswith("example.com."), m
            self.truncated += 1
            self.ede += any(isinstance(o, dns.edns.EDEOption) and o.code == 0
                            and o.text == "rate limited" for o in m.options)
        elif m.rcode() == dns.rcode.NOERROR and m.answer:
            self.full += 1
        elif m.rcode() == dns.rcode.NXDOMAIN:
            self.nx += 1
        else:
            self.other += 1


def drain(socks, tallies, timeout):
    r, _, _ = select.select(socks, [], [], timeout)
    for s in r:
        while True:
            try:
                wire = s.recv(4096)
            except BlockingIOError:
                break
            tallies[s].add(wire)


def flood(port, count, seconds, other_every=0, edns=False, qname="www.example.com."):
    """Sends count queries for www.example.com/A spread evenly over
    seconds from the flood sources (round robin), and with other_every
    one from OTHER_SRC every other_every of them; collects answers until
    1 s after the last.  Returns (flood tally, other tally, others sent,
    the seconds the sending took: more than asked on a loaded machine)."""
    fsocks, (osock,) = sockets(FLOOD_SRCS), sockets([OTHER_SRC])
    ft, ot = Tally(), Tally()
    tallies = {s: ft for s in fsocks}
    tallies[osock] = ot
    allsocks = fsocks + [osock]
    wire = dns.message.make_query(qname, "A", use_edns=0 if edns else None).to_wire()
    sent_other = 0
    try:
        t0 = time.monotonic()
        for i in range(count):
            fsocks[i % len(fsocks)].sendto(wire, ("127.0.0.1", port))
            if other_every and i % other_every == 0:
                osock.sendto(wire, ("127.0.0.1", port))
                sent_other += 1
            wait = t0 + (i + 1) * seconds / count - time.monotonic()
            drain(allsocks, tallies, max(wait, 0))
        took = time.monotonic() - t0
        end = time.monotonic() + 1.0
        while time.monotonic() < end:
            drain(allsocks, tallies, 0.1)
    finally:
        for s in allsocks:
            s.close()
    return ft, ot, sent_other, took


def most(rate, took):
    """The answers a bucket can give in took seconds: a second's burst,
    the refill, and half a second for the clock's granularity and the
    replies still in flight."""
    return rate * (1 + took + 0.5)


def rrl_counters(s):
    rc, out, err = s.ctl("stats")
    assert rc == 0, (out, err)
    m = re.search(r"rate limited: (\d+) slipped, (\d+) dropped, (\d+) would be", out)
    assert m, out
    return tuple(int(x) for x in m.groups())


def test_flood_held_to_rate_other_prefix_answered():
    rate, secs, sent = 20, 3.0, 1500
    with start(f"  responses-per-second: {rate}\n  slip: 0\n") as s:
        ft, ot, sent_other, took = flood(s.port, sent, secs, other_every=50)
        print(f"  flood: {ft.full} of {sent} answered in {took:.1f} s; other prefix: "
              f"{ot.full} of {sent_other}")
        # one second's burst, then the rate for the flood's length
        assert rate * (1 + secs) * 0.8 <= ft.full <= most(rate, took), (ft.full, took)
        assert ft.truncated == 0 and ft.other == 0
        # the other prefix sent 30 in 3 s, within its own bucket: all answered
        assert ot.full == sent_other == sent // 50, (ot.full, sent_other)
        slipped, dropped, would = rrl_counters(s)
        assert slipped == 0 and would == 0
        assert dropped + ft.full == sent, (dropped, ft.full, sent)
        assert wait_for(lambda: "rate-limit: " in s.logtext(), timeout=5), s.logtext()
        assert "to 127.0.0.0/24 (answer)" in s.logtext(), s.logtext()


def test_slip_truncates_every_second():
    rate, sent = 10, 400
    with start(f"  responses-per-second: {rate}\n  slip: 2\n") as s:
        ft, _, _, took = flood(s.port, sent, 1.0)
        slipped, dropped, would = rrl_counters(s)
        print(f"  slip: {ft.full} answered, {ft.truncated} truncated received; counters "
              f"slipped {slipped}, dropped {dropped}")
        limited = sent - ft.full
        assert ft.full <= most(rate, took), (ft.full, took)
        assert slipped + dropped == limited, (slipped, dropped, limited)
        # every 2nd limited response per worker (2 workers): half, +-1 each
        assert abs(slipped - limited / 2) <= 2, (slipped, limited)
        assert ft.truncated == slipped, (ft.truncated, slipped)
        assert ft.ede == 0, "no OPT in the queries: none in the responses"
        # a truncated answer makes a real client retry over TCP, unlimited
        r = s.query("www.example.com.", "A", tcp=True)
        assert r.rcode() == dns.rcode.NOERROR and r.answer
        # with EDNS, a slipped response says why (RFC 8914 §4: Other)
        ft, _, _, _ = flood(s.port, 100, 0.3, edns=True)
        assert ft.truncated > 0 and ft.ede == ft.truncated, (ft.truncated, ft.ede)


def test_log_only_changes_nothing():
    rate, sent = 5, 200
    with start(f"  responses-per-second: {rate}\n  log-only: true\n") as s:
        ft, _, _, took = flood(s.port, sent, 1.0)
        assert ft.full == sent and ft.truncated == 0, (ft.full, ft.truncated)
        slipped, dropped, would = rrl_counters(s)
        assert slipped == 0 and dropped == 0
        print(f"  log-only: {ft.full} of {sent} answered, {would} would be limited")
        assert sent - most(rate, took) <= would <= sent - rate, (would, took)
        assert wait_for(lambda: "rate-limit (log-only): " in s.logtext(), timeout=5), \
            s.logtext()


def cookie_query(cookie):
    q = dns.message.make_query("www.example.com.", "A", use_edns=0,
                               options=[dns.edns.GenericOption(10, cookie)])
    return q.to_wire()


def full_answers(sock):
    """The answers with records (not truncated) waiting on sock."""
    got = 0
    while True:
        try:
            m = dns.message.from_wire(sock.recv(4096))
        except BlockingIOError:
            return got
        got += m.rcode() == dns.rcode.NOERROR and bool(m.answer) and \
            not (m.flags & dns.flags.TC)


def answered(sock, wire, n, port):
    """n queries (wire) from sock, 20 ms apart; the answers with records."""
    got = 0
    for _ in range(n):
        sock.sendto(wire, ("127.0.0.1", port))
        time.sleep(0.02)
        got += full_answers(sock)
    time.sleep(0.5)
    return got + full_answers(sock)


def test_valid_cookie_exempt():
    """A client presenting a valid server cookie (RFC 7873 §5.2.5: its
    address is proven) is never rate limited; another of its /24 without
    one is."""
    rate, sent = 5, 100
    with start(f"  responses-per-second: {rate}\n  slip: 0\n") as s:
        a, b = sockets(["127.0.0.2", "127.0.0.3"])
        try:
            a.setblocking(True)
            a.settimeout(2)
            a.sendto(cookie_query(b"\x01" * 8), ("127.0.0.1", s.port))
            first = dns.message.from_wire(a.recv(4096))
            full = [o.data for o in first.options if o.otype == 10]
            assert full and len(full[0]) == 24, first
            a.setblocking(False)
            with_cookie = answered(a, cookie_query(full[0]), sent, s.port)
            without = answered(b, cookie_query(b"\x02" * 8), sent, s.port)
        finally:
            a.close()
            b.close()
        print(f"  with a valid server cookie: {with_cookie} of {sent} answered; "
              f"without (same /24): {without} of {sent}")
        assert with_cookie == sent, with_cookie
        assert without <= most(rate, sent * 0.02 + 1), without


def test_class_rates():
    """nxdomains-per-second limits an NXDOMAIN flood at its own rate while
    the same clients' answers stay under responses-per-second."""
    rate, nx_rate, sent = 1000, 5, 200
    with start(f"  responses-per-second: {rate}\n  nxdomains-per-second: {nx_rate}\n"
               "  slip: 0\n") as s:
        assert "nxdomain 5/s" in s.logtext(), s.logtext()
        nt, _, _, took = flood(s.port, sent, 1.0, qname="nope.example.com.")
        print(f"  nxdomain flood: {nt.nx} of {sent} answered in {took:.1f} s")
        assert 1 <= nt.nx <= most(nx_rate, took), (nt.nx, took)
        ft, _, _, took = flood(s.port, sent, 1.0)
        assert ft.full == sent, (ft.full, sent)


def test_wildcard_flood_pooled():
    """Random names under a wildcard (*.apps.example.com) from one /24
    share one bucket: held to the rate, as one name would be."""
    rate, sent = 10, 300
    with start(f"  responses-per-second: {rate}\n  slip: 0\n") as s:
        fsocks = sockets(FLOOD_SRCS[:10])
        answered = 0
        try:
            t0 = time.monotonic()
            for i in range(sent):
                q = dns.message.make_query(f"r{i}.apps.example.com.", "A").to_wire()
                fsocks[i % len(fsocks)].sendto(q, ("127.0.0.1", s.port))
            end = time.monotonic() + 1.5
            while time.monotonic() < end:
                r, _, _ = select.select(fsocks, [], [], 0.1)
                for sk in r:
                    while True:
                        try:
                            m = dns.message.from_wire(sk.recv(4096))
                        except BlockingIOError:
                            break
                        answered += m.rcode() == dns.rcode.NOERROR and bool(m.answer)
            took = time.monotonic() - t0
        finally:
            for sk in fsocks:
                sk.close()
        print(f"  wildcard flood: {answered} of {sent} answered")
        assert 1 <= answered <= most(rate, took), (answered, took)


if __name__ == "__main__":
    run([test_flood_held_to_rate_other_prefix_answered, test_slip_truncates_every_second,
         test_log_only_changes_nothing, test_valid_cookie_exempt, test_class_rates,
         test_wildcard_flood_pooled])
