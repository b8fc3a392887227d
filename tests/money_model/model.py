"""The money model: what the rules of /work/shared/RULES.md say the books hold, in plain Python.

It imports nothing from the product on purpose: every expected value here is computed from
the rules (S1 bonus tiers, S2 principal first, S3 new-card cap, C2 pricing, P1 earning, P4
points as cash, P7 expiry, P8 and G3 returns), so the state machine in test_money_model.py
can compare the product with an independent opinion after every step.

Amounts are integer fen, points or sessions. ``Rejected`` is what the product must answer
instead (HTTP status and error code); a rejected step changes nothing.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from .common import BONUS, POINTS, PRINCIPAL, SESSIONS, VOUCHERS, Rejected
from .plugin_rules import Package, ShopRules, Voucher


# -- the merchant's settings, as the test publishes them -------------------------------

@dataclass(frozen=True)
class Rules:
    min_recharge_fen: int = 50000  # S1: 500 yuan
    bonus_tiers: tuple = ((100000, 10000), (200000, 30000))  # S1: 充1000送100, 充2000送300
    new_card_cap_permille: int = 600  # S3
    earn_unit_fen: int = 1000  # P1: 1 point per full 10 yuan
    cash_points: int = 10  # P4: 10 points pay 1 yuan
    cash_value_fen: int = 100
    points_expiry_days: int = 3  # P7: a lot lasts until 3 days after the day it was earned
    plan_sessions: int = 4  # T1: the count package on sale: 4 sessions of piano,
    plan_price_fen: int = 30000  # 300 yuan (the tier discount applies),
    plan_validity_days: int = 30  # valid 30 days from the day of sale
    blackout: tuple = ((date(2026, 3, 2), date(2026, 3, 2)),)  # H2: no voucher stays then

    def bonus(self, amount: int) -> int:
        """S1: the bonus of the highest tier the recharge reaches, once."""
        reached = [bonus for threshold, bonus in self.bonus_tiers if amount >= threshold]
        return max(reached, default=0)


def half_up(numerator: int, denominator: int) -> int:
    return (2 * numerator + denominator) // (2 * denominator)


def line_paid(unit_fen: int, quantity: int, promotion: int, tier: int, special: bool) -> int:
    """C2: special price pays the list price; otherwise promotion x tier, half up once per line."""
    list_fen = unit_fen * quantity
    return list_fen if special else half_up(list_fen * promotion * tier, 1000 * 1000)


def floor_share(total: int, part: int, whole: int) -> int:
    """G3: refunds are cumulative floors, so partial returns add up to the whole exactly."""
    return total * part // whole if whole else 0


# -- balances with lots ------------------------------------------------------------------

@dataclass
class Lot:
    id: int
    tx: int
    remaining: int
    expires_on: date | None


class Insufficient(Exception):
    pass


@dataclass
class Balance:
    """One card balance kept in lots: spending takes unexpired lots, soonest expiry first
    (never-expiring last); a return gives back to the very lots its checkout took."""

    lots: list[Lot] = field(default_factory=list)
    taken: dict = field(default_factory=lambda: defaultdict(int))  # (tx, lot id) -> taken
    restored: dict = field(default_factory=lambda: defaultdict(int))  # (source tx, lot id) -> back

    @property
    def total(self) -> int:
        return sum(lot.remaining for lot in self.lots)

    def spendable(self, today: date) -> int:
        return sum(lot.remaining for lot in self.lots if _valid(lot, today))

    def credit(self, new_id, tx: int, amount: int, expires_on: date | None = None) -> None:
        if amount > 0:
            self.lots.append(Lot(new_id(), tx, amount, expires_on))

    def debit(self, tx: int, amount: int, today: date, prefer_tx: int | None = None) -> None:
        if amount <= 0:
            return
        if self.total < amount or self.spendable(today) < amount:
            raise Insufficient
        order = sorted((lot for lot in self.lots if lot.remaining and _valid(lot, today)),
                       key=lambda lot: (lot.tx != prefer_tx if prefer_tx else 1,
                                        lot.expires_on is None, lot.expires_on or date.max, lot.id))
        for lot in order:
            take = min(lot.remaining, amount)
            lot.remaining -= take
            self.taken[(tx, lot.id)] += take
            amount -= take
            if not amount:
                break

    def restore(self, source_tx: int, amount: int) -> None:
        """Give back to the lots ``source_tx`` took from, in lot order."""
        for lot in sorted(self.lots, key=lambda lot: lot.id):
            room = self.taken.get((source_tx, lot.id), 0) - self.restored[(source_tx, lot.id)]
            give = min(room, amount)
            if give > 0:
                lot.remaining += give
                self.restored[(source_tx, lot.id)] += give
                amount -= give
        assert amount == 0, "the model gave back more than its checkout took"

    def expire(self, today: date) -> int:
        """P7: lots past their date go; returns the points taken."""
        gone = 0
        for lot in self.lots:
            if lot.remaining and not _valid(lot, today):
                gone += lot.remaining
                lot.remaining = 0
        return gone

    def open_lots(self) -> list[tuple[int, str | None]]:
        lots = sorted((lot for lot in self.lots if lot.remaining),
                      key=lambda lot: (lot.expires_on is None, lot.expires_on or date.max, lot.id))
        return [(lot.remaining, lot.expires_on.isoformat() if lot.expires_on else None) for lot in lots]


def _valid(lot: Lot, today: date) -> bool:
    """A lot can be spent up to and including its expiry date (local date)."""
    return lot.expires_on is None or lot.expires_on >= today


# -- cards, checkouts and the merchant's books -----------------------------------------

@dataclass
class Card:
    number: str
    tier_permille: int  # C1: the member discount of the card's tier
    earns_points: bool  # P3: purchase cards earn nothing
    balances: dict = field(default_factory=lambda: {PRINCIPAL: Balance(), BONUS: Balance(),
                                                    POINTS: Balance(), SESSIONS: Balance(),
                                                    VOUCHERS: Balance()})
    loaded_on: dict = field(default_factory=lambda: defaultdict(int))  # local day -> principal (S3)
    stored_spent_on: dict = field(default_factory=lambda: defaultdict(int))  # day -> net spent

    def amounts(self) -> dict:
        return {asset: balance.total for asset, balance in self.balances.items()}


@dataclass
class Line:
    quantity: int
    paid_fen: int
    returned: int = 0

    def returned_paid(self) -> int:
        return floor_share(self.paid_fen, self.returned, self.quantity)


@dataclass
class Checkout:
    tx: int
    card: str
    lines: list[Line]
    due_fen: int
    # Each tender: the card asset it came from (None for money), its amount, and the merchant
    # accounts it moved with their signs; a return gives back the same share of each.
    tenders: list[dict]
    earned: int
    taken_back: int = 0
    packages: list = field(default_factory=list)  # of its package line (line 1), by unit

    def returned_paid(self) -> int:
        return sum(line.returned_paid() for line in self.lines)


class MoneyModel(ShopRules):
    """The books of one merchant as the rules say (plugins' rules in plugin_rules.py)."""

    def __init__(self, rules: Rules) -> None:
        self.rules = rules
        self.cards: dict[str, Card] = {}
        self.checkouts: dict[int, Checkout] = {}  # by the product's checkout id
        self.merchant = defaultdict(int)  # (purpose, asset) -> balance
        self.mall_stock: dict[int, tuple[int, int]] = {}  # item id -> (points cost, stock)
        self.packages: dict[str, list[Package]] = defaultdict(list)  # card -> packages
        self.vouchers: dict[str, Voucher] = {}  # code -> voucher (H2)
        self._last_tx = self._last_lot = 0

    def _next_tx(self) -> int:
        self._last_tx += 1
        return self._last_tx

    def _lot(self) -> int:
        self._last_lot += 1
        return self._last_lot

    def add_card(self, number: str, tier_permille: int, earns_points: bool) -> None:
        self.cards[number] = Card(number, tier_permille, earns_points)

    def _book(self, postings: list[tuple[str, str, int]]) -> None:
        for purpose, asset, amount in postings:
            self.merchant[(purpose, asset)] += amount

    # S1 recharge --------------------------------------------------------------------
    def recharge(self, number: str, amount: int, today: date) -> dict:
        if amount < self.rules.min_recharge_fen:
            raise Rejected(422, "below_minimum_recharge")
        card, tx, bonus = self.cards[number], self._next_tx(), self.rules.bonus(amount)
        card.balances[PRINCIPAL].credit(self._lot, tx, amount)
        card.balances[BONUS].credit(self._lot, tx, bonus)
        card.loaded_on[today] += amount
        self._book([("issued", PRINCIPAL, -amount), ("issued", BONUS, -bonus),
                    ("stored_value_sold", "cny", -amount), ("cash_drawer", "cny", amount)])
        return {"principal_fen": amount, "bonus_fen": bonus}

    # S2, S3, C6, P1, P4: a checkout ---------------------------------------------------
    def price(self, number: str, lines: list[dict]) -> list[Line]:
        tier = self.cards[number].tier_permille
        return [Line(item["quantity"], line_paid(item["unit_price_fen"], item["quantity"],
                                                 item["promotion_permille"], tier,
                                                 item["special_price"])) for item in lines]

    def checkout(self, number: str, lines: list[Line], stored_fen: int, pin_ok: bool,
                 points: int, cash_fen: int, today: date) -> dict:
        """Payments in the order the till sends them: stored value (PIN first), points, cash."""
        card, tx = self.cards[number], self._next_tx()
        due = sum(line.paid_fen for line in lines)
        points_fen = points // self.rules.cash_points * self.rules.cash_value_fen
        assert stored_fen + points_fen + cash_fen == due, "the test builds exact payments"
        tenders = []
        if stored_fen:
            if not pin_ok:
                raise Rejected(403, "pin_not_accepted")  # C6: before any balance is looked at
            principal, bonus = card.balances[PRINCIPAL], card.balances[BONUS]
            if stored_fen > principal.total + bonus.total:
                raise Rejected(409, "insufficient_balance")
            self._check_new_card_cap(card, stored_fen, today)
            from_principal = min(principal.total, stored_fen)  # S2: principal first
            from_bonus = stored_fen - from_principal
            principal.debit(tx, from_principal, today)
            bonus.debit(tx, from_bonus, today)
            card.stored_spent_on[today] += stored_fen
            tenders += [
                {"card": PRINCIPAL, "amount": from_principal,
                 "merchant": [("redeemed", PRINCIPAL, 1), ("sales", "cny", -1), ("stored_value_sold", "cny", 1)]},
                {"card": BONUS, "amount": from_bonus,
                 "merchant": [("redeemed", BONUS, 1), ("sales", "cny", -1), ("stored_value_bonus_cost", "cny", 1)]},
            ]
        if points:
            try:
                card.balances[POINTS].debit(tx, points, today)
            except Insufficient:
                raise Rejected(409, "insufficient_balance") from None
            tenders += [{"card": POINTS, "amount": points, "merchant": [("redeemed", POINTS, 1)]},
                        {"card": None, "amount": points_fen,
                         "merchant": [("points_as_cash", "cny", 1), ("sales", "cny", -1)]}]
        if cash_fen:
            tenders.append({"card": None, "amount": cash_fen,
                            "merchant": [("cash_drawer", "cny", 1), ("sales", "cny", -1)]})
        for tender in tenders:
            self._book([(purpose, asset, sign * tender["amount"]) for purpose, asset, sign in tender["merchant"]])
        earned = due // self.rules.earn_unit_fen if card.earns_points else 0  # P1, P2, P3
        card.balances[POINTS].credit(self._lot, tx, earned,
                                     today + timedelta(days=self.rules.points_expiry_days))
        self._book([("issued", POINTS, -earned)])
        self._pending = Checkout(tx, number, lines, due, tenders, earned)
        return {"due_fen": due, "earned": earned}

    def record_checkout(self, checkout_id: int) -> None:
        """The product's id of the checkout just modelled (for returns and retries)."""
        self.checkouts[checkout_id] = self._pending

    def _check_new_card_cap(self, card: Card, amount: int, today: date) -> None:
        """S3: on the day of the card's first principal, spend at most 60 % of that day's loads."""
        if any(day < today for day, loaded in card.loaded_on.items() if loaded):
            return
        loaded = card.loaded_on.get(today, 0)
        if loaded and card.stored_spent_on[today] + amount > loaded * self.rules.new_card_cap_permille // 1000:
            raise Rejected(409, "new_card_cap")

    # G3, P8: returns ---------------------------------------------------------------------
    def return_lines(self, checkout_id: int, wanted: dict[int, int], today: date) -> dict:
        """Refund the returned lines' paid share to each tender, cumulatively floored; take
        back the points the returned goods earned (P8), preferring that checkout's lot."""
        record = self.checkouts[checkout_id]
        card = self.cards[record.card]
        for index, quantity in wanted.items():
            line = record.lines[index]
            if line.returned + quantity > line.quantity:
                raise Rejected(409, "already_returned")
        for index, quantity in wanted.items():
            if record.packages and index == 0:
                line = record.lines[0]
                for package in record.packages[line.returned:line.returned + quantity]:
                    # G3: only an unused package goes back, whole (sessions and money).
                    if package.left < self.rules.plan_sessions or package.status != "active":
                        raise Rejected(409, "package_used")
                    self._book([("course_returned", SESSIONS, package.left)])
                    card.balances[SESSIONS].debit(self._next_tx(), package.left, today)
                    package.left, package.status = 0, "returned"
                    paid = (floor_share(line.paid_fen, package.unit_no, line.quantity)
                            - floor_share(line.paid_fen, package.unit_no - 1, line.quantity))
                    self._book([("sales", "cny", -paid)])
        before = record.returned_paid()
        for index, quantity in wanted.items():
            record.lines[index].returned += quantity
        after = record.returned_paid()
        for tender in record.tenders:
            back = (floor_share(tender["amount"], after, record.due_fen)
                    - floor_share(tender["amount"], before, record.due_fen))
            if tender["card"]:
                card.balances[tender["card"]].restore(record.tx, back)
                if tender["card"] != POINTS:
                    card.stored_spent_on[today] -= back
            self._book([(purpose, asset, -sign * back) for purpose, asset, sign in tender["merchant"]])
        refund = self._refund_fen(record, before, after)
        kept = sum(line.paid_fen - line.returned_paid() for line in record.lines)
        still = kept // self.rules.earn_unit_fen if card.earns_points else 0
        due_back = record.earned - still - record.taken_back
        not_recovered = {}
        if due_back > 0:
            # G3 before P8: points the card no longer holds (spent, expired) never block a
            # return; it takes what it can and the rest lapses, settled once.
            taking = min(due_back, card.balances[POINTS].spendable(today))
            card.balances[POINTS].debit(self._next_tx(), taking, today, prefer_tx=record.tx)
            record.taken_back += due_back
            self._book([("issued", POINTS, taking)])
            if taking < due_back:
                not_recovered[POINTS] = due_back - taking
        return {"refund_fen": refund, "not_recovered": not_recovered}

    @staticmethod
    def _refund_fen(record: Checkout, before: int, after: int) -> int:
        """The money the tenders give back: what each fen tender's sales posting gave back,
        floored on its own (stored value: principal and bonus apart, as the ledger moves
        them; points: the fen they paid)."""
        return sum(floor_share(tender["amount"], after, record.due_fen)
                   - floor_share(tender["amount"], before, record.due_fen)
                   for tender in record.tenders if tender["card"] != POINTS)

    # P7 expiry and P4 the points mall ----------------------------------------------------
    def expire_points(self, today: date) -> int:
        gone = 0
        for card in self.cards.values():
            taken = card.balances[POINTS].expire(today)
            self._book([("expired", POINTS, taken)])
            gone += taken
        return gone

    def redeem(self, number: str, item_id: int, quantity: int, today: date) -> int:
        cost, stock = self.mall_stock[item_id]
        if stock < quantity:
            raise Rejected(409, "out_of_stock")
        try:
            self.cards[number].balances[POINTS].debit(self._next_tx(), cost * quantity, today)
        except Insufficient:
            raise Rejected(409, "insufficient_balance") from None
        self.mall_stock[item_id] = (cost, stock - quantity)
        self._book([("redeemed", POINTS, cost * quantity)])
        return cost * quantity
