"""Races and card events: two tills cannot both use the last session, a retry with the same key
is one use and another body is refused, a replaced card keeps its packages, a use and a return
of the same package cannot both happen."""
from __future__ import annotations

from plugins.service_packages.models import ServiceUse
from tests.support.concurrency import concurrently

from .conftest import key


def _uses(salon) -> int:
    from sqlalchemy import func, select

    with salon.hk.db.read() as session:
        return session.scalar(select(func.count()).select_from(ServiceUse).where(ServiceUse.merchant_id == salon.id))


def test_a_retry_is_one_use_and_the_same_key_with_another_body_is_refused(salon, clock):
    card = salon.card()
    salon.bought(card, "wash_20")
    headers = {**salon.merchant.headers("cashier"), **key()}
    first = salon.client.post(f"/api/v1/cards/{card}/service-package-uses", json={}, headers=headers)
    again = salon.client.post(f"/api/v1/cards/{card}/service-package-uses", json={}, headers=headers)
    assert first.status_code == 201 and again.json == first.json
    other = salon.client.post(f"/api/v1/cards/{card}/service-package-uses", json={"sessions": 2}, headers=headers)
    assert other.status_code == 409 and other.json["error"]["code"] == "idempotency_key_reused"
    missing = salon.post(f"/cards/{card}/service-package-uses", {}, idempotent=False)
    assert missing.status_code == 428
    assert salon.balances(card)["service_sessions"] == 19 and _uses(salon) == 1


def test_two_tills_cannot_both_use_the_last_session(app, salon, clock):
    card = salon.card()
    salon.bought(card, "wash_20")
    assert salon.use(card, sessions=19).status_code == 201
    responses = concurrently(app, [("POST", f"/api/v1/cards/{card}/service-package-uses", {},
                                    salon.headers("cashier", idempotent=True)) for _ in range(3)])
    statuses = sorted(r.status_code for r in responses)
    assert statuses.count(201) == 1 and all(s in (201, 409, 503) for s in statuses), [r.json for r in responses]
    assert salon.balances(card)["service_sessions"] == 0 and _uses(salon) == 2
    assert salon.account("package_deferred") == 0
    salon.verify()


def test_a_use_and_a_return_of_one_package_do_not_both_happen(app, salon, clock):
    card = salon.card()
    sale = salon.bought(card, "wash_20")
    responses = concurrently(app, [
        ("POST", f"/api/v1/cards/{card}/service-package-uses", {}, salon.headers("cashier", idempotent=True)),
        ("POST", f"/api/v1/checkouts/{sale['checkout_id']}/returns", {"lines": [{"line_no": 1, "quantity": 1}]},
         salon.headers("manager", idempotent=True))])
    used, returned = (r.status_code for r in responses)
    assert sorted((used in (200, 201), returned in (200, 201))) == [False, True], [r.json for r in responses]
    left = salon.balances(card).get("service_sessions", 0)
    assert left == (19 if used == 201 else 0)
    salon.verify()


def test_a_replaced_card_keeps_its_packages(salon, clock):
    member_id, card = salon.member_card()
    salon.bought(card, "facial_10")
    salon.use(card)
    replaced = salon.post(f"/cards/{card}/replace", {}, role="manager")
    assert replaced.status_code in (200, 201), replaced.json
    new = replaced.json["new_card"]["number"]
    assert [p["sessions_left"] for p in salon.packages(new)] == [9] and salon.packages(card) == []
    assert salon.use(new).json["sessions_left"] == 8
    summary = salon.get(f"/members/{member_id}", role="cashier")["summary"]["service_packages"]
    assert [(s["card_number"], s["sessions_left"]) for s in summary] == [(new, 8)]
    salon.verify()
