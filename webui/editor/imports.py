"""Importing from another system (issue 12, item 9), for owners and managers: download a
template, upload a file for a dry run, read every bad row, then confirm the real import.

The uploaded file waits between the dry run and the confirmation in the instance folder
(mode 0600, named by merchant and SHA-256, removed once imported or after a day), so the
merchant does not upload it twice and the confirmed file is exactly the checked one.
"""
from __future__ import annotations

import os
import re
import time
from pathlib import Path

from flask import Response, abort, current_app, render_template, request
from flask_babel import gettext as _

from core.config_versions import published_config
from core.errors import HuikaError
from core.imports import RowsRefused, import_kinds, template_csv, template_xlsx
from core.imports.running import digest

from .. import imports_service
from ..audit import request_origin
from ..auth import current_staff
from ..extension import huika
from ..i18n import label
from .blueprint import bp
from .common import editor_required, merchant_id

KEEP_SECONDS = 24 * 3600
_SHA = re.compile(r"^[0-9a-f]{64}$")


def _folder() -> Path:
    folder = Path(current_app.instance_path) / "import-uploads"
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder


def _kept(sha: str) -> Path:
    return _folder() / f"{merchant_id()}-{sha}"


def _keep(data: bytes) -> str:
    """Store the upload for its confirmation; forget files older than a day."""
    now = time.time()
    for old in _folder().iterdir():
        try:
            if now - old.stat().st_mtime > KEEP_SECONDS:
                old.unlink()
        except OSError:
            pass
    sha = digest(data)
    path = _kept(sha)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(data)
    return sha


def _kinds():
    with huika().db.read() as session:
        return import_kinds(published_config(session, merchant_id(), huika().plugins))


def _page(kinds, *, kind: str = "", report: dict | None = None, error: str | None = None,
          sha: str = "", file_name: str = "", status: int = 200):
    problems = (report or {}).get("problems", [])
    return render_template("editor/import.html", kinds=kinds, kind=kind, report=report, error=error,
                           sha=sha, file_name=file_name, label=label, problems=problems,
                           kind_title=label(kinds[kind].title) if kind in kinds else ""), status


@bp.get("/import")
@editor_required
def import_page():
    return _page(_kinds())


@bp.get("/import/templates/<file_name>")
@editor_required
def import_template(file_name: str):
    kind_key, _dot, fmt = file_name.rpartition(".")
    kind = _kinds().get(kind_key)
    if kind is None or fmt not in ("xlsx", "csv"):
        abort(404)
    if fmt == "xlsx":
        body, mimetype = template_xlsx(kind), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        body, mimetype = template_csv(kind), "text/csv; charset=utf-8"
    return Response(body, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="huika-import-{kind.key}.{fmt}"'})


def _error_text(error: HuikaError) -> str:
    details = error.details if isinstance(error.details, list) else []
    texts = [label(d["message_i18n"]) for d in details
             if isinstance(d, dict) and "message_i18n" in d and "row" not in d]
    return " ".join(t for t in texts if t) or error.message


@bp.post("/import")
@editor_required
def import_upload():
    kinds = _kinds()
    kind = request.form.get("kind", "")
    if kind not in kinds:
        return _page(kinds, error=_("Choose what to import."), status=422)
    confirm = request.form.get("confirm_sha", "")
    file_name = request.form.get("file_name", "")[:200]
    if confirm:
        if not _SHA.match(confirm) or not _kept(confirm).is_file():
            return _page(kinds, kind=kind, error=_("The checked file is no longer here: upload it again."),
                         status=422)
        data = _kept(confirm).read_bytes()
    else:
        data, file_name = imports_service.uploaded_file()
        if not data:
            return _page(kinds, kind=kind, error=_("Choose a file (.xlsx or .csv)."), status=422)
    staff = current_staff()
    try:
        report = imports_service.run(staff.merchant_id, kind, data, file_name, dry_run=not confirm,
                                     staff_id=staff.id, store_id=staff.store_id,
                                     origin=request_origin("web"))
    except RowsRefused as refused:
        return _page(kinds, kind=kind, report=refused.report, file_name=file_name, status=422)
    except HuikaError as error:
        return _page(kinds, kind=kind, error=_error_text(error), file_name=file_name,
                     status=409 if error.code == "import_already_done" else 422)
    sha = ""
    if confirm:
        _kept(confirm).unlink(missing_ok=True)
    elif not report["problems"] and report["rows_valid"]:
        sha = _keep(data)
    return _page(kinds, kind=kind, report=report, sha=sha, file_name=file_name,
                 status=201 if confirm else 200)
