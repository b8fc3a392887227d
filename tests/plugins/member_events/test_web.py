"""Member events on the pages (E1): the member portal's list, sign-up and cancel; the till's
报名活动 action from the member strip and the 活动签到 screen; Chinese, both databases."""
from __future__ import annotations

import re

from tests.web.test_cashier import token


def page_csrf(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def as_member(client, shop, card):
    member_id = shop.get(f"/cards/{card}").json["member_id"]
    with client.session_transaction() as session:
        session["member_portal"] = {"member_id": member_id, "merchant_id": shop.id}
    client.get("/lang/zh_CN")
    return member_id


def test_the_member_signs_up_and_cancels_in_the_portal(client, shop):
    event = shop.event(title="插花沙龙", capacity=1, description="带走一束花")
    gold_only = shop.event(title="金卡品鉴会", tiers=["gold"])
    taker = shop.card()
    as_member(client, shop, taker)
    me = client.get(f"/m/{shop.id}/me").get_data(as_text=True)
    assert f"/m/{shop.id}/events" in me
    page = client.get(f"/m/{shop.id}/events").get_data(as_text=True)
    assert "插花沙龙" in page and "带走一束花" in page and "金卡品鉴会" not in page
    assert "可报名的活动" in page and "剩余 1 个名额" in page
    csrf = page_csrf(client, f"/m/{shop.id}/events")
    signed = client.post(f"/m/{shop.id}/events/{event['id']}/sign-up", data={"csrf_token": csrf},
                         follow_redirects=True)
    text = signed.get_data(as_text=True)
    assert "您已报名插花沙龙" in text and "取消报名" in text, text
    assert shop.read(event)["taken"] == 1
    again = client.post(f"/m/{shop.id}/events/{event['id']}/sign-up", data={"csrf_token": csrf},
                        follow_redirects=True).get_data(as_text=True)
    assert "已报名" in again and shop.read(event)["taken"] == 1
    refused = client.post(f"/m/{shop.id}/events/{gold_only['id']}/sign-up", data={"csrf_token": csrf},
                          follow_redirects=True).get_data(as_text=True)
    assert "其他等级" in refused
    stale = client.post(f"/m/{shop.id}/events/{event['id']}/cancel", data={})  # no CSRF token
    assert stale.status_code == 400 and shop.read(event)["taken"] == 1
    cancelled = client.post(f"/m/{shop.id}/events/{event['id']}/cancel", data={"csrf_token": csrf},
                            follow_redirects=True).get_data(as_text=True)
    assert "已取消" in cancelled and shop.read(event)["taken"] == 0
    # Another member fills the seat: the first one now sees it full.
    shop.signed(event, shop.card())
    full = client.get(f"/m/{shop.id}/events").get_data(as_text=True)
    assert "已满" in full


def test_the_portal_hides_events_of_other_merchants_and_without_the_plugin(client, hk, shop):
    from tests.support.factories import basic_document, make_merchant

    other = make_merchant(hk, "无活动店", basic_document())
    event = shop.event()
    card = shop.card()
    as_member(client, shop, card)
    csrf = page_csrf(client, f"/m/{shop.id}/events")
    with client.session_transaction() as session:
        session["member_portal"] = {"member_id": session["member_portal"]["member_id"], "merchant_id": other.id}
    assert client.get(f"/m/{other.id}/events").status_code in (302, 404)
    as_member(client, shop, card)
    response = client.post(f"/m/{shop.id}/events/999999/sign-up", data={"csrf_token": csrf},
                           follow_redirects=True)
    assert response.status_code == 200 and shop.read(event)["taken"] == 0


def sign_in_cashier(client, shop) -> None:
    client.get("/lang/zh_CN")
    response = client.post("/login", data={"merchant": shop.merchant.name, "username": "cashier",
                                           "password": "password-123", "csrf_token": token(client)})
    assert response.status_code == 302


def test_the_till_signs_up_from_the_strip_and_checks_in(client, shop, clock):
    event = shop.event(title="新品发布会")
    card = shop.card(name="周敏")
    sign_in_cashier(client, shop)
    strip = client.get(f"/cashier/till/cards/{card}").json["card"]
    action = next(s for s in strip["screens"] if s["title"] == "报名活动")
    form = client.get(action["url"]).get_data(as_text=True)
    assert "活动编号" in form
    key = re.search(r'name="idempotency_key"[^>]*?value="([^"]+)"', form)
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', form).group(1)}
    if key:
        data["idempotency_key"] = key.group(1)
    done = client.post(action["url"], data=data)  # no number: the one open event
    assert done.status_code == 201, done.get_data(as_text=True)
    assert "新品发布会" in done.get_data(as_text=True)
    assert shop.read(event)["taken"] == 1
    shown = done.get_data(as_text=True)  # in words, not the API's keys and codes (review)
    assert "报名方式" in shown and "收银台" in shown and "报名时间" in shown
    assert not re.search(r"event_title|registered_at|cancelled_at|>till<|>registered<|T\d\d:\d\d:\d\d", shown)
    full_again = client.post(action["url"], data=data)
    assert full_again.status_code == 409 and "已报名" in full_again.get_data(as_text=True)
    strip = client.get(f"/cashier/till/cards/{card}").json["card"]
    assert any("新品发布会" in fact["text"] and fact["title"] == "会员活动" for fact in strip["facts"]), strip["facts"]

    clock.at("2026-03-14 13:50")
    till = client.get("/cashier/till").get_data(as_text=True)
    assert "活动签到" in till
    url = "/cashier/screens/event_check_in"
    form = client.get(url).get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', form).group(1), "who": "周敏"}
    key = re.search(r'name="idempotency_key"[^>]*?value="([^"]+)"', form)
    if key:
        data["idempotency_key"] = key.group(1)
    checked = client.post(url, data=data)
    assert checked.status_code == 201, checked.get_data(as_text=True)
    shown = checked.get_data(as_text=True)
    assert "签到时间" in shown and "2026-03-14 13:50" in shown and "checked_in_at" not in shown
    twice = client.post(url, data=data)
    assert twice.status_code == 409 and "已签到" in twice.get_data(as_text=True)


def test_an_owner_creates_an_event_on_the_new_event_screen(client, shop):
    client.get("/lang/zh_CN")
    response = client.post("/login", data={"merchant": shop.merchant.name, "username": "owner",
                                           "password": "password-123", "csrf_token": token(client)})
    assert response.status_code == 302
    url = "/cashier/screens/new_event"
    form = client.get(url).get_data(as_text=True)
    assert "新建会员活动" in form and "开始时间" in form
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', form).group(1),
            "title": "茶艺沙龙", "place": "二楼", "starts_at": "2026-03-21 14:00", "ends_at": "2026-03-21 13:00",
            "capacity": "12", "waitlist": "true"}
    refused = client.post(url, data=data)
    assert refused.status_code == 422 and "茶艺沙龙" in refused.get_data(as_text=True)
    assert shop.get("/events").json["events"] == []
    created = client.post(url, data={**data, "ends_at": "2026-03-21 16:00"})
    assert created.status_code == 201, created.get_data(as_text=True)
    shown = created.get_data(as_text=True)
    assert "活动名称" in shown and "2026-03-21 14:00" in shown and "剩余名额" in shown
    assert not re.search(r"signup_closes_at|seats_left|starts_at", shown)
    [event] = shop.get("/events").json["events"]
    assert (event["title"], event["starts_at"], event["capacity"], event["waitlist"]) == (
        "茶艺沙龙", "2026-03-21T14:00:00+08:00", 12, True)


def test_the_door_list_checks_members_in_with_one_tap(client, shop, clock):
    event = shop.event(title="品鉴会", capacity=1, waitlist=True)
    seat = shop.signed(event, shop.card(name="吴昊"))
    shop.signed(event, shop.card(name="郑爽"))  # waiting
    sign_in_cashier(client, shop)
    listing = client.get("/cashier/events").get_data(as_text=True)
    assert "品鉴会" in listing and "1 / 1" in listing and "报名中" in listing
    assert 'href="/cashier/events"' in client.get("/cashier/till").get_data(as_text=True)
    page = client.get(f"/cashier/events/{event['id']}").get_data(as_text=True)
    assert "吴昊" in page and "郑爽" in page and "候补" in page and page.count(">签到</button>") == 1
    csrf = re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)
    url = f"/cashier/events/{event['id']}/check-in/{seat['id']}"
    early = client.post(url, data={"csrf_token": csrf}, follow_redirects=True).get_data(as_text=True)
    assert "只能在活动当天" in early
    clock.at("2026-03-14 13:55")
    done = client.post(url, data={"csrf_token": csrf}, follow_redirects=True).get_data(as_text=True)
    assert "吴昊 已签到" in done and "13:55" in done and "已签到 1" in done
    again = client.post(url, data={"csrf_token": csrf}, follow_redirects=True).get_data(as_text=True)
    assert "已签到（13:55）" in again
    assert client.get("/cashier/events/999999").status_code == 404


def test_the_door_list_is_not_there_without_the_plugin(client, hk):
    from tests.support.factories import basic_document, make_merchant

    plain = make_merchant(hk, "没有活动的店", basic_document())

    class Plain:
        merchant = plain

    sign_in_cashier(client, Plain)
    assert client.get("/cashier/events").status_code == 404
    assert 'href="/cashier/events"' not in client.get("/cashier/till").get_data(as_text=True)


def test_the_till_names_the_events_to_choose_from_in_chinese(client, shop):
    """Two events open and no number typed: the form says which numbers to give, in Chinese,
    at the field too (the core's detail "the event number: …" is English)."""
    shop.event(title="插花沙龙")
    shop.event(title="品茶会")
    card = shop.card(name="周敏")
    sign_in_cashier(client, shop)
    strip = client.get(f"/cashier/till/cards/{card}").json["card"]
    action = next(s for s in strip["screens"] if s["title"] == "报名活动")
    form = client.get(action["url"]).get_data(as_text=True)
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', form).group(1)}
    key = re.search(r'name="idempotency_key"[^>]*?value="([^"]+)"', form)
    if key:
        data["idempotency_key"] = key.group(1)
    refused = client.post(action["url"], data=data)
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "插花沙龙" in text and "品茶会" in text
    assert "the event number" not in text and text.count("请填写活动编号") >= 2
