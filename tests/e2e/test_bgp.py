#!/usr/bin/python3
"""End-to-end test of the anycast announcement: the real BIRD 2 in two
network namespaces (one the upstream router, one beside ringdns) joined by
a veth pair, the BIRD beside ringdns running deploy/bird.conf, ringdns on
kernel sockets in its namespace, and deploy/ringdns-announce polling
`ringctl health`.  The service prefix must show at the upstream while
ringdns is healthy (and a query to the service address be answered over
that route), be withdrawn within 2 s after ringdns is killed, its
dataplane stopped (SIGSTOP) or its secondary zone expires (its primary,
a knotd, stopped; SOA expire of a few seconds), come back once ringdns is
healthy again, and be withdrawn when the announcer itself is stopped.  Prints each withdrawal time.

Needs root, ip(8), bird and birdc; skipped otherwise."""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from e2elib import RINGCTL, RINGDNS, SRCDIR, children, knot_primary_conf, pid_alive, run

TAG = f"rdnsbgp-{os.getpid()}"
NS_UP, NS_DNS = TAG + "-a", TAG + "-b"
VETH_UP, VETH_DNS = f"rb{os.getpid()}a", f"rb{os.getpid()}b"
UP_IP, DNS_IP = "198.18.0.1", "198.18.0.2"
PREFIX, SERVICE_IP = "198.19.53.0/24", "198.19.53.1"
WITHDRAW_MAX = 2.0
PRIMARY_PORT = 5300
EXPIRE = 3            # the secondary zone's SOA expire (seconds)

SVC_ZONE = """$ORIGIN svc.test.
$TTL 300
@    SOA  ns1 hostmaster 1 3600 900 604800 300
@    NS   ns1
ns1  A    198.19.53.1
www  A    198.19.53.80
"""
SEC_ZONE = """$ORIGIN sec.test.
$TTL 300
@    SOA  ns1 hostmaster {serial} 1 1 {expire} 300
@    NS   ns1
ns1  A    198.19.53.1
"""

UPSTREAM_CONF = f"""log "{{d}}/bird.log" all;
router id {UP_IP};
protocol device {{ }}
protocol kernel {{ ipv4 {{ export all; }}; }}
protocol bgp node {{
    local as 64511;
    neighbor {DNS_IP} as 64512;
    connect delay time 1;
    connect retry time 2;
    error wait time 1, 5;
    ipv4 {{ import all; export none; }};
}}
"""

SITE_CONF = f"""log "{{d}}/bird.log" all;
router id {DNS_IP};
define RINGDNS_PREFIX4 = {PREFIX};
define LOCAL_AS = 64512;
define UPSTREAM_IP = {UP_IP};
define UPSTREAM_AS = 64511;
"""



def sh(*cmd):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
    if r.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)}: {r.stderr.strip()}")
    return r.stdout


def kill_pid(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        pass


class Rig:
    """The namespaces, the BIRDs, knotd, ringdns and the announcer; close()
    removes everything, also after a failure."""

    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix="ringdns-e2e-bgp-")
        self.procs = {}      # name -> Popen
        self.logs = []
        self.ctl_sock = os.path.join(self.tmp, "ctl.sock")
        self.up_sock = os.path.join(self.tmp, "up", "bird.ctl")
        self.dns_sock = os.path.join(self.tmp, "node", "bird.ctl")
        self.ns_made = []

    def path(self, *p):
        return os.path.join(self.tmp, *p)

    def write(self, rel, text):
        os.makedirs(os.path.dirname(self.path(rel)), exist_ok=True)
        with open(self.path(rel), "w") as f:
            f.write(text)
        return self.path(rel)

    def spawn(self, name, cmd, ns=None):
        if ns:
            cmd = ["ip", "netns", "exec", ns] + cmd
        log = open(self.path(name + ".out"), "ab")
        self.logs.append(log)
        # ip netns exec execs the command: the PID is the program's own
        self.procs[name] = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log,
                                            stderr=log, start_new_session=True)
        return self.procs[name]

    def logtext(self, name):
        try:
            with open(self.path(name), errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    # ---- network ----
    def net_up(self):
        for ns in (NS_UP, NS_DNS):
            sh("ip", "netns", "add", ns)
            self.ns_made.append(ns)
            sh("ip", "-n", ns, "link", "set", "lo", "up")
        sh("ip", "link", "add", VETH_UP, "netns", NS_UP, "type", "veth", "peer", "name",
           VETH_DNS, "netns", NS_DNS)
        sh("ip", "-n", NS_UP, "addr", "add", UP_IP + "/30", "dev", VETH_UP)
        sh("ip", "-n", NS_DNS, "addr", "add", DNS_IP + "/30", "dev", VETH_DNS)
        sh("ip", "-n", NS_UP, "link", "set", VETH_UP, "up")
        sh("ip", "-n", NS_DNS, "link", "set", VETH_DNS, "up")
        sh("ip", "-n", NS_DNS, "addr", "add", SERVICE_IP + "/32", "dev", "lo")

    def birds_up(self):
        up = self.write("up/bird.conf", UPSTREAM_CONF.replace("{d}", self.path("up")))
        site = self.write("node/ringdns-site.conf", SITE_CONF.replace("{d}", self.path("node")))
        with open(os.path.join(SRCDIR, "deploy", "bird.conf")) as f:
            deployed = f.read()
        assert '"/etc/bird/ringdns-site.conf"' in deployed
        node = self.write("node/bird.conf",
                          deployed.replace("/etc/bird/ringdns-site.conf", site))
        self.spawn("bird-up", ["bird", "-f", "-c", up, "-s", self.up_sock], NS_UP)
        self.spawn("bird-node", ["bird", "-f", "-c", node, "-s", self.dns_sock], NS_DNS)

    # ---- the primary of the secondary zone ----
    def knotd_up(self, serial):
        d = self.path("knot")
        os.makedirs(d, exist_ok=True)
        self.write("knot/sec.test.zone", SEC_ZONE.format(serial=serial, expire=EXPIRE))
        conf = self.write("knot/knot.conf", knot_primary_conf(d, PRIMARY_PORT, ["sec.test."]))
        self.spawn("knotd", ["knotd", "-c", conf], NS_DNS)
        assert wait_until(lambda: self.primary_serial() == serial, 10), self.logtext("knotd.out")

    def primary_serial(self):
        r = subprocess.run(["ip", "netns", "exec", NS_DNS, "dig", "@127.0.0.1", "-p",
                            str(PRIMARY_PORT), "+short", "+tries=1", "+time=1", "sec.test.",
                            "SOA"], capture_output=True, text=True, timeout=10)
        f = r.stdout.split()
        return int(f[2]) if len(f) > 2 and f[2].isdigit() else None

    def knotd_down(self):
        p = self.procs.pop("knotd")
        p.kill()
        p.wait(10)

    # ---- ringdns ----
    def ringdns_up(self):
        cfg = self.write("ringdns.yaml", f"""server:
  listen: "{SERVICE_IP}:53"
  workers: 2
zones:
  - name: svc.test.
    file: {self.write("svc.test.zone", SVC_ZONE)}
  - name: sec.test.
    file: {self.path("sec.test.zone")}
    primaries: ["127.0.0.1@{PRIMARY_PORT}"]
""")
        p = self.spawn("ringdns", [RINGDNS, "--config", cfg, "--control-socket", self.ctl_sock,
                                   "--log-level", "debug"], NS_DNS)
        assert wait_until(lambda: self.health() == 0, 20), \
            f"ringdns not healthy: {self.ctl('health')}\n" + self.logtext("ringdns.out")
        return p

    def ringdns_kill(self):
        """SIGKILL to ringdns by PID.  Returns the time of the kill and its
        control process (it ends by itself: reap_control)."""
        p = self.procs.pop("ringdns")
        kids = children(p.pid)
        t = time.monotonic()
        p.kill()
        p.wait(10)
        return t, kids

    @staticmethod
    def reap_control(kids):
        for k in kids:
            if not wait_until(lambda: not pid_alive(k), 5):
                kill_pid(k)

    def ctl(self, *args):
        r = subprocess.run([RINGCTL, "-s", self.ctl_sock] + list(args), capture_output=True,
                           text=True, timeout=10)
        return r.returncode, r.stdout + r.stderr

    def health(self):
        return self.ctl("health")[0]

    def announce_up(self):
        self.spawn("announce", [sys.executable, os.path.join(SRCDIR, "deploy", "ringdns-announce"),
                                "--ringctl", RINGCTL, "--ringctl-socket", self.ctl_sock,
                                "--bird-socket", self.dns_sock, "--interval", "0.2"])

    # ---- the upstream's view ----
    def routed(self):
        """Whether the upstream BIRD has the service prefix from the node."""
        r = subprocess.run(["birdc", "-s", self.up_sock, "show", "route", PREFIX],
                           capture_output=True, text=True, timeout=5)
        return PREFIX in r.stdout and DNS_IP in r.stdout

    def dig_from_upstream(self, name):
        r = subprocess.run(["ip", "netns", "exec", NS_UP, "dig", f"@{SERVICE_IP}", "+short",
                            "+tries=1", "+time=2", name, "A"],
                           capture_output=True, text=True, timeout=10)
        return r.stdout.strip()

    def close(self):
        for name in ("announce", "ringdns", "knotd", "bird-node", "bird-up"):
            p = self.procs.pop(name, None)
            if not p:
                continue
            kids = children(p.pid)
            kill_pid(p.pid, signal.SIGCONT)
            if name == "announce":
                p.terminate()
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    pass
            p.kill()
            p.wait(10)
            for k in kids:
                kill_pid(k)
        for log in self.logs:
            log.close()
        for ns in self.ns_made:
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)
        shutil.rmtree(self.tmp, ignore_errors=True)


def wait_until(pred, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return False


def seconds_until(pred, timeout):
    """Seconds until pred() held (polled every 20 ms), or None after timeout."""
    t0 = time.monotonic()
    return time.monotonic() - t0 if wait_until(pred, timeout) else None


def withdrawn_within(rig, what, t0, limit=WITHDRAW_MAX):
    """Waits for the prefix to leave the upstream: the seconds since t0 (the
    event, time.monotonic())."""
    assert wait_until(lambda: not rig.routed(), 10), \
        f"{what}: the prefix was not withdrawn within 10 s\n" + rig.logtext("announce.out")
    dt = time.monotonic() - t0
    print(f"  {what}: withdrawn after {dt:.2f} s", flush=True)
    assert dt <= limit, f"{what}: withdrawn after {dt:.2f} s (limit {limit} s)"
    return dt


def announced_again(rig, what):
    dt = seconds_until(rig.routed, 15)
    assert dt is not None, f"{what}: not announced again within 15 s\n" \
        + rig.logtext("announce.out") + rig.ctl("health")[1]
    print(f"  {what}: announced again after {dt:.2f} s", flush=True)


def test_announce_withdraw():
    rig = Rig()
    try:
        rig.net_up()
        rig.birds_up()
        rig.knotd_up(serial=1)
        rig.ringdns_up()
        # nothing is announced before the announcer sees ringdns healthy
        time.sleep(0.5)
        assert not rig.routed()
        rig.announce_up()
        dt = seconds_until(rig.routed, 30)
        assert dt is not None, "the prefix never reached the upstream:\n" \
            + rig.logtext("up/bird.log") + rig.logtext("node/bird.log") \
            + rig.logtext("announce.out")
        print(f"  healthy: announced at the upstream after {dt:.2f} s", flush=True)
        # the upstream reaches the service over the route BGP gave it
        assert wait_until(lambda: rig.dig_from_upstream("www.svc.test.") == "198.19.53.80", 5)

        # ringdns killed: withdrawn; restarted: announced again
        t, control = rig.ringdns_kill()
        withdrawn_within(rig, "ringdns killed (SIGKILL)", t)
        rig.reap_control(control)
        rig.ringdns_up()
        announced_again(rig, "ringdns restarted")

        # the dataplane stopped: withdrawn; resumed: announced again
        pid = rig.procs["ringdns"].pid
        t = time.monotonic()
        os.kill(pid, signal.SIGSTOP)
        try:
            withdrawn_within(rig, "dataplane stopped (SIGSTOP)", t)
        finally:
            os.kill(pid, signal.SIGCONT)
        announced_again(rig, "dataplane resumed (SIGCONT)")
        assert rig.dig_from_upstream("www.svc.test.") == "198.19.53.80"

        # the secondary zone expires with its primary gone
        rig.knotd_down()
        t_down = time.monotonic()
        assert wait_until(lambda: "EXPIRED" in rig.ctl("zones")[1], EXPIRE + 10), \
            rig.ctl("zones")[1]
        t_exp = time.monotonic()
        withdrawn_within(rig, f"zone expired ({t_exp - t_down:.1f} s after its primary "
                         f"stopped; SOA expire {EXPIRE} s)", t_exp)
        code, out = rig.ctl("health")
        assert code == 1 and "zone sec.test.: expired" in out, out
        # the primary back with a new serial: transferred, announced again
        rig.knotd_up(serial=2)
        announced_again(rig, "zone transferred again")
        code, out = rig.ctl("health")
        assert code == 0, out

        # the announcer stopped (systemctl stop): it withdraws before exiting
        announce = rig.procs.pop("announce")
        t = time.monotonic()
        announce.terminate()
        withdrawn_within(rig, "announcer stopped (SIGTERM)", t)
        assert announce.wait(5) == 0
        with open(rig.path("ringdns.out"), errors="replace") as f:
            log = f.read()
        assert "AddressSanitizer" not in log and "runtime error:" not in log, log
    finally:
        rig.close()
        assert not os.path.exists(f"/run/netns/{NS_UP}")
        assert not os.path.exists(f"/run/netns/{NS_DNS}")


if __name__ == "__main__":
    if (os.geteuid() != 0 or not shutil.which("ip") or not shutil.which("bird")
            or not shutil.which("birdc") or not shutil.which("knotd")
            or not shutil.which("dig")):
        print("skipped: needs root, ip(8), bird, birdc, knotd and dig")
        sys.exit(77)
    run([test_announce_withdraw])
