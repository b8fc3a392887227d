"""Draft, publish, history and rollback of a merchant's configuration (L1).

The editor writes only the draft. Publishing validates the whole document, stores it as a new
immutable version and brings the tier rows in line with it; rollback republishes an old one.
"""
from __future__ import annotations

import copy
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .db import SHARED
from .direct_sql import DirectStatement
from .errors import Conflict, Invalid, NotFound
from .merchant_config import MerchantConfig, empty_document, validate_config
from .models import ConfigDraft, ConfigVersion, Merchant, Tier
from .plugins import PluginRegistry
from .schemas import validate_document


def latest_version(session: Session, merchant_id: int) -> ConfigVersion | None:
    return session.scalars(
        select(ConfigVersion)
        .where(ConfigVersion.merchant_id == merchant_id)
        .order_by(ConfigVersion.version.desc())
        .limit(1)
    ).first()


_versions = ConfigVersion.__table__
# The merchant's rules stamp rides along in the same statement: a plugin's rule rows changed
# means a new MerchantConfig, so facts plugins cache with it (MerchantConfig.memo) are fresh.
_RULES_STAMP = (select(Merchant.__table__.c.rules_stamp)
                .where(Merchant.__table__.c.id == bindparam("merchant")).scalar_subquery())
_LATEST_STAMP = DirectStatement(
    select(_versions.c.version, _versions.c.id, _versions.c.published_at,
           _RULES_STAMP.label("rules_stamp"))
    .where(_versions.c.merchant_id == bindparam("merchant"))
    .order_by(_versions.c.version.desc()).limit(1))


class _Stamp(NamedTuple):
    version: int
    id: int
    published_at: datetime
    rules_stamp: int


def published_config(session: Session, merchant_id: int, registry: PluginRegistry) -> MerchantConfig:
    """The configuration cashiers work with; an empty one before the first publish.

    A published version never changes: its MerchantConfig (with its worked-out settings and
    hook callers) is kept per Database and merchant, and only the latest version's stamp is
    read per call. The stamp includes the row id and time, so a version number reused after
    a rolled-back publish is not mistaken for the cached one, and the merchant's rules stamp,
    so plugin facts memoised on the configuration follow their rule rows.
    """
    shared = session.info.get(SHARED)
    cache = published_configs(shared) if shared is not None else {}
    return published_config_on(session.connection(), merchant_id, registry, cache)


def published_configs(shared: dict) -> dict:
    """The cache of published configurations in a Database's ``shared`` dict (core.db)."""
    return shared.setdefault("published_configs", {})


def published_config_on(connection: Connection, merchant_id: int, registry: PluginRegistry,
                        cache: dict) -> MerchantConfig:
    """``published_config`` on a Connection, with the cache it keeps (merchant id -> (stamp,
    MerchantConfig)): the API reads it on the connection of its token check, in no
    transaction of its own (the stamp is one statement, sent straight to the driver)."""
    found = _LATEST_STAMP.rows(connection, {"merchant": merchant_id})
    if not found:
        return MerchantConfig(empty_document(), registry, version=None)
    stamp = _Stamp(*found[0])
    cached = cache.get(merchant_id)
    if cached is not None and cached[0] == stamp and cached[1].registry is registry:
        return cached[1]
    document = connection.execute(
        select(_versions.c.document).where(_versions.c.id == stamp.id)).scalar_one()
    config = MerchantConfig(document, registry, version=stamp.version)
    cache[merchant_id] = (stamp, config)
    return config


def get_version(session: Session, merchant_id: int, number: int) -> ConfigVersion:
    version = session.scalars(
        select(ConfigVersion).where(
            ConfigVersion.merchant_id == merchant_id, ConfigVersion.version == number
        )
    ).first()
    if version is None:
        raise NotFound(f"configuration version {number} does not exist")
    return version


def list_versions(session: Session, merchant_id: int) -> list[ConfigVersion]:
    return list(session.scalars(
        select(ConfigVersion)
        .where(ConfigVersion.merchant_id == merchant_id)
        .order_by(ConfigVersion.version.desc())
    ))


def get_draft(session: Session, merchant_id: int) -> ConfigDraft:
    """The draft; a new one starts as a copy of the latest published document."""
    draft = session.get(ConfigDraft, merchant_id)
    if draft is None:
        latest = latest_version(session, merchant_id)
        draft = ConfigDraft(
            merchant_id=merchant_id,
            document=copy.deepcopy(latest.document) if latest else empty_document(),
            based_on_version=latest.version if latest else None,
        )
        session.add(draft)
        session.flush()
    return draft


def save_draft(session: Session, merchant_id: int, document, staff_id: int | None) -> ConfigDraft:
    """Replace the draft. Its shape must be right; cross-checks wait for publishing."""
    problems = validate_document(document, "merchant-config")
    if problems:
        raise Invalid(
            "the draft does not have the shape of a configuration document; nothing was saved",
            details=[{"pointer": p.pointer, "message": p.message} for p in problems],
        )
    draft = get_draft(session, merchant_id)
    draft.document = copy.deepcopy(document)
    draft.updated_by = staff_id
    session.flush()
    return draft


def publish(
    session: Session,
    merchant_id: int,
    registry: PluginRegistry,
    *,
    staff_id: int | None = None,
    note: str = "",
    document: dict | None = None,
    rolled_back_from: int | None = None,
) -> ConfigVersion:
    """Validate the draft (or ``document``) and store it as the next version."""
    if document is None:
        document = get_draft(session, merchant_id).document
    problems = validate_config(document, registry)
    if problems:
        raise Invalid("the configuration cannot be published", details=problems)
    latest = latest_version(session, merchant_id)
    number = (latest.version if latest else 0) + 1
    version = ConfigVersion(
        merchant_id=merchant_id,
        version=number,
        document=copy.deepcopy(document),
        note=note[:200],
        rolled_back_from=rolled_back_from,
        published_by=staff_id,
    )
    try:
        with session.begin_nested():
            session.add(version)
            session.flush()
    except IntegrityError:
        raise Conflict("another publish happened at the same time; try again") from None
    _sync_tiers(session, merchant_id, document.get("tiers", []))
    draft = get_draft(session, merchant_id)
    draft.document = copy.deepcopy(document)
    draft.based_on_version = number
    config = MerchantConfig(version.document, registry, version=number)
    config.hook("after_publish")(session=session, merchant_id=merchant_id, version=number,
                                 config=config)
    session.flush()
    return version


def rollback(session: Session, merchant_id: int, registry: PluginRegistry, number: int,
             *, staff_id: int | None = None) -> ConfigVersion:
    """Publish version ``number``'s document again as a new version (history is kept)."""
    old = get_version(session, merchant_id, number)
    # No note text: rolled_back_from says it, and every page words it in its own language.
    return publish(session, merchant_id, registry, staff_id=staff_id, note="",
                   document=old.document, rolled_back_from=number)


def _sync_tiers(session: Session, merchant_id: int, tiers: list[dict]) -> None:
    """Tier rows follow the published document; removed tiers stay (cards point to them) inactive."""
    existing = {tier.key: tier for tier in session.scalars(
        select(Tier).where(Tier.merchant_id == merchant_id))}
    for definition in tiers:
        tier = existing.pop(definition["key"], None)
        if tier is None:
            tier = Tier(merchant_id=merchant_id, key=definition["key"])
            session.add(tier)
        tier.name_zh = definition["name"]["zh-CN"]
        tier.name_en = definition["name"]["en"]
        tier.rank = definition["rank"]
        tier.discount_permille = definition.get("discount_permille", 1000)
        tier.upgrade = definition.get("upgrade", [])
        tier.active = True
    for tier in existing.values():
        tier.active = False


def version_count(session: Session, merchant_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(ConfigVersion).where(ConfigVersion.merchant_id == merchant_id)
    )
