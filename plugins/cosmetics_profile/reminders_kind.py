"""Reminder kind ``purchase_cycle`` (issue 14, K3): the running-out follow-ups the job
``plan_follow_ups`` planned from each member's own purchase cycle (reminders.py), still open
and due by ``on`` (up to ``overdue_days`` late). The plugin's plan is the source: the reminder
ends when staff mark the follow-up done or cancelled. A range on ``ix_cosmetics_follow_ups_due``
(k0002).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.models import Member
from core.reminders import Reminder, ReminderKind, days_setting, settings_object
from core.reminders.members import MEMBER_COLUMNS, in_store, member_facts

from .models import FollowUp

KIND = "purchase_cycle"


def scan_purchase_cycles(session, config, merchant_id, on, settings, store_id=None):
    query = in_store(
        select(*MEMBER_COLUMNS, FollowUp.id.label("follow_up_id"), FollowUp.due_on, FollowUp.product_group,
               FollowUp.reason, FollowUp.channel)
        .select_from(FollowUp).join(Member, Member.id == FollowUp.member_id)
        .where(FollowUp.merchant_id == merchant_id, FollowUp.kind == "running_out",
               FollowUp.status == "planned", FollowUp.due_on <= on,
               FollowUp.due_on >= on - timedelta(days=settings["overdue_days"])),
        store_id).order_by(Member.id, FollowUp.id)
    for row in session.execute(query):
        yield Reminder(member_id=row.id, kind=KIND, store_id=row.registered_store_id,
                       occasion=f"{KIND}:follow_up:{row.follow_up_id}",
                       facts={**member_facts(row), "product_group": row.product_group, "reason": row.reason,
                              "channel": row.channel, "due_on": row.due_on.isoformat(),
                              "follow_up_id": row.follow_up_id})


def purchase_cycle_kind() -> ReminderKind:
    return ReminderKind(
        id=KIND, title={"zh-CN": "产品快用完", "en": "Running out (purchase cycle)"},
        description={"zh-CN": "按会员自己的购买周期，产品快用完时提醒回访（来自跟进计划）。",
                     "en": "By the member's own buying cycle, a product is running out (from the planned follow-ups)."},
        settings_schema=settings_object({
            "overdue_days": days_setting(7, "过期未跟进的最多再提醒几天", "Keep reminding this many days late",
                                         maximum=90),
        }),
        scan=scan_purchase_cycles)
