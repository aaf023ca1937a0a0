#!/usr/bin/python3
"""server_gen.py: deterministic zone and query files for bench/server.sh.

  server_gen.py zone N [SERIAL]        > zone file for bench.test. with N names
  server_gen.py queries N COUNT SEED   > COUNT queries against that zone

The zone: $ORIGIN bench.test., SOA (serial SERIAL, default 1), two NS with
glue, then N names h0 .. h(N-1), each with one A record in 198.18.0.0/15;
every 50th name also has an MX (to another hN) and a TXT record.  The same
arguments always give the same bytes.  The last line is a comment
"; server_gen: N names, R records".

The queries (one "NAME TYPE" a line, the format of both kxdpgun and
dnsperf): 88 % A of an existing name, 2 % MX/TXT of a name that has them,
10 % A of a random name that does not exist (NXDOMAIN), drawn with
random.Random(SEED).
"""
import random
import sys

ORIGIN = "bench.test."
EVERY = 50  # names with an MX and a TXT


def addr(i):
    # a fixed permutation of 198.18.0.0/15 (2^17 addresses)
    x = (i * 2654435761) & 0x1FFFF
    return f"198.{18 + (x >> 16)}.{(x >> 8) & 255}.{x & 255}"


def zone(n, serial):
    out = sys.stdout
    out.write(f"$ORIGIN {ORIGIN}\n$TTL 3600\n"
              f"@\tIN\tSOA\tns1 hostmaster {serial} 7200 3600 1209600 3600\n"
              "@\tNS\tns1\n@\tNS\tns2\n"
              "ns1\tA\t198.18.255.1\nns2\tA\t198.18.255.2\n")
    recs = 5
    buf = []
    for i in range(n):
        buf.append(f"h{i}\tA\t{addr(i)}\n")
        recs += 1
        if i % EVERY == 0:
            buf.append(f"\tMX\t10 h{(i * 7 + 1) % n}\n"
                       f"\tTXT\t\"v=bench1 id={i}\"\n")
            recs += 2
        if len(buf) >= 65536:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
    out.write(f"; server_gen: {n} names, {recs} records\n")


def queries(n, count, seed):
    rnd = random.Random(seed)
    out = []
    for _ in range(count):
        r = rnd.random()
        if r < 0.88:
            out.append(f"h{rnd.randrange(n)}.{ORIGIN} A")
        elif r < 0.90:
            i = rnd.randrange((n + EVERY - 1) // EVERY) * EVERY
            out.append(f"h{i}.{ORIGIN} {'MX' if rnd.random() < 0.5 else 'TXT'}")
        else:
            out.append(f"nx{rnd.getrandbits(40):x}.{ORIGIN} A")
    sys.stdout.write("\n".join(out) + "\n")


def main(argv):
    if len(argv) >= 3 and argv[1] == "zone":
        zone(int(argv[2]), int(argv[3]) if len(argv) > 3 else 1)
    elif len(argv) == 5 and argv[1] == "queries":
        queries(int(argv[2]), int(argv[3]), int(argv[4]))
    else:
        sys.stderr.write(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
