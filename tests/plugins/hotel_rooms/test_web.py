"""The hotel screens at the till (webui/cashier, generic screen renderer), SQLite and PostgreSQL:
the desk opens "redeem a voucher" from the member page, scans a code, and gets the result or
the refusal on the page; managers also get "issue room vouchers"."""
from __future__ import annotations

import re

from tests.web.test_cashier import sign_in


def _key(page: str) -> str:
    return re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page).group(1)


def test_h2_cashier_redeems_a_scanned_voucher_on_the_screen(hotel):
    member = hotel.member()
    card = hotel.card("business", member_id=member)
    [code] = hotel.codes(card)
    client = hotel.client
    csrf = sign_in(client, hotel.merchant, "cashier")
    member_page = client.get(f"/cashier/members/{member}").get_data(as_text=True)
    url = f"/cashier/members/{member}/screens/redeem_room_voucher?card={card}"
    assert f"screens/redeem_room_voucher?card={card}" in member_page
    assert "screens/issue_room_voucher" not in member_page  # managers and owners only
    form = client.get(url).get_data(as_text=True)
    assert "Front desk: redeem a voucher" in form  # the template's arrangement of the screen
    assert 'name="voucher_code"' in form and 'name="stay_date"' in form

    holiday = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(form),
                                     "voucher_code": code, "stay_date": "2026-05-02"})
    assert holiday.status_code == 409
    assert "cannot be used for stays on 2026-05-02" in holiday.get_data(as_text=True)
    assert hotel.vouchers(card, "active") != []

    form = client.get(url).get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(form),
                                  "voucher_code": code, "room_no": "606"})
    assert done.status_code == 201, done.get_data(as_text=True)
    assert "606" in done.get_data(as_text=True) and hotel.vouchers(card, "active") == []
    hotel.verify()


def test_h2_manager_issues_vouchers_on_the_screen(hotel):
    member = hotel.member()
    card = hotel.card("purple_gold", member_id=member)
    client = hotel.client
    csrf = sign_in(client, hotel.merchant, "manager")
    url = f"/cashier/members/{member}/screens/issue_room_voucher?card={card}"
    assert f"screens/issue_room_voucher?card={card}" in client.get(f"/cashier/members/{member}").get_data(as_text=True)
    form = client.get(url).get_data(as_text=True)
    both = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(form), "room_type": "standard",
                                  "face_value_fen": "30000", "quantity": "1", "reason": "campaign"})
    assert both.status_code == 422
    assert "either a room_type" in both.get_data(as_text=True)
    assert len(hotel.vouchers(card)) == 2
    form = client.get(url).get_data(as_text=True)
    done = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(form), "room_type": "standard",
                                  "quantity": "2", "reason": "campaign", "note": "春节活动"})
    assert done.status_code == 201, done.get_data(as_text=True)
    assert sorted(v["room_type"] for v in hotel.vouchers(card)) == ["standard", "standard", "suite", "suite"]


def test_h4_the_wheel_slip_shows_the_voucher_won(hotel):
    """The cashier's lucky-wheel slip prints the won voucher's code and validity (H4, P4)."""
    prize = hotel.post("/points/wheel/prizes", {"name": "豪华套房一晚", "kind": "benefit", "weight": 1,
                                                "benefit": {"kind": "room_voucher", "room_type": "suite"}},
                       idempotent=False)
    assert prize.status_code == 201, prize.json
    member = hotel.member()
    card = hotel.card("business", member_id=member)
    client = hotel.client
    csrf = sign_in(client, hotel.merchant, "cashier")
    wheel = client.get(f"/cashier/cards/{card}/wheel").get_data(as_text=True)
    spun = client.post(f"/cashier/cards/{card}/wheel", data={"csrf_token": csrf, "idempotency_key": _key(wheel)})
    assert spun.status_code == 201, spun.get_data(as_text=True)
    [won] = [v for v in hotel.vouchers(card) if v["reason"] == "benefit"]
    slip = spun.get_data(as_text=True)
    assert won["room_type"] == "suite" and won["code"] in slip and won["expires_on"] in slip
    hotel.verify()


def test_h2_the_desk_prints_a_cards_vouchers_with_their_qr_codes(hotel):
    """The guest needs the QR code to show at the desk: the slips screen prints every usable
    voucher of the card with its QR (segno SVG, embedded as an image, never as live markup)."""
    import base64

    member = hotel.member()
    card = hotel.card("purple_gold", member_id=member)
    codes = hotel.codes(card)
    assert len(codes) == 2
    hotel.redeem(card, codes[0])
    client = hotel.client
    csrf = sign_in(client, hotel.merchant, "cashier")
    url = f"/cashier/members/{member}/screens/room_voucher_slips?card={card}"
    assert f"screens/room_voucher_slips?card={card}" in client.get(f"/cashier/members/{member}").get_data(as_text=True)
    slips = client.post(url, data={"csrf_token": csrf, "idempotency_key": _key(client.get(url).get_data(as_text=True))})
    page = slips.get_data(as_text=True)
    assert slips.status_code == 201, page
    assert codes[1] in page and codes[0] not in page  # the used voucher is not printed again
    images = re.findall(r'<img class="qr" alt="QR" src="data:image/svg\+xml;base64,([^"]+)">', page)
    assert len(images) == 1 and "<svg" in base64.b64decode(images[0]).decode()
    assert "<svg" not in page  # the SVG only as an image
    assert hotel.vouchers(card, "active")[0]["code"] == codes[1]  # printing changed nothing
