"""The audit log for owners: filter by staff, action, target and local dates, newest first."""
from __future__ import annotations

import json

from flask import render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from core import audit
from core.errors import Invalid
from core.models import Staff

from ..extension import huika
from ..screens import format_yuan, format_zhe
from .blueprint import bp
from .common import merchant_id, owner_required

ACTION_LABELS = {
    "config.draft.save": _l("Draft saved"),
    "config.draft.edit": _l("Draft edited"),
    "config.draft.discard": _l("Draft discarded"),
    "config.template.apply": _l("Template applied"),
    "config.publish": _l("Configuration published"),
    "config.rollback": _l("Old version brought back"),
    "config.plugin.enable": _l("Plugin enabled"),
    "config.plugin.disable": _l("Plugin disabled"),
    "config.plugin.settings": _l("Plugin settings changed"),
    "config.field.create": _l("Field added"),
    "config.field.update": _l("Field changed"),
    "config.field.delete": _l("Field removed"),
    "config.fields.reorder": _l("Fields reordered"),
    "config.tiers.update": _l("Tiers changed"),
    "config.card_kinds.update": _l("Card kinds changed"),
    "config.screen.arrange": _l("Screen arranged"),
    "config.screen.reset": _l("Screen reset"),
    "merchant.create": _l("Merchant created"),
    "store.create": _l("Store created"),
    "staff.create": _l("Staff user created"),
    "staff.role_change": _l("Staff role changed"),
    "staff.password_reset": _l("Password reset"),
    "staff.activate": _l("Staff user reactivated"),
    "staff.deactivate": _l("Staff user deactivated"),
    "staff.token.issue": _l("API token issued"),
    "staff.token.revoke": _l("API token revoked"),
    "card.issue": _l("Card issued"),
    "card.bind": _l("Card bound"),
    "card.report_lost": _l("Card reported lost"),
    "card.freeze": _l("Card frozen"),
    "card.unfreeze": _l("Card unfrozen"),
    "card.extend": _l("Card extended"),
    "card.change_kind": _l("Card kind changed"),
    "card.replace": _l("Card replaced"),
    "card.pin_change": _l("PIN changed"),
    "card.pin_reset": _l("PIN reset"),
    "card.pin_unblock": _l("PIN unblocked"),
    "points.adjust": _l("Points adjusted by hand"),
    "points.expire": _l("Points expired by hand"),
    "points.mall_item.create": _l("Mall item added"),
    "points.mall_item.update": _l("Mall item changed"),
    "points.wheel_prize.create": _l("Wheel prize added"),
    "points.wheel_prize.update": _l("Wheel prize changed"),
    "stored_value.recharge": _l("Stored value recharged"),
    "stored_value.withdraw": _l("Stored value withdrawn"),
    "stored_value.refund": _l("Card refunded"),
    "stored_value.cheque_clear": _l("Cheque cleared"),
    "stored_value.cheque_bounce": _l("Cheque bounced"),
    "goods.categories": _l("Goods categories saved"),
    "goods.products": _l("Products saved"),
    "goods.stock": _l("Stock movements recorded"),
    "room_vouchers.issue": _l("Room vouchers issued"),
    "room_vouchers.expire": _l("Room vouchers expired by hand"),
    "coupons.template_create": _l("Coupon campaign added"),
    "coupons.template_update": _l("Coupon campaign changed"),
    "coupons.issue": _l("Coupons issued"),
    "coupons.void": _l("Coupon voided"),
    "training.course.create": _l("Course added"),
    "training.course.update": _l("Course changed"),
    "training.plan.create": _l("Plan added"),
    "training.plan.update": _l("Plan changed"),
    "training.package.freeze": _l("Course package frozen"),
    "training.package.unfreeze": _l("Course package unfrozen"),
    "export": _l("Export"),
    "import.members": _l("Members imported"),
    "import.cards": _l("Cards imported"),
    "import.stored_value": _l("Stored value imported"),
    "import.points": _l("Points imported"),
    "import.course_packages": _l("Course packages imported"),
    "import.goods_catalogue": _l("Goods catalogue imported"),
    "messages.template.save": _l("Message template saved"),
    "messages.template.delete": _l("Message template removed"),
    "messages.channel.save": _l("Message channel set up"),
    "messages.policy.save": _l("Sending rules changed"),
}


def channel_labels() -> dict[str, str]:
    return {"api": _("API"), "web": _("Web page"), "cli": _("Command line")}


def _text(value, path: str = "") -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    if isinstance(value, int) and not isinstance(value, bool):  # in the owner's units: 8.8折, ¥12.50
        if path.endswith("discount_permille"):
            return format_zhe(value)
        if path.endswith("_fen"):
            return f"¥{format_yuan(value)}"
    return json.dumps(_owner_units(value), ensure_ascii=False, sort_keys=True)


def _owner_units(value, key: str = ""):
    """Nested money and discounts as the owner reads them: {"amount_fen": 8850} -> {"amount_fen": "¥88.50"}."""
    if isinstance(value, dict):
        return {k: _owner_units(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_owner_units(v, key) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and (key.endswith("_fen")
                                                                   or key == "discount_permille"):
        return _text(value, key)
    return value


def readable_changes(before, after) -> list[dict]:
    """Rows of (what, was, now) from the before/after documents, flattened to dotted paths."""
    rows: list[dict] = []

    def walk(old, new, path: str) -> None:
        if isinstance(old, dict) or isinstance(new, dict):
            old = old if isinstance(old, dict) else {}
            new = new if isinstance(new, dict) else {}
            for key in [*old, *[k for k in new if k not in old]]:
                walk(old.get(key), new.get(key), f"{path}.{key}" if path else str(key))
            return
        if old != new or path:
            rows.append({"what": path or "—", "was": _text(old, path), "now": _text(new, path)})

    walk(before, after, "")
    return rows


@bp.get("/audit")
@owner_required
def audit_log():
    error = None
    try:
        filters = audit.parse_filters(request.args)
    except Invalid as invalid:
        error = "; ".join(f"{d['pointer'].strip('/')}: {d['message']}" for d in invalid.details)
        filters = {}
    with huika().db.read() as session:
        page = audit.search(session, merchant_id(), **filters)
        staff = [(s.id, s.username) for s in session.scalars(
            select(Staff).where(Staff.merchant_id == merchant_id()).order_by(Staff.username))]
        rows = [{"entry": {**audit.entry_json(entry), "created_at": entry.created_at},
                 "changes": readable_changes(entry.before, entry.after),
                 "action_label": ACTION_LABELS.get(entry.action, entry.action)} for entry in page.items]
    pages = max(1, -(-page.total // page.per_page))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    return render_template(
        "editor/audit.html", rows=rows, page=page, pages=pages, error=error, staff_users=staff,
        actions=sorted(ACTION_LABELS.items(), key=lambda item: item[0]), channels=channel_labels(),
        values=request.args, cli_label=_("Command line"),
        previous_url=url_for("editor.audit_log", **args, page=page.page - 1) if page.page > 1 else None,
        next_url=url_for("editor.audit_log", **args, page=page.page + 1) if page.page < pages else None,
    ), 422 if error else 200
