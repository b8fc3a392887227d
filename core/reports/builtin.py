"""The core's own reports, gathered for the built-in ``register_reports`` hook."""
from __future__ import annotations

from .types import Report


def core_reports() -> list[Report]:
    from . import sales_daily, shift_close, staff_performance, tier_distribution

    return [tier_distribution.REPORT, sales_daily.REPORT, shift_close.REPORT, staff_performance.REPORT]
