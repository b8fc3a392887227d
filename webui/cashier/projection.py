"""P6 projection and the receipt's 折 as sentences, for the receipt, the member page and the
member portal. The figures come from core.projection (API getCardProjection); lines of a
kind this module does not know are left off the pages (the API still shows them)."""
from __future__ import annotations

from flask_babel import gettext as _

from core.projection import card_projection

from ..i18n import current_locale, label
from ..money import yuan, zhe


def rate_text(permille: int | None) -> str:
    """The rate paid as the page's language says it: the share paid in Chinese ("8.8折"),
    the share taken off in English ("12% off"); "" without discount (None or 1000)."""
    if permille is None or permille >= 1000:
        return ""
    if permille == 0:
        return _("free")
    if current_locale() == "zh_CN":
        return f"{zhe(permille)}折"
    off = 1000 - permille
    percent = str(off // 10) if off % 10 == 0 else f"{off // 10}.{off % 10}"
    return _("%(percent)s%% off", percent=percent)


def _line_text(line: dict, tier_names: dict) -> str | None:
    kind = line.get("kind")
    if kind == "tier":
        tier = tier_names.get(line["tier"], line["tier"])
        if line["spend_fen"] == 0:
            return _("%(tier)s reached: it applies from the next purchase.", tier=tier)
        if line["condition"] == "single_purchase":
            return _("One purchase of ¥%(amount)s or more moves you up to %(tier)s.",
                     amount=yuan(line["spend_fen"]), tier=tier)
        return _("Spend ¥%(amount)s more to reach %(tier)s (spend of the last %(days)s days counts).",
                 amount=yuan(line["spend_fen"]), tier=tier, days=line["period_days"])
    if kind == "gift":
        return _("%(points)s more points for %(gift)s: spend ¥%(amount)s more.",
                 points=line["points_needed"], gift=line["item_name"], amount=yuan(line["spend_fen"]))
    if kind == "year_end":
        if line["item_name"]:
            return _("You spend ¥%(weekly)s a week on average and have %(now)s points: at this pace "
                     "you will have %(end)s points by %(date)s, enough for %(gift)s.",
                     weekly=yuan(line["weekly_fen"]), now=line["points"],
                     end=line["points_at_year_end"], date=line["until"], gift=line["item_name"])
        return _("You spend ¥%(weekly)s a week on average and have %(now)s points: at this pace "
                 "you will have %(end)s points by %(date)s.",
                 weekly=yuan(line["weekly_fen"]), now=line["points"],
                 end=line["points_at_year_end"], date=line["until"])
    return None


def projection_texts(projection: dict, config) -> list[str]:
    """The projection's lines as sentences in the page's language."""
    tier_names = {tier["key"]: label(tier["name"]) for tier in config.tiers}
    texts = (_line_text(line, tier_names) for line in projection.get("lines", []))
    return [text for text in texts if text]


def card_projection_texts(session, card, config, now) -> list[str]:
    """The sentences for one card, read in the caller's session."""
    return projection_texts(card_projection(session, card, config, now), config)
