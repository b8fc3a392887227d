"""The birthday benefit at the till: priced after the stacked discount, used once, given back.

Order of pricing (``checkout_price_lines``): the core's C2 (promotion × tier, tryfirst), the
plugins' own prices (hotel room rates, course prices), then this discount, then coupons
(trylast). The birthday discount is one more 折 on what each eligible line costs at that
point (折上折, like C2), so a coupon's minimum spend and its 折 see the birthday price.
Eligible lines: lines still costing something, not special-price lines (C2: 特价 takes no
member discount), not lines another plugin closed to later discounts (``no_coupons``: H3's
group-buy deals and discounted rooms), only the rule's categories if it names some. The
discount is worked out once on their total (half up), capped, and spread over them in
proportion to what they cost (largest remainder), so no line goes below 0 and a partial
return refunds exactly the returned units' share (G3), like a coupon's.

A gift is a 0-price line named by the merchant (sku ``birthday-gift``, special price so
nothing else touches it) and/or a benefit given through ``grant_benefit`` (a coupon, a room
voucher) after the sale is posted. A checkout that would get nothing (no eligible line and
no gift) does not use the year's benefit.

Use (``after_checkout``): one row per (merchant, member, benefit year) inserted with
``ON CONFLICT DO NOTHING`` in the checkout's transaction; a row already there (another till,
another card of the same member) refuses the whole checkout (409 ``birthday_benefit_used``),
nothing charged; the next quote is priced without it. An Idempotency-Key retry returns the
first receipt without pricing again.

Return (``after_checkout_return``): once every line of the sale but the gift line is fully
returned, the use is released (the member may use the benefit again this year); a partial
return keeps it. A benefit already given (a coupon) stays with the card and is not given a
second time in the same year.
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from core import benefits
from core.checkout_types import CheckoutState, PricedLine
from core.errors import Conflict
from core.pricing import round_half_up_div

from .models import BirthdayBenefitUse
from .rules import (PLUGIN_ID, discount_permille, grant_of, has_benefit, occasion_on, rule_for,
                    spec_of)

KIND = "birthday"
NAME = "生日优惠"
GIFT_SKU = "birthday-gift"
GIFT_CATEGORY = "生日礼品"


def is_used(session: Session, merchant_id: int, member_id: int, benefit_year: int) -> bool:
    return session.scalar(select(BirthdayBenefitUse.id).where(
        BirthdayBenefitUse.merchant_id == merchant_id, BirthdayBenefitUse.member_id == member_id,
        BirthdayBenefitUse.benefit_year == benefit_year,
        BirthdayBenefitUse.released_at.is_(None)).limit(1)) is not None


def _granted_this_year(session: Session, merchant_id: int, member_id: int, benefit_year: int) -> bool:
    return session.scalar(select(BirthdayBenefitUse.id).where(
        BirthdayBenefitUse.merchant_id == merchant_id, BirthdayBenefitUse.member_id == member_id,
        BirthdayBenefitUse.benefit_year == benefit_year,
        BirthdayBenefitUse.granted.is_not(None)).limit(1)) is not None


def price_birthday(checkout: CheckoutState) -> None:
    if checkout.walk_in or checkout.member is None:
        return  # C7: no card presented, no member benefit
    settings = checkout.config.settings_for(PLUGIN_ID)
    rule = rule_for(settings, checkout.tier.key if checkout.tier else None)
    if rule is None or not has_benefit(rule):
        return
    occasion = occasion_on(spec_of(checkout.member), checkout.today, rule.get("window", "month"))
    if occasion is None:
        return
    session, member_id = checkout.session, checkout.member.id
    if is_used(session, checkout.merchant_id, member_id, occasion.benefit_year):
        return
    off, taken = _discount(checkout, rule)
    gift_line = _gift_line(checkout, rule.get("gift_name") or "")
    grant = grant_of(rule)
    if grant is not None and _granted_this_year(session, checkout.merchant_id, member_id,
                                                occasion.benefit_year):
        grant = None
    if not off and gift_line is None and grant is None:
        return
    checkout.adjustments.append({
        "plugin": PLUGIN_ID, "kind": KIND, "name": NAME, "discount_fen": off, "lines": taken,
        "discount_permille": discount_permille(rule) if off else None,
        "gift": gift_line.name if gift_line else None,
        "gift_line_no": gift_line.line_no if gift_line else None,
        "grant": grant, "benefit_year": occasion.benefit_year,
        "birthday_on": occasion.birthday_on.isoformat(),
        "note": _note(checkout.config, gift_line, grant)})


def _eligible(line: PricedLine, categories: list) -> bool:
    """A line still costing something, not special price (C2), not closed to later discounts
    by another plugin (``no_coupons``: a hotel's group-buy deal or discounted room, H3)."""
    return (line.paid_fen > 0 and not line.special_price and not line.no_coupons
            and (not categories or line.category in categories))


def _discount(checkout: CheckoutState, rule: dict) -> tuple[int, list[dict]]:
    permille = discount_permille(rule)
    if permille >= 1000:
        return 0, []
    lines = [line for line in checkout.lines if _eligible(line, rule.get("categories") or [])]
    base = sum(line.paid_fen for line in lines)
    off = base - round_half_up_div(base * permille, 1000)
    cap = rule.get("max_discount_fen") or 0
    if cap:
        off = min(off, cap)
    if off <= 0:
        return 0, []
    taken = []
    for line, share in zip(lines, spread(off, [line.paid_fen for line in lines])):
        if share:
            line.paid_fen -= share
            line.adjustments.append({"kind": KIND, "name": NAME, "fen": share})
            taken.append({"line_no": line.line_no, "fen": share})
    return off, taken


def spread(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder, earlier first on ties);
    no part exceeds its weight when total <= sum(weights)."""
    whole = sum(weights)
    parts = [total * weight // whole for weight in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[:total - sum(parts)]:
        parts[i] += 1
    return parts


def _gift_line(checkout: CheckoutState, name: str) -> PricedLine | None:
    if not name:
        return None
    line = PricedLine(line_no=len(checkout.lines) + 1, sku=GIFT_SKU, name=name,
                      category=GIFT_CATEGORY, quantity=1, unit_price_fen=0, special_price=True,
                      promotion_permille=1000, points_permille=0)
    line.adjustments.append({"kind": "gift", "plugin": PLUGIN_ID, "name": NAME})
    checkout.lines.append(line)
    return line


def grant_title(config, grant: dict) -> str:
    """The benefit's name as its plugin declares it (优惠券, 房券), for the receipt and the strip."""
    kind = benefits.available_kinds(config).get(grant["kind"])
    return kind.title.get("zh-CN", grant["kind"]) if kind else grant["kind"]


def _note(config, gift_line: PricedLine | None, grant: dict | None) -> str:
    parts = []
    if gift_line is not None:
        parts.append(f"赠 {gift_line.name}")
    if grant is not None:
        parts.append(f"赠 {grant_title(config, grant)}")
    return "，".join(parts)


# -- after the checkout is posted --------------------------------------------------------------

_uses = BirthdayBenefitUse.__table__


def _insert_once(session: Session):
    """INSERT … ON CONFLICT DO NOTHING RETURNING id: no id back when the year's use exists."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(_uses).on_conflict_do_nothing().returning(_uses.c.id)


def record_use(session: Session, checkout: CheckoutState, record) -> None:
    adjustment = next((a for a in checkout.adjustments if a.get("plugin") == PLUGIN_ID), None)
    if adjustment is None:
        return
    values = dict(
        merchant_id=checkout.merchant_id, member_id=checkout.member.id,
        benefit_year=adjustment["benefit_year"],
        birthday_on=date.fromisoformat(adjustment["birthday_on"]),
        checkout_id=record.id, card_id=checkout.card.id, store_id=checkout.store_id,
        discount_fen=adjustment["discount_fen"], gift_name=adjustment["gift"] or "",
        gift_line_no=adjustment["gift_line_no"], granted=None, used_at=checkout.now)
    inserted = session.connection().execute(_insert_once(session).values(**values)).scalar()
    if inserted is None:  # another till (another card of the member) used it since the quote
        raise Conflict("this member's birthday benefit was just used by another checkout; "
                       "nothing was charged", code="birthday_benefit_used")
    if adjustment["grant"] is not None:
        receipt = benefits.grant(session, checkout.config, checkout.card, adjustment["grant"],
                                 now=checkout.now, store_id=checkout.store_id,
                                 staff_id=checkout.staff_id)
        session.execute(update(BirthdayBenefitUse).where(
            BirthdayBenefitUse.checkout_id == record.id,
            BirthdayBenefitUse.released_at.is_(None)).values(granted=receipt)
            .execution_options(synchronize_session=False))


def release_returned(session: Session, record, now) -> None:
    """after_checkout_return: a use comes back when the whole sale (but its gift) is returned."""
    use = session.scalar(select(BirthdayBenefitUse).where(
        BirthdayBenefitUse.merchant_id == record.merchant_id,
        BirthdayBenefitUse.checkout_id == record.id, BirthdayBenefitUse.released_at.is_(None)))
    if use is None:
        return
    if all(line.returned_quantity == line.quantity for line in record.lines
           if line.line_no != use.gift_line_no):
        session.execute(update(BirthdayBenefitUse).where(
            BirthdayBenefitUse.id == use.id, BirthdayBenefitUse.released_at.is_(None))
            .values(released_at=now).execution_options(synchronize_session=False))
