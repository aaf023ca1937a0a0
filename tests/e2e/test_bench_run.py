#!/usr/bin/python3
"""bench/run --quick end to end: every server (ringdns on DPDK, ringdns on
sockets, knotd, nsd) started, measured and stopped on the quick zone; the
report (markdown and self-contained HTML) and its four plots written; every
server answered in every part (the generator's fixed rate and a step of its
ladder, dnsperf's rates, a startup, a reload); the engine micro-benchmark
and the DPDK ceiling ran; nothing left behind (namespaces, processes, DPDK
runtime directories).  The figures themselves are not asserted: a
benchmark, not a timed test.

Needs root, a build with DPDK (the generator, bench/dpdk_gen, is a DPDK
program), dnsperf, knotd, nsd and python3-matplotlib; skipped otherwise."""
import glob
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict

from e2elib import RINGDNS, SRCDIR, run

BUILD = os.path.dirname(os.path.dirname(os.path.abspath(RINGDNS)))
DPDK = os.environ.get("DPDK") == "1"
PLOTS = ["answered-vs-offered.png", "latency-vs-load.png", "memory-vs-size.png", "startup-vs-size.png"]


def raw_rows(path):
    d = defaultdict(dict)   # (part, server, key) -> {run: value}
    for line in open(path):
        f = line.rstrip("\n").split("\t")
        if len(f) == 6:
            d[(f[0], f[2], f[4])][f[3]] = f[5]
    return d


def positive(d, part, server, key):
    vals = d.get((part, server, key), {}).values()
    try:
        return any(float(v) > 0 for v in vals)
    except ValueError:
        return False


def namespaces():
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return {ln.split()[0] for ln in out.splitlines() if ln.strip()}


def test_quick_run():
    servers = ["ringdns-dpdk", "ringdns", "knotd", "nsd"]
    ns_before = namespaces()
    out = tempfile.mkdtemp(prefix="ringdns-benchrun.")
    try:
        p = subprocess.run([os.path.join(SRCDIR, "bench", "run"), "--quick", "--build", BUILD, "--out", out],
                           cwd=SRCDIR, capture_output=True, text=True, timeout=560)
        sys.stdout.write(p.stderr[-3000:])
        assert p.returncode == 0, f"bench/run exited {p.returncode}"
        for f in ["report.md", "report.html"] + [os.path.join("plots", x) for x in PLOTS]:
            path = os.path.join(out, f)
            assert os.path.getsize(path) > 1000, f"{f}: missing or nearly empty"
        for x in PLOTS:
            with open(os.path.join(out, "plots", x), "rb") as f:
                assert f.read(8) == b"\x89PNG\r\n\x1a\n", f"{x} is not a PNG"
        page = open(os.path.join(out, "report.html")).read()
        assert page.count("data:image/png;base64,") == len(PLOTS), "report.html: a plot is not inside"
        md = open(os.path.join(out, "report.md")).read()
        for heading in ("## Headline", "## Throughput and CPU", "## Latency at fixed rates",
                        "## Startup and memory", "## Reload under load", "## The answer engine alone",
                        "## Machine and versions", "## Exact commands"):
            assert heading in md, f"report.md has no {heading!r}"

        d = raw_rows(os.path.join(out, "raw", "server-raw.tsv"))
        for s in servers:
            assert positive(d, "throughput", s, "fixed_answered"), f"{s}: nothing answered at the fixed rate"
            steps = [v for k, runs in d.items() if k[0] == "throughput" and k[1] == s
                     and k[2].startswith("step_") for v in runs.values()]
            assert any(int(v.split()[1]) > 0 for v in steps), f"{s}: no step of the ladder was answered"
            lat = [k for k in d if k[0] == "latency" and k[1] == s and k[2].endswith("_completed")]
            assert lat and all(positive(d, *k) for k in lat), f"{s}: dnsperf got no answers at some rate"
            assert positive(d, "startup", s, "startup_s"), f"{s}: no startup measured"
            assert positive(d, "reload", s, "reload_s"), f"{s}: no reload measured"
            assert d.get(("reload", s, "rc"), {}).get("1") == "0", f"{s}: the reload command failed"
        bench = open(os.path.join(out, "raw", "answer_bench-1.txt")).read()
        assert "| hit |" in bench, "answer_bench: no hit class"
        dp = open(os.path.join(out, "raw", "dpdk-raw.tsv")).read().splitlines()
        got = [float(ln.split("\t")[4]) for ln in dp if ln.split("\t")[3:4] == ["answered_per_s"]]
        assert got and all(x > 0 for x in got), "the DPDK ceiling: nothing answered"
        assert "## The DPDK server past the kernel generators" in md
        print(md[md.index("## Headline"):md.index("## Machine")])
    finally:
        shutil.rmtree(out, ignore_errors=True)
        left = namespaces() - ns_before
        assert not left, f"namespaces left behind: {left}"
        assert not any(glob.glob(f"/var/run/dpdk/{p}*") for p in ("rdb", "rdg", "rdm")), \
            "DPDK runtime directories left behind"


if __name__ == "__main__":
    missing = [] if DPDK else ["a build with DPDK"]
    missing += [t for t in ("dnsperf", "knotd", "knotc", "nsd", "nsd-control", "ip", "ethtool")
               if not shutil.which(t)]
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        missing.append("python3-matplotlib")
    if os.geteuid() != 0 or missing:
        print("skipped: needs root" + (", and " + ", ".join(missing) if missing else ""))
        sys.exit(77)
    run([test_quick_run])
