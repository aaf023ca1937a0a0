#!/usr/bin/python3
"""End-to-end test of signed zones changed by IXFR: knotd signs three zones
itself (automatic signing, ECDSAP256SHA256 keys of its own): one with NSEC3
opt-out shaped like a TLD, one with NSEC3, one with NSEC.  ringdns is their
secondary, NOTIFYed by knotd.  Each kind of change is made with knotc's
zone transactions (knotd signs the change and keeps it in its journal, so
ringdns receives it by IXFR, RFC 1995); once ringdns answers the new serial
its answers are compared with knotd's for the names the change touched,
their parents, unchanged names, names that do not exist below and beside
them, and the delegations' DS, with and without DO (RCODE, AA and each
section as a sorted list of records, owners lowercased; a difference is
tolerated only by tests/test_knotdiff.c's allowances that these zones can
meet: rrset-once).  The answers must be the same for every kind; whether
ringdns applied the change incrementally (an overlay,
doc/incremental-images.md) or loaded the version whole is printed per kind
and asserted for the kinds of INCREMENTAL_KINDS."""
import hashlib
import os
import re
import shutil
import tempfile
import time

import dns.flags
import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype

from e2elib import Knotd, Server, free_port, knot_conf_head, run, wait_for

# The kinds of change ringdns applies incrementally (its log says "served
# incrementally"): every kind here; one loaded whole must answer the same.
INCREMENTAL_KINDS = {
    "optout:add-insecure", "optout:add-secure", "optout:add-ds", "optout:del-ds",
    "optout:del-secure", "optout:del-insecure",
    "nsec3:add-host", "nsec3:add-ent", "nsec3:del-name", "nsec3:add-wild",
    "nsec3:del-wild", "nsec3:change-a", "nsec3:add-dname", "nsec3:del-dname",
    "nsec:add-host", "nsec:add-ent", "nsec:del-name", "nsec:add-wild", "nsec:del-wild",
    "nsec:change-a", "nsec:add-dname", "nsec:del-dname",
}

ZONES = ("optout.test.", "nsec3.test.", "nsec.test.")
QTYPES = ("A", "AAAA", "NS", "DS", "MX", "TXT", "SOA", "DNSKEY")
WAIT_S = 10	# the most a change may take to be answered by ringdns
TTL = 3600


def ds_rdata(owner):
    """A DS of owner (a digest of its name: the child is not served)."""
    return "4711 13 2 " + hashlib.sha256(owner.encode()).hexdigest().upper()


def optout_zone():
    """A TLD-shaped zone: 30 insecure delegations (every other one with
    glue), 4 secure ones (NS, glue and DS)."""
    o = "optout.test."
    rr = [(o, "NS", "ns1." + o), (o, "NS", "ns2." + o),
          ("ns1." + o, "A", "198.51.100.1"), ("ns2." + o, "AAAA", "2001:db8::2")]
    for i in range(30):
        d = f"d{i:02}.{o}"
        if i % 2 == 0:
            rr += [(d, "NS", "ns1." + d), ("ns1." + d, "A", f"198.51.100.{10 + i}")]
        else:
            rr += [(d, "NS", "ns.example.net.")]
    for i in range(4):
        s = f"s{i}.{o}"
        rr += [(s, "NS", "ns1." + s), ("ns1." + s, "A", f"198.51.100.{100 + i}"),
               ("ns1." + s, "AAAA", f"2001:db8::{100 + i}"), (s, "DS", ds_rdata(s))]
    return rr


def host_zone(o):
    """Hosts with A/AAAA/MX/TXT, a wildcard and an empty non-terminal."""
    rr = [(o, "NS", "ns1." + o), (o, "MX", "10 mail." + o), (o, "TXT", '"apex"'),
          ("ns1." + o, "A", "198.51.100.1"), ("mail." + o, "A", "198.51.100.2"),
          ("mail." + o, "AAAA", "2001:db8::2"), ("www." + o, "A", "198.51.100.10"),
          ("www." + o, "AAAA", "2001:db8::10"), ("www." + o, "MX", "10 mail." + o),
          ("www." + o, "TXT", '"web server"'), ("*.wild." + o, "A", "198.51.100.20"),
          ("*.wild." + o, "TXT", '"wild"'), ("a.b.ent." + o, "A", "198.51.100.30")]
    for i in range(1, 11):
        rr += [(f"host{i:02}.{o}", "A", f"198.51.100.{40 + i}")]
    return rr


ZONE_DATA = {"optout.test.": optout_zone(), "nsec3.test.": host_zone("nsec3.test."),
             "nsec.test.": host_zone("nsec.test.")}


def optout_changes(o):
    """(kind, added, deleted) of the TLD-shaped zone."""
    n1, n2 = "n1." + o, "n2." + o
    return [
        ("add-insecure", [(n1, "NS", "ns1." + n1), ("ns1." + n1, "A", "198.51.100.200")], []),
        ("add-secure", [(n2, "NS", "ns.example.net."), (n2, "DS", ds_rdata(n2))], []),
        ("add-ds", [("d01." + o, "DS", ds_rdata("d01." + o))], []),
        ("del-ds", [], [("s0." + o, "DS", ds_rdata("s0." + o))]),
        ("del-secure", [], [("s1." + o, "NS", "ns1.s1." + o),
                            ("ns1.s1." + o, "A", "198.51.100.101"),
                            ("ns1.s1." + o, "AAAA", "2001:db8::101"),
                            ("s1." + o, "DS", ds_rdata("s1." + o))]),
        ("del-insecure", [], [("d02." + o, "NS", "ns1.d02." + o),
                              ("ns1.d02." + o, "A", "198.51.100.12")]),
    ]


def host_changes(o):
    """(kind, added, deleted) of a host zone."""
    return [
        ("add-host", [("new." + o, "A", "198.51.100.60")], []),
        ("add-ent", [("x.y.host01." + o, "A", "198.51.100.61")], []),
        ("del-name", [], [("host02." + o, "A", "198.51.100.42")]),
        ("add-wild", [("*.host03." + o, "A", "198.51.100.62")], []),
        ("del-wild", [], [("*.host03." + o, "A", "198.51.100.62")]),
        ("change-a", [("www." + o, "A", "198.51.100.11")], [("www." + o, "A", "198.51.100.10")]),
        ("add-dname", [("dn." + o, "DNAME", "target.example.")], []),
        ("del-dname", [], [("dn." + o, "DNAME", "target.example.")]),
    ]


def zone_text(origin, serial=1):
    lines = [f"$TTL {TTL}",
             f"{origin} SOA ns1.{origin} hostmaster.{origin} {serial} 3600 900 604800 300"]
    lines += [f"{o} {TTL} {t} {r}" for o, t, r in ZONE_DATA[origin]]
    return "\n".join(lines) + "\n"


POLICIES = {"optout.test.": ("nsec3: on", "nsec3-opt-out: on"),
            "nsec3.test.": ("nsec3: on", "nsec3-opt-out: off"),
            "nsec.test.": ("nsec3: off",)}


def knot_conf(ringdns_port):
    """knotd signing the three zones with keys it makes, NOTIFYing ringdns,
    its changes kept in the journal (IXFR)."""
    def conf(d, port):
        pol = ""
        zl = ""
        for z in ZONES:
            pid = z.split(".")[0]
            with open(os.path.join(d, z + "zone"), "w") as f:
                f.write(zone_text(z))
            # keys for good (no rollover during the test), signatures for
            # weeks: knotd signs only what a change touches
            pol += (f"  - id: {pid}\n    algorithm: ecdsap256sha256\n"
                    "    single-type-signing: on\n    ksk-lifetime: 0\n"
                    "    zsk-lifetime: 0\n    rrsig-lifetime: 14d\n    rrsig-refresh: 7d\n"
                    "    nsec3-iterations: 0\n    nsec3-salt-length: 0\n"
                    "    cds-cdnskey-publish: none\n"
                    + "".join(f"    {x}\n" for x in POLICIES[z]))
            zl += (f"  - domain: {z}\n    file: {d}/{z}zone\n    dnssec-policy: {pid}\n")
        return knot_conf_head(d, port) + f"""remote:
  - id: ringdns
    address: 127.0.0.1@{ringdns_port}
acl:
  - id: xfr
    address: 127.0.0.1
    action: transfer
policy:
{pol}template:
  - id: default
    storage: {d}
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: changes
    serial-policy: increment
    dnssec-signing: on
    acl: xfr
    notify: ringdns
zone:
{zl}"""
    return conf


def denial_of(port, z):
    """The type of denial (and NSEC3 flags) in the NXDOMAIN answer for a
    name of z, and whether its DNSKEY RRset came signed."""
    r = ask(port, "nx." + z, "A", True)
    denial = {(dns.rdatatype.to_text(rr.rdtype), getattr(rr[0], "flags", None))
              for rr in r.authority if rr.rdtype in (dns.rdatatype.NSEC, dns.rdatatype.NSEC3)}
    keys = ask(port, z, "DNSKEY", True)
    return denial, any(rr.rdtype == dns.rdatatype.RRSIG for rr in keys.answer)


DENIAL = {"optout.test.": ({("NSEC3", 1)}, True), "nsec3.test.": ({("NSEC3", 0)}, True),
          "nsec.test.": ({("NSEC", None)}, True)}


def ringdns_conf(tmp, knot_port):
    text = "zones:\n"
    for z in ZONES:
        text += (f"  - name: {z}\n    file: {tmp}/{z}zone\n"
                 f"    primaries: [\"127.0.0.1@{knot_port}\"]\n")
    path = os.path.join(tmp, "ringdns.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


# ------------------------------------------------------------ answers

def ask(port, name, qtype, do):
    """The response of the server at port (UDP, EDNS 1232; TCP when it
    came truncated)."""
    q = dns.message.make_query(name, qtype, use_edns=0, payload=1232, want_dnssec=do)
    r = dns.query.udp(q, "127.0.0.1", port=port, timeout=2)
    if r.flags & dns.flags.TC:
        r = dns.query.tcp(q, "127.0.0.1", port=port, timeout=2)
    return r


def section(rrsets):
    """A section as the sorted list of its records, owners lowercased."""
    out = []
    for rrset in rrsets:
        for line in rrset.to_text().splitlines():
            owner, rest = line.split(" ", 1)
            out.append(owner.lower() + " " + rest)
    return sorted(out)


def summary(r):
    return {"rcode": dns.rcode.to_text(r.rcode()), "aa": bool(r.flags & dns.flags.AA),
            "answer": section(r.answer), "authority": section(r.authority),
            "additional": section(r.additional)}


class Model:
    """The zones' records as the test made them."""

    def __init__(self):
        self.rr = {z: set(ZONE_DATA[z]) for z in ZONES}

    def apply(self, z, added, deleted):
        self.rr[z] -= set(deleted)
        self.rr[z] |= set(added)

    def delegations(self, z):
        return sorted({o for o, t, _ in self.rr[z] if t == "NS" and o != z})


def allow_once(k, o):
    """RFC 2181 §5.5: an RRset only once in a reply; knotd repeats the
    addresses synthesized for an additional-section target once per record
    naming it, ringdns puts them once.  Only repeats in knotd's additional
    section of records ringdns has exactly once (tests/test_knotdiff.c)."""
    ad, used = [], False
    for i, rec in enumerate(k["additional"]):
        if i and rec == k["additional"][i - 1] and o["additional"].count(rec) == 1:
            used = True
            continue
        ad.append(rec)
    k["additional"] = ad
    return used


def compare(knot_port, ours_port, name, qtype, do, allowed):
    """None when both answer alike (within the allowances, counted in
    allowed), else the two summaries."""
    k = summary(ask(knot_port, name, qtype, do))
    o = summary(ask(ours_port, name, qtype, do))
    if k == o:
        return None
    if allow_once(k, o):
        allowed["rrset-once"] = allowed.get("rrset-once", 0) + 1
    return None if k == o else (k, o)


def query_set(z, added, deleted, model):
    """(name, qtype) pairs: the names touched and their parents, unchanged
    names, names that do not exist below and beside them, the DS (and NS)
    of every delegation."""
    origin = dns.name.from_text(z)
    touched = {o for o, _, _ in added + deleted}
    names = set(touched)
    for t in touched:
        n = dns.name.from_text(t)
        if n != origin:
            names |= {n.parent().to_text(), "nx." + n.parent().to_text()}
        first = n.labels[0].decode() if n != origin else "apex"
        names.add("nx." + t)
        if n != origin:
            names.add(first.replace("*", "star") + "-x." + n.parent().to_text())
    names |= {z, "ns1." + z, "nx." + z, "zz-nx." + z}
    if z == "optout.test.":
        names |= {"d00.optout.test.", "ns1.d00.optout.test.", "www.d05.optout.test.",
                  "s3.optout.test.", "ns1.s3.optout.test.", "www.s3.optout.test."}
    else:
        names |= {"www." + z, "mail." + z, "a.x.wild." + z, "b.ent." + z,
                  "nx.b.ent." + z, "host05." + z, "a.dn." + z}
    pairs = {(n, t) for n in names for t in QTYPES}
    for d in set(model.delegations(z)) | {o for o, t, _ in deleted if t == "NS"}:
        pairs |= {(d, "DS"), (d, "NS")}
    return sorted(pairs)


def compare_zone(knot_port, ours_port, pairs, allowed):
    """The differences: a list of (name, qtype, do, knotd's, ringdns's)."""
    diffs = []
    for name, qtype in pairs:
        for do in (False, True):
            d = compare(knot_port, ours_port, name, qtype, do, allowed)
            if d:
                diffs.append((name, qtype, do) + d)
    return diffs


def show(diffs, limit=6):
    out = []
    for name, qtype, do, k, o in diffs[:limit]:
        out.append(f"  {name} {qtype} DO={int(do)}")
        for key in k:
            if k[key] != o[key]:
                out.append(f"    {key}: knotd {k[key]}\n    {key}: ringdns {o[key]}")
    if len(diffs) > limit:
        out.append(f"  ... and {len(diffs) - limit} more")
    return "\n".join(out)


# ------------------------------------------------------------ changes

def serial_at(port, z):
    try:
        q = dns.message.make_query(z, "SOA")
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=0.5)
        return r.answer[0][0].serial if r.answer and r.rcode() == dns.rcode.NOERROR else None
    except Exception:
        return None


def knotc(k, *args):
    r = k.ctl(*args)
    assert r.returncode == 0 and "error" not in r.stdout.lower(), (args, r.stdout, r.stderr)


def change(k, z, added, deleted):
    """One transaction of knotd's: the records deleted and added; knotd
    signs it, bumps the serial and NOTIFYs.  The new serial."""
    before = serial_at(k.port, z)
    knotc(k, "zone-begin", z)
    try:
        for o, t, r in deleted:
            knotc(k, "zone-unset", z, o, t, *r.split())
        for o, t, r in added:
            knotc(k, "zone-set", z, o, str(TTL), t, *r.split())
        knotc(k, "zone-commit", z)
    except AssertionError:
        k.ctl("zone-abort", z)
        raise
    assert wait_for(lambda: (serial_at(k.port, z) or 0) > (before or 0), 5), k.logtext()
    return serial_at(k.port, z)


def how_applied(s, z, serial):
    """How ringdns's log says the serial was served: (incremental, by):
    incremental 'yes' when it was served incrementally, 'no' when the
    version was loaded whole; by 'IXFR' or 'AXFR'.  None until the log
    says how the serial ended (a version applied from IXFR, or loaded)."""
    log = s.logtext()
    zn = re.escape(z)
    done = re.search(rf"zone {zn}: serial {serial} (applied from IXFR|loaded from)", log)
    xfr = re.search(rf"zone {zn}: serial {serial} transferred from \S+ \((IXFR|AXFR)", log)
    if not done or not xfr:
        return None
    inc = re.search(rf"zone {zn}: serial {serial} served incrementally", log)
    return ("yes" if inc else "no"), xfr.group(1)


def reason(s, z, serial):
    """ringdns's log lines about the zone's serial, for the table."""
    zn = re.escape(z)
    return [ln for ln in s.logtext().splitlines()
            if re.search(rf"zone {zn}: .*\b{serial}\b", ln)]


def test_signed_ixfr():
    t0 = time.time()
    ours_port = free_port()
    k = Knotd(knot_conf(ours_port))
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-sigixfr-")
    table, failures, allowed = [], [], {}
    try:
        assert wait_for(lambda: all(serial_at(k.port, z) for z in ZONES), 20), k.logtext()
        # knotd signed each zone as its policy says (RFC 5155 §3.1.2.1: the
        # opt-out flag)
        for z in ZONES:
            assert denial_of(k.port, z) == DENIAL[z], (z, denial_of(k.port, z))
        model = Model()
        with Server({}, extra=["--config", ringdns_conf(tmp, k.port)], tmp=tmp,
                    port=ours_port) as s:
            s.start(ready=lambda: all(serial_at(s.port, z) == serial_at(k.port, z)
                                      for z in ZONES))
            # the versions transferred whole first
            for z in ZONES:
                diffs = compare_zone(k.port, s.port, query_set(z, [], [], model), allowed)
                if diffs:
                    failures.append(f"{z} as transferred:\n" + show(diffs))
            steps = [("optout", "optout.test.", c) for c in optout_changes("optout.test.")]
            steps += [(z.split(".")[0], z, c) for z in ("nsec3.test.", "nsec.test.")
                      for c in host_changes(z)]
            for short, z, (kind, added, deleted) in steps:
                name = f"{short}:{kind}"
                serial = change(k, z, added, deleted)
                model.apply(z, added, deleted)
                t1 = time.time()
                ok = wait_for(lambda: serial_at(s.port, z) == serial, WAIT_S)
                dt = time.time() - t1
                assert ok, (name, serial, serial_at(s.port, z), s.logtext()[-3000:])
                assert wait_for(lambda: how_applied(s, z, serial) is not None, WAIT_S), \
                    (name, s.logtext()[-3000:])
                inc, by = how_applied(s, z, serial)
                # knotd keeps each signed change in its journal: the
                # differences come by IXFR (RFC 1995)
                assert by == "IXFR", (name, reason(s, z, serial))
                pairs = query_set(z, added, deleted, model)
                diffs = compare_zone(k.port, s.port, pairs, allowed)
                assert serial_at(k.port, z) == serial, (name, "knotd changed meanwhile")
                why = [m.group(1) for ln in reason(s, z, serial)
                       for m in [re.search(r"loaded whole \((.*)\)$", ln)] if m]
                table.append((name, inc, dt, len(diffs), 2 * len(pairs), why))
                if diffs:
                    failures.append(f"{name} (serial {serial}):\n" + show(diffs))
                # a step of knotd's journal is a change that applies: one
                # taken as wrong (not declined) is a fault of the overlay
                wrong = [ln for ln in reason(s, z, serial) if "not applied incrementally" in ln]
                if wrong:
                    failures.append(f"{name}: " + "\n  ".join(wrong))
                if name in INCREMENTAL_KINDS and inc != "yes":
                    failures.append(f"{name}: not served incrementally:\n  "
                                    + "\n  ".join(reason(s, z, serial)))
    finally:
        k.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"  {'change':24} incremental  answered in  queries  differences  why whole")
    for name, inc, dt, nd, nq, why in table:
        print(f"  {name:24} {inc:11}  {dt:9.2f} s  {nq:7}  {nd:11}  {'; '.join(why)}")
    print("  allowances used: " + (", ".join(f"{a} {n} times" for a, n in allowed.items())
                                   or "none"))
    print(f"  {time.time() - t0:.1f} s in all")
    assert not failures, "\n".join(failures)


if __name__ == "__main__":
    run([test_signed_ixfr])
