"""The core's own reports, gathered for the built-in ``register_reports`` hook."""
from __future__ import annotations

from .types import Report


def core_reports() -> list[Report]:
    from . import (member_growth, member_rfm, sales_daily, shift_close, staff_performance,
                   tier_advice, tier_distribution)

    return [sales_daily.REPORT, shift_close.REPORT, staff_performance.REPORT,
            member_rfm.REPORT, member_growth.REPORT, tier_distribution.REPORT, tier_advice.REPORT]
