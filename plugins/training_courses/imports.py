"""Importing course packages from another system (issue 12, item 9): what each student has
left of a course, until when, and the money paid for it not yet earned.

Each row becomes one package (课包) of one of the course's plans on the card, starting on the
import day with the sessions or minutes left (``units_total`` = ``units_left``), valid to the
row's date, its unearned money as ``paid_fen``. The batch's one ledger transaction puts the
units on the cards out of the merchant's ("course_sold", asset), as a sale does, and the
money from ("import_opening", cny) to ("course_deferred", cny) (T3): each later visit
recognises its share, expiry lapses the rest, exactly as for a package sold here. With
``deferred_revenue`` off the old system booked that money already: nothing is deferred.
Imported packages have no checkout (``checkout_id`` NULL): they are not returned at the till.
"""
from __future__ import annotations

from sqlalchemy import select

from core.imports import OPENING_PURPOSE, CardCredit, Column, ImportKind, RowProblem, message
from core.imports.bulk import insert_many
from core.imports.kinds import card_number, day, text, whole, yuan
from core.models import CardStatus

from .common import CNY, DEFERRED, PLUGIN_ID, SOLD, UNIT_ASSET, settings_of
from .models import Course, Package, Plan

USABLE = (CardStatus.ACTIVE.value, CardStatus.FROZEN.value, CardStatus.LOST.value)

COLUMNS = (
    Column("card_number", message("卡号", "Card number"), card_number, required=True,
           example="8800000000000001", hint=message("学员的卡，须已导入", "the student's card (must exist)")),
    Column("course", message("课程", "Course"), text(100), required=True, example="piano",
           hint=message("课程代码或名称，须先在本系统建好课程和方案", "course key or name; create courses and plans first")),
    Column("plan", message("方案", "Plan"), text(100), example="",
           hint=message("课程的方案名称；课程只有一个方案时可空着", "the plan's name; empty when the course has one plan")),
    Column("units_left", message("剩余课时", "Sessions or minutes left"), whole(0), example="12",
           hint=message("计次方案为剩余次数，计时方案为剩余分钟，期限卡空着",
                        "sessions (count plans) or minutes (metered plans) left; empty for a period pass")),
    Column("valid_to", message("有效期至", "Valid until"), day, required=True, example="2027-06-30",
           hint=message("最后可用日", "the last day it can be used")),
    Column("unearned", message("未消耗金额(元)", "Unearned (yuan)"), yuan, example="1800.00",
           hint=message("学员已付、尚未上课消耗的金额，元", "paid by the student and not yet used, in yuan")),
)


def _key(values: dict) -> str:
    return "|".join((values["card_number"], values["course"], values.get("plan") or "",
                     values["valid_to"].isoformat()))[:120]


def _catalogue(context) -> tuple[dict, dict]:
    """Courses by key and name; plans by course id."""
    courses, plans = {}, {}
    for course in context.session.scalars(select(Course).where(Course.merchant_id == context.merchant_id)):
        courses.setdefault(course.key.casefold(), course)
        courses.setdefault(course.name.casefold(), course)
    for plan in context.session.scalars(select(Plan).where(Plan.merchant_id == context.merchant_id)
                                        .order_by(Plan.id)):
        plans.setdefault(plan.course_id, []).append(plan)
    return courses, plans


def check(context, rows) -> list[RowProblem]:
    cards = context.cards([row.values["card_number"] for row in rows])
    courses, plans = _catalogue(context)
    today = context.today
    problems = []

    def refuse(row, column, zh, en):
        problems.append(RowProblem(row.number, column, message(zh, en)))

    for row in rows:
        values = row.values
        card = cards.get(values["card_number"])
        if card is None:
            refuse(row, "card_number", "没有这张卡：请先导入会员和卡", "no such card: import the members and cards first")
        elif card.member_id is None or card.status not in USABLE:
            refuse(row, "card_number", f"这张卡的状态是 {card.status}，不能导入课包",
                   f"the card is {card.status}: no package can go on it")
        else:
            values["_card_id"] = card.id
        course = courses.get(values["course"].casefold())
        if course is None:
            refuse(row, "course", "没有这门课程：请先在课程管理中建好", "no such course: create it first")
            continue
        values["_course_id"] = course.id
        wanted = (values.get("plan") or "").casefold()
        candidates = [p for p in plans.get(course.id, [])
                      if not wanted or p.name.casefold() == wanted or str(p.id) == wanted]
        if len(candidates) != 1:
            names = "、".join(p.name for p in plans.get(course.id, [])) or "—"
            refuse(row, "plan", f"请写明方案名称（这门课的方案：{names}）",
                   f"name one of the course's plans: {names}")
            continue
        plan = candidates[0]
        values["_plan"] = plan
        units = values.get("units_left")
        if plan.kind == "period":
            if units:
                refuse(row, "units_left", "期限卡不计课时，请空着", "a period pass has no sessions: leave empty")
        elif not units:
            refuse(row, "units_left", "没有剩余课时的课包不导入", "nothing left: not imported")
        if values["valid_to"] < today:
            refuse(row, "valid_to", "课包已过期，不导入", "the package has expired: not imported")
    return problems


def totals(rows) -> dict:
    result: dict[str, int] = {}
    for row in rows:
        asset = UNIT_ASSET.get(row.values["_plan"].kind)
        if asset:
            result[asset] = result.get(asset, 0) + row.values["units_left"]
    return result


def post(context, rows) -> dict:
    today, now = context.today, context.now
    deferred = settings_of(context.config)["deferred_revenue"]
    packages, credits = [], []
    for row in rows:
        values, plan = row.values, row.values["_plan"]
        units = (values.get("units_left") or 0) if plan.kind != "period" else 0
        paid = values.get("unearned") or 0
        packages.append({
            "merchant_id": context.merchant_id, "card_id": values["_card_id"], "course_id": values["_course_id"],
            "plan_id": plan.id, "kind": plan.kind, "checkout_id": None, "line_no": row.number, "unit_no": 1,
            "units_total": units, "units_left": units,
            "period_days": (values["valid_to"] - today).days + 1, "paid_fen": paid,
            "recognised_fen": 0 if deferred else paid, "valid_from": today, "valid_to": values["valid_to"],
            "status": "active", "frozen_on": None, "frozen_days": 0, "created_at": now})
        if units:
            credits.append(CardCredit(values["_card_id"], UNIT_ASSET[plan.kind], units))
    unearned = sum(p["paid_fen"] for p in packages) if deferred else 0
    counterparts = [(SOLD, asset, -amount) for asset, amount in totals(rows).items()]
    counterparts += [(OPENING_PURPOSE, CNY, unearned), (DEFERRED, CNY, -unearned)]
    if credits or unearned:
        context.post_opening(credits, counterparts)
    insert_many(context.session, Package.__table__, packages)
    return {"packages": len(packages), "deferred_fen": unearned}


def import_kinds() -> list[ImportKind]:
    return [ImportKind(
        "course_packages", message("课包", "Course packages"), COLUMNS, natural_key=_key, check=check,
        post=post, totals=totals, plugin=PLUGIN_ID,
        description=message("学员剩余的课包：每行一个课包，剩余课时、有效期和未消耗金额。",
                            "What students have left: one package per row with sessions left, "
                            "validity and unearned money."))]


__all__ = ["import_kinds"]
