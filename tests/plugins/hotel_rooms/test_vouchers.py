"""H2: room vouchers redeemed by QR code, once, never on blackout dates or after expiry;
the expiry job and the expiry notice (R2); replacement moves them (C5); staff issue them."""
from __future__ import annotations

from core.jobs import run_job
from plugins.hotel_rooms.models import RoomVoucher


def _error(response) -> str:
    return response.json["error"]["code"]


def test_h2_redeem_once_by_the_scanned_code(hotel):
    card = hotel.card("business")
    [code] = hotel.codes(card)
    done = hotel.redeem(card, code.lower(), stay_date="2026-03-12", room_no="808", guest_name="张伟")
    assert done.status_code == 201, done.json
    assert done.json["voucher"]["status"] == "redeemed" and done.json["voucher"]["room_no"] == "808"
    assert done.json["room_vouchers"] == 0 and hotel.merchant_vouchers("redeemed") == 1
    before = (hotel.voucher_rows(), hotel.transactions())
    again = hotel.redeem(card, code)
    assert again.status_code == 409 and _error(again) == "voucher_already_used"
    assert (hotel.voucher_rows(), hotel.transactions()) == before
    hotel.verify()


def test_h2_refused_on_blackout_dates_and_after_expiry(hotel):
    card = hotel.card("business")
    [voucher] = hotel.codes(card)
    before = (hotel.voucher_rows(), hotel.transactions(), hotel.balance(card))
    for stay, code in [("2026-05-01", "blackout_date"),  # 劳动节 (default national holidays)
                       ("2026-10-07", "blackout_date"),  # last day of 国庆节, both ends included
                       ("2027-03-11", "voucher_expired")]:  # after the voucher's last day
        refused = hotel.redeem(card, voucher, stay_date=stay)
        assert refused.status_code == 409 and _error(refused) == code, refused.json
        assert refused.json["error"]["details"][0]["pointer"] == "/stay_date"
    assert (hotel.voucher_rows(), hotel.transactions(), hotel.balance(card)) == before
    assert hotel.redeem(card, voucher, stay_date="2026-10-08").status_code == 201


def test_h2_merchant_blackout_dates_are_a_setting(client, hk, clock):
    from .conftest import make_hotel

    hotel = make_hotel(client, hk, blackout_dates=[{"start": "2026-03-10", "end": "2026-03-10", "name": "店庆"}])
    card = hotel.card("business")
    refused = hotel.redeem(card, hotel.codes(card)[0])  # stay today
    assert refused.status_code == 409 and "店庆" in refused.json["error"]["message"]
    assert hotel.redeem(card, hotel.codes(card)[0], stay_date="2026-05-01").status_code == 201


def test_h2_bad_input_is_a_clear_error_and_changes_nothing(hotel):
    card = hotel.card("business")
    other = hotel.card("purple_gold")
    [code] = hotel.codes(card)
    before = (hotel.voucher_rows(), hotel.transactions())
    cases = [
        (hotel.redeem(card, "bad code!"), 422, "/voucher_code"),
        (hotel.redeem(card, code, stay_date="2026-13-01"), 422, "/stay_date"),
        (hotel.redeem(card, code, stay_date="2026-03-09"), 422, "/stay_date"),  # yesterday
        (hotel.redeem(card, code, extra=1), 422, "/extra"),  # the unknown property itself
        (hotel.redeem(other, code), 409, "/voucher_code"),  # another card's voucher
        (hotel.redeem(card, "ZZZZZZZZZZZZZZZZ"), 404, None),
        (hotel.redeem("000000000", code), 404, None),
    ]
    for response, status, pointer in cases:
        assert response.status_code == status, response.json
        if pointer:
            assert response.json["error"]["details"][0]["pointer"] == pointer
    missing_key = hotel.client.post(f"/api/v1/cards/{card}/room-vouchers/redeem",
                                    json={"voucher_code": code}, headers=hotel.headers())
    assert missing_key.status_code == 428
    assert (hotel.voucher_rows(), hotel.transactions()) == before
    hotel.verify()


def test_h2_id_check_against_the_member_field(hotel):
    card = hotel.card("business", extra={"id_document_last4": "123X"})
    [code] = hotel.codes(card)
    wrong = hotel.redeem(card, code, id_document_last4="9999")
    assert wrong.status_code == 409 and _error(wrong) == "id_mismatch"
    assert hotel.redeem(card, code, id_document_last4="123x").status_code == 201


def test_h2_voucher_qr_code_is_an_svg_of_its_code(hotel):
    card = hotel.card("business")
    [code] = hotel.codes(card)
    response = hotel.get(f"/room-vouchers/{code}", role="cashier")
    assert response.status_code == 200 and response.json["code"] == code
    assert response.json["qr_svg"].startswith("<svg") and "path" in response.json["qr_svg"]
    import segno

    assert response.json["qr_svg"] == segno.make(code, error="m").svg_inline(scale=4)


def test_h2_staff_issue_vouchers_by_campaign(hotel):
    card = hotel.card("business")
    issued = hotel.issue(card, room_type="standard", quantity=3, validity_days=10, note="春季活动",
                         role="manager")
    assert issued.status_code == 201, issued.json
    assert [v["expires_on"] for v in issued.json["items"]] == ["2026-03-20"] * 3
    assert issued.json["room_vouchers"] == 4
    codes = {v["code"] for v in hotel.vouchers(card)}
    assert len(codes) == 4  # every code distinct
    e_voucher = hotel.issue(card, face_value_fen=30000, reason="manual")
    assert e_voucher.json["items"][0]["kind"] == "e_voucher"
    before = (hotel.voucher_rows(), hotel.transactions())
    assert hotel.issue(card, room_type="suite", role="cashier").status_code == 403
    both = hotel.issue(card, room_type="suite", face_value_fen=10000)
    neither = hotel.issue(card)
    too_many = hotel.issue(card, room_type="suite", quantity=31)
    bad_type = hotel.issue(card, room_type="penthouse")
    assert [r.status_code for r in (both, neither, too_many, bad_type)] == [422] * 4
    assert {d["pointer"] for d in both.json["error"]["details"]} == {"/room_type", "/face_value_fen"}
    assert (hotel.voucher_rows(), hotel.transactions()) == before
    hotel.verify()


def test_h2_expiry_job_lapses_vouchers_on_the_ledger(hotel, hk, clock):
    card = hotel.card("business")
    hotel.issue(card, room_type="standard", validity_days=5)  # last day 2026-03-15
    job = next(job for job in hk.plugins.jobs() if job.id == "hotel_rooms.expire_vouchers")
    result = run_job(hk.db, hk.plugins, job, clock.at("2026-03-15 23:59"))
    assert result["merchants"][str(hotel.id)]["vouchers"] == 0  # still usable that day
    result = run_job(hk.db, hk.plugins, job, clock.at("2026-03-16 00:20"))
    assert result["merchants"][str(hotel.id)] == {"as_of": "2026-03-16", "cards": 1, "vouchers": 1}
    assert [v["room_type"] for v in hotel.vouchers(card, "expired")] == ["standard"]
    assert hotel.balance(card) == 1 and hotel.merchant_vouchers("expired") == 1
    again = hotel.post("/room-vouchers/expire", role="manager")
    assert again.status_code == 200 and again.json["vouchers"] == 0
    [expired] = [v["code"] for v in hotel.vouchers(card, "expired")]
    refused = hotel.redeem(card, expired)
    assert refused.status_code == 409 and _error(refused) == "voucher_expired"
    hotel.verify()


def test_r2_the_expiring_list_shows_vouchers_within_the_days_asked(hotel, clock):
    card = hotel.card("business")  # expires 2027-03-10
    hotel.issue(card, room_type="standard", validity_days=40)  # expires 2026-04-19
    clock.at("2026-03-20 09:00")
    listed = hotel.get("/room-vouchers/expiring?days=400", role="manager")
    assert [v["expires_on"] for v in listed.json["items"]] == ["2026-04-19", "2027-03-10"]
    assert hotel.get("/room-vouchers/expiring?days=x", role="manager").status_code == 422


def test_c5_replacement_moves_the_voucher_rows_with_the_balance(hotel):
    card = hotel.card("purple_gold")
    codes = sorted(hotel.codes(card))
    replaced = hotel.post(f"/cards/{card}/replace", {}, role="manager")
    assert replaced.status_code in (200, 201), replaced.json
    new = replaced.json["new_card"]["number"]
    assert sorted(hotel.codes(new)) == codes and hotel.vouchers(card) == []
    assert hotel.balance(new) == 2
    assert hotel.redeem(new, codes[0]).status_code == 201
    hotel.verify()


def test_reports_liability_and_redemptions(hotel):
    card = hotel.card("purple_gold")
    hotel.redeem(card, hotel.codes(card)[0], room_no="1201")
    liability = hotel.get("/room-vouchers/reports/liability", role="manager")
    assert liability.json["items"] == [{"kind": "room", "room_type": "suite", "face_value_fen": 0,
                                        "expires_on": "2027-03-10", "vouchers": 1}]
    used = hotel.get("/room-vouchers/reports/redemptions?from=2026-03-10&to=2026-03-10", role="manager")
    assert [(v["room_no"], v["card_number"]) for v in used.json["items"]] == [("1201", card)]
    assert hotel.get("/room-vouchers/reports/redemptions?from=2026-03-11&to=2026-03-10",
                     role="manager").status_code == 422
    assert hotel.get("/room-vouchers/reports/liability", role="cashier").status_code == 403


def test_other_merchants_vouchers_are_not_found(hotel, client, hk):
    from .conftest import make_hotel

    other = make_hotel(client, hk)
    card = hotel.card("business")
    [code] = hotel.codes(card)
    assert other.get(f"/room-vouchers/{code}").status_code == 404
    assert other.get(f"/cards/{card}/room-vouchers").status_code == 404
    for response in (other.redeem(card, code), other.issue(card, room_type="suite")):
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    assert [row[2] for row in hotel.voucher_rows()] == ["active"]
    assert RoomVoucher.__tablename__ == "hotel_room_vouchers"


def test_h2_two_desks_scanning_one_voucher_at_once_redeem_it_once(app, hotel):
    from tests.plugins.points.test_concurrency import concurrently

    card = hotel.card("purple_gold")  # two suites: the balance is not what stops the second
    code = hotel.codes(card)[0]
    responses = concurrently(app, [("POST", f"/api/v1/cards/{card}/room-vouchers/redeem",
                                    {"voucher_code": code}, hotel.headers("cashier", idempotent=True))
                                   for _ in range(3)])
    assert sorted(r.status_code for r in responses).count(201) == 1, [r.json for r in responses]
    refused = [r.json["error"]["code"] for r in responses if r.status_code != 201]
    assert set(refused) <= {"voucher_already_used", "busy"}, refused
    assert hotel.balance(card) == 1 and hotel.merchant_vouchers("redeemed") == 1
    hotel.verify()
