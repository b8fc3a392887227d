"""Merchants, stores, staff and their API tokens."""
from __future__ import annotations

import re
import secrets
import unicodedata
from typing import NamedTuple

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from .direct_sql import DirectStatement
from .errors import Conflict, Invalid, NotFound, problem
from .models import ApiToken, Merchant, Staff, StaffRole, Store
from .security import hash_secret, new_token, token_digest, verify_secret
from .text import name_problem

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,59}\Z")
STORE_CODE_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}\Z")
MIN_PASSWORD_LENGTH = 8


def create_merchant(session: Session, name: str) -> Merchant:
    """A new tenant with its head store ``main`` (总店)."""
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise Invalid("merchant name must be 1 to 100 characters",
                      details=[problem("/name", "1 to 100 characters")])
    if session.scalar(select(Merchant.id).where(Merchant.name == name)) is not None:
        raise Conflict(f"a merchant named {name!r} already exists")
    merchant = Merchant(name=name, code=new_merchant_code(session))
    session.add(merchant)
    session.flush()
    create_store(session, merchant.id, code="main", name="总店")
    return merchant


MERCHANT_CODE_PATTERN = re.compile(r"^[1-9][0-9]{5}\Z")


def rules_changed(session: Session, merchant_id: int) -> None:
    """A plugin's rule rows of this merchant changed: facts memoised on its configuration expire."""
    session.execute(update(Merchant).where(Merchant.id == merchant_id)
                    .values(rules_stamp=Merchant.rules_stamp + 1)
                    .execution_options(synchronize_session=False))


def new_merchant_code(session: Session) -> str:
    """A random 6-digit sign-in code no merchant has (issue 13 item 7).

    Digits only: they go through a Chinese input method untouched, unlike letters, which it
    would turn into pinyin. Not a secret (anyone may know which shop they sign in to); the
    sign-in throttle limits guessing of the staff passwords behind it.
    """
    while True:
        code = str(100000 + secrets.randbelow(900000))
        if session.scalar(select(Merchant.id).where(Merchant.code == code)) is None:
            return code


def merchant_key(text: str) -> str:
    """A merchant name or code as compared at sign-in: NFKC (full-width digits and letters
    become plain), no white space at all, case-folded. '会卡 演示商户' == '会卡演示商户'."""
    return "".join(unicodedata.normalize("NFKC", text or "").split()).casefold()


class AmbiguousMerchant(Exception):
    """Several merchants' names read the same once spaces and case are ignored."""


def resolve_merchant(session: Session, typed: str) -> Merchant | None:
    """The merchant a sign-in names by its code or its full name (spaces and case ignored),
    or None. ``AmbiguousMerchant`` when only a loose match finds several (use the code)."""
    key = merchant_key(typed)
    if not key or len(key) > 100:
        return None
    if MERCHANT_CODE_PATTERN.match(key):
        found = session.scalar(select(Merchant).where(Merchant.code == key))
        if found is not None:
            return found
    exact = session.scalar(select(Merchant).where(Merchant.name == (typed or "").strip()))
    if exact is not None:
        return exact
    # Spaces (ASCII and the full-width 　) and ASCII case, in SQL; the rest of merchant_key in
    # Python on the few rows that pass. A merchants table holds hundreds, not millions, of rows.
    loose = func.lower(func.replace(func.replace(Merchant.name, " ", ""), "\u3000", ""))
    candidates = [merchant for merchant in session.scalars(
        select(Merchant).where(loose == key.lower()).limit(20))
        if merchant_key(merchant.name) == key]
    if len(candidates) > 1:
        raise AmbiguousMerchant(typed)
    return candidates[0] if candidates else None


def find_merchant(session: Session, name: str) -> Merchant:
    merchant = session.scalar(select(Merchant).where(Merchant.name == name))
    if merchant is None:
        raise NotFound(f"no merchant named {name!r}")
    return merchant


def create_store(session: Session, merchant_id: int, *, code: str, name: str) -> Store:
    if not STORE_CODE_PATTERN.match(code or ""):
        raise Invalid("store code must be a short slug", details=[problem("/code", "a-z, 0-9, _ or -")])
    if name.strip() and name_problem(name):
        raise Invalid("the store name is not valid", details=[problem("/name", name_problem(name))])
    if session.scalar(select(Store.id).where(Store.merchant_id == merchant_id, Store.code == code)):
        raise Conflict(f"store code {code!r} is taken")
    store = Store(merchant_id=merchant_id, code=code, name=name.strip() or code)
    session.add(store)
    session.flush()
    return store


def create_staff(
    session: Session,
    merchant_id: int,
    *,
    username: str,
    password: str,
    role: str,
    display_name: str = "",
    store_id: int | None = None,
) -> Staff:
    problems = []
    if not USERNAME_PATTERN.match(username or ""):
        problems.append(problem("/username", "2 to 60 characters: a-z, 0-9, _ . -"))
    if len(password or "") < MIN_PASSWORD_LENGTH:
        problems.append(problem("/password", f"at least {MIN_PASSWORD_LENGTH} characters"))
    if role not in {r.value for r in StaffRole}:
        problems.append(problem("/role", "owner, manager or cashier"))
    if display_name and name_problem(display_name):
        problems.append(problem("/display_name", name_problem(display_name)))
    if problems:
        raise Invalid("the staff user is not valid", details=problems)
    if store_id is not None and session.scalar(
        select(Store.id).where(Store.id == store_id, Store.merchant_id == merchant_id)
    ) is None:
        raise NotFound(f"store {store_id} does not exist")
    if session.scalar(select(Staff.id).where(Staff.merchant_id == merchant_id,
                                             Staff.username == username)) is not None:
        raise Conflict(f"username {username!r} is taken")
    staff = Staff(
        merchant_id=merchant_id,
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_secret(password),
        store_id=store_id,
    )
    session.add(staff)
    session.flush()
    return staff


def find_staff(session: Session, merchant_id: int, username: str) -> Staff:
    staff = session.scalar(select(Staff).where(Staff.merchant_id == merchant_id,
                                               Staff.username == username))
    if staff is None:
        raise NotFound(f"no staff user {username!r}")
    return staff


def authenticate(session: Session, merchant_id: int, username: str, password: str) -> Staff | None:
    staff = session.scalar(select(Staff).where(Staff.merchant_id == merchant_id,
                                               Staff.username == username, Staff.active.is_(True)))
    if staff is None or not verify_secret(password, staff.password_hash):
        return None
    return staff


def issue_token(session: Session, staff: Staff, label: str = "") -> str:
    """Create a bearer token for ``staff``; the plain token is returned once, never stored."""
    token = new_token()
    session.add(ApiToken(staff_id=staff.id, digest=token_digest(token), label=label[:100]))
    session.flush()
    return token


def latest_token_id(session: Session, staff: Staff) -> int | None:
    """The id of ``staff``'s newest token (what an audit row names; never the token itself)."""
    return session.scalar(select(ApiToken.id).where(ApiToken.staff_id == staff.id)
                          .order_by(ApiToken.id.desc()).limit(1))


class TokenCaller(NamedTuple):
    staff_id: int
    merchant_id: int
    role: str
    store_id: int | None
    username: str


# Every API request runs this: built once, on the tables (no ORM objects to load), and sent
# to the driver as compiled SQL (core.direct_sql).
_TOKEN_CALLER = DirectStatement(
    select(Staff.__table__.c.id.label("staff_id"), Staff.__table__.c.merchant_id,
           Staff.__table__.c.role, Staff.__table__.c.store_id, Staff.__table__.c.username)
    .select_from(Staff.__table__.join(ApiToken.__table__,
                                      ApiToken.__table__.c.staff_id == Staff.__table__.c.id))
    .where(ApiToken.__table__.c.digest == bindparam("digest"),
           ApiToken.__table__.c.revoked_at.is_(None), Staff.__table__.c.active.is_(True))
)


def caller_for_token(connection: Connection | Session, token: str) -> TokenCaller | None:
    """(staff_id, merchant_id, role, store_id, username) of the active staff user behind a
    valid, unrevoked token, or None."""
    row = _TOKEN_CALLER.first(connection, {"digest": token_digest(token)})
    return TokenCaller(*row) if row is not None else None
