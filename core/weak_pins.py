"""PINs too easy to guess (C6): refused when a PIN is set at issue, change or reset.

A guesser allowed 5 tries per lock and 10 in all (core.pins) tries the PINs people pick most
first. Those follow patterns more than they come from a list, so the patterns are derived
(each a few hundred PINs at most, about 0.3 % of the million) and a short list adds the
number words Chinese users like (520 我爱你, 1314 一生一世, 168 一路发) and keypad shapes:

- one digit six times:                000000, 888888
- a run up or down (wrapping 9→0):    123456, 654321, 012345, 789012, 210987
- a block of three said twice:        123123, 520520, 521521, 168168
- a pair said three times:            121212, 525252
- three digits, each doubled:         112233, 998877, 556677
- two digits, each tripled:           111222, 666888
- a mirror:                           123321, 520025
- listed: 131420, 147258, 159357, 258369, 741852, 201314, 521314, 584520 …
"""
from __future__ import annotations

import re
import secrets

PIN_PATTERN = re.compile(r"^[0-9]{6}\Z")
WEAK_PIN_MESSAGE = "too easy to guess (repeated digits, a sequence or a common PIN); choose another"

LISTED = frozenset({
    "131420", "131452", "201314", "520131", "521314", "584520", "520999", "168888", "888168",
    "147258", "258369", "369258", "852741", "741852", "963852", "147369", "159357", "357159",
    "159753", "951753", "753951", "123789", "789123", "456123", "123654", "147852", "258147",
    "198964", "100200", "200300", "101520", "520888", "886886", "980980", "000001", "111112",
})


def _run(pin: str) -> bool:
    """Every digit one up from the last, or every digit one down (wrapping)."""
    steps = {(int(b) - int(a)) % 10 for a, b in zip(pin, pin[1:])}
    return steps in ({1}, {9})


def pattern_of(pin: str) -> str | None:
    """Which weak pattern ``pin`` (6 digits) follows, or None if it follows none (or is not
    6 digits at all: that is another refusal, ``pin_problem``'s)."""
    if not isinstance(pin, str) or not PIN_PATTERN.match(pin):
        return None
    if len(set(pin)) == 1:
        return "repeated"
    if _run(pin):
        return "sequence"
    if pin[:3] == pin[3:]:
        return "block_twice"
    if pin[:2] == pin[2:4] == pin[4:]:
        return "pair_thrice"
    if pin[0] == pin[1] and pin[2] == pin[3] and pin[4] == pin[5]:
        return "doubled"
    if pin[0] == pin[1] == pin[2] and pin[3] == pin[4] == pin[5]:
        return "tripled"
    if pin == pin[::-1]:
        return "mirror"
    if pin in LISTED:
        return "listed"
    return None


def is_weak(pin: str) -> bool:
    return pattern_of(pin) is not None


def pin_problem(pin) -> str | None:
    """Why ``pin`` cannot be a card's new PIN, or None: 6 digits and not weak."""
    if not isinstance(pin, str) or not PIN_PATTERN.match(pin):
        return "6 digits"
    if is_weak(pin):
        return WEAK_PIN_MESSAGE
    return None


def random_pin() -> str:
    """A random 6-digit PIN that is not weak (the demo cards', for instance)."""
    while True:
        pin = f"{secrets.randbelow(1_000_000):06d}"
        if not is_weak(pin):
            return pin
