"""Card PINs (密码, C6): check a PIN, count wrong ones exactly, lock, block, reset.

The rules
---------
- A PIN is only ever compared with its salted hash keyed by the installation's pepper
  (core.security.hash_pin: HMAC-SHA256; the pepper is not in the database, see the threat
  model in docs/operations.md). Hashes from before the pepper (scrypt) or under a retired
  pepper still verify and are replaced on the next right PIN.
- An unknown card and a wrong PIN get the very same answer (``Forbidden``, code
  ``pin_not_accepted``, message "card or PIN not accepted", no details), and an unknown card
  still costs one keyed-hash comparison, so neither the answer nor its timing tells a guesser
  whether a card number exists (SyliusGiftCardPlugin#297). ``refuse_unknown_card`` is that
  answer. (A card still holding an old scrypt hash answers a wrong PIN more slowly until its
  holder's next right PIN upgrades it.)
- Every wrong PIN adds one to ``cards.pin_failures`` (in a row) and to
  ``cards.pin_failures_total``. The ``max_attempts``-th in a row locks stored-value payment
  for ``lock_minutes`` (``pin_locked_until``) and starts the row count again; the
  ``block_after``-th in total blocks the PIN (``pin_blocked_at``) until a manager resets or
  unblocks it (``set_pin``, ``unblock``): a lock's expiry does not clear the total, so a
  guesser gets ``block_after`` tries, not 5 more every 15 minutes for ever. While locked or
  blocked no PIN is even looked at (``pin_locked``, ``pin_blocked``). A right PIN clears both
  counts.
- Counts, lock and block live in the database: a restart, another web worker or another
  app instance sees them.

Why the PIN is checked in a short transaction of its own, before the request's
------------------------------------------------------------------------------
N guesses sent at once must evaluate exactly ``max_attempts`` PINs. That needs each check
to read the count, compare, and write the new count while it holds the card, so the next
guess waits and then sees that count. It also needs the count to survive although the
request answers 403, which rolls back the request's one write transaction
(webui/api/handlers.py) — with anything else the request wrote, such as its claim on the
Idempotency-Key, which must not be committed.

Counting in the request's transaction cannot do both: its rollback loses the count.
Counting in a second transaction after that rollback (the old design) releases the card
first, so guesses that arrive meanwhile read the old count and are compared too: 50 at
once evaluated 7 (SQLite) and 12 (PostgreSQL) with the limit 5. A second transaction
*during* the request's cannot work either: on SQLite the request already holds the one
write lock (``BEGIN IMMEDIATE``), on PostgreSQL it may hold the card's row lock. And a
savepoint does not help on PostgreSQL: rolling back to it releases the row lock taken after it.

So the request asks, and a gate around its transaction answers:

1. ``verify_pin``, called anywhere inside the request (a payment hook, a withdrawal), raises
   ``PinCheckNeeded`` the first time it meets a (card, PIN): the request's transaction rolls
   back, having committed nothing.
2. ``with_pin_checks`` (around the whole transaction; webui's ``execute`` uses it) catches it
   and runs ``check_pin``: one short write transaction that takes the card (``SELECT … FOR
   UPDATE`` on PostgreSQL; ``BEGIN IMMEDIATE`` serialises SQLite), refuses at once if the
   card is locked or blocked, compares, and on a wrong PIN counts it with one ``UPDATE …
   RETURNING`` (row count, total, lock, block in one statement), commits and answers 403.
   Guesses on one card thus run one after the other, and exactly ``max_attempts`` of them
   are compared before the lock is visible to the rest.
3. A right PIN is remembered for this request only (a context variable), and the gate runs
   the request again from the start; ``verify_pin`` now passes without hashing again.

The request is thus run twice when it carries a right PIN (pricing a basket is cheap next to
the scrypt check), and a wrong PIN never opens the money transaction at all.
"""
from __future__ import annotations

import secrets
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Callable, Iterator, TypeVar

from sqlalchemy import bindparam, case, select, update
from sqlalchemy.orm import Session

from .clock import MERCHANT_TZ
from .db import PIN_PEPPERS
from .errors import Forbidden, Invalid, problem
from .models import Card
from .models.base import UtcDateTime
from .security import check_pin_hash, hash_pin
from .weak_pins import PIN_PATTERN, pin_problem

NOT_ACCEPTED = "card or PIN not accepted"
DEFAULT_BLOCK_AFTER = 10
MAX_PINS_PER_REQUEST = 3  # one request checks one card's PIN; a few at most
_verdicts: ContextVar[set | None] = ContextVar("huika_pin_verdicts", default=None)

T = TypeVar("T")


_DUMMY_PEPPER = secrets.token_bytes(32)


@cache
def _dummy_hash() -> str:
    """A hash an unknown card's PIN is compared with, so the answer takes as long."""
    return hash_pin("not-a-pin", _DUMMY_PEPPER)


def _compare_with_nothing(pin) -> None:
    """The work of one PIN comparison, for answers that must cost what a real check costs."""
    check_pin_hash(str(pin), _dummy_hash(), (_DUMMY_PEPPER,))


def peppers_of(session: Session) -> tuple[bytes, ...]:
    """The installation's PIN peppers (core.db.Database; current first)."""
    peppers = session.info.get(PIN_PEPPERS)
    if not peppers:
        raise RuntimeError("no PIN pepper configured: build the Database with pin_peppers "
                           "(webui.create_app does, from HUIKA_PIN_PEPPER)")
    return peppers


def hash_new_pin(session: Session, pin: str) -> str:
    """The stored form of a new PIN: keyed by the current pepper (core.security.hash_pin)."""
    return hash_pin(pin, peppers_of(session)[0])


def not_accepted() -> Forbidden:
    """The one answer for an unknown card and for a wrong PIN (C6)."""
    return Forbidden(NOT_ACCEPTED, code="pin_not_accepted")


def refuse_unknown_card(pin) -> None:
    """A PIN given for a card number that matches no card: the wrong-PIN answer, at the same
    cost and along the same path (the gate's own transaction, when there is a gate)."""
    if _verdicts.get() is not None:
        raise PinCheckNeeded(None, str(pin), 0, 0, 0, now=None)
    _refuse_unknown(pin)


def _refuse_unknown(pin) -> None:
    _compare_with_nothing(pin)
    raise not_accepted()


def pin_in(body) -> str | None:
    """The well-formed PIN a request body carries (``pin``, ``payment.pin`` or a
    ``payments[].pin``), or None: requests carrying one answer an unknown card like a wrong PIN."""
    if not isinstance(body, dict):
        return None
    candidates = [body.get("pin")]
    if isinstance(body.get("payment"), dict):
        candidates.append(body["payment"].get("pin"))
    if isinstance(body.get("payments"), list):
        candidates += [p.get("pin") for p in body["payments"] if isinstance(p, dict)]
    return next((c for c in candidates if isinstance(c, str) and PIN_PATTERN.match(c)), None)


@dataclass(eq=False)  # not frozen: contextlib sets __traceback__ on exceptions
class PinCheckNeeded(Exception):
    """Raised inside a request's transaction; ``with_pin_checks`` checks it outside (see above)."""

    card_id: int | None  # None: a number that matched no card
    pin: str
    max_attempts: int
    lock_minutes: int
    block_after: int
    now: datetime | None

    def __str__(self) -> str:
        return ("a PIN was checked outside core.pins.with_pin_checks: run the transaction "
                "through it (webui.api.handlers.execute does)")


def verify_pin(session: Session, card: Card | None, pin: str, *, max_attempts: int,
               lock_minutes: int, now: datetime, block_after: int = DEFAULT_BLOCK_AFTER) -> None:
    """Return if ``pin`` is the card's PIN; raise ``Forbidden`` otherwise (C6).

    ``card`` may be ``None`` (a number that matched no card): it gets the wrong-PIN answer.
    Inside ``with_pin_checks`` only; the first call for a (card, PIN) raises
    ``PinCheckNeeded`` to have it checked and counted in its own transaction.
    """
    if card is None:
        refuse_unknown_card(pin)
    verdicts = _verdicts.get()
    if verdicts is not None and (card.id, pin) in verdicts:
        return
    raise PinCheckNeeded(card.id, str(pin), max_attempts, lock_minutes, block_after, now)


def with_pin_checks(database, attempt: Callable[[], T]) -> T:
    """Run ``attempt`` (which opens and ends its own transaction); when it needs a PIN
    checked, check it in a transaction of its own and run ``attempt`` again (module docstring)."""
    verdicts: set = set()
    token = _verdicts.set(verdicts)
    try:
        for _round in range(MAX_PINS_PER_REQUEST + 1):
            try:
                return attempt()
            except PinCheckNeeded as needed:
                check_pin(database, needed)  # raises the refusal
                verdicts.add((needed.card_id, needed.pin))
        raise RuntimeError(f"a request needs more than {MAX_PINS_PER_REQUEST} PINs")
    finally:
        _verdicts.reset(token)


def check_pin(database, needed: PinCheckNeeded) -> None:
    """One short transaction: hold the card, compare, count a wrong PIN; raise a refusal."""
    refusal = None
    with database.write() as session:
        state = session.execute(
            select(Card.pin_hash, Card.pin_failures, Card.pin_failures_total,
                   Card.pin_locked_until, Card.pin_blocked_at)
            .where(Card.id == needed.card_id).with_for_update()).one_or_none()
        if state is None:  # an unknown card: the same steps and answer as a wrong PIN
            _refuse_unknown(needed.pin)
        if state.pin_blocked_at is not None:
            raise blocked()
        if state.pin_locked_until is not None and state.pin_locked_until > needed.now:
            raise locked(state.pin_locked_until)
        if not state.pin_hash:
            _compare_with_nothing(needed.pin)
            raise Forbidden("the card has no PIN yet; a manager sets one after checking the "
                            "holder's ID", code="pin_not_set")
        peppers = peppers_of(session)
        right, rehash = check_pin_hash(needed.pin, state.pin_hash, peppers)
        if right:
            cleared = {"pin_failures": 0, "pin_failures_total": 0, "pin_locked_until": None}
            if rehash:  # an old scrypt hash or a retired pepper: hashed anew, now it is known
                cleared["pin_hash"] = hash_pin(needed.pin, peppers[0])
            if rehash or state.pin_failures or state.pin_failures_total or state.pin_locked_until:
                session.execute(update(Card).where(Card.id == needed.card_id).values(**cleared)
                                .execution_options(synchronize_session=False))
            return
        _count_failure(session, needed)
        refusal = not_accepted()
    raise refusal  # after the commit: the count stays although the request answers 403


def _count_failure(session: Session, needed: PinCheckNeeded) -> tuple:
    """+1 in a row and in total, in one statement; the limit locks, the total blocks."""
    locks = Card.pin_failures + 1 >= needed.max_attempts
    blocks = Card.pin_failures_total + 1 >= needed.block_after
    lock_until = needed.now + timedelta(minutes=needed.lock_minutes)
    statement = (
        update(Card).where(Card.id == needed.card_id).values(
            pin_failures=case((locks, 0), else_=Card.pin_failures + 1),
            pin_failures_total=Card.pin_failures_total + 1,
            pin_locked_until=case(
                (locks, bindparam("lock_until", lock_until, type_=UtcDateTime())),
                else_=Card.pin_locked_until),
            pin_blocked_at=case(
                (blocks, bindparam("blocked_at", needed.now, type_=UtcDateTime())),
                else_=Card.pin_blocked_at))
        .returning(Card.pin_failures, Card.pin_failures_total, Card.pin_locked_until,
                   Card.pin_blocked_at)
        .execution_options(synchronize_session=False))
    return tuple(session.execute(statement).one())


def locked(until: datetime) -> Forbidden:
    local = until.astimezone(MERCHANT_TZ).strftime("%Y-%m-%d %H:%M")
    return Forbidden(f"too many wrong PINs: paying with this card is locked until {local}",
                     code="pin_locked", details={"locked_until": until.isoformat()})


def blocked() -> Forbidden:
    return Forbidden("too many wrong PINs: the card's PIN is blocked until a manager resets or "
                     "unblocks it after checking the holder's ID", code="pin_blocked")


# -- managers: set, reset and unblock -------------------------------------------------------

def check_new_pin(pin, at: str = "/pin") -> str:
    """``pin`` if it may become a card's PIN: 6 digits, not weak (core.weak_pins); else 422."""
    reason = pin_problem(pin)
    if reason is not None:
        raise Invalid("the PIN is not accepted; nothing was changed" if reason == "6 digits"
                      else "this PIN is too easy to guess; nothing was changed",
                      code="invalid" if reason == "6 digits" else "weak_pin",
                      details=[problem(at, reason)])
    return pin


def set_pin(session: Session, card: Card, pin) -> Card:
    """A new PIN (at issue, or a reset after staff checked the holder's ID): clears counts,
    lock and block."""
    card.pin_hash = hash_new_pin(session, check_new_pin(pin))
    return unblock(card)


@contextmanager
def pin_set_here(session: Session, card: Card, pin) -> Iterator[None]:
    """Set the card's PIN and, inside the block, let ``verify_pin`` accept that PIN for it
    without a check of its own: the caller chose it in this very transaction, so there is no
    attempt to count (the demo merchant pays from stored value this way)."""
    set_pin(session, card, pin)
    token = _verdicts.set({*(_verdicts.get() or ()), (card.id, str(pin))})
    try:
        yield
    finally:
        _verdicts.reset(token)


def unblock(card: Card) -> Card:
    """Lift a lock or block and clear both counts, keeping the PIN (a manager, after an ID check)."""
    card.pin_failures = 0
    card.pin_failures_total = 0
    card.pin_locked_until = None
    card.pin_blocked_at = None
    return card


def pin_status(card: Card, now: datetime) -> dict:
    """What staff see about a card's PIN (never the PIN)."""
    locked_now = card.pin_locked_until is not None and card.pin_locked_until > now
    return {"has_pin": card.pin_hash is not None,
            "blocked": card.pin_blocked_at is not None,
            "locked_until": card.pin_locked_until.isoformat() if locked_now else None,
            "failures_total": card.pin_failures_total or 0}
