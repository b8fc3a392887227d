"""The shift pages (交班, issue 13 item 5): a cashier opens a shift with a float in yuan, sells,
counts the drawer and closes; the summary shows expected, counted and the difference in yuan;
a bad amount is a message and changes nothing; owners list every shift with the short ones
marked, a cashier cannot. SQLite and PostgreSQL."""
from __future__ import annotations

import re
import uuid

import pytest

from tests.support.clock import freeze
from tests.support.factories import make_merchant


@pytest.fixture
def shop(hk, monkeypatch):
    shop = make_merchant(hk, f"交班页店-{uuid.uuid4().hex[:6]}")
    shop.clock = freeze(monkeypatch, "2026-03-01 09:00")
    return shop


def signed_in(app, shop, role):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"merchant": shop.name, "username": role, "password": "password-123",
                                "csrf_token": csrf(page)})
    return client


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def post(client, url, data, page_url):
    return client.post(url, data={**data, "csrf_token": csrf(client.get(page_url).get_data(as_text=True))})


def sell_cash(client, shop, fen):
    answer = client.post("/api/v1/checkout", json={"lines": [{"sku": "A", "unit_price_fen": fen}],
                                                   "payments": [{"method": "cash", "amount_fen": fen}]},
                         headers={**shop.headers("cashier"), "Idempotency-Key": uuid.uuid4().hex})
    assert answer.status_code == 201, answer.json


def test_a_cashier_opens_counts_closes_and_prints_in_yuan(app, shop):
    cashier = signed_in(app, shop, "cashier")
    page = cashier.get("/shifts/").get_data(as_text=True)
    assert "开班" in page and "钱箱备用金" in page
    assert post(cashier, "/shifts/open", {"opening_float": "１００"}, "/shifts/").status_code == 302  # full-width
    shop.clock.at("2026-03-01 10:00")
    sell_cash(cashier, shop, 1250)
    page = cashier.get("/shifts/").get_data(as_text=True)
    assert "¥112.50" in page and 'name="counted_cash"' in page  # 100.00 float + 12.50 sold
    bad = post(cashier, "/shifts/1/close", {"counted_cash": "12.345"}, "/shifts/")
    assert bad.status_code == 422 and "最多两位小数" in bad.get_data(as_text=True)
    assert cashier.get("/api/v1/shifts/current", headers=shop.headers("cashier")).json["state"] == "open"
    shop.clock.at("2026-03-01 17:00")
    closed = post(cashier, "/shifts/1/close", {"counted_cash": "110", "note": "找零失误"}, "/shifts/")
    assert closed.status_code == 302 and closed.headers["Location"].endswith("/shifts/1")
    summary = cashier.get("/shifts/1?paper=58").get_data(as_text=True)
    assert "短款 ¥2.50" in summary and "¥110.00" in summary and "¥112.50" in summary
    assert "paper-58" in summary and "找零失误" in summary and "收银员签字" in summary
    again = post(cashier, "/shifts/1/close", {"counted_cash": "112.50"}, "/shifts/1")
    assert again.status_code == 302  # already closed: back to the summary, nothing changed
    assert "短款 ¥2.50" in cashier.get("/shifts/1").get_data(as_text=True)
    noted = post(cashier, "/shifts/1/notes", {"text": "钱箱下找到", "amount": "2.50"}, "/shifts/1")
    assert noted.status_code == 302
    assert "+2.50" in cashier.get("/shifts/1").get_data(as_text=True)
    assert cashier.get("/shifts/all").status_code == 403


def test_owners_list_every_shift_with_the_short_ones_marked(app, shop):
    cashier = signed_in(app, shop, "cashier")
    post(cashier, "/shifts/open", {"opening_float": "50"}, "/shifts/")
    post(cashier, "/shifts/1/close", {"counted_cash": "40"}, "/shifts/")
    manager = signed_in(app, shop, "manager")
    post(manager, "/shifts/open", {"opening_float": ""}, "/shifts/")
    owner = signed_in(app, shop, "owner")
    listing = owner.get("/shifts/all").get_data(as_text=True)
    assert "全部班次" in listing and 'class="is-short"' in listing and "短款 ¥10.00" in listing
    assert 'class="is-open"' in listing
    assert "is-short" not in owner.get("/shifts/all?state=open").get_data(as_text=True)
    assert owner.get("/shifts/all?from=nonsense").status_code == 200  # a message, not an error
    assert "筛选条件无效" in owner.get("/shifts/all?from=nonsense").get_data(as_text=True)
    assert owner.get("/shifts/99").status_code == 404
    other = signed_in(app, shop, "cashier")
    assert other.get("/shifts/2").status_code == 404  # the manager's shift is not the cashier's
