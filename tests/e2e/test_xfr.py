#!/usr/bin/python3
"""End-to-end tests of zone transfers out (RFC 5936): AXFR from ringdns by
dnspython and kdig, the access list (REFUSED for others, NOTAUTH for a zone
not served), IXFR answered in AXFR form (RFC 1995 §4), and knotd as a
secondary of ringdns (first transfer, then a refresh after a change), the
zone it holds compared record by record with ringdns's."""
import os
import shutil
import subprocess
import tempfile
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.xfr
import dns.zone

from e2elib import Knotd, Nsd, Server, big_zone, knot_conf_head, run, wait_for

ZONE = """$ORIGIN xfr.test.
$TTL 300
@        SOA   ns1 hostmaster {serial} 3600 900 604800 300
@        NS    ns1
@        NS    ns2.elsewhere.example.
@        MX    10 mail
@        TXT   "v=spf1 -all" "second string"
ns1      A     198.18.0.1
ns1      AAAA  2001:db8::1
mail     A     198.18.0.2
Www      CNAME mail
*.wild   A     198.18.0.3
a.b.ent  TXT   "below an empty non-terminal"
sub      NS    ns.sub
ns.sub   A     198.18.0.4
_sip._udp SRV  0 5 5060 mail
big      TXT   "{big}"
"""
BIG = "x" * 200
# many records at one name: the transfer spans several messages (the
# RRset itself fits one, as knotd wants it to when it sends it on)
MANY = "".join(f"many TXT \"record {i:04d} {'y' * 100}\"\n" for i in range(500))


def zone_text(serial):
    return ZONE.format(serial=serial, big=BIG) + MANY


def records(zone):
    """The zone's records as a set of (owner, type, covers, ttl, rdata)."""
    out = set()
    for name, node in zone.nodes.items():
        owner = name.derelativize(zone.origin).to_text().lower()
        for rds in node.rdatasets:
            for rd in rds:
                out.add((owner, rds.rdtype, rds.covers, rds.ttl,
                         rd.to_text(origin=zone.origin, relativize=False).lower()))
    return out


def axfr(port, zone, host="127.0.0.1", rdtype="AXFR", serial=0):
    return dns.zone.from_xfr(dns.query.xfr(host, zone, rdtype=rdtype, port=port,
                                           serial=serial, timeout=10, lifetime=60,
                                           relativize=False),
                             relativize=False)


def xfr_rcode(port, zone, host="127.0.0.1"):
    """The rcode of an AXFR query's first response, over TCP."""
    q = dns.message.make_query(zone, "AXFR")
    return dns.query.tcp(q, host, port=port, timeout=5).rcode()


def xfr_ede(port, zone, host="127.0.0.1"):
    """The rcode and Extended DNS Errors (RFC 8914) of an AXFR query with
    EDNS, over TCP."""
    q = dns.message.make_query(zone, "AXFR", use_edns=0)
    r = dns.query.tcp(q, host, port=port, timeout=5)
    return r.rcode(), [o.code for o in r.options if o.otype == 15]


def serve(zones, allow=("127.0.0.1",)):
    extra = []
    for a in allow:
        extra += ["--allow-transfer", a]
    return Server(zones, extra=extra)


def test_axfr_whole_zone():
    text = zone_text(7)
    with serve({"xfr.test.": text}) as s:
        s.start()
        got = axfr(s.port, "xfr.test.")
        want = dns.zone.from_text(text, "xfr.test.", relativize=False)
        assert records(got) == records(want), (records(got) ^ records(want))
        # kdig reads it too, SOA first and last
        r = subprocess.run(["kdig", "@127.0.0.1", "-p", str(s.port), "+tcp", "AXFR",
                            "xfr.test."], capture_output=True, text=True, timeout=30)
        lines = [ln for ln in r.stdout.splitlines() if ln and not ln.startswith(";")]
        assert lines[0].split()[3] == "SOA" and lines[-1].split()[3] == "SOA", r.stdout
        assert len(lines) == len(records(want)) + 1, (len(lines), r.stdout[-500:])
        assert wait_for(lambda: "sent to 127.0.0.1" in s.logtext(), 5), s.logtext()


def test_ixfr_answered_as_axfr():
    text = zone_text(9)
    with serve({"xfr.test.": text}) as s:
        s.start()
        got = axfr(s.port, "xfr.test.", rdtype="IXFR", serial=8)
        want = dns.zone.from_text(text, "xfr.test.", relativize=False)
        assert records(got) == records(want)


def test_access_list():
    text = zone_text(3)
    # only 127.0.0.1 may: ::1 is refused; nobody when none is configured
    with serve({"xfr.test.": text}) as s:
        s.start()
        assert xfr_rcode(s.port, "xfr.test.", host="::1") == dns.rcode.REFUSED
        assert xfr_rcode(s.port, "nothere.test.") == dns.rcode.NOTAUTH
        assert "refused (not in allow-transfer)" in s.logtext()
        # with EDNS: Prohibited (RFC 8914 §4.19), Not Authoritative (§4.21)
        assert xfr_ede(s.port, "xfr.test.", host="::1") == (dns.rcode.REFUSED, [18])
        assert xfr_ede(s.port, "nothere.test.") == (dns.rcode.NOTAUTH, [20])
        # ordinary TCP queries on the same server are still answered
        assert s.query("ns1.xfr.test.", "A", tcp=True).answer
    with serve({"xfr.test.": text}, allow=()) as s:
        s.start()
        assert xfr_rcode(s.port, "xfr.test.") == dns.rcode.REFUSED
    with serve({"xfr.test.": text}, allow=("::1/128", "10.0.0.0/8")) as s:
        s.start()
        assert xfr_rcode(s.port, "xfr.test.") == dns.rcode.REFUSED
        assert records(axfr(s.port, "xfr.test.", host="::1"))


SECRET = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
WRONG = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA="


def kdig_axfr(port, *opts):
    r = subprocess.run(["kdig", "@127.0.0.1", "-p", str(port), "+tcp", *opts, "AXFR",
                        "xfr.test."], capture_output=True, text=True, timeout=30)
    return r.stdout + r.stderr


def test_tsig():
    text = zone_text(12)
    extra = ["--allow-transfer", "127.0.0.1", "--key", f"hmac-sha256:xfr.key.:{SECRET}",
             "--zone-key", "xfr.test.=xfr.key."]
    with Server({"xfr.test.": text}, extra=extra) as s:
        s.start()
        # signed with the zone's key: the whole zone, every message signed
        # (kdig checks each TSIG and says so on a failure)
        out = kdig_axfr(s.port, "-y", f"hmac-sha256:xfr.key.:{SECRET}")
        rrs = [ln.split() for ln in out.splitlines() if ln and not ln.startswith(";")]
        sigs = [r for r in rrs if r[3] == "TSIG"]
        rrs = [r for r in rrs if r[3] != "TSIG"]
        assert len(rrs) == len(records(dns.zone.from_text(text, "xfr.test.",
                                                           relativize=False))) + 1, out
        assert sigs and all(r[-2] == "NOERROR" for r in sigs), out
        assert wait_for(lambda: ", TSIG," in s.logtext(), 5), s.logtext()
        # a wrong secret: BADSIG; no key: REFUSED (the zone wants one)
        out = kdig_axfr(s.port, "-y", f"hmac-sha256:xfr.key.:{WRONG}")
        assert "BADSIG" in out or "NOTAUTH" in out, out
        assert "TSIG" in s.logtext()
        q = dns.message.make_query("xfr.test.", "AXFR")
        assert dns.query.tcp(q, "127.0.0.1", port=s.port, timeout=5).rcode() == \
            dns.rcode.REFUSED
        # another key's name: BADKEY
        out = kdig_axfr(s.port, "-y", f"hmac-sha256:other.key.:{SECRET}")
        assert "BADKEY" in out or "NOTAUTH" in out, out


def test_big_zone():
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-xfr-")
    try:
        path = os.path.join(tmp, "big.zone")
        big_zone(path, "big.test.", 100000)
        with serve({"big.test.": path}) as s:
            s.start()
            t0 = time.time()
            got = axfr(s.port, "big.test.")
            dt = time.time() - t0
            want = dns.zone.from_file(path, "big.test.", relativize=False)
            assert records(got) == records(want)
            print(f"  100k-record AXFR in {dt:.2f} s (dnspython client)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- knotd as a secondary -------------------------------------------------

def knot_conf(primary_port):
    return lambda d, port: knot_conf_head(d, port) + f"""remote:
  - id: ringdns
    address: 127.0.0.1@{primary_port}
acl:
  - id: notify
    address: 127.0.0.1
    action: notify
  - id: transfer
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: {d}
    zonefile-sync: -1
    journal-content: changes
zone:
  - domain: xfr.test.
    master: ringdns
    acl: [notify, transfer]
"""


def test_knotd_secondary():
    if not shutil.which("knotd"):
        raise AssertionError("knotd not found (apt-get install knot)")
    with serve({"xfr.test.": zone_text(100)}) as s:
        s.start()
        k = Knotd(knot_conf(s.port))
        try:
            assert wait_for(lambda: k.serial("xfr.test.") == 100, 20), k.logtext()
            assert records(axfr(k.port, "xfr.test.")) == records(axfr(s.port, "xfr.test."))
            # a change at ringdns; knotd's refresh asks by IXFR and gets
            # the whole zone in AXFR form
            s.write("xfr.test.zone", zone_text(101).replace("198.18.0.2", "198.18.0.22"))
            rc, out, err = s.ctl("reload", "xfr.test.")
            assert rc == 0, out + err
            k.ctl("zone-refresh", "xfr.test.")
            assert wait_for(lambda: k.serial("xfr.test.") == 101, 20), k.logtext()
            assert records(axfr(k.port, "xfr.test.")) == records(axfr(s.port, "xfr.test."))
            # from ringdns's journal of what changed
            assert wait_for(lambda: "(IXFR, " in s.logtext(), 5), s.logtext()
            assert "IXFR, incoming" in k.logtext(), k.logtext()
        finally:
            k.close()


def test_ixfr_from_journal():
    """Three versions served one after another: a secondary at any of
    them gets the steps since (RFC 1995 §4), which dnspython applies to
    its copy to the last version exactly; one at the last version gets
    its SOA alone; an unknown serial gets the whole zone."""
    sig = "mail RRSIG A 13 3 300 20300101000000 20200101000000 {} xfr.test. {}\n"
    changed = (zone_text(301).replace("198.18.0.2", "198.18.0.22")       # a record changed
               .replace('big      TXT   "' + BIG + '"\n', "")            # one deleted
               + "new A 198.18.0.77\nnew AAAA 2001:db8::77\n"          # two added
               + sig.format(1111, "AAAA") + sig.format(2222, "BBBB")     # signatures
               + "ns1 RRSIG CAA 13 3 300 20300101000000 20200101000000 7 xfr.test. CCCC\n")
    v = [zone_text(300) + sig.format(1111, "ZZZZ"), changed,
         changed.replace(" 301 ", " 302 ").replace("@        MX    10 mail",
                                                   "@ 60 MX 10 mail")]  # a TTL changed
    with serve({"xfr.test.": v[0]}) as s:
        s.start()
        for text in v[1:]:
            s.write("xfr.test.zone", text)
            rc, out, err = s.ctl("reload", "xfr.test.")
            assert rc == 0, out + err
        for base in (0, 1):
            z = dns.zone.from_text(v[base], "xfr.test.", relativize=False)
            q, _ = dns.xfr.make_query(z)
            dns.query.inbound_xfr("127.0.0.1", z, q, port=s.port, timeout=10, lifetime=30)
            want = dns.zone.from_text(v[2], "xfr.test.", relativize=False)
            assert records(z) == records(want), (base, records(z) ^ records(want))
        assert wait_for(lambda: s.logtext().count("(IXFR, ") >= 2, 5), s.logtext()
        # what the journal holds, as ringctl prints it
        rc, out, err = s.ctl("journal", "xfr.test.")
        assert rc == 0, out + err
        assert "serial 300 -> 301: 3 deleted, 6 added" in out, out
        assert "- mail.xfr.test. 300 IN A 198.18.0.2" in out, out
        assert "+ new.xfr.test. 300 IN AAAA 2001:db8::77" in out, out
        assert "serial 301 -> 302: 1 deleted, 1 added" in out, out
        assert "+ xfr.test. 60 IN MX 10 mail.xfr.test." in out, out
        # up to date: the SOA alone
        q = dns.message.make_query("xfr.test.", "IXFR")
        q.authority.append(dns.rrset.from_text(
            "xfr.test.", 300, "IN", "SOA", "ns1.xfr.test. hostmaster.xfr.test. 302 1 1 1 1"))
        r = dns.query.tcp(q, "127.0.0.1", port=s.port, timeout=5)
        assert len(r.answer) == 1 and r.answer[0].rdtype == dns.rdatatype.SOA, r
        assert wait_for(lambda: "IXFR, up to date" in s.logtext(), 5), s.logtext()
        # a serial the journal does not know: the whole zone
        got = axfr(s.port, "xfr.test.", rdtype="IXFR", serial=250)
        assert records(got) == records(dns.zone.from_text(v[2], "xfr.test.",
                                                           relativize=False))


def notifying_primary(tmp, serial):
    """A ringdns (not started) serving xfr.test. from tmp/xfr.test.zone at
    serial, transfers allowed to 127.0.0.1; notify(port) writes its
    configuration with that secondary to NOTIFY.  Returns (server, zone
    file, notify)."""
    zf = os.path.join(tmp, "xfr.test.zone")
    with open(zf, "w") as f:
        f.write(zone_text(serial))
    cfgp = os.path.join(tmp, "ringdns.yaml")
    s = Server({}, config=cfgp, tmp=tmp, extra=["--allow-transfer", "127.0.0.1"])

    def notify(port):
        with open(cfgp, "w") as f:
            f.write(f"zones:\n  - name: xfr.test.\n    file: {zf}\n"
                    f"    notify: [\"127.0.0.1@{port}\"]\n")
    return s, zf, notify


def test_nsd_secondary():
    """nsd as a secondary of ringdns: its first transfer, then a change
    announced by ringdns's NOTIFY; its copy equal to ringdns's."""
    if not shutil.which("nsd"):
        raise AssertionError("nsd not found (apt-get install nsd)")
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-nsds-")
    n = None
    try:
        s, zf, notify = notifying_primary(tmp, 400)
        n = Nsd("xfr.test.", f"    request-xfr: AXFR 127.0.0.1@{s.port} NOKEY\n"
                "    allow-notify: 127.0.0.1 NOKEY\n")
        notify(n.port)
        with s:
            s.start(ready=lambda: serves(s))
            assert wait_for(lambda: n.serial() == 400, 20), n.logtext() + s.logtext()
            with open(zf, "w") as f:
                f.write(zone_text(401).replace("198.18.0.2", "198.18.0.22"))
            rc, out, err = s.ctl("reload", "xfr.test.")
            assert rc == 0, out + err
            assert wait_for(lambda: n.serial() == 401, 5), n.logtext() + s.logtext()
            q = dns.message.make_query("mail.xfr.test.", "A")
            r = dns.query.udp(q, "127.0.0.1", port=n.port, timeout=1)
            assert r.answer and r.answer[0][0].address == "198.18.0.22", r
    finally:
        if n:
            n.close()
        shutil.rmtree(tmp, ignore_errors=True)


def serves(s):
    try:
        return bool(s.query("xfr.test.", "SOA", timeout=0.5).answer)
    except Exception:
        return False


def test_notify_knotd():
    """ringdns NOTIFYs knotd (zones[].notify) when it serves a new serial:
    knotd's copy follows within 2 s, without being asked otherwise."""
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-notify-")
    try:
        s, zf, notify = notifying_primary(tmp, 200)
        k = Knotd(knot_conf(s.port))
        notify(k.port)
        try:
            with s:
                s.start(ready=lambda: serves(s))
                assert wait_for(lambda: k.serial("xfr.test.") == 200, 20), k.logtext()
                with open(zf, "w") as f:
                    f.write(zone_text(201))
                rc, out, err = s.ctl("reload", "xfr.test.")
                assert rc == 0, out + err
                t0 = time.time()
                assert wait_for(lambda: k.serial("xfr.test.") == 201, 2), \
                    s.logtext() + k.logtext()
                print(f"  knotd at the new serial {time.time() - t0:.2f} s after the reload")
                assert wait_for(lambda: "acknowledged" in s.logtext(), 2), s.logtext()
        finally:
            k.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run([test_axfr_whole_zone, test_ixfr_answered_as_axfr, test_access_list, test_tsig,
         test_big_zone, test_knotd_secondary, test_notify_knotd, test_ixfr_from_journal,
         test_nsd_secondary])
