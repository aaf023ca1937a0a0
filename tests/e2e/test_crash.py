#!/usr/bin/python3
"""Crash consistency: ringdns-control is killed at named points of a reload
and of a zone transfer (the test hook RINGDNS_CRASH_AT, common/crashpt.h),
either alone (ringdns restarts it) or with the whole ringdns process tree
(then ringdns is started again from the same files and cache directory).
Each time the zone served afterwards is one version or the other, whole:
its AXFR from ringdns holds exactly the records of the old version or of
the new one (which one is known from where the crash fell), never a mix
or no zone, and no temporary file is left in the zone's directory or the
cache directory once the control process is back.

Reload points: reload-parsed, reload-compiled, reload-served (handed over,
not cached yet), cache-temp and cache-renamed (the image's cache file:
synced but not renamed, renamed), cache-read (a cached image read, not
handed over).  Transfer points (knotd as the primary): xfr-partial (the
check's child has written part of an AXFR), xfr-received (the transfer is
on disk, not loaded), zonefile-temp (served, the zone file not renamed
yet), zonefile-renamed.  Catalog points (the whole tree killed):
catalog-temp and catalog-renamed, while the valid copy of a catalog
(FILE.valid, a hard link) is replaced."""
import os
import shutil
import tempfile
import time

import dns.query
import dns.zone

from e2elib import (Knotd, Server, free_port, knot_primary_conf, pid_alive, run, temp_files,
                    wait_for)

ZONE = "crash.test."
NAMES = 1200    # about 100 kB of AXFR: several messages from knotd


def zone_text(serial):
    """Version `serial` of the zone: every name's TXT says its version, and
    each version has names of its own, so a mix of two shows."""
    lines = [f"$ORIGIN {ZONE}", "$TTL 300",
             f"@ SOA ns1 hostmaster {serial} 3600 600 604800 300", "@ NS ns1",
             "ns1 A 198.18.0.1"]
    for i in range(NAMES):
        lines.append(f"h{i} A 198.18.{i // 250}.{i % 250 + 1}")
        lines.append(f'h{i} TXT "serial {serial} name {i} padding-padding-padding"')
    for i in range(50):
        lines.append(f"only{serial}-{i} A 198.19.0.{i + 1}")
    return "\n".join(lines) + "\n"


def records(zone):
    """A dns.zone's records as a set of (owner, ttl, type, rdata) texts."""
    return {(str(n), rs.ttl, rs.rdtype, rd.to_text())
            for n, rs in zone.iterate_rdatasets() for rd in rs}


VERSIONS = {s: records(dns.zone.from_text(zone_text(s), ZONE)) for s in (1, 2)}


def served_version(s):
    """Which version ringdns serves whole (by AXFR): 1 or 2; fails on a mix,
    a missing zone or anything else."""
    z = dns.zone.from_xfr(dns.query.xfr("127.0.0.1", ZONE, port=s.port, lifetime=10))
    got = records(z)
    for v, want in VERSIONS.items():
        if got == want:
            return v
    serials = {r[3].split()[2] for r in got if r[2] == 6}
    raise AssertionError(f"neither version whole: {len(got)} records, SOA serials {serials}, "
                         f"{len(got - VERSIONS[1])} not in v1, {len(got - VERSIONS[2])} not in v2")


def serial_of(s):
    try:
        r = s.query(ZONE, "SOA", timeout=0.5)
        return r.answer[0][0].serial if r.answer else None
    except Exception:
        return None


def write_zone(path, serial, age):
    """Writes version serial to path by rename (the operator's edit), its
    mtime age seconds ago (old enough for the image cache)."""
    tmp = path + ".edit"
    with open(tmp, "w") as f:
        f.write(zone_text(serial))
    t = time.time() - age
    os.utime(tmp, (t, t))
    os.replace(tmp, path)


def arm(d, tree):
    """The arm file: the crash point fires once it exists (tree: the whole
    ringdns process tree is killed)."""
    path = os.path.join(d, "armed")
    with open(path, "w") as f:
        f.write("tree" if tree else "control")
    return path


def await_crash(s, armfile, point, tree, ctl_before):
    """Waits for the crash point to fire; then, for the control process
    alone, for its restart to finish its loads (its control socket
    answers); for the tree, for ringdns to be gone."""
    assert wait_for(lambda: not os.path.exists(armfile), 20), \
        f"{point} not reached:\n" + s.logtext()[-3000:]
    assert wait_for(lambda: f"crash point {point} reached" in s.logtext(), 5), s.logtext()
    if tree:
        s.proc.wait(10)
        assert wait_for(lambda: not pid_alive(ctl_before), 5)
        s.stop(expect_clean=False)
        return
    assert wait_for(lambda: not pid_alive(ctl_before), 5)
    # without its control process ringdns goes on serving a version
    assert serial_of(s) in (1, 2), "no zone served while the control process is down"

    def restarted():
        pid = s.control_pid()
        return pid and pid != ctl_before and s.ctl("status", timeout=10)[0] == 0
    assert wait_for(restarted, 20), "control process not restarted:\n" + s.logtext()[-3000:]
    assert s.proc.poll() is None, "ringdns went with its control process"


def check_clean(*dirs):
    """No temporary file of a writer that is gone (a live one may be
    writing the cache or a catalog's copy right now)."""
    left = [f for f in temp_files(*dirs)
            if not pid_alive(int(f.rsplit(".ringdns-tmp-", 1)[1].split("-")[0]))]
    assert not left, f"temporary files left: {left}"


class Case:
    """One crash: a temporary directory d (with d/cache), the hook armed
    for point in the environment, knotd started from knot_conf when given;
    every server made by server() stopped, and all removed, at the end."""

    def __init__(self, point, knot_conf=None):
        self.point = point
        self.d = tempfile.mkdtemp(prefix="ringdns-e2e-crash-")
        self.cache = os.path.join(self.d, "cache")
        os.mkdir(self.cache)
        self.armfile = os.path.join(self.d, "armed")
        self.servers = []
        self.k = None
        os.environ["RINGDNS_CRASH_AT"] = f"{point}:{self.armfile}"
        try:
            self.k = Knotd(knot_conf) if knot_conf else None
        except Exception:
            self.__exit__()
            raise

    def server(self, zones, extra):
        s = Server(zones, extra=extra, tmp=self.d)
        self.servers.append(s)
        return s

    def crash(self, s, tree, *trigger):
        """Arms the point and sends ringctl trigger (a reload, a refresh);
        returns once it fired (await_crash)."""
        ctl = s.control_pid()
        arm(self.d, tree)
        s.ctl(*trigger, timeout=30)    # its control process may die under it
        await_crash(s, self.armfile, self.point, tree, ctl)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.environ.pop("RINGDNS_CRASH_AT", None)
        try:
            for s in self.servers:
                s.stop(expect_clean=True)
        finally:
            if self.k:
                self.k.close()
            shutil.rmtree(self.d, ignore_errors=True)


def reload_case(point, tree, expect):
    """A primary zone reloaded from version 1 to 2 (or, for cache-read, left
    at 1), with the crash at point; expect: the version served after."""
    with Case(point) as c:
        zpath = os.path.join(c.d, "crash.test.zone")
        write_zone(zpath, 1, 100)
        extra = ["--cache-dir", c.cache, "--allow-transfer", "127.0.0.1"]
        s = c.server({ZONE: zpath}, extra)
        s.start()
        assert served_version(s) == 1
        img = os.path.join(c.cache, "crash.test.img")
        assert wait_for(lambda: os.path.exists(img), 10), "v1 never cached"
        if point != "cache-read":
            write_zone(zpath, 2, 50)
        c.crash(s, tree, "reload")
        left = temp_files(c.d, c.cache)
        if tree:
            if point == "cache-temp":
                assert left, "the crash left no temporary: the test proves nothing"
            s = c.server({ZONE: zpath}, extra)
            s.start()
        got = served_version(s)
        assert got == expect, f"serves version {got}, not {expect}"
        check_clean(c.d, c.cache)
        if left:
            assert "temporary files left by an earlier crash removed" in s.logtext()
        return left


def knot_conf(d, port):
    with open(os.path.join(d, f"{ZONE}zone"), "w") as f:
        f.write(zone_text(1))
    return knot_primary_conf(d, port, [ZONE])


def knot_ixfr_conf(d, port):
    """knotd keeping its changes in a journal: it answers IXFR by steps."""
    return knot_conf(d, port).replace("    zonefile-load: whole\n    journal-content: none\n",
                                      "    zonefile-load: difference\n"
                                      "    journal-content: changes\n")


def transfer_case(point, tree, expect, ixfr=False):
    """A secondary zone at version 1, its primary (knotd) moved to 2, the
    refresh crashing at point (by IXFR steps with ixfr, else the whole
    zone).  expect: the version of the zone file after the crash (what a
    restart with the primary out of reach serves)."""
    with Case(point, knot_ixfr_conf if ixfr else knot_conf) as c:
        k = c.k
        zpath = os.path.join(c.d, "crash.test.zone")
        extra = ["--cache-dir", c.cache, "--allow-transfer", "127.0.0.1"]
        s = c.server({ZONE: zpath}, extra + ["--primary", f"{ZONE}=127.0.0.1@{k.port}"])
        assert wait_for(lambda: k.serial(ZONE) == 1, 10), k.logtext()
        s.start()
        assert served_version(s) == 1
        with open(os.path.join(k.dir, f"{ZONE}zone"), "w") as f:
            f.write(zone_text(2))
        k.ctl("zone-reload", ZONE)
        assert wait_for(lambda: k.serial(ZONE) == 2, 10), k.logtext()
        c.crash(s, tree, "refresh", ZONE)
        left = temp_files(c.d, c.cache)
        log = s.logtext()
        if ixfr and point != "xfr-partial":
            assert "(IXFR, 1 steps" in log, log[-3000:]
        if not tree:
            # served whole right after the restart, then the primary's
            # version once the restarted process asked for it
            assert served_version(s) in (1, 2)
            assert wait_for(lambda: serial_of(s) == 2, 20), s.logtext()[-3000:]
            assert served_version(s) == 2
            check_clean(c.d, c.cache)
            s.stop()
        # what the zone file holds: ringdns started again with its primary
        # out of reach serves it alone
        s = c.server({ZONE: zpath}, extra + ["--primary", f"{ZONE}=127.0.0.1@{free_port()}"])
        s.start()
        got = served_version(s)
        if tree:
            assert got == expect, f"serves version {got} from its file, not {expect}"
        else:
            assert got == 2, "the transfer after the restart was not kept in the file"
        check_clean(c.d, c.cache)
        return left, log


CATALOG = """$ORIGIN cat.test.
$TTL 0
@ SOA invalid. hostmaster.invalid. {serial} 3600 600 86400 0
@ NS invalid.
version TXT "2"
m1.zones PTR m1.test.
{more}"""
MEMBER = """$ORIGIN m1.test.
$TTL 300
@ SOA ns1 hostmaster 1 3600 900 604800 300
@ NS ns1
ns1 A 198.18.0.1
www TXT "m1 from knotd"
"""
CATALOGS = {s: CATALOG.format(serial=s, more="m2.zones PTR m2.test.\n" if s == 2 else "")
            for s in (1, 2)}


def catalog_config(d, port):
    """ringdns's configuration: catalog cat.test. and its members from
    127.0.0.1@port (a port where nothing listens: the files alone)."""
    path = os.path.join(d, "ringdns.yaml")
    with open(path, "w") as f:
        f.write(f"""server:
  cache-dir: {d}/cache
zones:
  - name: cat.test.
    file: {d}/cat.test.zone
    primaries: 127.0.0.1@{port}
    catalog: true
    catalog-template: main
templates:
  - id: main
    primaries: 127.0.0.1@{port}
    storage: {d}/members
""")
    return path


def catalog_knot_conf(d, port):
    for z, text in (("cat.test.", CATALOGS[1]), ("m1.test.", MEMBER),
                    ("m2.test.", MEMBER.replace("m1", "m2"))):
        with open(os.path.join(d, z + "zone"), "w") as f:
            f.write(text)
    return knot_primary_conf(d, port, ["cat.test.", "m1.test.", "m2.test."])


def valid_version(path):
    """Which catalog version the kept valid copy holds whole: 1 or 2."""
    got = records(dns.zone.from_file(path, "cat.test.", relativize=True))
    for v, text in CATALOGS.items():
        if got == records(dns.zone.from_text(text, "cat.test.")):
            return v
    raise AssertionError(f"{path} holds neither catalog version whole: {sorted(got)}")


def m1_text(s):
    try:
        r = s.query("www.m1.test.", "TXT", timeout=0.5)
        return b"".join(r.answer[0][0].strings).decode() if r.answer else None
    except Exception:
        return None


def catalog_case(point):
    """A catalog moved from version 1 to 2 at its primary, the whole tree
    killed at point while its valid version is kept: the kept copy is one
    version whole, and ringdns started on its files alone serves the
    member."""
    with Case(point, catalog_knot_conf) as c:
        d, k = c.d, c.k
        os.mkdir(os.path.join(d, "members"))
        valid = os.path.join(d, "cat.test.zone.valid")
        s = c.server({}, ["--config", catalog_config(d, k.port)])
        assert wait_for(lambda: k.serial("cat.test.") == 1, 10), k.logtext()
        s.start(ready=lambda: m1_text(s) == "m1 from knotd")
        assert wait_for(lambda: os.path.exists(valid), 5), s.logtext()[-3000:]
        assert valid_version(valid) == 1
        with open(os.path.join(k.dir, "cat.test.zone"), "w") as f:
            f.write(CATALOGS[2])
        k.ctl("zone-reload", "cat.test.")
        assert wait_for(lambda: k.serial("cat.test.") == 2, 10), k.logtext()
        c.crash(s, True, "refresh", "cat.test.")
        left = temp_files(d)
        got = valid_version(valid)
        s = c.server({}, ["--config", catalog_config(d, free_port())])
        s.start(ready=lambda: m1_text(s) == "m1 from knotd")
        check_clean(d, os.path.join(d, "members"), c.cache)
        # the catalog file's version, valid, is kept once served again
        assert wait_for(lambda: valid_version(valid) == 2, 5), s.logtext()[-3000:]
        assert wait_for(lambda: not temp_files(d), 5), temp_files(d)
        return got, left


# (point, version served after a restart of the control process or of the tree)
RELOAD_POINTS = [("reload-parsed", 2), ("reload-compiled", 2), ("reload-served", 2),
                 ("cache-temp", 2), ("cache-renamed", 2), ("cache-read", 1)]
# (point, version the zone file holds after the crash)
TRANSFER_POINTS = [("xfr-partial", 1), ("xfr-received", 1), ("zonefile-temp", 1),
                   ("zonefile-renamed", 2)]


def test_reload_control_killed():
    """Each reload point, the control process killed there and restarted by
    ringdns: the served zone is whole, no temporary left."""
    for point, expect in RELOAD_POINTS:
        t0 = time.time()
        reload_case(point, False, expect)
        print(f"  {point}: version {expect} whole after the restart "
              f"({time.time() - t0:.1f} s)", flush=True)


def test_reload_tree_killed():
    """Each reload point, the whole process tree killed there (kill -9), then
    ringdns started again on the same files and cache directory."""
    for point, expect in RELOAD_POINTS:
        t0 = time.time()
        left = reload_case(point, True, expect)
        print(f"  {point}: version {expect} whole after a new start, "
              f"{len(left)} temporaries removed ({time.time() - t0:.1f} s)", flush=True)


def test_transfer_control_killed():
    """Each transfer point, the control process killed there and restarted
    by ringdns: the served zone is whole before and after the restarted
    process transfers again, and the file it keeps is the new version."""
    for point, expect in TRANSFER_POINTS:
        t0 = time.time()
        transfer_case(point, False, expect)
        print(f"  {point}: whole after the restart ({time.time() - t0:.1f} s)", flush=True)


def test_transfer_tree_killed():
    """Each transfer point, the whole process tree killed there: ringdns
    started again on its files alone serves the version its zone file
    holds, whole; what the crash left is removed."""
    for point, expect in TRANSFER_POINTS:
        t0 = time.time()
        left, log = transfer_case(point, True, expect)
        if point in ("xfr-partial", "zonefile-temp"):
            assert left, f"{point}: the crash left no temporary: the test proves nothing\n" + \
                log[-4000:]
        print(f"  {point}: version {expect} from the file, {len(left)} temporaries "
              f"removed ({time.time() - t0:.1f} s)", flush=True)


def test_ixfr_tree_killed():
    """The transfer points where IXFR differs (its steps part written; the
    zone file written after the steps are applied), the tree killed there:
    the zone file is still the old version, whole."""
    for point in ("xfr-partial", "zonefile-temp"):
        t0 = time.time()
        left, log = transfer_case(point, True, 1, ixfr=True)
        assert left, f"{point}: the crash left no temporary: the test proves nothing\n" + \
            log[-4000:]
        print(f"  {point}: version 1 from the file, {len(left)} temporaries removed "
              f"({time.time() - t0:.1f} s)", flush=True)


def test_catalog_tree_killed():
    """A catalog's kept valid version (FILE.valid, replaced by a hard link
    renamed over it), the whole tree killed before and after the rename:
    the copy is the old or the new catalog whole, never missing."""
    for point, expect in (("catalog-temp", 1), ("catalog-renamed", 2)):
        t0 = time.time()
        got, left = catalog_case(point)
        assert got == expect, f"{point}: the valid copy is version {got}, not {expect}"
        if point == "catalog-temp":
            assert left, f"{point}: the crash left no temporary: the test proves nothing"
        print(f"  {point}: valid copy version {got} whole, {len(left)} temporaries removed "
              f"({time.time() - t0:.1f} s)", flush=True)


if __name__ == "__main__":
    run([test_reload_control_killed, test_reload_tree_killed, test_transfer_control_killed,
         test_transfer_tree_killed, test_ixfr_tree_killed, test_catalog_tree_killed])
