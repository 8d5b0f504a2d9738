#!/usr/bin/env python3
"""test_certs_cli.py - integration tests of `scoregate certs`, run as a separate process.

Checks the generated material with the openssl tool, makes real TLS connections
with it (Python's ssl module on both sides, over loopback, by service DNS name),
and drives inspect and rotate through expiry, mismatch, foreign CA and a CA
rotation overlap. Usage: test_certs_cli.py SCOREGATE OPENSSL
Prints "N passed, N failed" last and exits non-zero on any failure.
"""
import base64
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))  # tests/: harness.py
import harness  # noqa: E402
from harness import check  # noqa: E402

SCOREGATE, OPENSSL = sys.argv[1], sys.argv[2]


def run(*args, tool=None):
    p = subprocess.run([tool or SCOREGATE, *args], capture_output=True, text=True, timeout=60)
    return p.returncode, p.stdout, p.stderr


def certs(*args):
    return run("certs", *args)


def openssl(*args):
    return run(*args, tool=OPENSSL)


def read(path, mode="r"):
    with open(path, mode) as f:
        return f.read()


def pem_blocks(path):
    text = read(path)
    out, cur = [], None
    for line in text.splitlines(keepends=True):
        if line.startswith("-----BEGIN CERTIFICATE-----"):
            cur = line
        elif cur is not None:
            cur += line
            if line.startswith("-----END CERTIFICATE-----"):
                out.append(cur)
                cur = None
    return out


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def tls_handshake(cert_chain, key, cafile, server_name):
    """Serve cert_chain/key on a loopback port, connect with a client that trusts
    only `cafile` and asks for `server_name`. Returns None on success, else the
    client's error text."""
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(cert_chain, key)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(20)
    port = listener.getsockname()[1]

    def serve():
        try:
            conn, _ = listener.accept()
            conn.settimeout(20)
            with server_ctx.wrap_socket(conn, server_side=True) as tls:
                data = tls.recv(5)
                tls.sendall(data.upper())
        except (OSError, ssl.SSLError):
            pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    client_ctx = ssl.create_default_context(cafile=cafile)
    client_ctx.check_hostname = True
    err = None
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=20) as raw:
            with client_ctx.wrap_socket(raw, server_hostname=server_name) as tls:
                tls.sendall(b"hello")
                if tls.recv(5) != b"HELLO":
                    err = "wrong reply"
    except (OSError, ssl.SSLError) as e:
        err = str(e)
    t.join(20)
    listener.close()
    return err


def generate(out, *extra):
    rc, so, se = certs("generate", "--service", "web", "--namespace", "prod",
                       "--dns", "127.0.0.1", "--out", out, *extra)
    if rc != 0:
        raise RuntimeError(f"generate failed ({rc}): {se}")
    return so


def inspect_json(target, *extra):
    rc, so, se = certs("inspect", target, "-f", "json", *extra)
    try:
        return rc, json.loads(so), se
    except ValueError:
        return rc, None, f"not JSON: {so!r} {se}"


def test_generate(tmp):
    d = os.path.join(tmp, "gen")
    so = generate(d, "--dns", "hooks.example.com")
    check("generate prints where the caBundle is", "ca-bundle.b64" in so, so)
    for name, mode in (("ca.crt", 0o644), ("ca.key", 0o600), ("tls.crt", 0o644),
                       ("tls.key", 0o600), ("ca-bundle.b64", 0o644)):
        st = os.stat(os.path.join(d, name))
        check(f"{name} has mode {mode:o}", (st.st_mode & 0o777) == mode, oct(st.st_mode))
    ca, crt, key = (os.path.join(d, n) for n in ("ca.crt", "tls.crt", "tls.key"))
    rc, so, se = openssl("verify", "-CAfile", ca, crt)
    check("openssl verify -CAfile ca.crt tls.crt", rc == 0 and "OK" in so, so + se)
    for host in ("web", "web.prod", "web.prod.svc", "web.prod.svc.cluster.local", "hooks.example.com"):
        rc, so, se = openssl("x509", "-in", crt, "-noout", "-checkhost", host)
        check(f"checkhost {host}", "does match" in so and "NOT" not in so, so + se)
    rc, so, se = openssl("x509", "-in", crt, "-noout", "-checkhost", "other.prod.svc")
    check("checkhost other.prod.svc does not match", "does NOT match" in so, so + se)
    rc, so, se = openssl("x509", "-in", crt, "-noout", "-checkip", "127.0.0.1")
    check("IP SAN 127.0.0.1", "does match" in so and "NOT" not in so, so + se)
    rc, text, se = openssl("x509", "-in", crt, "-noout", "-text")
    check("leaf key is ECDSA P-256", "NIST CURVE: P-256" in text, text)
    check("leaf EKU serverAuth", "TLS Web Server Authentication" in text, text)
    check("leaf CA:FALSE", "CA:FALSE" in text, text)
    check("leaf keyUsage digitalSignature", "Digital Signature" in text, text)
    check("leaf key identifiers", "Subject Key Identifier" in text and "Authority Key Identifier" in text, text)
    rc, text, se = openssl("x509", "-in", ca, "-noout", "-text")
    check("CA is CA:TRUE with keyCertSign", "CA:TRUE" in text and "Certificate Sign" in text, text)
    check("CA key is ECDSA P-256", "NIST CURVE: P-256" in text, text)
    rc, text, se = openssl("pkey", "-in", key, "-noout", "-text")
    check("tls.key is a P-256 key", rc == 0 and "prime256v1" in text, text + se)
    bundle = base64.b64decode(read(os.path.join(d, "ca-bundle.b64")).strip())
    check("ca-bundle.b64 is base64 of ca.crt", bundle == read(ca, "rb"))
    check("ca-bundle.b64 is one line", read(os.path.join(d, "ca-bundle.b64")).count("\n") == 1)

    check("TLS: client trusting only the CA connects by service DNS name",
          tls_handshake(crt, key, ca, "web.prod.svc") is None)
    check("TLS: ... and by the cluster.local name",
          tls_handshake(crt, key, ca, "web.prod.svc.cluster.local") is None)
    err = tls_handshake(crt, key, ca, "other.prod.svc")
    check("TLS: a wrong service name is refused", err is not None and "match" in err, str(err))
    other = os.path.join(tmp, "gen-other")
    generate(other)
    err = tls_handshake(crt, key, os.path.join(other, "ca.crt"), "web.prod.svc")
    check("TLS: a client trusting another CA refuses", err is not None and "verify failed" in err, str(err))

    rc, so, se = certs("generate", "--out", d)
    check("generate refuses to overwrite (exit 2, names the file)",
          rc == 2 and os.path.join(d, "ca.crt") in se and "rotate" in se, se)
    before = read(os.path.join(d, "ca.crt"))
    so = generate(d, "--force", "--dns", "hooks.example.com")
    check("generate --force replaces the set", read(os.path.join(d, "ca.crt")) != before, so)
    return d


def test_inspect(tmp, d):
    rc, so, se = certs("inspect", d)
    check("inspect DIR: exit 0 on a fresh set", rc == 0 and "status: ok" in so, so + se)
    check("inspect DIR: shows subject, SANs, issuer",
          "CN=web.prod.svc" in so and "DNS:web.prod.svc.cluster.local" in so and "IP:127.0.0.1" in so
          and "issuer:" in so, so)
    rc, j, se = inspect_json(d)
    rc2, end, _ = openssl("x509", "-in", os.path.join(d, "tls.crt"), "-noout", "-enddate")
    import datetime
    want = datetime.datetime.strptime(end.strip().split("=", 1)[1], "%b %d %H:%M:%S %Y %Z")
    ok = j is not None and j["certificate"]["notAfter"] == want.strftime("%Y-%m-%dT%H:%M:%SZ")
    check("inspect JSON notAfter equals openssl's", ok, f"{j and j['certificate']['notAfter']} vs {end}")
    check("inspect JSON: ok, chain ok, key ok, 364-365 days left",
          j is not None and j["ok"] and j["chain"] == "ok" and j["key"] == "ok" and j["daysLeft"] in (364, 365),
          json.dumps(j))
    check("inspect JSON: P-256, not a CA, serverAuth",
          j is not None and j["certificate"]["keyType"] == "ECDSA P-256" and not j["certificate"]["isCA"]
          and j["certificate"]["serverAuth"], json.dumps(j))
    rc, so, se = certs("inspect", os.path.join(d, "tls.crt"), "--host", "web.prod.svc")
    check("inspect FILE --host matching: exit 0 (chain, key not checked)",
          rc == 0 and "not checked" in so, so + se)
    rc, so, se = certs("inspect", os.path.join(d, "tls.crt"), "--host", "db.prod.svc")
    check("inspect --host not covered: exit 1", rc == 1 and "does not cover host name db.prod.svc" in so, so)

    exp = os.path.join(tmp, "expired")
    generate(exp, "--days", "0")
    rc, so, se = certs("inspect", exp)
    check("inspect expired pair: exit 1, says expired", rc == 1 and "certificate expired on" in so, so + se)
    rc, j, se = inspect_json(exp)
    check("inspect JSON lists the expired problem", j is not None and "expired" in j["problems"], json.dumps(j))
    rc, so, se = openssl("x509", "-in", os.path.join(exp, "tls.crt"), "-noout", "-checkend", "0")
    check("openssl agrees the --days 0 certificate has expired", rc == 1, so)

    other = os.path.join(tmp, "other")
    generate(other)
    mism = os.path.join(tmp, "mismatch")
    shutil.copytree(d, mism)
    shutil.copy(os.path.join(other, "tls.key"), os.path.join(mism, "tls.key"))
    rc, so, se = certs("inspect", mism)
    check("inspect mismatched key: exit 1, names the files",
          rc == 1 and f"{mism}/tls.key does not match {mism}/tls.crt" in so, so + se)

    foreign = os.path.join(tmp, "foreign")
    shutil.copytree(d, foreign)
    shutil.copy(os.path.join(other, "ca.crt"), os.path.join(foreign, "ca.crt"))
    rc, so, se = certs("inspect", foreign)
    check("inspect cert from another CA: exit 1, does not verify",
          rc == 1 and "does not verify against" in so, so + se)
    rc, so, se = certs("inspect", os.path.join(d, "tls.crt"), "--ca", os.path.join(other, "ca.crt"))
    check("inspect FILE --ca of another CA: exit 1", rc == 1, so + se)

    soon = os.path.join(tmp, "soon")
    generate(soon, "--days", "10")
    rc, so, se = certs("inspect", soon)
    check("inspect expiring in 10 days (default --warn-days 30): exit 1",
          rc == 1 and "expires on" in so and "warning period 30 days" in so, so + se)
    rc, so, se = certs("inspect", soon, "--warn-days", "5")
    check("inspect expiring in 10 days with --warn-days 5: exit 0", rc == 0, so + se)
    return soon


def test_rotate(tmp, d, soon):
    fresh_files = {n: read(os.path.join(d, n), "rb") for n in ("ca.crt", "ca.key", "tls.crt", "tls.key")}
    rc, so, se = certs("rotate", "--out", d)
    check("rotate a fresh set: exit 0, says nothing to do", rc == 0 and "nothing to do" in so, so + se)
    check("rotate a fresh set leaves every file as it was",
          all(read(os.path.join(d, n), "rb") == v for n, v in fresh_files.items()))

    old_ca = read(os.path.join(soon, "ca.crt"), "rb")
    old_crt = read(os.path.join(soon, "tls.crt"), "rb")
    rc, so, se = certs("rotate", "--out", soon)
    check("rotate a leaf due in 10 days: exit 0, leaf renewed", rc == 0 and "leaf renewed" in so, so + se)
    check("... the CA is kept", read(os.path.join(soon, "ca.crt"), "rb") == old_ca)
    check("... tls.crt changed", read(os.path.join(soon, "tls.crt"), "rb") != old_crt)
    rc, j, se = inspect_json(soon)
    check("... the new leaf is fine for 364-365 days with the same SANs",
          j is not None and j["ok"] and j["daysLeft"] in (364, 365)
          and "DNS:web.prod.svc" in j["certificate"]["sans"], json.dumps(j))
    rc, so, se = openssl("verify", "-CAfile", os.path.join(soon, "ca.crt"), os.path.join(soon, "tls.crt"))
    check("... and verifies with openssl", rc == 0, so + se)
    st = os.stat(os.path.join(soon, "tls.key"))
    check("... new tls.key is 0600", (st.st_mode & 0o777) == 0o600, oct(st.st_mode))
    rc, so, se = certs("rotate", "--out", soon)
    check("rotate again: nothing to do", rc == 0 and "nothing to do" in so, so + se)
    rc, so, se = certs("rotate", "--out", soon, "--force")
    check("rotate --force renews a leaf that is not due", rc == 0 and "leaf renewed" in so, so + se)


def test_ca_rotation(tmp):
    d = os.path.join(tmp, "carot")
    generate(d)
    keep = os.path.join(tmp, "carot-before")
    shutil.copytree(d, keep)
    old_ca = os.path.join(keep, "ca.crt")
    rc, so, se = certs("rotate", "--out", d, "--ca-renew-before-days", "4000")
    check("rotate with the CA due: exit 0, CA rotated, asks for a caBundle update",
          rc == 0 and "CA rotated" in so and "caBundle" in so, so + se)
    ca, crt, key = (os.path.join(d, n) for n in ("ca.crt", "tls.crt", "tls.key"))
    cas = pem_blocks(ca)
    check("ca.crt bundle holds two CAs", len(cas) == 2, str(len(cas)))
    check("the old CA is one of them", pem_blocks(old_ca)[0] in cas)
    bundle = base64.b64decode(read(os.path.join(d, "ca-bundle.b64")).strip())
    check("ca-bundle.b64 holds the two-CA bundle", bundle == read(ca, "rb"))
    chain = pem_blocks(crt)
    check("tls.crt: leaf then the new CA cross-signed by the old", len(chain) == 2, str(len(chain)))
    leaf = os.path.join(tmp, "carot-leaf.pem")
    write(leaf, chain[0])
    new_ca = os.path.join(tmp, "carot-new-ca.pem")
    write(new_ca, cas[0] if cas[1] == pem_blocks(old_ca)[0] else cas[1])
    rc, so, se = openssl("verify", "-CAfile", ca, leaf)
    check("new leaf verifies against the bundle", rc == 0, so + se)
    rc, so, se = openssl("verify", "-CAfile", new_ca, leaf)
    check("new leaf verifies against the new CA alone", rc == 0, so + se)
    rc, so, se = openssl("verify", "-CAfile", old_ca, leaf)
    check("new leaf alone does NOT verify against the old CA alone", rc != 0, so + se)
    rc, so, se = openssl("verify", "-CAfile", old_ca, "-untrusted", crt, leaf)
    check("... but does with tls.crt's cross certificate as intermediate", rc == 0, so + se)
    rc, so, se = openssl("verify", "-CAfile", ca, os.path.join(keep, "tls.crt"))
    check("the old leaf still verifies against the new bundle", rc == 0, so + se)

    check("TLS: client trusting only the old CA connects to the new server (cross chain)",
          tls_handshake(crt, key, old_ca, "web.prod.svc") is None)
    check("TLS: client trusting the bundle connects to the new server",
          tls_handshake(crt, key, ca, "web.prod.svc") is None)
    check("TLS: client trusting only the new CA connects to the new server",
          tls_handshake(crt, key, new_ca, "web.prod.svc") is None)
    check("TLS: client with the bundle still connects to a server not yet reloaded",
          tls_handshake(os.path.join(keep, "tls.crt"), os.path.join(keep, "tls.key"), ca, "web.prod.svc") is None)
    err = tls_handshake(os.path.join(keep, "tls.crt"), os.path.join(keep, "tls.key"), new_ca, "web.prod.svc")
    check("TLS: client trusting only the new CA refuses the old server's leaf",
          err is not None and "verify failed" in err, str(err))
    err = tls_handshake(leaf, key, old_ca, "web.prod.svc")
    check("TLS: without the cross certificate, an old-CA-only client refuses the new leaf",
          err is not None and "verify failed" in err, str(err))

    rc, so, se = certs("inspect", d)
    check("inspect after CA rotation: exit 0", rc == 0, so + se)
    rc, so, se = certs("inspect", crt, "--ca", old_ca, "--key", key)
    check("inspect against the old CA only: verifies through the cross certificate", rc == 0, so + se)
    rc, so, se = certs("rotate", "--out", d)
    check("rotate after CA rotation: nothing to do", rc == 0 and "nothing to do" in so, so + se)


def test_bad_input(tmp):
    missing = os.path.join(tmp, "nope")
    rc, so, se = certs("inspect", missing)
    check("inspect missing dir: exit 2, names it", rc == 2 and missing in se, se)
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    rc, so, se = certs("inspect", empty)
    check("inspect dir without tls.crt: exit 2, names tls.crt",
          rc == 2 and os.path.join(empty, "tls.crt") in se, se)
    garbage = os.path.join(tmp, "garbage.pem")
    write(garbage, "not a certificate\n")
    rc, so, se = certs("inspect", garbage)
    check("inspect garbage PEM: exit 2, names the file",
          rc == 2 and garbage in se and "no PEM certificate" in se, se)
    broken = os.path.join(tmp, "broken.pem")
    write(broken, "-----BEGIN CERTIFICATE-----\nnot base64 !!\n-----END CERTIFICATE-----\n")
    rc, so, se = certs("inspect", broken)
    check("inspect corrupt PEM body: exit 2, names the file", rc == 2 and broken in se, se)
    bad_key = os.path.join(tmp, "badkey")
    generate(bad_key)
    write(os.path.join(bad_key, "tls.key"), "garbage\n")
    rc, so, se = certs("inspect", bad_key)
    check("inspect with a garbage tls.key: exit 2, names it",
          rc == 2 and os.path.join(bad_key, "tls.key") in se, se)
    rc, so, se = certs("rotate", "--out", bad_key)
    check("rotate with a garbage tls.key: exit 2, names it",
          rc == 2 and os.path.join(bad_key, "tls.key") in se, se)
    rc, so, se = certs("rotate", "--out", missing)
    check("rotate missing dir: exit 2, names it", rc == 2 and missing in se, se)
    os.remove(os.path.join(bad_key, "ca.key"))
    rc, so, se = certs("rotate", "--out", bad_key)
    check("rotate without ca.key: exit 2, names it", rc == 2 and os.path.join(bad_key, "ca.key") in se, se)
    for sub in ("generate", "inspect", "rotate"):
        rc, so, se = certs(sub, "--bogus")
        check(f"{sub} --bogus: exit 2, unknown option", rc == 2 and "unknown option '--bogus'" in se, se)
        rc, so, se = certs(sub, "--help")
        check(f"{sub} --help: exit 0, usage", rc == 0 and so.startswith(f"usage: scoregate certs {sub}"), so)
    rc, so, se = certs("generate", "--days", "-1", "--out", os.path.join(tmp, "x"))
    check("generate --days -1: exit 2", rc == 2 and "--days" in se, se)
    rc, so, se = certs("generate", "--service", "Not_A_Label", "--out", os.path.join(tmp, "x"))
    check("generate with an invalid service name: exit 2", rc == 2 and "Not_A_Label" in se, se)
    rc, so, se = certs("generate", "--dns", "bad name!", "--out", os.path.join(tmp, "x"))
    check("generate with an invalid --dns: exit 2", rc == 2 and "bad name!" in se, se)
    rc, so, se = certs("inspect", os.path.join(tmp, "badkey"), "-f", "yaml")
    check("inspect -f yaml: exit 2", rc == 2 and "yaml" in se, se)
    rc, so, se = certs("inspect")
    check("inspect without a target: exit 2", rc == 2, se)
    rc, so, se = certs()
    check("certs without a command: exit 2", rc == 2 and "usage" in se, se)
    rc, so, se = certs("frobnicate")
    check("certs frobnicate: exit 2", rc == 2 and "unknown command 'frobnicate'" in se, se)
    rc, so, se = run("--help")
    check("scoregate --help lists certs", rc == 0 and "certs" in so, so)


def test_defaults(tmp):
    cwd = os.getcwd()
    os.chdir(tmp)
    try:
        rc, so, se = certs("generate")
        d = os.path.join(tmp, "scoregate-certs")
        check("generate defaults to ./scoregate-certs", rc == 0 and os.path.isdir(d), so + se)
        rc, so, se = openssl("x509", "-in", os.path.join(d, "tls.crt"), "-noout", "-checkhost",
                             "scoregate.scoregate-system.svc")
        check("default service scoregate in scoregate-system", "does match" in so and "NOT" not in so, so)
        rc, so, se = openssl("x509", "-in", os.path.join(d, "ca.crt"), "-noout", "-checkend",
                             str(3649 * 86400))
        check("CA lives 10 years", rc == 0, so)
        rc, so, se = openssl("x509", "-in", os.path.join(d, "ca.crt"), "-noout", "-checkend",
                             str(3651 * 86400))
        check("... not longer", rc == 1, so)
        rc, so, se = certs("rotate")
        check("rotate defaults to ./scoregate-certs", rc == 0 and "nothing to do" in so, so + se)
    finally:
        os.chdir(cwd)


def main():
    tmp = tempfile.mkdtemp(prefix="sg-certs-cli-")
    try:
        d = test_generate(tmp)
        soon = test_inspect(tmp, d)
        test_rotate(tmp, d, soon)
        test_ca_rotation(tmp)
        test_bad_input(tmp)
        test_defaults(tmp)
    except Exception as e:  # an unexpected failure is a failed test, not a crash
        check("no unexpected exception", False, repr(e))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return harness.summary()


if __name__ == "__main__":
    sys.exit(main())
