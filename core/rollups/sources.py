"""What a range of ledger transactions adds to the day totals: the fold's input and the tail.

A range is ``after < transaction id <= through`` (``through`` None: to the newest), optionally
one merchant's and within UTC instants ``[since, until)``. Everything is keyed by the
transaction's merchant-local day, store and staff: a return counts on its own day, for the
staff who gave the money back.

Sales (``SALES_FIGURES`` per day, store, staff and method):
- a checkout's ``sales_fen`` per method is what that payment took; its list price
  (``gross_fen``) is shared among its payments in proportion, cumulatively floored so the
  shares add up to the list price exactly; the checkout itself (and member / walk-in) is
  counted once, under its main method (the largest payment, the first on a tie);
- a return gives back, for each of a payment's postings on the sales account,
  floor(amount x returned / paid) cumulatively, exactly as core.returns computes it, so
  ``refunds_fen`` per method is the money that moved.
The method of a payment is its ``checkout_payments.method``; an external payment is named by
its channel's account (``external_wechat`` …).

Ledger (per day, store, staff, transaction type and merchant account): the sum of the
entries and how many there are; card accounts are left out (one per card: too many rows).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy import case, exists, func, literal_column, select
from sqlalchemy.orm import Session

from ..models import Account, Checkout, CheckoutPayment, CheckoutReturn, Entry, LedgerTransaction
from ..pricing import proportional_share
from .days import local_day

SALES_FIGURES = ("gross_fen", "sales_fen", "refunds_fen", "checkouts", "member_checkouts",
                 "walk_in_checkouts", "returns")
GROSS, SALES, REFUNDS, CHECKOUTS, MEMBER, WALK_IN, RETURNS = range(len(SALES_FIGURES))
LEDGER_FIGURES = ("amount", "entries")

_t = LedgerTransaction.__table__
_c = Checkout.__table__
_p = CheckoutPayment.__table__
_r = CheckoutReturn.__table__
_e = Entry.__table__
_a = Account.__table__
_IN_CHUNK = 500  # ids per IN (...) list


def _method(payments):
    """The payment's method; an external one named by the account its money went to."""
    tender = (select(_a.c.purpose).where(_a.c.id == payments.c.postings[(0, "account_id")].as_integer())
              .scalar_subquery())
    return case((payments.c.method == literal_column("'external'"),
                 func.coalesce(tender, payments.c.method)), else_=payments.c.method)


def _in_range(after, through, merchant_id, since, until) -> list:
    conditions = [_t.c.id > after]
    if through is not None:
        conditions.append(_t.c.id <= through)
    if merchant_id is not None:
        conditions.append(_t.c.merchant_id == merchant_id)
    if since is not None:
        conditions.append(_t.c.created_at >= since)
    if until is not None:
        conditions.append(_t.c.created_at < until)
    return conditions


def _keys(dialect: str) -> list:
    return [_t.c.merchant_id.label("merchant_id"), local_day(_t.c.created_at, dialect).label("day"),
            func.coalesce(_t.c.store_id, 0).label("store_id"),
            func.coalesce(_t.c.staff_id, 0).label("staff_id")]


def collect_sales(session: Session, after, through: int | None = None, *, merchant_id: int | None = None,
                  since: datetime | None = None, until: datetime | None = None) -> dict[tuple, list[int]]:
    """(merchant_id, day, store_id, staff_id, method) -> SALES_FIGURES of the range."""
    dialect = session.get_bind().dialect.name
    where = _in_range(after, through, merchant_id, since, until)
    totals: dict[tuple, list[int]] = defaultdict(lambda: [0] * len(SALES_FIGURES))
    other = _p.alias("other_payment")
    only_payment = ~exists().where(other.c.checkout_id == _p.c.checkout_id, other.c.id != _p.c.id)
    member = case((_c.c.member_id.is_not(None), 1), else_=0)
    sold = _t.join(_c, _c.c.transaction_id == _t.c.id).join(_p, _p.c.checkout_id == _c.c.id)
    # One payment (nearly every checkout): added up by the database.
    rows = (select(*_keys(dialect), _method(_p).label("method"), _c.c.list_total_fen.label("gross"),
                   _c.c.due_total_fen.label("due"), member.label("member"))
            .select_from(sold).where(*where, only_payment).subquery())
    keys = [rows.c.merchant_id, rows.c.day, rows.c.store_id, rows.c.staff_id, rows.c.method]
    for *key, gross, due, checkouts, members in session.execute(
            select(*keys, func.sum(rows.c.gross), func.sum(rows.c.due), func.count(),
                   func.sum(rows.c.member)).group_by(*keys)):
        figures = totals[tuple(key)]
        figures[GROSS] += int(gross)
        figures[SALES] += int(due)
        figures[CHECKOUTS] += checkouts
        figures[MEMBER] += int(members)
        figures[WALK_IN] += checkouts - int(members)
    # Split tenders: shared out here, checkout by checkout.
    split = session.execute(
        select(_c.c.id, *_keys(dialect), _method(_p), _c.c.list_total_fen, _c.c.due_total_fen,
               member, _p.c.amount_fen)
        .select_from(sold).where(*where, ~only_payment).order_by(_c.c.id, _p.c.id))
    current, payments = None, []
    for checkout_id, merchant, day, store, staff, method, gross, due, is_member, amount in split:
        if checkout_id != current and payments:
            _add_split_checkout(totals, payments)
            payments = []
        current = checkout_id
        payments.append(((merchant, day, store, staff, method), gross, due, is_member, amount))
    if payments:
        _add_split_checkout(totals, payments)
    _add_returns(session, totals, dialect, where)
    return dict(totals)


def _add_split_checkout(totals, payments) -> None:
    gross, due, is_member = payments[0][1], payments[0][2], payments[0][3]
    main = _main_index([amount for *_, amount in payments])
    paid = 0
    for index, (key, _gross, _due, _member, amount) in enumerate(payments):
        figures = totals[key]
        if due:
            figures[GROSS] += (proportional_share(gross, paid + amount, due)
                               - proportional_share(gross, paid, due))
        elif index == main:
            figures[GROSS] += gross
        paid += amount
        figures[SALES] += amount
        if index == main:
            figures[CHECKOUTS] += 1
            figures[MEMBER if is_member else WALK_IN] += 1


def _main_index(amounts: list[int]) -> int:
    return max(range(len(amounts)), key=lambda index: (amounts[index], -index))


def _add_returns(session: Session, totals, dialect: str, where: list) -> None:
    returns = session.execute(
        select(_r.c.id, _r.c.checkout_id, *_keys(dialect))
        .select_from(_t.join(_r, _r.c.transaction_id == _t.c.id)).where(*where)).all()
    if not returns:
        return
    checkout_ids = sorted({row[1] for row in returns})
    payments, dues, returned = defaultdict(list), {}, defaultdict(list)
    for start in range(0, len(checkout_ids), _IN_CHUNK):
        chunk = checkout_ids[start:start + _IN_CHUNK]
        found = session.execute(select(_p.c.checkout_id, _method(_p), _p.c.amount_fen, _p.c.postings)
                                .where(_p.c.checkout_id.in_(chunk)).order_by(_p.c.checkout_id, _p.c.id)).all()
        sales_accounts = _sales_accounts(session, {posting["account_id"] for *_, postings in found
                                                   for posting in postings or ()})
        for checkout_id, method, amount, postings in found:
            # A tender gives back each of its postings on the sales account rounded down
            # (core.returns): stored value posts principal and bonus apart.
            parts = [-int(posting["amount"]) for posting in postings or ()
                     if posting["account_id"] in sales_accounts]
            payments[checkout_id].append((method, amount, parts))
        dues.update(session.execute(select(_c.c.id, _c.c.due_total_fen).where(_c.c.id.in_(chunk))).all())
        for checkout_id, return_id, lines in session.execute(
                select(_r.c.checkout_id, _r.c.id, _r.c.lines).where(_r.c.checkout_id.in_(chunk))):
            returned[checkout_id].append((return_id, sum(int(line["paid_fen"]) for line in lines)))
    for return_id, checkout_id, merchant, day, store, staff in returns:
        # What the checkout's returns had given back before this one, and after it.
        before = sum(paid for other, paid in returned[checkout_id] if other < return_id)
        after = before + sum(paid for other, paid in returned[checkout_id] if other == return_id)
        due, tenders = dues[checkout_id], payments[checkout_id]
        main = _main_index([amount for _method_name, amount, _parts in tenders])
        for index, (method, _amount, parts) in enumerate(tenders):
            refund = sum(proportional_share(part, after, due) - proportional_share(part, before, due)
                         for part in parts)
            if refund or index == main:
                figures = totals[(merchant, day, store, staff, method)]
                figures[REFUNDS] += refund
                figures[RETURNS] += 1 if index == main else 0


def _sales_accounts(session: Session, account_ids: set[int]) -> set[int]:
    """Which of ``account_ids`` are a merchant's ("sales", cny) account."""
    found: set[int] = set()
    ordered = sorted(account_ids)
    for start in range(0, len(ordered), _IN_CHUNK):
        found.update(session.scalars(select(_a.c.id).where(
            _a.c.id.in_(ordered[start:start + _IN_CHUNK]), _a.c.owner == literal_column("'merchant'"),
            _a.c.purpose == literal_column("'sales'"), _a.c.asset == literal_column("'cny'"))))
    return found


def collect_ledger(session: Session, after, through: int | None = None, *, merchant_id: int | None = None,
                   since: datetime | None = None, until: datetime | None = None) -> dict[tuple, list[int]]:
    """(merchant_id, day, store_id, staff_id, type, account_id) -> [amount, entries] of the
    range, over the merchant's own accounts."""
    dialect = session.get_bind().dialect.name
    rows = (select(*_keys(dialect), _t.c.type.label("type"), _e.c.account_id.label("account_id"),
                   _e.c.amount.label("amount"))
            .select_from(_t.join(_e, _e.c.transaction_id == _t.c.id).join(_a, _a.c.id == _e.c.account_id))
            .where(*_in_range(after, through, merchant_id, since, until),
                   _a.c.owner == literal_column("'merchant'")).subquery())
    keys = [rows.c.merchant_id, rows.c.day, rows.c.store_id, rows.c.staff_id, rows.c.type,
            rows.c.account_id]
    return {tuple(key): [int(amount), entries] for *key, amount, entries in session.execute(
        select(*keys, func.sum(rows.c.amount), func.count()).group_by(*keys))}


def merge(into: dict[tuple, list[int]], more: dict[tuple, list[int]]) -> dict[tuple, list[int]]:
    for key, figures in more.items():
        mine = into.get(key)
        into[key] = list(figures) if mine is None else [a + b for a, b in zip(mine, figures)]
    return into



