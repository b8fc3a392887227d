"""H1: card kinds with benefits: free nights on issue and upgrade, the birthday suite, prices."""
from __future__ import annotations

from core.jobs import run_job

from .conftest import make_hotel


def _room_types(hotel, card) -> list[str]:
    return sorted(v["room_type"] for v in hotel.vouchers(card))


def test_h1_cards_come_with_their_kinds_free_nights(hotel):
    card = hotel.card("business")
    [voucher] = hotel.vouchers(card)
    assert voucher["room_type"] == "business_suite" and voucher["reason"] == "card_issued"
    assert voucher["issued_on"] == "2026-03-10" and voucher["expires_on"] == "2027-03-10"  # 365 days
    assert len(voucher["code"]) == 16 and voucher["status"] == "active"
    assert hotel.balance(card) == 1 and hotel.merchant_vouchers("issued") == -1
    assert _room_types(hotel, hotel.card("purple_gold")) == ["suite", "suite"]
    assert _room_types(hotel, hotel.card("shareholder")) == ["suite", "suite"]
    hotel.verify()


def test_h1_upgrade_gives_the_difference_per_room_type_and_never_twice(hotel):
    card = hotel.card("business")
    up = hotel.post(f"/cards/{card}/kind", {"kind": "purple_gold"}, idempotent=False)
    assert up.status_code == 200, up.json
    assert _room_types(hotel, card) == ["business_suite", "suite", "suite"]
    assert {v["reason"] for v in hotel.vouchers(card) if v["room_type"] == "suite"} == {"card_upgrade"}
    # Down and up again, or sideways to a kind with the same nights: nothing more.
    for kind in ("business", "purple_gold", "supreme"):
        assert hotel.post(f"/cards/{card}/kind", {"kind": kind}, idempotent=False).status_code == 200
    assert _room_types(hotel, card) == ["business_suite", "suite", "suite"]
    assert hotel.balance(card) == 3
    hotel.verify()


def test_h1_used_vouchers_still_count_as_given_on_upgrade(hotel):
    card = hotel.card("purple_gold")
    for code in hotel.codes(card):
        assert hotel.redeem(card, code).status_code == 201
    hotel.post(f"/cards/{card}/kind", {"kind": "business"}, idempotent=False)
    hotel.post(f"/cards/{card}/kind", {"kind": "supreme"}, idempotent=False)
    assert _room_types(hotel, card) == ["business_suite", "suite", "suite"]
    assert hotel.balance(card) == 1


def test_h1_bad_kind_change_is_refused_and_gives_nothing(hotel):
    card = hotel.card("business")
    before = hotel.voucher_rows()
    wrong = hotel.post(f"/cards/{card}/kind", {"kind": "platinum"}, idempotent=False)
    same = hotel.post(f"/cards/{card}/kind", {"kind": "business"}, idempotent=False)
    cashier = hotel.post(f"/cards/{card}/kind", {"kind": "supreme"}, role="cashier", idempotent=False)
    assert (wrong.status_code, same.status_code, cashier.status_code) == (422, 409, 403)
    assert same.json["error"]["code"] == "same_card_kind"
    assert hotel.voucher_rows() == before


def test_h1_birthday_suite_once_a_year_for_supreme_cards(hotel, hk, clock):
    supreme = hotel.card("supreme", birthday="1980-03-12")
    business = hotel.card("business", birthday="1985-03-12")
    lunar = hotel.card("supreme", birthday="1980-03-12", birthday_calendar="lunar")
    job = next(job for job in hk.plugins.jobs() if job.id == "hotel_rooms.issue_birthday_suites")

    result = run_job(hk.db, hk.plugins, job, clock.at("2026-03-11 00:30"))
    assert result["merchants"][str(hotel.id)]["vouchers"] == 0  # not yet
    result = run_job(hk.db, hk.plugins, job, clock.at("2026-03-12 00:30"))
    assert result["merchants"][str(hotel.id)] == {"as_of": "2026-03-12", "vouchers": 1, "cards": [supreme]}
    [gift] = [v for v in hotel.vouchers(supreme) if v["reason"] == "birthday"]
    assert gift["room_type"] == "executive_suite" and gift["expires_on"] == "2026-04-11"  # 30 days
    assert [v for v in hotel.vouchers(business) + hotel.vouchers(lunar) if v["reason"] == "birthday"] == []
    # A forced re-run the same day gives nothing more (once per member and year).
    again = run_job(hk.db, hk.plugins, job, clock.now, force=True)
    assert again["merchants"][str(hotel.id)]["vouchers"] == 0
    # Next year: again.
    result = run_job(hk.db, hk.plugins, job, clock.at("2027-03-12 00:30"))
    assert result["merchants"][str(hotel.id)]["vouchers"] == 1
    # 29 February birthdays are celebrated on 28 February in other years.
    leap = hotel.card("supreme", birthday="1988-02-29")
    run_job(hk.db, hk.plugins, job, clock.at("2027-02-28 00:30"))
    assert [v["issued_on"] for v in hotel.vouchers(leap) if v["reason"] == "birthday"] == ["2027-02-28"]
    hotel.verify()


def test_h1_ticket_price_and_shareholder_room_rate_in_checkout(hotel):
    shareholder = hotel.card("shareholder")
    quote = hotel.client.post("/api/v1/checkout/quote", headers=hotel.headers("cashier"), json={
        "card_number": shareholder,
        "lines": [{"sku": "TICKET", "category": "ticket", "quantity": 2, "unit_price_fen": 29900},
                  {"sku": "KING", "category": "room", "unit_price_fen": 100000},
                  {"sku": "TEA", "category": "drinks", "unit_price_fen": 5000}]})
    assert quote.status_code == 200, quote.json
    paid = [line["paid_fen"] for line in quote.json["lines"]]
    assert paid == [2 * 16900, 70000, 5000]  # 169-yuan tickets, 7折 room, tea at list price
    walk_in = hotel.client.post("/api/v1/checkout/quote", headers=hotel.headers("cashier"), json={
        "lines": [{"sku": "TICKET", "category": "ticket", "unit_price_fen": 29900}]})
    assert walk_in.json["lines"][0]["paid_fen"] == 29900


def test_h1_room_rate_is_the_better_of_tier_and_card_not_both(client, hk, clock):
    hotel = make_hotel(client, hk, card_benefits=[
        {"card_kind": "shareholder", "room_rate_permille": 950},
        {"card_kind": "business", "room_rate_permille": 1000}])
    member = hotel.member()
    card = hotel.client.post("/api/v1/cards", headers=hotel.headers(), json={
        "member_id": member, "kind": "shareholder", "tier": "gold"}).json["number"]
    quote = hotel.client.post("/api/v1/checkout/quote", headers=hotel.headers("cashier"), json={
        "card_number": card, "lines": [{"sku": "KING", "category": "room", "unit_price_fen": 100000}]})
    assert quote.json["lines"][0]["paid_fen"] == 90000  # gold tier 9折 beats 9.5折, not 85.5 %


def test_h1_a_stock_card_gets_its_nights_when_it_is_sold_not_when_printed(hotel, clock):
    stock = hotel.client.post("/api/v1/cards", json={"kind": "purple_gold", "batch": "2026-03"},
                              headers=hotel.headers())
    assert stock.status_code == 201, stock.json
    card = stock.json["number"]
    assert hotel.vouchers(card) == [] and hotel.balance(card) == 0
    clock.at("2026-04-01 09:00")
    member = hotel.member()
    bound = hotel.client.post(f"/api/v1/cards/{card}/bind", json={"member_id": member}, headers=hotel.headers())
    assert bound.status_code == 200, bound.json
    assert [(v["room_type"], v["issued_on"]) for v in hotel.vouchers(card)] == [
        ("suite", "2026-04-01"), ("suite", "2026-04-01")]
    assert hotel.balance(card) == 2
    hotel.verify()
