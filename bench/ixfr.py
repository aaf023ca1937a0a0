#!/usr/bin/python3
"""bench/ixfr.py: a 100-record change reaching a secondary, ringdns vs knotd,
side by side in one run (bench/README.md, "IXFR of a small change").

A knotd primary serves a genzone zone (NAMES records generated, its DNSKEY
and RRSIG records left out: an unsigned zone) and keeps a journal
of its changes (so it answers IXFR); two secondaries hold the zone: ringdns
(`primaries`) and knotd (`master`), each pinned to vCPU SRV_CPU, the
primary and this script to CLI_CPU.  Each run changes CHANGE A records
(deleted and added with a new address) and the serial in the primary's
file, reloads the primary (`knotc zone-reload`: it computes the difference
and journals it) and waits until it answers the new serial; then, for each
secondary in turn (the order alternating between runs), sends it a NOTIFY
from 127.0.0.1 and polls its SOA every millisecond: the time from the
NOTIFY to the first answer with the new serial, and the secondary's memory
(Pss of its process tree, sampled every 10 ms) before and at its peak
during that window.  Medians and min-max over RUNS, and the ratio, as a
markdown table on stdout.  Every process it starts is stopped by PID at
exit, its temporary directory removed.  127.0.0.1 only.

Environment: NAMES (1000000), RUNS (5), CHANGE (100), RINGDNS_BUILD
(build-rel), SRV_CPU (1), CLI_CPU (0), TIMEOUT (600 s: each start, wait).
ZONE_FILE and ORIGIN: a zone of one's own instead of genzone's (for
example bench/out/tld-1000000.signed.zone, bench-tld.: a signed TLD);
KIND=delegations: each run adds CHANGE/2 insecure delegations (two NS
records each, out of bailiwick: no glue) instead of changing A records, a
TLD's usual change (the SOA's RRSIG is left as it was: no server here
verifies signatures).  KIND=secure (a signed zone with NSEC3): each run adds
CHANGE/8 secure delegations (two NS, a DS and its RRSIG), each with its
NSEC3 record and RRSIG, the NSEC3 before it in the chain changed to point
at it: the chain changes as a signer changes it (RFC 5155 §7.1; the
hashes made with the zone's NSEC3PARAM, signatures fake).  KIND=apex-nsec3:
the RRSIG of the apex's NSEC3 made again (a new expiry), which the proof
of no DS of every insecure delegation right below the apex names."""
import base64
import hashlib
import os
import random
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from e2elib import knot_conf_head  # noqa: E402  (the tests' knotd settings)
NAMES = int(os.environ.get("NAMES", "1000000"))
RUNS = int(os.environ.get("RUNS", "5"))
CHANGE = int(os.environ.get("CHANGE", "100"))
BUILD = os.path.join(ROOT, os.environ.get("RINGDNS_BUILD", "build-rel"))
SRV_CPU = os.environ.get("SRV_CPU", "1")
CLI_CPU = os.environ.get("CLI_CPU", "0")
TIMEOUT = float(os.environ.get("TIMEOUT", "600"))
ZONE = os.environ.get("ORIGIN", "bench.test.")
ZONE_FILE = os.environ.get("ZONE_FILE")
KIND = os.environ.get("KIND", "a")
procs = []


def log(msg):
    print(f"ixfr.py: {msg}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(cmd, logpath, cpu):
    p = subprocess.Popen(["taskset", "-c", cpu] + cmd, stdout=open(logpath, "wb"),
                         stderr=subprocess.STDOUT, start_new_session=True)
    procs.append(p)
    return p


def stop_all():
    for p in procs:
        try:
            os.killpg(p.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
    for p in procs:
        try:
            p.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)


def wire(name):
    return b"".join(bytes([len(x)]) + x.encode() for x in name.rstrip(".").split(".")) + b"\0"


def message(opcode, qid):
    return struct.pack("!HHHHHH", qid, opcode << 11 | (0x400 if opcode else 0), 1, 0, 0, 0) \
        + wire(ZONE) + struct.pack("!HH", 6, 1)


def serial(port, sock=None):
    """The SOA serial port answers, or None."""
    own = sock is None
    s = sock or socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        qid = random.getrandbits(16)
        s.settimeout(0.2)
        s.sendto(message(0, qid), ("127.0.0.1", port))
        while True:
            m, _ = s.recvfrom(4096)
            if struct.unpack("!H", m[:2])[0] == qid:
                break
        if struct.unpack("!H", m[6:8])[0] == 0:
            return None
        # the answer's SOA: its rdata ends with serial + 4 timers
        return struct.unpack("!I", m[-20:-16])[0]
    except (socket.timeout, OSError, struct.error):
        return None
    finally:
        if own:
            s.close()


def wait_serial(port, want, timeout=TIMEOUT):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if serial(port) == want:
            return True
        time.sleep(0.05)
    return False


def tree(pid):
    out, stack = [], [pid]
    while stack:
        p = stack.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    stack += [int(x) for x in f.read().split()]
        except OSError:
            pass
    return out


def pss_kib(pid):
    total = 0
    for p in tree(pid):
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
        except OSError:
            pass
    return total


def notified(port, pid, want):
    """NOTIFY to port, then polls: (seconds to the new serial, Pss before,
    peak Pss during) in MiB."""
    base = pss_kib(pid)
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], pss_kib(pid))
            done.wait(0.01)
    th = threading.Thread(target=sample)
    th.start()
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    t0 = time.perf_counter()
    s.sendto(message(4, random.getrandbits(16)), ("127.0.0.1", port))
    dt = None
    while time.perf_counter() - t0 < TIMEOUT:
        if serial(port, s) == want:
            dt = time.perf_counter() - t0
            break
        time.sleep(0.001)
    done.set()
    th.join()
    s.close()
    return dt, base / 1024, peak[0] / 1024


FAKE_SIG = "AAAA" * 21 + "AA=="


def nsec3_hash(name, salt, iters):
    """RFC 5155 §5: the hash of name (text, absolute) as base32hex."""
    wire = b"".join(bytes([len(lab)]) + lab.lower().encode()
                    for lab in name.rstrip(".").split(".")) + b"\0"
    h = hashlib.sha1(wire + salt).digest()
    for _ in range(iters):
        h = hashlib.sha1(h + salt).digest()
    return base64.b32hexencode(h).decode().rstrip("=")


def add_secure(lines, run):
    """CHANGE/8 secure delegations into lines, with their NSEC3 records
    (opt-out flag as the chain's), the chain's links made again."""
    param = next(ln.split() for ln in lines if "NSEC3PARAM" in ln.split()[3:4])
    salt = b"" if param[-1] == "-" else bytes.fromhex(param[-1])
    iters = int(param[-2])
    chain = {}
    for i, ln in enumerate(lines):
        f = ln.split()
        if len(f) > 8 and f[3] == "NSEC3":
            chain[f[0].split(".")[0].upper()] = i
    flags = lines[next(iter(chain.values()))].split()[5]
    order = sorted(chain)
    for i in range(CHANGE // 8):
        name = f"s{run}-{i}.{ZONE}"
        lines += [f"{name}\t86400\tIN\tNS\tns{k}.example.net." for k in (1, 2)]
        lines.append(f"{name}\t86400\tIN\tDS\t{1000 + i} 13 2 {run * 1000 + i:064X}")
        lines.append(f"{name}\t86400\tIN\tRRSIG\tDS 13 2 86400 20361231000000 "
                     f"20260101000000 24867 {ZONE} {FAKE_SIG}")
        h = nsec3_hash(name, salt, iters)
        at = next((k for k, o in enumerate(order) if o > h), len(order))
        pred, succ = order[at - 1], order[at % len(order)]
        f = lines[chain[pred]].split()
        f[8] = h
        lines[chain[pred]] = "\t".join(f)
        chain[h] = len(lines)
        lines.append(f"{h}.{ZONE}\t3600\tIN\tNSEC3\t1 {flags} {iters} {param[-1]} "
                     f"{succ} NS DS RRSIG")
        lines.append(f"{h}.{ZONE}\t3600\tIN\tRRSIG\tNSEC3 13 2 3600 20361231000000 "
                     f"20260101000000 24867 {ZONE} {FAKE_SIG}")
        order.insert(at, h)


def resign_apex_nsec3(lines, run):
    """The RRSIG over the apex's NSEC3 with a new expiry."""
    param = next(ln.split() for ln in lines if "NSEC3PARAM" in ln.split()[3:4])
    salt = b"" if param[-1] == "-" else bytes.fromhex(param[-1])
    own = nsec3_hash(ZONE, salt, int(param[-2])).lower()
    for i, ln in enumerate(lines):
        f = ln.split()
        if len(f) > 8 and f[0].lower().startswith(own + ".") and f[3:5] == ["RRSIG", "NSEC3"]:
            f[8] = f"2037{run % 12 + 1:02}01000000"
            lines[i] = "\t".join(f)
            return
    raise SystemExit("no RRSIG over the apex's NSEC3")


def change(path, run):
    """Changes CHANGE records (KIND) and the serial; the new serial."""
    with open(path) as f:
        lines = f.read().split("\n")
    if KIND == "secure":
        add_secure(lines, run)
    if KIND == "apex-nsec3":
        resign_apex_nsec3(lines, run)
    if KIND == "delegations":
        lines += [f"d{run}-{i}.{ZONE}\t86400\tIN\tNS\tns{k}.example.net."
                  for i in range(CHANGE // 2) for k in (1, 2)]
    n, new = 0, None
    for i, ln in enumerate(lines):
        f = ln.split()
        if new is None and "SOA" in f:
            k = f.index("SOA") + 3
            new = int(f[k]) + 1
            f[k] = str(new)
            lines[i] = "\t".join(f)
        elif KIND == "a" and n < CHANGE and len(f) >= 3 and f[-2] == "A" \
                and not ln.startswith(";"):
            f[-1] = f"198.19.{run % 250}.{n % 250 + 1}"
            lines[i] = "\t".join(f)
            n += 1
    with open(path, "w") as f:
        f.write("\n".join(lines))
    return new


def knot_conf(d, port, body):
    return knot_conf_head(d, port) + body


def main():
    tmp = tempfile.mkdtemp(prefix="ringdns-ixfr-bench-")
    try:
        run_bench(tmp)
    finally:
        stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


def run_bench(tmp):
    zpath = os.path.join(tmp, "primary", "bench.zone")
    os.makedirs(os.path.dirname(zpath))
    if ZONE_FILE:
        shutil.copyfile(ZONE_FILE, zpath)
        gen = None
    else:
        # genzone's zone without its DNSKEY and RRSIG records: an unsigned
        # zone, as a hosting operator's
        gen = subprocess.run([os.path.join(BUILD, "bench", "genzone"), ZONE, str(NAMES),
                              "1"], stdout=subprocess.PIPE, text=True, check=True).stdout
    with open(zpath, "a") as f:
        for ln in (gen.split("\n") if gen else []):
            t = ln.split()
            if not (len(t) > 2 and ("RRSIG" in t[1:4] or "DNSKEY" in t[1:4])):
                f.write(ln + "\n")
    pport, rport, kport = free_port(), free_port(), free_port()
    pd = os.path.dirname(zpath)
    with open(os.path.join(pd, "knot.conf"), "w") as f:
        f.write(knot_conf(pd, pport, f"""acl:
  - id: xfr
    address: 127.0.0.1
    action: transfer
template:
  - id: default
    storage: {pd}
    zonefile-sync: -1
    zonefile-load: difference
    journal-content: changes
    journal-max-usage: 2G
zone:
  - domain: {ZONE}
    file: {zpath}
    acl: xfr
"""))
    start(["knotd", "-c", os.path.join(pd, "knot.conf")], os.path.join(pd, "log"), CLI_CPU)
    first = None
    t0 = time.time()
    while first is None and time.time() - t0 < TIMEOUT:
        first = serial(pport)
        time.sleep(0.2)
    if first is None:
        sys.exit("ixfr.py: the knotd primary did not start:\n"
                 + open(os.path.join(pd, "log")).read()[-2000:])
    log(f"primary serves {NAMES} records, serial {first}")
    # the ringdns secondary
    rd = os.path.join(tmp, "ringdns")
    os.makedirs(rd)
    with open(os.path.join(rd, "ringdns.yaml"), "w") as f:
        f.write(f"zones:\n  - name: {ZONE}\n    file: {rd}/bench.zone\n"
                f"    primaries: [\"127.0.0.1@{pport}\"]\n")
    ring = start([os.path.join(BUILD, "dataplane", "ringdns"), "--config",
                  os.path.join(rd, "ringdns.yaml"), "--listen", f"127.0.0.1:{rport}",
                  "--control-socket", os.path.join(rd, "ctl.sock"), "--workers", "1"],
                 os.path.join(rd, "log"), SRV_CPU)
    # the knotd secondary
    kd = os.path.join(tmp, "knotd")
    os.makedirs(kd)
    with open(os.path.join(kd, "knot.conf"), "w") as f:
        f.write(knot_conf(kd, kport, f"""remote:
  - id: primary
    address: 127.0.0.1@{pport}
acl:
  - id: notify
    address: 127.0.0.1
    action: notify
template:
  - id: default
    storage: {kd}
    zonefile-sync: -1
    journal-content: changes
    journal-max-usage: 2G
zone:
  - domain: {ZONE}
    master: primary
    acl: notify
"""))
    knot = start(["knotd", "-c", os.path.join(kd, "knot.conf")], os.path.join(kd, "log"),
                 SRV_CPU)
    for name, port in (("ringdns", rport), ("knotd", kport)):
        if not wait_serial(port, first):
            sys.exit(f"ixfr.py: the {name} secondary did not get serial {first}")
    log("both secondaries hold the zone")
    res = {"ringdns": [], "knotd": []}
    for run in range(RUNS):
        new = change(zpath, run)
        subprocess.run(["knotc", "-s", os.path.join(pd, "knot.sock"), "zone-reload", ZONE],
                       capture_output=True, check=True)
        if not wait_serial(pport, new):
            sys.exit(f"ixfr.py: the primary did not load serial {new}")
        order = [("ringdns", rport, ring.pid), ("knotd", kport, knot.pid)]
        if run % 2:
            order.reverse()
        for name, port, pid in order:
            time.sleep(0.5)
            r = notified(port, pid, new)
            if r[0] is None:
                sys.exit(f"ixfr.py: {name} did not answer serial {new}")
            res[name].append(r)
            log(f"run {run + 1}: {name}: {r[0] * 1000:.1f} ms, Pss {r[1]:.0f} -> {r[2]:.0f} MiB")
    with open(os.path.join(rd, "log"), errors="replace") as f:
        rlog = f.read()
    log(f"ringdns: {rlog.count('served incrementally')} of {RUNS} changes served "
        f"incrementally; loaded whole: "
        f"{[ln.split('loaded whole ', 1)[1] for ln in rlog.splitlines() if 'loaded whole (' in ln]}")
    report(res)


def report(res):
    def med(name, i):
        v = [r[i] for r in res[name]]
        return statistics.median(v), min(v), max(v)
    what = ZONE_FILE or f"a {NAMES}-record zone"
    print(f"\nIXFR of a {CHANGE}-record change ({KIND}) into {what} "
          f"(NOTIFY -> new serial answered), {RUNS} runs, medians (min-max)\n")
    print("| secondary | ms | Pss before MiB | Pss peak MiB | growth MiB |")
    print("|---|---:|---:|---:|---:|")
    for name in ("ringdns", "knotd"):
        t, b, p = med(name, 0), med(name, 1), med(name, 2)
        g = statistics.median(r[2] - r[1] for r in res[name])
        print(f"| {name} | {t[0] * 1000:.1f} ({t[1] * 1000:.1f}-{t[2] * 1000:.1f}) | "
              f"{b[0]:.0f} | {p[0]:.0f} | {g:.0f} |")
    rt, kt = med("ringdns", 0)[0], med("knotd", 0)[0]
    print(f"\nratio ringdns/knotd (time): {rt / kt:.2f}")


if __name__ == "__main__":
    main()
