"""Returns of a checkout that used a coupon: the refund takes the coupon's share (the lines'
paid amounts already carry it), so every refund adds up to what was paid; the coupon comes
back once all the lines it lowered are returned, if its validity has not ended."""
from __future__ import annotations

from .conftest import line


def test_partial_returns_refund_the_coupon_reduced_share_and_the_last_gives_it_back(shop):
    card = shop.card(tier="gold")
    code = shop.coupon(shop.template(name="满100减30", kind="threshold", min_spend_fen=10000,
                                     value_fen=3000), card)
    receipt = shop.bought([line(5000, "A", quantity=3), line(4000, "B")], card, [code])
    # 8.8折: 13200 + 3520 = 16720; 3000 off in proportion: A 2368.4, B 631.6 -> the spare fen to
    # the larger remainder: A 2368 (→10832), B 632 (→2888)
    assert receipt["due_fen"] == 13720
    paid = {ln["line_no"]: ln["paid_fen"] for ln in receipt["lines"]}
    assert paid == {1: 10832, 2: 2888}
    first = shop.return_lines(receipt["checkout_id"], [{"line_no": 1, "quantity": 1}])
    assert first["refund_fen"] == 10832 // 3
    assert shop.status(code) == "redeemed"  # a partial return keeps the coupon used
    second = shop.return_lines(receipt["checkout_id"], [{"line_no": 1, "quantity": 2},
                                                        {"line_no": 2, "quantity": 1}])
    assert first["refund_fen"] + second["refund_fen"] == receipt["due_fen"]
    assert shop.status(code) == "issued"
    assert [c["code"] for c in shop.card_coupons(card)] == [code]
    assert shop.redemptions(code) == [(receipt["checkout_id"], 3000, True)]
    again = shop.bought([line(20000)], card, [code])  # usable again, once more
    assert again["adjustments"][0]["discount_fen"] == 3000
    assert len(shop.redemptions(code)) == 2
    shop.verify()


def test_a_coupon_past_its_last_day_comes_back_expired(shop, clock):
    card = shop.card()
    code = shop.coupon(shop.template(valid_days=1), card)
    receipt = shop.bought([line(5000)], card, [code])
    clock.at("2026-03-11 09:00")
    shop.return_lines(receipt["checkout_id"], [{"line_no": 1, "quantity": 1}])
    assert shop.status(code) == "expired"
    assert shop.card_coupons(card) == []
    shop.verify()


def test_a_coupon_earned_by_a_checkout_is_voided_when_the_checkout_comes_back(shop):
    card = shop.card()
    reward = shop.template(name="满300送券", issue_on_checkout_fen=30000)
    small = shop.bought([line(29999)], card)
    assert shop.card_coupons(card) == []
    big = shop.bought([line(30000)], card)
    earned = shop.card_coupons(card)
    assert [c["template_id"] for c in earned] == [reward["id"]]
    shop.return_lines(small["checkout_id"], [{"line_no": 1, "quantity": 1}])
    assert shop.status(earned[0]["code"]) == "issued"
    shop.return_lines(big["checkout_id"], [{"line_no": 1, "quantity": 1}])
    assert shop.status(earned[0]["code"]) == "voided"
    shop.verify()
