"""Imports over the API (issue 12, item 9): dry run, bad rows named, one balanced batch, the
reconciliation, no double import, a checkout paying with imported value and points, roles."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import ledger
from core.models import AuditEntry, LedgerTransaction

from .helpers import (MEMBER_HEADER, POINTS_HEADER, SV_HEADER, counts, csv_bytes, make_shop, members_file,
                      post_file, verify, xlsx_bytes)


def test_dry_run_changes_nothing_and_names_every_bad_row(client, hk):
    shop = make_shop(hk)
    rows = members_file(3) + [
        ["1380013", "王五", "", "", "", "", "", "", "", "", ""],  # bad phone
        ["13900000001", "重复", "", "", "", "", "", "", "", "", ""],  # repeats row 3's phone
        ["13700000008", "", "女", "", "", "", "", "", "", "", ""],  # no name
        ["13700000009", "赵六", "女", "2090-01-01", "", "", "", "66000000", "银卡", "钻石卡", ""],
    ]
    before = counts(hk, shop.id)
    response = post_file(client, shop, "members", csv_bytes(MEMBER_HEADER, rows), dry_run=True)
    assert response.status_code == 200, response.json
    report = response.json
    assert counts(hk, shop.id) == before
    assert report["dry_run"] is True and report["rows_read"] == 7
    assert report["rows_valid"] == 3 and report["rows_bad"] == 4
    found = {(p["row"], p["column"]) for p in report["problems"]}
    assert (5, "phone") in found  # the header is row 1
    assert (6, "") in found  # a repeated phone: the whole row
    assert (7, "name") in found
    # Cells that read well are checked against the shop: every problem of the row is named.
    assert {(8, "birthday"), (8, "card_number"), (8, "card_kind"), (8, "tier")} <= found, report["problems"]
    for problem in report["problems"]:
        assert problem["message_i18n"]["zh-CN"] and problem["message_i18n"]["en"]
    # A real run of a file with bad rows imports nothing.
    refused = post_file(client, shop, "members", csv_bytes(MEMBER_HEADER, rows))
    assert refused.status_code == 422 and refused.json["error"]["code"] == "import_rows_invalid"
    assert counts(hk, shop.id) == before


def test_members_cards_balances_as_one_batch_reconciled(client, hk):
    shop = make_shop(hk)
    members = post_file(client, shop, "members", xlsx_bytes(MEMBER_HEADER, members_file(4)), name="会员.xlsx")
    assert members.status_code == 201, members.json
    assert members.json["created"] == {"members": 4, "cards": 4}
    sv_rows = [["66000000", "1000.00", "100"], ["66000001", 250.5, None], ["66000002", "¥1,234.56", "0"]]
    dry = post_file(client, shop, "stored_value", csv_bytes(SV_HEADER, sv_rows), dry_run=True)
    assert dry.status_code == 200 and dry.json["totals"] == {
        "stored_value_principal": 100000 + 25050 + 123456, "stored_value_bonus": 10000}
    stored = post_file(client, shop, "stored_value", csv_bytes(SV_HEADER, sv_rows))
    assert stored.status_code == 201, stored.json
    reconciliation = stored.json["reconciliation"]
    assert reconciliation["balanced"] is True
    assert {r["asset"]: (r["file"], r["posted"], r["cards_hold_now"]) for r in reconciliation["assets"]} == {
        "stored_value_principal": (248506, 248506, 248506), "stored_value_bonus": (10000, 10000, 10000)}
    points = post_file(client, shop, "points", csv_bytes(POINTS_HEADER, [
        ["66000000", "300", "2099-12-31"], ["66000000", "200", "2098-06-30"], ["66000003", "50", ""]]))
    assert points.status_code == 201, points.json
    assert points.json["reconciliation"]["balanced"] is True
    verify(hk, shop)
    with hk.db.read() as session:
        # One ledger transaction per batch, named by it; the merchant's opening account holds
        # the principal the old system received.
        opening = session.scalars(select(LedgerTransaction).where(
            LedgerTransaction.merchant_id == shop.id, LedgerTransaction.type == "import_opening")).all()
        assert [t.memo["import_batch_id"] for t in opening] == [stored.json["batch_id"], points.json["batch_id"]]
        assert ledger.merchant_account(session, shop.id, "import_opening", "cny").balance == 248506
        assert ledger.merchant_account(session, shop.id, "stored_value_sold", "cny").balance == -248506
        audit = session.scalars(select(AuditEntry).where(AuditEntry.merchant_id == shop.id,
                                                         AuditEntry.action.like("import.%"))).all()
        assert [a.action for a in audit] == ["import.members", "import.stored_value", "import.points"]
        assert audit[1].target == f"import:{stored.json['batch_id']}"
    lots = client.get("/api/v1/cards/66000000/balances", headers=shop.headers()).json["lots"]
    assert [(lot["remaining"], lot["expires_on"]) for lot in lots if lot["asset"] == "points"] == [
        (200, "2098-06-30"), (300, "2099-12-31")]


def test_same_file_twice_is_refused_and_rows_seen_before_are_skipped(client, hk):
    shop = make_shop(hk)
    data = csv_bytes(MEMBER_HEADER, members_file(3))
    assert post_file(client, shop, "members", data).status_code == 201
    before = counts(hk, shop.id)
    again = post_file(client, shop, "members", data)
    assert again.status_code == 409 and again.json["error"]["code"] == "import_already_done"
    # Another file repeating two of the rows: they are skipped, the new one imported.
    more = csv_bytes(MEMBER_HEADER, members_file(4)[1:])
    dry = post_file(client, shop, "members", more, dry_run=True)
    assert (dry.json["rows_skipped"], dry.json["rows_valid"]) == (2, 1)
    assert counts(hk, shop.id) == before
    assert post_file(client, shop, "members", more).json["created"] == {"members": 1, "cards": 1}
    sv = csv_bytes(SV_HEADER, [["66000000", "10", ""]])
    assert post_file(client, shop, "stored_value", sv).status_code == 201
    sv2 = csv_bytes(SV_HEADER, [["66000000", "10", ""], ["66000001", "20", ""]])
    report = post_file(client, shop, "stored_value", sv2).json
    assert report["rows_skipped"] == 1 and report["totals"]["stored_value_principal"] == 2000
    verify(hk, shop)
    assert client.get("/api/v1/cards/66000000/stored-value", headers=shop.headers()).json[
        "balances"]["principal_fen"] == 1000


def test_checkout_pays_with_imported_stored_value_and_points(client, hk):
    shop = make_shop(hk)
    assert post_file(client, shop, "members", csv_bytes(MEMBER_HEADER, members_file(1))).status_code == 201
    assert post_file(client, shop, "stored_value",
                     csv_bytes(SV_HEADER, [["66000000", "500", "50"]])).status_code == 201
    assert post_file(client, shop, "points",
                     csv_bytes(POINTS_HEADER, [["66000000", "100", "2099-12-31"]])).status_code == 201
    pin = client.put("/api/v1/cards/66000000/pin", json={"pin": "482916"},
                     headers={**shop.headers("manager"), "Idempotency-Key": "pin-1"})
    assert pin.status_code == 200, pin.json
    checkout = client.post("/api/v1/checkout", json={
        "card_number": "66000000", "lines": [{"sku": "G", "name": "商品", "unit_price_fen": 60000}],
        "payments": [{"method": "points", "points": 100},
                     {"method": "stored_value", "amount_fen": 54000, "pin": "482916"},
                     {"method": "cash", "amount_fen": 2000}]},  # 95% of 600 yuan (silver)
        headers={**shop.headers("cashier"), "Idempotency-Key": "co-1"})
    assert checkout.status_code == 201, checkout.json
    balances = client.get("/api/v1/cards/66000000/stored-value", headers=shop.headers()).json["balances"]
    assert (balances["principal_fen"], balances["bonus_fen"]) == (0, 1000)
    verify(hk, shop)


@pytest.mark.parametrize("role, status", [("cashier", 403), ("manager", 200), ("owner", 200)])
def test_roles_and_templates(client, hk, role, status):
    shop = make_shop(hk)
    for fmt in ("xlsx", "csv"):
        response = client.get(f"/api/v1/imports/templates/members.{fmt}", headers=shop.headers(role))
        assert response.status_code == status
    listed = client.get("/api/v1/imports", headers=shop.headers(role))
    assert listed.status_code == status
    if status == 200:
        assert {k["key"] for k in listed.json["kinds"]} >= {"members", "cards", "stored_value", "points"}
    assert post_file(client, shop, "members", b"x", role=role, dry_run=True).status_code == (
        403 if role == "cashier" else 422)


@pytest.mark.parametrize("kind", ["members", "cards", "stored_value", "points"])
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_template_imports_as_is_with_its_example_skipped(client, hk, kind, fmt):
    shop = make_shop(hk)
    template = client.get(f"/api/v1/imports/templates/{kind}.{fmt}", headers=shop.headers())
    report = post_file(client, shop, kind, template.data, dry_run=True, name=f"t.{fmt}")
    assert report.status_code == 200, report.json
    assert report.json["example_rows_skipped"] == 1 and report.json["problems"] == []


def test_the_same_file_sent_twice_at_once_imports_once(app, hk):
    import threading

    shop = make_shop(hk)
    data = csv_bytes(MEMBER_HEADER, members_file(300))
    statuses = []
    barrier = threading.Barrier(2)

    def send():
        client = app.test_client()
        barrier.wait()
        statuses.append(post_file(client, shop, "members", data).status_code)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201, 409]
    assert counts(hk, shop.id)["members"] == 300


def test_imported_principal_refunds_and_imported_points_expire_on_their_date(client, hk):
    from datetime import datetime, timezone

    from plugins.points.expiry import expire_points
    from tests.support.factories import basic_document

    shop = make_shop(hk, doc=basic_document(plugins=[
        {"id": "stored_value", "settings": {"allow_refund": True}}, {"id": "points", "settings": {}}]))
    assert post_file(client, shop, "members", csv_bytes(MEMBER_HEADER, members_file(1))).status_code == 201
    assert post_file(client, shop, "stored_value",
                     csv_bytes(SV_HEADER, [["66000000", "800", "80"]])).status_code == 201
    assert post_file(client, shop, "points", csv_bytes(POINTS_HEADER, [
        ["66000000", "70", "2030-06-30"], ["66000000", "30", "2031-06-30"]])).status_code == 201
    assert client.put("/api/v1/cards/66000000/pin", json={"pin": "482916"},
                      headers={**shop.headers("manager"), "Idempotency-Key": "p"}).status_code == 200
    refund = client.post("/api/v1/cards/66000000/refund", json={"pin": "482916", "payment": {"method": "cash"}},
                         headers={**shop.headers("owner"), "Idempotency-Key": "r"})
    assert refund.status_code == 201, refund.json
    assert (refund.json["paid_out_fen"], refund.json["bonus_forfeited_fen"]) == (80000, 8000)
    with hk.db.write() as session:
        # 2030-07-01 in Beijing: the first lot is past its date, the second is not (P7).
        expired = expire_points(session, shop.id, datetime(2030, 6, 30, 17, 0, tzinfo=timezone.utc))
    assert (expired["as_of"], expired["points"]) == ("2030-07-01", 70)
    lots = client.get("/api/v1/cards/66000000/balances", headers=shop.headers()).json
    assert lots["balances"]["points"] == 30
    with hk.db.read() as session:
        assert ledger.merchant_account(session, shop.id, "stored_value_sold", "cny").balance == 0
        assert ledger.merchant_account(session, shop.id, "cash_drawer", "cny").balance == -80000
    verify(hk, shop)
