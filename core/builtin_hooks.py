"""The core's own checks, written as a plugin on the same hooks (as datasette does).

Registered first and always called, whatever the merchant enables.
"""
from __future__ import annotations

from .checkout_types import PaymentResult
from .errors import Invalid, problem
from .hookspecs import hookimpl
from .ledger import Posting, merchant_account
from .pricing import line_price
from .tiers import record_spend, upgrade_card_tier

# Member columns a custom field may not shadow.
RESERVED_FIELD_KEYS = frozenset({
    "id", "name", "phone", "gender", "birthday", "birthday_calendar", "birthday_leap_month",
    "address", "occupation", "income_band", "extra", "cards", "channel", "created_at",
    "updated_at", "merchant_id", "registered_store_id",
})


@hookimpl
def validate_config(config, document):
    """Uniqueness and cross-references that JSON Schema cannot express."""
    problems = []
    problems += _duplicates(document.get("fields", []), "key", "/fields")
    problems += _duplicates(document.get("tiers", []), "key", "/tiers")
    problems += _duplicates(document.get("tiers", []), "rank", "/tiers")
    problems += _duplicates(document.get("card_kinds", []), "key", "/card_kinds")
    problems += _duplicates(document.get("plugins", []), "id", "/plugins")
    problems += _duplicates(document.get("screens", []), "id", "/screens")

    plugin_field_owner = {}
    for plugin_id in config.enabled_plugins:
        for field in config.registry.plugins[plugin_id].fields:
            plugin_field_owner[field["key"]] = plugin_id
    for index, field in enumerate(document.get("fields", [])):
        pointer = f"/fields/{index}/key"
        if field["key"] in RESERVED_FIELD_KEYS:
            problems.append({"pointer": pointer,
                             "message": f"{field['key']!r} is a built-in member property"})
        elif field["key"] in plugin_field_owner:
            problems.append({"pointer": pointer, "message": (
                f"{field['key']!r} is already a field of plugin "
                f"{plugin_field_owner[field['key']]!r}")})

    enabled = {entry["id"] for entry in document.get("plugins", [])}
    for index, entry in enumerate(document.get("plugins", [])):
        info = config.registry.get(entry["id"])
        for dependency in info.dependencies if info else []:
            if dependency not in enabled:
                problems.append({"pointer": f"/plugins/{index}/id", "message": (
                    f"plugin {entry['id']!r} needs plugin {dependency!r} enabled too")})
    return problems


def _duplicates(items: list[dict], key: str, pointer: str) -> list[dict]:
    seen: dict = {}
    problems = []
    for index, item in enumerate(items):
        if key not in item:
            continue
        if item[key] in seen:
            problems.append({"pointer": f"{pointer}/{index}/{key}", "message": (
                f"{key} {item[key]!r} is used twice (first at {pointer}/{seen[item[key]]})")})
        else:
            seen[item[key]] = index
    return problems


# -- checkout ------------------------------------------------------------------------

CASH_ASSET = "cny"
EXTERNAL_CHANNELS = ("wechat", "alipay", "unionpay", "other")


@hookimpl(tryfirst=True)
def checkout_price_lines(checkout):
    """C2: promotion x tier discount, half-up once per line; special price gets neither.

    A catalogue line with a member price for the card's tier pays that price instead of the
    tier discount (the store promotion still multiplies it); walk-ins pay the list price (C7).
    """
    member = checkout.tier is not None and not checkout.walk_in
    tier_permille = checkout.tier.discount_permille if member else 1000
    for line in checkout.lines:
        member_fen = (line.member_prices or {}).get(checkout.tier.key) if member else None
        if member_fen is not None and not line.special_price:
            line.member_price_fen = member_fen
            line.tier_permille = 1000
            line.paid_fen = line_price(member_fen * line.quantity, line.promotion_permille, 1000, False)
            continue
        line.member_price_fen = None
        line.tier_permille = 1000 if line.special_price else tier_permille
        line.paid_fen = line_price(line.list_fen, line.promotion_permille, line.tier_permille,
                                   line.special_price)


@hookimpl
def checkout_payment(session, checkout, payment, config):
    """Cash at the till and external payments (WeChat Pay, Alipay, bank card terminal)."""
    method = payment["method"]
    if method not in ("cash", "external"):
        return None
    amount = payment.get("amount_fen")
    if type(amount) is not int or amount < 0:
        raise Invalid("amount_fen must be whole fen, 0 or more",
                      details=[problem("/payments", f"{method}: amount_fen in whole fen")])
    purpose = "cash_drawer"
    receipt = {}
    if method == "external":
        channel = payment.get("channel")
        if channel not in EXTERNAL_CHANNELS:
            raise Invalid("external payments need a channel",
                          details=[problem("/payments", "channel: " + ", ".join(EXTERNAL_CHANNELS))])
        purpose = f"external_{channel}"
        reference = payment.get("reference", "")
        receipt = {"channel": channel, "reference": str(reference)[:60]}
    till = merchant_account(session, checkout.merchant_id, purpose, CASH_ASSET)
    sales = merchant_account(session, checkout.merchant_id, "sales", CASH_ASSET)
    return PaymentResult(amount_fen=amount, postings=[Posting(till, amount), Posting(sales, -amount)],
                         receipt=receipt)


@hookimpl
def after_checkout(session, checkout, record, config):
    """C4: count the sale in the card's running spend, and move the card up to the highest
    tier whose condition this checkout meets (from the next checkout)."""
    if checkout.card is None:
        return
    record_spend(session, checkout.card.id, checkout.today, record.due_total_fen)
    spent = None
    if checkout.card_held and checkout.spent_before is not None:  # read with the held card
        spent = {start: fen + record.due_total_fen for start, fen in checkout.spent_before.items()}
    upgrade_card_tier(session, checkout.card, config, single_purchase_fen=record.due_total_fen,
                      now=checkout.now, spent=spent)


@hookimpl
def register_reports():
    """The core's reports (issue 12): served like any plugin's."""
    from .reports.builtin import core_reports

    return core_reports()


@hookimpl
def register_migrations():
    from .migrate import MIGRATIONS_DIR

    return [str(MIGRATIONS_DIR / "versions")]


@hookimpl
def register_import_kinds():
    """The core's own import kinds: members and cards (issue 12, item 9)."""
    from .imports.members import core_kinds  # here: core.imports needs the whole core loaded

    return core_kinds()


@hookimpl
def register_message_senders():
    """The built-in gateways: console, SMTP, a generic SMS HTTP gateway, Tencent Cloud SMS, WeChat templates."""
    from .messages.builtin_senders import builtin_senders

    return builtin_senders()


@hookimpl
def register_jobs():
    """The core's own jobs (the rollup fold; issue 14's dispatcher and member care)."""
    from .builtin_jobs import builtin_jobs

    return builtin_jobs()
