"""The birthday benefit report (``birthday_benefits``): one row per use in the period.

A use counts on the merchant-local day of its checkout; a use given back by a full return is
listed as 已退回 with its discount, and ``net_discount_fen`` (what the period's birthday
benefits still cost) leaves it out. ``discount_fen`` summed over the period equals the
生日优惠 adjustments of the period's checkouts (tests check it against the receipts).
"""
from __future__ import annotations

from sqlalchemy import select

from core.clock import local_date, local_day_bounds
from core.models import Card, Member
from core.reports import Report, count, money, text
from core.reports.types import date_column

from .models import BirthdayBenefitUse


def _granted_text(granted: dict | None) -> str:
    if not granted:
        return ""
    return str(granted.get("name") or granted.get("title") or granted.get("code")
               or granted.get("kind") or "")


def rows(session, query):
    since = local_day_bounds(query.start)[0]
    until = local_day_bounds(query.end)[1]
    use = BirthdayBenefitUse
    statement = (select(use, Member.name, Card.number)
                 .join(Member, Member.id == use.member_id)
                 .outerjoin(Card, Card.id == use.card_id)
                 .where(use.merchant_id == query.merchant_id, use.used_at >= since,
                        use.used_at < until)
                 .order_by(use.used_at, use.id))
    if query.store_id:
        statement = statement.where(use.store_id == query.store_id)
    for row in session.execute(statement):
        item = row.BirthdayBenefitUse
        released = item.released_at is not None
        yield {"used_on": local_date(item.used_at).isoformat(), "member_id": item.member_id,
               "member": row.name, "card": row.number or "", "checkout_id": item.checkout_id,
               "birthday_on": item.birthday_on.isoformat(), "benefit_year": item.benefit_year,
               "discount_fen": item.discount_fen,
               "net_discount_fen": 0 if released else item.discount_fen,
               "gift": item.gift_name, "granted": _granted_text(item.granted),
               "status": "已退回" if released else "已使用"}


REPORT = Report(
    "birthday_benefits", {"zh-CN": "生日优惠统计", "en": "Birthday benefits"},
    [date_column("used_on", "使用日期", "Used on"),
     count("member_id", "会员编号", "Member id", total=False),
     text("member", "会员", "Member"),
     text("card", "卡号", "Card"),
     count("checkout_id", "收银单号", "Checkout", total=False),
     date_column("birthday_on", "生日（公历）", "Birthday (solar)"),
     count("benefit_year", "生日年份", "Benefit year", total=False),
     money("discount_fen", "生日优惠金额", "Birthday discount"),
     money("net_discount_fen", "净优惠金额（扣除退回）", "Net discount (less returns)"),
     text("gift", "赠品", "Gift"),
     text("granted", "赠送权益", "Benefit given"),
     text("status", "状态", "Status")],
    rows, description={"zh-CN": "期间内每一次生日优惠：会员、优惠金额、赠品和赠送的权益；整单退货退回的标为已退回，不计入净优惠金额。",
                       "en": "Every birthday benefit used in the period: the member, the discount, "
                             "the gift and the benefit given; uses given back by a full return are "
                             "marked and left out of the net discount."},
    period=True, by_store=True)


def reports() -> list[Report]:
    return [REPORT]
