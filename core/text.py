"""What text Huika stores (a domain rule; no HTTP): well-formed Unicode without control
characters, and names that show at least one visible character.

A lone surrogate cannot be encoded as UTF-8 (the database refuses it); a NUL is refused by
PostgreSQL; other control characters corrupt receipts, exports and SMS. A name made only of
zero-width or bidi-override characters looks empty on the till and in every list, so a
cashier cannot find or tell apart that member.
"""
from __future__ import annotations

import re

INT64_MIN = -(2 ** 63)
INT64_MAX = 2 ** 63 - 1  # every integer column is a signed 64-bit BIGINT (or smaller)

# Lone surrogates, C0 controls but tab / newline / carriage return, DEL and C1 controls.
_FREE_TEXT_FORBIDDEN = re.compile("[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# The same for one-line text (names, keys, query values): no tab or line break either.
_LINE_FORBIDDEN = re.compile("[\ud800-\udfff\x00-\x1f\x7f-\x9f\u2028\u2029]")

# Characters that show nothing: white space, controls, format characters (zero-width space
# and joiners, bidi marks, embeddings, overrides and isolates, word joiner, BOM, tags …),
# variation selectors and the blank "letters" (Hangul fillers, Braille blank).
INVISIBLE_RANGES = (
    (0x0000, 0x0020), (0x007F, 0x00A0), (0x00AD, 0x00AD), (0x034F, 0x034F),
    (0x061C, 0x061C), (0x115F, 0x1160), (0x1680, 0x1680), (0x17B4, 0x17B5),
    (0x180B, 0x180F), (0x2000, 0x200F), (0x2028, 0x202F), (0x205F, 0x206F),
    (0x2800, 0x2800), (0x3000, 0x3000), (0x3164, 0x3164), (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF), (0xFFA0, 0xFFA0), (0xFFF0, 0xFFFB),
    (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0000, 0xE0FFF),
)


def _class(ranges) -> str:
    parts = []
    for low, high in ranges:
        parts.append(f"\\u{low:04x}" if low <= 0xFFFF else chr(low))
        if high != low:
            parts.append("-" + (f"\\u{high:04x}" if high <= 0xFFFF else chr(high)))
    return "".join(parts)


#: JSON Schema ``pattern`` (and Python regex) matching one visible character: a string
#: schema with this pattern refuses names made only of invisible characters.
VISIBLE_PATTERN = f"[^{_class(INVISIBLE_RANGES)}]"
_VISIBLE = re.compile(VISIBLE_PATTERN)


def text_problem(text: str, *, one_line: bool = False) -> str | None:
    """Why ``text`` cannot be stored, or None. Free text may hold tabs and line breaks."""
    found = (_LINE_FORBIDDEN if one_line else _FREE_TEXT_FORBIDDEN).search(text)
    if found is None:
        return None
    code = ord(found.group())
    if 0xD800 <= code <= 0xDFFF:
        return f"a lone surrogate (U+{code:04X}) is not a character; send well-formed UTF-8"
    return f"control character U+{code:04X} is not allowed here"


def name_problem(text: str) -> str | None:
    """Why ``text`` is no usable name (of a member, staff, store, item …), or None."""
    problem = text_problem(text, one_line=True)
    if problem is not None:
        return problem
    if _VISIBLE.search(text) is None:
        return "a name needs at least one visible character (not only spaces, zero-width or " \
               "direction marks)"
    return None


def int64_problem(value: int) -> str | None:
    """Why the integer ``value`` cannot be stored, or None."""
    if INT64_MIN <= value <= INT64_MAX:
        return None
    return f"an integer from {INT64_MIN} to {INT64_MAX}"
