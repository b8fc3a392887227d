"""Training courses (培训): count packages, period passes, metered time, deferred revenue (T1-T3).

This module is the plugin's hook surface; the behaviour lives next to it:

- ``catalogue.py`` courses and their plans (managed by the owner or a manager)
- ``packages.py``  packages sold through the checkout (after_checkout), freeze, returns (G3),
                   card replacement (C5)
- ``visits.py``    sign-ins that use sessions or show a pass; metered check-in / check-out
- ``revenue.py``   exact recognition of deferred money as income or breakage (T3)
- ``jobs.py``      ``expire_packages`` and ``reminders`` (plain functions of now)
- ``reports.py``   income by month/course/teacher, deferred revenue, consumption detail
- ``api.py``       the API operations; ``models.py`` + ``migrations/`` the plugin's own tables

See docs/plugins/training_courses.md.
"""
from pathlib import Path

from core.hookspecs import hookimpl
from core.jobs import Job
from core.ledger import member_balances

from . import models  # noqa: F401  (the plugin's tables join the core's metadata)
from .api import operations
from .common import MINUTES, PLUGIN_ID, SESSIONS
from .jobs import expire_packages
from .packages import move_to_new_card, packages_from_checkout, price_plan_lines, take_back

MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


@hookimpl
def validate_config(config, document):
    settings = config.settings_for(PLUGIN_ID)
    pointer = config.settings_pointer(PLUGIN_ID)
    problems = []
    if settings["expiry_notice_days"] >= settings["package_validity_days"]:
        problems.append({"pointer": f"{pointer}/expiry_notice_days",
                         "message": "the expiry notice must be shorter than a package's validity (T1)"})
    seen = set()
    for index, teacher in enumerate(settings["teachers"]):
        if teacher["key"] in seen:
            problems.append({"pointer": f"{pointer}/teachers/{index}/key",
                             "message": f"teacher {teacher['key']!r} is listed twice (T3)"})
        seen.add(teacher["key"])
    return problems


@hookimpl
def member_summary(session, member, config):
    balances = member_balances(session, member.id, [SESSIONS, MINUTES])
    return {"course_sessions": balances[SESSIONS], "course_minutes": balances[MINUTES]}


@hookimpl
def checkout_price_lines(checkout):
    """C2 for course plans, unless ``tier_discount_on_packages`` says they pay list price."""
    price_plan_lines(checkout)


@hookimpl
def after_checkout(session, checkout, record, config):
    """T1/T2/T3: every ``course_plan.<id>`` line becomes packages on the card, money deferred."""
    packages_from_checkout(session, checkout, record, config)


@hookimpl
def after_checkout_return(session, checkout, returned, config):
    """G3: an unused package goes back with its money; a used one refuses the return (409)."""
    take_back(session, checkout, returned, config)


@hookimpl
def after_card_replaced(session, old_card, new_card, config):
    """C5: packages and an open metered visit follow the balances to the new card."""
    move_to_new_card(session, old_card, new_card)


@hookimpl
def register_import_kinds():
    """Course packages from another system (issue 12, item 9)."""
    from .imports import import_kinds

    return import_kinds()


@hookimpl
def register_api_operations():
    return operations()


@hookimpl
def register_migrations():
    return [str(MIGRATIONS)]


@hookimpl
def register_jobs():
    """The jobs of plugin.json, as ``training_courses.<job id>``: lapsing just after local
    midnight (T1, T3), the reminder in the morning (R2)."""
    return [
        Job("training_courses.expire_packages", expire_packages, hour=0, minute=20,
            description="lapse expired packages, recognise breakage and period passes (T1-T3)"),
    ]


@hookimpl
def register_reports():
    """The four T3/X1 reports in the catalogue (issue 12): the rows of reports.py."""
    from .reports import catalogue_reports

    return catalogue_reports()


@hookimpl
def register_reminder_kinds():
    """``package_expiry``: course packages ending or running low (issue 14), in reminders.py."""
    from .reminders import package_expiry_kind

    return [package_expiry_kind()]
