"""The demo's imagery step: illustrative pictures at the terminal, one annotated."""

from __future__ import annotations

import pytest

from osint.demo import imagery as demo_imagery


def test_demo_imagery_step(case, tmp_path, cli):
    ids = demo_imagery.build(case, tmp_path / "demo")
    images = cli.json("list", "images")
    assert len(images) == 4
    for image in images:
        assert "llustrative" in image["caption"]
        assert image["lat"] == pytest.approx(42.73, abs=0.01)
        assert image["lon"] == pytest.approx(133.06, abs=0.01)
        assert "2024-03-01" <= image["taken"] <= "2024-10-31"  # within the story's window
        assert image["source"]
    annotated = cli.json("show", ids["annotated"])
    assert annotated["derived_from"] == ids["vostochny-2024-03-23.jpg"]
    assert cli.json("verify")["ok"]
    # Building again changes nothing (the same pictures are already present).
    demo_imagery.build(case, tmp_path / "demo")
    assert len(cli.json("list", "images")) == 4
