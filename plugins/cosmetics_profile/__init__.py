"""Cosmetics profiles (化妆品): skin profile, A/B/C members, follow-ups, running-out reminders (K1-K4)."""
from core.hookspecs import hookimpl

PLUGIN_ID = "cosmetics_profile"


@hookimpl
def validate_config(config, document):
    """Class A must ask more than class B, and key members are followed up first (K2, K3)."""
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
    return problems


@hookimpl
def member_summary(session, member, config):
    skin = (member.extra or {}).get("skin_type")
    return {"skin_type": skin} if skin else None
