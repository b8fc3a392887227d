"""Find a member (phone, card number, name, card swipe), the member page with cards, balances,
history and lifecycle buttons (registering and card issuing: enrol.py)."""
from __future__ import annotations

import re

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core import clock
from core import members as member_service
from core.cards import CARD_NUMBER_PATTERN
from core.config_versions import published_config
from core.errors import HuikaError, NotFound
from core.fields import PHONE_PATTERN
from core.ledger import card_balances, open_lots
from core.models import Card, Merchant

from ..auth import current_staff, login_required
from ..extension import huika
from ..i18n import label
from .blueprint import STAFF_ROLES, bp
from .forms import (
    ExtendForm,
    KeyOnlyForm,
    PinResetForm,
    ReplaceForm,
    SearchForm,
    extra_values,
    member_form_schema,
    normalise_swipe,
)
from .pins import can_manage_pins, pin_view
from .projection import card_projection_texts
from .ops import (
    KEY_PATTERN,
    asset_info,
    balance_rows,
    error_messages,
    features,
    find_operation,
    history_rows,
    new_key,
    run,
    status_of,
)

_PHONE = re.compile(PHONE_PATTERN)
PER_PAGE = 20

# action slug -> (operationId, statuses it applies to)
LIFECYCLE = {
    "report-lost": ("reportCardLost", ("active", "frozen")),
    "freeze": ("freezeCard", ("active",)),
    "unfreeze": ("unfreezeCard", ("frozen", "lost")),
    "extend": ("extendCard", ("active", "frozen", "expired")),
    "replace": ("replaceCard", ("active", "lost", "frozen", "expired")),
}


def lifecycle_titles() -> dict:
    return {"report-lost": _("Report lost"), "freeze": _("Freeze"), "unfreeze": _("Unfreeze"),
            "extend": _("Extend"), "replace": _("Replace card")}


def status_titles() -> dict:
    return {"issued": _("In stock"), "active": _("Active"), "lost": _("Reported lost"),
            "frozen": _("Frozen"), "replaced": _("Replaced"), "expired": _("Expired")}


def card_target(card: Card) -> str:
    if card.member_id is not None:
        return url_for("cashier.member", member_id=card.member_id, _anchor=f"card-{card.number}")
    return url_for("cashier.card", number=card.number)


# -- search ------------------------------------------------------------------------------

@bp.get("/")
@login_required(*STAFF_ROLES)
def index():
    """The search box (autofocused; a card reader types the number and Enter into it)."""
    staff = current_staff()
    form = SearchForm(request.args)
    query = normalise_swipe(request.args.get("q", ""))
    results, total, page, message = None, 0, 1, None
    if query:
        try:
            page = min(max(1, int(request.args.get("page", "1"))), member_service.MAX_PAGE)
        except ValueError:
            page = 1
        with huika().db.read() as session:
            card = session.scalar(select(Card).where(Card.merchant_id == staff.merchant_id,
                                                     Card.number == query)) if CARD_NUMBER_PATTERN.match(query) else None
            if card is not None:
                return redirect(card_target(card))
            if _PHONE.match(query):
                found = member_service.search_members(session, staff.merchant_id, phone=query)
                if found.total == 1:
                    return redirect(url_for("cashier.member", member_id=found.items[0].id))
            elif query.isdigit():
                found = None
                message = _("No card has the number %(number)s.", number=query)
            else:
                found = member_service.search_members(session, staff.merchant_id, name_prefix=query,
                                                      page=page, per_page=PER_PAGE)
            if found is not None:
                total = found.total
                results = [{"id": m.id, "name": m.name, "phone": m.phone,
                            "cards": [c.number for c in m.cards if c.status != "replaced"]}
                           for m in found.items]
            if not results and message is None:
                message = _("No member found for “%(query)s”.", query=query)
        form.q.data = query
    return render_template("cashier/index.html", form=form, query=query, results=results,
                           total=total, page=page, per_page=PER_PAGE, message=message,
                           phone_like=bool(_PHONE.match(query)))


# -- member page -------------------------------------------------------------------------

def _member_page(member_id: int, *, error: dict | None = None, status: int = 200):
    staff = current_staff()
    with huika().db.read() as session:
        config = published_config(session, staff.merchant_id, huika().plugins)
        try:
            member = member_service.get_member(session, staff.merchant_id, member_id)
        except NotFound:
            abort(404)
        summary: dict = {}
        for part in config.hook("member_summary")(session=session, member=member, config=config):
            summary.update(part or {})
        _schema, definitions = member_form_schema(config)
        cards = []
        tier_names = {t["key"]: t for t in config.tiers}
        for card in member.cards:
            tier = card.tier
            cards.append({
                "number": card.number, "status": card.status,
                "kind": label((config.card_kind(card.kind) or {}).get("name")) or card.kind,
                "tier": label(tier_names[tier.key]["name"]) if tier and tier.key in tier_names
                else (tier.name_zh if tier else ""),
                "discount_permille": tier.discount_permille if tier else 1000,
                "expires_on": card.expires_on.isoformat() if card.expires_on else "",
                "has_pin": card.pin_hash is not None,
                "pin": pin_view(card),
                "balances": balance_rows(card_balances(session, card.id)),
                "lots": [{**lot, "asset_title": label(asset_info(lot["asset"]).get("title")) or lot["asset"]}
                         for lot in open_lots(session, card.id) if lot["expires_on"]],
                "projection": card_projection_texts(session, card, config, clock.now_utc())
                if card.status == "active" else [],
            })
        profile = {"id": member.id, "name": member.name, "phone": member.phone,
                   "gender": member.gender, "birthday": member.birthday,
                   "birthday_calendar": member.birthday_calendar, "address": member.address,
                   "occupation": member.occupation, "channel": member.channel,
                   "extra": extra_values(member.extra, definitions)}
    offered = features(config, staff.role)
    for card in cards:
        card["history"] = []
        if card["status"] != "replaced":
            try:
                outcome = run("getCardHistory", params={"card_number": card["number"]},
                              query={"per_page": "5"})
                card["history"] = history_rows(outcome.body["items"])
            except HuikaError:
                pass
        card["actions"] = _card_actions(card, config, staff.role)
    generic_screens = _screens_for(config, staff.role)
    return render_template(
        "cashier/member.html", member=profile, cards=cards, summary=summary, features=offered,
        error=error or {}, titles=lifecycle_titles(), statuses=status_titles(),
        extend_form=ExtendForm(), replace_form=ReplaceForm(idempotency_key=new_key()),
        key_form=KeyOnlyForm(), screens=generic_screens, pin_form=PinResetForm(),
        manages_pins=can_manage_pins(staff.role),
        can_issue=sum(1 for c in cards if c["status"] in ("active", "frozen", "lost"))
        < config.policies["cards_per_member"]), status


def _card_actions(card: dict, config, role: str) -> list[str]:
    actions = []
    for action, (operation_id, statuses) in LIFECYCLE.items():
        op = find_operation(operation_id)
        if op is None or role not in op.roles or card["status"] not in statuses:
            continue
        if action == "replace" and not config.policies.get("allow_replacement", True):
            continue
        actions.append(action)
    return actions


def _screens_for(config, role: str) -> list[dict]:
    """Screens of enabled plugins and the merchant's own whose operation is served here."""
    from .actions import available_screens

    return available_screens(config, role)


@bp.get("/members/<int:member_id>")
@login_required(*STAFF_ROLES)
def member(member_id: int):
    return _member_page(member_id)


@bp.get("/cards/<number>")
@login_required(*STAFF_ROLES)
def card(number: str):
    """A swiped card: its member's page, or, for a card still in stock, what it is."""
    staff = current_staff()
    with huika().db.read() as session:
        found = session.scalar(select(Card).where(Card.merchant_id == staff.merchant_id,
                                                  Card.number == number))
        if found is None:
            abort(404)
        if found.member_id is not None:
            return redirect(card_target(found))
        info = {"number": found.number, "status": found.status, "kind": found.kind,
                "batch": found.batch, "has_pin": found.pin_hash is not None}
    return render_template("cashier/card.html", card=info, statuses=status_titles())


@bp.post("/cards/<number>/<action>")
@login_required(*STAFF_ROLES)
def lifecycle(number: str, action: str):
    """Report lost, freeze, unfreeze, extend, replace: the role is checked by the operation."""
    if action not in LIFECYCLE:
        abort(404)
    staff = current_staff()
    with huika().db.read() as session:
        card = session.scalar(select(Card).where(Card.merchant_id == staff.merchant_id,
                                                 Card.number == number))
        if card is None:
            abort(404)
        member_id = card.member_id
    form = {"extend": ExtendForm, "replace": ReplaceForm}.get(action, KeyOnlyForm)()
    body, key = {}, None
    values = {}
    if not form.validate():
        messages = [m for errors in form.errors.values() for m in errors]
        return _lifecycle_error(member_id, number, action, messages, 422, values)
    if action == "extend":
        body = {"expires_on": form.expires_on.data.isoformat()}
        values["expires_on"] = body["expires_on"]
    if action == "replace":
        new_number = normalise_swipe(form.new_number.data or "")
        values["new_number"] = new_number
        if new_number:
            body["new_number"] = new_number
        key = form.idempotency_key.data if KEY_PATTERN.match(form.idempotency_key.data or "") else None
        if key is None:
            return _lifecycle_error(member_id, number, action,
                                    [_("This form is out of date; submit it again.")], 422, values)
    operation_id = LIFECYCLE[action][0]
    try:
        outcome = run(operation_id, params={"card_number": number}, body=body, key=key)
    except HuikaError as error:
        return _lifecycle_error(member_id, number, action, error_messages(error),
                                status_of(error), values)
    if action == "replace":
        new = outcome.body["new_card"]["number"]
        flash(_("Card %(old)s was replaced by card %(new)s; every balance moved to the new card.",
                old=number, new=new))
        return redirect(url_for("cashier.member", member_id=member_id, _anchor=f"card-{new}"), 303)
    flash(_("%(action)s: done for card %(number)s.", action=lifecycle_titles()[action], number=number))
    if member_id is None:
        return redirect(url_for("cashier.card", number=number), 303)
    return redirect(url_for("cashier.member", member_id=member_id, _anchor=f"card-{number}"), 303)


def _lifecycle_error(member_id, number, action, messages, status, values):
    error = {"card": number, "action": action, "messages": messages, "values": values}
    if member_id is None:
        flash("; ".join(messages), "error")
        return redirect(url_for("cashier.card", number=number), 303)
    return _member_page(member_id, error=error, status=status)


# -- printing the member QR code ---------------------------------------------------------

@bp.get("/member-qr")
@login_required(*STAFF_ROLES)
def member_qr():
    staff = current_staff()
    with huika().db.read() as session:
        merchant = session.get(Merchant, staff.merchant_id)
        name = merchant.name
    return render_template("cashier/member_qr.html", merchant_name=name,
                           register_url=url_for("member.register", merchant_id=staff.merchant_id,
                                                _external=True),
                           qr_url=url_for("member.qr_svg", merchant_id=staff.merchant_id))
