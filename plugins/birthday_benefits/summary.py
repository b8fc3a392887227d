"""The member strip's birthday fact: "12月6日（农历） — 本月享 9 折，未使用" (member_summary)."""
from __future__ import annotations

from datetime import date

from core.birthdays import next_birthday
from core.models import Member

from .pricing import grant_title, is_used
from .rules import PLUGIN_ID, discount_permille, grant_of, is_lunar, occasion_on, rule_for, spec_of

WINDOW_WORDS = {"day": "今天", "week": "本周", "month": "本月"}
LABEL = {"zh-CN": "生日", "en": "Birthday"}


def zhe(permille: int) -> str:
    """900 -> 9 折, 850 -> 8.5 折."""
    whole, rest = divmod(permille, 100)
    return (str(whole) if rest == 0 else f"{whole}.{f'{rest:02d}'.rstrip('0')}") + " 折"


def member_tier_key(member: Member) -> str | None:
    """The tier the member shops at: the highest of their active cards' tiers."""
    tiers = [card.tier for card in member.cards if card.status == "active" and card.tier is not None]
    return max(tiers, key=lambda tier: tier.rank).key if tiers else None


def birthday_fact(session, member: Member, config, today: date) -> dict | None:
    spec = spec_of(member)
    if spec is None:
        return None
    leap = "闰" if spec.leap_month else ""
    text = f"{leap}{spec.month}月{spec.day}日" + ("（农历）" if is_lunar(spec) else "")
    rule = rule_for(config.settings_for(PLUGIN_ID), member_tier_key(member))
    occasion = occasion_on(spec, today, rule.get("window", "month")) if rule else None
    if occasion is None:
        if is_lunar(spec):
            try:
                upcoming = next_birthday(spec, today)
                text += f" · 公历 {upcoming.month}月{upcoming.day}日"
            except (ValueError, IndexError):
                pass
        return {"label": LABEL, "text": text}
    offers = []
    if discount_permille(rule) < 1000:
        offers.append(f"享 {zhe(discount_permille(rule))}")
    if rule.get("gift_name"):
        offers.append(f"赠 {rule['gift_name']}")
    if grant_of(rule) is not None:
        offers.append(f"赠 {grant_title(config, grant_of(rule))}")
    if not offers:
        return {"label": LABEL, "text": text}
    used = is_used(session, member.merchant_id, member.id, occasion.benefit_year)
    when = WINDOW_WORDS.get(rule.get("window", "month"), "")
    return {"label": LABEL, "text": f"{text} — {when}{'、'.join(offers)}，{'已使用' if used else '未使用'}",
            "used": used, "birthday_on": occasion.birthday_on.isoformat()}
