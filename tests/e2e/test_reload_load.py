#!/usr/bin/python3
"""Hot reload under load: while dnsperf sends at least
20k queries/s for at least 20 s, a 1M-name zone is reloaded 10 times,
alternating two versions with different serials.  The load starts before
the first reload and stops (SIGINT: dnsperf then prints its statistics)
once 20 s have passed and the last reload is done, so every reload happens
under load however long a reload takes on the machine.  Checks: dnsperf lost nothing and saw no
SERVFAIL; every response a second client got is wholly from one version
(an MX answer and the address of its target in the additional section
always agree); ringdns's peak RSS stays under old + new image plus a small
constant.  RELOAD_SECONDS (default 20) sets the load duration."""
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import dns.message
import dns.query
import dns.rcode

from e2elib import Server, run

NAMES = 1_000_000
RATE = 25000
SECONDS = int(os.environ.get("RELOAD_SECONDS", "20"))
RELOADS = 10


def write_zone(path, version):
    serial = 1000 + version
    with open(path, "w") as f:
        f.write(f"$ORIGIN big.test.\n$TTL 300\n"
                f"@ SOA ns hostmaster {serial} 3600 900 604800 300\n"
                f"@ NS ns\nns A 198.18.0.1\n"
                f"@ MX {10 * version} mail\nmail A 198.18.{version}.1\n")
        chunk = []
        for i in range(NAMES - 4):
            chunk.append(f"h{i} A 198.18.{version}.{i % 250 + 2}\n")
            if len(chunk) == 100000:
                f.write("".join(chunk))
                chunk = []
        f.write("".join(chunk))


def sanitized():
    """Whether ringdns was built with AddressSanitizer."""
    out = subprocess.run(["ldd", os.environ.get("RINGDNS", "ringdns")],
                         capture_output=True, text=True).stdout
    return "libasan" in out


def rss_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Checker(threading.Thread):
    """Asks MX big.test. in a loop; each answer must pair preference 10*v
    with target address 198.18.v.1 (one version, never a mix)."""

    def __init__(self, port):
        super().__init__(daemon=True)
        self.port = port
        self.stop = False
        self.seen = {1: 0, 2: 0}
        self.bad = []
        self.errors = 0

    def run(self):
        while not self.stop:
            q = dns.message.make_query("big.test.", "MX")
            try:
                r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=2)
            except Exception as e:  # a lost answer
                self.errors += 1
                self.bad.append(f"no answer: {e!r}")
                continue
            if r.rcode() != dns.rcode.NOERROR or not r.answer or not r.additional:
                self.bad.append(str(r))
                continue
            pref = r.answer[0][0].preference
            addrs = [str(x) for rr in r.additional for x in rr if rr.rdtype == 1]
            v = pref // 10
            if v not in (1, 2) or addrs != [f"198.18.{v}.1"]:
                self.bad.append(str(r))
            else:
                self.seen[v] += 1
            time.sleep(0.002)  # leave the CPUs to dnsperf and ringdns


def test_reload_under_load():
    with Server({}, workers=1) as s:
        zpath = os.path.join(s.tmp, "big.test.zone")
        v1 = os.path.join(s.tmp, "v1.zone")
        v2 = os.path.join(s.tmp, "v2.zone")
        write_zone(v1, 1)
        write_zone(v2, 2)
        shutil.copyfile(v1, zpath)
        s.args += ["--zone", f"big.test.={zpath}"]
        s.start(wait_zone="big.test.", timeout=120)
        pid = s.proc.pid
        rc, out, _ = s.ctl("status")
        mapped = float(re.search(r"snapshots mapped: ([0-9.]+) MB", out).group(1)) * 1e6
        base = rss_kib(pid, "VmRSS") * 1024
        qfile = s.write("queries.txt", "".join(
            f"h{i * 7919 % (NAMES - 4)}.big.test. A\n" for i in range(50000)) +
            "".join(f"nx{i}.big.test. A\n" for i in range(5000)))
        perf = subprocess.Popen(
            ["dnsperf", "-s", "127.0.0.1", "-p", str(s.port), "-d", qfile,
             "-l", "600", "-Q", str(RATE), "-c", "4", "-t", "2"],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        chk = Checker(s.port)
        chk.start()
        t0 = time.time()
        times = []
        try:
            time.sleep(1)
            for k in range(RELOADS):
                shutil.copyfile(v2 if k % 2 == 0 else v1, zpath + ".new")
                os.rename(zpath + ".new", zpath)
                t = time.time()
                rc, out, err = s.ctl("reload", "big.test.")
                assert rc == 0, err
                want = 1002 if k % 2 == 0 else 1001
                assert f"serial {want}" in out, out
                times.append(time.time() - t)
            reload_end = time.time() - t0
            time.sleep(max(1.0, SECONDS + 0.5 - reload_end))
            perf.send_signal(signal.SIGINT)
            pout, _ = perf.communicate(timeout=60)
        finally:
            chk.stop = True
            chk.join(5)
            if perf.poll() is None:
                perf.kill()
                perf.wait()
        print(pout)
        print(f"reloads: {len(times)}, each {min(times):.2f}..{max(times):.2f} s, "
              f"all done {reload_end:.1f} s after the load started")
        run_s = float(re.search(r"Run time \(s\):\s+([0-9.]+)", pout).group(1))
        assert run_s >= SECONDS, f"the load lasted {run_s} s"
        sent = int(re.search(r"Queries sent:\s+(\d+)", pout).group(1))
        lost = int(re.search(r"Queries lost:\s+(\d+)", pout).group(1))
        qps = float(re.search(r"Queries per second:\s+([0-9.]+)", pout).group(1))
        codes = re.search(r"Response codes:\s+(.*)", pout).group(1)
        assert lost == 0, f"dnsperf lost {lost} of {sent}"
        assert qps >= 20000, f"only {qps} q/s"
        assert "SERVFAIL" not in codes and "REFUSED" not in codes, codes
        assert not chk.bad, chk.bad[:3]
        assert chk.seen[1] > 0 and chk.seen[2] > 0, chk.seen
        hwm = rss_kib(pid, "VmHWM") * 1024
        # old + new image of the zone, plus what ringdns had besides
        # the image before any reload, plus a small constant
        # (ASan's shadow memory and quarantine need more of that constant)
        limit = base + mapped + (192e6 if sanitized() else 64e6)
        print(f"image {mapped / 1e6:.1f} MB, RSS before {base / 1e6:.1f} MB, "
              f"peak {hwm / 1e6:.1f} MB, limit {limit / 1e6:.1f} MB; checker saw "
              f"v1 {chk.seen[1]}, v2 {chk.seen[2]}")
        assert hwm <= limit, f"peak RSS {hwm / 1e6:.1f} MB over {limit / 1e6:.1f} MB"


if __name__ == "__main__":
    run([test_reload_under_load])
