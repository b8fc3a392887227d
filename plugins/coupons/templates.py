"""Coupon templates (campaigns): what a coupon takes off, on which lines, for how long.

A template's terms (kind, value, rate, minimum spend, lines, validity) are fixed once saved:
coupons already issued carry them, so changing them would change money already promised.
What may change: the name, the note, the limits, the issue rules and whether it is active
(an inactive template issues no more coupons; the ones out there stay usable until voided).
"""
from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.clock import parse_date
from core.errors import Conflict, Invalid, NotFound, problem
from core.tenancy import rules_changed

from .common import KIND_NAMES, zhe
from .models import CouponTemplate

MAX_FEN = 100_000_000  # 1,000,000 yuan
EDITABLE = ("name", "note", "active", "per_member_limit", "total_limit",
            "issue_on_member_created", "issue_on_checkout_fen")


def template_json(template: CouponTemplate) -> dict:
    return {"id": template.id, "name": template.name, "kind": template.kind,
            "kind_name": KIND_NAMES[template.kind]["zh-CN"], "terms": terms_text(template),
            "value_fen": template.value_fen, "discount_permille": template.discount_permille,
            "max_discount_fen": template.max_discount_fen, "min_spend_fen": template.min_spend_fen,
            "categories": list(template.categories or []),
            "special_price_lines": template.special_price_lines,
            "valid_from": _iso(template.valid_from), "valid_until": _iso(template.valid_until),
            "valid_days": template.valid_days, "per_member_limit": template.per_member_limit,
            "total_limit": template.total_limit,
            "issue_on_member_created": template.issue_on_member_created,
            "issue_on_checkout_fen": template.issue_on_checkout_fen, "active": template.active,
            "note": template.note}


def terms_text(template: CouponTemplate) -> str:
    """The coupon's terms as a merchant writes them: 满200减30, 8.5折, 20元代金券."""
    if template.kind == "threshold":
        text = f"满{_yuan_short(template.min_spend_fen)}减{_yuan_short(template.value_fen)}"
    elif template.kind == "discount":
        text = zhe(template.discount_permille)
        if template.max_discount_fen:
            text += f"（最多减{_yuan_short(template.max_discount_fen)}元）"
    else:
        text = f"{_yuan_short(template.value_fen)}元代金券"
    if template.kind != "threshold" and template.min_spend_fen:
        text = f"满{_yuan_short(template.min_spend_fen)}可用，" + text
    return text


def _yuan_short(fen: int) -> str:
    whole, cents = divmod(fen, 100)
    return str(whole) if cents == 0 else f"{whole}.{cents:02d}".rstrip("0")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day else None


def list_templates(session: Session, merchant_id: int) -> list[dict]:
    return [template_json(t) for t in session.scalars(
        select(CouponTemplate).where(CouponTemplate.merchant_id == merchant_id)
        .order_by(CouponTemplate.id))]


def get_template(session: Session, merchant_id: int, template_id, *, lock: bool = False) -> CouponTemplate:
    query = select(CouponTemplate).where(CouponTemplate.merchant_id == merchant_id,
                                         CouponTemplate.id == template_id)
    template = session.scalar(query.with_for_update() if lock else query)
    if template is None:
        raise NotFound(f"coupon template {template_id} does not exist")
    return template


def create_template(session: Session, merchant_id: int, body: dict) -> CouponTemplate:
    """A new template from the API body (shape already checked by its JSON Schema)."""
    problems = []
    kind = body["kind"]
    value = body.get("value_fen", 0)
    permille = body.get("discount_permille")
    minimum = body.get("min_spend_fen", 0)
    if kind == "discount":
        if permille is None:
            problems.append(problem("/discount_permille", "a 折扣券 needs its rate: 850 = 8.5折"))
        if value:
            problems.append(problem("/value_fen", "a 折扣券 takes a rate, not an amount"))
    else:
        if not value:
            problems.append(problem("/value_fen", "the amount taken off, in fen (at least 1)"))
        if permille is not None or body.get("max_discount_fen") is not None:
            problems.append(problem("/discount_permille", "only a 折扣券 has a rate and a cap"))
    if kind == "threshold" and minimum < value:
        problems.append(problem("/min_spend_fen", "满减: spend at least as much as is taken off "
                                                  "(满200减30: min_spend_fen 20000, value_fen 3000)"))
    valid_from = _date(body, "valid_from", problems)
    valid_until = _date(body, "valid_until", problems)
    days = body.get("valid_days")
    if (days is None) == (valid_until is None):
        problems.append(problem("/valid_days", "either valid_days (N days from issue) or "
                                               "valid_until (a fixed last day), not both"))
    if days is not None and valid_from is not None:
        problems.append(problem("/valid_from", "a fixed first day goes with valid_until"))
    if valid_from and valid_until and valid_until < valid_from:
        problems.append(problem("/valid_until", "on or after valid_from"))
    if not body["name"].strip():
        problems.append(problem("/name", "text that is not blank"))
    if problems:
        raise Invalid("the coupon template is not valid; nothing was saved", details=problems)
    template = CouponTemplate(
        merchant_id=merchant_id, name=body["name"].strip(), kind=kind, value_fen=value,
        discount_permille=permille, max_discount_fen=body.get("max_discount_fen"),
        min_spend_fen=minimum, categories=sorted(set(body.get("categories", []))),
        special_price_lines=body.get("special_price_lines", False), valid_from=valid_from,
        valid_until=valid_until, valid_days=days, active=body.get("active", True),
        per_member_limit=body.get("per_member_limit"), total_limit=body.get("total_limit"),
        issue_on_member_created=body.get("issue_on_member_created", False),
        issue_on_checkout_fen=body.get("issue_on_checkout_fen"), note=body.get("note", "").strip())
    _save(session, template)
    return template


def update_template(session: Session, merchant_id: int, template_id: int, body: dict) -> CouponTemplate:
    template = get_template(session, merchant_id, template_id, lock=True)
    fixed = sorted(set(body) - set(EDITABLE))
    if fixed:
        raise Invalid("a template's terms are fixed once saved: make a new template",
                      details=[problem(f"/{key}", "fixed once saved") for key in fixed])
    if "name" in body and not body["name"].strip():
        raise Invalid("the name is blank; nothing was saved", details=[problem("/name", "text")])
    for key in EDITABLE:
        if key in body:
            setattr(template, key, body[key].strip() if key in ("name", "note") else body[key])
    _save(session, template)
    return template


def _date(body: dict, key: str, problems: list) -> date | None:
    if body.get(key) is None:
        return None
    try:
        return parse_date(body[key])
    except (TypeError, ValueError):
        problems.append(problem(f"/{key}", "a date YYYY-MM-DD"))
        return None


def _save(session: Session, template: CouponTemplate) -> None:
    try:
        with session.begin_nested():
            session.add(template)
            session.flush()
    except IntegrityError:
        raise Conflict(f"a coupon template named {template.name!r} already exists",
                       code="duplicate_template") from None
    rules_changed(session, template.merchant_id)  # checkout_threshold may have moved
