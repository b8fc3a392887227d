"""Reminder kind ``package_expiry`` (issue 14), the courses' share: course packages whose last
day is within ``days`` (frozen ones wait), and count packages with ``sessions_left`` or fewer
sessions, as ``jobs.reminders`` lists them (R2). Ranges on the plugin's indexes (t0003).
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.reminders import Reminder, ReminderKind
from core.reminders.cards import CARD_MEMBER_COLUMNS, card_facts, package_settings, with_member

from .models import Course, Package

KIND = "package_expiry"


def scan_course_packages(session, config, merchant_id, on, settings, store_id=None):
    """Two ranges, each on its own index: packages ending in the window, count packages running low."""
    until, low = on + timedelta(days=settings["days"]), settings["sessions_left"]
    expiring = (Package.valid_to >= on, Package.valid_to <= until,
                (Package.kind == "period") | (Package.units_left > 0))
    running_low = (Package.units_left > 0, Package.units_left <= low, Package.kind == "count",
                   Package.valid_to >= on)
    for reason, conditions in (("expiring", expiring), ("running_low", running_low)):
        if reason == "running_low" and low == 0:
            continue
        query = with_member(
            select(*CARD_MEMBER_COLUMNS, Package.id.label("package_id"), Package.kind, Package.units_left,
                   Package.valid_to, Course.name.label("course")).select_from(Package)
            .join(Course, Course.id == Package.course_id)
            .where(Package.merchant_id == merchant_id, Package.status == "active", *conditions),
            Package.card_id, store_id).order_by(CARD_MEMBER_COLUMNS[0], Package.id)
        for row in session.execute(query):
            package = row  # plain columns: no ORM object per row
            occasion = f"{KIND}:course_package:{package.package_id}:" + (
                package.valid_to.isoformat() if reason == "expiring" else f"left:{package.units_left}")
            yield Reminder(member_id=row.member_id, kind=KIND, card_id=row.card_id,
                           store_id=row.registered_store_id, occasion=occasion,
                           facts={**card_facts(row), "package": row.course, "course": row.course,
                                  "sessions_left": package.units_left if package.kind == "count" else None,
                                  "expires_on": package.valid_to.isoformat(),
                                  "days_left": (package.valid_to - on).days, "reason": reason})


def package_expiry_kind() -> ReminderKind:
    return ReminderKind(
        id=KIND, title={"zh-CN": "次卡/课程包到期", "en": "Package expiring"},  # as service_packages names it
        description={"zh-CN": "课程包快到期或剩余课时不多时，提醒学员上课或续费。",
                     "en": "A course package ends soon or has few sessions left."},
        settings_schema=package_settings(), scan=scan_course_packages)
