"""Does the raw "full" reference write the rows a Huika checkout writes?

On three copies of the freshly seeded SQLite database, the same card pays the same basket
once: through the API (Flask's test client: token, idempotency record and all), through
core.checkout in-process, and through raw.py's full variant. The new rows per table must be
the same for the API and raw full, and for in-process and raw full apart from the
idempotency record (an API concern). The API checkout also tells what the published points
configuration earns, which raw full then writes too.
"""
from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from . import inprocess, raw

API_ONLY_TABLES = {"idempotency_records"}


@dataclass
class RowSetCheck:
    api: dict[str, int]
    in_process: dict[str, int]
    raw_full: dict[str, int]
    earnings: tuple[raw.Earning, ...]
    mismatches: list[str] = field(default_factory=list)  # "<path>: <table> huika N, raw M"

    @property
    def ok(self) -> bool:
        return not self.mismatches


def table_counts(path: Path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {table: connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
                for table in tables}
    finally:
        connection.close()


def new_rows(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {table: after[table] - before.get(table, 0) for table in sorted(after)
            if after[table] != before.get(table, 0)}


def mismatches(what: str, huika: dict[str, int], reference: dict[str, int]) -> list[str]:
    return [f"{what}: {table} huika {huika.get(table, 0)}, raw {reference.get(table, 0)}"
            for table in sorted(set(huika) | set(reference))
            if huika.get(table, 0) != reference.get(table, 0)]


def _copy(seeded, path: Path):
    from dataclasses import replace

    shutil.copyfile(seeded.path, path)
    return replace(seeded, path=path, url=f"sqlite:///{path}")


def _api_checkout(seeded, workdir: Path, body: dict) -> dict:
    from webui import create_app

    os.environ.setdefault("HUIKA_INSTANCE_PATH", str(workdir / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": seeded.url,
                      "SECRET_KEY": "bench-rowset-" + "x" * 32, "PIN_PEPPER": "5a" * 32})
    try:
        response = app.test_client().post(
            "/api/v1/checkout", json=body,
            headers={"Authorization": f"Bearer {seeded.token}", "Idempotency-Key": uuid.uuid4().hex})
        if response.status_code != 201:
            raise RuntimeError(f"the API checkout failed: {response.status_code} "
                               f"{response.get_data(as_text=True)[:300]}")
        return response.get_json()
    finally:
        app.extensions["huika"].db.dispose()


def check(seeded, workdir: Path, body: dict, basket: raw.Basket) -> RowSetCheck:
    """Run the three checkouts of card 0; returns the new rows and any mismatch. ``basket``'s
    earnings are ignored: the API checkout's are used (and returned)."""
    number = body["card_number"]

    api_db = _copy(seeded, workdir / "rowset-api.sqlite")
    before = table_counts(api_db.path)
    receipt = _api_checkout(api_db, workdir, body)
    api_rows = new_rows(before, table_counts(api_db.path))
    earnings = tuple(
        raw.Earning(e["asset"], e["amount"], e.get("expires_on"),
                    {k: v for k, v in e.items() if k not in ("asset", "amount")})
        for e in receipt.get("earned", []))

    core_db = _copy(seeded, workdir / "rowset-inprocess.sqlite")
    before = table_counts(core_db.path)
    db, config = inprocess.open_database(core_db)
    try:
        status, _earned = inprocess.checkout_once(db, config, core_db, body)
    finally:
        db.dispose()
    if status != 201:
        raise RuntimeError(f"the in-process checkout failed with {status}")
    core_rows = new_rows(before, table_counts(core_db.path))

    raw_db = _copy(seeded, workdir / "rowset-raw.sqlite")
    before = table_counts(raw_db.path)
    connection = raw.connect_sqlite(raw_db.path)
    try:
        reference = raw.RawCheckout(connection, "sqlite", seeded.merchant_id, seeded.store_id,
                                    seeded.staff_id, raw.Basket(**{**basket.__dict__,
                                                                   "earnings": earnings}))
        if not reference.checkout(number, full=True):
            raise RuntimeError("the raw full checkout found no balance")
    finally:
        connection.close()
    raw_rows = new_rows(before, table_counts(raw_db.path))

    core_expected = {t: n for t, n in raw_rows.items() if t not in API_ONLY_TABLES}
    found = (mismatches("API", api_rows, raw_rows)
             + mismatches("in-process", core_rows, core_expected))
    return RowSetCheck(api_rows, core_rows, raw_rows, earnings, found)
