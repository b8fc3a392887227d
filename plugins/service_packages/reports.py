"""The plugin's reports in the catalogue (register_reports): deferred revenue per package (its
total equals the ledger's ``package_deferred`` account to the fen), a per-service summary of
sessions sold / used / left with income, breakage and deferred money, and the use detail."""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import ledger
from core.clock import local_day_bounds
from core.models import Card
from core.reports import Report, count, date_column, money, text

from .common import CNY, DEFERRED
from .models import ServicePackage, ServiceRecognition, ServiceUse

KIND_NAMES = {"count": "次卡", "period": "期限卡"}


def deferred(session: Session, merchant_id: int) -> dict:
    """Money received for what is not used yet, per package in use; ``ledger_deferred_fen`` is
    the ledger's own balance, shown alongside so a drift would be visible."""
    rows = session.execute(
        select(ServicePackage, Card.number).join(Card, Card.id == ServicePackage.card_id)
        .where(ServicePackage.merchant_id == merchant_id, ServicePackage.status == "active",
               ServicePackage.paid_fen > ServicePackage.recognised_fen)
        .order_by(ServicePackage.service, ServicePackage.id)).all()
    items = [{"package_id": p.id, "card_number": number, "service": p.service, "name": p.name,
              "kind": p.kind, "sessions_total": p.sessions_total, "sessions_left": p.sessions_left,
              "paid_fen": p.paid_fen, "recognised_fen": p.recognised_fen,
              "deferred_fen": p.paid_fen - p.recognised_fen, "valid_to": p.valid_to.isoformat()}
             for p, number in rows]
    account = ledger.merchant_account(session, merchant_id, DEFERRED, CNY)
    return {"items": items, "deferred_fen": sum(i["deferred_fen"] for i in items),
            "ledger_deferred_fen": -account.balance}


def by_service(session: Session, merchant_id: int, start, end) -> list[dict]:
    """Per service: what was sold and used between two local dates, what was earned, and what
    is left now (sessions and deferred money of the packages still active)."""
    since, _ = local_day_bounds(start)
    _, until = local_day_bounds(end)
    rows: dict[str, dict] = defaultdict(lambda: {
        "packages_sold": 0, "sessions_sold": 0, "sold_fen": 0, "sessions_used": 0, "visits": 0,
        "income_fen": 0, "breakage_fen": 0, "sessions_left": 0, "deferred_fen": 0})
    sold = select(ServicePackage.service, func.count(), func.sum(ServicePackage.sessions_total),
                  func.sum(ServicePackage.paid_fen)).where(
        ServicePackage.merchant_id == merchant_id, ServicePackage.checkout_id.is_not(None),
        ServicePackage.status != "returned", ServicePackage.created_at >= since,
        ServicePackage.created_at < until).group_by(ServicePackage.service)
    for service, packages, sessions, paid in session.execute(sold):
        rows[service].update(packages_sold=packages, sessions_sold=int(sessions or 0), sold_fen=int(paid or 0))
    used = select(ServiceUse.service, ServiceUse.kind, func.sum(ServiceUse.sessions)).where(
        ServiceUse.merchant_id == merchant_id, ServiceUse.status == "done", ServiceUse.used_on >= start,
        ServiceUse.used_on <= end).group_by(ServiceUse.service, ServiceUse.kind)
    for service, kind, sessions in session.execute(used):
        rows[service]["sessions_used" if kind == "count" else "visits"] += int(sessions or 0)
    earned = select(ServiceRecognition.service, ServiceRecognition.kind, func.sum(ServiceRecognition.amount_fen)).where(
        ServiceRecognition.merchant_id == merchant_id, ServiceRecognition.recognised_on >= start,
        ServiceRecognition.recognised_on <= end).group_by(ServiceRecognition.service, ServiceRecognition.kind)
    for service, kind, amount in session.execute(earned):
        rows[service]["breakage_fen" if kind == "breakage" else "income_fen"] += int(amount or 0)
    left = select(ServicePackage.service, func.sum(ServicePackage.sessions_left),
                  func.sum(ServicePackage.paid_fen - ServicePackage.recognised_fen)).where(
        ServicePackage.merchant_id == merchant_id, ServicePackage.status == "active"
    ).group_by(ServicePackage.service)
    for service, sessions, amount in session.execute(left):
        rows[service].update(sessions_left=int(sessions or 0), deferred_fen=int(amount or 0))
    return [{"service": service, **values} for service, values in sorted(rows.items())]


def uses(session: Session, merchant_id: int, start, end, store_id=None) -> list[dict]:
    query = (select(ServiceUse, Card.number).join(Card, Card.id == ServiceUse.card_id)
             .where(ServiceUse.merchant_id == merchant_id, ServiceUse.status == "done",
                    ServiceUse.used_on >= start, ServiceUse.used_on <= end).order_by(ServiceUse.used_on, ServiceUse.id))
    if store_id is not None:
        query = query.where(ServiceUse.store_id == store_id)
    return [{"used_on": u.used_on.isoformat(), "card_number": number, "service": u.service,
             "kind": KIND_NAMES.get(u.kind, u.kind), "sessions": u.sessions,
             "revenue_fen": u.revenue_fen, "use_id": str(u.id), "package_id": str(u.package_id),
             "note": u.note} for u, number in session.execute(query)]


def _deferred_rows(session, query):
    for item in deferred(session, query.merchant_id)["items"]:
        yield {**item, "package_id": str(item["package_id"]), "kind": KIND_NAMES[item["kind"]]}


def _service_rows(session, query):
    return by_service(session, query.merchant_id, query.start, query.end)


def _use_rows(session, query):
    return uses(session, query.merchant_id, query.start, query.end, query.store_id)


def catalogue_reports() -> list[Report]:
    service = text("service", "服务项目", "Service")
    return [
        Report("package_services", {"zh-CN": "次卡/期限卡汇总", "en": "Count and period cards by service"},
               [service, count("packages_sold", "售出张数", "Packages sold"),
                count("sessions_sold", "售出次数", "Sessions sold"), money("sold_fen", "售卡金额", "Sold"),
                count("sessions_used", "消耗次数", "Sessions used"),
                count("visits", "期限卡到店", "Period-card visits"),
                money("income_fen", "确认收入", "Income"), money("breakage_fen", "过期沉淀", "Breakage"),
                count("sessions_left", "剩余次数", "Sessions left"),
                money("deferred_fen", "递延收入", "Deferred")],
               _service_rows, by_store=False,
               description={"zh-CN": "按服务项目统计售出、消耗与剩余次数，确认收入、过期沉淀与当前递延收入。",
                            "en": "Per service: sessions sold, used and left; income, breakage and deferred money now."}),
        Report("package_deferred", {"zh-CN": "次卡递延收入", "en": "Package deferred revenue"},
               [text("package_id", "编号", "Package"), text("card_number", "卡号", "Card"), service,
                text("name", "卡名", "Name"), text("kind", "类型", "Kind"),
                count("sessions_left", "剩余次数", "Sessions left"),
                money("paid_fen", "已收款", "Paid"), money("recognised_fen", "已确认", "Recognised"),
                money("deferred_fen", "递延收入", "Deferred"), date_column("valid_to", "有效期至", "Valid to")],
               _deferred_rows, period=False, by_store=False,
               description={"zh-CN": "已收款、尚未消耗的次卡和期限卡金额；合计与账簿一致。",
                            "en": "Money received for sessions not used yet; the total equals the ledger."}),
        Report("package_uses", {"zh-CN": "次卡核销明细", "en": "Package uses"},
               [date_column("used_on", "日期", "Day"), text("card_number", "卡号", "Card"), service,
                text("kind", "类型", "Kind"), count("sessions", "次数", "Sessions"),
                money("revenue_fen", "确认收入", "Income"), text("use_id", "核销编号", "Use"),
                text("package_id", "卡编号", "Package"), text("note", "备注", "Note")],
               _use_rows,
               description={"zh-CN": "每次核销：卡号、服务项目、次数与确认的收入。",
                            "en": "Every use: card, service, sessions and the income recognised."}),
    ]
