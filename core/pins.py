"""Card PINs (密码, C6): check a PIN, count wrong ones in the database, lock after too many.

``verify_pin`` is the one place a PIN is compared. The rules:

- the PIN is only ever compared with its slow salted hash (core.security, scrypt);
- an unknown card and a wrong PIN get the very same answer (``Forbidden``, code
  ``pin_not_accepted``, message "card or PIN not accepted", no details), and an unknown card
  still costs one scrypt hash, so neither the answer nor its timing tells a guesser whether a
  card number exists (SyliusGiftCardPlugin#297);
- every wrong PIN adds one to ``cards.pin_failures``; the ``max_attempts``-th wrong PIN in a
  row locks stored-value payment on the card (``cards.pin_locked_until``) for
  ``lock_minutes`` and starts the count again; while locked, no PIN is even looked at
  (``Forbidden``, code ``pin_locked``); a right PIN clears the count;
- the counter and the lock live in the database, so a restart, another web worker or another
  app instance sees them.

Why a wrong PIN is recorded in a transaction of its own
-------------------------------------------------------
A wrong PIN must refuse the request, so ``verify_pin`` raises, and raising rolls back the
request's single write transaction (webui/api/handlers.py) — which would roll back the
failure count with it, and a guesser could try PINs for ever. So the failure is written by a
new, short ``Session`` bound to the request session's engine (``session.get_bind()``) and
committed on its own.

That short transaction runs right *after* the request's transaction has ended (rolled back
by the error being raised), not before raising: while the request's transaction is open it
holds the write lock on SQLite (``BEGIN IMMEDIATE``: a second writer would wait out
``busy_timeout`` and fail), and on PostgreSQL it may hold the card's row lock (a PIN reset
or a tier change earlier in the same request), which a second connection would wait for
for ever. The failure is still committed before the HTTP answer goes out, because the
handler leaves the transaction before it builds the response. A request that swallows the
``Forbidden`` and commits records it the same way, after its commit.

The increment is one atomic ``UPDATE … SET pin_failures = pin_failures + 1``, so concurrent
wrong PINs are never lost; at most a few guesses running at the very same moment as the one
that locks the card get their answer before the lock is visible.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache

from sqlalchemy import bindparam, case, event, update
from sqlalchemy.orm import Session

from .clock import MERCHANT_TZ
from .errors import Forbidden
from .models import Card
from .models.base import UtcDateTime
from .security import hash_secret, verify_secret

NOT_ACCEPTED = "card or PIN not accepted"
_PENDING = "huika.pins.pending_failures"
_LISTENING = "huika.pins.listening"


@cache
def _dummy_hash() -> str:
    """A hash an unknown card's PIN is compared with, so the answer takes as long."""
    return hash_secret("not-a-pin")


def not_accepted() -> Forbidden:
    """The one answer for an unknown card and for a wrong PIN (C6)."""
    return Forbidden(NOT_ACCEPTED, code="pin_not_accepted")


def verify_pin(session: Session, card: Card | None, pin: str, *, max_attempts: int,
               lock_minutes: int, now: datetime) -> None:
    """Return if ``pin`` is the card's PIN; raise ``Forbidden`` otherwise (C6).

    ``card`` may be ``None`` (a number that matched no card): it gets the wrong-PIN answer.
    A right PIN clears the failure count in ``session`` (committed with the request); a wrong
    one is counted in a transaction of its own (see the module docstring) before the error
    reaches the client.
    """
    if card is None:
        verify_secret(str(pin), _dummy_hash())  # same work as a real check
        raise not_accepted()
    if card.id is not None and card in session:
        session.refresh(card, ["pin_failures", "pin_locked_until", "pin_hash"])
    if card.pin_locked_until is not None and card.pin_locked_until > now:
        local = card.pin_locked_until.astimezone(MERCHANT_TZ).strftime("%Y-%m-%d %H:%M")
        raise Forbidden(f"too many wrong PINs: paying with this card is locked until {local}",
                        code="pin_locked",
                        details={"locked_until": card.pin_locked_until.isoformat()})
    if not card.pin_hash:
        verify_secret(str(pin), _dummy_hash())
        raise Forbidden(f"card {card.number} has no PIN yet; staff set one after checking the "
                        "holder's ID", code="pin_not_set")
    if verify_secret(str(pin), card.pin_hash):
        if card.pin_failures or card.pin_locked_until is not None:
            card.pin_failures = 0
            card.pin_locked_until = None
            session.flush()
        return
    _record_failure(session, card.id, max_attempts, now + timedelta(minutes=lock_minutes))
    raise not_accepted()


def _record_failure(session: Session, card_id: int, max_attempts: int, lock_until: datetime) -> None:
    """Count one wrong PIN once ``session``'s transaction is over (or now, if none is open)."""
    bind = session.get_bind()
    if not session.in_transaction():
        _write_failure(bind, card_id, max_attempts, lock_until)
        return
    session.info.setdefault(_PENDING, []).append((bind, card_id, max_attempts, lock_until))
    if not session.info.get(_LISTENING):
        session.info[_LISTENING] = True
        event.listen(session, "after_transaction_end", _after_transaction_end)


def _after_transaction_end(session: Session, transaction) -> None:
    if transaction.parent is not None:  # a savepoint ended; the request's transaction goes on
        return
    pending = session.info.pop(_PENDING, [])
    for bind, card_id, max_attempts, lock_until in pending:
        _write_failure(bind, card_id, max_attempts, lock_until)


def _write_failure(bind, card_id: int, max_attempts: int, lock_until: datetime) -> None:
    """One short committed transaction: +1 wrong PIN; the last allowed one locks the card."""
    reaches = Card.pin_failures + 1 >= max_attempts
    statement = (
        update(Card).where(Card.id == card_id).values(
            pin_failures=case((reaches, 0), else_=Card.pin_failures + 1),
            pin_locked_until=case(
                (reaches, bindparam("lock_until", lock_until, type_=UtcDateTime())),
                else_=Card.pin_locked_until),
        ).execution_options(synchronize_session=False)
    )
    with Session(bind=bind) as short:
        with short.begin():
            short.execute(statement)
