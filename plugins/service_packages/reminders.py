"""Reminder kind ``package_expiry`` (issue 14), the service packages' share: count and period
cards whose last day is within ``days``, and count cards with ``sessions_left`` or fewer
sessions (to renew). Ranges on the plugin's indexes (migration s0002).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.reminders import Reminder, ReminderKind
from core.reminders.cards import CARD_MEMBER_COLUMNS, card_facts, package_settings, with_member

from .models import ServicePackage

KIND = "package_expiry"
PACKAGE_COLUMNS = (ServicePackage.id.label("package_id"), ServicePackage.name.label("package_name"),
                   ServicePackage.service, ServicePackage.kind, ServicePackage.sessions_left,
                   ServicePackage.valid_to)
TITLE = {"zh-CN": "次卡/课程包到期", "en": "Package expiring"}  # as training_courses names it


def scan_service_packages(session, config, merchant_id, on, settings, store_id=None):
    """Two ranges, each on its own index: packages ending in the window, count cards running low."""
    until, low = on + timedelta(days=settings["days"]), settings["sessions_left"]
    active = (ServicePackage.merchant_id == merchant_id, ServicePackage.status == "active")
    expiring = (ServicePackage.valid_to >= on, ServicePackage.valid_to <= until,
                (ServicePackage.kind == "period") | (ServicePackage.sessions_left > 0))
    running_low = (ServicePackage.sessions_left > 0, ServicePackage.sessions_left <= low,
                   ServicePackage.kind == "count", ServicePackage.valid_to >= on)
    for reason, conditions in (("expiring", expiring), ("running_low", running_low)):
        if reason == "running_low" and low == 0:
            continue
        query = with_member(select(*CARD_MEMBER_COLUMNS, *PACKAGE_COLUMNS).select_from(ServicePackage)
                            .where(*active, *conditions),
                            ServicePackage.card_id, store_id).order_by(CARD_MEMBER_COLUMNS[0], ServicePackage.id)
        for row in session.execute(query):
            package = row  # plain columns: no ORM object per row (tens of thousands a day)
            occasion = f"{KIND}:service_package:{package.package_id}:" + (
                package.valid_to.isoformat() if reason == "expiring" else f"left:{package.sessions_left}")
            yield Reminder(member_id=row.member_id, kind=KIND, card_id=row.card_id,
                           store_id=row.registered_store_id, occasion=occasion,
                           facts={**card_facts(row), "package": package.package_name, "service": package.service,
                                  "sessions_left": package.sessions_left if package.kind == "count" else None,
                                  "expires_on": package.valid_to.isoformat(),
                                  "days_left": (package.valid_to - on).days, "reason": reason})


def package_expiry_kind() -> ReminderKind:
    return ReminderKind(
        id=KIND, title=TITLE,
        description={"zh-CN": "次卡、期限卡或课程包快到期，或剩余次数不多时，提醒会员使用或续卡。",
                     "en": "A count card, period card or course package ends soon or has few sessions left."},
        settings_schema=package_settings(), scan=scan_service_packages)
