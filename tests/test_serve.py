"""`osint serve`: the case in Datasette, read-only, on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import re
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


@contextlib.contextmanager
def serving(case_path, first_path: str):
    """`osint serve` on a free port, waited for until `first_path` answers; yields (base URL,
    the first answer's body). Stopped at the end, and checked that nothing is left listening."""
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
                with urllib.request.urlopen(base + first_path, timeout=2) as response:
                    first = response.read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise AssertionError(
                        process.stderr.read().decode() if process.poll() is not None else "timeout"
                    ) from None
                time.sleep(0.2)
        yield base, first
    finally:
        process.terminate()
        process.wait(timeout=15)
    # Stopping osint stops Datasette with it: nothing is left serving the case.
    assert not _still_listening(port)


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
    with serving(case_path, "/case/sources.json?_shape=array") as (base, first):
        rows = json.loads(first)
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
    assert json.loads(cli("--json", "verify").stdout)["ok"] is True


def _still_listening(port: int, wait: float = 5.0) -> bool:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                pass
        except OSError:
            return False
        time.sleep(0.2)
    return True


def _get(url: str) -> tuple[bytes, str]:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read(), response.headers.get("content-type", "")


def test_serve_home_links_what_people_read_first_and_images_show_as_thumbnails(
    cli, case_path, tmp_path
):
    from PIL import Image

    picture = tmp_path / "tanker.png"
    Image.new("RGB", (400, 300), (20, 60, 120)).save(picture)
    image = cli.json("image", "add", str(picture))
    cli("finding", "add", "Tanker <b>[name withheld]</b> at berth 2")
    with serving(case_path, "/") as (base, home):
        home_text = home.decode()
        first = [home_text.find(f'/case/{t}"') for t in ("findings", "sources", "quotes")]
        assert all(i > 0 for i in first) and first == sorted(first)
        page, _ = _get(f"{base}/case/images")
        assert "/-/osint/osint.css" in page.decode()
        thumb = re.search(r'src="(/-/osint/thumbnail/[0-9a-f]{64})"', page.decode())
        assert thumb, page.decode()[:2000]
        body, kind = _get(base + thumb.group(1))
        assert kind.startswith("image/") and len(body) > 100
        # Only thumbnails are served, never an original by its hash.
        with pytest.raises(urllib.error.HTTPError):
            _get(f"{base}/-/osint/thumbnail/{image['sha256']}")
        css, _ = _get(f"{base}/-/osint/osint.css")
        assert b"white-space: nowrap" in css
        findings, _ = _get(f"{base}/case/findings")
        assert "&lt;b&gt;[name withheld]&lt;/b&gt;" in findings.decode()


def test_serve_without_datasette_says_so_before_serving(cli, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "datasette" else real(name, *a),
    )
    result = cli("serve", expect=1)
    assert "pip install 'osint[serve]'" in result.stderr and "Serving" not in result.stderr
