"""The plugins' part of the money model: count packages (T1), room vouchers (H2).

A mixin of ``model.MoneyModel``; like the rest of the model it computes from the rules, not
from the product.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from .common import SESSIONS, VOUCHERS, Rejected


@dataclass
class Package:
    """T1: one unit of a count-package line: its sessions and last day."""

    id: int
    checkout_tx: int
    unit_no: int
    left: int
    valid_from: date
    valid_to: date
    status: str = "active"

    def usable(self, today: date) -> bool:
        return self.status == "active" and self.valid_from <= today <= self.valid_to and self.left > 0


@dataclass
class Voucher:
    card: str
    expires_on: date
    status: str = "active"


class ShopRules:
    # T1 count packages -------------------------------------------------------------------
    def sell_package(self, number: str, quantity: int, today: date) -> dict:
        """Through the checkout, paid in cash; one package per unit, the line's money shared
        by cumulative floors; the sale's money moves from sales to deferred revenue (T3) and
        a renewal gives the sessions still running the new last day."""
        line = self.price(number, [{"unit_price_fen": self.rules.plan_price_fen, "quantity": quantity,
                                    "promotion_permille": 1000, "special_price": False}])
        result = self.checkout(number, line, 0, True, 0, line[0].paid_fen, today)
        card, record = self.cards[number], self._pending
        valid_to = today + timedelta(days=self.rules.plan_validity_days - 1)
        for package in self.packages[number]:
            if package.status == "active" and package.left and today <= package.valid_to < valid_to:
                package.valid_to = valid_to
        for unit_no in range(1, quantity + 1):
            package = Package(self._lot(), record.tx, unit_no, self.rules.plan_sessions, today, valid_to)
            record.packages.append(package)
            self.packages[number].append(package)
            card.balances[SESSIONS].credit(self._lot, record.tx, self.rules.plan_sessions)
        sessions = quantity * self.rules.plan_sessions
        self._book([("course_sold", SESSIONS, -sessions), ("sales", "cny", line[0].paid_fen)])
        return result

    def sign_in(self, number: str, today: date) -> int:
        """T1: one session off the usable package that ends first (then the oldest)."""
        packages = [p for p in self.packages[number] if p.status != "returned"]
        if not packages:
            raise Rejected(409, "no_package_for_course")
        usable = sorted((p for p in packages if p.usable(today)), key=lambda p: (p.valid_to, p.id))
        if not usable:
            latest = max(packages, key=lambda p: (p.valid_to, p.id))
            raise Rejected(409, "package_expired" if latest.valid_to < today else "package_used_up")
        usable[0].left -= 1
        self.cards[number].balances[SESSIONS].debit(self._next_tx(), 1, today)
        self._book([("course_attended", SESSIONS, 1)])
        return sum(p.left for p in usable)

    # H2 room vouchers ------------------------------------------------------------------------
    def issue_vouchers(self, number: str, codes: list[str], expires_on: date) -> None:
        for code in codes:
            self.vouchers[code] = Voucher(number, expires_on)
        self.cards[number].balances[VOUCHERS].credit(self._lot, self._next_tx(), len(codes))
        self._book([("issued", VOUCHERS, -len(codes))])

    def redeem_voucher(self, number: str, code: str, stay: date, today: date) -> None:
        """H2: the card's own voucher, once, before it expires, never for a blackout stay."""
        voucher = self.vouchers[code]
        if voucher.card != number:
            raise Rejected(409, "voucher_not_on_card")
        if voucher.status == "redeemed":
            raise Rejected(409, "voucher_already_used")
        if voucher.status == "expired" or voucher.expires_on < today or stay > voucher.expires_on:
            raise Rejected(409, "voucher_expired")
        if any(start <= stay <= end for start, end in self.rules.blackout):
            raise Rejected(409, "blackout_date")
        voucher.status = "redeemed"
        self.cards[number].balances[VOUCHERS].debit(self._next_tx(), 1, today)
        self._book([("redeemed", VOUCHERS, 1)])

    def expire_vouchers(self, today: date) -> int:
        gone = 0
        for voucher in self.vouchers.values():
            if voucher.status == "active" and voucher.expires_on < today:
                voucher.status = "expired"
                self.cards[voucher.card].balances[VOUCHERS].debit(self._next_tx(), 1, today)
                gone += 1
        self._book([("expired", VOUCHERS, gone)])
        return gone
