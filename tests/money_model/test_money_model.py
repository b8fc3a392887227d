"""The money model (issue 10, item 9): a Hypothesis state machine against a plain model.

The normal suite runs a bounded, derandomized number of examples on each database (the same
ones every run, about a minute of CPU each); the ``soak`` marker runs five times as many,
up to 50 steps long and randomized (``make soak``). A failure prints the shortest sequence
of rule calls found; ``-s`` prints what the steps did (checkouts through, refused, and why).
"""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.support.clock import freeze

from .machine import OUTCOMES, START, Env, make_machine

BOUNDED = settings(max_examples=30, stateful_step_count=30, deadline=None, derandomize=True,
                   database=None, suppress_health_check=list(HealthCheck))
SOAK = settings(max_examples=150, stateful_step_count=50, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))


def run(client, hk, monkeypatch, how: settings) -> None:
    OUTCOMES.clear()
    clock = freeze(monkeypatch, START)
    run_state_machine_as_test(make_machine(Env(client, hk, clock)), settings=how)
    print(dict(sorted(OUTCOMES.items())))


def test_the_books_follow_the_money_model(client, hk, monkeypatch):
    run(client, hk, monkeypatch, BOUNDED)


@pytest.mark.soak
def test_the_books_follow_the_money_model_for_long(client, hk, monkeypatch):
    run(client, hk, monkeypatch, SOAK)
