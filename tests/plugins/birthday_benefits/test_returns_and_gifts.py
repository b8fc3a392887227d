"""A full return gives the year's benefit back, a partial one keeps it; gifts are 0-price
lines named by the merchant, and a benefit given through grant_benefit (a coupon) is given
once a year even when the sale comes back."""
from __future__ import annotations

from sqlalchemy import select

from plugins.birthday_benefits.models import BirthdayBenefitUse

from .conftest import birthday_adjustment, line, make_shop


def test_a_full_return_releases_the_use_and_a_partial_one_keeps_it(shop):
    card = shop.card(birthday="1990-03-10")
    lines = [line(6000, "A"), line(4000, "B", quantity=2)]
    sale = shop.bought(lines, card)
    assert birthday_adjustment(sale["receipt"])["discount_fen"] == 1400
    partial = shop.return_lines(sale["checkout_id"], [{"line_no": 2, "quantity": 1}])
    assert partial["refund_fen"] == 3600  # the returned unit's share, the birthday 10% already out
    assert shop.uses()[0][-1] is False
    assert birthday_adjustment(shop.quote([line(10000)], card)) is None  # still used
    rest = shop.return_lines(sale["checkout_id"], [{"line_no": 1, "quantity": 1},
                                                   {"line_no": 2, "quantity": 1}])
    assert partial["refund_fen"] + rest["refund_fen"] == sale["receipt"]["due_fen"]
    assert shop.uses()[0][-1] is True
    again = shop.bought([line(10000)], card)  # given back: the member may use it again
    assert birthday_adjustment(again["receipt"])["discount_fen"] == 1000
    assert [use[-1] for use in shop.uses()] == [True, False]
    shop.verify()


def test_a_gift_line_is_added_at_zero_and_need_not_come_back(client, hk, clock):
    shop = make_shop(client, hk, "面馆", rules=[{"window": "day", "gift_name": "长寿面"}])
    card = shop.card(birthday="1990-03-10")
    quote = shop.quote([line(3000)], card)
    gift = quote["lines"][-1]
    assert (gift["name"], gift["paid_fen"], gift["list_fen"], gift["sku"]) == ("长寿面", 0, 0, "birthday-gift")
    assert quote["due_fen"] == 3000
    assert birthday_adjustment(quote)["note"] == "赠 长寿面"
    sale = shop.bought([line(3000)], card)
    assert [item["name"] for item in sale["receipt"]["lines"]] == ["GOODS", "长寿面"]
    shop.return_lines(sale["checkout_id"], [{"line_no": 1, "quantity": 1}])  # the noodles were eaten
    assert shop.uses()[0][-1] is True
    walk_in = shop.quote([line(3000)])
    assert len(walk_in["lines"]) == 1
    shop.verify()


def test_a_coupon_is_given_once_a_year(client, hk, clock):
    shop = make_shop(client, hk, "券店", rules=[])
    template = shop.client.post("/api/v1/coupon-templates", headers=shop.headers("owner", True), json={
        "name": "生日券", "kind": "cash", "value_fen": 2000, "valid_days": 30}).json
    draft = shop.client.get("/api/v1/config/draft", headers=shop.headers("owner")).json
    document = draft.get("document", draft)
    document["plugins"][0]["settings"] = {"rules": [
        {"window": "week", "grant_kind": "coupon", "grant_template_id": template["id"]}]}
    saved = shop.client.put("/api/v1/config/draft", json=document, headers=shop.headers("owner", True))
    assert saved.status_code in (200, 201), saved.json
    published = shop.client.post("/api/v1/config/publish", json={}, headers=shop.headers("owner", True))
    assert published.status_code in (200, 201), published.json
    card = shop.card(birthday="1990-03-12")
    sale = shop.bought([line(5000)], card)
    assert birthday_adjustment(sale["receipt"])["grant"] == {"kind": "coupon", "template_id": template["id"]}
    assert birthday_adjustment(sale["receipt"])["note"] == "赠 优惠券"  # the coupon plugin's title
    coupons = shop.client.get(f"/api/v1/cards/{card}/coupons", headers=shop.headers("cashier")).json["coupons"]
    assert [c["name"] for c in coupons] == ["生日券"]
    shop.return_lines(sale["checkout_id"], [{"line_no": 1, "quantity": 1}])
    assert birthday_adjustment(shop.quote([line(5000)], card)) is None  # nothing left to give
    with hk.db.read() as session:
        granted = session.scalar(select(BirthdayBenefitUse.granted))
    assert granted["plugin"] == "coupons"


def test_a_rule_naming_an_unknown_tier_or_benefit_is_refused(shop):
    draft = shop.client.get("/api/v1/config/draft", headers=shop.headers("owner")).json
    document = draft.get("document", draft)
    document["plugins"][0]["settings"] = {"rules": [
        {"tiers": ["platinum"], "window": "day", "discount_permille": 900},
        {"window": "day", "grant_kind": "room_voucher", "grant_room_type": "suite"}]}
    saved = shop.client.put("/api/v1/config/draft", json=document, headers=shop.headers("owner", True))
    published = shop.client.post("/api/v1/config/publish", json={}, headers=shop.headers("owner", True))
    answer = published if saved.status_code < 300 else saved
    assert answer.status_code == 422, answer.json
    pointers = {d["pointer"] for d in answer.json["error"]["details"]}
    assert "/plugins/0/settings/rules/0/tiers/0" in pointers
    # no enabled plugin gives room vouchers here (the hotel plugin is off)
    assert "/plugins/0/settings/rules/1/grant_kind" in pointers
