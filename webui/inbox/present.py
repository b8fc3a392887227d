"""A task on a page: its kind in the reader's language and its facts as short phrases."""
from __future__ import annotations

from datetime import date, timedelta

from flask_babel import gettext as _

from ..money import yuan_mark
from ..i18n import label


def fact_phrases(facts: dict) -> list[str]:
    """What to say on the phone: balance, points, sessions left, expiry, days left, last visit …
    (the reminder's facts; money is fen, shown in yuan). Unknown facts are left out."""
    phrases = []
    if facts.get("calendar") == "lunar" and isinstance(facts.get("birthday"), str):
        month_day = facts["birthday"][5:10]  # the stored lunar date's month and day
        phrases.append(_("Lunar birthday %(leap)s%(day)s", day=month_day,
                         leap=_("leap ") if facts.get("leap_month") else ""))
    for key, phrase in _PHRASES:
        value = facts.get(key)
        if value is None or value == "" or isinstance(value, (dict, list, bool)):
            continue
        try:
            phrases.append(phrase(value))
        except (TypeError, ValueError):
            continue
    return phrases


def _fen(value) -> str:
    if not isinstance(value, int):
        raise TypeError
    return yuan_mark(value)


_PHRASES = (
    ("balance_fen", lambda v: _("Balance %(amount)s", amount=_fen(v))),
    ("points", lambda v: _("%(points)s points", points=int(v))),
    ("package", lambda v: str(v)[:40]),
    ("coupon", lambda v: str(v)[:40]),
    ("value_fen", lambda v: _("worth %(amount)s", amount=_fen(v))),
    ("sessions_left", lambda v: _("%(count)s sessions left", count=int(v))),
    ("birthday_on", lambda v: _("Birthday %(day)s", day=str(v)[:10])),
    ("years", lambda v: _("member for %(years)s years", years=int(v))),
    ("anniversary_on", lambda v: _("anniversary %(day)s", day=str(v)[:10])),
    ("last_visit_on", lambda v: _("last visit %(day)s", day=str(v)[:10])),
    ("days_since", lambda v: _("%(days)s days without a visit", days=int(v))),
    ("product_group", lambda v: str(v)[:40]),
    ("reason", lambda v: _reason(str(v))),
    ("expires_on", lambda v: _("expires %(day)s", day=str(v)[:10])),
    ("due_on", lambda v: _("due %(day)s", day=str(v)[:10])),
    ("days_left", lambda v: _("today") if int(v) == 0 else _("in %(days)s days", days=int(v))),
)
# Codes some kinds put in ``reason``; any other reason is the staff's own text (cosmetics).
_REASON_CODES = {"expiring": None, "running_low": lambda: _("few sessions left")}


def _reason(value: str) -> str:
    if value in _REASON_CODES:
        text = _REASON_CODES[value]
        if text is None:
            raise ValueError  # said by expires_on already
        return text()
    return value[:60]


def kind_text(task: dict) -> str:
    return label(task.get("kind_title")) or task.get("kind", "")


def snooze_default(today: date) -> str:
    return (today + timedelta(days=1)).isoformat()
