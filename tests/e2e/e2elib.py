"""e2elib: helpers for the end-to-end tests of the real ringdns processes.

Starts ringdns (which spawns ringdns-control) on 127.0.0.1 and ::1 at a free
high port with zones and a control socket in a fresh temporary directory,
and stops it by PID, also when a test fails.  Clients are the real tools
(dig, kdig, dnsperf, ringctl) plus dnspython for wire-level checks.

Environment (set by tests/meson.build): RINGDNS, RINGCTL, SRCDIR.
RINGDNS_WRAPPER, when set, is a command ringdns runs under (split as the
shell splits words), for instance valgrind's memcheck:
  RINGDNS_WRAPPER="valgrind --trace-children=yes --error-exitcode=97
                   --leak-check=full --errors-for-leak-kinds=definite"
(--trace-children=yes: ringdns-control, which ringdns executes, runs under
it too).  Under valgrind each process writes its report to
valgrind.PID.log in the server's directory, and stop() fails the test when
one counts an error.  Waits on the server (start, stop, query timeouts,
wait_for) are SLOW times longer then.
"""
import glob
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype

RINGDNS = os.environ.get("RINGDNS", "build/dataplane/ringdns")
RINGCTL = os.environ.get("RINGCTL", "build/control/ringctl")
SRCDIR = os.environ.get("SRCDIR", ".")
WRAPPER = shlex.split(os.environ.get("RINGDNS_WRAPPER", ""))
SLOW = 5 if WRAPPER else 1


def free_port():
    """A port free for both UDP and TCP on 127.0.0.1 and ::1."""
    for _ in range(50):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
        s.close()
        ok = True
        for fam, host, typ in ((socket.AF_INET, "127.0.0.1", socket.SOCK_DGRAM),
                               (socket.AF_INET6, "::1", socket.SOCK_DGRAM),
                               (socket.AF_INET6, "::1", socket.SOCK_STREAM)):
            t = socket.socket(fam, typ)
            try:
                t.bind((host, port))
            except OSError:
                ok = False
            finally:
                t.close()
        if ok and port > 1024:
            return port
    raise RuntimeError("no free port")


def pid_alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def children(pid):
    """PIDs whose parent is pid."""
    out = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        out.append(int(d))
            except (OSError, IndexError, ValueError):
                pass
    return out


class Server:
    """One ringdns with its control process.  Use as a context manager."""

    def __init__(self, zones, workers=2, extra=(), config=None, tmp=None, user=None,
                 binary=None, port=None):
        # zones: {name: text or path}; text is written to the temp dir;
        # port: a free one unless given
        self.tmp = tmp or tempfile.mkdtemp(prefix="ringdns-e2e-")
        self.own_tmp = tmp is None
        self.port = port or free_port()
        self.sock = os.path.join(self.tmp, "ctl.sock")
        self.log = os.path.join(self.tmp, "ringdns.log")
        self.zonefiles = {}
        args = [binary or RINGDNS, "--listen", f"127.0.0.1:{self.port}",
                "--listen", f"[::1]:{self.port}", "--control-socket", self.sock,
                "--workers", str(workers), "--log-level", "debug"]
        if config:
            args += ["--config", config]
        for name, text in zones.items():
            path = text if "\n" not in text else self.write(f"{name}zone", text)
            self.zonefiles[name] = path
            args += ["--zone", f"{name}={path}"]
        self.args = self.wrapped(args + list(extra))
        if user is not None:
            # run as another user (uid:gid) through util-linux's setpriv
            os.chmod(self.tmp, 0o777)
            self.args = ["setpriv", f"--reuid={user[0]}", f"--regid={user[1]}",
                         "--clear-groups", "--"] + self.args
        self.proc = None
        self.logf = None

    def wrapped(self, args):
        """args under RINGDNS_WRAPPER (valgrind: its reports to files)."""
        if not WRAPPER:
            return args
        w = list(WRAPPER)
        if os.path.basename(w[0]) == "valgrind":
            w.insert(1, f"--log-file={self.tmp}/valgrind.%p.log")
        return w + args

    def valgrind_errors(self):
        """The reports of processes valgrind counted errors in (one whose
        process was killed before its summary has none to count)."""
        bad = []
        for path in sorted(glob.glob(os.path.join(self.tmp, "valgrind.*.log"))):
            with open(path, errors="replace") as f:
                text = f.read()
            m = re.search(r"ERROR SUMMARY: (\d+) errors", text)
            if m and int(m.group(1)):
                bad.append(f"{path}:\n{text}")
        return bad

    def write(self, fname, text):
        path = os.path.join(self.tmp, fname)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, wait_zone=None, timeout=30, ready=None):
        """Starts ringdns and waits until wait_zone (default: the first
        zone) answers over UDP on 127.0.0.1, or the control socket is
        there when there are no zones, or ready() is true when given."""
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen(self.args, stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf,
                                     start_new_session=True)
        if wait_zone is None and self.zonefiles:
            wait_zone = next(iter(self.zonefiles))
        deadline = time.time() + timeout * SLOW
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"ringdns exited with {self.proc.returncode}:\n"
                                     + self.logtext())
            if ready is not None:
                if ready():
                    return self
            elif wait_zone is None:
                if os.path.exists(self.sock):
                    return self
            else:
                try:
                    r = self.query(wait_zone, "SOA", timeout=0.5)
                    if r.rcode() == dns.rcode.NOERROR and r.answer:
                        return self
                except Exception:
                    pass
            time.sleep(0.05)
        raise AssertionError("ringdns did not answer in time; processes: "
                             + self.proc_states() + "\n" + self.logtext())

    def proc_states(self):
        """State and wait channel of ringdns and its children (for a hang)."""
        out = []
        for pid in [self.proc.pid] + children(self.proc.pid):
            try:
                with open(f"/proc/{pid}/stat") as f:
                    st = f.read().rsplit(")", 1)[1].split()[0]
                with open(f"/proc/{pid}/wchan") as f:
                    wchan = f.read()
                out.append(f"{pid} {st} {wchan}")
            except OSError:
                out.append(f"{pid} gone")
        return ", ".join(out)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        if self.own_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def control_pid(self):
        if not self.proc:
            return None
        kids = children(self.proc.pid)
        return kids[0] if kids else None

    def stop(self, expect_clean=True):
        """SIGTERM, then SIGKILL after 10 s; also kills a left-over control
        process by PID.  Returns ringdns's exit status."""
        if not self.proc:
            return None
        ctl = self.control_pid()
        rc = self.proc.poll()
        if rc is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(10 * SLOW)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                rc = self.proc.wait()
        if ctl and not wait_for(lambda: not pid_alive(ctl), 0.5):
            os.kill(ctl, signal.SIGKILL)
        self.proc = None
        if self.logf:
            self.logf.close()
            self.logf = None
        if expect_clean:
            log = self.logtext()
            if ("AddressSanitizer" in log or "runtime error:" in log
                    or "ThreadSanitizer" in log):
                raise AssertionError("sanitizer report in the server log:\n" + log)
            bad = self.valgrind_errors()
            if bad:
                raise AssertionError("valgrind errors:\n" + "\n".join(bad))
        return rc

    def logtext(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    # clients
    def query(self, name, rtype="A", tcp=False, timeout=2.0, v6=False, **kw):
        q = dns.message.make_query(name, rtype, **kw)
        host = "::1" if v6 else "127.0.0.1"
        timeout *= SLOW
        if tcp:
            return dns.query.tcp(q, host, port=self.port, timeout=timeout)
        return dns.query.udp(q, host, port=self.port, timeout=timeout,
                             ignore_trailing=False)

    def dig(self, *args, tcp=False):
        cmd = ["dig", "@127.0.0.1", "-p", str(self.port), "+tries=1", f"+time={3 * SLOW}"]
        if tcp:
            cmd.append("+tcp")
        r = subprocess.run(cmd + list(args), capture_output=True, text=True, timeout=30)
        return r.stdout

    def ctl(self, *args, timeout=120):
        r = subprocess.run([RINGCTL, "-s", self.sock] + list(args), capture_output=True,
                           text=True, timeout=timeout)
        return r.returncode, r.stdout, r.stderr


def temp_files(*dirs):
    """The temporary files (common/atomicfile.h: NAME.ringdns-tmp-PID-N)
    in dirs: what a writer left behind."""
    return [os.path.join(d, f) for d in dirs if os.path.isdir(d)
            for f in os.listdir(d) if ".ringdns-tmp-" in f]


def wait_for(pred, timeout=10.0):
    """Whether pred() became true within timeout seconds."""
    deadline = time.time() + timeout * SLOW
    while time.time() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return False


def run(tests):
    """Runs test functions (names from argv, or all); prints a summary line
    and exits 1 on any failure."""
    want = sys.argv[1:]
    failed = 0
    ran = 0
    for t in tests:
        if want and t.__name__ not in want:
            continue
        ran += 1
        t0 = time.time()
        try:
            t()
            print(f"ok   {t.__name__} ({time.time() - t0:.1f} s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {t.__name__} ({time.time() - t0:.1f} s)", flush=True)
            traceback.print_exc()
    print(f"Synthesis: Tested: {ran} | Passing: {ran - failed} | Failing: {failed}")
    sys.exit(1 if failed or not ran else 0)


GENZONE = os.environ.get("GENZONE", "build/bench/genzone")


def big_zone(path, origin, records):
    """Writes genzone's synthetic zone of that many records to path."""
    with open(path, "w") as f:
        subprocess.run([GENZONE, origin, str(records), "1"], stdout=f,
                       stderr=subprocess.DEVNULL, check=True, timeout=120)


def closed_by_server(t):
    """Whether the server closed TCP socket t (it reads nothing else)."""
    t.setblocking(False)
    try:
        return t.recv(1) == b""
    except BlockingIOError:
        return False
    except OSError:
        return True


def seconds_until(pred, timeout):
    """Polls pred every 10 ms: the seconds it took to become true, or
    timeout when it did not."""
    t0 = time.time()
    while time.time() - t0 < timeout:
        if pred():
            return time.time() - t0
        time.sleep(0.01)
    return timeout


def stop_proc(proc):
    """SIGTERM to a peer server we started, SIGKILL after 10 s; reaped."""
    if pid_alive(proc.pid):
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def knot_conf_head(d, port):
    """The start of a knot.conf for a knotd in directory d on
    127.0.0.1@port: one worker of each kind, its control socket, logs to
    stderr."""
    return f"""server:
    rundir: {d}
    listen: 127.0.0.1@{port}
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: {d}/knot.sock
database:
    storage: {d}
log:
  - target: stderr
    any: info
"""


def knot_primary_conf(d, port, zones, key_conf="", acl_key=""):
    """A knot.conf for a knotd in directory d on 127.0.0.1@port serving
    the zones named (each from d/ZONE.zone, written whole, without a
    journal) as a primary to 127.0.0.1; key_conf (a `key:` section) and
    acl_key (the acl's `    key: NAME` line) for transfers with TSIG."""
    zl = "".join(f"  - domain: {z}\n    file: {d}/{z}zone\n    acl: xfr\n" for z in zones)
    return knot_conf_head(d, port) + f"""{key_conf}acl:
  - id: xfr
    address: 127.0.0.1
{acl_key}    action: transfer
template:
  - id: default
    storage: {d}
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
{zl}"""


class Knotd:
    """knotd from Debian on 127.0.0.1 at a free port, in a temporary
    directory of its own: conf(dir, port) gives its knot.conf.  Stopped by
    PID in close()."""

    def __init__(self, conf):
        self.dir = tempfile.mkdtemp(prefix="ringdns-e2e-knotd-")
        self.port = free_port()
        with open(os.path.join(self.dir, "knot.conf"), "w") as f:
            f.write(conf(self.dir, self.port))
        self.log = open(os.path.join(self.dir, "knotd.log"), "wb")
        self.proc = subprocess.Popen(["knotd", "-c", os.path.join(self.dir, "knot.conf")],
                                     stdout=self.log, stderr=self.log,
                                     start_new_session=True)

    def ctl(self, *args):
        return subprocess.run(["knotc", "-s", os.path.join(self.dir, "knot.sock")]
                              + list(args), capture_output=True, text=True, timeout=30)

    def serial(self, zone):
        """The serial knotd answers for zone's SOA, or None."""
        try:
            q = dns.message.make_query(zone, "SOA")
            r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.5)
            return r.answer[0][0].serial if r.answer else None
        except Exception:
            return None

    def logtext(self):
        with open(os.path.join(self.dir, "knotd.log"), errors="replace") as f:
            return f.read()

    def close(self):
        stop_proc(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class Nsd:
    """nsd from Debian on 127.0.0.1 at a free port, in a temporary
    directory of its own, serving zone with zone_conf (the lines of its
    `zone:` section after `name:`; the directory's ZONE.zone is its file
    where it has one).  Stopped by PID in close()."""

    def __init__(self, zone, zone_conf, text=None):
        self.dir = tempfile.mkdtemp(prefix="ringdns-e2e-nsd-")
        self.port = free_port()
        self.zone = zone
        if text is not None:
            with open(os.path.join(self.dir, zone + "zone"), "w") as f:
                f.write(text)
        d = self.dir
        with open(os.path.join(d, "nsd.conf"), "w") as f:
            f.write(f"""server:
    ip-address: 127.0.0.1@{self.port}
    port: {self.port}
    zonesdir: "{d}"
    database: ""
    pidfile: "{d}/nsd.pid"
    xfrdfile: "{d}/xfrd.state"
    zonelistfile: "{d}/zone.list"
    username: ""
    chroot: ""
    server-count: 1
    verbosity: 2
    logfile: "{d}/nsd.log"
remote-control:
    control-enable: no
zone:
    name: {zone}
    zonefile: {zone}zone
{zone_conf}""")
        self.proc = subprocess.Popen(["nsd", "-d", "-c", os.path.join(d, "nsd.conf")],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)

    def serial(self):
        """The serial nsd answers for the zone's SOA, or None."""
        try:
            q = dns.message.make_query(self.zone, "SOA")
            r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.5)
            return r.answer[0][0].serial if r.answer else None
        except Exception:
            return None

    def logtext(self):
        try:
            with open(os.path.join(self.dir, "nsd.log"), errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def close(self):
        stop_proc(self.proc)
        shutil.rmtree(self.dir, ignore_errors=True)
