#!/usr/bin/python3
"""End-to-end tests of dnstap logging: ringdns logs queries and responses
(UDP and TCP) to a file or to a Unix socket, and the real readers read them
back: BIND's dnstap-read (its YAML output, parsed) for files, fstrm_capture
(fstrm-bin) as the socket's reader.  Each message names both ends, the
client's address and port and the server's, over UDP and TCP, IPv4 and
IPv6.  Sampling logs 1 query in N; a reader that stops reading makes
ringdns drop and count messages, never wait."""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import dns.message
import dns.query
import dns.rcode
import yaml

from e2elib import RINGDNS, SRCDIR, Server, run, wait_for

EX = os.path.join(SRCDIR, "zones/examples")
ZONES = {"example.com.": os.path.join(EX, "example.com.zone")}


def read_tap(path):
    """The messages of a dnstap file, as dnstap-read -y gives them."""
    out = subprocess.run(["dnstap-read", "-y", path], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def question(m):
    """'name. IN TYPE' of a logged message's query or response."""
    data = m["message"].get("query_message_data") or m["message"]["response_message_data"]
    return data["QUESTION_SECTION"][0]


def stat(s, name):
    rc, out, err = s.ctl("stats")
    assert rc == 0, (out, err)
    for line in out.splitlines():
        if line.startswith("dnstap:"):
            sent, dropped = line.split(":", 1)[1].split(",")
            return {"sent": int(sent.split()[0]), "dropped": int(dropped.split()[0])}[name]
    raise AssertionError("no dnstap line in ringctl stats:\n" + out)


def config(tmp, text):
    path = os.path.join(tmp, "dnstap.yaml")
    with open(path, "w") as f:
        f.write("dnstap:\n" + text)
    return path


def udp(s, name, rdtype):
    return dns.query.udp(dns.message.make_query(name, rdtype), "127.0.0.1", port=s.port,
                         timeout=2)


def test_file_udp_and_tcp():
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-")
    tap = os.path.join(tmp, "q.dnstap")
    cfg = config(tmp, f"  file: {tap}\n  identity: ns1.test\n  version: tap-test\n")
    try:
        with Server(ZONES, tmp=tmp, config=cfg) as s:
            s.start()
            before = stat(s, "sent")     # start-up's SOA probes are logged too
            assert udp(s, "www.example.com.", "A").answer
            assert udp(s, "nx.example.com.", "MX").rcode() == dns.rcode.NXDOMAIN
            r = dns.query.tcp(dns.message.make_query("example.com.", "SOA"), "127.0.0.1",
                              port=s.port, timeout=2)
            assert r.answer
            assert wait_for(lambda: stat(s, "sent") == before + 6, 5), "6 messages sent"
            assert stat(s, "dropped") == 0
            s.stop()
        msgs = read_tap(tap)
        got = {(m["message"]["type"], m["message"]["socket_protocol"], question(m))
               for m in msgs}
        for proto, q in (("UDP", "www.example.com. IN A"), ("UDP", "nx.example.com. IN MX"),
                         ("TCP", "example.com. IN SOA")):
            assert ("AUTH_QUERY", proto, q) in got, (proto, q, got)
            assert ("AUTH_RESPONSE", proto, q) in got, (proto, q, got)
        for m in msgs:
            assert m["identity"] == "ns1.test" and m["version"] == "tap-test", m
            assert m["message"]["query_address"] == "127.0.0.1", m
            assert m["message"]["socket_family"] == "INET", m
        nx = [m for m in msgs if m["message"]["type"] == "AUTH_RESPONSE"
              and question(m) == "nx.example.com. IN MX"]
        assert nx[0]["message"]["response_message_data"]["status"] == "NXDOMAIN", nx
        qs = [m for m in msgs if m["message"]["type"] == "AUTH_QUERY"]
        assert all(m["message"]["query_port"] > 0 for m in qs), qs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def client_socket(family, kind, server):
    """A socket bound to the loopback address of family on a port of the
    kernel's choice, connected to server for TCP; and its port."""
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    sk = socket.socket(family, kind)
    sk.bind((host, 0))
    if kind == socket.SOCK_STREAM:
        sk.connect(server)
    return sk, sk.getsockname()[1]


def test_both_ends_named():
    """query_address and query_port are the client socket's, response_address
    and response_port the address and port it sent to, on UDP and TCP sockets
    over IPv4 and IPv6."""
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-")
    tap = os.path.join(tmp, "ends.dnstap")
    cfg = config(tmp, f"  file: {tap}\n")
    want = {}
    try:
        with Server(ZONES, tmp=tmp, config=cfg) as s:
            s.start()
            before = stat(s, "sent")
            for fam, host, fname in ((socket.AF_INET, "127.0.0.1", "INET"),
                                     (socket.AF_INET6, "::1", "INET6")):
                for kind, proto in ((socket.SOCK_DGRAM, "UDP"), (socket.SOCK_STREAM, "TCP")):
                    name = f"ends-{fname}-{proto}.example.com.".lower()
                    q = dns.message.make_query(name, "A")
                    sk, port = client_socket(fam, kind, (host, s.port))
                    with sk:
                        if proto == "UDP":
                            r = dns.query.udp(q, host, port=s.port, timeout=2, sock=sk)
                        else:
                            r = dns.query.tcp(q, host, port=s.port, timeout=2, sock=sk)
                    assert r.rcode() == dns.rcode.NXDOMAIN, r
                    want[f"{name} IN A"] = (fname, proto, host, port)
            assert wait_for(lambda: stat(s, "sent") == before + 2 * len(want), 5), \
                "2 messages per query sent"
            s.stop()
        seen = set()
        for m in read_tap(tap):
            q = question(m)
            if q not in want:
                continue
            fname, proto, host, port = want[q]
            msg = m["message"]
            got = (msg["socket_family"], msg["socket_protocol"], msg["query_address"],
                   msg["query_port"], msg["response_address"], msg["response_port"])
            assert got == (fname, proto, host, port, host, s.port), (q, msg["type"], got)
            seen.add((q, msg["type"]))
        assert seen == {(q, t) for q in want for t in ("AUTH_QUERY", "AUTH_RESPONSE")}, seen
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_sampling_and_queries_only():
    """1 in 10 of 300 queries, queries only: 30 AUTH_QUERY, no response."""
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-")
    tap = os.path.join(tmp, "s.dnstap")
    cfg = config(tmp, f"  file: {tap}\n  sample: 10\n  responses: false\n")
    try:
        with Server(ZONES, tmp=tmp, config=cfg, workers=1) as s:
            s.start()
            before = stat(s, "sent")
            for i in range(300):
                assert udp(s, f"h{i}.example.com.", "A") is not None
            assert wait_for(lambda: stat(s, "sent") - before >= 30, 5), "30 messages sent"
            assert stat(s, "sent") - before == 30
            s.stop()
        msgs = read_tap(tap)
        assert {m["message"]["type"] for m in msgs} == {"AUTH_QUERY"}
        names = [question(m) for m in msgs if question(m).startswith("h")]
        # one worker: exactly every 10th query
        assert len(names) == 30, names
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def capture(sock, out):
    p = subprocess.Popen(["fstrm_capture", "-t", "protobuf:dnstap.Dnstap", "-u", sock,
                          "-w", out], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         start_new_session=True)
    assert wait_for(lambda: os.path.exists(sock), 5), "fstrm_capture's socket"
    return p


def stop_capture(p):
    if p.poll() is None:
        os.kill(p.pid, signal.SIGCONT)
        p.terminate()
        try:
            p.wait(10)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def test_unix_socket_reader():
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-")
    sock, out = os.path.join(tmp, "tap.sock"), os.path.join(tmp, "cap.dnstap")
    cfg = config(tmp, f"  socket: {sock}\n")
    cap = capture(sock, out)
    try:
        with Server(ZONES, tmp=tmp, config=cfg) as s:
            s.start()
            # fstrm connects within its reopen interval (1 s)
            time.sleep(1.5)
            for i in range(5):
                assert udp(s, f"sock{i}.example.com.", "AAAA") is not None
            assert wait_for(lambda: stat(s, "sent") >= 10, 5), "messages sent"
            s.stop()
        time.sleep(0.5)
        stop_capture(cap)
        qs = {question(m) for m in read_tap(out)}
        for i in range(5):
            assert f"sock{i}.example.com. IN AAAA" in qs, qs
    finally:
        stop_capture(cap)
        shutil.rmtree(tmp, ignore_errors=True)


def test_stalled_reader_drops_never_blocks():
    """The reader stops reading (SIGSTOP): the socket and fstrm's queues
    fill, then messages are dropped and counted while every query is still
    answered at once."""
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-")
    sock, out = os.path.join(tmp, "tap.sock"), os.path.join(tmp, "cap.dnstap")
    cfg = config(tmp, f"  socket: {sock}\n")
    cap = capture(sock, out)
    try:
        with Server(ZONES, tmp=tmp, config=cfg, workers=1) as s:
            s.start()
            time.sleep(1.5)
            os.kill(cap.pid, signal.SIGSTOP)
            t0 = time.monotonic()
            for i in range(4000):
                r = udp(s, f"stall{i}.example.com.", "TXT")
                assert r.rcode() == dns.rcode.NXDOMAIN
            took = time.monotonic() - t0
            dropped = stat(s, "dropped")
            assert dropped > 0, "nothing dropped behind a stalled reader"
            assert took < 30, took
            os.kill(cap.pid, signal.SIGCONT)
            s.stop()
    finally:
        stop_capture(cap)
        shutil.rmtree(tmp, ignore_errors=True)


def test_bad_config_refused():
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-")
    try:
        both = config(tmp, "  socket: /tmp/x.sock\n  file: /tmp/x.tap\n")
        r = subprocess.run([RINGDNS,
                            "--config", both], capture_output=True, text=True, timeout=10)
        assert r.returncode != 0 and "dnstap" in r.stderr and "not both" in r.stderr, r
        bad = config(tmp, f"  file: {tmp}/no/such/dir/t.dnstap\n")
        with Server(ZONES, tmp=tmp, config=bad) as s:
            try:
                s.start(timeout=5)
                raise AssertionError("ringdns started with an unwritable dnstap file")
            except AssertionError as e:
                assert "dnstap file" in str(e) and "No such file" in str(e), e
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    run([test_file_udp_and_tcp, test_both_ends_named, test_sampling_and_queries_only,
         test_unix_socket_reader, test_stalled_reader_drops_never_blocks,
         test_bad_config_refused])
