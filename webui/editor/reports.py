"""Reports in the editor (issue 12, G1): the catalogue, one page per report, its files.

Owners and managers only; a store's manager sees their own store (A1). Every page is drawn
from the report's description (core/reports): a GET form of its parameters, a table sorted
and paged on the server, the totals over all rows, and Excel/CSV buttons that download the
whole report with the same filters (audited like the API's exports). Bad filters are told
on the page and nothing runs.
"""
from __future__ import annotations

from flask import abort, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from core.clock import local_date, now_utc
from core.errors import Forbidden, Invalid, NotFound
from core.models import Store
from core.reports import Report, page_of

from ..auth import current_staff
from ..extension import huika
from ..i18n import current_locale, label
from .owner_text import owner_label
from ..reporting import respond
from ..reporting.run import Viewer, catalogue_for, prepare
from . import report_filters as filters
from . import report_table as table
from .blueprint import bp
from .common import editor_required, plugin_title

FILE_FORMATS = ("xlsx", "csv")


def _viewer() -> Viewer:
    staff = current_staff()
    return Viewer(merchant_id=staff.merchant_id, role=staff.role, store_id=staff.store_id)


def _file_lang() -> str:
    return "zh-CN" if current_locale() == "zh_CN" else "en"


@bp.get("/reports")
@editor_required
def reports():
    with huika().db.read() as session:
        catalogue = catalogue_for(session, _viewer())
    groups: dict[str, list[Report]] = {}
    for report in catalogue:
        groups.setdefault(report.plugin, []).append(report)
    ordered = sorted(groups, key=lambda plugin: (plugin != "core", label(plugin_title(plugin)), plugin))
    sections = [(_("Core") if plugin == "core" else label(plugin_title(plugin)),
                 sorted(groups[plugin], key=lambda r: label(r.title))) for plugin in ordered]
    return render_template("editor/reports.html", sections=sections)


def _visible_stores(session, viewer: Viewer) -> tuple[list[tuple[int, str]], bool]:
    """The stores the viewer may pick, and whether "all stores" is theirs to see."""
    query = select(Store.id, Store.name).where(Store.merchant_id == viewer.merchant_id).order_by(Store.id)
    if viewer.own_store_id is not None:
        query = query.where(Store.id == viewer.own_store_id)
    return [(store_id, name) for store_id, name in session.execute(query)], viewer.own_store_id is None


def _find(session, viewer: Viewer, report_id: str) -> Report:
    report = next((r for r in catalogue_for(session, viewer) if r.id == report_id), None)
    if report is None:
        abort(404)
    return report


@bp.get("/reports/<report_id>")
@editor_required
def report_page(report_id: str):
    viewer = _viewer()
    with huika().db.read() as session:
        report = _find(session, viewer, report_id)
        values = filters.submitted(report, request.args)
        sort = table.sort_argument(report, request.args.get("sort"))
        number = table.page_number(request.args.get("page"))
        stores, all_stores = _visible_stores(session, viewer)
        errors, result = [], None
        try:
            prepared = prepare(session, viewer, report.id, values)
        except Invalid as invalid:
            errors = filters.problem_messages(report, values, invalid.details)
        except Forbidden:
            errors = [_("You may see only your own store's figures.")]
        else:
            result = page_of(report, prepared.rows(session), sort=sort,
                             offset=(number - 1) * table.PAGE_SIZE, limit=table.PAGE_SIZE)
            shown = {**values, **respond.query_json(prepared)}
            values = {name: filters.query_text(value) for name, value in shown.items()
                      if name in filters.filter_names(report)}
    context = _page_context(report, values, sort, stores, all_stores)
    if result is not None:
        context.update(rows=table.table_rows(report, result.rows), totals=table.totals_row(report, result),
                       paging=table.paging(result, number))
    return render_template("editor/report.html", errors=errors, **context), 422 if errors else 200


def _page_context(report: Report, values: dict, sort: str | None, stores, all_stores: bool) -> dict:
    """What the page shows besides the figures: the form, the headers, the links."""
    def here(**changes) -> str:
        args = {**values, "sort": sort, **changes}
        return url_for("editor.report_page", report_id=report.id,
                       **{name: value for name, value in args.items() if value not in (None, "")})

    headers = table.headers(report, sort)
    today = local_date(now_utc())
    return {
        "report": report, "title": label(report.title), "description": owner_label(report.description),
        "plugin_name": _("Core") if report.plugin == "core" else label(plugin_title(report.plugin)),
        "fields": filters.form_fields(report, values, stores=stores, all_stores=all_stores),
        "sort": sort, "headers": headers,
        "sort_urls": {header.key: here(sort=header.sort_value, page=None) for header in headers},
        "quick_ranges": [(text, here(**{"from": start.isoformat(), "to": end.isoformat(), "page": None}))
                         for text, start, end in filters.quick_ranges(today)] if report.period else [],
        "page_url": lambda number: here(page=number if number > 1 else None),
        "file_urls": {file_format: url_for("editor.report_file", report_id=report.id, file_format=file_format,
                                           **{n: v for n, v in values.items() if v})
                      for file_format in FILE_FORMATS},
        "rows": None, "totals": None, "paging": None,
    }


@bp.get("/reports/<report_id>.xlsx", defaults={"file_format": "xlsx"})
@bp.get("/reports/<report_id>.csv", defaults={"file_format": "csv"})
@editor_required
def report_file(report_id: str, file_format: str):
    """The whole report as a file with the page's filters, audited as an export."""
    viewer = _viewer()
    with huika().db.read() as session:
        report = _find(session, viewer, report_id)
        values = filters.submitted(report, request.args)
        try:
            prepared = prepare(session, viewer, report.id, values)
        except (Invalid, Forbidden, NotFound):
            prepared = None
        if prepared is not None:
            answer, rows = respond.file_answer(session, prepared, file_format, _file_lang())
    if prepared is None:  # the page says what is wrong with the filters
        return report_page(report_id=report_id)
    respond.record_export(viewer, current_staff().id, prepared, file_format, rows)
    return answer
