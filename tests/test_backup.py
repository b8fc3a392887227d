"""``huika backup`` / ``huika restore`` on SQLite and PostgreSQL (issue 10 item 8).

A backup is taken while real checkouts are posted over HTTP; it must restore to a consistent
prefix of what the clients were told (every checkout with its ledger transaction, balances
equal to their entries). Damaged, foreign or failing backups are refused with exit code 2
and the live database is left exactly as it was.
"""
from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.pool import NullPool
from werkzeug.serving import WSGIRequestHandler, make_server

from core import backup as backups
from core import ledger, migrate
from core.backup.manifest import file_sha256, manifest_path
from core.db import make_engine
from core.ledger import Posting
from core.models import Merchant
from tests.bench_support.card_debit import ASSET
from tests.support.backups import (command_app, contents, execute, huika, kept_name, kept_url,
                                   ledger_report, neighbours, pg_bin)
from tests.support.factories import make_merchant
from tests.support.postgres import find_pg_bin
# The card-debit shop and payment method, shared with the concurrency and fault tests.
from tests.support.debit_shop import (card_debit_site, checkout_body, debit_app,  # noqa: F401
                                      loaded_card, open_shop)
from tests.support.gunicorn import http_json

WRITERS = 4
CHECKOUTS_PER_WRITER = 15
INITIAL_BALANCE = 10_000_000  # fen: every checkout can be paid


# -- fixtures and helpers -------------------------------------------------------------

@pytest.fixture
def card_debit_registry(card_debit_site):
    return card_debit_site[1]


@pytest.fixture
def live(debit_app):
    """(app, port): the app served by werkzeug's threaded HTTP server on 127.0.0.1, so the
    live database is held open by a running server while the backup is taken."""
    server = make_server("127.0.0.1", 0, debit_app, threaded=True, request_handler=_Quiet)
    thread = threading.Thread(target=server.serve_forever, name="backup-live-server", daemon=True)
    thread.start()
    yield debit_app, server.server_port
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:
        pass


@pytest.fixture
def shop(live):
    app, _port = live
    return open_shop(app.extensions["huika"])


@pytest.fixture
def cli_env(database_url, tmp_path, monkeypatch):
    """The CLI's environment: the test database, and the same PostgreSQL binaries as the server."""
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("HUIKA_INSTANCE_PATH", str(tmp_path / "instance"))
    pg_bin = find_pg_bin()
    if pg_bin is not None:
        monkeypatch.setenv("HUIKA_PG_BIN", str(pg_bin))
    return database_url


@pytest.fixture
def kept_databases(database_url, request):
    """Drops the PostgreSQL databases a restore keeps beside the test's own."""
    yield
    if database_url.startswith("postgresql"):
        admin, _base = request.getfixturevalue("postgres_server")
        with admin.connect() as connection:
            for name in neighbours(admin, database_url):
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def surroundings(url: str, request) -> list[str]:
    """The files beside a SQLite database, or the databases beside a PostgreSQL one."""
    if url.startswith("sqlite"):
        folder = Path(url.removeprefix("sqlite:///")).parent
        return sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm")))
    admin, _base = request.getfixturevalue("postgres_server")
    return neighbours(admin, url)


# -- a backup while checkouts run -----------------------------------------------------

def test_backup_while_checkouts_run_restores_a_consistent_prefix(live, shop, cli_env, tmp_path,
                                                                 kept_databases,
                                                                 card_debit_registry):
    app, port = live
    url = cli_env
    commands = command_app(url, card_debit_registry)
    number = loaded_card(app, shop, INITIAL_BALANCE)
    headers = shop.headers("cashier")
    acknowledged: dict[int, int] = {}  # checkout id -> amount, for every 201
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def writer(thread: int) -> None:
        try:
            for index in range(CHECKOUTS_PER_WRITER):
                amount = 100 + (thread * 131 + index * 37) % 379
                status, parsed, _headers = http_json(port, "POST", "/api/v1/checkout",
                                                     checkout_body(number, amount),
                                                     {**headers, "Idempotency-Key": uuid.uuid4().hex})
                with lock:
                    statuses.append(status)
                    if status == 201:
                        acknowledged[parsed["checkout_id"]] = amount
                    else:
                        assert status == 503 and parsed["error"]["code"] == "busy", parsed
        except BaseException as error:  # noqa: BLE001 - reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(t,)) for t in range(WRITERS)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(acknowledged) < 10 and time.monotonic() < deadline and not errors:
        time.sleep(0.01)
    began = time.monotonic()
    written, manifest = backups.backup(url, tmp_path / "during.backup", pg_bin=pg_bin())
    took = time.monotonic() - began
    with lock:
        running_when_done = len(statuses) < WRITERS * CHECKOUTS_PER_WRITER
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(statuses) == WRITERS * CHECKOUTS_PER_WRITER
    assert running_when_done, "the checkouts ended before the backup did: nothing was tested"
    final = ledger_report(url)
    assert final["problems"] == [] and set(final["checkouts"]) == set(acknowledged)
    assert manifest_path(written).read_text().strip() == manifest.line()
    print(f"\n{app.extensions['huika'].db.dialect}: backup of {manifest.bytes} bytes "
          f"({manifest.transactions} transactions, {manifest.entries} entries) in {took:.2f} s "
          f"while {WRITERS} clients posted checkouts; {len(acknowledged)} checkouts in all")

    # The server still holds the database: a restore is refused and changes nothing.
    before = contents(url)
    refused = huika(commands, "restore", str(written))
    assert refused.exit_code == 2, refused.output
    assert ("is in use" in refused.stderr) if url.startswith("sqlite") else (
        "other session(s) are connected" in refused.stderr), refused.stderr
    assert contents(url) == before

    # --check verifies without touching anything.
    checked = huika(commands, "restore", "--check", str(written))
    assert checked.exit_code == 0, checked.output
    assert checked.stdout.startswith(f"verified: {written}")
    assert manifest.line() in checked.stdout and "restored" not in checked.stdout
    assert contents(url) == before

    app.extensions["huika"].db.dispose()  # the server is idle: it lets go of the database
    restored = huika(commands, "restore", str(written))
    assert restored.exit_code == 0, restored.output
    kept = kept_name(restored.stdout)

    state = ledger_report(url)
    assert state["problems"] == [] and state["orphans"] == 0
    assert contents(url).same_contents(manifest) == []
    # A prefix of what the clients were told, taken mid-run: some checkouts, not all of them,
    # each one exactly as acknowledged, each with its ledger transaction.
    assert 0 < len(state["checkouts"]) < len(acknowledged)
    assert {cid: acknowledged.get(cid) for cid in state["checkouts"]} == state["checkouts"]
    assert state["checkout_transactions"] == len(state["checkouts"])
    assert list(state["balances"].values()) == [INITIAL_BALANCE - sum(state["checkouts"].values())]
    # The replaced database is kept whole.
    assert ledger_report(kept_url(url, kept))["checkouts"] == final["checkouts"]


# -- refused backups change nothing ---------------------------------------------------

def small_ledger(hk) -> int:
    """A merchant with one balanced ledger transaction; returns the merchant id."""
    merchant = make_merchant(hk, "备份测试店")
    post_once(hk, merchant.id)
    return merchant.id


def post_once(hk, merchant_id: int) -> None:
    with hk.db.write() as session:
        ledger.post(session, merchant_id, "test_load", [
            Posting(ledger.merchant_account(session, merchant_id, "issued", ASSET), 500),
            Posting(ledger.merchant_account(session, merchant_id, "float", ASSET), -500)])


def truncated(path: Path, keep_manifest: bool) -> Path:
    damaged = path.with_name("damaged.backup")
    damaged.write_bytes(path.read_bytes()[: path.stat().st_size * 2 // 3])
    if keep_manifest:
        manifest_path(damaged).write_text(manifest_path(path).read_text())
    return damaged


def stranger(path: Path, url: str) -> Path:
    notes = path.with_name("notes.txt")
    notes.write_text("备份\n")
    return notes


def other_kind(path: Path, url: str) -> Path:
    foreign = path.with_name("foreign.backup")
    if url.startswith("sqlite"):
        foreign.write_bytes(b"PGDMP" + os.urandom(4000))
    else:
        connection = sqlite3.connect(foreign)
        connection.execute("CREATE TABLE t (x)")
        connection.close()
    return foreign


def with_live_change(url: str, path: Path, damage: str, undo: str) -> Path:
    """A backup of the live database with ``damage`` applied; the live one is then repaired."""
    execute(url, damage)
    try:
        written, _manifest = backups.backup(url, path.with_name("bad.backup"), pg_bin=pg_bin())
    finally:
        execute(url, undo)
    return written


DAMAGES = {
    "truncated, with its manifest": (
        lambda path, url: truncated(path, keep_manifest=True), "truncated or altered"),
    "truncated, manifest lost": (
        lambda path, url: truncated(path, keep_manifest=False),
        r"(not a readable SQLite database|fails SQLite's integrity check|failed \(pg_restore exit)"),
    "a stranger's file": (stranger, "is not a Huika backup"),
    "the other database's kind": (other_kind, "but this Huika runs on"),
    "a ledger that does not balance": (
        lambda path, url: with_live_change(
            url, path, "UPDATE accounts SET balance = balance + 1 WHERE purpose = 'issued'",
            "UPDATE accounts SET balance = balance - 1 WHERE purpose = 'issued'"),
        "the backup's ledger does not verify"),
    "a newer Huika's schema": (
        lambda path, url: with_live_change(
            # The core's revision (digits; the plugins' branches start with a letter) becomes
            # an unknown one, whatever the current head is.
            url, path, "UPDATE alembic_version SET version_num = '9' || version_num WHERE version_num < 'a'",
            "UPDATE alembic_version SET version_num = substr(version_num, 2) "
            "WHERE version_num < 'a' AND version_num LIKE '9%'"),
        r"at revision '9\d{4}[a-z]?', which this Huika does not know"),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_bad_backup_is_refused_and_the_live_database_is_untouched(damage, app, hk, cli_env,
                                                                   tmp_path, kept_databases,
                                                                   request):
    url = cli_env
    small_ledger(hk)
    hk.db.dispose()
    good = huika(app, "backup", str(tmp_path / "good.backup"))
    assert good.exit_code == 0, good.output
    make_bad, message = DAMAGES[damage]
    bad = make_bad(tmp_path / "good.backup", url)
    before, beside = contents(url), surroundings(url, request)

    for args in (["restore", "--check", str(bad)], ["restore", "--force", str(bad)]):
        result = huika(app, *args)
        assert result.exit_code == 2, (args, result.output)
        assert result.stdout == ""
        assert re.search(message, result.stderr.splitlines()[0]), result.stderr
        assert contents(url) == before
        assert surroundings(url, request) == beside

    # The good backup still restores (so the refusals above were about the damage).
    fine = huika(app, "restore", str(tmp_path / "good.backup"))
    assert fine.exit_code == 0, fine.output
    assert contents(url).same_contents(before) == []


def test_force_restores_under_an_open_connection(app, hk, cli_env, tmp_path, kept_databases):
    """Another client holds the database: refused before any work, then --force restores
    (on PostgreSQL that client's session is ended)."""
    url = cli_env
    merchant_id = small_ledger(hk)
    written, manifest = backups.backup(url, tmp_path / "good.backup", pg_bin=pg_bin())
    post_once(hk, merchant_id)  # written after the backup: the restore takes it away
    hk.db.dispose()
    assert contents(url).transactions == manifest.transactions + 1
    other = make_engine(url, poolclass=NullPool)
    holder = other.connect()
    holder.execute(select(func.count()).select_from(Merchant)).scalar()
    try:
        refused = huika(app, "restore", str(written))
        assert refused.exit_code == 2 and "restore with --force" in refused.stderr, refused.output
        forced = huika(app, "restore", "--force", str(written))
        assert forced.exit_code == 0, forced.output
        assert contents(url).same_contents(manifest) == []
    finally:
        try:
            holder.close()
        except Exception:  # noqa: BLE001 - PostgreSQL ended this session on purpose
            pass
        other.dispose()


def test_restore_recreates_a_missing_sqlite_file(tmp_path, sqlite_template, plugin_registry):
    """Disaster recovery: the database file is gone; the backup recreates it (no kept copy)."""
    live = tmp_path / "live.sqlite"
    live.write_bytes(sqlite_template.read_bytes())
    url = f"sqlite:///{live}"
    app = command_app(url, plugin_registry)
    itself = huika(app, "backup", str(live))
    assert itself.exit_code == 2 and "is the database itself" in itself.stderr, itself.output
    assert huika(app, "backup", str(tmp_path / "nowhere" / "x")).stderr == (
        f"error: the folder {tmp_path / 'nowhere'} does not exist\n")
    folder = tmp_path / "backups"
    folder.mkdir()
    made = huika(app, "backup", str(folder))
    assert made.exit_code == 0, made.output
    written = Path(re.match(r"backup written: (\S+) ", made.stdout).group(1))
    assert written.parent == folder and re.fullmatch(r"huika-\d{8}T\d{6}Z\.sqlite", written.name)
    expected = contents(url)
    live.unlink()

    restored = huika(app, "restore", str(written))
    assert restored.exit_code == 0, restored.output
    assert "kept as" not in restored.stdout and restored.stdout.endswith("restored\n")
    assert contents(url) == expected
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("live")) == ["live.sqlite"]


def test_a_backup_from_an_older_huika_is_migrated_in_the_copy(tmp_path, plugin_registry):
    """A backup at an older core revision (no plugin tables yet) is checked, migrated in the
    temporary copy, and only then swapped in; --check migrates a throwaway copy only."""
    old = tmp_path / "old.sqlite"
    engine = make_engine(f"sqlite:///{old}")
    migrate.upgrade(engine, "0004")
    engine.dispose()
    live = tmp_path / "live.sqlite"
    url = f"sqlite:///{live}"
    app = command_app(url, plugin_registry)
    assert huika(app, "init").exit_code == 0
    heads = contents(url).revision
    written, manifest = backups.backup(f"sqlite:///{old}", tmp_path / "old.backup")
    assert manifest.revision == "0004"

    checked = huika(app, "restore", "--check", str(written))
    assert checked.exit_code == 0, checked.output
    assert f"migrated on restore: 0004 -> {heads}" in checked.stdout
    assert file_sha256(written) == manifest.file_sha256  # the backup itself is untouched

    restored = huika(app, "restore", str(written))
    assert restored.exit_code == 0, restored.output
    assert f"migrated: 0004 -> {heads}" in restored.stdout
    assert contents(url).revision == heads
