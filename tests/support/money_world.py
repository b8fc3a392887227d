"""A small shop's two days of money, built through the real API (issue 12 money reports).

Two stores (a cashier in each), the stored_value plugin, members and walk-ins; cash, WeChat,
stored value and a split payment; a partial return the next day; a card replacement; cash
and Alipay recharges; a purchase card's fee. ``ledger_entries`` reads the ledger itself, so
tests compare every report figure with it.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from sqlalchemy import select

from core import tenancy
from core.clock import local_date
from core.models import Account, Entry, LedgerTransaction, Staff
from tests.support.clock import freeze
from tests.support.factories import _password_hash, basic_document, make_merchant

PIN = "482916"


@dataclass
class MoneyWorld:
    shop: object
    store2_id: int
    tokens: dict = field(default_factory=dict)  # extra role name -> token
    staff_ids: dict = field(default_factory=dict)
    transaction_ids: list = field(default_factory=list)  # in the order they were made

    def headers(self, who: str = "owner") -> dict:
        if who in self.tokens:
            return {"Authorization": f"Bearer {self.tokens[who]}"}
        return self.shop.headers(who)

    def staff_id(self, who: str) -> int:
        return self.staff_ids.get(who) or self.shop.staff_ids[who]


def document() -> dict:
    return basic_document(
        plugins=[{"id": "stored_value", "settings": {}}],
        tiers=[{"key": "regular", "name": {"zh-CN": "普卡", "en": "Regular"}, "rank": 0,
                "discount_permille": 1000},
               {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1,
                "discount_permille": 900}])


def build(client, hk, monkeypatch) -> MoneyWorld:
    shop = make_merchant(hk, f"流水店-{uuid.uuid4().hex[:6]}", document())
    with hk.db.write() as session:
        store2 = tenancy.create_store(session, shop.id, code="east", name="东店")
        staff = Staff(merchant_id=shop.id, username="cashier2", display_name="二店收银", role="cashier",
                      password_hash=_password_hash(), store_id=store2.id)
        session.add(staff)
        session.flush()
        world = MoneyWorld(shop=shop, store2_id=store2.id, tokens={"cashier2": tenancy.issue_token(session, staff)},
                           staff_ids={"cashier2": staff.id})
    clock = freeze(monkeypatch, "2026-03-01 10:00")

    def call(path, body, who="cashier", expect=201):
        answer = client.post(f"/api/v1{path}", json=body,
                             headers={**world.headers(who), "Idempotency-Key": uuid.uuid4().hex})
        assert answer.status_code == expect, (path, answer.json)
        if isinstance(answer.json, dict) and answer.json.get("transaction_id"):
            world.transaction_ids.append(answer.json["transaction_id"])
        return answer.json

    def card(phone, tier, kind="standard"):
        member = call("/members", {"name": "会员" + phone[-2:], "phone": phone}, "owner")
        return call("/cards", {"member_id": member["id"], "tier": tier, "kind": kind, "pin": PIN},
                    "owner")["number"]

    def sell(lines, payments, who="cashier", card_number=None):
        body = {"lines": lines, "payments": payments}
        if card_number:
            body["card_number"] = card_number
        made = call("/checkout", body, who)
        return made

    gold, regular = card("13800000011", "gold"), card("13800000012", "regular")
    purchase = card("13800000013", "regular", kind="purchase")
    # Day 1, store 1.
    call(f"/cards/{gold}/recharge", {"amount_fen": 100000, "payment": {"method": "cash"}}, "cashier")
    sell([{"sku": "A", "unit_price_fen": 10000}], [{"method": "cash", "amount_fen": 10000}])  # walk-in
    # Gold 9折: 3 x 33.33 = 9999 list, 8999 due: 5000 from stored value, the rest cash.
    split = sell([{"sku": "B", "unit_price_fen": 3333, "quantity": 3}],
                 [{"method": "stored_value", "amount_fen": 5000, "pin": PIN},
                  {"method": "cash", "amount_fen": 3999}], card_number=gold)
    call(f"/cards/{purchase}/purchase-fee", {"payment": {"method": "cash"}}, "manager")
    # Day 1, store 2: a WeChat walk-in and a member's cash sale late in the evening.
    sell([{"sku": "C", "unit_price_fen": 20000}],
         [{"method": "external", "channel": "wechat", "amount_fen": 20000}], "cashier2")
    clock.at("2026-03-01 23:30")
    sell([{"sku": "D", "unit_price_fen": 12345}], [{"method": "cash", "amount_fen": 12345}], "cashier2",
         card_number=regular)
    # Day 2: one of the three units of the split sale comes back (at store 1, by the manager),
    # the gold card is replaced and pays from stored value, an Alipay recharge at store 2.
    clock.at("2026-03-02 09:00")
    call(f"/checkouts/{split['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]}, "manager")
    new_gold = call(f"/cards/{gold}/replace", {"new_number": "GOLD0002"}, "manager")["new_card"]["number"]
    sell([{"sku": "E", "unit_price_fen": 2000}], [{"method": "stored_value", "amount_fen": 1800, "pin": PIN}],
         card_number=new_gold)
    call(f"/cards/{regular}/recharge", {"amount_fen": 60000, "payment": {"method": "external", "channel": "alipay"}},
         "cashier2")
    sell([{"sku": "F", "unit_price_fen": 500}], [{"method": "cash", "amount_fen": 500}])
    return world


def ledger_entries(hk, merchant_id: int) -> list[dict]:
    """Every entry on the merchant's own accounts, with its transaction's local day."""
    with hk.db.read() as session:
        rows = session.execute(
            select(LedgerTransaction.created_at, LedgerTransaction.type, LedgerTransaction.store_id,
                   LedgerTransaction.staff_id, Account.purpose, Account.asset, Entry.amount)
            .join(Entry, Entry.transaction_id == LedgerTransaction.id)
            .join(Account, Account.id == Entry.account_id)
            .where(LedgerTransaction.merchant_id == merchant_id, Account.owner == "merchant")).all()
    return [{"day": local_date(at).isoformat(), "type": kind, "store_id": store, "staff_id": staff,
             "purpose": purpose, "asset": asset, "amount": amount}
            for at, kind, store, staff, purpose, asset, amount in rows]


def ledger_sum(entries: list[dict], **match) -> int:
    """The sum of the entries whose fields equal ``match`` (a callable value tests the field)."""
    def fits(entry):
        return all(value(entry[key]) if callable(value) else entry[key] == value
                   for key, value in match.items())
    return sum(entry["amount"] for entry in entries if fits(entry))
