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
