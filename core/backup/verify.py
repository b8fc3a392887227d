"""Checks every restored copy passes before it may replace the live database."""
from __future__ import annotations

from dataclasses import dataclass

from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from .. import ledger, migrate
from ..models import Merchant
from .manifest import BackupError, Manifest, applied_revision, describe


@dataclass(frozen=True)
class Verified:
    manifest: Manifest  # recomputed from the restored copy
    revision: str  # what the copy had
    target_revision: str  # what this Huika's migrations lead to

    @property
    def needs_upgrade(self) -> bool:
        return self.revision != self.target_revision


def known_heads(registry) -> ScriptDirectory:
    locations = migrate.plugin_version_locations(registry) if registry is not None else None
    return ScriptDirectory.from_config(migrate.alembic_config(version_locations=locations))


def check_revision(revision: str, registry) -> str:
    """This Huika's heads; refuses a copy made by a newer Huika (a revision it does not know)."""
    script = known_heads(registry)
    if not revision:
        raise BackupError("the backup holds no Huika schema (no Alembic revision)")
    for head in revision.split(", "):
        try:
            if script.get_revision(head) is None:
                raise CommandError(head)
        except CommandError:
            raise BackupError(
                f"the backup is at revision {head!r}, which this Huika does not know: it was made "
                "by a newer version or with a plugin that is not installed") from None
    return ", ".join(sorted(script.get_heads()))


def ledger_problems(engine: Engine) -> list[str]:
    with Session(engine) as session:
        problems = []
        for merchant_id in session.scalars(select(Merchant.id).order_by(Merchant.id)):
            problems += [f"merchant {merchant_id}: {p}" for p in ledger.verify(session, merchant_id)]
        return problems


def verify_copy(engine: Engine, kind: str, registry, expected: Manifest | None) -> Verified:
    """Revision known, ledger invariants hold for every merchant, contents match the manifest."""
    with engine.connect() as connection:
        manifest = describe(connection, kind, taken_at=expected.taken_at if expected else "")
        revision = applied_revision(connection)
    target = check_revision(revision, registry)
    problems = ledger_problems(engine)
    if problems:
        raise BackupError("the backup's ledger does not verify", details=problems[:20])
    if expected is not None:
        differences = expected.same_contents(manifest)
        if differences:
            raise BackupError("the backup's contents differ from its manifest", details=differences)
    return Verified(manifest=manifest, revision=revision, target_revision=target)


def upgrade_copy(engine: Engine, registry) -> None:
    """Migrate a verified copy to this Huika's schema, then check its ledger again."""
    migrate.upgrade(engine, registry=registry)
    problems = ledger_problems(engine)
    if problems:
        raise BackupError("the ledger does not verify after the migration", details=problems[:20])
