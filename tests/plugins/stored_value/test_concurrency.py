"""Concurrent requests on one card (both backends): the S3 cap and the C6 count hold."""
from __future__ import annotations

import threading

from .helpers import WRONG_PIN, assert_ledger_sound, new_card, pay, pin_state, recharge, shop_with, stored


def at_once(app, count, request):
    """Run ``request(client)`` in ``count`` threads released together; their responses."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        client = app.test_client()
        barrier.wait()
        response = request(client)
        results[index] = (response.status_code, response.json)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_s3_concurrent_payments_cannot_both_pass_the_new_card_cap(app, client, hk):
    shop = shop_with(hk)
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)  # cap today: 60000
    results = at_once(app, 4, lambda c: pay(c, shop, card, 40000))
    codes = sorted(status for status, _body in results)
    assert codes == [201, 409, 409, 409], results
    assert {body["error"]["code"] for status, body in results if status == 409} == {"new_card_cap"}
    assert stored(client, shop, card)["total_fen"] == 70000
    assert_ledger_sound(hk, shop)


def test_c6_concurrent_wrong_pins_are_all_counted(app, client, hk):
    shop = shop_with(hk)
    card = new_card(client, shop)
    recharge(client, shop, card, 100000)
    results = at_once(app, 4, lambda c: pay(c, shop, card, 1000, pin=WRONG_PIN))
    assert [status for status, _body in results] == [403] * 4
    assert pin_state(hk, card) == (4, None)
    assert stored(client, shop, card)["total_fen"] == 110000
    assert_ledger_sound(hk, shop)
