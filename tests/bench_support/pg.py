"""The PostgreSQL rows: raw psycopg against Huika at the same concurrency.

The server is either a throwaway one started from the system binaries
(tests/support/postgres.py: fsync=off, synchronous_commit=off, so the comparison is about
work, not the disk) or the one ``--postgres-url`` names (the bench creates and drops its own
database there). The seeded SQLite database is copied into PostgreSQL table by table with
COPY (same ids, token and published configuration), after Huika's migrations.

Three runs, each with the same number of clients (default 8), each client its own connection:
raw psycopg writing the full row set (raw.py, READ COMMITTED, the guarded UPDATE as the
lock); Huika in-process (threads sharing one Database, each checkout in Database.write());
Huika over HTTP (gunicorn, DATABASE_URL on PostgreSQL). ``db_cpu`` is the server's CPU
(postmaster and backends) when the bench started it.
"""
from __future__ import annotations

import sqlite3
import threading
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from . import http_checkout, inprocess, raw
from .basket import checkout_body, due_fen
from .stats import process_tree_cpu


@dataclass
class Server:
    url: str  # the bench's own database
    postmaster_pid: int | None  # known when the bench started the server

    def cpu_seconds(self) -> float | None:
        return process_tree_cpu(self.postmaster_pid) if self.postmaster_pid else None


def available(url: str | None) -> bool:
    from tests.support.postgres import find_pg_bin

    return bool(url) or find_pg_bin() is not None


@contextmanager
def server(url: str | None):
    """A Server with a fresh, empty database; dropped (or the whole server stopped) after."""
    from sqlalchemy import create_engine, text

    throwaway = None
    if url is None:
        from tests.support.postgres import ThrowawayPostgres

        throwaway = ThrowawayPostgres().start()
        url = throwaway.admin_url
    base = url.rsplit("/", 1)[0]
    name = "huika_bench_" + uuid.uuid4().hex[:8]
    admin = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        pid = None
        if throwaway is not None:
            pid = int((throwaway.data / "postmaster.pid").read_text().split()[0])
        yield Server(f"{base}/{name}", pid)
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()
        if throwaway is not None:
            throwaway.stop()


# The tables a checkout grows. Their statistics go stale within a run: analysed while
# nearly empty, PostgreSQL checks each foreign key to them with a sequential scan, so the
# second run (Huika's, after raw psycopg's thousands of rows) would pay for the first.
GROWING_TABLES = ("checkouts", "checkout_lines", "checkout_payments", "ledger_transactions",
                  "entries", "lots", "lot_movements", "accounts", "card_spend_days",
                  "idempotency_records")
ANALYZE_EVERY_S = 1.0


@contextmanager
def fresh_statistics(url: str, every: float = ANALYZE_EVERY_S):
    """ANALYZE the growing tables every ``every`` seconds during a run: what autovacuum does on
    a real server over minutes (autovacuum_naptime 1 min, 10 % of the rows changed), squeezed
    into the bench's seconds. Raw psycopg and Huika runs get the same treatment; its CPU is
    part of each run's server CPU."""
    import psycopg

    stop = threading.Event()

    def keep() -> None:
        with psycopg.connect(url, autocommit=True) as connection:
            while True:
                connection.execute("ANALYZE " + ", ".join(GROWING_TABLES))
                if stop.wait(every):
                    return

    thread = threading.Thread(target=keep, name="bench-analyze", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def _verify(seeded) -> list[str]:
    from core import ledger
    from core.db import Database

    db = Database.from_url(seeded.url)
    try:
        with db.read() as session:
            return [f"PostgreSQL: {problem}" for problem in ledger.verify(session, seeded.merchant_id)]
    finally:
        db.dispose()


def facts(pg: Server) -> str:
    import psycopg

    with psycopg.connect(pg.url) as connection:
        settings = {name: connection.execute(f"SHOW {name}").fetchone()[0] for name in (
            "server_version", "fsync", "synchronous_commit", "shared_buffers")}
    version = settings.pop("server_version").split()[0]
    where = "throwaway server started by the bench" if pg.postmaster_pid else "--postgres-url"
    return (f"PostgreSQL {version} ({where}; "
            + ", ".join(f"{name}={value}" for name, value in settings.items()) + ")")


def copy_seed(seeded, url: str):
    """Huika's schema on ``url`` and every row of the seeded SQLite database: a Seeded for
    PostgreSQL (same merchant, token, members, cards and balances)."""
    import psycopg
    from sqlalchemy import MetaData

    from core.db import make_engine
    from core.migrate import upgrade
    from core.plugins import build_registry

    engine = make_engine(url)
    try:
        upgrade(engine, registry=build_registry())
        metadata = MetaData()
        metadata.reflect(engine)
        tables = [t for t in metadata.sorted_tables if t.name != "alembic_version"]
    finally:
        engine.dispose()
    source = sqlite3.connect(seeded.path)
    try:
        with psycopg.connect(url) as target:
            target.execute("SET TIME ZONE 'UTC'")  # SQLite holds UTC times without a zone
            for table in tables:
                if target.execute(f'SELECT EXISTS (SELECT 1 FROM "{table.name}")').fetchone()[0]:
                    continue  # filled by a migration
                # Generated columns (members.phone_last4) are computed by PostgreSQL itself.
                columns = [column.name for column in table.columns if column.computed is None]
                quoted = ", ".join(f'"{c}"' for c in columns)
                rows = source.execute(f'SELECT {quoted} FROM "{table.name}"')
                with target.cursor().copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                if "id" in columns:
                    target.execute(
                        f"SELECT setval(pg_get_serial_sequence('\"{table.name}\"', 'id'), "
                        f'COALESCE(MAX(id), 0) + 1, false) FROM "{table.name}"')
            target.execute("ANALYZE")
    finally:
        source.close()
    return replace(seeded, url=url, path=None)


def run(seeded, workdir: Path, site: Path, basket: raw.Basket, *, url: str | None, clients: int,
        workers: int, seconds: float, http_seconds: float, with_http: bool) -> dict:
    """{"raw": Timings, "in_process": Timings, "http": Timings or None}, each with ``db_cpu``,
    "facts": the server's version and settings that matter here, and "ledger_problems":
    core.ledger.verify's findings afterwards (raw and Huika wrote to the same database)."""
    results: dict = {}
    with server(url) as pg:
        pg_seeded = copy_seed(seeded, pg.url)
        results["facts"] = facts(pg)

        probe = pg.cpu_seconds if pg.postmaster_pid else None
        with fresh_statistics(pg.url):
            results["raw"] = raw.run(
                lambda: raw.connect_postgres(pg.url), "postgresql", seeded.merchant_id,
                seeded.store_id, seeded.staff_id, seeded.members, basket, seconds, "full",
                clients, db_cpu=probe)
        amount = due_fen(seeded.tier_permille)
        with fresh_statistics(pg.url):
            results["in_process"] = inprocess.run(
                pg_seeded, lambda rng: checkout_body(
                    pg_seeded.card_number(rng.randrange(pg_seeded.members)), "card_debit", amount),
                seconds, threads=clients, db_cpu=probe)
        results["http"] = None
        if with_http:
            with fresh_statistics(pg.url):
                results["http"] = http_checkout.run(
                    pg_seeded, workdir, site, threads=clients, workers=workers,
                    seconds=http_seconds, warmup_seconds=1.0, db_cpu=probe)
        results["ledger_problems"] = _verify(pg_seeded)
    return results
