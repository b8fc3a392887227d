"""voucher_liability and voucher_redemptions in the report catalogue (issue 12, G1/G3): the rows
of the (deprecated) /room-vouchers/reports/… endpoints; the vouchers outstanding equal the
cards' room_vouchers balances on the ledger after redemptions, a card replacement and the
expiry job, on both databases; JSON, Excel and CSV."""
from __future__ import annotations

import pytest

from tests.support.report_client import report_csv, report_json, report_xlsx

PERIOD = {"from": "2026-03-10", "to": "2026-03-12"}


@pytest.fixture
def stays(hotel, clock):
    first, second = hotel.card("purple_gold"), hotel.card("purple_gold")
    assert hotel.issue(first, face_value_fen=30000, quantity=2, reason="manual").status_code == 201
    assert hotel.issue(second, room_type="standard", validity_days=5).status_code == 201
    assert hotel.redeem(first, hotel.codes(first)[0], room_no="1201").status_code == 201
    replaced = hotel.post(f"/cards/{first}/replace", {}, role="manager")
    assert replaced.status_code in (200, 201), replaced.json
    new = replaced.json["new_card"]["number"]
    clock.at("2026-03-12 10:00")
    assert hotel.redeem(new, hotel.codes(new)[0]).status_code == 201
    clock.at("2026-03-16 10:00")
    assert hotel.post("/room-vouchers/expire", {}, role="manager").status_code in (200, 201)
    hotel.verify()
    return hotel, [first, new, second]


def test_voucher_liability_equals_the_ledger_and_the_old_endpoint(stays):
    hotel, cards = stays
    body = report_json(hotel.client, hotel.headers(), "voucher_liability")
    assert body["totals"]["vouchers"] == sum(hotel.balance(card) for card in cards) > 0
    assert hotel.balance(cards[0]) == 0  # the replaced card: counted once, on the new card
    old = hotel.get("/room-vouchers/reports/liability", role="manager").json["items"]
    assert [(row["kind"], row["expires_on"], row["vouchers"]) for row in body["rows"]] == [
        (item["kind"], item["expires_on"], item["vouchers"]) for item in old]
    assert "standard" not in {row["room_type"] for row in body["rows"]}  # expired on the 16th
    assert body["totals"]["value_fen"] == 2 * 30000  # the e-vouchers still open
    assert "face_value_fen" not in body["totals"]  # a face value does not add up
    titles, rows = report_xlsx(hotel.client, hotel.headers(), "voucher_liability")
    assert rows[-1]["类型"] == "合计" and rows[-1]["张数"] == body["totals"]["vouchers"]


def test_voucher_redemptions_give_the_old_endpoints_rows(stays):
    hotel, cards = stays
    body = report_json(hotel.client, hotel.headers(), "voucher_redemptions", **PERIOD)
    old = hotel.get("/room-vouchers/reports/redemptions?from=2026-03-10&to=2026-03-12", role="manager").json
    assert [row["code"] for row in body["rows"]] == [item["code"] for item in old["items"]]
    assert [row["room_no"] for row in body["rows"]] == ["1201", ""]
    assert body["rows"][0]["used_at"] == "2026-03-10 10:00:00"  # local time
    assert body["rows"][0]["staff_name"] == "cashier"
    titles, rows = report_csv(hotel.client, hotel.headers(), "voucher_redemptions", **PERIOD)
    assert "房号" in titles and [row["房号"] for row in rows] == ["1201", ""]
