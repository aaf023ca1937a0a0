#!/usr/bin/python3
"""End-to-end tests of the DPDK backend: ringdns --io dpdk in a network
namespace of its own, its only port a net_af_packet device on one end of a
veth pair; the other end is in a client namespace.  From the client:

- dig over UDP on IPv4 and IPv6 gets the right answers, an ICMP echo
  request is answered;
- ARP and IPv6 neighbour discovery resolve the server's addresses to the
  DPDK port's MAC (the server namespace's kernel has no address on the
  veth, so only the fast path can answer them);
- dnsperf at a fixed modest rate for 10 s loses nothing, and the lcore
  counts its polls and busy cycles;
- 10 hot reloads of a 200k-name zone under dnsperf load lose nothing, and
  the new serial is answered over the DPDK port after each reload;
- two worker lcores on two queue pairs (qpairs=2: the kernel's packet
  fanout spreads flows over them) both answer, by ringctl's per-worker
  counters;
- an 802.1Q-tagged query, a frame built by hand and sent on an AF_PACKET
  socket (this machine's kernel may lack VLAN devices), is answered with a
  frame carrying the same tag, correct checksums and the right answer;
- kdig +tcp is answered through the exception path: the TCP segments go
  from the DPDK port to the kernel through the TAP ringdns makes (rdns0,
  given SRV4 by the test), to ringdns's own TCP listener, and the kernel's
  segments leave through the DPDK port;
- dnstap names both ends of a query answered on the fast path: the
  client's address and port and the server's, read from the frame, on
  IPv4 and IPv6.

Each test makes its own namespaces (which take their veths along) and
always deletes them; ringdns and dnsperf are stopped by PID; EAL runs with
--no-shconf and a file prefix of its own, and its /var/run/dpdk directory
is checked gone after a clean stop and removed in any case.  Addresses in
198.18.0.0/15 and 2001:db8::/32.  Needs root and a ringdns built with DPDK;
skipped otherwise."""
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from e2elib import GENZONE, RINGDNS, SRCDIR, Server, run, wait_for

EX = os.path.join(SRCDIR, "zones/examples")
ZONES = {"example.com.": os.path.join(EX, "example.com.zone")}
TAG = f"rdd{os.getpid() % 100000}"
SRV4, CL4 = "198.18.0.1", "198.18.0.2"
SRV6, CL6 = "2001:db8::1", "2001:db8::2"

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

# An 802.1Q-tagged DNS query over IPv4, built byte by byte and sent on an
# AF_PACKET socket: argv IFACE SERVER-MAC SRC-IP DST-IP TCI (priority,
# DEI and VLAN ID, as a number).  The
# kernel takes the tag off a received frame into the packet's auxiliary
# data (PACKET_AUXDATA), or leaves it in the frame: both are read.  Prints
# one JSON line about the reply: its tag, whether its IPv4 and UDP
# checksums verify, the answer's rcode and addresses.  Exits 0 on a reply,
# 1 on none in 3 tries.
VLAN_QUERY = r"""
import json, os, socket, struct, sys, time
import dns.message
iface, smac, src, dst, tci = sys.argv[1:6]
tci = int(tci)
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s >> 16) + (s & 0xffff)
    return ~s & 0xffff
def udp_sum(sa, da, udp):
    return csum(sa + da + struct.pack("!BBH", 0, 17, len(udp)) + udp)
with open(f"/sys/class/net/{iface}/address") as f:
    cmac = bytes.fromhex(f.read().strip().replace(":", ""))
smac = bytes.fromhex(smac.replace(":", ""))
sa, da = socket.inet_aton(src), socket.inet_aton(dst)
q = dns.message.make_query("www.example.com.", "A")
q.id = 0x5151
wire = q.to_wire()
sport = 40000 + os.getpid() % 20000
udp = struct.pack("!HHHH", sport, 53, 8 + len(wire), 0) + wire
udp = udp[:6] + struct.pack("!H", udp_sum(sa, da, udp) or 0xffff) + udp[8:]
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 0x1234, 0x4000, 64, 17, 0, sa, da)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
frame = smac + cmac + struct.pack("!HHH", 0x8100, tci, 0x0800) + ip + udp
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0003))
s.bind((iface, 0))
s.setsockopt(263, 8, 1)  # SOL_PACKET, PACKET_AUXDATA
for _ in range(3):
    s.send(frame)
    end = time.time() + 1.0
    while time.time() < end:
        s.settimeout(max(0.01, end - time.time()))
        try:
            data, anc, _, addr = s.recvmsg(4096, socket.CMSG_SPACE(64))
        except socket.timeout:
            break
        if addr[2] == socket.PACKET_OUTGOING or data[6:12] != smac:
            continue
        tag = None
        for level, typ, cd in anc:
            if level == 263 and typ == 8 and len(cd) >= 20:
                st, _, _, _, _, tci, tpid = struct.unpack("IIIHHHH", cd[:20])
                if st & (1 << 4):  # TP_STATUS_VLAN_VALID
                    tag = tci
        if data[12:14] == b"\x81\x00":
            tag = struct.unpack("!H", data[14:16])[0]
            data = data[:12] + data[16:]
        if data[12:14] != b"\x08\x00" or data[23] != 17:
            continue
        ihl = (data[14] & 15) * 4
        iph = data[14:14 + ihl]
        u = data[14 + ihl:14 + struct.unpack("!H", iph[2:4])[0]]
        if struct.unpack("!HH", u[:4]) != (53, sport):
            continue
        r = dns.message.from_wire(u[8:])
        print(json.dumps({
            "tag": tag, "ip_csum_ok": csum(iph) == 0,
            "udp_csum_ok": u[6:8] == b"\0\0" or udp_sum(iph[12:16], iph[16:20], u) == 0,
            "id": r.id, "rcode": r.rcode(),
            "answer": [rd.to_text() for rr in r.answer for rd in rr]}))
        sys.exit(0)
sys.exit(1)
"""


class Net:
    """The names of one test's two namespaces, veth ends and EAL prefix."""

    def __init__(self, n):
        t = f"{TAG}{n}"
        self.srv_ns, self.cl_ns = t + "s", t + "c"
        self.srv_if, self.cl_if = t + "v", t + "p"
        self.prefix = t
        self.runtime_dir = f"/var/run/dpdk/{t}"

    def sh(self, *cmd, ns=None):
        if ns:
            cmd = ("ip", "netns", "exec", ns) + cmd
        return subprocess.run(cmd, check=True, capture_output=True, text=True,
                              timeout=30).stdout

    def make(self):
        """The server namespace holds srv_if (no address: DPDK answers on
        it) and lo for the TCP listener; the client namespace holds cl_if
        with CL4 and CL6."""
        self.sh("ip", "netns", "add", self.srv_ns)
        self.sh("ip", "netns", "add", self.cl_ns)
        self.sh("ip", "link", "add", self.srv_if, "netns", self.srv_ns, "type", "veth", "peer",
                "name", self.cl_if, "netns", self.cl_ns)
        self.sh("ip", "link", "set", "lo", "up", ns=self.srv_ns)
        self.sh("ip", "link", "set", self.srv_if, "up", ns=self.srv_ns)
        self.sh("ip", "link", "set", "lo", "up", ns=self.cl_ns)
        self.sh("ip", "addr", "add", f"{CL4}/24", "dev", self.cl_if, ns=self.cl_ns)
        self.sh("ip", "addr", "add", f"{CL6}/64", "dev", self.cl_if, "nodad", ns=self.cl_ns)
        self.sh("ip", "link", "set", self.cl_if, "up", ns=self.cl_ns)

    def drop(self):
        for ns in (self.srv_ns, self.cl_ns):
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        shutil.rmtree(self.runtime_dir, ignore_errors=True)

    def client(self, *cmd, timeout=30):
        """Runs cmd in the client namespace; returns the CompletedProcess."""
        return subprocess.run(["ip", "netns", "exec", self.cl_ns] + list(cmd),
                              capture_output=True, text=True, timeout=timeout)

    def dig(self, server, *args):
        return self.client("dig", f"@{server}", "+tries=1", "+time=1", "+short",
                           *args).stdout.strip()

    def dig_retry(self, server, *args, want):
        """The first query may wait for ARP or ND: a few tries until the
        answer is want (a string, or a predicate on the answer)."""
        ok = want if callable(want) else lambda got: got == want
        got = ""
        for _ in range(5):
            got = self.dig(server, *args)
            if ok(got):
                break
            time.sleep(0.2)
        return got


@contextlib.contextmanager
def served(n, zones=ZONES, workers=1, qpairs=1, lcores=("-l", "0-1"), timeout=30,
           listen=(), flags=(), vdevs=(), config=None):
    """Makes test n's namespaces, starts ringdns --io dpdk in the server
    one and yields (net, server); stops ringdns by PID, checks a clean
    exit and that EAL left no runtime directory, and deletes the
    namespaces, also when the test fails."""
    net = Net(n)
    vdev = f"net_af_packet0,iface={net.srv_if}" + (f",qpairs={qpairs}" if qpairs > 1 else "")
    eal = ["--no-huge", "-m", "256", "--no-pci", "--no-shconf", "--file-prefix", net.prefix,
           *lcores, "--log-level=lib.*:error", "--vdev", vdev]
    for v in vdevs:
        eal += ["--vdev", v]
    try:
        net.make()
        listen = [a for addr in listen for a in ("--listen", addr)] + list(flags)
        with Server(zones, workers=workers, config=config,
                    extra=listen + ["--io", "dpdk", "--address", SRV4, "--address", SRV6,
                                    "--"] + eal) as s:
            s.args = ["ip", "netns", "exec", net.srv_ns] + s.args
            s.start(ready=lambda: f"serving {len(zones)} zones" in s.logtext(),
                    timeout=timeout)
            assert "DPDK port 0 (net_af_packet0" in s.logtext(), s.logtext()
            yield net, s
            assert s.stop() == 0, s.logtext()
        assert not os.path.exists(net.runtime_dir), f"{net.runtime_dir} left behind"
    finally:
        net.drop()


def port_mac(s):
    """The DPDK port's MAC, as ringdns logged it."""
    m = re.search(r"DPDK port 0 \(net_af_packet0, ([0-9a-f:]{17})\)", s.logtext())
    assert m, s.logtext()
    return m.group(1)


@contextlib.contextmanager
def dnsperf(net, qfile, seconds, rate, clients=4, server=SRV4):
    """dnsperf in the client namespace; yields the Popen.  Stopped by PID
    (SIGKILL) if still running when the block ends."""
    p = subprocess.Popen(["ip", "netns", "exec", net.cl_ns, "dnsperf", "-s", server, "-d", qfile,
                          "-l", str(seconds), "-Q", str(rate), "-c", str(clients), "-t", "2"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield p
    finally:
        if p.poll() is None:
            p.kill()
            p.communicate()


def perf_result(out):
    """(sent, lost, response codes line) from dnsperf's statistics."""
    sent = re.search(r"Queries sent:\s+(\d+)", out)
    lost = re.search(r"Queries lost:\s+(\d+)", out)
    codes = re.search(r"Response codes:\s+(.*)", out)
    assert sent and lost and codes, out
    return int(sent.group(1)), int(lost.group(1)), codes.group(1)


def test_udp_v4_v6_and_echo():
    with served(1) as (net, s):
        got = net.dig_retry(SRV4, "www.example.com", "A", want="192.0.2.10")
        assert got == "192.0.2.10", f"IPv4: {got!r}\n" + s.logtext()
        got = net.dig_retry(SRV6, "www.example.com", "A", want="192.0.2.10")
        assert got == "192.0.2.10", f"IPv6: {got!r}\n" + s.logtext()
        got = net.dig(SRV4, "nope.example.com", "A", "+noshort", "+comments")
        assert "status: NXDOMAIN" in got, got
        ping = net.client(sys.executable, "-c", PING, SRV4)
        assert ping.returncode == 0, f"no echo reply: {ping.stderr}"


def neigh(net, fam, addr):
    """The client kernel's neighbour entry for addr: (lladdr, state)."""
    out = net.sh("ip", fam, "neigh", "show", "to", addr, "dev", net.cl_if, ns=net.cl_ns)
    m = re.search(r"lladdr ([0-9a-f:]{17}) .*?([A-Z]+)\s*$", out.strip())
    return (m.group(1), m.group(2)) if m else (None, out.strip())


def test_arp_and_nd():
    with served(2) as (net, s):
        mac = port_mac(s)
        kmac = net.sh("cat", f"/sys/class/net/{net.srv_if}/address", ns=net.srv_ns).strip()
        assert mac == kmac, f"DPDK port MAC {mac}, veth {kmac}"
        net.sh("ip", "neigh", "flush", "dev", net.cl_if, ns=net.cl_ns)
        assert neigh(net, "-4", SRV4)[0] is None
        assert neigh(net, "-6", SRV6)[0] is None
        # the kernel resolves each address before it sends the query
        for srv, fam in ((SRV4, "-4"), (SRV6, "-6")):
            got = net.dig_retry(srv, "www.example.com", "A", want="192.0.2.10")
            assert got == "192.0.2.10", f"{srv}: {got!r}"
            ok = wait_for(lambda: neigh(net, fam, srv)[1] in ("REACHABLE", "STALE"), 5)
            entry = neigh(net, fam, srv)
            assert ok and entry[0] == mac, f"{srv}: neighbour entry {entry}, port MAC {mac}"


def test_dnsperf_10s_no_loss():
    with served(3) as (net, s):
        qfile = s.write("queries.txt", "www.example.com A\nexample.com SOA\nexample.com MX\n"
                        "mail.example.com AAAA\nftp.example.com A\nnope.example.com A\n")
        assert net.dig_retry(SRV4, "www.example.com", "A", want="192.0.2.10") == "192.0.2.10"
        with dnsperf(net, qfile, 10, 5000) as p:
            out, _ = p.communicate(timeout=60)
        print(out)
        sent, lost, codes = perf_result(out)
        assert sent >= 45000, f"dnsperf sent only {sent} in 10 s at 5000/s"
        assert lost == 0, f"dnsperf lost {lost} of {sent}\n" + s.logtext()
        assert "SERVFAIL" not in codes, codes
        # where the lcore's time went: at 5000 q/s it polled far more
        # often than it received, and was busy for a part of its cycles
        rc, js, err = s.ctl("stats", "--json")
        assert rc == 0, err
        io = json.loads(js)["total"]["io"]
        print(f"polling: {io['busy_polls']} of {io['polls']} polls busy, "
              f"{io['busy_cycles']} of {io['cycles']} cycles")
        assert 0 < io["busy_polls"] < io["polls"], io
        assert 0 < io["busy_cycles"] < io["cycles"], io


BIG_RECORDS = 272000  # genzone makes about 200k names of these


def big_versions(tmp):
    """Writes two versions of genzone's zone big.test. (serials 1001 and
    1002) and the zone file itself (v1); returns (zone, v1, v2, names)."""
    text = subprocess.run([GENZONE, "big.test.", str(BIG_RECORDS), "1"], capture_output=True,
                          text=True, check=True, timeout=120).stdout
    soa = re.compile(r"^(@\s+IN\s+SOA\s+\S+\s+\S+\s+)\d+", re.M)
    paths = []
    for v in (1, 2):
        paths.append(os.path.join(tmp, f"v{v}.zone"))
        with open(paths[-1], "w") as f:
            f.write(soa.sub(rf"\g<1>{1000 + v}", text, count=1))
    zone = os.path.join(tmp, "big.test.zone")
    shutil.copyfile(paths[0], zone)
    names = set()
    for line in text.splitlines():
        if line and line[0] not in " \t;$@":
            name = line.split()[0]
            names.add(name if name.endswith(".") else name + ".big.test.")
    return zone, paths[0], paths[1], names


def test_reloads_under_load():
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-dpdk-")
    try:
        zone, v1, v2, names = big_versions(tmp)
        print(f"big.test.: {len(names)} names")
        assert len(names) >= 190000, len(names)
        qfile = os.path.join(tmp, "queries.txt")
        with open(qfile, "w") as f:
            f.write("".join(f"{n} A\n" for n in sorted(names)[::20]) +
                    "".join(f"nx{i}.big.test. A\n" for i in range(500)))
        with served(4, zones={"big.test.": zone}, timeout=90) as (net, s):
            got = net.dig_retry(SRV4, "big.test.", "SOA", want=lambda a: " 1001 " in a)
            assert " 1001 " in got, got
            t0 = time.time()
            with dnsperf(net, qfile, 120, 3000) as p:
                time.sleep(1)
                for k in range(10):
                    shutil.copyfile(v2 if k % 2 == 0 else v1, zone + ".new")
                    os.rename(zone + ".new", zone)
                    rc, out, err = s.ctl("reload", "big.test.")
                    want = 1002 if k % 2 == 0 else 1001
                    assert rc == 0 and f"serial {want}" in out, (rc, out, err)
                    got = net.dig(SRV4, "big.test.", "SOA")
                    assert got.split()[2:3] == [str(want)], f"reload {k}: SOA {got!r}"
                reloads = time.time() - t0
                time.sleep(1)
                p.send_signal(signal.SIGINT)
                out, _ = p.communicate(timeout=30)
            print(out)
            print(f"10 reloads done {reloads:.1f} s after the load started")
            sent, lost, codes = perf_result(out)
            assert sent >= 3000 * reloads * 0.9, f"dnsperf sent only {sent}"
            assert lost == 0, f"dnsperf lost {lost} of {sent}\n" + s.logtext()
            assert "SERVFAIL" not in codes and "REFUSED" not in codes, codes
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_two_lcores_two_queues():
    # the main lcore runs the control loop; two worker lcores, on the
    # first and the last CPU this process may use (two vCPUs in CI)
    cpus = sorted(os.sched_getaffinity(0))
    lcores = ("--lcores", f"0@{cpus[0]},1@{cpus[0]},2@{cpus[-1]}")
    with served(5, workers=2, qpairs=2, lcores=lcores) as (net, s):
        assert "2 queue pairs" in s.logtext(), s.logtext()
        assert net.dig_retry(SRV4, "www.example.com", "A", want="192.0.2.10") == "192.0.2.10"
        qfile = s.write("queries.txt", "www.example.com A\nexample.com SOA\n")
        # 64 sockets: 64 source ports, spread by the fanout's flow hash
        with dnsperf(net, qfile, 3, 2000, clients=64) as p:
            out, _ = p.communicate(timeout=30)
        sent, lost, _ = perf_result(out)
        assert lost == 0, out
        rc, js, err = s.ctl("stats", "--json")
        assert rc == 0, err
        udp = [w for w in json.loads(js)["workers"] if w["kind"] == "udp"]
        per = [w["responses"]["udp"] for w in udp]
        print(f"answers per worker lcore: {per} of {sent} sent")
        assert len(per) == 2 and all(n > 0 for n in per), per


def test_vlan_tagged_query():
    with served(6) as (net, s):
        mac = port_mac(s)
        tci = 5 << 13 | 100  # priority 5, VLAN 100
        r = net.client(sys.executable, "-c", VLAN_QUERY, net.cl_if, mac, CL4, SRV4, str(tci))
        if r.returncode != 0 and "Operation not permitted" in r.stderr:
            print(f"skipped: no AF_PACKET raw socket here: {r.stderr.strip()}")
            return
        assert r.returncode == 0, f"no reply to a tagged query: {r.stderr}\n" + s.logtext()
        got = json.loads(r.stdout)
        print(got)
        assert got["tag"] is not None, f"reply untagged: {got}"
        assert got["tag"] == tci, f"reply tagged {got['tag']:#06x}, query {tci:#06x}"
        assert got["ip_csum_ok"] and got["udp_csum_ok"], got
        assert got["id"] == 0x5151 and got["rcode"] == 0, got
        assert got["answer"] == ["192.0.2.10"], got


def test_tcp_through_the_tap():
    # the TCP listener on every address of the server namespace: the
    # kernel accepts on SRV4 once the test puts it on the TAP
    with served(7, listen=("0.0.0.0:53",), flags=("--allow-transfer", CL4)) as (net, s):
        assert "exception path: TAP rdns0" in s.logtext(), s.logtext()
        tcp_through(net, s, "rdns0")
        # a zone transfer takes the same way, to the control process
        r = net.client("kdig", "+tcp", "+retry=0", "+time=5", f"@{SRV4}", "AXFR",
                       "example.com")
        rrs = [ln.split() for ln in r.stdout.splitlines() if ln and not ln.startswith(";")]
        assert len(rrs) > 3 and rrs[0][3] == "SOA" and rrs[-1][3] == "SOA", \
            r.stdout + r.stderr + s.logtext()
        assert wait_for(lambda: f"sent to {CL4}" in s.logtext(), 5), s.logtext()


def test_tcp_through_a_named_exception_port():
    # a TAP given to EAL and named by --exception-port: not served on as
    # a NIC port, the exception path instead
    with served(8, listen=("0.0.0.0:53",), flags=("--exception-port", "net_tap7"),
                vdevs=("net_tap7,iface=dnsx7",)) as (net, s):
        assert "exception path: TAP" not in s.logtext(), s.logtext()
        assert "DPDK port 1 (net_tap7" in s.logtext(), s.logtext()
        tcp_through(net, s, "dnsx7")


def tcp_through(net, s, tap):
    """kdig +tcp from the client namespace answered through the TAP tap,
    once it has SRV4; UDP still on the fast path."""
    # af_packet copies frames off the veth and leaves them to the
    # server namespace's kernel too, which would take SRV4's traffic
    # on the veth once SRV4 is on the TAP (a NIC bound to DPDK hands
    # the kernel nothing): strict reverse-path filtering drops it
    # there, the client's route being through the TAP (RFC 3704)
    net.sh("sysctl", "-qw", f"net.ipv4.conf.{net.srv_if}.rp_filter=1",
           "net.ipv4.conf.all.rp_filter=1", ns=net.srv_ns)
    # the client's kernel leaves TCP checksums partial on a veth; the
    # TAP's kernel checks what it receives: complete ones, as a NIC's
    net.sh("ethtool", "-K", net.cl_if, "tx", "off", ns=net.cl_ns)
    net.sh("ip", "addr", "add", f"{SRV4}/24", "dev", tap, ns=net.srv_ns)
    net.sh("ip", "link", "set", tap, "up", ns=net.srv_ns)
    got = ""
    for _ in range(5):
        got = net.client("kdig", "+tcp", "+retry=0", "+time=2", "+short", f"@{SRV4}",
                         "www.example.com", "A").stdout.strip()
        if got == "192.0.2.10":
            break
        time.sleep(0.3)
    assert got == "192.0.2.10", f"kdig +tcp: {got!r}\n" + s.logtext()
    rc, js, err = s.ctl("stats", "--json")
    assert rc == 0, err
    st = json.loads(js)
    io = st["total"]["io"]
    print(f"frames: {io}")
    assert io["punted"] > 0, io
    # a few TCP segments stay far below the per-lcore punt rate
    assert io["punt_dropped"] == 0, io
    tcp = [w["responses"]["tcp"] for w in st["workers"] if w["kind"] == "tcp"]
    assert sum(tcp) > 0, f"no answer from the TCP listener: {tcp}"
    # UDP still takes the fast path, not the kernel
    got = net.dig_retry(SRV4, "www.example.com", "A", want="192.0.2.10")
    assert got == "192.0.2.10", f"UDP: {got!r}"


def test_notify_and_tsig_on_the_fast_path():
    """A NOTIFY and a TSIG-signed query reach the DPDK workers: the sender's
    address read from the IP header decides the NOTIFY (CL4 is the
    secondary zone's primary, CL6 is not), the signed answer verifies."""
    secret = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-dpdk-")
    try:
        flags = ("--zone", f"sec.test.={tmp}/sec.test.zone", "--primary", f"sec.test.={CL4}",
                 "--key", f"hmac-sha256:xfr.key.:{secret}")
        with served(9, flags=flags) as (net, s):
            net.dig_retry(SRV4, "www.example.com", "A", want="192.0.2.10")

            def notify(server):
                return net.client("dig", f"@{server}", "+tries=1", "+time=2", "+opcode=notify",
                                  "+norecurse", "sec.test.", "SOA").stdout
            got = notify(SRV4)
            assert "status: NOERROR" in got and "opcode: NOTIFY" in got, got + s.logtext()
            assert wait_for(lambda: f"NOTIFY from {CL4}" in s.logtext(), 5), s.logtext()
            assert "status: REFUSED" in notify(SRV6)
            got = net.client("dig", f"@{SRV4}", "+tries=1", "+time=2", "-y",
                             f"hmac-sha256:xfr.key.:{secret}", "example.com", "SOA").stdout
            assert "status: NOERROR" in got and "TSIG" in got, got
            assert "failure" not in got and "BADSIG" not in got, got
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_dnstap_names_both_ends():
    """dnstap of queries answered on the fast path: query_address and
    query_port are the client's (dig's source, given with -b),
    response_address and response_port the server's, on IPv4 and IPv6."""
    import yaml
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-dpdk-")
    tap = os.path.join(tmp, "dpdk.dnstap")
    cfg = os.path.join(tmp, "dnstap.yaml")
    with open(cfg, "w") as f:
        f.write(f"dnstap:\n  file: {tap}\n")
    want = {"tap4.example.com. IN A": ("INET", CL4, 40053, SRV4),
            "tap6.example.com. IN A": ("INET6", CL6, 40054, SRV6)}
    try:
        with served(10, config=cfg) as (net, s):
            for q, (_, cl, port, srv) in want.items():
                got = net.dig_retry(srv, "-b", f"{cl}#{port}", q.split()[0], "A",
                                    "+noshort", "+comments",
                                    want=lambda out: "status: NXDOMAIN" in out)
                assert "status: NXDOMAIN" in got, f"{q}: {got}\n" + s.logtext()
        out = subprocess.run(["dnstap-read", "-y", tap], capture_output=True, text=True,
                             timeout=30, check=True).stdout
        seen = set()
        for d in yaml.safe_load_all(out):
            m = (d or {}).get("message")
            if not m:
                continue
            data = m.get("query_message_data") or m["response_message_data"]
            q = data["QUESTION_SECTION"][0]
            if q not in want:
                continue
            fam, cl, port, srv = want[q]
            got = (m["socket_family"], m["socket_protocol"], m["query_address"],
                   m["query_port"], m["response_address"], m["response_port"])
            assert got == (fam, "UDP", cl, port, srv, 53), (q, m["type"], got)
            seen.add((q, m["type"]))
        assert seen == {(q, t) for q in want for t in ("AUTH_QUERY", "AUTH_RESPONSE")}, seen
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_failed_start_with_a_memif_port_exits_cleanly():
    """A start that fails after EAL (a listen address that cannot be
    bound) with a net_memif port probed exits 1 with the error: EAL's
    interrupt thread, woken as the port's socket went away, walked memory
    rte_eal_cleanup had unmapped, and the process crashed at exit (in one
    start of 4 to 30 here, so 20 starts; memif ports are what
    bench/dpdk.sh uses)."""
    net = Net(20)
    tmp = tempfile.mkdtemp(prefix="rdd-memif-")
    try:
        net.sh("ip", "netns", "add", net.srv_ns)
        net.sh("ip", "link", "set", "lo", "up", ns=net.srv_ns)
        for i in range(20):
            r = subprocess.run(
                ["ip", "netns", "exec", net.srv_ns, "taskset", "-c", "1", RINGDNS,
                 "--listen", "198.18.0.77:5300", "--control-socket", f"{tmp}/ctl.sock",
                 "--zone", f"example.com.={ZONES['example.com.']}", "--io", "dpdk",
                 "--address", SRV4, "--", "--no-huge", "-m", "256", "--no-pci", "--no-shconf",
                 "--file-prefix", net.prefix, "-l", "0-1", "--log-level=lib.*:error",
                 "--vdev", f"net_memif0,role=server,socket={tmp}/memif.sock,socket-abstract=no"],
                stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=60,
                start_new_session=True)
            assert r.returncode == 1, f"start {i}: exit {r.returncode}\n{r.stderr}"
            assert "198.18.0.77" in r.stderr, r.stderr
    finally:
        net.drop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if os.environ.get("DPDK") != "1":
        print("skipped: ringdns was built without DPDK")
        sys.exit(77)
    if (os.geteuid() != 0 or shutil.which("ip") is None or shutil.which("dig") is None
            or shutil.which("dnsperf") is None):
        print("skipped: needs root, ip(8), dig and dnsperf to make network namespaces")
        sys.exit(77)
    run([test_udp_v4_v6_and_echo, test_arp_and_nd, test_dnsperf_10s_no_loss,
         test_reloads_under_load, test_two_lcores_two_queues, test_vlan_tagged_query,
         test_tcp_through_the_tap, test_tcp_through_a_named_exception_port,
         test_notify_and_tsig_on_the_fast_path, test_dnstap_names_both_ends,
         test_failed_start_with_a_memif_port_exits_cleanly])
