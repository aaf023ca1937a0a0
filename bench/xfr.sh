#!/usr/bin/env bash
# bench/xfr.sh: zone transfers, ringdns vs knotd, side by side in one run
# (bench/README.md, "Zone transfers (bench/xfr.sh)").
#   out    AXFR out of a genzone zone of NAMES records: `dig +tcp +noall
#          +stats AXFR` (the same client for both) from ringdns (--allow-
#          transfer) and from knotd serving the same file; the client's wall
#          time, the server's CPU time, its peak memory during the transfer
#   in     AXFR in: ringdns (--config with `primaries`) and knotd, each as a
#          secondary of one knotd primary; (a) exec of the secondary to its
#          first answer with the primary's serial; (b) after the primary's
#          serial is bumped: `ringctl retransfer` / `knotc zone-retransfer`
#          to the new serial answered; peak memory of the secondary
# Servers under test on vCPU SRV_CPU (every thread); this script, dig, the
# probes and the knotd primary on vCPU CLI_CPU. Every measurement RUNS
# times, ringdns and knotd interleaved (A B A B); medians, min-max and the
# ratios ringdns/knotd go to stdout as a markdown table (also to $RESULTS
# when set). Before each measurement it waits (up to WAIT_IDLE s) for the
# machine to be idle, and repeats (up to RETRIES times) one that other
# processes disturbed: that used more than 0.05 s + 5 % of its window in
# CPU time (the machine's busy time less ours, from /proc/stat); a
# measurement kept anyway is flagged in the report.
# Binds 127.0.0.1 only; every process it starts is stopped by
# PID (process group) at exit, its temporary directory removed.
# Needs: knotd, knotc, dig, taskset, /usr/bin/python3 (standard library),
# ringdns, ringdns-control, ringctl and genzone in $RINGDNS_BUILD.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

NAMES=${NAMES:-1000000}               # genzone's N: records in the zone
RUNS=${RUNS:-3}
SEED=${SEED:-1}
PARTS=${PARTS:-"out in"}
RINGDNS_BUILD=${RINGDNS_BUILD:-build-rel}
SRV_CPU=${SRV_CPU:-1}                 # servers under test
CLI_CPU=${CLI_CPU:-0}                 # dig, probes, the knotd primary, this script
TIMEOUT=${TIMEOUT:-300}               # s, bound on every start, transfer and wait
RESULTS=${RESULTS:-}                  # also write the table here when set
LOAD_MAX=${LOAD_MAX:-10}              # %: busier than this (our servers idle), a measurement waits
WAIT_IDLE=${WAIT_IDLE:-120}           # s: ... this long at most, then warns
RETRIES=${RETRIES:-2}                 # a measurement disturbed by other processes is repeated
ZNAME=bench.test.
PY=/usr/bin/python3

die() { echo "xfr.sh: $*" >&2; exit 1; }
log() { echo "xfr.sh: $*" >&2; }

case $RINGDNS_BUILD in /*) BUILD=$RINGDNS_BUILD ;; *) BUILD=$ROOT/$RINGDNS_BUILD ;; esac
RINGDNS=$BUILD/dataplane/ringdns
RINGCTL=$BUILD/control/ringctl
for f in "$RINGDNS" "$BUILD/control/ringdns-control" "$RINGCTL"; do
  [[ -x $f ]] || die "$f not built (ninja -C $RINGDNS_BUILD)"
done
for t in knotd knotc dig taskset setsid $PY; do
  command -v "$t" >/dev/null || die "$t not found"
done
[[ $(nproc) -ge 2 ]] || die "needs 2 vCPUs (SRV_CPU=$SRV_CPU, CLI_CPU=$CLI_CPU)"
[[ $NAMES =~ ^[0-9]+$ && $RUNS =~ ^[1-9][0-9]*$ ]] || die "NAMES and RUNS are numbers"

TMP=$(mktemp -d /tmp/ringdns-xfr-bench.XXXXXX)
RAW=$TMP/raw.tsv       # part server run key value
: > "$RAW"
HELPER_PID=""          # the probe running in the background
ALSO=""                # PID whose process tree counts as ours (the knotd primary)
DISTURBED=""

# ---- cleanup: every process by PID (each server leads its own session),
# the temp dir --------------------------------------------------------------
stop_group() { # pgid: TERM the group, wait (bounded), KILL what is left
  local g=$1 i
  [[ -n $g ]] || return 0
  kill -TERM -- "-$g" 2>/dev/null || return 0
  for ((i = 0; i < 200; i++)); do
    kill -0 -- "-$g" 2>/dev/null || return 0
    sleep 0.1
  done
  log "process group $g did not stop on TERM in 20 s: KILL"
  kill -KILL -- "-$g" 2>/dev/null || true
  sleep 0.2
}
cleanup() {
  local rc=$? f
  set +e
  trap - EXIT INT TERM
  if [[ -n $HELPER_PID ]]; then kill -TERM "$HELPER_PID" 2>/dev/null; wait "$HELPER_PID" 2>/dev/null; fi
  for f in "$TMP"/*/pid; do
    [[ -e $f ]] && stop_group "$(cat "$f")"
  done
  rm -rf "$TMP"
  exit $rc
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT TERM

# run_bg OUTFILE CMD...: CMD in the background, waited for, so that a signal
# to this script is handled at once (bash runs traps only between commands)
run_bg() {
  local o=$1 rc=0; shift
  "$@" > "$o" &
  HELPER_PID=$!
  wait "$HELPER_PID" || rc=$?
  HELPER_PID=""
  return $rc
}

# ---- the probe: starts, polls, samples /proc -------------------------------
PROBE=$TMP/probe.py
cat > "$PROBE" <<'EOF'
"""xfr.sh's probe (standard library only).
  ports N                       N free ports on 127.0.0.1 (TCP and UDP), one a line
  start OPTS --pidfile F --log L -- CMD...
      starts CMD in a new session (output to L, PID to F), samples its process
      tree until an answer carries the serial; JSON {secs, hwm_sum, pss_peak, procs}
  measure OPTS --root PID [--out F] -- CMD...
      the tree of PID: peak RSS reset (clear_refs 5), CPU time read; runs CMD
      (stdout to F); the window ends when CMD exits, or with --serial when the
      serial is answered; JSON {secs, cpu_s, hwm_sum, rss_peak, pss_peak, procs,
      rc, cmd_cpu_s}
  poll OPTS                     waits until the serial is answered
  settle --root PID             waits until the tree uses < 2 % CPU over 0.5 s
  load                          the machine's busy share over 0.5 s, in %
  OPTS: --port P --zone Z --serial N --timeout S
  start and measure also print foreign_s: the CPU seconds the machine spent
  in the window outside the server's tree, the trees of --also PID,... and
  this probe with its children (another process competing)
Memory: every 50 ms each process's VmHWM (its own peak: hwm_sum sums the
largest seen per PID, shared pages counted in each process) and VmRSS
(rss_peak: the largest sum); every 100 ms the sum of Pss (pss_peak: shared
pages divided among the processes that map them)."""
import json, os, random, select, socket, struct, subprocess, sys, threading, time

TICK = os.sysconf("SC_CLK_TCK")


def opts(argv):
    o, cmd = {}, []
    if "--" in argv:
        i = argv.index("--")
        argv, cmd = argv[:i], argv[i + 1:]
    for k, v in zip(argv[::2], argv[1::2]):
        o[k.lstrip("-")] = v
    return o, cmd


def children(pid):
    out = []
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{t}/children") as f:
                out += [int(x) for x in f.read().split()]
    except OSError:
        pass
    return out


def tree(root):
    out, stack = [], [root]
    while stack:
        p = stack.pop()
        if os.path.exists(f"/proc/{p}"):
            out.append(p)
            stack += children(p)
    return out


def field(pid, fname, key):
    try:
        with open(f"/proc/{pid}/{fname}") as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return "?"


def cpu_ticks(pid, with_children=True):
    """utime + stime (+ cutime + cstime: reaped children) of a process"""
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read()
        r = s[s.rindex(")") + 2:].split()
        return int(r[11]) + int(r[12]) + ((int(r[13]) + int(r[14])) if with_children else 0)
    except (OSError, ValueError, IndexError):
        return 0


def tree_cpu(root):
    return sum(cpu_ticks(p) for p in tree(root)) / TICK


class Sampler:
    def __init__(self, root):
        self.root, self.hwm, self.rss_peak, self.pss_peak = root, {}, 0, 0
        self.t_hwm = self.t_pss = 0.0

    def __call__(self, force=False):
        now = time.time()
        if not force and now - self.t_hwm < 0.05:
            return
        self.t_hwm = now
        procs, rss = tree(self.root), 0
        for p in procs:
            h, c = field(p, "status", "VmHWM:"), comm(p)
            if h is not None:
                old = self.hwm.get(p)
                if old is None or old[1] != c:   # new, or exec'd since (taskset, the probe's fork)
                    old = self.hwm[p] = [p, c, 0]
                old[2] = max(old[2], h)
            rss += field(p, "status", "VmRSS:") or 0
        self.rss_peak = max(self.rss_peak, rss)
        if force or now - self.t_pss >= 0.1:   # smaps_rollup walks page tables: less often
            self.t_pss = now
            self.pss_peak = max(self.pss_peak, sum(field(p, "smaps_rollup", "Pss:") or 0 for p in procs))

    def result(self):
        procs = sorted(self.hwm.values())
        return {"hwm_sum": sum(p[2] for p in procs), "rss_peak": self.rss_peak,
                "pss_peak": self.pss_peak, "procs": procs}


def wire(name):
    return b"".join(bytes([len(l)]) + l.encode() for l in name.rstrip(".").split(".") if l) + b"\0"


def skip(m, o):
    while True:
        n = m[o]
        if n == 0:
            return o + 1
        if n & 0xC0 == 0xC0:
            return o + 2
        o += 1 + n


def serial_of(m):
    """the SOA serial in the answer section of a NOERROR response, else None"""
    try:
        _, fl, qd, an = struct.unpack("!HHHH", m[:8])
        if not fl & 0x8000 or fl & 0xF or an == 0:
            return None
        o = 12
        for _ in range(qd):
            o = skip(m, o) + 4
        for _ in range(an):
            o = skip(m, o)
            t, _, _, rdl = struct.unpack("!HHIH", m[o:o + 10])
            o += 10
            if t == 6:
                return struct.unpack("!I", m[skip(m, skip(m, o)):][:4])[0]
            o += rdl
    except (struct.error, IndexError):
        pass
    return None


def wait_serial(o, tick=None, alive=None):
    """asks Z/SOA over UDP every 10 ms until serial >= N: the time, or None"""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setblocking(False)
    dst, want = ("127.0.0.1", int(o["port"])), int(o["serial"])
    deadline = time.time() + float(o["timeout"])
    qid, ids, nxt = random.randrange(65536), set(), 0.0
    while time.time() < deadline:
        now = time.time()
        if now >= nxt:
            if alive is not None and not alive():
                return None
            if tick:
                tick()
            qid = (qid + 1) & 0xFFFF
            ids.add(qid)
            try:
                sock.sendto(struct.pack("!HHHHHH", qid, 0, 1, 0, 0, 0) + wire(o["zone"]) + b"\0\x06\0\x01", dst)
            except OSError:
                pass
            nxt = now + 0.01
        r, _, _ = select.select([sock], [], [], max(0.0, min(nxt, deadline) - time.time()))
        while r:
            try:
                m = sock.recv(65535)
            except OSError:
                break
            t = time.time()
            if len(m) >= 12 and struct.unpack("!H", m[:2])[0] in ids:
                s = serial_of(m)
                if s is not None and s >= want:
                    return t
    return None


def busy_s():
    """CPU seconds the whole machine spent busy (all CPUs, /proc/stat)"""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / TICK


class Foreign:
    """CPU time spent in the window by processes other than ours: the
    machine's busy time less that of the server's tree, of the --also
    PIDs' trees (the knotd primary), and of this probe with its reaped
    children (dig, ringctl, knotc)"""

    def __init__(self, roots):
        self.roots = roots
        self.b0, self.o0 = busy_s(), self.ours()

    def ours(self):
        t = os.times()
        return sum(tree_cpu(r) for r in self.roots) + t.user + t.system + t.children_user + t.children_system

    def __call__(self):
        return round((busy_s() - self.b0) - (self.ours() - self.o0), 2)


def cmd_ports(argv):
    socks, ports = [], []
    while len(ports) < int(argv[0]):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.bind(("127.0.0.1", 0))
        p = t.getsockname()[1]
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            u.bind(("127.0.0.1", p))
        except OSError:
            t.close()
            continue
        socks += [t, u]
        ports.append(p)
    for s in socks:
        s.close()
    print("\n".join(map(str, ports)))
    return 0


def cmd_start(argv):
    o, cmd = opts(argv)
    log = open(o["log"], "ab")
    also = [int(p) for p in o.get("also", "").split(",") if p]
    fg = Foreign(also)
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                            start_new_session=True)
    fg.roots = fg.roots + [proc.pid]   # new: it had used nothing at the start
    with open(o["pidfile"], "w") as f:
        f.write(f"{proc.pid}\n")
    smp = Sampler(proc.pid)
    t = wait_serial(o, tick=smp, alive=lambda: proc.poll() is None)
    if t is None:
        why = f"exited with {proc.returncode}" if proc.poll() is not None else "timed out"
        sys.stderr.write(f"probe: {cmd[0]}: no answer with serial >= {o['serial']} ({why})\n")
        return 1
    smp(force=True)
    print(json.dumps(dict(secs=round(t - t0, 4), pid=proc.pid, foreign_s=fg(), **smp.result())))
    return 0


def cmd_measure(argv):
    o, cmd = opts(argv)
    root = int(o["root"])
    deadline = time.time() + float(o["timeout"])
    before = set(tree(root))
    for p in before:
        try:
            with open(f"/proc/{p}/clear_refs", "w") as f:
                f.write("5")   # VmHWM := VmRSS (Linux >= 4.0)
        except OSError:
            pass
    smp = Sampler(root)
    smp(force=True)
    also = [int(p) for p in o.get("also", "").split(",") if p]
    fg = Foreign([root] + also)
    c0 = tree_cpu(root)
    stop = threading.Event()

    def sampling():   # a thread: the main one waits for the command or the serial
        while not stop.wait(0.01):
            smp()

    th = threading.Thread(target=sampling, daemon=True)
    th.start()
    out = open(o["out"], "wb") if "out" in o else subprocess.DEVNULL
    t0 = time.time()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT)
    done = {}

    def reap(block):
        if not done:
            pid, status, ru = os.wait4(proc.pid, 0 if block else os.WNOHANG)
            if pid:
                done.update(rc=os.waitstatus_to_exitcode(status), ru=ru, t=time.time())
                proc.returncode = done["rc"]
        return bool(done)

    if "serial" in o:
        o["timeout"] = str(max(1.0, deadline - t0))
        t1 = wait_serial(o)
    else:
        t1 = None
    # the command, bounded
    while not reap(False) and time.time() < deadline:
        time.sleep(0.002)
    if not done:
        proc.kill()
        reap(True)
        done["rc"] = "killed"
    elif t1 is None and "serial" not in o:
        t1 = done["t"]
    stop.set()
    th.join()
    smp(force=True)
    if t1 is None:
        sys.stderr.write(f"probe: {cmd[0]}: not done in {o['timeout']} s\n")
        return 1
    # children started in the window (ringdns's transfer child) exited and
    # reaped: their CPU is in their parent's cutime
    while time.time() < deadline and set(tree(root)) - before:
        smp()
        time.sleep(0.05)
    c1 = tree_cpu(root)
    ru = done["ru"]
    print(json.dumps(dict(secs=round(t1 - t0, 4), cpu_s=round(c1 - c0, 2), rc=done["rc"], foreign_s=fg(),
                          cmd_cpu_s=round(ru.ru_utime + ru.ru_stime, 2), **smp.result())))
    return 0


def cmd_poll(argv):
    o, _ = opts(argv)
    if wait_serial(o) is None:
        sys.stderr.write(f"probe: serial {o['serial']} not answered on port {o['port']} in {o['timeout']} s\n")
        return 1
    return 0


def cpu_times():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return sum(v), v[3] + v[4]   # total, idle + iowait


def cmd_load(argv):
    """the machine's busy share (%) over 0.5 s"""
    t0, i0 = cpu_times()
    time.sleep(0.5)
    t1, i1 = cpu_times()
    print(f"{100.0 * (1 - (i1 - i0) / max(1, t1 - t0)):.0f}")
    return 0


def cmd_settle(argv):
    o, _ = opts(argv)
    root, deadline = int(o["root"]), time.time() + float(o.get("timeout", 120))
    last = tree_cpu(root)
    while time.time() < deadline:
        time.sleep(0.5)
        now = tree_cpu(root)
        if now - last < 0.01:
            return 0
        last = now
    sys.stderr.write(f"probe: {root} still busy after {o.get('timeout', 120)} s\n")
    return 0


if __name__ == "__main__":
    cmds = {"ports": cmd_ports, "start": cmd_start, "measure": cmd_measure, "poll": cmd_poll,
            "settle": cmd_settle, "load": cmd_load}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(cmds[sys.argv[1]](sys.argv[2:]))
EOF

# ---- zone --------------------------------------------------------------------
ZF=$TMP/zone
GENZONE=$BUILD/bench/genzone
if [[ ! -x $GENZONE ]]; then
  GENZONE=$TMP/genzone
  cc -O2 -o "$GENZONE" bench/genzone.c || die "cannot build bench/genzone.c"
fi
"$GENZONE" "$ZNAME" "$NAMES" "$SEED" > "$ZF"
tail -n 1 "$ZF" | grep -q "^; genzone: $NAMES records" || die "genzone did not finish the zone"
ZINFO=$(tail -n 1 "$ZF" | sed 's/^; genzone: //')
SERIAL0=$(awk '$3 == "SOA" || $4 == "SOA" {for (i = 1; i <= NF; i++) if ($i == "SOA") {print $(i + 3); exit}}' "$ZF")
[[ $SERIAL0 =~ ^[0-9]+$ ]] || die "no SOA serial in the generated zone"
log "zone $ZNAME: $ZINFO, $(( $(stat -c %s "$ZF") / 1048576 )) MiB, serial $SERIAL0"

mapfile -t PORTS < <($PY "$PROBE" ports 3)
P_RD=${PORTS[0]} P_KN=${PORTS[1]} P_K2=${PORTS[2]}   # ringdns, knotd (out; primary in), knotd secondary

# ---- servers -----------------------------------------------------------------
knot_conf() { # dir port role(out|primary|secondary) zonefile
  local d=$1
  cat > "$d/knot.conf" <<EOF
server:
    rundir: $d
    listen: 127.0.0.1@$2
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: $d/knot.sock
database:
    storage: $d
log:
  - target: stderr
    any: info
EOF
  if [[ $3 == secondary ]]; then
    cat >> "$d/knot.conf" <<EOF
remote:
  - id: primary
    address: 127.0.0.1@$P_KN
template:
  - id: default
    storage: $d
zone:
  - domain: $ZNAME
    file: $4
    master: primary
EOF
  else
    cat >> "$d/knot.conf" <<EOF
acl:
  - id: xfr
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: $d
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: $ZNAME
    file: $4
    acl: xfr
EOF
  fi
}
# start_srv NAME CPU SERIAL CMD...: starts CMD on vCPU CPU in its own session,
# waits (bounded) for its SOA with SERIAL; its PID in $TMP/NAME/pid; sets
# SPID and START_JS (the probe's JSON)
start_srv() {
  local n=$1 cpu=$2 serial=$3 p; shift 3
  echo "$*" > "$TMP/$n/cmd"
  if ! run_bg "$TMP/$n/start.json" $PY "$PROBE" start --also "$ALSO" --port "$(cat "$TMP/$n/port")" --zone "$ZNAME" \
         --serial "$serial" --timeout "$TIMEOUT" --pidfile "$TMP/$n/pid" --log "$TMP/$n/log" \
         -- taskset -c "$cpu" "$@"; then
    tail -n 20 "$TMP/$n/log" >&2 || true
    die "$n did not answer serial $serial"
  fi
  SPID=$(cat "$TMP/$n/pid")
  START_JS=$(cat "$TMP/$n/start.json")
  # knotd pins its UDP worker itself: every thread of every process back on CPU
  for p in $($PY -c 'import sys; sys.path.insert(0, sys.argv[1]); import probe; print(*probe.tree(int(sys.argv[2])))' "$TMP" "$SPID"); do
    taskset -a -p -c "$cpu" "$p" >/dev/null 2>&1 || true
  done
}
stop_srv() { # name
  [[ -f $TMP/$1/pid ]] || return 0
  stop_group "$(cat "$TMP/$1/pid")"
  rm -f "$TMP/$1/pid"
}
newdir() { # name port: a fresh directory for a server
  rm -rf "${TMP:?}/$1"; mkdir -p "$TMP/$1"; echo "$2" > "$TMP/$1/port"
}
settle() { # pid: wait until the process tree is idle (bounded)
  $PY "$PROBE" settle --root "$1" --timeout "$TIMEOUT" || true
}
# ---- other processes -----------------------------------------------------------
# wait_idle LABEL: before a measurement (our servers idle) waits, up to
# WAIT_IDLE s, until the machine is at most LOAD_MAX % busy; warns if not
WARNINGS=$TMP/warnings
: > "$WARNINGS"
REPEATED=0
wait_idle() {
  local busy t0=$SECONDS said=0
  while :; do
    busy=$($PY "$PROBE" load)
    (( busy <= LOAD_MAX )) && return 0
    if (( SECONDS - t0 >= WAIT_IDLE )); then
      log "WARNING: still $busy % busy before $1 after $WAIT_IDLE s: measuring anyway"
      echo "- WARNING: the machine was $busy % busy before $1 (another process; waited $WAIT_IDLE s)" >> "$WARNINGS"
      return 0
    fi
    (( said )) || log "$busy % busy before $1 (another process): waiting up to $WAIT_IDLE s"
    said=1
    sleep 2
  done
}
# disturbed LABEL JSON: true when other processes used more than 0.05 s +
# 5 % of the window in CPU time during the measurement (the probe's foreign_s)
disturbed() {
  local f secs
  f=$(js_get "$2" foreign_s) secs=$(js_get "$2" secs)
  awk -v f="$f" -v s="$secs" 'BEGIN {exit !(f > 0.05 + 0.05 * s)}' || return 1
  log "other processes used $f CPU s during $1 ($secs s)"
  DISTURBED="other processes used $f CPU s during $1 ($secs s)"
  return 0
}
# again LABEL TRY: after a disturbed measurement: true to repeat it (RETRIES
# times at most), else the warning for the report
again() {
  if (( $2 < RETRIES )); then
    REPEATED=$(( REPEATED + 1 )); log "repeating $1"; return 0
  fi
  echo "- WARNING: $DISTURBED, kept after $RETRIES repeats" >> "$WARNINGS"
  return 1
}

# record server run key value (from the probe's JSON)
rec_js() { # part server run prefix json
  $PY - "$@" >> "$RAW" <<'EOF'
import json, sys
part, srv, run, prefix, js = sys.argv[1:6]
d = json.loads(js)
for k in ("secs", "cpu_s", "cmd_cpu_s", "hwm_sum", "rss_peak", "pss_peak"):
    if d.get(k) is not None:
        print(f"{part}\t{srv}\t{run}\t{prefix}{k}\t{d[k]}")
print(f"{part}\t{srv}\t{run}\t{prefix}procs\t" + ", ".join(f"{p[1]} {p[2] // 1024} MiB" for p in d["procs"]))
EOF
}
rec() { printf '%s\t%s\t%s\t%s\t%s\n' "$@" >> "$RAW"; }
mib() { $PY -c 'import json,sys; d=json.loads(sys.argv[1]); print(f"{d[sys.argv[2]]/1024:.0f}")' "$1" "$2"; }
js_get() { $PY -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$1" "$2"; }

# ---- part out: AXFR from ringdns and from knotd ------------------------------
DIG=(dig @127.0.0.1 +tcp +noall +stats +tries=1 +time=60)
part_out() {
  local r s port js got try want=$(( NAMES + 1 ))
  cat "$ZF" > /dev/null
  newdir ringdns "$P_RD"
  start_srv ringdns "$SRV_CPU" "$SERIAL0" "$RINGDNS" --listen "127.0.0.1:$P_RD" --zone "$ZNAME=$ZF" \
    --allow-transfer 127.0.0.1 --control-socket "$TMP/ringdns/ctl.sock" --workers 1 --tcp-workers 1
  log "ringdns up (primary, port $P_RD): $(js_get "$START_JS" secs) s"
  newdir knotd "$P_KN"
  knot_conf "$TMP/knotd" "$P_KN" out "$ZF"
  start_srv knotd "$SRV_CPU" "$SERIAL0" knotd -c "$TMP/knotd/knot.conf"
  log "knotd up (primary, port $P_KN): $(js_get "$START_JS" secs) s"
  for s in ringdns knotd; do   # one untimed transfer each first (first-touch effects)
    run_bg "$TMP/dig.out" "${DIG[@]}" -p "$(cat "$TMP/$s/port")" "$ZNAME" AXFR || die "$s: AXFR failed"
    settle "$(cat "$TMP/$s/pid")"
  done
  for ((r = 1; r <= RUNS; r++)); do
    for s in ringdns knotd; do
      port=$(cat "$TMP/$s/port")
      echo "${DIG[*]} -p $port $ZNAME AXFR" > "$TMP/cmd-dig"
      for ((try = 0; ; try++)); do
        wait_idle "AXFR out, $s, run $r"
        run_bg "$TMP/m.json" $PY "$PROBE" measure --root "$(cat "$TMP/$s/pid")" --timeout "$TIMEOUT" \
          --out "$TMP/dig.out" -- "${DIG[@]}" -p "$port" "$ZNAME" AXFR || die "$s: AXFR did not finish"
        js=$(cat "$TMP/m.json")
        if disturbed "AXFR out, $s, run $r" "$js" && again "AXFR out, $s, run $r" "$try"; then
          settle "$(cat "$TMP/$s/pid")"; continue
        fi
        break
      done
      got=$(awk '/XFR size:/ {print $4}' "$TMP/dig.out")
      [[ $(js_get "$js" rc) == 0 && $got == "$want" ]] ||
        die "$s: AXFR gave ${got:-no} records, not $want: $(tail -n 5 "$TMP/dig.out")"
      rec_js out "$s" "$r" "" "$js"
      rec out "$s" "$r" msgs "$(awk '/XFR size:/ {print $7 + 0}' "$TMP/dig.out")"
      rec out "$s" "$r" bytes "$(awk '/XFR size:/ {print $9 + 0}' "$TMP/dig.out")"
      log "out $s run $r: $(js_get "$js" secs) s, server CPU $(js_get "$js" cpu_s) s, dig CPU $(js_get "$js" cmd_cpu_s) s," \
          "peak RSS sum $(mib "$js" hwm_sum) MiB, PSS $(mib "$js" pss_peak) MiB, other processes $(js_get "$js" foreign_s) CPU s; $(grep 'XFR size' "$TMP/dig.out")"
      settle "$(cat "$TMP/$s/pid")"
    done
  done
  grep -h "sent to" "$TMP/ringdns/log" | tail -n 1 | sed 's/^.*: zone /xfr.sh:   ringdns: zone /' >&2 || true
  grep -h "AXFR, outgoing.*finished" "$TMP/knotd/log" | tail -n 1 | sed 's/^.*info: /xfr.sh:   knotd: /' >&2 || true
  cp "$TMP/ringdns/cmd" "$TMP/cmd-out-ringdns"; cp "$TMP/knotd/cmd" "$TMP/cmd-out-knotd"
  stop_srv ringdns; stop_srv knotd
}

# ---- part in: ringdns and knotd as secondaries of one knotd primary ----------
CUR=$SERIAL0
bump_primary() { # the primary's zone to serial CUR+1, reloaded, answered
  CUR=$(( CUR + 1 ))
  awk -v s="$CUR" '!done && ($3 == "SOA" || $4 == "SOA") {for (i = 1; i <= NF; i++) if ($i == "SOA") {$(i + 3) = s; break}; done = 1} {print}' \
    "$TMP/primary/zone" > "$TMP/primary/zone.new"
  mv "$TMP/primary/zone.new" "$TMP/primary/zone"
  timeout "$TIMEOUT" knotc -s "$TMP/primary/knot.sock" zone-reload "$ZNAME" >/dev/null
  run_bg /dev/null $PY "$PROBE" poll --port "$P_KN" --zone "$ZNAME" --serial "$CUR" --timeout "$TIMEOUT" ||
    die "the primary does not answer serial $CUR"
  settle "$(cat "$TMP/primary/pid")"
}
sec_cmd() { # name: the secondary's command in CMD (its directory made)
  local d=$TMP/$1
  case $1 in
    ringdns)
      newdir ringdns "$P_RD"
      printf 'zones:\n  - name: %s\n    file: %s\n    primaries: ["127.0.0.1@%s"]\n' \
        "$ZNAME" "$d/$ZNAME"zone "$P_KN" > "$d/ringdns.yaml"
      CMD=("$RINGDNS" --config "$d/ringdns.yaml" --listen "127.0.0.1:$P_RD" \
           --control-socket "$d/ctl.sock" --workers 1 --tcp-workers 1) ;;
    knotd)
      newdir knotd "$P_K2"
      knot_conf "$d" "$P_K2" secondary "$d/$ZNAME"zone
      CMD=(knotd -c "$d/knot.conf") ;;
  esac
}
retransfer_cmd() { # name
  case $1 in
    ringdns) CMD=("$RINGCTL" -s "$TMP/ringdns/ctl.sock" retransfer "$ZNAME") ;;
    knotd) CMD=(knotc -s "$TMP/knotd/knot.sock" zone-retransfer "$ZNAME") ;;
  esac
}
part_in() {
  local r s js try
  newdir primary "$P_KN"
  cp "$ZF" "$TMP/primary/zone"
  knot_conf "$TMP/primary" "$P_KN" primary "$TMP/primary/zone"
  start_srv primary "$CLI_CPU" "$CUR" knotd -c "$TMP/primary/knot.conf"
  log "knotd primary up (port $P_KN, vCPU $CLI_CPU): $(js_get "$START_JS" secs) s"
  ALSO=$SPID   # the primary's CPU is ours, not another process's
  settle "$ALSO"
  # one untimed transfer from it first: the first secondary does not pay
  # for the primary's first-touch effects
  run_bg "$TMP/dig.out" "${DIG[@]}" -p "$P_KN" "$ZNAME" AXFR || die "primary: AXFR failed"
  settle "$ALSO"
  for ((r = 1; r <= RUNS; r++)); do
    for s in ringdns knotd; do
      # (a) exec to the primary's serial answered
      for ((try = 0; ; try++)); do
        sec_cmd "$s"
        wait_idle "AXFR in, $s start, run $r"
        start_srv "$s" "$SRV_CPU" "$CUR" "${CMD[@]}"
        if disturbed "AXFR in, $s start, run $r" "$START_JS" && again "AXFR in, $s start, run $r" "$try"; then
          stop_srv "$s"; continue
        fi
        break
      done
      rec_js in "$s" "$r" start_ "$START_JS"
      log "in $s run $r: start to serial $CUR answered $(js_get "$START_JS" secs) s," \
          "peak RSS sum $(mib "$START_JS" hwm_sum) MiB, PSS $(mib "$START_JS" pss_peak) MiB, other processes $(js_get "$START_JS" foreign_s) CPU s"
      cp "$TMP/$s/cmd" "$TMP/cmd-in-$s"
      settle "$SPID"   # knotd writes its zone file after it serves the zone
      # (b) a new serial at the primary, then the retransfer command
      for ((try = 0; ; try++)); do
        bump_primary
        retransfer_cmd "$s"
        echo "${CMD[*]}" > "$TMP/cmd-re-$s"
        wait_idle "AXFR in, $s retransfer, run $r"
        run_bg "$TMP/m.json" $PY "$PROBE" measure --root "$SPID" --also "$ALSO" --timeout "$TIMEOUT" \
          --port "$(cat "$TMP/$s/port")" --zone "$ZNAME" --serial "$CUR" -- "${CMD[@]}" ||
          die "$s: serial $CUR not transferred"
        js=$(cat "$TMP/m.json")
        [[ $(js_get "$js" rc) == 0 ]] || die "$s: ${CMD[*]} failed"
        if disturbed "AXFR in, $s retransfer, run $r" "$js" && again "AXFR in, $s retransfer, run $r" "$try"; then
          settle "$SPID"; continue
        fi
        break
      done
      rec_js in "$s" "$r" re_ "$js"
      log "in $s run $r: retransfer to serial $CUR answered $(js_get "$js" secs) s, CPU $(js_get "$js" cpu_s) s," \
          "peak RSS sum $(mib "$js" hwm_sum) MiB, PSS $(mib "$js" pss_peak) MiB, other processes $(js_get "$js" foreign_s) CPU s"
      case $s in
        ringdns) grep -hE "transferred from|xfr-tmp" "$TMP/$s/log" | sed 's/^.*: zone /xfr.sh:   zone /' >&2 || true
                 grep -h "loaded from .*xfr-tmp" "$TMP/$s/log" | tail -n 1 |
                   sed -nE 's/.*[ ,]([0-9.]+) s \(parse and check ([0-9.]+), compile ([0-9.]+), hand-over ([0-9.]+)\).*/\1 \2 \3 \4/p' |
                   { read -r a b c e && rec in ringdns "$r" re_load "$a" && rec in ringdns "$r" re_parse "$b" &&
                     rec in ringdns "$r" re_compile "$c" && rec in ringdns "$r" re_handover "$e"; } || true ;;
        knotd) grep -hE "AXFR, incoming.*finished|loaded, serial" "$TMP/$s/log" | sed 's/^.*info: /xfr.sh:   /' >&2 || true
               grep -h "AXFR, incoming.*finished" "$TMP/$s/log" | tail -n 1 |
                 sed -nE 's/.*finished, ([0-9.]+) seconds.*/\1/p' | { read -r a && rec in knotd "$r" re_xfr "$a"; } || true ;;
      esac
      stop_srv "$s"
    done
  done
  stop_srv primary
}

# ---- run ---------------------------------------------------------------------
taskset -p -c "$CLI_CPU" $$ >/dev/null
T_START=$(date +%s)
for part in $PARTS; do
  case $part in
    out|in) log "== $part"; "part_$part" ;;
    *) die "unknown part $part (out, in)" ;;
  esac
done

# ---- report ------------------------------------------------------------------
{
  echo "# zone transfers: ringdns vs knotd"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ), took $(( $(date +%s) - T_START )) s"
  echo "- host: $(nproc --all) vCPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), kernel $(uname -r)"
  echo "- ringdns: git $(git describe --always --dirty 2>/dev/null || echo unknown), binaries from $RINGDNS_BUILD/; $(knotd -V 2>&1 | head -1); $(dig -v 2>&1 | head -1)"
  echo "- zone: $ZNAME, genzone $NAMES records (seed $SEED): $ZINFO, $(( $(stat -c %s "$ZF") / 1048576 )) MiB of text"
  echo "- servers under test on vCPU $SRV_CPU (every thread), one worker each (ringdns --workers 1 --tcp-workers 1; knotd udp/tcp/background-workers 1);"
  echo "  dig, the probes and the knotd primary on vCPU $CLI_CPU; RUNS=$RUNS, ringdns and knotd interleaved, after one untimed AXFR from each primary"
  echo "- commands (\$TMP: the run's temporary directory; \$P: the server's port):"
  for f in cmd-out-ringdns cmd-out-knotd cmd-dig cmd-in-ringdns cmd-in-knotd cmd-re-ringdns cmd-re-knotd; do
    [[ -f $TMP/$f ]] && echo "  - ${f#cmd-}: \`$(sed "s|$TMP|\$TMP|g; s|$ROOT/||g; s|127.0.0.1:[0-9]*|127.0.0.1:\$P|g; s|-p [0-9]*|-p \$P|" "$TMP/$f")\`"
  done
  if [[ -f $TMP/knotd/knot.conf || -f $TMP/cmd-in-knotd ]]; then
    echo "  - knotd as primary: zonefile-load whole, journal-content none, zonefile-sync -1, acl transfer from 127.0.0.1;"
    echo "    knotd as secondary: knot's defaults (zonefile-sync 0: the zone file written after the zone is served; journal-content changes)"
    echo "  - ringdns as secondary: \$TMP/ringdns/ringdns.yaml: \`zones: [{name: $ZNAME, file: \$TMP/ringdns/${ZNAME}zone, primaries: [\"127.0.0.1@\$PRIMARY\"]}]\`"
  fi
} > "$TMP/head.md"
{
  echo "- other processes: a measurement waits (up to WAIT_IDLE=$WAIT_IDLE s) until the machine is <= $LOAD_MAX % busy, and is"
  echo "  repeated (up to RETRIES=$RETRIES times) when they used > 0.05 s + 5 % of its window in CPU time; $REPEATED repeated in this run"
  cat "$WARNINGS"
  echo
} >> "$TMP/head.md"
$PY - "$RAW" "$TMP/head.md" > "$TMP/results.md" <<'EOF'
import statistics, sys
raw, head = sys.argv[1:3]
v = {}
notes = {}
for line in open(raw):
    part, srv, run, k, val = line.rstrip("\n").split("\t")
    if k.endswith("procs"):
        notes.setdefault((part, srv, k), []).append(val)
        continue
    if val != "":
        v.setdefault((part, k, srv), []).append(float(val))

def fmt(x, unit):
    if unit == "":
        return f"{x:.0f}"
    if unit == "MiB":
        return f"{x / 1024:.0f}"
    return f"{x:.2f}" if x < 100 else f"{x:.0f}"

def cell(key, srv, unit):
    xs = v.get((key[0], key[1], srv))
    if not xs:
        return "-", None
    m = statistics.median(xs)
    return f"{fmt(m, unit)} ({fmt(min(xs), unit)}–{fmt(max(xs), unit)})", m

rows = [
    ("out", "secs", "s", "AXFR out: dig +tcp AXFR, wall time"),
    ("out", "cpu_s", "s", "AXFR out: server CPU time (all its processes)"),
    ("out", "cmd_cpu_s", "s", "AXFR out: dig's CPU time (the client)"),
    ("out", "hwm_sum", "MiB", "AXFR out: server peak RSS, sum of VmHWM"),
    ("out", "pss_peak", "MiB", "AXFR out: server peak PSS (sum, 100 ms samples)"),
    ("out", "msgs", "", "AXFR out: messages"),
    ("in", "start_secs", "s", "AXFR in, start: exec to serial answered"),
    ("in", "start_hwm_sum", "MiB", "AXFR in, start: secondary peak RSS, sum of VmHWM"),
    ("in", "start_pss_peak", "MiB", "AXFR in, start: secondary peak PSS"),
    ("in", "re_secs", "s", "AXFR in, retransfer: command to new serial answered"),
    ("in", "re_cpu_s", "s", "AXFR in, retransfer: secondary CPU time"),
    ("in", "re_hwm_sum", "MiB", "AXFR in, retransfer: secondary peak RSS, sum of VmHWM"),
    ("in", "re_pss_peak", "MiB", "AXFR in, retransfer: secondary peak PSS"),
]
out = [open(head).read().rstrip("\n"), "",
       "| measure | ringdns median (min–max) | knotd median (min–max) | ringdns/knotd |",
       "|---|---:|---:|---:|"]
for part, k, unit, label in rows:
    a, ma = cell((part, k), "ringdns", unit)
    b, mb = cell((part, k), "knotd", unit)
    if ma is None and mb is None:
        continue
    ratio = f"{ma / mb:.2f}" if ma is not None and mb else "-"
    out.append(f"| {label}{', ' + unit if unit else ''} | {a} | {b} | {ratio} |")
out.append("")
extra = []
for k, label in (("re_load", "load of the transferred file (parse and check + compile + hand-over)"),
                 ("re_parse", "parse and check"), ("re_compile", "compile"), ("re_handover", "hand-over")):
    xs = v.get(("in", k, "ringdns"))
    if xs:
        extra.append(f"{label} {statistics.median(xs):.2f} s")
if extra:
    out.append("- ringdns retransfer, from its log (medians): " + "; ".join(extra))
xs = v.get(("in", "re_xfr", "knotd"))
if xs:
    out.append(f"- knotd retransfer, from its log (median): the AXFR itself {statistics.median(xs):.2f} s")
for k, what in (("procs", "AXFR out"), ("start_procs", "AXFR in, start"), ("re_procs", "AXFR in, retransfer")):
    for srv in ("ringdns", "knotd"):
        vals = [n for (p, s, kk), n in notes.items() if s == srv and kk == k]
        if vals:
            out.append(f"- {what}, {srv}: peak RSS (VmHWM) per process, last run: {vals[0][-1]}")
print("\n".join(out))
EOF
[[ -z $RESULTS ]] || cp "$TMP/results.md" "$RESULTS"
cat "$TMP/results.md"
