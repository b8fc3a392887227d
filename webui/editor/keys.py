"""Stored keys made from the owner's Chinese labels: 微信号 -> ``wei_xin_hao``.

Owners type labels only; the key (what member data is stored under) is generated once, when
the field, option or tier is created, and never changes afterwards. Chinese characters become
pinyin syllables (``pypinyin``), other letters and digits are kept, everything else separates;
a key that would clash with a taken one gets ``_2``, ``_3`` …; a label with nothing usable
becomes ``<prefix>_<n>``.
"""
from __future__ import annotations

import re
import unicodedata
from typing import Iterable

from pypinyin import Style, lazy_pinyin

MAX_KEY = 40
_PARTS = re.compile(r"[a-z0-9]+")


def slug_from_label(text: str) -> str:
    """A key-shaped slug of ``text`` (may be empty): 会员 生日 -> hui_yuan_sheng_ri."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors=lambda chars: [chars])
    parts = [part for syllable in syllables for part in _PARTS.findall(syllable.replace("ü", "v"))]
    slug = "_".join(parts)
    slug = slug[:MAX_KEY - 4].rstrip("_")  # room for a "_99" suffix
    if slug and not slug[0].isalpha():
        slug = f"k_{slug}"[:MAX_KEY - 4].rstrip("_")
    return slug


def generate_key(label: str, taken: Iterable[str], *, prefix: str = "field") -> str:
    """A new key for ``label`` that is none of ``taken``."""
    taken = set(taken)
    base = slug_from_label(label) or prefix
    if base not in taken and base != prefix:
        return base
    number = 2 if base != prefix else 1
    while f"{base}_{number}" in taken:
        number += 1
    return f"{base}_{number}"
