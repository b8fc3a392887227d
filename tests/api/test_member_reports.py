"""The member reports (issue 12, X3/L3): member_rfm, member_growth and tier_advice, with data
built through the real API on both databases. Times are set by pinning the clock the API's
write operations read (webui.api.handlers.now_utc), so purchases land on chosen local days.
"""
from __future__ import annotations

import math
import uuid
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from statistics import NormalDist

import pytest
from sqlalchemy import func, select, update

from core import ledger
from core.models import Card, CardSpendDay, Checkout, CheckoutReturn, Entry, Member
from core.reports.member_rfm import cut_points, cut_points_of_counts, quintile_score, score, segment_of, top_members
from core.reports.tier_advice import nearest_rank, nice_fen, propose
from core.reports.tier_distribution import tier_mix
from tests.support.factories import basic_document, make_merchant

END = date(2026, 11, 30)  # the reports' last day; purchases are placed relative to it


def at(day: date, hour: int = 12) -> datetime:
    """Noon (local) of ``day`` as UTC: the merchant is in Asia/Shanghai (UTC+8)."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=timezone.utc) - timedelta(hours=8)


@pytest.fixture
def clock(monkeypatch):
    """clock(day) makes the API's next writes happen at noon of that local day."""
    def set_day(day: date, hour: int = 12) -> None:
        monkeypatch.setattr("webui.api.handlers.now_utc", lambda: at(day, hour))
    return set_day


@pytest.fixture
def shop(hk):
    document = basic_document(tiers=[
        {"key": "regular", "name": {"zh-CN": "普通", "en": "Regular"}, "rank": 0, "discount_permille": 1000},
        {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 1, "discount_permille": 880}])
    return make_merchant(hk, "会员分析店", document)


def key() -> dict:
    return {"Idempotency-Key": uuid.uuid4().hex}


def new_member(client, shop, name: str, tier: str = "regular") -> tuple[int, str]:
    phone = "139" + str(uuid.uuid4().int)[:8]
    member = client.post("/api/v1/members", json={"name": name, "phone": phone}, headers=shop.headers())
    assert member.status_code == 201, member.json
    card = client.post("/api/v1/cards", json={"member_id": member.json["id"], "tier": tier},
                       headers=shop.headers())
    assert card.status_code == 201, card.json
    return member.json["id"], card.json["number"]


def sell(client, shop, card: str, price_fen: int, quantity: int = 1) -> dict:
    """A cash checkout at the regular tier (no discount: due = price × quantity)."""
    lines = [{"sku": "A", "name": "服务", "unit_price_fen": price_fen, "quantity": quantity}]
    response = client.post("/api/v1/checkout", json={
        "card_number": card, "lines": lines,
        "payments": [{"method": "cash", "amount_fen": price_fen * quantity}]},
        headers={**shop.headers("cashier"), **key()})
    assert response.status_code == 201, response.json
    return response.json


def give_back(client, shop, checkout_id: int, quantity: int) -> dict:
    response = client.post(f"/api/v1/checkouts/{checkout_id}/returns",
                           json={"lines": [{"line_no": 1, "quantity": quantity}]},
                           headers={**shop.headers(), **key()})
    assert response.status_code == 201, response.json
    return response.json


def report(client, shop, report_id: str, **params) -> dict:
    params.setdefault("to", END.isoformat())
    params.setdefault("limit", "1000")
    query = "&".join(f"{name}={value}" for name, value in params.items())
    answer = client.get(f"/api/v1/reports/{report_id}?{query}", headers=shop.headers())
    assert answer.status_code == 200, answer.json
    return answer.json


def checkout_id_of(receipt: dict) -> int:
    return receipt["checkout_id"]


# -- member_rfm: exact money ------------------------------------------------------------

def ledger_spend(hk, shop, member_id: int, since: date, until: date) -> int:
    """The member's net spend from the ledger itself: what the cash drawer took in their
    checkouts in the period, less what it paid back on those checkouts' returns."""
    with hk.db.read() as session:
        drawer = ledger.merchant_account(session, shop.id, "cash_drawer", "cny").id
        checkouts = select(Checkout.id, Checkout.transaction_id).where(
            Checkout.member_id == member_id, Checkout.created_at >= at(since, 0),
            Checkout.created_at < at(until + timedelta(days=1), 0)).subquery()
        transactions = select(checkouts.c.transaction_id).union_all(
            select(CheckoutReturn.transaction_id).where(CheckoutReturn.checkout_id.in_(
                select(checkouts.c.id))))
        return int(session.scalar(select(func.coalesce(func.sum(Entry.amount), 0)).where(
            Entry.account_id == drawer, Entry.transaction_id.in_(transactions))))


def test_rfm_money_is_the_ledgers_after_returns_and_a_card_replacement(client, hk, shop, clock):
    start = END - timedelta(days=364)
    amy, amy_card = new_member(client, shop, "艾米")
    bob, bob_card = new_member(client, shop, "鲍勃")
    never, _ = new_member(client, shop, "从未消费")
    lapsed, lapsed_card = new_member(client, shop, "流失")
    clock(start - timedelta(days=10))
    sell(client, shop, lapsed_card, 5000)  # before the period: not in F or M
    sell(client, shop, amy_card, 7000)  # before the period too
    clock(END - timedelta(days=200))
    first = sell(client, shop, amy_card, 333, quantity=3)  # 999 fen
    clock(END - timedelta(days=150))
    replaced = client.post(f"/api/v1/cards/{amy_card}/replace", json={},
                           headers={**shop.headers("manager"), **key()})
    assert replaced.status_code == 201, replaced.json
    new_card = replaced.json["new_card"]["number"]
    clock(END - timedelta(days=100))
    second = sell(client, shop, new_card, 12345)
    clock(END - timedelta(days=5))
    give_back(client, shop, checkout_id_of(first), 1)  # refunds 333 (of 999), counted on the sale
    sell(client, shop, bob_card, 20000)
    give_back(client, shop, checkout_id_of(second), 1)  # the whole second sale
    clock(END + timedelta(days=1))
    sell(client, shop, bob_card, 99999)  # after the period: not counted

    body = report(client, shop, "member_rfm", **{"from": start.isoformat()})
    rows = {row["member_id"]: row for row in body["rows"]}
    assert rows[amy]["monetary_fen"] == 999 - 333 + 12345 - 12345 == ledger_spend(hk, shop, amy, start, END)
    assert rows[amy]["frequency"] == 2  # both of her cards; a returned checkout was still a visit
    assert rows[bob]["monetary_fen"] == 20000 == ledger_spend(hk, shop, bob, start, END)
    assert rows[amy]["last_purchase"] == (END - timedelta(days=100)).isoformat()
    assert rows[amy]["recency_days"] == 100 and rows[bob]["recency_days"] == 5
    assert rows[amy]["purchase_cycle_days"] == 100 and rows[bob]["purchase_cycle_days"] is None
    assert rows[amy]["average_ticket_fen"] == 666 // 2
    assert body["totals"]["monetary_fen"] == 666 + 20000 and body["total_rows"] == 2
    idle = report(client, shop, "member_rfm", segment="no_purchase", **{"from": start.isoformat()})
    rows = {row["member_id"]: row for row in idle["rows"]}
    assert set(rows) == {never, lapsed}
    assert rows[never]["last_purchase"] is None and rows[never]["frequency"] == 0
    assert rows[lapsed]["last_purchase"] == (start - timedelta(days=10)).isoformat()
    assert rows[lapsed]["recency_days"] == 374 and "r_score" not in rows[lapsed]
    # C4's own running totals (card_spend_days over both of Amy's cards) say the same.
    with hk.db.read() as session:
        cards = select(Card.id).where(Card.member_id == amy)
        assert session.scalar(select(func.sum(CardSpendDay.net_fen)).where(
            CardSpendDay.card_id.in_(cards), CardSpendDay.day >= start)) == 666
        assert ledger.verify(session, shop.id) == []
        assert [row["member_id"] for row in top_members(session, shop.id, start, END, limit=5)] == [bob, amy]


def test_tier_distribution_keeps_a_replaced_cards_spend(client, hk, shop, clock):
    _, card = new_member(client, shop, "补卡会员")
    clock(END - timedelta(days=20))
    sell(client, shop, card, 5000)
    for _ in range(2):  # replaced twice: the spend follows the chain to the live card
        answer = client.post(f"/api/v1/cards/{card}/replace", json={},
                             headers={**shop.headers("manager"), **key()})
        assert answer.status_code == 201, answer.json
        card = answer.json["new_card"]["number"]
    clock(END - timedelta(days=10))
    sell(client, shop, card, 700)
    rows = {row["tier"]: row for row in report(client, shop, "tier_distribution")["rows"]}
    assert rows["regular"]["spend_fen"] == 5700 and rows["regular"]["cards"] == 1
    assert rows["regular"]["members"] == 1
    with hk.db.read() as session:
        mix = {row["tier"]: row for row in tier_mix(session, shop.id, END - timedelta(days=29), END)}
    assert mix["regular"]["spend_fen"] == 5700 and mix["gold"]["members"] == 0


# -- member_rfm: scores and segments ----------------------------------------------------

# (name, days before END of each purchase (last = most recent), price of each): five buyers,
# so each quintile holds one and a member's score is their rank (1 = lowest) on each figure.
BUYERS = [
    ("一号", [50], 1000),                              # R1 F1 M1 (1000)
    ("二号", [60, 10], 2000),                          # R5 F2 M4 (4000)
    ("三号", [90, 80, 70, 60, 40], 1000),              # R2 F5 M5 (5000)
    ("四号", [80, 70, 60, 20], 500),                   # R4 F4 M2 (2000)
    ("五号", [70, 50, 30], 1000),                      # R3 F3 M3 (3000): 3 counts as high
]
EXPECTED = {"一号": ("111", "general_winback", "一般挽留客户"),
            "二号": ("524", "important_development", "重要发展客户"),
            "三号": ("255", "important_retention", "重要保持客户"),
            "四号": ("442", "general_value", "一般价值客户"),
            "五号": ("333", "important_value", "重要价值客户")}


@pytest.fixture
def five_buyers(client, shop, clock):
    ids = {}
    for name, days, price in BUYERS:
        member_id, card = new_member(client, shop, name)
        ids[member_id] = name
        for before in days:
            clock(END - timedelta(days=before))
            sell(client, shop, card, price)
    new_member(client, shop, "未消费")
    return ids


def test_rfm_scores_are_quintile_ranks_and_name_the_segments(client, shop, five_buyers):
    body = report(client, shop, "member_rfm")
    scored = {five_buyers[row["member_id"]]: row for row in body["rows"] if row["member_id"] in five_buyers}
    assert {name: (row["rfm"], row["segment"], row["segment_name"]) for name, row in scored.items()} == EXPECTED
    assert scored["三号"]["purchase_cycle_days"] == (90 - 40) // 4
    assert [row["monetary_fen"] for row in body["rows"]] == [1000, 4000, 5000, 2000, 3000]  # member order
    only = report(client, shop, "member_rfm", segment="important_retention")
    assert [five_buyers[row["member_id"]] for row in only["rows"]] == ["三号"]
    assert only["totals"]["monetary_fen"] == 5000
    idle = report(client, shop, "member_rfm", segment="no_purchase")
    assert [(row["name"], row["segment_name_en"]) for row in idle["rows"]] == [("未消费", "No purchase in period")]


def test_rfm_of_one_store_counts_only_its_checkouts(client, shop, five_buyers):
    store = shop.store_ids[0]
    body = report(client, shop, "member_rfm", store=store)
    assert body["totals"]["monetary_fen"] == 15000


def test_quintile_scores_share_ties_and_the_segment_rule_is_score_three():
    # 10 buyers; ranks with ties: three share rank 1 -> all score 1; rank 4 -> score 2 ...
    values = [7, 7, 7, 8, 9, 10, 11, 12, 13, 14]
    assert [quintile_score(rank, 10) for rank in (1, 1, 1, 4, 5, 6, 7, 8, 9, 10)] == \
        [1, 1, 1, 2, 3, 3, 4, 4, 5, 5] == [score(value, cut_points(values)) for value in values]
    assert quintile_score(1, 1) == 1 == score(5, cut_points([5]))  # a lone buyer: lowest quintile
    ties = [1] * 6 + [2] * 3 + [5]  # most bought once: all score 1; twice is already a 4
    assert [score(value, cut_points(ties)) for value in (1, 2, 5)] == [1, 4, 5]
    for values in (ties, values, [3], [1, 2], list(range(7)) * 3 + [9] * 11):
        assert cut_points_of_counts(Counter(values)) == cut_points(sorted(values))
    assert segment_of(3, 3, 3)[0] == "important_value" and segment_of(2, 2, 2)[0] == "general_winback"
    assert segment_of(5, 2, 2)[1] == "一般发展客户" and segment_of(2, 5, 2)[1] == "一般保持客户"
    assert segment_of(2, 2, 5)[1] == "重要挽留客户"


# -- empty merchant, bad parameters -------------------------------------------------------

def test_an_empty_merchant_gets_empty_reports_not_errors(client, hk, shop):
    assert report(client, shop, "member_rfm")["rows"] == []
    growth = report(client, shop, "member_growth", **{"from": "2026-01-15"})
    assert [row["month"] for row in growth["rows"]] == [f"2026-{m:02d}" for m in range(1, 12)]
    assert all(row["total_members"] == row["dormant_members"] == 0 for row in growth["rows"])
    advice = report(client, shop, "tier_advice")
    assert advice["rows"][0]["kind_name"] == "建议" and "无法" in advice["rows"][0]["reason"]
    assert [row["tier_name"] for row in advice["rows"][1:]] == ["普通", "金卡"]
    with hk.db.read() as session:
        assert top_members(session, shop.id, END - timedelta(days=30), END) == []


@pytest.mark.parametrize("report_id, query, pointer", [
    ("member_rfm", "segment=vip", "/segment"), ("tier_advice", "tiers=5", "/tiers"),
    ("tier_advice", "basis=points", "/basis"), ("tier_advice", "asset=DROP%20TABLE", "/asset"),
    ("member_growth", "dormant_days=1", "/dormant_days"),
    ("member_growth", "dormant_days=x", "/dormant_days"), ("member_growth", "store=1", "/store"),
])
def test_bad_parameters_are_named(client, shop, report_id, query, pointer):
    answer = client.get(f"/api/v1/reports/{report_id}?{query}", headers=shop.headers())
    assert answer.status_code == 422, answer.json
    assert pointer in [d["pointer"] for d in answer.json["error"]["details"]]


def test_member_reports_export_to_excel(client, shop, five_buyers):
    for report_id in ("member_rfm", "member_growth", "tier_advice"):
        answer = client.get(f"/api/v1/reports/{report_id}?format=xlsx", headers=shop.headers())
        assert answer.status_code == 200 and answer.data[:2] == b"PK"


# -- member_growth ----------------------------------------------------------------------

def test_growth_counts_new_active_dormant_and_total_per_month(client, hk, shop, clock):
    joined = {}
    for name, month in (("老会员", date(2026, 6, 10)), ("七月", date(2026, 7, 5)),
                        ("九月", date(2026, 9, 20)), ("十一月", date(2026, 11, 2))):
        member_id, card = new_member(client, shop, name)
        joined[name] = (member_id, card)
        with hk.db.write() as session:  # the join date is the service's "now": set it afterwards
            session.execute(update(Member).where(Member.id == member_id).values(created_at=at(month, 10)))
    clock(date(2026, 7, 20))
    sell(client, shop, joined["老会员"][1], 1000)
    sell(client, shop, joined["七月"][1], 1000)
    clock(date(2026, 9, 25))
    sell(client, shop, joined["七月"][1], 1000)
    body = report(client, shop, "member_growth", **{"from": "2026-07-01", "dormant_days": "60"})
    months = {row["month"]: row for row in body["rows"]}
    assert list(months) == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]
    assert [months[m]["new_members"] for m in months] == [1, 0, 1, 0, 1]
    assert [months[m]["total_members"] for m in months] == [2, 2, 3, 3, 4]
    assert [months[m]["active_members"] for m in months] == [2, 0, 1, 0, 0]
    # Dormant at a month's end: joined 60+ days before it and bought nothing in those 60 days.
    # July: nobody joined 60 days before.  August: 老会员 bought on Jul 20, within 60 days.
    # September: 老会员 (Jul 20 is 72 days back); 七月 bought Sep 25.  October: 老会员 again;
    # 九月 joined 41 days before.  November: 老会员, 七月 (Sep 25 is 66 days back) and 九月
    # (joined 71 days before, never bought); 十一月 is new.
    assert [months[m]["dormant_members"] for m in months] == [0, 0, 1, 1, 3]
    assert months["2026-11"]["dormant_permille"] == 750
    assert body["totals"]["new_members"] == 3


# -- tier_advice: the beauty salon of seed 003 --------------------------------------------

SALON_TIERS = [(key, zh, rank, permille, amount) for rank, (key, zh, permille, amount) in enumerate([
    ("base", "普通", 1000, None), ("t1000", "1000元卡", 950, 100000), ("t2000", "2000元卡", 900, 200000),
    ("t4000", "4000元卡", 850, 400000), ("t8000", "8000元卡", 800, 800000),
    ("t10000", "10000元卡", 750, 1000000), ("t12000", "12000元卡", 700, 1200000)])]
SALON_MEMBERS = 60


def salon_spend(index: int, members: int = SALON_MEMBERS) -> int:
    """The index-th member's yearly spend in fen: log-normal, median ¥4000 ("消费金额最多的是
    4000左右"), spread σ = 0.5, taken at evenly spaced probabilities (no randomness)."""
    z = NormalDist().inv_cdf((index + 0.5) / members)
    return round(400000 * math.exp(0.5 * z))


@pytest.fixture
def salon(hk, client, clock):
    tiers = [{"key": key, "name": {"zh-CN": zh, "en": key}, "rank": rank, "discount_permille": permille,
              **({"upgrade": [{"kind": "stored_amount", "amount_fen": amount}]} if amount else {})}
             for key, zh, rank, permille, amount in SALON_TIERS]
    shop = make_merchant(hk, "美容院", basic_document(tiers=tiers))
    clock(END - timedelta(days=30))
    for index in range(SALON_MEMBERS):
        _, card = new_member(client, shop, f"顾客{index}", tier="base")
        sell(client, shop, card, salon_spend(index))
    return shop


def test_tier_advice_reproduces_the_salons_2000_5000_8000(client, salon):
    body = report(client, salon, "tier_advice")
    proposed = [row for row in body["rows"] if row["kind_name"] == "建议"]
    assert [row["threshold_fen"] for row in proposed] == [200000, 500000, 800000]
    main = proposed[1]
    assert main["tier_name"] == "主力级" and main["quantile_permille"] == 500
    assert "¥3,958" in main["reason"] and "取整为¥5,000" in main["reason"]
    assert "rounded to ¥5,000" in main["reason_en"]
    current = [row for row in body["rows"] if row["kind_name"] == "现行"]
    assert [row["threshold_fen"] for row in current[1:]] == [100000, 200000, 400000, 800000, 1000000, 1200000]
    # 5 of 60 members reach ¥8000, 2 reach ¥10000 and 1 reaches ¥12000: tiers for almost no one.
    assert [row["members_reaching"] for row in current[-3:]] == [5, 2, 1]
    four = report(client, salon, "tier_advice", tiers="4")
    assert [row["threshold_fen"] for row in four["rows"] if row["kind_name"] == "建议"] == \
        [200000, 400000, 600000, 900000]


def test_nice_amounts_and_quantiles():
    assert [nice_fen(fen) for fen in (201900, 475000, 792100, 174000, 1250000, 96000, 4999, 50)] == \
        [200000, 500000, 800000, 150000, 1500000, 100000, 5000, 100]
    assert nearest_rank([10, 20, 30, 40], 500) == 20 and nearest_rank([10, 20, 30, 40], 50) == 10
    # Thresholds that round together are pushed apart to the next nice amount.
    assert [p["threshold_fen"] for p in propose([100000] * 10, 3)] == [150000, 200000, 300000]


def test_tier_advice_on_stored_amounts_reads_the_ledger(hk, client, clock):
    from tests.plugins.stored_value.helpers import new_card, recharge, shop_with

    shop = shop_with(hk)
    clock(END - timedelta(days=20))
    cards = [new_card(client, shop) for _ in range(3)]
    for card, amount in zip(cards, (100000, 300000, 500000)):
        recharge(client, shop, card, amount)
    recharge(client, shop, cards[0], 100000)  # the same member again: 2000 in all
    replaced = client.post(f"/api/v1/cards/{cards[2]}/replace", json={},
                           headers={**shop.headers("manager"), **key()})
    assert replaced.status_code == 201  # moving 5000 to the new card is not new storage
    body = report(client, shop, "tier_advice", basis="stored")
    proposed = [row for row in body["rows"] if row["kind_name"] == "建议"]
    assert proposed[0]["members"] == 3
    # Nearest-rank quantiles of (2000, 3000, 5000): P5 = 2000, P50 = 3000, P85 = 5000.
    assert [row["quantile_fen"] for row in proposed] == [200000, 300000, 500000]
    # +20 %: 2400 rounds to 2000, not above what P5 already stored, so the next nice amount.
    assert [row["threshold_fen"] for row in proposed] == [300000, 400000, 600000]
    gold = next(row for row in body["rows"] if row["tier_name"] == "金卡")
    assert gold["threshold_fen"] == 200000 and gold["members_reaching"] == 3


@pytest.mark.parametrize("report_id", ["member_rfm", "member_growth", "tier_advice", "tier_distribution"])
@pytest.mark.parametrize("period", ["from=0001-01-01&to=0001-12-31", "from=9999-01-01&to=9999-12-31"])
def test_the_ends_of_the_calendar_are_answered_not_500(client, shop, five_buyers, report_id, period):
    answer = client.get(f"/api/v1/reports/{report_id}?{period}&segment=no_purchase"
                        if report_id == "member_rfm" else f"/api/v1/reports/{report_id}?{period}",
                        headers=shop.headers())
    # Every report refuses days outside 1900–2999 (core.reports.parameters): no merchant has
    # figures there, and a local day there has no UTC instant in Python's range.
    assert answer.status_code == 422, answer.json
    assert {d["pointer"] for d in answer.json["error"]["details"]} == {"/from", "/to"}
