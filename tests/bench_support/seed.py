"""Seeding benchmark databases quickly: services for the merchant, raw sqlite3 for the bulk.

The merchant, its cashier, API token and published configuration go through the real
services (core.tenancy, core.config_versions), so they are exactly what the app expects.
Members, cards and the cards' opening balances are then written with sqlite3 executemany
into the migrated schema, with explicit ids, in one transaction and with
``synchronous=OFF`` for the load only (the benchmarks reopen the file with Huika's own
settings: WAL, synchronous=FULL).
"""
from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from core import config_versions, tenancy
from core.db import Database
from core.demo import DEMO_DOCUMENT
from core.errors import Invalid
from core.migrate import upgrade
from core.models import Tier
from core.plugins import build_registry
from sqlalchemy import select

from . import card_debit

MERCHANT_NAME = "基准测试商户"
OPENING_BALANCE_FEN = 100_000_000  # per card: never runs out during a benchmark
# Member names: one of 100 common surnames and two of 113 common given-name characters, so a
# name prefix of surname + first given character (what a cashier types: "王芳") matches about
# one member in 11,300 (56 to 204 of 1,000,000), and a whole name about one in 1.3 million.
_SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
             "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
_GIVEN = "".join(dict.fromkeys("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏飞宇浩然子轩欣怡梓涵"
          "一思雨佳晨嘉俊博文诗雪琳颖晓倩婷慧建国志林德海春丹辉斌波宁凯峰鑫龙阳磊淑珍凤梅"
          "琴云莉娥红燕彬亮成家庆元振东晶卫永健世荣雅婉欢璐瑶泽瑞安昊然睿航奕可馨悦雯蕾"))
_BATCH = 20_000


@dataclass
class Seeded:
    path: Path
    url: str
    merchant_id: int
    store_id: int
    staff_id: int
    token: str
    tier_key: str | None
    tier_permille: int
    members: int
    enabled_plugins: list[str]
    seconds: float = 0.0

    @staticmethod
    def phone(index: int) -> str:
        return f"13{index:09d}"

    @staticmethod
    def card_number(index: int) -> str:
        return f"8{index:015d}"

    @staticmethod
    def name(index: int) -> str:
        """A deterministic, well-spread name for the index-th member (the lookup bench
        checks its answers against these)."""
        mixed = _mix(index)
        surname, mixed = _SURNAMES[mixed % len(_SURNAMES)], mixed // len(_SURNAMES)
        first, mixed = _GIVEN[mixed % len(_GIVEN)], mixed // len(_GIVEN)
        return surname + first + _GIVEN[mixed % len(_GIVEN)]


def _mix(value: int) -> int:
    """A 32-bit integer hash (well-spread low digits for consecutive inputs)."""
    value = (value + 0x9E3779B9) & 0xFFFFFFFF
    value = (((value >> 16) ^ value) * 0x45D9F3B) & 0xFFFFFFFF
    value = (((value >> 16) ^ value) * 0x45D9F3B) & 0xFFFFFFFF
    return (value >> 16) ^ value


def bench_document(registry) -> list[dict]:
    """Candidate configurations, richest first: the demo's (points + stored value) plus
    card_debit, then card_debit alone (if a plugin being built refuses to publish)."""
    rich = [p for p in DEMO_DOCUMENT["plugins"] if p["id"] in registry.plugins]
    debit = {"id": card_debit.PLUGIN_ID, "settings": {}}
    return [{**DEMO_DOCUMENT, "plugins": [*rich, debit]}, {**DEMO_DOCUMENT, "plugins": [debit]}]


def create(path: Path, members: int, *, with_balances: bool, birthdays_off_season: bool = False) -> Seeded:
    """A migrated SQLite database at ``path`` holding one merchant with ``members`` members,
    each with one active card (and, ``with_balances``, an opening test_credit balance)."""
    import time

    began = time.perf_counter()
    url = f"sqlite:///{path}"
    registry = build_registry()
    if card_debit.PLUGIN_ID not in registry.plugins:
        raise RuntimeError(f"the card_debit bench plugin was refused: {registry.refused}")
    db = Database.from_url(url)
    upgrade(db.engine, registry=registry)
    with db.write() as session:
        merchant = tenancy.create_merchant(session, MERCHANT_NAME)
        store_id = merchant.stores[0].id
        staff = tenancy.create_staff(session, merchant.id, username="cashier",
                                     password="bench-password", role="cashier", store_id=store_id)
        token = tenancy.issue_token(session, staff, label="bench")
        merchant_id, staff_id = merchant.id, staff.id
    published = None
    for document in bench_document(registry):
        try:
            with db.write() as session:
                config_versions.save_draft(session, merchant_id, document, staff_id=None)
                config_versions.publish(session, merchant_id, registry, note="bench")
            published = document
            break
        except Invalid as error:
            print(f"  (configuration with {[p['id'] for p in document['plugins']]} refused: "
                  f"{error.details}; trying a smaller one)")
    if published is None:
        raise RuntimeError("no bench configuration could be published")
    with db.read() as session:
        tier = session.scalar(select(Tier).where(Tier.merchant_id == merchant_id)
                              .order_by(Tier.rank).limit(1))
        tier_id = tier.id if tier else None
        tier_key = tier.key if tier else None
        tier_permille = tier.discount_permille if tier else 1000
    db.dispose()

    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA synchronous=OFF")
        connection.execute("PRAGMA foreign_keys=OFF")
        connection.execute("PRAGMA cache_size=-200000")
        connection.execute("BEGIN IMMEDIATE")
        _bulk_members_and_cards(connection, merchant_id, store_id, tier_id, members,
                                birthday_months_off_season() if birthdays_off_season else list(range(1, 13)))
        if with_balances:
            _bulk_balances(connection, merchant_id, store_id, staff_id, members)
        connection.execute("COMMIT")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.execute("ANALYZE")
    finally:
        connection.close()
    return Seeded(path=path, url=url, merchant_id=merchant_id, store_id=store_id,
                  staff_id=staff_id, token=token, tier_key=tier_key, tier_permille=tier_permille,
                  members=members, enabled_plugins=[p["id"] for p in published["plugins"]],
                  seconds=time.perf_counter() - began)


def _now_text() -> str:
    # SQLAlchemy's SQLite DateTime storage format (UTC; Huika's UtcDateTime adds the zone back).
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def _next_id(connection: sqlite3.Connection, table: str) -> int:
    return connection.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0]


def _chunks(rows, size=_BATCH):
    chunk = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def birthday_months_off_season() -> list[int]:
    """Birth months at least a month away from today: the demo document the bench publishes
    enables birthday benefits (a birthday-month 9折), and a checkout whose price changes with
    the member would neither match the fixed basket's payment nor raw's row set."""
    from core.clock import local_date

    month = local_date(datetime.now(timezone.utc)).month
    near = {(month + shift - 1) % 12 + 1 for shift in (-1, 0, 1)}
    return [m for m in range(1, 13) if m not in near]


def _bulk_members_and_cards(connection, merchant_id: int, store_id: int, tier_id: int | None,
                            count: int, months: list[int]) -> None:
    rng = random.Random(2026)
    now = _now_text()
    first_member = _next_id(connection, "members")
    first_card = _next_id(connection, "cards")
    extra = json.dumps({"favourite_category": "food"})
    members = ((first_member + i, merchant_id, Seeded.name(i), Seeded.phone(i),
                rng.choice(("male", "female")),
                f"{rng.randint(1960, 2004)}-{rng.choice(months):02d}-{rng.randint(1, 28):02d}",
                "solar", 0, "", "", "", extra, store_id, "counter", now, now)
               for i in range(count))
    for chunk in _chunks(members):
        connection.executemany(
            "INSERT INTO members (id, merchant_id, name, phone, gender, birthday, "
            "birthday_calendar, birthday_leap_month, address, occupation, income_band, extra, "
            "registered_store_id, channel, created_at, updated_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", chunk)
    cards = ((first_card + i, merchant_id, Seeded.card_number(i), "standard", tier_id,
              first_member + i, "active", None, None, store_id, "bench", now, now, 0, None, None)
             for i in range(count))
    for chunk in _chunks(cards):
        connection.executemany(
            "INSERT INTO cards (id, merchant_id, number, kind, tier_id, member_id, status, "
            "pin_hash, expires_on, issued_store_id, batch, issued_at, activated_at, "
            "pin_failures, pin_locked_until, replaced_by_id) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", chunk)


def _bulk_balances(connection, merchant_id: int, store_id: int, staff_id: int, count: int) -> None:
    """One balanced 'bench_load' transaction: +OPENING to each card, the total to 'issued',
    with a lot per card (core.ledger.verify holds afterwards)."""
    now = _now_text()
    asset = card_debit.ASSET
    first_card = connection.execute(
        "SELECT MIN(id) FROM cards WHERE merchant_id = ? AND batch = 'bench'", (merchant_id,)
    ).fetchone()[0]
    transaction_id = _next_id(connection, "ledger_transactions")
    connection.execute(
        "INSERT INTO ledger_transactions (id, merchant_id, type, store_id, staff_id, "
        "idempotency_key, request_digest, reverses_id, memo, created_at) "
        "VALUES (?,?,?,?,?,NULL,NULL,NULL,'{}',?)",
        (transaction_id, merchant_id, "bench_load", store_id, staff_id, now))
    first_account = _next_id(connection, "accounts")
    issued_account = first_account + count
    for chunk in _chunks((first_account + i, merchant_id, "card", first_card + i, "", asset,
                          OPENING_BALANCE_FEN) for i in range(count)):
        connection.executemany(
            "INSERT INTO accounts (id, merchant_id, owner, card_id, purpose, asset, balance) "
            "VALUES (?,?,?,?,?,?,?)", chunk)
    connection.execute(
        "INSERT INTO accounts (id, merchant_id, owner, card_id, purpose, asset, balance) "
        "VALUES (?,?,'merchant',NULL,'issued',?,?)",
        (issued_account, merchant_id, asset, -OPENING_BALANCE_FEN * count))
    first_entry = _next_id(connection, "entries")
    for chunk in _chunks((first_entry + i, transaction_id, first_account + i, asset,
                          OPENING_BALANCE_FEN) for i in range(count)):
        connection.executemany(
            "INSERT INTO entries (id, transaction_id, account_id, asset, amount) "
            "VALUES (?,?,?,?,?)", chunk)
    connection.execute(
        "INSERT INTO entries (id, transaction_id, account_id, asset, amount) VALUES (?,?,?,?,?)",
        (first_entry + count, transaction_id, issued_account, asset, -OPENING_BALANCE_FEN * count))
    first_lot = _next_id(connection, "lots")
    for chunk in _chunks((first_lot + i, first_account + i, transaction_id, OPENING_BALANCE_FEN,
                          OPENING_BALANCE_FEN, None, now) for i in range(count)):
        connection.executemany(
            "INSERT INTO lots (id, account_id, transaction_id, amount, remaining, expires_on, "
            "created_at) VALUES (?,?,?,?,?,?,?)", chunk)
