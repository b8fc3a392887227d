"""Returns under pressure: concurrent tills, replaced cards, changed rules, odd input (G3, P8, C5)."""
from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import func, select

from core import ledger
from core.clock import now_utc
from core.config_versions import published_config, publish
from core.models import Account, CheckoutLine
from core.returns import return_lines
from tests.plugins.points.conftest import points_document
from tests.plugins.stored_value.helpers import new_card, pay, recharge
from tests.support.factories import basic_document, make_merchant


def key():
    return {"Idempotency-Key": uuid.uuid4().hex}


def one_tier(plugins):
    return basic_document(plugins=plugins, tiers=[
        {"key": "regular", "name": {"zh-CN": "普卡", "en": "Regular"}, "rank": 0, "discount_permille": 1000}])


def cash_checkout(client, shop, lines, payments):
    response = client.post("/api/v1/checkout", json={"lines": lines, "payments": payments},
                           headers={**shop.headers(), **key()})
    assert response.status_code == 201, response.json
    return response.json["checkout_id"]


def test_two_tills_returning_the_same_unit_refund_it_once(hk, client):
    shop = make_merchant(hk, "并发退货", basic_document())
    checkout_id = cash_checkout(client, shop, [{"sku": "A", "unit_price_fen": 1000, "quantity": 3}],
                                [{"method": "cash", "amount_fen": 3000}])
    body = {"lines": [{"line_no": 1, "quantity": 3}]}
    results = {}
    first_inside, release_first = threading.Event(), threading.Event()

    def run(name, hold=False):
        try:
            with hk.db.write() as session:
                config = published_config(session, shop.id, hk.plugins)
                out = return_lines(session, config, shop.id, checkout_id, body, store_id=None,
                                   staff_id=None, now=now_utc())
                if hold:
                    first_inside.set()
                    release_first.wait(10)
            results[name] = out["refund_fen"]
        except Exception as error:  # noqa: BLE001 - the loser's error is the point
            first_inside.set()
            results[name] = getattr(error, "code", repr(error))

    first = threading.Thread(target=run, args=("first", True))
    first.start()
    first_inside.wait(10)
    second = threading.Thread(target=run, args=("second",))
    second.start()
    time.sleep(0.5)  # the second one is now waiting for the lock (or for SQLite's writer)
    release_first.set()
    first.join()
    second.join()
    assert sorted(map(str, results.values())) == ["3000", "already_returned"], results
    with hk.db.read() as session:
        assert ledger.merchant_account(session, shop.id, "cash_drawer", "cny").balance == 0
        assert session.scalar(select(CheckoutLine.returned_quantity)) == 3
        assert ledger.verify(session, shop.id) == []


@pytest.mark.parametrize("with_points", [False, True])
def test_a_return_after_the_card_was_replaced_pays_back_to_the_new_card(hk, client, with_points):
    plugins = [{"id": "stored_value", "settings": {}}]
    if with_points:
        plugins.append({"id": "points", "settings": {}})
    shop = make_merchant(hk, "换卡退货", one_tier(plugins))
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    paid = pay(client, shop, card, 20000)
    assert paid.status_code == 201, paid.json
    replaced = client.post(f"/api/v1/cards/{card}/replace", json={"new_number": "NEW00001"},
                           headers={**shop.headers("manager"), **key()})
    assert replaced.status_code == 201, replaced.json
    back = client.post(f"/api/v1/checkouts/{paid.json['checkout_id']}/returns",
                       json={"lines": [{"line_no": 1, "quantity": 1}]}, headers={**shop.headers(), **key()})
    assert back.status_code == 201, back.json
    balances = client.get("/api/v1/cards/NEW00001/balances", headers=shop.headers()).json["balances"]
    assert balances["stored_value_principal"] == 100000
    if with_points:
        assert balances["points"] == 0  # the 20 points earned are taken back from the new card
    old = client.get(f"/api/v1/cards/{card}/balances", headers=shop.headers()).json["balances"]
    assert all(amount == 0 for amount in old.values())
    with hk.db.read() as session:
        assert ledger.verify(session, shop.id) == []


def test_earnings_are_recomputed_with_the_rules_of_the_checkout(hk, client):
    shop = make_merchant(hk, "改积分", points_document())
    member = client.post("/api/v1/members", json={"name": "李", "phone": "13812345670"}, headers=shop.headers()).json
    number = client.post("/api/v1/cards", json={"member_id": member["id"], "tier": "regular", "kind": "standard"},
                         headers=shop.headers()).json["number"]
    receipt = client.post("/api/v1/checkout", json={
        "card_number": number,
        "lines": [{"sku": "A", "unit_price_fen": 50000}, {"sku": "B", "unit_price_fen": 50000}],
        "payments": [{"method": "cash", "amount_fen": 100000}]}, headers={**shop.headers(), **key()}).json
    assert receipt["balances"]["points"] == 100
    with hk.db.write() as session:  # the owner doubles the rate afterwards
        publish(session, shop.id, hk.plugins, document=points_document(points_per_unit=2))
    back = client.post(f"/api/v1/checkouts/{receipt['checkout_id']}/returns",
                       json={"lines": [{"line_no": 2, "quantity": 1}]}, headers={**shop.headers(), **key()})
    assert back.status_code == 201 and back.json["balances"]["points"] == 50  # as earned: 1 per 10 yuan


@pytest.mark.parametrize("line_no", [[1], {"n": 1}, "1", True, None])
def test_odd_line_numbers_are_refused_not_crashed(hk, client, line_no):
    shop = make_merchant(hk, "退货输入", basic_document())
    checkout_id = cash_checkout(client, shop, [{"sku": "A", "unit_price_fen": 1000}],
                                [{"method": "cash", "amount_fen": 1000}])
    response = client.post(f"/api/v1/checkouts/{checkout_id}/returns",
                           json={"lines": [{"line_no": line_no, "quantity": 1}]}, headers={**shop.headers(), **key()})
    assert response.status_code == 422 and response.json["error"]["details"][0]["pointer"] == "/lines/0/line_no"


def test_the_reported_refund_is_the_money_that_went_back(hk, client):
    shop = make_merchant(hk, "舍入", basic_document())
    checkout_id = cash_checkout(client, shop, [{"sku": "A", "unit_price_fen": 333, "quantity": 3}], [
        {"method": "cash", "amount_fen": 1}, {"method": "external", "channel": "wechat", "amount_fen": 998}])
    refunds = []
    for _ in range(3):
        back = client.post(f"/api/v1/checkouts/{checkout_id}/returns", json={"lines": [{"line_no": 1, "quantity": 1}]},
                           headers={**shop.headers(), **key()})
        with hk.db.read() as session:
            drawer = ledger.merchant_account(session, shop.id, "cash_drawer", "cny").balance
            wechat = ledger.merchant_account(session, shop.id, "external_wechat", "cny").balance
        refunds.append(back.json["refund_fen"])
        assert sum(refunds) == 999 - drawer - wechat  # reported == moved, every time
    assert sum(refunds) == 999


def test_merchant_accounts_are_unique_even_when_created_at_once(hk):
    shop = make_merchant(hk, "重复账户", basic_document())
    first = hk.db._write_sessions()
    first.begin()
    ledger.merchant_account(first, shop.id, "till_x", "cny").id  # asking its id creates the row
    if hk.db.dialect == "sqlite":  # one writer at a time: the second simply finds it
        first.commit()
        first.close()
        with hk.db.write() as session:
            ledger.merchant_account(session, shop.id, "till_x", "cny").id
    else:
        outcome = {}

        def second():
            with hk.db.write() as session:  # blocks on the unique index until `first` commits
                outcome["id"] = ledger.merchant_account(session, shop.id, "till_x", "cny").id

        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.5)
        first.commit()
        first.close()
        thread.join()
    with hk.db.read() as session:
        count = session.scalar(select(func.count()).select_from(Account).where(
            Account.merchant_id == shop.id, Account.purpose == "till_x"))
    assert count == 1
