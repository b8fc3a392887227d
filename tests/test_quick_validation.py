"""The fast "any problem at all?" check in front of every documented request body
(core.schemas.validation.surely_valid, jsonschema-rs) never lets through what the Python
validator, the authority, would refuse."""
from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.schemas.validation import surely_valid, validate_against
from webui.api.money import CHECKOUT_INPUT

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-2**70, max_value=2**70)
    | st.floats(allow_nan=False) | st.text(max_size=12)
    | st.sampled_from(["123456", "123456\n", "2026-12-05", "2026-13-05", "wechat", "A-1", ""]),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.sampled_from(["sku", "unit_price_fen", "quantity", "lines", "payments",
                                       "method", "amount_fen", "pin", "card_number", "name",
                                       "channel", "expires_on", "x"]), children, max_size=5),
    max_leaves=12)

VALID_CHECKOUT = {"card_number": "8000000000000001",
                  "lines": [{"sku": "MILK-1L", "unit_price_fen": 1299, "quantity": 2}],
                  "payments": [{"method": "stored_value", "amount_fen": 2598, "pin": "384920"}]}


def documented_schemas() -> list[dict]:
    """Every request schema the API documents: the core's operations and every plugin's."""
    from core.plugins import build_registry
    from webui.api.money import CORE_OPERATIONS
    from webui.api.operations import OPERATIONS
    from webui.api.pins import PIN_OPERATIONS

    found = {}
    for operation in [*OPERATIONS, *CORE_OPERATIONS, *PIN_OPERATIONS,
                      *build_registry().api_operations()]:
        schema = getattr(operation, "request_schema", None)
        if isinstance(schema, dict):
            found[id(schema)] = schema
    return list(found.values())


SCHEMAS = documented_schemas()


def test_the_walk_sees_the_documented_schemas():
    assert len(SCHEMAS) >= 20 and any(schema is CHECKOUT_INPUT for schema in SCHEMAS)


def test_a_valid_body_is_answered_by_the_fast_check_alone():
    assert surely_valid(VALID_CHECKOUT, CHECKOUT_INPUT)
    assert validate_against(VALID_CHECKOUT, CHECKOUT_INPUT) == []


@pytest.mark.parametrize("change, value", [
    (("payments", 0, "pin"), "384920\n"),  # ECMA-262 $: the end of the text only
    (("lines", 0, "unit_price_fen"), 12.0),  # no floats, even whole ones
    (("lines", 0, "quantity"), 2**63),  # beyond 64 bits
    (("lines", 0, "sku"), "奶"),
    (("lines", 0, "extra"), 1),  # unknown property
])
def test_a_body_the_python_validator_refuses_is_never_surely_valid(change, value):
    body = copy.deepcopy(VALID_CHECKOUT)
    target = body
    for step in change[:-1]:
        target = target[step]
    target[change[-1]] = value
    assert validate_against(body, CHECKOUT_INPUT) != []
    assert not surely_valid(body, CHECKOUT_INPUT)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(document=JSON, mutate=st.booleans())
def test_surely_valid_implies_no_problem_for_every_documented_schema(document, mutate):
    for schema in SCHEMAS:
        candidate = document
        if mutate and isinstance(document, dict):
            candidate = {**copy.deepcopy(VALID_CHECKOUT), **document}
        if surely_valid(candidate, schema):
            assert validate_against(candidate, schema) == [], (schema, candidate)
