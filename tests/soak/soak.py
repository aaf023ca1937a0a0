#!/usr/bin/python3
"""soak.py: ringdns under steady load and faults for N minutes.

    soak.py [--minutes N] [--backend socket|dpdk|both|auto] [--seed S]

Per backend (in sequence; 'both' and 'auto' split the minutes between
them, 'auto' takes DPDK only where tests/e2e/test_dpdk.py would run):
ringdns serves a 100k-name zone and two small ones (sockets: on
127.0.0.1; DPDK: net_af_packet on a veth into a namespace the soak makes,
UDP to 198.18.0.1:53 from the client namespace, TCP on the server
namespace's loopback), dnsperf sends UDP and TCP at fixed rates for the
whole run, and the faults of soakfaults.py run on a schedule drawn from
the seed (printed; the same seed gives the same schedule).  At the end:
no crash (ringdns alive throughout, exit status 0 on SIGTERM, control
process restarts exactly as many as the soak's kills), no zone lost, no
wrong answer, memory flat after the warm-up, UDP loss under
--max-udp-loss.  Prints a summary table; exits 1 with the reasons on any
failure, 77 when it cannot run here (no dnsperf).

Environment as the e2e tests: RINGDNS, RINGCTL, SRCDIR, DPDK=1 for a
ringdns built with DPDK.  See doc/soak.md.
"""
import argparse
import collections
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
sys.path.insert(0, HERE)

from e2elib import RINGCTL, RINGDNS, Server  # noqa: E402
from soakcheck import JUDGED, SLACK_KIB, Sampler, fd_growth, flatness  # noqa: E402
from soakfaults import Faults, Malformed  # noqa: E402
from soaknet import (SRV4, DpdkNet, Target, ask, dnsperf, dnsperf_result,  # noqa: E402
                     dpdk_possible)
from soakzones import canon, make_zones  # noqa: E402

PER_CLIENT = 8       # tcp-max-per-client: the stalled bursts fill it
IDLE_TIMEOUT = 3     # tcp-idle-timeout, seconds


class Run:
    """One backend's soak: the server, its zones, counters and failures."""

    def __init__(self, backend, seconds, seed, args):
        self.backend, self.seconds, self.seed, self.args = backend, seconds, seed, args
        self.count = collections.Counter()
        self.failures = []
        self.wrongs = []
        self.lock = threading.Lock()
        self.killed = set()
        self.restart_s, self.reload_s = [], []
        self.per_client, self.idle_timeout = PER_CLIENT, IDLE_TIMEOUT
        self.ringctl = RINGCTL
        self.server = self.target = self.zones = None
        self.server_pid = None

    def fail(self, msg):
        with self.lock:
            if len(self.failures) < 50:
                self.failures.append(f"{time.strftime('%H:%M:%S')} {msg}")
        print(f"soak[{self.backend}]: FAIL: {msg}", flush=True)

    def wrong(self, msg):
        self.count["wrong_answers"] += 1
        with self.lock:
            if len(self.wrongs) < 20:
                self.wrongs.append(msg)
        print(f"soak[{self.backend}]: WRONG: {msg}", flush=True)

    def check(self, z, key, r, t0, t1):
        """r answers key of zone z, sent at t0, received at t1: it must be
        exactly what a version live in [t0, t1] gives."""
        got = canon(r)
        live = z.allowed(t0, t1)
        if any(v.expected[key] == got for v in live):
            self.count["answers_ok"] += 1
            return
        self.wrong(f"{z.fqdn(key[0])} {key[1]}: got rcode {got[0]}, "
                   f"answer {sorted(got[1])}, SOA serial {got[2]}; live serials "
                   f"{[v.serial for v in live]} give "
                   f"{[(e[0], sorted(e[1]), e[2]) for e in (v.expected[key] for v in live)]}")

    def alive(self):
        return self.server.proc is not None and self.server.proc.poll() is None

    def control_ready(self):
        return self.server.ctl("status", timeout=10)[0] == 0


def write_config(tmp):
    path = os.path.join(tmp, "soak.yaml")
    with open(path, "w") as f:
        f.write(f"server:\n  tcp-max-per-client: {PER_CLIENT}\n"
                f"  tcp-idle-timeout: {IDLE_TIMEOUT}\n")
    return path


def write_queries(path, zones, rng):
    """dnsperf's input: A of big-zone names (some missing), the sample
    names of every zone."""
    big = zones[0]
    lines = [f"h{rng.randrange(big.names)}.{big.origin} A" for _ in range(16000)]
    lines += [f"nx{rng.randrange(10**6)}.{big.origin} A" for _ in range(2000)]
    for z in zones:
        lines += [f"{z.fqdn(rel)} {typ}" for rel, typ in z.samples] * 50
    rng.shuffle(lines)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def sanitized():
    """Whether ringdns was built with AddressSanitizer."""
    out = subprocess.run(["ldd", RINGDNS], capture_output=True, text=True).stdout
    return "libasan" in out


def asan_env():
    """ASAN_OPTIONS for the server: a small quarantine, freed memory given
    back to the system, so that RSS measures what ringdns keeps rather
    than what ASan holds back (256 MB of quarantine by default)."""
    opts = os.environ.get("ASAN_OPTIONS", "")
    return (opts + ":" if opts else "") + ("quarantine_size_mb=8:"
                                            "thread_local_quarantine_size_kb=256:"
                                            "allocator_release_to_os_interval_ms=500")


def start_server(run, tmp, net):
    zones = {z.origin: z.path for z in run.zones}
    extra = ["--log-level", "info"]
    if net:
        extra += ["--io", "dpdk", "--address", SRV4, "--"] + net.eal()
    s = Server(zones, workers=1 if net else 2, config=write_config(tmp), extra=extra, tmp=tmp)
    if sanitized():
        s.args = ["env", "ASAN_OPTIONS=" + asan_env()] + s.args
    if net:
        s.args = ["ip", "netns", "exec", net.srv_ns] + s.args
        s.start(ready=lambda: f"serving {len(zones)} zones" in s.logtext(), timeout=180)
        run.target = Target((SRV4, 53), ("127.0.0.1", s.port), net.cl_ns, net.srv_ns)
    else:
        s.start(wait_zone=run.zones[0].origin, timeout=180)
        run.target = Target(("127.0.0.1", s.port), ("127.0.0.1", s.port))
    run.server, run.server_pid = s, s.proc.pid
    # every zone answers (DPDK: the first queries wait for ARP)
    for z in run.zones:
        for _ in range(50):
            r, _, _ = ask(run.target, z.origin, "SOA", timeout=0.5)
            if r is not None and r.answer:
                break
        else:
            raise AssertionError(f"{z.origin} does not answer after start\n" + s.logtext())


def soak_backend(backend, seconds, seed, args):
    """Runs one backend's soak; returns the Run with its findings."""
    run = Run(backend, seconds, seed, args)
    rng = random.Random(seed)
    tmp = tempfile.mkdtemp(prefix=f"ringdns-soak-{backend}-")
    net = DpdkNet() if backend == "dpdk" else None
    perfs, threads = [], []
    try:
        run.zones = make_zones(tmp, args.names, 50, rng.random())
        qfile = os.path.join(tmp, "queries.txt")
        write_queries(qfile, run.zones, rng)
        if net:
            net.make()
        start_server(run, tmp, net)
        t_start = time.monotonic()
        t_end = t_start + seconds
        for tcp, rate, clients in ((False, args.udp_rate, 4), (True, args.tcp_rate, 2)):
            log = open(os.path.join(tmp, f"dnsperf-{'tcp' if tcp else 'udp'}.txt"), "w+")
            perfs.append((tcp, dnsperf(run.target, qfile, int(seconds), rate, tcp, clients, log),
                          log))
        sampler = Sampler(run, random.Random(rng.random()), args.sample_every)
        faults = Faults(run, random.Random(rng.random()), t_end - 8, args.fault_scale)
        bad = Malformed(run, random.Random(rng.random()), args.malformed_rate)
        threads = [sampler, faults, bad]
        for t in threads:
            t.start()
        while time.monotonic() < t_end and run.alive():
            time.sleep(0.5)
        faults.stop = True
        faults.join(180)
        if faults.staller:
            faults.staller.join(IDLE_TIMEOUT + 20)
        bad.stop = sampler.stop = True
        for t in (bad, sampler):
            t.join(60)
        run.malformed = bad.sent, bad.replies
        collect_perf(run, perfs, seconds)
        final_checks(run, sampler, t_start, t_end)
    except Exception as e:
        run.fail(f"soak aborted: {e!r}")
        raise
    finally:
        for t in threads:
            t.stop = True
        for _, p, log in perfs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(30)
            log.close()
        stop_server(run, net)
        shutil.rmtree(tmp, ignore_errors=True)
    return run


def collect_perf(run, perfs, seconds):
    run.perf = {}
    for tcp, p, log in perfs:
        try:
            p.wait(seconds + 60)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait(30)
        log.seek(0)
        text = log.read()
        res = dnsperf_result(text)
        name = "tcp" if tcp else "udp"
        if res is None:
            run.fail(f"dnsperf over {name.upper()} printed no statistics: {text[-2000:]}")
            continue
        run.perf[name] = res
    udp = run.perf.get("udp")
    if udp and udp["lost"] > udp["sent"] * run.args.max_udp_loss / 100:
        run.fail(f"dnsperf over UDP lost {udp['lost']} of {udp['sent']} queries, over "
                 f"{run.args.max_udp_loss} %")
    tcp = run.perf.get("tcp")
    if tcp and tcp["lost"] > tcp["sent"] * run.args.max_tcp_loss / 100:
        run.fail(f"dnsperf over TCP lost {tcp['lost']} of {tcp['sent']} queries, over "
                 f"{run.args.max_tcp_loss} %")


def final_checks(run, sampler, t_start, t_end):
    if run.count["wrong_answers"]:
        run.fail(f"{run.count['wrong_answers']} wrong answers (listed below)")
    if not run.alive():
        return  # the sampler said when and how
    sampler.watch_pids()
    for z in run.zones:
        sampler.soa(z)
    rc, out, err = run.server.ctl("status")
    line = next((ln for ln in out.splitlines() if ln.startswith("control process:")), "")
    restarts = int(line.rsplit(" ", 1)[-1]) if line else -1
    if restarts != run.count["kills"]:
        run.fail(f"`ringctl status` says {line!r}: {restarts} restarts, the soak killed the "
                 f"control process {run.count['kills']} times")
    log = run.server.logtext()
    killed = log.count("ringdns-control was killed by signal 9")
    others = [ln for ln in log.splitlines()
              if ("ringdns-control exited with status" in ln
                  or ("ringdns-control was killed by signal" in ln
                      and "signal 9;" not in ln))]
    if killed != run.count["kills"] or others:
        run.fail(f"the log shows {killed} SIGKILLs of the control process (the soak sent "
                 f"{run.count['kills']}) and these other exits: {others[:5]}")
    run.memory = {}
    for who, series in sampler.mem.items():
        summary, err = flatness(series, t_start, t_end, run.args.mem_tolerance / 100,
                                JUDGED[who], SLACK_KIB[who])
        run.memory[who] = summary
        if err:
            run.fail(f"memory of {who} not flat: {err}")
    w, la, err = fd_growth(sampler.fds, t_start, t_end)
    run.fds = (w, la)
    if err:
        run.fail(err)


def stop_server(run, net):
    s = run.server
    if s is not None and s.proc is not None:
        was_alive = run.alive()
        try:
            rc = s.stop(expect_clean=True)
        except AssertionError as e:
            run.fail(str(e)[:3000])
            rc = None
        if was_alive and rc != 0:
            run.fail(f"ringdns exited with status {rc} on SIGTERM")
        elif not was_alive:
            run.fail(f"ringdns was dead before the end: status {rc} "
                     f"({'signal %d' % -rc if rc is not None and rc < 0 else 'exit'})")
        if run.args.keep_log and os.path.exists(s.log):
            shutil.copyfile(s.log, os.path.join(run.args.keep_log, f"ringdns-{run.backend}.log"))
    if net:
        leftover = os.path.exists(net.runtime_dir)
        net.drop()
        if leftover and s is not None:
            run.fail(f"EAL left {net.runtime_dir} behind")


def kib(x):
    return f"{x / 1024:.1f}M"


def summary(runs):
    """The table of every backend's figures."""
    rows = [("backend", *[r.backend for r in runs])]

    def row(name, f):
        vals = []
        for r in runs:
            try:
                vals.append(str(f(r)))
            except (KeyError, AttributeError, TypeError, IndexError):
                vals.append("-")
        rows.append((name, *vals))
    row("minutes", lambda r: f"{r.seconds / 60:.1f}")
    for t in ("udp", "tcp"):
        row(f"dnsperf {t} sent", lambda r, t=t: r.perf[t]["sent"])
        row(f"dnsperf {t} answered", lambda r, t=t: r.perf[t]["completed"])
        row(f"dnsperf {t} lost", lambda r, t=t: f"{r.perf[t]['lost']} "
            f"({100 * r.perf[t]['lost'] / max(1, r.perf[t]['sent']):.3f} %)")
        row(f"dnsperf {t} rcodes", lambda r, t=t: r.perf[t]["codes"])
    row("sampled answers ok", lambda r: r.count["answers_ok"])
    row("wrong answers", lambda r: r.count["wrong_answers"])
    row("sample timeouts", lambda r: r.count["sample_timeouts"])
    row("reloads ok", lambda r: r.count["reloads_ok"])
    row("reloads failed (kill)", lambda r: r.count["reloads_failed_kill"])
    row("reloads failed (other)", lambda r: r.count["reloads_failed_unexpected"])
    row("broken zones refused", lambda r: r.count["broken_refused"])
    row("control kills", lambda r: r.count["kills"])
    row("control back after (s)", lambda r: "max %.1f" % max(r.restart_s) if r.restart_s else "-")
    row("stalled TCP conns", lambda r: f"{r.count['stalled_conns']} in "
        f"{r.count['stall_bursts']} bursts")
    row("malformed sent", lambda r: r.count["malformed_sent"])
    row("malformed replies", lambda r: f"{r.count['malformed_replies']} "
        f"{dict(sorted((k or '?', v) for k, v in r.malformed[1].items()))}")
    for who in ("ringdns", "control", "both"):
        for i, what in enumerate(("RSS", "PSS")):
            mark = "*" if what in JUDGED[who] else ""
            row(f"{who} {what}{mark} first/warm/last", lambda r, w=who, i=i, what=what:
                "%s/%s/%s" % (kib(r.memory[w]["first"][i]), kib(r.memory[w][what][0]),
                              kib(r.memory[w][what][1])))
        row(f"{who} RSS min/max", lambda r, w=who: "%s/%s" % (
            kib(r.memory[w]["min"]), kib(r.memory[w]["max"])))
    row("ringdns fds warm/last", lambda r: "%g/%g" % r.fds)
    row("failures", lambda r: len(r.failures))
    rows.append(("(* judged flat)", *[""] * len(runs)))
    widths = [max(len(x[i]) for x in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(x, widths)).rstrip() for x in rows)


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--backend", choices=("socket", "dpdk", "both", "auto"), default="auto")
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--names", type=int, default=100000, help="names in the big zone")
    p.add_argument("--udp-rate", type=int, default=2000)
    p.add_argument("--tcp-rate", type=int, default=200)
    p.add_argument("--malformed-rate", type=int, default=20)
    p.add_argument("--fault-scale", type=float, default=1.0,
                   help="times the intervals between faults (0.2: five times as many)")
    p.add_argument("--sample-every", type=float, default=2.0)
    p.add_argument("--mem-tolerance", type=float, default=5.0, help="percent")
    p.add_argument("--max-udp-loss", type=float, default=0.1, help="percent")
    p.add_argument("--max-tcp-loss", type=float, default=1.0, help="percent")
    p.add_argument("--keep-log", default="", help="copy ringdns's log to this directory")
    return p.parse_args()


def backends(args):
    why = dpdk_possible()
    if args.backend in ("dpdk", "both") and why:
        print(f"soak: cannot run the DPDK backend: {why}")
        sys.exit(77)
    if args.backend == "auto":
        if why:
            print(f"soak: DPDK backend skipped: {why}")
        return ["socket"] if why else ["socket", "dpdk"]
    return ["socket", "dpdk"] if args.backend == "both" else [args.backend]


def main():
    args = parse_args()
    if shutil.which("dnsperf") is None:
        print("soak: skipped: no dnsperf")
        sys.exit(77)
    # a stop (meson's timeout, ^C) still cleans up: finally blocks run
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 31)
    kinds = backends(args)
    print(f"soak: seed {seed} (rerun with --seed {seed}), {args.minutes} minutes over "
          f"{', '.join(kinds)}", flush=True)
    runs = []
    for i, kind in enumerate(kinds):
        seconds = args.minutes * 60 / len(kinds)
        print(f"soak[{kind}]: {seconds:.0f} s", flush=True)
        runs.append(soak_backend(kind, seconds, seed + i, args))
    print("\n" + summary(runs))
    bad = [(r.backend, f) for r in runs for f in r.failures]
    for r in runs:
        for w in r.wrongs:
            print(f"wrong answer [{r.backend}]: {w}")
    if bad:
        print(f"\nsoak FAILED (seed {seed}):")
        for b, f in bad:
            print(f"  [{b}] {f}")
        sys.exit(1)
    print(f"\nsoak passed (seed {seed})")


if __name__ == "__main__":
    main()
