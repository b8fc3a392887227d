"""The report catalogue over the API (issue 12, X1-X3): list, run, export.

``GET /reports`` lists what this merchant has; ``GET /reports/<id>`` runs one as a JSON page
(``format=json``, sortable and paged) or as a whole file (``format=xlsx`` or ``csv``). Owners
and managers only; a store's manager sees their own store (A1). Every run is audited.
"""
from __future__ import annotations

from flask import jsonify, request

from core.errors import Invalid, problem
from core.reports.parameters import parameters_schema
from core.reports.running import MAX_LIMIT, MAX_OFFSET

from ..extension import huika
from ..reporting import respond
from ..reporting.run import FORMATS, MANAGERS, Viewer, catalogue_for, prepare
from . import schemas
from .operations import caller, int_arg, operation

LANGS = ("zh-CN", "en")
COLUMN = {"type": "object", "required": ["key", "title", "type", "total"], "properties": {
    "key": {"type": "string"}, "title": schemas.I18N,
    "type": {"enum": ["fen", "count", "date", "text", "permille"]}, "total": {"type": "boolean"}}}
REPORT_ENTRY = {"type": "object", "required": ["id", "title", "plugin", "parameters", "columns", "formats"],
                "properties": {"id": {"type": "string"}, "title": schemas.I18N,
                               "description": {"type": "object"}, "plugin": {"type": "string"},
                               "parameters": {"type": "object", "description": "JSON Schema of the query"},
                               "columns": {"type": "array", "items": COLUMN},
                               "formats": {"type": "array", "items": {"enum": list(FORMATS)}}}}
REPORT_LIST = {"type": "object", "required": ["reports"],
               "properties": {"reports": {"type": "array", "items": REPORT_ENTRY}}}
REPORT_PAGE = {"type": "object",
               "required": ["report", "title", "plugin", "columns", "parameters", "rows", "totals",
                            "total_rows", "offset", "limit", "sort"],
               "properties": {"report": {"type": "string"}, "title": schemas.I18N,
                              "plugin": {"type": "string"},
                              "columns": {"type": "array", "items": COLUMN},
                              "parameters": {"type": "object"},
                              "rows": {"type": "array", "items": {"type": "object"}},
                              "totals": {"type": "object", "additionalProperties": {"type": "integer"}},
                              "total_rows": {"type": "integer"}, "offset": {"type": "integer"},
                              "limit": {"type": "integer"}, "sort": schemas.NULLABLE_STRING}}


def _viewer() -> Viewer:
    who = caller()
    return Viewer(merchant_id=who.merchant_id, role=who.role, store_id=who.store_id)


def describe(report) -> dict:
    return {"id": report.id, "title": report.title, "description": report.description,
            "plugin": report.plugin, "parameters": parameters_schema(report),
            "columns": [column.describe() for column in report.columns], "formats": list(FORMATS)}


@operation("/reports", "GET", operation_id="listReports", tag="reports", roles=MANAGERS,
           summary="List the reports this merchant has",
           responses={200: ("Core and enabled plugins' reports, with parameters and columns", REPORT_LIST)})
def list_reports():
    with huika().db.read() as session:
        return {"reports": [describe(report) for report in catalogue_for(session, _viewer())]}


@operation("/reports/<report_id>", "GET", operation_id="runReport", tag="reports", roles=MANAGERS,
           summary="Run a report as JSON, Excel or CSV",
           query=[("format", {"enum": list(FORMATS), "default": "json"},
                   "json (a page), xlsx or csv (the whole report as a file)"),
                  ("from", {"type": "string", "format": "date"}, "first local day (YYYY-MM-DD)"),
                  ("to", {"type": "string", "format": "date"}, "last local day (YYYY-MM-DD)"),
                  ("store", {"type": "integer", "minimum": 1}, "one store"),
                  ("sort", {"type": "string"}, "json: a column key, '-key' for descending"),
                  ("offset", {"type": "integer", "minimum": 0, "maximum": MAX_OFFSET}, "json: rows to skip"),
                  ("limit", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT}, "json: rows per page (100)"),
                  ("lang", {"enum": list(LANGS)}, "titles in files (default zh-CN)")],
           responses={200: ("A page of rows with totals over all rows (json); or the file, "
                            "as an attachment named 商户_报表_期间 (xlsx, csv with BOM)", REPORT_PAGE),
                      404: ("No such report for this merchant", schemas.ERROR)})
def run_report(report_id: str):
    viewer = _viewer()
    file_format = request.args.get("format") or "json"
    lang = request.args.get("lang") or "zh-CN"
    problems = []
    if file_format not in FORMATS:
        problems.append(problem("/format", "one of " + ", ".join(FORMATS)))
    if lang not in LANGS:
        problems.append(problem("/lang", "one of " + ", ".join(LANGS)))
    if problems:
        raise Invalid("the report's parameters are not valid; nothing was run", details=problems)
    offset = int_arg("offset", 0, minimum=0, maximum=MAX_OFFSET)
    limit = int_arg("limit", 100, minimum=1, maximum=MAX_LIMIT)
    with huika().db.read() as session:
        prepared = prepare(session, viewer, report_id, request.args)
        if file_format == "json":
            body = respond.json_page(session, prepared, sort=request.args.get("sort"),
                                     offset=offset, limit=limit)
            answer, rows = jsonify(body), len(body["rows"])
        else:
            answer, rows = respond.file_answer(session, prepared, file_format, lang)
    respond.record_export(viewer, caller().staff_id, prepared, file_format, rows)
    return answer
