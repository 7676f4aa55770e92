"""The maritime demo step builds the Vostochny example: 43 visits and the estimate as a finding."""

from __future__ import annotations

from osint.case.verify import verify
from osint.demo import maritime


def test_demo_step_builds_the_tanker_case(case, tmp_path):
    summary = maritime.build(case, tmp_path / "demo")
    assert summary["visits"] == 43
    assert summary["vessels"] >= 13
    assert summary["without_capacity"] == ["UNRYUL 9"]
    assert summary["barrels"] > 1.5 * maritime.UN_CAP_BBL  # about twice the cap in 8 months
    finding = case.conn.execute("SELECT text FROM findings WHERE id = ?", (summary["finding"],))
    text = finding.fetchone()[0]
    assert text.startswith("ILLUSTRATIVE") and "43 tanker visits" in text
    for row in case.conn.execute("SELECT imo, note FROM vessels"):
        assert row["note"].startswith("ILLUSTRATIVE")
        assert row["imo"].startswith("1")
    assert (tmp_path / "demo" / "vostochny.geojson").exists()
    assert (tmp_path / "demo" / "visits.csv").exists()
    assert verify(case.conn)["ok"]
