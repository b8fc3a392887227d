"""Throttling (issue 10, item 4) with the real default limits, on SQLite and PostgreSQL:
staff sign-in per account and per client, self-registration per client, SMS codes per client,
per number and per merchant, and bearer-token failures on the API. Counters live in the
database; tests/test_throttle_gunicorn.py shows two gunicorn workers share them."""
from __future__ import annotations

import re
import threading
import uuid
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from core.models import Member, OutboxMessage, RateLimitCounter
from tests.support.clock import freeze
from tests.support.factories import basic_document, make_merchant
from webui import throttle

START = "2026-03-01 10:00"


@pytest.fixture
def clock(monkeypatch):
    return freeze(monkeypatch, START)


@pytest.fixture
def shop(hk):
    return make_merchant(hk, f"限流店-{uuid.uuid4().hex[:6]}", basic_document())


def client_at(app, address: str):
    """A test client whose requests come from ``address`` (all on the loopback range)."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def csrf(client, url) -> str:
    page = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def sign_in(client, shop, username="owner", password="password-123", lang=""):
    url = "/login" + (f"?lang={lang}" if lang else "")
    return client.post(url, data={"merchant": shop.name, "username": username,
                                  "password": password, "csrf_token": csrf(client, url)})


def test_the_defaults_are_the_documented_ones(monkeypatch):
    guide = (Path(__file__).resolve().parents[2] / "docs" / "operations.md").read_text(encoding="utf-8")
    bare = Flask(__name__)
    for setting in throttle.LIMITS:
        monkeypatch.delenv(setting.name, raising=False)
    throttle.load_settings(bare)
    for setting in throttle.LIMITS:
        assert bare.config[setting.name] == setting.default
        assert f"| `{setting.name}` | `{setting.default}` |" in guide


def test_limits_come_from_the_environment_and_must_parse(monkeypatch):
    monkeypatch.setenv("HUIKA_RATELIMIT_SMS_MERCHANT", "2000 per day")
    bare = Flask(__name__)
    throttle.load_settings(bare)
    assert bare.config["HUIKA_RATELIMIT_SMS_MERCHANT"] == "2000 per day"
    monkeypatch.setenv("HUIKA_RATELIMIT_LOGIN_ACCOUNT", "five a minute")
    with pytest.raises(throttle.InvalidLimit, match="HUIKA_RATELIMIT_LOGIN_ACCOUNT"):
        throttle.load_settings(Flask(__name__))


def test_30_wrong_passwords_then_the_right_one_is_refused_until_the_window_passes(app, shop, clock):
    client = client_at(app, "127.0.0.2")
    statuses = [sign_in(client, shop, password=f"guess-{n}").status_code for n in range(30)]
    assert statuses == [401] * 5 + [429] * 25  # 5 per minute per account
    refused = sign_in(client, shop)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert "该账号登录尝试次数过多，请1分钟后再试。" in refused.get_data(as_text=True)
    assert 'name="username"' in refused.get_data(as_text=True)  # the form, to try again later
    # Another client cannot help the guesser: the account is the key.
    assert sign_in(client_at(app, "127.0.0.3"), shop).status_code == 429

    clock.at("2026-03-01 10:00:30")
    english = sign_in(client, shop, lang="en")
    assert english.status_code == 429 and english.headers["Retry-After"] == "30"
    assert "Too many sign-in attempts for this account. Try again in 30 seconds." in english.get_data(as_text=True)
    clock.at("2026-03-01 10:01:00")
    assert sign_in(client, shop).status_code == 302  # the window has passed

    # 20 an hour: three more minutes of 5 guesses each (the sign-in above was the 6th)...
    for minute in (2, 3, 4):
        clock.at(f"2026-03-01 10:0{minute}:00")
        assert [sign_in(client, shop, password="nope").status_code for _ in range(5)] == \
            [401] * (4 if minute == 4 else 5) + [429] * (1 if minute == 4 else 0)
    clock.at("2026-03-01 10:30:00")
    late = sign_in(client, shop)
    assert late.status_code == 429 and late.headers["Retry-After"] == str(30 * 60)
    clock.at("2026-03-01 11:00:00")
    assert sign_in(client, shop).status_code == 302


def test_one_client_is_limited_across_accounts(app, shop, clock):
    guesser = client_at(app, "127.0.0.4")
    statuses = [sign_in(guesser, shop, username=f"user{n}", password="nope").status_code
                for n in range(21)]
    assert statuses == [401] * 20 + [429]  # 20 per minute per client
    refused = sign_in(guesser, shop, lang="en")
    assert refused.status_code == 429 and "from this device" in refused.get_data(as_text=True)
    assert sign_in(client_at(app, "127.0.0.5"), shop).status_code == 302  # others are not


def test_parallel_wrong_passwords_evaluate_exactly_the_limit(app, shop):
    clients = [client_at(app, "127.0.0.6") for _ in range(16)]
    tokens = [csrf(client, "/login") for client in clients]
    barrier = threading.Barrier(len(clients))
    statuses = [None] * len(clients)

    def attempt(index):
        barrier.wait()
        statuses[index] = clients[index].post("/login", data={
            "merchant": shop.name, "username": "owner", "password": "nope",
            "csrf_token": tokens[index]}).status_code

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) == [401] * 5 + [429] * 11


def register(client, shop, phone: str):
    url = f"/m/{shop.id}/register"
    return client.post(url, data={"name": "刷单", "phone": phone, "csrf_token": csrf(client, url)})


def members(hk, shop) -> int:
    with hk.db.read() as session:
        return session.scalar(select(func.count()).select_from(Member).where(Member.merchant_id == shop.id))


def test_a_registration_flood_from_one_client_is_refused(app, hk, shop, clock):
    flooder = client_at(app, "127.0.0.7")
    statuses = [register(flooder, shop, f"1390000{n:04d}").status_code for n in range(30)]
    assert statuses == [303] * 5 + [429] * 25 and members(hk, shop) == 5
    refused = register(flooder, shop, "13900009999")
    page = refused.get_data(as_text=True)
    assert "此设备注册次数过多，请1分钟后再试。" in page and 'value="13900009999"' in page
    assert register(client_at(app, "127.0.0.8"), shop, "13900008888").status_code == 303
    clock.at("2026-03-01 10:01:00")
    assert register(flooder, shop, "13900007777").status_code == 303
    assert members(hk, shop) == 7


def add_members(client, shop, phones):
    for phone in phones:
        response = client.post("/api/v1/members", json={"name": "会员", "phone": phone},
                               headers=shop.headers())
        assert response.status_code == 201, response.json


def ask_code(client, shop, phone: str, lang: str = ""):
    query = f"?lang={lang}" if lang else ""
    return client.post(f"/m/{shop.id}/login/code{query}",
                       data={"phone": phone, "csrf_token": csrf(client, f"/m/{shop.id}/login{query}")})


def sent(hk, shop) -> list[str]:
    with hk.db.read() as session:
        return session.scalars(select(OutboxMessage.recipient).where(
            OutboxMessage.merchant_id == shop.id).order_by(OutboxMessage.id)).all()


def test_one_client_cannot_send_codes_to_many_numbers(app, hk, shop, clock):
    phones = [f"1360000{n:04d}" for n in range(11)]
    add_members(app.test_client(), shop, phones)
    sender = client_at(app, "127.0.0.9")
    statuses = [ask_code(sender, shop, phone).status_code for phone in phones]
    assert statuses == [303] * 5 + [429] * 6 and sent(hk, shop) == phones[:5]
    refused = ask_code(sender, shop, phones[-1], lang="en")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "600"
    assert "Too many codes were asked for from this device. Try again in 10 minutes." in \
        refused.get_data(as_text=True)
    # 20 a day: after three more 10-minute windows of 5, the client waits for tomorrow.
    for window in (1, 2, 3):
        clock.at(f"2026-03-01 10:{window}0:00")
        assert [ask_code(sender, shop, f"1370000{window}{n:03d}").status_code for n in range(5)] == [303] * 5
    clock.at("2026-03-01 10:40:00")
    assert ask_code(sender, shop, "13800000000").status_code == 429


def test_one_number_gets_at_most_five_codes_an_hour_from_any_client(app, hk, shop, clock):
    add_members(app.test_client(), shop, ["13611112222"])
    statuses = [ask_code(client_at(app, f"127.0.1.{n}"), shop, "13611112222").status_code
                for n in range(1, 8)]
    assert statuses == [303] * 5 + [429] * 2 and len(sent(hk, shop)) == 5
    refused = ask_code(client_at(app, "127.0.1.9"), shop, "13611112222")
    assert "这个号码获取验证码次数过多，请1小时后再试。" in refused.get_data(as_text=True)
    # An unknown number is counted the same way, so the answers never tell them apart.
    unknown = [ask_code(client_at(app, f"127.0.2.{n}"), shop, "13699998888").status_code
               for n in range(1, 8)]
    assert unknown == statuses and len(sent(hk, shop)) == 5


def test_a_merchant_sends_at_most_its_daily_codes(app, hk, shop, clock):
    app.config[throttle.SMS_MERCHANT.name] = "3 per day"  # the default is 500: too slow to send
    phones = [f"1350000{n:04d}" for n in range(5)]
    add_members(app.test_client(), shop, phones)
    # Numbers nobody registered send nothing and use none of the merchant's codes.
    assert ask_code(client_at(app, "127.0.3.1"), shop, "13599990000").status_code == 303
    statuses = [ask_code(client_at(app, f"127.0.4.{n}"), shop, phone).status_code
                for n, phone in enumerate(phones)]
    assert statuses == [303] * 3 + [429] * 2 and sent(hk, shop) == phones[:3]
    assert "本店今天的登录验证码已发完" in ask_code(client_at(app, "127.0.5.1"), shop, phones[4]).get_data(as_text=True)
    clock.at("2026-03-02 10:00")
    assert ask_code(client_at(app, "127.0.5.2"), shop, phones[4]).status_code == 303


def test_bearer_token_guessing_is_refused_with_json(app, shop, clock):
    guesser = client_at(app, "127.0.0.10")
    for _ in range(5):  # no token at all is not a guess
        assert guesser.get("/api/v1/members").status_code == 401
    statuses = [guesser.get("/api/v1/members", headers={"Authorization": f"Bearer guess-{n}"}).status_code
                for n in range(31)]
    assert statuses == [401] * 30 + [429]  # 30 refused tokens a minute
    refused = guesser.get("/api/v1/members", headers=shop.headers())  # even a right one now
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert refused.json["error"]["code"] == "rate_limited"
    assert refused.json["error"]["details"] == {"retry_after": 60}
    # Other endpoints share the counter; other clients are not affected.
    assert guesser.get("/api/v1/tiers", headers=shop.headers()).status_code == 429
    assert client_at(app, "127.0.0.11").get("/api/v1/members", headers=shop.headers()).status_code == 200
    clock.at("2026-03-01 10:01:00")
    assert guesser.get("/api/v1/members", headers=shop.headers()).status_code == 200


def test_expired_windows_are_deleted(app, hk, shop, clock):
    from webui.rate_limit_storage import PURGE_EVERY

    sign_in(client_at(app, "127.0.0.12"), shop, password="nope")
    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(RateLimitCounter)) == 4
    clock.now += PURGE_EVERY * 13  # past the hour windows and the next purge
    sign_in(client_at(app, "127.0.0.13"), shop, username="cashier", password="nope")
    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(RateLimitCounter)) == 4


def test_an_ipv6_client_counts_by_its_64_block(app, shop, clock):
    # (2001:db8::/32 is the documentation prefix: these are request fields, not traffic)
    for n in range(30):  # a new address for every guess, all in one /64
        assert client_at(app, f"2001:db8:0:1::{n:x}").get("/api/v1/members", headers={
            "Authorization": "Bearer guess"}).status_code == 401
    assert client_at(app, "2001:db8:0:1:ffff::1").get("/api/v1/members", headers=shop.headers()).status_code == 429
    assert client_at(app, "2001:db8:0:2::1").get("/api/v1/members", headers=shop.headers()).status_code == 200
    # An IPv4 client seen through an IPv6 socket is the same IPv4 client.
    for address in ("127.0.0.20", "::ffff:127.0.0.20"):
        for _ in range(15):
            client_at(app, address).get("/api/v1/members", headers={"Authorization": "Bearer guess"})
    assert client_at(app, "127.0.0.20").get("/api/v1/members", headers=shop.headers()).status_code == 429


def test_forwarded_addresses_count_only_behind_trusted_proxies(app, database_url, plugin_registry, clock):
    from webui import create_app

    def guesses(client, forwarded_for: str, count: int) -> list[int]:
        return [client.get("/api/v1/members", headers={
            "Authorization": "Bearer guess", "X-Forwarded-For": forwarded_for}).status_code
            for _ in range(count)]

    # Without a trusted proxy the header is the client's to invent: it changes nothing.
    direct = app.test_client()
    assert guesses(direct, "127.0.9.1", 30) == [401] * 30
    assert guesses(direct, "127.0.9.2", 1) == [429]

    proxied = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                          "PLUGIN_REGISTRY": plugin_registry, "PROXY_HOPS": "1", "PIN_PEPPER": "7e" * 32})
    try:
        behind_proxy = proxied.test_client()
        behind_proxy.environ_base["REMOTE_ADDR"] = "127.0.8.1"  # the proxy
        assert guesses(behind_proxy, "127.0.9.3", 31) == [401] * 30 + [429]
        assert guesses(behind_proxy, "127.0.9.4", 1) == [401]  # another client behind it
    finally:
        proxied.extensions["huika"].db.dispose()


def test_unthrottle_lets_everyone_try_again(app, shop, clock):
    from click.testing import CliRunner

    from webui.cli import cli

    guesser = client_at(app, "127.0.0.14")
    for n in range(31):
        guesser.get("/api/v1/members", headers={"Authorization": f"Bearer guess-{n}"})
    assert guesser.get("/api/v1/members", headers=shop.headers()).status_code == 429
    result = CliRunner().invoke(cli, ["unthrottle"], obj={"app": app})
    assert result.exit_code == 0 and "throttling counters cleared" in result.output
    assert guesser.get("/api/v1/members", headers=shop.headers()).status_code == 200


def test_another_workers_refusals_count_here_within_a_second(app, database_url, plugin_registry,
                                                              shop, clock, monkeypatch):
    """Each process keeps its counter reads for rate_limit_storage.FRESH_FOR (the API reads
    one on every request); increments are exact in the database. A second app on the same
    database stands for another gunicorn worker."""
    from webui import create_app, rate_limit_storage

    now = [1000.0]
    monkeypatch.setattr(rate_limit_storage.time, "monotonic", lambda: now[0])
    other = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                        "PLUGIN_REGISTRY": plugin_registry, "PIN_PEPPER": "7e" * 32})
    try:
        here, there = client_at(app, "127.0.0.30"), client_at(other, "127.0.0.30")
        assert here.get("/api/v1/members", headers=shop.headers()).status_code == 200  # read: 0
        guesses = [there.get("/api/v1/members", headers={"Authorization": f"Bearer guess-{n}"})
                   for n in range(31)]
        assert [g.status_code for g in guesses] == [401] * 30 + [429]  # exact where counted
        # Here the read of a moment ago still stands ...
        assert here.get("/api/v1/members", headers=shop.headers()).status_code == 200
        now[0] += rate_limit_storage.FRESH_FOR
        # ... for at most FRESH_FOR; then the other worker's count refuses here too.
        refused = here.get("/api/v1/members", headers=shop.headers())
        assert refused.status_code == 429 and refused.json["error"]["code"] == "rate_limited"
        assert client_at(app, "127.0.0.31").get("/api/v1/members", headers=shop.headers()).status_code == 200
    finally:
        other.extensions["huika"].db.dispose()
