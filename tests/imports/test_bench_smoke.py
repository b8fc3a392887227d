"""The import bench runs (a smoke run: 300 rows on SQLite) and its JSON names every step."""
from __future__ import annotations

import json


def test_bench_import_smoke(capsys):
    from tests import bench_import

    assert bench_import.main(["--rows", "300", "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["pass"] is True
    assert {r["step"] for r in result["results"]} == {
        "members csv (dry run)", "members csv", "members xlsx (dry run)", "stored value csv (dry run)",
        "stored value csv", "points csv", "ledger.verify"}
    assert all(r["ok"] for r in result["results"])
