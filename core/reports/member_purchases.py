"""What the member reports share: each member's purchases in a period, in one GROUP BY.

A member's purchases are their checkouts (every card of theirs, so a replaced card's sales
stay with the member). Net spend is what the checkouts were due less what returns paid back,
counted on the sale's day as tier qualification counts it (card_spend_days, C4). Checkouts
are filtered by UTC instants: the period's first and last local days, converted at the edge.
"""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Integer, String, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement

from ..clock import local_day_bounds
from ..errors import Invalid, problem
from ..models import Checkout, CheckoutReturn


# China has kept UTC+8 all year since 1991: a fixed offset is exact for any date Huika stores.
class local_month(FunctionElement):
    """The merchant-local month ("YYYY-MM") of a UTC timestamp."""

    type = String()
    inherit_cache = True
    name = "local_month"


@compiles(local_month, "sqlite")
def _local_month_sqlite(element, compiler, **kw):
    return f"strftime('%Y-%m', {compiler.process(element.clauses, **kw)}, '+8 hours')"


@compiles(local_month, "postgresql")
def _local_month_postgresql(element, compiler, **kw):
    return (f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Shanghai', "
            "'YYYY-MM')")


def plain_batches(connection, statement, size: int = 5000):
    """The statement's rows as plain DBAPI tuples, a list of up to ``size`` at a time.

    For the reports that stream a million rows: building SQLAlchemy's Row for each costs as
    much as SQLite's own work. Only for columns that need no result processing (integers,
    strings; days as day numbers, sums cast to BIGINT).
    """
    result = connection.execute(statement)
    try:
        cursor = result.cursor  # the DBAPI cursor: the default fetch strategy holds no rows
        while batch := cursor.fetchmany(size):
            yield batch
    finally:
        result.close()


EARLIEST_DAY, LATEST_DAY = date(1900, 1, 1), date(2999, 12, 31)


def check_period(start: date, end: date) -> None:
    """Invalid (422) for a period outside 1900–2999: no member bought then, and the calendar's
    ends (year 1, year 9999) overflow the UTC conversion."""
    problems = [problem(f"/{name}", f"a day from {EARLIEST_DAY} to {LATEST_DAY}")
                for name, day in (("from", start), ("to", end))
                if not EARLIEST_DAY <= day <= LATEST_DAY]
    if problems:
        raise Invalid("the period is outside the years this report covers", details=problems)


def period_instants(start: date, end: date) -> tuple[datetime, datetime]:
    """The UTC instants where local day ``start`` begins and the day after ``end`` begins."""
    return local_day_bounds(start)[0], local_day_bounds(end)[1]


EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


class local_day_number(FunctionElement):
    """The merchant-local date of a UTC timestamp as days since 1970-01-01 (an integer: cheap
    to fetch and subtract; ``date.fromordinal(EPOCH_ORDINAL + n)`` is the date)."""

    type = Integer()
    inherit_cache = True
    name = "local_day_number"


@compiles(local_day_number, "sqlite")
def _local_day_number_sqlite(element, compiler, **kw):
    # julianday() of local midnight on 1970-01-01 is 2440587.5; truncation is the floor here.
    return (f"CAST(julianday({compiler.process(element.clauses, **kw)}, '+8 hours') "
            "- 2440587.5 AS INTEGER)")


@compiles(local_day_number, "postgresql")
def _local_day_number_postgresql(element, compiler, **kw):
    return (f"(CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'Asia/Shanghai' "
            "AS DATE) - DATE '1970-01-01')")


def day_of_number(number: int) -> date:
    return date.fromordinal(EPOCH_ORDINAL + number)


def _checkouts_in(merchant_id: int, start: date, end: date, store_id: int | None) -> list:
    since, until = period_instants(start, end)
    where = [Checkout.merchant_id == merchant_id, Checkout.member_id.is_not(None),
             Checkout.created_at >= since, Checkout.created_at < until]
    if store_id is not None:
        where.append(Checkout.store_id == store_id)
    return where


def period_facts(merchant_id: int, start: date, end: date, store_id: int | None = None):
    """Per member who bought in the period, in member order: ``member_id``, ``frequency``
    (checkouts), ``gross_fen`` (their due total), ``first_day``/``last_day`` (local day
    numbers). One pass over the index on (merchant, member, time, due): no table reads."""
    return (select(Checkout.member_id, func.count().label("frequency"),
                   func.sum(Checkout.due_total_fen).cast(BigInteger).label("gross_fen"),
                   local_day_number(func.min(Checkout.created_at)).label("first_day"),
                   local_day_number(func.max(Checkout.created_at)).label("last_day"))
            .where(*_checkouts_in(merchant_id, start, end, store_id))
            .group_by(Checkout.member_id).order_by(Checkout.member_id))


def period_refunds(merchant_id: int, start: date, end: date, store_id: int | None = None):
    """(member_id, refund_fen): what returns paid back on the period's checkouts, whenever
    the return was made (a refund counts on the sale's day, as C4 counts spend)."""
    return (select(Checkout.member_id, func.sum(CheckoutReturn.refund_fen).cast(BigInteger))
            .join(Checkout, Checkout.id == CheckoutReturn.checkout_id)
            .where(*_checkouts_in(merchant_id, start, end, store_id))
            .group_by(Checkout.member_id))


def last_purchase_days(merchant_id: int, before, store_id: int | None = None):
    """(member_id, last local day number) of every member's last checkout before ``before``."""
    where = [Checkout.merchant_id == merchant_id, Checkout.member_id.is_not(None),
             Checkout.created_at < before]
    if store_id is not None:
        where.append(Checkout.store_id == store_id)
    return (select(Checkout.member_id, local_day_number(func.max(Checkout.created_at)))
            .where(*where).group_by(Checkout.member_id))


def net_spend_per_member(merchant_id: int, start: date, end: date, store_id: int | None = None):
    """(member_id, net_fen) of every member who bought in the period: a select."""
    since, until = period_instants(start, end)
    where = [Checkout.merchant_id == merchant_id, Checkout.member_id.is_not(None),
             Checkout.created_at >= since, Checkout.created_at < until]
    if store_id is not None:
        where.append(Checkout.store_id == store_id)
    gross = (select(Checkout.member_id, func.sum(Checkout.due_total_fen).label("fen"))
             .where(*where).group_by(Checkout.member_id).subquery("gross"))
    refunded = (select(Checkout.member_id, func.sum(CheckoutReturn.refund_fen).label("fen"))
                .join(Checkout, Checkout.id == CheckoutReturn.checkout_id)
                .where(*where).group_by(Checkout.member_id).subquery("refunded"))
    net = (gross.c.fen - func.coalesce(refunded.c.fen, 0)).cast(BigInteger)
    return (select(gross.c.member_id, net.label("net_fen"))
            .outerjoin(refunded, refunded.c.member_id == gross.c.member_id))
