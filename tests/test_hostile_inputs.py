"""No input reaches a 5xx (issue 10, E2): every route of the app's URL map, API and pages, is
sent hostile values as the owner and as a cashier, on SQLite and PostgreSQL.

Hostile: ids and integers past 64 bits (2^63, 10^25), negative, floats and words where
numbers go, control characters and lone surrogates, JSON nested 50,000 deep, 2 MB bodies.
Every answer must be below 500. On /api/ it must be a 4xx with the JSON error format and no
row of any table may change. A page read (GET) changes no row either; a page form may accept
a value that is valid text there (a store named "1.5"), but whenever it refuses (4xx)
nothing changed.

The routes come from ``app.url_map``: a new route is walked without being listed here, and a
path parameter this test has no value for fails it until one is added to ``path_values``.
"""
from __future__ import annotations

import hashlib
import json
import re
import shutil
import uuid
from html.parser import HTMLParser

import pytest
from sqlalchemy import inspect, text

from tests.conftest import BACKENDS
from tests.support.factories import basic_document, make_merchant
from tests.support.postgres import TEMPLATE_DATABASE

HUGE = 2 ** 63
GOOGOL = 10 ** 25  # "10000000000000000000000000", the id of the issue
BIG_BODY = 2 * 1024 * 1024
PLUGINS = [{"id": "points", "settings": {"wheel_enabled": True}}, {"id": "stored_value", "settings": {}},
           {"id": "training_courses", "settings": {}}, {"id": "cosmetics_profile", "settings": {}},
           {"id": "hotel_rooms", "settings": {}},
           {"id": "service_packages", "settings": {"plans": [
               {"key": "wash_20", "name": "20次洗车", "service": "洗车", "kind": "count", "sessions": 20,
                "validity_days": 365, "price_fen": 50000}]}},
           {"id": "coupons", "settings": {}},
           {"id": "goods", "settings": {}}, {"id": "member_events", "settings": {}}]

BAD_INTS = [str(HUGE), str(GOOGOL), "-1", "1.5", "abc"]
BAD_TEXTS = ["%00", "%ED%A0%80", "x" * 2000]
BAD_QUERY_INTS = [str(HUGE), str(GOOGOL), "-9223372036854775809", "1.5", "abc", "²"]
BAD_QUERY_TEXTS = ["a\x00b"]
PAGE_QUERY_VALUES = [str(HUGE), "abc", "a\x00b"]
PAGE_QUERY_NAMES = ["page", "per_page", "q", "card", "phone", "name", "screen", "try", "next", "lang",
                    "days", "member_id"]
FORM_VALUES = [str(HUGE), str(GOOGOL), str(-HUGE - 1), "1.5", "abc", "a\x00b"]

# A body each API write route would accept for the walk's own objects, so the hostile value
# in it is what gets refused. Routes not listed get {}.
GOOD_BODIES = {
    "createMember": {"name": "新会员", "phone": "13700000009"},
    "updateMember": {"name": "改名", "address": "某路 1 号"},
    "issueCard": {"number": "HOST0003"},
    "bindCard": {"member_id": "<member_id>"},
    "quoteCheckout": {"card_number": "<card_number>", "lines": [{"sku": "A", "quantity": 1, "unit_price_fen": 100}]},
    "checkout": {"card_number": "<card_number>", "lines": [{"sku": "A", "quantity": 1, "unit_price_fen": 100}],
                 "payments": [{"method": "cash", "amount_fen": 95}]},
    "returnCheckout": {"lines": [{"line_no": 1, "quantity": 1}]},
    "createMallItem": {"name": "杯", "points_cost": 100, "stock": 5},
    "updateMallItem": {"stock": 3},
    "redeemMallItem": {"item_id": "<item_id>", "quantity": 1},
    "createWheelPrize": {"name": "奖", "kind": "none", "weight": 1},
    "updateWheelPrize": {"weight": 2},
    "adjustPoints": {"points": 10, "reason": "测试"},
    "rechargeStoredValue": {"amount_fen": 50000, "payment": {"method": "cash"}},
    "payPurchaseCardFee": {"payment": {"method": "cash"}},
    "withdrawStoredValue": {"pin": "135790", "amount_fen": 1, "payment": {"method": "cash"}},
    "refundStoredValue": {"pin": "135790", "payment": {"method": "cash"}},
    "extendCard": {"expires_on": "2099-01-01"},
    "createCourse": {"key": "violin", "name": "小提琴"},
    "updateCourse": {"name": "改名"},
    "createCoursePlan": {"course_id": "<course_id>", "name": "五次课", "kind": "count", "sessions": 5,
                         "price_fen": 50000},
    "updateCoursePlan": {"price_fen": 1},
    "sellCoursePackage": {"plan_id": "<plan_id>", "payment": {"method": "cash"}},
    "signInStudent": {"course_key": "piano"},
    "checkInStudent": {"course_key": "piano"},
    "cancelCheckIn": {"reason": "x"},
    "updateSkinProfile": {"skin_type": "dry"},
    "recordFollowUp": {"mode": "log", "channel": "phone", "note": "x"},
    "completeFollowUp": {"outcome": "x"},
    "issueRoomVouchers": {"room_type": "suite", "reason": "campaign", "quantity": 1},
    "redeemRoomVoucher": {"voucher_code": "<voucher_code>"},
    "publishConfig": {"note": "x"},
}


def _collect_routes():
    from core.plugins import build_registry
    from webui import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "PLUGIN_REGISTRY": build_registry()})
    found = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append(pytest.param(rule.rule, method, rule.endpoint, id=f"{method} {rule.rule}"))
    return found


ROUTES = _collect_routes()


# -- the walk's merchant, once per backend ------------------------------------------------

# A refused sign-in, registration or code request must still count against the throttle
# (that is its job: tests/web/test_throttle.py); every other table must stay as it was.
COUNTS_REFUSALS = {"rate_limit_counters"}
# A report download is a GET that leaves its audit row by design (who took which figures);
# every other row, audit rows included, must stay as it was.
AUDITED_READS = "action <> 'export'"


class Walk:
    def __init__(self, app, merchant, values):
        self.app, self.merchant, self.values = app, merchant, values
        self.hk = app.extensions["huika"]
        self._tables = [name for name in inspect(self.hk.db.engine).get_table_names()
                        if name not in COUNTS_REFUSALS]

    def fingerprint(self) -> str:
        """A digest of every row of every table: equal digests, nothing changed."""
        digest = hashlib.sha256()
        with self.hk.db.engine.connect() as connection:
            if self.hk.db.dialect == "postgresql":
                parts = " || ".join(
                    f"(SELECT coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM \"{name}\" t"
                    f"{self._where(name)})"
                    for name in self._tables)
                digest.update(connection.execute(text(f"SELECT {parts}")).scalar_one().encode())
            else:
                for name in self._tables:
                    rows = connection.execute(text(f'SELECT * FROM "{name}"{self._where(name)}')).all()
                    digest.update(repr(sorted(map(repr, rows))).encode())
        return digest.hexdigest()

    @staticmethod
    def _where(table: str) -> str:
        return f" WHERE {AUDITED_READS}" if table == "audit_entries" else ""

    def client(self, role: str):
        client = self.app.test_client()
        with client.session_transaction() as session:
            session["staff_id"] = self.merchant.staff_ids[role]
            session["merchant_id"] = self.merchant.id
            session["member_portal"] = {"member_id": self.values["member_id"], "merchant_id": self.merchant.id}
        return client


def _database(request, tmp_path_factory, sqlite_template):
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("hostile") / "huika.sqlite"
        shutil.copyfile(sqlite_template, path)
        return f"sqlite:///{path}", None
    admin, base = request.getfixturevalue("postgres_server")
    name = "h_" + uuid.uuid4().hex[:12]
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DATABASE}"))
    return f"{base}/{name}", (admin, name)


@pytest.fixture(scope="module", params=BACKENDS)
def walk(request, tmp_path_factory, sqlite_template, plugin_registry):
    from webui import create_app

    url, cleanup = _database(request, tmp_path_factory, sqlite_template)
    app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "test-secret",
                      "WTF_CSRF_ENABLED": False, "PLUGIN_REGISTRY": plugin_registry})
    hk = app.extensions["huika"]
    merchant = make_merchant(hk, "刁难测试店", basic_document(plugins=PLUGINS))
    yield Walk(app, merchant, _objects(app, merchant))
    hk.db.dispose()
    if cleanup:
        admin, name = cleanup
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))


def _objects(app, merchant) -> dict:
    """One of every object a route names, made through the API; their ids by path parameter."""
    client, owner = app.test_client(), merchant.headers()

    def post(url, body, idempotent=False):
        headers = {**owner, "Idempotency-Key": uuid.uuid4().hex} if idempotent else owner
        response = client.post(url, json=body, headers=headers)
        assert response.status_code in (200, 201), (url, response.json)
        return response.json

    member = post("/api/v1/members", {"name": "刁难", "phone": "13800000077"})
    post("/api/v1/cards", {"number": "HOST0001", "member_id": member["id"], "pin": "135790"})
    post("/api/v1/cards", {"number": "HOST0002"})
    receipt = post("/api/v1/checkout", {"card_number": "HOST0001", "lines": [{"sku": "A", "unit_price_fen": 1000}],
                                        "payments": [{"method": "cash", "amount_fen": 950}]}, idempotent=True)
    item = post("/api/v1/points/mall/items", {"name": "保温杯", "points_cost": 100, "stock": 5})
    prize = post("/api/v1/points/wheel/prizes", {"name": "谢谢参与", "kind": "none", "weight": 1})
    post("/api/v1/cards/HOST0001/recharge", {"amount_fen": 50000, "payment": {"method": "cheque", "reference": "C1"}},
         idempotent=True)
    history = client.get("/api/v1/cards/HOST0001/history", headers=owner).json["items"]
    cheque = next(i["transaction_id"] for i in history if "stored_value_pending" in i["amounts"])
    course = post("/api/v1/training/courses", {"key": "piano", "name": "钢琴"})
    plan = post("/api/v1/training/plans", {"course_id": course["id"], "name": "十次课", "kind": "count",
                                           "sessions": 10, "price_fen": 100000})
    package = post("/api/v1/cards/HOST0001/course-packages", {"plan_id": plan["id"], "payment": {"method": "cash"}},
                   idempotent=True)["packages"][0]
    follow_up = post(f"/api/v1/members/{member['id']}/follow-ups",
                     {"mode": "plan", "channel": "phone", "due_on": "2099-01-01", "reason": "回访"}, idempotent=True)
    post("/api/v1/cards/HOST0001/service-packages", {"plan": "wash_20", "payment": {"method": "cash"}},
         idempotent=True)
    use = post("/api/v1/cards/HOST0001/service-package-uses", {}, idempotent=True)
    voucher = post("/api/v1/cards/HOST0001/room-vouchers", {"room_type": "suite", "reason": "campaign"},
                   idempotent=True)["items"][0]
    template = post("/api/v1/coupon-templates", {"name": "十元券", "kind": "cash", "value_fen": 1000,
                                                 "valid_days": 30})
    coupon = post("/api/v1/coupons/issue", {"template_id": template["id"], "card_number": "HOST0001"},
                  idempotent=True)["coupons"][0]
    shift = post("/api/v1/shifts", {"opening_float_fen": 100})
    product = post("/api/v1/products", {"products": [{"sku": "HOST-1", "name": "刁难商品", "price_fen": 100}]})
    campaign = post("/api/v1/campaigns", {"name": "刁难活动", "segment": {}, "message": {"text": "{name}"}})
    from core.clock import local_date, now_utc
    post("/api/v1/members", {"name": "刁难寿星", "phone": "13800000078",
                             "birthday": f"2000-{local_date(now_utc()):%m-%d}"})  # today: an inbox task
    task = client.get("/api/v1/inbox", headers=owner).json["tasks"][0]
    event = post("/api/v1/events", {"title": "刁难沙龙", "starts_at": "2099-01-03T14:00",
                                     "ends_at": "2099-01-03T16:00", "capacity": 5})
    registration = post(f"/api/v1/events/{event['id']}/registrations", {"card_number": "HOST0001"})
    from webui.screens import effective_screens
    from core.config_versions import published_config
    with app.extensions["huika"].db.read() as session:
        config = published_config(session, merchant.id, app.extensions["huika"].plugins)
        screen_id = effective_screens(config)[0]["id"]
    return {"member_id": member["id"], "card_number": "HOST0001", "number": "HOST0001", "tier_key": "gold",
            "version": 1, "checkout_id": receipt["checkout_id"], "item_id": item["id"], "prize_id": prize["id"],
            "transaction_id": cheque, "course_id": course["id"], "plan_id": plan["id"],
            "package_id": package["id"], "follow_up_id": follow_up["id"], "voucher_code": voucher["code"],
            "staff_id": merchant.staff_ids["manager"], "merchant_id": merchant.id, "action": "freeze",
            "screen_id": screen_id, "key": "wechat_id", "plugin_id": "points", "starter_id": "points_shop",
            "locale": "en", "number_": "HOST0001", "filename": "huika.css", "report_id": "tier_distribution",
            "kind": "members", "file_name": "members.csv", "use_id": use["use_id"],
            "template_id": template["id"], "code": coupon["code"],
            "shift_id": shift["id"], "product_id": product["products"][0]["id"], "task_id": task["id"],
            "kind_id": "birthday", "event_id": event["id"], "registration_id": registration["id"],
            "campaign_id": campaign["id"]}


# -- requests ------------------------------------------------------------------------------

def path_values(walk, rule: str) -> list[tuple[str, str]]:
    return re.findall(r"<(?:(\w+):)?(\w+)>", rule)


def fill(walk, rule: str, override: dict | None = None) -> str:
    def replace(match):
        name = match.group(2)
        if override and name in override:
            return override[name]
        if name not in walk.values:
            raise AssertionError(f"route {rule} has parameter {name!r}: add a value for it to _objects()")
        return str(walk.values[name])

    return re.sub(r"<(?:(\w+):)?(\w+)>", replace, rule)


def resolve(walk, body):
    """GOOD_BODIES with "<name>" placeholders replaced by the walk's ids."""
    if isinstance(body, dict):
        return {k: resolve(walk, v) for k, v in body.items()}
    if isinstance(body, list):
        return [resolve(walk, v) for v in body]
    if isinstance(body, str) and body.startswith("<") and body.endswith(">"):
        return walk.values[body[1:-1]]
    return body


def leaves(body, pointer=()):
    """(path, value) of every scalar in ``body``."""
    if isinstance(body, dict):
        for key, value in body.items():
            yield from leaves(value, (*pointer, key))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from leaves(value, (*pointer, index))
    else:
        yield pointer, body


def replaced(body, path, value):
    copy = json.loads(json.dumps(body))
    target = copy
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    return copy


def json_variants(body: dict, thorough: bool) -> list[tuple[str, bytes]]:
    """(label, raw JSON) bodies, each hostile somewhere; ``thorough`` also makes each leaf of
    ``body`` hostile in turn (floats and words where numbers go reach the route's own checks)."""
    dump = lambda value: json.dumps(value, ensure_ascii=True).encode()  # noqa: E731 (\ud800 stays escaped)
    variants = [("extra huge int", dump({**body, "x": HUGE})),
                ("extra -huge int", dump({**body, "x": [1, -HUGE - 1]})),
                ("extra googol", dump({**body, "x": {"y": GOOGOL}})),
                ("float 1e300", dump({**body, "x": 1e300})),
                ("NaN", dump(body)[:-1] + (b', "x": NaN}' if body else b'"x": NaN}')),
                ("deep", b"[" * 50_000 + b"]" * 50_000),
                ("surrogate key", dump({**body, "\ud800": 1})),
                ("NUL value", dump({**body, "x": "a\x00b"})),
                ("2 MB", dump({**body, "x": "y" * BIG_BODY}))]
    if not thorough:
        return variants
    for path, value in leaves(body):
        label = "/".join(map(str, path))
        if isinstance(value, int) and not isinstance(value, bool):
            variants += [(f"{label}=2^63", dump(replaced(body, path, HUGE))),
                         (f"{label}=1.5", dump(replaced(body, path, 1.5))),
                         (f"{label}='12'", dump(replaced(body, path, "12")))]
        elif isinstance(value, str):
            variants += [(f"{label}=surrogate", dump(replaced(body, path, "\ud800x")))]
    return variants


class FormFields(HTMLParser):
    """The names of every input, select and textarea on a page."""

    def __init__(self, html: str):
        super().__init__()
        self.names: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("input", "select", "textarea") and attrs.get("name") and attrs.get("name") != "csrf_token":
            self.names.append(attrs["name"])


def query_variants(walk, endpoint: str, api: bool) -> list[str]:
    """Query strings: on the API each declared parameter hostile in turn; on a page every
    usual parameter name at once."""
    if not api:
        return ["&".join(f"{name}={value}" for name in PAGE_QUERY_NAMES)
                for value in PAGE_QUERY_VALUES]
    declared = {op.operation_id: op.query for op in walk.hk.operations}.get(endpoint.removeprefix("api."), [])
    found = []
    for name, schema, _text in declared:
        values = list(BAD_QUERY_TEXTS)
        if schema.get("type") == "integer":
            values += BAD_QUERY_INTS + (["-1"] if schema.get("minimum", -1) >= 0 else [])
        found += [f"{name}={value}" for value in values]
    return found


# -- the test ------------------------------------------------------------------------------

@pytest.mark.parametrize("rule, method, endpoint", ROUTES)
def test_hostile_input_never_reaches_a_5xx(walk, rule, method, endpoint):
    api = rule.startswith("/api/")
    failures = []
    for role in ("owner", "cashier"):
        client = walk.client(role)
        headers = {**walk.merchant.headers(role), "Idempotency-Key": uuid.uuid4().hex} if api else {}
        before = walk.fingerprint()
        for label, url, kwargs in requests_for(walk, rule, method, endpoint, api, client, role == "owner"):
            response = client.open(url, method=method, headers=headers, **kwargs)
            status = response.status_code
            where = f"{role} {method} {url[:120]} [{label}] -> {status}"
            if status >= 500:
                failures.append(f"{where}: {response.get_data(as_text=True)[:300]}")
                continue
            if api:
                body = response.get_json(silent=True)
                if not 400 <= status < 500 or not isinstance(body, dict) or "error" not in body:
                    failures.append(f"{where}: wanted a 4xx JSON error, got {response.get_data(as_text=True)[:200]}")
            elif method != "GET" and status >= 400:
                if walk.fingerprint() != before:
                    failures.append(f"{where}: refused, yet rows changed")
            elif method != "GET":
                before = walk.fingerprint()  # the form took a value valid there; go on from here
        if (api or method == "GET") and walk.fingerprint() != before:
            failures.append(f"{role} {method} {rule}: rows changed")
    assert not failures, "\n".join(failures[:30])


def requests_for(walk, rule, method, endpoint, api, client, thorough):
    """(label, url, client.open kwargs) of every hostile request for one route."""
    base = fill(walk, rule)
    params = path_values(walk, rule)
    for converter, name in params:
        for value in (BAD_INTS if converter == "int" else BAD_TEXTS)[:None if thorough else 2]:
            yield f"path {name}", fill(walk, rule, {name: value}), {}
    for query in query_variants(walk, endpoint, api) if api or method == "GET" else ():
        yield f"query {query[:40]!r}", f"{base}?{query}", {}
    yield "2 MB body", base, {"data": b"x" * BIG_BODY, "content_type": "application/octet-stream"}
    if method not in ("POST", "PUT", "PATCH"):
        return
    if api:
        body = resolve(walk, GOOD_BODIES.get(endpoint.removeprefix("api."), {}))
        for label, raw in json_variants(body, thorough):
            yield label, base, {"data": raw, "content_type": "application/json"}
        return
    names = ["name", "phone", "amount", "quantity", "page"]
    if "GET" in next(r for r in walk.app.url_map.iter_rules() if r.rule == rule and r.endpoint == endpoint).methods:
        page = client.get(base)
        if page.status_code == 200 and page.mimetype == "text/html":
            names = sorted(set(FormFields(page.get_data(as_text=True)).names)) or names
    for value in FORM_VALUES if thorough else FORM_VALUES[:1] + FORM_VALUES[-1:]:
        yield f"form = {value[:30]!r}", base, {"data": {name: value for name in names}}
    yield "2 MB form", base, {"data": {names[0]: "x" * BIG_BODY}}
    yield "JSON deep", base, {"data": b"[" * 50_000 + b"]" * 50_000, "content_type": "application/json"}
