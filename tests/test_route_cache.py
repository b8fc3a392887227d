"""The suite's cache of werkzeug URL builders (tests/support/route_cache.py) hands out exactly
what werkzeug would have compiled for each rule, so the apps the tests drive are unchanged."""
from __future__ import annotations

from tests.support import route_cache


def _shape(function):
    code = function.__code__
    return (code.co_code, code.co_consts, code.co_names, code.co_varnames, code.co_argcount,
            function.__defaults__)


def test_every_cached_builder_is_the_one_werkzeug_compiles(app):
    assert route_cache.install()
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 100
    for rule in rules:
        for append_unknown, built in ((False, rule._build), (True, rule._build_unknown)):
            fresh = route_cache._ORIGINAL(rule, append_unknown)
            assert _shape(built.__func__) == _shape(fresh), rule.rule


def test_a_second_app_builds_the_same_urls(app, plugin_registry):
    from webui import create_app

    other = create_app({"TESTING": True, "DATABASE_URL": app.config["DATABASE_URL"],
                        "SECRET_KEY": "other", "PLUGIN_REGISTRY": plugin_registry,
                        "PIN_PEPPER": app.config["PIN_PEPPER"]})
    compared = 0
    try:
        for rule in app.url_map.iter_rules():
            values = {name: 7 if name == "id" or name.endswith("_id") else "x"
                      for name in rule.arguments if name not in (rule.defaults or {})}
            try:
                with app.test_request_context():
                    expected = rule.build(values)
            except Exception:  # a converter that refuses the sample value: no URL to compare
                continue
            twin = other.url_map._rules_by_endpoint[rule.endpoint]
            match = [r for r in twin if r.rule == rule.rule]
            assert match and match[0].build(values) == expected, rule.rule
            compared += 1
        assert compared > 100
    finally:
        other.extensions["huika"].db.dispose()
