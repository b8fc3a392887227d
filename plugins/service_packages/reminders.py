"""Reminder kind ``package_expiry`` (issue 14), the service packages' share: count and period
cards whose last day is within ``days``, and count cards with ``sessions_left`` or fewer
sessions (to renew). Ranges on the plugin's indexes (migration s0002).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import or_, select

from core.reminders import Reminder, ReminderKind
from core.reminders.cards import CARD_MEMBER_COLUMNS, card_facts, package_settings, with_member

from .models import ServicePackage

KIND = "package_expiry"
TITLE = {"zh-CN": "次卡/课程包到期", "en": "Package expiring"}  # as training_courses names it


def scan_service_packages(session, config, merchant_id, on, settings, store_id=None):
    until, low = on + timedelta(days=settings["days"]), settings["sessions_left"]
    active = (ServicePackage.merchant_id == merchant_id, ServicePackage.status == "active")
    expiring = ((ServicePackage.valid_to >= on) & (ServicePackage.valid_to <= until)
                & ((ServicePackage.kind == "period") | (ServicePackage.sessions_left > 0)))
    running_low = ((ServicePackage.kind == "count") & (ServicePackage.sessions_left > 0)
                   & (ServicePackage.sessions_left <= low) & (ServicePackage.valid_to >= on))
    query = with_member(select(*CARD_MEMBER_COLUMNS, ServicePackage).select_from(ServicePackage)
                        .where(*active, or_(expiring, running_low)),
                        ServicePackage.card_id, store_id).order_by(CARD_MEMBER_COLUMNS[0], ServicePackage.id)
    for row in session.execute(query):
        package = row.ServicePackage
        facts = {**card_facts(row), "package": package.name, "service": package.service,
                 "sessions_left": package.sessions_left if package.kind == "count" else None,
                 "expires_on": package.valid_to.isoformat(), "days_left": (package.valid_to - on).days}
        base = f"{KIND}:service_package:{package.id}"
        if package.valid_to <= until and (package.kind == "period" or package.sessions_left > 0):
            yield Reminder(member_id=row.member_id, kind=KIND, card_id=row.card_id,
                           store_id=row.registered_store_id, occasion=f"{base}:{package.valid_to.isoformat()}",
                           facts={**facts, "reason": "expiring"})
        if package.kind == "count" and 0 < package.sessions_left <= low:
            yield Reminder(member_id=row.member_id, kind=KIND, card_id=row.card_id,
                           store_id=row.registered_store_id, occasion=f"{base}:left:{package.sessions_left}",
                           facts={**facts, "reason": "running_low"})


def package_expiry_kind() -> ReminderKind:
    return ReminderKind(
        id=KIND, title=TITLE,
        description={"zh-CN": "次卡、期限卡或课程包快到期，或剩余次数不多时，提醒会员使用或续卡。",
                     "en": "A count card, period card or course package ends soon or has few sessions left."},
        settings_schema=package_settings(), scan=scan_service_packages)
