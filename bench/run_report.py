#!/usr/bin/python3
"""run_report.py DIR: bench/run's report from the raw values in DIR/raw/
(server-raw.tsv from bench/server.sh, answer_bench-R.txt, dpdk-raw.tsv from
bench/dpdk.sh, meta.json from bench/run): DIR/report.md, DIR/report.html
(self-contained: the plots inside as data: URIs) and DIR/plots/*.png.

Every table gives the median over the runs and, with several runs, the
minimum and maximum; ratios are ringdns (DPDK or sockets) / knotd and / nsd
on medians."""
import base64
import html
import json
import os
import re
import statistics
import sys
from collections import defaultdict

import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

# server.sh's names -> the report's (bench/run's --servers)
DISPLAY = {"ringdns-dpdk": "ringdns-dpdk", "ringdns": "ringdns-socket", "knotd": "knot",
           "knotd-xdp": "knot-xdp", "nsd": "nsd"}
ORDER = ["ringdns-dpdk", "ringdns", "knotd", "knotd-xdp", "nsd"]
OURS = ["ringdns-dpdk", "ringdns"]
THEIRS = ["knotd", "nsd"]          # the ratios the report gives
STYLE = {"ringdns-dpdk": ("tab:red", "o"), "ringdns": ("tab:orange", "s"), "knotd": ("tab:blue", "^"),
         "knotd-xdp": ("tab:cyan", "v"), "nsd": ("tab:green", "D")}


# ---- raw values ---------------------------------------------------------------------
class Raw:
    """server.sh's rows: part size server run key value"""

    def __init__(self, path):
        self.rows = defaultdict(dict)   # (part, size, server, key) -> {run: last value}
        if not os.path.exists(path):
            return
        for line in open(path):
            f = line.rstrip("\n").split("\t")
            if len(f) == 6:
                self.rows[(f[0], f[1], f[2], f[4])][f[3]] = f[5]

    def vals(self, part, size, server, key):
        out = []
        for v in self.rows.get((part, str(size), server, key), {}).values():
            try:
                out.append(float(v))
            except ValueError:
                pass
        return out

    def raw(self, part, size, server, key):
        return self.rows.get((part, str(size), server, key), {})

    def sizes(self, part):
        return sorted({int(k[1]) for k in self.rows if k[0] == part})

    def servers(self, part, size=None):
        have = {k[2] for k in self.rows if k[0] == part and (size is None or k[1] == str(size))}
        return [s for s in ORDER if s in have]

    def keys(self, part, size, server):
        return {k[3] for k in self.rows if k[0] == part and k[1] == str(size) and k[2] == server}


def med(v):
    return statistics.median(v) if v else None


def num(x, nd=0):
    if x is None:
        return "-"
    if nd == 0:
        return f"{x:,.0f}"
    return f"{x:,.{nd}f}"


def mm(v, nd=0, scale=1.0):
    """"median (min–max)" of v, or the one value"""
    if not v:
        return "-"
    v = [x * scale for x in v]
    s = num(statistics.median(v), nd)
    if len(v) > 1:
        s += f" ({num(min(v), nd)}–{num(max(v), nd)})"
    return s


def ratio(a, b):
    return "-" if a is None or b is None or b == 0 else f"{a / b:.2f}"


# ---- the document: blocks rendered to markdown and HTML ----------------------------------
class Doc:
    def __init__(self):
        self.blocks = []

    def h(self, level, text):
        self.blocks.append(("h", level, text))

    def p(self, text):
        self.blocks.append(("p", text))

    def ul(self, items):
        self.blocks.append(("ul", items))

    def table(self, header, rows, align=None):
        self.blocks.append(("table", header, rows, align or ["l"] + ["r"] * (len(header) - 1)))

    def img(self, path, alt):
        self.blocks.append(("img", path, alt))

    def pre(self, text):
        self.blocks.append(("pre", text))

    def markdown(self):
        out = []
        for b in self.blocks:
            if b[0] == "h":
                out += ["#" * b[1] + " " + b[2], ""]
            elif b[0] == "p":
                out += [b[1], ""]
            elif b[0] == "ul":
                out += [f"- {i}" for i in b[1]] + [""]
            elif b[0] == "table":
                out.append("| " + " | ".join(b[1]) + " |")
                out.append("|" + "|".join("---:" if a == "r" else "---" for a in b[3]) + "|")
                out += ["| " + " | ".join(str(c) for c in r) + " |" for r in b[2]]
                out.append("")
            elif b[0] == "img":
                out += [f"![{b[2]}]({b[1]})", ""]
            elif b[0] == "pre":
                out += ["```", b[1], "```", ""]
        return "\n".join(out)

    def html(self, base):
        def inline(t):
            t = html.escape(t)
            t = re.sub(r"`([^`]+)`", r"<code>\1</code>", t)
            return re.sub(r"\*\*([^*]+)\*\*", r"<b>\1</b>", t)
        out = ["<!DOCTYPE html>", "<html><head><meta charset=\"utf-8\"><title>ringdns benchmark</title>",
               "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
               "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px}"
               "td.r{text-align:right}th{background:#eee}code,pre{background:#f6f6f6}"
               "pre{padding:8px;overflow-x:auto}img{max-width:100%}</style></head><body>"]
        for b in self.blocks:
            if b[0] == "h":
                out.append(f"<h{b[1]}>{inline(b[2])}</h{b[1]}>")
            elif b[0] == "p":
                out.append(f"<p>{inline(b[1])}</p>")
            elif b[0] == "ul":
                out.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in b[1]) + "</ul>")
            elif b[0] == "table":
                out.append("<table><tr>" + "".join(f"<th>{inline(h)}</th>" for h in b[1]) + "</tr>")
                for r in b[2]:
                    out.append("<tr>" + "".join(f"<td class=\"{a}\">{inline(str(c))}</td>"
                                                for c, a in zip(r, b[3])) + "</tr>")
                out.append("</table>")
            elif b[0] == "img":
                with open(os.path.join(base, b[1]), "rb") as f:
                    data = base64.b64encode(f.read()).decode()
                out.append(f"<p><img alt=\"{html.escape(b[2])}\" src=\"data:image/png;base64,{data}\"></p>")
            elif b[0] == "pre":
                out.append(f"<pre>{html.escape(b[1])}</pre>")
        out.append("</body></html>")
        return "\n".join(out)


# ---- plots -------------------------------------------------------------------------------
def new_plot(title, xlabel, ylabel):
    fig, ax = plt.subplots(figsize=(7.5, 4.5), dpi=100)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    return fig, ax


def save(fig, ax, base, name, legend=True):
    if legend:
        ax.legend(fontsize=9)
    fig.tight_layout()
    rel = os.path.join("plots", name)
    fig.savefig(os.path.join(base, rel))
    plt.close(fig)
    return rel


def ladder(raw, size, s):
    """offered rate -> [answered q/s per run] from the generator's steps (the
    last try of a step in each run)"""
    pts = defaultdict(list)
    for k in raw.keys("throughput", size, s):
        if not k.startswith("step_"):
            continue
        for v in raw.raw("throughput", size, s, k).values():
            try:
                sent, got, secs = (float(x) for x in v.split())
            except ValueError:
                continue
            pts[int(k[5:])].append(got / secs if secs > 0 else 0.0)
    return dict(sorted(pts.items()))


def at_top(raw, size, s):
    """the ladder's highest step was answered in every run: the server's
    ceiling is above what was offered"""
    mq = raw.vals("throughput", size, s, "max_qps")
    steps = [int(k[5:]) for k in raw.keys("throughput", size, s) if k.startswith("step_")]
    return bool(mq) and bool(steps) and min(mq) >= max(steps)


def max_qps_cell(raw, size, s, with_range):
    v = raw.vals("throughput", size, s, "max_qps")
    text = mm(v) if with_range else num(med(v))
    return ("≥ " + text) if at_top(raw, size, s) else text


def plot_ladder(raw, size, base):
    fig, ax = new_plot(f"Answered against offered rate ({size:,} names, dpdk_gen on af_xdp, one core)",
                       "offered q/s", "answered q/s")
    top = 0
    servers = raw.servers("throughput", size)
    for i, s in enumerate(servers):
        pts = ladder(raw, size, s)
        if not pts:
            continue
        xs = list(pts)
        label = f"{DISPLAY[s]} (max {max_qps_cell(raw, size, s, False)})"
        # the first drawn largest: lines that coincide stay visible
        ax.plot(xs, [med(pts[x]) for x in xs], marker=STYLE[s][1], color=STYLE[s][0], label=label,
                markersize=10 - 2 * i, linewidth=2.5 - 0.4 * i, alpha=0.9)
        top = max(top, max(xs))
    ax.plot([0, top], [0, top], "k--", lw=0.8, label="all answered")
    return save(fig, ax, base, "answered-vs-offered.png")


def lat_rates(raw, size, s):
    return sorted({int(k[1:].split("_")[0]) for k in raw.keys("latency", size, s)
                   if re.match(r"r\d+_", k)})


def plot_latency(raw, size, base):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4.5), dpi=100)
    for ax, key, label in ((axes[0], "p50", "median"), (axes[1], "p99", "99th percentile")):
        for s in raw.servers("latency", size):
            xs = lat_rates(raw, size, s)
            ys = [med(raw.vals("latency", size, s, f"r{q}_{key}")) for q in xs]
            ax.plot(xs, ys, marker=STYLE[s][1], color=STYLE[s][0], label=DISPLAY[s])
        ax.set_title(f"{label} latency (dnsperf)")
        ax.set_xlabel("offered q/s")
        ax.set_ylabel("ms")
        ax.set_yscale("log")
        ax.grid(True, alpha=0.3, which="both")
        ax.legend(fontsize=9)
    fig.suptitle(f"Latency against load ({size:,} names)")
    fig.tight_layout()
    rel = os.path.join("plots", "latency-vs-load.png")
    fig.savefig(os.path.join(base, rel))
    plt.close(fig)
    return rel


def mem_kib(raw, size, s):
    """peak memory per run: the memory cgroup's peak where measured, else the
    processes' VmHWM summed"""
    v = raw.vals("startup", size, s, "cgroup_peak")
    return v if v else raw.vals("startup", size, s, "hwm_sum")


def plot_by_size(raw, base, what):
    sizes = raw.sizes("startup")
    if what == "memory":
        fig, ax = new_plot("Peak memory against zone size", "names in the zone", "MiB")
    else:
        fig, ax = new_plot("Startup (exec to the first answer) against zone size", "names in the zone", "s")
    def value(n, s):
        v = mem_kib(raw, n, s) if what == "memory" else raw.vals("startup", n, s, "startup_s")
        return None if not v else (med(v) / 1024 if what == "memory" else med(v))
    servers = raw.servers("startup")
    if len(sizes) == 1:   # one size: a bar a server
        ys = [value(sizes[0], s) or 0 for s in servers]
        ax.bar([DISPLAY[s] for s in servers], ys, color=[STYLE[s][0] for s in servers])
        ax.set_xlabel(f"server ({sizes[0]:,} names)")
        for i, y in enumerate(ys):
            ax.annotate(f"{y:.1f}" if what == "memory" else f"{y:.2f}", (i, y), ha="center", va="bottom")
    else:
        for s in servers:
            pts = [(n, value(n, s)) for n in sizes if value(n, s) is not None]
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=STYLE[s][1], color=STYLE[s][0],
                    label=DISPLAY[s])
        ax.set_xscale("log")
        ax.set_yscale("log")
    return save(fig, ax, base, f"{what}-vs-size.png", legend=len(sizes) > 1)


# ---- sections -------------------------------------------------------------------------------
def ratio_rows(tot, cols):
    """rows "ours / theirs" over the columns of tot[server] (medians)"""
    rows = []
    for a in OURS:
        for b in THEIRS:
            if a in tot and b in tot:
                rows.append([f"{DISPLAY[a]} / {DISPLAY[b]}"]
                            + [ratio(tot[a][i], tot[b][i]) for i in range(cols)])
    return rows


def headline(doc, raw, meta):
    size = meta["names"]
    lat_q = None
    srv = raw.servers("throughput", size) or raw.servers("latency", size)
    common = None
    for s in raw.servers("latency", size):
        r = set(lat_rates(raw, size, s))
        common = r if common is None else common & r
    if common:
        lat_q = max(common)
    rows, tot = [], {}
    for s in srv:
        fixed_ans = raw.vals("throughput", size, s, "fixed_answered")
        cpu = [(p + n) * 1e6 / a for p, n, a in zip(raw.vals("throughput", size, s, "cpu_proc"),
                                                    raw.vals("throughput", size, s, "cpu_napi"), fixed_ans)
               if a > 0]
        vals = [med(raw.vals("throughput", size, s, "max_qps")),
                None if s == "ringdns-dpdk" else med(cpu),
                med(raw.vals("latency", size, s, f"r{lat_q}_p99")) if lat_q else None,
                med(raw.vals("startup", size, s, "startup_s")),
                None if not mem_kib(raw, size, s) else med(mem_kib(raw, size, s)) / 1024]
        tot[s] = vals
        rows.append([DISPLAY[s], max_qps_cell(raw, size, s, False), "busy-polls" if s == "ringdns-dpdk" else num(vals[1], 2),
                     num(vals[2], 3), num(vals[3], 2), num(vals[4], 1)])
    doc.h(2, "Headline")
    doc.table(["server", "max q/s, >= 99 % answered", "CPU-s per 1M answers",
               f"p99 latency at {lat_q:,} q/s, ms" if lat_q else "p99 latency, ms",
               f"startup, s ({size:,} names)", f"peak memory, MiB ({size:,} names)"],
              rows + ratio_rows(tot, 5))
    doc.p("Medians over the runs; one worker on one vCPU each, the generators on the other. Ratios: above 1 "
          "means ringdns is higher (better for q/s; worse for CPU, latency, seconds and memory); "
          "≥: the ladder's highest step was answered, the server's ceiling lies above it (its ratio "
          "a lower bound). "
          "ringdns-dpdk polls all the time, so its CPU time says nothing of its load: see its cycles per "
          "answer below.")


def section_throughput(doc, raw, size, base):
    doc.h(2, f"Throughput and CPU ({size:,} names, dpdk_gen on af_xdp)")
    rows, tot = [], {}
    for s in raw.servers("throughput", size):
        ans = raw.vals("throughput", size, s, "fixed_answered")
        sent = raw.vals("throughput", size, s, "fixed_sent")
        cpu = [(p + n) * 1e6 / a for p, n, a in zip(raw.vals("throughput", size, s, "cpu_proc"),
                                                    raw.vals("throughput", size, s, "cpu_napi"), ans) if a > 0]
        pct = [100.0 * a / t for a, t in zip(ans, sent) if t > 0]
        mq = raw.vals("throughput", size, s, "max_qps")
        tot[s] = [med(mq), None if s == "ringdns-dpdk" else med(cpu)]
        rows.append([DISPLAY[s], max_qps_cell(raw, size, s, True), "busy-polls" if s == "ringdns-dpdk" else mm(cpu, 2),
                     mm(pct, 2),
                     mm(raw.vals("throughput", size, s, "cycles_per_answer")),
                     mm(raw.vals("throughput", size, s, "busy_pct"), 1)])
    doc.table(["server", "max q/s, >= 99 % answered", "CPU-s per 1M answers (process + NAPI)",
               "answered at the fixed rate, %", "DPDK: busy cycles per answer", "DPDK: busy % of poll cycles"],
              rows + [r + ["", "", ""] for r in ratio_rows(tot, 2)])
    doc.img(plot_ladder(raw, size, base), "answered against offered rate")
    doc.p("Each server's generator steps (answered q/s at each offered rate, medians over runs) up to the "
          "first step below 99 % answered: where a line leaves the diagonal, the server (or the one vCPU it "
          "has) is full.")


def section_latency(doc, raw, size, base):
    doc.h(2, f"Latency at fixed rates ({size:,} names, dnsperf)")
    rows = []
    for s in raw.servers("latency", size):
        for q in lat_rates(raw, size, s):
            sent = raw.vals("latency", size, s, f"r{q}_sent")
            lost = raw.vals("latency", size, s, f"r{q}_lost")
            rows.append([DISPLAY[s], num(q), mm(raw.vals("latency", size, s, f"r{q}_qps")),
                         mm([100.0 * b / a for a, b in zip(sent, lost) if a > 0], 3)]
                        + [mm(raw.vals("latency", size, s, f"r{q}_{k}"), 3) for k in ("p50", "p90", "p99", "p999")])
    doc.table(["server", "offered q/s", "answered q/s", "lost %", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms"], rows)
    doc.img(plot_latency(raw, size, base), "latency percentiles against load")
    doc.p("dnsperf -v from the client namespace over the veth (16 sockets, 1 s timeout: later answers "
          "count as lost); percentiles of the answered queries, nearest rank. dnsperf is a kernel-socket "
          "client on one vCPU: its own latency is in every figure, the same for every server.")


def section_startup(doc, raw, base):
    sizes = raw.sizes("startup")
    if not sizes:
        return
    doc.h(2, "Startup and memory by zone size")
    rows = []
    for n in sizes:
        tot = {}
        for s in raw.servers("startup", n):
            st = raw.vals("startup", n, s, "startup_s")
            mem = mem_kib(raw, n, s)
            tot[s] = [med(st), None if not mem else med(mem) / 1024]
            rows.append([f"{n:,}", DISPLAY[s], mm(st, 2), mm(mem, 1, 1 / 1024),
                         mm(raw.vals("startup", n, s, "hwm_sum"), 1, 1 / 1024)])
        rows += [[f"{n:,}"] + r + ["-"] for r in ratio_rows(tot, 2)]
    doc.table(["names", "server", "startup s (exec to first answer)", "peak memory MiB (cgroup)",
               "peak RSS MiB (VmHWM, summed)"], rows, ["l", "l", "r", "r", "r"])
    doc.img(plot_by_size(raw, base, "memory"), "peak memory against zone size")
    doc.img(plot_by_size(raw, base, "startup"), "startup against zone size")
    doc.p("Peak memory: each server's whole process tree in a memory cgroup of its own (every page once, "
          "page cache of the zone file not included), else the sum of the processes' VmHWM. ringdns: the "
          "dataplane and ringdns-control; ringdns-dpdk's includes DPDK's memory (512 MiB asked with -m).")


def section_reload(doc, raw):
    for size in raw.sizes("reload"):
        doc.h(2, f"Reload under load ({size:,} names)")
        rows = []
        for s in raw.servers("reload", size):
            rows.append([DISPLAY[s], mm(raw.vals("reload", size, s, "reload_s"), 2),
                         mm(raw.vals("reload", size, s, "window_sent")),
                         mm(raw.vals("reload", size, s, "window_lost")),
                         mm(raw.vals("reload", size, s, "unanswered_pct"), 3),
                         mm(raw.vals("reload", size, s, "run_lost")) + " / " + mm(raw.vals("reload", size, s, "run_sent")),
                         mm(raw.vals("reload", size, s, "cgroup_peak"), 1, 1 / 1024)])
        doc.table(["server", "reload s (command to new serial answered)", "queries sent in the window",
                   "unanswered", "unanswered %", "never answered / sent, window to end of run",
                   "peak memory MiB in the window (cgroup)"], rows)
        doc.p("The generator's running totals just before the reload command and 200 ms after the new serial "
              "was first answered: the queries sent in that window and those not answered. The count has "
              "a resolution of the few dozen queries in flight at each end (a small negative figure: "
              "answers to queries sent before the window arrived in it). Never answered: from the window's "
              "start to the generator's end (its final totals, after 300 ms for the last answers), "
              "which tell a late answer (counted there) from a lost one.")


def answer_bench_runs(base):
    """class -> [answers/s (M) per run] from answer_bench's tables"""
    out = defaultdict(list)
    for f in sorted(os.listdir(os.path.join(base, "raw"))):
        if not re.match(r"answer_bench-\d+\.txt$", f):
            continue
        for line in open(os.path.join(base, "raw", f)):
            c = [x.strip() for x in line.strip().strip("|").split("|")]
            if len(c) >= 3 and c[1].endswith(" M") and not c[0].startswith("**"):
                out[c[0]].append(float(c[1][:-2]))
    return out


def section_engine(doc, base, meta):
    runs = answer_bench_runs(base)
    if not runs:
        return
    doc.h(2, "The answer engine alone (answer_bench, one core)")
    doc.table(["query class", "answers/s (M)"], [[k, mm(v, 2)] for k, v in runs.items()])
    doc.p("Queries answered in place in bursts of 32 from a compiled snapshot, no I/O: the engine's "
          f"ceiling per core on this CPU ({meta['names']:,}-name zone and the signed test zones).")


def section_dpdk(doc, base, meta):
    path = os.path.join(base, "raw", "dpdk-raw.tsv")
    if not os.path.exists(path):
        return
    d = defaultdict(list)
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) == 5 and f[0] == "ceiling":
            try:
                d[(f[1], f[3])].append(float(f[4]))
            except ValueError:
                pass
    classes = [c for c in ("hits", "nxdomain", "mix") if (c, "answered_per_s") in d]
    if not classes:
        return
    doc.h(2, "The DPDK server past the kernel generators (net_memif)")
    doc.table(["query class", "answers/s", "busy cycles per answer", "busy % of poll cycles"],
              [[c, mm(d[(c, "answered_per_s")]), mm(d[(c, "cycles_per_answer")]), mm(d[(c, "busy_pct")], 1)]
               for c in classes])
    doc.p("ringdns --io dpdk, one worker lcore, on a net_memif port fed by bench/dpdk_gen (a DPDK "
          "generator on the other vCPU) as fast as the port takes: what one lcore answers when the "
          "generator is not the limit (the generator on a veth is, above)"
          + (f"; on the plain zone of {meta['names']:,} names, dpdk.sh having no TLD mix." if meta["zone"] == "tld"
             else "."))


def section_machine(doc, meta):
    m = meta["machine"]
    doc.h(2, "Machine and versions")
    doc.ul([f"date: {m['date']}, took {meta.get('took_s', '?')} s",
            f"CPU: {m['cpu']}, {m['vcpus']} vCPUs, {m['memory_gib']} GiB; kernel {m['kernel']}; {m['os']}",
            f"ringdns: git {m['ringdns']}, binaries from `{m['build']}/` ({m['buildtype']}), DPDK {m['dpdk']}, "
            f"{m['compiler']}",
            f"knotd: {m['knotd']}; nsd: {m['nsd']}; generator: {m['generator']}; dnsperf: {m['dnsperf']}",
            f"run: `{' '.join(meta['argv'])}`: servers {', '.join(meta['servers'])}; zone {meta['zone']}, "
            f"{meta['names']:,} names; startup sizes {', '.join(f'{n:,}' for n in meta['sizes'])}; "
            f"{meta['runs']} run(s) of everything, servers interleaved" + (" (--quick)" if meta["quick"] else ""),
            "queries (deterministic, seed 1): " + (
                "the signed TLD-shaped zone `bench-tld.` (bench/tld.sh: NSEC3 opt-out, ECDSA P-256) and its mix "
                "of referrals, NXDOMAIN and apex queries, DO on 70 % for the generator, on all for dnsperf"
                if meta["zone"] == "tld" else
                "`bench.test.` (bench/server_gen.py: one A per name, MX and TXT on every 50th), 88 % A of "
                "existing names, 2 % MX/TXT, 10 % NXDOMAIN of random subdomains (dnsperf: EDNS on all)")])


def section_commands(doc, base, meta):
    doc.h(2, "Exact commands")
    lines = []
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + "/"
    for c in meta.get("commands", []):
        env = " ".join(f"{k}='{v.replace(root, '')}'" for k, v in c["env"].items())
        lines.append(f"# {c['what']}\n{env + ' ' if env else ''}{' '.join(c['cmd'])}")
    doc.pre("\n\n".join(lines))
    doc.p("How each server was configured and started (its command line, pinning, the network) is in "
          "`raw/server-RESULTS.md` beside this report, with every run's value; every step's output is in "
          "`logs/`.")
    res = os.path.join(base, "raw", "server-RESULTS.md")
    if os.path.exists(res):
        text = open(res).read()
        i = text.find("## Foreign load")
        if i >= 0:
            doc.h(2, "Foreign load")
            body = text[i + len("## Foreign load"):].strip()
            doc.p("Checked before every measurement (top): " + ("none seen." if body.startswith("No foreign")
                                                                  else "the machine was not idle at times:"))
            if not body.startswith("No foreign"):
                doc.ul([ln[2:] for ln in body.splitlines() if ln.startswith("- ")][:40])


def main(base):
    meta = json.load(open(os.path.join(base, "raw", "meta.json")))
    raw = Raw(os.path.join(base, "raw", "server-raw.tsv"))
    os.makedirs(os.path.join(base, "plots"), exist_ok=True)
    doc = Doc()
    doc.h(1, "ringdns against Knot DNS and NSD")
    doc.p(f"{meta['machine']['date']}, `{' '.join(meta['argv'])}` on {meta['machine']['vcpus']} vCPUs "
          f"({meta['machine']['cpu']}).")
    headline(doc, raw, meta)
    section_machine(doc, meta)
    for size in raw.sizes("throughput"):
        section_throughput(doc, raw, size, base)
    for size in raw.sizes("latency"):
        section_latency(doc, raw, size, base)
    section_startup(doc, raw, base)
    section_reload(doc, raw)
    section_engine(doc, base, meta)
    section_dpdk(doc, base, meta)
    section_commands(doc, base, meta)
    with open(os.path.join(base, "report.md"), "w") as f:
        f.write(doc.markdown())
    with open(os.path.join(base, "report.html"), "w") as f:
        f.write(doc.html(base))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
