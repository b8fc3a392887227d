"""The raw-engine reference: a checkout's money transaction in plain SQL, one connection each.

SQLite (``sqlite3``, on a copy of the seeded database: same schema, indexes, triggers and data
size, Huika's settings: WAL, synchronous=FULL, BEGIN IMMEDIATE) or PostgreSQL (``psycopg``,
READ COMMITTED, the guarded UPDATE as the lock). The SQL is written once with ``?`` and sent
with ``%s`` to psycopg, which prepares it after a few runs, as sqlite3 caches it. Two variants:

- ``minimal`` (a lower bound): find the card by number, the guarded balance update
  (``balance - amount >= 0``), the merchant account update, one transaction row and its two
  ledger entries. The least any correct checkout must write.
- ``full``: exactly the rows a Huika API checkout with the bench's published configuration
  writes (tests/bench_support/rowset.py checks it): the transaction, the card debit's entries,
  lot and lot movement, the points earned (the card's and the merchant's points accounts,
  created on first use by an upsert, their entries and a points lot), the checkout, its lines,
  payment and receipt, and the idempotency record. The figure Huika's CPU is compared with.

Every statement from BEGIN to COMMIT goes through ``RawCheckout.execute`` and is counted.
"""
from __future__ import annotations

import json
import random
import sqlite3
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone

from core.clock import MERCHANT_TZ
from core.pricing import line_price

from .card_debit import ASSET, METHOD
from .stats import Timings


@dataclass(frozen=True)
class Earning:
    """What one checkout earns, as the published points plugin earns it (taken from a Huika
    checkout of the same basket, so raw and Huika write the same amounts)."""

    asset: str
    amount: int
    expires_on: str | None
    detail: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass
class Basket:
    lines: list[dict]
    due: int
    tier_key: str | None
    tier_permille: int
    earnings: tuple[Earning, ...] = ()


def connect_sqlite(path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=5000")
    return connection


def connect_postgres(url: str):
    import psycopg

    # autocommit: BEGIN and COMMIT are sent (and counted) by RawCheckout, as for SQLite;
    # PostgreSQL's default READ COMMITTED applies.
    return psycopg.connect(url, autocommit=True)


class RawCheckout:
    """One connection's checkout transaction; ``statements`` counts what it sent."""

    def __init__(self, connection, dialect: str, merchant_id: int, store_id: int, staff_id: int,
                 basket: Basket) -> None:
        self.connection = connection
        self.postgres = dialect == "postgresql"
        self.merchant_id, self.store_id, self.staff_id = merchant_id, store_id, staff_id
        self.basket = basket
        self.statements = 0
        self.issued = self._one(
            "SELECT id FROM accounts WHERE merchant_id = ? AND owner = 'merchant' AND purpose = "
            "'issued' AND asset = ?", (merchant_id, ASSET))[0]
        self.statements = 0

    def execute(self, sql: str, params=()):
        self.statements += 1
        if self.postgres:
            sql = sql.replace("?", "%s")
        return self.connection.execute(sql, params)

    def _one(self, sql: str, params=()):
        return self.execute(sql, params).fetchone()

    def _now(self):
        now = datetime.now(timezone.utc)
        # SQLite: SQLAlchemy's DateTime text format (UTC), as Huika stores it.
        return now if self.postgres else now.strftime("%Y-%m-%d %H:%M:%S.%f")

    def checkout(self, number: str, full: bool) -> bool:
        """One checkout paid from card ``number``; False when its balance is too small."""
        self.execute("BEGIN" if self.postgres else "BEGIN IMMEDIATE")
        try:
            done = (self._full if full else self._minimal)(number)
            self.execute("COMMIT" if done else "ROLLBACK")
            return done
        except BaseException:
            if self._in_transaction():
                self.execute("ROLLBACK")
            raise

    def _in_transaction(self) -> bool:
        if self.postgres:
            from psycopg.pq import TransactionStatus

            return self.connection.info.transaction_status != TransactionStatus.IDLE
        return self.connection.in_transaction

    def _minimal(self, number: str) -> bool:
        amount = self.basket.due
        card_id, _member_id, _name, account = self._card(number)
        transaction = self._transaction(number, self._now())
        if self._one("UPDATE accounts SET balance = balance - ? WHERE id = ? "
                     "AND balance - ? >= 0 RETURNING balance", (amount, account, amount)) is None:
            return False
        self.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, self.issued))
        self.execute("INSERT INTO entries (transaction_id, account_id, asset, amount) "
                     "VALUES (?,?,?,?), (?,?,?,?)",
                     (transaction, account, ASSET, -amount, transaction, self.issued, ASSET, amount))
        return True

    def _card(self, number: str):
        return self._one(
            "SELECT cards.id, cards.member_id, members.name, accounts.id FROM cards "
            "JOIN members ON members.id = cards.member_id "
            "JOIN accounts ON accounts.card_id = cards.id AND accounts.owner = 'card' "
            "AND accounts.asset = ? "
            "WHERE cards.merchant_id = ? AND cards.number = ? AND cards.status = 'active'",
            (ASSET, self.merchant_id, number))

    def _transaction(self, number: str, now) -> int:
        return self._one(
            "INSERT INTO ledger_transactions (merchant_id, type, store_id, staff_id, memo, "
            "created_at) VALUES (?, 'checkout', ?, ?, ?, ?) RETURNING id",
            (self.merchant_id, self.store_id, self.staff_id, json.dumps({"card_number": number}),
             now))[0]

    def _full(self, number: str) -> bool:
        """The card's rows first, the rows every checkout shares (the merchant's accounts)
        last, so that on PostgreSQL their row locks are held only for the last statements."""
        basket, amount, now = self.basket, self.basket.due, self._now()
        card_id, member_id, member_name, account = self._card(number)
        transaction = self._transaction(number, now)
        debited = self._one("UPDATE accounts SET balance = balance - ? WHERE id = ? "
                            "AND balance - ? >= 0 RETURNING balance", (amount, account, amount))
        if debited is None:
            return False
        balances = {ASSET: debited[0]}
        entries = [(transaction, account, ASSET, -amount)]
        self._take_from_lots(account, transaction, amount)
        for earning in basket.earnings:
            balances[earning.asset] = self._earn(card_id, transaction, earning, now, entries)
        lines = self._priced_lines()
        list_total = sum(line["list_fen"] for line in lines)
        earned = {earning.asset: earning.amount for earning in basket.earnings}
        postings = [{"account_id": account, "amount": -amount},
                    {"account_id": self.issued, "amount": amount}]
        # As Huika stores it: written with the row (the row's own id and time are added when
        # the receipt is read).
        receipt = json.dumps({
            "card_number": number,
            "member_name": member_name, "tier": basket.tier_key, "tier_after": basket.tier_key,
            "lines": lines, "list_total_fen": list_total, "due_fen": amount,
            "discount_fen": list_total - amount,
            "payments": [{"method": METHOD, "amount_fen": amount, "asset": ASSET}],
            "earned": [{"asset": e.asset, "amount": e.amount, **e.detail}
                       for e in basket.earnings],
            "balances": balances})
        checkout = self._one(
            "INSERT INTO checkouts (merchant_id, transaction_id, card_id, member_id, store_id, "
            "staff_id, tier_key, list_total_fen, due_total_fen, earned, receipt, created_at) "
            "VALUES (?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id",
            (self.merchant_id, transaction, card_id, member_id, self.store_id, self.staff_id,
             basket.tier_key, list_total, amount, json.dumps(earned), receipt, now))[0]
        self.execute("INSERT INTO checkout_lines (checkout_id, line_no, sku, name, category, "
                     "quantity, unit_price_fen, special_price, promotion_permille, tier_permille, "
                     "list_fen, paid_fen, returned_quantity) VALUES "
                     + ", ".join(["(?,?,?,?,?,?,?,?,?,?,?,?,0)"] * len(lines)),
                     tuple(value for line in lines for value in (
                         checkout, line["line_no"], line["sku"], line["name"], line["category"],
                         line["quantity"], line["unit_price_fen"], line["special_price"],
                         line["promotion_permille"], line["tier_permille"], line["list_fen"],
                         line["paid_fen"])))
        self.execute("INSERT INTO checkout_payments (checkout_id, method, amount_fen, postings, "
                     "refunded_fen) VALUES (?, ?, ?, ?, 0)",
                     (checkout, METHOD, amount, json.dumps(postings)))
        # C4's running spend per card and merchant day.
        self.execute("INSERT INTO card_spend_days (card_id, day, net_fen) VALUES (?, ?, ?) "
                     "ON CONFLICT (card_id, day) DO UPDATE SET "
                     "net_fen = card_spend_days.net_fen + excluded.net_fen",
                     (card_id, datetime.now(MERCHANT_TZ).date().isoformat(), amount))
        self.execute("INSERT INTO idempotency_records (merchant_id, key, request_digest, status, "
                     "response, created_at) VALUES (?,?,?,201,?,?)",
                     (self.merchant_id, uuid.uuid4().hex, "0" * 64, receipt, now))
        # The shared rows, always in the same order (no deadlock between clients).
        self.execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, self.issued))
        entries.append((transaction, self.issued, ASSET, amount))
        for earning in basket.earnings:
            entries.append((transaction, self._merchant_issue(earning), earning.asset,
                            -earning.amount))
        self.execute("INSERT INTO entries (transaction_id, account_id, asset, amount) VALUES "
                     + ", ".join(["(?,?,?,?)"] * len(entries)),
                     tuple(value for entry in entries for value in entry))
        return True

    def _take_from_lots(self, account: int, transaction: int, amount: int) -> None:
        """Oldest-expiring lots first, as core.ledger does (one lot in the bench's data)."""
        left = amount
        for lot, remaining in self.execute(
                "SELECT id, remaining FROM lots WHERE account_id = ? AND remaining > 0 "
                "ORDER BY expires_on IS NULL, expires_on, id", (account,)).fetchall():
            taken = min(left, remaining)
            self.execute("UPDATE lots SET remaining = remaining - ? WHERE id = ?", (taken, lot))
            self.execute("INSERT INTO lot_movements (lot_id, transaction_id, amount) "
                         "VALUES (?,?,?)", (lot, transaction, -taken))
            left -= taken
            if not left:
                return

    def _earn(self, card_id: int, transaction: int, earning: Earning, now, entries: list) -> int:
        """Credit the card's points account (created on first use) and open its lot; the
        merchant's side is ``_merchant_issue``. Returns the card's new balance."""
        account, balance = self._one(
            "INSERT INTO accounts (merchant_id, owner, card_id, purpose, asset, balance) "
            "VALUES (?, 'card', ?, '', ?, ?) "
            "ON CONFLICT (merchant_id, owner, card_id, purpose, asset) "
            "DO UPDATE SET balance = accounts.balance + excluded.balance RETURNING id, balance",
            (self.merchant_id, card_id, earning.asset, earning.amount))
        self.execute("INSERT INTO lots (account_id, transaction_id, amount, remaining, expires_on, "
                      "created_at) VALUES (?,?,?,?,?,?)",
                      (account, transaction, earning.amount, earning.amount, earning.expires_on,
                       now))
        entries.append((transaction, account, earning.asset, earning.amount))
        return balance

    def _merchant_issue(self, earning: Earning) -> int:
        """Debit the merchant's 'issued' account of the earned asset (created on first use)."""
        return self._one(
            "INSERT INTO accounts (merchant_id, owner, card_id, purpose, asset, balance) "
            "VALUES (?, 'merchant', NULL, 'issued', ?, ?) "
            "ON CONFLICT (merchant_id, purpose, asset) WHERE owner = 'merchant' "
            "DO UPDATE SET balance = accounts.balance + excluded.balance RETURNING id",
            (self.merchant_id, earning.asset, -earning.amount))[0]

    def _priced_lines(self) -> list[dict]:
        lines = []
        for line_no, line in enumerate(self.basket.lines, 1):
            quantity = line.get("quantity", 1)
            list_fen = line["unit_price_fen"] * quantity
            special = line.get("special_price", False)
            promotion = line.get("promotion_permille", 1000)
            lines.append({
                "line_no": line_no, "sku": line["sku"], "name": line.get("name", line["sku"]),
                "category": line.get("category", ""), "quantity": quantity,
                "unit_price_fen": line["unit_price_fen"], "special_price": special,
                "promotion_permille": promotion, "tier_permille": self.basket.tier_permille,
                "list_fen": list_fen,
                "paid_fen": line_price(list_fen, promotion, self.basket.tier_permille, special)})
        return lines


def run(connect, dialect: str, merchant_id: int, store_id: int, staff_id: int, cards: int,
        basket: Basket, seconds: float, variant: str = "minimal", threads: int = 1,
        db_cpu=None) -> Timings:
    """Checkouts back to back for ``seconds`` on ``threads`` connections from ``connect()``
    (on SQLite they queue on its one write lock through busy_timeout, like web workers).
    Sets ``timings.cpu`` (this process), ``timings.statements`` (per checkout attempt) and,
    given ``db_cpu`` (the database server's CPU seconds so far), ``timings.db_cpu``."""
    timings = Timings()
    counted = [0]
    start = threading.Barrier(threads + 1)
    clients = [threading.Thread(target=_client, args=(
        connect, dialect, merchant_id, store_id, staff_id, cards, basket, seconds, variant, seed,
        timings, counted, start)) for seed in range(threads)]
    for client in clients:
        client.start()
    start.wait()  # connections are open: connecting is not part of the measure
    timings.began, began_cpu = time.perf_counter(), time.process_time()
    began_db = db_cpu() if db_cpu else None
    for client in clients:
        client.join()
    timings.finish()
    timings.cpu = time.process_time() - began_cpu
    timings.db_cpu = db_cpu() - began_db if db_cpu else None
    attempts = len(timings.samples)
    timings.statements = counted[0] / attempts if attempts else None
    return timings


def _client(connect, dialect, merchant_id, store_id, staff_id, cards, basket, seconds, variant,
            seed, timings: Timings, counted: list, start: threading.Barrier) -> None:
    connection = connect()
    raw = RawCheckout(connection, dialect, merchant_id, store_id, staff_id, basket)
    rng = random.Random(7 + seed)
    start.wait()
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline:
            number = f"8{rng.randrange(cards):015d}"
            began = time.perf_counter()
            try:
                status = 201 if raw.checkout(number, variant == "full") else 409
            except sqlite3.OperationalError as error:  # locked past busy_timeout
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                status = 503
            timings.add(time.perf_counter() - began, status)
    finally:
        with timings._lock:
            counted[0] += raw.statements
        connection.close()
