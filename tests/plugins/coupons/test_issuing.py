"""Issuing: codes, validity (fixed dates, N days), per-member and total limits, rules
(a new member, a checkout over X), voiding, expiry, the card's list and the member's count."""
from __future__ import annotations

import re
from datetime import datetime, timezone

from plugins.coupons import expire_coupons_job
from plugins.coupons.common import ALPHABET

from .conftest import line


def test_codes_are_short_unambiguous_and_distinct(shop):
    template = shop.template(total_limit=None)
    response = shop.issue(template, quantity=200, role="owner")
    codes = [c["code"] for c in response.json["coupons"]]
    assert len(set(codes)) == 200
    assert all(re.fullmatch(f"[{ALPHABET}]{{10}}", code) for code in codes)
    assert not set("01OIL") & set("".join(codes))


def test_n_days_validity_counts_the_day_of_issue_and_expires_on_the_local_day(shop, clock):
    card = shop.card()
    code = shop.coupon(shop.template(valid_days=3), card)
    assert shop.card_coupons(card)[0]["valid_until"] == "2026-03-12"
    clock.at("2026-03-12 23:59")
    assert shop.quote([line(5000)], card, [code]).status_code == 200
    clock.at("2026-03-13 00:00")
    refused = shop.quote([line(5000)], card, [code])
    assert refused.status_code == 409 and refused.json["error"]["code"] == "coupon_expired"
    assert shop.card_coupons(card) == []
    assert shop.status(code) == "expired"  # shown as expired before the job runs
    with shop.hk.db.write() as session:
        assert expire_coupons_job(session, None, shop.id, clock.now) == {"expired": 1}


def test_fixed_dates_campaign(shop, clock):
    card = shop.card()
    campaign = shop.template(name="五一券", valid_days=None, valid_from="2026-05-01",
                             valid_until="2026-05-05")
    code = shop.coupon(campaign, card)
    early = shop.quote([line(5000)], card, [code])
    assert early.status_code == 409 and early.json["error"]["code"] == "coupon_not_yet_valid"
    assert shop.card_coupons(card) == []  # not usable today
    clock.at("2026-05-03 12:00")
    assert shop.quote([line(5000)], card, [code]).json["due_fen"] == 4000
    clock.at("2026-05-06 08:00")
    ended = shop.issue(campaign, card)
    assert ended.status_code == 409 and ended.json["error"]["code"] == "template_ended"


def test_per_member_and_total_limits(shop):
    card = shop.card()
    template = shop.template(per_member_limit=2, total_limit=3)
    assert shop.issue(template, card, quantity=2).status_code == 201
    over = shop.issue(template, card)
    assert over.status_code == 409 and over.json["error"]["code"] == "coupon_limit"
    other = shop.card()
    assert shop.issue(template, other).status_code == 201
    total = shop.issue(template, shop.card())
    assert total.status_code == 409 and total.json["error"]["code"] == "coupon_limit"
    # a voided coupon gives its place back
    code = shop.card_coupons(other)[0]["code"]
    assert shop.post(f"/coupons/{code}/void", {"note": "发错了"}).json["status"] == "voided"
    assert shop.issue(template, shop.card()).status_code == 201


def test_bad_templates_and_issues_are_clear_errors(shop):
    for body in [{"kind": "discount"}, {"kind": "cash", "discount_permille": 900},
                 {"kind": "threshold", "value_fen": 3000, "min_spend_fen": 1000},
                 {"valid_until": "2026-04-01"}, {"valid_days": None},
                 {"valid_days": None, "valid_from": "2026-05-02", "valid_until": "2026-05-01"},
                 {"valid_days": None, "valid_until": "2026-13-01"}, {"name": "  "},
                 {"value_fen": 1.5}, {"unknown": 1}]:
        full = {"name": "坏券", "kind": "cash", "value_fen": 1000, "valid_days": 30, **body}
        full = {k: v for k, v in full.items() if v is not None}
        response = shop.post("/coupon-templates", full)
        assert response.status_code == 422, (body, response.json)
    template = shop.template(name="同名")
    assert shop.post("/coupon-templates", {"name": "同名", "kind": "cash", "value_fen": 1,
                                           "valid_days": 1}).status_code == 409
    assert shop.post("/coupon-templates", {"name": "店员", "kind": "cash", "value_fen": 1,
                                           "valid_days": 1}, role="cashier").status_code == 403
    assert shop.issue(template, "NO-SUCH-CARD").status_code == 404
    assert shop.post("/coupons/issue", {"template_id": template["id"]}).status_code == 422
    assert shop.post("/coupons/issue", {"template_id": 999999, "bearer": True}).status_code == 404
    fixed = shop.client.patch(f"/api/v1/coupon-templates/{template['id']}", json={"value_fen": 1},
                              headers=shop.headers())
    assert fixed.status_code == 422
    off = shop.client.patch(f"/api/v1/coupon-templates/{template['id']}", json={"active": False},
                            headers=shop.headers())
    assert off.status_code == 200 and off.json["active"] is False
    assert shop.issue(template, shop.card()).json["error"]["code"] == "template_inactive"


def test_rules_new_member_and_checkout_over_an_amount(shop, clock):
    clock.now = datetime.now(timezone.utc)  # core.members stamps a new member with the real clock
    welcome = shop.template(name="新会员券", issue_on_member_created=True, per_member_limit=1)
    card = shop.card()
    coupons = shop.card_coupons(card)
    assert [c["template_id"] for c in coupons] == [welcome["id"]]
    assert coupons[0]["reason"] == "member_created"
    member = shop.get(f"/members/{coupons[0]['member_id']}").json
    assert member["summary"]["coupons"] == 1
    shop.template(name="满500返券", issue_on_checkout_fen=50000)
    shop.bought([line(60000)], card, [coupons[0]["code"]])
    after = shop.card_coupons(card)
    assert [c["name"] for c in after] == ["满500返券"]  # the welcome coupon is used, one earned
    assert shop.get(f"/members/{coupons[0]['member_id']}").json["summary"]["coupons"] == 1
    assert len(shop.get(f"/members/{coupons[0]['member_id']}/coupons").json["coupons"]) == 2


def test_a_replaced_card_keeps_its_coupons(shop):
    card = shop.card()
    code = shop.coupon(shop.template(), card)
    replaced = shop.post(f"/cards/{card}/report-lost", {}, role="owner")
    assert replaced.status_code == 200, replaced.json
    new = shop.post(f"/cards/{card}/replace", {}, role="owner")
    assert new.status_code in (200, 201), new.json
    number = new.json["new_card"]["number"]
    assert [c["code"] for c in shop.card_coupons(number)] == [code]
    assert shop.quote([line(5000)], number, [code]).json["due_fen"] == 4000


def test_a_retried_issue_returns_the_same_coupons(shop):
    card = shop.card()
    template = shop.template()
    headers = shop.headers("cashier", idempotent=True)
    body = {"template_id": template["id"], "card_number": card, "quantity": 2}
    first = shop.client.post("/api/v1/coupons/issue", json=body, headers=headers)
    retry = shop.client.post("/api/v1/coupons/issue", json=body, headers=headers)
    assert first.status_code == retry.status_code == 201
    assert retry.json == first.json
    assert len(shop.card_coupons(card)) == 2


def test_a_checkout_rule_saved_between_checkouts_applies_to_the_next_one(shop):
    """The spend threshold is cached with the configuration; saving a template refreshes it."""
    card = shop.card()
    shop.bought([line(60000)], card)  # no rule yet: nothing earned, and "no rule" is cached
    assert shop.card_coupons(card) == []
    reward = shop.template(name="满300返券", issue_on_checkout_fen=30000)
    shop.bought([line(29999)], card)
    assert shop.card_coupons(card) == []  # under the threshold
    shop.bought([line(30000)], card)
    assert [c["name"] for c in shop.card_coupons(card)] == ["满300返券"]
    paused = shop.client.patch(f"/api/v1/coupon-templates/{reward['id']}", json={"active": False},
                               headers=shop.headers("owner"))
    assert paused.status_code == 200, paused.json
    shop.bought([line(30000)], card)
    assert len(shop.card_coupons(card)) == 1  # the paused rule earns nothing more
