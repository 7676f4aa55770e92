"""The screening demo step: an illustrative list, a tanker found under its former name."""

from __future__ import annotations

from osint.case.verify import verify
from osint.demo import maritime, screening


def test_demo_finds_the_renamed_tanker_under_its_former_name(case, tmp_path):
    maritime.build(case, tmp_path / "demo")
    summary = screening.build(case, tmp_path / "demo")
    [match] = summary["matches"]
    assert match["name"] == "SONGRIM" and match["listed_name"] == "SONG RIM HO"
    assert match["reason"].startswith("former name SONGRIM HO ~ SONG RIM HO")
    [finding] = summary["findings"]
    text = case.conn.execute("SELECT text FROM findings WHERE id = ?", (finding,)).fetchone()[0]
    assert "ILLUSTRATIVE demo list" in text
    assert verify(case.conn)["ok"]
