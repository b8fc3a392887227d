"""The bench's JSON path with tiny settings (tests/bench.py, docs/benchmarks.md).

Run as a subprocess: the bench installs its throwaway card_debit plugin into the process that
runs it. No timed assertion: the figures are only checked to exist and be sane.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench_support import report, rowset

REPOSITORY = Path(__file__).resolve().parents[1]
TINY = ["--json", "--members", "200", "--seconds", "0.3", "--skip-http", "--skip-lookup"]


def run_bench(tmp_path: Path, *extra: str) -> tuple[dict, str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPOSITORY), os.environ.get("PYTHONPATH", "")]).strip(os.pathsep)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "tests.bench", *TINY, "--dir", str(tmp_path),
                           *extra], cwd=REPOSITORY, env=env, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.strip().splitlines()
    return json.loads(lines[-1]), done.stdout


def test_bench_json_has_every_figure_and_the_row_sets_match(tmp_path):
    figures, output = run_bench(tmp_path)

    assert list(figures) == list(report.KEYS)
    assert figures["rowset_ok"] is True and figures["rowset_mismatches"] == []
    assert "ROW SET MISMATCH" not in output
    assert figures["ledger_ok"] is True
    assert figures["sqlite_sync"] == "after_commit"  # which way the p99 goal's commits were synced
    for key in ("raw_full_cpu_ms", "raw_minimal_cpu_ms", "inprocess_cpu_ms", "fsync_per_s"):
        assert figures[key] > 0, key
    assert figures["inprocess_ratio"] == pytest.approx(
        figures["inprocess_cpu_ms"] / figures["raw_full_cpu_ms"], rel=0.01)
    # Raw full writes more than raw minimal; Huika sends at least BEGIN, the writes and COMMIT.
    assert figures["raw_full_statements_per_checkout"] > 7
    assert figures["statements_per_checkout"] >= 10
    # Skipped parts are null, and their goals are not judged.
    assert figures["http_ok_per_s"] is None and figures["lookup_ok_per_s"] is None
    assert figures["pg_raw_ok_per_s"] is None
    assert figures["goals"]["http_p99"] is None and figures["goals"]["postgres"] is None
    assert figures["goals"]["inprocess_cpu"] in ("PASS", "MISS")
    goal_lines = [line for line in output.splitlines() if line.startswith("GOAL  ")]
    assert len(goal_lines) == len(figures["goals"])


@pytest.mark.soak  # ~20 s: a PostgreSQL database migrated and seeded, three runs
@pytest.mark.postgres
def test_bench_json_postgres_rows(tmp_path, postgres_server):
    _admin, base = postgres_server
    figures, _output = run_bench(tmp_path, "--postgres-url", f"{base}/postgres")

    assert figures["pg_clients"] == 8
    for key in ("pg_raw_ok_per_s", "pg_raw_cpu_ms", "pg_inprocess_ok_per_s",
                "pg_inprocess_cpu_ms", "pg_inprocess_ratio"):
        assert figures[key] > 0, key
    assert figures["pg_http_ok_per_s"] is None  # --skip-http
    assert figures["rowset_ok"] is True and figures["ledger_ok"] is True


def test_row_set_mismatch_names_the_tables():
    huika = {"checkouts": 1, "entries": 4, "lots": 1, "accounts": 2}
    raw = {"checkouts": 1, "entries": 2, "lot_movements": 1}

    assert rowset.mismatches("API", huika, raw) == [
        "API: accounts huika 2, raw 0", "API: entries huika 4, raw 2",
        "API: lot_movements huika 0, raw 1", "API: lots huika 1, raw 0"]
    assert rowset.mismatches("API", huika, dict(huika)) == []
    assert rowset.new_rows({"a": 1, "b": 2}, {"a": 3, "b": 2, "c": 1}) == {"a": 2, "c": 1}


def test_bench_reports_part_folds_and_times_sales_daily(tmp_path):
    # The report part over a small generated ledger: its figures exist and the ledger holds.
    figures, output = run_bench(tmp_path, "--reports", "--report-rows", "5000", "--report-tail", "50")
    assert figures["ledger_ok"] is True and figures["report_entries"] > 4000
    assert figures["sales_daily_ms"] > 0 and figures["sales_daily_tail_cpu_ms"] > 0
    assert "GOAL  sqlite sales_daily for a month" in output
