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
from tests.support.plugin_factory import install_plugin

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
def after_member_created(session, member, config):
    assert member.id is not None
    CALLS.append(("after_member_created", member.name))

@hookimpl
def after_card_issued(session, card, config):
    CALLS.append(("after_card_issued", card.number, card.status))

@hookimpl
def after_card_bound(session, card, member, config):
    CALLS.append(("after_card_bound", card.number, member.name))

@hookimpl
def member_summary(session, member, config):
    return {"recorder_greeting": config.settings_for("recorder")["greeting"]}

@hookimpl
def register_commands(cli):
    import click

    @cli.command(name="recorder-hello")
    def hello():
        click.echo("recorder says hello")
"""


@pytest.fixture
def recorder(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    monkeypatch.syspath_prepend(str(site))
    install_plugin(site, "recorder", code=RECORDER)
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
    names = [c[1] for c in calls if c[0] == "after_member_created"]
    assert names == ["甲"]


def test_hook_after_card_issued(recorder_app):
    app, calls = recorder_app
    shop = make_merchant(app.extensions["huika"], "发卡店", enabled_document())
    app.test_client().post("/api/v1/cards", json={"number": "HOOK0001"}, headers=shop.headers())
    assert ("after_card_issued", "HOOK0001", "issued") in calls


def test_hook_after_card_bound(recorder_app):
    app, calls = recorder_app
    shop = make_merchant(app.extensions["huika"], "绑卡店", enabled_document())
    client = app.test_client()
    member = client.post("/api/v1/members", json={"name": "丙", "phone": "13800000003"},
                         headers=shop.headers()).json
    client.post("/api/v1/cards", json={"number": "HOOK0002", "member_id": member["id"]},
                headers=shop.headers())
    assert ("after_card_bound", "HOOK0002", "丙") in calls


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
