"""Worker processes for reading untrusted images: a time limit per file, a memory cap, both cores.

One thread per worker feeds it one file at a time and waits for its answer until the file's
deadline; a worker that overruns is killed (SIGKILL) and replaced, and the file is tried once more
without decoding pixels (so the hash and EXIF still come through when only the decoder hung). A
worker that dies (a decoder crash, the memory cap) is replaced the same way. Results come back in
completion order; at most `jobs * 2` files are in flight, so memory stays flat for any folder.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import select
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from osint.imagery.worker import _LENGTHS, MAX_HEADER, MAX_PAYLOAD, encode_frame

DEFAULT_MEMORY = 1536 * 1024 * 1024
DEFAULT_TIME_LIMIT = 30.0
# Reading a large file takes time too: the limit grows by a second per this many bytes.
BYTES_PER_EXTRA_SECOND = 25 * 1024 * 1024


@dataclass
class Task:
    path: str
    key: object = None
    size: int = 0
    options: dict = field(default_factory=dict)


def default_jobs() -> int:
    try:
        available = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        available = os.cpu_count() or 1
    return max(1, min(available, 8))


class _Worker:
    def __init__(self, command: list[str]):
        self.proc = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None if os.environ.get("OSINT_DEBUG") else subprocess.DEVNULL,
            close_fds=True,
        )
        self.buffer = bytearray()

    def kill(self) -> None:
        if self.proc.poll() is None:
            with contextlib.suppress(OSError):
                self.proc.send_signal(signal.SIGKILL)
        for stream in (self.proc.stdin, self.proc.stdout):
            with contextlib.suppress(OSError):
                stream.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            return
        with contextlib.suppress(OSError):
            self.proc.stdout.close()

    def ask(self, request: dict, deadline: float) -> tuple[dict, bytes]:
        """Send one request; the answer, or raise TimeoutError / EOFError."""
        self.proc.stdin.write(encode_frame(request))
        self.proc.stdin.flush()
        fd = self.proc.stdout.fileno()
        need = _LENGTHS.size
        header_size = payload_size = None
        while True:
            if header_size is None and len(self.buffer) >= _LENGTHS.size:
                header_size, payload_size = _LENGTHS.unpack(self.buffer[: _LENGTHS.size])
                if header_size > MAX_HEADER or payload_size > MAX_PAYLOAD:
                    raise EOFError("the worker sent a malformed answer")
                need = _LENGTHS.size + header_size + payload_size
            if header_size is not None and len(self.buffer) >= need:
                start = _LENGTHS.size
                header = json.loads(bytes(self.buffer[start : start + header_size]))
                payload = bytes(self.buffer[start + header_size : need])
                del self.buffer[:need]
                return header, payload
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            ready, _, _ = select.select([fd], [], [], remaining)
            if not ready:
                raise TimeoutError
            chunk = os.read(fd, max(65536, need - len(self.buffer)))
            if not chunk:
                raise EOFError("the worker stopped")
            self.buffer += chunk


class ProbePool:
    """Run `osint.imagery.probe.probe` over files in worker processes. Use as a context manager."""

    def __init__(
        self,
        jobs: int | None = None,
        *,
        time_limit: float = DEFAULT_TIME_LIMIT,
        memory_limit: int = DEFAULT_MEMORY,
        command: list[str] | None = None,
    ):
        self.jobs = max(1, jobs or default_jobs())
        self.time_limit = time_limit
        self.command = command or [
            sys.executable,
            "-m",
            "osint.imagery.worker",
            str(memory_limit),
        ]
        self.memory_limit = memory_limit
        self._tasks: queue.Queue = queue.Queue()
        self._results: queue.Queue = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._workers: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    # ---- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> ProbePool:
        return self

    def __exit__(self, *exc) -> None:
        self.close(kill=exc[0] is not None)

    def close(self, kill: bool = False) -> None:
        if self._closed:
            return
        self._closed = True
        # Files not yet started are dropped, so that stopping early does not start new workers.
        while True:
            try:
                self._tasks.get_nowait()
            except queue.Empty:
                break
        for _ in self._threads:
            self._tasks.put(None)
        if kill:
            with self._lock:
                for worker in list(self._workers):
                    worker.kill()
        for thread in self._threads:
            thread.join(timeout=self.time_limit + 10)
        with self._lock:
            for worker in list(self._workers):
                worker.kill()

    def _start(self) -> None:
        while len(self._threads) < self.jobs:
            thread = threading.Thread(target=self._drive, daemon=True)
            thread.start()
            self._threads.append(thread)

    def _spawn(self) -> _Worker:
        worker = _Worker(self.command)
        with self._lock:
            self._workers.add(worker)
        return worker

    def _retire(self, worker: _Worker | None, kill: bool) -> None:
        if worker is None:
            return
        worker.kill() if kill else worker.close()
        with self._lock:
            self._workers.discard(worker)

    # ---- the work --------------------------------------------------------------------------

    def limit_for(self, task: Task) -> float:
        return self.time_limit + task.size / BYTES_PER_EXTRA_SECOND

    def _attempt(self, worker: _Worker | None, request: dict, limit: float):
        """(worker to keep or None, header, payload)."""
        if worker is None:
            worker = self._spawn()
        try:
            header, payload = worker.ask(request, time.monotonic() + limit)
            return worker, header, payload
        except TimeoutError:
            self._retire(worker, kill=True)
            return None, {"failed": f"stopped after {limit:.0f} s (time limit)"}, b""
        except (EOFError, BrokenPipeError, OSError, ValueError):
            self._retire(worker, kill=True)
            code = worker.proc.returncode
            if code is not None and code < 0:
                try:
                    name = signal.Signals(-code).name
                except ValueError:
                    name = str(-code)
                why = f"the decoder crashed ({name})"
            else:
                why = "the decoder crashed or ran out of its memory allowance"
            return None, {"failed": why}, b""

    def _drive(self) -> None:
        worker: _Worker | None = None
        try:
            while True:
                task = self._tasks.get()
                if task is None:
                    return
                limit = self.limit_for(task)
                request = {"path": task.path, "exif_seconds": min(5.0, limit * 0.4), **task.options}
                worker, header, payload = self._attempt(worker, request, limit)
                if "failed" in header and request.get("decode", True):
                    # Try once more without decoding pixels: the hash and EXIF may still come.
                    first = header["failed"]
                    worker, header, payload = self._attempt(
                        worker, {**request, "decode": False}, limit
                    )
                    if "failed" in header:
                        header = {"failed": first, "retry_failed": header["failed"]}
                    else:
                        header.setdefault("warnings", []).insert(0, f"pixels not decoded: {first}")
                self._results.put((task, header, payload))
        finally:
            self._retire(worker, kill=False)

    def run(self, tasks: Iterable[Task]) -> Iterator[tuple[Task, dict, bytes]]:
        """(task, answer header, thumbnail bytes) for every task, in completion order."""
        self._start()
        in_flight = 0
        window = self.jobs * 2
        for task in tasks:
            while in_flight >= window:
                yield self._results.get()
                in_flight -= 1
            self._tasks.put(task)
            in_flight += 1
        while in_flight:
            yield self._results.get()
            in_flight -= 1
