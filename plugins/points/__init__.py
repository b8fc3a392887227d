"""Points (积分): earning, lots with expiry, redemption, lucky wheel (P1-P8).

This module holds the plugin's hook implementations; the money path arrives with the
checkout pipeline.
"""
from core.hookspecs import hookimpl
from core.ledger import member_balances

PLUGIN_ID = "points"
ASSET = "points"


@hookimpl
def validate_config(config, document):
    """Settings that are valid one by one but contradict each other."""
    if not config.is_enabled(PLUGIN_ID):
        return []
    settings = config.settings_for(PLUGIN_ID)
    pointer = f"/plugins/{config.enabled_plugins.index(PLUGIN_ID)}/settings"
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
    return problems


@hookimpl
def member_summary(session, member, config):
    return {"points": member_balances(session, member.id, [ASSET])[ASSET]}
