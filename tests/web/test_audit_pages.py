"""The audit log from the pages (issue 10, E7): editor changes, staff, cashier card issue and
lifecycle buttons leave one row each with channel ``web``; owners browse it at /editor/audit."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from core import tenancy
from core.models import AuditEntry
from tests.support.factories import basic_document, make_merchant
from tests.web.test_editor import SHOP, login, page_form, post

PIN = "593716"
UA = "Mozilla/5.0 (audit page test)"


@pytest.fixture
def shop(hk):
    return make_merchant(hk, SHOP, basic_document())


@pytest.fixture
def owner(app, shop):
    client = app.test_client()
    client.environ_base.update({"HTTP_USER_AGENT": UA, "REMOTE_ADDR": "198.51.100.9"})
    login(client, "owner")
    client.get("/lang/en")
    return client


def entries(hk) -> list[AuditEntry]:
    with hk.db.read() as session:
        found = list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
        session.expunge_all()
        return found


def actions(hk) -> list[str]:
    return [e.action for e in entries(hk)]


def test_editor_changes_each_leave_one_row_with_only_what_changed(owner, hk, shop):
    form = page_form(owner, "/editor/fields/new")
    for key in [k for k in form if k.startswith("options-")]:
        form.poplist(key)
    for key, value in {"key": "car_plate", "type": "text", "label_zh": "车牌", "label_en": "Car plate"}.items():
        form[key] = value
    assert owner.post("/editor/fields/new", data=form).status_code == 302
    [field] = entries(hk)
    assert (field.action, field.target, field.channel) == ("config.field.create", "field:car_plate", "web")
    assert (field.client_ip, field.user_agent, field.staff_username) == ("198.51.100.9", UA, "owner")
    assert field.before == {"fields": {"(order)": ["wechat_id", "favourite"]}}
    assert field.after["fields"]["car_plate"]["label"] == {"zh-CN": "车牌", "en": "Car plate"}

    assert post(owner, "/editor/plugins/points/enable", {}, csrf_here=False).status_code == 302
    assert entries(hk)[-1].action == "config.plugin.enable" and entries(hk)[-1].target == "plugin:points"
    publish = post(owner, "/editor/publish", {"note": "加车牌"})
    assert publish.status_code == 302, publish.get_data(as_text=True)
    published = entries(hk)[-1]
    assert published.action == "config.publish" and published.after["note"] == "加车牌"
    # Publishing the same draft again is refused: no row.
    post(owner, "/editor/publish", {"note": "again"})
    assert actions(hk) == ["config.field.create", "config.plugin.enable", "config.publish"]


def test_staff_changes_are_recorded_and_passwords_never_stored(owner, hk, shop):
    form = page_form(owner, "/editor/staff", action="/editor/staff#new-staff")
    for key, value in {"username": "xiaomei", "display_name": "小美", "role": "cashier", "store_id": "",
                       "password": "secret-pass-1"}.items():
        form[key] = value
    assert owner.post("/editor/staff", data=form).status_code == 302
    assert owner.post("/editor/staff", data=form).status_code == 422  # taken: refused, no row
    with hk.db.read() as session:
        staff_id = tenancy.find_staff(session, shop.id, "xiaomei").id
    assert post(owner, f"/editor/staff/{staff_id}/password",
                {"password": "secret-pass-2", "confirm": "secret-pass-2"}).status_code == 302
    assert post(owner, f"/editor/staff/{staff_id}/active", {"active": "0"}, csrf_here=False).status_code == 302
    assert post(owner, f"/editor/staff/{staff_id}/active", {"active": "0"}, csrf_here=False).status_code == 302
    assert actions(hk) == ["staff.create", "staff.password_reset", "staff.deactivate"]
    created, reset, deactivated = entries(hk)
    assert created.target == f"staff:{staff_id}" and created.after["role"] == "cashier"
    assert created.after["password"] == "changed" and reset.after == {"username": "xiaomei", "password": "changed"}
    assert (deactivated.before["active"], deactivated.after["active"]) == (True, False)
    with hk.db.engine.connect() as connection:
        dump = str(connection.execute(text("SELECT * FROM audit_entries")).all())
    assert "secret-pass" not in dump


def test_cashier_issue_and_lifecycle_buttons_are_recorded_from_the_web(app, client, hk, shop):
    from tests.web.test_cashier import sign_in

    csrf = sign_in(client, shop, role="manager")
    member = client.post("/api/v1/members", json={"name": "韩梅梅", "phone": "13600000001"},
                         headers=shop.headers())
    issued = client.post(f"/cashier/members/{member.json['id']}/cards/new", data={
        "csrf_token": csrf, "number": "8800123412341234", "kind": "standard", "tier": "",
        "pin": PIN, "pin_again": PIN})
    assert issued.status_code == 303
    freeze = client.post("/cashier/cards/8800123412341234/freeze", data={"csrf_token": csrf})
    assert freeze.status_code == 303
    card_issue, card_freeze = [e for e in entries(hk) if e.action.startswith("card.")]
    assert (card_issue.action, card_issue.channel, card_issue.after["pin"]) == ("card.issue", "web", "changed")
    assert (card_freeze.action, card_freeze.channel, card_freeze.staff_username) == ("card.freeze", "web", "manager")
    assert card_freeze.before["status"] == "active" and card_freeze.after["status"] == "frozen"
    with hk.db.engine.connect() as connection:
        assert PIN not in str(connection.execute(text("SELECT * FROM audit_entries")).all())


def test_owners_browse_and_filter_the_log_managers_may_not(app, owner, hk, shop):
    for code in ("east", "west"):
        assert post(owner, "/editor/stores", {"code": code, "name": code}).status_code == 302
    page = owner.get("/editor/audit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'href="/editor/audit"' in owner.get("/editor/").get_data(as_text=True)
    assert html.count("Store created") >= 2 and "198.51.100.9" in html
    assert html.index("west") < html.index("east")  # newest first
    filtered = owner.get("/editor/audit?action=store.create&target=store:&from=2000-01-01").get_data(as_text=True)
    assert filtered.count('<tr id="audit-') == 2
    assert owner.get("/editor/audit?from=2000-01-01&to=2000-01-02").get_data(as_text=True).count('<tr id="audit-') == 0
    assert owner.get("/editor/audit?page=0").status_code == 422
    assert re.search(r"2 entries, page 1 of 1", html)

    manager = app.test_client()
    login(manager, "manager")
    assert manager.get("/editor/audit").status_code == 403
    assert 'href="/editor/audit"' not in manager.get("/editor/").get_data(as_text=True)
    cashier = app.test_client()
    login(cashier, "cashier")
    assert cashier.get("/editor/audit").status_code == 403


def test_editor_rollback_and_discard_are_recorded(owner, hk, shop):
    from tests.web.test_editor import draft, publish, save

    document = draft(hk, shop.id)
    document["tiers"][1]["discount_permille"] = 800
    save(hk, shop.id, document)
    publish(hk, shop.id)  # version 2 (set up directly: not a staff action, no row)
    assert post(owner, "/editor/versions/1/rollback", {}).status_code == 302
    document["tiers"][1]["discount_permille"] = 700
    save(hk, shop.id, document)
    assert post(owner, "/editor/draft/discard", {}, csrf_here=False).status_code == 302
    rollback, discard = entries(hk)
    assert (rollback.action, rollback.target) == ("config.rollback", "config:version:3")
    assert rollback.after["changes"] == {"tiers": {"gold": {"discount_permille": 880}}}
    assert (discard.action, discard.before, discard.after) == (
        "config.draft.discard", {"tiers": {"gold": {"discount_permille": 700}}},
        {"tiers": {"gold": {"discount_permille": 880}}})
