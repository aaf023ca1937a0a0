"""soakzones: the soak's zones, their versions and the answers each
version must give.

A zone's text for serial S is a versioned head (SOA with S, records whose
data depends on S, a name that exists only at odd serials) and a static
body (N names h0.. with server_gen.py's addresses for the big zone, a few
for the small ones).  Every version written is kept with the monotonic
time its file was put in place and the time a later successful reload of
the zone returned (after which it is no longer served): an answer to a
query sent at t0 and received at t1 is right when it equals, exactly,
what one version live somewhere in [t0, t1] gives.
"""
import os
import random
import sys
import threading

import dns.rcode
import dns.rdatatype

sys.path.insert(0, os.path.join(os.environ.get("SRCDIR", "."), "bench"))
from server_gen import addr  # noqa: E402  (the bench zone's address of name i)

NOERROR, NXDOMAIN = dns.rcode.NOERROR, dns.rcode.NXDOMAIN
BROKEN = [  # ways a zone file is broken: each must fail to load
    ("unbalanced parenthesis", "broken A ( 198.18.9.9\n"),
    ("bad IPv4 address", "broken A 198.18.300.1\n"),
    ("unknown type", "broken NOSUCHTYPE 1 2 3\n"),
    ("bad TTL", "broken 9999999999999 A 198.18.9.9\n"),
]


def chg_addr(serial, j):
    return f"198.18.{(serial * 7 + j) % 256}.{(serial * 13 + 31 * j) % 254 + 1}"


def multi_addrs(serial):
    return [f"198.19.{serial % 256}.{k + 1}" for k in range(serial % 3 + 1)]


class Version:
    def __init__(self, serial, expected, t_from):
        self.serial, self.expected = serial, expected
        self.t_from, self.t_to = t_from, None


class Zone:
    """One zone: origin, file, static names, the versions written."""

    def __init__(self, origin, path, names, rng):
        self.origin, self.path, self.names = origin, path, names
        self.lock = threading.Lock()
        self.versions = []
        self.serial = 1000
        self.body = "".join(f"h{i} A {addr(i)}\n" for i in range(names))
        # the names sampled: every versioned one, a few static ones, misses
        static = sorted(rng.sample(range(names), min(names, 6)))
        self.samples = ([("@", "SOA"), ("ver", "TXT"), ("ver", "AAAA"), ("odd", "A"),
                         ("multi", "A")] + [(f"chg{j}", "A") for j in range(3)]
                        + [(f"h{i}", "A") for i in static]
                        + [(f"nx{rng.randrange(10**6)}", "A"), (f"h{names + 7}", "A")])
        self.broken_on_disk = False

    def fqdn(self, rel):
        return self.origin if rel == "@" else f"{rel}.{self.origin}"

    def head(self, serial):
        s = (f"$ORIGIN {self.origin}\n$TTL 300\n"
             f"@ SOA ns1 hostmaster {serial} 3600 900 604800 300\n"
             "@ NS ns1\nns1 A 198.18.255.1\n"
             f"ver TXT \"serial={serial}\"\n")
        s += "".join(f"chg{j} A {chg_addr(serial, j)}\n" for j in range(3))
        s += "".join(f"multi A {a}\n" for a in multi_addrs(serial))
        if serial % 2:
            s += "odd A 198.19.255.1\n"
        return s

    def text(self, serial):
        return self.head(serial) + self.body

    def expected(self, serial):
        """(name, type) -> canonical answer (see canon()) at serial."""
        neg_nx = (NXDOMAIN, frozenset(), serial)
        neg_nodata = (NOERROR, frozenset(), serial)

        def pos(rel, typ, datas):
            name = self.fqdn(rel)
            return (NOERROR, frozenset(f"{name} {typ} {d}" for d in datas), None)
        exp = {("@", "SOA"): pos("@", "SOA", [serial]),
               ("ver", "TXT"): pos("ver", "TXT", [f'"serial={serial}"']),
               ("ver", "AAAA"): neg_nodata,
               ("odd", "A"): pos("odd", "A", ["198.19.255.1"]) if serial % 2 else neg_nx,
               ("multi", "A"): pos("multi", "A", multi_addrs(serial))}
        for j in range(3):
            exp[(f"chg{j}", "A")] = pos(f"chg{j}", "A", [chg_addr(serial, j)])
        for rel, typ in self.samples:
            if (rel, typ) in exp:
                continue
            i = int(rel[1:]) if rel.startswith("h") else -1
            exp[(rel, typ)] = pos(rel, "A", [addr(i)]) if 0 <= i < self.names else neg_nx
        return exp

    def write(self, text, t_now, serial=None):
        """Puts text in place as the zone file (rename: never half a
        file); a good version (serial given) is recorded as live from
        t_now."""
        tmp = self.path + ".new"
        with open(tmp, "w") as f:
            f.write(text)
        with self.lock:
            if serial is not None:
                self.versions.append(Version(serial, self.expected(serial), t_now))
            self.broken_on_disk = serial is None
        os.rename(tmp, self.path)

    def next_good(self, t_now):
        self.serial += 1
        self.write(self.text(self.serial), t_now, self.serial)
        return self.serial

    def broken(self, rng):
        """A broken file: the next serial's text with one bad line in the
        head (so a parser that skipped it would serve a new serial)."""
        why, line = rng.choice(BROKEN)
        self.serial += 1
        return why, self.head(self.serial) + line + self.body

    def reloaded(self, t_ret):
        """A reload of this zone succeeded at t_ret: every version but the
        newest is no longer served."""
        with self.lock:
            for v in self.versions[:-1]:
                if v.t_to is None:
                    v.t_to = t_ret

    def allowed(self, t0, t1):
        """The versions live at some time in [t0, t1]."""
        with self.lock:
            return [v for v in self.versions
                    if v.t_from <= t1 and (v.t_to is None or v.t_to >= t0)]


def canon(r):
    """(rcode, answer records as 'name TYPE data', SOA serial in the
    authority or None); an SOA record's data is its serial."""
    ans = set()
    for rrset in r.answer:
        t = dns.rdatatype.to_text(rrset.rdtype)
        for rd in rrset:
            ans.add(f"{rrset.name} {t} {rd.serial if t == 'SOA' else rd.to_text()}")
    soa = None
    for rrset in r.authority:
        if rrset.rdtype == dns.rdatatype.SOA:
            soa = rrset[0].serial
    return (r.rcode(), frozenset(ans), soa)


def make_zones(tmp, big_names, small_names, seed):
    rng = random.Random(seed)
    zones = [Zone("big.soak.", os.path.join(tmp, "big.soak.zone"), big_names, rng)]
    for z in ("a.soak.", "b.soak."):
        zones.append(Zone(z, os.path.join(tmp, z + "zone"), small_names, rng))
    for z in zones:
        z.next_good(0.0)
    return zones
