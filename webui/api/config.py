"""Merchant configuration: draft, publish, versions, rollback (L1)."""
from __future__ import annotations

from core import config_versions
from core.errors import Invalid

from . import schemas
from ..audit import record_draft_change, record_version
from ..extension import huika
from .operations import MANAGERS, caller, json_body, operation
from .serialize import iso, version_json

INVALID = ("Not publishable; details list each problem with its JSON pointer", schemas.ERROR)


@operation("/config/draft", "GET", operation_id="getDraft", tag="config", roles=MANAGERS,
           summary="Read the configuration draft", responses={200: ("The draft", schemas.DRAFT)})
def get_draft():
    with huika().db.write() as session:  # the first read creates the draft
        draft = config_versions.get_draft(session, caller().merchant_id)
        return {"document": draft.document, "based_on_version": draft.based_on_version,
                "updated_at": iso(draft.updated_at)}


@operation("/config/draft", "PUT", operation_id="saveDraft", tag="config", roles=MANAGERS,
           summary="Replace the configuration draft", request_schema=schemas.CONFIG_DOCUMENT,
           responses={200: ("The saved draft", schemas.DRAFT),
                      422: ("Not a configuration document; nothing was saved", schemas.ERROR)})
def save_draft():
    body = json_body()
    with huika().db.write() as session:
        old = config_versions.get_draft(session, caller().merchant_id).document
        draft = config_versions.save_draft(session, caller().merchant_id, body, caller().staff_id)
        record_draft_change(session, "config.draft.save", "config:draft", old, draft.document)
        return {"document": draft.document, "based_on_version": draft.based_on_version,
                "updated_at": iso(draft.updated_at)}


@operation("/config/publish", "POST", operation_id="publishConfig", tag="config", roles=MANAGERS,
           summary="Publish the draft", request_schema=schemas.PUBLISH_INPUT,
           responses={201: ("The new version", schemas.VERSION), 409: ("Concurrent publish", schemas.ERROR),
                      422: INVALID})
def publish():
    body = json_body()
    note = body.get("note", "")
    if not isinstance(note, str) or len(note) > 200:
        raise Invalid("note must be text of at most 200 characters",
                      details=[{"pointer": "/note", "message": "at most 200 characters"}])
    with huika().db.write() as session:
        previous = config_versions.latest_version(session, caller().merchant_id)
        version = config_versions.publish(session, caller().merchant_id, huika().plugins,
                                          staff_id=caller().staff_id, note=note)
        record_version(session, "config.publish", version, previous)
        return version_json(version, with_document=True), 201


@operation("/config/published", "GET", operation_id="getPublishedConfig", tag="config",
           summary="Read the published configuration as cashiers see it",
           responses={200: ("Published configuration with effective settings and fields",
                            schemas.PUBLISHED)})
def get_published():
    with huika().db.read() as session:
        config = config_versions.published_config(session, caller().merchant_id, huika().plugins)
        return {"version": config.version, "document": config.document,
                "enabled_plugins": config.enabled_plugins,
                "settings": {pid: config.settings_for(pid) for pid in config.enabled_plugins},
                "member_fields": config.member_fields,
                "member_extra_schema": config.member_extra_schema}


@operation("/config/versions", "GET", operation_id="listVersions", tag="config", roles=MANAGERS,
           summary="List published versions", responses={200: ("Newest first", schemas.VERSION_LIST)})
def list_versions():
    with huika().db.read() as session:
        return {"items": [version_json(v) for v in
                          config_versions.list_versions(session, caller().merchant_id)]}


@operation("/config/versions/<int:version>", "GET", operation_id="getVersion", tag="config",
           roles=MANAGERS, summary="Read a published version",
           responses={200: ("The version", schemas.VERSION), 404: ("No such version", schemas.ERROR)})
def get_version(version: int):
    with huika().db.read() as session:
        return version_json(config_versions.get_version(session, caller().merchant_id, version),
                            with_document=True)


@operation("/config/versions/<int:version>/rollback", "POST", operation_id="rollbackConfig",
           tag="config", roles=MANAGERS, summary="Republish an old version",
           responses={201: ("The new version, a copy of the old one", schemas.VERSION),
                      404: ("No such version", schemas.ERROR), 422: INVALID})
def rollback(version: int):
    with huika().db.write() as session:
        previous = config_versions.latest_version(session, caller().merchant_id)
        new = config_versions.rollback(session, caller().merchant_id, huika().plugins, version,
                                       staff_id=caller().staff_id)
        record_version(session, "config.rollback", new, previous)
        return version_json(new, with_document=True), 201

