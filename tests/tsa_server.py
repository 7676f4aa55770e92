"""A throw-away RFC 3161 time-stamping authority on 127.0.0.1, made with `openssl ts -reply`."""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CONFIG = """
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca_ext ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[ tsa_ext ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa ]
default_tsa = tsa_config
[ tsa_config ]
dir = {dir}
serial = $dir/serial
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
certs = $dir/tsa.pem
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


def _run(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def make_authority(folder: Path) -> Path:
    """A CA and a TSA certificate signed by it; returns the config file."""
    config = folder / "tsa.cnf"
    config.write_text(CONFIG.replace("{dir}", str(folder)))
    (folder / "serial").write_text("01\n")
    _run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
         "-days", "3", "-subj", "/CN=Throw-away Test Root", "-config", str(config),
         "-extensions", "ca_ext", cwd=folder)  # fmt: skip
    _run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
         "-subj", "/CN=Throw-away Test TSA", "-config", str(config), cwd=folder)  # fmt: skip
    _run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "tsa.pem", "-days", "2", "-extfile", str(config),
         "-extensions", "tsa_ext", cwd=folder)  # fmt: skip
    return config


@contextlib.contextmanager
def serve_tsa():
    """Yields (url, ca.pem path); every POSTed query gets an `openssl ts -reply` answer."""
    if not shutil.which("openssl"):
        raise RuntimeError("openssl is not installed")
    folder = Path(tempfile.mkdtemp(prefix="osint-tsa-"))
    config = make_authority(folder)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):
            query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with lock:
                (folder / "q.tsq").write_bytes(query)
                _run("ts", "-reply", "-config", str(config), "-queryfile", "q.tsq",
                     "-out", "r.tsr", cwd=folder)  # fmt: skip
                reply = (folder / "r.tsr").read_bytes()
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/tsr", folder / "ca.pem"
    finally:
        server.shutdown()
        server.server_close()
        shutil.rmtree(folder, ignore_errors=True)
