"""Running an import for a web request or the command line (issue 12, item 9): the file's
bytes in, the report out, one transaction (a read one for a dry run, a write one for real).

Shared by the API (webui/api/imports.py) and the editor page (webui/editor/imports.py), so
both apply exactly the same rules.
"""
from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from core.audit import Origin
from core.clock import now_utc
from core.config_versions import published_config
from core.imports import run_import

from .extension import huika

DEFAULT_MAX_IMPORT_BYTES = 32 * 1024 * 1024  # 100,000 members as CSV are about 8 MB


def import_limit() -> int:
    return current_app.config.get("HUIKA_MAX_IMPORT_BYTES", DEFAULT_MAX_IMPORT_BYTES)


def uploaded_file(field: str = "file") -> tuple[bytes, str]:
    """The upload's bytes and file name: a multipart field ``field``, or the raw body.

    The request may be as large as the import limit (not the API's 1 MB); past it: 413.
    """
    limit = import_limit()
    request.max_content_length = limit  # Flask 3.1: this request's own limit, for the parser too
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"the file is larger than {limit} bytes (HUIKA_MAX_IMPORT_BYTES)")
    if request.mimetype == "multipart/form-data":
        upload = request.files.get(field)
        if upload is None:
            return b"", ""
        data = upload.stream.read(limit + 1)
        if len(data) > limit:
            raise RequestEntityTooLarge(f"the file is larger than {limit} bytes (HUIKA_MAX_IMPORT_BYTES)")
        return data, upload.filename or ""
    return request.get_data(cache=False), request.headers.get("X-File-Name", "")[:200]


def run(merchant_id: int, kind: str, data: bytes, file_name: str, *, dry_run: bool,
        staff_id: int | None, store_id: int | None, origin: Origin) -> dict:
    db = huika().db
    transaction = db.read if dry_run else db.write
    with transaction() as session:
        config = published_config(session, merchant_id, huika().plugins)
        return run_import(session, config, merchant_id, kind, data, file_name=file_name,
                          dry_run=dry_run, now=now_utc(), staff_id=staff_id, store_id=store_id,
                          origin=origin)
