"""Huika benchmark (``make bench`` = ``python -m tests.bench``; not part of ``make test``).

On SQLite (WAL, synchronous=FULL) in a temporary folder:

1. seed 100,000 members, each with an active card holding a balance (bulk inserts);
2. (c) the raw-engine reference: a checkout's money transaction in plain sqlite3 on a copy
   of that database, one connection (tests/bench_support/raw.py);
3. (a) checkouts in-process through core.checkout (build + commit in Database.write()), paid
   from the card (card_debit: the guarded debit + lots, like stored value without a PIN) and
   in cash with the member card; points are earned if the published points plugin earns;
4. (b) the same card checkouts over HTTP: gunicorn with 2 workers, 8 client threads;
5. (d) member lookups over HTTP on a second database with 1,000,000 members and cards: by
   phone, by the phone's last four digits, by card number and by name prefix (surname + first
   given character), every answer checked against the seed.

It prints one table and the goal line "HTTP checkouts >= 25 % of the raw engine figure, p99 <
25 ms" with PASS or MISS. All traffic stays on 127.0.0.1. ``--quick`` is a smoke run.
Results and their reading: docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import sys
import tempfile
import time
import uuid
from pathlib import Path

GOAL_RATIO = 0.25
GOAL_P99_MS = 25.0
WARMUP_CHECKOUTS = 20  # per in-process run, before measuring (SQLAlchemy's caches)
LINES = [
    {"sku": "MILK-1L", "name": "纯牛奶 1L", "category": "dairy", "unit_price_fen": 1299, "quantity": 2},
    {"sku": "BREAD", "name": "全麦面包", "category": "bakery", "unit_price_fen": 550},
    {"sku": "EGGS-12", "name": "鸡蛋 12 枚", "category": "fresh", "unit_price_fen": 1890,
     "promotion_permille": 900},
]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=100_000, help="members for the checkout runs")
    parser.add_argument("--lookup-members", type=int, default=1_000_000, help="members for lookups")
    parser.add_argument("--seconds", type=float, default=8.0, help="each raw and in-process run")
    parser.add_argument("--http-seconds", type=float, default=20.0, help="the HTTP checkout run")
    parser.add_argument("--paced-rate", type=float, default=10.0,
                        help="extra open-loop HTTP run at this many checkouts/s (0: none)")
    parser.add_argument("--paced-seconds", type=float, default=10.0, help="its length")
    parser.add_argument("--lookup-seconds", type=float, default=10.0, help="each lookup run")
    parser.add_argument("--threads", type=int, default=8, help="HTTP client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--skip-lookup", action="store_true", help="skip (d), the 1M-member seed")
    parser.add_argument("--quick", action="store_true", help="smoke run: small and short")
    args = parser.parse_args(argv)
    if args.quick:
        args.members, args.lookup_members = 2_000, 20_000
        args.seconds, args.http_seconds, args.lookup_seconds = 1.0, 3.0, 2.0
        args.paced_seconds = 2.0
    return args


def due_fen(tier_permille: int) -> int:
    from core.pricing import line_price

    return sum(line_price(line["unit_price_fen"] * line.get("quantity", 1),
                          line.get("promotion_permille", 1000), tier_permille,
                          line.get("special_price", False)) for line in LINES)


def checkout_body(number: str, method: str, amount: int) -> dict:
    return {"card_number": number, "lines": LINES,
            "payments": [{"method": method, "amount_fen": amount}]}


# -- the runs ------------------------------------------------------------------------

def fsync_probe(folder: Path, seconds: float = 2.0):
    """Commits/s of a one-row transaction: the disk's ceiling for any synchronous=FULL writer."""
    from tests.bench_support.stats import Timings

    path = folder / "fsync-probe.sqlite"
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE probe (id INTEGER PRIMARY KEY, value INTEGER)")
    timings = Timings()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        began = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        connection.execute("INSERT INTO probe (value) VALUES (1)")
        connection.execute("COMMIT")
        timings.add(time.perf_counter() - began, 200)
    connection.close()
    return timings.finish()


def pin_probe(keyed: bool, count: int):
    """One PIN check as a stored-value payment makes it: HMAC-SHA256 under the pepper (now),
    or the scrypt hash every PIN had before (still checked once, then upgraded)."""
    from core.security import check_pin_hash, hash_pin, hash_secret
    from tests.bench_support.stats import Timings

    pepper = b"\x5a" * 32
    stored = hash_pin("384920", pepper) if keyed else hash_secret("384920")
    timings = Timings()
    began_cpu = time.process_time()
    for _ in range(count):
        began = time.perf_counter()
        assert check_pin_hash("384920", stored, (pepper,))[0]
        timings.add(time.perf_counter() - began, 200)
    timings.finish()
    timings.cpu = time.process_time() - began_cpu
    return timings


def in_process(seeded, method: str, seconds: float):
    """Checkouts through core.checkout, one write transaction each, back to back."""
    from core import checkout
    from core.config_versions import published_config
    from core.db import Database
    from core.errors import HuikaError
    from core.plugins import build_registry
    from tests.bench_support.stats import Timings

    registry = build_registry()
    db = Database.from_url(seeded.url)
    with db.read() as session:
        config = published_config(session, seeded.merchant_id, registry)
    amount = due_fen(seeded.tier_permille)
    rng = random.Random(11 if method == "cash" else 12)
    timings, warm, earned = Timings(), Timings(), {}
    began_cpu = None
    deadline = None
    try:
        while deadline is None or time.perf_counter() < deadline:
            if deadline is None and len(warm.samples) >= WARMUP_CHECKOUTS:  # caches warm
                timings.began, began_cpu = time.perf_counter(), time.process_time()
                deadline = timings.began + seconds
            body = checkout_body(seeded.card_number(rng.randrange(seeded.members)), method, amount)
            began = time.perf_counter()
            try:
                with db.write() as session:
                    state = checkout.build(session, config, seeded.merchant_id, body,
                                           store_id=seeded.store_id, staff_id=seeded.staff_id)
                    record = checkout.commit(state, body["payments"])
                    earned = dict(record.earned or {})
                status = 201
            except HuikaError as error:
                status = 409 if error.code in ("insufficient_balance", "conflict") else 422
            (timings if deadline is not None else warm).add(time.perf_counter() - began, status)
    finally:
        db.dispose()
    timings.finish()
    timings.cpu = time.process_time() - began_cpu
    timings.warmup_ok = warm.ok
    timings.earned = earned
    return timings


def http_checkouts(seeded, workdir: Path, site: Path, args):
    from tests.bench_support import httpload

    amount = due_fen(seeded.tier_permille)
    headers = {"Authorization": f"Bearer {seeded.token}"}
    generators = [random.Random(100 + t) for t in range(args.threads)]
    sample: dict = {}
    server_errors: list[bytes] = []

    def make(thread: int, _index: int):
        number = seeded.card_number(generators[thread].randrange(seeded.members))
        return ("POST", "/api/v1/checkout", checkout_body(number, "card_debit", amount),
                {**headers, "Idempotency-Key": uuid.uuid4().hex})

    def seen(status: int, raw: bytes) -> None:
        if status == 201 and not sample:
            sample.update(json.loads(raw))
        elif status >= 500 and len(server_errors) < 3:
            server_errors.append(raw[:300])

    with httpload.Gunicorn(seeded.url, workdir, workers=args.workers, pythonpath=[site]) as server:
        warm = httpload.load(server.port, make, threads=args.threads,
                             seconds=min(2.0, args.http_seconds))
        cpu = server.cpu_seconds()
        timings = httpload.load(server.port, make, threads=args.threads, seconds=args.http_seconds,
                                on_response=seen)
        timings.cpu = server.cpu_seconds() - cpu
        paced = None
        if args.paced_rate:
            cpu = server.cpu_seconds()
            paced = httpload.load(server.port, make, threads=args.threads,
                                  seconds=args.paced_seconds, rate=args.paced_rate,
                                  on_response=seen)
            paced.cpu = server.cpu_seconds() - cpu
    timings.warmup_ok = warm.ok + (paced.ok if paced else 0)
    timings.paced = paced
    timings.earned = {e["asset"]: e["amount"] for e in sample.get("earned", [])}
    timings.server_errors = server_errors
    return timings


LOOKUP_KINDS = ("phone", "phone_last4", "card_number", "name_prefix")
LOOKUP_PAGE = 20  # the API's default per_page
LOOKUP_CHECK_EVERY = 10


def lookup_value(seeded, kind: str, index: int) -> str:
    """What a cashier types to find the index-th member: the phone, its last four digits
    (手机尾号), the card number, or surname + first given character."""
    if kind == "phone_last4":
        return seeded.phone(index)[-4:]
    if kind == "name_prefix":
        return seeded.name(index)[:2]
    return getattr(seeded, kind)(index)


def lookup_problem(seeded, kind: str, value: str, answer: dict, prefix_counts) -> str | None:
    """Why ``answer`` is not the right first page for ``value`` (None: it is)."""
    items, total = answer["items"], answer["total"]
    if kind in ("phone", "card_number"):
        got = items[0]["phone"] if kind == "phone" and items else None
        if kind == "card_number" and items:
            got = next((c["number"] for c in items[0]["cards"] if c["number"] == value), None)
        return None if total == 1 and len(items) == 1 and got == value else "not exactly that member"
    if kind == "phone_last4":
        last4 = int(value)
        expected = seeded.members // 10_000 + (1 if last4 < seeded.members % 10_000 else 0)
        ids = [m["id"] for m in items]
        if not all(m["phone"].endswith(value) for m in items) or ids != sorted(ids):
            return "a phone not ending in the digits, or not in id order"
    else:
        expected = prefix_counts[value]
        keys = [(m["name"], m["id"]) for m in items]
        if not all(m["name"].startswith(value) for m in items) or keys != sorted(keys):
            return "a name without the prefix, or not in (name, id) order"
    if total != expected or len(items) != min(expected, LOOKUP_PAGE):
        return f"total {total} / {len(items)} items, expected {expected}"
    return None


def lookups(seeded, workdir: Path, site: Path, args) -> dict:
    """Each kind of lookup over HTTP (gunicorn, ``args.threads`` clients). Answers are checked
    against the seed, not just their status: every one in the warm-up second, one in
    ``LOOKUP_CHECK_EVERY`` while measuring (checking costs the load generator's CPU)."""
    import threading
    from collections import Counter
    from urllib.parse import quote

    from tests.bench_support import httpload

    headers = {"Authorization": f"Bearer {seeded.token}"}
    prefix_counts = Counter(seeded.name(index)[:2] for index in range(seeded.members))
    results = {}
    with httpload.Gunicorn(seeded.url, workdir, workers=args.workers, pythonpath=[site]) as server:
        for kind in LOOKUP_KINDS:
            generators = [random.Random(200 + t) for t in range(args.threads)]
            wrong: list = []
            asked: dict = {}  # client thread -> the value of its request in flight
            checked = [0, 1]  # answers checked, check one in this many

            def make(thread: int, _index: int, kind=kind, generators=generators, asked=asked):
                value = lookup_value(seeded, kind, generators[thread].randrange(seeded.members))
                asked[threading.get_ident()] = value
                return "GET", f"/api/v1/members?{kind}={quote(value)}", None, headers

            def seen(status: int, raw: bytes, kind=kind, wrong=wrong, asked=asked,
                     checked=checked) -> None:
                value = asked[threading.get_ident()]
                if status != 200 or random.randrange(checked[1]):
                    return
                checked[0] += 1
                problem = lookup_problem(seeded, kind, value, json.loads(raw), prefix_counts)
                if problem and len(wrong) < 5:
                    wrong.append(f"{kind}={value}: {problem}")

            httpload.load(server.port, make, threads=args.threads, seconds=1.0, on_response=seen)
            checked[1] = LOOKUP_CHECK_EVERY
            cpu = server.cpu_seconds()
            timings = httpload.load(server.port, make, threads=args.threads,
                                    seconds=args.lookup_seconds, on_response=seen)
            timings.cpu = server.cpu_seconds() - cpu
            timings.wrong, timings.checked = wrong, checked[0]
            results[kind] = timings
    return results


def check_ledger(seeded) -> tuple[list[str], int]:
    from sqlalchemy import func, select

    from core import ledger
    from core.db import Database
    from core.models import Checkout

    db = Database.from_url(seeded.url)
    try:
        with db.read() as session:
            return (ledger.verify(session, seeded.merchant_id),
                    session.scalar(select(func.count()).select_from(Checkout)))
    finally:
        db.dispose()


# -- output --------------------------------------------------------------------------

def row(what: str, clients, timings) -> str:
    cpu = timings.cpu_ms_per_op
    cpu_text = f"{cpu:.2f}" if cpu is not None else "-"
    return (f"| {what:<46} | {clients:>7} | {timings.rate:>8.1f} | {timings.p50:>7.2f} | "
            f"{timings.p99:>7.2f} | {timings.max_ms:>8.2f} | {cpu_text:>10} | "
            f"{timings.status_text()} |")


def load_average() -> str:
    try:
        return " ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


def machine_facts() -> list[str]:
    import sqlalchemy

    model = "unknown"
    try:
        model = next(line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                     if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    facts = [f"cores (nproc): {os.cpu_count()} ({model})",
             f"python: {platform.python_version()} ({platform.python_implementation()})",
             f"sqlite: {sqlite3.sqlite_version} (journal_mode=WAL, synchronous=FULL)",
             f"sqlalchemy: {sqlalchemy.__version__}",
             f"platform: {platform.platform()}"]
    try:
        import gunicorn

        facts.append(f"gunicorn: {gunicorn.__version__}")
    except ImportError:
        facts.append("gunicorn: not installed")
    return facts


def main(argv=None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="huika-bench-", dir=args.dir))
    try:
        return _run(args, workdir, started)
    finally:
        if args.keep:
            print(f"\n(kept {workdir})")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def _run(args, workdir: Path, started: float) -> int:
    from tests.bench_support import card_debit, httpload, raw, seed

    print("Huika benchmark")
    for fact in machine_facts():
        print("  " + fact)
    print(f"  load average (1, 5, 15 min) at start: {load_average()}")
    print(f"  work folder: {workdir}")
    site = workdir / "site"
    card_debit.install(site)

    print(f"\nseeding {args.members:,} members with cards and balances ...", flush=True)
    seeded = seed.create(workdir / "checkout.sqlite", args.members, with_balances=True)
    print(f"  done in {seeded.seconds:.1f} s; enabled plugins: {', '.join(seeded.enabled_plugins)}")
    raw_path = workdir / "raw.sqlite"
    shutil.copyfile(seeded.path, raw_path)
    amount = due_fen(seeded.tier_permille)

    print("measuring ...", flush=True)
    probe = fsync_probe(workdir)
    pin = pin_probe(keyed=True, count=2000)
    pin_scrypt = pin_probe(keyed=False, count=20)
    reference = raw.run(raw_path, seeded.merchant_id, seeded.store_id, seeded.staff_id,
                        seeded.members, amount, LINES, args.seconds, "minimal")
    raw_full = raw.run(raw_path, seeded.merchant_id, seeded.store_id, seeded.staff_id,
                       seeded.members, amount, LINES, args.seconds, "full")
    raw_threads = raw.run(raw_path, seeded.merchant_id, seeded.store_id, seeded.staff_id,
                          seeded.members, amount, LINES, args.seconds, "minimal", args.threads)
    core_card = in_process(seeded, "card_debit", args.seconds)
    core_cash = in_process(seeded, "cash", args.seconds)
    http = None
    if httpload.gunicorn_available():
        http = http_checkouts(seeded, workdir, site, args)
    else:
        print("  gunicorn is not installed: HTTP runs skipped (pip install gunicorn)")
    problems, checkout_rows = check_ledger(seeded)

    lookup = {}
    if not args.skip_lookup and http is not None:
        print(f"seeding {args.lookup_members:,} members with cards for lookups ...", flush=True)
        big = seed.create(workdir / "lookup.sqlite", args.lookup_members, with_balances=False)
        print(f"  done in {big.seconds:.1f} s ({big.path.stat().st_size / 2**20:.0f} MiB)")
        lookup = lookups(big, workdir, site, args)

    header = (f"| {'what':<46} | {'clients':>7} | {'ok/s':>8} | {'p50 ms':>7} | {'p99 ms':>7} | "
              f"{'max ms':>8} | {'CPU ms/op':>10} | statuses |")
    print("\n" + header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    print(row("fsync ceiling: 1-row commit, raw sqlite3", 1, probe))
    print(row("PIN check, HMAC-SHA256 + pepper (each payment)", 1, pin))
    print(row("    PIN check, scrypt (before; upgraded on use)", 1, pin_scrypt))
    print(row("(c) raw sqlite3 checkout, minimal [reference]", 1, reference))
    print(row("    raw sqlite3 checkout, Huika's full row set", 1, raw_full))
    print(row(f"    raw sqlite3 checkout, minimal, {args.threads} threads", args.threads,
              raw_threads))
    print(row("(a) in-process core.checkout, card debit", 1, core_card))
    print(row("    in-process core.checkout, cash + card", 1, core_cash))
    if http is not None:
        print(row(f"(b) HTTP checkout, gunicorn -w {args.workers}, card debit", args.threads, http))
        if http.paced is not None:
            print(row(f"    same, open loop at {args.paced_rate:g} checkouts/s", args.threads,
                      http.paced))
    for kind, timings in lookup.items():
        print(row(f"(d) HTTP GET ?{kind}= ({args.lookup_members:,} members)", args.threads,
                  timings))

    print(f"\nbasket: {len(LINES)} lines, {amount} fen; checkout database: {args.members:,} members; "
          f"points earned per checkout: {core_card.earned or 'none (no checkout_earn hook yet)'}")
    http_ok = http.ok + http.warmup_ok if http else 0
    core_ok = core_card.ok + core_cash.ok + core_card.warmup_ok + core_cash.warmup_ok
    expected_rows = core_ok + http_ok
    print(f"after the runs: {checkout_rows:,} checkout rows for {expected_rows:,} successful "
          f"checkouts (in-process {core_ok:,}, HTTP {http_ok:,}, both incl. warm-up); "
          f"core.ledger.verify: "
          f"{'[] (all invariants hold)' if not problems else problems[:5]}")
    for kind, timings in lookup.items():
        print(f"lookup answers checked against the seed ({kind}): {timings.checked:,}, "
              f"wrong: {timings.wrong or 'none'}")
    if http is not None and http.server_errors:
        print(f"SERVER ERRORS: {http.server_errors}")
    print(f"in-process / raw = {core_card.rate / reference.rate:.0%}")
    verdict = "NOT MEASURED (gunicorn missing)"
    if http is not None:
        ratio = http.rate / reference.rate
        ratio_ok, p99_ok = ratio >= GOAL_RATIO, http.p99 < GOAL_P99_MS
        print(f"HTTP / raw       = {ratio:.0%}")
        verdict = (f"{'PASS' if ratio_ok and p99_ok else 'MISS'}  (ratio {ratio:.0%}: "
                   f"{'PASS' if ratio_ok else 'MISS'}; p99 {http.p99:.1f} ms: "
                   f"{'PASS' if p99_ok else 'MISS'})")
    print(f"GOAL  HTTP checkouts >= 25 % of the raw engine figure, p99 < 25 ms: {verdict}")
    print(f"\nwhole bench: {time.perf_counter() - started:.0f} s")
    print(f"load average at the end: {load_average()} (others' work on the machine skews figures)")
    return 0 if not problems and checkout_rows == expected_rows else 1


if __name__ == "__main__":
    sys.exit(main())
