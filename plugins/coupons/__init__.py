"""Coupons (优惠券): 代金券, 折扣券 and 满减 with single-use codes (issue 13, item 4).

This module is the plugin's hook surface; the behaviour lives next to it:

- ``templates.py`` campaigns: kind, value or rate, minimum spend, lines, validity, limits
- ``issuing.py``   issue by hand or by rule, void, expire, follow a replaced card
- ``redeem.py``    pricing at the till (after the stacked discount), use once, return
- ``api.py``       the API operations; ``reports.py`` the coupon report
- ``models.py`` + ``migrations/`` the plugin's own tables

A coupon is not money: its discount lowers what the lines cost (DESIGN.md "Money and the
ledger"), so the ledger, the sales reports and returns see it as a discount. See docs/coupons.md.
"""
from pathlib import Path

from core import clock
from core.benefits import BenefitKind
from core.clock import local_date
from core.errors import Conflict, NotFound
from core.hookspecs import hookimpl
from core.jobs import Job

from . import issuing, models  # noqa: F401  (the plugin's tables join the core's metadata)
from .common import PLUGIN_ID
from .models import CouponTemplate
from .redeem import price_coupons, redeem_applied, reverse_returned

MIGRATIONS = Path(__file__).parent / "migrations" / "versions"
BENEFIT = BenefitKind("coupon", {"zh-CN": "优惠券", "en": "Coupon"}, {
    "type": "object", "required": ["template_id"], "additionalProperties": False,
    "properties": {"template_id": {"type": "integer", "minimum": 1,
                                   "description": "the coupon template (campaign) to issue from"}}})


@hookimpl(trylast=True)
def checkout_price_lines(checkout):
    """Coupons come off last: after the stacked discount (C2) and every plugin's own prices."""
    price_coupons(checkout)


@hookimpl
def after_checkout(session, checkout, record, config):
    """Mark the coupons used (once, guarded), then issue the coupons this checkout earns."""
    redeem_applied(session, checkout, record)
    threshold = issuing.checkout_threshold(session, config, checkout.merchant_id)
    if checkout.card is not None and threshold is not None and record.due_total_fen >= threshold:
        issuing.by_rule(session, checkout.merchant_id,
                        rule=CouponTemplate.issue_on_checkout_fen <= record.due_total_fen,
                        member_id=checkout.member.id if checkout.member else None,
                        card=checkout.card, reason="checkout", now=checkout.now,
                        staff_id=checkout.staff_id, store_id=checkout.store_id,
                        source_checkout_id=record.id)


@hookimpl
def after_checkout_return(session, checkout, returned, config):
    """A coupon comes back when all the lines it lowered are returned (see redeem.py)."""
    reverse_returned(session, checkout)


@hookimpl
def after_member_created(session, member, config, staff_id, now):
    """Welcome coupons: every active template that issues on member creation."""
    issuing.by_rule(session, member.merchant_id, rule=CouponTemplate.issue_on_member_created.is_(True),
                    member_id=member.id, card=None, reason="member_created", now=now,
                    staff_id=staff_id, store_id=member.registered_store_id)


@hookimpl
def after_card_bound(session, card, member, config, staff_id, now):
    issuing.bind_member(session, card.id, member.id)


@hookimpl
def after_card_replaced(session, old_card, new_card, config):
    """C5: the coupons of a replaced card follow it to the new one."""
    issuing.move_to_card(session, old_card.id, new_card.id)


@hookimpl
def member_summary(session, member, config):
    """How many coupons the member can use today (the till's member strip shows it)."""
    return {"coupons": issuing.usable_count(session, member.merchant_id, member.id,
                                            local_date(clock.now_utc()))}


@hookimpl
def benefit_kinds():
    """A coupon of a template, given on another plugin's behalf (a lucky-wheel prize, P4)."""
    return [BENEFIT]


@hookimpl
def grant_benefit(session, card, benefit, config, now, store_id, staff_id):
    if benefit.get("kind") != BENEFIT.kind:
        return None
    try:
        coupon = _issue_benefit(session, card, benefit, now, store_id, staff_id)
    except NotFound:  # no such template for this merchant: the prize's set-up, not the input
        raise Conflict("the coupon campaign of this prize does not exist",
                       code="benefit_unavailable") from None
    template = session.get(CouponTemplate, coupon.template_id)
    return {"plugin": PLUGIN_ID, **issuing.coupon_json(coupon, template, local_date(now), card.number)}


def _issue_benefit(session, card, benefit, now, store_id, staff_id):
    return issuing.issue(session, benefit["template_id"], card.merchant_id, member_id=card.member_id,
                         card=card, quantity=1, reason="benefit", now=now, staff_id=staff_id,
                         store_id=store_id)[0]


@hookimpl
def demo_data(session, config, merchant_id, store_ids, staff_id, now):
    """Two campaigns with a coupon on each of the first cards (``huika demo``)."""
    from . import demo

    demo.load(session, merchant_id, staff_id, store_ids[0], now)


@hookimpl
def register_api_operations():
    from .api import operations

    return operations()


@hookimpl
def register_migrations():
    return [str(MIGRATIONS)]


@hookimpl
def register_jobs():
    return [Job("coupons.expire_coupons", expire_coupons_job, hour=0, minute=15,
                description="coupons past their last day become expired")]


def expire_coupons_job(session, config, merchant_id, now) -> dict:
    return {"expired": issuing.expire(session, merchant_id, now)}


@hookimpl
def register_reports():
    from .reports import reports

    return reports()
