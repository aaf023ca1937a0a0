#!/usr/bin/python3
"""End-to-end tests of zone transfers over TLS (XoT, RFC 9103) against
BIND 9: named as ringdns's XoT secondary (strict, with a CA made here by
the openssl CLI; a change on ringdns reaches it), ringdns as named's XoT
secondary (strict with the right CA; a wrong CA or name refused with the
reason logged while the old version keeps serving; opportunistic with a
self-signed certificate), TSIG over XoT both ways, and what the XoT port
refuses: plain TCP, a TLS client without ALPN "dot", TLS 1.2, other
queries; several transfers on one connection."""
import base64
import os
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import tempfile
import time

import dns.message
import dns.query
import dns.rcode
import dns.rdatatype
import dns.tsig
import dns.tsigkeyring

from e2elib import Server, free_port, run, stop_proc, wait_for

ZONE = """$ORIGIN xot.test.
$TTL 300
@        SOA   ns1 hostmaster {serial} 3600 900 604800 300
@        NS    ns1
@        MX    10 mail
ns1      A     198.18.0.1
mail     A     {mail}
www      AAAA  2001:db8::80
*.wild   TXT   "wildcard"
sub      NS    ns.sub
ns.sub   A     198.18.0.4
"""
SECRET = base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()
KEYRING = dns.tsigkeyring.from_text({"xfr.key.": ("hmac-sha256", SECRET)})


def key_yaml(key):
    """ringdns's keys section and a zone's key line, for the TSIG key when
    key (else empty)."""
    if not key:
        return "", ""
    return (f"keys:\n  - {{name: xfr.key., algorithm: hmac-sha256, secret: \"{SECRET}\"}}\n",
            "    key: xfr.key.\n")


def zone(serial, mail="198.18.0.2"):
    return ZONE.format(serial=serial, mail=mail)


def openssl(*args, cwd):
    r = subprocess.run(["openssl"] + list(args), cwd=cwd, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr


def make_pki(d):
    """A CA, a certificate it signs for xot.test and 127.0.0.1, another CA
    (the wrong one) and a self-signed certificate, in d."""
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "ca2"):
        openssl("req", "-x509", *ec, "-keyout", f"{ca}.key", "-out", f"{ca}.pem",
                "-days", "2", "-subj", f"/CN=ringdns test {ca}", cwd=d)
    openssl("req", *ec, "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=xot.test",
            cwd=d)
    with open(os.path.join(d, "ext.cnf"), "w") as f:
        f.write("subjectAltName=DNS:xot.test,IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
    openssl("req", "-x509", *ec, "-keyout", "self.key", "-out", "self.pem", "-days", "2",
            "-subj", "/CN=self-signed", cwd=d)
    for f in os.listdir(d):
        os.chmod(os.path.join(d, f), 0o644)


class Named:
    """named from Debian in the foreground (-g) on 127.0.0.1, plain DNS on
    .port and DNS over TLS on .tls_port, in a temporary directory of its
    own; body is the rest of named.conf.  Stopped by PID in close()."""

    def __init__(self, body, tls_cert=None):
        self.dir = tempfile.mkdtemp(prefix="ringdns-e2e-named-")
        os.chmod(self.dir, 0o777)
        self.port = free_port()
        self.tls_port = free_port()
        d = self.dir
        tls = listen_tls = ""
        if tls_cert:
            tls = f'tls srv {{ cert-file "{tls_cert[0]}"; key-file "{tls_cert[1]}"; }};\n'
            listen_tls = f"    listen-on port {self.tls_port} tls srv {{ 127.0.0.1; }};\n"
        with open(os.path.join(d, "named.conf"), "w") as f:
            f.write(f"""{tls}options {{
    directory "{d}";
    pid-file "{d}/named.pid";
    session-keyfile "{d}/session.key";
    managed-keys-directory "{d}";
    listen-on port {self.port} {{ 127.0.0.1; }};
{listen_tls}    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
    allow-transfer {{ 127.0.0.1; }};
}};
controls {{ }};
key "xfr.key." {{ algorithm hmac-sha256; secret "{SECRET}"; }};
{body(d)}""")
        self.log = open(os.path.join(d, "named.log"), "wb")
        self.proc = subprocess.Popen(["named", "-g", "-n", "1", "-c",
                                      os.path.join(d, "named.conf")],
                                     stdout=self.log, stderr=self.log, start_new_session=True)

    def serial(self, zone_name="xot.test."):
        try:
            q = dns.message.make_query(zone_name, "SOA")
            r = dns.query.udp(q, "127.0.0.1", port=self.port, timeout=0.5)
            return r.answer[0][0].serial if r.answer else None
        except Exception:
            return None

    def reload(self):
        self.proc.send_signal(signal.SIGHUP)

    def logtext(self):
        with open(os.path.join(self.dir, "named.log"), errors="replace") as f:
            return f.read()

    def close(self):
        stop_proc(self.proc)
        self.log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def records(port, keyring=None):
    """The zone xot.test. by AXFR over plain TCP from 127.0.0.1:port, as a
    set of (owner, ttl, type, rdata) with one SOA."""
    out = set()
    msgs = dns.query.xfr("127.0.0.1", "xot.test.", port=port, timeout=5, keyring=keyring,
                         keyname="xfr.key." if keyring else None, lifetime=20)
    for m in msgs:
        for rrset in m.answer:
            for rd in rrset:
                out.add((rrset.name.to_text().lower(), rrset.ttl,
                         dns.rdatatype.to_text(rrset.rdtype), rd.to_text().lower()))
    return out


class LogOnFail:
    """Adds the servers' logs to an exception raised in its block."""

    def __init__(self, *servers):
        self.servers = servers

    def __enter__(self):
        return self

    def __exit__(self, typ, exc, tb):
        if exc is not None:
            exc.args += tuple(s.logtext() for s in self.servers)
        return False


# ---- ringdns as the primary, named its XoT secondary ---------------------

def ringdns_primary(tmp, pki, serial, key=False):
    """ringdns serving xot.test. with XoT on a free port (.xot_port) of
    127.0.0.1 and ::1, transfers allowed to 127.0.0.1 only (with the TSIG
    key when key)."""
    xot_port = free_port()
    with open(os.path.join(tmp, "xot.test.zone"), "w") as f:
        f.write(zone(serial))
    keys, zkey = key_yaml(key)
    path = os.path.join(tmp, "ringdns.yaml")
    with open(path, "w") as f:
        f.write(f"""server:
  allow-transfer: 127.0.0.1
  xot-listen: ["127.0.0.1:{xot_port}", "[::1]:{xot_port}"]
  tls-cert: {pki}/srv.pem
  tls-key: {pki}/srv.key
{keys}zones:
  - name: xot.test.
    file: {tmp}/xot.test.zone
{zkey}""")
    s = Server({}, extra=["--config", path], tmp=tmp)
    s.xot_port = xot_port
    return s


def named_secondary(pki, xot_port, hostname="xot.test", key=False):
    keyclause = " key xfr.key." if key else ""

    def body(d):
        return f"""tls ringdns {{ ca-file "{pki}/ca.pem"; remote-hostname "{hostname}"; }};
zone "xot.test." {{
    type secondary;
    file "{d}/xot.test.bk";
    primaries {{ 127.0.0.1 port {xot_port}{keyclause} tls ringdns; }};
    allow-notify {{ 127.0.0.1; }};
}};
"""
    return Named(body)


def named_follows_ringdns(key):
    pki = tempfile.mkdtemp(prefix="ringdns-e2e-pki-")
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-xot-")
    n = None
    try:
        make_pki(pki)
        s = ringdns_primary(tmp, pki, 10, key=key)
        with s:
            s.start(wait_zone="xot.test.")
            n = named_secondary(pki, s.xot_port, key=key)
            assert wait_for(lambda: n.serial() == 10, 20), n.logtext() + s.logtext()
            keyring = KEYRING if key else None
            assert records(n.port) == records(s.port, keyring)
            assert "sent to 127.0.0.1 (" in s.logtext() and ", TLS" in s.logtext(), \
                s.logtext()
            # a change on ringdns reaches named (NOTIFY, then XoT)
            with open(os.path.join(tmp, "xot.test.zone"), "w") as f:
                f.write(zone(11, mail="198.18.0.22"))
            with open(os.path.join(tmp, "ringdns.yaml"), "a") as f:
                f.write(f"    notify: 127.0.0.1@{n.port}\n")
            rc, out, err = s.ctl("reload")
            assert rc == 0, out + err
            assert wait_for(lambda: n.serial() == 11, 20), n.logtext() + s.logtext()
            assert records(n.port) == records(s.port, keyring)
            assert ("198.18.0.22" in r[3] for r in records(n.port))
    finally:
        if n:
            n.close()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(pki, ignore_errors=True)


def test_named_secondary_of_ringdns():
    named_follows_ringdns(key=False)


def test_named_secondary_of_ringdns_tsig():
    named_follows_ringdns(key=True)


# ---- ringdns as the secondary of named over XoT ---------------------------

def named_primary(pki, serial, cert=("srv.pem", "srv.key"), key=False):
    def body(d):
        with open(os.path.join(d, "xot.test.zone"), "w") as f:
            f.write(zone(serial))
        allow = "allow-transfer { key xfr.key.; };" if key else ""
        return f'zone "xot.test." {{ type primary; file "{d}/xot.test.zone"; {allow} }};\n'
    n = Named(body, tls_cert=(f"{pki}/{cert[0]}", f"{pki}/{cert[1]}"))
    assert wait_for(lambda: n.serial() == serial, 20), n.logtext()
    return n


def write_secondary_conf(tmp, primaries, key=False):
    """ringdns's configuration: xot.test. from primaries (the YAML of the
    list), its copy transferable to 127.0.0.1 over TCP."""
    keys, zkey = key_yaml(key)
    path = os.path.join(tmp, "ringdns.yaml")
    with open(path, "w") as f:
        f.write(f"""server:
  allow-transfer: 127.0.0.1
{keys}zones:
  - name: xot.test.
    file: {tmp}/xot.test.zone
    primaries: {primaries}
{zkey}""")
    return path


def ringdns_secondary(tmp, port, tls, key=False):
    """ringdns with xot.test. from named's TLS port; tls: the primaries
    entry's other keys (YAML flow mapping text)."""
    path = write_secondary_conf(tmp, f'[{{address: "127.0.0.1@{port}", {tls}}}]', key)
    return Server({}, extra=["--config", path], tmp=tmp)


def serial_of(s):
    try:
        r = s.query("xot.test.", "SOA", timeout=0.5)
        return r.answer[0][0].serial if r.answer else None
    except Exception:
        return None


def test_ringdns_secondary_strict():
    pki = tempfile.mkdtemp(prefix="ringdns-e2e-pki-")
    make_pki(pki)
    n = named_primary(pki, 20)
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-xot-")
    try:
        strict = f"tls: strict, tls-ca: {pki}/ca.pem, tls-name: xot.test"
        s = ringdns_secondary(tmp, n.tls_port, strict)
        with s:
            s.start(ready=lambda: serial_of(s) == 20)
            assert "transferred from 127.0.0.1@" in s.logtext()
            assert "(AXFR over TLS," in s.logtext(), s.logtext()
            assert records(s.port) == records(n.port)
            # a newer serial at named; ringdns now trusts the wrong CA: the
            # check fails with the reason, the old version keeps serving
            with open(os.path.join(n.dir, "xot.test.zone"), "w") as f:
                f.write(zone(21, mail="198.18.0.21"))
            n.reload()
            assert wait_for(lambda: n.serial() == 21, 10), n.logtext()
            write_secondary_conf(tmp, f'[{{address: "127.0.0.1@{n.tls_port}", tls: strict, '
                                 f'tls-ca: {pki}/ca2.pem}}]')
            rc, out, err = s.ctl("reload")
            assert rc == 0, out + err
            rc, out, err = s.ctl("refresh", "xot.test.")
            assert wait_for(lambda: "certificate does not verify" in s.logtext(), 10), \
                s.logtext()
            assert "unable to get local issuer certificate" in s.logtext(), s.logtext()
            assert serial_of(s) == 20
            assert wait_for(lambda: "error: 127.0.0.1@%d: TLS: the primary's certificate does "
                            "not verify" % n.tls_port in s.ctl("zones")[1], 5), s.ctl("zones")
            # the right CA again, but the wrong name
            write_secondary_conf(tmp, f"""
      - address: 127.0.0.1@{n.tls_port}
        tls: strict
        tls-ca: {pki}/ca.pem
        tls-name: other.test""")
            assert s.ctl("reload")[0] == 0
            s.ctl("refresh", "xot.test.")
            assert wait_for(lambda: "for 'other.test': hostname mismatch" in s.logtext(), 10), \
                s.logtext()
            assert serial_of(s) == 20
            # the address as the name: in the certificate, so it verifies
            write_secondary_conf(tmp, f'[{{address: "127.0.0.1@{n.tls_port}", tls: strict, '
                                 f'tls-ca: {pki}/ca.pem}}]')
            assert s.ctl("reload")[0] == 0
            s.ctl("refresh", "xot.test.")
            assert wait_for(lambda: serial_of(s) == 21, 10), s.logtext()
    finally:
        n.close()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(pki, ignore_errors=True)


def test_ringdns_secondary_opportunistic_and_tsig():
    pki = tempfile.mkdtemp(prefix="ringdns-e2e-pki-")
    make_pki(pki)
    n = named_primary(pki, 30, cert=("self.pem", "self.key"), key=True)
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-xot-")
    try:
        # strict fails on a self-signed certificate, and nothing is served
        s = ringdns_secondary(tmp, n.tls_port, f"tls: strict, tls-ca: {pki}/ca.pem",
                              key=True)
        with s:
            s.start(ready=lambda: "certificate does not verify" in s.logtext())
            assert serial_of(s) is None
        # opportunistic: encrypted, not authenticated; TSIG signs it
        s = ringdns_secondary(tmp, n.tls_port, "tls: opportunistic", key=True)
        with s:
            s.start(ready=lambda: serial_of(s) == 30)
            assert "(AXFR over TLS," in s.logtext(), s.logtext()
            assert records(s.port, KEYRING) == records(n.port, KEYRING)
    finally:
        n.close()
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(pki, ignore_errors=True)


def test_ringdns_to_ringdns():
    """ringdns the XoT secondary of ringdns: the SOA query and the transfer
    after it share one TLS connection (RFC 9103 §6)."""
    pki = tempfile.mkdtemp(prefix="ringdns-e2e-pki-")
    ptmp = tempfile.mkdtemp(prefix="ringdns-e2e-xot-")
    stmp = tempfile.mkdtemp(prefix="ringdns-e2e-xot-")
    try:
        make_pki(pki)
        p = ringdns_primary(ptmp, pki, 60)
        with p:
            p.start(wait_zone="xot.test.")
            s = ringdns_secondary(stmp, p.xot_port,
                                  f"tls: strict, tls-ca: {pki}/ca.pem, tls-name: xot.test")
            with s, LogOnFail(p, s):
                s.start(ready=lambda: serial_of(s) == 60)
                with open(os.path.join(ptmp, "xot.test.zone"), "w") as f:
                    f.write(zone(61, mail="198.18.0.61"))
                assert p.ctl("reload", "xot.test.")[0] == 0
                assert s.ctl("refresh", "xot.test.")[0] == 0
                assert wait_for(lambda: serial_of(s) == 61, 10)
                assert records(s.port) == records(p.port)
                assert wait_for(lambda: "XoT connection from 127.0.0.1 closed after 2 queries"
                                in p.logtext(), 15)
                assert "(SOA, TLS," in p.logtext() and "(AXFR, TLS," in p.logtext()
    finally:
        shutil.rmtree(ptmp, ignore_errors=True)
        shutil.rmtree(stmp, ignore_errors=True)
        shutil.rmtree(pki, ignore_errors=True)


# ---- the XoT port itself ---------------------------------------------------

def framed(sock, q):
    w = q.to_wire()
    sock.sendall(struct.pack("!H", len(w)) + w)


def read_wire(sock):
    """One framed message's bytes."""
    def n_bytes(n):
        b = b""
        while len(b) < n:
            c = sock.recv(n - len(b))
            if not c:
                raise EOFError
            b += c
        return b
    (ln,) = struct.unpack("!H", n_bytes(2))
    return n_bytes(ln)


def read_msg(sock):
    return dns.message.from_wire(read_wire(sock), one_rr_per_rrset=True)


def axfr_over(sock):
    """AXFR of xot.test. on an open XoT connection: its records."""
    framed(sock, dns.message.make_query("xot.test.", "AXFR"))
    out, soas = [], 0
    while soas < 2:
        m = read_msg(sock)
        assert m.rcode() == dns.rcode.NOERROR, m
        for rrset in m.answer:
            out.append(rrset)
            soas += rrset.rdtype == dns.rdatatype.SOA
    return out


def tls_ctx(alpn=("dot",), pki=None, maxver=None):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(f"{pki}/ca.pem")
    if alpn:
        ctx.set_alpn_protocols(list(alpn))
    if maxver:
        ctx.maximum_version = maxver
    return ctx


def tls_connect(port, ctx):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    return ctx.wrap_socket(raw, server_hostname="xot.test")


def test_xot_port():
    pki = tempfile.mkdtemp(prefix="ringdns-e2e-pki-")
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-xot-")
    try:
        make_pki(pki)
        s = ringdns_primary(tmp, pki, 40)
        with s:
            s.start(wait_zone="xot.test.")
            # several queries on one connection: AXFR, SOA, IXFR, AXFR
            with tls_connect(s.xot_port, tls_ctx(pki=pki)) as c, LogOnFail(s):
                assert c.version() == "TLSv1.3" and c.selected_alpn_protocol() == "dot"
                first = axfr_over(c)
                assert len(first) >= 8
                framed(c, dns.message.make_query("xot.test.", "SOA"))
                m = read_msg(c)
                assert m.rcode() == dns.rcode.NOERROR and m.answer[0][0].serial == 40
                q = dns.message.make_query("xot.test.", "IXFR")
                q.authority.append(dns.rrset.from_text("xot.test.", 300, "IN", "SOA",
                                                       "ns1.xot.test. hm.xot.test. 40 1 1 1 1"))
                framed(c, q)
                m = read_msg(c)
                assert len(m.answer) == 1 and m.answer[0][0].serial == 40  # up to date
                # other queries are refused, the connection stays
                framed(c, dns.message.make_query("www.xot.test.", "AAAA"))
                assert read_msg(c).rcode() == dns.rcode.REFUSED
                assert axfr_over(c) == first
            assert wait_for(lambda: "(SOA, TLS," in s.logtext(), 5), s.logtext()
            # plain TCP on the XoT port: no DNS answer, the connection closed
            with socket.create_connection(("127.0.0.1", s.xot_port), timeout=5) as c:
                framed(c, dns.message.make_query("xot.test.", "AXFR"))
                try:
                    got = c.recv(4096)
                except ConnectionResetError:
                    got = b""
                assert not got.startswith(b"\x00") or len(got) < 14, got
            assert wait_for(lambda: "TLS handshake failed" in s.logtext(), 5), s.logtext()
            # ALPN without "dot": refused in the handshake
            try:
                tls_connect(s.xot_port, tls_ctx(alpn=("h2",), pki=pki)).close()
                raise AssertionError("ALPN h2 accepted")
            except ssl.SSLError as e:
                assert "no application protocol" in str(e), e
            # no ALPN at all: "dot" is not selected, the server closes
            with tls_connect(s.xot_port, tls_ctx(alpn=None, pki=pki)) as c:
                try:
                    framed(c, dns.message.make_query("xot.test.", "AXFR"))
                    read_msg(c)
                    raise AssertionError("answered without ALPN dot")
                except (EOFError, ssl.SSLError, ConnectionResetError):
                    pass
            assert wait_for(lambda: "did not offer ALPN \"dot\"" in s.logtext(), 5), \
                s.logtext()
            # TLS 1.2: refused (RFC 9103 §7.2)
            try:
                tls_connect(s.xot_port, tls_ctx(pki=pki, maxver=ssl.TLSVersion.TLSv1_2)).close()
                raise AssertionError("TLS 1.2 accepted")
            except ssl.SSLError:
                pass
            # a client allow-transfer refuses gets no handshake at all
            try:
                raw = socket.create_connection(("::1", s.xot_port), timeout=5)
                tls_ctx(pki=pki).wrap_socket(raw, server_hostname="xot.test").close()
                raise AssertionError("a handshake for a client not in allow-transfer")
            except (ssl.SSLError, ConnectionResetError):
                pass
            assert "XoT connection from ::1 refused: not in allow-transfer" in s.logtext()
            # the server keeps serving after all that
            with tls_connect(s.xot_port, tls_ctx(pki=pki)) as c:
                assert len(axfr_over(c)) == len(first)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(pki, ignore_errors=True)


def test_xot_acl_and_tsig():
    """The XoT port applies allow-transfer and the zone's key like TCP."""
    pki = tempfile.mkdtemp(prefix="ringdns-e2e-pki-")
    tmp = tempfile.mkdtemp(prefix="ringdns-e2e-xot-")
    try:
        make_pki(pki)
        s = ringdns_primary(tmp, pki, 50, key=True)
        with s:
            s.start(wait_zone="xot.test.")
            with tls_connect(s.xot_port, tls_ctx(pki=pki)) as c:
                framed(c, dns.message.make_query("xot.test.", "AXFR"))
                assert read_msg(c).rcode() == dns.rcode.REFUSED  # unsigned
                q = dns.message.make_query("xot.test.", "AXFR")
                q.use_tsig(KEYRING, keyname="xfr.key.")
                framed(c, q)
                m = dns.message.from_wire(read_wire(c), keyring=KEYRING, request_mac=q.mac,
                                          multi=True)
                assert m.rcode() == dns.rcode.NOERROR and m.answer[0].rdtype == 6
                assert m.had_tsig
            # a reload moves the listener: the old port closes, the new one serves
            old, new = s.xot_port, free_port()
            path = os.path.join(tmp, "ringdns.yaml")
            with open(path) as f:
                text = f.read()
            with open(path, "w") as f:
                f.write(text.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}"))
            rc, out, err = s.ctl("reload")
            assert rc == 0 and "XoT" not in out, out + err
            with tls_connect(new, tls_ctx(pki=pki)) as c:
                framed(c, dns.message.make_query("xot.test.", "SOA"))
                assert read_msg(c).rcode() == dns.rcode.REFUSED  # unsigned
            try:
                socket.create_connection(("127.0.0.1", old), timeout=2).close()
                raise AssertionError("the old XoT port still listens")
            except ConnectionRefusedError:
                pass
            # a key that is not the certificate's: refused, the listener stays
            with open(path, "w") as f:
                f.write(text.replace(f"127.0.0.1:{old}", f"127.0.0.1:{new}")
                        .replace("srv.key", "self.key"))
            rc, out, err = s.ctl("reload")
            assert "XoT listeners not changed: " in out and "self.key: key values " \
                "mismatch" in out, out + err
            with tls_connect(new, tls_ctx(pki=pki)) as c:
                assert c.selected_alpn_protocol() == "dot"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        shutil.rmtree(pki, ignore_errors=True)


if __name__ == "__main__":
    run([test_xot_port, test_xot_acl_and_tsig, test_named_secondary_of_ringdns,
         test_named_secondary_of_ringdns_tsig, test_ringdns_secondary_strict,
         test_ringdns_secondary_opportunistic_and_tsig, test_ringdns_to_ringdns])
