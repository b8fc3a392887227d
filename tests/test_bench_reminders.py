"""The reminder-scan bench part with a tiny merchant (tests/bench_support/reminder_scan.py): it
seeds every kind's data, scans each kind and checks the birthday scan against converting
every member's birthday. No timed assertion."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]


def test_reminder_bench_scans_every_kind_and_the_birthday_scan_is_exact(tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(REPOSITORY), os.environ.get("PYTHONPATH", "")]).strip(os.pathsep)}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-m", "tests.bench_support.reminder_scan",
                           "--members", "2000", "--repeats", "1", "--json", "--dir", str(tmp_path)],
                          cwd=REPOSITORY, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["birthday_exact"] is True
    for kind in ("birthday", "anniversary", "dormant", "low_balance", "points_expiry", "package_expiry",
                 "voucher_expiry", "purchase_cycle"):
        assert figures[f"{kind}_s"] >= 0 and f"{kind}_reminders" in figures, kind
    assert figures["low_balance_reminders"] > 0 and figures["points_expiry_reminders"] > 0
