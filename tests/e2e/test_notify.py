#!/usr/bin/python3
"""End-to-end tests of the messages the dataplane answers with the transfer
peers' help: NOTIFY (RFC 1996) to a secondary zone, acknowledged from one
of its primaries (the zone checked at once: a change at knotd is answered
within 2 s, unsigned and with TSIG), REFUSED from any other address or
unsigned when the zone has a key, NOTAUTH for a zone that is no secondary;
and queries signed with TSIG (RFC 8945), answered signed, BADSIG and BADKEY
refused, so that knotd as a secondary of ringdns with a key works."""
import base64
import os
import shutil
import tempfile
import time

import dns.exception
import dns.flags
import dns.message
import dns.opcode
import dns.query
import dns.rcode
import dns.tsig
import dns.tsigkeyring

from e2elib import Knotd, Server, free_port, knot_conf_head, run, seconds_until, wait_for
from test_xfrin import SECRET, WRONG, knot_primary, mail_of, serial_of, zone

KEY = dns.tsigkeyring.from_text({"xfr.key.": ("hmac-sha256", SECRET)})
BADKEY = dns.tsigkeyring.from_text({"xfr.key.": ("hmac-sha256", WRONG)})
OTHER = dns.tsigkeyring.from_text({"other.key.": ("hmac-sha256", SECRET)})


def secondary_conf(tmp, primary_port, key=False, notify_addr="127.0.0.1"):
    """sec.test. from notify_addr@primary_port (with xfr.key. when key),
    and a primary zone p.test. of ringdns's own."""
    with open(os.path.join(tmp, "p.test.zone"), "w") as f:
        f.write(zone(1).replace("sec.test.", "p.test."))
    text = ""
    if key:
        text += ("keys:\n  - name: xfr.key.\n    algorithm: hmac-sha256\n"
                 f"    secret: \"{SECRET}\"\n")
    text += ("zones:\n  - name: sec.test.\n"
             f"    file: {tmp}/sec.test.zone\n"
             f"    primaries: [\"{notify_addr}@{primary_port}\"]\n")
    if key:
        text += "    key: xfr.key.\n"
    text += f"  - name: p.test.\n    file: {tmp}/p.test.zone\n"
    path = os.path.join(tmp, "ringdns.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def notify_msg(zone_name, keyring=None):
    m = dns.message.make_query(zone_name, "SOA")
    m.set_opcode(dns.opcode.NOTIFY)
    m.flags |= dns.flags.AA
    if keyring:
        m.use_tsig(keyring, keyname=list(keyring)[0])
    return m


def send_notify(s, zone_name, host="127.0.0.1", keyring=None):
    q = notify_msg(zone_name, keyring)
    return dns.query.udp(q, host, port=s.port, timeout=3)


def knot_notifying(text, ringdns_port, key_secret=None):
    """knotd primary of sec.test. (text) that NOTIFYs 127.0.0.1@ringdns_port,
    lets 127.0.0.1 transfer (IXFR from its journal of changes), both with
    key_secret's key when given."""
    return knot_primary(text, key_secret, ixfr=True, notify_port=ringdns_port)


def update(k, text):
    with open(os.path.join(k.dir, "sec.test.zone"), "w") as f:
        f.write(text)
    k.ctl("zone-reload", "sec.test.")


def notified_change(key_secret):
    port = free_port()
    k = knot_notifying(zone(10), port, key_secret)
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-ntf-")
    try:
        cfgp = secondary_conf(tmp, k.port, key=bool(key_secret))
        with Server({}, extra=["--config", cfgp], tmp=tmp, port=port) as s:
            s.start(ready=lambda: serial_of(s) == 10)
            seen = len(k.logtext())	# knotd's NOTIFYs before ringdns was up failed
            update(k, zone(11, mail="198.18.0.22"))
            dt = seconds_until(lambda: serial_of(s) == 11, 5)
            assert dt < 2.0, (dt, s.logtext(), k.logtext())
            assert mail_of(s) == "198.18.0.22"
            assert "NOTIFY from 127.0.0.1" in s.logtext(), s.logtext()
            # the change came as differences (RFC 1995), the primary offering them
            assert " by IXFR" in s.ctl("zones")[1], s.ctl("zones")[1]
            # knotd took our answer to its NOTIFY (signed when it signed)
            assert wait_for(lambda: "notify, outgoing" in k.logtext()[seen:], 5), k.logtext()
            bad = [ln for ln in k.logtext()[seen:].splitlines()
                   if "notify, outgoing" in ln and ("failed" in ln or "TSIG" in ln)]
            assert not bad, bad
            print(f"  NOTIFY -> new serial answered in {dt:.2f} s")
    finally:
        k.close()
        shutil.rmtree(tmp, ignore_errors=True)


def test_notify_from_knotd():
    notified_change(None)


def test_notify_from_knotd_tsig():
    notified_change(SECRET)


def test_notify_acl():
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-ntf-")
    try:
        # the primary (unreachable port) is 127.0.0.1; ::1 is not it
        cfgp = secondary_conf(tmp, 9)
        with Server({}, extra=["--config", cfgp], tmp=tmp) as s:
            s.start(ready=lambda: serial_of(s) is not None or "sec.test" in s.logtext())
            r = send_notify(s, "sec.test.")
            assert r.rcode() == dns.rcode.NOERROR and r.opcode() == dns.opcode.NOTIFY, r
            assert r.flags & dns.flags.QR and r.question[0].name.to_text() == "sec.test."
            assert wait_for(lambda: "NOTIFY from 127.0.0.1" in s.logtext(), 3), s.logtext()
            assert send_notify(s, "sec.test.", host="::1").rcode() == dns.rcode.REFUSED
            # a zone ringdns is primary for, and one it does not have
            assert send_notify(s, "p.test.").rcode() == dns.rcode.NOTAUTH
            assert send_notify(s, "nowhere.test.").rcode() == dns.rcode.NOTAUTH
            # over TCP as well
            q = notify_msg("sec.test.")
            assert dns.query.tcp(q, "::1", port=s.port, timeout=3).rcode() == \
                dns.rcode.REFUSED
            assert dns.query.tcp(q, "127.0.0.1", port=s.port, timeout=3).rcode() == \
                dns.rcode.NOERROR
        # with a key: unsigned or wrongly signed NOTIFYs are not taken
        cfgp = secondary_conf(tmp, 9, key=True)
        with Server({}, extra=["--config", cfgp], tmp=tmp) as s:
            s.start(ready=lambda: "sec.test" in s.logtext())
            assert wait_for(lambda: query_signed(s, KEY) is not None, 5)
            assert send_notify(s, "sec.test.").rcode() == dns.rcode.REFUSED
            r = send_notify(s, "sec.test.", keyring=KEY)
            assert r.rcode() == dns.rcode.NOERROR and r.had_tsig
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def query_signed(s, keyring, name="p.test."):
    """A signed SOA query; the response (its TSIG verified by dnspython),
    or None when there was none, or BADKEY: until the control process has
    sent the dataplane its keys, just after the start."""
    q = dns.message.make_query(name, "SOA")
    q.use_tsig(keyring, keyname=list(keyring)[0])
    try:
        return dns.query.udp(q, "127.0.0.1", port=s.port, timeout=2)
    except (dns.exception.Timeout, dns.tsig.PeerBadKey):
        return None


def test_tsig_signed_queries():
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-ntf-")
    try:
        cfgp = secondary_conf(tmp, 9, key=True)
        with Server({}, extra=["--config", cfgp], tmp=tmp) as s:
            s.start(ready=lambda: "p.test" in s.logtext())
            r = None
            assert wait_for(lambda: query_signed(s, KEY) is not None, 5)
            r = query_signed(s, KEY)
            assert r.rcode() == dns.rcode.NOERROR and r.had_tsig, r
            assert r.answer[0][0].serial == 1
            # over TCP too, a bigger answer
            q = dns.message.make_query("p.test.", "MX")
            q.use_tsig(KEY, keyname="xfr.key.")
            r = dns.query.tcp(q, "127.0.0.1", port=s.port, timeout=3)
            assert r.rcode() == dns.rcode.NOERROR and r.had_tsig and r.answer, r
            # RFC 8945 §5.2: a wrong MAC, an unknown key: NOTAUTH, the
            # error in the TSIG (dnspython raises on it)
            for ring, err in ((BADKEY, dns.tsig.PeerBadSignature),
                              (OTHER, dns.tsig.PeerBadKey)):
                q = dns.message.make_query("p.test.", "SOA")
                q.use_tsig(ring, keyname=list(ring)[0])
                try:
                    dns.query.udp(q, "127.0.0.1", port=s.port, timeout=3)
                    raise AssertionError("no TSIG error for " + str(ring))
                except err:
                    pass
            # unsigned queries are answered as ever
            assert s.query("p.test.", "SOA").rcode() == dns.rcode.NOERROR
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_knotd_secondary_with_key():
    """knotd, a secondary of ringdns with a key: its SOA queries, IXFR and
    AXFR are signed, ringdns's answers verified."""
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-ntf-")
    try:
        with open(os.path.join(tmp, "xfr.test.zone"), "w") as f:
            f.write(zone(5).replace("sec.test.", "xfr.test."))
        extra = ["--allow-transfer", "127.0.0.1", "--key", f"hmac-sha256:xfr.key.:{SECRET}",
                 "--zone-key", "xfr.test.=xfr.key.", "--zone",
                 f"xfr.test.={tmp}/xfr.test.zone"]
        with Server({}, extra=extra, tmp=tmp) as s:
            s.start(ready=lambda: "xfr.test. serial 5" in s.logtext())

            def conf(d, port):
                return knot_conf_head(d, port) + f"""key:
  - id: xfr.key.
    algorithm: hmac-sha256
    secret: {SECRET}
remote:
  - id: ringdns
    address: 127.0.0.1@{s.port}
    key: xfr.key.
acl:
  - id: notify
    address: 127.0.0.1
    key: xfr.key.
    action: notify
template:
  - id: default
    storage: {d}
    zonefile-sync: -1
zone:
  - domain: xfr.test.
    master: ringdns
    acl: notify
"""
            k = Knotd(conf)
            try:
                assert wait_for(lambda: k.serial("xfr.test.") == 5, 20), k.logtext()
                with open(os.path.join(tmp, "xfr.test.zone"), "w") as f:
                    f.write(zone(6).replace("sec.test.", "xfr.test."))
                assert s.ctl("reload", "xfr.test.")[0] == 0
                # knotd's refresh: a signed SOA query answered signed
                k.ctl("zone-refresh", "xfr.test.")
                assert wait_for(lambda: k.serial("xfr.test.") == 6, 20), k.logtext()
                assert "TSIG" not in k.logtext().replace("TSIG key", ""), k.logtext()
            finally:
                k.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run([test_notify_acl, test_tsig_signed_queries, test_notify_from_knotd,
         test_notify_from_knotd_tsig, test_knotd_secondary_with_key])
