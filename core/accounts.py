"""Ledger accounts as plain values, looked up or created once.

A posting needs an account's id, owner and asset, not an ORM object with a unit of work:
the checkout's hot path works on ``AccountRef`` values and SQLAlchemy Core statements built
once at import. Refs are kept per session (one lookup per account and transaction), and the
ids of merchant accounts per Database (``Database.shared``) once the transaction that found
them committed: they never change, so a checkout looks none of them up. Account rows are
never deleted; a database restored from a backup needs the server restarted
(docs/operations.md).
"""
from __future__ import annotations

from sqlalchemy import bindparam, event, literal_column, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from .db import SHARED
from .direct_sql import DirectStatement
from .models import Account, AccountOwner

_REFS = "huika.account_refs"  # session.info: {key: AccountRef} seen in this session
_CARDS_LOADED = "huika.card_accounts_loaded"  # session.info: card ids whose accounts are all in _REFS
_PENDING = "huika.pending_moves"  # session.info: balance updates left for apply_pending
_LEARNED = "huika.learned_account_ids"  # session.info: merchant account ids to share on commit

CARD = AccountOwner.CARD.value
MERCHANT = AccountOwner.MERCHANT.value

accounts = Account.__table__
# The owner is written into the SQL, not bound: SQLite matches a bound owner against the
# partial index on merchant accounts, and re-prepares the statement whenever it is bound
# again (issue 11, F4: most of a lookup's query time).
_OWNER_IS_CARD = accounts.c.owner == literal_column(f"'{CARD}'")
_OWNER_IS_MERCHANT = accounts.c.owner == literal_column(f"'{MERCHANT}'")
_FIND_CARD = select(accounts.c.id, accounts.c.balance).where(
    accounts.c.card_id == bindparam("card_id"), _OWNER_IS_CARD,
    accounts.c.merchant_id == bindparam("merchant_id"), accounts.c.purpose == bindparam("purpose"),
    accounts.c.asset == bindparam("asset"))
_FIND_MERCHANT = select(accounts.c.id, accounts.c.balance).where(
    accounts.c.merchant_id == bindparam("merchant_id"), _OWNER_IS_MERCHANT,
    accounts.c.purpose == bindparam("purpose"), accounts.c.asset == bindparam("asset"))
# Moves an account's balance by ``amount``: the unguarded update (merchant accounts, credits).
MOVE_BALANCE = (update(accounts).where(accounts.c.id == bindparam("account_id"))
                .values(balance=accounts.c.balance + bindparam("amount")))
DIRECT_MOVE_BALANCE = DirectStatement(MOVE_BALANCE)
_BALANCE = select(accounts.c.balance).where(accounts.c.id == bindparam("account_id"))
_CARD_ACCOUNTS = select(accounts.c.id.label("account_id"), accounts.c.merchant_id,
                        accounts.c.purpose, accounts.c.asset, accounts.c.balance).where(
    accounts.c.card_id == bindparam("card_id"))
# ON CONFLICT DO NOTHING with no target covers both unique rules (card and merchant accounts):
# a concurrent request that created the account first wins, and we read its row.
_CREATE = {
    "sqlite": DirectStatement(sqlite.insert(accounts).on_conflict_do_nothing()
                              .returning(accounts.c.id)),
    "postgresql": DirectStatement(postgresql.insert(accounts).on_conflict_do_nothing()
                                  .returning(accounts.c.id)),
}


class AccountRef:
    """One ledger account: identity plus its balance as this transaction last saw it.

    A new account is only named at first (``pending``): the first post to it inserts the
    row with the posted amount as its balance, one statement instead of two.

    ``balance`` is exact after a post touched the account; otherwise it is read from the
    database on first use. ``held_balance``: the balance when it was read or written while
    this transaction held the account (its card locked, or the row written by us), so a
    credit can be added to it without reading the row back; None when not known so.
    """

    __slots__ = ("_id", "merchant_id", "owner", "card_id", "purpose", "asset", "_balance",
                 "_session", "held_balance", "_created_under")

    def __init__(self, session: Session | None, id: int | None, merchant_id: int, owner: str,
                 card_id: int | None, purpose: str, asset: str, balance: int | None = None,
                 *, held: bool = False) -> None:
        self._session = session
        self._id, self.merchant_id, self.owner, self.card_id = id, merchant_id, owner, card_id
        self.purpose, self.asset, self._balance = purpose, asset, balance
        self.held_balance = balance if held else None
        self._created_under = None  # the (nested) transaction that inserted its row

    @property
    def pending(self) -> bool:
        """Not in the database yet: the first post to it creates the row with its amount."""
        return self._id is None

    @property
    def id(self) -> int:
        if self._id is None:
            self.create(0)
        return self._id

    def create(self, balance: int) -> bool:
        """Insert the account's row holding ``balance``; False if a concurrent request
        created it first (then this ref names that row, its balance untouched)."""
        key = _key(self.merchant_id, self.owner, self.card_id, self.purpose, self.asset)
        connection = self._session.connection()
        created = _CREATE[connection.dialect.name].scalar(connection, {
            "merchant_id": self.merchant_id, "owner": self.owner, "card_id": self.card_id,
            "purpose": self.purpose, "asset": self.asset, "balance": balance})
        if created is not None:
            self._id = created
            self._created_under = (self._session.get_nested_transaction()
                                   or self._session.get_transaction())
            self.known_balance(balance)  # ours until we commit
            return True
        found = _find(self._session, key)
        self._id, self._balance, self.held_balance = found._id, found._balance, None
        return False

    @property
    def balance(self) -> int:
        if self._balance is None:
            apply_pending(self._session)
            self._balance = int(self._session.connection().execute(
                _BALANCE, {"account_id": self.id}).scalar_one())
        return self._balance

    def known_balance(self, value: int | None) -> None:
        """Record the balance a statement of this transaction wrote (None: read it again
        when asked)."""
        self._balance = self.held_balance = value

    def __repr__(self) -> str:
        return f"<AccountRef {self.id} {self.owner} {self.purpose or self.card_id} {self.asset}>"


def _key(merchant_id: int, owner: str, card_id: int | None, purpose: str, asset: str) -> tuple:
    return (merchant_id, owner, card_id, purpose, asset)


def _shared_ids(session: Session) -> dict | None:
    shared = session.info.get(SHARED)
    return None if shared is None else shared.setdefault("merchant_account_ids", {})


def _refs(session: Session) -> dict:
    return session.info.setdefault(_REFS, {})


def card_account(session: Session, merchant_id: int, card_id: int, asset: str) -> AccountRef:
    """The card's account for ``asset``, created on first use."""
    return account(session, merchant_id, CARD, card_id, "", asset)


def merchant_account(session: Session, merchant_id: int, purpose: str, asset: str) -> AccountRef:
    """The merchant's ``purpose`` account for ``asset`` (sales, issued, cash drawer …)."""
    return account(session, merchant_id, MERCHANT, None, purpose, asset)


def account(session: Session, merchant_id: int, owner: str, card_id: int | None, purpose: str,
            asset: str) -> AccountRef:
    key = _key(merchant_id, owner, card_id, purpose, asset)
    refs = _refs(session)
    ref = refs.get(key)
    if ref is not None:
        return ref
    shared = _shared_ids(session)
    if owner == MERCHANT and shared is not None and key in shared:
        ref = refs[key] = AccountRef(session, shared[key], *key)
        return ref
    if owner == CARD and card_id in session.info.get(_CARDS_LOADED, ()):
        ref = None  # the card's accounts were all read: this one is new
    else:
        ref = _find(session, key)
    if ref is None:  # created by its first post (core.ledger), or when its id is first asked
        ref = AccountRef(session, None, *key, balance=0, held=True)
    refs[key] = ref
    return ref


def _find(session: Session, key: tuple) -> AccountRef | None:
    merchant_id, owner, card_id, purpose, asset = key
    row = session.connection().execute(_FIND_CARD if owner == CARD else _FIND_MERCHANT, {
        "merchant_id": merchant_id, "card_id": card_id, "purpose": purpose,
        "asset": asset}).first()
    if row is None:
        return None
    if owner == MERCHANT:  # shared with the Database's other sessions once we commit
        session.info.setdefault(_LEARNED, {})[key] = row.id
    return AccountRef(session, row.id, *key, balance=row.balance)


def load_card_accounts(session: Session, card_id: int) -> None:
    """Read every account of one card in one statement (its balances current from here on:
    the caller holds the card, and every writer of card accounts holds the card first)."""
    rows = session.connection().execute(_CARD_ACCOUNTS, {"card_id": card_id}).all()
    remember_card_accounts(session, card_id, rows)


def remember_card_accounts(session: Session, card_id: int, rows) -> None:
    """Keep ``rows`` (account_id, merchant_id, purpose, asset, balance), all accounts of the
    card, read while this transaction holds the card."""
    refs = _refs(session)
    for row in rows:
        key = _key(row.merchant_id, CARD, card_id, row.purpose, row.asset)
        ref = refs.get(key)
        if ref is None:
            refs[key] = AccountRef(session, row.account_id, *key, balance=row.balance, held=True)
        else:
            ref.known_balance(row.balance)
    session.info.setdefault(_CARDS_LOADED, set()).add(card_id)


def card_balances_known(session: Session, card_id: int) -> dict[str, int]:
    """Balance per asset of one card from this session's refs (after load_card_accounts)."""
    return {ref.asset: ref.balance for key, ref in _refs(session).items()
            if key[1] == CARD and key[2] == card_id}


def forget_balance(session: Session, account_id: int) -> None:
    """An ORM Account object moved this account: the ref's balance must be read again."""
    for ref in _refs(session).values():
        if ref._id == account_id:
            ref.known_balance(None)


def pending_moves(session: Session) -> list[dict]:
    """Balance updates ({account_id, amount}) a post left to run late (core.ledger.post's
    ``shared_rows_last``): they run before any read could miss them."""
    return session.info.setdefault(_PENDING, [])


def apply_pending(session: Session) -> None:
    """Run the balance updates left for later, in account id order (the lock order)."""
    pending = session.info.pop(_PENDING, None)
    if pending:
        DIRECT_MOVE_BALANCE.execute_many(session.connection(),
                                         sorted(pending, key=lambda m: m["account_id"]))


@event.listens_for(Session, "do_orm_execute")
def _pending_before_queries(orm_execute_state) -> None:
    apply_pending(orm_execute_state.session)  # an ORM query must see every balance


@event.listens_for(Session, "before_commit")
def _pending_before_commit(session: Session) -> None:
    apply_pending(session)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """The whole transaction committed (not a savepoint): share the merchant account ids it
    found, and forget the rest (balances seen are only current inside a transaction)."""
    if session.in_nested_transaction():
        return  # a savepoint was released: everything it did stays part of the transaction
    learned = session.info.pop(_LEARNED, None)
    shared = _shared_ids(session)
    if learned and shared is not None:
        shared.update(learned)
    forget(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        forget(session)
        return
    # A savepoint rolled back: rows created inside it are gone (their refs name new accounts
    # again) and any balance may have moved back.
    for ref in session.info.get(_REFS, {}).values():
        if ref._id is None:
            continue  # still a new account: nothing of it was written
        if _inside(ref._created_under, previous_transaction):
            ref._id, ref._created_under = None, None
            ref._balance = ref.held_balance = 0
        else:
            ref._balance = ref.held_balance = None
    session.info.pop(_CARDS_LOADED, None)


def _inside(transaction, ancestor) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False


def forget(session: Session) -> None:
    """Drop this session's refs, ids to share and updates left for later: its transaction
    ended (refs are only valid inside it; a rollback undid the updates)."""
    for name in (_REFS, _CARDS_LOADED, _PENDING, _LEARNED):
        session.info.pop(name, None)
