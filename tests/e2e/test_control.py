#!/usr/bin/python3
"""End-to-end tests of ringdns-control's lifecycle: a stop (SIGTERM to
ringdns, or SIGTERM/SIGINT to ringdns-control itself) interrupts a long
zone load and ends cleanly, and a restarted control process reports what
the dataplane still serves."""
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from e2elib import RINGCTL, Server, big_zone, pid_alive, run, seconds_until, wait_for

SMALL = """$ORIGIN big.test.
$TTL 300
@ SOA ns hostmaster 1 3600 900 604800 300
@ NS ns
ns A 198.18.0.1
"""
# records of the zone that takes seconds to load (parse, check, compile)
BIG_RECORDS = 3000000
# meson sets MALLOC_PERTURB_, with which glibc fills every block it hands
# out or takes back: a zone load's arrays of hundreds of MB are then
# written whole inside malloc() and free(), where no stop can be seen.
# The stop tests time ringdns as it runs in service, without it.
os.environ.pop("MALLOC_PERTURB_", None)


@contextlib.contextmanager
def server(zones, cache=None):
    """A Server in a temporary directory of its own, named apart from the
    ringdns-e2e-* ones of the other end-to-end tests (a clean-up of those
    by a parallel run must not pull the zone files away mid-test); with
    cache (a directory name) it keeps compiled images there."""
    tmp = tempfile.mkdtemp(prefix="ringctl-e2e-")
    extra = []
    if cache:
        os.mkdir(os.path.join(tmp, cache))
        extra = ["--cache-dir", os.path.join(tmp, cache)]
    try:
        with Server(zones, tmp=tmp, extra=extra) as s:
            yield s
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def start_big_reload(s):
    """Serves the small zone, swaps in the big one and starts `ringctl
    reload` (left running); returns the ringctl process."""
    s.start()
    big_zone(s.zonefiles["big.test."], "big.test.", BIG_RECORDS)
    reload = subprocess.Popen([RINGCTL, "-s", s.sock, "reload"], stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    time.sleep(0.5)	# into the load
    return reload


def finish(proc):
    """Waits a little for a client left running, then kills it (by PID)."""
    try:
        return proc.communicate(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.communicate()


def test_sigterm_during_reload():
    with server({"big.test.": SMALL}, cache="cache") as s:
        reload = start_big_reload(s)
        try:
            assert s.proc.poll() is None
            t0 = time.time()
            s.proc.send_signal(signal.SIGTERM)
            rc = s.proc.wait(timeout=5)
            took = time.time() - t0
        finally:
            out, err = finish(reload)
        log = s.logtext()
        assert rc == 0, log
        assert took < 1.0, f"ringdns took {took:.2f} s to stop:\n{log}"
        assert "load interrupted" in log, "the stop did not land in the load:\n" + log
        assert "SIGKILL" not in log and "killed" not in log, log
        assert not os.path.exists(s.sock), "control socket file left behind"
        # the cache holds at most the image of the small zone, never a
        # half-written file
        left = os.listdir(os.path.join(s.tmp, "cache"))
        assert all(f.endswith(".img") for f in left) and len(left) <= 1, left
        assert reload.returncode != 0 and "big.test." in out + err, (out, err)


def stop_control(s, sig):
    """Sends sig to the control process during a load; returns how long it
    took to go."""
    ctl = s.control_pid()
    assert ctl and pid_alive(ctl)
    os.kill(ctl, sig)
    return seconds_until(lambda: not pid_alive(ctl), 5.0), ctl


def test_signals_to_control():
    with server({"big.test.": SMALL}) as s:
        reload = start_big_reload(s)
        try:
            took, old = stop_control(s, signal.SIGTERM)
        finally:
            finish(reload)
        log = s.logtext()
        assert took < 1.0, f"SIGTERM: ringdns-control took {took:.2f} s:\n{log}"
        assert "load interrupted" in log, log
        assert wait_for(lambda: "ringdns-control exited with status 0" in s.logtext()), \
            s.logtext()
        # restarted by ringdns: it loads the big zone; SIGINT stops that too
        assert seconds_until(lambda: s.control_pid() not in (None, old), 10.0) < 10.0, log
        time.sleep(0.5)
        took, _ = stop_control(s, signal.SIGINT)
        log = s.logtext()
        assert took < 1.0, f"SIGINT: ringdns-control took {took:.2f} s:\n{log}"
        # ringdns logs the exit once it has reaped the process
        assert wait_for(lambda: s.logtext().count("ringdns-control exited with status 0") == 2), \
            s.logtext()
        assert "killed" not in log, log
        assert s.stop() == 0


def test_restart_shows_served_serial():
    """ringdns-control killed while the zone file is broken: once restarted
    it shows the serial ringdns still serves, with the file's error."""
    with server({"big.test.": SMALL}) as s:
        s.start()
        path = s.zonefiles["big.test."]
        with open(path, "w") as f:
            f.write(SMALL.replace(" 1 3600", " 2 3600") + "bad A 300.1.2.3\n")
        old = s.control_pid()
        os.kill(old, signal.SIGKILL)

        def restarted():
            if s.control_pid() in (None, old):
                return False
            rc, out, _ = s.ctl("zones")
            return rc == 0 and f"{path}:6:" in out
        assert seconds_until(restarted, 15.0) < 15.0, s.logtext()
        rc, out, err = s.ctl("zones")
        row = out.splitlines()[1].split()
        assert row[:3] == ["big.test.", "1", "3"], out
        assert row[3] != "never" and f"{path}:6:" in row[4], out
        r = s.query("big.test.", "SOA")
        assert r.answer[0][0].serial == 1, r
        assert "serial 1 served by ringdns already" in s.logtext()


def test_limits_as_check_zone():
    """An RRset past the snapshot format's limit: ringdns-control refuses
    the zone with the words and FILE:LINE of ringctl check-zone."""
    with server({"big.test.": SMALL}) as s:
        s.start()
        path = s.zonefiles["big.test."]
        with open(path, "a") as f:
            f.writelines(f't TXT "{i}"\n' for i in range(65536))
        rc, out, err = s.ctl("reload", "big.test.")
        chk = subprocess.run([RINGCTL, "check-zone", "big.test.", path],
                             capture_output=True, text=True, timeout=60)
        assert chk.returncode == 1, chk.stdout + chk.stderr
        line = [x for x in chk.stderr.splitlines() if "one RRset" in x]
        assert len(line) == 1 and line[0].startswith(f"{path}:6: error: "), chk.stderr
        where, _, msg = line[0].partition(": error: ")
        assert rc == 1 and f"{where}: {msg}" in err, (err, line)
        assert s.query("big.test.", "SOA").answer[0][0].serial == 1


def test_silent_client_does_not_hold_stop():
    """A client that connects to the control socket and sends nothing (its
    request line may take 2 s) does not hold a stop back."""
    with server({"big.test.": SMALL}) as s:
        s.start()
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            c.connect(s.sock)
            time.sleep(0.3)	# being served: its request line awaited
            t0 = time.time()
            s.proc.send_signal(signal.SIGTERM)
            rc = s.proc.wait(timeout=5)
            took = time.time() - t0
        finally:
            c.close()
        assert rc == 0 and took < 1.0, f"ringdns took {took:.2f} s:\n{s.logtext()}"
        assert not os.path.exists(s.sock)


if __name__ == "__main__":
    run([test_sigterm_during_reload, test_signals_to_control,
         test_silent_client_does_not_hold_stop,
         test_restart_shows_served_serial, test_limits_as_check_zone])
