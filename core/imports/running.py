"""Running an import: read the file, check every row, and either report (dry run: nothing
changes) or write it all in the caller's one transaction, as one auditable batch.

Steps: the file's rows (``reading``) -> header matched to the kind's columns -> cells parsed
-> natural keys: repeated in the file (a problem), imported by an earlier batch (skipped)
-> the kind's database checks -> dry run: the report; real run: refused while any row is bad,
else the batch row, the kind's bulk writes (members, cards, the one ledger transaction of the
opening balances), the imported keys, the reconciliation and the audit row.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import audit
from ..errors import Conflict, Invalid, NotFound
from ..merchant_config import MerchantConfig
from ..models import Account, Entry, ImportBatch, ImportKey, Lot
from .bulk import chunks, imported_keys, insert_many
from .context import ImportContext
from .kinds import CellError, ImportKind, Row, RowProblem, blank, message
from .reading import FileRefused, Table, read_table
from .templates import REQUIRED_MARK

MAX_PROBLEMS_LISTED = 10_000  # a file with more bad rows than this is the wrong file
_batches = ImportBatch.__table__


class RowsRefused(Invalid):
    """A real run of a file with bad rows: nothing was imported; ``report`` lists them."""

    code = "import_rows_invalid"

    def __init__(self, report: dict) -> None:
        super().__init__(f"{report['rows_bad']} row(s) of the file are not valid; nothing was "
                         "imported (fix them and import again; a dry run lists them)",
                         details=report["problems"])
        self.report = report


def import_kinds(config: MerchantConfig) -> dict[str, ImportKind]:
    """The kinds this merchant can import: the core's and those of its enabled plugins."""
    kinds: dict[str, ImportKind] = {}
    for group in config.hook("register_import_kinds")():
        for kind in group or []:
            kinds.setdefault(kind.key, kind)
    return kinds


def find_kind(config: MerchantConfig, key: str) -> ImportKind:
    kind = import_kinds(config).get(key)
    if kind is None:
        raise NotFound(f"nothing called {key!r} can be imported here (enabled: "
                       + ", ".join(sorted(import_kinds(config))) + ")", code="import_kind_unknown")
    return kind


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_import(session: Session, config: MerchantConfig, merchant_id: int, kind_key: str,
               data: bytes, *, file_name: str = "", dry_run: bool, now: datetime,
               staff_id: int | None = None, store_id: int | None = None,
               origin: audit.Origin | None = None) -> dict:
    """Import ``data`` (an .xlsx or CSV file) as ``kind_key``; returns the report.

    A dry run changes nothing. A real run needs every row valid (else ``RowsRefused``),
    refuses a file imported before (``Conflict`` import_already_done) and writes everything in
    ``session``'s transaction: commit it to keep the import.
    """
    kind = find_kind(config, kind_key)
    sha = digest(data)
    earlier = session.execute(select(_batches.c.id, _batches.c.created_at).where(
        _batches.c.merchant_id == merchant_id, _batches.c.kind == kind.key,
        _batches.c.file_digest == sha)).first()
    if earlier is not None and not dry_run:
        raise Conflict(f"this file was already imported (batch {earlier.id}); nothing was imported "
                       "again", code="import_already_done",
                       details={"batch_id": earlier.id, "created_at": earlier.created_at.isoformat()})
    table = read_table(data)
    rows, problems, examples = _parse(kind, table)
    context = ImportContext(session=session, config=config, merchant_id=merchant_id, now=now,
                            kind=kind.key, staff_id=staff_id, store_id=store_id)
    rows, problems, skipped = _keys(session, merchant_id, kind, rows, problems)
    if rows:
        problems += kind.check(context, rows)
    bad_rows = {p.row for p in problems}
    good = [row for row in rows if row.number not in bad_rows]
    report = {
        "kind": kind.key, "dry_run": dry_run,
        "file": {"name": file_name[:200], "format": table.format, "encoding": table.encoding,
                 "sha256": sha},
        "rows_read": len(table.rows), "rows_valid": len(good), "rows_skipped": len(skipped),
        "rows_bad": len(bad_rows), "example_rows_skipped": examples,
        "problems_total": len(problems),
        "problems": [_problem_json(p, kind) for p in sorted(problems, key=_order)[:MAX_PROBLEMS_LISTED]],
        "skipped": skipped[:100],
        "already_imported": ({"batch_id": earlier.id, "created_at": earlier.created_at.isoformat()}
                             if earlier is not None else None),
        "totals": _plain(kind_totals(kind, good)),
    }
    if dry_run:
        return report
    if problems:
        raise RowsRefused(report)
    if not good:
        raise Invalid(f"the file holds no row to import ({len(skipped)} imported before); nothing "
                      "was imported", code="import_nothing",
                      details=[{"pointer": "/file", "message": "no new rows",
                                "message_i18n": message("文件中没有需要导入的新行", "no new rows")}])
    return _write(context, kind, good, report, file_name, sha, origin)


def kind_totals(kind: ImportKind, rows: list[Row]) -> dict:
    totals = getattr(kind, "totals", None)
    return totals(rows) if totals else {}


def _plain(value):
    return {key: int(amount) for key, amount in value.items()}


def _order(problem: RowProblem):
    return (problem.row, problem.column)


def _problem_json(problem: RowProblem, kind: ImportKind) -> dict:
    columns = kind.column_map()
    title = columns[problem.column].title["zh-CN"] if problem.column in columns else ""
    pointer = f"/rows/{problem.row}" + (f"/{problem.column}" if problem.column else "")
    return {"row": problem.row, "column": problem.column, "column_title": title, "pointer": pointer,
            "message": problem.message["en"], "message_i18n": problem.message}


# -- reading the rows ----------------------------------------------------------------------------

def _normal(title: str) -> str:
    """A header as compared: no spaces, no required mark, half-width brackets, case folded."""
    text = str(title).strip().replace(" ", "").replace("\u3000", "").rstrip(REQUIRED_MARK + "＊")
    return text.replace("（", "(").replace("）", ")").casefold()


def _columns_of(kind: ImportKind, header: list[str]) -> dict[int, str]:
    """File column index -> column key; FileRefused naming unknown, repeated and missing ones."""
    names = {}
    for column in kind.columns:
        for spelling in (column.key, column.title["zh-CN"], column.title["en"]):
            names[_normal(spelling)] = column.key
    found: dict[int, str] = {}
    unknown, repeated = [], []
    for index, title in enumerate(header):
        if not title:
            continue
        key = names.get(_normal(title))
        if key is None:
            unknown.append(title[:40])
        elif key in found.values():
            repeated.append(title[:40])
        else:
            found[index] = key
    missing = [c.title["zh-CN"] for c in kind.columns if c.required and c.key not in found.values()]
    if unknown or repeated or missing:
        zh, en = [], []
        if missing:
            zh.append("缺少必填列：" + "、".join(missing))
            en.append("required columns missing: " + ", ".join(
                c.title["en"] for c in kind.columns if c.required and c.key not in found.values()))
        if unknown:
            zh.append("无法识别的列：" + "、".join(unknown[:10]))
            en.append("unknown columns: " + ", ".join(unknown[:10]))
        if repeated:
            zh.append("重复的列：" + "、".join(repeated[:10]))
            en.append("columns given twice: " + ", ".join(repeated[:10]))
        expected = "、".join(templates_header(kind))
        raise FileRefused("表头与模板不符（" + "；".join(zh) + "）。模板的表头是：" + expected,
                          "the header does not match the template (" + "; ".join(en) + ")",
                          code="import_file_header")
    return found


def templates_header(kind: ImportKind) -> list[str]:
    return [c.title["zh-CN"] + (REQUIRED_MARK if c.required else "") for c in kind.columns]


def _parse(kind: ImportKind, table: Table) -> tuple[list[Row], list[RowProblem], int]:
    positions = _columns_of(kind, table.header)
    columns = kind.column_map()
    example = {c.key: c.example for c in kind.columns}
    rows, problems, examples = [], [], 0
    for number, cells in table.rows:
        raw = {key: cells[index] if index < len(cells) else None for index, key in positions.items()}
        if all(_same(raw[key], example[key]) for key in raw):
            examples += 1  # the template's example row, left in
            continue
        values, ok = {}, True
        for key, column in columns.items():
            cell = raw.get(key)
            if blank(cell):
                values[key] = None
                if column.required:
                    problems.append(RowProblem(number, key, message("必填", "required")))
                    ok = False
                continue
            try:
                values[key] = column.parse(cell)
            except CellError as error:
                problems.append(RowProblem(number, key, error.message))
                ok = False
        if ok:
            rows.append(Row(number, values))
    return rows, problems, examples


def _same(cell, example: str) -> bool:
    if blank(cell):
        return not example
    text = str(int(cell)) if isinstance(cell, float) and cell.is_integer() else str(cell).strip()
    return text == example


def _keys(session: Session, merchant_id: int, kind: ImportKind, rows: list[Row],
          problems: list[RowProblem]):
    """Rows repeated in the file become problems; rows an earlier batch imported are skipped."""
    first: dict[str, int] = {}
    unique = []
    for row in rows:
        key = kind.natural_key(row.values)
        if key in first:
            problems.append(RowProblem(row.number, "", message(
                f"与第 {first[key]} 行重复（{key}）", f"repeats row {first[key]} ({key})")))
            continue
        first[key] = row.number
        unique.append(row)
    done = imported_keys(session, merchant_id, kind.key, first)
    skipped = [{"row": row.number, "key": kind.natural_key(row.values),
                "batch_id": done[kind.natural_key(row.values)]}
               for row in unique if kind.natural_key(row.values) in done]
    fresh = [row for row in unique if kind.natural_key(row.values) not in done]
    return fresh, problems, skipped


# -- writing -------------------------------------------------------------------------------------

def _write(context: ImportContext, kind: ImportKind, rows: list[Row], report: dict,
           file_name: str, sha: str, origin: audit.Origin | None) -> dict:
    session, merchant_id = context.session, context.merchant_id
    try:
        with session.begin_nested():
            batch_id = session.connection().execute(_batches.insert().returning(_batches.c.id), {
                "merchant_id": merchant_id, "kind": kind.key, "file_digest": sha,
                "file_name": file_name[:200], "rows_read": report["rows_read"],
                "rows_imported": len(rows), "rows_skipped": report["rows_skipped"],
                "staff_id": context.staff_id, "summary": {}, "created_at": context.now}).scalar_one()
    except IntegrityError:
        raise Conflict("this file is being imported or was just imported; nothing was imported "
                       "again", code="import_already_done") from None
    context.batch_id = batch_id
    try:
        created = kind.post(context, rows) if rows else {}
        insert_many(session, ImportKey.__table__, [
            {"merchant_id": merchant_id, "kind": kind.key, "key": kind.natural_key(row.values),
             "batch_id": batch_id} for row in rows])
    except IntegrityError:  # a phone, card number or row key taken since the check
        raise Conflict("some of these rows were created elsewhere while importing (another "
                       "import, the counter); nothing was imported: run it again",
                       code="import_concurrent") from None
    _analyze(session)
    reconciliation = reconcile(session, context.transaction_id, report["totals"])
    report = {**report, "batch_id": batch_id, "transaction_id": context.transaction_id,
              "created": created, "reconciliation": reconciliation}
    summary = {key: report[key] for key in ("kind", "file", "rows_read", "rows_valid", "rows_skipped",
                                            "created", "totals", "reconciliation")}
    session.execute(update(ImportBatch).where(ImportBatch.id == batch_id)
                    .values(transaction_id=context.transaction_id, summary=summary)
                    .execution_options(synchronize_session=False))
    if origin is not None:
        audit.record(session, merchant_id=merchant_id, staff_id=context.staff_id,
                     action=f"import.{kind.key}", target=f"import:{batch_id}", origin=origin,
                     after={**summary, "batch_id": batch_id, "transaction_id": context.transaction_id},
                     at=context.now)
    return report


_BULK_TABLES = ("members", "cards", "accounts", "entries", "lots", "ledger_transactions", "import_keys")


def _analyze(session: Session) -> None:
    """PostgreSQL plans by its statistics, which a bulk load leaves stale until autovacuum
    comes by: without fresh ones the reconciliation (and every query after the import) may
    take a nested loop over 100,000 rows. SQLite's planner needs no statistics here."""
    if session.get_bind().dialect.name == "postgresql":
        for table in _BULK_TABLES:
            session.execute(text(f"ANALYZE {table}"))


def reconcile(session: Session, transaction_id: int | None, totals: dict) -> dict:
    """The file's totals per asset beside what the batch's ledger transaction put on cards and
    what those cards' accounts hold now; ``balanced`` when they agree and the touched accounts
    keep the ledger's invariants (balance = entries = open lots)."""
    posted: dict[str, int] = {}
    held: dict[str, int] = {}
    problems: list[str] = []
    if transaction_id is not None:
        touched = (select(Entry.account_id).join(Account, Account.id == Entry.account_id)
                   .where(Entry.transaction_id == transaction_id, Account.owner == "card")
                   .distinct().subquery())
        posted = {asset: int(total) for asset, total in session.execute(
            select(Account.asset, func.sum(Entry.amount)).join(Account, Account.id == Entry.account_id)
            .where(Entry.transaction_id == transaction_id, Account.owner == "card")
            .group_by(Account.asset))}
        held = {asset: int(total) for asset, total in session.execute(
            select(Account.asset, func.sum(Account.balance))
            .where(Account.id.in_(select(touched.c.account_id))).group_by(Account.asset))}
        unbalanced = session.execute(
            select(Entry.asset, func.sum(Entry.amount)).where(Entry.transaction_id == transaction_id)
            .group_by(Entry.asset).having(func.sum(Entry.amount) != 0)).all()
        problems += [f"the batch's transaction does not balance in {a}: {s}" for a, s in unbalanced]
        problems += _drift(session, touched)
    assets = sorted(set(totals) | set(posted))
    rows = [{"asset": asset, "file": int(totals.get(asset, 0)), "posted": posted.get(asset, 0),
             "cards_hold_now": held.get(asset, 0)} for asset in assets]
    agree = all(row["file"] == row["posted"] for row in rows)
    return {"assets": rows, "balanced": agree and not problems, "problems": problems}


def _drift(session: Session, touched) -> list[str]:
    entry_sums = (select(Entry.account_id, func.sum(Entry.amount).label("total"))
                  .where(Entry.account_id.in_(select(touched.c.account_id)))
                  .group_by(Entry.account_id).subquery())
    lot_sums = (select(Lot.account_id, func.sum(Lot.remaining).label("total"))
                .where(Lot.account_id.in_(select(touched.c.account_id)))
                .group_by(Lot.account_id).subquery())
    rows = session.execute(
        select(Account.id, Account.balance, func.coalesce(entry_sums.c.total, 0),
               func.coalesce(lot_sums.c.total, 0))
        .outerjoin(entry_sums, entry_sums.c.account_id == Account.id)
        .outerjoin(lot_sums, lot_sums.c.account_id == Account.id)
        .where(Account.id.in_(select(touched.c.account_id)))
        .where((Account.balance != func.coalesce(entry_sums.c.total, 0))
               | (Account.balance != func.coalesce(lot_sums.c.total, 0)))).all()
    return [f"account {a}: balance {b}, entries {e}, open lots {lot}" for a, b, e, lot in rows[:20]]


__all__ = ["RowsRefused", "import_kinds", "find_kind", "run_import", "reconcile", "chunks"]
