"""The T3/X1 reports, as JSON rows: income by month, course and teacher (breakage apart),
deferred revenue per package, the visit (consumption) detail and package sales with renewals."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import ledger
from core.clock import local_date, local_day_bounds
from core.models import Card
from core.reports import Report, count, date_column, money, text

from .common import CNY, DEFERRED, teachers
from .models import Course, Package, Recognition, Visit

INCOME_KINDS = ("attendance", "period", "sale", "metered_sale", "returned")


def income(session: Session, config, merchant_id: int, start: date, end: date) -> dict:
    """Recognised income per (month, course, teacher) between two local dates, inclusive."""
    names = teachers(config)
    rows = session.execute(
        select(Recognition.recognised_on, Recognition.kind, Recognition.teacher,
               Recognition.amount_fen, Course.key, Course.name)
        .join(Course, Course.id == Recognition.course_id)
        .where(Recognition.merchant_id == merchant_id, Recognition.recognised_on >= start,
               Recognition.recognised_on <= end)).all()
    groups: dict[tuple, dict] = defaultdict(lambda: {"income_fen": 0, "breakage_fen": 0})
    for day, kind, teacher, amount, course_key, course_name in rows:
        key = (day.strftime("%Y-%m"), course_key, course_name, teacher)
        groups[key]["income_fen" if kind in INCOME_KINDS else "breakage_fen"] += amount
    items = [{"month": month, "course_key": course_key, "course_name": course_name,
              "teacher": teacher, "teacher_name": names.get(teacher, teacher), **amounts}
             for (month, course_key, course_name, teacher), amounts in sorted(groups.items())]
    return {"from": start.isoformat(), "to": end.isoformat(), "items": items,
            "income_fen": sum(i["income_fen"] for i in items),
            "breakage_fen": sum(i["breakage_fen"] for i in items)}


def deferred(session: Session, merchant_id: int) -> dict:
    """Money received for what is not attended yet, per package in use; the total equals the
    ledger's ``course_deferred`` account (shown alongside, so a drift would be visible)."""
    rows = session.execute(
        select(Package, Course.key, Card.number).join(Course, Course.id == Package.course_id)
        .join(Card, Card.id == Package.card_id)
        .where(Package.merchant_id == merchant_id, Package.status.in_(("active", "frozen")),
               Package.paid_fen > Package.recognised_fen)
        .order_by(Course.key, Package.id)).all()
    items = [{"package_id": p.id, "card_number": number, "course_key": course_key, "kind": p.kind,
              "status": p.status, "paid_fen": p.paid_fen, "recognised_fen": p.recognised_fen,
              "deferred_fen": p.paid_fen - p.recognised_fen, "units_left": p.units_left,
              "valid_to": p.valid_to.isoformat()} for p, course_key, number in rows]
    by_course: dict[str, int] = defaultdict(int)
    for item in items:
        by_course[item["course_key"]] += item["deferred_fen"]
    account = ledger.merchant_account(session, merchant_id, DEFERRED, CNY)
    return {"items": items, "by_course": [{"course_key": k, "deferred_fen": v} for k, v in sorted(by_course.items())],
            "deferred_fen": sum(by_course.values()), "ledger_deferred_fen": -account.balance}


def consumption(session: Session, merchant_id: int, start: date, end: date) -> dict:
    """Every finished visit between two local dates: who, which course, teacher, units, income."""
    rows = session.execute(
        select(Visit, Course.key, Card.number).join(Course, Course.id == Visit.course_id)
        .join(Card, Card.id == Visit.card_id)
        .where(Visit.merchant_id == merchant_id, Visit.status == "done",
               Visit.attended_on >= start, Visit.attended_on <= end)
        .order_by(Visit.attended_on, Visit.id)).all()
    items = [{"visit_id": v.id, "attended_on": v.attended_on.isoformat(), "card_number": number,
              "course_key": course_key, "kind": v.kind, "teacher": v.teacher, "units": v.units,
              "minutes": v.minutes, "revenue_fen": v.revenue_fen, "package_id": v.package_id,
              "checkout_id": v.checkout_id} for v, course_key, number in rows]
    return {"from": start.isoformat(), "to": end.isoformat(), "items": items,
            "sessions": sum(i["units"] for i in items if i["kind"] == "session"),
            "revenue_fen": sum(i["revenue_fen"] for i in items)}


def package_sales(session: Session, merchant_id: int, start: date, end: date) -> dict:
    """Packages sold between two local dates (X1 计次续费): each marked a renewal when the card
    already had a package of that course before it."""
    since, _ = local_day_bounds(start)
    _, until = local_day_bounds(end)
    rows = session.execute(
        select(Package, Course.key, Card.number).join(Course, Course.id == Package.course_id)
        .join(Card, Card.id == Package.card_id)
        .where(Package.merchant_id == merchant_id, Package.created_at >= since, Package.created_at < until)
        .order_by(Package.id)).all()
    items = []
    for package, course_key, number in rows:
        earlier = session.scalar(select(Package.id).where(
            Package.card_id == package.card_id, Package.course_id == package.course_id,
            Package.id < package.id).limit(1))
        items.append({"package_id": package.id, "sold_at": package.created_at.isoformat(),
                      "card_number": number, "course_key": course_key, "kind": package.kind,
                      "units": package.units_total, "paid_fen": package.paid_fen,
                      "status": package.status, "renewal": earlier is not None,
                      "checkout_id": package.checkout_id})
    return {"from": start.isoformat(), "to": end.isoformat(), "items": items,
            "paid_fen": sum(i["paid_fen"] for i in items),
            "renewals": sum(1 for i in items if i["renewal"])}


# -- the catalogue (issue 12): the same rows as the JSON endpoints above, as core.reports.Report --

def _income_rows(session, query):
    return income(session, query.config, query.merchant_id, query.start, query.end)["items"]


def _deferred_rows(session, query):
    for item in deferred(session, query.merchant_id)["items"]:
        yield {**item, "package_id": str(item["package_id"])}


def _consumption_rows(session, query):
    for item in consumption(session, query.merchant_id, query.start, query.end)["items"]:
        yield {**item, "visit_id": str(item["visit_id"]), "package_id": _id(item["package_id"]),
               "checkout_id": _id(item["checkout_id"])}


def _sales_rows(session, query):
    for item in package_sales(session, query.merchant_id, query.start, query.end)["items"]:
        yield {**item, "sold_on": _local_day(item["sold_at"]),
               "renewal": "renewal" if item["renewal"] else "new",
               "package_id": str(item["package_id"]), "checkout_id": _id(item["checkout_id"])}


def _id(value) -> str:
    return "" if value is None else str(value)


def _local_day(iso_time: str) -> str:
    return local_date(datetime.fromisoformat(iso_time)).isoformat()


def catalogue_reports() -> list[Report]:
    course = [text("course_key", "课程代码", "Course key")]
    return [
        Report("course_income", {"zh-CN": "课程收入统计", "en": "Course income"},
               [text("month", "月份", "Month"), *course, text("course_name", "课程", "Course"),
                text("teacher", "老师代码", "Teacher key"), text("teacher_name", "老师", "Teacher"),
                money("income_fen", "确认收入", "Income"), money("breakage_fen", "过期沉淀", "Breakage")],
               _income_rows, by_store=False),
        Report("deferred_revenue", {"zh-CN": "递延收入", "en": "Deferred revenue"},
               [text("package_id", "课包编号", "Package"), text("card_number", "卡号", "Card"), *course,
                text("kind", "类型", "Kind"), text("status", "状态", "Status"),
                money("paid_fen", "已收款", "Paid"), money("recognised_fen", "已确认", "Recognised"),
                money("deferred_fen", "递延收入", "Deferred"),
                count("units_left", "剩余课时/分钟", "Units left", total=False),
                date_column("valid_to", "有效期至", "Valid to")],
               _deferred_rows, period=False, by_store=False),
        Report("session_consumption", {"zh-CN": "计次消费明细", "en": "Session consumption"},
               [date_column("attended_on", "上课日期", "Day"), text("card_number", "卡号", "Card"),
                *course, text("kind", "类型", "Kind"), text("teacher", "老师", "Teacher"),
                count("units", "课时", "Units"), count("minutes", "分钟", "Minutes"),
                money("revenue_fen", "确认收入", "Income"), text("visit_id", "签到编号", "Visit"),
                text("package_id", "课包编号", "Package"), text("checkout_id", "结账单号", "Checkout")],
               _consumption_rows, by_store=False),
        Report("package_sales", {"zh-CN": "课包销售与续费", "en": "Package sales and renewals"},
               [date_column("sold_on", "售出日期", "Day"), text("card_number", "卡号", "Card"), *course,
                text("kind", "类型", "Kind"), count("units", "课时/分钟", "Units", total=False),
                money("paid_fen", "售价", "Paid"), text("status", "状态", "Status"),
                text("renewal", "新购/续费", "New or renewal"), text("package_id", "课包编号", "Package"),
                text("checkout_id", "结账单号", "Checkout")],
               _sales_rows, by_store=False),
    ]
