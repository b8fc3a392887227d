"""Checks every restored copy passes before it may replace the live database."""
from __future__ import annotations

from dataclasses import dataclass, replace

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
    target_revision: str  # this Huika's heads; the copy was migrated to them if it differed


def _scripts(registry) -> ScriptDirectory:
    locations = migrate.plugin_version_locations(registry) if registry is not None else None
    return ScriptDirectory.from_config(migrate.alembic_config(version_locations=locations))


def check_revision(revision: str, registry) -> str:
    """This Huika's heads; refuses a copy made by a newer Huika (a revision it does not know)."""
    script = _scripts(registry)
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
    """The copy's revision is one this Huika knows (an older one is migrated, in the copy),
    the ledger verifies for every merchant, and the contents match the manifest."""
    with engine.connect() as connection:
        revision = applied_revision(connection)
    target = check_revision(revision, registry)
    if revision != target:
        migrate.upgrade(engine, registry=registry)
    problems = ledger_problems(engine)
    if problems:
        raise BackupError("the backup's ledger does not verify", details=problems[:20])
    with engine.connect() as connection:
        manifest = replace(describe(connection, kind, expected.taken_at if expected else ""),
                           revision=revision)
    if expected is not None:
        differences = expected.same_contents(manifest)
        if differences:
            raise BackupError("the backup's contents differ from its manifest", details=differences)
    return Verified(manifest=manifest, revision=revision, target_revision=target)
