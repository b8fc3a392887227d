"""Returns (G3, P8): give back exactly what the returned lines cost, once.

The refund of a return is the paid amount of the returned lines. It goes back to the
original tenders in proportion, computed cumulatively (floor of total x returned-so-far /
paid), so any sequence of partial returns adds up to exactly what was paid when everything
is back; stored value and points spent return to the very lots they came from. Earnings
are recomputed on the lines still kept and the difference is taken back (P8).
"""
from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import ledger
from .cards import current_card
from .clock import local_date
from .checkout import CheckoutState, PricedLine, earnings
from .errors import Conflict, Invalid, NotFound, problem
from .ledger import Posting
from .merchant_config import MerchantConfig
from .models import Account, Card, Checkout, CheckoutLine, CheckoutReturn, Entry, Tier
from .pricing import proportional_share
from .tiers import record_spend


def get_checkout(session: Session, merchant_id: int, checkout_id: int, *,
                 lock: bool = False) -> Checkout:
    query = select(Checkout).where(Checkout.merchant_id == merchant_id, Checkout.id == checkout_id)
    record = session.scalar(query.with_for_update() if lock else query)
    if record is None:
        raise NotFound(f"checkout {checkout_id} does not exist")
    return record


def returns_of(session: Session, record: Checkout) -> list[dict]:
    rows = session.scalars(select(CheckoutReturn).where(CheckoutReturn.checkout_id == record.id)
                           .order_by(CheckoutReturn.id))
    return [{"return_id": r.id, "lines": r.lines, "refund_fen": r.refund_fen,
             "created_at": r.created_at.isoformat()} for r in rows]


def return_lines(session: Session, config: MerchantConfig, merchant_id: int, checkout_id: int,
                 body: dict, *, store_id: int | None, staff_id: int | None, now) -> dict:
    # Locked: two tills returning the same line at once queue here, and the second one sees
    # the first one's returned_quantity (READ COMMITTED re-reads it after the lock).
    record = get_checkout(session, merchant_id, checkout_id, lock=True)
    session.refresh(record)
    for line in record.lines:
        session.refresh(line)
    wanted = _parse(body, record)
    lines = {line.line_no: line for line in record.lines}
    returned_now = []
    for line_no, quantity in wanted.items():
        line = lines[line_no]
        # Guarded: a concurrent or repeated return of the same units is refused (once only).
        if line.returned_quantity + quantity > line.quantity:
            raise Conflict(f"line {line_no}: only {line.quantity - line.returned_quantity} "
                           f"of {line.quantity} can still be returned", code="already_returned")
        returned_now.append((line, quantity))
    paid_before = _returned_paid(record)
    for line, quantity in returned_now:
        line.returned_quantity += quantity
    paid_after = _returned_paid(record)
    refunded_before = sum(payment.refunded_fen for payment in record.payments)
    postings = _refund_postings(session, record, paid_before, paid_after)
    # What the tenders really give back this time (each is rounded down; the last return of a
    # checkout gives back every remaining fen), not the lines' share, so reports and tier
    # spend count exactly the money that moved.
    refund_fen = sum(payment.refunded_fen for payment in record.payments) - refunded_before
    takebacks, not_recovered = _earning_takebacks(session, config, record, now, postings)
    postings += takebacks
    memo = {"checkout_id": record.id, **({"not_recovered": not_recovered} if not_recovered else {})}
    posted = ledger.post(session, merchant_id, "return", postings or _nothing(session, merchant_id),
                         store_id=store_id, staff_id=staff_id, reverses_id=record.transaction_id,
                         memo=memo, now=now)
    entry = CheckoutReturn(checkout_id=record.id, transaction_id=posted.id, refund_fen=refund_fen,
                           lines=[{"line_no": line.line_no, "quantity": quantity,
                                   "paid_fen": _line_share(line, quantity)}
                                  for line, quantity in returned_now], created_at=now)
    session.add(entry)
    session.flush()
    if record.card_id is not None:  # C4: a refund counts against the day of its sale
        record_spend(session, record.card_id, local_date(record.created_at), -refund_fen)
    config.hook("after_checkout_return")(session=session, checkout=record, returned=returned_now,
                                         config=config)
    card = current_card(session, session.get(Card, record.card_id)) if record.card_id else None
    return {"return_id": entry.id, "checkout_id": record.id, "refund_fen": refund_fen,
            "lines": entry.lines,
            "refunds": [{"asset": p.account.asset, "amount": p.amount} for p in postings
                        if p.account.owner == "card"],
            "not_recovered": not_recovered,
            "balances": ledger.card_balances(session, card.id) if card else {}}


def _parse(body: dict, record: Checkout) -> dict[int, int]:
    raw = body.get("lines") if isinstance(body, dict) else None
    if not isinstance(raw, list) or not raw:
        raise Invalid("name the lines to return", details=[problem("/lines", "[{line_no, quantity}]")])
    known = {line.line_no for line in record.lines}
    wanted: dict[int, int] = defaultdict(int)
    problems = []
    for index, item in enumerate(raw):
        line_no = item.get("line_no") if isinstance(item, dict) else None
        if type(line_no) is not int or line_no not in known:
            problems.append(problem(f"/lines/{index}/line_no", "a line number of this checkout"))
            continue
        quantity = item.get("quantity")
        if type(quantity) is not int or quantity < 1:
            problems.append(problem(f"/lines/{index}/quantity", "a whole number of at least 1"))
            continue
        wanted[item["line_no"]] += quantity
    if problems:
        raise Invalid("the return is not valid; nothing was changed", details=problems)
    return dict(wanted)


def _line_share(line: CheckoutLine, quantity: int) -> int:
    """Paid fen of ``quantity`` units, cumulative so that all units add up to paid_fen."""
    before = proportional_share(line.paid_fen, line.returned_quantity - quantity, line.quantity)
    after = proportional_share(line.paid_fen, line.returned_quantity, line.quantity)
    return after - before


def _returned_paid(record: Checkout) -> int:
    return sum(proportional_share(line.paid_fen, line.returned_quantity, line.quantity)
               for line in record.lines)


def _refund_postings(session: Session, record: Checkout, before: int, after: int) -> list[Posting]:
    """Reverse each tender's postings by the share of the paid total now returned."""
    postings = []
    for payment in record.payments:
        refunded = 0
        for original in payment.postings:
            account = session.get(Account, original["account_id"])
            amount = original["amount"]
            share_before = _signed_share(amount, before, record.due_total_fen)
            share_after = _signed_share(amount, after, record.due_total_fen)
            if is_sales_account(account):
                refunded -= share_after
            give_back = -(share_after - share_before)
            if not give_back:
                continue
            restore = None
            if account.owner == "card":
                current = current_card(session, session.get(Card, account.card_id))
                if current.id != account.card_id:  # the card was replaced: its balances moved
                    account = ledger.card_account(session, record.merchant_id, current.id, account.asset)
                elif give_back > 0:
                    restore = record.transaction_id
            postings.append(Posting(account, give_back, restore_from=restore))
        # What went back through the sales account: a tender with several postings there
        # (stored value: principal and bonus) has each rounded down, so the sum of their
        # shares, not the share of their sum, is the money that moved.
        payment.refunded_fen = refunded
    return postings


def is_sales_account(account: Account) -> bool:
    return account.owner == "merchant" and account.purpose == "sales" and account.asset == "cny"


def _signed_share(amount: int, part: int, whole: int) -> int:
    share = proportional_share(abs(amount), part, whole)
    return share if amount >= 0 else -share


def _earning_takebacks(session: Session, config: MerchantConfig, record: Checkout, now,
                       refunds: list[Posting]) -> tuple[list[Posting], dict[str, int]]:
    """Recompute what the kept lines earn; take back the difference from the card (P8).

    Points never block a return (G3): what the card no longer holds (spent, or expired) cannot
    come back, so the return takes what the card can give once this return's refunds are in,
    and the rest is not recovered (returned in ``not_recovered``, kept in the memo). Either
    way the amount counts as settled, so a later return of the same checkout does not ask again.
    """
    if record.card_id is None or not record.earned:
        return [], {}
    card = session.get(Card, record.card_id)
    holder = current_card(session, card)  # points earned then live on the replacement now
    config = _config_at_checkout(session, config, record)
    kept = []
    for line in record.lines:
        quantity = line.quantity - line.returned_quantity
        if quantity == 0:
            continue
        kept.append(PricedLine(line_no=line.line_no, sku=line.sku, name=line.name,
                               category=line.category, quantity=quantity,
                               unit_price_fen=line.unit_price_fen, special_price=line.special_price,
                               promotion_permille=line.promotion_permille,
                               tier_permille=line.tier_permille,
                               points_permille=line.points_permille,
                               paid_fen=line.paid_fen - proportional_share(
                                   line.paid_fen, line.returned_quantity, line.quantity)))
    state = CheckoutState(session=session, config=config, merchant_id=record.merchant_id,
                          store_id=record.store_id, staff_id=record.staff_id, now=record.created_at,
                          card=card, member=card.member, tier=_tier_at_checkout(session, record),
                          lines=kept)
    still_earned = {e.asset: e.amount for e in earnings(state, kept)} if kept else {}
    taken_back = dict(record.receipt.get("taken_back", {}))
    postings, not_recovered = [], {}
    for asset, amount in record.earned.items():
        due_back = amount - still_earned.get(asset, 0) - taken_back.get(asset, 0)
        if due_back <= 0:
            continue
        card_account = ledger.card_account(session, record.merchant_id, holder.id, asset)
        taking = min(due_back, _available_after(session, card_account, refunds, local_date(now)))
        if taking:
            issued = _earning_counter_account(session, record, asset)
            postings += [Posting(card_account, -taking, prefer_lots_of=record.transaction_id),
                         Posting(issued, taking)]
        if taking < due_back:
            not_recovered[asset] = due_back - taking
        taken_back[asset] = taken_back.get(asset, 0) + due_back
    record.receipt = {**record.receipt, "taken_back": taken_back}
    return postings, not_recovered


def _available_after(session: Session, account: Account, refunds: list[Posting], today) -> int:
    """What a debit on ``today`` can take from ``account`` once ``refunds`` are posted: its
    unexpired lots, plus what the refunds give back into unexpired lots or new ones."""
    available = ledger.spendable(session, account, today)
    for posting in refunds:
        if posting.account.id != account.id or posting.amount <= 0:
            continue
        if posting.restore_from is None:
            available += posting.amount  # a new lot
            continue
        plan = ledger.restore_plan(session, account.id, posting.restore_from, posting.amount)
        available += sum(give for lot, give in plan if lot.expires_on is None or lot.expires_on >= today)
    return available


def _config_at_checkout(session: Session, config: MerchantConfig, record: Checkout) -> MerchantConfig:
    """Earnings are recomputed with the rules in force at the checkout, not today's (P8)."""
    version = (record.receipt or {}).get("config_version")
    if version is None or version == config.version:
        return config
    from .config_versions import get_version

    return MerchantConfig(get_version(session, record.merchant_id, version).document,
                          config.registry, version=version)


def _tier_at_checkout(session: Session, record: Checkout):
    if record.tier_key is None:
        return None
    return session.scalar(select(Tier).where(Tier.merchant_id == record.merchant_id,
                                             Tier.key == record.tier_key))


def _earning_counter_account(session: Session, record: Checkout, asset: str) -> Account:
    """The merchant account the original earning was posted against, for this asset."""
    account = session.scalar(
        select(Account).join(Entry, Entry.account_id == Account.id)
        .where(Entry.transaction_id == record.transaction_id, Account.asset == asset,
               Account.owner == "merchant", Entry.amount < 0).limit(1))
    return account or ledger.merchant_account(session, record.merchant_id, "issued", asset)


def _nothing(session: Session, merchant_id: int) -> list[Posting]:
    return [Posting(ledger.merchant_account(session, merchant_id, "sales", "cny"), 0)]
