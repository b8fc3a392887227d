"""A week of trading built through the real API, for the dashboard's tests (issue 12, G6).

Two stores; stored value and points enabled (points earned expire 20 days later, so they
are due for a reminder within 30 days; the low-balance reminder is at 2000 yuan). ``day`` is
the merchant-local date the figures call "today"; members and cards are made first, on the
real clock, then the sales on a frozen one:

  today-7 10:00  store 1  card A buys 100.00
  today-1 12:00  store 1  card B buys 30.00 + 20.00; a walk-in buys 20.00
  today   07:30  store 1  card A buys 300.00 (23:30 UTC the day before: counts today)
  today   09:00  store 1  card B recharges 1000.00 (+100.00 bonus)
  today   10:00  store 1  the 20.00 line of B's purchase yesterday is returned (refund 20.00)
  today   23:30  store 2  card C (registered there) buys 66.66: late, still the local day

Gold is 8.8折, so B's purchase yesterday is due 26.40 + 17.60 and the return refunds 17.60.
"""
from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

from core import tenancy
from core.clock import local_date, now_utc
from core.models import Staff
from tests.support.clock import freeze
from tests.support.factories import _password_hash, basic_document, make_merchant

_phones = itertools.count(13700000001)

TIERS = [
    {"key": "regular", "name": {"zh-CN": "普卡", "en": "Regular"}, "rank": 0, "discount_permille": 1000},
    {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1, "discount_permille": 880},
]


def document() -> dict:
    return basic_document(
        plugins=[{"id": "stored_value", "settings": {"low_balance_reminder_fen": 200000}},
                 {"id": "points", "settings": {"expiry_mode": "days_after_earning", "expiry_days": 20,
                                                "expiry_notice_days": 7}}],
        tiers=TIERS)


@dataclass
class Week:
    shop: object
    day: date
    cards: dict[str, str] = field(default_factory=dict)  # A, B, C -> card number
    second_store: int = 0


def add_store_staff(hk, shop, code: str, name: str) -> int:
    """A second store with its own manager and cashier (tokens "manager2", "cashier2")."""
    with hk.db.write() as session:
        store = tenancy.create_store(session, shop.id, code=code, name=name)
        for role in ("manager", "cashier"):
            staff = Staff(merchant_id=shop.id, username=role + "2", display_name=role + "2", role=role,
                          password_hash=_password_hash(), store_id=store.id)
            session.add(staff)
            session.flush()
            shop.tokens[role + "2"] = tenancy.issue_token(session, staff)
        shop.store_ids.append(store.id)
        return store.id


def _card(client, shop, name: str, tier: str, role: str = "owner") -> str:
    member = client.post("/api/v1/members", json={"name": name, "phone": str(next(_phones))},
                         headers=shop.headers(role))
    assert member.status_code == 201, member.json
    card = client.post("/api/v1/cards", json={"member_id": member.json["id"], "tier": tier},
                       headers=shop.headers(role))
    assert card.status_code == 201, card.json
    return card.json["number"]


def buy(client, shop, card: str | None, prices: list[int], role: str = "cashier") -> dict:
    lines = [{"sku": f"SKU{index}", "name": "商品", "unit_price_fen": price} for index, price in enumerate(prices)]
    body = {"lines": lines, **({"card_number": card} if card else {})}
    quote = client.post("/api/v1/checkout/quote", json=body, headers=shop.headers(role))
    assert quote.status_code == 200, quote.json
    body["payments"] = [{"method": "cash", "amount_fen": quote.json["due_fen"]}]
    answer = client.post("/api/v1/checkout", json=body,
                         headers={**shop.headers(role), "Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code == 201, answer.json
    return answer.json


def build_week(client, hk, monkeypatch, name: str = "经营概览测试店") -> Week:
    shop = make_merchant(hk, name, document())
    second = add_store_staff(hk, shop, "s2", "二号店")
    cards = {"A": _card(client, shop, "张三", "regular"), "B": _card(client, shop, "李四", "gold"),
             "C": _card(client, shop, "王五", "regular", role="manager2")}
    day = local_date(now_utc())  # the members' day: the figures' "today"
    clock = freeze(monkeypatch, f"{day - timedelta(days=7)} 10:00")
    buy(client, shop, cards["A"], [10000])
    clock.at(f"{day - timedelta(days=1)} 12:00")
    yesterday = buy(client, shop, cards["B"], [3000, 2000])  # gold: 8.8折 -> 26.40 + 17.60
    buy(client, shop, None, [2000])
    clock.at(f"{day} 07:30")
    buy(client, shop, cards["A"], [30000])
    clock.at(f"{day} 09:00")
    recharge = client.post(f"/api/v1/cards/{cards['B']}/recharge",
                           json={"amount_fen": 100000, "payment": {"method": "cash"}},
                           headers={**shop.headers(), "Idempotency-Key": uuid.uuid4().hex})
    assert recharge.status_code == 201, recharge.json
    clock.at(f"{day} 10:00")
    returned = client.post(f"/api/v1/checkouts/{yesterday['checkout_id']}/returns",
                           json={"lines": [{"line_no": 2, "quantity": 1}]},
                           headers={**shop.headers(), "Idempotency-Key": uuid.uuid4().hex})
    assert returned.status_code == 201, returned.json
    clock.at(f"{day} 23:30")
    buy(client, shop, cards["C"], [6666], role="cashier2")
    monkeypatch.undo()
    return Week(shop=shop, day=day, cards=cards, second_store=second)
