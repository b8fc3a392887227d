"""The checkout pipeline over the API: C2 pricing, C7 identification, idempotency, C4, C5."""
from __future__ import annotations

import uuid

import pytest

from core import ledger
from tests.support.factories import basic_document, make_merchant


def tiers(*pairs):
    return [{"key": key, "name": {"zh-CN": key, "en": key}, "rank": rank, "discount_permille": permille,
             **({"upgrade": upgrade} if upgrade else {})}
            for rank, (key, permille, upgrade) in enumerate(pairs)]


@pytest.fixture
def shop(hk):
    document = basic_document(tiers=tiers(
        ("regular", 1000, None),
        ("gold", 880, [{"kind": "single_purchase", "amount_fen": 100000}]),
        ("diamond", 800, [{"kind": "cumulative_spend", "amount_fen": 300000, "period_days": 30}]),
    ))
    return make_merchant(hk, "收银测试店", document)


def key():
    return {"Idempotency-Key": uuid.uuid4().hex}


def member_card(client, shop, tier="regular", phone="13800138000", **card):
    member = client.post("/api/v1/members", json={"name": "王芳", "phone": phone},
                         headers=shop.headers()).json
    response = client.post("/api/v1/cards", json={"member_id": member["id"], "tier": tier, **card},
                           headers=shop.headers())
    assert response.status_code == 201, response.json
    return response.json["number"]


def pay(client, shop, lines, card=None, payments=None, headers=None):
    quote = client.post("/api/v1/checkout/quote", json={"card_number": card, "lines": lines} if card
                        else {"lines": lines}, headers=shop.headers("cashier"))
    assert quote.status_code == 200, quote.json
    body = {"lines": lines, "payments": payments or [{"method": "cash", "amount_fen": quote.json["due_fen"]}]}
    if card:
        body["card_number"] = card
    return client.post("/api/v1/checkout", json=body,
                       headers={**shop.headers("cashier"), **(headers or key())})


def test_c2_promotion_and_tier_discount_multiply_special_price_excluded(client, shop):
    card = member_card(client, shop, tier="gold")
    lines = [
        {"sku": "COAT", "name": "大衣", "unit_price_fen": 100000, "promotion_permille": 800},  # 8折 x 8.8折
        {"sku": "SALE", "name": "特价袜子", "unit_price_fen": 1999, "quantity": 3, "special_price": True,
         "promotion_permille": 500},
        {"sku": "TEA", "name": "茶", "unit_price_fen": 1015},  # 8.8折 of 10.15 = 8.932 -> 8.93
    ]
    quote = client.post("/api/v1/checkout/quote", json={"card_number": card, "lines": lines},
                        headers=shop.headers()).json
    paid = [line["paid_fen"] for line in quote["lines"]]
    assert paid == [70400, 5997, 893]  # 70.4 % / list price / half-up to the fen, per line
    assert quote["due_fen"] == sum(paid) and quote["list_total_fen"] == 100000 + 5997 + 1015


def test_c2_rounding_is_half_up_once_per_line(client, shop):
    card = member_card(client, shop, tier="gold")
    # 125 fen x 880 ‰ = 110.0; 3 fen x 880 ‰ = 2.64 -> 3; 5 fen -> 4.4 -> 4; 9 x 880 = 7.92 -> 8
    lines = [{"sku": f"L{p}", "unit_price_fen": p} for p in (125, 3, 5, 9)]
    quote = client.post("/api/v1/checkout/quote", json={"card_number": card, "lines": lines},
                        headers=shop.headers()).json
    assert [line["paid_fen"] for line in quote["lines"]] == [110, 3, 4, 8]
    half = client.post("/api/v1/checkout/quote", json={"card_number": card, "lines": [
        {"sku": "H", "unit_price_fen": 1, "promotion_permille": 500}]}, headers=shop.headers()).json
    assert half["lines"][0]["paid_fen"] == 0  # 0.44 fen rounds down; 0.5 would round up
    exactly_half = client.post("/api/v1/checkout/quote", json={"lines": [
        {"sku": "H", "unit_price_fen": 1, "promotion_permille": 500}]}, headers=shop.headers()).json
    assert exactly_half["lines"][0]["paid_fen"] == 1  # 0.5 fen -> 1


def test_c7_walk_in_gets_no_member_price(client, shop):
    response = pay(client, shop, [{"sku": "COAT", "unit_price_fen": 100000}])
    assert response.status_code == 201, response.json
    assert response.json["due_fen"] == 100000 and response.json["card_number"] is None
    assert response.json["earned"] == []


def test_checkout_posts_a_balanced_ledger_and_a_receipt(client, hk, shop):
    card = member_card(client, shop, tier="gold")
    response = pay(client, shop, [{"sku": "A", "unit_price_fen": 10000, "quantity": 2}], card=card,
                   payments=None)
    assert response.status_code == 201
    receipt = response.json
    assert receipt["due_fen"] == 17600 and receipt["payments"] == [{"method": "cash", "amount_fen": 17600}]
    again = client.get(f"/api/v1/checkouts/{receipt['checkout_id']}", headers=shop.headers()).json
    assert again["due_fen"] == 17600 and again["returns"] == []
    with hk.db.read() as session:
        assert ledger.verify(session, shop.id) == []


def test_payments_must_add_up_exactly(client, shop):
    lines = [{"sku": "A", "unit_price_fen": 1000}]
    for amount in (999, 1001):
        response = client.post("/api/v1/checkout", json={"lines": lines, "payments": [
            {"method": "cash", "amount_fen": amount}]}, headers={**shop.headers(), **key()})
        assert response.status_code == 422 and response.json["error"]["code"] == "payment_mismatch"
    split = client.post("/api/v1/checkout", json={"lines": lines, "payments": [
        {"method": "cash", "amount_fen": 400},
        {"method": "external", "channel": "wechat", "amount_fen": 600, "reference": "wx123"}]},
        headers={**shop.headers(), **key()})
    assert split.status_code == 201, split.json
    assert split.json["payments"][1]["channel"] == "wechat"


@pytest.mark.parametrize("body, pointer", [
    ({"lines": []}, "/lines"),
    ({"lines": [{"sku": "A", "unit_price_fen": 10.5}]}, "/lines/0/unit_price_fen"),
    ({"lines": [{"sku": "A", "unit_price_fen": -1}]}, "/lines/0/unit_price_fen"),
    ({"lines": [{"sku": "A", "unit_price_fen": 100, "quantity": 0}]}, "/lines/0/quantity"),
    ({"lines": [{"sku": "A B", "unit_price_fen": 100}]}, "/lines/0/sku"),
    ({"lines": [{"sku": "A", "unit_price_fen": 100, "promotion_permille": 1200}]}, "/lines/0/promotion_permille"),
    ({"lines": [{"sku": "A", "unit_price_fen": 100}], "payments": [{"method": "bitcoin", "amount_fen": 100}]},
     "/payments/0/method"),
    ({"lines": [{"sku": "A", "unit_price_fen": 100}], "payments": []}, "/payments"),
])
def test_bad_baskets_are_refused_and_post_nothing(client, hk, shop, body, pointer):
    body.setdefault("payments", [{"method": "cash", "amount_fen": 100}])
    response = client.post("/api/v1/checkout", json=body, headers={**shop.headers(), **key()})
    assert response.status_code == 422, response.json
    assert any(d["pointer"] == pointer for d in response.json["error"]["details"]), response.json
    from sqlalchemy import func, select

    from core.models import Checkout, LedgerTransaction

    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Checkout)) == 0
        assert session.scalar(select(func.count()).select_from(LedgerTransaction)) == 0


def test_idempotency_key_required_replayed_and_conflicting(client, hk, shop):
    body = {"lines": [{"sku": "A", "unit_price_fen": 500}], "payments": [{"method": "cash", "amount_fen": 500}]}
    missing = client.post("/api/v1/checkout", json=body, headers=shop.headers())
    assert missing.status_code == 428 and missing.json["error"]["code"] == "idempotency_key_required"
    headers = {**shop.headers(), "Idempotency-Key": "till-1-0001"}
    first = client.post("/api/v1/checkout", json=body, headers=headers)
    retry = client.post("/api/v1/checkout", json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json == first.json and retry.headers["Idempotent-Replayed"] == "true"
    other = client.post("/api/v1/checkout", json={**body, "lines": [{"sku": "B", "unit_price_fen": 500}]},
                        headers=headers)
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_key_reused"
    from sqlalchemy import func, select

    from core.models import Checkout

    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Checkout)) == 1  # posted once


def _retry_lands_before_its_turn(monkeypatch, client, send):
    """The same request (same key) sent again and answered completely while the first one
    has looked its key up but not yet had its writer's turn (SQLite looks before the turn)."""
    from webui.api import handlers

    looked_up = handlers._check_replay
    retried = []

    def check_then_let_the_retry_through(session, merchant_id, key, digest):
        looked_up(session, merchant_id, key, digest)
        if not retried:
            retried.append(None)  # the retry's own look-up goes straight on
            retried[0] = send()

    monkeypatch.setattr(handlers, "_check_replay", check_then_let_the_retry_through)
    first = send()
    return first, retried[0]


def test_a_retry_that_commits_first_is_replayed_not_posted_twice(client, hk, shop, monkeypatch):
    body = {"lines": [{"sku": "A", "unit_price_fen": 500}], "payments": [{"method": "cash", "amount_fen": 500}]}
    headers = {**shop.headers(), "Idempotency-Key": "till-7-0042"}
    first, retry = _retry_lands_before_its_turn(
        monkeypatch, client, lambda: client.post("/api/v1/checkout", json=body, headers=headers))
    assert retry.status_code == first.status_code == 201 and first.json == retry.json
    from sqlalchemy import func, select

    from core.models import Checkout

    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Checkout)) == 1  # posted once
        assert ledger.verify(session, shop.id) == []


def test_a_retry_that_commits_first_is_replayed_when_ours_would_be_refused(client, hk, shop,
                                                                          monkeypatch):
    """The first return of a sale finds the sale already returned by its own retry: it answers
    with the retry's refund instead of the refusal."""
    sold = client.post("/api/v1/checkout", json={
        "lines": [{"sku": "A", "unit_price_fen": 500}], "payments": [{"method": "cash", "amount_fen": 500}]},
        headers={**shop.headers(), **key()}).json
    headers = {**shop.headers(), "Idempotency-Key": "return-7-0042"}
    first, retry = _retry_lands_before_its_turn(monkeypatch, client, lambda: client.post(
        f"/api/v1/checkouts/{sold['checkout_id']}/returns",
        json={"lines": [{"line_no": 1, "quantity": 1}]}, headers=headers))
    assert retry.status_code == 201, retry.json
    assert first.status_code == 201 and first.json == retry.json
    assert first.headers["Idempotent-Replayed"] == "true"
    from sqlalchemy import func, select

    from core.models import CheckoutReturn as Return

    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Return)) == 1  # refunded once
        assert ledger.verify(session, shop.id) == []


def test_keys_are_per_merchant(client, hk, shop):
    other = make_merchant(hk, "别的店", basic_document())
    body = {"lines": [{"sku": "A", "unit_price_fen": 500}], "payments": [{"method": "cash", "amount_fen": 500}]}
    headers = {"Idempotency-Key": "shared-key"}
    assert client.post("/api/v1/checkout", json=body, headers={**shop.headers(), **headers}).status_code == 201
    assert client.post("/api/v1/checkout", json=body, headers={**other.headers(), **headers}).status_code == 201


def test_c4_single_purchase_upgrade_applies_from_the_next_checkout(client, shop):
    card = member_card(client, shop)
    big = pay(client, shop, [{"sku": "TV", "unit_price_fen": 100000}], card=card)
    assert big.json["due_fen"] == 100000  # priced at the old tier
    assert big.json["tier"] == "regular" and big.json["tier_after"] == "gold"
    next_quote = client.post("/api/v1/checkout/quote", json={"card_number": card, "lines": [
        {"sku": "A", "unit_price_fen": 10000}]}, headers=shop.headers()).json
    assert next_quote["due_fen"] == 8800


def test_c4_cumulative_spend_upgrade(client, shop):
    card = member_card(client, shop, tier="gold")
    for _ in range(3):
        receipt = pay(client, shop, [{"sku": "A", "unit_price_fen": 113637}], card=card).json
    assert receipt["tier_after"] == "diamond"  # 3 x 100,001 fen paid within 30 days


def test_c4_cumulative_spend_counts_only_this_members_cards(client, shop):
    """The running spend is per member: another member's purchases never lift this card, and
    the member's other card counts. Two members with 2 x 100,001 fen each stay gold; a third
    purchase on the first member's second card makes 300,003 fen and diamond."""
    first = member_card(client, shop, tier="gold", phone="13800138001")
    second = member_card(client, shop, tier="gold", phone="13800138002")
    line = [{"sku": "A", "unit_price_fen": 113637}]  # 100,001 fen at gold's 8.8折
    for card in (first, second, first, second):
        assert pay(client, shop, line, card=card).json["tier_after"] == "gold"
    member_id = client.get(f"/api/v1/cards/{first}", headers=shop.headers()).json["member_id"]
    extra = client.post("/api/v1/cards", json={"member_id": member_id, "tier": "gold"},
                        headers=shop.headers())
    if extra.status_code == 201:  # the document allows a second card per member
        assert pay(client, shop, line, card=extra.json["number"]).json["tier_after"] == "diamond"
    else:
        assert pay(client, shop, line, card=first).json["tier_after"] == "diamond"


def test_c4_a_refund_takes_its_sale_out_of_the_cumulative_spend(client, shop):
    card = member_card(client, shop, tier="gold")
    line = [{"sku": "A", "unit_price_fen": 113637}]
    sold = [pay(client, shop, line, card=card).json for _ in range(2)]
    returned = client.post(f"/api/v1/checkouts/{sold[0]['checkout_id']}/returns",
                           json={"lines": [{"line_no": 1, "quantity": 1}]},
                           headers={**shop.headers(), **key()})
    assert returned.status_code == 201, returned.json
    # 100,001 + 100,001 - 100,001 + 100,001 = 200,002 fen < 300,000: still gold.
    assert pay(client, shop, line, card=card).json["tier_after"] == "gold"
    assert pay(client, shop, line, card=card).json["tier_after"] == "diamond"


@pytest.mark.parametrize("action, status", [("report-lost", "lost"), ("freeze", "frozen")])
def test_c5_lost_or_frozen_card_cannot_pay(client, shop, action, status):
    card = member_card(client, shop)
    response = client.post(f"/api/v1/cards/{card}/{action}", headers=shop.headers("manager"))
    assert response.status_code == 200 and response.json["status"] == status
    attempt = client.post("/api/v1/checkout/quote", json={"card_number": card, "lines": [
        {"sku": "A", "unit_price_fen": 100}]}, headers=shop.headers())
    assert attempt.status_code == 409 and attempt.json["error"]["code"] == "card_not_usable"
    assert client.post(f"/api/v1/cards/{card}/unfreeze", headers=shop.headers("manager")).json["status"] == "active"


def test_c5_lifecycle_rules(client, shop):
    card = member_card(client, shop)
    assert client.post(f"/api/v1/cards/{card}/freeze", headers=shop.headers("cashier")).status_code == 403
    assert client.post(f"/api/v1/cards/{card}/unfreeze", headers=shop.headers()).status_code == 409
    bad = client.post(f"/api/v1/cards/{card}/extend", json={"expires_on": "2000-01-01"}, headers=shop.headers())
    assert bad.status_code == 422
    ok = client.post(f"/api/v1/cards/{card}/extend", json={"expires_on": "2099-12-31"}, headers=shop.headers())
    assert ok.status_code == 200 and ok.json["expires_on"] == "2099-12-31"


def test_c5_expired_card_cannot_pay_until_extended(client, hk, shop):
    card = member_card(client, shop, expires_on="2001-01-01")
    attempt = client.post("/api/v1/checkout/quote", json={"card_number": card, "lines": [
        {"sku": "A", "unit_price_fen": 100}]}, headers=shop.headers())
    assert attempt.status_code == 409 and attempt.json["error"]["code"] == "card_expired"


def test_c5_replacement_moves_balances_and_blocks_the_old_number(client, hk, shop):
    from core.ledger import Posting, card_account, merchant_account, post
    from core.models import Card
    from sqlalchemy import select
    from datetime import date

    number = member_card(client, shop)
    with hk.db.write() as session:
        card = session.scalar(select(Card).where(Card.number == number))
        account = card_account(session, shop.id, card.id, "points")
        issued = merchant_account(session, shop.id, "issued", "points")
        post(session, shop.id, "test_load", [Posting(account, 70, expires_on=date(2099, 1, 1)),
                                             Posting(account, 30), Posting(issued, -100)])
    client.post(f"/api/v1/cards/{number}/report-lost", headers=shop.headers())
    response = client.post(f"/api/v1/cards/{number}/replace", json={"new_number": "NEW00001"},
                           headers={**shop.headers("manager"), **key()})
    assert response.status_code == 201, response.json
    assert response.json["old_card"]["status"] == "replaced"
    assert response.json["new_card"]["balances"] == {"points": 100}
    assert response.json["new_card"]["member_id"] == response.json["old_card"]["member_id"]
    lots = client.get("/api/v1/cards/NEW00001/balances", headers=shop.headers()).json["lots"]
    assert sorted((lot["remaining"], lot["expires_on"]) for lot in lots) == [(30, None), (70, "2099-01-01")]
    assert client.post(f"/api/v1/cards/{number}/unfreeze", headers=shop.headers()).status_code == 409
    again = client.post(f"/api/v1/cards/{number}/replace", json={}, headers={**shop.headers(), **key()})
    assert again.status_code == 409
    history = client.get("/api/v1/cards/NEW00001/history", headers=shop.headers()).json
    assert history["items"][0]["type"] == "card_replacement"
    with hk.db.read() as session:
        assert ledger.verify(session, shop.id) == []


def test_c5_merchant_policy_can_forbid_replacement(client, hk):
    shop = make_merchant(hk, "丢失不补店", basic_document(policies={"allow_replacement": False}))
    number = member_card(client, shop, tier="silver")
    response = client.post(f"/api/v1/cards/{number}/replace", json={}, headers={**shop.headers(), **key()})
    assert response.status_code == 403 and response.json["error"]["code"] == "replacement_disabled"
