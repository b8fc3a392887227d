"""Rollups (issue 12, item 4): the money reports read day totals, not millions of entries.

- ``sources``: what one range of ledger transactions adds to the day totals (checkouts and
  returns by payment method; entries on the merchant's own accounts). The fold and the
  reports' tail run the very same code.
- ``watermark``: up to which transaction id the tables are folded, and how far a fold may go
  (on PostgreSQL ids commit out of order; see there).
- ``folding``: adds ranges into ``rollup_sales_days`` / ``rollup_ledger_days`` and moves the
  watermark in the same transaction: exactly once, restartable, safe with two folders.
- ``read``: a report's figures for a period = the folded rows + the not-yet-folded tail.
"""
from .folding import fold, rebuild, status  # noqa: F401
from .read import ledger_figures, sales_figures  # noqa: F401
