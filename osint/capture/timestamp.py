"""Trusted timestamps (RFC 3161) of the audit log's head.

The head of the audit log is the SHA-256 of its newest entry's canonical form, so the request
sends that canonical form hashed with SHA-256: the token's message imprint *is* the head hash.
Anyone can then check a token with stock tools:

    openssl ts -verify -in reply.tsr -digest <head hash> -CAfile chain.pem

The whole reply (status, token, the TSA's certificates) is stored as received, with the
certificate chain that verified it when it arrived (roots from --ca or the trust store, never
one the reply brought along), so `osint verify` re-checks every token offline.

Trust never comes from the case: anyone who can write the file can store a root of their own
making beside a token they signed. A token counts as trusted only when its root is in the system
trust store or among the roots the user pinned (`--ca` records its roots in a file outside the
case, `pinned_roots_path()`); a root that is only in the case is reported as not trusted.
"""

from __future__ import annotations

import functools
import hashlib
import os
from collections.abc import Iterator

from osint.case.store import audit, blobs
from osint.errors import InvalidInput, OsintError

DEFAULT_TSA = "http://timestamp.digicert.com"
REPLY_MEDIA_TYPE = "application/timestamp-reply"


class TimestampError(OsintError):
    """The authority could not be reached or its reply is not acceptable."""


def default_tsa() -> str:
    return os.environ.get("OSINT_TSA", "").strip() or DEFAULT_TSA


def _head_message(conn) -> tuple[str, bytes]:
    entry = audit.latest(conn)
    if entry is None:
        raise InvalidInput("the audit log is empty: nothing to timestamp")
    message = audit.canonical({f: getattr(entry, f) for f in audit.ENTRY_FIELDS})
    if hashlib.sha256(message).hexdigest() != entry.hash:
        raise OsintError(
            f"the newest audit entry {entry.hash[:12]} does not match its hash: run osint verify"
        )
    return entry.hash, message


def _self_signed(cert) -> bool:
    return cert.issuer == cert.subject


def _trust_store_roots() -> list:
    from cryptography import x509

    paths = [os.environ.get("SSL_CERT_FILE", "")]
    try:
        import certifi

        paths.append(certifi.where())
    except ImportError:
        pass
    import warnings

    roots = []
    for path in paths:
        if path and os.path.isfile(path):
            try:
                with open(path, "rb") as handle, warnings.catch_warnings():
                    warnings.simplefilter("ignore")  # old roots with odd serial numbers
                    roots.extend(x509.load_pem_x509_certificates(handle.read()))
            except ValueError:
                continue
    return roots


def pinned_roots_path():
    """The user's pinned TSA roots: outside every case, so a case file cannot add to them."""
    from osint import userdirs

    return userdirs.config_dir() / "trusted-tsa-roots.pem"


def _pinned_roots() -> list:
    from cryptography import x509

    path = pinned_roots_path()
    try:
        return x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError):
        return []


def pin_roots(roots: list) -> list[str]:
    """Add roots to the user's pinned roots (once each); returns the fingerprints pinned."""
    from cryptography.hazmat.primitives.serialization import Encoding

    known = {fingerprint(r) for r in _pinned_roots()}
    new = [r for r in roots if fingerprint(r) not in known]
    if new:
        path = pinned_roots_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "ab") as handle:
            for root in new:
                handle.write(root.public_bytes(Encoding.PEM))
    return [fingerprint(r) for r in roots]


def fingerprint(cert) -> str:
    from cryptography.hazmat.primitives import hashes

    return cert.fingerprint(hashes.SHA256()).hex()


def trust_of(root) -> str | None:
    """Why a root is trusted here: "system trust store", "pinned by you", or None (not trusted)."""
    fp = fingerprint(root)
    if fp in {fingerprint(r) for r in _pinned_roots()}:
        return "pinned by you"
    if fp in _trust_store_fingerprints(os.environ.get("SSL_CERT_FILE", "")):
        return "system trust store"
    return None


@functools.lru_cache(maxsize=4)
def _trust_store_fingerprints(_ssl_cert_file: str) -> frozenset[str]:
    return frozenset(fingerprint(r) for r in _trust_store_roots())


def _load_pem(path) -> list:
    from cryptography import x509

    try:
        with open(path, "rb") as handle:
            return x509.load_pem_x509_certificates(handle.read())
    except OSError as exc:
        raise InvalidInput(f"--ca {path}: cannot read ({exc.strerror or exc})") from None
    except ValueError:
        raise InvalidInput(f"--ca {path}: not a PEM certificate file") from None


def _verify(reply_bytes: bytes, chain: list, head: str):
    """Verify a stored reply against its chain; returns the decoded response or raises."""
    from rfc3161_client import VerificationError, VerifierBuilder, decode_timestamp_response

    try:
        response = decode_timestamp_response(reply_bytes)
    except (ValueError, TypeError) as exc:
        raise TimestampError(f"the reply is not an RFC 3161 time-stamp response ({exc})") from None
    roots = [c for c in chain if _self_signed(c)]
    if not roots:
        raise TimestampError("no trusted root certificate to check the token against")
    builder = VerifierBuilder()
    for root in roots:
        builder = builder.add_root_certificate(root)
    for cert in chain:
        if not _self_signed(cert):
            builder = builder.add_intermediate_certificate(cert)
    try:
        builder.build().verify(response, bytes.fromhex(head))
    except (VerificationError, ValueError) as exc:
        raise TimestampError(f"the token does not verify ({exc})") from None
    return response


def _signer(response) -> str | None:
    from cryptography import x509

    infos = list(response.signed_data.signer_infos)
    if not infos:
        return None
    info = infos[0]
    for der in response.signed_data.certificates:
        cert = x509.load_der_x509_certificate(der)
        if cert.issuer == info.issuer and cert.serial_number == info.serial_number:
            return cert.subject.rfc4514_string()
    return info.issuer.rfc4514_string()


def request_timestamp(conn, *, tsa: str | None = None, ca_file=None, timeout: float = 30.0):
    """Ask a TSA (online) to stamp the head; returns what `store_timestamp` records."""
    import httpx
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from rfc3161_client import (
        HashAlgorithm,
        PKIStatus,
        TimestampRequestBuilder,
        decode_timestamp_response,
    )

    from osint.capture.fetch import _explain, check_url

    tsa = check_url(tsa or default_tsa())
    extra = _load_pem(ca_file) if ca_file else []
    head, message = _head_message(conn)
    request = (
        TimestampRequestBuilder()
        .data(message)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    try:
        reply = httpx.post(
            tsa,
            content=request.as_bytes(),
            headers={
                "Content-Type": "application/timestamp-query",
                "Accept": REPLY_MEDIA_TYPE,
            },
            timeout=timeout,
            follow_redirects=True,
        )
    except httpx.HTTPError as exc:
        raise TimestampError(_explain(exc, tsa, timeout).replace("(--timeout)", "")) from None
    if reply.status_code != 200:
        raise TimestampError(f"{tsa}: the authority answered HTTP {reply.status_code}")
    data = reply.content
    try:
        response = decode_timestamp_response(data)
    except (ValueError, TypeError):
        raise TimestampError(f"{tsa}: the answer is not an RFC 3161 time-stamp reply") from None
    if response.status not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
        detail = "; ".join(response.status_string or []) or f"status {response.status}"
        raise TimestampError(f"{tsa}: the authority refused the request ({detail})")
    info = response.tst_info
    if info.message_imprint.message != bytes.fromhex(head):
        raise TimestampError(f"{tsa}: the token stamps another hash than the one sent")
    if request.nonce is not None and info.nonce != request.nonce:
        raise TimestampError(f"{tsa}: the reply's nonce does not match the request's")
    embedded = [x509.load_der_x509_certificate(der) for der in response.signed_data.certificates]
    chain = [c for c in embedded if not _self_signed(c)]
    chain += [c for c in extra if c not in chain]
    if not any(_self_signed(c) for c in chain):
        issuers = {c.issuer for c in chain}
        anchors = _pinned_roots() + _trust_store_roots()
        chain += [r for r in anchors if r.subject in issuers and r not in chain]
    if not any(_self_signed(c) for c in chain):
        raise TimestampError(
            f"{tsa}: the authority's root certificate is not trusted here; give it with --ca FILE"
        )
    _verify(data, chain, head)
    roots = [c for c in chain if _self_signed(c)]
    given = [c for c in roots if c in extra]
    if given:
        pin_roots(given)  # the user vouched for them: kept outside the case
    root = roots[0]
    chain_pem = b"".join(c.public_bytes(Encoding.PEM) for c in chain)
    return {
        "head": head,
        "tsa": tsa,
        "gen_time": info.gen_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "serial": str(info.serial_number),
        "policy": info.policy.dotted_string if info.policy else None,
        "hash_algorithm": "sha256",
        "nonce": str(info.nonce) if info.nonce is not None else None,
        "tsa_name": _general_name(info.name),
        "signer": _signer(response),
        "_reply": data,
        "_chain": chain_pem,
        "_root": {
            "root": root.subject.rfc4514_string(),
            "root_sha256": fingerprint(root),
            "trusted_by": "pinned by you (--ca)" if root in given else trust_of(root),
        },
    }


def _general_name(name) -> str | None:
    if name is None:
        return None
    value = getattr(name, "value", name)
    return value.rfc4514_string() if hasattr(value, "rfc4514_string") else str(value)


def store_timestamp(case, stamped: dict) -> dict:
    """Record a verified token: its reply and chain as stored files, its facts as a record."""
    from osint.case import records

    with case.writing():
        reply_sha, _ = blobs.put_bytes(case.conn, stamped["_reply"], REPLY_MEDIA_TYPE)
        chain_sha, _ = blobs.put_bytes(case.conn, stamped["_chain"], "application/x-pem-file")
        fields = {k: v for k, v in stamped.items() if not k.startswith("_")}
        fields.update(reply_sha256=reply_sha, chain_sha256=chain_sha)
        row = records.create(
            case,
            "timestamp",
            fields,
            added_from=f"{stamped['tsa']} for audit head {stamped['head']}",
        )
    return {**row, **stamped.get("_root", {})}


def check_timestamps(conn) -> Iterator:
    """verify check: every stored token still verifies, offline, and stamps an entry of the log."""
    rows = conn.execute("SELECT * FROM timestamps ORDER BY gen_time").fetchall()
    if not rows:
        return
    from cryptography import x509

    from osint.features import Problem

    for row in rows:
        try:
            reply = blobs.read_bytes(conn, row["reply_sha256"])
            chain = x509.load_pem_x509_certificates(blobs.read_bytes(conn, row["chain_sha256"]))
        except (OsintError, ValueError, TypeError):
            yield Problem(row["id"], "timestamp", "its token or certificate chain cannot be read")
            continue
        stored_roots = [c for c in chain if _self_signed(c)]
        trusted = [c for c in stored_roots if trust_of(c)]
        if stored_roots and not trusted:
            root = stored_roots[0]
            yield Problem(
                row["id"],
                "timestamp",
                f"the token is not trusted: its root {root.subject.rfc4514_string()} "
                f"(sha256 {fingerprint(root)}) is neither in the system trust store nor pinned by "
                "you (osint timestamp --ca FILE); a root stored in the case proves nothing",
            )
            continue
        intermediates = [c for c in chain if not _self_signed(c)]
        try:
            response = _verify(reply, intermediates + trusted, row["head"])
        except TimestampError as exc:
            yield Problem(row["id"], "timestamp", str(exc))
            continue
        gen_time = response.tst_info.gen_time.strftime("%Y-%m-%dT%H:%M:%SZ")
        if gen_time != row["gen_time"]:
            yield Problem(
                row["id"], "timestamp", f"the token's time is {gen_time}, not {row['gen_time']}"
            )
        if not conn.execute("SELECT 1 FROM audit_log WHERE hash = ?", (row["head"],)).fetchone():
            yield Problem(
                row["id"],
                "timestamp",
                f"it stamps audit entry {row['head'][:12]}, which is no longer in the audit log",
            )


def export_token(conn, row: dict, folder) -> dict:
    """Write a token out for `openssl ts -verify`: reply (.tsr), chain (.pem), digest."""
    from pathlib import Path

    folder = Path(folder)
    if not folder.is_dir():
        raise InvalidInput(f"{folder}: no such folder")
    base = folder / f"timestamp-{row['id'][:8]}"
    blobs.export(conn, row["reply_sha256"], base.with_suffix(".tsr"))
    blobs.export(conn, row["chain_sha256"], base.with_suffix(".chain.pem"))
    command = (
        f"openssl ts -verify -in {base.name}.tsr -digest {row['head']} "
        f"-CAfile {base.name}.chain.pem"
    )
    return {
        "reply": str(base.with_suffix(".tsr")),
        "chain": str(base.with_suffix(".chain.pem")),
        "digest": row["head"],
        "openssl": command,
    }
