"""Hypothesis strategies for JSON documents (the property tests of the JSON guards and writers)."""
from __future__ import annotations

from hypothesis import strategies as st


def json_values(characters: st.SearchStrategy, max_integer: int) -> st.SearchStrategy:
    """Any JSON value: text made of ``characters``, integers from -``max_integer`` to
    ``max_integer``, finite floats of every size, nested in arrays and objects (no NaN or
    Infinity: no JSON parser of ours takes them)."""
    return st.recursive(
        st.none() | st.booleans() | st.integers(min_value=-max_integer, max_value=max_integer)
        | st.floats(allow_nan=False, allow_infinity=False) | st.text(characters),
        lambda children: st.lists(children, max_size=4)
        | st.dictionaries(st.text(characters, max_size=4), children, max_size=4),
        max_leaves=12)
