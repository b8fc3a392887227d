"""A prepared report (run.py) as an HTTP answer: a JSON page, or a file sent from disk."""
from __future__ import annotations

from datetime import date

from flask import send_file

from core import audit
from core.clock import MERCHANT_TZ, now_utc
from core.reports import page_of
from core.reports.running import MAX_LIMIT, MAX_OFFSET

from ..audit import request_origin
from ..extension import huika
from . import files
from .run import Prepared, Viewer

MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}


def json_page(session, prepared: Prepared, *, sort: str | None, offset: int, limit: int) -> dict:
    report, query = prepared.report, prepared.query
    page = page_of(report, prepared.rows(session), sort=sort, offset=min(offset, MAX_OFFSET),
                   limit=min(limit, MAX_LIMIT))
    return {"report": report.id, "title": report.title, "plugin": report.plugin,
            "columns": [column.describe() for column in report.columns],
            "parameters": query_json(prepared), "rows": [_json_row(row) for row in page.rows],
            "totals": page.totals,
            "total_rows": page.total_rows, "offset": page.offset, "limit": page.limit,
            "sort": page.sort}


def _json_row(row: dict) -> dict:
    """Dates as YYYY-MM-DD (Flask would write an HTTP date)."""
    return {key: value.isoformat() if isinstance(value, date) else value for key, value in row.items()}


def query_json(prepared: Prepared) -> dict:
    query = prepared.query
    shown = dict(query.params)
    if query.start is not None:
        shown.update({"from": query.start.isoformat(), "to": query.end.isoformat()})
    if prepared.report.by_store:
        shown["store"] = query.store_id
    return shown


def file_answer(session, prepared: Prepared, file_format: str, lang: str):
    """Write the whole report to a temporary file inside the read transaction, then send it.
    Returns (response, rows written)."""
    report, query = prepared.report, prepared.query
    path = files.temporary_path("." + file_format)
    try:
        if file_format == "xlsx":
            written = files.write_xlsx(path, report, prepared.rows(session), lang=lang,
                                       info=_about(prepared, lang))
        else:
            with files.csv_text_buffer(path) as target:
                written = files.write_csv(target, report, prepared.rows(session), lang=lang)
        handle = files.open_and_forget(path)
    except BaseException:
        files.remove_quietly(path)
        raise
    name = files.file_name(prepared.merchant_name, report, (query.start, query.end), lang, file_format)
    response = send_file(handle, mimetype=MEDIA_TYPES[file_format], as_attachment=True,
                         download_name=name, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response, written


def record_export(viewer: Viewer, staff_id: int, prepared: Prepared, file_format: str, rows: int) -> None:
    """The audit row of an export (who took which figures, when), in a short transaction."""
    with huika().db.write() as session:
        audit.record_export(session, merchant_id=viewer.merchant_id, staff_id=staff_id,
                            report=prepared.report.id, parameters=query_json(prepared), rows=rows,
                            file_format=file_format, origin=request_origin())


def _about(prepared: Prepared, lang: str) -> list[tuple[str, str]]:
    query = prepared.query
    zh = lang == "zh-CN"
    store = prepared.store_names.get(query.store_id, "") if query.store_id else ("全部门店" if zh else "All stores")
    lines = [("报表" if zh else "Report", files.title_of(prepared.report.title, lang)),
             ("商户" if zh else "Merchant", prepared.merchant_name)]
    if query.start is not None:
        lines.append(("期间" if zh else "Period", f"{query.start.isoformat()} – {query.end.isoformat()}"))
    if prepared.report.by_store:
        lines.append(("门店" if zh else "Store", store))
    for key, value in sorted(query.params.items()):
        lines.append((key, str(value)))
    exported = now_utc().astimezone(MERCHANT_TZ).strftime("%Y-%m-%d %H:%M")
    lines.append(("导出时间" if zh else "Exported", f"{exported} (Asia/Shanghai)"))
    lines.append(("金额单位" if zh else "Money", "元，由分精确换算" if zh else "yuan, from exact fen"))
    return lines
