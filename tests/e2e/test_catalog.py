#!/usr/bin/python3
"""End-to-end tests of catalog zones (RFC 9432), the consumer role: knotd
serves a hand-written catalog zone and its member zones, nsd a member of
another group; ringdns serves the members the catalog lists, takes each
one's primaries from the template its group names, adds and removes
members as the catalog changes (on `ringctl refresh` of the catalog, or
at knotd's NOTIFY),
refuses broken catalog versions while the members of the last valid one
serve, resets a member whose unique-id changes, hands a member over to
another catalog that a coo property names, and after a restart with the
primaries gone serves the members at once from their files."""
import os
import shutil
import signal
import tempfile
import time

import dns.rcode

from e2elib import Knotd, Nsd, Server, free_port, knot_primary_conf, run, seconds_until, wait_for

CAT_HEAD = """$ORIGIN {cat}
$TTL 0
@ SOA invalid. hostmaster.invalid. {serial} 3600 600 86400 0
@ NS invalid.
"""

MEMBER = """$ORIGIN {zone}
$TTL 300
@     SOA ns1 hostmaster {serial} 3600 900 604800 300
@     NS  ns1
ns1   A   198.18.0.1
www   TXT "{text}"
"""

# members knotd serves; grp.test. too (with other data than nsd's, so
# that a wrong template shows as the wrong answer, not as none)
KNOT_ZONES = ["m1.test.", "m2.test.", "m3.test.", "m4.test.", "grp.test.",
              "conf.test."]


def member_text(zone, text, serial=1):
    return MEMBER.format(zone=zone, serial=serial, text=text)


def catalog_text(cat, serial, body, version='"2"'):
    head = CAT_HEAD.format(cat=cat, serial=serial)
    if version is not None:
        head += f"version TXT {version}\n"
    return head + body


class Primaries:
    """knotd serving cat.test., cat2.test. and KNOT_ZONES; nsd serving
    grp.test. with its own data."""

    def __init__(self):
        self.knot = None
        self.nsd = None

    def start(self, cat_body, cat2_body="", notify_port=None):
        """notify_port: knotd NOTIFYs 127.0.0.1 there of every change."""
        def conf(d, port):
            for z in KNOT_ZONES:
                with open(os.path.join(d, z + "zone"), "w") as f:
                    f.write(member_text(z, f"{z} from knotd"))
            for cat, body in (("cat.test.", cat_body), ("cat2.test.", cat2_body)):
                with open(os.path.join(d, cat + "zone"), "w") as f:
                    f.write(catalog_text(cat, 1, body))
            c = knot_primary_conf(d, port, KNOT_ZONES + ["cat.test.", "cat2.test."])
            if notify_port:
                c = c.replace("acl:\n", "remote:\n  - id: sec\n"
                              f"    address: 127.0.0.1@{notify_port}\nacl:\n", 1)
                c = c.replace("    acl: xfr\n", "    acl: xfr\n    notify: sec\n")
                # changes journaled: the catalog's new version comes by IXFR
                c = c.replace("    zonefile-load: whole\n    journal-content: none\n",
                              "    zonefile-load: difference\n    journal-content: changes\n")
            return c
        self.knot = Knotd(conf)
        self.nsd = Nsd("grp.test.", "    provide-xfr: 127.0.0.1 NOKEY\n",
                       text=member_text("grp.test.", "grp.test. from nsd"))
        assert wait_for(lambda: self.knot.serial("cat.test.") == 1, 10), self.knot.logtext()
        assert wait_for(lambda: self.nsd.serial() == 1, 10), self.nsd.logtext()
        return self

    def catalog(self, cat, serial, body, version='"2"'):
        """A new version of catalog cat at knotd."""
        with open(os.path.join(self.knot.dir, cat + "zone"), "w") as f:
            f.write(catalog_text(cat, serial, body, version))
        self.knot.ctl("zone-reload", cat)
        assert wait_for(lambda: self.knot.serial(cat) == serial, 10), self.knot.logtext()

    def close(self):
        if self.knot:
            self.knot.close()
        if self.nsd:
            self.nsd.close()


def ringdns_config(tmp, knot_port, nsd_port):
    os.makedirs(os.path.join(tmp, "members"))
    os.makedirs(os.path.join(tmp, "alt"))
    os.makedirs(os.path.join(tmp, "cache"))
    with open(os.path.join(tmp, "conf.test.zone"), "w") as f:
        f.write(member_text("conf.test.", "conf.test. from the file"))
    text = f"""server:
  cache-dir: {tmp}/cache
zones:
  - name: conf.test.
    file: conf.test.zone
  - name: cat.test.
    file: cat.test.zone
    primaries: 127.0.0.1@{knot_port}
    catalog: true
    catalog-template: main
  - name: cat2.test.
    file: cat2.test.zone
    primaries: 127.0.0.1@{knot_port}
    catalog: true
templates:
  - id: main
    primaries: 127.0.0.1@{knot_port}
    storage: members
  - id: alt
    primaries: 127.0.0.1@{nsd_port}
    storage: alt
"""
    path = os.path.join(tmp, "ringdns.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path


def www(s, zone):
    """The www TXT text ringdns answers for zone, or the RCODE's name."""
    try:
        r = s.query("www." + zone, "TXT", timeout=0.5)
    except Exception:
        return "timeout"
    if r.rcode() != dns.rcode.NOERROR or not r.answer:
        return dns.rcode.to_text(r.rcode())
    return b"".join(r.answer[0][0].strings).decode()


def serves(s, zone, text=None):
    return www(s, zone) == (text or f"{zone} from knotd")


def zones_out(s):
    rc, out, err = s.ctl("zones")
    assert rc == 0, out + err
    return out


def cached(tmp, zone):
    """Whether the image cache holds a file of zone."""
    return any(f.startswith(zone) for f in os.listdir(os.path.join(tmp, "cache")))


def refresh_catalog(s, cat="cat.test."):
    rc, out, err = s.ctl("refresh", cat)
    assert rc == 0, out + err


V1 = """m1.zones PTR m1.test.
m2.zones PTR m2.test.
g1.zones PTR grp.test.
group.g1.zones TXT "alt"
other.zones PTR m4.test.
group.other.zones TXT "no-such-template"
c1.zones PTR conf.test.
"""


def test_catalog_consumer():
    p = Primaries().start(V1)
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-cat-")
    try:
        cfgp = ringdns_config(tmp, p.knot.port, p.nsd.port)
        with Server({}, extra=["--config", cfgp], tmp=tmp) as s:
            # (a) the members appear and answer with their data
            s.start(ready=lambda: serves(s, "m1.test.") and serves(s, "m2.test."))
            # (d) group "alt": nsd's data; a group naming no template: the default
            assert wait_for(lambda: serves(s, "grp.test.", "grp.test. from nsd"), 5), \
                www(s, "grp.test.") + s.logtext()
            assert wait_for(lambda: serves(s, "m4.test."), 5), s.logtext()
            assert os.path.exists(os.path.join(tmp, "alt", "grp.test.zone"))
            assert os.path.exists(os.path.join(tmp, "members", "m1.test.zone"))
            # a zone configured in the file is not taken (RFC 9432 §5.2)
            assert www(s, "conf.test.") == "conf.test. from the file"
            assert "listed by catalog cat.test. but configured in the file" in s.logtext()
            out = zones_out(s)
            assert "member of catalog cat.test.: unique-id m1, template main" in out, out
            assert "member of catalog cat.test.: unique-id g1, template alt" in out, out
            assert "catalog of 5 member zones" in out, out

            # (b) a member added at the primary appears
            p.catalog("cat.test.", 2, V1 + "m3.zones PTR m3.test.\n")
            t0 = time.time()
            refresh_catalog(s)
            assert wait_for(lambda: serves(s, "m3.test."), 5), s.logtext()
            print(f"  member added: served {time.time() - t0:.2f} s after the refresh")

            # (c) a member removed vanishes: REFUSED, not listed, file gone,
            # its cached image too (images of files under 2 s old are not
            # cached: reload it from its file once older)
            m2file = os.path.join(tmp, "members", "m2.test.zone")
            time.sleep(max(0.0, os.stat(m2file).st_mtime + 2.2 - time.time()))
            rc, out, err = s.ctl("reload", "m2.test.")
            assert rc == 0, out + err
            assert wait_for(lambda: cached(tmp, "m2.test."), 5), s.logtext()
            v3 = V1.replace("m2.zones PTR m2.test.\n", "") + "m3.zones PTR m3.test.\n"
            p.catalog("cat.test.", 3, v3)
            refresh_catalog(s)
            assert wait_for(lambda: www(s, "m2.test.") == "REFUSED", 5), s.logtext()
            assert "m2.test." not in zones_out(s)
            assert not os.path.exists(m2file)
            assert not cached(tmp, "m2.test."), os.listdir(os.path.join(tmp, "cache"))
            assert serves(s, "m1.test.") and serves(s, "m3.test.")

            # (e) broken versions are refused, the members serve on
            broken = [(4, v3, '"1"', 'schema version "1"'),
                      (5, v3, None, "no version TXT record"),
                      (6, v3 + "m1.zones PTR m2.test.\n", '"2"',
                       "member node m1 has more than one PTR record"),
                      (7, v3 + "dup.zones PTR m1.test.\n", '"2"',
                       "both name zone m1.test.")]
            for serial, body, version, why in broken:
                # each drops m3: were it processed, m3 would go
                p.catalog("cat.test.", serial, body.replace("m3.zones PTR m3.test.\n", ""),
                          version)
                refresh_catalog(s)
                assert wait_for(lambda: f"catalog cat.test.: serial {serial} refused" in
                                s.logtext(), 5), s.logtext()
                assert why in s.logtext(), why
                assert serves(s, "m3.test.") and serves(s, "m1.test.")
            assert "last version refused: " in zones_out(s)

            # a new unique-id resets the member: removed, transferred anew
            v8 = v3.replace("m1.zones PTR", "m1b.zones PTR")
            p.catalog("cat.test.", 8, v8)
            refresh_catalog(s)
            assert wait_for(lambda: "unique-id m1 in catalog cat.test. became m1b" in
                            s.logtext(), 5), s.logtext()
            assert wait_for(lambda: serves(s, "m1.test."), 5), s.logtext()
            assert "unique-id m1b, template main" in zones_out(s)

            # change of ownership (RFC 9432 §4.3.1): cat2.test. lists m3.test.
            # too; it stays with cat.test. until that one's coo names cat2
            p.catalog("cat2.test.", 2, "x3.zones PTR m3.test.\n")
            refresh_catalog(s, "cat2.test.")
            assert wait_for(lambda: "listed by catalogs cat.test. and cat2.test., "
                            "served for cat.test." in s.logtext(), 5), s.logtext()
            p.catalog("cat.test.", 9, v8 + "coo.m3.zones PTR cat2.test.\n")
            refresh_catalog(s)
            assert wait_for(lambda: "member of catalog cat2.test.: unique-id x3" in
                            zones_out(s), 5), s.logtext()
            assert wait_for(lambda: serves(s, "m3.test."), 5), s.logtext()
            # gone from cat.test.: its owner is cat2.test. now, so it stays
            p.catalog("cat.test.", 10, v8.replace("m3.zones PTR m3.test.\n", ""))
            refresh_catalog(s)
            assert wait_for(lambda: "catalog cat.test.: serial 10" in s.logtext(), 5)
            time.sleep(0.3)
            assert serves(s, "m3.test.")
            assert "member of catalog cat2.test." in zones_out(s)
            members = sorted(os.listdir(os.path.join(tmp, "members")))
            # the last version served is broken (and would drop m1, m4)
            p.catalog("cat.test.", 11, "x.zones PTR m5.test.\n", '"3"')
            refresh_catalog(s)
            assert wait_for(lambda: "catalog cat.test.: serial 11 refused" in s.logtext(), 5)

            # a restart of the control process: the members stay served
            # (read from the catalogs' files before the zones are synced
            # with what ringdns serves)
            old = s.control_pid()
            mark = len(s.logtext())
            os.kill(old, signal.SIGKILL)
            assert wait_for(lambda: s.control_pid() not in (None, old), 10), s.logtext()
            assert wait_for(lambda: "member of catalog cat2.test.: unique-id x3" in
                            s.ctl("zones")[1], 10), s.logtext()[mark:]
            assert serves(s, "m1.test.") and serves(s, "m3.test.")
            assert "no longer served" not in s.logtext()[mark:], s.logtext()[mark:]

        # (f) a restart with the primaries gone serves the members at once,
        # those of cat.test.'s last valid version (its file holds serial 11)
        p.close()
        p = None
        with Server({}, extra=["--config", cfgp], tmp=tmp) as s2:
            s2.start(ready=lambda: serves(s2, "m1.test.") and serves(s2, "m3.test.")
                     and serves(s2, "m4.test.")
                     and serves(s2, "grp.test.", "grp.test. from nsd"), timeout=10)
            assert www(s2, "m2.test.") == "REFUSED"
            assert www(s2, "m5.test.") == "REFUSED"
            assert "serving the 4 member zones of its last valid version" in s2.logtext()
            assert "member of catalog cat2.test.: unique-id x3" in zones_out(s2)
            assert sorted(os.listdir(os.path.join(tmp, "members"))) == members
    finally:
        if p:
            p.close()
        shutil.rmtree(tmp, ignore_errors=True)


def test_catalog_notified():
    """knotd NOTIFYs the catalog's change, sent by IXFR and applied to the
    served image incrementally: a member added and one removed without any
    ringctl command, within 2 s."""
    port = free_port()
    p = Primaries().start("m1.zones PTR m1.test.\n", notify_port=port)
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-cat-")
    try:
        cfgp = ringdns_config(tmp, p.knot.port, p.nsd.port)
        with Server({}, extra=["--config", cfgp], tmp=tmp, port=port) as s:
            s.start(ready=lambda: serves(s, "m1.test."))
            p.catalog("cat.test.", 2, "m2.zones PTR m2.test.\n")
            dt = seconds_until(lambda: serves(s, "m2.test.") and www(s, "m1.test.") == "REFUSED",
                               5)
            assert dt < 2.0, (dt, s.logtext())
            assert "zone cat.test.: NOTIFY from 127.0.0.1" in s.logtext()
            # by IXFR, applied to the served image as an overlay
            assert "zone cat.test.: serial 2 served incrementally" in s.logtext(), s.logtext()
            print(f"  catalog change NOTIFYed: member swap served in {dt:.2f} s")
    finally:
        p.close()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run([test_catalog_consumer, test_catalog_notified])
