"""One report request for one caller: find the report, check the query, run it read-only."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

from sqlalchemy import select

from core import clock
from core.config_versions import published_config
from core.errors import Forbidden, NotFound
from core.models import Merchant, Store
from core.reports import Report, ReportQuery, available_reports, find_report, parse_query

from ..extension import huika

MANAGERS = frozenset({"owner", "manager"})
FORMATS = ("json", "xlsx", "csv")


@dataclass(frozen=True)
class Viewer:
    """Who asks: reports are for owners and managers; a store's manager sees that store (A1)."""

    merchant_id: int
    role: str
    store_id: int | None

    @property
    def own_store_id(self) -> int | None:
        return self.store_id if self.role != "owner" else None


def require_manager(viewer: Viewer) -> None:
    if viewer.role not in MANAGERS:
        raise Forbidden("reports are for owners and managers")


def catalogue_for(session, viewer: Viewer) -> list[Report]:
    require_manager(viewer)
    config = published_config(session, viewer.merchant_id, huika().plugins)
    return [report for report in available_reports(huika().plugins, config) if may_see(viewer, report)]


def may_see(viewer: Viewer, report: Report) -> bool:
    """A report that cannot be limited to one store shows every store's figures: not for a
    store's manager (A1), who would see the other stores' sales, income and liabilities."""
    return report.by_store or viewer.own_store_id is None


@dataclass
class Prepared:
    report: Report
    query: ReportQuery
    merchant_name: str
    store_names: dict[int, str]

    def rows(self, session) -> Iterator[dict]:
        return iter(self.report.rows(session, self.query))


def prepare(session, viewer: Viewer, report_id: str, args) -> Prepared:
    """The report and its checked query, or NotFound / Forbidden / Invalid (nothing run)."""
    require_manager(viewer)
    registry = huika().plugins
    config = published_config(session, viewer.merchant_id, registry)
    report = find_report(registry, config, report_id)
    if report is None:
        raise NotFound(f"no report {report_id!r} (GET /api/v1/reports lists them)", code="report_not_found")
    if not may_see(viewer, report):
        raise Forbidden("this report covers every store; a store's manager sees only their own store's figures")
    stores = dict(session.execute(select(Store.id, Store.name)
                                  .where(Store.merchant_id == viewer.merchant_id)).all())
    query = parse_query(report, args, merchant_id=viewer.merchant_id, config=config, now=clock.now_utc(),
                        store_ids=set(stores), own_store_id=viewer.own_store_id)
    merchant_name = session.scalar(select(Merchant.name).where(Merchant.id == viewer.merchant_id)) or ""
    return Prepared(report=report, query=query, merchant_name=merchant_name, store_names=stores)
