"""Issuing coupons: by hand (staff, API or screen), by rule (a new member, a checkout over X),
as a benefit another plugin gives (a lucky-wheel prize); and voiding, expiry, card moves.

Limits are counted under the template's row lock (PostgreSQL ``FOR UPDATE``; SQLite's write
transaction is already exclusive), so two tills issuing at once cannot pass a limit together.
Voided coupons do not count against the limits (a coupon issued by mistake and voided).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from core.clock import local_date
from core.errors import Conflict, NotFound
from core.models import Card

from .common import STATUS_NAMES, new_code, normalize_code
from .models import Coupon, CouponTemplate
from .templates import get_template, terms_text


def coupon_json(coupon: Coupon, template: CouponTemplate, today=None, card_number: str | None = None) -> dict:
    status = coupon.status
    if status == "issued" and today is not None and coupon.valid_until < today:
        status = "expired"  # past its last day; the nightly job has not swept it yet
    return {"code": coupon.code, "template_id": template.id, "name": template.name,
            "kind": template.kind, "terms": terms_text(template), "value_fen": template.value_fen,
            "discount_permille": template.discount_permille,
            "max_discount_fen": template.max_discount_fen, "min_spend_fen": template.min_spend_fen,
            "categories": list(template.categories or []),
            "special_price_lines": template.special_price_lines,
            "status": status, "status_name": STATUS_NAMES[status],
            "member_id": coupon.member_id, "card_number": card_number,
            "valid_from": coupon.valid_from.isoformat(), "valid_until": coupon.valid_until.isoformat(),
            "reason": coupon.reason, "issued_at": coupon.issued_at.isoformat(), "note": coupon.note}


def issue(session: Session, template_id: int, merchant_id: int, *, member_id: int | None,
          card: Card | None, quantity: int, reason: str, now: datetime, staff_id: int | None = None,
          store_id: int | None = None, source_checkout_id: int | None = None, note: str = "",
          strict: bool = True) -> list[Coupon]:
    """``quantity`` new coupons of the template, or a Conflict saying why not (``strict``);
    by rule (``strict`` False) a template that cannot issue quietly issues nothing."""
    template = get_template(session, merchant_id, template_id, lock=True)
    today = local_date(now)
    try:
        start, end = _validity(template, today)
        _check_limits(session, template, member_id, quantity)
    except Conflict:
        if strict:
            raise
        return []
    codes = _fresh_codes(session, merchant_id, quantity)
    coupons = [Coupon(merchant_id=merchant_id, template_id=template.id, code=code,
                      member_id=member_id, card_id=card.id if card else None, status="issued",
                      reason=reason, valid_from=start, valid_until=end,
                      source_checkout_id=source_checkout_id, issued_at=now,
                      issued_by_staff_id=staff_id, store_id=store_id, note=note)
               for code in codes]
    session.add_all(coupons)
    session.flush()
    return coupons


def _validity(template: CouponTemplate, today):
    if not template.active:
        raise Conflict(f"the campaign {template.name!r} is switched off: it issues no coupons",
                       code="template_inactive")
    if template.valid_days is not None:
        return today, today + timedelta(days=template.valid_days - 1)
    if template.valid_until < today:
        raise Conflict(f"the campaign {template.name!r} ended on {template.valid_until}",
                       code="template_ended")
    return template.valid_from or today, template.valid_until


def _check_limits(session: Session, template: CouponTemplate, member_id: int | None, quantity: int) -> None:
    counted = select(func.count()).select_from(Coupon).where(
        Coupon.merchant_id == template.merchant_id, Coupon.template_id == template.id,
        Coupon.status != "voided")
    if template.total_limit is not None:
        issued = session.scalar(counted)
        if issued + quantity > template.total_limit:
            raise Conflict(f"the campaign {template.name!r} issues at most {template.total_limit} "
                           f"coupons; {max(template.total_limit - issued, 0)} left",
                           code="coupon_limit")
    if template.per_member_limit is not None and member_id is not None:
        held = session.scalar(counted.where(Coupon.member_id == member_id))
        if held + quantity > template.per_member_limit:
            raise Conflict(f"the campaign {template.name!r} gives at most "
                           f"{template.per_member_limit} per member; this member has {held}",
                           code="coupon_limit")


def _fresh_codes(session: Session, merchant_id: int, quantity: int) -> list[str]:
    codes: set[str] = set()
    while len(codes) < quantity:
        wanted = {new_code() for _ in range(quantity - len(codes))} - codes
        taken = set(session.scalars(select(Coupon.code).where(Coupon.merchant_id == merchant_id,
                                                              Coupon.code.in_(wanted))))
        codes |= wanted - taken
    return sorted(codes)


def find(session: Session, merchant_id: int, raw_code) -> tuple[Coupon, CouponTemplate]:
    code = normalize_code(raw_code)
    row = code and session.execute(
        select(Coupon, CouponTemplate).join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
        .where(Coupon.merchant_id == merchant_id, Coupon.code == code)).first()
    if not row:
        raise NotFound(f"no coupon with code {raw_code!r}")
    return row.Coupon, row.CouponTemplate


def usable_query(merchant_id: int, today, *, member_id: int | None, card_id: int | None):
    """Coupons a card's holder can use today: the member's, or the card's own if unbound."""
    owner = [Coupon.card_id == card_id] if card_id is not None else []
    if member_id is not None:
        owner.append(Coupon.member_id == member_id)
    return (select(Coupon, CouponTemplate)
            .join(CouponTemplate, CouponTemplate.id == Coupon.template_id)
            .where(Coupon.merchant_id == merchant_id, Coupon.status == "issued",
                   Coupon.valid_from <= today, Coupon.valid_until >= today, or_(*owner)))


def usable_for_card(session: Session, merchant_id: int, card: Card, today) -> list[dict]:
    rows = session.execute(usable_query(merchant_id, today, member_id=card.member_id, card_id=card.id)
                           .order_by(Coupon.valid_until, Coupon.id)).all()
    return [coupon_json(row.Coupon, row.CouponTemplate, today, card.number) for row in rows]


def usable_count(session: Session, merchant_id: int, member_id: int, today) -> int:
    query = usable_query(merchant_id, today, member_id=member_id, card_id=None)
    return session.scalar(select(func.count()).select_from(query.subquery()))


def void(session: Session, merchant_id: int, raw_code, now: datetime, note: str = "") -> tuple[Coupon, CouponTemplate]:
    coupon, template = find(session, merchant_id, raw_code)
    done = session.execute(update(Coupon).where(Coupon.id == coupon.id, Coupon.status == "issued")
                           .values(status="voided", closed_at=now,
                                   note=(note or coupon.note)[:200])
                           .execution_options(synchronize_session=False))
    if done.rowcount != 1:
        session.refresh(coupon)
        raise Conflict(f"coupon {coupon.code} is {coupon.status}, not unused: it cannot be voided",
                       code="coupon_not_issued")
    session.refresh(coupon)
    return coupon, template


def expire(session: Session, merchant_id: int, now: datetime) -> int:
    """Coupons past their last local day: issued -> expired. Returns how many."""
    done = session.execute(update(Coupon).where(
        Coupon.merchant_id == merchant_id, Coupon.status == "issued",
        Coupon.valid_until < local_date(now)).values(status="expired", closed_at=now)
        .execution_options(synchronize_session=False))
    return done.rowcount


def by_rule(session: Session, merchant_id: int, *, rule, member_id: int | None, card: Card | None,
            reason: str, now: datetime, staff_id=None, store_id=None, source_checkout_id=None) -> list[Coupon]:
    """One coupon of every active template whose rule matches (``rule`` filters templates)."""
    issued = []
    for template_id in session.scalars(select(CouponTemplate.id).where(
            CouponTemplate.merchant_id == merchant_id, CouponTemplate.active.is_(True), rule)
            .order_by(CouponTemplate.id)):
        issued += issue(session, template_id, merchant_id, member_id=member_id, card=card,
                        quantity=1, reason=reason, now=now, staff_id=staff_id, store_id=store_id,
                        source_checkout_id=source_checkout_id, strict=False)
    return issued


def checkout_threshold(session: Session, config, merchant_id: int) -> int | None:
    """The lowest spend that earns a coupon by rule, or None: most checkouts then skip the query.

    Kept with the published configuration (``config.memo``); saving a template calls
    ``core.tenancy.rules_changed``, which gives the next checkout a fresh configuration.
    """
    return config.memo("coupons.checkout_threshold", lambda: session.scalar(
        select(func.min(CouponTemplate.issue_on_checkout_fen)).where(
            CouponTemplate.merchant_id == merchant_id, CouponTemplate.active.is_(True),
            CouponTemplate.issue_on_checkout_fen.is_not(None))))


def move_to_card(session: Session, old_card_id: int, new_card_id: int) -> None:
    """C5: a replaced card's coupons follow it to the new card."""
    session.execute(update(Coupon).where(Coupon.card_id == old_card_id)
                    .values(card_id=new_card_id).execution_options(synchronize_session=False))


def bind_member(session: Session, card_id: int, member_id: int) -> None:
    """A card's coupons issued before it had a holder now belong to the holder."""
    session.execute(update(Coupon).where(Coupon.card_id == card_id, Coupon.member_id.is_(None))
                    .values(member_id=member_id).execution_options(synchronize_session=False))
