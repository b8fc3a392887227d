"""Helpers of the backup tests (tests/test_backup.py): the CLI on a prebuilt app, and what a
database holds, read through fresh connections that are closed again at once."""
from __future__ import annotations

import re

from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from core import backup as backups
from core import ledger
from core.backup.manifest import describe
from core.db import make_engine
from core.models import Checkout, LedgerTransaction, Merchant
from tests.bench_support.card_debit import ASSET
from tests.support.postgres import find_pg_bin
from webui import create_app
from webui.cli import cli


def huika(app, *args: str):
    """``huika ARGS`` through click, on an app built once per test (building the plugin
    registry for every command would cost more than the backups themselves)."""
    result = CliRunner().invoke(cli, list(args), obj={"app": app})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def command_app(url: str, registry):
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "test-secret",
                       "PLUGIN_REGISTRY": registry})


def database_name(url: str) -> str:
    return url.rsplit("/", 1)[1]


def neighbours(admin, url: str) -> list[str]:
    """Databases named after the test's (kept copies, temporary restores)."""
    with admin.connect() as connection:
        return sorted(connection.scalars(text(
            "SELECT datname FROM pg_database WHERE datname LIKE :prefix"),
            {"prefix": database_name(url) + r"\_%"}))


def pg_bin() -> str | None:
    found = find_pg_bin()
    return str(found) if found else None


def contents(url: str) -> backups.Manifest:
    """What the database holds, as a manifest: revision, counts, ledger checksum."""
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            return describe(connection, backups.database_kind(url), "")
    finally:
        engine.dispose()


def ledger_report(url: str) -> dict:
    """Ledger problems of every merchant, checkouts without their transaction, and counts."""
    engine = make_engine(url, poolclass=NullPool)
    try:
        with Session(engine) as session:
            problems = [p for merchant_id in session.scalars(select(Merchant.id))
                        for p in ledger.verify(session, merchant_id)]
            orphans = session.scalar(
                select(func.count()).select_from(Checkout)
                .outerjoin(LedgerTransaction, LedgerTransaction.id == Checkout.transaction_id)
                .where((LedgerTransaction.id.is_(None)) | (LedgerTransaction.type != "checkout")))
            checkouts = dict(session.execute(select(Checkout.id, Checkout.due_total_fen)).all())
            transactions = session.scalar(select(func.count()).select_from(LedgerTransaction)
                                          .where(LedgerTransaction.type == "checkout"))
            balances = dict(session.execute(text(
                "SELECT card_id, balance FROM accounts WHERE owner = 'card' AND asset = :asset"),
                {"asset": ASSET}).all())
        return {"problems": problems, "orphans": orphans, "checkouts": checkouts,
                "checkout_transactions": transactions, "balances": balances}
    finally:
        engine.dispose()


def kept_url(url: str, kept: str) -> str:
    if url.startswith("sqlite"):
        return f"sqlite:///{kept}"
    return url.rsplit("/", 1)[0] + "/" + kept


def kept_name(output: str) -> str:
    match = re.search(r"the replaced database is kept as (\S+)\n", output)
    assert match, output
    return match.group(1)


def execute(url: str, statement: str) -> None:
    engine = make_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            connection.execute(text(statement))
    finally:
        engine.dispose()
