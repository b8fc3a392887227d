"""Reminder scans at size (issue 14, item 1): every reminder kind over a merchant with
1,000,000 members (``python -m tests.bench_support.reminder_scan`` or
``python -m tests.bench --reminders 1000000``).

The members and cards come from seed.create and their purchase history (for dormant members
and join anniversaries) from member_reports.add_history, both bulk SQL. Then, in bulk too:
a fifth of the birthdays become lunar (one in fifty of those in a leap month), every card
gets a stored-value balance and a points lot expiring within two years, a quarter of the
members a count card, an eighth a course package, a quarter a room voucher, half a coupon
and a fifth a planned running-out follow-up. Each kind then runs as ``GET /api/v1/reminders``
runs it (``core.reminders.reminders_for`` with the kind's default settings, every reminder
built), on today and on 2025-01-28 (腊月三十 in a short 腊月); the best of ``repeats`` runs
counts (the first also reads the file into the page cache). Goal: < 1 s per kind.
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import create_engine, event, insert, select

GOAL_S = 1.0
EXTRA_PLUGINS = ("training_courses", "hotel_rooms", "cosmetics_profile")
_BATCH = 50_000


def _engine(url: str):
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _fast(connection, _record):
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("PRAGMA cache_size=-400000")

    return engine


def _insert(connection, table, rows) -> int:
    """Rows (dicts) in batches through SQLAlchemy Core, so column defaults apply."""
    batch, count = [], 0
    for row in rows:
        batch.append(row)
        if len(batch) == _BATCH:
            connection.execute(insert(table), batch)
            count += len(batch)
            batch = []
    if batch:
        connection.execute(insert(table), batch)
        count += len(batch)
    return count


def enable_all(db, registry, merchant_id: int) -> list[str]:
    """Publish the bench configuration plus the plugins whose kinds the bench scans."""
    from core import config_versions
    from core.errors import Invalid

    with db.write() as session:
        document = config_versions.get_draft(session, merchant_id).document
    enabled = [p["id"] for p in document["plugins"]]
    for plugin_id in EXTRA_PLUGINS:
        if plugin_id in enabled or plugin_id not in registry.plugins:
            continue
        trial = {**document, "plugins": [*document["plugins"], {"id": plugin_id, "settings": {}}]}
        try:
            with db.write() as session:
                config_versions.save_draft(session, merchant_id, trial, staff_id=None)
                config_versions.publish(session, merchant_id, registry, note=f"bench + {plugin_id}")
            document = trial
        except Invalid as error:
            print(f"  ({plugin_id} not enabled: {error.details})")
    return [p["id"] for p in document["plugins"]]


def add_reminder_data(url: str, merchant_id: int, store_id: int, today: date, seed: int = 14) -> dict:
    """Balances, lots, packages, vouchers, coupons and follow-ups for the seeded cards."""
    from core.models import Account, Base, Card, LedgerTransaction, Lot, Member

    tables = Base.metadata.tables
    rng = random.Random(seed)
    engine = _engine(url)
    counts = {}
    with engine.begin() as connection:
        connection.execute(Member.__table__.update().where(Member.id % 5 == 0)
                           .values(birthday_calendar="lunar", birthday_leap_month=(Member.id % 50 == 0)))
        cards = connection.execute(select(Card.id, Card.member_id).where(Card.merchant_id == merchant_id)
                                   .order_by(Card.id)).all()
        transaction_id = connection.execute(insert(LedgerTransaction).values(
            merchant_id=merchant_id, type="bench_reminders", store_id=store_id, memo={})).inserted_primary_key[0]
        next_account = (connection.execute(select(Account.id).order_by(Account.id.desc()).limit(1)).scalar() or 0) + 1
        accounts, lots = [], []
        for card_id, _member in cards:
            balance = int(rng.expovariate(1 / 60000))
            accounts.append({"id": next_account, "merchant_id": merchant_id, "owner": "card", "card_id": card_id,
                             "purpose": "", "asset": "stored_value_principal", "balance": balance})
            next_account += 1
            if rng.random() < 1 / 3:
                accounts.append({"id": next_account, "merchant_id": merchant_id, "owner": "card",
                                 "card_id": card_id, "purpose": "", "asset": "stored_value_bonus",
                                 "balance": rng.randrange(0, 20000)})
                next_account += 1
            points = rng.randrange(1, 5000)
            accounts.append({"id": next_account, "merchant_id": merchant_id, "owner": "card", "card_id": card_id,
                             "purpose": "", "asset": "points", "balance": points})
            lots.append({"account_id": next_account, "transaction_id": transaction_id, "amount": points,
                         "remaining": points, "expires_on": today + timedelta(days=rng.randrange(0, 730))})
            next_account += 1
        counts["accounts"] = _insert(connection, Account.__table__, accounts)
        counts["lots"] = _insert(connection, Lot.__table__, lots)
        del accounts, lots

        def some(share):
            return [(card, member) for card, member in cards if rng.random() < share]

        if "service_packages" in tables:
            counts["service_packages"] = _insert(connection, tables["service_packages"], (
                {"merchant_id": merchant_id, "card_id": card, "plan_key": "wash_20", "name": "20次洗车",
                 "service": "洗车", "kind": "count", "checkout_id": None, "line_no": 1, "unit_no": 1,
                 "sessions_total": 20, "sessions_left": rng.randrange(0, 21), "period_days": 365,
                 "paid_fen": 50000, **_validity(today, rng), "status": "active"}
                for card, _member in some(0.25)))
        if "training_packages" in tables:
            course = connection.execute(insert(tables["training_courses"]).values(
                merchant_id=merchant_id, key="piano", name="钢琴")).inserted_primary_key[0]
            plan = connection.execute(insert(tables["training_plans"]).values(
                merchant_id=merchant_id, course_id=course, name="十次课", kind="count", sessions=10, minutes=0,
                validity_days=365, price_fen=100000)).inserted_primary_key[0]
            counts["training_packages"] = _insert(connection, tables["training_packages"], (
                {"merchant_id": merchant_id, "card_id": card, "course_id": course, "plan_id": plan,
                 "kind": "count", "checkout_id": None, "line_no": index, "unit_no": 1, "units_total": 10,
                 "units_left": rng.randrange(0, 11), "period_days": 365, "paid_fen": 100000,
                 **_validity(today, rng), "status": "active"}
                for index, (card, _member) in enumerate(some(0.125))))
        if "hotel_room_vouchers" in tables:
            counts["room_vouchers"] = _insert(connection, tables["hotel_room_vouchers"], (
                {"merchant_id": merchant_id, "card_id": card, "code": f"RV{card:012d}", "kind": "room",
                 "room_type": "suite", "face_value_fen": 0, "status": "active", "reason": "campaign",
                 "issued_on": today - timedelta(days=30),
                 "expires_on": today + timedelta(days=rng.randrange(0, 365)),
                 "issue_transaction_id": transaction_id}
                for card, _member in some(0.25)))
        if "coupons" in tables:
            template = connection.execute(insert(tables["coupon_templates"]).values(
                merchant_id=merchant_id, name="十元券", kind="cash", value_fen=1000, valid_days=90)
            ).inserted_primary_key[0]
            counts["coupons"] = _insert(connection, tables["coupons"], (
                {"merchant_id": merchant_id, "template_id": template, "code": f"C{card:013d}",
                 "member_id": member, "card_id": card, "status": "issued", "reason": "staff",
                 "valid_from": today - timedelta(days=10),
                 "valid_until": today + timedelta(days=rng.randrange(0, 90))}
                for card, member in some(0.5)))
        if "cosmetics_follow_ups" in tables:
            counts["follow_ups"] = _insert(connection, tables["cosmetics_follow_ups"], (
                {"merchant_id": merchant_id, "member_id": member, "status": "planned", "kind": "running_out",
                 "channel": "phone", "reason": "面霜快用完", "product_group": "skincare",
                 "due_on": today + timedelta(days=rng.randrange(-365, 60))}
                for _card, member in some(0.2)))
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return counts


def _validity(today: date, rng: random.Random) -> dict:
    """A year of validity ending from 300 days ago to 400 days ahead."""
    valid_to = today + timedelta(days=rng.randrange(-300, 400))
    return {"valid_from": valid_to - timedelta(days=365), "valid_to": valid_to}


def brute_force_birthdays(path: Path, merchant_id: int, day: date) -> int:
    """Members whose birthday falls on ``day``, by converting every row (the check of the scan)."""
    import sqlite3

    from core.birthdays import BirthdaySpec, is_birthday

    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT birthday, birthday_calendar, birthday_leap_month FROM members "
                                  "WHERE merchant_id = ? AND birthday IS NOT NULL", (merchant_id,))
        return sum(1 for birthday, calendar, leap in rows
                   if is_birthday(BirthdaySpec.of(birthday, calendar, bool(leap)), day))
    finally:
        connection.close()


def scan(db, registry, merchant_id: int, kind: str, on: date) -> tuple[float, float, int]:
    """One run of one kind as the API runs it: (wall s, CPU s, reminders)."""
    from core.config_versions import published_config
    from core.reminders import reminders_for

    with db.read() as session:
        config = published_config(session, merchant_id, registry)
        wall, cpu = time.perf_counter(), time.process_time()
        found = reminders_for(session, config, merchant_id, on, kinds=[kind])
        return time.perf_counter() - wall, time.process_time() - cpu, len(found)


def scan_all(db, registry, merchant_id: int, path: Path, today: date, repeats: int) -> dict:
    """Every kind the merchant has, best of ``repeats``; the birthday scan checked."""
    from core.config_versions import published_config
    from core.reminders import available_kinds

    figures = {}
    with db.read() as session:
        kinds = list(available_kinds(published_config(session, merchant_id, registry)))
    days = {"today": today, "lunar_new_year_eve": date(2025, 1, 28)}
    for kind in kinds:
        for label, day in days.items():
            if label != "today" and kind != "birthday":
                continue
            best = min((scan(db, registry, merchant_id, kind, day) for _ in range(repeats)),
                       key=lambda run: run[0])
            key = kind if label == "today" else f"{kind}_{label}"
            figures[f"{key}_s"] = round(best[0], 3)
            figures[f"{key}_cpu_s"] = round(best[1], 3)
            figures[f"{key}_reminders"] = best[2]
    figures["birthday_exact"] = all(
        figures[f"{key}_reminders"] == brute_force_birthdays(path, merchant_id, day)
        for key, day in (("birthday", today), ("birthday_lunar_new_year_eve", days["lunar_new_year_eve"])))
    return figures


def judged(figures: dict) -> dict:
    slowest = max(value for key, value in figures.items() if key.endswith("_s") and key != "seed_s"
                  and not key.endswith("cpu_s"))
    figures["slowest_scan_s"] = slowest
    figures["goal"] = "PASS" if slowest < GOAL_S and figures["birthday_exact"] else "MISS"
    return figures


def rescan(path: Path, repeats: int) -> dict:
    """The scans again on a database a ``--keep`` run left (after changing a scan)."""
    from core.clock import local_date, now_utc
    from core.db import Database
    from core.models import Merchant
    from core.plugins import build_registry

    from . import card_debit, seed

    card_debit.install(path.parent / "site")
    registry = build_registry()
    db = Database.from_url(f"sqlite:///{path}")
    try:
        with db.read() as session:
            merchant_id = session.scalar(select(Merchant.id).where(Merchant.name == seed.MERCHANT_NAME))
        return judged(scan_all(db, registry, merchant_id, path, local_date(now_utc()), repeats))
    finally:
        db.dispose()


def measure(workdir: Path, members: int, repeats: int = 3) -> dict:
    from core.clock import local_date, now_utc
    from core.db import Database
    from core.plugins import build_registry
    from . import card_debit, member_reports, seed

    started = time.perf_counter()
    card_debit.install(workdir / "site")
    seeded = seed.create(workdir / "reminders.sqlite", members, with_balances=False)
    today = local_date(now_utc())
    history = member_reports.add_history(seeded.path, seeded.merchant_id, seeded.store_id, seeded.staff_id, today)
    registry = build_registry()
    db = Database.from_url(seeded.url)
    enabled = enable_all(db, registry, seeded.merchant_id)
    counts = add_reminder_data(seeded.url, seeded.merchant_id, seeded.store_id, today)
    figures = {"members": members, "checkouts": history["checkouts"], **counts,
               "seed_s": round(time.perf_counter() - started, 1),
               "database_mib": round(seeded.path.stat().st_size / 2**20), "plugins": enabled}
    try:
        figures.update(scan_all(db, registry, seeded.merchant_id, seeded.path, today, repeats))
    finally:
        db.dispose()
    return judged(figures)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench_support.reminder_scan",
                                     description="reminder scans over a large merchant")
    parser.add_argument("--members", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--database", type=Path, default=None,
                        help="scan again the reminders.sqlite a --keep run left (no seeding)")
    args = parser.parse_args(argv)
    from . import report

    for fact in report.machine_facts():
        print("  " + fact)
    print(f"  load average at start: {report.load_average()}")
    if args.database:
        figures = rescan(args.database, args.repeats)
    else:
        workdir = Path(tempfile.mkdtemp(prefix="huika-reminders-", dir=args.dir))
        try:
            figures = measure(workdir, args.members, args.repeats)
        finally:
            if args.keep:
                print(f"  (kept {workdir})")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
    for key, value in figures.items():
        print(f"  {key}: {value}")
    print(f"  load average at end: {report.load_average()}")
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, default=str))
    return 0 if figures["goal"] == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
