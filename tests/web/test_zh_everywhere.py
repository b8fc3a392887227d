"""No English left in the Chinese UI (H8): a crawl of the demo, as owner, manager and cashier
with every plugin enabled, over every page the navigation reaches (GET), plus the error pages.

Visible text only (scripts, styles, code and attribute data left out; placeholders and titles
in); data a person typed in Latin letters (user names, card targets) is marked translate="no";
a word of Latin letters fails the test unless it is on the allow-list below (brands, units,
codes people say as they are). The catalogue itself must have a Chinese msgstr for every msgid.
"""
from __future__ import annotations

import re
from collections import deque
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urldefrag, urlsplit

import pytest
from babel.messages.pofile import read_po

from core.config_versions import publish, save_draft
from core.demo import DEMO_DOCUMENT, DEMO_MERCHANT, DEMO_PASSWORD, load_demo
from tests.web.test_cashier import token

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = ROOT / "webui" / "translations" / "zh" / "LC_MESSAGES" / "messages.po"

# Words that stay Latin in a Chinese UI: brands, codes and units said as they are.
ALLOWED = {
    "huika", "sku", "api", "pin", "qr", "excel", "csv", "xlsx", "json", "openapi", "id", "url",
    "http", "https", "utc", "pdf", "wifi", "vip", "english", "echarts", "ok", "app", "ios",
    "android", "mac", "ctrl", "shift", "enter", "esc", "tab", "alt", "cmd", "fen", "pos",
    "firefox", "chrome", "safari", "option",  # browsers and the Mac's Option key, in key hints
    "rfm", "abc",  # the analysis models, called so in Chinese too
    "xfs",  # the till's example of pinyin initials: xfs finds 洗发水
    "kg", "ml",  # units, written so on Chinese packaging too
    "ssl", "tls", "starttls",  # mail encryption, named so on every Chinese mail host's help page
}
# Pages still showing English at the time of writing, each with why and whose part it is
# (issue 13): remove an entry when its page is fixed; a page not listed here must be clean.
KNOWN_GAPS: dict[str, str] = {}  # none left: the editor's keys and typed labels are marked as data
MAX_PAGES_PER_ROLE = 250
SAME_SHAPE_LIMIT = 2  # /cashier/members/1 and /cashier/members/2 are one page to read
SKIPPED = ("/static/", "/api/", "/lang/", "/logout")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]")


class VisibleText(HTMLParser):
    """Text a person sees (and placeholders, titles, button labels), and the links."""

    HIDDEN = {"script", "style", "template", "noscript", "code", "pre", "kbd", "samp"}
    VOID = {"input", "img", "br", "hr", "meta", "link", "area", "source", "wbr", "col", "embed"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.links: list[str] = []
        self._hidden = 0
        self._closing: list[str] = []  # the hidden elements open now, innermost last

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("translate") == "no" and tag in self.VOID:
            return  # e.g. an input whose placeholder is an example code
        if tag in self.HIDDEN or attrs.get("translate") == "no":
            self._hidden += 1
            self._closing.append(tag)
        if tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])
        for name in ("placeholder", "title", "aria-label", "alt"):
            if attrs.get(name):
                self.texts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.texts.append(attrs["value"])

    def handle_endtag(self, tag):
        if self._closing and tag == self._closing[-1]:
            self._closing.pop()
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.texts.append(data)


def english_words(text: str) -> list[str]:
    words = []
    for word in LATIN_WORD.findall(text):
        if word.lower() in ALLOWED or len(word) == 1:
            continue
        words.append(word)
    return words


def _shape(path: str) -> str:
    return re.sub(r"\d+", "N", path)


@pytest.fixture
def demo_everything(hk):
    """The demo merchant with every installed plugin enabled (default settings)."""
    with hk.db.write() as session:
        demo = load_demo(session, hk.plugins, member_count=6)
        document = dict(DEMO_DOCUMENT)
        enabled = {p["id"] for p in document["plugins"]}
        document["plugins"] = [*document["plugins"],
                               *({"id": name, "settings": {}} for name in sorted(hk.plugins.plugins)
                                 if name not in enabled)]
        save_draft(session, demo.merchant_id, document, staff_id=None)
        publish(session, demo.merchant_id, hk.plugins, note="启用全部插件")
    return demo


def crawl(client) -> dict[str, list[str]]:
    """path -> English words found, over every page reachable from the start page."""
    found: dict[str, list[str]] = {}
    seen_shapes: dict[str, int] = {}
    queue, seen = deque(["/"]), {"/"}
    pages = 0
    while queue and pages < MAX_PAGES_PER_ROLE:
        path = queue.popleft()
        response = client.get(path)
        pages += 1
        if response.status_code in (301, 302, 303, 307, 308):
            target = urlsplit(response.headers["Location"])
            follow = target.path + (f"?{target.query}" if target.query else "")
            if follow not in seen and not follow.startswith(SKIPPED):
                seen.add(follow)
                queue.append(follow)
            continue
        assert response.status_code < 500, f"{path} answered {response.status_code}"
        if not response.mimetype == "text/html":
            continue
        parser = VisibleText()
        parser.feed(response.get_data(as_text=True))
        words = english_words(" ".join(parser.texts))
        if words:
            found[path] = sorted(set(words))
        for href in parser.links:
            href = urldefrag(href)[0]
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.startswith("/"):
                continue
            link = parts.path + (f"?{parts.query}" if parts.query else "")
            if link in seen or link.startswith(SKIPPED) or parts.path.endswith((".xlsx", ".csv", ".png")):
                continue
            if "lang=" in parts.query:
                continue
            shape = _shape(parts.path)
            if seen_shapes.get(shape, 0) >= SAME_SHAPE_LIMIT:
                continue
            seen_shapes[shape] = seen_shapes.get(shape, 0) + 1
            seen.add(link)
            queue.append(link)
    return found


@pytest.mark.parametrize("role", ["owner", "manager", "cashier"])
def test_no_english_on_any_page_of_the_chinese_ui(client, demo_everything, role):
    signed_in = client.post("/login", data={"merchant": DEMO_MERCHANT, "username": role,
                                            "password": DEMO_PASSWORD, "csrf_token": token(client)})
    assert signed_in.status_code == 302
    found = crawl(client)
    for path in ("/no-such-page", "/cashier/members/999999999", "/editor/no-such-page"):
        parser = VisibleText()
        parser.feed(client.get(path).get_data(as_text=True))
        if words := english_words(" ".join(parser.texts)):
            found[path] = sorted(set(words))
    found = {path: words for path, words in found.items()
             if not any(re.match(pattern, path) for pattern in KNOWN_GAPS)}
    assert not found, "English in the Chinese UI:\n" + "\n".join(f"{p}: {w}" for p, w in sorted(found.items()))


def test_the_signed_out_pages_are_chinese_too(client):
    found = {}
    for path in ("/login", "/no-such-page", "/m/", "/m/login"):
        parser = VisibleText()
        parser.feed(client.get(path).get_data(as_text=True))
        if words := english_words(" ".join(parser.texts)):
            found[path] = sorted(set(words))
    assert not found, found


def test_every_catalogue_entry_has_a_chinese_translation():
    with CATALOGUE.open("rb") as handle:
        catalogue = read_po(handle)
    empty = [message.id for message in catalogue if message.id and not message.string]
    assert not empty, f"no Chinese for {empty[:20]} ({len(empty)} in all)"
    untranslated = [message.id for message in catalogue if message.id and message.string
                    and isinstance(message.string, str) and message.string == message.id
                    and english_words(re.sub(r"%\(\w+\)[sd]", "", message.string))]
    assert not untranslated, f"msgstr equals the English msgid: {untranslated[:20]}"
