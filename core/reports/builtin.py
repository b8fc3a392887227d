"""The core's own reports, gathered for the built-in ``register_reports`` hook."""
from __future__ import annotations

from .types import Report


def core_reports() -> list[Report]:
    from . import member_growth, member_rfm, tier_advice, tier_distribution

    return [tier_distribution.REPORT, member_rfm.REPORT, member_growth.REPORT, tier_advice.REPORT]
