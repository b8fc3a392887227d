"""Points (积分): earning, lots with expiry, points as cash, mall, lucky wheel (P1-P8).

This module is the plugin's hook surface; the behaviour lives next to it:

- ``earning.py``  checkout_earn (P1 per-tier rates, P2, P3) and points as cash (P4)
- ``mall.py``     the points mall with stock (P4)
- ``wheel.py``    the lucky wheel (P4); ``wheel.rng_factory`` is the injectable RNG
- ``adjust.py``   manual adjustments by the owner, with a reason
- ``projection.py`` P6: the next mall gift and points by year end (member_projection)
- ``expiry.py``   ``expire_points(session, merchant_id, now)`` and ``expiring_soon`` (P7, R2)
- ``api.py``      the API operations; ``models.py`` + ``migrations/`` the plugin's own tables

Returns (P8) need nothing here: the core recomputes ``checkout_earn`` on the kept lines and
takes back the difference, and gives points spent as cash back to the lots they came from.
See docs/plugins/points.md.
"""
from pathlib import Path

from core.hookspecs import hookimpl
from core.jobs import Job
from core.ledger import member_balances

from . import models  # noqa: F401  (the plugin's tables join the core's metadata)
from .api import operations
from .common import ASSET, PLUGIN_ID
from .earning import earn, pay_with_points
from .expiry import expire_points, expire_points_job, expiring_soon
from .projection import projection_lines

__all__ = ["expire_points", "expiring_soon"]  # the job bodies, plain functions of ``now`` (P7, R2)

MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


@hookimpl
def validate_config(config, document):
    """Settings that are valid one by one but contradict each other."""
    settings = config.settings_for(PLUGIN_ID)
    pointer = config.settings_pointer(PLUGIN_ID)
    problems = []
    if settings["wheel_max_spins_per_day"] < settings["wheel_free_spins_per_day"]:
        problems.append({"pointer": f"{pointer}/wheel_max_spins_per_day",
                         "message": "must be at least the free spins per day (P4)"})
    if settings["expiry_mode"] == "days_after_earning" and \
            settings["expiry_notice_days"] >= settings["expiry_days"]:
        problems.append({"pointer": f"{pointer}/expiry_notice_days",
                         "message": "the notice must come before the points expire (P7)"})
    if not any(kind.get("earns_points", True) for kind in config.card_kinds):
        problems.append({"pointer": "/card_kinds",
                         "message": "points are enabled but no card kind earns points (P3)"})
    tier_keys = {tier["key"] for tier in document.get("tiers", [])}
    seen = set()
    for index, rate in enumerate(settings["tier_rates"]):
        at = f"{pointer}/tier_rates/{index}/tier_key"
        if rate["tier_key"] not in tier_keys:
            problems.append({"pointer": at, "message": (
                f"{rate['tier_key']!r} is not one of the merchant's tiers (P1)")})
        elif rate["tier_key"] in seen:
            problems.append({"pointer": at, "message": (
                f"tier {rate['tier_key']!r} has two earning rates (P1)")})
        seen.add(rate["tier_key"])
    return problems


@hookimpl
def member_summary(session, member, config):
    return {"points": member_balances(session, member.id, [ASSET])[ASSET]}


@hookimpl
def member_projection(session, card, config, now, pace):
    """P6: the next mall gift, and points by year end at the member's pace."""
    return projection_lines(session, card, config, now, pace)


@hookimpl
def checkout_earn(session, checkout, lines, config):
    """P1/P2/P3: points on the paid amount of ``lines`` at the card's tier rate."""
    return earn(checkout, lines, config)


@hookimpl
def checkout_payment(session, checkout, payment, config):
    """P4: method "points" pays ``cash_points`` points per ``cash_value_fen`` fen."""
    if payment.get("method") != "points":
        return None
    return pay_with_points(checkout, payment, config)


@hookimpl
def register_import_kinds():
    """Opening balances from another system (issue 12, item 9)."""
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
    """The jobs of plugin.json, as ``points.<job id>``: expiry just after local midnight (P7).
    Telling members (R2) is the ``points_expiry`` reminder kind, sent by the daily member care."""
    return [
        Job("points.expire_points", expire_points_job, hour=0, minute=10,
            description="expire point lots past their date (P7)"),
    ]


@hookimpl
def register_reports():
    """points_liability and points_detail (issue 12), from the ledger: reports.py."""
    from .reports import reports

    return reports()


@hookimpl
def register_reminder_kinds():
    """``points_expiry``: points about to expire (issue 14), in reminders.py."""
    from .reminders import points_expiry_kind

    return [points_expiry_kind()]
