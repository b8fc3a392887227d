"""Stored value (储值): recharge with bonus, PIN payments, new-card cap, cheques (S1-S7).

Principal and bonus are separate ledger assets so refunds and liability reports can tell
them apart.
"""
from core.hookspecs import hookimpl
from core.ledger import member_balances

PLUGIN_ID = "stored_value"
PRINCIPAL = "stored_value_principal"
BONUS = "stored_value_bonus"


@hookimpl
def validate_config(config, document):
    """Bonus tiers (S1) must climb and start at or above the minimum recharge."""
    if not config.is_enabled(PLUGIN_ID):
        return []
    settings = config.settings_for(PLUGIN_ID)
    pointer = f"/plugins/{config.enabled_plugins.index(PLUGIN_ID)}/settings/bonus_tiers"
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
    balances = member_balances(session, member.id, [PRINCIPAL, BONUS])
    return {"stored_value": {"principal_fen": balances[PRINCIPAL], "bonus_fen": balances[BONUS],
                             "total_fen": balances[PRINCIPAL] + balances[BONUS]}}
