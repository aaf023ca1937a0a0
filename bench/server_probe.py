#!/usr/bin/python3
"""server_probe.py: timing and process helpers for bench/server.sh.

  start  --addr A --port P --zone Z --serial N --timeout S --pidfile F --log L
         [--cgroup-fd FD] -- CMD...
      Starts CMD in a new session (stdout/stderr to L), writes its PID to F,
      (with --cgroup-fd: FD is open on a memory cgroup's cgroup.procs, and
      CMD joins that cgroup before it runs, so everything it starts is
      charged there: the caller reads the cgroup's peak),
      then asks A:P for Z/SOA over UDP every 10 ms until an answer (NOERROR,
      SOA in the answer section) carries serial >= N.  Prints one JSON line:
      {"startup_s": seconds from just before the exec to that answer,
       "pid": PID, "serial": N}.  Exits 1 if CMD exits or S seconds pass.
  reload --addr A --port P --zone Z --serial N --timeout S --pid ROOT
         [--gen PID] [--tcp 1] -- CMD...
      Sends SIGUSR1 to PID --gen (dpdk_gen: it prints its running totals),
      starts CMD (the reload command), polls Z/SOA every 10 ms (over TCP
      with --tcp 1, one connection a query) until serial >= N is answered,
      0.2 s later sends SIGUSR1 to --gen again, waits for CMD (bounded
      by S), and prints one JSON line: {"reload_s": seconds from just before
      CMD to that answer, "rc": CMD's exit status, "out": its output,
      "procs": [[pid, comm, max VmHWM KiB seen], ...], "pss_peak": KiB} where
      procs are ROOT and its descendants, sampled every 50 ms during the
      window (processes that appear or exit in the window are included), and
      pss_peak the largest sum of their Pss, sampled every 100 ms.
  mem PID
      One JSON line: {"procs": [[pid, comm, VmHWM KiB, Pss KiB], ...]} for
      PID and its descendants.
  latency DNSPERF_OUT
      DNSPERF_OUT is dnsperf -v's output: one JSON line with its queries
      sent, completed, lost, queries per second, run time, the responses
      by RCODE and the latency percentiles p50, p90, p99, p999 and max (ms,
      nearest rank) of the answered queries.
  dpdkload BEFORE AFTER
      BEFORE and AFTER hold `ringctl stats --json` of a DPDK server, taken
      around a run.  Prints "BUSY_PCT,CYCLES_PER_ANSWER": the share of the
      lcores' poll cycles spent in polls that received frames, and those
      busy cycles per UDP response, over the run; each empty where the
      counters are missing (an older ringdns) or did not move.
  cpu PID [NAPI_PID...]
      Prints "PROC_S EXTRA_S": utime+stime in seconds of PID and its
      descendants (/proc/P/stat, which covers all threads of a process), and
      of the other PIDs given (kernel threads).
"""
import json
import os
import random
import select
import signal
import socket
import struct
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


# ---- /proc -------------------------------------------------------------------

def read_stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    comm = s[s.index("(") + 1:s.rindex(")")]
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] = state (field 3); ppid field 4; utime 14; stime 15
    return comm, int(rest[1]), int(rest[11]), int(rest[12])


def tree(root):
    """root and its descendants (one /proc scan)."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                _, ppid, _, _ = read_stat(d)
            except (OSError, ValueError, IndexError):
                continue
            kids.setdefault(ppid, []).append(int(d))
    out, todo = [], [root]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def status_kb(pid, key):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def comm_of(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


# ---- DNS ---------------------------------------------------------------------

def wire_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def skip_name(msg, off):
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n


def soa_query(qid, qname):
    """a query for qname (wire form) SOA IN, no EDNS"""
    return struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + qname + b"\0\x06\0\x01"


def soa_serial(msg):
    """serial of the SOA in the answer section of a NOERROR response, else None"""
    if len(msg) < 12:
        return None
    _, flags, qd, an = struct.unpack("!HHHH", msg[:8])
    if not flags & 0x8000 or flags & 0xF or an == 0:
        return None
    off = 12
    for _ in range(qd):
        off = skip_name(msg, off) + 4
    for _ in range(an):
        off = skip_name(msg, off)
        rtype, _, _, rdlen = struct.unpack("!HHIH", msg[off:off + 10])
        off += 10
        if rtype == 6:
            o = skip_name(msg, off)
            o = skip_name(msg, o)
            return struct.unpack("!I", msg[o:o + 4])[0]
        off += rdlen
    return None


class Poller:
    """Asks ZONE/SOA every interval; first() returns once serial >= want."""

    def __init__(self, addr, port, zone, interval=0.01):
        self.dst = (addr, port)
        self.qname = wire_name(zone)
        self.interval = interval
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setblocking(False)
        self.ids = set()
        self.next_id = random.Random(os.getpid()).randrange(65536)

    def send(self):
        qid = self.next_id
        self.next_id = (self.next_id + 1) & 0xFFFF
        self.ids.add(qid)
        if len(self.ids) > 4096:
            self.ids = {qid}
        pkt = soa_query(qid, self.qname)
        try:
            self.sock.sendto(pkt, self.dst)
        except OSError:
            pass

    def poll(self, want, deadline, tick=None, alive=None):
        """Returns (time, serial) of the first answer with serial >= want, or None."""
        nxt = time.time()
        while True:
            now = time.time()
            if now >= deadline:
                return None
            if now >= nxt:
                if alive is not None and not alive():
                    return None
                if tick is not None:
                    tick()
                self.send()
                nxt = now + self.interval
            r, _, _ = select.select([self.sock], [], [], max(0.0, min(nxt, deadline) - time.time()))
            if not r:
                continue
            while True:
                try:
                    msg = self.sock.recv(65535)
                except (BlockingIOError, ConnectionRefusedError):
                    break
                except OSError:
                    break
                t = time.time()
                if len(msg) < 2 or struct.unpack("!H", msg[:2])[0] not in self.ids:
                    continue
                serial = soa_serial(msg)
                if serial is not None and serial >= want:
                    return t, serial


class TcpPoller:
    """Poller's interface over TCP (RFC 7766 framing), one connection a
    query: for a server whose UDP answers never reach the kernel it is
    probed from (a DPDK port, an XDP program on the veth)."""

    def __init__(self, addr, port, zone, interval=0.01):
        self.dst = (addr, port)
        self.qname = wire_name(zone)
        self.interval = interval
        self.next_id = random.Random(os.getpid()).randrange(65536)

    def ask(self, timeout):
        qid = self.next_id
        self.next_id = (self.next_id + 1) & 0xFFFF
        pkt = soa_query(qid, self.qname)
        with socket.create_connection(self.dst, timeout=timeout) as s:
            s.sendall(struct.pack("!H", len(pkt)) + pkt)
            buf = b""
            while len(buf) < 2 or len(buf) < 2 + struct.unpack("!H", buf[:2])[0]:
                chunk = s.recv(65537)
                if not chunk:
                    return None
                buf += chunk
        msg = buf[2:]
        return msg if struct.unpack("!H", msg[:2])[0] == qid else None

    def poll(self, want, deadline, tick=None, alive=None):
        """Returns (time, serial) of the first answer with serial >= want, or None."""
        while True:
            now = time.time()
            if now >= deadline or (alive is not None and not alive()):
                return None
            if tick is not None:
                tick()
            try:
                msg = self.ask(max(0.01, min(0.5, deadline - now)))
            except OSError:
                msg = None
            serial = soa_serial(msg) if msg else None
            if serial is not None and serial >= want:
                return time.time(), serial
            time.sleep(max(0.0, now + self.interval - time.time()))


# ---- commands ----------------------------------------------------------------

def parse(argv):
    opts, cmd = {}, []
    if "--" in argv:
        i = argv.index("--")
        argv, cmd = argv[:i], argv[i + 1:]
    it = iter(argv)
    for a in it:
        if a.startswith("--"):
            opts[a[2:]] = next(it)
    return opts, cmd


def cmd_start(argv):
    o, cmd = parse(argv)
    poller = Poller(o["addr"], int(o["port"]), o["zone"])
    log = open(o["log"], "ab")
    t0 = time.time()
    cgfd = int(o["cgroup-fd"]) if "cgroup-fd" in o else None

    def join_cgroup():
        if cgfd is not None:
            os.write(cgfd, f"{os.getpid()}\n".encode())

    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            start_new_session=True, preexec_fn=join_cgroup,
                            pass_fds=(cgfd,) if cgfd is not None else ())
    with open(o["pidfile"], "w") as f:
        f.write(f"{proc.pid}\n")
    res = poller.poll(int(o["serial"]), t0 + float(o["timeout"]),
                      alive=lambda: proc.poll() is None)
    if res is None:
        why = f"exited with {proc.returncode}" if proc.poll() is not None else "timed out"
        sys.stderr.write(f"server_probe: {cmd[0]}: no answer with serial >= {o['serial']} ({why})\n")
        return 1
    print(json.dumps({"startup_s": round(res[0] - t0, 4), "pid": proc.pid, "serial": res[1]}))
    return 0


def cmd_reload(argv):
    o, cmd = parse(argv)
    poller = (TcpPoller if o.get("tcp") == "1" else Poller)(o["addr"], int(o["port"]), o["zone"])
    root = int(o["pid"])
    gen = int(o["gen"]) if "gen" in o else None
    hwm = {}
    last_scan = [0.0, [], 0.0]  # time of the last scan, the tree then, of the last Pss sum
    pss_peak = [0]

    def sample():
        now = time.time()
        if now - last_scan[0] >= 0.05:
            last_scan[0] = now
            last_scan[1] = tree(root)
            for p in last_scan[1]:
                v = status_kb(p, "VmHWM")
                if v is not None:
                    old = hwm.get(p)
                    hwm[p] = [p, comm_of(p) if old is None else old[1], max(v, old[2] if old else 0)]
        if now - last_scan[2] >= 0.1:  # smaps_rollup walks the page tables: less often
            last_scan[2] = now
            pss_peak[0] = max(pss_peak[0], sum(pss_kb(p) or 0 for p in last_scan[1]))

    sample()
    if gen:
        os.kill(gen, signal.SIGUSR1)
        time.sleep(0.05)  # let it print before the window opens
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    deadline = t0 + float(o["timeout"])
    res = poller.poll(int(o["serial"]), deadline, tick=sample)
    if gen:
        time.sleep(0.2)  # replies to queries sent just before are counted too
        os.kill(gen, signal.SIGUSR1)
    try:
        out, _ = proc.communicate(timeout=max(1.0, deadline - time.time()))
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    last_scan[0] = last_scan[2] = 0.0
    sample()
    if res is None:
        sys.stderr.write(f"server_probe: reload: serial {o['serial']} not answered in {o['timeout']} s; "
                         f"{cmd[0]} said: {out.decode(errors='replace').strip()}\n")
        return 1
    print(json.dumps({"reload_s": round(res[0] - t0, 4), "rc": proc.returncode,
                      "out": out.decode(errors="replace").strip(),
                      "procs": sorted(hwm.values()), "pss_peak": pss_peak[0]}))
    return 0


def cmd_mem(argv):
    procs = []
    for p in tree(int(argv[0])):
        h = status_kb(p, "VmHWM")
        if h is not None:
            procs.append([p, comm_of(p), h, pss_kb(p)])
    print(json.dumps({"procs": procs}))
    return 0


def io_counters(path):
    """(cycles, busy_cycles, UDP responses) from a `ringctl stats --json`
    file; None for each that is missing."""
    try:
        with open(path) as f:
            st = json.load(f)
    except (OSError, ValueError):
        return None, None, None
    tot = st.get("total", st)
    io = tot.get("io") or st.get("io") or {}
    resp = tot.get("responses") or st.get("responses") or {}
    return io.get("cycles"), io.get("busy_cycles"), resp.get("udp")


def cmd_dpdkload(argv):
    (c0, b0, a0), (c1, b1, a1) = io_counters(argv[0]), io_counters(argv[1])
    busy = cpa = ""
    if None not in (c0, b0, c1, b1) and c1 > c0:
        busy = f"{100.0 * (b1 - b0) / (c1 - c0):.2f}"
        if None not in (a0, a1) and a1 > a0:
            cpa = f"{(b1 - b0) / (a1 - a0):.0f}"
    print(f"{busy},{cpa}")
    return 0


def cmd_cpu(argv):
    proc = 0
    for p in tree(int(argv[0])):
        try:
            _, _, u, s = read_stat(p)
            proc += u + s
        except (OSError, ValueError, IndexError):
            pass
    extra = 0
    for a in argv[1:]:
        try:
            _, _, u, s = read_stat(a)
            extra += u + s
        except (OSError, ValueError, IndexError):
            pass
    print(f"{proc / TICK:.2f} {extra / TICK:.2f}")
    return 0


def percentile(sorted_vals, q):
    """the nearest-rank q-quantile (0 < q <= 1) of sorted values"""
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(q * len(sorted_vals) + 0.999999) - 1))
    return sorted_vals[k]


def cmd_latency(argv):
    """latency DNSPERF_OUT: dnsperf -v's output (one "> RCODE NAME TYPE
    SECONDS" line per response, then its statistics) -> JSON with the
    queries sent, answered, lost, the rate answered, RCODE counts and the
    latency percentiles (ms) of the answered queries"""
    lat, rcodes, st = [], {}, {}
    with open(argv[0], errors="replace") as f:
        for line in f:
            if line.startswith("> "):
                parts = line.split()
                if len(parts) >= 5:
                    try:
                        lat.append(float(parts[-1]))
                    except ValueError:
                        continue
                    rcodes[parts[1]] = rcodes.get(parts[1], 0) + 1
                continue
            line = line.strip()
            for key, name in (("Queries sent:", "sent"), ("Queries completed:", "completed"),
                              ("Queries lost:", "lost"), ("Queries per second:", "qps"),
                              ("Run time (s):", "run_s")):
                if line.startswith(key):
                    try:
                        st[name] = float(line[len(key):].split()[0])
                    except (ValueError, IndexError):
                        pass
    lat.sort()
    out = {k: st.get(k) for k in ("sent", "completed", "lost", "qps", "run_s")}
    out["rcodes"] = rcodes
    for name, q in (("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p999", 0.999), ("max", 1.0)):
        v = percentile(lat, q)
        out[name] = None if v is None else round(v * 1000.0, 4)
    print(json.dumps(out))
    return 0


def main(argv):
    cmds = {"start": cmd_start, "reload": cmd_reload, "mem": cmd_mem, "cpu": cmd_cpu,
            "dpdkload": cmd_dpdkload, "latency": cmd_latency}
    if len(argv) < 2 or argv[1] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    return cmds[argv[1]](argv[2:])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
