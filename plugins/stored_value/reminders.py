"""Reminder kind ``low_balance`` (issue 14): cards whose stored value (principal + bonus) is
above zero and below ``threshold_fen``, to suggest a recharge.

A card under the threshold has its principal or its bonus under it, so the candidates come
from a range on the core's ``ix_accounts_card_balance`` (merchant, asset, balance); only their
totals are then read. The occasion names the balance: a card is reminded once per balance it
drops to, again only after it changed.
"""
from __future__ import annotations

from sqlalchemy import func, select

from core.models import Account, AccountOwner
from core.reminders import Reminder, ReminderKind, settings_object
from core.reminders.cards import CARD_MEMBER_COLUMNS, with_member

from .common import BONUS, PRINCIPAL

KIND = "low_balance"
ASSETS = (PRINCIPAL, BONUS)


def scan_low_balance(session, config, merchant_id, on, settings, store_id=None):
    threshold = settings["threshold_fen"]
    card_accounts = (Account.merchant_id == merchant_id, Account.owner == AccountOwner.CARD.value,
                     Account.asset.in_(ASSETS))
    # Candidates from the covering index; their totals grouped on the accounts alone; only the
    # low ones joined to their card and member.
    candidates = select(Account.card_id).where(*card_accounts, Account.balance > 0, Account.balance < threshold)
    total = func.sum(Account.balance)
    low = (select(Account.card_id.label("card_id"), total.label("balance_fen"))
           .where(*card_accounts, Account.card_id.in_(candidates))
           .group_by(Account.card_id).having(total > 0, total < threshold).subquery())
    query = with_member(select(*CARD_MEMBER_COLUMNS, low.c.balance_fen).select_from(low), low.c.card_id,
                        store_id).order_by(CARD_MEMBER_COLUMNS[0])
    # Core rows, not the ORM's: tens of thousands of low cards at a million members (bench).
    for card_id, number, member_id, name, phone, store, balance in session.connection().execute(query):
        balance = int(balance)
        yield Reminder(member_id=member_id, kind=KIND, card_id=card_id, store_id=store,
                       occasion=f"{KIND}:card:{card_id}:{balance}",
                       facts={"name": name, "phone": phone, "card_number": number,  # card_facts'
                              "balance_fen": balance, "threshold_fen": threshold})


def low_balance_kind() -> ReminderKind:
    return ReminderKind(
        id=KIND, title={"zh-CN": "储值余额不足", "en": "Low stored value"},
        description={"zh-CN": "储值卡余额（本金加赠送）低于设定金额时提醒会员充值。",
                     "en": "A card's stored value (principal plus bonus) falls below this amount: suggest a recharge."},
        settings_schema=settings_object({
            "threshold_fen": {"type": "integer", "minimum": 1, "maximum": 100000000, "default": 5000,
                              "x-unit": "fen",
                              "x-label": {"zh-CN": "余额低于多少元提醒", "en": "Remind below (yuan)"}},
        }),
        scan=scan_low_balance)
