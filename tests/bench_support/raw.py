"""The raw-engine reference: a checkout's money transaction in plain sqlite3.

Runs on a copy of the seeded database (same schema, indexes, triggers and data size), on one
connection, with Huika's settings: WAL, synchronous=FULL, BEGIN IMMEDIATE. Two variants:

- ``minimal`` (the goal's reference): find the card by number, the guarded balance update
  (``balance - amount >= 0``), the merchant account update, one transaction row and its two
  ledger entries. This is the least any correct checkout must write.
- ``full``: the same plus every other row a Huika checkout writes (lot + lot movement, the
  checkout, its lines and payment, the idempotency record), to split the gap between "more
  rows" and "more Python".
"""
from __future__ import annotations

import json
import random
import sqlite3
import time
import uuid
from datetime import datetime, timezone

from .card_debit import ASSET
from .stats import Timings


def run(path, merchant_id: int, store_id: int, staff_id: int, cards: int, amount: int,
        lines: list[dict], seconds: float, variant: str = "minimal", threads: int = 1) -> Timings:
    """Checkouts back to back for ``seconds``; ``threads`` > 1 runs that many connections at
    once (they queue on SQLite's one write lock through busy_timeout, like web workers)."""
    import threading

    timings = Timings()
    began_cpu = time.process_time()
    workers = [threading.Thread(target=_client, args=(
        path, merchant_id, store_id, staff_id, cards, amount, lines, seconds, variant, seed,
        timings)) for seed in range(threads)]
    timings.began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    timings.finish()
    timings.cpu = time.process_time() - began_cpu
    return timings


def _client(path, merchant_id, store_id, staff_id, cards, amount, lines, seconds, variant, seed,
            timings: Timings) -> None:
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA busy_timeout=5000")
    issued = connection.execute(
        "SELECT id FROM accounts WHERE merchant_id = ? AND owner = 'merchant' AND purpose = "
        "'issued' AND asset = ?", (merchant_id, ASSET)).fetchone()[0]
    rng = random.Random(7 + seed)
    deadline = time.perf_counter() + seconds
    try:
        while time.perf_counter() < deadline:
            number = f"8{rng.randrange(cards):015d}"
            began = time.perf_counter()
            try:
                status = 201 if _checkout(connection, merchant_id, store_id, staff_id, issued,
                                          number, amount, lines, variant == "full") else 409
            except sqlite3.OperationalError as error:  # locked past busy_timeout
                if "locked" not in str(error) and "busy" not in str(error):
                    raise
                status = 503
            timings.add(time.perf_counter() - began, status)
    finally:
        connection.close()


def _checkout(connection, merchant_id, store_id, staff_id, issued, number, amount, lines,
              full: bool) -> bool:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    execute = connection.execute
    execute("BEGIN IMMEDIATE")
    try:
        card_id, member_id = execute(
            "SELECT id, member_id FROM cards WHERE merchant_id = ? AND number = ? AND status = 'active'",
            (merchant_id, number)).fetchone()
        account = execute("SELECT id FROM accounts WHERE card_id = ? AND asset = ?",
                          (card_id, ASSET)).fetchone()[0]
        transaction = execute(
            "INSERT INTO ledger_transactions (merchant_id, type, store_id, staff_id, memo, "
            "created_at) VALUES (?, 'checkout', ?, ?, ?, ?)",
            (merchant_id, store_id, staff_id, json.dumps({"card_number": number}), now)).lastrowid
        debited = execute("UPDATE accounts SET balance = balance - ? WHERE id = ? "
                          "AND balance - ? >= 0", (amount, account, amount)).rowcount
        if debited != 1:
            execute("ROLLBACK")
            return False
        execute("UPDATE accounts SET balance = balance + ? WHERE id = ?", (amount, issued))
        execute("INSERT INTO entries (transaction_id, account_id, asset, amount) VALUES (?,?,?,?)",
                (transaction, account, ASSET, -amount))
        execute("INSERT INTO entries (transaction_id, account_id, asset, amount) VALUES (?,?,?,?)",
                (transaction, issued, ASSET, amount))
        if full:
            lot = execute("SELECT id FROM lots WHERE account_id = ? AND remaining > 0 "
                          "ORDER BY expires_on IS NULL, expires_on, id LIMIT 1",
                          (account,)).fetchone()[0]
            execute("UPDATE lots SET remaining = remaining - ? WHERE id = ?", (amount, lot))
            execute("INSERT INTO lot_movements (lot_id, transaction_id, amount) VALUES (?,?,?)",
                    (lot, transaction, -amount))
            checkout = execute(
                "INSERT INTO checkouts (merchant_id, transaction_id, card_id, member_id, store_id, "
                "staff_id, tier_key, list_total_fen, due_total_fen, earned, receipt, created_at) "
                "VALUES (?,?,?,?,?,?,NULL,?,?,'{}','{}',?)",
                (merchant_id, transaction, card_id, member_id, store_id, staff_id, amount, amount,
                 now)).lastrowid
            for line_no, line in enumerate(lines, 1):
                quantity = line.get("quantity", 1)
                execute("INSERT INTO checkout_lines (checkout_id, line_no, sku, name, category, "
                        "quantity, unit_price_fen, special_price, promotion_permille, "
                        "tier_permille, list_fen, paid_fen, returned_quantity) "
                        "VALUES (?,?,?,?,'',?,?,0,?,1000,?,?,0)",
                        (checkout, line_no, line["sku"], line.get("name", line["sku"]), quantity,
                         line["unit_price_fen"], line.get("promotion_permille", 1000),
                         line["unit_price_fen"] * quantity, line["unit_price_fen"] * quantity))
            execute("INSERT INTO checkout_payments (checkout_id, method, amount_fen, postings, "
                    "refunded_fen) VALUES (?, 'card_debit', ?, ?, 0)",
                    (checkout, amount, json.dumps([{"account_id": account, "amount": -amount}])))
            execute("UPDATE checkouts SET receipt = ? WHERE id = ?",
                    (json.dumps({"checkout_id": checkout, "due_fen": amount}), checkout))
            execute("INSERT INTO idempotency_records (merchant_id, key, request_digest, status, "
                    "response, created_at) VALUES (?,?,?,201,?,?)",
                    (merchant_id, uuid.uuid4().hex, "0" * 64, json.dumps({"checkout_id": checkout}),
                     now))
        execute("COMMIT")
        return True
    except BaseException:
        if connection.in_transaction:
            execute("ROLLBACK")
        raise
