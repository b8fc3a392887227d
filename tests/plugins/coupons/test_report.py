"""The coupon report reconciles with the checkouts: its discount is the sum of the coupon
adjustments on the receipts, and returns that gave a coupon back show on the return's day."""
from __future__ import annotations

from .conftest import line


def _report(shop, start="2026-03-01", end="2026-03-31", **params):
    query = "&".join(f"{k}={v}" for k, v in {"from": start, "to": end, **params}.items())
    response = shop.get(f"/reports/coupons?{query}")
    assert response.status_code == 200, response.json
    return response.json


def test_the_coupon_report_adds_up_to_the_receipts(shop, clock):
    cash = shop.template(name="代金20", value_fen=2000)
    rate = shop.template(name="9折", kind="discount", discount_permille=900, value_fen=None)
    gold, plain = shop.card(tier="gold"), shop.card()
    receipts = [shop.bought([line(12345), line(999, "B", quantity=3)], gold, [shop.coupon(cash, gold)]),
                shop.bought([line(8000)], plain, [shop.coupon(rate, plain)]),
                shop.bought([line(3000)], plain, [shop.coupon(cash, plain), shop.coupon(rate, plain)])]
    shop.coupon(rate, plain)  # issued, never used
    voided = shop.coupon(cash, plain)
    shop.post(f"/coupons/{voided}/void", {})
    short = shop.template(name="一天券", valid_days=1)
    shop.coupon(short, plain)
    clock.at("2026-03-12 10:00")
    shop.return_lines(receipts[1]["checkout_id"], [{"line_no": 1, "quantity": 1}])  # gives 9折 back

    rows = {row["template"]: row for row in _report(shop)["rows"]}
    on_receipts = {}
    for receipt in receipts:
        stored = shop.get(f"/checkouts/{receipt['checkout_id']}").json
        for adjustment in stored["adjustments"]:
            on_receipts[adjustment["name"]] = on_receipts.get(adjustment["name"], 0) + adjustment["discount_fen"]
            assert adjustment["discount_fen"] == sum(
                a["fen"] for ln in stored["lines"] for a in ln.get("adjustments", [])
                if a["code"] == adjustment["code"])
    assert {name: rows[name]["discount_fen"] for name in on_receipts} == on_receipts
    assert rows["代金20"]["issued"] == 3 and rows["代金20"]["redeemed"] == 2
    assert rows["代金20"]["voided"] == 1
    assert rows["9折"] == {**rows["9折"], "issued": 3, "redeemed": 2, "reversed": 1,
                           "reversed_discount_fen": 800, "usable_now": 2}
    assert rows["9折"]["net_discount_fen"] == rows["9折"]["discount_fen"] - 800
    assert rows["一天券"]["expired"] == 1 and rows["一天券"]["usable_now"] == 0
    # the return's day only
    day = {row["template"]: row for row in _report(shop, "2026-03-12", "2026-03-12")["rows"]}
    assert day["9折"]["reversed"] == 1 and day["9折"]["redeemed"] == 0
    excel = shop.client.get("/api/v1/reports/coupons?from=2026-03-01&to=2026-03-31&format=xlsx",
                            headers=shop.headers())
    assert excel.status_code == 200 and excel.data[:2] == b"PK"
    shop.verify()
