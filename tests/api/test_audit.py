"""The audit log over the API (issue 10, E7): each audited action leaves exactly one row with
who, when, from where and what; refused or replayed requests leave none; secrets are never
stored; only owners read it, filtered and paged, and only their own merchant's."""
from __future__ import annotations

import json
import uuid

import pytest
from sqlalchemy import select, text

from core.models import AuditEntry
from tests.support.factories import basic_document, make_merchant

PIN = "593716"  # not a common PIN: it must never show up in the audit table
UA = {"User-Agent": "audit-test-client/1.0"}
PLUGINS = [{"id": "points", "settings": {}},
           {"id": "stored_value", "settings": {"allow_withdrawal": True}}]


@pytest.fixture
def shop(hk):
    return make_merchant(hk, "审计API店", basic_document(plugins=PLUGINS))


def call(client, shop, method, url, body=None, *, role="owner", key=None):
    headers = {**shop.headers(role), **UA, "Idempotency-Key": key or uuid.uuid4().hex}
    return client.open(f"/api/v1{url}", method=method, json=body, headers=headers)


def entries(hk, merchant_id=None) -> list[AuditEntry]:
    with hk.db.read() as session:
        query = select(AuditEntry).order_by(AuditEntry.id)
        if merchant_id is not None:
            query = query.where(AuditEntry.merchant_id == merchant_id)
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def new_card(client, shop, number="80010001") -> str:
    member = call(client, shop, "POST", "/members", {"name": "审计会员", "phone": "13800138000"}).json
    response = call(client, shop, "POST", "/cards", {"number": number, "member_id": member["id"], "pin": PIN})
    assert response.status_code == 201, response.json
    return number


def only(hk, action, merchant_id=None) -> AuditEntry:
    found = [e for e in entries(hk, merchant_id) if e.action == action]
    assert len(found) == 1, [(e.action, e.target) for e in entries(hk, merchant_id)]
    return found[0]


def raw_table(hk) -> str:
    with hk.db.engine.connect() as connection:
        return json.dumps([list(map(str, row)) for row in connection.execute(text("SELECT * FROM audit_entries"))],
                          ensure_ascii=False)


def test_card_states_leave_one_row_each_with_who_when_where_and_what(client, hk, shop):
    number = new_card(client, shop)
    issued = only(hk, "card.issue")
    assert issued.target == f"card:{number}" and issued.after["pin"] == "changed"
    assert issued.after["status"] == "active" and issued.after["has_pin"] is True

    assert call(client, shop, "POST", f"/cards/{number}/freeze", role="manager").status_code == 200
    frozen = only(hk, "card.freeze")
    assert (frozen.staff_id, frozen.staff_username) == (shop.staff_ids["manager"], "manager")
    assert (frozen.channel, frozen.client_ip, frozen.user_agent) == ("api", "127.0.0.1", UA["User-Agent"])
    assert frozen.target == f"card:{number}"
    assert (frozen.before["status"], frozen.after["status"]) == ("active", "frozen")

    # Refused (role, status) and invalid requests change nothing and leave no row.
    assert call(client, shop, "POST", f"/cards/{number}/freeze", role="cashier").status_code == 403
    assert call(client, shop, "POST", f"/cards/{number}/freeze").status_code == 409
    assert call(client, shop, "POST", f"/cards/{number}/extend", {"expires_on": "1999-01-01"}).status_code == 422
    assert len([e for e in entries(hk) if e.action == "card.freeze"]) == 1

    assert call(client, shop, "POST", f"/cards/{number}/unfreeze").status_code == 200
    assert call(client, shop, "POST", f"/cards/{number}/extend", {"expires_on": "2099-12-31"}).status_code == 200
    extended = only(hk, "card.extend")
    assert (extended.before["expires_on"], extended.after["expires_on"]) == (None, "2099-12-31")
    assert call(client, shop, "POST", f"/cards/{number}/kind", {"kind": "purchase"}).status_code == 200
    assert only(hk, "card.change_kind").after["kind"] == "purchase"

    replaced = call(client, shop, "POST", f"/cards/{number}/replace", {"new_number": "80010002"}, key="r-1")
    assert replaced.status_code == 201, replaced.json
    again = call(client, shop, "POST", f"/cards/{number}/replace", {"new_number": "80010002"}, key="r-1")
    assert again.headers.get("Idempotent-Replayed") == "true"
    replace = only(hk, "card.replace")  # the replay did nothing, so it is not an entry
    assert (replace.before["status"], replace.after["status"]) == ("active", "replaced")
    assert replace.after["replaced_by"] == "80010002"
    assert call(client, shop, "POST", "/cards/80010002/report-lost", role="cashier").status_code == 200
    assert only(hk, "card.report_lost").staff_username == "cashier"
    assert PIN not in raw_table(hk)


def test_binding_a_stock_card_is_recorded(client, hk, shop):
    assert call(client, shop, "POST", "/cards", {"number": "80020001"}).status_code == 201
    member = call(client, shop, "POST", "/members", {"name": "绑卡", "phone": "13800138001"}).json
    assert call(client, shop, "POST", "/cards/80020001/bind", {"member_id": member["id"]}).status_code == 200
    bound = only(hk, "card.bind")
    assert (bound.before["status"], bound.after["status"]) == ("issued", "active")
    assert bound.after["member_id"] == member["id"]


def test_configuration_draft_publish_and_rollback(client, hk, shop):
    document = call(client, shop, "GET", "/config/draft").json["document"]
    document["tiers"][1]["discount_permille"] = 850
    assert call(client, shop, "PUT", "/config/draft", document, role="manager").status_code == 200
    saved = only(hk, "config.draft.save")
    assert saved.before == {"tiers": {"gold": {"discount_permille": 880}}}
    assert saved.after == {"tiers": {"gold": {"discount_permille": 850}}}
    assert call(client, shop, "PUT", "/config/draft", {"schema_version": "x"}).status_code == 422
    assert len([e for e in entries(hk) if e.action == "config.draft.save"]) == 1

    assert call(client, shop, "POST", "/config/publish", {"note": "金卡85折"}).status_code == 201
    published = only(hk, "config.publish")
    assert published.target == "config:version:2"
    assert published.before == {"version": 1, "changes": {"tiers": {"gold": {"discount_permille": 880}}}}
    assert published.after["version"] == 2 and published.after["note"] == "金卡85折"

    assert call(client, shop, "POST", "/config/versions/1/rollback").status_code == 201
    rolled = only(hk, "config.rollback")
    assert rolled.target == "config:version:3" and rolled.after["rolled_back_from"] == 1
    assert rolled.after["changes"] == {"tiers": {"gold": {"discount_permille": 880}}}


def test_stored_value_and_points_by_hand_with_balances_before_and_after(client, hk, shop):
    number = new_card(client, shop)
    recharge = call(client, shop, "POST", f"/cards/{number}/recharge",
                    {"amount_fen": 50000, "payment": {"method": "cash"}}, role="cashier")
    assert recharge.status_code == 201, recharge.json
    row = only(hk, "stored_value.recharge")
    assert row.before == {"balances": {"principal_fen": 0, "bonus_fen": 0, "pending_fen": 0, "total_fen": 0}}
    assert row.after["balances"]["principal_fen"] == 50000 and row.after["loaded"]["principal_fen"] == 50000

    wrong = call(client, shop, "POST", f"/cards/{number}/withdraw",
                 {"amount_fen": 1000, "pin": "000001", "payment": {"method": "cash"}})
    assert wrong.status_code == 403  # a refused withdrawal is not an entry (wrong PINs are counted on the card)
    assert not [e for e in entries(hk) if e.action == "stored_value.withdraw"]
    paid = call(client, shop, "POST", f"/cards/{number}/withdraw",
                {"amount_fen": 1000, "pin": PIN, "payment": {"method": "cash"}})
    assert paid.status_code == 201, paid.json
    withdrawn = only(hk, "stored_value.withdraw")
    assert withdrawn.before["balances"]["principal_fen"] == 50000
    assert withdrawn.after["balances"]["principal_fen"] == 49000

    adjusted = call(client, shop, "POST", f"/cards/{number}/points/adjust", {"points": 50, "reason": "补录"})
    assert adjusted.status_code == 201, adjusted.json
    points = only(hk, "points.adjust")
    assert points.before == {"points": 0}
    assert (points.after["points"], points.after["points_changed"], points.after["reason"]) == (50, 50, "补录")
    assert call(client, shop, "POST", f"/cards/{number}/points/adjust", {"points": -500, "reason": "x"}).status_code == 409
    assert len([e for e in entries(hk) if e.action == "points.adjust"]) == 1
    assert PIN not in raw_table(hk)


def test_every_export_is_recorded_with_its_parameters(client, hk, shop):
    assert call(client, shop, "GET", "/points/expiring?days=30", role="manager").status_code == 200
    export = only(hk, "export")
    assert export.target == "report:listExpiringPoints" and export.staff_username == "manager"
    assert export.after == {"report": "listExpiringPoints", "format": "json", "parameters": {"days": "30"},
                            "rows": 0}
    assert call(client, shop, "GET", "/points/expiring?days=x", role="manager").status_code == 422
    assert len([e for e in entries(hk) if e.action == "export"]) == 1


def test_only_owners_read_the_log_filtered_and_paged_newest_first(client, hk, shop):
    number = new_card(client, shop)
    for action in ("freeze", "unfreeze", "freeze"):
        assert call(client, shop, "POST", f"/cards/{number}/{action}", role="manager").status_code == 200
    for role in ("manager", "cashier"):
        refused = client.get("/api/v1/audit", headers=shop.headers(role))
        assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    everything = client.get("/api/v1/audit", headers=shop.headers()).json
    assert everything["total"] == 4 and everything["page"] == 1
    assert [e["action"] for e in everything["audit"]] == ["card.freeze", "card.unfreeze", "card.freeze", "card.issue"]
    first = everything["audit"][0]
    assert first["staff_username"] == "manager" and first["channel"] == "api" and first["at"].endswith("+00:00")

    def actions(query):
        response = client.get(f"/api/v1/audit?{query}", headers=shop.headers())
        assert response.status_code == 200, response.json
        return [e["action"] for e in response.json["audit"]]

    assert actions("action=card.freeze") == ["card.freeze", "card.freeze"]
    assert actions(f"staff={shop.staff_ids['owner']}") == ["card.issue"]
    assert actions("staff=manager&action=card.unfreeze") == ["card.unfreeze"]
    assert actions(f"target=card:{number}") == actions("")
    assert actions("target=card:999") == []
    assert actions("from=2000-01-01&to=2000-01-31") == []
    assert actions("per_page=3&page=2") == ["card.issue"]
    for bad in ("page=0", "page=9223372036854775808", "from=2026-13-01", "per_page=1000"):
        response = client.get(f"/api/v1/audit?{bad}", headers=shop.headers())
        assert response.status_code == 422 and response.json["error"]["code"] == "invalid", bad

    other = make_merchant(hk, "别家API店", basic_document())
    assert client.get("/api/v1/audit", headers=other.headers()).json == {
        "audit": [], "total": 0, "page": 1, "per_page": 50}


def test_every_operation_that_changes_something_is_audited_or_an_ordinary_sale(app):
    """A new state-changing operation must say whether it is audited: declare ``audit=`` on it,
    or add it here with the reason it is not (sales and the like are in the ledger)."""
    ordinary = {
        "quoteCheckout", "checkout", "returnCheckout",  # sales: the ledger keeps staff and amounts
        "redeemMallItem", "spinWheel", "payPurchaseCardFee",  # the member's own use of the card
        "sellCoursePackage", "signInStudent", "checkInStudent", "checkOutStudent", "cancelCheckIn",
        "sellServicePackage", "useServicePackage",  # a sale and a use: the ledger keeps them
        "redeemRoomVoucher", "printRoomVoucherSlips", "showCourseCatalogue", "showTodaysFollowUps",
        "updateSkinProfile", "recordFollowUp", "completeFollowUp", "cancelFollowUp",  # member records
        "planFollowUps", "classifyMembers",  # the daily jobs, run now
    }
    handlers = app.extensions["huika"].handlers
    unaccounted = sorted(op_id for op_id, op in handlers.items()
                         if op.method != "GET" and not op.read_only and op.audit is None
                         and op_id not in ordinary)
    assert unaccounted == []
    assert sorted(o for o in ordinary if o in handlers and handlers[o].audit is not None) == []


def test_pin_reset_and_unblock_are_audited_without_the_pin(client, hk, shop):
    number = new_card(client, shop)
    new_pin = "604817"
    assert call(client, shop, "PUT", f"/cards/{number}/pin", {"pin": new_pin}, role="manager").status_code == 200
    reset = only(hk, "card.pin_reset")
    assert (reset.staff_username, reset.target) == ("manager", f"card:{number}")
    assert reset.after["pin"] == "changed" and "pin" not in reset.before
    wrong = call(client, shop, "POST", f"/cards/{number}/withdraw",
                 {"amount_fen": 1000, "pin": "000001", "payment": {"method": "cash"}})
    assert wrong.status_code == 403, wrong.json  # counted on the card, not an audit entry
    assert call(client, shop, "POST", f"/cards/{number}/pin/unblock", {}, role="owner").status_code == 200
    unblocked = only(hk, "card.pin_unblock")
    assert unblocked.staff_username == "owner"
    assert (unblocked.before["pin_failures_total"], unblocked.after["pin_failures_total"]) == (1, 0)
    # A refused reset (weak PIN, cashier) leaves no row; the PINs are nowhere in the table.
    assert call(client, shop, "PUT", f"/cards/{number}/pin", {"pin": "123456"}, role="manager").status_code == 422
    assert call(client, shop, "PUT", f"/cards/{number}/pin", {"pin": "604818"}, role="cashier").status_code == 403
    assert len([e for e in entries(hk) if e.action == "card.pin_reset"]) == 1
    table = raw_table(hk)
    assert new_pin not in table and PIN not in table
