"""The member-reports bench part with a tiny merchant (tests/bench_support/member_reports.py):
it seeds, writes a purchase history, runs each report and checks member_rfm's spend total
against a plain SUM. No timed assertion."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def test_member_reports_bench_runs_and_its_spend_total_is_exact(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPOSITORY), os.environ.get("PYTHONPATH", "")]).strip(os.pathsep)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "tests.bench_support.member_reports",
                           "--members", "300", "--repeats", "1", "--json", "--dir", str(tmp_path)],
                          cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["member_rfm_spend_ok"] is True
    assert 0 < figures["member_rfm_rows"] <= 300 and figures["history_checkouts"] > 0
    for report_id in ("member_rfm", "member_growth", "tier_advice", "tier_distribution"):
        assert figures[f"{report_id}_ms"] > 0, report_id
    assert figures["member_growth_rows"] in (12, 13)  # a year of months, the current one included
