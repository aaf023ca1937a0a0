#!/usr/bin/python3
"""A zone of one million records transferred both ways with knotd: knotd
as a secondary of ringdns, and ringdns as a secondary of knotd; each time
the copy is compared with the original record by record (every record of
both AXFRs, in presentation form, sorted, hashed)."""
import hashlib
import os
import shutil
import subprocess
import tempfile
import time

import dns.message
import dns.query

from e2elib import Knotd, Server, big_zone, knot_conf_head, knot_primary_conf, run, wait_for

RECORDS = 1000000
ZONE = "big.test."


def digest(port):
    """(records, sha256) of the zone's AXFR from 127.0.0.1@port (kdig): its
    records normalised (one space between fields, lowercase owner), sorted."""
    r = subprocess.run(["kdig", "@127.0.0.1", "-p", str(port), "+tcp", "+nocomments",
                        "+noheader", "+nostats", "AXFR", ZONE],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0 and ";; Transfer failed" not in r.stdout, r.stdout[-500:] + r.stderr
    lines = []
    for ln in r.stdout.splitlines():
        if not ln or ln.startswith(";"):
            continue
        f = ln.split()
        f[0] = f[0].lower()
        lines.append(" ".join(f))
    # the SOA comes first and last in an AXFR
    lines.sort()
    soa = [i for i, ln in enumerate(lines) if ln.split()[3] == "SOA"]
    if len(soa) == 2 and lines[soa[0]] == lines[soa[1]]:
        del lines[soa[1]]
    return len(lines), hashlib.sha256("\n".join(lines).encode()).hexdigest()


def same_zone(original, copy):
    """The copy's AXFR holds every record of the original's, and only those."""
    want, got = digest(original), digest(copy)
    assert want[0] >= RECORDS, want
    assert got == want, (got, want)


def serial(port):
    try:
        q = dns.message.make_query(ZONE, "SOA")
        r = dns.query.udp(q, "127.0.0.1", port=port, timeout=1)
        return r.answer[0][0].serial if r.answer else None
    except Exception:
        return None


def test_million_to_knotd():
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-big-")
    try:
        path = os.path.join(tmp, "big.zone")
        big_zone(path, ZONE, RECORDS)
        with Server({ZONE: path}, extra=["--allow-transfer", "127.0.0.1"]) as s:
            s.start(ready=lambda: serial(s.port) is not None, timeout=120)
            want = serial(s.port)

            def conf(d, port):
                return knot_conf_head(d, port) + f"""remote:
  - id: ringdns
    address: 127.0.0.1@{s.port}
template:
  - id: default
    storage: {d}
    zonefile-sync: -1
    journal-content: none
acl:
  - id: xfr
    address: 127.0.0.1
    action: transfer
zone:
  - domain: {ZONE}
    master: ringdns
    acl: xfr
"""
            t0 = time.time()
            k = Knotd(conf)
            try:
                assert wait_for(lambda: serial(k.port) == want, 240), k.logtext()
                print(f"  knotd holds the 1M-record zone after {time.time() - t0:.1f} s")
                same_zone(s.port, k.port)
            finally:
                k.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_million_from_knotd():
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-big-")
    try:
        def conf(d, port):
            big_zone(os.path.join(d, ZONE + "zone"), ZONE, RECORDS)
            return knot_primary_conf(d, port, [ZONE])
        k = Knotd(conf)
        try:
            assert wait_for(lambda: serial(k.port) is not None, 240), k.logtext()
            cfgp = os.path.join(tmp, "ringdns.yaml")
            with open(cfgp, "w") as f:
                f.write(f"zones:\n  - name: {ZONE}\n    file: {tmp}/big.zone\n"
                        f"    primaries: [\"127.0.0.1@{k.port}\"]\n")
            t0 = time.time()
            with Server({}, extra=["--config", cfgp, "--allow-transfer", "127.0.0.1"],
                        tmp=tmp) as s:
                s.start(ready=lambda: serial(s.port) == serial(k.port), timeout=240)
                print(f"  ringdns serves the transferred zone after {time.time() - t0:.1f} s")
                same_zone(k.port, s.port)
        finally:
            k.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run([test_million_to_knotd, test_million_from_knotd])
