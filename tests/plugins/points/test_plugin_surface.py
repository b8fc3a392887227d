"""The plugin's surface: its tables come with `huika init`, its API operations are described
in OpenAPI under the tag ``points``, and every route is scoped to the caller's merchant."""
from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect

from core import migrate
from core.db import make_engine
from core.plugins import build_registry

from .conftest import make_shop

TABLES = {"points_mall_items", "points_wheel_prizes", "points_wheel_spins"}
OPERATIONS = {
    ("get", "/api/v1/points/mall/items"): "listMallItems",
    ("post", "/api/v1/points/mall/items"): "createMallItem",
    ("patch", "/api/v1/points/mall/items/{item_id}"): "updateMallItem",
    ("post", "/api/v1/cards/{card_number}/redeem"): "redeemMallItem",
    ("get", "/api/v1/points/wheel/prizes"): "listWheelPrizes",
    ("post", "/api/v1/points/wheel/prizes"): "createWheelPrize",
    ("patch", "/api/v1/points/wheel/prizes/{prize_id}"): "updateWheelPrize",
    ("post", "/api/v1/cards/{card_number}/wheel/spin"): "spinWheel",
    ("post", "/api/v1/cards/{card_number}/points/adjust"): "adjustPoints",
    ("post", "/api/v1/points/expire"): "expirePoints",
    ("get", "/api/v1/points/expiring"): "listExpiringPoints",
}


def test_register_migrations_points_to_the_points_branch():
    registry = build_registry()
    locations = migrate.plugin_version_locations(registry)
    ours = [path for path in locations if Path(path).parts[-3:-1] == ("points", "migrations")]
    assert len(ours) == 1 and Path(ours[0]).is_dir()
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config(None, locations))
    revision = script.get_revision("points@head")
    assert revision.branch_labels == {"points"} and revision.dependencies == "0002"


def test_the_migrated_database_has_the_plugins_tables(database_url):
    engine = make_engine(database_url)  # migrated by tests/conftest.py as `huika init` does
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_huika_init_creates_the_plugins_tables(tmp_path, monkeypatch):
    from webui.cli import cli

    url = f"sqlite:///{tmp_path / 'init.sqlite'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("HUIKA_INSTANCE_PATH", str(tmp_path / "instance"))
    obj: dict = {}
    CliRunner().invoke(cli, ["init"], obj=obj)
    obj["app"].extensions["huika"].db.dispose()
    # The exit code is core's: `huika init` then prints the revision with
    # core.migrate.current_revision(), which refuses a database with several heads (core +
    # the points branch); tests/test_cli.py::test_init_creates_the_schema_and_can_run_twice
    # covers that. Here: the upgrade ran and created the plugin's tables.
    engine = make_engine(url)
    try:
        assert TABLES <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_operations_are_in_the_openapi_document_under_points(client):
    document = client.get("/api/v1/openapi.json").json
    found = {(method, path): op["operationId"] for path, item in document["paths"].items()
             for method, op in item.items() if op.get("x-huika-plugin") == "points"}
    assert found == OPERATIONS
    for path, item in document["paths"].items():
        for op in item.values():
            if op.get("x-huika-plugin") == "points":
                assert op["tags"] == ["points"]


def test_routes_answer_404_where_points_are_not_enabled(client, hk):
    from tests.support.factories import basic_document, make_merchant

    plain = make_merchant(hk, "没开积分", basic_document())
    for (method, path), _ in OPERATIONS.items():
        url = path.replace("{item_id}", "1").replace("{prize_id}", "1").replace("{card_number}", "X1")
        response = client.open(url, method=method.upper(), json={} if method != "get" else None,
                               headers={**plain.headers(), "Idempotency-Key": f"off-{method}-{path}"})
        assert response.status_code == 404, (method, path, response.json)
        assert response.json["error"]["code"] == "plugin_not_enabled"


@pytest.fixture
def two_shops(client, hk, monkeypatch):
    import random

    from plugins.points import wheel

    monkeypatch.setattr(wheel, "rng_factory", lambda: random.Random(1))
    a = make_shop(client, hk, "商户甲", wheel_enabled=True)
    b = make_shop(client, hk, "商户乙", wheel_enabled=True)
    a_card = a.card()
    a.buy(a_card, 1000)
    item = client.post("/api/v1/points/mall/items", json={"name": "杯子", "points_cost": 10, "stock": 5},
                       headers=a.headers()).json
    prize = client.post("/api/v1/points/wheel/prizes", json={"name": "伞", "kind": "gift", "stock": 5},
                        headers=a.headers()).json
    return a, b, a_card, item, prize


def test_every_points_route_with_an_id_is_404_for_another_merchant(client, two_shops):
    a, b, a_card, item, prize = two_shops
    b_card = b.card()
    b.buy(b_card, 1000)
    attempts = [
        ("PATCH", f"/api/v1/points/mall/items/{item['id']}", {"restock": 1}),
        ("PATCH", f"/api/v1/points/wheel/prizes/{prize['id']}", {"restock": 1}),
        ("POST", f"/api/v1/cards/{a_card}/redeem", {"item_id": item["id"]}),
        ("POST", f"/api/v1/cards/{b_card}/redeem", {"item_id": item["id"]}),  # own card, A's item
        ("POST", f"/api/v1/cards/{a_card}/wheel/spin", None),
        ("POST", f"/api/v1/cards/{a_card}/points/adjust", {"points": 5, "reason": "x"}),
    ]
    for method, url, body in attempts:
        response = client.open(url, method=method, json=body, headers=b.headers(idempotent=True))
        assert response.status_code == 404, (method, url, response.json)
        assert response.json["error"]["code"] == "not_found"
    assert a.points(a_card) == 100 and b.points(b_card) == 100
    a_items = client.get("/api/v1/points/mall/items", headers=a.headers()).json["items"]
    a_prizes = client.get("/api/v1/points/wheel/prizes", headers=a.headers()).json["items"]
    assert a_items[0]["stock"] == 5 and a_prizes[0]["stock"] == 5


def test_every_points_route_without_ids_shows_only_the_callers_data(client, two_shops, clock):
    a, b, a_card, item, prize = two_shops
    assert client.get("/api/v1/points/mall/items", headers=b.headers()).json["items"] == []
    assert client.get("/api/v1/points/wheel/prizes", headers=b.headers()).json["items"] == []
    created = client.post("/api/v1/points/mall/items", json={"name": "杯子", "points_cost": 1, "stock": 1},
                          headers=b.headers())
    assert created.status_code == 201  # A's item name is free in B
    assert client.post("/api/v1/points/wheel/prizes", json={"name": "伞", "kind": "none"},
                       headers=b.headers()).status_code == 201
    assert [i["name"] for i in client.get("/api/v1/points/mall/items", headers=a.headers()).json["items"]] == ["杯子"]
    assert len(client.get("/api/v1/points/wheel/prizes", headers=a.headers()).json["items"]) == 1
    clock.at("2099-01-01 12:00")  # A's points are long expired, but B runs the job
    assert client.get("/api/v1/points/expiring?days=3660", headers=b.headers()).json["items"] == []
    expired = client.post("/api/v1/points/expire", headers=b.headers(idempotent=True))
    assert expired.status_code == 200 and expired.json["points"] == 0
    assert a.points(a_card) == 100
    a.verify()
    b.verify()


def test_the_redeem_screen_submits_to_the_mall_redemption(client, hk):
    [screen] = hk.plugins.get("points").screens
    document = client.get("/api/v1/openapi.json").json
    action = screen["action"]
    operation = document["paths"][action["path"]][action["method"].lower()]
    assert operation["operationId"] == action["operation_id"] == "redeemMallItem"
    assert set(screen["data_schema"]["properties"]) == set(
        operation["requestBody"]["content"]["application/json"]["schema"]["properties"])
