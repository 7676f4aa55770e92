"""The worker process that reads untrusted image files: `python -m osint.imagery.worker MEMORY`.

It caps its own address space (RLIMIT_AS) before importing any decoder, then answers requests
from its parent on stdin/stdout, one at a time, until stdin closes. A frame is two 4-byte
big-endian lengths (header, payload), a JSON header and a binary payload (the thumbnail). Only
JSON and raw bytes cross the pipe (never pickles), so even a compromised worker cannot make the
parent run code. The parent enforces the time limit by killing the worker.
"""

from __future__ import annotations

import json
import os
import struct
import sys
from typing import BinaryIO

_LENGTHS = struct.Struct(">II")
MAX_HEADER = 16 * 1024 * 1024
MAX_PAYLOAD = 64 * 1024 * 1024


def encode_frame(header: dict, payload: bytes = b"") -> bytes:
    body = json.dumps(header, ensure_ascii=False, default=str).encode("utf-8")
    return _LENGTHS.pack(len(body), len(payload)) + body + payload


def read_exact(stream: BinaryIO, size: int) -> bytes:
    chunks = []
    while size:
        chunk = stream.read(size)
        if not chunk:
            raise EOFError("stream closed")
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def read_frame(stream: BinaryIO) -> tuple[dict, bytes]:
    header_size, payload_size = _LENGTHS.unpack(read_exact(stream, _LENGTHS.size))
    if header_size > MAX_HEADER or payload_size > MAX_PAYLOAD:
        raise ValueError("frame too large")
    header = json.loads(read_exact(stream, header_size))
    payload = read_exact(stream, payload_size) if payload_size else b""
    return header, payload


def limit_resources(memory_bytes: int) -> None:
    import resource

    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Die with the parent (kill -9 included), even in the middle of a decoder that never returns.
    if sys.platform.startswith("linux"):
        import contextlib
        import ctypes
        import signal

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL))  # PR_SET_PDEATHSIG


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    from osint.imagery.probe import probe

    while True:
        try:
            request, _ = read_frame(requests)
        except EOFError:
            return
        try:
            header, payload = probe(
                request["path"],
                decode=request.get("decode", True),
                thumb_size=request.get("thumb_size", 512),
                exif_seconds=request.get("exif_seconds", 5.0),
            )
        except MemoryError:
            header, payload = {"failed": "ran out of the worker's memory allowance"}, b""
        except OSError as exc:
            header, payload = {"unreadable": exc.strerror or str(exc)}, b""
        except Exception as exc:  # a decoder bug on hostile input: report, keep serving
            header, payload = {"failed": f"{type(exc).__name__}: {exc}"[:200]}, b""
        replies.write(encode_frame(header, payload))
        replies.flush()


def main(argv: list[str]) -> None:
    memory = int(argv[1]) if len(argv) > 1 else 0
    limit_resources(memory)
    # The protocol owns the real stdout; anything a library prints goes to stderr instead.
    replies = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    # Load the decoders once, before the first request.
    from osint.imagery import probe  # noqa: F401

    serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main(sys.argv)
