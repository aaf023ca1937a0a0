"""soaknet: where the soak's clients talk to ringdns, for either backend.

A Target says where UDP and TCP queries go and from which network
namespace (None: the soak's own).  Sockets are made in a namespace by
switching the calling thread there for the socket() call only (setns is
per thread; a socket keeps the namespace it was made in), so one Python
process drives clients on both sides of a veth.  DpdkNet makes and always
deletes the two namespaces of a DPDK run (names prefixed 'rsoak-'), and
dnsperf() runs the load generator in a namespace.
"""
import contextlib
import ctypes
import os
import re
import shutil
import socket
import struct
import subprocess
import time

import dns.message

CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)

SRV4, CL4 = "198.18.0.1", "198.18.0.2"


@contextlib.contextmanager
def in_netns(name):
    """The calling thread in namespace name for the block (None: stay)."""
    if name is None:
        yield
        return
    here = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    there = os.open(f"/var/run/netns/{name}", os.O_RDONLY)
    try:
        if _libc.setns(there, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), f"setns to {name}")
        try:
            yield
        finally:
            if _libc.setns(here, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back")
    finally:
        os.close(here)
        os.close(there)


class Target:
    """Where one ringdns answers: UDP at udp=(host, port) from namespace
    udp_ns, TCP at tcp=(host, port) from tcp_ns."""

    def __init__(self, udp, tcp, udp_ns=None, tcp_ns=None):
        self.udp, self.tcp = udp, tcp
        self.udp_ns, self.tcp_ns = udp_ns, tcp_ns

    def udp_socket(self):
        with in_netns(self.udp_ns):
            return socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

    def tcp_socket(self, src=None):
        with in_netns(self.tcp_ns):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if src:
            s.bind((src, 0))
        return s


def _recv_exact(s, n, deadline):
    buf = b""
    while len(buf) < n:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("closed by the server")
        buf += chunk
    return buf


def ask(target, qname, qtype, tcp=False, timeout=1.0):
    """One query; (response or None on a timeout, sent at, received at),
    times from time.monotonic()."""
    q = dns.message.make_query(qname, qtype)
    wire = q.to_wire()
    s = target.tcp_socket() if tcp else target.udp_socket()
    t0 = time.monotonic()
    deadline = t0 + timeout
    try:
        if tcp:
            s.settimeout(timeout)
            s.connect(target.tcp)
            s.sendall(struct.pack("!H", len(wire)) + wire)
            n = struct.unpack("!H", _recv_exact(s, 2, deadline))[0]
            r = dns.message.from_wire(_recv_exact(s, n, deadline))
            return r, t0, time.monotonic()
        s.sendto(wire, target.udp)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None, t0, time.monotonic()
            s.settimeout(left)
            data = s.recv(65535)
            r = dns.message.from_wire(data)
            if r.id == q.id:
                return r, t0, time.monotonic()
    except (socket.timeout, ConnectionError, OSError):
        return None, t0, time.monotonic()
    finally:
        s.close()


def sh(*cmd, ns=None):
    if ns:
        cmd = ("ip", "netns", "exec", ns) + cmd
    return subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=30).stdout


class DpdkNet:
    """Two namespaces joined by a veth: the server's holds one end (no
    address: DPDK answers on it through net_af_packet), lo for TCP and a
    veth pair of its own with an address;
    the client's holds the other end with CL4.  Unique names from the
    soak's PID; drop() deletes everything, also after a failure."""

    def __init__(self):
        t = f"rsoak{os.getpid() % 100000}"
        self.srv_ns, self.cl_ns = f"rsoak-{os.getpid()}s", f"rsoak-{os.getpid()}c"
        self.srv_if, self.cl_if = t + "v", t + "p"
        self.prefix = t
        self.runtime_dir = f"/var/run/dpdk/{t}"
        self.made = False

    def make(self):
        self.made = True
        sh("ip", "netns", "add", self.srv_ns)
        sh("ip", "netns", "add", self.cl_ns)
        sh("ip", "link", "add", self.srv_if, "netns", self.srv_ns, "type", "veth", "peer",
           "name", self.cl_if, "netns", self.cl_ns)
        sh("ip", "link", "set", "lo", "up", ns=self.srv_ns)
        sh("ip", "link", "set", self.srv_if, "up", ns=self.srv_ns)
        # an IPv4 address beside loopback's, or dnsperf's lookup of
        # 127.0.0.1 (AI_ADDRCONFIG) finds none for TCP in this namespace
        # (a veth pair of its own: this kernel may lack dummy devices)
        sh("ip", "link", "add", "rsoak-a", "type", "veth", "peer", "name", "rsoak-b",
           ns=self.srv_ns)
        sh("ip", "addr", "add", "198.18.1.1/32", "dev", "rsoak-a", ns=self.srv_ns)
        sh("ip", "link", "set", "rsoak-a", "up", ns=self.srv_ns)
        sh("ip", "link", "set", "rsoak-b", "up", ns=self.srv_ns)
        sh("ip", "link", "set", "lo", "up", ns=self.cl_ns)
        sh("ip", "addr", "add", f"{CL4}/24", "dev", self.cl_if, ns=self.cl_ns)
        sh("ip", "link", "set", self.cl_if, "up", ns=self.cl_ns)

    def eal(self):
        return ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix",
                self.prefix, "-l", "0-1", "--log-level=lib.*:error",
                "--vdev", f"net_af_packet0,iface={self.srv_if}"]

    def drop(self):
        if not self.made:
            return
        for ns in (self.srv_ns, self.cl_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        shutil.rmtree(self.runtime_dir, ignore_errors=True)
        self.made = False


def dpdk_possible():
    """'' when a DPDK soak can run here, else why not (as
    tests/e2e/test_dpdk.py decides: a DPDK build, root, the tools)."""
    if os.environ.get("DPDK") != "1":
        return "ringdns was built without DPDK (DPDK=1 not set)"
    if os.geteuid() != 0:
        return "not root: cannot make network namespaces"
    for tool in ("ip", "dnsperf"):
        if shutil.which(tool) is None:
            return f"no {tool}"
    return ""


def dnsperf(target, qfile, seconds, rate, tcp, clients, log):
    """dnsperf at a fixed rate for seconds, in the target's namespace;
    returns the Popen (stdout to log)."""
    host, port = target.tcp if tcp else target.udp
    ns = target.tcp_ns if tcp else target.udp_ns
    cmd = ["dnsperf", "-f", "inet", "-s", host, "-p", str(port), "-d", qfile, "-l", str(seconds),
           "-Q", str(rate), "-c", str(clients), "-t", "2", "-q", "200"]
    if tcp:
        cmd += ["-m", "tcp"]
    if ns:
        cmd = ["ip", "netns", "exec", ns] + cmd
    return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)


def dnsperf_result(text):
    """{'sent', 'completed', 'lost', 'codes'} from dnsperf's statistics,
    or None when it printed none."""
    got = {}
    for key, pat in (("sent", r"Queries sent:\s+(\d+)"),
                     ("completed", r"Queries completed:\s+(\d+)"),
                     ("lost", r"Queries lost:\s+(\d+)")):
        m = re.search(pat, text)
        if not m:
            return None
        got[key] = int(m.group(1))
    m = re.search(r"Response codes:\s+(.*)", text)
    got["codes"] = m.group(1).strip() if m else ""
    return got
