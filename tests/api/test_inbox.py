"""The staff inbox's API (issue 14 item 2): today's call list filled from the reminders once,
however often it is opened or the job runs; done / snooze / note audited and guarded (a done
task stays done, two clicks at once count once); bad input is a JSON error that changes
nothing; staff of a store see their store. SQLite and PostgreSQL."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import func, select

from core import config_versions, members, tenancy
from core.inbox import MEMBER_CARE_JOB
from core.jobs import run_job
from core.models import AuditEntry, CareTask, Staff
from tests.support.clock import beijing, freeze
from tests.support.concurrency import concurrently
from tests.support.factories import basic_document, make_merchant

TODAY = "2026-12-06"  # lunar 十月廿八


@pytest.fixture
def shop(hk, monkeypatch):
    """Members whose birthday is today at store 1 (solar and lunar), at store 2, at no store,
    one not today; a cashier of store 2."""
    shop = make_merchant(hk, f"回访店-{uuid.uuid4().hex[:6]}", basic_document())
    shop.clock = freeze(monkeypatch, f"{TODAY} 09:00")
    with hk.db.write() as session:
        second = tenancy.create_store(session, shop.id, code="s2", name="二店")
        shop.store_ids.append(second.id)
        staff = Staff(merchant_id=shop.id, username="cashier2", display_name="二店收银", role="cashier",
                      password_hash="x", store_id=second.id)
        session.add(staff)
        session.flush()
        shop.tokens["cashier2"] = tenancy.issue_token(session, staff)
        config = config_versions.published_config(session, shop.id, hk.plugins)
        born = [("张阳历", "1990-12-06", "solar", shop.store_ids[0]), ("李农历", "1980-10-28", "lunar", shop.store_ids[0]),
                ("王二店", "1985-12-06", "solar", second.id), ("赵无店", "2000-12-06", "solar", None),
                ("钱明天", "1990-12-07", "solar", shop.store_ids[0])]
        shop.member_ids = {}
        for index, (name, birthday, calendar, store_id) in enumerate(born):
            member = members.create_member(session, config, shop.id, {
                "name": name, "phone": f"1390000{index:04d}", "birthday": birthday,
                "birthday_calendar": calendar}, store_id=store_id)
            shop.member_ids[name] = member.id
    return shop


def inbox(client, shop, query="", role="owner"):
    response = client.get(f"/api/v1/inbox{query}", headers=shop.headers(role))
    assert response.status_code == 200, response.json
    return response.json


def task_of(listed, name):
    return next(task for task in listed["tasks"] if task["member_name"] == name)


def work(client, shop, task_id, body, role="owner"):
    return client.post(f"/api/v1/inbox/{task_id}", json=body, headers=shop.headers(role))


def count_tasks(hk, shop):
    with hk.db.read() as session:
        return session.scalar(select(func.count(CareTask.id)).where(CareTask.merchant_id == shop.id))


def audit_actions(hk, shop):
    with hk.db.read() as session:
        return sorted(session.scalars(select(AuditEntry.action).where(
            AuditEntry.merchant_id == shop.id, AuditEntry.action.startswith("inbox."))))


def test_opening_today_fills_the_call_list_once_and_the_job_adds_nothing(app, hk, client, shop):
    listed = inbox(client, shop)
    assert listed["on"] == TODAY
    assert sorted(t["member_name"] for t in listed["tasks"]) == ["张阳历", "李农历", "王二店", "赵无店"]
    zhang = task_of(listed, "张阳历")
    assert (zhang["kind"], zhang["kind_title"]["zh-CN"], zhang["occasion"], zhang["status"], zhang["phone"]) == (
        "birthday", "生日提醒", f"birthday:{TODAY}", "open", "13900000000")
    assert zhang["facts"]["birthday_on"] == TODAY and zhang["store_id"] == shop.store_ids[0]
    assert task_of(listed, "李农历")["facts"]["calendar"] == "lunar"
    assert task_of(listed, "赵无店")["store_id"] is None
    assert inbox(client, shop)["tasks"] == listed["tasks"] and count_tasks(hk, shop) == 4
    result = run_job(hk.db, hk.plugins, MEMBER_CARE_JOB, shop.clock.now)
    assert result["merchants"][str(shop.id)]["tasks_created"] == 0
    assert result["merchants"][str(shop.id)]["reminders"] == 4
    assert run_job(hk.db, hk.plugins, MEMBER_CARE_JOB, shop.clock.now)["skipped"] == "already ran"
    assert count_tasks(hk, shop) == 4


def test_the_job_fills_the_day_before_anyone_opens_it(hk, client, shop):
    result = run_job(hk.db, hk.plugins, MEMBER_CARE_JOB, shop.clock.now)
    assert result["status"] == "done" and result["merchants"][str(shop.id)]["tasks_created"] == 4
    assert inbox(client, shop)["total"] == 4 and count_tasks(hk, shop) == 4
    shop.clock.at("2026-12-07 08:00")  # the next day: 钱明天's birthday, yesterday's calls carried over
    listed = inbox(client, shop)
    assert listed["on"] == "2026-12-07" and listed["total"] == 5
    assert task_of(listed, "钱明天")["due_on"] == "2026-12-07" and task_of(listed, "张阳历")["due_on"] == TODAY
    shop.clock.at("2026-12-13 08:00")  # a week later yesterday's birthdays are off the list
    assert sorted(t["member_name"] for t in inbox(client, shop)["tasks"]) == ["钱明天"]


def test_done_snooze_and_note_are_audited_and_a_done_task_stays_done(hk, client, shop):
    listed = inbox(client, shop)
    zhang, li = task_of(listed, "张阳历"), task_of(listed, "李农历")
    done = work(client, shop, zhang["id"], {"action": "done", "note": "已祝福，周六来店"})
    assert done.status_code == 200, done.json
    assert (done.json["status"], done.json["note"], done.json["handled_by"]) == (
        "done", "已祝福，周六来店", shop.staff_ids["owner"])
    again = work(client, shop, zhang["id"], {"action": "done"})
    assert again.status_code == 409 and again.json["error"]["code"] == "task_done"
    snooze_done = work(client, shop, zhang["id"], {"action": "snooze", "until": "2026-12-08"})
    assert snooze_done.status_code == 409
    noted = work(client, shop, zhang["id"], {"action": "note", "note": "带了朋友"})
    assert (noted.status_code, noted.json["status"], noted.json["note"]) == (200, "done", "带了朋友")
    later = work(client, shop, li["id"], {"action": "snooze", "until": "2026-12-08"})
    assert (later.status_code, later.json["status"], later.json["due_on"], later.json["snoozed_until"]) == (
        200, "snoozed", "2026-12-08", "2026-12-08")
    assert sorted(t["member_name"] for t in inbox(client, shop)["tasks"]) == ["王二店", "赵无店"]
    assert [t["member_name"] for t in inbox(client, shop, "?status=done")["tasks"]] == ["张阳历"]
    assert [t["member_name"] for t in inbox(client, shop, "?status=snoozed")["tasks"]] == ["李农历"]
    assert inbox(client, shop, "?status=all")["total"] == 4
    assert audit_actions(hk, shop) == ["inbox.done", "inbox.note", "inbox.snooze"]
    shop.clock.at("2026-12-08 09:00")  # the snoozed call is back on its day
    back = task_of(inbox(client, shop), "李农历")
    assert (back["status"], back["due_on"]) == ("snoozed", "2026-12-08")
    assert work(client, shop, back["id"], {"action": "done"}).json["status"] == "done"


def test_two_clicks_at_once_mark_a_task_done_once(app, hk, client, shop):
    task = task_of(inbox(client, shop), "张阳历")
    answers = concurrently(app, [("POST", f"/api/v1/inbox/{task['id']}", {"action": "done"},
                                  shop.headers(role)) for role in ("owner", "manager", "cashier")])
    assert sorted(a.status_code for a in answers) == [200, 409, 409], [a.json for a in answers]
    assert audit_actions(hk, shop) == ["inbox.done"]


@pytest.mark.parametrize("body, pointer", [
    ({"action": "call"}, "/action"),
    ({}, "/action"),
    ({"action": "snooze"}, "/until"),
    ({"action": "snooze", "until": TODAY}, "/until"),
    ({"action": "snooze", "until": "2026-12-05"}, "/until"),
    ({"action": "snooze", "until": "2027-06-01"}, "/until"),
    ({"action": "snooze", "until": "2026-13-01"}, "/until"),
    ({"action": "snooze", "until": 20261208}, "/until"),
    ({"action": "note"}, "/note"),
    ({"action": "note", "note": "   "}, "/note"),
    ({"action": "note", "note": "x" * 501}, "/note"),
    ({"action": "note", "note": "bell\u0007"}, "/note"),
    ({"action": "done", "extra": 1}, ""),
])
def test_a_bad_action_is_a_422_that_changes_nothing(hk, client, shop, body, pointer):
    task = task_of(inbox(client, shop), "张阳历")
    response = work(client, shop, task["id"], body)
    assert response.status_code == 422, response.json
    assert pointer in str(response.json["error"])
    assert task_of(inbox(client, shop), "张阳历") == task and audit_actions(hk, shop) == []


@pytest.mark.parametrize("query", ["?on=2026-12-32", "?on=today", "?status=later", "?store=abc", "?store=0",
                                   "?limit=0", "?limit=501", "?offset=-1", f"?store={2 ** 70}",
                                   "?store=999999"])
def test_bad_filters_are_422(client, shop, query):
    response = client.get(f"/api/v1/inbox{query}", headers=shop.headers())
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "invalid"


def test_unknown_tasks_and_bodies_answer_clearly(client, shop):
    task = task_of(inbox(client, shop), "张阳历")
    for task_id in (999999, 2 ** 63 - 1, 2 ** 70):
        response = work(client, shop, task_id, {"action": "done"})
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found", task_id
    raw = client.post(f"/api/v1/inbox/{task['id']}", data="done", headers={**shop.headers(), "Content-Type": "text/plain"})
    assert raw.status_code == 400
    listed = client.post(f"/api/v1/inbox/{task['id']}", json=["done"], headers=shop.headers())
    assert listed.status_code == 422
    assert client.get("/api/v1/inbox").status_code == 401


def test_staff_of_a_store_see_and_work_their_store_only(client, shop):
    first, second = shop.store_ids
    owner = inbox(client, shop)
    assert sorted(t["member_name"] for t in inbox(client, shop, f"?store={second}")["tasks"]) == ["王二店"]
    mine = inbox(client, shop, role="cashier2")
    assert sorted(t["member_name"] for t in mine["tasks"]) == ["王二店", "赵无店"]  # and no-store members
    assert sorted(t["member_name"] for t in inbox(client, shop, role="manager")["tasks"]) == ["张阳历", "李农历", "赵无店"]
    refused = client.get(f"/api/v1/inbox?store={first}", headers=shop.headers("cashier2"))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    other = work(client, shop, task_of(owner, "张阳历")["id"], {"action": "done"}, role="cashier2")
    assert other.status_code == 404
    assert work(client, shop, task_of(owner, "王二店")["id"], {"action": "done"}, role="cashier2").status_code == 200
    assert task_of(inbox(client, shop), "张阳历")["status"] == "open"


def test_the_job_messages_the_members_of_kinds_set_to_message_once(hk, client, shop):
    from core.messages.channels import save_channel
    from core.models import OutboxMessage

    def outbox():
        with hk.db.read() as session:
            return sorted(session.execute(select(OutboxMessage.recipient, OutboxMessage.kind, OutboxMessage.occasion)
                                          .where(OutboxMessage.merchant_id == shop.id)).all())

    with hk.db.write() as session:
        save_channel(session, hk.plugins, shop.id, "sms", sender="console", settings={})
    quiet = run_job(hk.db, hk.plugins, MEMBER_CARE_JOB, shop.clock.now)  # birthday's default: no message
    assert quiet["merchants"][str(shop.id)]["messages"] == 0 and outbox() == []
    document = basic_document(reminders={"birthday": {"message": True}})
    assert client.put("/api/v1/config/draft", json=document, headers=shop.headers()).status_code == 200
    assert client.post("/api/v1/config/publish", headers=shop.headers()).status_code == 201
    for _ in range(2):  # a forced second run (a restart, a manual run) queues nothing more
        run_job(hk.db, hk.plugins, MEMBER_CARE_JOB, shop.clock.now, force=True)
    assert outbox() == [(f"1390000000{i}", "birthday", f"birthday:{TODAY}") for i in range(4)]
    assert count_tasks(hk, shop) == 4


def test_openings_at_the_same_moment_fill_the_day_once(app, hk, shop):
    answers = concurrently(app, [("GET", "/api/v1/inbox", None, shop.headers(role))
                                 for role in ("owner", "manager", "cashier", "cashier2")])
    assert [a.status_code for a in answers] == [200] * 4, [a.json for a in answers]
    assert answers[0].json["total"] == 4 and count_tasks(hk, shop) == 4
