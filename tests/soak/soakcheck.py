"""soakcheck: what a soak watches while it runs.

Sampler (a thread), every `every` seconds: ringdns's PID must be alive and
its control process's PID may change only to replace one the soak killed;
every zone must answer its SOA (3 tries: else the zone is lost); a random
few of each zone's sample names are asked over UDP (and one in five over
TCP) and each answer checked against the versions live while it was in
flight (soakzones); ringdns's and the control process's RSS and PSS are
recorded (and ringdns's open descriptors), and their PSS summed (shared pages, as the snapshot images
both map, counted once: what the pair costs the machine; each one's own
PSS moves as the other maps and unmaps images).  flatness() judges the
memory series at the end.
"""
import os
import statistics
import threading
import time

from soaknet import ask


def fds(pid):
    """How many descriptors a process has open, or None when it is gone."""
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def smaps(pid):
    """(RSS, PSS) in KiB of a process, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            vals = {ln.split(":")[0]: int(ln.split()[1]) for ln in f if ln.split()[-1:] == ["kB"]}
        return vals.get("Rss", 0), vals.get("Pss", 0)
    except (OSError, ValueError, IndexError):
        return None


class Sampler(threading.Thread):
    def __init__(self, run, rng, every):
        super().__init__(daemon=True)
        self.r, self.rng, self.every = run, rng, every
        self.stop = False
        self.mem = {"ringdns": [], "control": [], "both": []}   # (time, rss, pss)
        self.fds = []   # (time, ringdns's open descriptors)
        self.ctl_pid = None

    def run(self):
        try:
            while not self.stop:
                t = time.monotonic()
                if not self.round():
                    return
                time.sleep(max(0.0, self.every - (time.monotonic() - t)))
        except Exception as e:
            self.r.fail(f"sampler crashed: {e!r}")
            raise

    def round(self):
        if not self.r.alive():
            self.r.fail(f"ringdns (pid {self.r.server_pid}) died: exit status "
                        f"{self.r.server.proc.poll() if self.r.server.proc else '?'}")
            return False
        self.watch_pids()
        for z in self.r.zones:
            self.soa(z)
            for key in self.rng.sample(z.samples, 4):
                self.sample(z, key, tcp=self.rng.random() < 0.2)
        return True

    def watch_pids(self):
        now = time.monotonic()
        m = smaps(self.r.server_pid)
        n = fds(self.r.server_pid)
        if n is not None:
            self.fds.append((now, n))
        if m:
            self.mem["ringdns"].append((now,) + m)
        pid = self.r.server.control_pid()
        if pid is not None and pid != self.ctl_pid:
            if self.ctl_pid is not None and self.ctl_pid not in self.r.killed:
                self.r.fail(f"the control process changed from pid {self.ctl_pid} to {pid} "
                            "without the soak killing it (see the ringdns log)")
            self.ctl_pid = pid
        c = smaps(pid) if pid is not None else None
        if c:
            self.mem["control"].append((now,) + c)
        if m and c:
            self.mem["both"].append((now, m[0] + c[0], m[1] + c[1]))

    def soa(self, z):
        for _ in range(3):
            r, t0, t1 = ask(self.r.target, z.origin, "SOA", timeout=1.0)
            if r is not None:
                self.r.check(z, ("@", "SOA"), r, t0, t1)
                return
            self.r.count["sample_timeouts"] += 1
        self.r.fail(f"zone {z.origin} lost: no answer to its SOA in 3 tries")

    def sample(self, z, key, tcp):
        r, t0, t1 = ask(self.r.target, z.fqdn(key[0]), key[1], tcp=tcp, timeout=1.0)
        if r is None:
            self.r.count["sample_timeouts"] += 1
            return
        self.r.check(z, key, r, t0, t1)


JUDGED = {"ringdns": ("RSS",), "control": ("RSS",), "both": ("PSS",)}
# KiB a series may grow past the tolerance: the control process keeps
# each zone's differences in memory for IXFR out (journal-max-mb, each
# reload adds one) and glibc keeps some of a compile's freed arenas, so a
# small process (7 MiB) moves by more than 5 % between samples without a
# leak; leaks are what the valgrind and ASan runs look for.
SLACK_KIB = {"ringdns": 0, "control": 4096, "both": 4096}


def flatness(series, t_start, t_end, tol, judged, slack=0):
    """Judges one series of (time, rss, pss): the warm level is the median
    of the samples in 10-20 % of the run, the last level the median of
    the last 10 %; flat when last <= warm * (1 + tol) + slack (KiB) for
    each of judged ("RSS", "PSS").  Returns (summary dict, error or '')."""
    span = max(1e-6, t_end - t_start)
    frac = [((t - t_start) / span, rss, pss) for t, rss, pss in series]
    first = frac[0] if frac else None
    warm = [f for f in frac if 0.1 <= f[0] <= 0.2]
    last = [f for f in frac if f[0] >= 0.9]
    if not warm or not last:
        return {"samples": len(frac)}, f"too few memory samples ({len(frac)})"
    out = {"samples": len(frac), "first": first[1:], "min": min(f[1] for f in frac),
           "max": max(f[1] for f in frac)}
    err = []
    for i, what in ((1, "RSS"), (2, "PSS")):
        w = statistics.median(f[i] for f in warm)
        la = statistics.median(f[i] for f in last)
        out[what] = (w, la)
        if what in judged and la > w * (1 + tol) + slack:
            err.append(f"{what} grew from {w} KiB (warm, 10-20 % of the run) to {la} KiB "
                       f"(last 10 %): +{100 * (la - w) / w:.1f} %, over {100 * tol:.0f} % "
                       f"and {slack} KiB")
    return out, "; ".join(err)


FD_SLACK = 16   # descriptors that come and go: TCP clients, stalled ones


def fd_growth(series, t_start, t_end):
    """(warm, last) medians of ringdns's descriptors, as flatness() takes
    them, and an error when the last exceeds the warm by FD_SLACK."""
    span = max(1e-6, t_end - t_start)
    warm = [n for t, n in series if 0.1 <= (t - t_start) / span <= 0.2]
    last = [n for t, n in series if (t - t_start) / span >= 0.9]
    if not warm or not last:
        return None, None, f"too few descriptor samples ({len(series)})"
    w, la = statistics.median(warm), statistics.median(last)
    err = (f"ringdns's open descriptors grew from {w} (warm) to {la} (last 10 %)"
           if la > w + FD_SLACK else "")
    return w, la, err
