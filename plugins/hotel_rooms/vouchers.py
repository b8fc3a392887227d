"""Room vouchers and e-vouchers (H2, H4): issue, list, redeem once, expire, remind (R2).

Every change is a ledger transaction on the asset ``room_vouchers`` (one unit per voucher)
plus the voucher rows (models.RoomVoucher) in the same database transaction:

- issue:   card +n, merchant ``issued`` -n (one lot per issue, no lot expiry: the voucher row
           holds the expiry, and the expiry job takes it off the card)
- redeem:  card -1, merchant ``redeemed`` +1, after the guarded status update
- expire:  card -1, merchant ``expired`` +1 per lapsed voucher
- e-voucher payment (payments.py): card -1, merchant ``redeemed`` +1, plus the cny side

Dates are the merchant's local dates (core.clock); a voucher expiring on 2027-03-01 can be
used until 23:59 Beijing time that day.
"""
from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

import segno
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import ledger
from core.clock import local_date, local_day_bounds
from core.errors import Conflict, Invalid, NotFound, problem
from core.ledger import Posting
from core.merchant_config import MerchantConfig
from core.models import Card

from .common import EXPIRED, ISSUED, PLUGIN_ID, REDEEMED, card_vouchers, merchant_vouchers
from .models import RoomVoucher

ISSUE_TRANSACTION = "room_voucher_issue"
REDEEM_TRANSACTION = "room_voucher_redemption"
EXPIRY_TRANSACTION = "room_voucher_expiry"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: typed by hand when a scan fails
CODE_LENGTH = 16  # 80 random bits: not guessable (SyliusGiftCardPlugin#297)


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def voucher_json(voucher: RoomVoucher, card_number: str) -> dict:
    return {"code": voucher.code, "card_number": card_number, "kind": voucher.kind,
            "room_type": voucher.room_type, "face_value_fen": voucher.face_value_fen,
            "status": voucher.status, "reason": voucher.reason, "note": voucher.note,
            "issued_on": voucher.issued_on.isoformat(), "expires_on": voucher.expires_on.isoformat(),
            "stay_date": voucher.stay_date.isoformat() if voucher.stay_date else None,
            "room_no": voucher.room_no, "used_at": voucher.used_at.isoformat() if voucher.used_at else None}


def qr_svg(code: str) -> str:
    """The voucher's QR code as an SVG document (segno, no image library needed)."""
    return segno.make(code, error="m").svg_inline(scale=4)


def issue(session: Session, config: MerchantConfig, card: Card, *, reason: str, now: datetime,
          room_type: str | None = None, face_value_fen: int = 0, quantity: int = 1,
          validity_days: int | None = None, note: str = "", once_key: str | None = None,
          store_id: int | None = None, staff_id: int | None = None) -> list[RoomVoucher]:
    """Give ``card`` ``quantity`` vouchers (a room type, or an e-voucher of ``face_value_fen``).

    One ledger transaction; with ``once_key`` a second issue under the same key is a 409
    ``already_issued`` and changes nothing.
    """
    merchant_id = card.merchant_id
    settings = config.settings_for(PLUGIN_ID)
    today = local_date(now)
    days = validity_days if validity_days is not None else settings["voucher_validity_days"]
    expires_on = today + timedelta(days=days)
    kind = "room" if room_type else "e_voucher"
    memo = {"card_number": card.number, "reason": reason, "kind": kind, "room_type": room_type,
            "face_value_fen": face_value_fen, "quantity": quantity,
            "expires_on": expires_on.isoformat(), "note": note}
    transaction = ledger.post(
        session, merchant_id, ISSUE_TRANSACTION,
        [Posting(card_vouchers(session, merchant_id, card.id), quantity),
         Posting(merchant_vouchers(session, merchant_id, ISSUED), -quantity)],
        store_id=store_id, staff_id=staff_id, now=now, memo=memo)
    vouchers = [RoomVoucher(merchant_id=merchant_id, card_id=card.id, code=new_code(), kind=kind,
                            room_type=room_type, face_value_fen=face_value_fen, status="active",
                            reason=reason, note=note, once_key=once_key if index == 0 else None,
                            issued_on=today, expires_on=expires_on,
                            issue_transaction_id=transaction.id, created_at=now)
                for index in range(quantity)]
    try:
        with session.begin_nested():
            session.add_all(vouchers)
            session.flush()
    except IntegrityError:
        raise Conflict("these vouchers were already issued", code="already_issued") from None
    return vouchers


def already_issued(session: Session, merchant_id: int, once_key: str) -> bool:
    return session.scalar(select(func.count()).select_from(RoomVoucher).where(
        RoomVoucher.merchant_id == merchant_id, RoomVoucher.once_key == once_key)) > 0


def list_for_card(session: Session, merchant_id: int, card: Card, status: str | None) -> list[dict]:
    query = select(RoomVoucher).where(RoomVoucher.merchant_id == merchant_id,
                                      RoomVoucher.card_id == card.id)
    if status:
        query = query.where(RoomVoucher.status == status)
    return [voucher_json(v, card.number)
            for v in session.scalars(query.order_by(RoomVoucher.expires_on, RoomVoucher.id))]


def find(session: Session, merchant_id: int, code: str) -> RoomVoucher:
    voucher = session.scalar(select(RoomVoucher).where(RoomVoucher.merchant_id == merchant_id,
                                                       RoomVoucher.code == code.strip().upper()))
    if voucher is None:
        raise NotFound("no voucher has this code")
    return voucher


def blackout_period(settings: dict, day: date) -> dict | None:
    """The blackout period (national holiday) ``day`` falls in, if any (H2)."""
    text = day.isoformat()
    return next((period for period in settings["blackout_dates"]
                 if period["start"] <= text <= period["end"]), None)


def check_usable(voucher: RoomVoucher, today: date) -> None:
    """409 with a clear code unless the voucher can be used today (H2)."""
    if voucher.status == "redeemed":
        raise Conflict(f"voucher {voucher.code} was already used", code="voucher_already_used")
    if voucher.status == "expired" or voucher.expires_on < today:
        raise Conflict(f"voucher {voucher.code} expired on {voucher.expires_on}",
                       code="voucher_expired")


def take(session: Session, voucher: RoomVoucher, transaction_id: int | None, now: datetime, *,
         status: str = "redeemed", **values) -> None:
    """The guarded one-use update: only an active voucher moves, so a concurrent use gets 409."""
    moved = session.execute(
        update(RoomVoucher).where(RoomVoucher.id == voucher.id, RoomVoucher.status == "active")
        .values(status=status, used_transaction_id=transaction_id, used_at=now, **values)
        .execution_options(synchronize_session=False))
    session.refresh(voucher)
    if moved.rowcount != 1:
        raise Conflict(f"voucher {voucher.code} was already used", code="voucher_already_used")


def redeem(session: Session, config: MerchantConfig, card: Card, body: dict, *, now: datetime,
           store_id: int | None, staff_id: int | None) -> dict:
    """H2: a room voucher scanned at the desk for a stay, once, never on a blackout date."""
    settings = config.settings_for(PLUGIN_ID)
    voucher = find(session, card.merchant_id, body["voucher_code"])
    if voucher.card_id != card.id:
        raise Conflict("this voucher belongs to another card", code="voucher_not_on_card",
                       details=[problem("/voucher_code", "a voucher of this card")])
    if voucher.kind != "room":
        raise Conflict("an e-voucher pays at the checkout (method e_voucher), not at the desk",
                       code="not_a_room_voucher")
    today = local_date(now)
    stay = date.fromisoformat(body.get("stay_date") or today.isoformat())
    if stay < today:
        raise Invalid("the stay cannot be in the past", details=[problem("/stay_date", "today or later")])
    check_usable(voucher, today)
    if stay > voucher.expires_on:
        raise Conflict(f"voucher {voucher.code} expires on {voucher.expires_on}, before the stay",
                       code="voucher_expired",
                       details=[problem("/stay_date", f"on or before {voucher.expires_on}")])
    holiday = blackout_period(settings, stay)
    if holiday:
        name = holiday.get("name") or f"{holiday['start']} - {holiday['end']}"
        raise Conflict(f"vouchers cannot be used for stays on {stay} ({name})", code="blackout_date",
                       details=[problem("/stay_date", f"not within {holiday['start']} - {holiday['end']}")])
    # The one-use guard first: a concurrent redemption of the same voucher waits on its row
    # and then finds it used (409 voucher_already_used), whatever else the card holds.
    take(session, voucher, None, now, stay_date=stay, room_no=body.get("room_no", ""),
         guest_name=body.get("guest_name", ""), used_by_staff_id=staff_id)
    transaction = ledger.post(
        session, card.merchant_id, REDEEM_TRANSACTION,
        [Posting(card_vouchers(session, card.merchant_id, card.id), -1),
         Posting(merchant_vouchers(session, card.merchant_id, REDEEMED), 1)],
        store_id=store_id, staff_id=staff_id, now=now,
        memo={"card_number": card.number, "code": voucher.code, "room_type": voucher.room_type,
              "stay_date": stay.isoformat(), "room_no": body.get("room_no", "")})
    voucher.used_transaction_id = transaction.id
    session.flush()
    return {"redemption_id": transaction.id, "voucher": voucher_json(voucher, card.number),
            "room_vouchers": card_vouchers(session, card.merchant_id, card.id).balance}


def move_to_card(session: Session, old_card: Card, new_card: Card) -> int:
    """C5: a replaced card's voucher rows follow its balance to the new card."""
    moved = session.execute(update(RoomVoucher).where(
        RoomVoucher.merchant_id == old_card.merchant_id, RoomVoucher.card_id == old_card.id)
        .values(card_id=new_card.id).execution_options(synchronize_session=False))
    return moved.rowcount


def expire(session: Session, merchant_id: int, now: datetime) -> dict:
    """H2: every active voucher past its date leaves its card (one ledger transaction per card).

    Running it again, or concurrently, expires nothing more: the guarded status update moves
    each voucher once, and a voucher another run moved is skipped before posting.
    """
    today = local_date(now)
    due = session.execute(
        select(RoomVoucher.id, RoomVoucher.card_id).where(
            RoomVoucher.merchant_id == merchant_id, RoomVoucher.status == "active",
            RoomVoucher.expires_on < today).order_by(RoomVoucher.card_id, RoomVoucher.id)).all()
    by_card: dict[int, list[int]] = {}
    for voucher_id, card_id in due:
        by_card.setdefault(card_id, []).append(voucher_id)
    items = []
    for card_id, voucher_ids in by_card.items():
        account = card_vouchers(session, merchant_id, card_id)
        # Exactly the vouchers this run moved (RETURNING), also an e-voucher a return gave back,
        # whose row still points at the checkout that had used it.
        codes = sorted(session.scalars(
            update(RoomVoucher).where(RoomVoucher.id.in_(voucher_ids), RoomVoucher.status == "active")
            .values(status="expired", used_at=now).returning(RoomVoucher.code)
            .execution_options(synchronize_session=False)))
        if not codes:
            continue
        card = session.get(Card, card_id)
        transaction = ledger.post(
            session, merchant_id, EXPIRY_TRANSACTION,
            [Posting(account, -len(codes)), Posting(merchant_vouchers(session, merchant_id, EXPIRED),
                                                    len(codes))],
            now=now, memo={"card_number": card.number, "as_of": today.isoformat(), "codes": codes})
        session.execute(update(RoomVoucher).where(RoomVoucher.merchant_id == merchant_id,
                                                  RoomVoucher.code.in_(codes))
                        .values(used_transaction_id=transaction.id)
                        .execution_options(synchronize_session=False))
        items.append({"card_number": card.number, "vouchers": len(codes),
                      "transaction_id": transaction.id})
    return {"as_of": today.isoformat(), "cards": len(items),
            "vouchers": sum(item["vouchers"] for item in items), "items": items}


def expiring_soon(session: Session, merchant_id: int, now: datetime, days: int) -> list[dict]:
    """R2: active vouchers expiring within ``days`` days of today, soonest first."""
    today = local_date(now)
    rows = session.execute(
        select(RoomVoucher, Card.number, Card.member_id).join(Card, Card.id == RoomVoucher.card_id)
        .where(RoomVoucher.merchant_id == merchant_id, RoomVoucher.status == "active",
               RoomVoucher.expires_on >= today, RoomVoucher.expires_on <= today + timedelta(days=days))
        .order_by(RoomVoucher.expires_on, Card.number, RoomVoucher.id)).all()
    return [{**voucher_json(voucher, number), "member_id": member_id}
            for voucher, number, member_id in rows]


def outstanding(session: Session, merchant_id: int) -> list[dict]:
    """Report ``voucher_liability``: vouchers issued and still usable, per kind and expiry."""
    rows = session.execute(
        select(RoomVoucher.kind, RoomVoucher.room_type, RoomVoucher.face_value_fen,
               RoomVoucher.expires_on, func.count())
        .where(RoomVoucher.merchant_id == merchant_id, RoomVoucher.status == "active")
        .group_by(RoomVoucher.kind, RoomVoucher.room_type, RoomVoucher.face_value_fen,
                  RoomVoucher.expires_on)
        .order_by(RoomVoucher.expires_on, RoomVoucher.kind, RoomVoucher.room_type)).all()
    return [{"kind": kind, "room_type": room_type, "face_value_fen": face,
             "expires_on": expires_on.isoformat(), "vouchers": int(count)}
            for kind, room_type, face, expires_on, count in rows]


def redemptions(session: Session, merchant_id: int, since: date, until: date) -> list[dict]:
    """Report ``voucher_redemptions``: each voucher used between two local dates."""
    start, _ = local_day_bounds(since)
    _, end = local_day_bounds(until)
    rows = session.execute(
        select(RoomVoucher, Card.number).join(Card, Card.id == RoomVoucher.card_id)
        .where(RoomVoucher.merchant_id == merchant_id, RoomVoucher.status == "redeemed",
               RoomVoucher.used_at >= start, RoomVoucher.used_at < end)
        .order_by(RoomVoucher.used_at, RoomVoucher.id)).all()
    return [{**voucher_json(voucher, number), "staff_id": voucher.used_by_staff_id}
            for voucher, number in rows]

