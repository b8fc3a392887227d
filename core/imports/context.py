"""What a kind's ``check`` and ``post`` get: the session, the merchant, the clock, bulk card
lookups and the one ledger transaction that carries a batch's opening balances."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Iterable

from sqlalchemy.orm import Session

from .. import ledger
from ..clock import local_date
from ..errors import Conflict
from ..merchant_config import MerchantConfig
from ..accounts import CARD
from .bulk import CardInfo, apply_moves_in_bulk, cards_by_number, lock_cards, ready_card_accounts

OPENING_TRANSACTION = "import_opening"
# The merchant side of imported balances: what the old system owed its members on the day
# of the switch. A kind moves money it received earlier (stored value principal) from here to
# the account where Huika keeps such money, so refunds and reports work as for a recharge.
OPENING_PURPOSE = "import_opening"


@dataclass(frozen=True)
class CardCredit:
    """``amount`` of ``asset`` onto a card, a lot expiring on ``expires_on`` (None: never)."""

    card_id: int
    asset: str
    amount: int
    expires_on: date | None = None


@dataclass
class ImportContext:
    session: Session
    config: MerchantConfig
    merchant_id: int
    now: datetime
    kind: str
    staff_id: int | None = None
    store_id: int | None = None
    batch_id: int | None = None  # None in a dry run
    transaction_id: int | None = None  # the batch's ledger transaction, once posted
    _cards: dict[str, CardInfo] = field(default_factory=dict)

    @property
    def today(self) -> date:
        return local_date(self.now)

    def cards(self, numbers: Iterable[str]) -> dict[str, CardInfo]:
        """The merchant's cards among ``numbers`` (read once per import)."""
        wanted = set(numbers) - set(self._cards)
        if wanted:
            self._cards.update(cards_by_number(self.session, self.merchant_id, wanted))
        return {number: self._cards[number] for number in numbers if number in self._cards}

    def post_opening(self, credits: list[CardCredit], counterparts: list[tuple[str, str, int]],
                     memo: dict | None = None) -> int | None:
        """Post the batch's opening balances as ONE ledger transaction: ``credits`` onto cards
        and ``counterparts`` (purpose, asset, signed amount) on merchant accounts; the whole
        must balance per asset (core.ledger refuses it otherwise). Returns its id."""
        if self.batch_id is None:
            raise RuntimeError("a dry run posts nothing")
        if self.transaction_id is not None:
            raise Conflict("a batch posts one ledger transaction", code="import_posted_twice")
        session, merchant_id = self.session, self.merchant_id
        lock_cards(session, (credit.card_id for credit in credits))
        ready_card_accounts(session, merchant_id, ((c.card_id, c.asset) for c in credits))
        postings = [ledger.Posting(ledger.card_account(session, merchant_id, c.card_id, c.asset),
                                   c.amount, expires_on=c.expires_on)
                    for c in credits if c.amount]
        postings += [ledger.Posting(ledger.merchant_account(session, merchant_id, purpose, asset), amount)
                     for purpose, asset, amount in counterparts if amount]
        if not postings:
            return None
        postgresql = session.get_bind().dialect.name == "postgresql"
        posted = ledger.post(session, merchant_id, OPENING_TRANSACTION, postings,
                             staff_id=self.staff_id, store_id=self.store_id,
                             idempotency_key=f"import:{self.batch_id}", now=self.now, atomic=False,
                             shared_rows_last=postgresql,
                             memo={"import_batch_id": self.batch_id, "kind": self.kind, **(memo or {})})
        if postgresql:
            apply_moves_in_bulk(session, {p.account.id for p in postings if p.account.owner == CARD})
        self.transaction_id = posted.id
        return posted.id
