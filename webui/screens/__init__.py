"""Cashier screens: which screens a configuration has, and rendering them as HTML forms.

A screen (docs/formats.md, "Screen") is a data schema (what) plus a JSON Forms-style UI layout
(how): ``VerticalLayout``, ``HorizontalLayout``, ``Group`` and ``Control`` elements, each with
an optional ``rule`` (``SHOW``/``HIDE``/``ENABLE``/``DISABLE`` when a condition schema holds for
the value at a scope). The merchant editor's preview and the cashier use the same code here.

The API is small on purpose:

``effective_screens(config)`` / ``effective_screen(config, screen_id)``
    The screens the cashier shows for a configuration (a ``MerchantConfig``, draft or
    published): the core member screen (``member_screen``) and every enabled plugin's screens,
    each with the merchant's arrangement applied, followed by any screen of the merchant's own.
    A screen in the configuration's ``screens`` list whose ``id`` is one of those screens is
    an *arrangement* of it: its ``ui`` (and ``title``) replace the shipped ones, while the data
    schema and action always stay the shipped ones; controls and rules whose scope no longer
    names a property are dropped, and every required property still gets a control.

``render_screen(screen, values=None, locale=None, *, errors=None, prefix="", evaluate_rules=True)``
    ``Markup`` with the screen's inputs (not the ``<form>`` tag, CSRF token or submit button:
    the caller owns those). Input names are the dotted path of the scope
    (``payment.method``, ``extra.skin_type``), after ``prefix``. Money (``x-unit: fen``) is
    shown and typed in yuan. ``errors`` maps JSON pointers (``/payment/method``) to messages
    (a list of ``SchemaProblem`` or ``{"pointer", "message"}`` works too). Rules are evaluated
    on ``values`` on the server (hidden elements carry the ``hidden`` attribute) and written
    into ``data-hk-rule`` attributes; include ``screens/runtime.html`` once in the page
    (``{% include "screens/runtime.html" %}``) to re-evaluate them as the user types.

``parse_submission(screen, formdata, *, prefix="")``
    ``(data, problems)``: the submitted form (a werkzeug ``MultiDict``) as JSON data of the
    data schema (yuan -> integer fen, whole numbers, booleans, lists), without values under
    elements hidden or disabled by a rule, checked with ``core.schemas.validate_against``.
    Problems are ``SchemaProblem``s whose pointers ``render_screen(errors=...)`` understands.

``parse_yuan(text) -> int`` / ``format_yuan(fen) -> str`` / ``format_zhe(permille) -> str``
    Exact money and discount text: ``parse_yuan("88.5") == 8850`` (decimal strings, never
    floats; more than two decimals is refused with ``MoneyError``), ``format_yuan(8850) ==
    "88.50"``, ``format_zhe(880) == "8.8折"``.

Helpers for walking screens: ``walk(element)`` (every layout element, depth first),
``scope_path("#/properties/a/properties/b") == ["a", "b"]``, ``resolve_scope(data_schema,
scope)`` (the property schema or None), ``leaf_scopes(data_schema)`` ((scope, schema, required)
of every input), ``MEMBER_SCREEN_ID`` (``"member"``).

The package, one job a module: ``money`` (yuan and 折 text), ``catalogue`` (which screens a
configuration has, arrangements), ``layout`` (scopes, walking and pruning layouts, which input
a property gets), ``rules`` (rule evaluation, defaults), ``render`` (HTML) and ``submission``
(form data back to JSON). Import from ``webui.screens``; the modules are the layout of the code.

Rule semantics (the same on the server and in the browser): the condition's schema is
checked against the value at its scope, after the data schema's defaults are filled in; a
missing value never satisfies a condition.
"""
from __future__ import annotations

from .catalogue import (
    MEMBER_SCREEN_ID,
    apply_arrangement,
    base_screens,
    effective_screen,
    effective_screens,
    member_screen,
)
from .layout import (
    control_kind,
    ensure_required_controls,
    leaf_scopes,
    prune_layout,
    resolve_scope,
    scope_of,
    scope_path,
    walk,
)
from .money import MoneyError, format_yuan, format_zhe, parse_yuan
from .render import render_screen
from .rules import condition_holds, rule_state, value_at, with_defaults
from .submission import parse_submission

__all__ = [
    "MEMBER_SCREEN_ID",
    "MoneyError",
    "apply_arrangement",
    "base_screens",
    "condition_holds",
    "control_kind",
    "effective_screen",
    "effective_screens",
    "ensure_required_controls",
    "format_yuan",
    "format_zhe",
    "leaf_scopes",
    "member_screen",
    "parse_submission",
    "parse_yuan",
    "prune_layout",
    "render_screen",
    "resolve_scope",
    "rule_state",
    "scope_of",
    "scope_path",
    "value_at",
    "walk",
    "with_defaults",
]
