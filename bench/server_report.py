#!/usr/bin/python3
"""server_report.py RAW.tsv HEAD.md WARNINGS PARAMS: bench/server.sh's
markdown report from its per-run values (part, size, server, run, key, value
per line).  Medians over runs, every run's value in brackets, and the ratios
of ringdns (DPDK and sockets) to knotd (sockets and XDP) and nsd for every
metric."""
import statistics
import sys
from collections import defaultdict

SERVERS = ["ringdns-dpdk", "ringdns", "ringdns-warm", "knotd", "knotd-xdp", "nsd"]
OURS = ["ringdns-dpdk", "ringdns", "ringdns-warm"]
THEIRS = ["knotd", "knotd-xdp", "nsd"]
ON_WIRE = {"ringdns-dpdk", "knotd-xdp"}  # see only the veth's frames: no kernel UDP socket
POLLING = {"ringdns-dpdk"}               # busy-polls: always at 100 % CPU


def pairs(tot):
    """(ours, theirs) for every ratio row the measured servers allow"""
    return [(a, b) for a in OURS for b in THEIRS if a in tot and b in tot]


def load(path):
    d = defaultdict(list)  # (part, size, server, key) -> [values by run]
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) == 6:
            d[(f[0], f[1], f[2], f[4])].append(f[5])
    return d


def nums(vals):
    out = []
    for v in vals:
        try:
            out.append(float(v))
        except ValueError:
            pass
    return out


def med(d, part, size, server, key):
    v = nums(d.get((part, size, server, key), []))
    return statistics.median(v) if v else None


def fmt(x, nd=2):
    if x is None:
        return "-"
    if abs(x) >= 1000 and nd <= 1:
        return f"{x:,.0f}"
    return f"{x:.{nd}f}"


def cell(d, part, size, server, key, nd=2, scale=1.0):
    v = nums(d.get((part, size, server, key), []))
    if not v:
        return "-"
    m = statistics.median(v) * scale
    s = fmt(m, nd)
    if len(v) > 1:
        s += " [" + ", ".join(fmt(x * scale, nd) for x in v) + "]"
    return s


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "-"
    return f"{a / b:.2f}"


def sizes_of(d, part):
    return sorted({k[1] for k in d if k[0] == part}, key=int)


def servers_of(d, part, size):
    have = {k[2] for k in d if k[0] == part and k[1] == size}
    return [s for s in SERVERS if s in have]


def mib(kb):
    return None if kb is None else kb / 1024


def runs_cell(v, nd=2):
    """median of the per-run values v, every run in brackets"""
    if not v:
        return "-"
    s = fmt(statistics.median(v), nd)
    return s + (" [" + ", ".join(fmt(x, nd) for x in v) + "]" if len(v) > 1 else "")


def mem_split(d, part, size, s):
    """ringdns's peak RSS as "ringdns + ringdns-control" MiB; "-" for others"""
    if not s.startswith("ringdns"):
        return "-"
    return (f"{cell(d, part, size, s, 'hwm_main', 1, 1 / 1024)} + "
            f"{cell(d, part, size, s, 'hwm_ctl', 1, 1 / 1024)}")


def throughput(d, size):
    out = [f"## Throughput ({int(size):,} names)", ""]
    out.append("| server | max q/s, >= 99 % answered | CPU-s per 1M answers (process + NAPI) "
               "| of which process | of which NAPI | answered at the fixed rate "
               "| DPDK lcore: poll cycles busy % | DPDK lcore: busy cycles per answer "
               "| socket drops at the fixed rate | UDP rcvbuf KiB (ss rb) |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    tot = {}
    for s in servers_of(d, "throughput", size):
        runs = zip(nums(d[("throughput", size, s, "cpu_proc")]), nums(d[("throughput", size, s, "cpu_napi")]),
                   nums(d[("throughput", size, s, "fixed_answered")]), nums(d[("throughput", size, s, "fixed_sent")]))
        per, pp, pn, ans = [], [], [], []
        for p, n, a, sent in runs:
            if a > 0:
                per.append((p + n) / a * 1e6); pp.append(p / a * 1e6); pn.append(n / a * 1e6)
                ans.append(100.0 * a / sent if sent else 0.0)
        if s in POLLING:  # its process time is the polling, not the work
            per = pp = []
        tot[s] = (med(d, "throughput", size, s, "max_qps"),
                  statistics.median(per) if per else None,
                  statistics.median(pp) if pp else None,
                  statistics.median(pn) if pn else None)
        cpu = ("busy-polls", "busy-polls") if s in POLLING else (runs_cell(per), runs_cell(pp))
        dpdk = (cell(d, 'throughput', size, s, 'busy_pct', 2), cell(d, 'throughput', size, s, 'cycles_per_answer', 0))
        sock = ("n/a", "n/a") if s in ON_WIRE else (cell(d, 'throughput', size, s, 'fixed_sockdrops', 0),
                                                    cell(d, 'throughput', size, s, 'rcvbuf', 0, 1 / 1024))
        out.append(f"| {s} | {cell(d, 'throughput', size, s, 'max_qps', 0)} | {cpu[0]} | {cpu[1]} | {runs_cell(pn)} "
                   f"| {runs_cell(ans, 2)} % | {dpdk[0]} | {dpdk[1]} | {sock[0]} | {sock[1]} |")
    for me, o in pairs(tot):
        r, x = tot[me], tot[o]
        out.append(f"| {me}/{o} | {ratio(r[0], x[0])} | {ratio(r[1], x[1])} | {ratio(r[2], x[2])} "
                   f"| {ratio(r[3], x[3])} | | | | | |")
    out.append("")
    if any(s in POLLING for s in tot):
        out.append("ringdns-dpdk's lcore polls all the time, so its CPU time says nothing of its load (\"busy-polls\"); "
                   "instead, from its own counters (ringctl stats) over the fixed-rate run: the share of its poll "
                   "cycles spent in polls that received frames (receive, answer, send), and those busy cycles per "
                   "UDP answer (TSC cycles). Its NAPI column is the server-side veth thread that runs the "
                   "XDP redirect to its port. \"n/a\": a server without a kernel UDP socket.")
        out.append("")
    out.append("Steps per run (rate:ok, or rate:fail(answered/sent)):")
    out.append("")
    for s in servers_of(d, "throughput", size):
        for i, t in enumerate(d.get(("throughput", size, s, "steps"), [])):
            out.append(f"- {s} run {i + 1}: {t.strip()}")
    out.append("")
    return out


def startup(d, sizes):
    out = ["## Startup to first answer and peak RSS", ""]
    out.append("| names | server | first answer s | peak memory MiB (cgroup) | peak RSS MiB (VmHWM) "
               "| ringdns: ringdns + ringdns-control MiB | PSS MiB, all processes, after start |")
    out.append("|---:|---|---:|---:|---:|---|---:|")
    for size in sizes:
        tot = {}
        for s in servers_of(d, "startup", size):
            split = mem_split(d, "startup", size, s)
            tot[s] = (med(d, "startup", size, s, "startup_s"), med(d, "startup", size, s, "hwm_sum"),
                      med(d, "startup", size, s, "pss_sum"), med(d, "startup", size, s, "cgroup_peak"))
            out.append(f"| {int(size):,} | {s} | {cell(d, 'startup', size, s, 'startup_s', 3)} "
                       f"| {cell(d, 'startup', size, s, 'cgroup_peak', 1, 1 / 1024)} "
                       f"| {cell(d, 'startup', size, s, 'hwm_sum', 1, 1 / 1024)} | {split} "
                       f"| {cell(d, 'startup', size, s, 'pss_sum', 1, 1 / 1024)} |")
        for me, o in pairs(tot):
            r, x = tot[me], tot[o]
            out.append(f"| {int(size):,} | {me}/{o} | {ratio(r[0], x[0])} | {ratio(r[3], x[3])} "
                       f"| {ratio(r[1], x[1])} | | {ratio(r[2], x[2])} |")
    out.append("")
    out.append("Peak memory (cgroup): each start runs in a fresh memory cgroup that the server's "
               "whole process tree joins before it runs; its peak (memory.max_usage_in_bytes, or "
               "memory.peak on cgroup v2) counts every page once, shared or not, page cache the "
               "server caused included (the zone file was read into the cache beforehand, by the "
               "script). Peak RSS: knotd its process; nsd the largest of its processes (xfrd, main, server: "
               "they share pages copy-on-write, so a sum would count the zone several times); "
               "ringdns the sum of ringdns and ringdns-control (they may share image pages too: "
               "the PSS column splits shared pages between processes). ringdns-dpdk's figures include "
               "the memory EAL takes (-m 512); on hugepages (HUGE=1) that memory is charged to no "
               "memory cgroup and shows in no RSS.")
    out.append("")
    return out


def reload(d, size):
    out = [f"## Reload under load ({int(size):,} names)", ""]
    out.append("| server | reload command to new serial answered, s | unanswered % in the window "
               "| lost / sent in the window | dropped at the server's UDP sockets during the reload "
               "| peak memory MiB in the window (cgroup) "
               "| peak RSS MiB in the window | ringdns: ringdns + ringdns-control MiB "
               "| peak PSS MiB in the window, all processes | ringctl's own \"loaded in\" s |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|")
    tot = {}
    for s in servers_of(d, "reload", size):
        lost = d.get(("reload", size, s, "window_lost"), [])
        sent = d.get(("reload", size, s, "window_sent"), [])
        ls = ", ".join(f"{a}/{b}" for a, b in zip(lost, sent))
        split = mem_split(d, "reload", size, s)
        tot[s] = (med(d, "reload", size, s, "reload_s"), med(d, "reload", size, s, "unanswered_pct"),
                  med(d, "reload", size, s, "hwm_sum"), med(d, "reload", size, s, "pss_peak_sum"),
                  med(d, "reload", size, s, "cgroup_peak"))
        drops = "n/a" if s in ON_WIRE else cell(d, 'reload', size, s, 'sockdrops', 0)
        out.append(f"| {s} | {cell(d, 'reload', size, s, 'reload_s', 3)} "
                   f"| {cell(d, 'reload', size, s, 'unanswered_pct', 3)} | {ls} "
                   f"| {drops} "
                   f"| {cell(d, 'reload', size, s, 'cgroup_peak', 1, 1 / 1024)} "
                   f"| {cell(d, 'reload', size, s, 'hwm_sum', 1, 1 / 1024)} | {split} "
                   f"| {cell(d, 'reload', size, s, 'pss_peak_sum', 1, 1 / 1024)} "
                   f"| {cell(d, 'reload', size, s, 'own_loaded_s', 2) if s.startswith('ringdns') else '-'} |")
    for me, o in pairs(tot):
        r, x = tot[me], tot[o]
        out.append(f"| {me}/{o} | {ratio(r[0], x[0])} | {ratio(r[1], x[1])} | | | {ratio(r[4], x[4])} "
                   f"| {ratio(r[2], x[2])} | | {ratio(r[3], x[3])} | |")
    out.append("")
    out.append("Window: from 50 ms before the reload command to 200 ms after the first answer with the "
               "new serial (the generator's running totals at both ends, via SIGUSR1); its resolution is "
               "a few dozen queries in flight at each end. The serial is polled every 10 ms: over UDP "
               "from the server's namespace, or, for a server that sees only the veth's frames "
               "(ringdns-dpdk, knotd-xdp), over TCP there, the kernel never seeing those UDP "
               "answers. Dropped at the server's UDP sockets: "
               "the receive-buffer drops (ss -m, summed over the server's sockets) from just before "
               "the reload command to just after the new serial was seen: queries the server "
               "never read (\"n/a\": no kernel UDP socket). Peak memory (cgroup): the server's "
               "cgroup peak, reset 3 s before the reload command (load already running). Peak RSS: the highest VmHWM of each process "
               "in the window, counted as for startup (nsd: its largest process, though its reload "
               "forks a new main process beside the old one); peak PSS: the largest sum over all the "
               "server's processes, sampled every 100 ms.")
    out.append("")
    return out


def latency_rates(d, size):
    keys = {k[3] for k in d if k[0] == "latency" and k[1] == size}
    return sorted({int(k[1:].split("_")[0]) for k in keys if k.startswith("r") and "_" in k})


def latency(d, size):
    out = [f"## Latency at fixed rates ({int(size):,} names, dnsperf)", ""]
    out.append("| server | offered q/s | answered q/s | lost % | p50 ms | p90 ms | p99 ms | p99.9 ms |")
    out.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for s in servers_of(d, "latency", size):
        for q in latency_rates(d, size):
            sent = nums(d.get(("latency", size, s, f"r{q}_sent"), []))
            lost = nums(d.get(("latency", size, s, f"r{q}_lost"), []))
            lost_pct = [100.0 * b / a for a, b in zip(sent, lost) if a > 0]
            out.append(f"| {s} | {q:,} | {cell(d, 'latency', size, s, f'r{q}_qps', 0)} | {runs_cell(lost_pct, 3)} | "
                       + " | ".join(cell(d, "latency", size, s, f"r{q}_{k}", 3) for k in ("p50", "p90", "p99", "p999"))
                       + " |")
    out.append("")
    out.append("dnsperf -v from the client namespace over the veth, 1 s timeout (later answers count as lost); "
               "percentiles of the answered queries' latency, nearest rank.")
    out.append("")
    return out


def main(raw, head, warnings, params):
    d = load(raw)
    out = [open(head).read().rstrip("\n"), f"- settings: {params}", ""]
    out.append("Ratios are ringdns (or ringdns-dpdk, ringdns-warm) / other: above 1 means ringdns "
               "is higher (better for q/s, worse for seconds, CPU and memory).")
    out.append("")
    for size in sizes_of(d, "throughput"):
        out += throughput(d, size)
    for size in sizes_of(d, "latency"):
        out += latency(d, size)
    if sizes_of(d, "startup"):
        out += startup(d, sizes_of(d, "startup"))
    for size in sizes_of(d, "reload"):
        out += reload(d, size)

    w = open(warnings).read().strip()
    out.append("## Foreign load")
    out.append("")
    out.append(w if w else "No foreign load seen before any measurement (top -bn2: idle >= 90 %, "
               "the server's own CPU counted as idle; no other process >= 10 %).")
    out.append("")
    sys.stdout.write("\n".join(out))


if __name__ == "__main__":
    main(*sys.argv[1:5])
