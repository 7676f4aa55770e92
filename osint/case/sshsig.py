"""SSH signatures (OpenSSH's SSHSIG format) made and checked with the investigator's own SSH key.

Newsrooms already give investigators SSH keys, and git signs commits with them; osint signs each
audit entry the same way, so that anyone can check authorship with standard tools:

    ssh-keygen -Y verify -n osint -f allowed_signers -I NAME -s entry.sig < entry.hash

The format is OpenSSH's PROTOCOL.sshsig: the signer signs
    "SSHSIG" || string(namespace) || string(reserved) || string(hash algorithm) || string(H(message))
and the signature blob carries the public key, the namespace, the hash algorithm and the raw SSH
signature, armored as "-----BEGIN SSH SIGNATURE-----". Keys: Ed25519, ECDSA (P-256/384/521) and
RSA (rsa-sha2-512), from an OpenSSH private key file (passphrase asked once) or from ssh-agent.
The private key never leaves this module: only signatures and public keys are returned.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import os
import socket
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from osint.errors import InvalidInput, OsintError

NAMESPACE = "osint"
MAGIC = b"SSHSIG"
VERSION = 1
HASH = "sha512"
BEGIN = "-----BEGIN SSH SIGNATURE-----"
END = "-----END SSH SIGNATURE-----"
MAX_ARMORED = 16 * 1024  # an armored signature is a few hundred bytes; refuse anything huge


class SignatureError(OsintError):
    """A signature that cannot be read, or a key that cannot sign."""


# ---- SSH wire encoding ----------------------------------------------------------------------


def _string(data: bytes | str) -> bytes:
    if isinstance(data, str):
        data = data.encode()
    return struct.pack(">I", len(data)) + data


def _mpint(value: int) -> bytes:
    if value == 0:
        return _string(b"")
    raw = value.to_bytes((value.bit_length() + 8) // 8, "big")  # a leading 0 keeps it positive
    return _string(raw)


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.at = 0

    def take(self, size: int) -> bytes:
        if size < 0 or self.at + size > len(self.data):
            raise SignatureError("truncated SSH data")
        chunk = self.data[self.at : self.at + size]
        self.at += size
        return chunk

    def uint32(self) -> int:
        return struct.unpack(">I", self.take(4))[0]

    def string(self) -> bytes:
        return self.take(self.uint32())

    def mpint(self) -> int:
        return int.from_bytes(self.string(), "big", signed=True)

    def done(self) -> bool:
        return self.at == len(self.data)


# ---- public keys ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicKey:
    """An OpenSSH public key: its type, its wire blob, and its SHA256 fingerprint."""

    key_type: str
    blob: bytes
    comment: str = ""

    @property
    def fingerprint(self) -> str:
        digest = base64.b64encode(hashlib.sha256(self.blob).digest()).decode().rstrip("=")
        return f"SHA256:{digest}"

    @property
    def openssh(self) -> str:
        """The `ssh-ed25519 AAAA...` line (no comment)."""
        return f"{self.key_type} {base64.b64encode(self.blob).decode()}"

    def _crypto_key(self):
        return _load_public(self.openssh)


@functools.lru_cache(maxsize=256)
def _load_public(openssh: str):
    # A case holds few keys and many signatures: each key is parsed once.
    from cryptography.hazmat.primitives.serialization import load_ssh_public_key

    try:
        return load_ssh_public_key(openssh.encode())
    except (ValueError, TypeError) as exc:
        raise SignatureError(f"unsupported or damaged {openssh.split()[0]} public key") from exc


KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
)


def parse_public_key(text: str) -> PublicKey:
    """A public key from an `ssh-ed25519 AAAA... comment` line (a .pub file's content)."""
    parts = text.strip().split(None, 2)
    if len(parts) < 2 or parts[0] not in KEY_TYPES:
        raise InvalidInput(
            "public key: expected an OpenSSH public key line such as 'ssh-ed25519 AAAA... name'"
        )
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except ValueError as exc:
        raise InvalidInput("public key: its base64 part is damaged") from exc
    if _Reader(blob).string().decode(errors="replace") != parts[0]:
        raise InvalidInput("public key: its type does not match its data")
    key = PublicKey(parts[0], blob, parts[2].strip() if len(parts) > 2 else "")
    key._crypto_key()  # refuse a key cryptography cannot use, now rather than at verify time
    return key


def _public_of(private_key) -> PublicKey:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    line = private_key.public_key().public_bytes(Encoding.OpenSSH, PublicFormat.OpenSSH).decode()
    key_type, b64 = line.split()[:2]
    return PublicKey(key_type, base64.b64decode(b64))


# ---- signers --------------------------------------------------------------------------------


@dataclass
class Signer:
    """Something that signs with one key: a loaded private key, or ssh-agent holding it."""

    public: PublicKey
    _sign: Callable[[bytes], bytes] = field(repr=False)

    def sign(self, message: bytes, namespace: str = NAMESPACE) -> str:
        """The armored SSHSIG signature of `message` (over its SHA-512)."""
        signed = _signed_data(namespace, HASH, hashlib.sha512(message).digest())
        raw = self._sign(signed)
        blob = (
            MAGIC
            + struct.pack(">I", VERSION)
            + _string(self.public.blob)
            + _string(namespace)
            + _string(b"")
            + _string(HASH)
            + _string(raw)
        )
        return armor(blob)


def _signed_data(namespace: str, hash_name: str, digest: bytes) -> bytes:
    return MAGIC + _string(namespace) + _string(b"") + _string(hash_name) + _string(digest)


def load_signer(path: str | os.PathLike, passphrase: Callable[[], str] | None = None) -> Signer:
    """The key in an OpenSSH private key file (asking `passphrase()` once if it is protected).

    When the file is protected and ssh-agent holds the same key (its `.pub` beside it), the agent
    signs and no passphrase is asked.
    """
    from cryptography.hazmat.primitives.serialization import load_ssh_private_key

    path = Path(path).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidInput(f"{path}: cannot read the key ({exc.strerror or exc})") from exc
    if b"PRIVATE KEY" not in data[:200]:
        raise InvalidInput(f"{path}: not an OpenSSH private key (give the file without .pub)")
    try:
        private = load_ssh_private_key(data, password=None)
    except TypeError:
        private = None  # protected by a passphrase
    except Exception as exc:  # cryptography raises several types for damaged files
        raise InvalidInput(f"{path}: cannot read the key ({exc})") from exc
    if private is None:
        # Protected: prefer the agent, which holds it unlocked, over asking.
        public_file = path.with_name(path.name + ".pub")
        if public_file.exists():
            agent = agent_signer(parse_public_key(public_file.read_text()))
            if agent:
                return agent
        if passphrase is None:
            raise InvalidInput(
                f"{path}: the key is protected by a passphrase: add it to ssh-agent (ssh-add) "
                "or run the command at a terminal"
            )
        try:
            private = load_ssh_private_key(data, password=passphrase().encode())
        except ValueError as exc:
            raise InvalidInput(f"{path}: wrong passphrase for the key") from exc
        except Exception as exc:
            raise InvalidInput(f"{path}: cannot unlock the key ({exc})") from exc
    return _signer_for(private)


def _signer_for(private) -> Signer:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa, utils

    public = _public_of(private)
    if isinstance(private, ed25519.Ed25519PrivateKey):

        def sign(data: bytes) -> bytes:
            return _string("ssh-ed25519") + _string(private.sign(data))

    elif isinstance(private, ec.EllipticCurvePrivateKey):
        digest = {256: hashes.SHA256(), 384: hashes.SHA384(), 521: hashes.SHA512()}[
            private.curve.key_size
        ]

        def sign(data: bytes) -> bytes:
            r, s = utils.decode_dss_signature(private.sign(data, ec.ECDSA(digest)))
            return _string(public.key_type) + _string(_mpint(r) + _mpint(s))

    elif isinstance(private, rsa.RSAPrivateKey):

        def sign(data: bytes) -> bytes:
            raw = private.sign(data, padding.PKCS1v15(), hashes.SHA512())
            return _string("rsa-sha2-512") + _string(raw)

    else:
        raise InvalidInput("the key is of a type osint cannot sign with (use Ed25519)")
    return Signer(public, sign)


# ---- ssh-agent ------------------------------------------------------------------------------

_AGENT_SIGN_REQUEST = 13
_AGENT_SIGN_RESPONSE = 14
_AGENT_RSA_SHA2_512 = 4


def agent_signer(public: PublicKey, socket_path: str | None = None) -> Signer | None:
    """A signer that asks ssh-agent (at $SSH_AUTH_SOCK) to sign with `public`'s key, or None."""
    socket_path = socket_path or os.environ.get("SSH_AUTH_SOCK")
    if not socket_path or not os.path.exists(socket_path):
        return None
    flags = _AGENT_RSA_SHA2_512 if public.key_type == "ssh-rsa" else 0

    def sign(data: bytes) -> bytes:
        body = bytes([_AGENT_SIGN_REQUEST]) + _string(public.blob) + _string(data)
        body += struct.pack(">I", flags)
        reply = _agent_call(socket_path, body)
        if not reply or reply[0] != _AGENT_SIGN_RESPONSE:
            raise SignatureError("ssh-agent refused to sign (is the key added? ssh-add -l)")
        return _Reader(reply[1:]).string()

    try:
        sign(b"osint: probe")  # an agent without this key answers now, not at the first entry
    except (OSError, SignatureError):
        return None
    return Signer(public, sign)


def _agent_call(socket_path: str, body: bytes) -> bytes:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
        conn.settimeout(10)
        conn.connect(socket_path)
        conn.sendall(struct.pack(">I", len(body)) + body)
        size = struct.unpack(">I", _recv_exact(conn, 4))[0]
        if size > 1 << 20:
            raise SignatureError("ssh-agent sent an oversized reply")
        return _recv_exact(conn, size)


def _recv_exact(conn: socket.socket, size: int) -> bytes:
    chunks = b""
    while len(chunks) < size:
        chunk = conn.recv(size - len(chunks))
        if not chunk:
            raise SignatureError("ssh-agent closed the connection")
        chunks += chunk
    return chunks


# ---- armor and verification -----------------------------------------------------------------


def armor(blob: bytes) -> str:
    text = base64.b64encode(blob).decode()
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    return "\n".join([BEGIN, *lines, END]) + "\n"


def unarmor(text: str) -> bytes:
    if len(text) > MAX_ARMORED:
        raise SignatureError("the signature is too large to be an SSH signature")
    text = text.strip()
    if not (text.startswith(BEGIN) and text.endswith(END)):
        raise SignatureError("not an armored SSH signature")
    body = "".join(text[len(BEGIN) : -len(END)].split())
    try:
        return base64.b64decode(body, validate=True)
    except ValueError as exc:
        raise SignatureError("the signature's base64 is damaged") from exc


@dataclass(frozen=True)
class Verified:
    """A signature that checked out: the key that made it (its fingerprint names it)."""

    public: PublicKey
    namespace: str


def verify(signature: str, message: bytes, namespace: str = NAMESPACE) -> Verified:
    """Check an armored SSHSIG signature of `message`; returns the signing key or raises."""
    reader = _Reader(unarmor(signature))
    if reader.take(6) != MAGIC:
        raise SignatureError("not an SSH signature (bad preamble)")
    if reader.uint32() != VERSION:
        raise SignatureError("unsupported SSH signature version")
    public_blob = reader.string()
    sig_namespace = reader.string().decode(errors="replace")
    reader.string()  # reserved
    hash_name = reader.string().decode(errors="replace")
    raw = reader.string()
    if not reader.done():
        raise SignatureError("trailing data after the SSH signature")
    if sig_namespace != namespace:
        raise SignatureError(f"signature made for namespace {sig_namespace!r}, not {namespace!r}")
    if hash_name not in ("sha256", "sha512"):
        raise SignatureError(f"unsupported hash {hash_name!r}")
    key_type = _Reader(public_blob).string().decode(errors="replace")
    public = PublicKey(key_type, public_blob)
    digest = hashlib.new(hash_name, message).digest()
    _check_raw(public, raw, _signed_data(sig_namespace, hash_name, digest))
    return Verified(public, sig_namespace)


def _check_raw(public: PublicKey, raw: bytes, data: bytes) -> None:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, utils

    reader = _Reader(raw)
    sig_type = reader.string().decode(errors="replace")
    sig = reader.string()
    key = public._crypto_key()
    try:
        if public.key_type == "ssh-ed25519" and sig_type == "ssh-ed25519":
            key.verify(sig, data)
        elif public.key_type.startswith("ecdsa-") and sig_type == public.key_type:
            parts = _Reader(sig)
            r, s = parts.mpint(), parts.mpint()
            digest = {"nistp256": hashes.SHA256(), "nistp384": hashes.SHA384()}.get(
                public.key_type.rsplit("-", 1)[1], hashes.SHA512()
            )
            key.verify(utils.encode_dss_signature(r, s), data, ec.ECDSA(digest))
        elif public.key_type == "ssh-rsa" and sig_type in ("rsa-sha2-512", "rsa-sha2-256"):
            digest = hashes.SHA512() if sig_type == "rsa-sha2-512" else hashes.SHA256()
            key.verify(sig, data, padding.PKCS1v15(), digest)
        else:
            raise SignatureError(f"signature type {sig_type!r} does not match a {public.key_type}")
    except InvalidSignature:
        raise SignatureError("the signature does not match") from None


# ---- allowed signers ------------------------------------------------------------------------


@dataclass(frozen=True)
class AllowedSigner:
    principal: str
    public: PublicKey
    namespaces: tuple[str, ...] = ()

    def line(self) -> str:
        """This signer as a line of an OpenSSH allowed_signers file."""
        name = self.principal
        if any(c.isspace() or c in ',"' for c in name):
            name = '"' + name.replace('"', "") + '"'
        options = f'namespaces="{",".join(self.namespaces)}" ' if self.namespaces else ""
        return f"{name} {options}{self.public.openssh}"


def allowed_signers_file(signers: Iterable[AllowedSigner]) -> str:
    return "".join(s.line() + "\n" for s in signers)


def fingerprint_of(public_key_line: str) -> str:
    return parse_public_key(public_key_line).fingerprint
