#!/usr/bin/python3
"""End-to-end tests of ringdns and ringdns-control:
answers over UDP and TCP (IPv4 and IPv6), TCP pipelining, truncation then
TCP retry, the control socket commands through ringctl, a broken zone on
reload, a killed control process, SIGHUP, and clean shutdown."""
import json
import os
import re
import shutil
import tempfile
import signal
import socket
import struct
import subprocess
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype

from e2elib import RINGDNS, SRCDIR, Server, pid_alive, run, wait_for

EX = os.path.join(SRCDIR, "zones/examples")
EXAMPLES = {"example.com.": os.path.join(EX, "example.com.zone"),
            "example.net.": os.path.join(EX, "example.net.zone")}

BIG = """$ORIGIN big.test.
$TTL 300
@ SOA ns hostmaster 1 3600 900 604800 300
@ NS ns
ns A 198.18.0.1
""" + "".join(f'txt TXT "{"x" * 200} {i}"\n' for i in range(30))


def zone_v(serial, addr):
    return f"""$ORIGIN rl.test.
$TTL 300
@ SOA ns hostmaster {serial} 3600 900 604800 300
@ NS ns
ns A 198.18.0.1
www A {addr}
"""


def rrset_text(msg, section):
    return sorted(str(r) for r in getattr(msg, section))


def test_udp_tcp_answers():
    with Server(EXAMPLES) as s:
        s.start()
        for tcp in (False, True):
            for v6 in (False, True):
                r = s.query("www.example.com.", "A", tcp=tcp, v6=v6)
                assert r.rcode() == dns.rcode.NOERROR
                assert r.flags & dns.flags.AA
                assert [str(x) for x in r.answer[0]] == ["192.0.2.10"], r
        # dig over UDP and TCP: the zone's own NS set
        for tcp in (False, True):
            out = s.dig("NS", "example.com", "+short", tcp=tcp)
            assert sorted(out.split()) == ["ns1.example.com.", "ns2.example.com."], out
        # a referral: NS in authority, glue in additional, AA=0
        r = s.query("host.sub.example.com.", "A")
        assert r.rcode() == dns.rcode.NOERROR and not r.answer
        assert not (r.flags & dns.flags.AA)
        assert r.authority[0].rdtype == dns.rdatatype.NS
        assert r.additional, r
        # names outside the zones: REFUSED
        assert s.query("example.org.", "A").rcode() == dns.rcode.REFUSED
        assert s.stop() == 0


def test_kdig_tcp_and_udp():
    with Server(EXAMPLES) as s:
        s.start()
        for flag in ("+notcp", "+tcp"):
            out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(s.port), flag, "+short",
                                  "mail.example.com", "AAAA"], capture_output=True,
                                 text=True, timeout=30).stdout
            assert out.split() == ["2001:db8::25"], out


def test_tcp_pipelining():
    """RFC 7766 §6.2.1.1: several queries sent at once on one connection,
    every one answered (matched by ID)."""
    with Server(EXAMPLES) as s:
        s.start()
        names = ["www.example.com.", "mail.example.com.", "ns1.example.com.",
                 "nx.example.com.", "www.example.net."] * 4
        wire = b""
        ids = {}
        for i, n in enumerate(names):
            q = dns.message.make_query(n, "A")
            q.id = 1000 + i
            ids[q.id] = n
            w = q.to_wire()
            wire += struct.pack("!H", len(w)) + w
        c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        c.sendall(wire)
        buf = b""
        got = {}
        deadline = time.time() + 10
        while len(got) < len(names) and time.time() < deadline:
            data = c.recv(65536)
            if not data:
                break
            buf += data
            while len(buf) >= 2 and len(buf) >= 2 + struct.unpack("!H", buf[:2])[0]:
                ln = struct.unpack("!H", buf[:2])[0]
                m = dns.message.from_wire(buf[2:2 + ln])
                got[m.id] = m
                buf = buf[2 + ln:]
        c.close()
        assert sorted(got) == sorted(ids), (sorted(got), sorted(ids))
        for i, m in got.items():
            assert str(m.question[0].name) == ids[i]
        assert got[1003].rcode() == dns.rcode.NXDOMAIN


def test_truncation_then_tcp():
    with Server({"big.test.": BIG}) as s:
        s.start()
        # without EDNS the 512-byte limit applies: TC=1
        r = s.query("txt.big.test.", "TXT")
        assert r.flags & dns.flags.TC, r
        out = s.dig("+ignore", "+noedns", "TXT", "txt.big.test")
        assert " tc" in out.split("flags:")[1].split(";")[0], out
        # dig retries over TCP by itself and gets all 30 strings
        out = s.dig("+noedns", "+short", "TXT", "txt.big.test")
        assert len(out.strip().splitlines()) == 30, out
        r = s.query("txt.big.test.", "TXT", tcp=True)
        assert not (r.flags & dns.flags.TC) and len(r.answer[0]) == 30


def test_control_commands():
    with Server(EXAMPLES) as s:
        s.start()
        rc, out, err = s.ctl("status")
        assert rc == 0, err
        assert "workers: 2 UDP, 1 TCP" in out, out
        assert "zones: 2 served" in out, out
        # the socket backend: each UDP worker's last loop iteration, no ports
        assert "\nio: socket\n" in out, out
        prog = re.findall(r"^worker (\d+): thread, last progress (\d+) ms ago$", out, re.M)
        assert [w for w, _ in prog] == ["0", "1"], out
        # an idle worker still goes round its loop every 100 ms
        assert all(int(ms) < 1000 for _, ms in prog), out
        assert "\nport " not in out, out
        rc, out, err = s.ctl("zones")
        assert rc == 0, err
        lines = {l.split()[0]: l.split() for l in out.splitlines()[1:]}
        assert lines["example.com."][1] == "2026112401", out
        assert lines["example.com."][-1] == "-", out
        for _ in range(5):
            s.query("www.example.com.", "A")
            s.query("www.example.com.", "MX", tcp=True)
            s.query("nope.example.com.", "AAAA")
        rc, out, err = s.ctl("stats", "--json")
        assert rc == 0, err
        st = json.loads(out)
        tot = st["total"]
        assert tot["queries"]["udp"] >= 11 and tot["queries"]["tcp"] >= 5, tot
        assert tot["rcode"]["NXDOMAIN"] >= 5 and tot["qtype"]["MX"] >= 5, tot
        assert len(st["workers"]) == 3
        # the DPDK backend's frame and port counters are absent on sockets
        assert st["backend"] == "socket", st
        assert "io" not in tot and "ports" not in st, st
        assert all("io" not in w and "lcore" not in w for w in st["workers"]), st
        rc, out, err = s.ctl("stats")
        assert rc == 0 and "queries: udp" in out, out
        assert "frames:" not in out and "\nport" not in out, out
        rc, out, err = s.ctl("reload", "example.net.")
        assert rc == 0 and "example.net.: serial" in out, (out, err)
        # idle workers are RCU-offline (DESIGN.md "RCU"): the grace period
        # of the swap does not wait for their 100 ms poll() to end
        time.sleep(0.5)
        rc, out, err = s.ctl("reload", "example.net.")
        swaps = [float(x) for x in re.findall(r"example\.net\. serial \d+: serving .*"
                                               r"swapped in ([0-9.]+) s", s.logtext())]
        assert len(swaps) >= 2 and swaps[-1] < 0.05, swaps
        rc, out, err = s.ctl("reload", "nosuch.zone.")
        assert rc == 1 and "not configured" in err, err
        rc, out, err = s.ctl("bogus")
        assert rc == 2 and "unknown command" in err, err
        # a malformed request straight on the socket: an error answer,
        # and both processes go on
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(5)
        c.connect(s.sock)
        c.sendall(b"\x00\xff garbage\n")
        resp = c.recv(4096)
        c.close()
        assert resp.startswith(b"RINGCTL/1 ERR"), resp
        # a well-formed request the control process does not know
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(5)
        c.connect(s.sock)
        c.sendall(b"RINGCTL/1 bogus x\n")
        resp = c.recv(4096)
        c.close()
        assert resp.startswith(b"RINGCTL/1 ERR unknown command"), resp
        assert s.ctl("status")[0] == 0
        rc, out, err = s.ctl("stop")
        assert rc == 0, err
        assert s.proc.wait(10) == 0
        assert not os.path.exists(s.sock)


def stats_total(s):
    rc, out, err = s.ctl("stats", "--json")
    assert rc == 0, err
    return json.loads(out)["total"]


def stats_delta(before, after):
    """after - before, counter by counter (nested dicts)."""
    return {k: stats_delta(v, after[k]) if isinstance(v, dict) else after[k] - v
            for k, v in before.items()}


def test_stats_count_known_queries():
    """Each query is counted once, by what became of it: rcode, qtype,
    truncated, dropped, over UDP and TCP."""
    with Server(dict(EXAMPLES, **{"big.test.": BIG})) as s:
        s.start(wait_zone="big.test.")
        assert wait_for(lambda: s.query("www.example.com.", "A").answer)
        before = stats_total(s)
        # UDP: answered
        assert s.query("www.example.com.", "A").rcode() == dns.rcode.NOERROR
        assert s.query("nope.example.com.", "AAAA").rcode() == dns.rcode.NXDOMAIN
        assert s.query("example.org.", "A").rcode() == dns.rcode.REFUSED
        assert s.query("www.example.com.", "CAA").rcode() == dns.rcode.NOERROR
        r = s.query("txt.big.test.", "TXT", use_edns=False)
        assert r.flags & dns.flags.TC
        # UDP: dropped (a response, QR=1; a datagram shorter than a header)
        resp = dns.message.make_query("www.example.com.", "A")
        resp.flags |= dns.flags.QR
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.sendto(resp.to_wire(), ("127.0.0.1", s.port))
        u.sendto(b"\x12\x34\x01", ("127.0.0.1", s.port))
        u.close()
        # TCP: answered, and a frame shorter than a header (dropped)
        assert s.query("www.example.com.", "MX", tcp=True).rcode() == dns.rcode.NOERROR
        r = s.query("txt.big.test.", "TXT", tcp=True)
        assert not (r.flags & dns.flags.TC) and len(r.answer[0]) == 30
        t = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        t.sendall(b"\x00\x03abc")
        assert t.recv(10) == b""
        t.close()
        time.sleep(0.3)
        d = stats_delta(before, stats_total(s))
        assert d["queries"] == {"udp": 7, "tcp": 3}, d
        assert d["responses"] == {"udp": 5, "tcp": 2}, d
        assert d["dropped"] == 3 and d["truncated"] == 1, d
        assert {k: v for k, v in d["rcode"].items() if v} == \
            {"NOERROR": 5, "NXDOMAIN": 1, "REFUSED": 1}, d
        assert {k: v for k, v in d["qtype"].items() if v} == \
            {"A": 2, "AAAA": 1, "TXT": 2, "MX": 1, "other": 1}, d


def test_broken_reload_keeps_old():
    with Server({"rl.test.": zone_v(1, "198.18.0.10")}) as s:
        s.start()
        path = s.zonefiles["rl.test."]
        with open(path, "w") as f:
            f.write(zone_v(2, "198.18.0.20") + "bad A 300.1.2.3\n")
        rc, out, err = s.ctl("reload")
        assert rc == 1 and "failed to load" in err, (out, err)
        assert f"{path}:7:" in err, err
        r = s.query("www.rl.test.", "A")
        assert [str(x) for x in r.answer[0]] == ["198.18.0.10"]
        rc, out, err = s.ctl("zones")
        assert f"{path}:7:" in out and " 1 " in out, out
        assert f"{path}:7:" in s.logtext()
        # fixed: the new serial is served and the error is gone
        with open(path, "w") as f:
            f.write(zone_v(3, "198.18.0.30"))
        rc, out, err = s.ctl("reload", "rl.test")
        assert rc == 0, err
        r = s.query("www.rl.test.", "A")
        assert [str(x) for x in r.answer[0]] == ["198.18.0.30"]
        rc, out, err = s.ctl("zones")
        assert out.splitlines()[1].split()[1] == "3" and out.rstrip().endswith("-"), out


def test_sighup_reloads():
    with Server({"rl.test.": zone_v(1, "198.18.0.10")}) as s:
        s.start()
        with open(s.zonefiles["rl.test."], "w") as f:
            f.write(zone_v(2, "198.18.0.20"))
        s.proc.send_signal(signal.SIGHUP)
        deadline = time.time() + 10
        while time.time() < deadline:
            r = s.query("www.rl.test.", "A")
            if [str(x) for x in r.answer[0]] == ["198.18.0.20"]:
                break
            time.sleep(0.05)
        else:
            raise AssertionError("SIGHUP did not reload:\n" + s.logtext())


def test_control_killed_answers_continue():
    with Server(EXAMPLES) as s:
        s.start()
        ctl = s.control_pid()
        assert ctl and pid_alive(ctl)
        os.kill(ctl, signal.SIGKILL)
        # answers go on from the last snapshot while it is down
        for _ in range(20):
            r = s.query("www.example.com.", "A")
            assert r.rcode() == dns.rcode.NOERROR and r.answer
            time.sleep(0.01)
        deadline = time.time() + 15
        while time.time() < deadline:
            new = s.control_pid()
            if new and new != ctl and s.ctl("status")[0] == 0:
                break
            time.sleep(0.1)
        else:
            raise AssertionError("control process did not come back:\n" + s.logtext())
        rc, out, err = s.ctl("status")
        assert "restarts 1" in out, out
        assert "ringdns-control was killed by signal 9" in s.logtext()
        assert s.query("www.example.net.", "A").answer


def test_image_cache():
    """server.cache-dir: a zone whose files are unchanged is served from its
    cached image at the next start; a changed zone file or $INCLUDE, a
    corrupt image or one of another snapshot format is not used."""
    with Server({}) as s0:
        tmp = s0.tmp
        cache = os.path.join(tmp, "cache")
        os.mkdir(cache)
        inc = s0.write("hosts.inc", "mail A 198.18.0.25\n")
        zpath = s0.write("rl.test.zone", zone_v(7, "198.18.0.70") + "$INCLUDE hosts.inc\n")
        old = time.time() - 60
        for f in (zpath, inc):
            os.utime(f, (old, old))
        img = os.path.join(cache, "rl.test.img")

        started = []

        def start():
            s = Server({"rl.test.": zpath}, tmp=tmp, extra=["--cache-dir", cache])
            s.log = os.path.join(tmp, f"ringdns-{time.time()}.log")
            started.append(s)   # stopped below, also when a check fails
            return s.start()

        try:
            cache_steps(start, zpath, inc, img, old)
        finally:
            for s in started:
                s.stop(expect_clean=False)


def cache_steps(start, zpath, inc, img, old):
    def check(s, addr, mail="198.18.0.25"):
        assert [str(x) for x in s.query("www.rl.test.", "A").answer[0]] == [addr]
        assert [str(x) for x in s.query("mail.rl.test.", "A").answer[0]] == [mail]

    s = start()
    check(s, "198.18.0.70")
    assert wait_for(lambda: "not from the cache: no cached image" in s.logtext()), s.logtext()
    assert wait_for(lambda: os.path.exists(img)), s.logtext()
    s.stop()
    # unchanged: served from the image
    s = start()
    check(s, "198.18.0.70")
    assert wait_for(lambda: "loaded from the cached image" in s.logtext()), s.logtext()
    s.stop()
    # an $INCLUDEd file changed: compiled again
    with open(inc, "w") as f:
        f.write("mail A 198.18.0.26\n")
    os.utime(inc, (old + 1, old + 1))
    s = start()
    check(s, "198.18.0.70", "198.18.0.26")
    assert wait_for(lambda: "hosts.inc changed since the image was cached" in s.logtext()), \
        s.logtext()
    assert wait_for(lambda: "image cached" in s.logtext())
    s.stop()
    # the zone file changed: compiled again, new serial
    with open(zpath, "w") as f:
        f.write(zone_v(8, "198.18.0.80") + "$INCLUDE hosts.inc\n")
    os.utime(zpath, (old + 2, old + 2))
    s = start()
    check(s, "198.18.0.80", "198.18.0.26")
    assert wait_for(lambda: "rl.test.zone changed since the image was cached" in s.logtext())
    assert wait_for(lambda: "image cached" in s.logtext())
    s.stop()
    # a corrupt image (valid cache header): ringdns refuses it, the
    # zone is compiled from its file, the bad cache file is replaced
    with open(img, "r+b") as f:
        f.seek(os.path.getsize(img) - 100)
        f.write(b"\xff" * 50)
    s = start()
    check(s, "198.18.0.80", "198.18.0.26")
    assert wait_for(lambda: "cached image not used" in s.logtext()
                    and "image refused" in s.logtext()), s.logtext()
    assert wait_for(lambda: "image cached" in s.logtext())
    s.stop()
    s = start()
    assert wait_for(lambda: "loaded from the cached image" in s.logtext()), s.logtext()
    s.stop()
    # another snapshot format version in the cache header
    with open(img, "r+b") as f:
        f.seek(12)
        f.write(struct.pack("<I", 999))
    s = start()
    check(s, "198.18.0.80", "198.18.0.26")
    assert wait_for(lambda: "snapshot format 999" in s.logtext()), s.logtext()
    s.stop()


def test_runs_as_non_root():
    """Point 1: an unprivileged user on a port above 1024."""
    if os.geteuid() != 0:
        uid = os.geteuid()
        user = None
    else:
        uid = 65534
        user = (65534, 65534)
    # the user may not reach the source or build tree (e.g. under /root):
    # the binaries and zones go to a directory it can read
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-")
    os.chmod(tmp, 0o755)
    try:
        for b in (RINGDNS, os.path.join(os.path.dirname(RINGDNS), "../control/ringdns-control")):
            shutil.copy(b, tmp)
        shutil.copytree(EX, os.path.join(tmp, "zones"))
        zones = {z: os.path.join(tmp, "zones", os.path.basename(f))
                 for z, f in EXAMPLES.items()}
        with Server(zones, user=user, binary=os.path.join(tmp, "ringdns")) as s:
            nonroot_checks(s, uid)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def nonroot_checks(s, uid):
    s.start()
    assert s.query("www.example.com.", "A").answer
    assert s.query("www.example.com.", "A", tcp=True, v6=True).answer
    with open(f"/proc/{s.proc.pid}/status") as f:
        uids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
    assert all(int(u) == uid for u in uids), uids
    ctl = s.control_pid()
    with open(f"/proc/{ctl}/status") as f:
        uids = [l.split()[1:] for l in f if l.startswith("Uid:")][0]
    assert all(int(u) == uid for u in uids), uids
    assert os.stat(s.sock).st_uid == uid
    assert os.stat(s.sock).st_mode & 0o777 == 0o600
    # root may use the socket (peer credentials: owner or root)
    assert s.ctl("status")[0] == 0


def test_bad_flags_and_config():
    r = subprocess.run([os.environ.get("RINGDNS", "ringdns"), "--workers", "abc"],
                       capture_output=True, text=True, timeout=10)
    assert r.returncode == 2 and "--workers" in r.stderr, r.stderr
    with Server({}) as s:
        cfg = s.write("bad.yaml", "server:\n  listen: 127.0.0.1:1\n  wrokers: 2\n")
        r = subprocess.run([os.environ.get("RINGDNS", "ringdns"), "--config", cfg],
                           capture_output=True, text=True, timeout=10)
        assert r.returncode == 2 and f"{cfg}:3:" in r.stderr, r.stderr


def thread_cpus(pid):
    """{thread id: Cpus_allowed_list} of process pid."""
    out = {}
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/status") as f:
            out[int(tid)] = [l.split()[1] for l in f if l.startswith("Cpus_allowed_list")][0]
    return out


def test_cpu_pin():
    """--cpu-pin: worker i runs on the i-th CPU ringdns may use; the other
    threads keep the whole mask."""
    allowed = sorted(os.sched_getaffinity(0))
    with Server(EXAMPLES, workers=3, extra=["--cpu-pin"]) as s:
        s.start()
        cpus = thread_cpus(s.proc.pid)
        want = sorted(str(allowed[i % len(allowed)]) for i in range(3))
        pinned = sorted(c for c in cpus.values() if c.isdigit())
        if len(allowed) > 1:
            assert pinned == want, (cpus, want)
        assert s.query("www.example.com.", "A").answer
    with Server(EXAMPLES, workers=3) as s:
        s.start()
        if len(allowed) > 1:
            assert not any(c.isdigit() for c in thread_cpus(s.proc.pid).values())


def test_refusal_exits_nonzero():
    """A second ringdns whose control socket is in use (another port)
    refuses to start: non-zero exit status, the reason in its log."""
    with Server(EXAMPLES) as a:
        a.start()
        b = Server(EXAMPLES, tmp=a.tmp)
        assert b.sock == a.sock and b.port != a.port
        r = subprocess.run(b.args, capture_output=True, text=True, timeout=30)
        assert r.returncode != 0, (r.returncode, r.stderr)
        assert f"control socket {a.sock} is in use by another process" in r.stderr, r.stderr
        assert "ringdns-control refused to start" in r.stderr, r.stderr
        # the first one goes on
        assert a.query("www.example.com.", "A").answer
        assert a.ctl("status")[0] == 0


def udp_queries(s):
    return stats_total(s)["queries"]["udp"]


def test_second_instance_on_same_port():
    """A second ringdns on an address and port another serves refuses to
    start, with the reason; with reuse-port-takeover it starts beside the
    first, and both answer."""
    with Server(EXAMPLES) as a:
        a.start()
        b = Server(EXAMPLES, port=a.port)
        try:
            r = subprocess.run(b.args, capture_output=True, text=True, timeout=30)
            assert r.returncode != 0, (r.returncode, r.stderr)
            want = f"127.0.0.1:{a.port} is already served by another process (UDP)"
            assert want in r.stderr, r.stderr
            assert a.query("www.example.com.", "A").answer
            # only a TCP listener there (another program): refused too
            with Server(EXAMPLES) as c:
                t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                t.bind(("127.0.0.1", c.port))
                t.listen(1)
                try:
                    r = subprocess.run(c.args, capture_output=True, text=True, timeout=30)
                finally:
                    t.close()
                assert r.returncode != 0 and \
                    f"127.0.0.1:{c.port} is already served by another process (TCP)" \
                    in r.stderr, r.stderr
            # a hand-over: both serve the port, the kernel spreads queries
            b.args.append("--reuse-port-takeover")
            b.start(wait_zone="example.com.")
            assert wait_for(lambda: "serving 2 zones" in b.logtext()), b.logtext()
            a0, b0 = udp_queries(a), udp_queries(b)
            for _ in range(200):
                assert a.query("www.example.com.", "A").answer
            assert udp_queries(a) > a0 and udp_queries(b) > b0
            assert "reuse-port-takeover" in b.logtext()
        finally:
            b.stop(expect_clean=False)
            shutil.rmtree(b.tmp, ignore_errors=True)


def test_restart_with_time_wait():
    """A restart right after a stop starts although TCP connections the
    old instance closed are in TIME_WAIT on its port."""
    with Server(EXAMPLES) as a:
        a.start()
        port = a.port
        conns = []
        for _ in range(3):
            t = socket.create_connection(("127.0.0.1", port), timeout=5)
            q = dns.message.make_query("www.example.com.", "A").to_wire()
            t.sendall(struct.pack("!H", len(q)) + q)
            assert len(t.recv(4096)) > 2
            conns.append(t)
        assert a.stop() == 0    # ringdns closes them first: TIME_WAIT on its side
        for t in conns:
            t.close()
        tw = subprocess.run(["ss", "-tanH", "state", "time-wait", f"( sport = :{port} )"],
                            capture_output=True, text=True).stdout
        assert tw.strip(), "no TIME_WAIT left to test with"
        with Server(EXAMPLES, port=port) as b:
            b.start()
            assert b.query("www.example.com.", "A", tcp=True).answer


if __name__ == "__main__":
    run([test_udp_tcp_answers, test_kdig_tcp_and_udp, test_tcp_pipelining,
         test_truncation_then_tcp, test_control_commands, test_stats_count_known_queries, test_broken_reload_keeps_old,
         test_sighup_reloads, test_control_killed_answers_continue,
         test_image_cache, test_runs_as_non_root, test_bad_flags_and_config,
         test_cpu_pin, test_refusal_exits_nonzero, test_second_instance_on_same_port,
         test_restart_with_time_wait])
