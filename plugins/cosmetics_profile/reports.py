"""The cosmetics reports of the catalogue (issue 12): ``abc_distribution`` (K2, X3) and
``follow_up_log`` (K3). The rows are those of the plugin's JSON endpoints (classify.distribution,
follow_ups.follow_up_log), shaped as columns."""
from __future__ import annotations

from core.reports import Report, count, date_column, money, text

from .classify import distribution
from .follow_ups import follow_up_log


def _abc_rows(session, query):
    return distribution(session, query.merchant_id)


def _log_rows(session, query):
    for item in follow_up_log(session, query.merchant_id, query.start, query.end):
        source = item["source_checkout_id"]
        yield {**item, "id": str(item["id"]), "closed_at": item["closed_at"] or "",
               "source_checkout_id": "" if source is None else str(source)}


ABC = Report(
    "abc_distribution", {"zh-CN": "ABC 会员分布", "en": "A/B/C distribution"},
    [text("member_class", "类别", "Class"), count("members", "会员数", "Members"),
     money("spend_fen", "消费金额", "Spend"), text("computed_at", "计算时间", "Computed at")],
    _abc_rows, period=False, by_store=False)

LOG = Report(
    "follow_up_log", {"zh-CN": "跟进记录", "en": "Follow-up log"},
    [text("closed_at", "完成时间", "Closed at"), text("status", "状态", "Status"),
     text("member_name", "会员", "Member"), text("kind", "类型", "Kind"),
     text("channel", "方式", "Channel"), text("reason", "原因", "Reason"),
     text("outcome", "结果", "Outcome"), text("note", "备注", "Note"),
     date_column("due_on", "计划日期", "Due on"), text("product_group", "产品类别", "Product group"),
     text("staff_name", "员工", "Staff"), text("id", "编号", "Id"),
     text("source_checkout_id", "来源结账单", "Source checkout")],
    _log_rows, by_store=False)


def reports() -> list[Report]:
    return [ABC, LOG]
