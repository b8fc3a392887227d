"""One test per hook (tests/test_hooks_meta.py checks that none is missing).

Each uses a throwaway third-party plugin installed through a real entry point, enabled or
not per merchant as data, to show the hook is called with its documented arguments and
only for merchants that enabled the plugin.
"""
from __future__ import annotations

import sys

import pytest
from click.testing import CliRunner

from core.plugins import build_registry
from tests.support.factories import basic_document, make_merchant
from tests.support.plugin_factory import install_plugin, manifest

RECORDER = """
from core.hookspecs import hookimpl

CALLS = []

@hookimpl
def validate_config(config, document):
    CALLS.append(("validate_config", config.version))
    if document.get("template") == "forbidden":
        return [{"pointer": "/template", "message": "recorder refuses this template"}]
    return []

@hookimpl
def after_publish(session, merchant_id, version, config):
    CALLS.append(("after_publish", merchant_id, version, config.settings_for("recorder")["greeting"]))

@hookimpl
def after_member_created(session, member, config, staff_id, now):
    assert member.id is not None and now.tzinfo is not None
    CALLS.append(("after_member_created", member.name, staff_id))

@hookimpl
def after_card_issued(session, card, config, staff_id, now):
    CALLS.append(("after_card_issued", card.number, card.status, staff_id, now.tzinfo is not None))

@hookimpl
def after_card_bound(session, card, member, config, staff_id, now):
    CALLS.append(("after_card_bound", card.number, member.name, staff_id, now == card.activated_at))

@hookimpl
def member_summary(session, member, config):
    return {"recorder_greeting": config.settings_for("recorder")["greeting"]}

@hookimpl
def checkout_price_lines(checkout):
    for line in checkout.lines:
        if line.sku == "GIFT":  # the recorder gives gift-wrapping away
            line.paid_fen = 0


@hookimpl
def checkout_payment(session, checkout, payment, config):
    if payment["method"] != "voucher":
        return None
    from core.checkout import PaymentResult
    from core.ledger import Posting, merchant_account

    taken = merchant_account(session, checkout.merchant_id, "vouchers_taken", "cny")
    sales = merchant_account(session, checkout.merchant_id, "sales", "cny")
    amount = payment["amount_fen"]
    return PaymentResult(amount, [Posting(taken, amount), Posting(sales, -amount)], {"voucher": "V1"})


@hookimpl
def checkout_earn(session, checkout, lines, config):
    from core.checkout import Earning
    from core.ledger import Posting, card_account, merchant_account

    stamps = sum(line.quantity for line in lines)
    card = card_account(session, checkout.merchant_id, checkout.card.id, "stamps")
    issued = merchant_account(session, checkout.merchant_id, "issued", "stamps")
    return [Earning("recorder", "stamps", stamps, [Posting(card, stamps), Posting(issued, -stamps)])]


@hookimpl
def after_checkout(session, checkout, record, config):
    CALLS.append(("after_checkout", record.id, record.due_total_fen))


@hookimpl
def after_card_replaced(session, old_card, new_card, config):
    CALLS.append(("after_card_replaced", old_card.number, new_card.number))


@hookimpl
def after_member_updated(session, member, changes, config, staff_id, now):
    CALLS.append(("after_member_updated", member.name, changes, staff_id))


@hookimpl
def after_card_kind_changed(session, card, old_kind, config, staff_id, now):
    CALLS.append(("after_card_kind_changed", card.number, old_kind, card.kind))


@hookimpl
def after_checkout_return(session, checkout, returned, config):
    if any(line.sku == "FINAL" for line, _quantity in returned):
        from core.errors import Conflict

        raise Conflict("final sale: cannot be returned", code="final_sale")
    CALLS.append(("after_checkout_return", checkout.id,
                  [(line.line_no, quantity) for line, quantity in returned]))


@hookimpl
def benefit_kinds():
    from core.benefits import BenefitKind

    return [BenefitKind("stamp_bonus", {"zh-CN": "赠章", "en": "Bonus stamps"},
                        {"type": "object", "required": ["stamps"], "additionalProperties": False,
                         "properties": {"stamps": {"type": "integer", "minimum": 1}}})]


@hookimpl
def grant_benefit(session, card, benefit, config, now, store_id, staff_id):
    if benefit["kind"] != "stamp_bonus":
        return None
    from core import ledger

    account = ledger.card_account(session, card.merchant_id, card.id, "stamps")
    issued = ledger.merchant_account(session, card.merchant_id, "issued", "stamps")
    ledger.post(session, card.merchant_id, "stamp_bonus",
                [ledger.Posting(account, benefit["stamps"]), ledger.Posting(issued, -benefit["stamps"])],
                store_id=store_id, staff_id=staff_id, now=now)
    return {"stamps": benefit["stamps"]}


@hookimpl
def register_api_operations():
    from core.operations import ApiOperation

    def ping(context):
        return {"greeting": context.config.settings_for("recorder")["greeting"],
                "merchant_id": context.merchant_id}

    return [ApiOperation("/recorder/ping", "GET", "recorderPing", "Ping the recorder", ping,
                         response_schema={"type": "object", "required": ["greeting"]})]


@hookimpl
def register_migrations():
    from pathlib import Path

    return [str(Path(__file__).parent / "migrations")]


@hookimpl
def register_reports():
    from sqlalchemy import func, select

    from core.models import Member
    from core.reports import Report, count, text

    def rows(session, query):
        CALLS.append(("report", query.merchant_id, query.params.get("label")))
        members = session.scalar(select(func.count()).select_from(Member)
                                 .where(Member.merchant_id == query.merchant_id))
        yield {"label": query.params.get("label", "all"), "members": members}

    return [Report("recorder_members", {"zh-CN": "会员数", "en": "Members"},
                   [text("label", "标签", "Label"), count("members", "会员数", "Members")], rows,
                   period=False, by_store=False,
                   parameters={"label": {"type": "string", "maxLength": 10}})]


@hookimpl
def register_jobs():
    from core.jobs import Job

    def count_members(session, config, merchant_id, now):
        from sqlalchemy import func, select
        from core.models import Member

        CALLS.append(("job", merchant_id, now.isoformat()))
        return {"members": session.scalar(select(func.count()).select_from(Member)
                                          .where(Member.merchant_id == merchant_id))}

    return [Job("recorder.count_members", count_members, hour=2, description="count members")]


@hookimpl
def register_import_kinds():
    from core.imports import CardCredit, Column, ImportKind, RowProblem, message
    from core.imports.kinds import card_number, whole

    def check(context, rows):
        cards = context.cards([row.values["card"] for row in rows])
        for row in rows:
            row.values["_card_id"] = cards[row.values["card"]].id if row.values["card"] in cards else None
        return [RowProblem(row.number, "card", message("没有这张卡", "no such card"))
                for row in rows if row.values["_card_id"] is None]

    def post(context, rows):
        CALLS.append(("import", context.batch_id, len(rows)))
        total = sum(row.values["stamps"] for row in rows)
        context.post_opening([CardCredit(row.values["_card_id"], "stamps", row.values["stamps"])
                              for row in rows], [("issued", "stamps", -total)])
        return {"cards": len(rows)}

    return [ImportKind("stamps", message("印章", "Stamps"),
                       (Column("card", message("卡号", "Card"), card_number, required=True, example="1234"),
                        Column("stamps", message("印章数", "Stamps"), whole(1), required=True, example="1")),
                       natural_key=lambda values: values["card"], check=check, post=post,
                       totals=lambda rows: {"stamps": sum(row.values["stamps"] for row in rows)})]


@hookimpl
def checkout_resolve_lines(session, config, merchant_id, store_id, lines):
    return {index: {"sku": "HOUSE-" + item["barcode"], "name": "招牌", "unit_price_fen": 1000,
                    "quantity": item.get("quantity", 1), "product_id": 7,
                    "member_prices": {"gold": 600}}
            for index, item in enumerate(lines) if "barcode" in item}


@hookimpl
def demo_data(session, config, merchant_id, store_ids, staff_id, now):
    CALLS.append(("demo_data", merchant_id, len(store_ids), staff_id is not None))


@hookimpl
def register_commands(cli):
    import click

    @cli.command(name="recorder-hello")
    def hello():
        click.echo("recorder says hello")


@hookimpl
def member_projection(session, card, config, now, pace):
    weekly = pace.weekly_fen if pace else None
    return [{"kind": "stamps", "plugin": "recorder", "card": card.number, "weekly_fen": weekly,
             "spend_fen": 0, "year": now.year}]

@hookimpl
def register_message_senders():
    from core.messages.senders import MessageSender, SendResult, SettingField

    class PagerSender(MessageSender):
        id = "recorder_pager"
        channel = "sms"
        title = {"zh-CN": "寻呼机", "en": "Pager"}
        fields = (SettingField("prefix", {"zh-CN": "前缀", "en": "Prefix"}, required=True),)

        def send(self, message, settings):
            CALLS.append(("send", message.recipient, settings["prefix"] + message.body))
            return SendResult("sent", provider_message_id="pager-1")

    return [PagerSender()]
"""


MIGRATION = """
from alembic import op
import sqlalchemy as sa

revision = "r001"
down_revision = None
branch_labels = ("recorder",)
depends_on = "0001"


def upgrade():
    op.create_table("recorder_notes", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("text", sa.String(100)))


def downgrade():
    op.drop_table("recorder_notes")
"""


@pytest.fixture
def recorder(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    reports = [{"id": "recorder_members", "title": {"zh-CN": "会员统计", "en": "Member count"},
                "description": {"zh-CN": "会员人数", "en": "How many members"}}]
    install_plugin(site, "recorder", code=RECORDER, manifest_doc=manifest("recorder", reports=reports),
                   files={"migrations/r001_recorder_notes.py": MIGRATION})
    registry = build_registry()
    assert "recorder" in registry.plugins, registry.refused
    module = registry.plugins["recorder"].module
    yield registry, module.CALLS
    sys.modules.pop("huika_test_recorder", None)


@pytest.fixture
def recorder_app(recorder, database_url):
    from webui import create_app

    registry, calls = recorder
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "VALIDATE_RESPONSES": True,
                      "PLUGIN_REGISTRY": registry})
    yield app, calls
    app.extensions["huika"].db.dispose()


def enabled_document(**overrides):
    return basic_document(plugins=[{"id": "recorder", "settings": {"greeting": "欢迎"}}], **overrides)


def test_hook_validate_config_blocks_publishing(recorder_app):
    app, calls = recorder_app
    hk = app.extensions["huika"]
    shop = make_merchant(hk, "校验店", enabled_document())
    client = app.test_client()
    client.put("/api/v1/config/draft", json=enabled_document(template="forbidden"), headers=shop.headers())
    response = client.post("/api/v1/config/publish", headers=shop.headers())
    assert response.status_code == 422
    assert {"pointer": "/template", "message": "recorder refuses this template"} in response.json["error"]["details"]
    # Not enabled: the plugin is not asked.
    calls.clear()
    other = make_merchant(hk, "未启用店", basic_document(template="forbidden"))
    assert other and not [c for c in calls if c[0] == "validate_config"]


def test_hook_after_publish_gets_the_new_version_and_settings(recorder_app):
    app, calls = recorder_app
    shop = make_merchant(app.extensions["huika"], "发布店", enabled_document())
    assert ("after_publish", shop.id, 1, "欢迎") in calls


def test_hook_after_member_created_only_for_enabled_merchants(recorder_app):
    app, calls = recorder_app
    hk = app.extensions["huika"]
    on = make_merchant(hk, "启用店", enabled_document())
    off = make_merchant(hk, "停用店", basic_document())
    client = app.test_client()
    client.post("/api/v1/members", json={"name": "甲", "phone": "13800000001"}, headers=on.headers())
    client.post("/api/v1/members", json={"name": "乙", "phone": "13800000002"}, headers=off.headers())
    created = [c[1:] for c in calls if c[0] == "after_member_created"]
    assert created == [("甲", on.staff_ids["owner"])]


def test_hook_after_card_issued(recorder_app):
    app, calls = recorder_app
    shop = make_merchant(app.extensions["huika"], "发卡店", enabled_document())
    app.test_client().post("/api/v1/cards", json={"number": "HOOK0001"}, headers=shop.headers())
    assert ("after_card_issued", "HOOK0001", "issued", shop.staff_ids["owner"], True) in calls


def test_hook_after_card_bound(recorder_app):
    app, calls = recorder_app
    shop = make_merchant(app.extensions["huika"], "绑卡店", enabled_document())
    client = app.test_client()
    member = client.post("/api/v1/members", json={"name": "丙", "phone": "13800000003"},
                         headers=shop.headers()).json
    client.post("/api/v1/cards", json={"number": "HOOK0002", "member_id": member["id"]},
                headers=shop.headers())
    assert ("after_card_bound", "HOOK0002", "丙", shop.staff_ids["owner"], True) in calls


def test_hook_member_summary_is_merged_into_the_member(recorder_app):
    app, _calls = recorder_app
    hk = app.extensions["huika"]
    shop = make_merchant(hk, "摘要店", enabled_document())
    off = make_merchant(hk, "无摘要店", basic_document())
    client = app.test_client()
    member = client.post("/api/v1/members", json={"name": "丁", "phone": "13800000004"},
                         headers=shop.headers()).json
    assert member["summary"] == {"recorder_greeting": "欢迎"}
    plain = client.post("/api/v1/members", json={"name": "戊", "phone": "13800000005"},
                        headers=off.headers()).json
    assert plain["summary"] == {}


def test_hook_register_commands_adds_cli_commands(recorder):
    from webui.cli import cli

    registry, _calls = recorder
    registry.call_all("register_commands", cli=cli)
    try:
        result = CliRunner().invoke(cli, ["recorder-hello"], obj={})
        assert result.exit_code == 0 and "recorder says hello" in result.output
    finally:
        cli.commands.pop("recorder-hello", None)


def _key():
    import uuid

    return {"Idempotency-Key": uuid.uuid4().hex}


def _card(client, shop, phone="13800000009"):
    member = client.post("/api/v1/members", json={"name": "己", "phone": phone}, headers=shop.headers()).json
    return client.post("/api/v1/cards", json={"member_id": member["id"]}, headers=shop.headers()).json["number"]


def test_hook_checkout_price_lines_runs_after_the_core_pricing(recorder_app):
    app, _calls = recorder_app
    shop = make_merchant(app.extensions["huika"], "定价店", enabled_document())
    quote = app.test_client().post("/api/v1/checkout/quote", json={"lines": [
        {"sku": "GIFT", "unit_price_fen": 500}, {"sku": "TEA", "unit_price_fen": 500}]},
        headers=shop.headers()).json
    assert [line["paid_fen"] for line in quote["lines"]] == [0, 500]


def test_hook_checkout_payment_adds_a_payment_method(recorder_app):
    app, _calls = recorder_app
    hk = app.extensions["huika"]
    on = make_merchant(hk, "券店", enabled_document())
    off = make_merchant(hk, "无券店", basic_document())
    client = app.test_client()
    body = {"lines": [{"sku": "TEA", "unit_price_fen": 500}],
            "payments": [{"method": "voucher", "amount_fen": 500}]}
    paid = client.post("/api/v1/checkout", json=body, headers={**on.headers(), **_key()})
    assert paid.status_code == 201 and paid.json["payments"][0]["voucher"] == "V1"
    refused = client.post("/api/v1/checkout", json=body, headers={**off.headers(), **_key()})
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["pointer"] == "/payments/0/method"


def test_hook_checkout_earn_posts_and_is_taken_back_on_return(recorder_app):
    app, _calls = recorder_app
    shop = make_merchant(app.extensions["huika"], "集章店", enabled_document())
    client = app.test_client()
    card = _card(client, shop)
    receipt = client.post("/api/v1/checkout", json={
        "card_number": card, "lines": [{"sku": "TEA", "unit_price_fen": 100, "quantity": 3}],
        "payments": [{"method": "cash", "amount_fen": 285}]}, headers={**shop.headers(), **_key()}).json
    assert receipt["earned"] == [{"plugin": "recorder", "asset": "stamps", "amount": 3}]
    assert receipt["balances"]["stamps"] == 3
    back = client.post(f"/api/v1/checkouts/{receipt['checkout_id']}/returns",
                       json={"lines": [{"line_no": 1, "quantity": 2}]}, headers={**shop.headers(), **_key()})
    assert back.status_code == 201 and back.json["balances"]["stamps"] == 1
    walk_in = client.post("/api/v1/checkout/quote", json={"lines": [{"sku": "TEA", "unit_price_fen": 100}]},
                          headers=shop.headers()).json
    assert walk_in["earn"] == []  # walk-ins earn nothing (C7)


def test_hook_after_checkout(recorder_app):
    app, calls = recorder_app
    shop = make_merchant(app.extensions["huika"], "结账店", enabled_document())
    receipt = app.test_client().post("/api/v1/checkout", json={
        "lines": [{"sku": "TEA", "unit_price_fen": 700}], "payments": [{"method": "cash", "amount_fen": 700}]},
        headers={**shop.headers(), **_key()}).json
    assert ("after_checkout", receipt["checkout_id"], 700) in calls


def test_hook_after_card_replaced(recorder_app):
    app, calls = recorder_app
    shop = make_merchant(app.extensions["huika"], "补卡店", enabled_document())
    client = app.test_client()
    card = _card(client, shop)
    client.post(f"/api/v1/cards/{card}/replace", json={"new_number": "RPL00001"}, headers={**shop.headers(), **_key()})
    assert ("after_card_replaced", card, "RPL00001") in calls


def test_hook_register_api_operations_serves_and_documents_plugin_endpoints(recorder_app):
    app, _calls = recorder_app
    hk = app.extensions["huika"]
    on = make_merchant(hk, "接口店", enabled_document())
    off = make_merchant(hk, "无接口店", basic_document())
    client = app.test_client()
    assert client.get("/api/v1/recorder/ping", headers=on.headers()).json == {"greeting": "欢迎", "merchant_id": on.id}
    disabled = client.get("/api/v1/recorder/ping", headers=off.headers())
    assert disabled.status_code == 404 and disabled.json["error"]["code"] == "plugin_not_enabled"
    assert client.get("/api/v1/recorder/ping").status_code == 401
    document = client.get("/api/v1/openapi.json").json
    assert document["paths"]["/api/v1/recorder/ping"]["get"]["x-huika-plugin"] == "recorder"


def test_hook_register_migrations_creates_the_plugin_tables(recorder, tmp_path):
    from sqlalchemy import inspect

    from core.db import make_engine
    from core.migrate import upgrade

    registry, _calls = recorder
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.sqlite'}")
    upgrade(engine, registry=registry)
    assert {"recorder_notes", "members"} <= set(inspect(engine).get_table_names())
    engine.dispose()


def test_hook_register_reports_serves_a_plugin_report_to_merchants_that_enabled_it(recorder_app):
    app, calls = recorder_app
    hk = app.extensions["huika"]
    on = make_merchant(hk, "报表插件店", enabled_document())
    off = make_merchant(hk, "无报表插件店", basic_document())
    client = app.test_client()
    listed = client.get("/api/v1/reports", headers=on.headers()).json["reports"]
    entry = next(r for r in listed if r["id"] == "recorder_members")
    assert entry["plugin"] == "recorder" and entry["title"]["zh-CN"] == "会员统计"  # the manifest's title
    assert entry["parameters"]["properties"] == {"label": {"type": "string", "maxLength": 10}}
    answer = client.get("/api/v1/reports/recorder_members?label=vip", headers=on.headers())
    assert answer.status_code == 200, answer.json
    assert answer.json["rows"] == [{"label": "vip", "members": 0}]
    assert ("report", on.id, "vip") in calls
    too_long = client.get("/api/v1/reports/recorder_members?label=" + "x" * 11, headers=on.headers())
    assert too_long.status_code == 422 and too_long.json["error"]["details"][0]["pointer"] == "/label"
    assert "recorder_members" not in [r["id"] for r in
                                      client.get("/api/v1/reports", headers=off.headers()).json["reports"]]
    assert client.get("/api/v1/reports/recorder_members", headers=off.headers()).status_code == 404


def test_hook_register_jobs_runs_once_per_day_for_enabled_merchants(recorder_app):
    from datetime import datetime, timedelta, timezone

    from core.jobs import run_job

    app, calls = recorder_app
    hk = app.extensions["huika"]
    on = make_merchant(hk, "任务店", enabled_document())
    make_merchant(hk, "无任务店", basic_document())
    [job] = [j for j in hk.plugins.jobs() if j.plugin == "recorder"]
    assert job.id == "recorder.count_members"
    now = datetime(2026, 11, 23, 19, 0, tzinfo=timezone.utc)  # 03:00 on the 24th in Shanghai
    first = run_job(hk.db, hk.plugins, job, now)
    assert first["period"] == "2026-11-24" and first["status"] == "done"
    assert first["merchants"] == {str(on.id): {"members": 0}}  # the other merchant did not enable it
    again = run_job(hk.db, hk.plugins, job, now + timedelta(hours=1))
    assert again["skipped"] == "already ran"
    assert len([c for c in calls if c[0] == "job"]) == 1
    forced = run_job(hk.db, hk.plugins, job, now, force=True)
    assert forced["status"] == "done"
    next_day = run_job(hk.db, hk.plugins, job, now + timedelta(days=1))
    assert next_day["period"] == "2026-11-25"


def test_hook_after_member_updated_reports_what_changed(recorder_app):
    app, calls = recorder_app
    hk = app.extensions["huika"]
    shop = make_merchant(hk, "改资料店", enabled_document())
    client = app.test_client()
    member = client.post("/api/v1/members", json={"name": "庚", "phone": "13800000010",
                                                  "extra": {"favourite": "tea"}}, headers=shop.headers()).json
    changed = client.patch(f"/api/v1/members/{member['id']}", json={
        "name": "庚", "birthday": "1990-05-04", "extra": {"favourite": "coffee", "wechat_id": "gg"}},
        headers=shop.headers())
    assert changed.status_code == 200
    assert ("after_member_updated", "庚", {
        "birthday": {"from": None, "to": "1990-05-04"},
        "extra.favourite": {"from": "tea", "to": "coffee"},
        "extra.wechat_id": {"from": None, "to": "gg"}}, shop.staff_ids["owner"]) in calls
    before = len(calls)
    client.patch(f"/api/v1/members/{member['id']}", json={"name": "庚"}, headers=shop.headers())
    assert not [c for c in calls[before:] if c[0] == "after_member_updated"]  # nothing changed


def test_hook_after_card_kind_changed(recorder_app):
    app, calls = recorder_app
    shop = make_merchant(app.extensions["huika"], "升卡店", enabled_document())
    client = app.test_client()
    card = _card(client, shop)
    moved = client.post(f"/api/v1/cards/{card}/kind", json={"kind": "purchase"}, headers=shop.headers())
    assert moved.status_code == 200 and moved.json["kind"] == "purchase"
    assert ("after_card_kind_changed", card, "standard", "purchase") in calls
    again = client.post(f"/api/v1/cards/{card}/kind", json={"kind": "purchase"}, headers=shop.headers())
    assert again.status_code == 409 and again.json["error"]["code"] == "same_card_kind"
    unknown = client.post(f"/api/v1/cards/{card}/kind", json={"kind": "platinum"}, headers=shop.headers())
    assert unknown.status_code == 422 and unknown.json["error"]["details"][0]["pointer"] == "/kind"
    assert len([c for c in calls if c[0] == "after_card_kind_changed"]) == 1


def test_hook_after_checkout_return_can_undo_or_refuse(recorder_app):
    app, calls = recorder_app
    shop = make_merchant(app.extensions["huika"], "退货店", enabled_document())
    client = app.test_client()
    receipt = client.post("/api/v1/checkout", json={
        "lines": [{"sku": "TEA", "unit_price_fen": 300}, {"sku": "FINAL", "unit_price_fen": 200}],
        "payments": [{"method": "cash", "amount_fen": 500}]}, headers={**shop.headers(), **_key()}).json
    url = f"/api/v1/checkouts/{receipt['checkout_id']}/returns"
    refused = client.post(url, json={"lines": [{"line_no": 2, "quantity": 1}]}, headers={**shop.headers(), **_key()})
    assert refused.status_code == 409 and refused.json["error"]["code"] == "final_sale"
    assert client.get(f"/api/v1/checkouts/{receipt['checkout_id']}", headers=shop.headers()).status_code == 200
    kept = client.post(url, json={"lines": [{"line_no": 1, "quantity": 1}]}, headers={**shop.headers(), **_key()})
    assert kept.status_code == 201 and kept.json["refund_fen"] == 300  # the refused return changed nothing
    assert ("after_checkout_return", receipt["checkout_id"], [(1, 1)]) in calls


def test_hook_benefit_kinds_describe_what_can_be_given(recorder_app):
    from core.benefits import available_kinds, validate_benefit
    from core.config_versions import published_config

    app, _calls = recorder_app
    hk = app.extensions["huika"]
    on = make_merchant(hk, "赠品店", enabled_document())
    off = make_merchant(hk, "无赠品店", basic_document())
    with hk.db.read() as session:
        config = published_config(session, on.id, hk.plugins)
        assert list(available_kinds(config)) == ["stamp_bonus"]
        assert validate_benefit(config, {"kind": "stamp_bonus", "stamps": 2}) == []
        assert validate_benefit(config, {"kind": "stamp_bonus", "stamps": 0})[0]["pointer"] == "/benefit/stamps"
        assert validate_benefit(config, {"kind": "room_voucher"})[0]["pointer"] == "/benefit/kind"
        other = published_config(session, off.id, hk.plugins)
        assert available_kinds(other) == {}
        assert validate_benefit(other, {"kind": "stamp_bonus", "stamps": 2})[0]["pointer"] == "/benefit/kind"


def test_hook_grant_benefit_posts_for_the_owning_plugin(recorder_app):
    from datetime import datetime, timezone

    from core import benefits
    from core.cards import get_card
    from core.config_versions import published_config
    from core.errors import Conflict
    from core.ledger import card_balances

    app, _calls = recorder_app
    hk = app.extensions["huika"]
    shop = make_merchant(hk, "赠章店", enabled_document())
    number = _card(app.test_client(), shop)
    now = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
    with hk.db.write() as session:
        config = published_config(session, shop.id, hk.plugins)
        card = get_card(session, shop.id, number)
        assert benefits.grant(session, config, card, {"kind": "stamp_bonus", "stamps": 4}, now=now) == {"stamps": 4}
        with pytest.raises(Conflict) as refused:
            benefits.grant(session, config, card, {"kind": "room_voucher"}, now=now)
        assert refused.value.code == "benefit_unavailable"
        with pytest.raises(Conflict) as invalid:  # checked before the plugin is asked
            benefits.grant(session, config, card, {"kind": "stamp_bonus", "stamps": -3}, now=now)
        assert invalid.value.code == "benefit_invalid"
        assert invalid.value.details[0]["pointer"] == "/benefit/stamps"
        assert card_balances(session, card.id)["stamps"] == 4


def test_hook_member_projection_adds_lines_after_the_core_tier_lines(recorder_app):
    app, _calls = recorder_app
    hk = app.extensions["huika"]
    tiers = [{"key": "silver", "name": {"zh-CN": "银卡", "en": "Silver"}, "rank": 1},
             {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 2,
              "upgrade": [{"kind": "single_purchase", "amount_fen": 50000}]}]
    on = make_merchant(hk, "预测店", enabled_document(tiers=tiers))
    off = make_merchant(hk, "无预测店", basic_document(tiers=tiers))
    client = app.test_client()
    card = _card(client, on)
    client.post("/api/v1/checkout", json={"card_number": card, "lines": [{"sku": "TEA", "unit_price_fen": 700}],
                                          "payments": [{"method": "cash", "amount_fen": 700}]},
                headers={**on.headers(), **_key()})
    lines = client.get(f"/api/v1/cards/{card}/projection", headers=on.headers()).json["lines"]
    assert [line["kind"] for line in lines] == ["tier", "stamps"]
    assert lines[1]["card"] == card and lines[1]["weekly_fen"] == 700  # one week: the sale itself
    other = _card(client, off, phone="13800000010")
    lines = client.get(f"/api/v1/cards/{other}/projection", headers=off.headers()).json["lines"]
    assert [line["kind"] for line in lines] == ["tier"]  # not enabled: the plugin is not asked


def test_hook_register_import_kinds_adds_a_kind_for_enabled_merchants(recorder_app):
    from core import ledger

    app, calls = recorder_app
    hk = app.extensions["huika"]
    on = make_merchant(hk, "导入店", enabled_document())
    off = make_merchant(hk, "不导入店", basic_document())
    client = app.test_client()
    card = client.post("/api/v1/cards", json={"number": "5550001"}, headers=on.headers()).json["number"]
    member = client.post("/api/v1/members", json={"name": "周七", "phone": "13655550001"},
                         headers=on.headers()).json["id"]
    client.post(f"/api/v1/cards/{card}/bind", json={"member_id": member}, headers=on.headers())
    kinds = {k["key"]: k for k in client.get("/api/v1/imports", headers=on.headers()).json["kinds"]}
    assert kinds["stamps"]["title"]["zh-CN"] == "印章" and {"members", "cards"} <= set(kinds)
    assert "stamps" not in {k["key"] for k in client.get("/api/v1/imports", headers=off.headers()).json["kinds"]}
    data = "卡号*,印章数*\n5550001,7\n9990000,1\n".encode()
    dry = client.post("/api/v1/imports/stamps?dry_run=true", data=data, headers=on.headers())
    assert dry.status_code == 200 and [p["row"] for p in dry.json["problems"]] == [3]
    done = client.post("/api/v1/imports/stamps", data="卡号*,印章数*\n5550001,7\n".encode(), headers=on.headers())
    assert done.status_code == 201, done.json
    assert ("import", done.json["batch_id"], 1) in calls
    assert done.json["reconciliation"]["assets"] == [
        {"asset": "stamps", "file": 7, "posted": 7, "cards_hold_now": 7}]
    assert client.post("/api/v1/imports/stamps", data=data, headers=off.headers()).status_code == 404
    with hk.db.read() as session:
        assert ledger.verify(session, on.id) == []


def test_hook_checkout_resolve_lines_fills_catalogue_lines_and_member_prices(recorder_app):
    app, _calls = recorder_app
    hk = app.extensions["huika"]
    on = make_merchant(hk, "目录店", enabled_document())
    off = make_merchant(hk, "无目录店", basic_document())
    client = app.test_client()
    card = client.post("/api/v1/cards", json={"member_id": client.post(
        "/api/v1/members", json={"name": "庚", "phone": "13800000077"}, headers=on.headers()).json["id"],
        "tier": "gold"}, headers=on.headers()).json["number"]
    body = {"card_number": card, "lines": [{"barcode": "42", "quantity": 2},
                                           {"sku": "TEA", "unit_price_fen": 1000}]}
    quote = client.post("/api/v1/checkout/quote", json=body, headers=on.headers()).json
    house, tea = quote["lines"]
    assert (house["sku"], house["paid_fen"], house["member_price_fen"], house["product_id"]) == \
        ("HOUSE-42", 1200, 600, 7)
    assert tea["paid_fen"] == 880 and "product_id" not in tea  # typed: the tier's 8.8折
    refused = client.post("/api/v1/checkout/quote", json=body, headers=off.headers())
    assert refused.status_code == 422  # not enabled: a barcode line is not a line


def test_hook_demo_data_runs_once_for_the_demo_merchant(recorder_app, monkeypatch):
    import core.demo as demo

    app, calls = recorder_app
    hk = app.extensions["huika"]
    monkeypatch.setattr(demo, "DEMO_DOCUMENT", {**demo.DEMO_DOCUMENT, "plugins": [
        *demo.DEMO_DOCUMENT["plugins"], {"id": "recorder", "settings": {"greeting": "hi"}}]})
    with hk.db.write() as session:
        first = demo.load_demo(session, hk.plugins, member_count=2)
    with hk.db.write() as session:
        demo.load_demo(session, hk.plugins, member_count=2)  # exists: no second sample data
    assert [call for call in calls if call[0] == "demo_data"] == [
        ("demo_data", first.merchant_id, 2, True)]


def test_hook_register_message_senders_delivers_for_merchants_that_enabled_the_plugin(recorder_app):
    from datetime import datetime, timezone

    from core.errors import Invalid
    from core.messages import enqueue
    from core.messages.channels import save_channel
    from core.messages.dispatch import dispatch_due

    app, calls = recorder_app
    hk = app.extensions["huika"]
    on = make_merchant(hk, "寻呼店", enabled_document())
    off = make_merchant(hk, "无寻呼店", basic_document())
    client = app.test_client()
    member = client.post("/api/v1/members", json={"name": "辛", "phone": "13800000078"},
                         headers=on.headers()).json["id"]
    with hk.db.write() as session:
        save_channel(session, hk.plugins, on.id, "sms", sender="recorder_pager", settings={"prefix": "P:"})
        enqueue(session, on.id, member_id=member, kind="birthday", variables={})
    with pytest.raises(Invalid):  # not enabled: the plugin's sender is not offered
        with hk.db.write() as session:
            save_channel(session, hk.plugins, off.id, "sms", sender="recorder_pager", settings={"prefix": "P:"})
    noon = datetime(2026, 12, 7, 4, 0, tzinfo=timezone.utc)  # 12:00 in Shanghai
    assert dispatch_due(hk.db, hk.plugins, noon) == {"sent": 1}
    [sent] = [call for call in calls if call[0] == "send"]
    assert sent[1] == "13800000078" and sent[2].startswith("P:辛")
