"""Bearer tokens per staff user, roles, JSON errors for every failure."""
from __future__ import annotations

import pytest

from tests.support.factories import basic_document, make_merchant


@pytest.fixture
def shop(hk):
    return make_merchant(hk, "令牌测试店", basic_document())


def test_missing_and_unknown_tokens_answer_401_json(client, shop):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic abc"}):
        response = client.get("/api/v1/members", headers=headers)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "unauthorized"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_me_tells_who_the_token_belongs_to(client, shop):
    response = client.get("/api/v1/me", headers=shop.headers("cashier"))
    assert response.status_code == 200
    assert response.json["role"] == "cashier" and response.json["merchant"]["name"] == "令牌测试店"


def test_cashier_cannot_touch_configuration(client, shop):
    for method, url in (("get", "/api/v1/config/draft"), ("post", "/api/v1/config/publish"),
                        ("get", "/api/v1/config/versions")):
        response = getattr(client, method)(url, headers=shop.headers("cashier"))
        assert response.status_code == 403, url
        assert response.json["error"]["code"] == "forbidden"
    assert client.get("/api/v1/config/draft", headers=shop.headers("manager")).status_code == 200


def test_revoked_token_and_inactive_staff_are_refused(client, hk, shop):
    from sqlalchemy import update

    from core.models import ApiToken
    from core.clock import now_utc as utcnow

    assert client.get("/api/v1/me", headers=shop.headers("manager")).status_code == 200
    with hk.db.write() as session:
        session.execute(update(ApiToken).values(revoked_at=utcnow()))
    assert client.get("/api/v1/me", headers=shop.headers("manager")).status_code == 401


def test_inactive_staff_token_is_refused(client, hk, shop):
    from sqlalchemy import update

    from core.models import Staff

    with hk.db.write() as session:
        session.execute(update(Staff).where(Staff.username == "cashier").values(active=False))
    assert client.get("/api/v1/me", headers=shop.headers("cashier")).status_code == 401
    assert client.get("/api/v1/me", headers=shop.headers("owner")).status_code == 200


def test_unknown_api_path_and_wrong_method_answer_json(client, shop):
    missing = client.get("/api/v1/nothing-here", headers=shop.headers())
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"
    wrong = client.delete("/api/v1/members", headers=shop.headers())
    assert wrong.status_code == 405 and wrong.json["error"]["code"] == "method_not_allowed"
