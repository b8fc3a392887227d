"""Importing points from another system (issue 12, item 9): one lot per row, with its expiry.

The batch's one ledger transaction credits each card's ``points`` account out of the
merchant's ("issued", "points"), as earning at checkout does, so imported points are spent as
cash or in the mall, oldest expiry first, and expire on their lot's date (P7). A row without a
date expires by the merchant's rule, counted from the import day.
"""
from __future__ import annotations

from core.imports import CardCredit, Column, ImportKind, RowProblem, message
from core.imports.kinds import card_number, day, whole
from core.models import CardStatus

from .common import ASSET, ISSUED, PLUGIN_ID, expiry_date

USABLE = (CardStatus.ACTIVE.value, CardStatus.FROZEN.value, CardStatus.LOST.value)

COLUMNS = (
    Column("card_number", message("卡号", "Card number"), card_number, required=True,
           example="8800000000000001", hint=message("卡须已导入或已在本系统发出", "the card must exist")),
    Column("points", message("积分", "Points"), whole(0), required=True, example="520",
           hint=message("整数", "a whole number")),
    Column("expires_on", message("到期日", "Expires on"), day, example="2027-12-31",
           hint=message("这批积分的最后可用日；空着按本店积分规则从导入日算起。同一张卡不同到期日可分多行。",
                        "the last day these points can be spent; empty: the merchant's rule from the "
                        "import day. One row per expiry date of a card.")),
)


def _key(values: dict) -> str:
    expires = values.get("expires_on")
    return f"{values['card_number']}|{expires.isoformat() if expires else ''}"


def check(context, rows) -> list[RowProblem]:
    cards = context.cards([row.values["card_number"] for row in rows])
    default = expiry_date(context.config.settings_for(PLUGIN_ID), context.today)
    problems = []
    for row in rows:
        card = cards.get(row.values["card_number"])
        if card is None:
            problems.append(RowProblem(row.number, "card_number", message(
                "没有这张卡：请先导入会员和卡", "no such card: import the members and cards first")))
        elif card.member_id is None or card.status not in USABLE:
            problems.append(RowProblem(row.number, "card_number", message(
                f"这张卡的状态是 {card.status}，不能导入积分", f"the card is {card.status}: no points can go on it")))
        else:
            row.values["_card_id"] = card.id
        expires = row.values.get("expires_on")
        if expires is not None and expires < context.today:
            problems.append(RowProblem(row.number, "expires_on", message(
                "这些积分已过期，不导入", "these points have expired: not imported")))
        row.values["_expires_on"] = expires or default
    return problems


def totals(rows) -> dict:
    return {ASSET: sum(row.values["points"] for row in rows)}


def post(context, rows) -> dict:
    credits = [CardCredit(row.values["_card_id"], ASSET, row.values["points"], row.values["_expires_on"])
               for row in rows]
    context.post_opening(credits, [(ISSUED, ASSET, -totals(rows)[ASSET])])
    return {"lots": sum(1 for row in rows if row.values["points"])}


def import_kinds() -> list[ImportKind]:
    return [ImportKind(
        "points", message("积分", "Points"), COLUMNS, natural_key=_key, check=check, post=post,
        totals=totals,
        plugin=PLUGIN_ID, description=message("每张卡的积分期初余额，每行一批，带到期日。",
                            "Opening points per card, one lot per row with its expiry date."))]
