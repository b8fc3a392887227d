"""The dashboard's figures at size (issue 12, G6): ``python -m tests.bench_support.dashboard``.

On SQLite in a temporary folder: one merchant (stored value and points on) with ``--members``
members, each with an active card holding points and stored value, and ``--checkouts``
checkouts spread over the last year, inserted in time order as a shop makes them (bulk
inserts into the migrated schema, like tests/bench_support/seed.py: the figures' tests build
their data through the API, this only measures). Then each tile's function and the whole
``dashboard_figures`` run, best of 3; CPU seconds (the process's, so what else runs on the
machine does not count) and wall seconds. Results: docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import random
import sqlite3
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select

from core import config_versions, tenancy
from core.config_versions import published_config
from core.db import make_engine
from core.migrate import upgrade
from core.models import Tier
from core.plugins import build_registry
from tests.support.factories import basic_document

STAMP = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a UTC datetime on SQLite


def seed(path: Path, checkouts: int, members: int, registry) -> tuple[object, int]:
    """The migrated database with its merchant and rows; returns (app, merchant id)."""
    from webui import create_app

    url = f"sqlite:///{path}"
    engine = make_engine(url)
    upgrade(engine, registry=registry)
    engine.dispose()
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench",
                      "PIN_PEPPER": "7e" * 32, "PLUGIN_REGISTRY": registry})
    hk = app.extensions["huika"]
    with hk.db.write() as session:
        merchant = tenancy.create_merchant(session, "概览压测店")
        merchant_id, store_id = merchant.id, merchant.stores[0].id
        config_versions.save_draft(session, merchant_id, basic_document(
            plugins=[{"id": "stored_value"}, {"id": "points"}]), staff_id=None)
        config_versions.publish(session, merchant_id, registry)
        tiers = list(session.scalars(select(Tier.id).where(Tier.merchant_id == merchant_id)))
    now, rnd = datetime.now(timezone.utc), random.Random(12)

    def stamp(days_ago: int) -> str:
        return (now - timedelta(days=days_ago, seconds=rnd.randrange(86400))).strftime(STAMP)

    connection = sqlite3.connect(path)
    connection.executemany(
        "INSERT INTO members (merchant_id, name, phone, gender, birthday_calendar, birthday_leap_month,"
        " address, occupation, income_band, extra, channel, created_at, updated_at, registered_store_id)"
        " VALUES (?, ?, ?, 'unspecified', 'solar', 0, '', '', '', '{}', 'counter', ?, ?, ?)",
        ((merchant_id, f"会员{i}", f"139{i:08d}", stamp(rnd.randrange(365)), stamp(0), store_id)
         for i in range(members)))
    first_member = connection.execute("SELECT min(id) FROM members").fetchone()[0]
    connection.executemany(
        "INSERT INTO cards (merchant_id, number, kind, tier_id, member_id, status, batch, issued_at,"
        " pin_failures, pin_failures_total, issued_store_id) VALUES (?, ?, 'standard', ?, ?, 'active',"
        " '', ?, 0, 0, ?)",
        ((merchant_id, f"C{i:09d}", rnd.choice(tiers), first_member + i, stamp(300), store_id)
         for i in range(members)))
    first_card = connection.execute("SELECT min(id) FROM cards").fetchone()[0]
    connection.execute("INSERT INTO ledger_transactions (merchant_id, type, memo, created_at)"
                       " VALUES (?, 'bench_seed', '{}', ?)", (merchant_id, stamp(0)))
    transaction = connection.execute("SELECT max(id) FROM ledger_transactions").fetchone()[0]
    days_ago = sorted((rnd.randrange(365) for _ in range(checkouts)), reverse=True)
    picks = (rnd.randrange(members) for _ in range(checkouts))
    connection.executemany(
        "INSERT INTO checkouts (merchant_id, transaction_id, card_id, member_id, store_id,"
        " list_total_fen, due_total_fen, earned, receipt, created_at)"
        " VALUES (?, ?, ?, ?, ?, 10000, ?, '{}', '{}', ?)",
        ((merchant_id, transaction, first_card + k, first_member + k, store_id,
          rnd.randrange(1000, 50000), stamp(day)) for day, k in zip(days_ago, picks)))
    connection.executemany(
        "INSERT INTO accounts (merchant_id, owner, card_id, purpose, asset, balance)"
        " VALUES (?, 'card', ?, '', ?, ?)",
        ((merchant_id, first_card + i, asset, rnd.randrange(100000))
         for i in range(members) for asset in ("points", "stored_value_principal")))
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()
    return app, merchant_id


def best_of(runs: int, work) -> tuple[float, float]:
    """(CPU seconds, wall seconds), the best of ``runs``."""
    cpu, wall = [], []
    for _ in range(runs):
        started_cpu, started = time.process_time(), time.perf_counter()
        work()
        cpu.append(time.process_time() - started_cpu)
        wall.append(time.perf_counter() - started)
    return min(cpu), min(wall)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_support.dashboard",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--checkouts", type=int, default=1_000_000)
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    args = parser.parse_args(argv)
    from webui.dashboard import dashboard_figures, figures, plugin_figures
    from webui.dashboard.figures import Scope

    registry = build_registry()
    folder = args.dir or Path(tempfile.mkdtemp(prefix="huika-dashboard-"))
    started = time.perf_counter()
    app, merchant_id = seed(folder / "dashboard.sqlite", args.checkouts, args.members, registry)
    print(f"seeded {args.checkouts:,} checkouts, {args.members:,} members and cards "
          f"in {time.perf_counter() - started:.0f} s")
    hk, now, scope = app.extensions["huika"], datetime.now(timezone.utc), Scope(merchant_id)
    with hk.db.read() as session:
        config = published_config(session, merchant_id, registry)
        tiles = {
            "30-day series (comparison, trend)": lambda: figures.daily_series(session, scope, *figures.last_days(now)),
            "tier mix": lambda: figures.tier_mix(session, scope, config, now),
            "top members": lambda: figures.top_members(session, scope, now),
            "liabilities": lambda: plugin_figures.liabilities(session, scope, config, registry),
            "reminders": lambda: plugin_figures.reminders(session, scope, config, now),
            "whole dashboard": lambda: dashboard_figures(session, scope, config, registry, now),
        }
        print(f"{'tile':36} {'CPU s':>7} {'wall s':>7}")
        for name, work in tiles.items():
            cpu, wall = best_of(3, work)
            print(f"{name:36} {cpu:7.3f} {wall:7.3f}")
    hk.db.dispose()


if __name__ == "__main__":
    main()
