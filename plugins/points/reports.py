"""The points reports of the catalogue (issue 12): ``points_liability`` and ``points_detail``.

Both read the ledger only (core.reports.card_assets): the liability is what is left of the
cards' points lots, which always sums to the cards' points balances (ledger.verify), so its
total equals the ledger to the point; the detail lists every entry on a card's points account,
so its net column over all time is the same figure. See docs/reports.md "Plugin reports".
"""
from __future__ import annotations

from core.clock import local_date
from core.reports import Report, count, text
from core.reports.card_assets import (card_movements, movement_columns, open_lots_by_card_and_month,
                                      open_lots_by_month)

from .adjust import TRANSACTION_TYPE as ADJUSTMENT
from .common import ASSET
from .expiry import TRANSACTION_TYPE as EXPIRY
from .mall import TRANSACTION_TYPE as MALL

NEVER = "never"

BY = {"type": "string", "enum": ["month", "member"], "default": "month",
      "description": "month: one row per expiry month; member: one row per card and expiry month",
      "x-label": {"zh-CN": "汇总方式", "en": "Rows per"},
      "x-help": {"zh-CN": "按到期月份：每个到期月份一行；按会员卡：每张卡每个到期月份一行",
                 "en": "Expiry month: one row per expiry month; card: one row per card and expiry month"},
      "x-enum-labels": {"month": {"zh-CN": "按到期月份", "en": "Expiry month"},
                        "member": {"zh-CN": "按会员卡", "en": "Card"}}}


def liability_rows(session, query):
    """Outstanding points per expiry month (or per card and month), soonest first; points
    that never expire last. A month already past holds points the expiry job has not swept
    yet (it runs after local midnight): still on the cards, so still owed."""
    today = local_date(query.now)
    if query.params.get("by") == "member":
        for year, month, number, status, member, points, first in open_lots_by_card_and_month(
                session, query.merchant_id, ASSET, query.store_id):
            state = _state(first, today)
            yield {"month": _month(year, month), "state": state, "state_name": STATE_NAMES[state],
                   "card_number": number,
                   "card_status": status, "member_name": member, "cards": 1, "points": points}
        return
    for year, month, cards, points, first in open_lots_by_month(session, query.merchant_id, ASSET,
                                                                query.store_id):
        state = _state(first, today)
        yield {"month": _month(year, month), "state": state, "state_name": STATE_NAMES[state],
               "cards": cards, "points": points}


def _month(year, month) -> str:
    return f"{year:04d}-{month:02d}" if year is not None else NEVER


STATE_NAMES = {"open": {"zh-CN": "未到期", "en": "Not yet due"},
               "due": {"zh-CN": "已到期，待清零", "en": "Due, not yet swept"},
               "never": {"zh-CN": "永不过期", "en": "Never expires"}}


def _state(first_expiry, today) -> str:
    if first_expiry is None:
        return "never"  # never expires
    return "due" if first_expiry < today else "open"


# -- detail ----------------------------------------------------------------------------------

KIND_NAMES = {"earned": "获得", "spent": "使用", "expired": "到期", "reversed": "冲回",
              "adjusted": "调整", "moved": "换卡转移"}


def kind_of(transaction_type: str, reverses_id, points: int) -> str:
    """What a movement on a card's points was, from its transaction (and its sign)."""
    if transaction_type == EXPIRY:
        return "expired"
    if transaction_type == ADJUSTMENT:
        return "adjusted"
    if transaction_type == "card_replacement":
        return "moved"
    if transaction_type == "return" or reverses_id is not None:
        return "reversed"  # a return takes earned points back and gives spent ones back (P8)
    if transaction_type == MALL:
        return "spent"
    return "earned" if points > 0 else "spent"  # checkout (P1, P4) and the wheel (P4)


def detail_rows(session, query):
    for move in card_movements(session, query.merchant_id, (ASSET,), query.start, query.end,
                               query.store_id):
        points = move[ASSET]
        if not move["in"][ASSET] and not move["out"][ASSET]:
            continue
        kind = kind_of(move["type"], move["reverses_id"], points)
        yield {"time": move["time"], "day": move["day"], "kind": kind, "kind_name": KIND_NAMES[kind],
               "card_number": move["card_number"], "member_name": move["member_name"],
               "staff_name": move["staff_name"], "store_name": move["store_name"],
               "points_in": move["in"][ASSET], "points_out": move["out"][ASSET], "points": points,
               "transaction_id": str(move["transaction_id"]), "transaction_type": move["type"]}


LIABILITY = Report(
    "points_liability", {"zh-CN": "积分负债", "en": "Points liability"},
    [text("month", "到期月份", "Expiry month"),
     text("state", "状态代码", "State key"),
     text("state_name", "状态", "State"),
     text("card_number", "卡号", "Card"),
     text("card_status", "卡状态", "Card status"),
     text("member_name", "会员", "Member"),
     count("cards", "卡数", "Cards", total=False),
     count("points", "未用积分", "Points outstanding")],
    liability_rows, period=False, by_store=True, parameters={"by": BY})

DETAIL = Report(
    "points_detail", {"zh-CN": "积分明细", "en": "Points detail"},
    movement_columns([count("points_in", "增加积分", "Points in"),
                      count("points_out", "减少积分", "Points out"),
                      count("points", "净变动", "Net points")]),
    detail_rows, period=True, by_store=True)


def reports() -> list[Report]:
    return [LIABILITY, DETAIL]
