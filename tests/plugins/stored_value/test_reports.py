"""stored_value_liability and stored_value_detail in the report catalogue (issue 12, G2/G3):
equal to the ledger's card balances to the fen after recharges with bonus, a cheque, payments,
a partial return, a partial withdrawal and a card replacement, on both databases; served as
JSON, Excel and CSV."""
from __future__ import annotations

import pytest

from core import tenancy
from tests.support.clock import freeze
from tests.support.report_client import report_csv, report_json, report_xlsx

from .helpers import PIN, assert_ledger_sound, card_balances, new_card, post, recharge, shop_with

PERIOD = {"from": "2026-11-01", "to": "2026-11-03"}
ASSETS = {"principal_fen": "stored_value_principal", "bonus_fen": "stored_value_bonus",
          "pending_fen": "stored_value_pending"}


def checkout(client, shop, card, prices, amount):
    lines = [{"sku": f"G{index}", "name": "商品", "unit_price_fen": price} for index, price in enumerate(prices)]
    answer = client.post("/api/v1/checkout", json={
        "card_number": card, "lines": lines,
        "payments": [{"method": "stored_value", "amount_fen": amount, "pin": PIN}]},
        headers={**shop.headers("cashier"), "Idempotency-Key": f"co-{card}-{amount}"})
    assert answer.status_code == 201, answer.json
    return answer.json


def ledger_totals(client, shop, cards) -> dict:
    totals = dict.fromkeys(ASSETS, 0)
    for card in cards:
        balances = card_balances(client, shop, card)
        for column, asset in ASSETS.items():
            totals[column] += balances.get(asset, 0)
    return totals


@pytest.fixture
def history(client, hk, monkeypatch):
    """Three cards over three days; returns (shop, every card number, the replaced card)."""
    clock = freeze(monkeypatch, "2026-11-01 10:00")
    shop = shop_with(hk, {"allow_withdrawal": True})
    first, second, third = (new_card(client, shop) for _ in range(3))
    recharge(client, shop, first, 100000)  # + 10000 bonus
    recharge(client, shop, second, 300000, method="external", channel="wechat")  # gold from 2000 yuan
    recharge(client, shop, third, 50000, method="cheque", reference="CHQ-9")  # pending until it clears
    clock.at("2026-11-02 11:00")
    checkout(client, shop, first, [30000], 30000)
    sale = checkout(client, shop, second, [20000, 15000], 31500)  # gold: 9折
    returned = post(client, shop, f"/checkouts/{sale['checkout_id']}/returns",
                    {"lines": [{"line_no": 2, "quantity": 1}]}, role="manager")
    assert returned.status_code == 201, returned.json  # part of the stored value goes back
    withdrawn = post(client, shop, f"/cards/{first}/withdraw",
                     {"amount_fen": 33333, "pin": PIN, "payment": {"method": "cash"}})
    assert withdrawn.status_code == 201, withdrawn.json
    clock.at("2026-11-03 09:00")
    replaced = post(client, shop, f"/cards/{first}/replace", {"new_number": "SVNEW001"}, role="manager")
    assert replaced.status_code == 201, replaced.json
    checkout(client, shop, "SVNEW001", [1000], 1000)
    assert_ledger_sound(hk, shop)
    return shop, [first, "SVNEW001", second, third], first


def test_stored_value_liability_equals_the_ledger_by_tier_and_store_and_by_card(client, history):
    shop, cards, old = history
    expected = ledger_totals(client, shop, cards)
    assert card_balances(client, shop, old) == {"stored_value_principal": 0, "stored_value_bonus": 0}
    assert expected["pending_fen"] == 50000 and expected["bonus_fen"] > 0
    body = report_json(client, shop.headers(), "stored_value_liability")
    totals = body["totals"]
    assert {key: totals[key] for key in ASSETS} == expected
    assert totals["total_fen"] == expected["principal_fen"] + expected["bonus_fen"]
    by_tier = {row["tier"]: row for row in body["rows"]}
    assert set(by_tier) == {"regular", "gold"}
    assert by_tier["gold"]["principal_fen"] == card_balances(client, shop, cards[2])["stored_value_principal"]
    assert all(row["store_name"] for row in body["rows"])  # the issuing store
    per_card = report_json(client, shop.headers(), "stored_value_liability", by="card")
    assert {row["card_number"] for row in per_card["rows"]} == {"SVNEW001", cards[2], cards[3]}
    assert per_card["totals"] == totals  # the old card holds nothing: not counted twice
    store = shop.store_ids[0]
    assert report_json(client, shop.headers(), "stored_value_liability", store=store)["totals"] == totals


def test_stored_value_detail_lists_every_movement_and_nets_to_the_liability(client, history):
    shop, cards, old = history
    body = report_json(client, shop.headers(), "stored_value_detail", **PERIOD)
    expected = ledger_totals(client, shop, cards)
    assert {key: body["totals"][key] for key in ASSETS} == expected  # all of it moved in the period
    rows = body["rows"]
    assert [row["kind"] for row in rows] == ["recharge", "recharge", "recharge", "payment", "payment",
                                             "refund_to_card", "withdrawal", "moved", "moved", "payment"]
    recharged = rows[0]
    assert (recharged["principal_fen"], recharged["bonus_fen"]) == (100000, 10000)
    assert rows[2]["pending_fen"] == 50000 and rows[2]["principal_fen"] == 0
    moved = [row for row in rows if row["kind"] == "moved"]
    assert {row["card_number"] for row in moved} == {old, "SVNEW001"}
    assert sum(row["total_fen"] for row in moved) == 0
    assert all(row["staff_name"] and row["store_name"] for row in rows)
    one_day = report_json(client, shop.headers(), "stored_value_detail", **{"from": "2026-11-03", "to": "2026-11-03"})
    assert [row["kind"] for row in one_day["rows"]] == ["moved", "moved", "payment"]
    assert {row["day"] for row in one_day["rows"]} == {"2026-11-03"}  # the local day, as the API's dates
    assert one_day["rows"][-1]["time"] == "2026-11-03 09:00:00"


def test_stored_value_reports_as_excel_and_csv_match_the_json(client, history):
    shop = history[0]
    body = report_json(client, shop.headers(), "stored_value_liability")
    titles, rows = report_xlsx(client, shop.headers(), "stored_value_liability")
    assert "本金" in titles and "赠送" in titles
    assert rows[-1]["等级代码"] == "合计"
    assert rows[-1]["本金"] == pytest.approx(body["totals"]["principal_fen"] / 100)
    assert rows[-1]["赠送"] == pytest.approx(body["totals"]["bonus_fen"] / 100)
    titles, rows = report_csv(client, shop.headers(), "stored_value_detail", **PERIOD)
    principal = sum(int(row["本金"].replace(".", "")) for row in rows)
    assert principal == report_json(client, shop.headers(), "stored_value_detail", **PERIOD)["totals"]["principal_fen"]


def test_each_store_sees_the_cards_it_issued_and_the_stores_add_up_to_the_ledger(client, hk):
    shop = shop_with(hk)
    with hk.db.write() as session:
        store = tenancy.create_store(session, shop.id, code="east", name="东店")
        manager = tenancy.create_staff(session, shop.id, username="east-manager", password="password-123",
                                       role="manager", store_id=store.id)
        east_headers = {"Authorization": f"Bearer {tenancy.issue_token(session, manager)}"}
        east = store.id
    home_card = new_card(client, shop)
    recharge(client, shop, home_card, 100000)
    member = client.post("/api/v1/members", json={"name": "东店会员", "phone": "13911112222"}, headers=east_headers)
    east_card = client.post("/api/v1/cards", json={"member_id": member.json["id"], "pin": PIN},
                            headers=east_headers).json["number"]
    answer = client.post(f"/api/v1/cards/{east_card}/recharge",
                         json={"amount_fen": 50000, "payment": {"method": "cash"}},
                         headers={**east_headers, "Idempotency-Key": "east-recharge"})
    assert answer.status_code == 201, answer.json
    everything = report_json(client, shop.headers(), "stored_value_liability")["totals"]
    assert {key: everything[key] for key in ASSETS} == ledger_totals(client, shop, [home_card, east_card])
    home = report_json(client, shop.headers("manager"), "stored_value_liability")["totals"]
    theirs = report_json(client, east_headers, "stored_value_liability")["totals"]
    assert home["principal_fen"] == 100000 and theirs["principal_fen"] == 50000
    assert {key: home[key] + theirs[key] for key in home} == everything
    assert report_json(client, shop.headers(), "stored_value_liability", store=east)["totals"] == theirs
    refused = client.get(f"/api/v1/reports/stored_value_liability?store={shop.store_ids[0]}", headers=east_headers)
    assert refused.status_code == 403
    detail = report_json(client, east_headers, "stored_value_detail")
    assert [(row["kind"], row["store_name"]) for row in detail["rows"]] == [("recharge", "东店")]
