#!/usr/bin/python3
"""End-to-end test of where UDP replies leave: ringdns in a network
namespace of its own answers a client in another, joined by two veth
pairs.  The query comes in on one pair (the client's route to the service
address) and the route back to the client leaves through the other, as
behind anycast and ECMP: the reply must follow the routing table, not the
interface the query came in on.  The namespaces are made by the test and
always deleted.  IPv4 (198.18.0.0/15); needs root, skipped otherwise."""
import os
import subprocess
import sys
import time

from e2elib import SRCDIR, Server, run

EX = os.path.join(SRCDIR, "zones/examples")
ZONES = {"example.com.": os.path.join(EX, "example.com.zone")}
SERVICE = "198.18.0.53"     # the service address, on the server's lo
CLIENT = "198.18.9.9"       # the client's address, on its lo
TAG = f"rdt{os.getpid() % 100000}"
SRV_NS, CL_NS = f"{TAG}s", f"{TAG}c"


def sh(*cmd, ns=None):
    if ns:
        cmd = ("ip", "netns", "exec", ns) + cmd
    subprocess.run(cmd, check=True, capture_output=True, timeout=30)


def make_net():
    """Server namespace: va 198.18.1.1, vb 198.18.2.1, SERVICE on lo, route
    to CLIENT via vb.  Client namespace: the peers va-c 198.18.1.2 and
    vb-c 198.18.2.2, CLIENT on lo, route to SERVICE via va."""
    sh("ip", "netns", "add", SRV_NS)
    sh("ip", "netns", "add", CL_NS)
    for side in ("a", "b"):
        sh("ip", "link", "add", f"{TAG}{side}", "type", "veth", "peer", "name", f"{TAG}{side}c")
        sh("ip", "link", "set", f"{TAG}{side}", "netns", SRV_NS)
        sh("ip", "link", "set", f"{TAG}{side}c", "netns", CL_NS)
    for ns, suffix, host in ((SRV_NS, "", 1), (CL_NS, "c", 2)):
        sh("ip", "link", "set", "lo", "up", ns=ns)
        for net, side in ((1, "a"), (2, "b")):
            dev = f"{TAG}{side}{suffix}"
            sh("ip", "addr", "add", f"198.18.{net}.{host}/24", "dev", dev, ns=ns)
            sh("ip", "link", "set", dev, "up", ns=ns)
        # asymmetric paths are the point: no reverse-path filter
        for conf in ("all", "default", f"{TAG}a{suffix}", f"{TAG}b{suffix}"):
            sh("sysctl", "-qw", f"net.ipv4.conf.{conf}.rp_filter=0", ns=ns)
    sh("ip", "addr", "add", f"{SERVICE}/32", "dev", "lo", ns=SRV_NS)
    sh("ip", "route", "add", f"{CLIENT}/32", "via", "198.18.2.2", ns=SRV_NS)
    sh("ip", "addr", "add", f"{CLIENT}/32", "dev", "lo", ns=CL_NS)
    sh("ip", "route", "add", f"{SERVICE}/32", "via", "198.18.1.1", ns=CL_NS)
    # ARP on a link speaks only of that link's addresses (its requests too,
    # so the server never learns CLIENT on va): a reply sent out of the
    # query's interface (va) to CLIENT finds no neighbour
    sh("sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1", ns=CL_NS)
    sh("sysctl", "-qw", "net.ipv4.conf.all.arp_announce=2", ns=CL_NS)


def drop_net():
    for ns in (SRV_NS, CL_NS):
        subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def dig(port):
    r = subprocess.run(["ip", "netns", "exec", CL_NS, "dig", f"@{SERVICE}", "-p", str(port),
                        "-b", CLIENT, "+tries=1", "+time=1", "+short", "www.example.com", "A"],
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip()


def test_reply_follows_route_not_incoming_interface():
    try:
        make_net()
        with Server(ZONES, extra=["--listen", f"{SERVICE}:0"]) as s:
            s.args = s.args[:-1] + [f"{SERVICE}:{s.port}"]
            s.args = ["ip", "netns", "exec", SRV_NS] + s.args
            # from outside the namespace: ready when it serves the zone
            s.start(ready=lambda: "serving 1 zones" in s.logtext())
            # over TCP the kernel routes the reply (a check of the setup)
            tcp = subprocess.run(["ip", "netns", "exec", CL_NS, "dig", f"@{SERVICE}", "-p",
                                  str(s.port), "-b", CLIENT, "+tcp", "+tries=1", "+time=2",
                                  "+short", "www.example.com", "A"],
                                 capture_output=True, text=True, timeout=30).stdout.strip()
            assert tcp == "192.0.2.10", tcp
            got = ""
            for _ in range(3):
                got = dig(s.port)
                if got == "192.0.2.10":
                    break
                time.sleep(0.2)
            assert got == "192.0.2.10", f"no UDP answer by the route back: {got!r}"
    finally:
        drop_net()


if __name__ == "__main__":
    if os.geteuid() != 0 or subprocess.run(["which", "ip"], capture_output=True).returncode:
        print("skipped: needs root and ip(8) to make network namespaces")
        sys.exit(77)
    run([test_reply_follows_route_not_incoming_interface])
