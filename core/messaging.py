"""Sending messages to members, and one-time SMS login codes (M4, R3).

A ``MessageSender`` is anything with ``send(session, merchant_id, phone, text)``. The
built-in ``OutboxSender`` writes the message to the ``outbox`` table (in the caller's
transaction, so a message exists exactly when the action that sent it happened) and logs
that it did; core.messages.dispatch delivers it through the merchant's SMS gateway (a login
code is transactional: no quiet hours, cap or opt-out hold it back).

Login codes (member self-service, M4) are guessable if nothing stops a guesser
(SyliusGiftCardPlugin#297), so:

- a code is 6 random digits (``secrets``), stored only as a slow salted hash (scrypt), and
  expires after ``CODE_TTL``;
- how many codes may be asked for (per client, per phone number, per merchant and day) is
  throttled where the requests arrive (webui/throttle.py, limits in settings), one
  mechanism for all of them, counting requests for unknown numbers too so the answer never
  tells whether a number is registered;
- a new code replaces the previous one (only the newest works);
- ``MAX_ATTEMPTS`` wrong tries invalidate the code; the count is an atomic update in the
  caller's transaction, and ``check_login_code`` never raises on a wrong code, so the caller
  commits the count before answering.
"""
from __future__ import annotations

import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol, runtime_checkable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .clock import now_utc
from .errors import Invalid, problem
from .fields import PHONE_PATTERN
from .models import LoginCode, Member, OutboxMessage
from .security import hash_secret, verify_secret

log = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_TTL = timedelta(minutes=10)
MAX_ATTEMPTS = 5
LOGIN = "member_login"
_PHONE = re.compile(PHONE_PATTERN)
_CODE = re.compile(r"^[0-9]{%d}$" % CODE_DIGITS)


@runtime_checkable
class MessageSender(Protocol):
    """Sends ``text`` to ``phone`` for ``merchant_id`` (inside the caller's transaction)."""

    def send(self, session: Session, merchant_id: int, phone: str, text: str) -> None: ...


class OutboxSender:
    """The built-in sender: one ``outbox`` row per message, and a log line (without the text)."""

    channel = "sms"

    def send(self, session: Session, merchant_id: int, phone: str, text: str) -> None:
        message = OutboxMessage(merchant_id=merchant_id, channel=self.channel, recipient=phone,
                                body=text, status="queued", kind=LOGIN, attempts=0,
                                next_attempt_at=now_utc())
        session.add(message)
        session.flush()
        log.info("%s to %s queued in the outbox (message %s, merchant %s)", self.channel,
                 mask_phone(phone), message.id, merchant_id)


def mask_phone(phone: str) -> str:
    """138****8000: enough to recognise, not enough to copy."""
    return phone[:3] + "****" + phone[-4:] if len(phone) >= 8 else "****"


@dataclass(frozen=True)
class CodeCheck:
    """The answer of ``check_login_code``: ``ok``, or why not and how many tries are left."""

    ok: bool
    reason: str = ""  # "", "wrong", "invalidated", "no_code"
    attempts_left: int = 0
    member_id: int | None = None


def request_login_code(session: Session, merchant_id: int, phone: str, *, sender: MessageSender,
                       text: str, now: datetime | None = None) -> bool:
    """Send a new login code to a member's phone; False (nothing sent) if no member has it.

    ``text`` is the message with ``{code}`` where the code goes (the caller translates it).
    Raises ``Invalid`` for a malformed phone. How often it may be called is the caller's
    throttle (webui/throttle.py).
    """
    now = now or now_utc()
    phone = (phone or "").strip()
    if not _PHONE.fullmatch(phone):
        raise Invalid("an 11-digit mainland mobile number, e.g. 13800138000",
                      details=[problem("/phone", "an 11-digit mainland mobile number")])
    # Lock the member row: concurrent requests for one phone replace the live code one at a
    # time, so exactly one code works afterwards.
    member = session.scalar(select(Member).where(Member.merchant_id == merchant_id,
                                                 Member.phone == phone).with_for_update())
    if member is None:
        return False
    session.execute(update(LoginCode).where(
        LoginCode.merchant_id == merchant_id, LoginCode.phone == phone, LoginCode.purpose == LOGIN,
        LoginCode.consumed_at.is_(None), LoginCode.invalidated_at.is_(None))
        .values(invalidated_at=now).execution_options(synchronize_session=False))
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    session.add(LoginCode(merchant_id=merchant_id, phone=phone, purpose=LOGIN,
                          code_hash=hash_secret(code), created_at=now, expires_at=now + CODE_TTL,
                          attempts=0))
    session.flush()
    sender.send(session, merchant_id, phone, text.replace("{code}", code))
    return True


def check_login_code(session: Session, merchant_id: int, phone: str, code: str, *,
                     now: datetime | None = None) -> CodeCheck:
    """Check ``code`` against the phone's newest live code; count a wrong one (never raises).

    A right code is used up; the ``MAX_ATTEMPTS``-th wrong one invalidates the code.
    """
    now = now or now_utc()
    phone = (phone or "").strip()
    row = session.scalar(
        select(LoginCode).where(LoginCode.merchant_id == merchant_id, LoginCode.phone == phone,
                                LoginCode.purpose == LOGIN, LoginCode.consumed_at.is_(None),
                                LoginCode.invalidated_at.is_(None))
        .order_by(LoginCode.id.desc()).limit(1).with_for_update())
    if row is None or row.expires_at <= now:
        return CodeCheck(ok=False, reason="no_code")
    if row.attempts >= MAX_ATTEMPTS:
        return CodeCheck(ok=False, reason="invalidated")
    code = (code or "").strip()
    if _CODE.match(code) and verify_secret(code, row.code_hash):
        row.consumed_at = now
        member_id = session.scalar(select(Member.id).where(Member.merchant_id == merchant_id,
                                                           Member.phone == phone))
        session.flush()
        if member_id is None:
            return CodeCheck(ok=False, reason="no_code")
        return CodeCheck(ok=True, member_id=member_id)
    session.execute(update(LoginCode).where(LoginCode.id == row.id)
                    .values(attempts=LoginCode.attempts + 1)
                    .execution_options(synchronize_session=False))
    session.refresh(row, ["attempts"])
    if row.attempts >= MAX_ATTEMPTS:
        row.invalidated_at = now
        session.flush()
        return CodeCheck(ok=False, reason="invalidated")
    return CodeCheck(ok=False, reason="wrong", attempts_left=MAX_ATTEMPTS - row.attempts)
