"""The coupon report (``coupons``): per template, what the period issued, used, gave back,
voided and let expire, and the discount the coupons gave.

- ``issued``: coupons issued in the period; ``redeemed`` and ``discount_fen``: uses at
  checkouts in the period and what they took off (the sum of the checkouts' coupon
  adjustments, to the fen); ``reversed`` and ``reversed_discount_fen``: uses given back by
  returns in the period (on the return's day, as sales_daily counts refunds);
  ``net_discount_fen`` = discount − reversed; ``voided``: voided in the period;
  ``expired``: coupons whose last day fell in the period and that were never used (whether or
  not the nightly job has marked them yet); ``usable_now``: coupons usable today.
A store filter counts coupons issued and used at that store.
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import and_, func, or_, select

from core.clock import local_date, local_day_bounds
from core.reports import Report, count, money, text

from .common import KIND_NAMES
from .models import Coupon, CouponRedemption, CouponTemplate
from .templates import terms_text

FIGURES = ("issued", "redeemed", "discount_fen", "reversed", "reversed_discount_fen", "voided",
           "expired", "usable_now")


def rows(session, query):
    since = local_day_bounds(query.start)[0]
    until = local_day_bounds(query.end)[1]
    today = local_date(query.now)
    figures: dict = defaultdict(lambda: dict.fromkeys(FIGURES, 0))
    mine = Coupon.merchant_id == query.merchant_id
    issued_store = [Coupon.store_id == query.store_id] if query.store_id else []
    used_store = [CouponRedemption.store_id == query.store_id] if query.store_id else []

    def add(statement, *keys):
        for template_id, *values in session.execute(statement):
            for key, value in zip(keys, values):
                figures[template_id][key] += int(value or 0)

    by_template = Coupon.template_id
    add(select(by_template, func.count()).where(mine, Coupon.issued_at >= since,
                                                Coupon.issued_at < until, *issued_store)
        .group_by(by_template), "issued")
    add(select(by_template, func.count()).where(mine, Coupon.status == "voided",
                                                Coupon.closed_at >= since, Coupon.closed_at < until,
                                                *issued_store).group_by(by_template), "voided")
    add(select(by_template, func.count()).where(
        mine, Coupon.valid_until >= query.start, Coupon.valid_until <= min(query.end, today),
        or_(Coupon.status == "expired", and_(Coupon.status == "issued", Coupon.valid_until < today)),
        *issued_store).group_by(by_template), "expired")
    add(select(by_template, func.count()).where(mine, Coupon.status == "issued",
                                                Coupon.valid_from <= today, Coupon.valid_until >= today,
                                                *issued_store).group_by(by_template), "usable_now")
    used = select(by_template, func.count(), func.sum(CouponRedemption.discount_fen)).join(
        Coupon, Coupon.id == CouponRedemption.coupon_id).where(
        CouponRedemption.merchant_id == query.merchant_id, *used_store)
    add(used.where(CouponRedemption.redeemed_at >= since, CouponRedemption.redeemed_at < until)
        .group_by(by_template), "redeemed", "discount_fen")
    add(used.where(CouponRedemption.reversed_at >= since, CouponRedemption.reversed_at < until)
        .group_by(by_template), "reversed", "reversed_discount_fen")
    templates = {t.id: t for t in session.scalars(select(CouponTemplate).where(
        CouponTemplate.merchant_id == query.merchant_id, CouponTemplate.id.in_(list(figures))))}
    for template_id in sorted(figures):
        template, values = templates[template_id], figures[template_id]
        yield {"template_id": template_id, "template": template.name,
               "kind": KIND_NAMES[template.kind]["zh-CN"], "terms": terms_text(template), **values,
               "net_discount_fen": values["discount_fen"] - values["reversed_discount_fen"]}


REPORT = Report(
    "coupons", {"zh-CN": "优惠券统计", "en": "Coupons"},
    [count("template_id", "券模板编号", "Template id", total=False),
     text("template", "券名称", "Coupon"),
     text("kind", "类型", "Kind"),
     text("terms", "规则", "Terms"),
     count("issued", "发放张数", "Issued"),
     count("redeemed", "使用张数", "Redeemed"),
     money("discount_fen", "优惠金额", "Discount given"),
     count("reversed", "退货退回张数", "Given back by returns"),
     money("reversed_discount_fen", "退回优惠金额", "Discount given back"),
     money("net_discount_fen", "净优惠金额", "Net discount"),
     count("voided", "作废张数", "Voided"),
     count("expired", "过期张数", "Expired"),
     count("usable_now", "当前可用张数", "Usable now")],
    rows, description={"zh-CN": "按券模板统计期间内发放、使用、退回、作废、过期的张数和优惠金额；优惠金额与收银单上的优惠券明细一致。",
                       "en": "Per coupon template: coupons issued, used, given back by returns, "
                             "voided and expired in the period, and the discount they gave; the "
                             "discount equals the coupon lines of the checkouts."},
    period=True, by_store=True)


def reports() -> list[Report]:
    return [REPORT]
