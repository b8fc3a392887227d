"""Training courses (培训): count packages, time passes, metered time, deferred revenue (T1-T3)."""
from core.hookspecs import hookimpl
from core.ledger import member_balances

PLUGIN_ID = "training_courses"
SESSIONS = "course_sessions"
MINUTES = "course_minutes"


@hookimpl
def validate_config(config, document):
    settings = config.settings_for(PLUGIN_ID)
    pointer = config.settings_pointer(PLUGIN_ID)
    if settings["expiry_notice_days"] >= settings["package_validity_days"]:
        return [{"pointer": f"{pointer}/expiry_notice_days",
                 "message": "the expiry notice must be shorter than a package's validity (T1)"}]
    return []


@hookimpl
def member_summary(session, member, config):
    balances = member_balances(session, member.id, [SESSIONS, MINUTES])
    return {"course_sessions": balances[SESSIONS], "course_minutes": balances[MINUTES]}
