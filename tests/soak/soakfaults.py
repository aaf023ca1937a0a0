"""soakfaults: the faults a soak injects, each on a seeded schedule.

- Faults (a thread): a reload of one zone every few seconds with a new
  serial and changed records (`ringctl reload ZONE`, which must succeed
  and leave the new serial answered); now and then a zone file replaced
  by a broken one (the reload must fail and the previous version keep
  serving, `ringctl zones` showing the error), then by a good one; now
  and then the control process killed with SIGKILL, half the time in the
  middle of a reload (ringdns must restart it); now and then a burst of
  stalled TCP clients.
- stall_burst: per-client-limit + 2 TCP connections from one address
  that send nothing, one byte of the length prefix, or the prefix and
  half a query; the two beyond the limit must be closed at once, TCP from
  other addresses must still be answered, all must be closed by the idle
  timeout.
- Malformed (a thread): UDP packets that are not queries (truncated
  headers, garbage, QR=1, wrong counts, names of too many labels,
  compression loops) at a fixed rate; a message with QR=1 must never be
  answered and every reply must be a response to its own ID.
"""
import os
import random
import signal
import struct
import subprocess
import threading
import time

import dns.message

from e2elib import closed_by_server
from soaknet import ask


def mono():
    return time.monotonic()


class Faults(threading.Thread):
    """The schedule: intervals drawn from rng; runs until t_stop."""

    INTERVALS = {"reload": (2, 4), "broken": (20, 40), "kill": (45, 90), "stall": (12, 25)}

    def __init__(self, run, rng, t_stop, scale=1.0):
        super().__init__(daemon=True)
        self.r, self.rng, self.t_stop, self.scale = run, rng, t_stop, scale
        self.stop = False
        self.staller = None

    def run(self):
        try:
            self.loop()
        except Exception as e:  # reported, never silent
            self.r.fail(f"fault thread crashed: {e!r}")
            raise

    def loop(self):
        nxt = {k: mono() + self.interval(k) for k in self.INTERVALS}
        while not self.stop:
            kind = min(nxt, key=nxt.get)
            if nxt[kind] >= self.t_stop:
                return
            while not self.stop and mono() < nxt[kind]:
                time.sleep(min(0.2, max(0.0, nxt[kind] - mono())))
            if self.stop or not self.r.alive():
                return
            getattr(self, "do_" + kind)()
            nxt[kind] = mono() + self.interval(kind)

    def interval(self, kind):
        return self.scale * self.rng.uniform(*self.INTERVALS[kind])

    def pick_zone(self):
        # the big zone a third of the time
        return self.rng.choice(self.r.zones[:1] * 2 + self.r.zones[1:] * 2)

    # ---- reloads -----------------------------------------------------
    def do_reload(self, z=None):
        z = z or self.pick_zone()
        serial = z.next_good(mono())
        kills = self.r.count["kills"]
        rc, out, err = self.r.server.ctl("reload", z.origin, timeout=120)
        t_ret = mono()
        if rc == 0 and f"serial {serial}" in out:
            z.reloaded(t_ret)
            self.r.count["reloads_ok"] += 1
            self.r.reload_s.append(t_ret)
            self.check_serial_now(z, serial)
        elif self.r.count["kills"] != kills or not self.r.control_ready():
            self.r.count["reloads_failed_kill"] += 1
        else:
            self.r.count["reloads_failed_unexpected"] += 1
            self.r.fail(f"reload of {z.origin} (serial {serial}) failed with no fault "
                        f"injected: rc {rc}: {out.strip()} {err.strip()}")

    def check_serial_now(self, z, serial):
        """ringctl reload returns once the new serial is served."""
        r, t0, t1 = ask(self.r.target, z.origin, "SOA", timeout=2.0)
        if r is None:
            return  # a lost sample, counted by the sampler's own queries
        self.r.check(z, ("@", "SOA"), r, t0, t1)
        got = r.answer[0][0].serial if r.answer else None
        if got != serial:
            self.r.wrong(f"{z.origin} SOA right after `ringctl reload` returned: serial "
                         f"{got}, the reload said {serial}")

    def do_broken(self):
        z = self.pick_zone()
        why, text = z.broken(self.rng)
        z.write(text, mono())
        kills = self.r.count["kills"]
        rc, out, err = self.r.server.ctl("reload", z.origin, timeout=120)
        if rc == 0:
            self.r.fail(f"reload of a broken {z.origin} ({why}) succeeded: {out.strip()}")
        elif self.r.count["kills"] == kills and self.r.control_ready():
            self.r.count["broken_refused"] += 1
            if os.path.basename(z.path) + ":" not in out + err:
                self.r.fail(f"broken {z.origin} ({why}): the error names no FILE:LINE: "
                            f"{out.strip()} {err.strip()}")
            self.zones_shows_error(z, why)
        r, t0, t1 = ask(self.r.target, z.origin, "SOA", timeout=2.0)
        if r is not None:
            self.r.check(z, ("@", "SOA"), r, t0, t1)
        time.sleep(self.rng.uniform(1, 3))
        self.do_reload(z)   # back to a good file

    def zones_shows_error(self, z, why):
        rc, out, _ = self.r.server.ctl("zones")
        line = next((ln for ln in out.splitlines() if ln.startswith(z.origin)), "")
        if rc == 0 and (not line or line.rstrip().endswith(" -")):
            self.r.fail(f"`ringctl zones` shows no error for the broken {z.origin} ({why}): "
                        f"{line!r}")

    # ---- control process kills --------------------------------------
    def do_kill(self):
        pid = self.r.server.control_pid()
        if pid is None:
            return
        reload_p = z = serial = None
        if self.rng.random() < 0.5:  # in the middle of a reload
            z = self.pick_zone()
            serial = z.next_good(mono())
            reload_p = subprocess.Popen(
                [self.r.ringctl, "-s", self.r.server.sock, "reload", z.origin],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            time.sleep(self.rng.uniform(0.0, 0.4))
        self.r.killed.add(pid)
        self.r.count["kills"] += 1
        t_k = mono()
        os.kill(pid, signal.SIGKILL)
        if reload_p is not None:
            try:
                out, _ = reload_p.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                reload_p.kill()
                out, _ = reload_p.communicate()
            if reload_p.returncode == 0 and f"serial {serial}" in out:
                z.reloaded(mono())
                self.r.count["reloads_ok"] += 1
            else:
                self.r.count["reloads_failed_kill"] += 1
        ok = wait_until(lambda: self.r.server.control_pid() not in (None, pid)
                        and self.r.control_ready(), 45)
        if not ok:
            self.r.fail(f"the control process (pid {pid}) was not back 45 s after SIGKILL")
        else:
            self.r.restart_s.append(mono() - t_k)

    # ---- stalled TCP clients ------------------------------------------
    def do_stall(self):
        if self.staller and self.staller.is_alive():
            return
        n = self.r.count["stall_bursts"]
        src = f"127.0.0.{10 + n % 200}"
        rng = random.Random(self.rng.random())
        self.staller = threading.Thread(target=stall_burst, args=(self.r, rng, src),
                                        daemon=True)
        self.staller.start()


def wait_until(pred, timeout):
    deadline = mono() + timeout
    while mono() < deadline:
        if pred():
            return True
        time.sleep(0.1)
    return False


MODES = ("nothing", "half a length prefix", "prefix and half a query")


def stall_burst(r, rng, src):
    limit, idle = r.per_client, r.idle_timeout
    wire = dns.message.make_query("a.soak.", "SOA").to_wire()
    conns, modes = [], []
    try:
        for _ in range(limit + 2):
            s = r.target.tcp_socket(src)
            conns.append(s)
            s.settimeout(2)
            s.connect(r.target.tcp)
            mode = rng.choice(MODES)
            modes.append(mode)
            if mode == MODES[1]:
                s.send(b"\x00")
            elif mode == MODES[2]:
                s.send(struct.pack("!H", len(wire)) + wire[:len(wire) // 2])
        r.count["stall_bursts"] += 1
        r.count["stalled_conns"] += len(conns)
        time.sleep(1.0)
        closed = [closed_by_server(c) for c in conns]
        if sum(closed) < 2:
            r.fail(f"{len(conns)} stalled TCP connections from {src}, per-client limit "
                   f"{limit}: only {sum(closed)} closed at once")
        # another client's TCP is still answered
        q, t0, t1 = ask(r.target, r.zones[1].origin, "SOA", tcp=True, timeout=3.0)
        if q is None:
            r.fail(f"no TCP answer from 127.0.0.1 while {src} holds {limit} stalled connections")
        else:
            r.check(r.zones[1], ("@", "SOA"), q, t0, t1)
        ok = wait_until(lambda: all(closed[i] or closed_by_server(c)
                                    for i, c in enumerate(conns)), idle + 6)
        if not ok:
            left = [modes[i] for i, c in enumerate(conns) if not closed_by_server(c)]
            r.fail(f"{len(left)} stalled TCP connections from {src} still open {idle + 7} s "
                   f"later (idle timeout {idle} s): {sorted(set(left))}")
    except OSError as e:
        r.fail(f"stalled TCP clients from {src}: {e!r}")
    finally:
        for c in conns:
            c.close()


# ---- malformed UDP ---------------------------------------------------
def _header(qid, flags, qd, an, ns, ar):
    return struct.pack("!HHHHHH", qid, flags, qd, an, ns, ar)


def _question(name_wire):
    return name_wire + struct.pack("!HH", 1, 1)


QR1_KINDS = ("QR=1", "QR=1 garbage")
OTHER_KINDS = ("truncated header", "garbage", "bad counts", "too many labels", "long labels",
               "compression loop")


def malformed(rng, qid, qr1):
    """(kind, packet) with ID qid; qr1: one of the kinds with QR=1 (which
    must never be answered)."""
    kind = rng.choice(QR1_KINDS if qr1 else OTHER_KINDS)
    ok_name = b"\x03www\x06a-soak\x00"
    if kind == "truncated header":
        return kind, struct.pack("!H", qid)[:rng.randrange(1, 3)] + bytes(rng.randrange(10))
    if kind == "garbage":
        body = bytes(rng.randrange(256) for _ in range(rng.randrange(12, 300)))
        return kind, struct.pack("!HB", qid, body[2] & 0x7f) + body[3:]
    if kind == "QR=1":
        return kind, _header(qid, 0x8000, 1, 0, 0, 0) + _question(ok_name)
    if kind == "QR=1 garbage":
        return kind, struct.pack("!HB", qid, 0x80 | rng.randrange(128)) + bytes(
            rng.randrange(256) for _ in range(rng.randrange(9, 200)))
    if kind == "bad counts":
        qd, an, ns, ar = rng.choice(((0, 0, 0, 0), (2, 0, 0, 0), (65535, 0, 0, 0),
                                     (1, 100, 0, 0), (1, 0, 65535, 0), (1, 0, 0, 9)))
        return kind, _header(qid, 0x0100, qd, an, ns, ar) + _question(ok_name)
    if kind == "too many labels":
        n = rng.randrange(128, 400)
        return kind, _header(qid, 0, 1, 0, 0, 0) + _question(b"\x01a" * n + b"\x00")
    if kind == "long labels":
        return kind, _header(qid, 0, 1, 0, 0, 0) + _question(
            (b"\x3f" + b"x" * 63) * rng.randrange(4, 9) + b"\x00")
    # a name that points at itself (offset 12: the question's own name)
    return kind, _header(qid, 0, 1, 0, 0, 0) + b"\x01a\xc0\x0c" + struct.pack("!HH", 1, 1)


class Malformed(threading.Thread):
    """Sends malformed packets at rate per second until stopped; counts
    replies per kind and fails on a reply to QR=1 or a reply that is not a
    response to an ID it sent."""

    def __init__(self, run, rng, rate):
        super().__init__(daemon=True)
        self.r, self.rng, self.rate = run, rng, rate
        self.stop = False
        self.sent, self.replies = {}, {}

    def run(self):
        s = self.r.target.udp_socket()
        s.setblocking(False)
        last_kind = {}
        n = 0
        try:
            while not self.stop and self.r.alive():
                qr1 = n % 2 == 0
                qid = (n % 0x1000) if qr1 else 0x1000 + n % 0xf000
                kind, pkt = malformed(self.rng, qid, qr1)
                last_kind[qid] = kind
                s.sendto(pkt, self.r.target.udp)
                self.sent[kind] = self.sent.get(kind, 0) + 1
                self.r.count["malformed_sent"] += 1
                n += 1
                self.drain(s, last_kind)
                time.sleep(1.0 / self.rate)
            time.sleep(0.5)  # the last replies
            self.drain(s, last_kind)
        except OSError as e:
            self.r.fail(f"malformed sender: {e!r}")
        finally:
            s.close()

    def drain(self, s, last_kind):
        while True:
            try:
                data = s.recv(65535)
            except (BlockingIOError, OSError):
                return
            self.r.count["malformed_replies"] += 1
            if len(data) < 12:
                self.r.fail(f"a {len(data)}-byte reply to a malformed packet")
                continue
            qid, flags = struct.unpack("!HH", data[:4])
            kind = last_kind.get(qid)
            self.replies[kind] = self.replies.get(kind, 0) + 1
            if not flags & 0x8000:
                self.r.fail(f"a reply without QR to malformed packet {qid:#x} ({kind})")
            elif qid < 0x1000:
                self.r.fail(f"a reply to a message with QR=1 ({kind}, id {qid:#x}): "
                            f"rcode {flags & 15}")
            elif kind is None:
                self.r.fail(f"a reply with an ID never sent: {qid:#x}")
