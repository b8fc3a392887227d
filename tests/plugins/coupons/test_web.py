"""The coupon screens at the till (generic screen renderer): a manager creates a campaign from
the navigation, and issues its coupons to the member on screen; the member's coupons then
show in the card's list."""
from __future__ import annotations

import re

from tests.web.test_cashier import sign_in


def _key(page: str) -> str:
    return re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1)


def test_a_manager_creates_a_campaign_and_issues_it_on_screen(shop):
    client = shop.client
    csrf = sign_in(client, shop.merchant, "manager")
    url = "/cashier/screens/new_coupon_template"
    form = client.get(url).get_data(as_text=True)
    assert 'name="value_fen"' in form
    bad = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(form), "name": "满100减20",
                                 "kind": "threshold", "value_fen": "20", "min_spend_fen": "10",
                                 "valid_days": "7"})
    assert bad.status_code == 422, bad.get_data(as_text=True)
    form = client.get(url).get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(form), "name": "满100减20",
                                  "kind": "threshold", "value_fen": "20", "min_spend_fen": "100",
                                  "valid_days": "7", "per_member_limit": "1"})
    assert done.status_code == 201, done.get_data(as_text=True)
    [template] = shop.get("/coupon-templates").json["templates"]
    assert template["terms"] == "满100减20" and template["min_spend_fen"] == 10000

    member = shop.member()
    card = shop.card(member_id=member)
    issue_url = f"/cashier/members/{member}/screens/issue_coupon?card={card}"
    assert f"screens/issue_coupon?card={card}" in client.get(f"/cashier/members/{member}").get_data(as_text=True)
    form = client.get(issue_url).get_data(as_text=True)
    issued = client.post(issue_url, data={"csrf_token": csrf, "idempotency_key": _key(form),
                                          "template_id": str(template["id"]), "quantity": "1"})
    assert issued.status_code == 201, issued.get_data(as_text=True)
    [coupon] = shop.card_coupons(card)
    assert coupon["code"] in issued.get_data(as_text=True)
    form = client.get(issue_url).get_data(as_text=True)
    over = client.post(issue_url, data={"csrf_token": csrf, "idempotency_key": _key(form),
                                        "template_id": str(template["id"]), "quantity": "1"})
    assert over.status_code == 409  # one per member


def test_the_receipt_page_shows_the_coupon_on_its_line(shop):
    from .conftest import line

    card = shop.card()
    code = shop.coupon(shop.template(value_fen=600), card)
    receipt = shop.bought([line(2000, "TEA"), line(1000, "CAKE")], card, [code])
    sign_in(shop.client, shop.merchant, "cashier")
    page = shop.client.get(f"/cashier/receipts/{receipt['checkout_id']}").get_data(as_text=True)
    assert f"incl. coupon {code} -4.00" in page and f"incl. coupon {code} -2.00" in page
    assert "24.00" in page  # the total after the coupon
