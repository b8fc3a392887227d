"""Cosmetics profiles (化妆品): skin profile, A/B/C members, follow-ups, running-out reminders,
segments (K1-K4, M5).

This module is the plugin's hook surface; the behaviour lives next to it:

- ``profile.py``    K1 skin profile (member fields in members.extra) and its change history
- ``purchases.py``  members' purchases from the core's checkouts, net of returns
- ``classify.py``   K2 A/B/C classes (job ``classify_members``) and report ``abc_distribution``
- ``follow_ups.py`` K3 follow-up log, planned follow-ups, today's list, report ``follow_up_log``
- ``reminders.py``  K3 running-out reminders and regular follow-ups (job ``plan_follow_ups``)
- ``segments.py``   K4 segments by buying habit, age band, frequency and amount
- ``api.py``        the API operations; ``models.py`` + ``migrations/`` the plugin's own tables

The plugin keeps no ledger asset: it reads checkouts and writes only its own tables.
See docs/plugins/cosmetics_profile.md.
"""
from pathlib import Path

from core.hookspecs import hookimpl
from core.jobs import Job

from . import models  # noqa: F401  (the plugin's tables join the core's metadata)
from .api import operations
from .classify import class_json, classify_members_job, member_class
from .common import PLUGIN_ID
from .profile import initial_changes, record_changes
from .reminders import plan_follow_ups

MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


@hookimpl
def validate_config(config, document):
    """Settings valid one by one that contradict each other (K2, K3, K4)."""
    settings = config.settings_for(PLUGIN_ID)
    pointer = config.settings_pointer(PLUGIN_ID)
    problems = []
    if settings["class_a_min_spend_fen"] < settings["class_b_min_spend_fen"]:
        problems.append({"pointer": f"{pointer}/class_a_min_spend_fen",
                         "message": "class A must need at least the spend of class B (K2)"})
    if settings["class_a_min_visits"] < settings["class_b_min_visits"]:
        problems.append({"pointer": f"{pointer}/class_a_min_visits",
                         "message": "class A must need at least the visits of class B (K2)"})
    if not settings["follow_up_days_a"] <= settings["follow_up_days_b"] <= settings["follow_up_days_c"]:
        problems.append({"pointer": f"{pointer}/follow_up_days_a",
                         "message": "A members are followed up at least as often as B, B as C (K3)"})
    for key in ("reminder_channel", "regular_channel"):
        if settings[key] not in settings["follow_up_channels"]:
            problems.append({"pointer": f"{pointer}/{key}",
                             "message": "must be one of the shop's follow-up channels (K3)"})
    keys, categories = set(), {}
    for index, group in enumerate(settings["product_groups"]):
        if group["key"] in keys:
            problems.append({"pointer": f"{pointer}/product_groups/{index}/key",
                             "message": f"product group {group['key']!r} appears twice (K3)"})
        keys.add(group["key"])
        for position, category in enumerate(group["categories"]):
            owner = categories.setdefault(category.strip().lower(), group["key"])
            if owner != group["key"]:
                problems.append({"pointer": f"{pointer}/product_groups/{index}/categories/{position}",
                                 "message": f"{category!r} is already in group {owner!r} (K3)"})
    if keys & {"mixed", "none"}:
        problems.append({"pointer": f"{pointer}/product_groups",
                         "message": "'mixed' and 'none' name buying habits, not groups (K4)"})
    for key in ("age_band_edges", "frequency_band_edges", "amount_band_edges"):
        if settings[key] != sorted(settings[key]):
            problems.append({"pointer": f"{pointer}/{key}", "message": "limits must rise (K4)"})
    return problems


@hookimpl
def after_member_created(session, member, staff_id, now):
    """K1: a new member's profile values are the first entries of the history."""
    changes = initial_changes(member)
    if changes:
        record_changes(session, member, changes, staff_id=staff_id, now=now)


@hookimpl
def after_member_updated(session, member, changes, staff_id, now):
    """K1: every change to a profile field is kept, whichever screen or API made it, with who
    made it and when."""
    record_changes(session, member, changes, staff_id=staff_id, now=now)


@hookimpl
def member_summary(session, member, config):
    """Skin type and the A/B/C class (K1, K2), shown with the member."""
    summary = {"skin_type": (member.extra or {}).get("skin_type")}
    classification = class_json(member_class(session, member.merchant_id, member.id))
    summary["member_class"] = classification["member_class"] if classification else None
    summary["member_class_computed_at"] = classification["computed_at"] if classification else None
    return summary


@hookimpl
def register_api_operations():
    return operations()


@hookimpl
def register_migrations():
    return [str(MIGRATIONS)]


@hookimpl
def register_jobs():
    """The jobs of plugin.json: classes first, then the follow-ups that read them."""
    return [
        Job("cosmetics_profile.classify_members", classify_members_job, hour=2, minute=0,
            description="recompute A/B/C classes by spend and visits (K2)"),
        Job("cosmetics_profile.plan_follow_ups", plan_follow_ups, hour=2, minute=30,
            description="plan running-out and regular follow-ups (K2, K3)"),
    ]


@hookimpl
def register_reports():
    """abc_distribution and follow_up_log in the catalogue (issue 12): reports.py."""
    from .reports import reports

    return reports()


@hookimpl
def register_reminder_kinds():
    """``purchase_cycle``: planned running-out follow-ups (issue 14), in reminders_kind.py."""
    from .reminders_kind import purchase_cycle_kind

    return [purchase_cycle_kind()]
