"""The training reports in the catalogue (issue 12, G1/G3): course_income, deferred_revenue,
session_consumption and package_sales give the rows of the (deprecated) /training/reports/…
endpoints; deferred revenue equals the ledger's course_deferred account after sales, sign-ins, a
partial return, a card replacement and the expiry job, on both databases; JSON, Excel and CSV."""
from __future__ import annotations

import pytest

from tests.support.report_client import report_csv, report_json, report_xlsx

from .conftest import beijing

PERIOD = {"from": "2026-03-01", "to": "2026-04-30"}


@pytest.fixture
def term(school, clock):
    piano = school.course(key="piano", name="钢琴", teacher="wang")
    art = school.course(key="art", name="美术", teacher="li")
    ten = school.plan(piano["id"], sessions=10, price_fen=100000, validity_days=60)
    month = school.plan(art["id"], kind="period", price_fen=30000, validity_days=30)
    card = school.card()
    school.bought(card, ten["id"])
    pair = school.bought(card, ten["id"], quantity=2)
    returned = school.post(f"/checkouts/{pair['checkout_id']}/returns",
                           {"lines": [{"line_no": 1, "quantity": 1}]}, role="manager")
    assert returned.status_code == 201, returned.json  # one of the two back (partial)
    school.bought(card, month["id"])
    assert school.sign_in(card).status_code == 201
    assert school.sign_in(card, teacher="li").status_code == 201
    assert school.sign_in(card, course_key="art").status_code == 201
    replaced = school.post(f"/cards/{card}/replace", {}, role="manager")
    assert replaced.status_code in (200, 201), replaced.json
    new_card = replaced.json["new_card"]["number"]
    clock.at("2026-03-20 10:00")
    assert school.sign_in(new_card).status_code == 201
    school.run("expire_packages", beijing("2026-04-02 00:20"))  # the art month ends
    school.verify()
    return school


def test_deferred_revenue_equals_the_ledger_and_the_old_endpoint(term):
    body = report_json(term.client, term.headers(), "deferred_revenue")
    old = term.get("/training/reports/deferred")
    assert body["totals"]["deferred_fen"] == old["deferred_fen"] == -term.account("course_deferred") > 0
    assert [row["package_id"] for row in body["rows"]] == [str(item["package_id"]) for item in old["items"]]
    assert body["totals"]["paid_fen"] - body["totals"]["recognised_fen"] == body["totals"]["deferred_fen"]
    titles, rows = report_xlsx(term.client, term.headers(), "deferred_revenue")
    assert rows[-1]["课包编号"] == "合计" and rows[-1]["递延收入"] == pytest.approx(body["totals"]["deferred_fen"] / 100)


def test_income_consumption_and_sales_give_the_old_endpoints_rows(term):
    income = report_json(term.client, term.headers(), "course_income", **PERIOD)
    old = term.get("/training/reports/income?from=2026-03-01&to=2026-04-30")
    assert income["rows"] == old["items"]
    assert (income["totals"]["income_fen"], income["totals"]["breakage_fen"]) == (old["income_fen"], old["breakage_fen"])
    assert income["totals"]["income_fen"] == -term.account("course_income")
    assert income["totals"]["breakage_fen"] == -term.account("course_breakage")
    consumption = report_json(term.client, term.headers(), "session_consumption", **PERIOD)
    old = term.get("/training/reports/consumption?from=2026-03-01&to=2026-04-30")
    assert [row["visit_id"] for row in consumption["rows"]] == [str(item["visit_id"]) for item in old["items"]]
    assert consumption["totals"]["revenue_fen"] == old["revenue_fen"]
    assert consumption["totals"]["units"] == sum(item["units"] for item in old["items"])
    sales = report_json(term.client, term.headers(), "package_sales", **PERIOD)
    old = term.get("/training/reports/package-sales?from=2026-03-01&to=2026-04-30")
    assert [(row["package_id"], row["renewal"]) for row in sales["rows"]] == [
        (str(item["package_id"]), "renewal" if item["renewal"] else "new") for item in old["items"]]
    assert sales["totals"]["paid_fen"] == old["paid_fen"]
    assert {row["sold_on"] for row in sales["rows"]} == {"2026-03-02"}
    titles, rows = report_csv(term.client, term.headers(), "course_income", lang="en", **PERIOD)
    assert titles[0] == "Month" and {row["Course key"] for row in rows} == {"piano", "art"}
