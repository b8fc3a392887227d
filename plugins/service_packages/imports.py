"""Importing count and period cards from another system: what each member has left, until when,
and the money paid for it not yet earned (docs/import.md, docs/packages.md).

Each row becomes one package of one of the plans in the settings (by key or name) on the card,
starting on the import day with the sessions left (``sessions_total`` = ``sessions_left``), valid
to the row's date, its unearned money as ``paid_fen``. The batch's one ledger transaction puts
the sessions on the cards out of the merchant's ("package_sold", service_sessions), as a sale
does, and the money from ("import_opening", cny) to ("package_deferred", cny): each later use
recognises its share, a period card earns by day over the days left, expiry lapses the rest,
exactly as for a package sold here. Imported packages have no checkout: they are not returned
at the till.
"""
from __future__ import annotations

from core.imports import OPENING_PURPOSE, CardCredit, Column, ImportKind, RowProblem, message
from core.imports.bulk import insert_many
from core.imports.kinds import card_number, day, text, whole, yuan
from core.models import CardStatus

from .common import CNY, DEFERRED, PLUGIN_ID, SESSIONS, SOLD, plans
from .models import ServicePackage

USABLE = (CardStatus.ACTIVE.value, CardStatus.FROZEN.value, CardStatus.LOST.value)

COLUMNS = (
    Column("card_number", message("卡号", "Card number"), card_number, required=True,
           example="8800000000000001", hint=message("会员的卡，须已导入", "the member's card (must exist)")),
    Column("plan", message("卡名", "Card"), text(60), required=True, example="10次面部护理",
           hint=message("设置里次卡/期限卡的卡名或编号，须先在设置里建好",
                        "a plan's name or key from the settings; create the plans first")),
    Column("sessions_left", message("剩余次数", "Sessions left"), whole(0), example="6",
           hint=message("次卡剩余次数；期限卡空着", "sessions left on a count card; empty for a period card")),
    Column("valid_to", message("有效期至", "Valid until"), day, required=True, example="2027-06-30",
           hint=message("最后可用日", "the last day it can be used")),
    Column("unearned", message("未消耗金额(元)", "Unearned (yuan)"), yuan, example="600.00",
           hint=message("会员已付、尚未消耗的金额，元", "paid by the member and not yet used, in yuan")),
)


def _key(values: dict) -> str:
    return "|".join((values["card_number"], values["plan"], values["valid_to"].isoformat()))[:120]


def check(context, rows) -> list[RowProblem]:
    cards = context.cards([row.values["card_number"] for row in rows])
    by_name = {}
    for plan in plans(context.config):
        by_name.setdefault(plan["key"].casefold(), plan)
        by_name.setdefault(plan["name"].casefold(), plan)
    problems = []

    def refuse(row, column, zh, en):
        problems.append(RowProblem(row.number, column, message(zh, en)))

    for row in rows:
        values = row.values
        card = cards.get(values["card_number"])
        if card is None:
            refuse(row, "card_number", "没有这张卡：请先导入会员和卡", "no such card: import the members and cards first")
        elif card.member_id is None or card.status not in USABLE:
            refuse(row, "card_number", f"这张卡的状态是 {card.status}，不能导入次卡",
                   f"the card is {card.status}: no package can go on it")
        else:
            values["_card_id"] = card.id
        plan = by_name.get(values["plan"].strip().casefold())
        if plan is None:
            names = "、".join(p["name"] for p in plans(context.config)) or "—"
            refuse(row, "plan", f"设置里没有这张卡（现有：{names}）", f"no such plan in the settings: {names}")
            continue
        values["_plan"] = plan
        sessions = values.get("sessions_left")
        if plan["kind"] == "period":
            if sessions:
                refuse(row, "sessions_left", "期限卡不计次数，请空着", "a period card has no sessions: leave empty")
        elif not sessions:
            refuse(row, "sessions_left", "没有剩余次数的卡不导入", "nothing left: not imported")
        if values["valid_to"] < context.today:
            refuse(row, "valid_to", "卡已过期，不导入", "the card has expired: not imported")
    return problems


def totals(rows) -> dict:
    sessions = sum(row.values.get("sessions_left") or 0 for row in rows
                   if row.values["_plan"]["kind"] == "count")
    return {SESSIONS: sessions} if sessions else {}


def post(context, rows) -> dict:
    today, now = context.today, context.now
    packages, credits = [], []
    for row in rows:
        values, plan = row.values, row.values["_plan"]
        sessions = (values.get("sessions_left") or 0) if plan["kind"] == "count" else 0
        packages.append({
            "merchant_id": context.merchant_id, "card_id": values["_card_id"], "plan_key": plan["key"],
            "name": plan["name"][:60], "service": plan["service"][:60], "kind": plan["kind"],
            "checkout_id": None, "line_no": row.number, "unit_no": 1, "sessions_total": sessions,
            "sessions_left": sessions, "period_days": (values["valid_to"] - today).days + 1,
            "max_per_day": plan.get("max_per_day", 0) if plan["kind"] == "period" else 0,
            "paid_fen": values.get("unearned") or 0, "recognised_fen": 0, "valid_from": today,
            "valid_to": values["valid_to"], "status": "active", "created_at": now})
        if sessions:
            credits.append(CardCredit(values["_card_id"], SESSIONS, sessions))
    unearned = sum(p["paid_fen"] for p in packages)
    counterparts = [(SOLD, asset, -amount) for asset, amount in totals(rows).items()]
    counterparts += [(OPENING_PURPOSE, CNY, unearned), (DEFERRED, CNY, -unearned)]
    if credits or unearned:
        context.post_opening(credits, counterparts)
    insert_many(context.session, ServicePackage.__table__, packages)
    return {"packages": len(packages), "deferred_fen": unearned}


def import_kinds() -> list[ImportKind]:
    return [ImportKind(
        "service_packages", message("次卡/期限卡", "Count and period cards"), COLUMNS, natural_key=_key,
        check=check, post=post, totals=totals, plugin=PLUGIN_ID,
        description=message("会员剩余的次卡和期限卡：每行一张，剩余次数、有效期和未消耗金额。",
                            "What members have left: one card per row with sessions left, validity and "
                            "unearned money."))]


__all__ = ["import_kinds"]
