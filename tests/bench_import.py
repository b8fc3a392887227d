"""Import bench (issue 12, item 9: "100k rows in under 2 minutes").

``python -m tests.bench_import [--rows 100000] [--postgres] [--json] [--quick]``

For each database (SQLite in a temp folder; PostgreSQL with ``--postgres``, a throwaway
server from the system's binaries or ``--postgres-url``): a fresh migrated database, a shop
with stored value and points, and four files of ``--rows`` rows each, posted through the API
(Flask test client: multipart upload, the real handler, one transaction per run):

1. members with their cards, as CSV: dry run, then the real run;
2. the same members as .xlsx (another shop): dry run only (reading .xlsx is the slow part);
3. stored value (principal + bonus) for every card: dry run, real run;
4. points for every card: real run.

Every real run's reconciliation must balance and ``core.ledger.verify`` must hold at the end.
Prints wall seconds and this process's CPU seconds per step (the PostgreSQL server's CPU is
extra), and the goal: each real run of ``--rows`` rows under 120 s.
"""
from __future__ import annotations

import argparse
import io
import json
import platform
import sys
import tempfile
import time
import uuid
from pathlib import Path

GOAL_SECONDS = 120


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m tests.bench_import", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--postgres-url", default=None)
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--skip-xlsx", action="store_true")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true", help="2,000 rows")
    args = parser.parse_args(argv)
    if args.quick:
        args.rows = 2_000
    if args.postgres_url:
        args.postgres = True
    return args


def files(rows: int) -> dict[str, bytes]:
    from tests.imports.helpers import MEMBER_HEADER, POINTS_HEADER, SV_HEADER, csv_bytes

    members = [[str(13000000000 + i), f"会员{i}", "女" if i % 2 else "男", f"19{50 + i % 50}-0{1 + i % 9}-1{i % 10}",
                "上海市浦东新区", "", "2023-03-01", f"8{i:09d}", "", "", ""] for i in range(rows)]
    return {
        "members": csv_bytes(MEMBER_HEADER, members),
        "members_xlsx": _xlsx(MEMBER_HEADER, members),
        "stored_value": csv_bytes(SV_HEADER, [[f"8{i:09d}", f"{100 + i % 5000}.{i % 100:02d}", str(i % 200)]
                                              for i in range(rows)]),
        "points": csv_bytes(POINTS_HEADER, [[f"8{i:09d}", str(i % 3000), f"20{28 + i % 3}-12-31"]
                                            for i in range(rows)]),
    }


def _xlsx(header, rows) -> bytes:
    import xlsxwriter

    out = io.BytesIO()
    workbook = xlsxwriter.Workbook(out, {"in_memory": True, "constant_memory": False})
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, header)
    for index, row in enumerate(rows, start=1):
        sheet.write_row(index, 0, row)
    workbook.close()
    return out.getvalue()


def run_backend(name: str, url: str, data: dict[str, bytes], args, server_cpu=None) -> list[dict]:
    from core import ledger
    from core.db import make_engine
    from core.migrate import upgrade
    from core.plugins import build_registry
    from tests.imports.helpers import make_shop
    from webui import create_app

    registry = build_registry()
    engine = make_engine(url)
    upgrade(engine, registry=registry)
    engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "PLUGIN_REGISTRY": registry,
                      "PIN_PEPPER": "7e" * 32})
    hk = app.extensions["huika"]
    client = app.test_client()
    results = []

    def step(label: str, shop, kind: str, body: bytes, dry_run: bool, file_name: str) -> dict:
        started, cpu = time.perf_counter(), time.process_time()
        db_cpu = server_cpu() if server_cpu else None
        response = client.post(f"/api/v1/imports/{kind}?dry_run={'true' if dry_run else 'false'}",
                               data={"file": (io.BytesIO(body), file_name)}, headers=shop.headers(),
                               content_type="multipart/form-data")
        wall, used = time.perf_counter() - started, time.process_time() - cpu
        db_used = server_cpu() - db_cpu if server_cpu else None
        report = response.get_json()
        ok = response.status_code == (200 if dry_run else 201) and not report.get("problems")
        if not dry_run and ok:
            ok = report["reconciliation"]["balanced"]
        result = {"database": name, "step": label, "rows": args.rows, "bytes": len(body),
                  "wall_s": round(wall, 2), "cpu_s": round(used, 2),
                  "db_cpu_s": round(db_used, 2) if db_used is not None else None, "status": response.status_code,
                  "ok": bool(ok)}
        if not ok:
            result["error"] = json.dumps(report, ensure_ascii=False)[:500]
        results.append(result)
        db_text = f" + {db_used:6.2f} s server cpu" if db_used is not None else ""
        print(f"  {name:10} {label:28} {wall:7.2f} s wall {used:7.2f} s cpu{db_text}  "
              f"{'ok' if ok else 'FAILED ' + result.get('error', '')}", flush=True)
        return result

    shop = make_shop(hk, f"导入基准-{uuid.uuid4().hex[:6]}")
    step("members csv (dry run)", shop, "members", data["members"], True, "members.csv")
    step("members csv", shop, "members", data["members"], False, "members.csv")
    if not args.skip_xlsx:
        other = make_shop(hk, f"导入基准-{uuid.uuid4().hex[:6]}")
        step("members xlsx (dry run)", other, "members", data["members_xlsx"], True, "members.xlsx")
    step("stored value csv (dry run)", shop, "stored_value", data["stored_value"], True, "sv.csv")
    step("stored value csv", shop, "stored_value", data["stored_value"], False, "sv.csv")
    step("points csv", shop, "points", data["points"], False, "points.csv")
    started = time.perf_counter()
    with hk.db.read() as session:
        problems = ledger.verify(session, shop.id)
    results.append({"database": name, "step": "ledger.verify", "rows": args.rows,
                    "wall_s": round(time.perf_counter() - started, 2), "ok": problems == []})
    print(f"  {name:10} {'ledger.verify':28} {results[-1]['wall_s']:7.2f} s wall  "
          f"{'ok' if not problems else problems[:3]}", flush=True)
    hk.db.dispose()
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    print(f"import bench: {args.rows} rows per file; Python {platform.python_version()}, "
          f"{platform.machine()}, {_cpus()} CPUs", flush=True)
    data = files(args.rows)
    print("  file sizes: " + ", ".join(f"{k} {len(v) / 1e6:.1f} MB" for k, v in data.items()), flush=True)
    results = []
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            results += run_backend("sqlite", f"sqlite:///{Path(folder) / 'bench.sqlite'}", data, args)
    if args.postgres:
        from tests.bench_support import pg

        with pg.server(args.postgres_url) as server:
            print("  " + pg.facts(server), flush=True)
            results += run_backend("postgresql", server.url, data, args,
                                   server.cpu_seconds if server.postmaster_pid else None)
    real = [r for r in results if r["step"] in ("members csv", "stored value csv", "points csv")]
    passed = all(r["ok"] for r in results) and all(r["wall_s"] < GOAL_SECONDS for r in real)
    print(f"GOAL  each real import of {args.rows} rows under {GOAL_SECONDS} s, reconciled, ledger verified: "
          f"{'PASS' if passed else 'MISS'}")
    if args.json:
        print(json.dumps({"rows": args.rows, "results": results, "pass": passed}))
    return 0 if passed else 1


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    sys.exit(main())
