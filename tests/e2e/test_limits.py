#!/usr/bin/python3
"""End-to-end tests of ringdns's resource limits: under a low descriptor
limit (prlimit), idle TCP connections from several client addresses must
not take the descriptors that reloads, ringctl and a restart of the
control process need; each limit hit is logged once per burst, naming its
configuration key."""
import os
import shutil
import signal
import socket
import tempfile
import time

import dns.rcode

from e2elib import SRCDIR, Server, closed_by_server, run, wait_for

EX = os.path.join(SRCDIR, "zones/examples")
EXAMPLES = {"example.com.": os.path.join(EX, "example.com.zone"),
            "example.net.": os.path.join(EX, "example.net.zone")}
NOFILE = 256                # ringdns's hard and soft descriptor limit
CLIENTS = 10                # source addresses 127.0.0.2 ...
PER_CLIENT = 40             # connections from each: 400 in all, over NOFILE


def open_idle(port, conns):
    """Idle connections from 127.0.0.2.. until CLIENTS * PER_CLIENT."""
    for c in range(CLIENTS):
        for _ in range(PER_CLIENT):
            t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            conns.append(t)
            t.settimeout(2)
            t.bind((f"127.0.0.{2 + c}", 0))
            t.connect(("127.0.0.1", port))


def test_idle_tcp_cannot_starve_reloads():
    conns = []
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-")
    cfg = os.path.join(tmp, "limits.yaml")
    with open(cfg, "w") as f:
        f.write("server:\n  tcp-idle-timeout: 600\n")   # idle for the whole test
    with Server(EXAMPLES, tmp=tmp, config=cfg) as s:
        s.args = ["prlimit", f"--nofile={NOFILE}:{NOFILE}", "--"] + s.args
        try:
            s.start()
            open_idle(s.port, conns)
            time.sleep(1)
            # reloads hand images over: they need descriptors in ringdns
            rc, out, err = s.ctl("reload", timeout=60)
            assert rc == 0, (out, err, s.logtext())
            assert s.ctl("status")[0] == 0
            # the control process restarts (a new control channel)
            ctl = s.control_pid()
            os.kill(ctl, signal.SIGKILL)
            assert wait_for(lambda: s.control_pid() not in (None, ctl)
                            and s.ctl("status")[0] == 0, timeout=15), s.logtext()
            rc, out, err = s.ctl("reload", "example.net.", timeout=60)
            assert rc == 0, (out, err, s.logtext())
            r = s.query("www.example.com.", "A")
            assert r.rcode() == dns.rcode.NOERROR and r.answer
            # the limit was derived from the descriptors and logged
            log = s.logtext()
            assert "TCP connections: at most" in log, log
            limit = int(log.split("TCP connections: at most ")[1].split()[0])
            assert limit < NOFILE, limit
            refused = sum(closed_by_server(t) for t in conns)
            assert refused >= len(conns) - limit, (refused, limit)
        finally:
            for t in conns:
                t.close()
            shutil.rmtree(tmp, ignore_errors=True)


def lines_with(log, text):
    return [l for l in log.splitlines() if text in l]


def limited(zones, server_lines):
    """A Server for zones with server_lines in its configuration's server
    section (its temporary directory removed with it)."""
    s = Server(zones)
    s.args += ["--config", s.write("limits.yaml", "server:\n" + server_lines)]
    return s


def reload_with(s, zone, text):
    """Writes text as zone's file and reloads it: ringctl's (rc, out, err)."""
    with open(s.zonefiles[zone], "w") as f:
        f.write(text)
    return s.ctl("reload", zone)


def test_tcp_limits_logged_once_per_burst():
    conns = []
    with limited(EXAMPLES, "  tcp-idle-timeout: 600\n  tcp-max-clients: 6\n"
                 "  tcp-max-per-client: 2\n") as s:
        try:
            s.start()
            # 10 from one address: 2 admitted, 8 refused by the per-client limit
            for _ in range(10):
                t = socket.create_connection(("127.0.0.1", s.port), timeout=2)
                conns.append(t)
            # 2 from each of 4 more: 6 in all admitted, the last 4 refused
            for c in range(4):
                for _ in range(2):
                    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                    conns.append(t)
                    t.settimeout(2)
                    t.bind((f"127.0.0.{2 + c}", 0))
                    t.connect(("127.0.0.1", s.port))
            assert wait_for(lambda: sum(closed_by_server(t) for t in conns) == 12,
                            timeout=5), [closed_by_server(t) for t in conns]
            time.sleep(0.3)
            log = s.logtext()
            per = lines_with(log, "(tcp-max-per-client)")
            tot = lines_with(log, "(tcp-max-clients)")
            # one line per burst, not one per refused connection
            assert len(per) == 1, per
            assert "from 127.0.0.1 refused: 2 connections open from that address" in per[0]
            assert len(tot) == 1, tot
            assert "refused: 6 connections open in all" in tot[0], tot
            # the server still answers, over TCP too once a slot frees
            for t in conns:
                t.close()
            conns.clear()
            assert wait_for(lambda: s.query("www.example.com.", "A", tcp=True).answer,
                            timeout=5)
        finally:
            for t in conns:
                t.close()


def zone_text(serial, hosts, pad=0):
    """lim.test. with serial, SOA, NS, ns1 and hosts A records; pad TXT
    records of 200 bytes each make it large."""
    lines = ["$TTL 300",
             f"@ SOA ns1 hostmaster {serial} 7200 3600 1209600 300",
             "@ NS ns1", "ns1 A 198.51.100.1"]
    lines += [f"h{i} A 198.51.100.{i % 250}" for i in range(hosts)]
    lines += [f't{i} TXT "{"x" * 200}"' for i in range(pad)]
    return "\n".join(lines) + "\n"


def serial_of(s, zone):
    return s.query(zone, "SOA").answer[0][0].serial


def test_zone_limits_keep_the_version_served():
    """A zone file past zone-max-records or zone-max-mb is refused at load
    with FILE:LINE or FILE and the key's name, in the log and in `ringctl
    zones`; the version served before keeps serving."""
    with limited({"lim.test.": zone_text(1, 46)},
                 "  zone-max-records: 50\n  zone-max-mb: 1\n") as s:
        s.start()
        path = s.zonefiles["lim.test."]
        assert serial_of(s, "lim.test.") == 1
        # 51 records: the 51st, on line 52, is one too many
        rc, out, err = reload_with(s, "lim.test.", zone_text(2, 48))
        want = f"{path}:52: more than 50 records (zone-max-records)"
        assert rc == 1 and want in err, (rc, out, err)
        assert want in s.ctl("zones")[1]
        assert want in s.logtext()
        assert serial_of(s, "lim.test.") == 1
        assert s.query("h45.lim.test.", "A").answer
        # 5000 TXT of 200 bytes: over 1 MiB, refused before parsing
        rc, out, err = reload_with(s, "lim.test.", zone_text(3, 0, pad=5000))
        want = f"{path}: larger than 1 MiB (zone-max-mb)"
        assert rc == 1 and want in err, (rc, out, err)
        assert want in s.ctl("zones")[1]
        assert serial_of(s, "lim.test.") == 1
        # within both limits: served, the error gone
        rc, out, err = reload_with(s, "lim.test.", zone_text(4, 40))
        assert rc == 0, (out, err)
        assert serial_of(s, "lim.test.") == 4
        assert "zone-max" not in s.ctl("zones")[1]


def test_snapshot_memory_limit():
    """A reload whose image would take the images mapped past
    snapshot-max-mb (the one served and the new one, mapped together
    until the swap) is refused before it is handed over: the old serial
    keeps answering, the reason is logged and shown by `ringctl zones`."""
    with limited({"lim.test.": zone_text(1, 10)}, "  snapshot-max-mb: 3\n") as s:
        s.start()
        assert "zone images: at most 3 MiB mapped at once (snapshot-max-mb)" in s.logtext()
        # about 1.7 MiB of image: fits beside the small one
        rc, out, err = reload_with(s, "lim.test.", zone_text(2, 10, pad=6000))
        assert rc == 0, (out, err, s.logtext())
        assert serial_of(s, "lim.test.") == 2
        # growing to about 2 MiB: alone it fits, but with the 1.7 MiB
        # served (mapped until the swap) it is past 3 MiB
        rc, out, err = reload_with(s, "lim.test.", zone_text(3, 10, pad=7000))
        assert rc == 1 and "more than snapshot-max-mb 3" in err, (rc, out, err)
        print("  " + err.strip())
        assert "more than snapshot-max-mb 3" in s.ctl("zones")[1]
        assert lines_with(s.logtext(), "more than snapshot-max-mb 3"), s.logtext()
        assert serial_of(s, "lim.test.") == 2
        assert s.query("t5999.lim.test.", "TXT").answer
        assert not s.query("t6999.lim.test.", "TXT").answer
        # back under the limit: served again, the error gone
        rc, out, err = reload_with(s, "lim.test.", zone_text(4, 10))
        assert rc == 0, (out, err)
        assert serial_of(s, "lim.test.") == 4
        assert "snapshot-max-mb" not in s.ctl("zones")[1]


def test_control_socket_silent_and_oversized_clients():
    """Twenty clients connected to the control socket that say nothing,
    more than control-max-clients (16), do not delay `ringctl status`; a
    request past 4096 bytes is refused with an error the client reads;
    the control process stays the same, healthy one."""
    socks = []
    with Server(EXAMPLES) as s:
        try:
            s.start()
            ctl = s.control_pid()
            for _ in range(20):
                c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                socks.append(c)
                c.connect(s.sock)
            time.sleep(0.2)
            t0 = time.time()
            rc, out, err = s.ctl("status", timeout=10)
            took = time.time() - t0
            assert rc == 0 and took < 1.0, (rc, out, err, took)
            # the clients silent longest made room, and were told
            log = s.logtext()
            assert lines_with(log, "clients at once (control-max-clients)"), log
            # a request line past 4096 bytes
            big = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            socks.append(big)
            big.settimeout(5)
            big.connect(s.sock)
            big.sendall(b"RINGCTL/1 status " + b"x" * 5000 + b"\n")
            answer = b""
            while True:
                chunk = big.recv(4096)
                if not chunk:
                    break
                answer += chunk
            assert answer == (b"RINGCTL/1 ERR request line too long (limit 4096 bytes "
                              b"including the newline)\n"), answer
            assert s.control_pid() == ctl
            assert s.ctl("status")[0] == 0
            assert s.query("www.example.com.", "A").answer
        finally:
            for c in socks:
                c.close()


if __name__ == "__main__":
    run([test_idle_tcp_cannot_starve_reloads, test_tcp_limits_logged_once_per_burst,
         test_zone_limits_keep_the_version_served, test_snapshot_memory_limit,
         test_control_socket_silent_and_oversized_clients])
