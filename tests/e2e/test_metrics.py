#!/usr/bin/python3
"""End-to-end tests of the Prometheus endpoint of ringdns-control
(server.metrics-listen): the real server with metrics on a free loopback
port, queries from dnspython, /metrics fetched over HTTP with urllib and
parsed with the prometheus_client library's exposition-format parser; the
counters move with the queries (by transport, QTYPE and RCODE), the zone
gauges are there, a reload is counted, health follows the zones; with
metrics off the control process listens on nothing."""
import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import dns.rcode
from prometheus_client.parser import text_string_to_metric_families

from e2elib import RINGCTL, SRCDIR, Server, big_zone, free_port, run, wait_for

EX = os.path.join(SRCDIR, "zones/examples")
# records of a zone whose reload takes the control loop a few seconds
BIG_RECORDS = 1000000
EXAMPLES = {"example.com.": os.path.join(EX, "example.com.zone"),
            "example.net.": os.path.join(EX, "example.net.zone")}


def fetch(port, path="/metrics"):
    """(status, content type, body) of an HTTP GET on 127.0.0.1:port."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as r:
            return r.status, r.headers.get("Content-Type"), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type"), e.read().decode()


def scrape(port):
    """{(sample name, frozenset of labels): value} and the families' types
    of a scrape, parsed by prometheus_client."""
    status, ctype, body = fetch(port)
    assert status == 200, (status, body)
    assert ctype.startswith("text/plain; version=0.0.4"), ctype
    samples, types = {}, {}
    for fam in text_string_to_metric_families(body):
        types[fam.name] = fam.type
        for s in fam.samples:
            samples[(s.name, frozenset(s.labels.items()))] = s.value
    return samples, types


def total(samples, name, **labels):
    """The sum of name's samples whose labels include labels."""
    want = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and want <= ls)


def one(samples, name, **labels):
    """The value of the one sample of name with exactly labels."""
    return samples[(name, frozenset(labels.items()))]


def control_listeners(s):
    """The TCP ports the control process listens on (from /proc)."""
    pid = s.control_pid()
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            t = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if t.startswith("socket:["):
            inodes.add(t[8:-1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and cols[9] in inodes:
                    ports.add(int(cols[1].rsplit(":", 1)[1], 16))
    return ports


def send_queries(s):
    """Known queries: what each counter must have gained from them."""
    for _ in range(5):
        assert s.query("www.example.com.", "A").rcode() == dns.rcode.NOERROR
    for i in range(3):
        assert s.query(f"nope{i}.example.net.", "AAAA").rcode() == dns.rcode.NXDOMAIN
    for _ in range(2):
        assert s.query("example.com.", "TXT", tcp=True).rcode() == dns.rcode.NOERROR
    assert s.query("example.com.", "CAA").rcode() == dns.rcode.NOERROR
    assert s.query("www.example.org.", "MX").rcode() == dns.rcode.REFUSED
    return {"udp": 10, "tcp": 2, "A": 5, "AAAA": 3, "TXT": 2, "other": 1, "MX": 1,
            "NOERROR": 8, "NXDOMAIN": 3, "REFUSED": 1}


def test_counters_zones_reload():
    port = free_port()
    with Server(EXAMPLES, extra=["--metrics-listen", f"127.0.0.1:{port}"]) as s:
        s.start()
        assert wait_for(lambda: "example.net." in s.ctl("zones")[1], 10)
        assert control_listeners(s) == {port}
        before, types = scrape(port)
        want = send_queries(s)
        after, _ = scrape(port)

        def gained(name, **labels):
            return total(after, name, **labels) - total(before, name, **labels)

        for tr in ("udp", "tcp"):
            assert gained("ringdns_queries_total", transport=tr) == want[tr], tr
            assert gained("ringdns_responses_total", transport=tr) == want[tr], tr
        for qt in ("A", "AAAA", "TXT", "other", "MX"):
            assert gained("ringdns_queries_by_qtype_total", qtype=qt) == want[qt], qt
        assert gained("ringdns_queries_by_qtype_total", qtype="SOA") == 0
        for rc in ("NOERROR", "NXDOMAIN", "REFUSED"):
            assert gained("ringdns_responses_by_rcode_total", rcode=rc) == want[rc], rc
        assert gained("ringdns_tcp_connections_total") == 2
        # per zone: queries by transport, responses by RCODE; the query
        # for a zone not served counts under "(none)"
        per_zone = {("example.com.", "udp"): 6, ("example.com.", "tcp"): 2,
                    ("example.net.", "udp"): 3, ("example.net.", "tcp"): 0,
                    ("(none)", "udp"): 1, ("(none)", "tcp"): 0}
        for (z, tr), n in per_zone.items():
            assert gained("ringdns_zone_queries_total", zone=z, transport=tr) == n, (z, tr)
            assert gained("ringdns_zone_responses_total", zone=z, transport=tr) == n, (z, tr)
        for z, rc, n in (("example.com.", "NOERROR", 8), ("example.com.", "NXDOMAIN", 0),
                         ("example.net.", "NXDOMAIN", 3), ("example.net.", "NOERROR", 0),
                         ("(none)", "REFUSED", 1)):
            assert gained("ringdns_zone_responses_by_rcode_total", zone=z, rcode=rc) == n, \
                (z, rc)
        assert types["ringdns_zone_queries"] == "counter"
        # rate limiting and dnstap are off: their counters are there, at 0
        for action in ("slip", "drop", "would"):
            assert one(after, "ringdns_rrl_responses_total", action=action) == 0
        for result in ("sent", "dropped"):
            assert one(after, "ringdns_dnstap_messages_total", result=result) == 0
        # UDP workers (2) and the TCP thread, each with its transport
        workers = {dict(ls)["worker"]: dict(ls)["transport"]
                   for (n, ls) in after if n == "ringdns_queries_total"}
        assert sorted(workers.values()) == ["tcp", "udp", "udp"], workers
        assert types["ringdns_queries"] == "counter"   # the parser strips _total
        assert types["ringdns_zone_serial"] == "gauge"

        # per zone: the serial served, records, the image's bytes
        r = s.query("example.com.", "SOA")
        assert one(after, "ringdns_zone_serial", zone="example.com.") == r.answer[0][0].serial
        for z in EXAMPLES:
            assert one(after, "ringdns_zone_served", zone=z) == 1
            assert one(after, "ringdns_zone_load_error", zone=z) == 0
            assert one(after, "ringdns_zone_records", zone=z) > 5
            assert one(after, "ringdns_zone_snapshot_bytes", zone=z) > 0
            assert one(after, "ringdns_zone_loaded_timestamp_seconds", zone=z) > 1.7e9
        assert one(after, "ringdns_zones_served") == 2
        assert one(after, "ringdns_snapshot_mapped_bytes") >= sum(
            one(after, "ringdns_zone_snapshot_bytes", zone=z) for z in EXAMPLES)
        assert one(after, "ringdns_dataplane_up") == 1
        assert one(after, "ringdns_healthy") == 1
        for w in ("0", "1"):
            assert 0 <= one(after, "ringdns_worker_last_progress_seconds", worker=w) < 1

        # a reload: counted, with its time
        assert one(after, "ringdns_reloads_total") == 1     # the first load
        rc, out, err = s.ctl("reload")
        assert rc == 0, (out, err)
        m, _ = scrape(port)
        assert one(m, "ringdns_reloads_total") == 2
        assert one(m, "ringdns_reload_failures_total") == 0
        assert one(m, "ringdns_reload_seconds_total") >= one(after, "ringdns_reload_seconds_total")
        assert one(m, "ringdns_last_reload_timestamp_seconds") >= one(
            after, "ringdns_last_reload_timestamp_seconds")

        # only GET /metrics
        status, _, body = fetch(port, "/")
        assert status == 404, (status, body)
        req = urllib.request.Request(f"http://127.0.0.1:{port}/metrics", method="DELETE")
        try:
            urllib.request.urlopen(req, timeout=10)
            raise AssertionError("DELETE /metrics answered")
        except urllib.error.HTTPError as e:
            assert e.code == 405, e.code


def test_zone_counter_slots():
    """server.zone-counters bounds the zones counted on their own: past it
    zones share "(other)"; a reload keeps a zone's counters; 0 turns the
    per-zone counters off (the families stay, with no samples)."""
    port = free_port()
    with Server(EXAMPLES, extra=["--metrics-listen", f"127.0.0.1:{port}",
                                 "--zone-counters", "1"]) as s:
        s.start()
        assert wait_for(lambda: "example.net." in s.ctl("zones")[1], 10)
        before, _ = scrape(port)
        for _ in range(4):
            assert s.query("www.example.com.", "A").rcode() == dns.rcode.NOERROR
        for _ in range(3):
            assert s.query("example.net.", "SOA").rcode() == dns.rcode.NOERROR
        m, _ = scrape(port)

        def gained(z, since):
            return total(m, "ringdns_zone_queries_total", zone=z, transport="udp") - total(
                since, "ringdns_zone_queries_total", zone=z, transport="udp")

        zones = {dict(ls)["zone"] for (n, ls) in m if n == "ringdns_zone_queries_total"}
        assert len(zones & set(EXAMPLES)) == 1 and "(other)" in zones, zones
        own = (zones & set(EXAMPLES)).pop()
        want = {"example.com.": 4, "example.net.": 3}
        assert gained(own, before) == want[own]
        assert gained("(other)", before) == 7 - want[own]
        rc, out, err = s.ctl("reload")
        assert rc == 0, (out, err)
        before = m
        for _ in range(2):
            assert s.query(own, "SOA").rcode() == dns.rcode.NOERROR
        m, _ = scrape(port)
        assert gained(own, before) == 2      # the same slot after the reload
    with Server(EXAMPLES, extra=["--metrics-listen", f"127.0.0.1:{port}",
                                 "--zone-counters", "0"]) as s:
        s.start()
        assert wait_for(lambda: "example.net." in s.ctl("zones")[1], 10)
        assert s.query("www.example.com.", "A").rcode() == dns.rcode.NOERROR
        m, types = scrape(port)
        assert types["ringdns_zone_queries"] == "counter"
        assert not [k for k in m if k[0] == "ringdns_zone_queries_total"]
        assert total(m, "ringdns_queries_total", transport="udp") >= 1


def test_off_by_default():
    with Server(EXAMPLES) as s:
        s.start()
        assert wait_for(lambda: "example.net." in s.ctl("zones")[1], 10)
        assert control_listeners(s) == set()
        assert "metrics on" not in s.logtext()


def test_scrape_during_long_reload():
    """A scrape while the control loop compiles a big zone is answered in
    about MTR_WAIT_MS (2 s) with the last text rendered, not held until
    the reload ends; the next scrape after it counts the reload."""
    port = free_port()
    small = "$ORIGIN big.test.\n$TTL 300\n@ SOA ns h 1 3600 900 604800 300\n@ NS ns\nns A 198.18.0.1\n"
    with Server({"big.test.": small},
                extra=["--metrics-listen", f"127.0.0.1:{port}"]) as s:
        s.start()
        # a reload that outlasts the scrape: the zone made bigger until
        # one does (machines differ)
        for size in (BIG_RECORDS, 2 * BIG_RECORDS, 4 * BIG_RECORDS):
            first, _ = scrape(port)
            big_zone(s.zonefiles["big.test."], "big.test.", size)
            reload = subprocess.Popen([RINGCTL, "-s", s.sock, "reload"], stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True)
            try:
                time.sleep(0.3)     # into the load
                t0 = time.time()
                during, _ = scrape(port)
                took = time.time() - t0
                busy = reload.poll() is None
                out, err = reload.communicate(timeout=120)
                assert reload.returncode == 0, (out, err)
            finally:
                if reload.poll() is None:
                    reload.kill()
                    reload.wait()
            if busy:
                break
        assert busy, "the reload ended before the scrape: make the zone bigger"
        assert took < 4, took
        assert one(during, "ringdns_reloads_total") == one(first, "ringdns_reloads_total")
        after, _ = scrape(port)
        assert one(after, "ringdns_reloads_total") == one(first, "ringdns_reloads_total") + 1
        assert one(after, "ringdns_zone_records", zone="big.test.") >= BIG_RECORDS
        assert one(after, "ringdns_last_reload_seconds") > 0


def test_port_taken():
    """A metrics port another process holds: ringdns refuses to start and
    says why (as for any listener it cannot open)."""
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        port = holder.getsockname()[1]
        with Server(EXAMPLES, extra=["--metrics-listen", f"127.0.0.1:{port}"]) as s:
            started = False
            try:
                s.start(timeout=15)
                started = True
            except AssertionError as e:
                assert "exited with" in str(e), e
            assert not started, "ringdns started with its metrics port taken"
            log = s.logtext()
            assert f"metrics: cannot serve HTTP on 127.0.0.1:{port}" in log, log
            assert "ringdns-control refused to start" in log, log
    finally:
        holder.close()


def test_config_key_and_health():
    """server.metrics-listen from the file (on ::1); a secondary zone whose
    primary never answers is not served: health 0, the zone's gauges say
    why."""
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-metrics-")
    try:
        port, dead = free_port(), free_port()
        cfg = os.path.join(tmp, "ringdns.yaml")
        with open(cfg, "w") as f:
            f.write(f"server:\n  metrics-listen: \"[::1]:{port}\"\n"
                    "zones:\n  - name: sec.test.\n"
                    f"    file: {tmp}/sec.test.zone\n"
                    f"    primaries: [\"127.0.0.1@{dead}\"]\n")
        with Server(EXAMPLES, config=cfg, tmp=tmp) as s:
            s.start()
            status, _, body = None, None, ""
            for _ in range(50):
                try:
                    with urllib.request.urlopen(f"http://[::1]:{port}/metrics", timeout=10) as r:
                        status, body = r.status, r.read().decode()
                    break
                except (urllib.error.URLError, ConnectionError):
                    wait_for(lambda: False, 0.1)
            assert status == 200, body
            m = {(x.name, frozenset(x.labels.items())): x.value
                 for fam in text_string_to_metric_families(body) for x in fam.samples}
            assert one(m, "ringdns_zone_served", zone="sec.test.") == 0
            assert one(m, "ringdns_zone_served", zone="example.com.") == 1
            assert one(m, "ringdns_zone_expired", zone="sec.test.") == 0
            assert one(m, "ringdns_zone_last_refresh_timestamp_seconds", zone="sec.test.") == 0
            assert ("ringdns_zone_expired", frozenset({("zone", "example.com.")})) not in m
            assert one(m, "ringdns_dataplane_up") == 1
            assert one(m, "ringdns_healthy") == 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run([test_counters_zones_reload, test_zone_counter_slots, test_off_by_default, test_scrape_during_long_reload,
         test_port_taken,
         test_config_key_and_health])
