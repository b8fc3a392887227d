"""Domain errors. The web layer maps each class to an HTTP status; the core knows no HTTP."""
from __future__ import annotations

from typing import Any


class HuikaError(Exception):
    """Base class: a stable machine-readable ``code``, a human message and optional details.

    ``params`` are the values the message speaks of (names ending in ``_fen`` are money), so
    the web layer can say it in the reader's language and in yuan (webui/errors_i18n.py)."""

    code = "error"

    def __init__(self, message: str, *, code: str | None = None, details: Any = None,
                 params: dict | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code
        self.details = details
        self.params = params or {}


class NotFound(HuikaError):
    code = "not_found"


class Invalid(HuikaError):
    """Bad input: the details list each problem with a JSON pointer."""

    code = "invalid"


class Conflict(HuikaError):
    """The request clashes with the current state (duplicate phone, reused key …)."""

    code = "conflict"


class Forbidden(HuikaError):
    code = "forbidden"


class Busy(HuikaError):
    """The database stayed locked past its timeout; the client may retry."""

    code = "busy"


def problem(pointer: str, message: str) -> dict:
    """One entry of an ``Invalid`` error's details."""
    return {"pointer": pointer, "message": message}
