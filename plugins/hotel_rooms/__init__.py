"""Hotel rooms (酒店): card-kind benefits, room vouchers with blackout dates (H1-H4).

This module is the plugin's hook surface; the behaviour lives next to it:

- ``card_benefits.py`` what each card kind gives (H1): nights on issue and upgrade, the
  birthday executive suite (a daily job)
- ``vouchers.py``      room vouchers and e-vouchers: issue, redeem once by QR code, blackout
  dates, expiry and the expiry notice (H2, R2), the reports
- ``pricing.py``       ticket price and room rate (H1), group-buy lines and the e-voucher
  payment that does not combine with room discounts (H3)
- ``api.py``           the API operations; ``models.py`` + ``migrations/`` the voucher table

See docs/plugins/hotel_rooms.md.
"""
from pathlib import Path

from core.benefits import BenefitKind
from core.hookspecs import hookimpl
from core.jobs import Job
from core.ledger import member_balances

from . import card_benefits, models, pricing, vouchers  # noqa: F401  (models: tables join the metadata)
from .api import operations
from .common import ASSET, PLUGIN_ID, ROOM_TYPE_LABELS, ROOM_TYPES

VOUCHERS = ASSET
MIGRATIONS = Path(__file__).parent / "migrations" / "versions"
VALIDITY = {"type": "integer", "minimum": 1, "maximum": 3660,
            "x-label": {"zh-CN": "有效天数", "en": "Days valid"},
            "description": "default: the voucher_validity_days setting"}
BENEFIT_KINDS = [
    BenefitKind("room_voucher", {"zh-CN": "房券", "en": "Room voucher"}, {
        "type": "object", "required": ["room_type"], "additionalProperties": False,
        "properties": {"room_type": {"enum": list(ROOM_TYPES), "x-enum-labels": ROOM_TYPE_LABELS,
                                     "x-label": {"zh-CN": "房型", "en": "Room type"}},
                       "validity_days": VALIDITY}}),
    BenefitKind("e_voucher", {"zh-CN": "电子代金券", "en": "E-voucher"}, {
        "type": "object", "required": ["face_value_fen"], "additionalProperties": False,
        "properties": {"face_value_fen": {"type": "integer", "minimum": 1, "maximum": 10_000_000,
                                          "x-unit": "fen",
                                          "x-label": {"zh-CN": "面值", "en": "Face value"}},
                       "validity_days": VALIDITY}}),
]


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
    if settings["voucher_expiry_notice_days"] >= settings["voucher_validity_days"]:
        problems.append({"pointer": f"{pointer}/voucher_expiry_notice_days",
                         "message": "the notice must come before the vouchers expire (R2)"})
    kinds = {kind["key"] for kind in config.card_kinds}
    # The default benefits are a suggestion for the hotel template's card kinds; only a
    # merchant's own list must name kinds it really has.
    own = next(entry.get("settings", {}) for entry in document["plugins"] if entry["id"] == PLUGIN_ID)
    seen = set()
    for index, benefit in enumerate(own.get("card_benefits", [])):
        at = f"{pointer}/card_benefits/{index}/card_kind"
        if benefit["card_kind"] not in kinds:
            problems.append({"pointer": at,
                             "message": f"card kind {benefit['card_kind']!r} is not one of the "
                                        "merchant's card kinds"})
        elif benefit["card_kind"] in seen:
            problems.append({"pointer": at, "message": f"card kind {benefit['card_kind']!r} "
                                                       "has two benefit entries"})
        seen.add(benefit["card_kind"])
    return problems


@hookimpl
def member_summary(session, member, config):
    return {"room_vouchers": member_balances(session, member.id, [VOUCHERS])[VOUCHERS]}


@hookimpl
def after_card_bound(session, card, config, staff_id, now):
    """H1: a card given to its holder gets its kind's free nights as room vouchers. Not when it
    is printed in a batch: an unsold stock card holds nothing whose validity would be running."""
    card_benefits.give_kind_nights(session, config, card, "card_issued", now, staff_id=staff_id)


@hookimpl
def after_card_kind_changed(session, card, old_kind, config, staff_id, now):
    """H1: an upgraded card gets the new kind's nights it has not had yet, per room type."""
    card_benefits.give_kind_nights(session, config, card, "card_upgrade", now, staff_id=staff_id)


@hookimpl
def after_card_replaced(session, old_card, new_card, config):
    """C5: the core moved the voucher balance; the voucher rows follow it."""
    vouchers.move_to_card(session, old_card, new_card)


@hookimpl
def checkout_price_lines(checkout):
    """H1 ticket price and room rate; H3 group-buy lines get no card discount."""
    pricing.price_lines(checkout)


@hookimpl
def checkout_payment(session, checkout, payment, config):
    """H3/H4: method "e_voucher" pays with one of the card's e-vouchers by its code."""
    if payment.get("method") != "e_voucher":
        return None
    return pricing.pay_with_e_voucher(checkout, payment, config)


@hookimpl
def after_checkout(session, checkout, record, config):
    pricing.link_payments(session, checkout, record)


@hookimpl
def after_checkout_return(session, checkout, returned, config):
    """G3: an e-voucher the return gave back on the ledger is usable again."""
    pricing.reactivate_returned(session, checkout)


@hookimpl
def benefit_kinds():
    """H4: what other plugins (the points wheel) may give on the hotel's behalf."""
    return list(BENEFIT_KINDS)


@hookimpl
def grant_benefit(session, card, benefit, config, now, store_id, staff_id):
    """H4: a room voucher or an e-voucher won on the lucky wheel (or given by a campaign);
    core.benefits.grant checked it against the kind's schema first."""
    kind = benefit.get("kind")
    if kind not in ("room_voucher", "e_voucher"):
        return None
    issued = vouchers.issue(session, config, card, reason="benefit", now=now,
                            room_type=benefit.get("room_type") if kind == "room_voucher" else None,
                            face_value_fen=benefit.get("face_value_fen", 0) if kind == "e_voucher" else 0,
                            validity_days=benefit.get("validity_days"), note=f"benefit {kind}",
                            store_id=store_id, staff_id=staff_id)[0]
    return {"plugin": PLUGIN_ID, **vouchers.voucher_json(issued, card.number)}


@hookimpl
def register_api_operations():
    return operations()


@hookimpl
def register_migrations():
    return [str(MIGRATIONS)]


def expire_vouchers_job(session, config, merchant_id, now) -> dict:
    """Job ``hotel_rooms.expire_vouchers`` (H2): :func:`vouchers.expire`, summarised."""
    summary = vouchers.expire(session, merchant_id, now)
    return {key: summary[key] for key in ("as_of", "cards", "vouchers")}


@hookimpl
def register_jobs():
    """The jobs of plugin.json, as ``hotel_rooms.<job id>``."""
    return [
        Job("hotel_rooms.expire_vouchers", expire_vouchers_job, hour=0, minute=20,
            description="lapse vouchers past their date (H2)"),
        Job("hotel_rooms.issue_birthday_suites", card_benefits.issue_birthday_suites, hour=0, minute=30,
            description="an executive suite voucher on the holder's birthday (H1)"),
    ]


@hookimpl
def register_reports():
    """voucher_liability and voucher_redemptions in the catalogue (issue 12): reports.py."""
    from .reports import reports

    return reports()


@hookimpl
def register_reminder_kinds():
    """``voucher_expiry``: room vouchers about to expire (issue 14), in reminders.py."""
    from .reminders import voucher_expiry_kind

    return [voucher_expiry_kind()]
