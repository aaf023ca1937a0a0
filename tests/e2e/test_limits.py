#!/usr/bin/python3
"""End-to-end test of ringdns under a low descriptor limit (prlimit): idle
TCP connections from several client addresses must not take the
descriptors that reloads, ringctl and a restart of the control process
need."""
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


if __name__ == "__main__":
    run([test_idle_tcp_cannot_starve_reloads])
