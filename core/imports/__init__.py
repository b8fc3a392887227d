"""Imports for merchants switching systems (issue 12, item 9): members, cards, and the
balances plugins own (stored value, points, course packages) from .xlsx or CSV.

- ``kinds``      what an import kind is; cell parsers (yuan -> fen, dates, phones …)
- ``reading``    a file's bytes -> header and rows (.xlsx via openpyxl read-only, CSV in
                 UTF-8/GBK/UTF-16); hostile files refused with a clear message
- ``templates``  the downloadable .xlsx (XlsxWriter) and CSV templates
- ``members``    the core's kinds: members and cards
- ``context``    what a kind's check and post get; the batch's one ledger transaction
- ``bulk``       chunked Core reads and executemany writes
- ``running``    dry run and real run: report, batch, imported keys, reconciliation, audit

Plugins add kinds through the ``register_import_kinds`` hook (docs/plugins.md); the guide for
merchants is docs/import.md.
"""
from .context import OPENING_PURPOSE, OPENING_TRANSACTION, CardCredit, ImportContext
from .kinds import CellError, Column, ImportKind, Row, RowProblem, message
from .reading import FileRefused
from .running import RowsRefused, find_kind, import_kinds, reconcile, run_import
from .templates import template_csv, template_xlsx

__all__ = ["OPENING_PURPOSE", "OPENING_TRANSACTION", "CardCredit", "CellError", "Column",
           "FileRefused", "ImportContext", "ImportKind", "Row", "RowProblem", "RowsRefused",
           "find_kind", "import_kinds", "message", "reconcile", "run_import", "template_csv",
           "template_xlsx"]
