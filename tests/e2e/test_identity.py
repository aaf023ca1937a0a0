#!/usr/bin/python3
"""End-to-end tests of the server's identity and its Extended DNS Errors:
NSID (RFC 5001), id.server and hostname.bind (RFC 4892) default to the
host name, the flags override or hide them; a name outside the zones is
REFUSED with EDE Not Authoritative (RFC 8914 §4.21)."""
import os
import socket
import subprocess

import dns.edns
import dns.message
import dns.query
import dns.rcode
import dns.rdataclass

from e2elib import SRCDIR, Server, run

EX = os.path.join(SRCDIR, "zones/examples")
EXAMPLES = {"example.com.": os.path.join(EX, "example.com.zone")}


def nsid_of(s):
    q = dns.message.make_query("www.example.com.", "A", use_edns=0,
                               options=[dns.edns.GenericOption(3, b"")])
    r = dns.query.udp(q, "127.0.0.1", port=s.port, timeout=3)
    got = [o.to_wire() for o in r.options if o.otype == 3]
    return got[0].decode() if got else None


def chaos(s, name):
    """The CH TXT answer's text, or the rcode when there is none."""
    q = dns.message.make_query(name, "TXT", rdclass=dns.rdataclass.CH)
    r = dns.query.udp(q, "127.0.0.1", port=s.port, timeout=3)
    if r.rcode() != dns.rcode.NOERROR:
        return r.rcode()
    return b"".join(r.answer[0][0].strings).decode()


def test_default_is_host_name():
    host = socket.gethostname()
    with Server(EXAMPLES) as s:
        s.start()
        assert nsid_of(s) == host
        assert chaos(s, "id.server.") == host
        assert chaos(s, "hostname.bind.") == host
        # dig shows the same NSID
        out = s.dig("+nsid", "www.example.com")
        assert "NSID:" in out and f'("{host}")' in out, out
        assert s.stop() == 0


def test_configured_and_hidden():
    with Server(EXAMPLES, extra=["--nsid", "ns7.lon", "--identity", "ns7.lon.example"]) as s:
        s.start()
        assert nsid_of(s) == "ns7.lon"
        assert chaos(s, "id.server.") == "ns7.lon.example"
        assert chaos(s, "hostname.bind.") == "ns7.lon.example"
        assert s.stop() == 0
    with Server(EXAMPLES, extra=["--hide-identity", "--hide-nsid"]) as s:
        s.start()
        assert nsid_of(s) is None
        assert chaos(s, "id.server.") == dns.rcode.REFUSED
        assert chaos(s, "hostname.bind.") == dns.rcode.REFUSED
        assert isinstance(chaos(s, "version.bind."), str)
        assert s.stop() == 0


def test_not_authoritative_ede():
    with Server(EXAMPLES) as s:
        s.start()
        r = s.query("example.org.", "A", use_edns=0)
        assert r.rcode() == dns.rcode.REFUSED
        assert [(o.otype, o.code) for o in r.options] == [(15, 20)], r
        out = subprocess.run(["kdig", "@127.0.0.1", "-p", str(s.port), "+edns", "example.org", "A"],
                             capture_output=True, text=True, timeout=30).stdout
        assert "REFUSED" in out and "EDE: 20" in out, out
        assert s.stop() == 0


if __name__ == "__main__":
    run([test_default_is_host_name, test_configured_and_hidden, test_not_authoritative_ede])
