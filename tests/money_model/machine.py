"""A Hypothesis state machine that drives one merchant through the real API and checks every
step against the plain model of model.py (issue 10, item 9).

Each example is a fresh merchant (every table is per merchant, so examples in one database do
not see each other) with stored value and points enabled, three cards (silver, gold, and a
silver purchase card that earns no points), a points-mall item, and the clock frozen at
2026-03-01 10:00 Beijing time. Rules: recharge, pay (stored value with the right or a wrong
PIN, points as cash, cash), return part or all of an earlier checkout, redeem in the points
mall, re-send an earlier request with its Idempotency-Key, advance the clock and run the
points expiry. After every step the invariant compares each card's balances and points lots,
the merchant's accounts, and ``core.ledger.verify``.
"""
from __future__ import annotations

import copy
from collections import Counter
import itertools
import uuid
from dataclasses import dataclass
from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from sqlalchemy import select

from core import ledger
from core.clock import local_date
from core.models import Account
from tests.support.factories import basic_document, make_merchant

from .common import BONUS, POINTS, PRINCIPAL, SESSIONS, VOUCHERS, Rejected
from .model import MoneyModel, Rules

PIN, WRONG_PIN = "270419", "270418"
MAX_WRONG_PINS = 4  # per card, below every lock rule (C6): the model covers money, not locks
START = "2026-03-01 10:00"
RULES = Rules()
TRACKED = [("cash_drawer", "cny"), ("sales", "cny"), ("stored_value_sold", "cny"),
           ("stored_value_bonus_cost", "cny"), ("points_as_cash", "cny"),
           ("issued", PRINCIPAL), ("issued", BONUS), ("redeemed", PRINCIPAL), ("redeemed", BONUS),
           ("issued", POINTS), ("redeemed", POINTS), ("expired", POINTS),
           ("course_sold", SESSIONS), ("course_attended", SESSIONS), ("course_returned", SESSIONS),
           ("issued", VOUCHERS), ("redeemed", VOUCHERS), ("expired", VOUCHERS)]
CARDS = [("silver", "standard", 950, True), ("gold", "standard", 880, True),
         ("silver", "purchase", 950, False)]
_phones = itertools.count(13700000000)
_merchants = itertools.count(1)
OUTCOMES: Counter = Counter()  # what the steps did, printed by the test (is the run meaningful?)


def document() -> dict:
    settings = {"min_recharge_fen": RULES.min_recharge_fen,
                "bonus_tiers": [{"threshold_fen": t, "bonus_fen": b} for t, b in RULES.bonus_tiers],
                "new_card_cap_permille": RULES.new_card_cap_permille}
    points = {"earn_unit_fen": RULES.earn_unit_fen, "points_per_unit": 1,
              "cash_points": RULES.cash_points, "cash_value_fen": RULES.cash_value_fen,
              "expiry_mode": "days_after_earning", "expiry_days": RULES.points_expiry_days,
              "expiry_notice_days": 1}
    school = {"teachers": [{"key": "wang", "name": "王老师"}]}
    hotel = {"card_benefits": [], "blackout_dates": [
        {"start": start.isoformat(), "end": end.isoformat(), "name": "测试假日"} for start, end in RULES.blackout]}
    return basic_document(plugins=[{"id": "stored_value", "settings": settings},
                                   {"id": "points", "settings": points},
                                   {"id": "training_courses", "settings": school},
                                   {"id": "hotel_rooms", "settings": hotel}])


@dataclass
class Env:
    """What the test function hands the machine: the test client, the app's Huika extension
    and the frozen clock (tests/support/clock.py)."""

    client: object
    hk: object
    clock: object


@dataclass
class Sent:
    """A request that succeeded, to be re-sent with its key."""

    path: str
    body: dict
    role: str
    key: str
    status: int
    answer: dict


LINE = st.fixed_dictionaries({
    "unit_price_fen": st.one_of(st.integers(100, 20000), st.sampled_from([999, 1000, 10001, 55900])),
    "quantity": st.integers(1, 5),
    "promotion_permille": st.sampled_from([1000, 1000, 900, 850]),
    "special_price": st.booleans(),
})
BASKET = st.lists(LINE, min_size=1, max_size=3)
RECHARGE = st.one_of(st.integers(50000, 300000),
                     st.sampled_from([50000, 100000, 200000, 99999, 199999, 49999]))


class MoneyMachine(RuleBasedStateMachine):
    env: Env  # set by the test (make_machine)

    def __init__(self) -> None:
        super().__init__()
        self.client, self.hk, self.clock = self.env.client, self.env.hk, self.env.clock
        OUTCOMES["examples"] += 1
        self.clock.at(START)
        self.merchant = make_merchant(self.hk, f"模型店-{next(_merchants)}-{uuid.uuid4().hex[:6]}",
                                      document())
        self.model = MoneyModel(RULES)
        self.numbers, self.sent, self.wrong_pins, self.clock_moves = [], [], {}, 0
        for tier, kind, permille, earns in CARDS:
            member = self.call("/members", {"name": "王芳", "phone": str(next(_phones))}, key=False)
            card = self.call("/cards", {"member_id": member.json["id"], "tier": tier, "kind": kind,
                                        "pin": PIN}, key=False)
            assert card.status_code == 201, card.json
            self.numbers.append(card.json["number"])
            self.model.add_card(card.json["number"], permille, earns)
            self.wrong_pins[card.json["number"]] = 0
        item = self.call("/points/mall/items", {"name": "保温杯", "points_cost": 30, "stock": 3}, key=False)
        assert item.status_code == 201, item.json
        self.item_id = item.json["id"]
        self.model.mall_stock[self.item_id] = (30, 3)
        course = self.call("/training/courses", {"key": "piano", "name": "钢琴", "default_teacher": "wang"},
                           key=False)
        assert course.status_code == 201, course.json
        plan = self.call("/training/plans", {"course_id": course.json["id"], "name": "钢琴4节", "kind": "count",
                                             "sessions": RULES.plan_sessions, "price_fen": RULES.plan_price_fen,
                                             "validity_days": RULES.plan_validity_days}, key=False)
        assert plan.status_code == 201, plan.json
        self.plan_id = plan.json["id"]

    # -- plumbing ----------------------------------------------------------------------
    @property
    def today(self):
        return local_date(self.clock.now)

    def call(self, path: str, body: dict, *, key: bool | str = True, role: str = "owner"):
        headers = dict(self.merchant.headers(role))
        if key:
            headers["Idempotency-Key"] = key if isinstance(key, str) else uuid.uuid4().hex
        return self.client.post(f"/api/v1{path}", json=body, headers=headers)

    def send(self, path: str, body: dict, role: str = "cashier"):
        """A money-moving request with a fresh key; remembered for retries when it succeeds."""
        key = uuid.uuid4().hex
        response = self.call(path, body, key=key, role=role)
        assert response.status_code < 500, response.get_data(as_text=True)
        if response.status_code < 300:
            self.sent.append(Sent(path, body, role, key, response.status_code, response.json))
        return response

    def expect(self, response, step):
        """Run ``step`` on a copy of the model; the product must agree on success or refusal."""
        trial = copy.deepcopy(self.model)
        try:
            expected = step(trial)
        except Rejected as refusal:
            OUTCOMES[f"{_rule_of(response)}: {refusal.code}"] += 1
            assert (response.status_code, response.json["error"]["code"]) == (refusal.status, refusal.code), \
                response.json
            return None
        assert response.status_code == 201, response.json
        OUTCOMES[f"{_rule_of(response)}: ok"] += 1
        self.model = trial
        return expected

    # -- rules -------------------------------------------------------------------------
    @initialize(amount=st.integers(50000, 300000))
    def first_recharge(self, amount):
        """Every example starts with a loaded card, so the S3 new-card day is in play."""
        self.recharge(0, amount)

    @rule(card=st.integers(0, 2), amount=RECHARGE)
    def recharge(self, card, amount):
        number = self.numbers[card]
        response = self.send(f"/cards/{number}/recharge", {"amount_fen": amount, "payment": {"method": "cash"}})
        loaded = self.expect(response, lambda model: model.recharge(number, amount, self.today))
        if loaded:
            assert response.json["loaded"] == {**loaded, "pending_fen": 0}

    @rule(card=st.integers(0, 2), lines=BASKET, data=st.data(), right_pin=st.sampled_from([True, True, False]))
    def pay(self, card, lines, data, right_pin):
        """Any mix: stored value (any amount, maybe more than the card holds), points, cash."""
        number, due = self.numbers[card], self.due(card, lines)
        stored = data.draw(st.one_of(st.just(0), st.integers(0, self.affordable(number, due)),
                                     st.integers(0, due)), label="stored_fen")
        steps = data.draw(st.integers(0, min((due - stored) // RULES.cash_value_fen,
                                             self.spendable_points(number) // RULES.cash_points + 1)),
                          label="points_steps")
        self.checkout(number, lines, stored, steps * RULES.cash_points, right_pin)

    @rule(card=st.integers(0, 2), lines=BASKET, data=st.data())
    def pay_from_balance(self, card, lines, data):
        """S2: stored value with the right PIN, as much as the card holds, the rest in cash."""
        number, due = self.numbers[card], self.due(card, lines)
        affordable = self.affordable(number, due)
        stored = data.draw(st.one_of(st.just(affordable), st.integers(0, affordable)), label="stored_fen")
        self.checkout(number, lines, stored, 0, True)

    @precondition(lambda self: any(card.amounts()[PRINCIPAL] for card in self.model.cards.values()))
    @rule(data=st.data(), right_pin=st.sampled_from([True, True, False]))
    def spend_the_balance(self, data, right_pin):
        """S2, S3, C6: one item costing all (or part) of what the card holds, from stored value:
        on the day of the first recharge the 60 % cap refuses it; a wrong PIN changes nothing."""
        number = data.draw(st.sampled_from([n for n in self.numbers if self.model.cards[n].amounts()[PRINCIPAL]]),
                           label="card")
        held = sum(self.model.cards[number].amounts()[asset] for asset in (PRINCIPAL, BONUS))
        amount = data.draw(st.one_of(st.just(held), st.integers(1, held)), label="amount")
        line = {"unit_price_fen": amount, "quantity": 1, "promotion_permille": 1000, "special_price": True}
        self.checkout(number, [line], amount, 0, right_pin)

    @rule(card=st.integers(0, 1), lines=BASKET, data=st.data())
    def pay_with_points(self, card, lines, data):
        """P4: points as cash (maybe one step more than the card can spend), the rest in cash."""
        number, due = self.numbers[card], self.due(card, lines)
        steps = data.draw(st.integers(0, min(due // RULES.cash_value_fen,
                                             self.spendable_points(number) // RULES.cash_points + 1)),
                          label="points_steps")
        self.checkout(number, lines, 0, steps * RULES.cash_points, True)

    def due(self, card: int, lines: list[dict]) -> int:
        return sum(line.paid_fen for line in self.model.price(self.numbers[card], lines))

    def affordable(self, number: str, due: int) -> int:
        held = self.model.cards[number].amounts()
        return min(due, held[PRINCIPAL] + held[BONUS])

    def spendable_points(self, number: str) -> int:
        return self.model.cards[number].balances[POINTS].spendable(self.today)

    def checkout(self, number: str, lines: list[dict], stored: int, points: int, right_pin: bool):
        due = self.due(self.numbers.index(number), lines)
        cash = due - stored - points // RULES.cash_points * RULES.cash_value_fen
        right_pin = right_pin or self.wrong_pins[number] >= MAX_WRONG_PINS
        payments = []
        if stored:
            payments.append({"method": "stored_value", "amount_fen": stored, "pin": PIN if right_pin else WRONG_PIN})
        if points:
            payments.append({"method": "points", "points": points})
        if cash or not payments:
            payments.append({"method": "cash", "amount_fen": cash})
        body = {"card_number": number, "payments": payments,
                "lines": [{"sku": f"SKU{i}", **line} for i, line in enumerate(lines)]}
        response = self.send("/checkout", body)
        if stored and not right_pin:
            self.wrong_pins[number] += 1
        priced = self.model.price(number, lines)
        result = self.expect(response, lambda model: model.checkout(
            number, priced, stored, right_pin, points, cash, self.today))
        if result is None:
            return
        receipt = response.json
        assert receipt["due_fen"] == result["due_fen"]
        assert sum(e["amount"] for e in receipt["earned"] if e["asset"] == POINTS) == result["earned"]
        self.model.record_checkout(receipt["checkout_id"])

    @precondition(lambda self: self.model.checkouts)
    @rule(data=st.data())
    def return_lines(self, data):
        checkout_id = data.draw(st.sampled_from(sorted(self.model.checkouts)), label="checkout")
        record = self.model.checkouts[checkout_id]
        wanted = {}
        for index, line in enumerate(record.lines):
            left = line.quantity - line.returned
            quantity = data.draw(st.integers(0, left + 1 if left == 0 else left), label=f"line {index + 1}")
            if quantity:
                wanted[index] = quantity
        if not wanted:
            wanted = {0: data.draw(st.integers(1, record.lines[0].quantity), label="line 1")}
        body = {"lines": [{"line_no": index + 1, "quantity": quantity} for index, quantity in wanted.items()]}
        response = self.send(f"/checkouts/{checkout_id}/returns", body)
        result = self.expect(response, lambda model: model.return_lines(checkout_id, wanted, self.today))
        if result is not None:
            assert response.json["refund_fen"] == result["refund_fen"]
            assert response.json["not_recovered"] == result["not_recovered"]
            if result["not_recovered"]:
                OUTCOMES["returns: points not recovered"] += 1

    @precondition(lambda self: any(card.balances[POINTS].total for card in self.model.cards.values()))
    @rule(card=st.integers(0, 1), quantity=st.integers(1, 2))
    def redeem(self, card, quantity):
        number = self.numbers[card]
        response = self.send(f"/cards/{number}/redeem", {"item_id": self.item_id, "quantity": quantity})
        spent = self.expect(response, lambda model: model.redeem(number, self.item_id, quantity, self.today))
        if spent is not None:
            assert response.json["points_spent"] == spent

    @rule(card=st.integers(0, 2), quantity=st.integers(1, 2))
    def sell_package(self, card, quantity):
        """T1: a count package sold through the checkout, paid in cash."""
        number = self.numbers[card]
        response = self.send(f"/cards/{number}/course-packages",
                             {"plan_id": self.plan_id, "quantity": quantity, "payment": {"method": "cash"}})
        result = self.expect(response, lambda model: model.sell_package(number, quantity, self.today))
        if result is not None:
            assert response.json["due_fen"] == result["due_fen"]
            self.model.record_checkout(response.json["checkout_id"])

    @precondition(lambda self: any(self.model.packages.values()))
    @rule(data=st.data())
    def sign_in(self, data):
        """T1: one session off the package that ends first (on a card that bought one)."""
        number = data.draw(st.sampled_from([n for n in self.numbers if self.model.packages.get(n)]), label="card")
        response = self.send(f"/cards/{number}/course-sign-ins", {"course_key": "piano"})
        left = self.expect(response, lambda model: model.sign_in(number, self.today))
        if left is not None:
            assert response.json["sessions_left"] == left

    @rule(card=st.integers(0, 2), quantity=st.integers(1, 2), days=st.sampled_from([5, 1, 3, 6]))
    def issue_vouchers(self, card, quantity, days):
        """H2: room vouchers by campaign, valid ``days`` days."""
        number = self.numbers[card]
        response = self.send(f"/cards/{number}/room-vouchers", {"room_type": "standard", "quantity": quantity,
                                                                "validity_days": days, "reason": "campaign"},
                             role="manager")
        assert response.status_code == 201, response.json
        codes = [item["code"] for item in response.json["items"]]
        assert len(set(codes)) == quantity
        self.model.issue_vouchers(number, codes, self.today + timedelta(days=days))
        OUTCOMES["room-vouchers: issued"] += 1

    @precondition(lambda self: self.model.vouchers)
    @rule(data=st.data(), own_card=st.sampled_from([True, True, True, False]),
          stay_in=st.sampled_from([0, 0, 1, 4]))
    def redeem_voucher(self, data, own_card, stay_in):
        """H2: scanned at the desk for a stay today or a few days on; once; not on a blackout date."""
        # In issue order: the codes are random, so sorting them would make the draws depend on
        # more than Hypothesis's choices (it refuses that: FlakyStrategyDefinition).
        code = data.draw(st.sampled_from(list(self.model.vouchers)), label="voucher")
        owner = self.model.vouchers[code].card
        number = owner if own_card else data.draw(st.sampled_from([n for n in self.numbers if n != owner]),
                                                  label="another card")
        stay = self.today + timedelta(days=stay_in)
        response = self.send(f"/cards/{number}/room-vouchers/redeem",
                             {"voucher_code": code, "stay_date": stay.isoformat()})
        self.expect(response, lambda model: model.redeem_voucher(number, code, stay, self.today))

    @precondition(lambda self: self.sent)
    @rule(data=st.data(), same_body=st.booleans())
    def retry(self, data, same_body):
        """The same key and body: the same answer and no effect; another body: 409, no effect."""
        earlier = data.draw(st.sampled_from(self.sent), label="request")
        body = earlier.body if same_body else _another(earlier.body)
        response = self.call(earlier.path, body, key=earlier.key, role=earlier.role)
        OUTCOMES[f"retry: {'same' if same_body else 'other'} body"] += 1
        if same_body:
            assert (response.status_code, response.json) == (earlier.status, earlier.answer)
            assert response.headers.get("Idempotent-Replayed") == "true"
        else:
            assert response.status_code == 409, response.json
            assert response.json["error"]["code"] == "idempotency_key_reused"

    @precondition(lambda self: self.clock_moves < 6)
    @rule(hours=st.sampled_from([1, 5, 11, 14, 24, 30, 49, 73]), run_expiry=st.booleans())
    def advance_clock(self, hours, run_expiry):
        self.clock.now += timedelta(hours=hours)
        self.clock_moves += 1
        OUTCOMES["clock advanced"] += 1
        if run_expiry:
            self.expire_points()
            self.expire_vouchers()

    def expire_points(self):
        response = self.send("/points/expire", {}, role="manager")
        assert response.status_code in (200, 201), response.json
        expired = self.model.expire_points(self.today)
        assert response.json["points"] == expired
        OUTCOMES["expire: points gone" if expired else "expire: nothing due"] += 1

    def packages_agree(self, number: str) -> None:
        response = self.client.get(f"/api/v1/cards/{number}/course-packages", headers=self.merchant.headers())
        assert response.status_code == 200, response.json
        expected = [(p.left, p.valid_to.isoformat(), p.status) for p in self.model.packages.get(number, [])]
        assert _package_state(response.json["packages"]) == sorted(expected), number

    def expire_vouchers(self):
        response = self.send("/room-vouchers/expire", None, role="manager")
        assert response.status_code in (200, 201), response.json
        assert response.json["vouchers"] == self.model.expire_vouchers(self.today)

    def vouchers_agree(self, number: str) -> None:
        response = self.client.get(f"/api/v1/cards/{number}/room-vouchers", headers=self.merchant.headers())
        assert response.status_code == 200, response.json
        actual = {item["code"]: (item["status"], item["expires_on"]) for item in response.json["items"]}
        assert actual == {code: (v.status, v.expires_on.isoformat())
                          for code, v in self.model.vouchers.items() if v.card == number}, number

    # -- after every step ----------------------------------------------------------------
    @invariant()
    def books_agree_with_the_model(self):
        OUTCOMES["checks"] += 1
        for number in self.numbers:
            response = self.client.get(f"/api/v1/cards/{number}/balances", headers=self.merchant.headers())
            assert response.status_code == 200, response.json
            expected = self.model.cards[number]
            actual = response.json["balances"]
            assert {asset: actual.get(asset, 0) for asset in expected.balances} == expected.amounts(), number
            lots = [(lot["remaining"], lot["expires_on"]) for lot in response.json["lots"] if lot["asset"] == POINTS]
            assert lots == expected.balances[POINTS].open_lots(), number
            if self.model.packages.get(number):
                self.packages_agree(number)
            if any(v.card == number for v in self.model.vouchers.values()):
                self.vouchers_agree(number)
        with self.hk.db.read() as session:
            rows = session.execute(select(Account.purpose, Account.asset, Account.balance).where(
                Account.merchant_id == self.merchant.id, Account.owner == "merchant")).all()
            assert ledger.verify(session, self.merchant.id) == []
        books = {(purpose, asset): balance for purpose, asset, balance in rows}
        assert {key: books.get(key, 0) for key in TRACKED} == {key: self.model.merchant[key] for key in TRACKED}


def _package_state(rows) -> list[tuple]:
    return sorted((row["units_left"], row["valid_to"], row["status"]) for row in rows)


def _rule_of(response) -> str:
    """'/api/v1/cards/<number>/room-vouchers/redeem' -> 'cards/room-vouchers/redeem'."""
    parts = response.request.path.split("/")[3:]
    return "/".join(part for part in parts if part and not any(ch.isdigit() for ch in part))


def _another(body: dict) -> dict:
    """The same request with one thing changed."""
    changed = copy.deepcopy(body) or {}
    if "amount_fen" in changed:
        changed["amount_fen"] += 100
    elif "lines" in changed:
        changed["lines"][0]["quantity"] = changed["lines"][0].get("quantity", 1) + 1
    elif "quantity" in changed:
        changed["quantity"] += 1
    else:
        changed["note"] = "changed"
    return changed


def make_machine(env: Env) -> type[MoneyMachine]:
    return type("MoneyMachineRun", (MoneyMachine,), {"env": env})
