"""Once per member per year: an Idempotency-Key retry, concurrent checkouts on one card and on
two cards of the same member leave one use and charge the discount once; the year's use
belongs to the birthday's year, so next year's birthday gives it again."""
from __future__ import annotations

from sqlalchemy import func, select

from core.models import Checkout
from tests.support.concurrency import concurrently

from .conftest import birthday_adjustment, key, line


def _checkouts(shop) -> list[int]:
    with shop.hk.db.read() as session:
        return list(session.scalars(select(Checkout.due_total_fen).where(Checkout.merchant_id == shop.id)
                                    .order_by(Checkout.id)))


def test_a_retry_returns_the_first_receipt(shop):
    card = shop.card(birthday="1990-03-10")
    headers = shop.headers("cashier", idempotent=True)
    body = shop.pay_body([line(10000)], card)
    first = shop.client.post("/api/v1/checkout", json=body, headers=headers)
    retry = shop.client.post("/api/v1/checkout", json=body, headers=headers)
    assert first.status_code == 201 and retry.status_code == 201, retry.json
    assert retry.json["checkout_id"] == first.json["checkout_id"]
    assert birthday_adjustment(retry.json)["discount_fen"] == 1000
    assert len(shop.uses()) == 1 and _checkouts(shop) == [9000]
    shop.verify()


def test_concurrent_checkouts_on_one_card_give_it_once(app, shop):
    card = shop.card(birthday="1990-03-10")
    body = shop.pay_body([line(10000)], card)  # priced with the discount: 9000
    responses = concurrently(app, [("POST", "/api/v1/checkout", body, {**shop.headers("cashier"), **key()})
                                   for _ in range(4)])
    statuses = [r.status_code for r in responses]
    assert statuses.count(201) == 1, [r.json for r in responses]
    # the others were priced again without the benefit, so the 9000 sent no longer adds up
    # (422 payment_mismatch), or lost the race for the use (409), or waited too long (503)
    assert all(s in (201, 409, 422, 503) for s in statuses), [r.json for r in responses]
    assert len(shop.uses()) == 1 and _checkouts(shop) == [9000]
    shop.verify()


def test_two_cards_of_one_member_racing_give_it_once(app, shop):
    member = shop.member(birthday="1990-03-10")
    cards = [shop.card(member_id=member), shop.card(member_id=member)]
    bodies = [shop.pay_body([line(10000)], card) for card in cards]
    responses = concurrently(app, [("POST", "/api/v1/checkout", body, {**shop.headers("cashier"), **key()})
                                   for body in bodies])
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1, [r.json for r in responses]
    refused = [r.json["error"]["code"] for r in responses if r.status_code != 201]
    assert all(code in ("birthday_benefit_used", "payment_mismatch", "busy") for code in refused), refused
    assert len(shop.uses()) == 1 and _checkouts(shop) == [9000]
    shop.verify()


def test_next_years_birthday_gives_it_again(shop, clock):
    card = shop.card(birthday="1990-03-10")
    shop.bought([line(10000)], card)
    clock.at("2027-03-01 10:00")
    assert birthday_adjustment(shop.quote([line(10000)], card))["benefit_year"] == 2027
    shop.bought([line(10000)], card)
    assert [use[1] for use in shop.uses()] == [2026, 2027]


def test_a_lunar_new_years_eve_birthday_counts_for_its_lunar_year(shop, clock):
    clock.at("2025-01-28 10:00")  # 除夕 of lunar 2024, whose 腊月 has 29 days
    card = shop.card(birthday="1970-12-30", calendar="lunar")
    adjustment = birthday_adjustment(shop.quote([line(10000)], card))
    assert adjustment["benefit_year"] == 2024 and adjustment["birthday_on"] == "2025-01-28"
    shop.bought([line(10000)], card)
    clock.at("2025-01-31 10:00")  # still January, still lunar 2024's birthday: used
    assert birthday_adjustment(shop.quote([line(10000)], card)) is None
