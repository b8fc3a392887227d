"""The stored-value reports of the catalogue (issue 12): ``stored_value_liability`` and
``stored_value_detail``.

Both read the ledger only. The liability sums the cards' principal, bonus and pending
accounts, grouped by the card's tier and the store that issued the card (core.reports.
card_assets says why the issuing store), so its totals row is the ledger's figure to the fen.
The detail lists every entry on those card accounts, one row per transaction and card. See
docs/reports.md "Plugin reports".
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select

from core.models import Account, AccountOwner, Card, Store, Tier
from core.reports import Report, count, money, text
from core.reports.card_assets import card_balances, card_movements, movement_columns

from .common import (BONUS, PENDING, PRINCIPAL, TX_CHEQUE_BOUNCE, TX_CHEQUE_CLEAR, TX_PURCHASE_FEE,
                     TX_RECHARGE, TX_REFUND, TX_WITHDRAWAL)

ASSETS = (PRINCIPAL, BONUS, PENDING)
BY = {"type": "string", "enum": ["tier_store", "card"], "default": "tier_store",
      "description": "tier_store: one row per tier and issuing store; card: one row per card",
      "x-label": {"zh-CN": "汇总方式", "en": "Rows per"},
      "x-help": {"zh-CN": "按等级和门店：每个等级、每家发卡门店一行；按会员卡：每张卡一行",
                 "en": "Tier and store: one row per tier and issuing store; card: one row per card"},
      "x-enum-labels": {"tier_store": {"zh-CN": "按等级和门店", "en": "Tier and store"},
                        "card": {"zh-CN": "按会员卡", "en": "Card"}}}


def liability_rows(session, query):
    if query.params.get("by") == "card":
        for card in card_balances(session, query.merchant_id, ASSETS, query.store_id):
            yield {"tier": card["tier"], "tier_name": card["tier_name"], "store_name": card["store_name"],
                   "card_number": card["card_number"], "card_status": card["card_status"],
                   "member_name": card["member_name"], "cards": 1, **_amounts(card)}
        return
    where = [Account.merchant_id == query.merchant_id, Account.owner == AccountOwner.CARD.value,
             Account.asset.in_(ASSETS), Account.balance != 0]
    if query.store_id is not None:
        where.append(Card.issued_store_id == query.store_id)
    sums = session.execute(
        select(Card.tier_id, Card.issued_store_id, Account.asset, func.sum(Account.balance))
        .select_from(Account).join(Card, Card.id == Account.card_id).where(*where)
        .group_by(Card.tier_id, Card.issued_store_id, Account.asset)).all()
    holding = dict(((tier_id, store_id), int(cards)) for tier_id, store_id, cards in session.execute(
        select(Card.tier_id, Card.issued_store_id, func.count(func.distinct(Card.id)))
        .select_from(Account).join(Card, Card.id == Account.card_id).where(*where)
        .group_by(Card.tier_id, Card.issued_store_id)))
    groups: dict[tuple, dict] = defaultdict(lambda: dict.fromkeys(ASSETS, 0))
    for tier_id, store_id, asset, balance in sums:
        groups[(tier_id, store_id)][asset] += int(balance)
    tiers = {row.id: row for row in session.execute(
        select(Tier.id, Tier.key, Tier.name_zh, Tier.rank).where(Tier.merchant_id == query.merchant_id))}
    stores = dict(session.execute(select(Store.id, Store.name)
                                  .where(Store.merchant_id == query.merchant_id)).all())

    def order(key):
        tier_id, store_id = key
        tier = tiers.get(tier_id)
        return (tier is None, tier.rank if tier else 0, tier_id or 0, store_id is None, store_id or 0)

    for tier_id, store_id in sorted(groups, key=order):
        tier = tiers.get(tier_id)
        yield {"tier": tier.key if tier else "", "tier_name": tier.name_zh if tier else "无等级",
               "store_name": stores.get(store_id, ""), "cards": holding.get((tier_id, store_id), 0),
               **_amounts(groups[(tier_id, store_id)])}


def _amounts(balances: dict) -> dict:
    principal, bonus = balances[PRINCIPAL], balances[BONUS]
    return {"principal_fen": principal, "bonus_fen": bonus, "total_fen": principal + bonus,
            "pending_fen": balances[PENDING]}


# -- detail ----------------------------------------------------------------------------------

KIND_NAMES = {"recharge": "充值", "cheque_cleared": "支票到账", "cheque_bounced": "支票退票",
              "payment": "消费", "refund_to_card": "退货退回", "withdrawal": "提现",
              "refund": "退卡退款", "card_fee": "购卡费", "moved": "换卡转移", "reversed": "冲回",
              "other": "其他"}
KINDS = {TX_RECHARGE: "recharge", TX_CHEQUE_CLEAR: "cheque_cleared", TX_CHEQUE_BOUNCE: "cheque_bounced",
         TX_WITHDRAWAL: "withdrawal", TX_REFUND: "refund", TX_PURCHASE_FEE: "card_fee",
         "checkout": "payment", "return": "refund_to_card", "card_replacement": "moved"}


def kind_of(transaction_type: str, reverses_id) -> str:
    if transaction_type in KINDS:
        return KINDS[transaction_type]
    return "reversed" if reverses_id is not None else "other"


def detail_rows(session, query):
    for move in card_movements(session, query.merchant_id, ASSETS, query.start, query.end,
                               query.store_id):
        if not any(move[asset] for asset in ASSETS):
            continue
        kind = kind_of(move["type"], move["reverses_id"])
        yield {"time": move["time"], "day": move["day"], "kind": kind, "kind_name": KIND_NAMES[kind],
               "card_number": move["card_number"], "member_name": move["member_name"],
               "staff_name": move["staff_name"], "store_name": move["store_name"], **_amounts(move),
               "transaction_id": str(move["transaction_id"]), "transaction_type": move["type"]}


AMOUNT_COLUMNS = [money("principal_fen", "本金", "Principal"),
                  money("bonus_fen", "赠送", "Bonus"),
                  money("total_fen", "可用合计", "Spendable"),
                  money("pending_fen", "待到账（支票）", "Pending (cheques)")]

LIABILITY = Report(
    "stored_value_liability", {"zh-CN": "储值负债", "en": "Stored value liability"},
    [text("tier", "等级代码", "Tier key"),
     text("tier_name", "等级", "Tier"),
     text("store_name", "发卡门店", "Issuing store"),
     text("card_number", "卡号", "Card"),
     text("card_status", "卡状态", "Card status"),
     text("member_name", "会员", "Member"),
     count("cards", "卡数", "Cards"),
     *AMOUNT_COLUMNS],
    liability_rows, period=False, by_store=True, parameters={"by": BY})

DETAIL = Report(
    "stored_value_detail", {"zh-CN": "储值明细", "en": "Stored value detail"},
    movement_columns(AMOUNT_COLUMNS),
    detail_rows, period=True, by_store=True)


def reports() -> list[Report]:
    return [LIABILITY, DETAIL]
