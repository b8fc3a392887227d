"""The tier_distribution report (and the dashboard's tier mix, which reads it over a year)
sums the card spend of this merchant's cards only: card_spend_days is reached through the
merchant's cards (card_id = …), never scanned for every merchant's days (review of issue 12).
SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN with sequential scans priced out."""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import event, text

from core import tenancy
from core.db import Database
from core.reports import ReportQuery, tier_distribution


def test_tier_distribution_reads_card_spend_through_the_merchants_cards(database_url):
    db = Database.from_url(database_url)
    try:
        with db.write() as session:
            merchant_id = tenancy.create_merchant(session, "计划店").id
        statements = []

        def capture(_connection, _cursor, statement, parameters, _context, _many):
            if "card_spend_days" in statement:
                statements.append((statement, parameters))

        event.listen(db.engine, "before_cursor_execute", capture)
        with db.read() as session:
            query = ReportQuery(merchant_id=merchant_id, config=None, now=datetime.now(timezone.utc),
                                start=date(2026, 1, 1), end=date(2026, 12, 31))
            list(tier_distribution.rows(session, query))
        event.remove(db.engine, "before_cursor_execute", capture)
        assert statements
        with db.engine.connect() as connection:
            for statement, parameters in statements:
                if connection.dialect.name == "sqlite":
                    plan = [row[-1] for row in connection.exec_driver_sql(
                        "EXPLAIN QUERY PLAN " + statement, parameters).all()]
                    reads = [line for line in plan if "card_spend_days" in line]
                    assert reads and all(line.startswith("SEARCH") and "card_id=?" in line
                                         for line in reads), plan
                else:
                    connection.execute(text("SET LOCAL enable_seqscan = off"))
                    plan = [row[0] for row in connection.exec_driver_sql("EXPLAIN " + statement, parameters)]
                    conditions = [line for line in plan if "Index Cond" in line and "day >=" in line]
                    assert conditions and all("card_id =" in line for line in conditions), "\n".join(plan)
    finally:
        db.dispose()
