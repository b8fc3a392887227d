"""Schemathesis against the whole API, in-process on SQLite, as an owner and as a cashier.

Every operation of the OpenAPI document gets generated requests, valid and invalid (the
coverage and fuzzing phases), and every response goes through all of schemathesis' checks:
no 5xx, status and body as documented, invalid input refused, valid input accepted, required
headers enforced, 405 with Allow for other methods, and authentication enforced. The app also
runs with VALIDATE_RESPONSES, so our own response check must agree with the document too.

The app (and the document schemathesis reads from it) exists at import time, because
schemathesis turns each documented operation into its own test item; its database is migrated
then and filled by the module fixture before the first request. ``pytest -s`` prints the request counts.
"""
from __future__ import annotations

import atexit
import shutil
import tempfile
from pathlib import Path

import pytest
import schemathesis
from sqlalchemy import select

from core import config_versions
from core.demo import DEMO_DOCUMENT, load_demo
from core.models import ApiToken, Staff
from core.plugins import build_registry
from core.security import token_digest

TOKENS = {"owner": "hk_schemathesis_owner_token", "cashier": "hk_schemathesis_cashier_token"}
EXAMPLES_PER_OPERATION = 10  # fuzzing phase; the coverage phase adds its own boundary cases
SEED = 20261205  # the same cases on every run: a suite gate must not flake

_DATABASE_DIR = Path(tempfile.mkdtemp(prefix="huika-schemathesis-"))
atexit.register(shutil.rmtree, _DATABASE_DIR, True)
DATABASE = _DATABASE_DIR / "huika.sqlite"
REQUESTS = {"owner": 0, "cashier": 0, "no token": 0}  # answered by the app, per caller


def _app():
    from core.db import make_engine
    from core.migrate import upgrade
    from webui import create_app

    # Migrated now, not in the fixture: schemathesis reads the document through the app at
    # collection, and every API request (that one too) passes the throttle's table.
    registry = build_registry()
    engine = make_engine(f"sqlite:///{DATABASE}")
    upgrade(engine, registry=registry)
    engine.dispose()
    return create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{DATABASE}",
                       "VALIDATE_RESPONSES": True, "SECRET_KEY": "test-secret",
                       "PIN_PEPPER": "7e" * 32, "PLUGIN_REGISTRY": registry,
                       # The auth checks send wrong tokens on purpose, thousands of them: the
                       # per-client throttle (tested in tests/web/test_throttle.py) would
                       # otherwise answer 429 to everything after the first 30.
                       "HUIKA_RATELIMIT_API_AUTH_FAILURES": "1000000 per minute"})


APP = _app()


@APP.after_request
def _count(response):
    from flask import request

    sent = request.headers.get("Authorization", "")
    REQUESTS[next((role for role, token in TOKENS.items() if token in sent), "no token")] += 1
    return response

def _schema(role: str):
    config = schemathesis.Config.from_dict({
        "seed": SEED,
        # The document's bearer scheme, given its token: schemathesis then knows the
        # Authorization header is ours (sent as a plain header, it took it for generated on
        # operations whose only input is a header, and called their 200 "invalid auth
        # accepted"), and still probes each operation without it and with a wrong one.
        "auth": {"openapi": {"bearer": {"bearer": TOKENS[role]}}},
        "generation": {"max-examples": EXAMPLES_PER_OPERATION, "database": "none"},
        "checks": {
            # schemathesis' defaults, plus 428 Precondition Required: our documented answer
            # to a missing Idempotency-Key (docs/api.md).
            "missing_required_header": {
                "expected-statuses": ["400", "401", "403", "406", "415", "422", "428"]},
            # schemathesis' defaults, plus 422: schema-valid input can still break a rule no
            # static schema can state (one of *this merchant's* card kinds or tiers, a
            # birthday that exists in its calendar, the merchant's own member fields). The
            # answer names the JSON pointer and changes nothing.
            "positive_data_acceptance": {
                "expected-statuses": ["2xx", "3xx", "401", "403", "404", "409", "422", "5xx"]},
        },
    })
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP, config=config)


@pytest.fixture(scope="session")
def fuzzed_app():
    """The demo merchant with every plugin enabled, and the two tokens the schemas send.

    Once per process: xdist's worksteal can run this module's items between other modules',
    and a module-scoped fixture would then load the demo again into the same database."""
    hk = APP.extensions["huika"]
    with hk.db.write() as session:
        demo = load_demo(session, hk.plugins, member_count=3)
        document = {**DEMO_DOCUMENT,
                    "plugins": [{"id": plugin, "settings": {}} for plugin in sorted(hk.plugins.plugins)]}
        config_versions.save_draft(session, demo.merchant_id, document, staff_id=None)
        config_versions.publish(session, demo.merchant_id, hk.plugins, note="every plugin")
        for role, token in TOKENS.items():
            staff = session.scalar(select(Staff).where(Staff.merchant_id == demo.merchant_id,
                                                       Staff.role == role))
            session.add(ApiToken(staff_id=staff.id, digest=token_digest(token), label="schemathesis"))
    yield APP
    hk.db.dispose()
    print(f"\nschemathesis requests: {REQUESTS}")


@schemathesis.pytest.parametrize(owner=_schema("owner"), cashier=_schema("cashier"))
def test_api(case, fuzzed_app):
    case.call_and_validate()
