"""The staff inbox's pages (issue 14 item 2): the till's 今日回访 panel and /editor/inbox, in
Chinese; 已联系 / 稍后 / 备注 as plain forms (back to the page) and as the till's script sends
them (JSON); bad input is a message that changes nothing; a store's staff see their store.
SQLite and PostgreSQL."""
from __future__ import annotations

import re
import uuid

import pytest

from core import config_versions, members, tenancy
from core.models import Staff
from tests.api.test_inbox import TODAY, task_of
from tests.support.clock import freeze
from tests.support.factories import basic_document, make_merchant


@pytest.fixture
def shop(hk, monkeypatch):
    shop = make_merchant(hk, f"回访页店-{uuid.uuid4().hex[:6]}", basic_document())
    shop.clock = freeze(monkeypatch, f"{TODAY} 10:00")
    with hk.db.write() as session:
        second = tenancy.create_store(session, shop.id, code="s2", name="二店")
        shop.store_ids.append(second.id)
        config = config_versions.published_config(session, shop.id, hk.plugins)
        for index, (name, birthday, store_id) in enumerate([("张阳历", "1990-12-06", shop.store_ids[0]),
                                                             ("王二店", "1985-12-06", second.id)]):
            members.create_member(session, config, shop.id, {"name": name, "phone": f"1370000{index:04d}",
                                                              "birthday": birthday}, store_id=store_id)
        manager = session.get(Staff, shop.staff_ids["manager"])
        manager.store_id = second.id  # the manager runs the second store
    return shop


def signed_in(app, shop, role):
    client = app.test_client()
    client.get("/lang/zh_CN")
    page = client.get("/login").get_data(as_text=True)
    answer = client.post("/login", data={"merchant": shop.name, "username": role, "password": "password-123",
                                         "csrf_token": csrf(page)})
    assert answer.status_code == 302
    return client


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def task_ids(page: str) -> dict[str, int]:
    return {name: int(task_id) for task_id, name in
            re.findall(r'id="task-(\d+)".*?class="inbox-member"[^>]*>([^<]+)</a>', page, re.S)}


def test_the_till_shows_todays_calls_and_works_them_without_leaving(app, client, shop):
    cashier = signed_in(app, shop, "cashier")
    page = cashier.get("/cashier/till").get_data(as_text=True)
    assert "今日回访 (<span id=\"inbox-count\">1</span>)" in page
    assert "生日提醒" in page and "13700000000" in page and "生日 2026-12-06" in page and "今天" in page
    assert "王二店" not in page  # another store's member
    ids = task_ids(page)
    assert list(ids) == ["张阳历"] and 'data-q="13700000000"' in page
    token = csrf(page)
    noted = cashier.post(f"/inbox/tasks/{ids['张阳历']}", data={"csrf_token": token, "action": "note",
                                                              "note": "下午再打"},
                         headers={"Accept": "application/json"})
    assert noted.status_code == 200 and noted.json["task"]["note"] == "下午再打"
    assert noted.json["message"] == "备注已保存。"
    done = cashier.post(f"/inbox/tasks/{ids['张阳历']}", data={"csrf_token": token, "action": "done",
                                                             "next": "/cashier/till"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/cashier/till")
    page = cashier.get("/cashier/till").get_data(as_text=True)
    assert "已标记为已联系。" in page and "今天没有需要回访的会员。" in page
    again = cashier.post(f"/inbox/tasks/{ids['张阳历']}", data={"csrf_token": token, "action": "done"},
                         headers={"Accept": "application/json"})
    assert again.status_code == 409 and again.json["error"]["message"] == "这条回访已经完成，未做任何修改。"
    listed = client.get("/api/v1/inbox?status=done", headers=shop.headers())
    assert [(t["member_name"], t["note"], t["handled_by"]) for t in listed.json["tasks"]] == [
        ("张阳历", "下午再打", shop.staff_ids["cashier"])]


def test_bad_forms_say_why_in_chinese_and_change_nothing(app, client, shop):
    cashier = signed_in(app, shop, "cashier")
    page = cashier.get("/cashier/till").get_data(as_text=True)
    task_id, token = task_ids(page)["张阳历"], csrf(page)
    json_header = {"Accept": "application/json"}
    for data, message in [({"action": "snooze", "until": TODAY}, "请选择今天之后"),
                          ({"action": "snooze"}, "请选择今天之后"),
                          ({"action": "note", "note": "x" * 501}, "最多 500 个字"),
                          ({"action": "call"}, "请选择：已联系、稍后或备注。")]:
        answer = cashier.post(f"/inbox/tasks/{task_id}", data={"csrf_token": token, **data}, headers=json_header)
        assert answer.status_code == 422 and message in answer.json["error"]["message"], (data, answer.json)
    assert cashier.post(f"/inbox/tasks/{task_id}", data={"action": "done"}, headers=json_header).status_code == 400
    unknown = cashier.post("/inbox/tasks/99999999", data={"csrf_token": token, "action": "done"})
    assert unknown.status_code == 302
    assert "您的回访清单中没有这一条。" in cashier.get("/cashier/till").get_data(as_text=True)
    away = cashier.post(f"/inbox/tasks/{task_id}", data={"csrf_token": token, "action": "note", "note": "好",
                                                         "next": "https://evil.example/"})
    assert away.headers["Location"].endswith("/cashier/till")
    task = task_of(client.get("/api/v1/inbox", headers=shop.headers()).json, "张阳历")
    assert (task["status"], task["note"]) == ("open", "好")


def test_the_editor_lists_calls_per_store_for_owners_and_managers(app, shop):
    owner = signed_in(app, shop, "owner")
    assert '今日回访 (2)</a>' in owner.get("/dashboard").get_data(as_text=True)
    page = owner.get("/editor/inbox").get_data(as_text=True)
    assert "回访清单" in page and "全部门店" in page and set(task_ids(page)) == {"张阳历", "王二店"}
    second = shop.store_ids[1]
    assert set(task_ids(owner.get(f"/editor/inbox?store={second}").get_data(as_text=True))) == {"王二店"}
    token = csrf(page)
    later = owner.post(f"/inbox/tasks/{task_ids(page)['王二店']}",
                       data={"csrf_token": token, "action": "snooze", "until": "2026-12-09",
                             "next": "/editor/inbox?status=open"})
    assert later.status_code == 302 and later.headers["Location"].endswith("/editor/inbox?status=open")
    assert set(task_ids(owner.get("/editor/inbox").get_data(as_text=True))) == {"张阳历"}
    snoozed = owner.get("/editor/inbox?status=snoozed").get_data(as_text=True)
    assert set(task_ids(snoozed)) == {"王二店"} and "推迟到 2026-12-09" in snoozed
    bad = owner.get("/editor/inbox?on=2026-02-30&status=x")
    assert bad.status_code == 422 and "日期格式不正确" in bad.get_data(as_text=True)
    manager = signed_in(app, shop, "manager")
    mine = manager.get("/editor/inbox?status=all").get_data(as_text=True)
    assert set(task_ids(mine)) == {"王二店"} and "全部门店" not in mine
    refused = manager.get(f"/editor/inbox?store={shop.store_ids[0]}")
    assert refused.status_code == 403 and "您只能查看本门店的回访清单。" in refused.get_data(as_text=True)
    assert signed_in(app, shop, "cashier").get("/editor/inbox").status_code == 403


def test_facts_read_as_chinese_phrases_with_money_in_yuan(app):
    from webui.inbox.present import fact_phrases

    with app.test_request_context("/?lang=zh_CN"):
        assert fact_phrases({"name": "周", "phone": "1", "card_number": "A1", "balance_fen": 1250,
                             "threshold_fen": 2000}) == ["余额 ¥12.50"]
        assert fact_phrases({"package": "10次洗车", "sessions_left": 2, "reason": "running_low",
                             "expires_on": "2027-01-01", "days_left": 26}) == [
            "10次洗车", "剩余 2 次", "次数快用完", "2027-01-01 到期", "还有 26 天"]
        assert fact_phrases({"voucher": "room_voucher", "room_type": "suite", "value_fen": 30000,
                             "reason": "expiring", "days_left": 0}) == ["面值 ¥300.00", "今天"]
        assert fact_phrases({"birthday": "2004-02-15", "calendar": "lunar", "leap_month": True,
                             "birthday_on": "2026-12-06", "days_left": "x", "points": True}) == [
            "农历生日 闰02-15", "生日 2026-12-06"]


def test_the_owner_ticks_also_message_the_member_on_a_reminder_kind(app, client, shop):
    owner = signed_in(app, shop, "owner")
    page = owner.get("/editor/reminders/birthday").get_data(as_text=True)
    assert "同时给会员发消息" in page and 'name="message"' in page
    saved = owner.post("/editor/reminders/birthday", data={"csrf_token": csrf(page), "enabled": "y",
                                                           "message": "y", "days_before": "0"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    draft = client.get("/api/v1/config/draft", headers=shop.headers()).json["document"]
    assert draft["reminders"]["birthday"] == {"message": True}
