"""Member lookups at the counter (issue 11, F4): the last four digits of the phone (手机尾号),
the name prefix as an index range, paging and totals, merchant isolation, and the
``phone_last4`` column following the phone on every write path."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import func, insert, select

from core.member_search import prefix_upper_bound
from core.models import Member
from tests.support.factories import basic_document, make_merchant


@pytest.fixture
def shop(hk):
    return make_merchant(hk, "尾号店", basic_document())


def add(client, shop, name: str, phone: str) -> dict:
    response = client.post("/api/v1/members", json={"name": name, "phone": phone},
                           headers=shop.headers("cashier"))
    assert response.status_code == 201, response.json
    return response.json


def lookup(client, shop, query: str):
    return client.get(f"/api/v1/members?{query}", headers=shop.headers("cashier"))


@pytest.mark.parametrize("value", ["123", "12345", "12a4", "１２３４", "١٢٣٤", "", "12 34", "-123"])
def test_phone_last4_must_be_four_ascii_digits(client, shop, value):
    response = lookup(client, shop, f"phone_last4={value}")
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == "invalid"
    assert [item["pointer"] for item in error["details"]] == ["/phone_last4"]


def test_phone_last4_finds_every_member_with_those_digits_paged_in_id_order(client, hk, shop):
    ids = [add(client, shop, f"会员{n}", f"138{n:04d}0088")["id"] for n in range(7)]
    add(client, shop, "别人", "13800000089")  # other last digits
    first = lookup(client, shop, "phone_last4=0088&per_page=3").json
    assert [m["id"] for m in first["items"]] == ids[:3] and first["total"] == 7
    last = lookup(client, shop, "phone_last4=0088&per_page=3&page=3").json
    assert [m["id"] for m in last["items"]] == ids[6:] and last["total"] == 7
    beyond = lookup(client, shop, "phone_last4=0088&per_page=3&page=9").json
    assert beyond["items"] == [] and beyond["total"] == 7
    exactly_full = lookup(client, shop, "phone_last4=0088&per_page=7").json
    assert len(exactly_full["items"]) == 7 and exactly_full["total"] == 7
    assert lookup(client, shop, "phone_last4=0000").json == {"items": [], "total": 0, "page": 1,
                                                             "per_page": 20}
    # Criteria combine: every one must hold.
    both = lookup(client, shop, "phone_last4=0088&name_prefix=会员3").json
    assert [m["id"] for m in both["items"]] == [ids[3]] and both["total"] == 1


def test_lookups_see_only_the_callers_merchant(client, hk, shop):
    mine = add(client, shop, "王芳", "13800001234")
    other = make_merchant(hk, "隔壁店", basic_document())
    add(client, other, "王芳", "13900001234")
    card = client.post("/api/v1/cards", json={"member_id": mine["id"], "number": "CARD1234"},
                       headers=shop.headers()).json
    for query in ("phone_last4=1234", "name_prefix=王", "phone=13800001234",
                  f"card_number={card['number']}"):
        found = lookup(client, shop, query).json
        assert [m["id"] for m in found["items"]] == [mine["id"]] and found["total"] == 1, query
    assert lookup(client, other, "phone=13800001234").json["total"] == 0
    assert lookup(client, other, f"card_number={card['number']}").json["total"] == 0


def test_a_lookup_answers_what_reading_the_member_answers(client, shop):
    # typed columns of every kind: a JSON document, a date, datetimes, booleans, a tier
    carded = client.post("/api/v1/members", headers=shop.headers("cashier"), json={
        "name": "李娜", "phone": "13800005678", "birthday": "1990-05-17",
        "extra": {"wechat_id": "lina", "favourite": "tea"}}).json
    cardless = add(client, shop, "李雷", "13800005679")
    issued = client.post("/api/v1/cards", json={"member_id": carded["id"], "number": "CARD5678",
                                                "tier": "gold", "pin": "902741",
                                                "expires_on": "2031-02-28"},
                         headers=shop.headers())
    assert issued.status_code == 201, issued.json

    def read(member):
        answer = client.get(f"/api/v1/members/{member['id']}", headers=shop.headers()).json
        answer.pop("summary", None)
        return answer

    with_card, without = read(carded), read(cardless)
    assert [c["number"] for c in with_card["cards"]] == ["CARD5678"] and without["cards"] == []
    assert with_card["extra"] == {"wechat_id": "lina", "favourite": "tea"}
    assert with_card["cards"][0]["expires_on"] == "2031-02-28"
    assert with_card["cards"][0]["tier"] == "gold" and with_card["cards"][0]["has_pin"] is True
    for query in ("phone_last4=5678", "phone=13800005678", "card_number=CARD5678"):
        assert lookup(client, shop, query).json["items"] == [with_card], query
    assert lookup(client, shop, "name_prefix=李").json["items"] == [with_card, without]


def test_phone_last4_follows_the_phone_on_every_write(client, hk, shop):
    member = add(client, shop, "张伟", "13800001111")
    response = client.patch(f"/api/v1/members/{member['id']}", json={"phone": "13800002222"},
                            headers=shop.headers())
    assert response.status_code == 200, response.json
    assert lookup(client, shop, "phone_last4=1111").json["total"] == 0
    assert [m["id"] for m in lookup(client, shop, "phone_last4=2222").json["items"]] == [member["id"]]
    # A write that bypasses the core (an import, a restore, SQL by hand) cannot leave it
    # behind either: the database computes it.
    with hk.db.write() as session:
        session.execute(insert(Member.__table__).values(
            merchant_id=shop.id, name="导入会员", phone="13800003333", gender="unspecified",
            birthday_calendar="solar", birthday_leap_month=False, address="", occupation="",
            income_band="", extra={}, channel="import"))
    assert [m["name"] for m in lookup(client, shop, "phone_last4=3333").json["items"]] == ["导入会员"]
    with hk.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Member).where(
            Member.phone_last4 != func.substr(Member.phone, func.length(Member.phone) - 3))) == 0
        assert session.scalar(select(func.count()).select_from(Member)) == 2


def test_name_prefix_is_a_range_of_whole_characters_sorted_by_name(client, shop):
    names = ["王芳", "王伟", "王", "汪洋", "王芳芳", "Wang", "wang", "王%", "王_"]
    ids = {name: add(client, shop, name, f"1380000{n:04d}")["id"] for n, name in enumerate(names)}
    found = lookup(client, shop, "name_prefix=王").json
    assert [m["name"] for m in found["items"]] == sorted(["王", "王%", "王_", "王伟", "王芳", "王芳芳"])
    assert found["total"] == 6
    assert [m["name"] for m in lookup(client, shop, "name_prefix=王芳").json["items"]] == ["王芳", "王芳芳"]
    # % and _ are letters here, not wildcards; case counts (names are stored as typed).
    assert [m["id"] for m in lookup(client, shop, "name_prefix=王%25").json["items"]] == [ids["王%"]]
    assert [m["id"] for m in lookup(client, shop, "name_prefix=W").json["items"]] == [ids["Wang"]]
    paged = lookup(client, shop, "name_prefix=王&per_page=4&page=2").json
    assert [m["name"] for m in paged["items"]] == ["王芳", "王芳芳"] and paged["total"] == 6


def test_the_prefix_upper_bound_is_the_next_text_in_code_point_order():
    assert prefix_upper_bound("王") == "王"[:0] + chr(ord("王") + 1)
    assert prefix_upper_bound("ab") == "ac"
    assert prefix_upper_bound("a\ud7ff") == "a\ue000"  # surrogates are no characters
    assert prefix_upper_bound("a\U0010ffff") == "b"
    assert prefix_upper_bound("\U0010ffff") is None


def test_a_page_read_from_the_drivers_rows_equals_sqlalchemys(client, hk, shop):
    """core.member_search.member_page converts the driver's rows itself on a Connection (the
    API's path); on an ORM session SQLAlchemy converts them: the same page either way."""
    from core import member_search

    carded = client.post("/api/v1/members", headers=shop.headers("cashier"), json={
        "name": "赵敏", "phone": "13800002468", "birthday": "1988-02-29",
        "extra": {"wechat_id": "zm", "favourite": "coffee"}}).json
    add(client, shop, "赵云", "13900002468")
    response = client.post("/api/v1/cards", headers=shop.headers(), json={
        "member_id": carded["id"], "number": "ZM000001", "pin": "902741",
        "expires_on": "2030-01-31"})
    assert response.status_code == 201, response.json
    criteria = member_search.Criteria.of(phone_last4="2468")
    with hk.db.engine.connect() as connection:
        fast = member_search.member_page(connection, shop.id, criteria)
    with hk.db.read() as session:
        usual = member_search.member_page(session, shop.id, criteria)
    assert fast == usual and fast.total == 2
    member = fast.items[0]
    cards = member["cards"]
    assert member["extra"] == {"wechat_id": "zm", "favourite": "coffee"}
    assert member["birthday_leap_month"] is False and member["created_at"].endswith("+00:00")
    assert cards[0]["expires_on"] == "2030-01-31" and cards[0]["issued_at"].endswith("+00:00")
    assert cards[0]["pin_locked_until"] is None


def test_a_lookup_shows_balances_pin_states_and_every_card_as_reading_the_member(client, hk):
    """The page core.member_page_rows builds from the lookup's rows (issue 11, F4): balances of
    several assets, a PIN locked for now, a card without a PIN, two cards in id order, and a
    lock that has ended no longer shown."""
    from datetime import timedelta

    from core import member_search
    from core.clock import now_utc

    shop = make_merchant(hk, "储值尾号店", basic_document(
        plugins=[{"id": "stored_value", "settings": {
            "pin_max_attempts": 2, "bonus_tiers": [{"threshold_fen": 50000, "bonus_fen": 5000}]}}],
        policies={"cards_per_member": 2, "allow_replacement": True}))
    member = add(client, shop, "钱多多", "13800004321")
    numbers = []
    for number, pin in (("SV000001", "482916"), ("SV000002", None)):
        body = {"member_id": member["id"], "number": number, **({"pin": pin} if pin else {})}
        response = client.post("/api/v1/cards", json=body, headers=shop.headers())
        assert response.status_code == 201, response.json
        numbers.append(number)
    recharged = client.post("/api/v1/cards/SV000001/recharge", json={
        "amount_fen": 50000, "payment": {"method": "cash"}},  # principal and bonus
        headers={**shop.headers(), "Idempotency-Key": "lookup-recharge-1"})
    assert recharged.status_code == 201, recharged.json
    for attempt in range(2):  # two wrong PINs lock it (pin_max_attempts)
        refused = client.post("/api/v1/checkout", json={
            "card_number": "SV000001",
            "lines": [{"sku": "GOODS", "name": "商品", "unit_price_fen": 1000}],
            "payments": [{"method": "stored_value", "amount_fen": 1000, "pin": "000000"}]},
            headers={**shop.headers("cashier"), "Idempotency-Key": f"wrong-pin-{attempt}"})
        assert refused.status_code == 403, refused.json

    patched = client.patch(f"/api/v1/members/{member['id']}", json={"address": "西湖路 1 号"},
                           headers=shop.headers())
    assert patched.status_code == 200, patched.json
    read = client.get(f"/api/v1/members/{member['id']}", headers=shop.headers()).json
    read.pop("summary", None)
    assert read["updated_at"] != read["created_at"]  # each converted on its own
    locked, plain = read["cards"]
    assert [locked["number"], plain["number"]] == numbers
    assert len(locked["balances"]) >= 2 and locked["pin_locked_until"] is not None
    assert locked["has_pin"] is True and plain["has_pin"] is False and plain["balances"] == {}
    for query in ("phone_last4=4321", "name_prefix=钱多", "card_number=SV000002"):
        assert lookup(client, shop, query).json["items"] == [read], query

    criteria = member_search.Criteria.of(phone_last4="4321")
    later = now_utc() + timedelta(days=1)
    with hk.db.engine.connect() as connection:
        found = member_search.member_page(connection, shop.id, criteria, now=later)
    assert found.items[0]["cards"][0]["pin_locked_until"] is None  # the lock has ended then
    assert found.items[0]["cards"][0]["balances"] == locked["balances"]


@pytest.mark.parametrize("value", [
    "王芳 \x00\x1f\n\t\" \\ \u2028 \U0001F600 \x7f", 0.1, 1e16, -0.0, 2 ** 63 - 1, -2 ** 63,
    {"nested": [None, True, False, {"键": "值"}]}, 2 ** 70])
def test_a_page_is_encoded_as_the_standard_encoder_writes_it(value):
    """orjson writes the lookup's JSON; what it refuses (an integer past 64 bits) the standard
    encoder writes: the same bytes either way, keys in their order (issue 11, F4)."""
    from webui.api.members import _COMPACT, compact_json

    body = {"items": [{"id": 1, "extra": {"value": value}, "cards": []}], "total": 1}
    assert compact_json(body) == (_COMPACT.encode(body) + "\n").encode()


def test_a_float_with_a_small_exponent_is_the_same_number_in_a_shorter_spelling():
    from webui.api.members import _COMPACT, compact_json

    body = {"extra": {"value": 1e-7}}
    assert compact_json(body) == b'{"extra":{"value":1e-7}}\n'
    assert json.loads(compact_json(body)) == json.loads(_COMPACT.encode(body)) == body


@pytest.mark.parametrize("text", [
    '{"wechat_id": "lina", "n": [1, 2.5, -0, 1e-7, null, true]}', '{"name": "\\u738b\\u82b3"}',
    "{}", '{"a": 1, "a": 2}', '{"big": 1180591620717411303424}', '{"id": "1234567890123456789"}',
    '{"x": NaN}', '{"lone": "\\ud800"}', '{"far": 1e400}', "5", 5, "not json", '{"a": 1'])
def test_a_page_reads_a_stored_json_document_as_sqlalchemy_does(text):
    """orjson reads a member's ``extra`` on a page; what it would read differently or refuses
    goes through SQLAlchemy's processor: the same value either way, or the same error."""
    from sqlalchemy import JSON
    from sqlalchemy.dialects import sqlite

    from core.member_page_rows import _json_text

    dialect = sqlite.dialect()
    usual = JSON().dialect_impl(dialect).result_processor(dialect, None)
    try:
        expected = usual(text)
    except ValueError:
        with pytest.raises(ValueError):
            _json_text(usual)(text)
        return
    assert repr(_json_text(usual)(text)) == repr(expected)  # repr: NaN equals itself there


def test_sqlites_packed_page_rows_are_the_drivers_rows(client, hk, shop):
    """On SQLite a page's rows are read as one JSON array each (core.member_search
    ``_packed_rows``): the same values the driver gives column by column, for text with quotes,
    backslashes, emoji, line separators and JSON-looking text, integers past 2^53, NULLs,
    members with and without cards."""
    from core import member_search

    if hk.db.engine.dialect.name != "sqlite":
        pytest.skip("the packed rows are SQLite's")
    tricky = client.post("/api/v1/members", headers=shop.headers("cashier"), json={
        "name": '王"芳\\ 😀{"a":1}', "phone": "13800007777", "address": "[1, 2]",
        "extra": {"wechat_id": 'w"x\\y'}})
    assert tricky.status_code == 201, tricky.json
    # What older data may hold beyond today's schema: raw text the API no longer takes.
    with hk.db.engine.begin() as connection:
        connection.execute(Member.__table__.update().where(Member.id == tricky.json["id"]).values(
            address="第一行\u2028第二行 \\u0041",
            extra={"big": 2 ** 63 - 1, "near": 2 ** 53 + 1, "键": ["值", None], "esc": "王\n"}))
    add(client, shop, "王五", "13900007777")
    response = client.post("/api/v1/cards", headers=shop.headers(), json={
        "member_id": tricky.json["id"], "number": "PK000001", "pin": "902741"})
    assert response.status_code == 201, response.json
    criteria = member_search.Criteria.of(phone_last4="7777")
    shape, parameters = member_search._shape_and_parameters(shop.id, criteria)
    _page, with_cards, _count, packed = member_search._statements(shape)
    bound = {**parameters, "limit": 20, "offset": 0}
    with hk.db.engine.connect() as connection:
        rows, processors = member_search._packed_rows(connection, with_cards, packed, bound)
        driver_rows, driver_processors = with_cards.raw_rows(connection, bound)
        page = member_search.member_page(connection, shop.id, criteria)
    assert [tuple(row) for row in rows] == driver_rows and processors == driver_processors
    assert len(rows) == 2
    found = lookup(client, shop, "phone_last4=7777").json["items"]
    assert found == page.items and found[0]["name"] == '王"芳\\ 😀{"a":1}'
    assert found[0]["address"] == "第一行\u2028第二行 \\u0041"
    assert found[0]["extra"] == {"big": 2 ** 63 - 1, "near": 2 ** 53 + 1, "键": ["值", None],
                                 "esc": "王\n"}
    assert found[0]["cards"][0]["number"] == "PK000001"
