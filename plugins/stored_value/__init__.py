"""Stored value (储值): recharge with bonus, PIN payments, new-card cap, cheques (S1-S7).

Principal and bonus are separate ledger assets so refunds and liability reports can tell
them apart; a cheque recharge waits in a third one, ``stored_value_pending``, until it clears
(S4). The shared names and the account table are in ``common.py``, each money move in a module
of its own (``recharge``, ``cheques``, ``purchase_fee``, ``payouts``, ``payment``), the endpoints
in ``api.py``; this module holds the hook implementations. Guide: docs/plugins/stored_value.md.
"""
from core.hookspecs import hookimpl
from core.ledger import member_balances

from .common import BONUS, PENDING, PLUGIN_ID, PRINCIPAL
from .payment import pay

__all__ = ["BONUS", "PENDING", "PLUGIN_ID", "PRINCIPAL"]


@hookimpl
def validate_config(config, document):
    """Bonus tiers (S1) must climb and start at or above the minimum recharge."""
    settings = config.settings_for(PLUGIN_ID)
    pointer = config.settings_pointer(PLUGIN_ID) + "/bonus_tiers"
    problems = []
    previous = None
    for index, tier in enumerate(settings["bonus_tiers"]):
        if tier["threshold_fen"] < settings["min_recharge_fen"]:
            problems.append({"pointer": f"{pointer}/{index}/threshold_fen",
                             "message": "below the minimum recharge, it could never apply (S1)"})
        if previous is not None and tier["threshold_fen"] <= previous:
            problems.append({"pointer": f"{pointer}/{index}/threshold_fen",
                             "message": "bonus tiers must have increasing thresholds"})
        if tier["bonus_fen"] >= tier["threshold_fen"]:
            problems.append({"pointer": f"{pointer}/{index}/bonus_fen",
                             "message": "a bonus must be smaller than the amount recharged"})
        previous = tier["threshold_fen"]
    return problems


@hookimpl
def member_summary(session, member, config):
    balances = member_balances(session, member.id, [PRINCIPAL, BONUS, PENDING])
    return {"stored_value": {"principal_fen": balances[PRINCIPAL], "bonus_fen": balances[BONUS],
                             "pending_fen": balances[PENDING],
                             "total_fen": balances[PRINCIPAL] + balances[BONUS]}}


@hookimpl
def checkout_payment(session, checkout, payment, config):
    """S2/S3/C6: method ``stored_value`` pays from the card's principal, then bonus, with its PIN."""
    if payment.get("method") != "stored_value":
        return None
    return pay(session, checkout, payment, config)


@hookimpl
def register_import_kinds():
    """Opening balances from another system (issue 12, item 9)."""
    from .imports import import_kinds

    return import_kinds()


@hookimpl
def register_api_operations():
    """Recharge, cheques, purchase-card fee, withdrawal, refund and the balance read."""
    from .api import operations

    return operations()


@hookimpl
def register_reports():
    """stored_value_liability and stored_value_detail (issue 12), from the ledger: reports.py."""
    from .reports import reports

    return reports()


@hookimpl
def register_reminder_kinds():
    """``low_balance``: stored value running low (issue 14), in reminders.py."""
    from .reminders import low_balance_kind

    return [low_balance_kind()]


@hookimpl
def demo_data(session, config, merchant_id, store_ids, staff_id, now):
    """A card spent down below the low-balance reminder's threshold (``huika demo``)."""
    from . import demo

    demo.load(session, config, merchant_id, store_ids[0], staff_id, now)
