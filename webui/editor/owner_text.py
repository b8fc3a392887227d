"""Owner-facing text without the business-rule codes developers cite (C4, S1、C3, (P3) …).

Plugin manifests, settings schemas and screens write the rule a text is about in its
developer form ("S1：每次充值不得低于此金额", "(T1, T3)"); docs/plugins.md asks authors to keep
codes out of owner texts, and this is the editor's guarantee: every label, help text, schema
and screen it shows passes through ``strip_rule_codes`` first.
"""
from __future__ import annotations

import copy
import re

from ..i18n import label

_CODE = r"(?<![A-Za-z0-9])[A-Z]\d{1,2}(?![A-Za-z0-9])"
_CODES = rf"{_CODE}(?:\s*(?:[、,，/–-]|and|和|与)\s*{_CODE})*"
_STEPS = [
    (re.compile(rf"^\s*{_CODES}\s*[：:]\s*"), ""),                      # "S1、C3：每次充值…"
    (re.compile(rf"\s*[（(]\s*{_CODES}\s*[）)]"), ""),                   # "…按商户设置（S1）"
    (re.compile(rf"\s*[，,、;；]\s*{_CODES}\s*(?=[）)])"), ""),          # "（不积分，P3）"
    (re.compile(rf"(?<=[（(])\s*{_CODES}\s*[，,、;；:：]\s*"), ""),      # "(P3, no points)"
    (re.compile(rf"\s*{_CODES}\s*[：:]\s*"), " "),                       # "… K3, K4: which …"
    (re.compile(rf"\s*{_CODES}"), ""),                                   # anything left
    (re.compile(r"[（(]\s*[）)]"), ""),
    (re.compile(r"[ \t]{2,}"), " "),
]

TEXT_KEYS = ("zh-CN", "en", "title", "description")  # where documents keep what people read


def strip_rule_codes(text: str) -> str:
    """``text`` without rule codes: "S1、C3：默认 500 元。" -> "默认 500 元。"."""
    if not text or not re.search(_CODE, text):
        return text
    for pattern, replacement in _STEPS:
        text = pattern.sub(replacement, text)
    text = text.strip()
    return text[:1].upper() + text[1:] if text[:1].isascii() else text


def owner_label(text, locale: str | None = None) -> str:
    """``webui.i18n.label`` for owners: the text in their language, without rule codes."""
    return strip_rule_codes(label(text, locale))


def owner_document(document):
    """A copy of a schema, screen or manifest whose texts shown to people carry no rule codes."""
    document = copy.deepcopy(document)
    _strip_in(document)
    return document


def _strip_in(node) -> None:
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, value in list(items):
        if isinstance(value, str):
            if key in TEXT_KEYS:
                node[key] = strip_rule_codes(value)
        else:
            _strip_in(value)
