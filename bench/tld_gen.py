#!/usr/bin/python3
"""tld_gen.py: a deterministic zone shaped like a TLD, and its query mix.

  tld_gen.py zone [N]                     > zone file for bench-tld. with N
                                            delegations (default 1000000)
  tld_gen.py queries N COUNT SEED [--flags] > COUNT queries against it

The zone (unsigned: bench/tld.sh signs it): $ORIGIN bench-tld., SOA, two
apex NS a.nic and b.nic with their addresses (A and AAAA) under the apex,
then N delegations d0 .. d(N-1), each with two NS records.  Which
delegation gets what is a fixed function of its number i (a multiplicative
hash h of i, so the kinds are spread evenly through the zone):
  - in-bailiwick name servers ns1.d<i> and ns2.d<i> with glue A records
    when h % 10 == 0 (about a tenth), glue AAAA too for half of those;
  - otherwise two out-of-zone name servers ns1/ns2.host<j>.example. from a
    pool of POOL hosts;
  - a DS record (key tag, algorithm 13, digest type 2, the SHA-256 of
    "d<i>" as the digest) when (h >> 8) % 10 == 0 (about a tenth,
    independent of the name-server kind).
The same arguments always give the same bytes.  The last line is a comment
"; tld_gen: N delegations, R records, I in-bailiwick, D with DS".

The queries (one "NAME TYPE" a line, the format of dnsperf, kxdpgun and
bench/dpdk_gen), drawn with random.Random(SEED):
  - 60 % referrals: www.d<i>.bench-tld. (a uniformly drawn existing
    delegation, so about a tenth of them have a DS), type A (3/4) or AAAA;
  - 30 % NXDOMAIN: a random label (nx<10 hex digits>) under the apex, a
    delegation that does not exist, type A;
  - 10 % apex: SOA, NS and DNSKEY in equal parts (DNSKEY is NODATA in the
    unsigned zone).
The DO bit goes on 70 % of the queries, EDNS on all.  Each query's DO
choice is drawn whether or not it is written, so the lines are the same
either way.  Without --flags the file has two columns (dnsperf: EDNS and DO
are global there, `-e -D` or neither; bench/dpdk_gen reads two columns and
sets DO on DO_PCT % itself, so DO_PCT=70).  With --flags each line gets
kxdpgun's third column: "D" (EDNS with DO) on the 70 %, "E" (EDNS without
DO) on the rest.
"""
import hashlib
import random
import sys

ORIGIN = "bench-tld."
POOL = 1000      # out-of-zone name-server hosts
DO_SHARE = 0.70  # queries with the DO bit


def kind(i):
    """(in-bailiwick, glue AAAA too, has DS) of delegation i."""
    h = (i * 2654435761) & 0xFFFFFFFF
    inb = h % 10 == 0
    return inb, inb and (h // 10) % 2 == 0, (h >> 8) % 10 == 0


def addr4(i):
    # a fixed permutation of 198.18.0.0/15 (2^17 addresses)
    x = (i * 2654435761) & 0x1FFFF
    return f"198.{18 + (x >> 16)}.{(x >> 8) & 255}.{x & 255}"


def delegation(i, out):
    """Appends delegation i's lines to out; returns (records, inb, ds)."""
    inb, aaaa, ds = kind(i)
    d = f"d{i}"
    recs = 2
    if inb:
        out.append(f"{d}\tNS\tns1.{d}\n{d}\tNS\tns2.{d}\n")
    else:
        j = (i * 7919) % POOL
        out.append(f"{d}\tNS\tns1.host{j}.example.\n{d}\tNS\tns2.host{j}.example.\n")
    if ds:
        digest = hashlib.sha256(d.encode()).hexdigest().upper()
        out.append(f"{d}\tDS\t{i % 65536} 13 2 {digest}\n")
        recs += 1
    if inb:
        out.append(f"ns1.{d}\tA\t{addr4(2 * i)}\nns2.{d}\tA\t{addr4(2 * i + 1)}\n")
        recs += 2
        if aaaa:
            out.append(f"ns1.{d}\tAAAA\t2001:db8:{i >> 16:x}:{i & 0xFFFF:x}::1\n"
                       f"ns2.{d}\tAAAA\t2001:db8:{i >> 16:x}:{i & 0xFFFF:x}::2\n")
            recs += 2
    return recs, inb, ds


def zone(n):
    out = sys.stdout
    out.write(f"$ORIGIN {ORIGIN}\n$TTL 86400\n"
              "@\tIN\tSOA\ta.nic hostmaster.nic 1 1800 900 2419200 3600\n"
              "@\tNS\ta.nic\n@\tNS\tb.nic\n"
              "a.nic\tA\t198.18.255.1\na.nic\tAAAA\t2001:db8:ffff::1\n"
              "b.nic\tA\t198.18.255.2\nb.nic\tAAAA\t2001:db8:ffff::2\n")
    recs, ninb, nds = 7, 0, 0
    buf = []
    for i in range(n):
        r, inb, ds = delegation(i, buf)
        recs += r
        ninb += inb
        nds += ds
        if len(buf) >= 65536:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    out.write(f"; tld_gen: {n} delegations, {recs} records, {ninb} in-bailiwick, "
              f"{nds} with DS\n")


def queries(n, count, seed, flags):
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        r = rnd.random()
        dnssec = rnd.random() < DO_SHARE
        if r < 0.60:
            t = "A" if rnd.random() < 0.75 else "AAAA"
            line = f"www.d{rnd.randrange(n)}.{ORIGIN} {t}"
        elif r < 0.90:
            line = f"nx{rnd.getrandbits(40):010x}.{ORIGIN} A"
        else:
            line = f"{ORIGIN} {('SOA', 'NS', 'DNSKEY')[rnd.randrange(3)]}"
        if flags:
            line += " D" if dnssec else " E"
        out.append(line)
    sys.stdout.write("\n".join(out) + "\n")


def main(args):
    if args[:1] == ["zone"] and len(args) <= 2:
        zone(int(args[1]) if len(args) == 2 else 1000000)
        return 0
    if args[:1] == ["queries"] and len(args) in (4, 5) and args[4:] in ([], ["--flags"]):
        queries(int(args[1]), int(args[2]), int(args[3]), len(args) == 5)
        return 0
    sys.stderr.write(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
