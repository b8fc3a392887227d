"""Names shared by the goods plugin's modules."""
from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

PLUGIN_ID = "goods"
MAX_LEVELS = 3
MAX_PAGE = 200
NOT_ALPHANUMERIC = re.compile(r"[^0-9a-z]")


def pinyin_initials(name: str) -> str:
    """Lower-case pinyin initials of ``name``, Latin letters and digits kept as they are:
    牛奶粉 -> "nnf", 伊利纯牛奶250ml -> "ylcnn250ml". Searched by prefix and substring."""
    letters = lazy_pinyin(name, style=Style.FIRST_LETTER, errors="default")
    return NOT_ALPHANUMERIC.sub("", "".join(letters).lower())[:120]


def like_escape(text: str) -> str:
    """``text`` for a LIKE pattern with ``escape="\\\\"``: % and _ match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
