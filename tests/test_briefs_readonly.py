"""A brief template cannot touch the case (issue 14): the export renders from a read-only view.

Each test replays an attack a shared template could make and checks the case is unchanged, the
command fails with one line naming the template, and `osint verify` still passes.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

from osint import briefs


def _case_with_sightings(cli):
    cli("vessel", "add", "SONGRIM", "--capacity-bbl", "100000")
    cli("place", "add", "Terminal", "--at", "42.7,133.0", "--radius-m", "2000")
    cli("sighting", "add", "SONGRIM", "--when", "2024-03-09T03:53Z", "--place", "Terminal")
    cli("finding", "add", "The tanker called at the terminal")


def _counts(path) -> dict:
    with sqlite3.connect(path) as conn:
        return {
            table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("findings", "sightings", "audit_log")
        }


ATTACKS = {
    "delete": "{{ sightings.conn.execute('DELETE FROM findings') }}",
    "delete-private": "{{ sightings._conn.execute('DELETE FROM findings') }}",
    "attach": "{{ sightings.conn.execute(\"ATTACH DATABASE '{x}' AS x\") }}",
    "refs": "{% set _ = refs.by_id.clear() %}{{ findings | length }}",
}


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_a_template_cannot_change_the_case(tmp_path, cli, case_path, attack):
    _case_with_sightings(cli)
    before = _counts(case_path)
    template = tmp_path / "evil.html.j2"
    template.write_text(ATTACKS[attack].replace("{x}", str(tmp_path / "x.db")), encoding="utf-8")
    out = tmp_path / "brief.html"
    result = cli("export", "brief", "-o", out, "--template", template, expect=None)
    assert "Traceback" not in result.output
    assert _counts(case_path) == before
    assert not (tmp_path / "x.db").exists()
    assert json.loads(cli("--json", "verify").stdout)["ok"]
    if attack != "refs":
        assert result.exit_code == 1
        assert "evil.html.j2" in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_the_read_only_guard_denies_writes_attach_pragma_and_commit(case):
    with case.reading(), briefs.readonly.read_only(case.conn) as conn:
        assert conn.execute("SELECT count(*) FROM findings").fetchone()[0] == 0
        assert conn.execute("PRAGMA user_version").fetchone() is not None
        conn.execute("PRAGMA table_info(findings)").fetchall()
        for sql in (
            "DELETE FROM findings",
            "INSERT INTO audit_log DEFAULT VALUES",
            "ATTACH DATABASE ':memory:' AS x",
            "PRAGMA user_version = 7",
            "PRAGMA query_only = 0",
            "PRAGMA writable_schema = 1",
            "COMMIT",
            "SAVEPOINT s",
            "CREATE TABLE t (x)",
            "DROP TABLE findings",
        ):
            with pytest.raises(sqlite3.DatabaseError):
                conn.execute(sql)
    # Outside the guard the connection is as it was.
    case.conn.execute("SELECT count(*) FROM findings")


def test_templates_see_no_connection(tmp_path, cli):
    _case_with_sightings(cli)
    template = tmp_path / "peek.md.j2"
    template.write_text(
        "{% for s in sightings %}[{{ s.conn is defined }}]{% endfor %}"
        "{{ sightings.conn is defined }}",
        encoding="utf-8",
    )
    out = tmp_path / "b.md"
    cli("export", "brief", "-o", out, "--template", template)
    assert out.read_text(encoding="utf-8").strip() == "[False]False"
