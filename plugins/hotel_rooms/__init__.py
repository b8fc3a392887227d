"""Hotel rooms (酒店): card-kind benefits, room vouchers with blackout dates (H1-H4)."""
from core.hookspecs import hookimpl
from core.ledger import member_balances

PLUGIN_ID = "hotel_rooms"
VOUCHERS = "room_vouchers"


@hookimpl
def validate_config(config, document):
    """Blackout ranges must run forwards; benefits must name the merchant's card kinds (H1, H2)."""
    settings = config.settings_for(PLUGIN_ID)
    pointer = config.settings_pointer(PLUGIN_ID)
    problems = []
    for index, period in enumerate(settings["blackout_dates"]):
        if period["end"] < period["start"]:
            problems.append({"pointer": f"{pointer}/blackout_dates/{index}/end",
                             "message": "the blackout period ends before it starts"})
    kinds = {kind["key"] for kind in config.card_kinds}
    # The default benefits are a suggestion for the hotel template's card kinds; only a
    # merchant's own list must name kinds it really has.
    own = next(entry.get("settings", {}) for entry in document["plugins"] if entry["id"] == PLUGIN_ID)
    for index, benefit in enumerate(own.get("card_benefits", [])):
        if benefit["card_kind"] not in kinds:
            problems.append({"pointer": f"{pointer}/card_benefits/{index}/card_kind",
                             "message": f"card kind {benefit['card_kind']!r} is not one of the "
                                        "merchant's card kinds"})
    return problems


@hookimpl
def member_summary(session, member, config):
    return {"room_vouchers": member_balances(session, member.id, [VOUCHERS])[VOUCHERS]}
