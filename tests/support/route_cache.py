"""Reuse werkzeug's compiled URL builders across the suite's thousands of apps.

Every test gets a fresh app (``create_app``) and every app registers its ~215 routes; werkzeug
builds two URL-builder functions per route by generating Python source as an AST and running
``compile()`` on it: about 0.15 s of the 0.19 s an app costs, some 8 minutes of a whole run.
The function it builds depends only on the rule's parsed parts (``Rule._trace``), the names
of its defaults and ``append_unknown``; it reads the rule's converters at call time through
its bound ``self``. So the same rule text compiled in another app gives the same function,
and handing out the one compiled before is exact. Rules whose defaults fill a part of the
path (the builder bakes the converted default in) are compiled as usual.

Only the test process does this (tests/conftest.py installs it); production builds one app
per process and gains nothing.
"""
from __future__ import annotations

from werkzeug.routing.rules import Rule

_ORIGINAL = Rule.__dict__.get("_compile_builder")
_BUILDERS: dict[tuple, object] = {}


def _compile_builder(self: Rule, append_unknown: bool = True):
    defaults = self.defaults or {}
    if any(is_dynamic and data in defaults for is_dynamic, data in self._trace):
        return _ORIGINAL(self, append_unknown)
    key = (self.rule, tuple(self._trace), tuple(str(name) for name in defaults), append_unknown)
    builder = _BUILDERS.get(key)
    if builder is None:
        builder = _BUILDERS[key] = _ORIGINAL(self, append_unknown)
    return builder


def install() -> bool:
    """Put the cache in place (once); False when this werkzeug has no such method to wrap."""
    if not isinstance(_ORIGINAL, staticmethod) and callable(_ORIGINAL):
        Rule._compile_builder = _compile_builder
        return True
    return False
