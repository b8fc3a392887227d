"""Shared pieces of the editor's pages: roles, reading and saving the draft, small helpers.

Everything the editor changes goes into the configuration draft only
(``core.config_versions.save_draft``); publishing is a page of its own.
"""
from __future__ import annotations

import copy
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Iterator

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from core import config_versions
from core.merchant_config import MerchantConfig, empty_document
from core.models import ConfigDraft
from core.schemas import validate_document

from core.starters import get_starter

from ..audit import record_draft_change
from ..auth import current_staff, login_required
from ..i18n import label
from ..extension import huika
from ..screens import MEMBER_SCREEN_ID, apply_arrangement, member_screen, prune_layout

EDITOR_ROLES = ("owner", "manager")
editor_required = login_required(*EDITOR_ROLES)
owner_required = login_required("owner")


def registry():
    return huika().plugins


def merchant_id() -> int:
    return current_staff().merchant_id


@dataclass
class DraftState:
    """The draft as the pages show it, and the latest published version (if any)."""

    document: dict
    based_on_version: int | None
    updated_at: object
    published: dict | None
    published_version: int | None
    published_at: object = None
    ever_published_fields: dict = field(default_factory=dict)  # key -> (type, version)

    @property
    def config(self) -> MerchantConfig:
        return MerchantConfig(self.document, registry())

    @property
    def published_field_keys(self) -> set[str]:
        return {f["key"] for f in (self.published or {}).get("fields", [])}

    @property
    def published_tier_keys(self) -> set[str]:
        return {t["key"] for t in (self.published or {}).get("tiers", [])}

    @property
    def published_card_kind_keys(self) -> set[str]:
        return {k["key"] for k in (self.published or {}).get("card_kinds", [])}

    @property
    def changed(self) -> bool:
        return self.published is None or self.published != self.document


def read_state(session: Session, merchant: int, *, history: bool = False, lock: bool = False) -> DraftState:
    """The draft (without creating its row) and the latest published version.

    ``lock`` takes the draft row for update (PostgreSQL), so two editors saving at the same
    moment do not overwrite each other's change; SQLite write transactions are serial anyway.
    """
    latest = config_versions.latest_version(session, merchant)
    draft = session.get(ConfigDraft, merchant, with_for_update=lock)
    if draft is not None:
        document, based_on, updated_at = copy.deepcopy(draft.document), draft.based_on_version, draft.updated_at
    elif latest is not None:
        document, based_on, updated_at = copy.deepcopy(latest.document), latest.version, latest.published_at
    else:
        document, based_on, updated_at = empty_document(), None, None
    state = DraftState(document=document, based_on_version=based_on, updated_at=updated_at,
                       published=copy.deepcopy(latest.document) if latest else None,
                       published_version=latest.version if latest else None,
                       published_at=latest.published_at if latest else None)
    if history:
        for version in reversed(config_versions.list_versions(session, merchant)):
            for item in version.document.get("fields", []):
                state.ever_published_fields.setdefault(item["key"], (item["type"], version.version))
    return state


def load_state(*, history: bool = False) -> DraftState:
    with huika().db.read() as session:
        return read_state(session, merchant_id(), history=history)


@contextmanager
def editing(*, history: bool = False) -> Iterator["DraftEdit"]:
    """One write transaction around reading the draft, changing it and saving it."""
    with huika().db.write() as session:
        state = read_state(session, merchant_id(), history=history, lock=True)
        yield DraftEdit(session, state, original=copy.deepcopy(state.document))


@dataclass
class DraftEdit:
    session: Session
    state: DraftState
    original: dict = field(default_factory=dict)  # the draft as it was: the audit's "before"

    @property
    def document(self) -> dict:
        return self.state.document

    def save(self, document: dict | None = None, *, action: str = "config.draft.edit",
             target: str = "config:draft") -> list[dict]:
        """Save the (changed) document as the draft: [] when saved, else the problems.

        Screen arrangements are brought in line with the document first (``sync_screens``);
        a document without the shape of a configuration is not saved at all. A saved change is
        audited as ``action`` on ``target`` with what differs from the draft as it was.
        """
        document = sync_screens(document if document is not None else self.state.document)
        problems = [{"pointer": p.pointer, "message": p.message}
                    for p in validate_document(document, "merchant-config")]
        if problems:
            return problems
        config_versions.save_draft(self.session, merchant_id(), document, current_staff().id)
        self.state.document = document
        if document != self.original:
            record_draft_change(self.session, action, target, self.original, document)
            self.original = copy.deepcopy(document)
        return []


def base_screen_for(document: dict, screen_id: str) -> dict | None:
    """The shipped screen ``screen_id`` (member screen from ``document``, or a plugin's)."""
    config = MerchantConfig(document, registry())
    if screen_id == MEMBER_SCREEN_ID:
        return member_screen(config)
    for info in registry().plugins.values():
        for screen in info.screens:
            if screen["id"] == screen_id:
                return copy.deepcopy(screen)
    return None


def sync_screens(document: dict) -> dict:
    """A copy of ``document`` whose screen arrangements match their screens again.

    An arrangement of a shipped screen (same id) takes the shipped data schema and action
    (for the member screen: built from the document's own fields), drops controls whose
    property is gone and gains controls for required properties; an arrangement with nothing
    left is removed. The merchant's own screens are kept as they are.
    """
    document = copy.deepcopy(document)
    screens = []
    for screen in document.get("screens", []):
        base = base_screen_for(document, screen.get("id"))
        if base is None:
            screens.append(screen)
            continue
        if prune_layout(screen.get("ui"), base["data_schema"]) is None:
            continue
        arranged = apply_arrangement(base, screen)
        arranged.pop("plugin", None)
        screens.append(arranged)
    if "screens" in document or screens:
        document["screens"] = screens
    return document


def plugin_title(plugin_id: str) -> dict:
    info = registry().get(plugin_id) or registry().refused.get(plugin_id)
    return (info.manifest.get("title") if info and info.manifest else None) or {"zh-CN": plugin_id, "en": plugin_id}


def template_title(template_id: str | None) -> str:
    """The title of the starter template ``template_id`` in the current language (else the id)."""
    if not template_id:
        return ""
    starter = get_starter(registry(), template_id)
    return label(starter.title) if starter else template_id


def problem_messages(problems: list[dict]) -> dict[str, list[str]]:
    result: dict[str, list[str]] = {}
    for item in problems:
        result.setdefault(item["pointer"], []).append(item["message"])
    return result


def yes_no(value: bool) -> str:
    return _("yes") if value else _("no")
