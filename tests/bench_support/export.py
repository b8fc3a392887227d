"""G4: a million-row Excel export in constant memory (< 200 MB RSS).

Runs in a fresh interpreter so its peak RSS is the export's own: ``rows`` synthetic rows of a
report shaped like a detail report (text, dates, money, counts, a rate) stream through
webui.reporting.files.write_xlsx, as an export request does. Prints one JSON line.
``python -m tests.bench_support.export --rows 1000000``
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta


def _child(rows: int) -> dict:
    from core.reports import Report, count, date_column, money, permille, text
    from webui.reporting.files import write_xlsx

    columns = [date_column("day", "日期", "Day"), text("card", "卡号", "Card"),
               text("member", "会员", "Member"), text("kind", "类型", "Kind"),
               money("amount_fen", "金额", "Amount"), money("balance_fen", "余额", "Balance", total=False),
               count("points", "积分", "Points"), permille("rate_permille", "折扣", "Rate", total=False)]
    start = date(2026, 1, 1)

    def generated(_session, _query):
        for number in range(rows):
            yield {"day": start + timedelta(days=number % 365), "card": f"8{number:015d}",
                   "member": f"会员{number % 9973}", "kind": ("消费", "充值", "退货")[number % 3],
                   "amount_fen": (number * 7919) % 1_000_000 - 20_000, "balance_fen": number % 500_000,
                   "points": number % 977, "rate_permille": 800 + number % 200}

    report = Report("export_bench", {"zh-CN": "导出压测", "en": "Export bench"}, columns, generated)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    started = time.process_time()
    wall = time.perf_counter()
    written = write_xlsx(path, report, generated(None, None), lang="zh-CN", info=[("报表", "导出压测")])
    cpu = time.process_time() - started
    wall = time.perf_counter() - wall
    size = os.path.getsize(path)
    os.unlink(path)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"export_rows": written, "export_seconds": round(wall, 2), "export_cpu_s": round(cpu, 2),
            "export_file_mb": round(size / 1e6, 1), "export_peak_rss_mb": round(peak_kb / 1024, 1)}


def measure(rows: int) -> dict:
    """The export's figures, measured in a child interpreter."""
    output = subprocess.run([sys.executable, "-m", "tests.bench_support.export", "--child", "--rows", str(rows)],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_support.export")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    print(json.dumps(_child(args.rows) if args.child else measure(args.rows)))


if __name__ == "__main__":
    main()
