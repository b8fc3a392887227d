"""The member reports at size (issue 12, G4): member_rfm, member_growth and tier_advice over a
merchant with 1,000,000 members (``python -m tests.bench_support.member_reports``).

The members and cards come from seed.create (services for the merchant, sqlite3 for the
bulk); their purchase history is then bulk-written the same way: checkouts over the last 400
days (a fifth of the members never buy; the others 1 to ~15 times, amounts log-normal around
¥150) and returns of part of 3 % of them, with the card_spend_days rows a checkout and a
return write. Each report then runs as the API runs a JSON page (core.reports.page_of over
every row: the totals need them all), in one read transaction; wall and CPU time are
measured, and the report's spend total is checked against a plain SUM over the same rows.
"""
from __future__ import annotations

import argparse
import json
import math
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

HISTORY_DAYS = 400
JOINED_WITHIN_DAYS = 730
_UTC_TEXT = "%Y-%m-%d %H:%M:%S.%f"  # SQLAlchemy's SQLite DateTime format
BUYER_SHARE = 0.8
RETURN_SHARE = 0.03
RFM_GOAL_MS = 5000.0
_BATCH = 50_000


def history(members: int, first_member: int, first_card: int, today: date, seed: int = 7):
    """Per member: (member_id, joined UTC text, [(card_id, created_at UTC text, local day
    text, due_fen) per checkout]). Members joined over the last two years and buy only after
    joining, within the last HISTORY_DAYS."""
    rng = random.Random(seed)
    day_end = datetime(today.year, today.month, today.day, tzinfo=timezone.utc) + timedelta(hours=16)
    for index in range(members):
        joined_ago = rng.randrange(JOINED_WITHIN_DAYS * 86400)
        joined = (day_end - timedelta(seconds=joined_ago + 1)).strftime(_UTC_TEXT)
        checkouts = []
        if rng.random() < BUYER_SHARE:
            for _ in range(1 + int(rng.expovariate(0.45))):  # mean about 3, a tail of regulars
                seconds = rng.randrange(min(joined_ago, HISTORY_DAYS * 86400) or 1)
                moment = day_end - timedelta(seconds=seconds + 1)
                due = max(100, int(rng.lognormvariate(math.log(15000), 0.8)))
                checkouts.append((first_card + index, moment.strftime(_UTC_TEXT),
                                  (moment + timedelta(hours=8)).date().isoformat(), due))
        yield first_member + index, joined, checkouts


def add_history(path: Path, merchant_id: int, store_id: int, staff_id: int, today: date) -> dict:
    """Checkouts, returns and card_spend_days for every seeded member; returns counts."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA foreign_keys=OFF")
    connection.execute("PRAGMA cache_size=-400000")
    connection.execute("BEGIN IMMEDIATE")
    (first_member, members), = connection.execute(
        "SELECT MIN(id), COUNT(*) FROM members WHERE merchant_id = ?", (merchant_id,))
    first_card = connection.execute("SELECT MIN(id) FROM cards WHERE merchant_id = ?",
                                    (merchant_id,)).fetchone()[0]
    transaction_id = connection.execute("SELECT COALESCE(MAX(id), 0) + 1 FROM ledger_transactions"
                                        ).fetchone()[0]
    connection.execute(
        "INSERT INTO ledger_transactions (id, merchant_id, type, store_id, staff_id, memo, "
        "created_at) VALUES (?,?,'bench_history',?,?,'{}',?)",
        (transaction_id, merchant_id, store_id, staff_id, f"{today} 00:00:00.000000"))
    rng = random.Random(11)
    checkout_id = connection.execute("SELECT COALESCE(MAX(id), 0) FROM checkouts").fetchone()[0]
    spend: dict[tuple[int, str], int] = {}
    checkouts, returns, batch, returned = 0, [], [], []
    joined_at = []
    for member_id, joined, bought in history(members, first_member, first_card, today):
        joined_at.append((joined, joined, member_id))
        for card_id, created_at, day, due in bought:
            checkout_id += 1
            batch.append((checkout_id, merchant_id, transaction_id, card_id, member_id, store_id,
                          staff_id, due, due, created_at))
            net = due
            if rng.random() < RETURN_SHARE:
                refund = due // 2
                net -= refund
                returned.append((checkout_id, transaction_id, refund, created_at))
            spend[(card_id, day)] = spend.get((card_id, day), 0) + net
        if len(batch) >= _BATCH:
            _insert_checkouts(connection, batch)
            checkouts += len(batch)
            batch = []
    connection.executemany("UPDATE members SET created_at = ?, updated_at = ? WHERE id = ?", joined_at)
    _insert_checkouts(connection, batch)
    checkouts += len(batch)
    connection.executemany(
        "INSERT INTO checkout_returns (checkout_id, transaction_id, lines, refund_fen, created_at) "
        "VALUES (?,?,'[]',?,?)", returned)
    connection.executemany("INSERT INTO card_spend_days (card_id, day, net_fen) VALUES (?,?,?)",
                           [(card, day, net) for (card, day), net in spend.items()])
    connection.execute("COMMIT")
    connection.execute("ANALYZE")
    connection.close()
    return {"members": members, "checkouts": checkouts, "returns": len(returned)}


def _insert_checkouts(connection, batch) -> None:
    connection.executemany(
        "INSERT INTO checkouts (id, merchant_id, transaction_id, card_id, member_id, store_id, "
        "staff_id, tier_key, list_total_fen, due_total_fen, earned, receipt, created_at) "
        "VALUES (?,?,?,?,?,?,?,NULL,?,?,'{}','{}',?)", batch)


def run_report(db, registry, merchant_id: int, report_id: str, args: dict, now: datetime):
    """One JSON page of the report as the API builds it: (wall ms, CPU ms, page)."""
    from core.config_versions import published_config
    from core.reports import find_report, page_of, parse_query

    with db.read() as session:
        config = published_config(session, merchant_id, registry)
        report = find_report(registry, config, report_id)
        if report is None:
            return None
        query = parse_query(report, args, merchant_id=merchant_id, config=config, now=now,
                            store_ids=set(), own_store_id=None)
        began, began_cpu = time.perf_counter(), time.process_time()
        page = page_of(report, report.rows(session, query), sort=None, offset=0, limit=100)
        return ((time.perf_counter() - began) * 1000, (time.process_time() - began_cpu) * 1000,
                page)


def expected_net_spend(path: Path, since: str, until: str) -> int:
    """A plain SUM over the bulk rows: what the report's spend total must equal."""
    connection = sqlite3.connect(path)
    gross = connection.execute("SELECT COALESCE(SUM(due_total_fen), 0) FROM checkouts "
                               "WHERE created_at >= ? AND created_at < ?", (since, until)).fetchone()[0]
    refunds = connection.execute(
        "SELECT COALESCE(SUM(r.refund_fen), 0) FROM checkout_returns r JOIN checkouts c "
        "ON c.id = r.checkout_id WHERE c.created_at >= ? AND c.created_at < ?",
        (since, until)).fetchone()[0]
    connection.close()
    return gross - refunds


def measure(workdir: Path, members: int, repeats: int = 2) -> dict:
    """Seed, add history, run each report ``repeats`` times (the best run counts: the first
    one also reads the file into the page cache). Returns the figures."""
    from core.clock import local_date, now_utc
    from core.db import Database
    from core.plugins import build_registry
    from core.reports.member_purchases import period_instants

    from . import card_debit, seed

    started = time.perf_counter()
    site = workdir / "site"
    card_debit.install(site)  # seed.create publishes the bench configuration with it
    seeded = seed.create(workdir / "members.sqlite", members, with_balances=False)
    now = now_utc()
    today = local_date(now)
    history = add_history(seeded.path, seeded.merchant_id, seeded.store_id, seeded.staff_id, today)
    seeding_s = time.perf_counter() - started
    registry = build_registry()
    db = Database.from_url(seeded.url)
    figures = {"members": members, **{f"history_{k}": v for k, v in history.items() if k != "members"},
               "seed_s": round(seeding_s, 1),
               "database_mib": round(seeded.path.stat().st_size / 2**20)}
    runs = {"member_rfm": {}, "member_growth": {"from": (today - timedelta(days=364)).isoformat()},
            "tier_advice": {}, "tier_distribution": {}}
    try:
        for report_id, args in runs.items():
            best = None
            for _ in range(repeats):
                measured = run_report(db, registry, seeded.merchant_id, report_id, args, now)
                if measured is None:
                    break
                wall, cpu, page = measured
                if best is None or wall < best[0]:
                    best = (wall, cpu, page)
            if best is None:
                continue
            figures[f"{report_id}_ms"] = round(best[0], 1)
            figures[f"{report_id}_cpu_ms"] = round(best[1], 1)
            figures[f"{report_id}_rows"] = best[2].total_rows
            if report_id == "member_rfm":
                since, until = period_instants(today - timedelta(days=364), today)
                fmt = "%Y-%m-%d %H:%M:%S.%f"
                expected = expected_net_spend(seeded.path, since.strftime(fmt), until.strftime(fmt))
                figures["member_rfm_spend_ok"] = best[2].totals["monetary_fen"] == expected
    finally:
        db.dispose()
    # Judged on CPU time: the report runs on one thread, so on an idle machine with the file
    # in the page cache its wall time is its CPU time; on a shared machine wall time mostly
    # measures the neighbours (both are printed).
    figures["member_rfm_goal"] = ("PASS" if figures["member_rfm_cpu_ms"] < RFM_GOAL_MS
                                  and figures["member_rfm_spend_ok"] else "MISS")
    return figures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_support.member_reports",
                                     description="member reports over a large merchant")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    from . import report

    for fact in report.machine_facts():
        print("  " + fact)
    print(f"  load average at start: {report.load_average()}")
    workdir = Path(tempfile.mkdtemp(prefix="huika-member-reports-", dir=args.dir))
    try:
        figures = measure(workdir, args.members, args.repeats)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for key, value in figures.items():
        print(f"  {key}: {value}")
    print(f"  load average at end: {report.load_average()}")
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0 if figures["member_rfm_goal"] == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
