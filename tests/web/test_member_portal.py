"""Member self-service (/m): QR code, self-registration, SMS-code login through the outbox,
rate limits on codes and guesses, and a member seeing only their own data (M3, M4)."""
from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.clock import now_utc
from core.messaging import MAX_ATTEMPTS, MessageSender, OutboxSender
from core.models import LoginCode, Member, Merchant, OutboxMessage
from tests.support.factories import basic_document, make_merchant


def document(plugins=()) -> dict:
    doc = basic_document(plugins=[{"id": p, "settings": {}} for p in plugins])
    doc["fields"].append({"key": "referrer", "type": "text", "required": True, "max_length": 20,
                          "label": {"zh-CN": "推荐人", "en": "Referred by"}})
    return doc


@pytest.fixture
def shop(hk):
    plugins = [p for p in ("points", "stored_value") if p in hk.plugins.plugins]
    return make_merchant(hk, f"会员店-{uuid.uuid4().hex[:6]}", document(plugins))


def csrf(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def member_with_card(client, shop, phone: str, name: str = "李娜") -> tuple[int, str]:
    member = client.post("/api/v1/members", json={"name": name, "phone": phone,
                                                  "extra": {"referrer": "店长"}}, headers=shop.headers())
    assert member.status_code == 201, member.json
    card = client.post("/api/v1/cards", json={"member_id": member.json["id"], "pin": "482916"},
                       headers=shop.headers())
    assert card.status_code == 201, card.json
    return member.json["id"], card.json["number"]


def outbox_codes(hk, merchant_id: int, phone: str) -> list[str]:
    with hk.db.read() as session:
        name = session.get(Merchant, merchant_id).name  # may hold digits itself
        bodies = session.scalars(select(OutboxMessage.body).where(
            OutboxMessage.merchant_id == merchant_id, OutboxMessage.recipient == phone)
            .order_by(OutboxMessage.id)).all()
    return [re.search(r"(?<!\d)(\d{6})(?!\d)", body.replace(name, "")).group(1) for body in bodies]


def ask_code(client, shop, phone: str):
    return client.post(f"/m/{shop.id}/login/code",
                       data={"phone": phone, "csrf_token": csrf(client, f"/m/{shop.id}/login")})


def sign_in(client, hk, shop, phone: str):
    assert ask_code(client, shop, phone).status_code == 303
    code = outbox_codes(hk, shop.id, phone)[-1]
    return client.post(f"/m/{shop.id}/login", data={"code": code, "phone": phone,
                                                    "csrf_token": csrf(client, f"/m/{shop.id}/login")})


def test_registration_qr_code_is_an_svg_per_merchant(client, shop, hk):
    response = client.get(f"/m/{shop.id}/qr.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    svg = response.get_data(as_text=True)
    assert "<svg" in svg and f"/m/{shop.id}/register" in svg  # the URL it encodes, as its title
    assert client.get("/m/999999/qr.svg").status_code == 404


def test_self_registration_uses_the_published_fields(client, shop, hk):
    client.get("/lang/en")
    url = f"/m/{shop.id}/register"
    page = client.get(url).get_data(as_text=True)
    assert "Referred by" in page and 'name="extra__referrer"' in page
    data = {"name": "周杰", "phone": "13500000001", "csrf_token": csrf(client, url)}
    refused = client.post(url, data=data)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert 'value="周杰"' in text and 'value="13500000001"' in text and "This field is required." in text
    done = client.post(url, data={**data, "extra__referrer": "王店长"})
    assert done.status_code == 303 and done.headers["Location"].endswith("/login?phone=13500000001")
    with hk.db.read() as session:
        member = session.scalar(select(Member).where(Member.merchant_id == shop.id,
                                                     Member.phone == "13500000001"))
        assert member.channel == "online" and member.extra == {"referrer": "王店长"}
    again = client.post(url, data={**data, "extra__referrer": "x"})
    assert again.status_code == 409 and "already registered" in again.get_data(as_text=True)


def test_sms_login_code_goes_through_the_outbox_and_is_stored_hashed(client, shop, hk):
    client.get("/lang/en")
    member_id, number = member_with_card(client, shop, "13500000002")
    # An unknown number gets the same answer as a member's, and nothing is sent.
    assert ask_code(client, shop, "13599999999").status_code == 303
    assert outbox_codes(hk, shop.id, "13599999999") == []
    response = ask_code(client, shop, "13500000002")
    assert response.status_code == 303
    page = client.get(f"/m/{shop.id}/login").get_data(as_text=True)
    assert "a code is on its way" in page and 'name="code"' in page
    codes = outbox_codes(hk, shop.id, "13500000002")
    assert len(codes) == 1
    with hk.db.read() as session:
        stored = session.scalars(select(LoginCode).where(LoginCode.phone == "13500000002")).all()
        assert len(stored) == 1 and codes[0] not in stored[0].code_hash and stored[0].attempts == 0
        assert stored[0].expires_at - stored[0].created_at == timedelta(minutes=10)

    signed_in = client.post(f"/m/{shop.id}/login", data={
        "code": codes[0], "csrf_token": csrf(client, f"/m/{shop.id}/login")})
    assert signed_in.status_code == 303 and signed_in.headers["Location"] == f"/m/{shop.id}/me"
    me = client.get(f"/m/{shop.id}/me").get_data(as_text=True)
    assert "李娜" in me and number[-4:] in me
    # The code is used up; the staff pages are not opened by a member session.
    assert client.get("/cashier/").status_code == 302
    with hk.db.read() as session:
        assert session.scalar(select(LoginCode.consumed_at).where(LoginCode.phone == "13500000002"))


def test_wrong_codes_are_limited_and_so_are_new_codes(client, shop, hk):
    client.get("/lang/en")
    member_with_card(client, shop, "13500000003")
    ask_code(client, shop, "13500000003")
    right = outbox_codes(hk, shop.id, "13500000003")[-1]
    wrong = "000000" if right != "000000" else "111111"
    url = f"/m/{shop.id}/login"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        response = client.post(url, data={"code": wrong, "csrf_token": csrf(client, url)})
        assert response.status_code == (401 if attempt < MAX_ATTEMPTS else 429)
    assert "no longer works" in response.get_data(as_text=True)
    # Even the right code is refused now: the guesses used the code up.
    refused = client.post(url, data={"code": right, "csrf_token": csrf(client, url)})
    assert refused.status_code == 401 and client.get(f"/m/{shop.id}/me").status_code == 302
    with hk.db.read() as session:
        row = session.scalar(select(LoginCode).where(LoginCode.phone == "13500000003"))
        assert row.attempts == MAX_ATTEMPTS and row.invalidated_at is not None

    # New codes are throttled (webui/throttle.py; tests/web/test_throttle.py has each limit).
    for _ in range(4):
        assert ask_code(client, shop, "13500000003").status_code == 303
    limited = ask_code(client, shop, "13500000003")
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    assert "Too many codes were asked for" in limited.get_data(as_text=True)
    assert len(outbox_codes(hk, shop.id, "13500000003")) == 5
    # Only the newest code works.
    codes = outbox_codes(hk, shop.id, "13500000003")
    old = client.post(url, data={"code": codes[-2], "csrf_token": csrf(client, url)})
    assert old.status_code == 401
    assert client.post(url, data={"code": codes[-1], "csrf_token": csrf(client, url)}).status_code == 303


def test_an_expired_code_is_refused(client, shop, hk, monkeypatch):
    member_with_card(client, shop, "13500000004")
    ask_code(client, shop, "13500000004")
    code = outbox_codes(hk, shop.id, "13500000004")[-1]
    later = now_utc() + timedelta(minutes=11)
    monkeypatch.setattr("webui.member.views.now_utc", lambda: later)
    url = f"/m/{shop.id}/login"
    assert client.post(url, data={"code": code, "csrf_token": csrf(client, url)}).status_code == 401


def test_a_member_sees_only_their_own_cards(client, shop, hk):
    client.get("/lang/en")
    _mine_id, mine = member_with_card(client, shop, "13500000005", name="甲会员")
    _theirs_id, theirs = member_with_card(client, shop, "13500000006", name="乙会员")
    other_shop = make_merchant(hk, f"别家-{uuid.uuid4().hex[:6]}", document())
    if "stored_value" in hk.plugins.plugins and "rechargeStoredValue" in hk.handlers:
        response = client.post(f"/api/v1/cards/{mine}/recharge",
                               json={"amount_fen": 100000, "payment": {"method": "cash"}},
                               headers={**shop.headers(), "Idempotency-Key": uuid.uuid4().hex})
        assert response.status_code == 201
    checkout = client.post("/api/v1/checkout", json={
        "card_number": mine, "lines": [{"sku": "TEA", "unit_price_fen": 20000}],
        "payments": [{"method": "cash", "amount_fen": 19000}]},
        headers={**shop.headers("cashier"), "Idempotency-Key": uuid.uuid4().hex})
    assert checkout.status_code == 201, checkout.json

    assert sign_in(client, hk, shop, "13500000005").status_code == 303
    me = client.get(f"/m/{shop.id}/me").get_data(as_text=True)
    assert "甲会员" in me and mine[-4:] in me and "乙会员" not in me and theirs[-4:] not in me
    assert "Purchase" in me
    if "points" in hk.plugins.plugins:
        assert 'class="points"' in me  # 190 yuan paid (9.5折) -> 19 points
        assert "<strong>19</strong>" in me
    if "stored_value" in hk.plugins.plugins and "rechargeStoredValue" in hk.handlers:
        assert "¥1,100.00" in me and "principal ¥1,000.00 + bonus ¥100.00" in me

    assert client.get(f"/m/{shop.id}/cards/{mine}/history").status_code == 200
    assert client.get(f"/m/{shop.id}/cards/{theirs}/history").status_code == 404
    # The session belongs to one merchant: another merchant's pages ask for a sign-in.
    response = client.get(f"/m/{other_shop.id}/me")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/m/{other_shop.id}/login")
    client.post(f"/m/{shop.id}/logout", data={"csrf_token": csrf(client, f"/m/{shop.id}/me")})
    assert client.get(f"/m/{shop.id}/me").status_code == 302


def test_the_sender_is_pluggable(client, shop, hk, app):
    sent = []

    class Recorder:
        def send(self, session, merchant_id, phone, text):
            sent.append((merchant_id, phone, text))

    assert isinstance(Recorder(), MessageSender) and isinstance(OutboxSender(), MessageSender)
    app.config["HUIKA_MESSAGE_SENDER"] = Recorder()
    member_with_card(client, shop, "13500000007")
    assert ask_code(client, shop, "13500000007").status_code == 303
    assert len(sent) == 1 and sent[0][:2] == (shop.id, "13500000007") and re.search(r"\d{6}", sent[0][2])
    assert outbox_codes(hk, shop.id, "13500000007") == []
