"""A request holds at most one pooled connection at a time, and none once it is answered
(webui.api.handlers.execute reads a write's configuration and replay check on the token
check's connection, then gives it back before the write's own transaction; every other
view's session gives it back as it opens: core.db.Database.before_session)."""
from __future__ import annotations

import uuid

import pytest
from sqlalchemy import event

from tests.support.factories import basic_document, make_merchant


class _PoolWatch:
    def __init__(self, engine) -> None:
        self.held = self.most = 0
        self._pool = engine.pool
        event.listen(self._pool, "checkout", self._out)
        event.listen(self._pool, "checkin", self._in)

    def _out(self, *_args) -> None:
        self.held += 1
        self.most = max(self.most, self.held)

    def _in(self, *_args) -> None:
        self.held -= 1

    def close(self) -> None:
        event.remove(self._pool, "checkout", self._out)
        event.remove(self._pool, "checkin", self._in)


@pytest.fixture
def watch(hk):
    found = _PoolWatch(hk.db.engine)
    yield found
    found.close()


def _request(client, watch, method, url, **kwargs):
    watch.most = watch.held
    response = client.open(url, method=method, **kwargs)
    assert watch.most <= 1, f"{method} {url} held {watch.most} connections at once"
    assert watch.held == 0, f"{method} {url} kept a connection after its answer"
    return response


def _member_card(client, owner) -> str:
    member = client.post("/api/v1/members", json={"name": "王芳", "phone": "13800138000"},
                         headers=owner)
    assert member.status_code == 201, member.json
    card = client.post("/api/v1/cards", json={"member_id": member.json["id"], "tier": "silver"},
                       headers=owner)
    assert card.status_code == 201, card.json
    return card.json["number"]


def test_every_kind_of_handler_answer_holds_one_connection_at_a_time(client, hk, watch):
    """webui.api.handlers.execute: a write, its replay, a reused key, a bad body, no key, a
    role refused, a read, a plugin not enabled."""
    shop = make_merchant(hk, "连接店", basic_document(plugins=[{"id": "stored_value", "settings": {}}]))
    owner = shop.headers()
    number = _member_card(client, owner)
    recharge = {"amount_fen": 100000, "payment": {"method": "cash"}}
    same_key = {**owner, "Idempotency-Key": uuid.uuid4().hex}
    first = _request(client, watch, "POST", f"/api/v1/cards/{number}/recharge", json=recharge,
                     headers=same_key)
    assert first.status_code in (200, 201), first.json
    again = _request(client, watch, "POST", f"/api/v1/cards/{number}/recharge", json=recharge,
                     headers=same_key)
    assert again.headers.get("Idempotent-Replayed") == "true" and again.json == first.json
    other_body = _request(client, watch, "POST", f"/api/v1/cards/{number}/recharge",
                          json={**recharge, "amount_fen": 100001}, headers=same_key)
    assert other_body.status_code == 409
    wrong = _request(client, watch, "POST", f"/api/v1/cards/{number}/recharge",
                     json={"amount_fen": "x"}, headers={**owner, "Idempotency-Key": uuid.uuid4().hex})
    assert wrong.status_code == 422
    no_key = _request(client, watch, "POST", f"/api/v1/cards/{number}/recharge", json=recharge,
                      headers=owner)
    assert no_key.status_code == 428
    cashier = _request(client, watch, "POST", f"/api/v1/cards/{number}/refund",
                       json={"amount_fen": 1, "payment": {"method": "cash"}},
                       headers={**shop.headers("cashier"), "Idempotency-Key": uuid.uuid4().hex})
    assert cashier.status_code in (403, 422), cashier.json
    read = _request(client, watch, "GET", f"/api/v1/cards/{number}/stored-value", headers=owner)
    assert read.status_code == 200
    plain = make_merchant(hk, "无储值连接店", basic_document())
    disabled = _request(client, watch, "POST", f"/api/v1/cards/{number}/recharge", json=recharge,
                        headers={**plain.headers(), "Idempotency-Key": uuid.uuid4().hex})
    assert disabled.status_code == 404


def test_core_views_give_the_token_checks_connection_back_before_their_own(client, hk, watch):
    """The core's own views (webui.api.operations.operation) open their write (or read)
    session after the token check: the app's Database gives the token check's connection back
    first (Database.before_session), else each request would hold two and, with more
    parallel requests than the pool holds, wait for a second one (the pool runs dry)."""
    shop = make_merchant(hk, "核心连接店", basic_document())
    owner = shop.headers()
    member = _request(client, watch, "POST", "/api/v1/members",
                      json={"name": "王芳", "phone": "13800138000"}, headers=owner)
    assert member.status_code == 201, member.json
    read = _request(client, watch, "GET", f"/api/v1/members/{member.json['id']}", headers=owner)
    assert read.status_code == 200


def test_every_connection_goes_back_to_the_pool_with_its_transaction_ended(client, hk, database_url):
    """PostgreSQL: a read connection's transaction (the driver's own, begun by the token
    check's statement on its cursor) is ended by a COMMIT before the connection goes back
    (core.db.end_read); left open, the pool's ROLLBACK would cost psycopg its prepared
    statements."""
    if not database_url.startswith("postgresql"):
        pytest.skip("PostgreSQL's driver-level transactions")
    open_at_return, returned = [], []

    def reset(dbapi_connection, _record, _state) -> None:
        returned.append(1)
        if dbapi_connection.info.transaction_status != 0:  # not IDLE
            open_at_return.append(dbapi_connection.info.transaction_status)

    pool = hk.db.engine.pool
    event.listen(pool, "reset", reset)
    try:
        shop = make_merchant(hk, "事务店", basic_document(plugins=[{"id": "stored_value", "settings": {}}]))
        number = _member_card(client, shop.headers())
        open_at_return.clear()
        headers = {**shop.headers(), "Idempotency-Key": uuid.uuid4().hex}
        recharge = {"amount_fen": 100000, "payment": {"method": "cash"}}
        for _ in range(2):  # the write, then its replay
            assert client.post(f"/api/v1/cards/{number}/recharge", json=recharge,
                               headers=headers).status_code in (200, 201)
        assert client.get(f"/api/v1/cards/{number}/stored-value",
                          headers=shop.headers()).status_code == 200
        assert client.get(f"/api/v1/members?card_number={number}",
                          headers=shop.headers()).status_code == 200
    finally:
        event.remove(pool, "reset", reset)
    assert returned and open_at_return == []
