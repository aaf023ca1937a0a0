#!/usr/bin/python3
"""nsec_chain.py - a zone written by bench/genzone (stdin) made an NSEC-signed
zone's shape (stdout): its RRSIG lines dropped, an NSEC record (RFC 4035
section 2.3) added at every name with data that is not below a cut (cuts
included), pointing at the next in canonical order (RFC 4034 section 6.1),
the last at the apex, listing the name's types, RRSIG and NSEC.  No
signatures: what bench/incr_bench --nsec needs (its DNSKEYs make the zone
signed).  Owners are plain (no escapes), relative to $ORIGIN or absolute."""
import sys

TYPES = {"A": 1, "NS": 2, "CNAME": 5, "SOA": 6, "MX": 15, "TXT": 16, "AAAA": 28,
         "SRV": 33, "DS": 43, "RRSIG": 46, "NSEC": 47, "DNSKEY": 48, "CAA": 257}


def main():
    origin = None
    lines, types = [], {}
    for line in sys.stdin:
        if line.startswith("$ORIGIN"):
            origin = line.split()[1].lower()
        if line.startswith(("$", ";")) or not line.strip():
            lines.append(line.rstrip("\n"))
            continue
        f = line.split()
        owner = f[0].lower()
        name = origin if owner == "@" else owner if owner.endswith(".") else owner + "." + origin
        rtype = f[2] if f[1] == "IN" else f[3]
        if rtype in ("RRSIG", "NSEC"):
            continue
        if rtype not in TYPES:
            sys.exit("nsec_chain.py: type %s unknown here" % rtype)
        types.setdefault(name, set()).add(rtype)
        lines.append(line.rstrip("\n"))
    cuts = {n for n, t in types.items() if "NS" in t and n != origin}

    def occluded(n):
        labels = n[: -len(origin)].rstrip(".").split(".")
        return any(".".join(labels[i:]) + "." + origin in cuts for i in range(1, len(labels)))

    def key(n):
        return tuple(reversed(n[: -len(origin)].rstrip(".").split("."))) if n != origin else ()

    chain = sorted((n for n in types if not occluded(n)), key=key)
    for line in lines:
        print(line)
    for i, n in enumerate(chain):
        bitmap = sorted(types[n] | {"RRSIG", "NSEC"}, key=TYPES.get)
        print("%s\t3600\tIN\tNSEC\t%s %s" % (n, chain[(i + 1) % len(chain)], " ".join(bitmap)))


main()
