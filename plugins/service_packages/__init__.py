"""Service packages (次卡、期限卡): count cards and period cards for any service, sold and used
at the till, with deferred revenue.

- ``common.py``   asset, ledger accounts, settings and the plans they hold
- ``packages.py`` packages sold through the checkout (after_checkout), returns, replacement
- ``uses.py``     a use at the till: sessions off a count card, a visit on a period card
- ``revenue.py``  exact recognition of deferred money as income or breakage
- ``jobs.py``     ``expire_packages``: period cards earn by day, expired packages lapse
- ``reports.py``  per-service summary, deferred revenue per package, the use detail
- ``api.py``      the API operations; ``models.py`` + ``migrations/`` the plugin's own tables

See docs/packages.md.
"""
from pathlib import Path

from core import clock
from core.hookspecs import hookimpl
from core.jobs import Job

from . import models  # noqa: F401  (the plugin's tables join the core's metadata)
from .api import operations
from .common import PLUGIN_ID, plans
from .jobs import expire_packages
from .packages import member_packages, move_to_new_card, packages_from_checkout, take_back

MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


@hookimpl
def validate_config(config, document):
    pointer = config.settings_pointer(PLUGIN_ID)
    problems, seen = [], set()
    for index, plan in enumerate(plans(config)):
        at = f"{pointer}/plans/{index}"
        if plan["key"] in seen:
            problems.append({"pointer": f"{at}/key", "message": f"plan {plan['key']!r} is listed twice"})
        seen.add(plan["key"])
        if plan["kind"] == "count" and plan["sessions"] < 1:
            problems.append({"pointer": f"{at}/sessions", "message": "a count card needs its number of sessions"})
        if plan["kind"] == "period" and plan["sessions"]:
            problems.append({"pointer": f"{at}/sessions", "message": "a period card has no sessions: leave 0"})
        if plan["kind"] == "count" and plan["max_per_day"]:
            problems.append({"pointer": f"{at}/max_per_day", "message": "only a period card has a daily limit"})
    return problems


@hookimpl
def member_summary(session, member, config):
    """The member's count and period cards still in use, for the till's member strip."""
    return {"service_packages": member_packages(session, member, clock.local_date(clock.now_utc()))}


@hookimpl
def after_checkout(session, checkout, record, config):
    """Every ``service_package.<key>`` line becomes packages on the card, money deferred."""
    packages_from_checkout(session, checkout, record, config)


@hookimpl
def after_checkout_return(session, checkout, returned, config):
    """An unused package goes back with its money; a used one refuses the return (409)."""
    take_back(session, checkout, returned, config)


@hookimpl
def after_card_replaced(session, old_card, new_card, config):
    """C5: packages follow the balances to the new card."""
    move_to_new_card(session, old_card, new_card)


@hookimpl
def register_import_kinds():
    """Count and period cards from another system (docs/packages.md)."""
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
    """``service_packages.expire_packages`` just after local midnight."""
    return [Job("service_packages.expire_packages", expire_packages, hour=0, minute=25,
                description="period cards earn by day; expired packages lapse into breakage")]


@hookimpl
def register_reports():
    from .reports import catalogue_reports

    return catalogue_reports()


@hookimpl
def register_reminder_kinds():
    """``package_expiry``: count and period cards ending or running low (issue 14), in reminders.py."""
    from .reminders import package_expiry_kind

    return [package_expiry_kind()]
