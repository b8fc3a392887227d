"""JSON answers written by orjson (webui.json_responses) are byte for byte what Flask's own
provider writes, with the app's settings (ensure_ascii off), for any value a view returns."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from markupsafe import Markup

from tests.support.json_values import json_values
from webui.app_class import HuikaFlask


def _app(cls):
    app = cls(__name__)
    app.json.ensure_ascii = False  # as webui.create_app sets it
    return app


FLASK, OURS = _app(Flask), _app(HuikaFlask)


def _answers(value) -> tuple:
    found = []
    for app in (FLASK, OURS):
        with app.app_context():
            try:
                response = app.json.response(value)
                found.append((response.get_data(), response.mimetype))
            except Exception as error:  # noqa: BLE001 - the same error either way
                found.append(type(error))
    return tuple(found)


@dataclasses.dataclass
class _Point:
    x: int
    label: str


@pytest.mark.parametrize("value", [
    {"rate": 1.5e-05}, {"weight": 1e-07}, [-2.5e-09, 3e-06], 0.00001,
    {"b": 1, "a": [1e16, 1e-4, 0.1, -0.0, 5e-324, 1.7976931348623157e308]},
    {"when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=timezone.utc), "day": date(2026, 1, 2)},
    {"price": Decimal("12.50"), "id": uuid.UUID(int=7), "point": _Point(1, "王")},
    {"html": Markup("<b>王</b>")}, {1: "int key", "1": "str key"}, {"big": 2 ** 64},
    {"small": -(2 ** 63) - 1}, ("a", "tuple"), {"text": "王\u2028\x7f\x1f\"\\"},
])
def test_the_answer_is_flasks_byte_for_byte(value):
    flask, ours = _answers(value)
    assert ours == flask


_VALUES = json_values(st.characters(exclude_categories=("Cs",)), 2 ** 70)


@settings(max_examples=400, deadline=None, derandomize=True, database=None)
@given(value=_VALUES)
def test_any_document_is_answered_as_flask_answers_it(value):
    flask, ours = _answers(value)
    assert ours == flask
