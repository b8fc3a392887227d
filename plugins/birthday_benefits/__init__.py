"""Birthday benefits (生日优惠, R1, issue 14 item 3): a discount or a gift around a member's
solar or lunar birthday, once per member per year, applied at the till automatically.

- ``rules.py``   which rule (per tier) and which birthday window (day, week, month) applies
- ``pricing.py`` the discount and gift at checkout, the once-a-year use, returns
- ``summary.py`` the member strip's birthday fact; ``reports.py`` the report
- ``models.py`` + ``migrations/`` the plugin's one table; ``demo.py`` the demo's rule
See docs/birthday_benefits.md.
"""
from pathlib import Path

from core import clock
from core.benefits import validate_benefit
from core.clock import local_date
from core.hookspecs import hookimpl

from . import models  # noqa: F401  (the plugin's table joins the core's metadata)
from .pricing import price_birthday, record_use, release_returned
from .rules import PLUGIN_ID, grant_of
from .summary import birthday_fact

MIGRATIONS = Path(__file__).parent / "migrations" / "versions"


@hookimpl
def checkout_price_lines(checkout):
    """After C2 and the plugins' own prices, before coupons (trylast): see pricing.py.

    pluggy calls plain implementations newest-registered first and plugins are registered
    in id order, so "birthday_benefits" (sorted before the other built-in plugins) runs last
    of them; tests/plugins/birthday_benefits/test_checkout.py holds the order."""
    price_birthday(checkout)


@hookimpl
def after_checkout(session, checkout, record, config):
    """The year's use, written once (guarded insert), and the benefit it gives."""
    record_use(session, checkout, record)


@hookimpl
def after_checkout_return(session, checkout, returned, config):
    """A full return gives the year's benefit back; a partial one keeps it used."""
    release_returned(session, checkout, clock.now_utc())


@hookimpl
def member_summary(session, member, config):
    fact = birthday_fact(session, member, config, local_date(clock.now_utc()))
    return {PLUGIN_ID: fact} if fact else None


@hookimpl
def validate_config(config, document):
    """Rules name existing tiers and benefits the merchant's plugins can give."""
    entry = next((p for p in document.get("plugins", []) if p.get("id") == PLUGIN_ID), None)
    if entry is None:
        return []
    tiers = {tier.get("key") for tier in document.get("tiers", [])}
    pointer = f"/plugins/{document['plugins'].index(entry)}/settings"
    problems = []
    for index, rule in enumerate((entry.get("settings") or {}).get("rules") or []):
        at = f"{pointer}/rules/{index}"
        for position, tier in enumerate(rule.get("tiers") or []):
            if tier not in tiers:
                problems.append({"pointer": f"{at}/tiers/{position}",
                                 "message": f"no tier {tier!r} in this configuration"})
        grant = grant_of(rule)
        if grant is not None:
            problems += [{**found, "pointer": _flat_pointer(found["pointer"], at)}
                         for found in validate_benefit(config, grant, f"{at}/grant")]
    return problems


def _flat_pointer(pointer: str, at: str) -> str:
    """core.benefits points into {"kind", fields}; the settings hold grant_kind, grant_<field>."""
    rest = pointer[len(f"{at}/grant"):].lstrip("/")
    return f"{at}/grant_{rest.split('/')[0] if rest else 'kind'}"


@hookimpl
def demo_data(session, config, merchant_id, store_ids, staff_id, now):
    """Two members whose birthday (one solar, one lunar) is today (``huika demo``)."""
    from . import demo

    demo.load(session, config, merchant_id, staff_id, now)


@hookimpl
def register_migrations():
    return [str(MIGRATIONS)]


@hookimpl
def register_reports():
    from .reports import reports

    return reports()
