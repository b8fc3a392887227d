"""Fixtures: a real SQLite file per test, and the same tests on a real PostgreSQL server.

Tests that take the ``database_url`` fixture (directly or through ``app``) run once per
backend. PostgreSQL is a throwaway server started here (tests/support/postgres.py) unless
DATABASE_URL already points to one. Without PostgreSQL binaries those runs are skipped,
unless HUIKA_REQUIRE_POSTGRES=1 (CI), where that is an error.
"""
from __future__ import annotations

import os
import shutil
import uuid

import pytest
from sqlalchemy import create_engine, text

from core.db import make_engine
from core.migrate import upgrade
from core.plugins import build_registry
from tests.support import route_cache
from tests.support.postgres import TEMPLATE_DATABASE, ThrowawayPostgres, find_pg_bin

route_cache.install()  # every test builds an app: compile each route's URL builder once

BACKENDS = ["sqlite", "postgres"]
TEST_PIN_PEPPER = "7e" * 32  # the tests' own; production's lives outside the database


def _external_postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


@pytest.fixture(scope="session")
def plugin_registry():
    """The installed plugins, loaded and validated once: reading and checking every manifest,
    schema and screen takes a fifth of a second, too much to repeat for each of ~1500 apps.
    Tests that install their own throwaway plugins build their own registry."""
    return build_registry()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory, plugin_registry):
    """A migrated SQLite database file, copied for each test."""
    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine, registry=plugin_registry)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_server(plugin_registry):
    """(admin URL, URL builder) of a PostgreSQL server with a migrated template database."""
    external = _external_postgres_url()
    server = None
    if external:
        base = external.rsplit("/", 1)[0]
        admin_url = base + "/postgres"
    else:
        if find_pg_bin() is None:
            if os.environ.get("HUIKA_REQUIRE_POSTGRES") == "1":
                pytest.fail("HUIKA_REQUIRE_POSTGRES=1 but no PostgreSQL server binaries are installed")
            pytest.skip("PostgreSQL is not installed (apt-get install postgresql)")
        server = ThrowawayPostgres().start()
        base = server.url("").rstrip("/")
        admin_url = server.admin_url
    admin = create_engine(admin_url.replace("postgresql://", "postgresql+psycopg://"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE IF EXISTS {TEMPLATE_DATABASE}"))
        connection.execute(text(f"CREATE DATABASE {TEMPLATE_DATABASE}"))
    template_engine = make_engine(f"{base}/{TEMPLATE_DATABASE}")
    upgrade(template_engine, registry=plugin_registry)
    template_engine.dispose()
    yield admin, base
    admin.dispose()
    if server is not None:
        server.stop()


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path, sqlite_template):
    """A fresh, migrated database on each backend."""
    if request.param == "sqlite":
        path = tmp_path / "huika.sqlite"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    admin, base = request.getfixturevalue("postgres_server")
    name = "t_" + uuid.uuid4().hex[:12]
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE_DATABASE}"))
    yield f"{base}/{name}"
    with admin.connect() as connection:
        connection.execute(text(f"DROP DATABASE {name} WITH (FORCE)"))


@pytest.fixture
def app(database_url, plugin_registry):
    from webui import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": database_url,
                      "VALIDATE_RESPONSES": True, "SECRET_KEY": "test-secret", "PIN_PEPPER": TEST_PIN_PEPPER,
                      "PLUGIN_REGISTRY": plugin_registry})
    yield app
    app.extensions["huika"].db.dispose()


@pytest.fixture
def hk(app):
    """The app's Huika extension: database and plugin registry."""
    return app.extensions["huika"]


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def sqlite_notes_database(tmp_path):
    """A Database on a fresh SQLite file with one table, ``notes (id, text)``."""
    from sqlalchemy import text

    from core.db import Database

    database = Database.from_url(f"sqlite:///{tmp_path / 'shop.sqlite'}")
    with database.write() as session:
        session.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)"))
    yield database
    database.dispose()


@pytest.fixture
def db(database_url):
    """A Database on the test's database (SQLite and PostgreSQL, see ``database_url``)."""
    from core.db import Database

    database = Database.from_url(database_url)
    yield database
    database.dispose()
