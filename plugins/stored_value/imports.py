"""Importing stored value from another system (issue 12, item 9): principal and bonus per card.

The batch's one ledger transaction loads each card exactly as a recharge would (principal and
bonus lots out of the merchant's ("issued", asset)), and moves the principal's money from
the merchant's ("import_opening", cny) to ("stored_value_sold", cny): the old system received
that money, Huika now owes it. So imported value is spent at checkout, refunded as principal
and reported like any recharge. It is not a recharge (no S3 new-card cap, no bonus tiers,
no C4 upgrade: the tier comes with the imported card).
"""
from __future__ import annotations

from core.imports import (OPENING_PURPOSE, CardCredit, Column, ImportKind, RowProblem, message)
from core.imports.kinds import card_number, yuan
from core.models import CardStatus

from .common import BONUS, CNY, PLUGIN_ID, PRINCIPAL

USABLE = (CardStatus.ACTIVE.value, CardStatus.FROZEN.value, CardStatus.LOST.value)

COLUMNS = (
    Column("card_number", message("卡号", "Card number"), card_number, required=True,
           example="8800000000000001", hint=message("卡须已导入或已在本系统发出", "the card must exist")),
    Column("principal", message("本金(元)", "Principal (yuan)"), yuan, required=True, example="1000.00",
           hint=message("会员实际充值、可退的余额，元，最多两位小数",
                        "what the member paid in and is refundable, in yuan")),
    Column("bonus", message("赠送金(元)", "Bonus (yuan)"), yuan, example="100.00",
           hint=message("充值赠送的余额，不可退现", "recharge bonus, never paid out in cash")),
)


def check_cards(context, rows, column: str = "card_number") -> list[RowProblem]:
    """Every row's card exists, is bound to a member and still holds balances (not replaced)."""
    cards = context.cards([row.values[column] for row in rows])
    problems = []
    for row in rows:
        card = cards.get(row.values[column])
        if card is None:
            problems.append(RowProblem(row.number, column, message(
                "没有这张卡：请先导入会员和卡", "no such card: import the members and cards first")))
        elif card.member_id is None or card.status not in USABLE:
            problems.append(RowProblem(row.number, column, message(
                f"这张卡的状态是 {card.status}，不能导入余额", f"the card is {card.status}: no balance can go on it")))
        else:
            row.values["_card_id"] = card.id
    return problems


def totals(rows) -> dict:
    return {PRINCIPAL: sum(row.values["principal"] for row in rows),
            BONUS: sum(row.values.get("bonus") or 0 for row in rows)}


def post(context, rows) -> dict:
    credits = []
    for row in rows:
        credits.append(CardCredit(row.values["_card_id"], PRINCIPAL, row.values["principal"]))
        credits.append(CardCredit(row.values["_card_id"], BONUS, row.values.get("bonus") or 0))
    total = totals(rows)
    context.post_opening(credits, [
        ("issued", PRINCIPAL, -total[PRINCIPAL]), ("issued", BONUS, -total[BONUS]),
        ("stored_value_sold", CNY, -total[PRINCIPAL]), (OPENING_PURPOSE, CNY, total[PRINCIPAL])])
    return {"cards": sum(1 for row in rows if row.values["principal"] or row.values.get("bonus"))}


def import_kinds() -> list[ImportKind]:
    return [ImportKind(
        "stored_value", message("储值余额", "Stored value"), COLUMNS,
        natural_key=lambda values: values["card_number"], check=check_cards, post=post, totals=totals,
        plugin=PLUGIN_ID, description=message("每张卡的储值期初余额：本金（可退）和赠送金分开。每张卡只导入一次。",
                            "Opening stored value per card, principal (refundable) and bonus apart. "
                            "Once per card."))]
