"""Imports for merchants switching systems (issue 12, item 9): templates, dry run, real run.

Owners and managers only. The file is the body (raw, or the multipart field ``file``), up to
HUIKA_MAX_IMPORT_BYTES; a bad file of any shape is a 4xx JSON error. docs/api.md "Imports".
"""
from __future__ import annotations

from flask import Response, request

from core.config_versions import published_config
from core.errors import Invalid, NotFound, problem
from core.imports import find_kind, import_kinds, template_csv, template_xlsx

from . import schemas
from .. import imports_service
from ..audit import request_origin
from ..extension import huika
from .operations import MANAGERS, caller, operation

I18N = {"type": "object", "required": ["zh-CN", "en"],
        "properties": {"zh-CN": {"type": "string"}, "en": {"type": "string"}}}
KIND = {
    "type": "object", "required": ["key", "title", "plugin", "columns", "templates"],
    "properties": {
        "key": {"type": "string"}, "title": I18N, "plugin": {"type": "string"},
        "description": I18N,
        "columns": {"type": "array", "items": {
            "type": "object", "required": ["key", "title", "required", "example"],
            "properties": {"key": {"type": "string"}, "title": I18N, "required": {"type": "boolean"},
                           "example": {"type": "string"}}}},
        "templates": {"type": "object", "properties": {"xlsx": {"type": "string"},
                                                      "csv": {"type": "string"}}},
    },
}
PROBLEM = {"type": "object", "required": ["row", "column", "pointer", "message", "message_i18n"],
           "properties": {"row": {"type": "integer"}, "column": {"type": "string"},
                          "column_title": {"type": "string"}, "pointer": {"type": "string"},
                          "message": {"type": "string"}, "message_i18n": I18N}}
ASSET_TOTALS = {"type": "object", "additionalProperties": {"type": "integer"}}
REPORT = {
    "type": "object",
    "required": ["kind", "dry_run", "file", "rows_read", "rows_valid", "rows_skipped", "rows_bad",
                 "problems", "problems_total", "totals"],
    "properties": {
        "kind": {"type": "string"}, "dry_run": {"type": "boolean"},
        "file": {"type": "object", "properties": {
            "name": {"type": "string"}, "format": {"enum": ["xlsx", "csv"]},
            "encoding": {"type": "string"}, "sha256": {"type": "string"}}},
        "rows_read": {"type": "integer"}, "rows_valid": {"type": "integer"},
        "rows_skipped": {"type": "integer", "description": "imported by an earlier batch"},
        "rows_bad": {"type": "integer"}, "example_rows_skipped": {"type": "integer"},
        "problems_total": {"type": "integer"},
        "problems": {"type": "array", "items": PROBLEM,
                     "description": "every bad row's problems, up to 10,000"},
        "skipped": {"type": "array"},
        "already_imported": {"type": ["object", "null"]},
        "totals": {**ASSET_TOTALS, "description": "card credits of the valid rows per ledger asset "
                                                  "(fen for stored value, points, sessions …)"},
        "batch_id": {"type": "integer"}, "transaction_id": schemas.NULLABLE_INT,
        "created": {"type": "object", "additionalProperties": {"type": "integer"}},
        "reconciliation": {"type": "object", "required": ["assets", "balanced", "problems"],
                           "properties": {
                               "assets": {"type": "array", "items": {
                                   "type": "object",
                                   "required": ["asset", "file", "posted", "cards_hold_now"],
                                   "properties": {"asset": {"type": "string"},
                                                  "file": {"type": "integer"},
                                                  "posted": {"type": "integer"},
                                                  "cards_hold_now": {"type": "integer"}}}},
                               "balanced": {"type": "boolean"},
                               "problems": {"type": "array", "items": {"type": "string"}}}},
    },
}
FORMATS = {"xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", template_xlsx),
           "csv": ("text/csv; charset=utf-8", template_csv)}


def kind_json(kind) -> dict:
    return {"key": kind.key, "title": kind.title, "plugin": kind.plugin, "description": kind.description,
            "columns": [{"key": c.key, "title": c.title, "required": c.required, "example": c.example}
                        for c in kind.columns],
            "templates": {fmt: f"/api/v1/imports/templates/{kind.key}.{fmt}" for fmt in FORMATS}}


def _config():
    with huika().db.read() as session:
        return published_config(session, caller().merchant_id, huika().plugins)


@operation("/imports", "GET", operation_id="listImportKinds", tag="imports", roles=MANAGERS,
           summary="List what can be imported",
           responses={200: ("The import kinds of the merchant's enabled plugins and the core",
                            {"type": "object", "required": ["kinds"],
                             "properties": {"kinds": {"type": "array", "items": KIND}}})})
def list_import_kinds():
    return {"kinds": [kind_json(kind) for kind in import_kinds(_config()).values()]}


@operation("/imports/templates/<file_name>", "GET", operation_id="getImportTemplate", tag="imports",
           roles=MANAGERS, summary="Download an import template",
           responses={200: ("The template: <kind>.xlsx or <kind>.csv (UTF-8 with BOM), Chinese "
                            "headers, one example row", None)})
def get_import_template(file_name: str):
    kind_key, _, fmt = file_name.rpartition(".")
    if fmt not in FORMATS or not kind_key:
        raise NotFound("templates are <kind>.xlsx or <kind>.csv", code="import_template_unknown")
    kind = find_kind(_config(), kind_key)
    mimetype, build = FORMATS[fmt]
    name = f"huika-import-{kind.key}.{fmt}"
    return Response(build(kind), mimetype=mimetype,
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def dry_run_flag() -> bool:
    raw = (request.args.get("dry_run") or "false").strip().lower()
    if raw not in ("true", "false", "1", "0"):
        raise Invalid("dry_run is true or false", details=[problem("/dry_run", "true or false")])
    return raw in ("true", "1")


@operation("/imports/<kind>", "POST", operation_id="runImport", tag="imports", roles=MANAGERS,
           summary="Import a file (dry run or for real)",
           query=[("dry_run", {"enum": ["true", "false", "1", "0"]},
                   "true: check every row and change nothing")],
           responses={200: ("Dry run: the report; nothing was changed", REPORT),
                      201: ("Imported as one batch: the report with the reconciliation", REPORT),
                      400: ("A JSON body that is not valid JSON", schemas.ERROR),
                      409: ("This file was imported before (details: the batch)", schemas.ERROR),
                      413: ("The file is larger than HUIKA_MAX_IMPORT_BYTES", schemas.ERROR),
                      422: ("The file cannot be read, its header does not match, or rows are bad "
                            "(details: each problem with row, column and message); nothing was "
                            "imported", schemas.ERROR)})
def run_import(kind: str):
    dry_run = dry_run_flag()
    data, file_name = imports_service.uploaded_file()
    who = caller()
    report = imports_service.run(who.merchant_id, kind, data, file_name, dry_run=dry_run,
                                 staff_id=who.staff_id, store_id=who.store_id, origin=request_origin())
    return report, 200 if dry_run else 201
