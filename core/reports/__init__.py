"""The report catalogue (issue 12, X1-X3): one description for core and plugin reports.

A report is data plus a function: its id and titles, the query parameters it takes (JSON
Schema), its columns (key, zh/en title, type) and ``rows(session, query)`` yielding one dict
per row, keyed by column key. The web layer serves every report as JSON, Excel and CSV from
that description alone; the editor draws its page from it. Plugins return their reports from
the ``register_reports`` hook; the core's own are built-in hooks on the same hook.
"""
from .types import COLUMN_TYPES, Column, Report, ReportQuery, money, count, date_column, text, permille  # noqa: F401
from .catalogue import available_reports, find_report  # noqa: F401
from .parameters import parse_query  # noqa: F401
from .running import Page, page_of  # noqa: F401
