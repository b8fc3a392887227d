"""The ``huika`` console script, command by command, on a SQLite file (README: Command line)."""
from __future__ import annotations

import os
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.runtime.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy import func, select

from core import migrate
from core.db import make_engine
from core.demo import DEMO_MERCHANT, DEMO_PASSWORD
from core.models import Card, Member, Merchant, Staff, Store
from core.plugins import build_registry
from core.security import check_pin_hash
from tests.support.plugin_factory import install_plugin, manifest
from webui import create_app
from webui.cli import cli

BUILT_INS = {"points", "stored_value", "training_courses", "cosmetics_profile", "hotel_rooms"}
ROLES = ("owner", "manager", "cashier")


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    """The URL every command uses; nothing is written outside tmp_path."""
    url = f"sqlite:///{tmp_path / 'cli.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HUIKA_INSTANCE_PATH", str(tmp_path / "instance"))
    return url


def run(*args: str):
    """Invoke ``huika ARGS`` as the console script does (a fresh ``obj`` per run)."""
    obj: dict = {}
    result = CliRunner().invoke(cli, list(args), obj=obj)
    if "app" in obj:
        obj["app"].extensions["huika"].db.dispose()
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def count(url: str, model, *where) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(model).where(*where))
    finally:
        engine.dispose()


@pytest.fixture
def initialised(db_url):
    """A migrated database (prepared as conftest does, so only the init test depends on init)."""
    engine = make_engine(db_url)
    migrate.upgrade(engine, registry=build_registry())
    engine.dispose()
    return db_url


@pytest.fixture
def api(db_url):
    app = create_app({"DATABASE_URL": db_url})
    yield app.test_client()
    app.extensions["huika"].db.dispose()


def me(api, token: str):
    return api.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})


# --- init ----------------------------------------------------------------------------------

def applied_heads(url: str) -> list[str]:
    """The revisions in alembic_version: the core's head plus one per plugin branch."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(MigrationContext.configure(connection).get_current_heads())
    finally:
        engine.dispose()


def test_init_creates_the_schema_and_can_run_twice(db_url):
    first = run("init")
    assert first.exit_code == 0, first.output
    heads = applied_heads(db_url)
    assert heads and first.output.startswith("database ready at revision")
    assert all(head in first.output for head in heads), first.output
    assert count(db_url, Merchant) == 0  # the tables exist

    second = run("init")
    assert second.exit_code == 0, second.output
    assert applied_heads(db_url) == heads
    assert all(head in second.output for head in heads), second.output


# --- merchant create -----------------------------------------------------------------------

def test_merchant_create_prints_the_new_id(initialised):
    result = run("merchant", "create", "--name", "茶叶店")
    assert result.exit_code == 0, result.output
    match = re.fullmatch(r"merchant (\d+): 茶叶店  \(sign-in code [1-9][0-9]{5}\)\n", result.output)
    assert match, result.output
    assert count(initialised, Merchant, Merchant.id == int(match.group(1)),
                 Merchant.name == "茶叶店") == 1


def test_duplicate_merchant_name_fails_with_exit_2_and_creates_nothing(initialised):
    assert run("merchant", "create", "--name", "茶叶店").exit_code == 0
    stores_before = count(initialised, Store)

    result = run("merchant", "create", "--name", "茶叶店")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "error: a merchant named '茶叶店' already exists\n"
    assert count(initialised, Merchant) == 1
    assert count(initialised, Store) == stores_before


# --- token create --------------------------------------------------------------------------

def test_token_create_prints_only_a_token_that_authenticates(initialised, api):
    run("merchant", "create", "--name", "茶叶店")
    result = run("token", "create", "--merchant", "茶叶店", "--user", "bob", "--role", "cashier")
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert result.stdout == token + "\n" and token.startswith("hk_") and " " not in token

    response = me(api, token)
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["username"], body["role"], body["merchant"]["name"]) == ("bob", "cashier", "茶叶店")
    assert me(api, token + "x").status_code == 401


def test_token_create_for_an_existing_user_with_another_role_fails(initialised):
    run("merchant", "create", "--name", "茶叶店")
    assert run("token", "create", "--merchant", "茶叶店", "--user", "bob", "--role", "cashier").exit_code == 0

    result = run("token", "create", "--merchant", "茶叶店", "--user", "bob", "--role", "owner")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "error: user 'bob' has role 'cashier', not 'owner'\n"
    assert count(initialised, Staff, Staff.username == "bob", Staff.role == "cashier") == 1


def test_token_create_for_an_unknown_merchant_fails(initialised):
    result = run("token", "create", "--merchant", "无此商户", "--user", "bob", "--role", "cashier")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr == "error: no merchant named '无此商户'\n"
    assert count(initialised, Staff) == 0


# --- plugins -------------------------------------------------------------------------------

def plugin_lines(output: str) -> dict[str, list[str]]:
    """plugin id -> [version, status, rest of the line]"""
    return {line.split()[0]: line.split(None, 3)[1:] for line in output.splitlines()}


def test_plugins_lists_the_built_ins_as_valid(db_url):
    result = run("plugins")
    assert result.exit_code == 0, result.output
    lines = plugin_lines(result.output)
    assert BUILT_INS <= set(lines)
    assert all(lines[plugin_id][1] == "valid" for plugin_id in BUILT_INS), result.output
    assert "REFUSED" not in result.output


@pytest.fixture
def site(tmp_path, monkeypatch):
    path = tmp_path / "site"
    path.mkdir()
    monkeypatch.syspath_prepend(str(path))
    yield path
    for name in [m for m in sys.modules if m.startswith("huika_test_")]:
        del sys.modules[name]


def test_plugins_reports_a_broken_plugin_and_exits_1(db_url, site):
    bad = manifest("broken")
    bad["title"] = {"zh-CN": "坏插件"}  # the English title is missing
    install_plugin(site, "broken", manifest_doc=bad)

    result = run("plugins")
    assert result.exit_code == 1
    broken = [line for line in result.output.splitlines() if line.startswith("broken ")]
    assert len(broken) == 1, result.output
    assert broken[0].endswith(
        "REFUSED  plugin 'broken': plugin.json at /title: 'en' is a required property")
    lines = plugin_lines(result.output)
    assert all(lines[plugin_id][1] == "valid" for plugin_id in BUILT_INS), result.output


def test_the_installed_console_script_runs(tmp_path):
    huika = Path(sys.executable).parent / "huika"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}",
           "HUIKA_INSTANCE_PATH": str(tmp_path / "instance")}
    completed = subprocess.run([str(huika), "plugins"], env=env, capture_output=True,
                               text=True, timeout=60, cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    lines = plugin_lines(completed.stdout)
    assert BUILT_INS <= set(lines)
    assert all(lines[plugin_id][1] == "valid" for plugin_id in BUILT_INS), completed.stdout


# --- demo ----------------------------------------------------------------------------------

def demo_tokens(output: str) -> dict[str, str]:
    """role -> token from lines like ``  owner    owner    huika-demo-2026   token: hk_…``"""
    found = re.findall(r"^  (\S+) +(\S+) +(\S+) +token: (hk_\S+)$", output, re.MULTILINE)
    assert [(user, role, password) for user, role, password, _ in found] == [
        (role, role, DEMO_PASSWORD) for role in ROLES], output
    return {role: token for _user, role, _password, token in found}


def test_demo_loads_once_and_then_prints_fresh_working_tokens(db_url, api):
    first = run("demo")
    assert first.exit_code == 0, first.output
    assert first.output.startswith(f"created: {DEMO_MERCHANT}\n")
    first_tokens = demo_tokens(first.output)
    code = re.search(r"merchant code: ([0-9]{6}) ", first.output).group(1)
    assert count(db_url, Merchant, Merchant.code == code, Merchant.name == DEMO_MERCHANT) == 1
    members = count(db_url, Member)
    assert count(db_url, Merchant, Merchant.name == DEMO_MERCHANT) == 1
    assert members > 0 and count(db_url, Card, Card.member_id.is_not(None)) == members

    second = run("demo")
    assert second.exit_code == 0, second.output
    assert second.output.startswith(f"already there: {DEMO_MERCHANT}\n")
    second_tokens = demo_tokens(second.output)
    assert set(second_tokens.values()).isdisjoint(first_tokens.values())
    assert count(db_url, Merchant) == 1 and count(db_url, Member) == members

    for role, token in second_tokens.items():
        response = me(api, token)
        assert response.status_code == 200, response.get_json()
        assert (response.get_json()["role"], response.get_json()["merchant"]["name"]) == (
            role, DEMO_MERCHANT)
    page = api.get("/api/v1/members", headers={"Authorization": f"Bearer {second_tokens['cashier']}"})
    assert page.status_code == 200 and page.get_json()["total"] == members
    # Each demo card with its PIN (C6: random, new each run; no longer one 123456 for all).
    printed = demo_cards(second.output)
    assert len(printed) == members and "123456" not in second.output
    assert printed.keys() == demo_cards(first.output).keys() and printed != demo_cards(first.output)
    number, pin = next(iter(printed.items()))
    engine = make_engine(db_url)
    with engine.connect() as connection:
        stored = connection.execute(select(Card.pin_hash).where(Card.number == number)).scalar()
    engine.dispose()
    pepper = bytes.fromhex((Path(os.environ["HUIKA_INSTANCE_PATH"]) / "pin_pepper").read_text())
    assert check_pin_hash(pin, stored, (pepper,)) == (True, False)


def demo_cards(output: str) -> dict[str, str]:
    """card number -> PIN from the lines ``  8xxxxxxxxxxxxxxx  123456`` after the card heading."""
    return dict(re.findall(r"^  (\d{16})  (\d{6})$", output, re.MULTILINE))


# --- rollups ---------------------------------------------------------------------------------

def test_rollups_fold_and_status_print_the_watermark(initialised):
    # A sale through the API would need a shop; an empty ledger shows the commands work and
    # fold twice does nothing new (tests/test_rollups.py covers the figures).
    folded = run("rollups", "fold")
    assert folded.exit_code == 0, folded.output
    assert json.loads(folded.output)["folded_through"] == 0
    again = run("rollups", "fold", "--rebuild")
    assert again.exit_code == 0 and json.loads(again.output)["batches"] == 0, again.output
    status = run("rollups", "status")
    assert status.exit_code == 0 and set(json.loads(status.output)) >= {"folded_through", "sales_rows"}
