#!/usr/bin/python3
"""End-to-end test of the DPDK backend: ringdns --io dpdk in a network
namespace of its own, its only port a net_af_packet device on one end of a
veth pair; the other end is in a client namespace.  From the client, dig
over UDP on IPv4 and IPv6 gets the right answers (ARP and neighbour
discovery resolve the server's addresses through the fast path on the way)
and an ICMP echo request is answered.  The namespaces (which take their
veths along) are made by the test and always deleted; ringdns is stopped by
PID; EAL runs with --no-shconf and a file prefix of its own, and its
/var/run/dpdk directory is checked gone.  Addresses in 198.18.0.0/15 and
2001:db8::/32.  Needs root and a ringdns built with DPDK; skipped
otherwise."""
import os
import shutil
import subprocess
import sys
import time

from e2elib import SRCDIR, Server, run

EX = os.path.join(SRCDIR, "zones/examples")
ZONES = {"example.com.": os.path.join(EX, "example.com.zone")}
TAG = f"rdd{os.getpid() % 100000}"
SRV_NS, CL_NS = f"{TAG}s", f"{TAG}c"
SRV_IF, CL_IF = f"{TAG}v", f"{TAG}p"
SRV4, CL4 = "198.18.0.1", "198.18.0.2"
SRV6, CL6 = "2001:db8::1", "2001:db8::2"
RUNTIME_DIR = f"/var/run/dpdk/{TAG}"

# An ICMP echo request from the client namespace; exits 0 on the reply.
PING = r"""
import socket, struct, sys
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.settimeout(1.0)
body = struct.pack("!HH", 0x4242, 1) + b"ringdns-ping"
pkt = struct.pack("!BBH", 8, 0, 0) + body
pkt = struct.pack("!BBH", 8, 0, csum(pkt)) + body
for _ in range(3):
    s.sendto(pkt, (sys.argv[1], 0))
    try:
        while True:
            r = s.recv(2048)
            icmp = r[(r[0] & 15) * 4:]
            if icmp[0] == 0 and icmp[4:6] == b"\x42\x42":
                sys.exit(0)
    except socket.timeout:
        pass
sys.exit(1)
"""


def sh(*cmd, ns=None):
    if ns:
        cmd = ("ip", "netns", "exec", ns) + cmd
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)


def make_net():
    """The server namespace holds SRV_IF (no address: DPDK answers on it)
    and lo for the TCP listener; the client namespace holds CL_IF with
    CL4 and CL6."""
    sh("ip", "netns", "add", SRV_NS)
    sh("ip", "netns", "add", CL_NS)
    sh("ip", "link", "add", SRV_IF, "netns", SRV_NS, "type", "veth", "peer", "name", CL_IF,
       "netns", CL_NS)
    sh("ip", "link", "set", "lo", "up", ns=SRV_NS)
    sh("ip", "link", "set", SRV_IF, "up", ns=SRV_NS)
    sh("ip", "link", "set", "lo", "up", ns=CL_NS)
    sh("ip", "addr", "add", f"{CL4}/24", "dev", CL_IF, ns=CL_NS)
    sh("ip", "addr", "add", f"{CL6}/64", "dev", CL_IF, "nodad", ns=CL_NS)
    sh("ip", "link", "set", CL_IF, "up", ns=CL_NS)


def drop_net():
    for ns in (SRV_NS, CL_NS):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
    shutil.rmtree(RUNTIME_DIR, ignore_errors=True)


def dig(server, *args):
    r = subprocess.run(["ip", "netns", "exec", CL_NS, "dig", f"@{server}", "+tries=1",
                        "+time=1", "+short"] + list(args),
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip()


def dig_retry(server, *args, want):
    """The first query may wait for ARP or ND: a few tries."""
    got = ""
    for _ in range(5):
        got = dig(server, *args)
        if got == want:
            break
        time.sleep(0.2)
    return got


def dpdk_server():
    eal = ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix", TAG,
           "-l", "0-1", "--log-level=lib.*:error", "--vdev", f"net_af_packet0,iface={SRV_IF}"]
    s = Server(ZONES, workers=1, extra=["--io", "dpdk", "--address", SRV4, "--address", SRV6,
                                        "--"] + eal)
    s.args = ["ip", "netns", "exec", SRV_NS] + s.args
    return s


def test_udp_v4_v6_and_echo():
    try:
        make_net()
        with dpdk_server() as s:
            s.start(ready=lambda: "serving 1 zones" in s.logtext())
            log = s.logtext()
            assert "DPDK port 0 (net_af_packet0" in log, log
            got = dig_retry(SRV4, "www.example.com", "A", want="192.0.2.10")
            assert got == "192.0.2.10", f"IPv4: {got!r}\n" + s.logtext()
            got = dig_retry(SRV6, "www.example.com", "A", want="192.0.2.10")
            assert got == "192.0.2.10", f"IPv6: {got!r}\n" + s.logtext()
            got = dig(SRV4, "nope.example.com", "A", "+noshort", "+comments")
            assert "status: NXDOMAIN" in got, got
            ping = subprocess.run(["ip", "netns", "exec", CL_NS, sys.executable, "-c", PING,
                                   SRV4], capture_output=True, text=True, timeout=30)
            assert ping.returncode == 0, f"no echo reply: {ping.stderr}"
            assert s.stop() == 0, s.logtext()
        assert not os.path.exists(RUNTIME_DIR), f"{RUNTIME_DIR} left behind"
    finally:
        drop_net()


if __name__ == "__main__":
    if os.environ.get("DPDK") != "1":
        print("skipped: ringdns was built without DPDK")
        sys.exit(77)
    if os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("dig") is None:
        print("skipped: needs root, ip(8) and dig to make network namespaces")
        sys.exit(77)
    run([test_udp_v4_v6_and_echo])
