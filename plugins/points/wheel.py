"""The lucky wheel (大转盘, P4, H4).

Rules, all merchant settings: ``wheel_free_spins_per_day`` free spins per member and local
day (default 1), each further spin costs ``wheel_extra_spin_points`` (default 5), at most
``wheel_max_spins_per_day`` spins (default 2, free ones included). Spins are counted from the
database (``points_wheel_spins``: one row per spin, the n-th of the member's local day,
unique), never from memory, so restarts, several workers and retries all see the same count.

Prizes have a weight (the odds are weight / sum of weights of the prizes that can still be
drawn) and a stock; a prize whose stock is 0 is never drawn, and the stock is decremented by
a guarded ``UPDATE ... WHERE stock >= 1``: if a concurrent spin took the last one, the draw
is repeated without it.

Randomness: ``rng_factory`` (module level) returns the ``random.Random`` used for a spin. In
production it is ``random.SystemRandom`` (not predictable by members); tests replace it:

    monkeypatch.setattr("plugins.points.wheel.rng_factory", lambda: random.Random(7))

A draw calls ``rng.randrange(total_weight)`` once per attempt and walks the prizes in id order.

Benefit prizes (H4): a prize of kind ``benefit`` is something another plugin gives, stored as
data (``{"kind": "room_voucher", "room_type": "suite"}``). It is checked with
``core.benefits.validate_benefit`` when the prize is created (the merchant's enabled plugins
must offer that kind, and its fields must match the kind's schema) and handed out with
``core.benefits.grant`` inside the spin's transaction: if the giving plugin refuses or was
turned off since (409 ``benefit_unavailable``), the whole spin, its cost and the stock taken
are rolled back. This plugin never imports the one that gives the benefit.
"""
from __future__ import annotations

import random
from datetime import datetime
from typing import Callable

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core import benefits, ledger
from core.checkout import usable_card
from core.clock import local_date
from core.errors import Conflict, Invalid, NotFound, problem
from core.ledger import Posting
from core.merchant_config import MerchantConfig

from .common import (ISSUED, PLUGIN_ID, REDEEMED, card_points, expiry_date, merchant_points,
                     text_problem)
from .models import WheelPrize, WheelSpin

TRANSACTION_TYPE = "wheel_spin"


def _system_rng() -> random.Random:
    return random.SystemRandom()


rng_factory: Callable[[], random.Random] = _system_rng


def prize_json(prize: WheelPrize) -> dict:
    found = {"id": prize.id, "name": prize.name, "kind": prize.kind, "points": prize.points,
             "weight": prize.weight, "stock": prize.stock, "active": prize.active}
    if prize.kind == "benefit":
        found["benefit"] = prize.benefit
    return found


def list_prizes(session: Session, merchant_id: int) -> list[dict]:
    return [prize_json(prize) for prize in session.scalars(
        select(WheelPrize).where(WheelPrize.merchant_id == merchant_id).order_by(WheelPrize.id))]


def get_prize(session: Session, merchant_id: int, prize_id: int) -> WheelPrize:
    prize = session.scalar(select(WheelPrize).where(WheelPrize.merchant_id == merchant_id,
                                                    WheelPrize.id == prize_id))
    if prize is None:
        raise NotFound(f"wheel prize {prize_id} does not exist")
    return prize


def create_prize(session: Session, config: MerchantConfig, merchant_id: int, body: dict) -> WheelPrize:
    kind = body["kind"]
    points = body.get("points", 0)
    problems = [p for p in [text_problem(body["name"], "/name", 100)] if p]
    if kind == "points" and points < 1:
        problems.append(problem("/points", "a points prize gives at least 1 point"))
    if kind != "points" and points != 0:
        problems.append(problem("/points", f"only a points prize gives points, not a {kind} prize"))
    if kind == "benefit":
        if "benefit" not in body:
            problems.append(problem("/benefit", "a benefit prize says what it gives, e.g. "
                                                '{"kind": "room_voucher", "room_type": "suite"}'))
        else:
            problems += benefits.validate_benefit(config, body["benefit"], "/benefit")
    elif "benefit" in body:
        problems.append(problem("/benefit", f"only a benefit prize gives a benefit, not a {kind} prize"))
    if problems:
        raise Invalid("the prize is not valid; nothing was saved", details=problems)
    prize = WheelPrize(merchant_id=merchant_id, name=body["name"].strip(), kind=kind, points=points,
                       weight=body.get("weight", 1), stock=body.get("stock"),
                       active=body.get("active", True))
    if kind == "benefit":  # only then: an explicit None would be stored as JSON null
        prize.benefit = body["benefit"]
    session.add(prize)
    session.flush()
    return prize


def update_prize(session: Session, merchant_id: int, prize_id: int, body: dict) -> WheelPrize:
    prize = get_prize(session, merchant_id, prize_id)
    if "name" in body:
        found = text_problem(body["name"], "/name", 100)
        if found:
            raise Invalid("the prize is not valid; nothing was saved", details=[found])
        prize.name = body["name"].strip()
    for key in ("weight", "active"):
        if key in body:
            setattr(prize, key, body[key])
    if "restock" in body:
        if prize.stock is None:
            raise Invalid("this prize has unlimited stock", details=[
                problem("/restock", "only a prize with a stock can be restocked")])
        session.flush()
        session.execute(update(WheelPrize).where(WheelPrize.id == prize.id)
                        .values(stock=WheelPrize.stock + body["restock"])
                        .execution_options(synchronize_session=False))
        session.refresh(prize, ["stock"])
    session.flush()
    return prize


def spins_today(session: Session, member_id: int, day) -> int:
    return session.scalar(select(func.count()).select_from(WheelSpin).where(
        WheelSpin.member_id == member_id, WheelSpin.spun_on == day))


def spin(session: Session, config: MerchantConfig, merchant_id: int, card_number: str, *,
         now: datetime, store_id: int | None, staff_id: int | None) -> dict:
    card = usable_card(session, merchant_id, card_number, now)  # another merchant's card: 404
    settings = config.settings_for(PLUGIN_ID)
    if not settings["wheel_enabled"]:
        raise Conflict("the lucky wheel is turned off for this merchant", code="wheel_disabled")
    if card.member_id is None:
        raise Conflict(f"card {card.number} belongs to no member", code="card_not_bound")
    today = local_date(now)
    done = spins_today(session, card.member_id, today)
    free, most = settings["wheel_free_spins_per_day"], settings["wheel_max_spins_per_day"]
    if done >= most:
        raise Conflict(f"no more spins today: {most} a day", code="spin_limit_reached")
    spin_no = done + 1
    cost = 0 if spin_no <= free else settings["wheel_extra_spin_points"]
    prize = _draw(session, merchant_id)

    account = card_points(session, merchant_id, card.id)
    postings = []
    if cost:
        postings += [Posting(account, -cost), Posting(merchant_points(session, merchant_id, REDEEMED), cost)]
    if prize.kind == "points":
        postings += [Posting(account, prize.points, expires_on=expiry_date(settings, today)),
                     Posting(merchant_points(session, merchant_id, ISSUED), -prize.points)]
    if not postings:  # a free spin that won a gift or nothing still leaves its ledger trace
        postings = [Posting(account, 0)]
    # H4: another plugin gives a benefit prize, in this transaction (its own ledger postings).
    given = benefits.grant(session, config, card, prize.benefit, now=now, store_id=store_id,
                           staff_id=staff_id) if prize.kind == "benefit" else None
    transaction = ledger.post(
        session, merchant_id, TRANSACTION_TYPE, postings, store_id=store_id, staff_id=staff_id,
        now=now, memo={"card_number": card.number, "spun_on": today.isoformat(),
                       "spin_no": spin_no, "cost_points": cost,
                       "prize": {"id": prize.id, "name": prize.name, "kind": prize.kind,
                                 "points": prize.points, "benefit": prize.benefit},
                       "benefit_given": given})
    try:
        with session.begin_nested():
            session.add(WheelSpin(merchant_id=merchant_id, member_id=card.member_id, card_id=card.id,
                                  spun_on=today, spin_no=spin_no, cost_points=cost,
                                  prize_id=prize.id, transaction_id=transaction.id, created_at=now))
            session.flush()
    except IntegrityError:
        raise Conflict("another spin for this member happened at the same moment; try again",
                       code="concurrent_spin") from None
    return {"spin_id": transaction.id, "card_number": card.number, "spin_no": spin_no,
            "free": cost == 0, "cost_points": cost, "prize": prize_json(prize),
            "benefit_given": given, "points": account.balance, "spins_left_today": most - spin_no,
            "free_spins_left_today": max(free - spin_no, 0)}


def _draw(session: Session, merchant_id: int) -> WheelPrize:
    """A weighted draw among active prizes with stock; the stock is taken guarded."""
    candidates = list(session.scalars(
        select(WheelPrize).where(WheelPrize.merchant_id == merchant_id, WheelPrize.active.is_(True),
                                 WheelPrize.stock.is_(None) | (WheelPrize.stock > 0))
        .order_by(WheelPrize.id)))
    rng = rng_factory()
    while candidates:
        ticket = rng.randrange(sum(prize.weight for prize in candidates))
        for prize in candidates:
            ticket -= prize.weight
            if ticket < 0:
                break
        if prize.stock is None:
            return prize
        taken = session.execute(update(WheelPrize)
                                .where(WheelPrize.id == prize.id, WheelPrize.stock >= 1)
                                .values(stock=WheelPrize.stock - 1)
                                .execution_options(synchronize_session=False))
        session.refresh(prize, ["stock"])
        if taken.rowcount == 1:
            return prize
        candidates.remove(prize)  # a concurrent spin took the last one: draw again without it
    raise Conflict("the wheel has no prize left to win; ask the merchant to restock",
                   code="no_prizes")
