"""H3: room discounts do not combine with coupons (e-vouchers) or group-buy deals; H4 e-vouchers
pay at the checkout once and come back with a full return (G3)."""
from __future__ import annotations

from core import ledger

from .conftest import make_hotel


def _checkout(hotel, card, lines, payments):
    return hotel.client.post("/api/v1/checkout", headers=hotel.headers("cashier", idempotent=True),
                             json={"card_number": card, "lines": lines, "payments": payments})


def _quote(hotel, card, lines):
    response = hotel.client.post("/api/v1/checkout/quote", headers=hotel.headers("cashier"),
                                 json={"card_number": card, "lines": lines})
    assert response.status_code == 200, response.json
    return response.json


def _e_voucher(hotel, card, face_value_fen=30000) -> str:
    issued = hotel.issue(card, face_value_fen=face_value_fen)
    assert issued.status_code == 201, issued.json
    return issued.json["items"][0]["code"]


def _cny(hotel, purpose) -> int:
    with hotel.hk.db.read() as session:
        return ledger.merchant_account(session, hotel.id, purpose, "cny").balance


ROOM = {"sku": "KING", "category": "room", "unit_price_fen": 50000}


def test_h3_an_e_voucher_pays_a_room_at_the_rack_rate(hotel):
    card = hotel.card("business")  # room_rate 1000: no room discount
    code = _e_voucher(hotel, card)
    promoted = _checkout(hotel, card, [{**ROOM, "promotion_permille": 900}],
                         [{"method": "e_voucher", "code": code}, {"method": "cash", "amount_fen": 15000}])
    assert promoted.status_code == 409, promoted.json  # a room promotion is a room discount too
    paid = _checkout(hotel, card, [ROOM], [{"method": "e_voucher", "code": code},
                                           {"method": "cash", "amount_fen": 20000}])
    assert paid.status_code == 201, paid.json
    assert paid.json["payments"][0] == {"method": "e_voucher", "amount_fen": 30000, "code": code,
                                        "face_value_fen": 30000}
    [used] = hotel.vouchers(card, "redeemed")
    assert used["code"] == code and hotel.balance(card) == 1  # the business suite night remains
    assert _cny(hotel, "e_voucher_payments") == 30000
    again = _checkout(hotel, card, [ROOM], [{"method": "e_voucher", "code": code},
                                            {"method": "cash", "amount_fen": 20000}])
    assert again.status_code == 409 and again.json["error"]["code"] == "voucher_already_used"
    hotel.verify()


def test_h3_e_voucher_refused_when_the_room_carries_a_card_rate(hotel):
    card = hotel.card("shareholder")  # 7折 room rate
    code = _e_voucher(hotel, card)
    assert _quote(hotel, card, [ROOM])["due_fen"] == 35000
    before = (hotel.voucher_rows(), hotel.transactions(), _cny(hotel, "sales"))
    refused = _checkout(hotel, card, [ROOM], [{"method": "e_voucher", "code": code},
                                              {"method": "cash", "amount_fen": 5000}])
    assert refused.status_code == 409 and refused.json["error"]["code"] == "discount_not_combinable"
    assert refused.json["error"]["details"] == [{"pointer": "/lines/0", "message": "a discounted room"}]
    assert (hotel.voucher_rows(), hotel.transactions(), _cny(hotel, "sales")) == before
    # Other goods with the same card and voucher are fine: only room discounts do not stack.
    tea = {"sku": "TEA", "category": "drinks", "unit_price_fen": 40000}
    assert _checkout(hotel, card, [tea], [{"method": "e_voucher", "code": code},
                                          {"method": "cash", "amount_fen": 10000}]).status_code == 201
    hotel.verify()


def test_h3_combining_is_a_merchant_setting(client, hk, clock):
    hotel = make_hotel(client, hk, discount_combines_with_coupons=True)
    card = hotel.card("shareholder")
    code = _e_voucher(hotel, card)
    paid = _checkout(hotel, card, [ROOM], [{"method": "e_voucher", "code": code},
                                           {"method": "cash", "amount_fen": 5000}])
    assert paid.status_code == 201, paid.json


def test_h3_group_buy_lines_get_no_card_discount(hotel):
    card = hotel.client.post("/api/v1/cards", headers=hotel.headers(), json={
        "member_id": hotel.member(), "kind": "shareholder", "tier": "gold"}).json["number"]
    lines = [{"sku": "GB-KING", "category": "group_buy", "unit_price_fen": 30000, "promotion_permille": 800},
             {"sku": "SNACK", "category": "food", "unit_price_fen": 10000}]
    quote = _quote(hotel, card, lines)
    assert [line["paid_fen"] for line in quote["lines"]] == [24000, 9000]  # deal price; gold 9折 on food
    assert quote["lines"][0]["tier_permille"] == 1000


def test_h3_e_voucher_bad_input_changes_nothing(hotel):
    card = hotel.card("business")
    other = hotel.card("business")
    code = _e_voucher(hotel, card)
    [room_code] = hotel.codes(card)
    before = (hotel.voucher_rows(), hotel.transactions())
    cases = [
        ([{"method": "e_voucher"}], 422),
        ([{"method": "e_voucher", "code": code, "tip": 1}], 422),
        ([{"method": "e_voucher", "code": code, "amount_fen": 50000}], 422),  # pays 30000 at most
        ([{"method": "e_voucher", "code": room_code}, {"method": "cash", "amount_fen": 50000}], 409),
        ([{"method": "e_voucher", "code": "NOSUCHCODE2345"}], 404),
    ]
    for payments, status in cases:
        response = _checkout(hotel, card, [ROOM], payments)
        assert response.status_code == status, (payments, response.json)
    wrong_card = _checkout(hotel, other, [ROOM], [{"method": "e_voucher", "code": code},
                                                  {"method": "cash", "amount_fen": 20000}])
    assert wrong_card.status_code == 409 and wrong_card.json["error"]["code"] == "voucher_not_on_card"
    assert (hotel.voucher_rows(), hotel.transactions()) == before
    hotel.verify()


def test_g3_a_full_return_gives_the_e_voucher_back(hotel):
    card = hotel.card("business")
    code = _e_voucher(hotel, card, 10000)
    paid = _checkout(hotel, card, [{"sku": "SPA", "category": "spa", "unit_price_fen": 10000}],
                     [{"method": "e_voucher", "code": code}])
    assert paid.status_code == 201, paid.json
    assert hotel.balance(card) == 1
    back = hotel.client.post(f"/api/v1/checkouts/{paid.json['checkout_id']}/returns",
                             json={"lines": [{"line_no": 1, "quantity": 1}]},
                             headers=hotel.headers("manager", idempotent=True))
    assert back.status_code in (200, 201), back.json
    assert hotel.balance(card) == 2
    assert code in hotel.codes(card, kind="e_voucher")
    hotel.verify()


def _active_rows_match_the_ledger(hotel, card):
    """Every voucher on a card's ledger balance is an active row of that card, and back."""
    assert len(hotel.vouchers(card, "active")) == hotel.balance(card)


def test_g3_c5_a_return_after_the_card_was_replaced_gives_the_e_voucher_back_on_the_new_card(hotel):
    card = hotel.card("business")
    code = _e_voucher(hotel, card, 10000)
    paid = _checkout(hotel, card, [{"sku": "SPA", "category": "spa", "unit_price_fen": 10000}],
                     [{"method": "e_voucher", "code": code}])
    assert paid.status_code == 201, paid.json
    replaced = hotel.post(f"/cards/{card}/replace", {}, role="manager")
    assert replaced.status_code in (200, 201), replaced.json
    new = replaced.json["new_card"]["number"]
    back = hotel.client.post(f"/api/v1/checkouts/{paid.json['checkout_id']}/returns",
                             json={"lines": [{"line_no": 1, "quantity": 1}]},
                             headers=hotel.headers("manager", idempotent=True))
    assert back.status_code in (200, 201), back.json
    assert hotel.balance(new) == 2  # the business suite night and the e-voucher given back
    assert code in hotel.codes(new, kind="e_voucher")
    _active_rows_match_the_ledger(hotel, new)
    hotel.verify()


def test_h3_an_e_voucher_is_not_spent_on_a_bill_with_nothing_due(hotel):
    card = hotel.card("business")
    code = _e_voucher(hotel, card, 10000)
    before = (hotel.voucher_rows(), hotel.transactions(), hotel.balance(card))
    free = _checkout(hotel, card, [{"sku": "WELCOME", "category": "gift", "unit_price_fen": 0}],
                     [{"method": "e_voucher", "code": code}])
    assert free.status_code == 422, free.json
    assert free.json["error"]["details"][0]["pointer"] == "/payments"
    assert (hotel.voucher_rows(), hotel.transactions(), hotel.balance(card)) == before
    _active_rows_match_the_ledger(hotel, card)


def test_h2_g3_an_e_voucher_given_back_by_a_return_expires_like_any_other(hotel, clock):
    """Its row then points at the expiry transaction, which names it (the row and the ledger agree)."""
    from sqlalchemy import select

    from core.models import LedgerTransaction
    from plugins.hotel_rooms.models import RoomVoucher

    card = hotel.card("business")
    issued = hotel.issue(card, face_value_fen=10000, validity_days=5)
    code = issued.json["items"][0]["code"]
    paid = _checkout(hotel, card, [{"sku": "SPA", "category": "spa", "unit_price_fen": 10000}],
                     [{"method": "e_voucher", "code": code}])
    assert paid.status_code == 201, paid.json
    back = hotel.client.post(f"/api/v1/checkouts/{paid.json['checkout_id']}/returns",
                             json={"lines": [{"line_no": 1, "quantity": 1}]},
                             headers=hotel.headers("manager", idempotent=True))
    assert back.status_code in (200, 201), back.json
    clock.at("2026-03-16 09:00")  # the day after its last day (2026-03-15)
    expired = hotel.post("/room-vouchers/expire", role="manager")
    assert expired.status_code == 200 and expired.json["vouchers"] == 1, expired.json
    [item] = expired.json["items"]
    with hotel.hk.db.read() as session:
        status, used_by = session.execute(select(RoomVoucher.status, RoomVoucher.used_transaction_id)
                                          .where(RoomVoucher.code == code)).one()
        memo = session.get(LedgerTransaction, item["transaction_id"]).memo
    assert (status, used_by) == ("expired", item["transaction_id"])
    assert memo["codes"] == [code]
    _active_rows_match_the_ledger(hotel, card)
    hotel.verify()
