"""abc_distribution and follow_up_log in the report catalogue (issue 12, G1): the rows of the
(deprecated) /cosmetics/reports/… endpoints, after purchases and a return, on both databases;
JSON, Excel and CSV."""
from __future__ import annotations

from tests.support.report_client import report_csv, report_json, report_xlsx

from .conftest import beijing, make_shop

SETTINGS = {"abc_window_days": 90, "class_a_min_spend_fen": 100000, "class_a_min_visits": 2,
            "class_b_min_spend_fen": 30000, "class_b_min_visits": 1}


def test_abc_distribution_and_follow_up_log_match_the_old_endpoints(client, hk, clock):
    shop = make_shop(client, hk, **SETTINGS)
    first, first_card = shop.member_with_card("重点客户")
    second, second_card = shop.member_with_card("退货客户")
    clock.at("2026-02-10 11:00")
    shop.buy(first_card, ("面霜", 800))
    clock.at("2026-02-20 11:00")
    shop.buy(first_card, ("面霜", 400))
    sale = shop.buy(second_card, ("面霜", 500), ("面膜", 100))
    shop.give_back(sale["checkout_id"], line_no=2)  # a partial return lowers the spend
    shop.run("classify_members", beijing("2026-03-01 02:00"))
    clock.at("2026-03-01 12:00")
    logged = shop.post(f"/members/{second}/follow-ups", {"mode": "log", "channel": "phone", "note": "回访"},
                       role="cashier", idempotent=True)
    assert logged.status_code == 201, logged.json

    body = report_json(client, shop.headers(), "abc_distribution")
    old = shop.get("/cosmetics/reports/abc-distribution", role="manager").json["items"]
    assert body["rows"] == old
    assert body["totals"]["spend_fen"] == sum(item["spend_fen"] for item in old) > 0
    titles, rows = report_xlsx(client, shop.headers(), "abc_distribution")
    assert titles[:3] == ["类别", "会员数", "消费金额"] and rows[-1]["类别"] == "合计"

    period = {"from": "2026-03-01", "to": "2026-03-01"}
    log = report_json(client, shop.headers(), "follow_up_log", **period)
    old = shop.get("/cosmetics/reports/follow-up-log", role="manager", **period).json["items"]
    assert [row["id"] for row in log["rows"]] == [str(item["id"]) for item in old] == [str(logged.json["id"])]
    assert log["rows"][0]["member_name"] == "退货客户" and log["rows"][0]["staff_name"] == "cashier"
    titles, rows = report_csv(client, shop.headers(), "follow_up_log", **period)
    assert [row["会员"] for row in rows] == ["退货客户"]
