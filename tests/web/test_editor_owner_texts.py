"""Owner pages speak the owner's words: no business-rule codes (C4, S1、C3 …) anywhere in the editor.

Every editor page an owner can open (with every shipped plugin enabled, so their settings,
screens, reports and manifests are all on show) is read as a person would: its visible text
and the titles, labels and placeholders of its controls, in Chinese and in English.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.support.factories import basic_document, make_merchant
from tests.web.test_editor import SHOP, login, publish, save

RULE_CODE = re.compile(r"(?<![A-Za-z0-9])[A-Z]\d(?![A-Za-z0-9])")
ALL_PLUGINS = ("points", "stored_value", "cosmetics_profile", "hotel_rooms", "training_courses",
               "goods", "coupons", "service_packages", "birthday_benefits")


class _Reader(HTMLParser):
    """What a person reads on a page: text outside scripts and styles, plus control captions."""

    SHOWN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")

    def __init__(self):
        super().__init__()
        self.texts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1
        self.texts += [value for name, value in attrs if name in self.SHOWN_ATTRIBUTES and value]
        if tag == "input" and dict(attrs).get("type") in ("submit", "button"):
            self.texts.append(dict(attrs).get("value") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.texts.append(data)


def shown_text(html: str) -> str:
    reader = _Reader()
    reader.feed(html)
    return "\n".join(reader.texts)


def _owner_urls(app, client) -> list[str]:
    """Every editor page reachable by GET, with each plugin, screen and report filled in."""
    hk = app.extensions["huika"]
    urls = []
    with app.test_request_context("/"):
        from flask import url_for

        for rule in app.url_map.iter_rules():
            if rule.endpoint.startswith("editor.") and "GET" in rule.methods and not rule.arguments:
                urls.append(url_for(rule.endpoint))
        for plugin_id in ALL_PLUGINS:
            urls += [url_for("editor.plugin_settings", plugin_id=plugin_id),
                     url_for("editor.plugin_disable_confirm", plugin_id=plugin_id)]
        urls += [url_for("editor.field_edit", key="favourite"), url_for("editor.field_delete", key="favourite")]
    for page in ("/editor/screens", "/editor/reports", "/editor/preview"):
        html = client.get(page).get_data(as_text=True)
        urls += sorted(set(re.findall(r'href="(/editor/(?:screens/[a-z_]+|reports/[a-z_]+|preview\?screen=[a-z_]+))"',
                                      html)))
    assert hk
    return urls


def test_no_owner_page_shows_a_rule_code(app, client, hk):
    shop = make_merchant(hk, SHOP)
    save(hk, shop.id, basic_document(plugins=[{"id": p} for p in ALL_PLUGINS]))
    publish(hk, shop.id)  # pages that read the published configuration (imports) show every plugin too
    login(client, "owner")
    found = {}
    for language in ("zh_CN", "en"):
        client.get(f"/lang/{language}")
        urls = _owner_urls(app, client)
        assert len(urls) > 40
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
            codes = RULE_CODE.findall(shown_text(response.get_data(as_text=True)))
            if codes:
                found[(language, url)] = sorted(set(codes))
    assert not found, "\n".join(f"{language} {url}: {codes}" for (language, url), codes in found.items())


def test_the_audit_log_shows_discounts_in_zhe_and_money_in_yuan(client, hk):
    from tests.web.test_editor import page_form

    shop = make_merchant(hk, SHOP)
    save(hk, shop.id, basic_document())
    login(client, "owner")
    form = page_form(client, "/editor/tiers")
    form["tiers-1-discount_zhe"], form["tiers-1-single_purchase"] = "8.5", "88.5"
    assert client.post("/editor/tiers", data=form).status_code == 302
    page = shown_text(client.get("/editor/audit").get_data(as_text=True))
    assert "8.8折" in page and "8.5折" in page and "¥88.50" in page
    assert "850" not in page and "8850" not in page


def test_odd_rows_and_discounts_are_refused_without_a_server_error(client, hk):
    from werkzeug.datastructures import MultiDict

    from tests.web.test_editor import draft, page_form, post

    shop = make_merchant(hk, SHOP)
    save(hk, shop.id, basic_document(plugins=[{"id": "stored_value"}]))
    login(client, "owner")
    before = draft(hk, shop.id)
    url = "/editor/plugins/stored_value/settings"
    for extra in ({"bonus_tiers-99999999999999999999-threshold_fen": "1" * 5000},
                  {"bonus_tiers-0-threshold_fen": "¥-5", "bonus_tiers-x-y": "z", "bonus_tiers--1-bonus_fen": "1"},
                  {"bonus_tiers-0-bonus_fen": "1e9"}):
        form = page_form(client, url)
        form.update(MultiDict(extra))
        for key, value in extra.items():
            form[key] = value
        assert client.post(url, data=form).status_code == 422, extra
    for text in ("９" * 200, "8..8", "折", "\u0000", "８．５５５"):
        form = page_form(client, "/editor/tiers")
        form["tiers-1-discount_zhe"] = text
        assert client.post("/editor/tiers", data=form).status_code in (400, 422), text  # NUL: 400 app-wide
    assert post(client, "/editor/fields/new", {"label_zh": "😀" * 50, "type": "text"}).status_code in (302, 422)
    assert draft(hk, shop.id)["tiers"] == before["tiers"]
