"""G4: ``sales_daily`` for a month over millions of ledger rows (``python -m tests.bench --reports``).

A migrated database (SQLite; PostgreSQL with ``--postgres``) gets one merchant (services) and
then a year of checkouts written with bulk SQL (a recursive CTE / generate_series, not the
API): cash, WeChat and split payments, members and walk-ins, three stores, a return for one
checkout in 200, the entries on the merchant's accounts, and the accounts' balances. The
rollups are folded (timed), then the report runs for one month (June): fully folded, and
again with a tail of unfolded checkouts in that month. Each figure is the median of the runs.
"""
from __future__ import annotations

import math
import statistics
import time
from datetime import date, datetime, timezone

from sqlalchemy import func, select, text

START = datetime(2025, 12, 31, 16, 0, tzinfo=timezone.utc)  # 2026-01-01 00:00 in Beijing
YEAR_SECONDS = 365 * 86400
JUNE = (date(2026, 6, 1), date(2026, 6, 30))
JUNE_START = datetime(2026, 5, 31, 16, 0, tzinfo=timezone.utc)
ENTRIES_PER_CHECKOUT = 2 + 1 / 20 + 2 / 200  # a split payment adds 1 (two tills), a return 2


def _setup(url: str):
    from core import config_versions, tenancy
    from core.db import Database
    from core.ledger import merchant_account
    from core.members import create_member
    from core.merchant_config import MerchantConfig
    from core.migrate import upgrade
    from core.plugins import build_registry
    from tests.support.factories import basic_document

    registry = build_registry()
    db = Database.from_url(url)
    upgrade(db.engine, registry=registry)
    with db.write() as session:
        merchant = tenancy.create_merchant(session, "报表基准商户")
        stores = [merchant.stores[0].id] + [tenancy.create_store(session, merchant.id, code=f"s{i}",
                                                                 name=f"分店{i}").id for i in (2, 3)]
        staff = [tenancy.create_staff(session, merchant.id, username=f"cashier{i}", password="bench-password",
                                      role="cashier", store_id=stores[i % 3]).id for i in range(6)]
        config_versions.save_draft(session, merchant.id, basic_document(), staff_id=None)
        config_versions.publish(session, merchant.id, registry, note="bench")
        config = MerchantConfig(basic_document(), registry)
        member = create_member(session, config, merchant.id, {"name": "王芳", "phone": "13900000000"})
        accounts = {purpose: merchant_account(session, merchant.id, purpose, "cny").id
                    for purpose in ("cash_drawer", "external_wechat", "sales")}
        ids = dict(merchant=merchant.id, member=member.id, stores=stores, staff=staff, **accounts)
    return db, ids


def _generate(db, ids: dict, first: int, count: int, since: datetime, span: int) -> None:
    """Checkouts first..first+count-1 (their ledger transactions have the same ids) spread
    evenly over ``span`` seconds from ``since``; returns get ids after ``return_base``."""
    pg = db.dialect == "postgresql"
    last = first + count - 1
    seq = ("SELECT n FROM generate_series(CAST(:first AS BIGINT), CAST(:last AS BIGINT)) AS seq(n)" if pg else
           "WITH RECURSIVE seq(n) AS (SELECT :first UNION ALL SELECT n + 1 FROM seq WHERE n < :last) "
           "SELECT n FROM seq")
    at = ("(CAST(:since AS timestamptz) + ((n - :first) * :span / :count) * interval '1 second')" if pg
          else "strftime('%Y-%m-%d %H:%M:%S', :since, '+' || ((n - :first) * :span / :count) || ' seconds') "
               "|| '.000000'")
    later = ("(g.created_at + interval '1 day')" if pg else
             "strftime('%Y-%m-%d %H:%M:%S', g.created_at, '+1 day') || '.000000'")
    json = "::jsonb" if pg else ""
    stores, staff = ids["stores"], ids["staff"]
    values = dict(first=first, last=last, count=count, span=span, merchant=ids["merchant"],
                  member=ids["member"], cash=ids["cash_drawer"], wechat=ids["external_wechat"],
                  sales=ids["sales"], returns_from=last + 1,
                  since=since.isoformat() if pg else since.strftime("%Y-%m-%d %H:%M:%S"),
                  **{f"store{i}": store for i, store in enumerate(stores)},
                  **{f"staff{i}": person for i, person in enumerate(staff)})
    statements = [
        "DROP TABLE IF EXISTS bench_g",
        f"""CREATE TEMP TABLE bench_g AS SELECT n,
              CASE n % 3 WHEN 0 THEN :store0 WHEN 1 THEN :store1 ELSE :store2 END AS store_id,
              CASE n % 6 WHEN 0 THEN :staff0 WHEN 1 THEN :staff1 WHEN 2 THEN :staff2
                         WHEN 3 THEN :staff3 WHEN 4 THEN :staff4 ELSE :staff5 END AS staff_id,
              {at} AS created_at,
              CASE WHEN n % 20 = 0 THEN 2 WHEN n % 5 = 1 THEN 1 ELSE 0 END AS kind,
              n % 4 = 0 AS is_member,
              1000 + (n * 7919) % 50000 AS list_fen,
              CASE WHEN n % 4 = 0 THEN (1000 + (n * 7919) % 50000) * 9 / 10
                   ELSE 1000 + (n * 7919) % 50000 END AS due_fen
            FROM ({seq}) AS numbers""",
        """INSERT INTO ledger_transactions (id, merchant_id, type, store_id, staff_id, memo, created_at)
           SELECT n, :merchant, 'checkout', store_id, staff_id, '{}', created_at FROM bench_g""",
        f"""INSERT INTO checkouts (id, merchant_id, transaction_id, member_id, store_id, staff_id,
                                   list_total_fen, due_total_fen, earned, receipt, created_at)
            SELECT n, :merchant, n, CASE WHEN is_member THEN :member END, store_id, staff_id,
                   list_fen, due_fen, '{{}}'{json}, '{{}}'{json}, created_at FROM bench_g""",
        f"""INSERT INTO checkout_payments (id, checkout_id, method, amount_fen, postings, refunded_fen)
            SELECT 2 * n, n, CASE kind WHEN 1 THEN 'external' ELSE 'cash' END,
                   CASE kind WHEN 2 THEN due_fen / 2 ELSE due_fen END,
                   ('[{{"account_id": ' || CASE kind WHEN 1 THEN :wechat ELSE :cash END || '}}]'){json}, 0
            FROM bench_g""",
        f"""INSERT INTO checkout_payments (id, checkout_id, method, amount_fen, postings, refunded_fen)
            SELECT 2 * n + 1, n, 'external', due_fen - due_fen / 2,
                   ('[{{"account_id": ' || :wechat || '}}]'){json}, 0 FROM bench_g WHERE kind = 2""",
        """INSERT INTO entries (transaction_id, account_id, asset, amount)
           SELECT n, CASE kind WHEN 1 THEN :wechat ELSE :cash END, 'cny',
                  CASE kind WHEN 2 THEN due_fen / 2 ELSE due_fen END FROM bench_g
           UNION ALL SELECT n, :wechat, 'cny', due_fen - due_fen / 2 FROM bench_g WHERE kind = 2
           UNION ALL SELECT n, :sales, 'cny', -due_fen FROM bench_g""",
        # One checkout in 200 (cash, one payment) comes back whole the next day.
        f"""INSERT INTO ledger_transactions (id, merchant_id, type, store_id, staff_id, memo, created_at)
            SELECT :returns_from + n / 200, :merchant, 'return', store_id, staff_id, '{{}}', {later}
            FROM bench_g g WHERE n % 200 = 3""",
        f"""INSERT INTO checkout_returns (checkout_id, transaction_id, lines, refund_fen, created_at)
            SELECT n, :returns_from + n / 200,
                   ('[{{"line_no": 1, "quantity": 1, "paid_fen": ' || due_fen || '}}]'){json}, due_fen, {later}
            FROM bench_g g WHERE n % 200 = 3""",
        """INSERT INTO entries (transaction_id, account_id, asset, amount)
           SELECT :returns_from + n / 200, :cash, 'cny', -due_fen FROM bench_g WHERE n % 200 = 3
           UNION ALL SELECT :returns_from + n / 200, :sales, 'cny', due_fen FROM bench_g WHERE n % 200 = 3""",
        "DROP TABLE bench_g",
    ]
    with db.engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement).bindparams(
                **{k: v for k, v in values.items() if f":{k}" in statement}))
        connection.execute(text(
            "UPDATE accounts SET balance = (SELECT COALESCE(SUM(amount), 0) FROM entries "
            "WHERE entries.account_id = accounts.id) WHERE owner = 'merchant' AND merchant_id = :m"),
            {"m": ids["merchant"]})
        if pg:
            for table in ("ledger_transactions", "checkouts", "checkout_payments"):
                connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                        f"(SELECT MAX(id) FROM {table}))"))
        connection.exec_driver_sql("ANALYZE")


def _time_report(db, merchant_id: int, runs: int) -> dict:
    from core.reports import ReportQuery
    from core.reports.sales_daily import REPORT

    query = ReportQuery(merchant_id=merchant_id, config=None, now=datetime.now(timezone.utc),
                        start=JUNE[0], end=JUNE[1])
    walls, cpus, rows = [], [], 0
    for _ in range(runs + 1):  # the first run warms caches and is not counted
        began, began_cpu = time.perf_counter(), time.process_time()
        with db.read() as session:
            rows = len(list(REPORT.rows(session, query)))
        walls.append((time.perf_counter() - began) * 1000)
        cpus.append((time.process_time() - began_cpu) * 1000)
    return {"ms": statistics.median(walls[1:]), "max_ms": max(walls[1:]),
            "cpu_ms": statistics.median(cpus[1:]), "rows": rows}


def run(url: str, ledger_rows: int, *, tail: int, runs: int = 21) -> dict:
    from core import rollups
    from core.models import Entry, LedgerTransaction

    checkouts = math.ceil(ledger_rows / ENTRIES_PER_CHECKOUT)
    began = time.perf_counter()
    db, ids = _setup(url)
    _generate(db, ids, 1, checkouts, START, YEAR_SECONDS)
    generated = time.perf_counter() - began
    with db.read() as session:
        entries = session.scalar(select(func.count()).select_from(Entry))
        transactions = session.scalar(select(func.count()).select_from(LedgerTransaction))
    began = time.perf_counter()
    folded = rollups.fold(db)
    fold_seconds = time.perf_counter() - began
    full = _time_report(db, ids["merchant"], runs)
    # Unfolded checkouts in June after the fold: the report reads them from the ledger.
    with db.read() as session:
        after = session.scalar(select(func.max(LedgerTransaction.id)))
    _generate(db, ids, after + 1, tail, JUNE_START, 29 * 86400)
    with_tail = _time_report(db, ids["merchant"], runs)
    with db.read() as session:
        from core import ledger

        problems = ledger.verify(session, ids["merchant"])
    db.dispose()
    return {"entries": entries, "transactions": transactions, "generate_s": generated,
            "fold_s": fold_seconds, "fold": folded, "full": full, "tail": tail, "with_tail": with_tail,
            "ledger_problems": problems}
