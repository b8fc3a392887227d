"""Huika benchmark (``make bench`` = ``python -m tests.bench``; not part of ``make test``).

On SQLite (WAL, synchronous=FULL) in a temporary folder:

1. seed 100,000 members, each with an active card holding a balance (bulk inserts);
2. check that the raw "full" reference writes the rows a Huika checkout writes (one API,
   one in-process and one raw checkout of the same card on copies of the seed);
3. (c) the raw-engine reference: a checkout's money transaction in plain sqlite3 on a copy
   of that database, one connection (tests/bench_support/raw.py), minimal and full row set;
4. (a) checkouts in-process through core.checkout (build + commit in Database.write()), paid
   from the card (card_debit: the guarded debit + lots, like stored value without a PIN) and
   in cash with the member card; points are earned as the published points plugin earns;
   the statements sent per checkout are counted;
5. (b) the same card checkouts over HTTP: gunicorn with 2 workers, 8 client threads;
6. (d) member lookups over HTTP on a second database with 1,000,000 members and cards: by
   phone, by the phone's last four digits, by card number and by name prefix (surname + first
   given character), every answer checked against the seed;
7. with ``--postgres`` (or ``--postgres-url``): raw psycopg and Huika (in-process and HTTP)
   on PostgreSQL, 8 clients each.

``--reminders 1000000`` runs only the reminder scans (issue 14; tests/bench_support/
reminder_scan.py): every reminder kind over a merchant with that many members, seconds per kind.

``--reports`` runs only the report part instead (issue 12, G4; tests/bench_support/
money_reports.py): 10,000,000 ledger entries written with bulk SQL, the rollups folded, and
``sales_daily`` for a month timed (JSON keys ``sales_daily_ms`` …); with ``--postgres`` on
PostgreSQL too.

It prints one table, issue 11's goals with PASS / MISS, and with ``--json`` one JSON object
as its last line. All traffic stays on 127.0.0.1. ``--quick`` is a smoke run (< 30 s).
Results and their reading: docs/benchmarks.md.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from tests.bench_support import report
from webui.serving import DEFAULT_THREADS
from tests.bench_support.basket import LINES, checkout_body, due_fen


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
    parser.add_argument("--threads", type=int, default=8, help="HTTP and PostgreSQL clients")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--server-threads", type=int, default=1,
                        help="threads per gunicorn worker (default %(default)s: sync workers, a fresh "
                             "connection per request, as the figures before; N > 1: gthread "
                             "workers as `huika serve` runs them (%d threads), clients keeping "
                             "their connection alive like a till's browser)"
                             .replace("%d", str(DEFAULT_THREADS)))
    parser.add_argument("--sqlite-sync", choices=("after_commit", "full"), default=None,
                        help="how Huika's SQLite commits reach the disk (HUIKA_SQLITE_SYNC, "
                             "docs/operations.md): after_commit (the default: WAL fsync after the "
                             "writer's turn, before the answer) or full (SQLite's synchronous=FULL)")
    parser.add_argument("--dir", type=Path, default=None, help="work folder (default: a temp dir)")
    parser.add_argument("--keep", action="store_true", help="keep the databases afterwards")
    parser.add_argument("--skip-lookup", action="store_true", help="skip (d), the 1M-member seed")
    parser.add_argument("--skip-http", action="store_true",
                        help="skip (b), and with it (d) and PostgreSQL's HTTP run")
    parser.add_argument("--postgres", action="store_true",
                        help="also measure PostgreSQL (a throwaway server from the system's "
                             "binaries, unless --postgres-url)")
    parser.add_argument("--postgres-url", default=None,
                        help="a PostgreSQL server to use (the bench creates and drops its own "
                             "database there); implies --postgres")
    parser.add_argument("--pg-seconds", type=float, default=None,
                        help="each PostgreSQL run (default: --seconds, and --http-seconds for "
                             "its HTTP run)")
    parser.add_argument("--member-reports", type=int, default=0, metavar="MEMBERS",
                        help="also time the member reports over a merchant with this many "
                             "members and their purchase history (issue 12: 1000000; "
                             "tests/bench_support/member_reports.py)")
    parser.add_argument("--json", action="store_true",
                        help="print the figures as one JSON object on the last line")
    parser.add_argument("--quick", action="store_true", help="smoke run: small and short")
    parser.add_argument("--reports", action="store_true",
                        help="run only the report part: sales_daily over --report-rows ledger rows")
    parser.add_argument("--report-rows", type=int, default=10_000_000,
                        help="ledger entries for --reports")
    parser.add_argument("--report-tail", type=int, default=2_000,
                        help="unfolded checkouts in the month for --reports' second timing")
    parser.add_argument("--reminders", type=int, default=0, metavar="MEMBERS",
                        help="run only the reminder scans: every kind over a merchant with this "
                             "many members (issue 14: 1000000; tests/bench_support/reminder_scan.py)")
    args = parser.parse_args(argv)
    if args.sqlite_sync:
        # Read by every Database of the run: gunicorn's (its environment) and the in-process one.
        os.environ["HUIKA_SQLITE_SYNC"] = args.sqlite_sync
    if args.quick:
        args.report_rows, args.report_tail = 100_000, 200
        args.members, args.lookup_members = 2_000, 20_000
        args.seconds, args.http_seconds, args.lookup_seconds = 0.75, 2.0, 1.5
        args.paced_seconds = 1.0
    if args.postgres_url:
        args.postgres = True
    args.pg_http_seconds = args.pg_seconds or args.http_seconds
    args.pg_seconds = args.pg_seconds or args.seconds
    return args


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


def in_process(seeded, method: str, seconds: float, *, count_statements: bool = False,
               warmup: int = 20):
    """Checkouts through core.checkout, one write transaction each, back to back."""
    from tests.bench_support import inprocess

    amount = due_fen(seeded.tier_permille)
    return inprocess.run(
        seeded, lambda rng: checkout_body(seeded.card_number(rng.randrange(seeded.members)),
                                          method, amount),
        seconds, count_statements=count_statements, seed=11 if method == "cash" else 12,
        warmup=warmup)


def http_checkouts(seeded, workdir: Path, site: Path, args):
    from tests.bench_support import http_checkout

    return http_checkout.run(seeded, workdir, site, threads=args.threads, workers=args.workers,
                             server_threads=args.server_threads,
                             seconds=args.http_seconds, paced_rate=args.paced_rate,
                             paced_seconds=args.paced_seconds,
                             warmup_seconds=1.0 if args.quick else 2.0)


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
    from collections import Counter
    from urllib.parse import quote

    from tests.bench_support import httpload

    headers = {"Authorization": f"Bearer {seeded.token}"}
    prefix_counts = Counter(seeded.name(index)[:2] for index in range(seeded.members))
    results = {}
    keep_alive = args.server_threads > 1
    with httpload.Gunicorn(seeded.url, workdir, workers=args.workers, threads=args.server_threads,
                           pythonpath=[site]) as server:
        for kind in LOOKUP_KINDS:
            generators = [random.Random(200 + t) for t in range(args.threads)]
            wrong: list = []
            asked: dict = {}  # client -> the value of its request in flight
            checked = [0, 1]  # answers checked, check one in this many

            def make(thread: int, _index: int, kind=kind, generators=generators, asked=asked):
                value = lookup_value(seeded, kind, generators[thread].randrange(seeded.members))
                asked[thread] = value
                return "GET", f"/api/v1/members?{kind}={quote(value)}", None, headers

            def seen(client: int, status: int, raw: bytes, kind=kind, wrong=wrong, asked=asked,
                     checked=checked) -> None:
                value = asked[client]
                if status != 200 or random.randrange(checked[1]):
                    return
                checked[0] += 1
                problem = lookup_problem(seeded, kind, value, json.loads(raw), prefix_counts)
                if problem and len(wrong) < 5:
                    wrong.append(f"{kind}={value}: {problem}")

            httpload.load(server.port, make, threads=args.threads, seconds=1.0, on_response=seen,
                          keep_alive=keep_alive)
            checked[1] = LOOKUP_CHECK_EVERY
            cpu = server.cpu_seconds()
            timings = httpload.load(server.port, make, threads=args.threads,
                                    seconds=args.lookup_seconds, on_response=seen,
                                    keep_alive=keep_alive)
            timings.cpu = server.cpu_seconds() - cpu
            timings.wrong, timings.checked = wrong, checked[0]
            results[kind] = timings
    return results


def check_ledger(seeded, url: str | None = None) -> tuple[list[str], int]:
    """core.ledger.verify's problems and the number of checkout rows (of ``url``, by default
    the seeded database)."""
    from sqlalchemy import func, select

    from core import ledger
    from core.db import Database
    from core.models import Checkout

    db = Database.from_url(url or seeded.url)
    try:
        with db.read() as session:
            return (ledger.verify(session, seeded.merchant_id),
                    session.scalar(select(func.count()).select_from(Checkout)))
    finally:
        db.dispose()


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


def _reminders(args, workdir: Path) -> int:
    """Issue 14: seconds per reminder kind at ``args.reminders`` members (goal < 1 s each)."""
    from tests.bench_support import reminder_scan

    print("Huika benchmark: reminder scans")
    for fact in report.machine_facts():
        print("  " + fact)
    print(f"  load average (1, 5, 15 min) at start: {report.load_average()}")
    figures = reminder_scan.measure(workdir / "reminders", args.reminders)
    for key, value in figures.items():
        print(f"  {key}: {value}")
    print(f"  load average at end: {report.load_average()}")
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, default=str))
    return 0 if figures["goal"] == "PASS" else 1


def _run(args, workdir: Path, started: float) -> int:
    from tests.bench_support import card_debit, httpload, raw, rowset, seed

    if args.reports:
        return _reports(args, workdir, started)
    if args.reminders:
        return _reminders(args, workdir)

    print("Huika benchmark")
    for fact in report.machine_facts():
        print("  " + fact)
    print(f"  load average (1, 5, 15 min) at start: {report.load_average()}")
    print(f"  work folder: {workdir}")
    site = workdir / "site"
    card_debit.install(site)

    print(f"\nseeding {args.members:,} members with cards and balances ...", flush=True)
    seeded = seed.create(workdir / "checkout.sqlite", args.members, with_balances=True,
                         birthdays_off_season=True)
    print(f"  done in {seeded.seconds:.1f} s; enabled plugins: {', '.join(seeded.enabled_plugins)}")

    def phase(what: str) -> None:
        print(f"  [{time.perf_counter() - started:4.0f} s] {what}", flush=True)

    amount = due_fen(seeded.tier_permille)
    basket = raw.Basket(LINES, amount, seeded.tier_key, seeded.tier_permille)
    phase("row-set check: one API, one in-process, one raw full checkout ...")
    rows = rowset.check(seeded, workdir, checkout_body(seeded.card_number(0), "card_debit", amount),
                        basket)
    basket.earnings = rows.earnings
    raw_path, raw_full_path = workdir / "raw.sqlite", workdir / "raw-full.sqlite"
    shutil.copyfile(seeded.path, raw_path)
    shutil.copyfile(seeded.path, raw_full_path)  # its own copy: checked by ledger.verify

    phase("measuring: fsync ceiling, PIN checks ...")
    short = args.quick or args.seconds < 1
    probe = fsync_probe(workdir, min(2.0, args.seconds) if short else 2.0)
    pin = pin_probe(keyed=True, count=200 if short else 2000)
    pin_scrypt = pin_probe(keyed=False, count=5 if short else 20)

    def raw_run(variant: str, threads: int = 1):
        path = raw_full_path if variant == "full" else raw_path
        return raw.run(lambda: raw.connect_sqlite(path), "sqlite", seeded.merchant_id,
                       seeded.store_id, seeded.staff_id, seeded.members, basket, args.seconds,
                       variant, threads)

    phase("raw sqlite3 ...")
    reference = raw_run("minimal")
    raw_full = raw_run("full")
    raw_threads = raw_run("minimal", args.threads)
    phase("in-process ...")
    warmup = 10 if short else 20  # SQLAlchemy's statement caches are warm after a few
    core_card = in_process(seeded, "card_debit", args.seconds, count_statements=True,
                           warmup=warmup)
    core_cash = in_process(seeded, "cash", args.seconds, warmup=warmup)
    http = None
    if args.skip_http:
        print("  HTTP runs skipped (--skip-http)")
    elif httpload.gunicorn_available():
        phase("HTTP ...")
        http = http_checkouts(seeded, workdir, site, args)
    else:
        print("  gunicorn is not installed: HTTP runs skipped (pip install gunicorn)")
    problems, checkout_rows = check_ledger(seeded)
    raw_problems, raw_rows = check_ledger(seeded, f"sqlite:///{raw_full_path}")
    problems += [f"raw full: {problem}" for problem in raw_problems]
    if raw_rows != raw_full.ok:
        problems.append(f"raw full: {raw_rows} checkout rows for {raw_full.ok} checkouts")

    postgres = None
    if args.postgres:
        from tests.bench_support import pg

        if pg.available(args.postgres_url):
            phase(f"PostgreSQL: {args.threads} clients, raw psycopg, in-process"
                  f"{', HTTP' if http is not None else ''} ...")
            postgres = pg.run(seeded, workdir, site, basket, url=args.postgres_url,
                              clients=args.threads, workers=args.workers,
                              seconds=args.pg_seconds, http_seconds=args.pg_http_seconds,
                              with_http=http is not None)
        else:
            print("  PostgreSQL skipped: no server binaries (initdb) and no --postgres-url")

    lookup = {}
    if not args.skip_lookup and http is not None:
        phase(f"seeding {args.lookup_members:,} members with cards for lookups ...")
        big = seed.create(workdir / "lookup.sqlite", args.lookup_members, with_balances=False)
        print(f"  done in {big.seconds:.1f} s ({big.path.stat().st_size / 2**20:.0f} MiB)")
        phase("HTTP lookups ...")
        lookup = lookups(big, workdir, site, args)

    member_figures = {}
    if args.member_reports:
        from tests.bench_support import member_reports

        phase(f"member reports over {args.member_reports:,} members ...")
        member_figures = member_reports.measure(workdir / "member-reports", args.member_reports)
        print("  " + ", ".join(f"{key} {value}" for key, value in member_figures.items()))

    table = [
        ("fsync ceiling: 1-row commit, raw sqlite3", 1, probe),
        ("PIN check, HMAC-SHA256 + pepper (each payment)", 1, pin),
        ("    PIN check, scrypt (before; upgraded on use)", 1, pin_scrypt),
        ("(c) raw sqlite3 checkout, minimal", 1, reference),
        ("    raw sqlite3 checkout, full row set [ref.]", 1, raw_full),
        (f"    raw sqlite3 checkout, minimal, {args.threads} threads", args.threads, raw_threads),
        ("(a) in-process core.checkout, card debit", 1, core_card),
        ("    in-process core.checkout, cash + card", 1, core_cash)]
    if http is not None:
        table.append((f"(b) HTTP checkout, gunicorn -w {args.workers}, card debit", args.threads,
                      http))
        if http.paced is not None:
            table.append((f"    same, open loop at {args.paced_rate:g} checkouts/s", args.threads,
                          http.paced))
    table += [(f"(d) HTTP GET /members?{kind}= ({args.lookup_members:,})", args.threads, timings)
              for kind, timings in lookup.items()]
    if postgres:
        table += [("(p) PostgreSQL: raw psycopg, full row set", args.threads, postgres["raw"]),
                  ("    PostgreSQL: in-process core.checkout", args.threads,
                   postgres["in_process"])]
        if postgres["http"] is not None:
            table.append((f"    PostgreSQL: HTTP, gunicorn -w {args.workers}", args.threads,
                          postgres["http"]))
    header = report.HEADER
    print("\n" + header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for what, clients, timings in table:
        print(report.row(what, clients, timings))

    figures = {
        "fsync_per_s": probe.rate,
        "raw_minimal_cpu_ms": reference.cpu_ms_per_op, "raw_minimal_ok_per_s": reference.rate,
        "raw_full_cpu_ms": raw_full.cpu_ms_per_op, "raw_full_ok_per_s": raw_full.rate,
        "raw_full_statements_per_checkout": raw_full.statements,
        "inprocess_cpu_ms": core_card.cpu_ms_per_op, "inprocess_ok_per_s": core_card.rate,
        "inprocess_cash_cpu_ms": core_cash.cpu_ms_per_op,
        "inprocess_ratio": report.ratio(core_card.cpu_ms_per_op, raw_full.cpu_ms_per_op),
        "statements_per_checkout": core_card.statements,
        "http_cpu_ms": http.cpu_ms_per_op if http else None,
        "http_ok_per_s": http.rate if http else None,
        "http_p50_ms": http.p50 if http else None, "http_p99_ms": http.p99 if http else None,
        "http_clients": args.threads if http else None,
        "http_ratio": report.ratio(http.cpu_ms_per_op, raw_full.cpu_ms_per_op) if http else None,
        "http_client_cpu_ms": http.client_cpu_ms_per_op if http else None,
        **report.lookup_figures(lookup),
        **report.postgres_figures(postgres, args.threads),
        "pin_check_cpu_ms": pin.cpu_ms_per_op,
        "member_rfm_ms": member_figures.get("member_rfm_ms"),
        "member_rfm_cpu_ms": member_figures.get("member_rfm_cpu_ms"),
        "rowset_ok": rows.ok, "rowset_mismatches": rows.mismatches,
        "members": args.members, "quick": args.quick,
        "sqlite_sync": report.sqlite_sync_mode(),
    }

    print(f"\nbasket: {len(LINES)} lines, {amount} fen; checkout database: {args.members:,} members; "
          f"points earned per checkout: {core_card.earned or 'none (no checkout_earn hook yet)'}")
    print(f"new rows per checkout (API = raw full): {rows.raw_full}")
    for mismatch in rows.mismatches:
        print(f"ROW SET MISMATCH  {mismatch}")
    if postgres:
        print(postgres.pop("facts"))
        problems += postgres.pop("ledger_problems")
        db_cpu = {name: report.per_op_ms(t.db_cpu, t)
                  for name, t in postgres.items() if t is not None}
        print("PostgreSQL server CPU ms/op (postmaster + backends): "
              + ", ".join(f"{name} {value:.2f}" if value is not None else f"{name} -"
                          for name, value in db_cpu.items()))
    http_ok = http.ok + http.warmup_ok if http else 0
    core_ok = core_card.ok + core_cash.ok + core_card.warmup_ok + core_cash.warmup_ok
    expected_rows = core_ok + http_ok
    print(f"after the runs: {checkout_rows:,} checkout rows for {expected_rows:,} successful "
          f"checkouts (in-process {core_ok:,}, HTTP {http_ok:,}, both incl. warm-up); "
          f"core.ledger.verify (Huika, raw full{', PostgreSQL' if postgres else ''}): "
          f"{'[] (all invariants hold)' if not problems else problems[:5]}")
    for kind, timings in lookup.items():
        if hasattr(timings, "checked"):
            print(f"lookup answers checked against the seed ({kind}): {timings.checked:,}, "
                  f"wrong: {timings.wrong or 'none'}")
    if http is not None and http.server_errors:
        print(f"SERVER ERRORS: {http.server_errors}")
    # Every measured checkout must succeed: a refused one (a price the fixed basket did not
    # expect, a busy database) is not a cheaper checkout, it is a broken measure.
    runs = {"in-process card": core_card, "in-process cash": core_cash, "HTTP": http,
            "HTTP paced": getattr(http, "paced", None),
            **{f"PostgreSQL {name}": t for name, t in (postgres or {}).items()}}
    refused = {name: {status: count for status, count in t.statuses.items() if status != 201}
               for name, t in runs.items() if t is not None and hasattr(t, "statuses")}
    refused = {name: statuses for name, statuses in refused.items() if statuses}
    figures["checkouts_refused"] = sum(sum(statuses.values()) for statuses in refused.values())
    if refused:
        print(f"REFUSED CHECKOUTS: {refused}")
    print("statements per checkout: in-process card debit "
          f"{report.figure_text(core_card.statements)}, "
          f"raw full row set {report.figure_text(raw_full.statements)}, raw minimal "
          f"{report.figure_text(reference.statements)} (BEGIN IMMEDIATE to COMMIT, both counted)")
    print()
    for line in report.goal_lines(figures):
        print(line)
    ledger_ok = not problems and checkout_rows == expected_rows
    figures["ledger_ok"] = ledger_ok
    lookups_ok = not any(getattr(timings, "wrong", None) for timings in lookup.values())
    print(f"\nwhole bench: {time.perf_counter() - started:.0f} s")
    print(f"load average at the end: {report.load_average()} "
          "(others' work on the machine skews figures)")
    if args.json:
        print(json.dumps(report.finish(figures), ensure_ascii=False, sort_keys=False))
    return 0 if ledger_ok and rows.ok and lookups_ok and not refused else 1


EXPORT_RSS_MB_GOAL = 200  # G4: a 1M-row Excel export in constant memory
SALES_DAILY_MS_GOAL = 100.0


def _reports(args, workdir: Path, started: float) -> int:
    """G4: sales_daily for a month over ``args.report_rows`` ledger rows (money_reports.py)."""
    from tests.bench_support import money_reports

    print("Huika benchmark: reports at size")
    for fact in report.machine_facts():
        print("  " + fact)
    print(f"  load average (1, 5, 15 min) at start: {report.load_average()}")
    targets = [("sqlite", f"sqlite:///{workdir / 'reports.sqlite'}", None)]
    server = None
    if args.postgres:
        from tests.bench_support import pg

        if pg.available(args.postgres_url):
            server = pg.server(args.postgres_url)
            targets.append(("postgresql", None, server))
        else:
            print("  PostgreSQL skipped: no server binaries (initdb) and no --postgres-url")
    figures: dict = {"report_ledger_rows": args.report_rows, "quick": args.quick}
    ok = True
    for name, url, context in targets:
        print(f"\n{name}: generating {args.report_rows:,} ledger rows with bulk SQL, folding, "
              "timing sales_daily for June ...", flush=True)
        if context is not None:
            with context as running:
                result = money_reports.run(running.url, args.report_rows, tail=args.report_tail)
        else:
            result = money_reports.run(url, args.report_rows, tail=args.report_tail)
        prefix = "" if name == "sqlite" else "pg_"
        full, tail = result["full"], result["with_tail"]
        print(f"  {result['entries']:,} entries in {result['transactions']:,} transactions, "
              f"generated in {result['generate_s']:.0f} s; folded in {result['fold_s']:.1f} s "
              f"({result['fold']['batches']} batches, {result['fold']['sales_rows']:,} sales rows, "
              f"{result['fold']['ledger_rows']:,} ledger rows)")
        print(f"  sales_daily, June, all folded: median {full['ms']:.1f} ms (max {full['max_ms']:.1f}), "
              f"CPU {full['cpu_ms']:.1f} ms, {full['rows']} rows")
        print(f"  sales_daily, June, {result['tail']:,} unfolded checkouts: median {tail['ms']:.1f} ms "
              f"(max {tail['max_ms']:.1f}), CPU {tail['cpu_ms']:.1f} ms")
        print(f"  core.ledger.verify: {result['ledger_problems'][:3] or '[] (all invariants hold)'}")
        ok = ok and not result["ledger_problems"]
        figures.update({
            f"{prefix}sales_daily_ms": round(full["ms"], 2), f"{prefix}sales_daily_cpu_ms": round(full["cpu_ms"], 2),
            f"{prefix}sales_daily_tail_ms": round(tail["ms"], 2),
            f"{prefix}sales_daily_tail_cpu_ms": round(tail["cpu_ms"], 2),
            f"{prefix}report_entries": result["entries"], f"{prefix}fold_s": round(result["fold_s"], 2),
            f"{prefix}generate_s": round(result["generate_s"], 1)})
        verdict = "PASS" if full["ms"] < SALES_DAILY_MS_GOAL else "MISS"
        print(f"GOAL  {name} sales_daily for a month over {result['entries']:,} ledger rows "
              f"< {SALES_DAILY_MS_GOAL:.0f} ms: {verdict}")
    rows = 20_000 if args.quick else 1_000_000
    print(f"\nExcel export of {rows:,} rows (webui.reporting.files, constant memory, a fresh "
          "interpreter) ...", flush=True)
    from tests.bench_support import export

    exported = export.measure(rows)
    print(f"  {exported['export_rows']:,} rows in {exported['export_seconds']:.1f} s "
          f"(CPU {exported['export_cpu_s']:.1f} s), {exported['export_file_mb']} MB file, "
          f"peak RSS {exported['export_peak_rss_mb']} MB")
    verdict = "PASS" if exported["export_peak_rss_mb"] < EXPORT_RSS_MB_GOAL else "MISS"
    print(f"GOAL  a {rows:,}-row Excel export in < {EXPORT_RSS_MB_GOAL} MB RSS: {verdict}")
    figures.update(exported)
    figures["ledger_ok"] = ok
    print(f"\nwhole bench: {time.perf_counter() - started:.0f} s; load average at the end: "
          f"{report.load_average()}")
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
