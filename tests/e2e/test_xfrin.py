#!/usr/bin/python3
"""End-to-end tests of the secondary role: ringdns transfers its zone from
knotd and from nsd (and with TSIG from knotd, a wrong key refused), picks
up a change on `ringctl refresh`, keeps the transferred zone on disk so a
restart serves it at once with the primary down, and refuses broken
transfers from a scripted primary (cut, garbage, SOA serials that differ,
a record out of zone, a wrong TSIG) while the previous version serves.
Once it serves a version it asks by IXFR (RFC 1995): steps from knotd's
journal (and nsd's, from NSD 4.7) are applied, broken ones from the
scripted primary refused whole, and the fallbacks to AXFR taken."""
import base64
import os
import re
import shutil
import signal
import socketserver
import struct
import subprocess
import tempfile
import threading
import time

import dns.message
import dns.name
import dns.query
import dns.rcode
import dns.rdatatype
import dns.rrset
import dns.tsigkeyring

from e2elib import (Knotd, Nsd, Server, free_port, knot_primary_conf, run, temp_files,
                    wait_for)

ZONE = """$ORIGIN sec.test.
$TTL 300
@        SOA   ns1 hostmaster {serial} 3600 900 604800 300
@        NS    ns1
@        MX    10 mail
ns1      A     198.18.0.1
mail     A     {mail}
{wild}sub      NS    ns.sub
ns.sub   A     198.18.0.4
{extra}"""
SECRET = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
WRONG = base64.b64encode(b"fedcba9876543210fedcba9876543210").decode()


def zone(serial, mail="198.18.0.2", wild=True, extra=""):
    return ZONE.format(serial=serial, mail=mail, extra=extra,
                       wild='*.wild   TXT   "wildcard"\n' if wild else "")


def config(tmp, primary_port, key_secret=None, server=""):
    """ringdns's configuration: sec.test. from 127.0.0.1@primary_port
    (server: lines of its server section)."""
    keys = "server:\n" + server if server else ""
    key = ""
    if key_secret:
        keys += f"keys:\n  - name: xfr.key.\n    algorithm: hmac-sha256\n    secret: \"{key_secret}\"\n"
        key = "    key: xfr.key.\n"
    text = (keys + "zones:\n  - name: sec.test.\n"
            f"    file: {tmp}/sec.test.zone\n"
            f"    primaries: [\"127.0.0.1@{primary_port}\"]\n" + key)
    path = os.path.join(tmp, "ringdns.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def serial_of(s):
    try:
        r = s.query("sec.test.", "SOA", timeout=0.5)
        return r.answer[0][0].serial if r.answer else None
    except Exception:
        return None


def mail_of(s):
    r = s.query("mail.sec.test.", "A", timeout=1)
    return r.answer[0][0].address if r.answer else None


def knot_primary(text, key_secret=None, ixfr=False, notify_port=None):
    """knotd serving sec.test. (text) as a primary; transfers allowed to
    127.0.0.1, with key_secret's TSIG key when given; with ixfr, a reload
    keeps the difference in its journal, so that it answers IXFR; with
    notify_port, it NOTIFYs 127.0.0.1 there (signed with the key too)."""
    load = ("    zonefile-load: difference\n    journal-content: changes\n" if ixfr
            else "    zonefile-load: whole\n    journal-content: none\n")
    keyconf = acl_key = ""
    if key_secret:
        keyconf = f"key:\n  - id: xfr.key.\n    algorithm: hmac-sha256\n    secret: {key_secret}\n"
        acl_key = "    key: xfr.key.\n"

    def conf(d, port):
        with open(os.path.join(d, "sec.test.zone"), "w") as f:
            f.write(text)
        c = knot_primary_conf(d, port, ["sec.test."], keyconf, acl_key)
        if notify_port:
            c = c.replace("acl:\n", "remote:\n  - id: sec\n"
                          f"    address: 127.0.0.1@{notify_port}\n{acl_key}acl:\n", 1)
            c = c.replace("    acl: xfr\n", "    acl: xfr\n    notify: sec\n")
        return c.replace("    zonefile-load: whole\n    journal-content: none\n", load)
    k = Knotd(conf)
    assert wait_for(lambda: k.serial("sec.test.") is not None, 10), k.logtext()
    return k


def knot_update(k, text):
    with open(os.path.join(k.dir, "sec.test.zone"), "w") as f:
        f.write(text)
    k.ctl("zone-reload", "sec.test.")


def secondary(primary_port, key_secret=None, server=""):
    """ringdns as a secondary in a new directory; {tmp} in server lines
    is that directory, and {tmp}/cache is made."""
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-sec-")
    os.mkdir(os.path.join(tmp, "cache"))
    cfgp = config(tmp, primary_port, key_secret, server.replace("{tmp}", tmp))
    return Server({}, extra=["--config", cfgp], tmp=tmp), tmp


def restart_serves(tmp, serial, mail):
    """A restart with the primary gone serves the version kept in tmp at
    once."""
    s2 = Server({}, extra=["--config", os.path.join(tmp, "ringdns.yaml")], tmp=tmp)
    with s2:
        s2.start(ready=lambda: serial_of(s2) == serial)
        assert mail_of(s2) == mail


def test_from_knotd():
    k = knot_primary(zone(10))
    tmp = None
    try:
        s, tmp = secondary(k.port)
        with s:
            s.start(ready=lambda: serial_of(s) == 10)
            assert mail_of(s) == "198.18.0.2"
            # kept on disk, whole (written once the version is served)
            assert wait_for(lambda: os.path.exists(os.path.join(tmp, "sec.test.zone")))
            with open(os.path.join(tmp, "sec.test.zone")) as f:
                assert "transferred from 127.0.0.1@" in f.read()
            # a change at the primary, picked up on refresh
            knot_update(k, zone(11, mail="198.18.0.22"))
            rc, out, err = s.ctl("refresh", "sec.test.")
            assert rc == 0, out + err
            assert wait_for(lambda: serial_of(s) == 11, 2), s.logtext()
            assert mail_of(s) == "198.18.0.22"
            rc, out, err = s.ctl("zones")
            assert "secondary of 127.0.0.1@" in out, out
            # nothing newer: a check leaves it alone
            rc, out, err = s.ctl("refresh", "sec.test.")
            time.sleep(1)
            assert serial_of(s) == 11
        k.close()
        k = None
        restart_serves(tmp, 11, "198.18.0.22")
    finally:
        if k:
            k.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def test_tsig_with_knotd():
    k = knot_primary(zone(20), key_secret=SECRET)
    try:
        s, tmp = secondary(k.port, key_secret=SECRET)
        with s:
            s.start(ready=lambda: serial_of(s) == 20)
        shutil.rmtree(tmp, ignore_errors=True)
        s, tmp = secondary(k.port, key_secret=WRONG)
        with s:
            s.start(ready=lambda: "TSIG" in s.logtext() or "BADSIG" in s.logtext()
                    or "NOTAUTH" in s.logtext())
            time.sleep(0.5)
            assert serial_of(s) is None
        shutil.rmtree(tmp, ignore_errors=True)
    finally:
        k.close()


def knot_step(k, text, serial):
    """knot_update, then wait until knotd serves serial."""
    knot_update(k, text)
    assert wait_for(lambda: k.serial("sec.test.") == serial, 10), k.logtext()


def zones_line(s):
    """The secondary line of `ringctl zones`."""
    rc, out, err = s.ctl("zones")
    assert rc == 0, out + err
    return next((ln for ln in out.splitlines() if "secondary of" in ln), out)


def refresh_to(s, serial):
    rc, out, err = s.ctl("refresh", "sec.test.")
    assert rc == 0, out + err
    assert wait_for(lambda: serial_of(s) == serial, 5), s.logtext()


def test_ixfr_from_knotd():
    """knotd keeps its changes in a journal and answers IXFR: ringdns
    asks by IXFR once it serves a version, applies one step, then two at
    once (its image cache holding the version before), keeps the result
    on disk, and serves the steps to its own secondaries by IXFR in turn
    (from the steps, not a walk)."""
    k = knot_primary(zone(40), ixfr=True)
    tmp = None
    try:
        s, tmp = secondary(k.port, server="  allow-transfer: 127.0.0.1\n"
                           "  cache-dir: {tmp}/cache\n")
        with s:
            s.start(ready=lambda: serial_of(s) == 40)
            assert "by AXFR" in zones_line(s), zones_line(s)
            # the file's image cached (a file 2 s old): a transfer must not
            # serve that image as its new version
            time.sleep(2.1)
            s.ctl("reload", "sec.test.")
            assert wait_for(lambda: "image cached" in s.logtext(), 5), s.logtext()
            # one step: mail changed, *.wild gone, new added
            knot_step(k, zone(41, mail="198.18.0.41", wild=False,
                              extra="new A 198.18.0.141\n"), 41)
            refresh_to(s, 41)
            assert mail_of(s) == "198.18.0.41"
            assert s.query("x.wild.sec.test.", "TXT").rcode() == dns.rcode.NXDOMAIN
            assert s.query("new.sec.test.", "A").answer[0][0].address == "198.18.0.141"
            assert "by IXFR" in zones_line(s), zones_line(s)
            assert "IXFR, outgoing" in k.logtext(), k.logtext()
            assert "(IXFR, 1 steps" in s.logtext(), s.logtext()
            # two versions behind: two steps in one IXFR
            knot_step(k, zone(42, mail="198.18.0.42", wild=False,
                              extra="new A 198.18.0.141\n"), 42)
            knot_step(k, zone(43, mail="198.18.0.42", wild=False,
                              extra="new A 198.18.0.143\n"), 43)
            refresh_to(s, 43)
            assert "(IXFR, 2 steps" in s.logtext(), s.logtext()
            assert mail_of(s) == "198.18.0.42"
            new = s.query("new.sec.test.", "A").answer[0]
            assert [r.address for r in new] == ["198.18.0.143"], new
            # the zone file holds the new version (written by a child of
            # ringdns-control once the version is served)
            def zone_file():
                with open(os.path.join(tmp, "sec.test.zone")) as f:
                    return f.read()
            assert wait_for(lambda: "198.18.0.143" in zone_file(), 5), zone_file()
            text = zone_file()
            assert "198.18.0.143" in text and "198.18.0.141" not in text, text
            assert "wildcard" not in text and " 43 3600 " in text, text
            # kept in the journal from the steps: IXFR out from 41
            rc, out, err = s.ctl("journal", "sec.test.")
            assert "serial 41 -> 42" in out and "serial 42 -> 43" in out, out
            assert "journal:" not in s.logtext()  # no image walk logged
            soas = [rrs[0].serial for m in dns.query.xfr(
                "127.0.0.1", "sec.test.", rdtype=dns.rdatatype.IXFR, serial=41, port=s.port,
                timeout=5) for rrs in m.answer for _ in rrs if rrs.rdtype == dns.rdatatype.SOA]
            assert soas == [43, 41, 42, 42, 43, 43], soas
        # a restart serves what the file holds, the primary gone or not
        k.close()
        restart_serves(tmp, 43, "198.18.0.42")
    finally:
        k.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def test_from_nsd():
    if not shutil.which("nsd"):
        raise AssertionError("nsd not found (apt-get install nsd)")
    n = Nsd("sec.test.", "    provide-xfr: 127.0.0.1 NOKEY\n", text=zone(30))
    tmp = None
    try:
        assert wait_for(lambda: n.serial() == 30, 10), n.logtext()
        s, tmp = secondary(n.port)
        with s:
            s.start(ready=lambda: serial_of(s) == 30)
            assert mail_of(s) == "198.18.0.2"
    finally:
        n.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def nsd_version():
    """NSD's (major, minor) from `nsd -v`."""
    r = subprocess.run(["nsd", "-v"], capture_output=True, text=True, timeout=10)
    m = re.search(r"NSD version (\d+)\.(\d+)", r.stdout + r.stderr)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def test_ixfr_from_nsd():
    """nsd keeps the differences of its zone file's reloads (store-ixfr,
    create-ixfr: NSD 4.7 and later) and answers IXFR: ringdns applies
    the step."""
    if not shutil.which("nsd"):
        raise AssertionError("nsd not found (apt-get install nsd)")
    major, minor = nsd_version()
    if (major, minor) < (4, 7):
        print(f"  skipped: NSD {major}.{minor} answers IXFR with the whole zone only "
              "(store-ixfr and create-ixfr came in NSD 4.7)")
        return
    n = Nsd("sec.test.", "    provide-xfr: 127.0.0.1 NOKEY\n    store-ixfr: yes\n"
            "    create-ixfr: yes\n", text=zone(50))
    tmp = None
    try:
        assert wait_for(lambda: n.serial() == 50, 10), n.logtext()
        s, tmp = secondary(n.port)
        with s:
            s.start(ready=lambda: serial_of(s) == 50)
            with open(os.path.join(n.dir, "sec.test.zone"), "w") as f:
                f.write(zone(51, mail="198.18.0.51", wild=False))
            n.proc.send_signal(signal.SIGHUP)
            assert wait_for(lambda: n.serial() == 51, 10), n.logtext()
            refresh_to(s, 51)
            assert mail_of(s) == "198.18.0.51"
            assert s.query("x.wild.sec.test.", "TXT").rcode() == dns.rcode.NXDOMAIN
            assert "by IXFR" in zones_line(s), zones_line(s)
    finally:
        n.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


# ---- a scripted primary: SOA over UDP, the transfer over TCP ------------

class Scripted:
    """Answers SOA queries with serial `serial` and AXFR with `stream`, a
    function of the query returning the bytes to send on the connection
    (IXFR with `ixfr` when set, else `stream` too); TSIG with keyring.
    The types of the transfer queries go to `qtypes`."""

    def __init__(self, serial, port=None, keyring=None):
        self.port = port or free_port()
        self.serial = serial
        self.stream = None
        self.ixfr = None
        self.qtypes = []
        outer = self

        class U(socketserver.BaseRequestHandler):
            def handle(self):
                data, sock = self.request
                q = dns.message.from_wire(data, keyring=keyring)
                r = dns.message.make_response(q)
                r.flags |= dns.flags.AA
                r.answer.append(dns.rrset.from_text(
                    "sec.test.", 300, "IN", "SOA",
                    f"ns1.sec.test. hostmaster.sec.test. {outer.serial} 3600 900 604800 300"))
                sock.sendto(r.to_wire(), self.client_address)

        class T(socketserver.BaseRequestHandler):
            def handle(self):
                ln = struct.unpack("!H", self.request.recv(2))[0]
                q = dns.message.from_wire(self.request.recv(ln), keyring=keyring)
                qtype = q.question[0].rdtype
                outer.qtypes.append(qtype)
                ixfr = outer.ixfr if qtype == dns.rdatatype.IXFR else None
                self.request.sendall((ixfr or outer.stream)(q))

        socketserver.ThreadingUDPServer.allow_reuse_address = True
        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.u = socketserver.ThreadingUDPServer(("127.0.0.1", self.port), U)
        self.t = socketserver.ThreadingTCPServer(("127.0.0.1", self.port), T)
        for srv in (self.u, self.t):
            threading.Thread(target=srv.serve_forever, daemon=True).start()

    def close(self):
        for srv in (self.u, self.t):
            if srv.socket.fileno() >= 0:
                srv.shutdown()
                srv.server_close()


def framed(msgs):
    return b"".join(struct.pack("!H", len(m)) + m for m in msgs)


def axfr_msgs(q, serial, records, end_serial=None, timers="3600 900 604800 300"):
    """A one-message AXFR answer: SOA, records (text lines), SOA."""
    r = dns.message.make_response(q)
    soa = "ns1.sec.test. hostmaster.sec.test. {} " + timers
    r.answer.append(dns.rrset.from_text("sec.test.", 300, "IN", "SOA", soa.format(serial)))
    for owner, rtype, rdata in records:
        r.answer.append(dns.rrset.from_text(owner, 300, "IN", rtype, rdata))
    r.answer.append(dns.rrset.from_text("sec.test.", 300, "IN", "SOA",
                                        soa.format(end_serial or serial)))
    return r.to_wire()


def big_stream(q):
    """Twenty messages of ~55 KB: 1.1 MB, past a 1 MiB limit."""
    msgs = []
    soa = "ns1.sec.test. hostmaster.sec.test. 6 3600 900 604800 300"
    for i in range(20):
        r = dns.message.make_response(q)
        if i == 0:
            r.answer.append(dns.rrset.from_text("sec.test.", 300, "IN", "SOA", soa))
        r.answer.append(dns.rrset.from_text(f"t{i}.sec.test.", 300, "IN", "TXT",
                                            *[f'"{j:03d} {"x" * 200}"' for j in range(250)]))
        if i == 19:
            r.answer.append(dns.rrset.from_text("sec.test.", 300, "IN", "SOA", soa))
        msgs.append(r.to_wire())
    return framed(msgs)


GOOD = [("sec.test.", "NS", "ns1.sec.test."), ("ns1.sec.test.", "A", "198.18.0.1"),
        ("mail.sec.test.", "A", "198.18.0.2")]


def test_broken_transfers_refused():
    p = Scripted(5)
    p.stream = lambda q: framed([axfr_msgs(q, 5, GOOD)])
    tmp = None
    try:
        s, tmp = secondary(p.port, server="  xfr-max-mb: 1\n")
        with s:
            s.start(ready=lambda: serial_of(s) == 5)
            cases = [
                ("larger than xfr-max-mb", big_stream, "larger than 1 MiB"),
                ("cut", lambda q: framed([axfr_msgs(q, 6, GOOD)])[:-40], "cut"),
                ("garbage", lambda q: struct.pack("!H", 40) + os.urandom(40), "not a response"),
                ("serials differ", lambda q: framed([axfr_msgs(q, 6, GOOD, end_serial=7)]),
                 "serial changed"),
                ("out of zone", lambda q: framed([axfr_msgs(q, 6, GOOD + [
                    ("www.other.test.", "A", "198.18.0.9")])]), "is not in zone"),
                ("no SOA first", lambda q: framed([dns.message.make_response(q).to_wire()]),
                 "cut"),
            ]
            for what, stream, reason in cases:
                p.serial = 6
                p.stream = stream
                before = s.logtext()
                rc, out, err = s.ctl("refresh", "sec.test.")
                assert rc == 0, out + err
                assert wait_for(lambda: reason in s.logtext()[len(before):], 5), \
                    f"{what}: {s.logtext()[len(before):]}"
                assert serial_of(s) == 5, what
                assert mail_of(s) == "198.18.0.2", what
                assert not temp_files(tmp), what
            # a serial going backwards is not newer (RFC 1982): nothing moves
            p.serial = 4
            p.stream = lambda q: framed([axfr_msgs(q, 4, GOOD)])
            s.ctl("refresh", "sec.test.")
            time.sleep(1)
            assert serial_of(s) == 5
            # and a good one still goes through
            p.serial = 6
            p.stream = lambda q: framed([axfr_msgs(q, 6, GOOD)])
            s.ctl("refresh", "sec.test.")
            assert wait_for(lambda: serial_of(s) == 6, 3), s.logtext()
    finally:
        p.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


SOA = "ns1.sec.test. hostmaster.sec.test. {} 3600 900 604800 300"


def ixfr_msgs(q, end, steps, per_msg=0):
    """An IXFR answer in incremental form (RFC 1995 §4): end's SOA, per
    step (FROM, TO, DELETED, ADDED) FROM's SOA, the records deleted, TO's
    SOA, the records added; end's SOA again.  per_msg records a message
    (0: one message).  The messages, not yet rendered."""
    soa = lambda n: dns.rrset.from_text("sec.test.", 300, "IN", "SOA", SOA.format(n))
    rrs = [soa(end)]
    for frm, to, deleted, added in steps:
        rrs += [soa(frm)] + [dns.rrset.from_text(o, 300, "IN", t, d) for o, t, d in deleted]
        rrs += [soa(to)] + [dns.rrset.from_text(o, 300, "IN", t, d) for o, t, d in added]
    rrs.append(soa(end))
    n = per_msg or len(rrs)
    msgs = []
    for i in range(0, len(rrs), n):
        r = dns.message.make_response(q)
        r.answer = rrs[i:i + n]
        msgs.append(r)
    return msgs


def signed(msgs, corrupt=None):
    """The messages rendered and framed, each signed after the one before
    when the query was (RFC 8945 §5.3.1); corrupt: the index of one whose
    MAC is then altered."""
    out, ctx = [], None
    for i, m in enumerate(msgs):
        w = m.to_wire(multi=len(msgs) > 1, tsig_ctx=ctx)
        ctx = getattr(m, "tsig_ctx", None)
        if i == corrupt:
            w = w[:-20] + bytes([w[-20] ^ 0x55]) + w[-19:]
        out.append(w)
    return framed(out)


def soa_alone(q, serial):
    """An IXFR answer of one SOA (RFC 1995 §4: no steps to give)."""
    r = dns.message.make_response(q)
    r.answer.append(dns.rrset.from_text("sec.test.", 300, "IN", "SOA", SOA.format(serial)))
    return framed([r.to_wire()])


def error_answer(rcode):
    def stream(q):
        r = dns.message.make_response(q)
        r.set_rcode(rcode)
        return framed([r.to_wire()])
    return stream


MAIL2 = ("mail.sec.test.", "A", "198.18.0.2")


def zone_file(tmp):
    """The zone's file, once there (written after the version is served)."""
    path = os.path.join(tmp, "sec.test.zone")
    assert wait_for(lambda: os.path.exists(path)), path
    with open(path, "rb") as f:
        return f.read()


def refused_case(s, p, tmp, what, ixfr, reason, forced):
    """One IXFR the secondary refuses: the reason logged and shown by
    `ringctl zones`, serial 5 still answered, the zone file as it was,
    no temporary file left; when forced, the next check asks by AXFR."""
    p.serial = 6
    p.ixfr = ixfr
    before, text = s.logtext(), zone_file(tmp)
    rc, out, err = s.ctl("refresh", "sec.test.")
    assert rc == 0, out + err
    assert wait_for(lambda: reason in s.logtext()[len(before):], 5), \
        f"{what}: {s.logtext()[len(before):]}"
    # the child logs its reason; the control process reaps it soon after
    assert wait_for(lambda: reason in zones_line(s), 2), (what, zones_line(s))
    print(f"  {what}: {zones_line(s).split('error: ')[1]}")
    assert p.qtypes[-1] == dns.rdatatype.IXFR, what
    assert serial_of(s) == 5 and mail_of(s) == "198.18.0.2", what
    assert zone_file(tmp) == text, what
    assert not temp_files(tmp), what
    if forced:
        # RFC 1995 §4: the versions disagree; the next check takes it all
        assert "the next check transfers the whole zone" in s.logtext()[len(before):], what
        before = s.logtext()
        s.ctl("refresh", "sec.test.")
        assert wait_for(lambda: "(AXFR, " in s.logtext()[len(before):], 5), what
        assert p.qtypes[-1] == dns.rdatatype.AXFR, what
        assert wait_for(lambda: "by AXFR" in zones_line(s), 2), (what, zones_line(s))


def test_ixfr_refused_and_fallbacks():
    """Broken IXFR answers from a scripted primary are refused, nothing
    half applied; IXFR refused or answered with the SOA alone falls back
    to AXFR; a good one of two steps over three messages applies."""
    p = Scripted(5)
    p.stream = lambda q: framed([axfr_msgs(q, 5, GOOD)])
    tmp = None
    try:
        s, tmp = secondary(p.port)
        with s:
            s.start(ready=lambda: serial_of(s) == 5)
            one = lambda dele, add: lambda q: signed(ixfr_msgs(q, 6, [(5, 6, dele, add)]))
            cases = [
                ("deletes a record not there",
                 one([("gone.sec.test.", "A", "198.18.0.99")], []), "which serial 5 does not hold",
                 True),
                ("adds a record there", one([], [MAIL2]), "holds already", True),
                ("serial goes back", lambda q: signed(ixfr_msgs(q, 6, [(5, 7, [], []),
                                                                      (7, 6, [], [])])),
                 "7 -> 6: the serial does not increase", True),
                ("starts elsewhere", lambda q: signed(ixfr_msgs(q, 6, [(4, 6, [], [])])),
                 "does not start at serial 5", True),
                ("truncated", lambda q: signed(ixfr_msgs(q, 6, [(5, 6, [MAIL2], [])]))[:-30],
                 "cut", False),
                ("garbage", lambda q: struct.pack("!H", 40) + os.urandom(40),
                 "not a response", False),
                ("out of zone", one([], [("www.other.test.", "A", "198.18.0.9")]),
                 "is not in zone", False),
            ]
            for what, ixfr, reason, forced in cases:
                refused_case(s, p, tmp, what, ixfr, reason, forced)
            # a good one: two steps, three messages
            p.serial = 7
            p.ixfr = lambda q: signed(ixfr_msgs(q, 7, [
                (5, 6, [MAIL2], [("mail.sec.test.", "A", "198.18.0.6")]),
                (6, 7, [], [("new.sec.test.", "A", "198.18.0.7")])], per_msg=3))
            refresh_to(s, 7)
            assert "by IXFR" in zones_line(s), zones_line(s)
            assert mail_of(s) == "198.18.0.6"
            assert s.query("new.sec.test.", "A").answer[0][0].address == "198.18.0.7"
            # IXFR refused, then answered with a newer SOA alone: by AXFR
            for serial, ixfr in ((8, error_answer(dns.rcode.NOTIMP)),
                                 (9, lambda q: soa_alone(q, 9))):
                p.serial, p.ixfr = serial, ixfr
                p.stream = lambda q, n=serial: framed([axfr_msgs(q, n, GOOD)])
                refresh_to(s, serial)
                assert p.qtypes[-2:] == [dns.rdatatype.IXFR, dns.rdatatype.AXFR], p.qtypes
                assert "by AXFR" in zones_line(s), zones_line(s)
    finally:
        p.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def test_transfer_record_limit():
    """zone-max-records bounds what a primary may send: an AXFR (or IXFR
    answered with the whole zone) of more records is refused as it comes,
    an IXFR whose result would hold more is refused when applied; serial 5
    keeps serving and the reason names the key."""
    p = Scripted(5)
    p.stream = lambda q: framed([axfr_msgs(q, 5, GOOD)])
    tmp = None
    try:
        # SOA and GOOD: 4 records; 8 at most
        s, tmp = secondary(p.port, server="  zone-max-records: 8\n")
        with s:
            s.start(ready=lambda: serial_of(s) == 5)
            many = [(f"h{i}.sec.test.", "A", "198.18.1.1") for i in range(5)]
            p.serial = 6
            p.stream = lambda q: framed([axfr_msgs(q, 6, GOOD + many)])
            before = s.logtext()
            rc, out, err = s.ctl("refresh", "sec.test.")
            assert rc == 0, out + err
            reason = "more than 8 records (zone-max-records)"
            assert wait_for(lambda: reason in s.logtext()[len(before):], 5), s.logtext()
            assert wait_for(lambda: reason in zones_line(s), 2), zones_line(s)
            assert serial_of(s) == 5 and mail_of(s) == "198.18.0.2"
            # the same in steps: 4 + 5 records
            p.ixfr = lambda q: signed(ixfr_msgs(q, 6, [(5, 6, [], many)]))
            refused_case(s, p, tmp, "past zone-max-records", p.ixfr, reason, False)
            # 8 records exactly: served
            p.ixfr = None
            p.stream = lambda q: framed([axfr_msgs(q, 6, GOOD + many[:4])])
            refresh_to(s, 6)
            assert s.query("h3.sec.test.", "A").answer
    finally:
        p.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def test_ixfr_tsig():
    """A signed IXFR of three messages applies; one whose middle message
    fails TSIG is refused (RFC 8945 §5.3.1: every message verified)."""
    keyring = dns.tsigkeyring.from_text({"xfr.key.": ("hmac-sha256", SECRET)})
    p = Scripted(5, keyring=keyring)
    p.stream = lambda q: framed([axfr_msgs(q, 5, GOOD)])  # signed as q was
    tmp = None
    try:
        s, tmp = secondary(p.port, key_secret=SECRET)
        with s:
            s.start(ready=lambda: serial_of(s) == 5)
            steps = [(5, 6, [MAIL2], [("mail.sec.test.", "A", "198.18.0.6")])]
            refused_case(s, p, tmp, "TSIG in the middle",
                         lambda q: signed(ixfr_msgs(q, 6, steps, per_msg=2), corrupt=1),
                         "TSIG", False)
            p.ixfr = lambda q: signed(ixfr_msgs(q, 6, steps, per_msg=2))
            refresh_to(s, 6)
            assert mail_of(s) == "198.18.0.6" and "by IXFR" in zones_line(s)
    finally:
        p.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def expiring_primary(serial, port=None):
    """A scripted primary of serial whose SOA expires the zone 3 s after
    the last refresh (refresh and retry 1 s)."""
    p = Scripted(serial, port=port) if port else Scripted(serial)
    p.stream = lambda q: framed([axfr_msgs(q, serial, GOOD, timers="1 1 3 300")])
    return p


def test_expire():
    """A zone whose primary stays silent past the SOA's expire time
    answers SERVFAIL (RFC 1035 §3.3.13), and serves again once a transfer
    succeeds."""
    p = expiring_primary(5)
    tmp = None
    try:
        s, tmp = secondary(p.port)
        with s:
            s.start(ready=lambda: serial_of(s) == 5)
            p.close()  # the primary goes silent
            t0 = time.time()
            assert wait_for(lambda: rcode_of(s) == dns.rcode.SERVFAIL, 10), s.logtext()
            print(f"  SERVFAIL {time.time() - t0:.1f} s after the primary went away")
            rc, out, err = s.ctl("zones")
            assert "EXPIRED" in out, out
            # with EDNS: the Extended DNS Error Invalid Data (RFC 8914 §4.25)
            r = s.query("mail.sec.test.", "A", use_edns=0)
            assert [(o.otype, o.code) for o in r.options] == [(15, 24)], r
            # back: a primary on the same port with a newer serial
            p = expiring_primary(6, p.port)
            s.ctl("refresh", "sec.test.")
            assert wait_for(lambda: serial_of(s) == 6, 5), s.logtext()
            assert rcode_of(s) == dns.rcode.NOERROR
    finally:
        p.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def test_expire_same_serial():
    """An expired zone whose primary comes back with the serial it had
    serves again at the next refresh (RFC 1034 §4.3.5: the copy is
    current), without a transfer."""
    p = expiring_primary(5)
    tmp = None
    try:
        s, tmp = secondary(p.port)
        with s:
            s.start(ready=lambda: serial_of(s) == 5)
            p.close()
            assert wait_for(lambda: rcode_of(s) == dns.rcode.SERVFAIL, 10), s.logtext()
            p = expiring_primary(5, p.port)
            s.ctl("refresh", "sec.test.")
            assert wait_for(lambda: rcode_of(s) == dns.rcode.NOERROR, 5), s.logtext()
            rc, out, err = s.ctl("zones")
            assert "EXPIRED" not in out, out
            assert "served again" in s.logtext()
    finally:
        p.close()
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def rcode_of(s):
    try:
        return s.query("mail.sec.test.", "A", timeout=0.5).rcode()
    except Exception:
        return None


if __name__ == "__main__":
    run([test_from_knotd, test_tsig_with_knotd, test_ixfr_from_knotd, test_from_nsd,
         test_ixfr_from_nsd, test_broken_transfers_refused, test_ixfr_refused_and_fallbacks,
         test_ixfr_tsig, test_transfer_record_limit, test_expire, test_expire_same_serial])
