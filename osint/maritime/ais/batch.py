"""`osint ais import` over many files: folders and globs, every core or a Dask cluster, one writer.

Each file is scanned where it is read (a process of this machine, or a Dask worker): decompressed,
hashed, parsed, checked, filtered and deduplicated within the file by the same loop as a
single-file import (stream._scan), its kept rows packed as the rows' digest packs them (eight
doubles) into a spool. Only kept rows travel back. The one writer (this process) then imports
each file in its own transaction, in the order given, with the file's own import record (hash,
counts, invalid lines): a file lands whole or not at all.

A file already imported with the same filters (same SHA-256, same --bbox/--near/--from/--to/
--mmsi) is skipped before it is scanned, so a scan killed halfway is resumed by running the same
command again.
"""

from __future__ import annotations

import copy
import glob
import io
import json
import os
import re
import struct
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from osint.errors import InvalidInput
from osint.maritime.ais import readers, store
from osint.maritime.ais.filters import Filters, ImportOptions
from osint.maritime.ais.stream import DbSink, Intake, _scan

# Files a folder is searched for (what providers serve, plain or compressed).
DATA_SUFFIXES = (".csv", ".txt", ".nmea", ".log", ".ais", ".tsv", ".dat")
COMPRESSED_SUFFIXES = (".zip", ".gz", ".zst", ".bz2", ".xz")
_ROW = struct.Struct(f"<{len(store.ROW_COLUMNS)}d")


_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")


def is_url(text: str) -> bool:
    """An fsspec URL (s3://, gs://, https://, memory://...) rather than a path."""
    return bool(_URL.match(str(text)))


def expand(arguments) -> list:
    """Files named by FILE / FOLDER / GLOB arguments (and fsspec URLs, globs of them too), in
    order, each once: Paths, and URLs as text."""
    out: list = []
    seen: set = set()

    def add(path) -> None:
        key = path if isinstance(path, str) else path.resolve()
        if key not in seen:
            seen.add(key)
            out.append(path)

    for argument in arguments:
        text = str(argument)
        path = Path(text)
        if is_url(text):
            if any(c in text for c in "*?["):
                for url in _url_glob(text):
                    add(url)
            else:
                add(text)
        elif path.is_dir():
            found = sorted(
                p
                for p in path.rglob("*")
                if p.is_file()
                and not any(part.startswith(".") for part in p.relative_to(path).parts)
                and _is_data(p.name)
            )
            if not found:
                raise InvalidInput(f"{path}: the folder holds no AIS files")
            for p in found:
                add(p)
        elif path.is_file():
            add(path)
        elif any(c in text for c in "*?["):
            matched = sorted(Path(p) for p in glob.glob(text, recursive=True) if Path(p).is_file())
            if not matched:
                raise InvalidInput(f"{text}: no file matches")
            for p in matched:
                add(p)
        else:
            raise InvalidInput(f"{path}: no such file")
    return out


def _url_glob(pattern: str) -> list[str]:
    try:
        from fsspec.core import url_to_fs
    except ImportError:
        raise InvalidInput(
            f"{pattern}: reading URLs needs fsspec (pip install 'osint[dask]')"
        ) from None
    try:
        fs, path = url_to_fs(pattern)
        found = sorted(fs.glob(path))
    except (OSError, ValueError, ImportError) as exc:
        raise InvalidInput(f"{pattern}: cannot list ({exc})") from None
    if not found:
        raise InvalidInput(f"{pattern}: no file matches")
    return [fs.unstrip_protocol(p) for p in found]


def _fetched(url: str, folder: str | None) -> str:
    """An fsspec URL copied (streamed) into a local temporary file; returns its path."""
    import shutil

    try:
        import fsspec
    except ImportError:
        raise InvalidInput(
            f"{url}: reading URLs needs fsspec (pip install 'osint[dask]')"
        ) from None
    handle, local = tempfile.mkstemp(suffix=".ais", dir=folder)
    try:
        with os.fdopen(handle, "wb") as out, fsspec.open(url, "rb") as source:
            shutil.copyfileobj(source, out, 1 << 20)
    except (OSError, ValueError, ImportError) as exc:
        Path(local).unlink(missing_ok=True)
        raise InvalidInput(f"{url}: cannot read ({exc})") from None
    return local


def _is_data(name: str) -> bool:
    lower = name.lower()
    for suffix in COMPRESSED_SUFFIXES:
        if lower.endswith(suffix):
            return True
    return lower.endswith(DATA_SUFFIXES)


def filters_key(filters: Filters) -> str:
    """The filters as the import record stores them (what a resumed scan must match)."""
    return json.dumps(dict(filters.description), ensure_ascii=False) if filters.description else ""


@dataclass
class Scanned:
    """One file scanned away from the case: what the writer needs to import it."""

    path: str
    sha256: str = ""
    size: int = 0
    layout: str = ""
    column_map: dict = field(default_factory=dict)
    warnings: list = field(default_factory=list)
    intake: Intake | None = None
    counts: Counter = field(default_factory=Counter)
    removed: Counter = field(default_factory=Counter)
    spool: str | None = None  # a file of packed rows (processes of this machine)
    rows: bytes | None = None  # the packed rows themselves (a Dask worker's result)
    kept: int = 0
    error: str | None = None
    skipped: bool = False
    seconds: float = 0.0


class SpoolSink:
    """Kept rows packed (8 doubles each) into a file, or into memory when `path` is None."""

    def __init__(self, path: str | None):
        self.path = path
        self.handle = open(path, "wb") if path else None  # noqa: SIM115 - closed by close()
        self.parts: list[bytes] = []
        self.kept = 0

    def write(self, chunk: list) -> int:
        pack = _ROW.pack
        data = b"".join([pack(*row) for row in chunk])
        if self.handle is not None:
            self.handle.write(data)
        else:
            self.parts.append(data)
        self.kept += len(chunk)
        return len(chunk)  # the case is not here: every row is offered to it later

    def close(self) -> bytes | None:
        if self.handle is not None:
            self.handle.close()
            return None
        return b"".join(self.parts)


def scan_file(
    path: str,
    filters: Filters,
    options: ImportOptions,
    known: dict[str, str],
    spool_dir: str | None,
    vectorised: bool,
    queue=None,
) -> Scanned:
    """Scan one file (in a worker): skipped when `known` holds its SHA-256, else its kept rows
    spooled (to `spool_dir`, or returned in memory when it is None). `queue.put(("bytes", path,
    position, size))` hears how far the file has been read, a few times a second."""
    from osint.case.store.blobs import sha256_file

    started = time.perf_counter()
    if is_url(path):  # read where the worker is, from a local copy
        try:
            local = _fetched(path, spool_dir)
        except InvalidInput as exc:
            return Scanned(path=str(path), error=str(exc))
        try:
            result = scan_file(local, filters, options, known, spool_dir, vectorised, queue)
        finally:
            Path(local).unlink(missing_ok=True)
        result.path = str(path)
        if result.error:
            result.error = result.error.replace(local, str(path))
        return result
    result = Scanned(path=str(path))
    if known:  # a pass of hashing first, to read no further than that if it was imported
        try:
            sha256, size = sha256_file(Path(path))
        except OSError as exc:
            result.error = f"{path}: cannot read ({exc.strerror or exc})"
            return result
        if sha256 in known:
            result.sha256, result.size, result.skipped = sha256, size, True
            return result
    filters = copy.copy(filters)
    filters.removed = Counter()
    intake = Intake()
    sink = None
    queue = queue if queue is not None else _QUEUE
    try:
        from osint.maritime.ais.importer import open_reader

        opened, reader = open_reader(path, options, filters, vectorised)
        total = Path(path).stat().st_size
        watched = _watch(opened, path, total, queue) if queue is not None else None
        try:
            spool = None
            if spool_dir is not None:
                handle, spool = tempfile.mkstemp(suffix=".rows", dir=spool_dir)
                os.close(handle)
            sink = SpoolSink(spool)
            counts = _scan(reader, filters, intake, sink)
            rows = sink.close()
            result.sha256, result.size = opened.finish()
            result.layout = reader.layout.name + (
                f" ({opened.compression})" if opened.compression != "none" else ""
            )
            result.column_map = reader.column_map()
            result.warnings = list(getattr(reader, "warnings", []))
        finally:
            if watched is not None:
                watched()
            opened.close()
    except InvalidInput as exc:
        result.error = str(exc)
        _drop(sink)
        return result
    except readers.DECODE_ERRORS as exc:
        result.error = readers.damaged_message(opened, exc)
        _drop(sink)
        return result
    result.intake, result.counts, result.removed = intake, counts, filters.removed
    result.spool, result.rows, result.kept = spool, rows, sink.kept
    result.seconds = time.perf_counter() - started
    return result


def _watch(opened, path: str, size: int, queue):
    """A thread telling `queue` how far `opened` has been read; returns `done()`, which stops it
    and tells the queue the file was read to its end."""
    import threading

    stop = threading.Event()
    queue.put(("bytes", path, 0, size))

    def poll() -> None:
        while not stop.wait(0.25):
            try:
                queue.put(("bytes", path, opened.position(), size))
            except (OSError, ValueError, EOFError, BrokenPipeError):
                return

    thread = threading.Thread(target=poll, name="osint-ais-progress", daemon=True)
    thread.start()

    def done() -> None:
        stop.set()
        thread.join()
        queue.put(("bytes", path, size, size))

    return done


def _drop(sink: SpoolSink | None) -> None:
    if sink is not None:
        sink.close()
        if sink.path:
            Path(sink.path).unlink(missing_ok=True)


def _chunks(scanned: Scanned, size: int = 20_000):
    """The spooled rows back as the tuples the loop made (ints where it had ints)."""
    width = _ROW.size
    handle = open(scanned.spool, "rb") if scanned.spool else io.BytesIO(scanned.rows or b"")  # noqa: SIM115
    try:
        while True:
            data = handle.read(width * size)
            if not data:
                return
            yield [
                (int(m), int(e), lat, lon, sog, cog,
                 int(h) if h == h else h, int(s) if s == s else s)
                for m, e, lat, lon, sog, cog, h, s in _ROW.iter_unpack(data)
            ]  # fmt: skip
    finally:
        handle.close()


def import_scanned(case, scanned: Scanned, options: ImportOptions, filters: Filters) -> dict:
    """The writer's half: one scanned file into the case, in one transaction."""
    from osint.maritime.ais import importer

    filters = copy.copy(filters)
    filters.removed = scanned.removed
    counts = Counter(scanned.counts)

    def feed(conn, batch, digest):
        sink = DbSink(conn, batch, digest)
        for chunk in _chunks(scanned):
            sink.write(chunk)
        counts["offered"] = sink.offered
        return counts

    return importer._record(
        case,
        Path(scanned.path),
        options,
        filters,
        scanned.intake,
        feed,
        lambda: (scanned.sha256, scanned.size),
        scanned.layout,
        scanned.column_map,
        list(scanned.warnings),
    )


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1)


def import_paths(
    case,
    arguments,
    options: ImportOptions | None = None,
    *,
    workers: int | None = None,
    dask: str | None = None,
    progress=None,
) -> dict:
    """Import every AIS file the arguments name; returns {"imported", "skipped", "rejected"}.

    `workers`: processes scanning files (default: every core); `dask`: the address of a Dask
    scheduler whose workers scan instead (they must reach the same paths). `progress(event,
    **info)` hears "start" (files), "file" (one file done, imported, skipped or rejected).
    """
    options = options or ImportOptions()
    files = expand(arguments)
    if options.keep_file and any(isinstance(f, str) for f in files):
        raise InvalidInput("--keep-file: the files must be on this machine, not URLs")
    filters = Filters(case.conn, options)
    key = filters_key(filters)
    known = {
        row["sha256"]: row["id"]
        for row in case.conn.execute(
            "SELECT id, sha256, filters FROM ais_imports WHERE retracted_at IS NULL"
        )
        if _same_filters(row["filters"], key)
    }
    from osint.maritime.ais.importer import use_vectorised

    vectorised = use_vectorised(options)
    watch, options.watch = options.watch, None
    workers = workers or default_workers()
    out: dict = {"imported": [], "skipped": [], "rejected": []}
    started = time.perf_counter()
    if progress:
        progress("start", files=len(files), workers=workers if not dask else None, dask=dask)
    done = {"rows": 0, "kept": 0}

    def handle(scanned: Scanned) -> None:
        try:
            if scanned.skipped:
                out["skipped"].append(
                    {
                        "file": scanned.path,
                        "sha256": scanned.sha256,
                        "import": known[scanned.sha256],
                    }
                )
                status = "skipped"
            elif scanned.error:
                out["rejected"].append({"file": scanned.path, "reason": scanned.error})
                status = "rejected"
            else:
                try:
                    summary = import_scanned(case, scanned, options, filters)
                except InvalidInput as exc:
                    out["rejected"].append({"file": scanned.path, "reason": str(exc)})
                    status = "rejected"
                else:
                    summary["file"] = scanned.path
                    out["imported"].append(summary)
                    done["rows"] += summary["import"]["rows_read"]
                    done["kept"] += summary["import"]["rows_kept"]
                    status = "imported"
        finally:
            if scanned.spool:
                Path(scanned.spool).unlink(missing_ok=True)
        if progress:
            progress(
                "file",
                file=scanned.path,
                status=status,
                done=sum(len(v) for v in out.values()),
                files=len(files),
                rows=done["rows"],
                kept=done["kept"],
                seconds=time.perf_counter() - started,
            )

    try:
        if dask:
            _run_dask(dask, files, filters, options, known, vectorised, handle)
        else:
            with tempfile.TemporaryDirectory(prefix="osint-ais-") as spool_dir:
                _run_local(
                    files, filters, options, known, vectorised, workers, spool_dir, handle, progress
                )
    finally:
        options.watch = watch
    return out


def _same_filters(stored: str | None, key: str) -> bool:
    """Whether an import record's filters are the ones asked for (removed counts aside)."""
    held = json.loads(stored) if stored else {}
    held.pop("removed", None)
    wanted = json.loads(key) if key else {}
    return held == wanted


def _run_local(files, filters, options, known, vectorised, workers, spool_dir, handle, progress):
    if workers <= 1 or len(files) <= 1:
        queue = _Direct(progress) if progress else None
        for path in files:
            handle(scan_file(str(path), filters, options, known, spool_dir, vectorised, queue))
        return
    import multiprocessing
    import threading
    from concurrent.futures import ProcessPoolExecutor

    context = multiprocessing.get_context("spawn")
    # Progress comes back on a queue each worker is given when it starts (no manager process
    # that could outlive a killed import).
    queue = context.Queue() if progress else None
    drained = threading.Event()

    def drain() -> None:
        while not drained.is_set():
            try:
                event, path, position, size = queue.get(timeout=0.25)
            except Exception:  # queue.Empty, or the queue was closed
                continue
            progress(event, file=path, position=position, total=size)

    if queue is not None:
        threading.Thread(target=drain, name="osint-ais-progress", daemon=True).start()
    try:
        with ProcessPoolExecutor(
            max_workers=min(workers, len(files)),
            mp_context=context,
            initializer=_worker_setup,
            initargs=(queue, os.getpid()),
        ) as pool:
            # Files are written in the order given while the next ones scan; at most 2 per
            # worker are ahead of the writer, so their spooled rows never pile up on disk.
            from collections import deque

            pending: deque = deque()
            queued = iter(files)

            def submit() -> None:
                for path in queued:
                    pending.append(
                        pool.submit(
                            scan_file, str(path), filters, options, known, spool_dir, vectorised
                        )
                    )
                    return

            for _ in range(2 * workers):
                submit()
            try:
                while pending:
                    result = pending.popleft().result()
                    submit()
                    handle(result)
            except BaseException:
                for future in pending:
                    future.cancel()
                raise
    finally:
        drained.set()
        if queue is not None:
            import queue as queues

            try:  # what the workers said last
                while True:
                    event, path, position, size = queue.get(timeout=0.05)
                    progress(event, file=path, position=position, total=size)
            except (queues.Empty, OSError, ValueError, EOFError):
                pass
            queue.close()


_QUEUE = None  # a worker process's progress queue (given by _worker_setup)


def _worker_setup(queue=None, parent: int | None = None) -> None:
    """In a worker process: one thread per file (the processes share the cores), and an end to
    the work when the importing process is gone (killed: nobody will read what it scans)."""
    import threading

    from osint.maritime.ais import vector

    global _QUEUE
    _QUEUE = queue
    vector.PREFETCH = False
    # The importing process's pid as it gave it: asked here, getppid() would already be 1 (or a
    # subreaper) if that process was killed while this one started, and the worker would stay.
    parent = parent if parent is not None else os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="osint-ais-parent", daemon=True).start()


class _Direct:
    """The progress queue of a scan in this process: events go straight to the callback."""

    def __init__(self, progress):
        self.progress = progress

    def put(self, item) -> None:
        event, path, position, size = item
        self.progress(event, file=path, position=position, total=size)


def _run_dask(address, files, filters, options, known, vectorised, handle) -> None:
    try:
        from distributed import Client
    except ImportError:
        raise InvalidInput("--dask needs dask.distributed: pip install 'osint[dask]'") from None
    try:
        client = Client(address, timeout="10s")
    except (OSError, TimeoutError) as exc:
        raise InvalidInput(f"--dask {address}: cannot reach the scheduler ({exc})") from None
    try:
        from collections import deque

        # Kept rows wait in the workers' memory until written: at most 2 files per thread ahead.
        ahead = 2 * max(1, sum(client.nthreads().values()))
        pending: deque = deque()
        queued = iter(files)

        def submit() -> None:
            for p in queued:
                pending.append(
                    client.submit(
                        scan_file,
                        p if isinstance(p, str) else str(p.resolve()),
                        filters,
                        options,
                        known,
                        None,
                        vectorised,
                        pure=False,
                    )
                )
                return

        for _ in range(ahead):
            submit()
        while pending:
            future = pending.popleft()
            result = future.result()
            future.release()
            submit()
            handle(result)
    finally:
        client.close()
