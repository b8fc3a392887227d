"""Coupons at the till: priced after the stacked discount, used once, given back on return.

Pricing (``checkout_price_lines``, trylast: after the core's C2 and every plugin's own
prices). Each coupon of the body's ``"coupons"``, in the order sent, takes its discount off
the lines it may lower: lines still costing something, not special-price lines (unless its
template says so), not lines another plugin marked ``no_coupons`` (H3: a discounted hotel
room), and only its template's categories if it names some. The discount is spread over
those lines in proportion to what they cost (largest remainder, to the fen), so each line's
``paid_fen`` is what the customer pays for it: a partial return then refunds exactly the
returned units' share, the coupon's share already taken out (core/returns.py).

- 代金券 (cash): ``value_fen`` off, at most what the lines cost (never below 0);
- 满减 (threshold): the same, once the lines cost at least ``min_spend_fen``;
- 折扣券 (discount): the lines' total times the rate, rounded half up once, capped by
  ``max_discount_fen``.

Use (``after_checkout``): ``UPDATE coupons SET status='redeemed' WHERE id=… AND
status='issued'`` in the checkout's transaction; a coupon another till used meanwhile makes
it 0 rows and the whole checkout is refused (409 ``coupon_used``), nothing charged. An
Idempotency-Key retry returns the first receipt without pricing again.

Return (``after_checkout_return``): once every line a coupon lowered is fully returned, the
coupon comes back (``issued`` if its last day has not passed, else ``expired``) and its
redemption is marked reversed; a partial return keeps it used. Coupons the checkout itself
earned (a rule "checkout over X") are voided when the whole checkout comes back, if unused.
"""
from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core.checkout_types import CheckoutState, PricedLine
from core import clock
from core.clock import local_date
from core.errors import Conflict, Invalid, problem
from core.models import CampaignRecipient
from core.pricing import round_half_up_div

from .common import MAX_CODES_PER_CHECKOUT, PLUGIN_ID, normalize_code, yuan

STATUS_WORDS = {"redeemed": "already used", "voided": "voided", "expired": "expired"}
from .models import Coupon, CouponRedemption, CouponTemplate


def price_coupons(checkout: CheckoutState) -> None:
    codes = _codes(checkout.body.get("coupons"))
    if not codes:
        return
    rows = {row.Coupon.code: row for row in checkout.session.execute(
        select(Coupon, CouponTemplate).join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
        .where(Coupon.merchant_id == checkout.merchant_id, Coupon.code.in_(codes)))}
    missing = [index for index, code in enumerate(codes) if code not in rows]
    if missing:
        raise Invalid("no such coupon; nothing was charged",
                      code="coupon_unknown",
                      details=[problem(f"/coupons/{index}", "the code of a coupon of this shop")
                               for index in missing])
    templates_used = set()
    for index, code in enumerate(codes):
        coupon, template = rows[code].Coupon, rows[code].CouponTemplate
        _check_usable(checkout, coupon, template, index)
        if template.id in templates_used:
            raise Conflict(f"one coupon of the campaign {template.name!r} per checkout",
                           code="coupon_same_campaign",
                           details=[problem(f"/coupons/{index}", "another campaign's coupon")])
        templates_used.add(template.id)
        _apply(checkout, coupon, template, index)


def _codes(raw) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list) or len(raw) > MAX_CODES_PER_CHECKOUT:
        raise Invalid("coupons must be a list of coupon codes",
                      details=[problem("/coupons", f"at most {MAX_CODES_PER_CHECKOUT} codes")])
    codes, problems = [], []
    for index, item in enumerate(raw):
        code = normalize_code(item)
        if code is None:
            problems.append(problem(f"/coupons/{index}", "a coupon code (letters and digits)"))
        elif code in codes:
            problems.append(problem(f"/coupons/{index}", "the same coupon twice"))
        else:
            codes.append(code)
    if problems:
        raise Invalid("the coupons are not valid; nothing was charged", details=problems)
    return codes


def _check_usable(checkout: CheckoutState, coupon: Coupon, template: CouponTemplate, index: int) -> None:
    at = [problem(f"/coupons/{index}", coupon.code)]
    today = checkout.today
    if coupon.status != "issued":
        raise Conflict(f"coupon {coupon.code} is {STATUS_WORDS[coupon.status]}",
                       code=f"coupon_{coupon.status}", details=at)
    if coupon.valid_until < today:
        raise Conflict(f"coupon {coupon.code} expired on {coupon.valid_until}",
                       code="coupon_expired", details=at)
    if coupon.valid_from > today:
        raise Conflict(f"coupon {coupon.code} can be used from {coupon.valid_from}",
                       code="coupon_not_yet_valid", details=at)
    if coupon.member_id is not None:
        if checkout.member is None or checkout.member.id != coupon.member_id:
            raise Conflict(f"coupon {coupon.code} belongs to another member: present their card",
                           code="coupon_not_on_card", details=at)
    elif coupon.card_id is not None and (checkout.card is None or checkout.card.id != coupon.card_id):
        raise Conflict(f"coupon {coupon.code} belongs to another card: present it",
                       code="coupon_not_on_card", details=at)


def eligible(line: PricedLine, template: CouponTemplate) -> bool:
    return (line.paid_fen > 0 and not line.no_coupons
            and (not line.special_price or template.special_price_lines)
            and (not template.categories or line.category in template.categories))


def discount_on(template: CouponTemplate, base_fen: int) -> int:
    """What the coupon takes off lines costing ``base_fen`` in all (never more than that)."""
    if template.kind == "discount":
        off = base_fen - round_half_up_div(base_fen * template.discount_permille, 1000)
        if template.max_discount_fen is not None:
            off = min(off, template.max_discount_fen)
        return off
    return min(template.value_fen, base_fen)


def spread(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder, earlier first on ties):
    the parts add up to ``total`` and none exceeds its weight when total <= sum(weights)."""
    whole = sum(weights)
    parts = [total * weight // whole for weight in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[:total - sum(parts)]:
        parts[i] += 1
    return parts


def _apply(checkout: CheckoutState, coupon: Coupon, template: CouponTemplate, index: int) -> None:
    at = [problem(f"/coupons/{index}", coupon.code)]
    lines = [line for line in checkout.lines if eligible(line, template)]
    base = sum(line.paid_fen for line in lines)
    if not lines:
        raise Conflict(f"coupon {coupon.code} ({template.name}) applies to no line of this basket",
                       code="coupon_no_lines", details=at)
    if base < template.min_spend_fen:
        raise Conflict(f"coupon {coupon.code} needs {yuan(template.min_spend_fen)} on the lines it "
                       f"applies to; they come to {yuan(base)}", code="coupon_min_spend", details=at)
    off = discount_on(template, base)
    if off <= 0:
        raise Conflict(f"coupon {coupon.code} takes nothing off this basket",
                       code="coupon_no_lines", details=at)
    shares = spread(off, [line.paid_fen for line in lines])
    taken = []
    for line, share in zip(lines, shares):
        if share:
            line.paid_fen -= share
            line.adjustments.append({"kind": "coupon", "code": coupon.code, "fen": share})
            taken.append({"line_no": line.line_no, "fen": share})
    checkout.adjustments.append({
        "plugin": PLUGIN_ID, "kind": "coupon", "code": coupon.code, "coupon_id": coupon.id,
        "template_id": template.id, "name": template.name, "coupon_kind": template.kind,
        "discount_fen": off, "lines": taken})


# -- after the checkout is posted --------------------------------------------------------------

def redeem_applied(session: Session, checkout: CheckoutState, record) -> None:
    for adjustment in checkout.adjustments:
        if adjustment.get("plugin") != PLUGIN_ID:
            continue
        done = session.execute(
            update(Coupon).where(Coupon.id == adjustment["coupon_id"],
                                 Coupon.merchant_id == checkout.merchant_id,
                                 Coupon.status == "issued")
            .values(status="redeemed", closed_at=checkout.now)
            .execution_options(synchronize_session=False))
        if done.rowcount != 1:  # another till (or an earlier try) used it since the quote
            raise Conflict(f"coupon {adjustment['code']} was just used by another checkout; "
                           "nothing was charged", code="coupon_redeemed")
        session.add(CouponRedemption(
            merchant_id=checkout.merchant_id, coupon_id=adjustment["coupon_id"],
            checkout_id=record.id, discount_fen=adjustment["discount_fen"],
            lines=adjustment["lines"], redeemed_at=checkout.now, store_id=checkout.store_id))
    session.flush()


def reverse_returned(session: Session, record, now=None) -> None:
    """after_checkout_return: give back each coupon whose lines are all returned now."""
    now = now or clock.now_utc()
    lines = {line.line_no: line for line in record.lines}
    open_redemptions = session.scalars(select(CouponRedemption).where(
        CouponRedemption.merchant_id == record.merchant_id, CouponRedemption.checkout_id == record.id,
        CouponRedemption.reversed_at.is_(None)).order_by(CouponRedemption.id)).all()
    for redemption in open_redemptions:
        if not all(lines[item["line_no"]].returned_quantity == lines[item["line_no"]].quantity
                   for item in redemption.lines):
            continue
        redemption.reversed_at = now
        coupon = session.get(Coupon, redemption.coupon_id)
        back = "issued" if coupon.valid_until >= local_date(now) else "expired"
        session.execute(update(Coupon).where(Coupon.id == coupon.id, Coupon.status == "redeemed")
                        .values(status=back, closed_at=None if back == "issued" else now)
                        .execution_options(synchronize_session=False))
    if all(line.returned_quantity == line.quantity for line in record.lines):
        session.execute(update(Coupon).where(
            Coupon.merchant_id == record.merchant_id, Coupon.source_checkout_id == record.id,
            Coupon.status == "issued").values(status="voided", closed_at=now,
                                              note="checkout returned")
            .execution_options(synchronize_session=False))
    session.flush()


def redeemed_campaign_coupons(session: Session, merchant_id: int, campaign_id: int, since, until) -> int:
    """How many of a campaign's recipients used the coupon it gave them between ``since`` and
    ``until`` (a redemption a return reversed does not count). The campaign stores each
    coupon's code as the recipient's benefit reference (core.campaigns.sending)."""
    return session.scalar(
        select(func.count(func.distinct(CampaignRecipient.member_id)))
        .join(Coupon, (Coupon.merchant_id == merchant_id) & (Coupon.code == CampaignRecipient.benefit_ref))
        .join(CouponRedemption, CouponRedemption.coupon_id == Coupon.id)
        .where(CampaignRecipient.merchant_id == merchant_id, CampaignRecipient.campaign_id == campaign_id,
               CampaignRecipient.benefit_kind == "coupon", CouponRedemption.reversed_at.is_(None),
               CouponRedemption.redeemed_at >= since, CouponRedemption.redeemed_at < until)) or 0
