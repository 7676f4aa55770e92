"""`osint serve`: the case in Datasette, read-only, on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

pytest.importorskip("datasette")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_serve_shows_tables_as_json_with_generated_metadata(cli, case_path, article):
    source = cli.json(
        "source",
        "add",
        "https://example.org/a",
        "--title",
        "Oil report",
        "--snapshot",
        str(article),
    )
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "osint", "--case", str(case_path), "serve", "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(
                    f"{base}/case/sources.json?_shape=array", timeout=2
                ) as response:
                    rows = json.load(response)
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError(
                        process.stderr.read().decode() if process.poll() is not None else "timeout"
                    ) from None
                time.sleep(0.2)
        assert [r["id"] for r in rows] == [source["id"]]
        with urllib.request.urlopen(f"{base}/-/metadata.json", timeout=5) as response:
            meta = json.load(response)
        assert meta["title"].startswith("osint: Test case")
        tables = meta["databases"]["case"]["tables"]
        assert tables["blob_chunks"]["hidden"] is True
        assert "Admiralty" in tables["sources"]["columns"]["grade"]
        # Read-only: Datasette refuses writes through SQL.
        request = urllib.request.Request(f"{base}/case.json?sql=DELETE+FROM+sources", method="GET")
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert json.loads(cli("--json", "verify").stdout)["ok"] is True
