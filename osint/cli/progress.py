"""Progress for long work, on stderr and only when stderr is a terminal (never with --json).

`working(env, "Verifying")` shows a spinner with the elapsed time while a block runs;
`file_progress(env, label, path)` shows a bar of the bytes read from a file (for a compressed
file, its compressed bytes: the only honest total), fed by a callable polled on a thread.
rich is imported only when a bar is actually shown.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator

from osint.cli import render


def _enabled(env) -> bool:
    return env.stderr_interactive


def _console(env):
    from rich.console import Console

    return Console(file=env.stderr, markup=False, emoji=False, highlight=False)


@contextlib.contextmanager
def working(env, label: str) -> Iterator[None]:
    """A spinner and the elapsed time beside `label` while the block runs (terminal only)."""
    if not _enabled(env):
        yield
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    progress = Progress(
        SpinnerColumn(),
        TextColumn(render.safe_text(label), markup=False),
        TimeElapsedColumn(),
        console=_console(env),
        transient=True,
        # What the command prints meanwhile goes above the spinner; stdout only when it is the
        # same terminal (piped data never passes through the display).
        redirect_stdout=env.interactive,
        redirect_stderr=True,
    )
    progress.add_task(label, total=None)
    with progress:
        yield


@contextlib.contextmanager
def file_progress(env, label: str, total: int) -> Iterator[Callable[[Callable[[], int]], None]]:
    """A bar of bytes read out of `total`; call the yielded `watch(position)` once the file is
    open, with a function giving how far it has been read. Polled a few times a second."""
    if not _enabled(env) or total <= 0:
        yield lambda position: None
        return
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    progress = Progress(
        TextColumn(render.safe_text(label), markup=False),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=_console(env),
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    task = progress.add_task(label, total=total)
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def watch(position: Callable[[], int]) -> None:
        def poll() -> None:
            while not stop.wait(0.2):
                try:
                    progress.update(task, completed=min(position(), total))
                except (OSError, ValueError):  # the file was closed: the reading is over
                    return

        thread = threading.Thread(target=poll, name="osint-progress", daemon=True)
        threads.append(thread)
        thread.start()

    try:
        with progress:
            yield watch
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=1)


@contextlib.contextmanager
def batch_progress(env) -> Iterator[Callable[..., None] | None]:
    """Many files at once (`ais import DIR`): a bar per file being read (bytes) and one overall
    (files done, rows read per second, rows kept). Yields `progress(event, **info)`, the
    library's callback: "start" (files), "bytes" (file, position, total), "file" (one done);
    None when there is nothing to show (not a terminal, or --json)."""
    if not _enabled(env):
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn

    from osint.formats import size as size_text

    progress = Progress(
        TextColumn("{task.description}", markup=False),
        BarColumn(),
        TextColumn("{task.fields[status]}", markup=False),
        console=_console(env),
        transient=True,
        redirect_stdout=False,
        redirect_stderr=False,
    )
    overall = progress.add_task("AIS files", total=None, status="")
    bars: dict = {}
    finished: set = set()
    lock = threading.Lock()

    def update(event: str, **info) -> None:
        from pathlib import Path

        with lock:
            if event == "start":
                progress.update(
                    overall, description=f"AIS 0/{info['files']} files", total=info["files"]
                )
            elif event == "bytes":
                if info["file"] in finished:  # a late report of a file already written
                    return
                task = bars.get(info["file"])
                if task is None:
                    name = render.safe_text(Path(info["file"]).name)
                    task = bars[info["file"]] = progress.add_task(
                        f"  {name}", total=info["total"] or None, status=""
                    )
                progress.update(
                    task,
                    completed=info["position"],
                    status=f"{size_text(info['position'])} of {size_text(info['total'])}",
                )
            elif event == "file":
                finished.add(info["file"])
                task = bars.pop(info["file"], None)
                if task is not None:
                    progress.remove_task(task)
                rate = info["rows"] / info["seconds"] if info["seconds"] else 0.0
                progress.update(
                    overall,
                    description=f"AIS {info['done']}/{info['files']} files",
                    completed=info["done"],
                    status=f"{rate:,.0f} rows/s, {info['kept']:,} kept",
                )

    with progress:
        yield update
