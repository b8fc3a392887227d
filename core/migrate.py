"""Create or upgrade a database with Alembic (``huika init``)."""
from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def alembic_config(connection=None, version_locations: list[str] | None = None) -> Config:
    """Alembic settings: the core's history plus each plugin's own branch (register_migrations)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    locations = version_locations or [str(MIGRATIONS_DIR / "versions")]
    config.set_main_option("version_locations", " ".join(locations))
    config.set_main_option("path_separator", "space")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def plugin_version_locations(registry) -> list[str]:
    """Every valid plugin's migrations (installed plugins' tables exist for all merchants)."""
    locations: list[str] = []
    for paths in registry.call_all("register_migrations"):
        locations += [str(path) for path in paths or [] if str(path) not in locations]
    return locations


def upgrade(engine: Engine, revision: str = "heads", registry=None) -> None:
    """Bring the schema (core and plugin branches) to ``revision`` (default: the newest)."""
    locations = plugin_version_locations(registry) if registry is not None else None
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection, locations), revision)


def current_revision(engine: Engine) -> str | None:
    """The applied heads (the core's and each plugin branch's), comma-separated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    return ", ".join(sorted(heads)) or None
