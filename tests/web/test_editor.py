"""The merchant editor (issue 4): every change goes into the draft, publishing makes a version.

Tests sign in through /login with the CSRF token like a browser, read the forms the pages
render (tests/web/test_editor.py: ``page_form``), change a few values and submit them.
"""
from __future__ import annotations

import copy
import re
from html.parser import HTMLParser

import pytest
from werkzeug.datastructures import MultiDict

from core import config_versions, tenancy
from core.merchant_config import MerchantConfig
from core.models import Tier
from core.plugins import build_registry
from core.schemas import validate_document
from core.starters import load_starters
from tests.support.factories import basic_document, make_merchant
from webui import screens

SHOP = "编辑器测试店"


# -- helpers --------------------------------------------------------------------------------------

class _FormParser(HTMLParser):
    """The successful controls of each <form> of a page, as a browser would submit them."""

    def __init__(self):
        super().__init__()
        self.forms: list[dict] = []
        self._select = None
        self._textarea = None
        self._option_value = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action", ""), "fields": MultiDict(), "selects": {}})
            return
        if not self.forms:
            return
        fields = self.forms[-1]["fields"]
        if tag == "input" and "name" in a and "disabled" not in a:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    fields.add(a["name"], a.get("value", "on"))
            elif kind not in ("submit", "button"):
                fields.add(a["name"], a.get("value", ""))
        elif tag == "select" and "name" in a and "disabled" not in a:
            self._select = a["name"]
            self.forms[-1]["selects"][a["name"]] = None
        elif tag == "option" and self._select:
            value = a.get("value", "")
            if self.forms[-1]["selects"][self._select] is None or "selected" in a:
                self.forms[-1]["selects"][self._select] = value
        elif tag == "textarea" and "name" in a and "disabled" not in a:
            self._textarea = [a["name"], ""]

    def handle_data(self, data):
        if self._textarea is not None:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.forms[-1]["fields"].add(self._select, self.forms[-1]["selects"][self._select] or "")
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = self._textarea[1]
            text = text[2:] if text.startswith("\r\n") else text[1:] if text.startswith("\n") else text
            self.forms[-1]["fields"].add(self._textarea[0], text)
            self._textarea = None


def page_form(client, url: str, *, action: str | None = None, index: int = 0) -> MultiDict:
    """The values of a form on the page at ``url`` (the one posting to ``action`` if given)."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    parser = _FormParser()
    parser.feed(response.get_data(as_text=True))
    forms = [f for f in parser.forms if "csrf_token" in f["fields"] and f["action"] != "/logout"
             and (action is None or f["action"] == action)]
    return MultiDict(forms[index]["fields"])


def csrf(client, url: str = "/") -> str:
    page = client.get(url, follow_redirects=True).get_data(as_text=True)  # "/" sends each role on
    return re.search(r'name="csrf_token"[^>]*?value="([^"]+)"', page).group(1)


def login(client, username="owner", merchant=SHOP, password="password-123"):
    response = client.post("/login", data={"merchant": merchant, "username": username, "password": password,
                                           "csrf_token": csrf(client, "/login")})
    assert response.status_code == 302, response.status_code
    return response


def draft(hk, merchant_id) -> dict:
    with hk.db.write() as session:
        return copy.deepcopy(config_versions.get_draft(session, merchant_id).document)


def save(hk, merchant_id, document) -> None:
    with hk.db.write() as session:
        config_versions.save_draft(session, merchant_id, document, staff_id=None)


def publish(hk, merchant_id, note="") -> int:
    with hk.db.write() as session:
        return config_versions.publish(session, merchant_id, hk.plugins, note=note).version


def post(client, url, data, **kwargs):
    data = MultiDict(data)
    if "csrf_token" not in data:
        data["csrf_token"] = csrf(client, url if kwargs.pop("csrf_here", True) else "/")
    return client.post(url, data=data, **kwargs)


@pytest.fixture
def shop(hk):
    return make_merchant(hk, SHOP)


@pytest.fixture
def owner(client, shop):
    login(client, "owner")
    client.get("/lang/en")  # assertions on UI text read English (the Chinese catalog is merged later)
    return client


# -- money and discounts (pure functions the editor and the cashier share) -------------------------

@pytest.mark.parametrize("text, fen", [
    ("88.5", 8850), ("88.50", 8850), ("88", 8800), ("0.29", 29), ("19.99", 1999), ("0.1", 10), ("1.10", 110),
    ("1,234.56", 123456), ("¥12.3", 1230), ("12元", 1200), ("８８．５", 8850), (" 7 ", 700), (".5", 50),
    ("2000", 200000), ("9999999999.99", 999999999999),
])
def test_yuan_is_converted_to_fen_exactly(text, fen):
    assert screens.parse_yuan(text) == fen
    assert type(screens.parse_yuan(text)) is int


@pytest.mark.parametrize("text", ["88.505", "0.001", "-5", "abc", "", "1e3", "1.2.3", "12,34", ".", "99999999999"])
def test_yuan_refuses_what_is_not_whole_fen(text):
    with pytest.raises(screens.MoneyError):
        screens.parse_yuan(text)


def test_fen_and_discount_as_text():
    assert [screens.format_yuan(v) for v in (8850, 10000, 5, 0, None)] == ["88.50", "100", "0.05", "0", ""]
    assert [screens.format_zhe(v) for v in (880, 900, 905, 700, 50)] == ["8.8折", "9折", "9.05折", "7折", "0.5折"]
    assert screens.format_zhe(1000) == "no discount"


# -- the screen renderer (webui/screens/) -----------------------------------------------------------

def test_rules_are_evaluated_on_the_server_and_hidden_values_are_not_submitted(app):
    registry = app.extensions["huika"].plugins
    config = MerchantConfig(basic_document(plugins=[{"id": "stored_value"}]), registry)
    recharge = screens.effective_screen(config, "recharge_stored_value")
    with app.test_request_context("/"):
        html = screens.render_screen(recharge, {"payment": {"method": "cash"}}, "zh_CN")
        channel = re.search(r'<div class="hk-control[^"]*" data-hk-name="payment.channel"[^>]*>', html).group(0)
        assert " hidden" in channel and "data-hk-rule=" in channel  # SHOW when external: hidden for cash
        assert re.search(r'name="amount_fen"[^>]*inputmode="decimal"', html) and "元" in html
        shown = screens.render_screen(recharge, {"payment": {"method": "external"}}, "en")
        assert " hidden" not in re.search(r'data-hk-name="payment.channel"[^>]*>', shown).group(0)
        data, problems = screens.parse_submission(recharge, MultiDict(
            {"amount_fen": "88.5", "payment.method": "cash", "payment.channel": "wechat"}))
    assert data == {"amount_fen": 8850, "payment": {"method": "cash"}} and problems == []


def test_submission_problems_point_at_their_inputs(app):
    config = MerchantConfig(basic_document(), app.extensions["huika"].plugins)
    member = screens.effective_screen(config, screens.MEMBER_SCREEN_ID)
    with app.test_request_context("/?lang=en"):
        data, problems = screens.parse_submission(member, MultiDict({"name": "王芳", "phone": "123",
                                                                     "extra.favourite": "juice"}))
        pointers = {p.pointer: p.message for p in problems}
        assert {"/phone", "/extra/favourite"} <= set(pointers)
        assert pointers["/phone"] == "Enter an 11-digit mobile number, such as 13800138000."
        html = screens.render_screen(member, data, "en", errors=problems)
    assert 'data-hk-name="phone"' in html and "hk-invalid" in html
    assert validate_document(member, "screen") == []


# -- access -------------------------------------------------------------------------------------------

def _editor_urls(app) -> list[tuple[str, set[str]]]:
    samples = {"starter_id": "points_shop", "plugin_id": "points", "key": "wechat_id", "screen_id": "member",
               "number": 1, "staff_id": 1, "report_id": "tier_distribution", "file_format": "xlsx",
               "file_name": "members.csv", "kind_id": "birthday", "campaign_id": 1}
    urls = []
    with app.test_request_context("/"):
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("editor."):
                urls.append((url_for(rule.endpoint, **{a: samples[a] for a in rule.arguments}),
                             set(rule.methods) - {"HEAD", "OPTIONS"}))
    return urls


def test_cashier_gets_403_on_every_editor_page(app, client, hk):
    shop = make_merchant(hk, SHOP, basic_document())
    login(client, "cashier")
    token = csrf(client, "/")
    urls = _editor_urls(app)
    assert len(urls) >= 25
    for url, methods in urls:
        for method in methods:
            response = client.open(url, method=method, data={"csrf_token": token})
            assert response.status_code == 403, (method, url, response.status_code)
    assert client.get("/editor/").status_code == 403
    assert shop.id


def test_editor_needs_a_sign_in(client, shop):
    response = client.get("/editor/fields")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_managers_edit_but_only_owners_manage_staff_and_stores(client, shop):
    login(client, "manager")
    assert client.get("/editor/").status_code == 200
    assert client.get("/editor/tiers").status_code == 200
    assert client.get("/editor/staff").status_code == 403
    assert client.get("/editor/stores").status_code == 403
    token = csrf(client, "/editor/")
    assert client.post("/editor/stores", data={"csrf_token": token, "code": "east", "name": "东店"}).status_code == 403
    assert client.post("/editor/staff", data={"csrf_token": token, "username": "x1", "role": "owner",
                                              "password": "password-123"}).status_code == 403


def test_a_form_without_its_csrf_token_is_refused(owner, hk, shop):
    response = owner.post("/editor/plugins/points/enable", data={})
    assert response.status_code == 400
    assert draft(hk, shop.id)["plugins"] == []


# -- templates --------------------------------------------------------------------------------------

def test_each_template_fills_the_draft_and_publishes(owner, hk, shop):
    starters = load_starters(hk.plugins)
    assert {"points_shop", "beauty_salon", "training_school", "cosmetics_shop", "hotel"} <= {s.id for s in starters}
    page = owner.get("/editor/templates").get_data(as_text=True)
    for number, starter in enumerate(starters, start=1):
        assert starter.title["en"] in page
        confirm = owner.get(f"/editor/templates/{starter.id}")
        assert confirm.status_code == 200 and "Replace the draft" in confirm.get_data(as_text=True)
        response = post(owner, f"/editor/templates/{starter.id}", {})
        assert response.status_code == 302
        assert draft(hk, shop.id) == starter.new_document()
        published = post(owner, "/editor/publish", {"note": f"template {starter.id}"})
        assert published.status_code == 302, published.get_data(as_text=True)
        with hk.db.read() as session:
            version = config_versions.latest_version(session, shop.id)
            assert version.version == number and version.document["template"] == starter.id


def test_beauty_salon_tiers_follow_the_stored_amount(hk):
    salon = next(s for s in load_starters(hk.plugins) if s.id == "beauty_salon")
    tiers = sorted(salon.document["tiers"], key=lambda t: t["rank"])
    assert [(t.get("upgrade", []), t["discount_permille"]) for t in tiers] == [
        ([], 1000),  # a new card with nothing stored yet pays the list price (C1)
        ([{"kind": "stored_amount", "amount_fen": 200000}], 900),
        ([{"kind": "stored_amount", "amount_fen": 500000}], 800),
        ([{"kind": "stored_amount", "amount_fen": 800000}], 700)]
    assert any(kind["earns_points"] is False and kind["key"] == "purchase" for kind in salon.document["card_kinds"])
    hotel = next(s for s in load_starters(hk.plugins) if s.id == "hotel")
    benefits = hk.plugins.plugins["hotel_rooms"].settings_schema["properties"]["card_benefits"]["default"]
    assert [k["key"] for k in hotel.document["card_kinds"]] == [b["card_kind"] for b in benefits]


# -- plugins ---------------------------------------------------------------------------------------

@pytest.fixture
def dependent_app(database_url):
    """An app whose cosmetics plugin needs points, as a third-party plugin's manifest could say."""
    from webui import create_app

    registry = build_registry()
    registry.plugins["cosmetics_profile"].manifest["dependencies"] = ["points"]
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret",
                      "PLUGIN_REGISTRY": registry})
    yield app
    app.extensions["huika"].db.dispose()


def test_enable_and_disable_respect_dependencies(dependent_app):
    hk = dependent_app.extensions["huika"]
    shop = make_merchant(hk, SHOP)
    client = dependent_app.test_client()
    login(client)
    client.get("/lang/en")
    refused = post(client, "/editor/plugins/cosmetics_profile/enable", {}, csrf_here=False, follow_redirects=True)
    assert "Cosmetics profile needs Points enabled first" in refused.get_data(as_text=True)
    assert draft(hk, shop.id)["plugins"] == []

    together = post(client, "/editor/plugins/cosmetics_profile/enable", {"with_dependencies": "1"}, csrf_here=False)
    assert together.status_code == 302
    assert [p["id"] for p in draft(hk, shop.id)["plugins"]] == ["points", "cosmetics_profile"]

    blocked = post(client, "/editor/plugins/points/disable", {}, csrf_here=False, follow_redirects=True)
    assert "cannot be disabled" in blocked.get_data(as_text=True)
    assert len(draft(hk, shop.id)["plugins"]) == 2

    assert post(client, "/editor/plugins/cosmetics_profile/disable", {}, csrf_here=False).status_code == 302
    assert post(client, "/editor/plugins/points/disable", {}, csrf_here=False).status_code == 302
    assert draft(hk, shop.id)["plugins"] == []
    with hk.db.read() as session:  # only the draft changed: cashiers still have nothing new
        assert config_versions.latest_version(session, shop.id) is None

    assert post(client, "/editor/plugins/points/enable", {}, csrf_here=False).status_code == 302
    assert [p["id"] for p in draft(hk, shop.id)["plugins"]] == ["points"]


def test_enabling_a_plugin_whose_field_clashes_with_an_own_field_is_refused(owner, hk, shop):
    document = draft(hk, shop.id)
    document["fields"] = [{"key": "skin_type", "type": "text", "label": {"zh-CN": "肤质", "en": "Skin"}}]
    save(hk, shop.id, document)
    page = post(owner, "/editor/plugins/cosmetics_profile/enable", {}, csrf_here=False, follow_redirects=True)
    assert "skin_type" in page.get_data(as_text=True)
    assert draft(hk, shop.id)["plugins"] == []


def test_settings_bad_value_shows_inline_error_and_leaves_the_draft(owner, hk, shop):
    post(owner, "/editor/plugins/stored_value/enable", {}, csrf_here=False)
    before = draft(hk, shop.id)
    url = "/editor/plugins/stored_value/settings"
    form = page_form(owner, url)
    assert form["min_recharge_fen"] == "500"  # 50000 fen shown in yuan
    assert form["bonus_tiers-0-threshold_fen"] == "1000" and form["bonus_tiers-0-bonus_fen"] == "100"  # yuan
    form["bonus_tiers-0-bonus_fen"] = ""
    form["pin_max_attempts"] = "6"
    response = owner.post(url, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "&#39;bonus_fen&#39; is a required property" in page or "'bonus_fen' is a required property" in page
    assert 'name="bonus_tiers-0-threshold_fen" value="1000"' in page  # what was typed stays
    assert 'value="6"' in page
    assert draft(hk, shop.id) == before

    form["bonus_tiers-0-bonus_fen"] = "100"
    form["min_recharge_fen"] = "88.505"
    response = owner.post(url, data=form)
    assert response.status_code == 422 and "At most two decimals" in response.get_data(as_text=True)
    assert draft(hk, shop.id) == before


def test_bonus_tiers_are_rows_in_yuan_with_add_and_remove(owner, hk, shop):
    post(owner, "/editor/plugins/stored_value/enable", {}, csrf_here=False)
    url = "/editor/plugins/stored_value/settings"
    page = owner.get(url).get_data(as_text=True)
    assert 'class="json"' not in page and "threshold_fen&#34;" not in page  # no JSON textarea left
    form = page_form(owner, url)
    form["bonus_tiers-1-threshold_fen"], form["bonus_tiers-1-bonus_fen"] = "2,000", "300.5"
    assert owner.post(url, data=form).status_code == 302
    assert draft(hk, shop.id)["plugins"][0]["settings"]["bonus_tiers"] == [
        {"threshold_fen": 100000, "bonus_fen": 10000}, {"threshold_fen": 200000, "bonus_fen": 30050}]

    form = page_form(owner, url)
    more = owner.post(url, data={**form, "bonus_tiers-add": "1"})
    assert more.status_code == 200 and 'name="bonus_tiers-3-threshold_fen"' in more.get_data(as_text=True)
    before = draft(hk, shop.id)
    form["bonus_tiers-0-remove"] = "y"
    form["bonus_tiers-1-bonus_fen"] = "12.345"
    refused = owner.post(url, data=form)
    assert refused.status_code == 422 and "At most two decimals" in refused.get_data(as_text=True)
    assert draft(hk, shop.id) == before
    form["bonus_tiers-1-bonus_fen"] = "300"
    assert owner.post(url, data=form).status_code == 302
    assert draft(hk, shop.id)["plugins"][0]["settings"]["bonus_tiers"] == [{"threshold_fen": 200000, "bonus_fen": 30000}]


def test_every_list_setting_of_the_shipped_plugins_is_a_form(owner, hk, shop):
    """Only a schema the rows cannot draw would fall back to JSON; the shipped ones all fit."""
    for plugin_id in ("stored_value", "points", "cosmetics_profile", "hotel_rooms", "training_courses"):
        post(owner, f"/editor/plugins/{plugin_id}/enable", {}, csrf_here=False)
        url = f"/editor/plugins/{plugin_id}/settings"
        page = owner.get(url).get_data(as_text=True)
        assert 'class="json"' not in page, plugin_id
        form = page_form(owner, url)
        response = owner.post(url, data=form)  # what is shown saves back unchanged
        assert response.status_code == 302, (plugin_id, response.get_data(as_text=True)[:3000])
        assert next(p for p in draft(hk, shop.id)["plugins"] if p["id"] == plugin_id)["settings"] == {}, plugin_id


def test_settings_are_saved_in_fen_and_only_when_changed(owner, hk, shop):
    post(owner, "/editor/plugins/stored_value/enable", {}, csrf_here=False)
    url = "/editor/plugins/stored_value/settings"
    form = page_form(owner, url)
    form["min_recharge_fen"] = "1000.5"
    form["purchase_card_fee_fen"] = "200"  # the default: not stored
    form["allow_withdrawal"] = "y"
    response = owner.post(url, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    settings = draft(hk, shop.id)["plugins"][0]["settings"]
    assert settings == {"min_recharge_fen": 100050, "allow_withdrawal": True}
    assert page_form(owner, url)["min_recharge_fen"] == "1000.50"


# -- fields -------------------------------------------------------------------------------------------

def _new_field(client, **values):
    form = page_form(client, "/editor/fields/new")
    for key in [k for k in form if k.startswith("options-")]:
        form.poplist(key)
    for key, value in values.items():
        form[key] = value
    return client.post("/editor/fields/new", data=form)


def test_add_a_choice_field_with_options(owner, hk, shop):
    response = _new_field(owner, key="visit_reason", type="choice", label_zh="到店原因", label_en="Reason to visit",
                          help_zh="第一次来店时问", help_en="Ask on the first visit", required="y", **{
                              "options-0-value": "friend", "options-0-label_zh": "朋友介绍", "options-0-label_en": "A friend",
                              "options-1-value": "", "options-1-label_zh": "", "options-1-label_en": "",
                              "options-2-value": "passing", "options-2-label_zh": "路过", "options-2-label_en": "Passing by"})
    assert response.status_code == 302, response.get_data(as_text=True)
    fields = draft(hk, shop.id)["fields"]
    assert fields[-1] == {
        "key": "visit_reason", "type": "choice", "label": {"zh-CN": "到店原因", "en": "Reason to visit"},
        "required": True, "help": {"zh-CN": "第一次来店时问", "en": "Ask on the first visit"},
        "options": [{"value": "friend", "label": {"zh-CN": "朋友介绍", "en": "A friend"}},
                    {"value": "passing", "label": {"zh-CN": "路过", "en": "Passing by"}}]}
    listing = owner.get("/editor/fields").get_data(as_text=True)
    assert "到店原因" in listing and "visit_reason" in listing


def test_bad_field_keeps_what_was_typed(owner, hk, shop):
    response = _new_field(owner, key="Bad Key", type="choice", label_zh="喜好", label_en="Likes",
                          **{"options-0-value": "Tea!", "options-0-label_zh": "茶", "options-0-label_en": "Tea"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Bad Key"' in page and 'value="Tea!"' in page and 'value="喜好"' in page
    assert "lower-case letter" in page
    assert draft(hk, shop.id)["fields"] == []
    reserved = _new_field(owner, key="phone", type="text", label_zh="电话", label_en="Phone")
    assert reserved.status_code == 422 and "built-in member property" in reserved.get_data(as_text=True)


def _order(client, keys, move=None):
    data = MultiDict([("order", key) for key in keys])
    if move:
        data["move"] = move
    return post(client, "/editor/fields/order", data, csrf_here=False)


def test_reorder_fields_with_buttons_and_by_drag_and_drop(owner, hk, shop):
    document = draft(hk, shop.id)
    document["fields"] = [{"key": k, "type": "text", "label": {"zh-CN": k, "en": k}} for k in ("aa", "bb", "cc")]
    save(hk, shop.id, document)
    page = owner.get("/editor/fields").get_data(as_text=True)
    assert 'draggable="true"' in page and 'name="order" value="aa"' in page and 'value="up:bb"' in page
    assert _order(owner, ["aa", "bb", "cc"], move="up:cc").status_code == 302
    assert [f["key"] for f in draft(hk, shop.id)["fields"]] == ["aa", "cc", "bb"]
    assert _order(owner, ["bb", "aa", "cc"]).status_code == 302  # the order the rows were dropped in
    assert [f["key"] for f in draft(hk, shop.id)["fields"]] == ["bb", "aa", "cc"]
    _order(owner, ["bb", "aa"])  # a stale list is not saved
    assert [f["key"] for f in draft(hk, shop.id)["fields"]] == ["bb", "aa", "cc"]


def test_a_published_field_keeps_its_key_type_and_options(owner, hk, shop):
    save(hk, shop.id, basic_document())
    publish(hk, shop.id)
    url = "/editor/fields/favourite/edit"
    form = page_form(owner, url)
    assert form["key"] == "favourite" and "type" not in form  # the type select is disabled
    form["key"] = "favourite_drink"
    response = owner.post(url, data=form)
    assert response.status_code == 422 and "can no longer change" in response.get_data(as_text=True)

    form = page_form(owner, url)
    form["type"] = "text"
    response = owner.post(url, data=form)
    assert response.status_code == 422 and "type can no longer change" in response.get_data(as_text=True)

    form = page_form(owner, url)
    form["options-1-remove"] = "y"
    response = owner.post(url, data=form)
    assert response.status_code == 422 and "coffee" in response.get_data(as_text=True)
    assert draft(hk, shop.id) == basic_document()

    form = page_form(owner, url)  # relabelling and adding an option are fine
    form["label_zh"], form["label_en"] = "爱喝", "Likes to drink"
    form["options-2-value"], form["options-2-label_zh"], form["options-2-label_en"] = "juice", "果汁", "Juice"
    assert owner.post(url, data=form).status_code == 302
    field = next(f for f in draft(hk, shop.id)["fields"] if f["key"] == "favourite")
    assert field["label"] == {"zh-CN": "爱喝", "en": "Likes to drink"}
    assert [o["value"] for o in field["options"]] == ["tea", "coffee", "juice"]

    response = post(owner, "/editor/fields/wechat_id/delete", {})
    assert response.status_code == 302
    assert [f["key"] for f in draft(hk, shop.id)["fields"]] == ["favourite"]
    back = _new_field(owner, key="wechat_id", type="number", label_zh="微信号", label_en="WeChat ID")
    assert back.status_code == 422 and "was published in version 1" in back.get_data(as_text=True)


# -- tiers ------------------------------------------------------------------------------------------

def test_tier_discount_change_and_yuan_to_fen(owner, hk, shop):
    save(hk, shop.id, basic_document())
    form = page_form(owner, "/editor/tiers")
    assert form["tiers-1-key"] == "gold" and form["tiers-1-discount_zhe"] == "8.8"  # 880‰ shown in 折
    form["tiers-1-discount_zhe"] = "8.5"
    form["tiers-1-single_purchase"] = "88.5"
    form["tiers-1-cumulative_spend"] = "1,999.99"
    form["tiers-1-period_days"] = "180"
    form["tiers-0-stored_amount"] = "0.29"
    form["tiers-0-channels"] = "wechat, alipay"
    response = owner.post("/editor/tiers", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    silver, gold = draft(hk, shop.id)["tiers"]
    assert gold["discount_permille"] == 850
    assert gold["upgrade"] == [{"kind": "single_purchase", "amount_fen": 8850},
                               {"kind": "cumulative_spend", "amount_fen": 199999, "period_days": 180}]
    assert silver["upgrade"] == [{"kind": "stored_amount", "amount_fen": 29},
                                 {"kind": "channel", "channel": "wechat"}, {"kind": "channel", "channel": "alipay"}]
    page = owner.get("/editor/tiers").get_data(as_text=True)
    assert 'value="8.5"' in page and 'value="88.50"' in page and 'value="1999.99"' in page


@pytest.mark.parametrize("text, permille", [
    ("8.8", 880), ("8.5", 850), ("8.85", 885), ("8.85折", 885), ("９．５", 950), ("10", 1000), ("0.1", 10),
    ("7", 700), (" 9.05 ", 905), ("", None), ("08.8", 880),
])
def test_discounts_are_typed_in_zhe_and_kept_in_per_mille(app, text, permille):
    from webui.editor.discounts import parse_zhe, zhe_number

    with app.test_request_context("/"):
        assert parse_zhe(text) == permille
    if permille is not None:
        assert type(permille) is int and parse_zhe(zhe_number(permille)) == permille


@pytest.mark.parametrize("text", ["8.855", "85", "0.05", "0", "10.5", "abc", "8,8", "-8", "1e1", ".", "880"])
def test_a_discount_outside_0_1_to_10_zhe_is_refused_in_chinese(app, text):
    from webui.editor.discounts import ZheError, parse_zhe

    with app.test_request_context("/?lang=zh_CN"), pytest.raises(ZheError) as caught:
        parse_zhe(text)
    assert "折" in str(caught.value)


def test_a_tier_is_named_in_chinese_only_and_its_discount_typed_in_zhe(client, hk, shop):
    login(client)  # the owner's own language: Chinese
    save(hk, shop.id, basic_document())
    form = page_form(client, "/editor/tiers")
    form["tiers-2-name_zh"], form["tiers-2-rank"], form["tiers-2-discount_zhe"] = "钻石卡", "5", "8.5"
    response = client.post("/editor/tiers", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    diamond = draft(hk, shop.id)["tiers"][-1]
    assert diamond == {"key": "zuan_shi_ka", "name": {"zh-CN": "钻石卡", "en": "钻石卡"}, "rank": 5,
                       "discount_permille": 850}
    page = client.get("/editor/tiers").get_data(as_text=True)
    assert 'value="8.5"' in page and "0.08" not in page
    form = page_form(client, "/editor/tiers")
    form["tiers-2-name_zh"], form["tiers-2-discount_zhe"] = "黑钻卡", "85"  # renamed: the key stays
    refused = client.post("/editor/tiers", data=form)
    assert refused.status_code == 422 and "0.1 折到 10 折" in refused.get_data(as_text=True)
    form["tiers-2-discount_zhe"] = "8.85"
    assert client.post("/editor/tiers", data=form).status_code == 302
    assert draft(hk, shop.id)["tiers"][-1]["key"] == "zuan_shi_ka"
    assert draft(hk, shop.id)["tiers"][-1]["discount_permille"] == 885


def test_three_decimals_are_refused_and_nothing_is_lost(owner, hk, shop):
    save(hk, shop.id, basic_document())
    before = draft(hk, shop.id)
    form = page_form(owner, "/editor/tiers")
    form["tiers-1-single_purchase"] = "88.505"
    form["tiers-1-name_zh"] = "黄金卡"
    form["tiers-2-key"], form["tiers-2-name_zh"], form["tiers-2-name_en"] = "diamond", "钻石卡", "Diamond"
    form["tiers-2-rank"], form["tiers-2-discount_zhe"] = "2", "8"
    response = owner.post("/editor/tiers", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "At most two decimals" in page and "ranks must differ" in page
    assert 'value="88.505"' in page and 'value="黄金卡"' in page and 'value="diamond"' in page
    assert draft(hk, shop.id) == before


def test_a_published_tier_keeps_its_key(owner, hk, shop):
    save(hk, shop.id, basic_document())
    publish(hk, shop.id)
    form = page_form(owner, "/editor/tiers")
    form["tiers-1-key"] = "golden"
    response = owner.post("/editor/tiers", data=form)
    assert response.status_code == 422 and "can no longer change" in response.get_data(as_text=True)


def test_card_kinds_and_policies(owner, hk, shop):
    save(hk, shop.id, basic_document())
    form = page_form(owner, "/editor/cards")
    form["kinds-2-key"], form["kinds-2-name_zh"], form["kinds-2-name_en"] = "free", "体验卡", "Trial card"
    form["kinds-2-description_zh"] = "前 30 名免费"
    form["cards_per_member"] = "2"
    form["kinds-2-description_en"] = "Free for the first 30"
    form.poplist("allow_replacement")
    form.poplist("kinds-2-earns_points")  # new rows start ticked
    assert owner.post("/editor/cards", data=form).status_code == 302
    document = draft(hk, shop.id)
    assert document["card_kinds"][2] == {"key": "free", "name": {"zh-CN": "体验卡", "en": "Trial card"},
                                         "earns_points": False,
                                         "description": {"zh-CN": "前 30 名免费", "en": "Free for the first 30"}}
    form = page_form(owner, "/editor/cards")  # a new kind named in Chinese only: its key is made for it
    form["kinds-3-name_zh"], form["kinds-3-description_zh"] = "次卡", "十次洗车"
    assert owner.post("/editor/cards", data=form).status_code == 302
    assert draft(hk, shop.id)["card_kinds"][3] == {"key": "ci_ka", "name": {"zh-CN": "次卡", "en": "次卡"},
                                                   "earns_points": True,
                                                   "description": {"zh-CN": "十次洗车", "en": "十次洗车"}}
    assert document["policies"] == {"cards_per_member": 2, "allow_replacement": False}


# -- screens and preview ------------------------------------------------------------------------------

def test_screen_arrangement_is_saved_as_a_valid_screen(owner, hk, shop):
    save(hk, shop.id, basic_document(plugins=[{"id": "stored_value"}]))
    url = "/editor/screens/member"
    form = page_form(owner, url)
    rows = {form[f"scope-{i}"]: str(i) for i in form.getlist("row")}
    occupation, favourite, wechat = (rows["#/properties/occupation"], rows["#/properties/extra/properties/favourite"],
                                     rows["#/properties/extra/properties/wechat_id"])
    form.pop(f"show-{occupation}")  # hide occupation
    form[f"label_zh-{wechat}"], form[f"label_en-{wechat}"] = "微信", "WeChat"
    form[f"effect-{wechat}"] = "SHOW"  # ask for the WeChat id only from tea lovers
    form[f"when-{wechat}"] = "#/properties/extra/properties/favourite"
    form[f"op-{wechat}"], form[f"value-{wechat}"] = "eq", "茶"
    order = form.getlist("row")  # drag-and-drop: WeChat right after the favourite
    order.remove(wechat)
    order.insert(order.index(favourite) + 1, wechat)
    form.setlist("row", order)
    form["save"] = "1"
    response = owner.post(url, data=form)
    assert response.status_code == 302, response.get_data(as_text=True)

    screen = next(s for s in draft(hk, shop.id)["screens"] if s["id"] == "member")
    assert validate_document(screen, "screen") == []
    scopes = [e["scope"] for e in screens.walk(screen["ui"]) if e.get("type") == "Control"]
    assert "#/properties/occupation" not in scopes
    assert scopes.index("#/properties/extra/properties/wechat_id") == \
        scopes.index("#/properties/extra/properties/favourite") + 1
    control = next(e for e in screens.walk(screen["ui"]) if e.get("scope") == "#/properties/extra/properties/wechat_id")
    assert control["label"] == {"zh-CN": "微信", "en": "WeChat"}
    assert control["rule"] == {"effect": "SHOW", "condition": {
        "scope": "#/properties/extra/properties/favourite", "schema": {"const": "tea"}}}
    assert publish(hk, shop.id) == 1  # the whole document, arrangement included, publishes

    preview = owner.get("/editor/preview").get_data(as_text=True)
    assert 'name="m.occupation"' not in preview and 'name="m.extra.wechat_id"' in preview
    tried = owner.get("/editor/preview", query_string={
        "try": "m", "m.name": "李雷", "m.phone": "13800138000", "m.extra.favourite": "tea",
        "m.extra.wechat_id": "lilei"}).get_data(as_text=True)
    assert "Valid: this is what would be sent." in tried and "lilei" in tried


def test_moving_a_control_without_javascript_keeps_the_other_edits(owner, hk, shop):
    save(hk, shop.id, basic_document(plugins=[{"id": "stored_value"}]))
    url = "/editor/screens/recharge_stored_value"
    form = page_form(owner, url)
    form["label_zh-0"] = "本次充值"
    form["move"] = "down:0"
    response = owner.post(url, data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "not saved yet" in page
    assert page.index('value="本次充值"') > page.index('name="scope-0" value="#/properties/payment/properties/method"')
    assert draft(hk, shop.id).get("screens", []) == []

    form = page_form(owner, url)
    assert form["scope-3"] == "#/properties/payment/properties/reference"
    form["effect-3"], form["when-3"], form["op-3"], form["value-3"] = "HIDE", "#/properties/amount_fen", "gte", "abc"
    form["save"] = "1"
    response = owner.post(url, data=form)
    assert response.status_code == 422 and "Enter an amount in yuan" in response.get_data(as_text=True)
    form["value-3"] = "10000.5"
    assert owner.post(url, data=form).status_code == 302
    screen = draft(hk, shop.id)["screens"][0]
    assert screen["ui"]["elements"][3]["rule"] == {"effect": "HIDE", "condition": {
        "scope": "#/properties/amount_fen", "schema": {"minimum": 1000050}}}
    assert validate_document(screen, "screen") == []
    assert post(owner, f"{url}/reset", {}, csrf_here=False).status_code == 302
    assert draft(hk, shop.id)["screens"] == []


def test_preview_renders_the_drafts_new_field(owner, hk, shop):
    save(hk, shop.id, basic_document(plugins=[{"id": "points"}]))
    publish(hk, shop.id)
    _new_field(owner, key="shoe_size", type="number", label_zh="鞋码", label_en="Shoe size", min="30", max="50")
    page = owner.get("/editor/preview?screen=redeem_points").get_data(as_text=True)
    assert "Shoe size" in page and 'name="m.extra.shoe_size"' in page and 'min="30"' in page
    assert 'name="s.item_id"' in page  # the chosen plugin screen too
    with hk.db.read() as session:  # the cashier still sees the published configuration
        published = config_versions.published_config(session, shop.id, hk.plugins)
        assert "shoe_size" not in [f["key"] for f in published.member_fields]


# -- publishing and history ----------------------------------------------------------------------------

def test_publish_shows_the_change_summary_and_creates_the_next_version(owner, hk, shop):
    save(hk, shop.id, basic_document())
    assert publish(hk, shop.id) == 1
    document = draft(hk, shop.id)
    document["tiers"][1]["discount_permille"] = 850
    document["fields"][0]["label"] = {"zh-CN": "微信", "en": "WeChat"}
    document["fields"].append({"key": "shoe_size", "type": "number", "label": {"zh-CN": "鞋码", "en": "Shoe size"}})
    document["plugins"] = [{"id": "points", "settings": {"earn_unit_fen": 500}}]
    save(hk, shop.id, document)
    page = owner.get("/editor/publish").get_data(as_text=True)
    assert '(<span translate="no">shoe_size</span>)' in page  # the key is data, not words to translate
    page = re.sub(r"<[^>]+>", "", page)
    for text in ("Enabled Points", "Tier Gold discount: 8.8折 → 8.5折", "Added field Shoe size (shoe_size)",
                 "Relabelled field wechat_id: 微信号 / WeChat ID → 微信 / WeChat", "Publish as version 2"):
        assert text in page, text
    overview = owner.get("/editor/").get_data(as_text=True)
    assert "unpublished change(s)" in overview and "Version 1" in overview
    response = post(owner, "/editor/publish", {"note": "金卡 8.5折"})
    assert response.status_code == 302
    with hk.db.read() as session:
        version = config_versions.latest_version(session, shop.id)
        assert (version.version, version.note) == (2, "金卡 8.5折")
        assert session.query(Tier).filter_by(merchant_id=shop.id, key="gold").one().discount_permille == 850
    versions = owner.get("/editor/versions").get_data(as_text=True)
    assert "金卡 8.5折" in versions
    again = post(owner, "/editor/publish", {})
    assert again.status_code == 302 and publish_count(hk, shop.id) == 2  # nothing changed: nothing published


def publish_count(hk, merchant_id) -> int:
    with hk.db.read() as session:
        return config_versions.version_count(session, merchant_id)


def test_publish_errors_name_readable_places(owner, hk, shop):
    document = basic_document(plugins=[{"id": "points", "settings": {"tier_rates": [
        {"tier_key": "platinum", "earn_unit_fen": 1000, "points_per_unit": 2}]}}])
    save(hk, shop.id, document)
    response = post(owner, "/editor/publish", {"note": "x" * 10})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Plugin Points › settings › Earning rate per tier › row 1 › Tier" in page
    assert "/plugins/0/settings/tier_rates/0/tier_key" in page
    assert 'href="/editor/plugins/points/settings"' in page
    assert "xxxxxxxxxx" in page  # the note is kept
    assert publish_count(hk, shop.id) == 0


def test_rollback_restores_the_old_discount(owner, hk, shop):
    save(hk, shop.id, basic_document())
    publish(hk, shop.id)
    document = draft(hk, shop.id)
    document["tiers"][1]["discount_permille"] = 850
    save(hk, shop.id, document)
    publish(hk, shop.id)
    confirm = owner.get("/editor/versions/1/rollback").get_data(as_text=True)
    assert "8.5折 → 8.8折" in confirm
    response = post(owner, "/editor/versions/1/rollback", {})
    assert response.status_code == 302
    with hk.db.read() as session:
        latest = config_versions.latest_version(session, shop.id)
        assert (latest.version, latest.rolled_back_from) == (3, 1)
        assert session.query(Tier).filter_by(merchant_id=shop.id, key="gold").one().discount_permille == 880
    assert draft(hk, shop.id)["tiers"][1]["discount_permille"] == 880
    assert "copy of version 1" in owner.get("/editor/versions").get_data(as_text=True)
    assert owner.get("/editor/versions/2").status_code == 200
    assert owner.get("/editor/versions/9").status_code == 404


def test_discarding_the_draft_goes_back_to_the_published_version(owner, hk, shop):
    save(hk, shop.id, basic_document())
    publish(hk, shop.id)
    post(owner, "/editor/plugins/points/enable", {}, csrf_here=False)
    assert draft(hk, shop.id)["plugins"]
    assert post(owner, "/editor/draft/discard", {}, csrf_here=False).status_code == 302
    assert draft(hk, shop.id) == basic_document()


# -- staff and stores ------------------------------------------------------------------------------

def test_owner_manages_staff_and_stores(owner, app, hk, shop):
    response = post(owner, "/editor/stores", {"code": "east_road", "name": "东路店"})
    assert response.status_code == 302
    taken = post(owner, "/editor/stores", {"code": "east_road", "name": "又一个"})
    assert taken.status_code == 422 and "taken" in taken.get_data(as_text=True)
    form = page_form(owner, "/editor/staff", action="/editor/staff#new-staff")
    store = re.search(r'<option value="(\d+)">东路店</option>', owner.get("/editor/staff").get_data(as_text=True)).group(1)
    for key, value in {"username": "xiaomei", "display_name": "小美", "role": "cashier", "store_id": store,
                       "password": "short"}.items():
        form[key] = value
    response = owner.post("/editor/staff", data=form)
    assert response.status_code == 422 and 'value="xiaomei"' in response.get_data(as_text=True)
    form["password"] = "password-456"
    assert owner.post("/editor/staff", data=form).status_code == 302

    other = app.test_client()
    login(other, "xiaomei", password="password-456")
    assert other.get("/editor/").status_code == 403

    with hk.db.read() as session:
        staff = tenancy.find_staff(session, shop.id, "xiaomei")
        staff_id, store_id = staff.id, staff.store_id
    assert store_id == int(store)
    assert post(owner, f"/editor/staff/{staff_id}/password",
                {"password": "password-789", "confirm": "password-789"}).status_code == 302
    assert post(owner, f"/editor/staff/{staff_id}/active", {"active": "0"}, csrf_here=False).status_code == 302
    assert other.get("/", follow_redirects=True).get_data(as_text=True).count("小美") == 0  # signed out: deactivated
    refused = other.post("/login", data={"merchant": SHOP, "username": "xiaomei", "password": "password-789",
                                         "csrf_token": csrf(other, "/login")})
    assert refused.status_code == 401
    assert post(owner, f"/editor/staff/{staff_id}/active", {"active": "1"}, csrf_here=False).status_code == 302
    login(other, "xiaomei", password="password-789")

    with hk.db.read() as session:
        me = tenancy.find_staff(session, shop.id, "owner").id
    page = post(owner, f"/editor/staff/{me}/active", {"active": "0"}, csrf_here=False, follow_redirects=True)
    assert "cannot deactivate yourself" in page.get_data(as_text=True)


def test_disabling_a_plugin_asks_first_and_keeps_its_settings(owner, hk, shop):
    post(owner, "/editor/plugins/stored_value/enable", {}, csrf_here=False)
    url = "/editor/plugins/stored_value/settings"
    form = page_form(owner, url)
    form["min_recharge_fen"] = "300"
    form["bonus_tiers-1-threshold_fen"], form["bonus_tiers-1-bonus_fen"] = "2000", "300"
    assert owner.post(url, data=form).status_code == 302
    settings = draft(hk, shop.id)["plugins"][0]["settings"]
    listing = owner.get("/editor/plugins").get_data(as_text=True)
    assert 'href="/editor/plugins/stored_value/disable"' in listing  # a link to the question, not a button
    confirm = owner.get("/editor/plugins/stored_value/disable").get_data(as_text=True)
    assert "What stops working" in confirm and "Recharge" in confirm and "settings are kept" in confirm
    assert draft(hk, shop.id)["plugins"][0]["settings"] == settings  # asking changed nothing
    assert post(owner, "/editor/plugins/stored_value/disable", {}).status_code == 302
    document = draft(hk, shop.id)
    assert document["plugins"] == [] and document["disabled_plugins"] == [{"id": "stored_value", "settings": settings}]
    assert validate_document(document, "merchant-config") == []
    assert post(owner, "/editor/plugins/stored_value/enable", {}, csrf_here=False).status_code == 302
    document = draft(hk, shop.id)
    assert document["plugins"] == [{"id": "stored_value", "settings": settings}] and "disabled_plugins" not in document
    assert owner.get("/editor/plugins/points/disable").status_code == 404  # not enabled: nothing to ask


def test_the_preview_shows_the_till_with_the_drafts_tiers_and_plugins(owner, hk, shop):
    document = basic_document(plugins=[{"id": "stored_value"}, {"id": "points"}])
    document["tiers"][1]["discount_permille"] = 850
    save(hk, shop.id, document)
    page = owner.get("/editor/preview").get_data(as_text=True)
    # 88 + 120.50 at 8.5折 = 74.80 + 102.43 (half up), the special offer 19.90 at list: 197.13 due
    assert "8.5折" in page and 'data-preview-due>¥197.13<' in page
    assert "Stored value (principal)" in page and "All from stored value" in page and "Points as cash" in page
    silver = owner.get("/editor/preview?tier=silver").get_data(as_text=True)
    assert "9.5折" in silver and 'data-preview-due>¥' in silver
    document["plugins"] = []
    save(hk, shop.id, document)
    bare = owner.get("/editor/preview").get_data(as_text=True)
    assert "All from stored value" not in bare and "Stored value (principal)" not in bare


def test_a_field_and_its_options_need_only_chinese_labels(client, hk, shop):
    login(client)  # the owner's own language: Chinese
    form = page_form(client, "/editor/fields/new")
    assert "options-0-value" in form and form["key"] == ""  # the code is optional, the value hidden
    for key in [k for k in form if k.startswith("options-")]:
        form.poplist(key)
    form["label_zh"], form["type"] = "微信号", "text"
    assert client.post("/editor/fields/new", data=form).status_code == 302
    form = page_form(client, "/editor/fields/new")
    form["label_zh"], form["type"] = "到店渠道", "choice"
    form["options-0-label_zh"], form["options-1-label_zh"], form["options-2-label_zh"] = "朋友介绍", "路过", "朋友介绍"
    assert client.post("/editor/fields/new", data=form).status_code == 302
    own = draft(hk, shop.id)["fields"]
    assert own[0] == {"key": "wei_xin_hao", "type": "text", "label": {"zh-CN": "微信号", "en": "微信号"}}
    assert own[1]["key"] == "dao_dian_qu_dao"
    assert [o["value"] for o in own[1]["options"]] == ["peng_you_jie_shao", "lu_guo", "peng_you_jie_shao_2"]

    form = page_form(client, "/editor/fields/new")  # the same label again: another key
    form["label_zh"], form["type"] = "微信号", "text"
    client.post("/editor/fields/new", data=form)
    assert [f["key"] for f in draft(hk, shop.id)["fields"]][-1] == "wei_xin_hao_2"

    url = "/editor/fields/dao_dian_qu_dao/edit"  # relabelling keeps the key and the option values
    form = page_form(client, url)
    form["label_zh"], form["options-1-label_zh"] = "来店渠道", "顺路"
    form["options-3-label_zh"] = "抖音"
    assert client.post(url, data=form).status_code == 302
    field = next(f for f in draft(hk, shop.id)["fields"] if f["key"] == "dao_dian_qu_dao")
    assert field["label"]["zh-CN"] == "来店渠道"
    assert [(o["value"], o["label"]["zh-CN"]) for o in field["options"]] == [
        ("peng_you_jie_shao", "朋友介绍"), ("lu_guo", "顺路"), ("peng_you_jie_shao_2", "朋友介绍"), ("dou_yin", "抖音")]
