"""A store's manager sees their own store's figures only (A1, docs/reports.md): a report that
cannot be limited to one store (by_store False, e.g. tier_distribution's member spend over
every store) is neither listed for them nor run (403); the owner still sees it (review of
issue 12)."""
from __future__ import annotations

from tests.support.money_world import build

DAYS = "from=2026-03-01&to=2026-03-02"


def test_a_store_manager_gets_no_report_that_covers_every_store(client, hk, monkeypatch):
    world = build(client, hk, monkeypatch)
    owner = client.get("/api/v1/reports", headers=world.headers("owner")).json["reports"]
    manager = client.get("/api/v1/reports", headers=world.headers("manager")).json["reports"]
    everywhere = {"tier_distribution", "tier_advice", "member_growth"}
    assert everywhere <= {report["id"] for report in owner}
    assert not everywhere & {report["id"] for report in manager}
    assert "sales_daily" in {report["id"] for report in manager}
    for report_id in sorted(everywhere):
        for file_format in ("json", "xlsx", "csv"):
            answer = client.get(f"/api/v1/reports/{report_id}?{DAYS}&format={file_format}",
                                headers=world.headers("manager"))
            assert answer.status_code == 403, (report_id, file_format)
    # The owner sees member spend over both stores: the store-2 sale of 123.45 included.
    spend = client.get(f"/api/v1/reports/tier_distribution?{DAYS}", headers=world.headers("owner"))
    assert spend.status_code == 200 and spend.json["totals"]["spend_fen"] > 12345


def test_the_editor_shows_a_store_manager_no_report_that_covers_every_store(app, client, hk, monkeypatch):
    from tests.web.test_editor import login

    world = build(client, hk, monkeypatch)
    page = app.test_client()
    login(page, "manager", merchant=world.shop.name)
    assert "/editor/reports/tier_distribution" not in page.get("/editor/reports").get_data(as_text=True)
    assert "/editor/reports/sales_daily" in page.get("/editor/reports").get_data(as_text=True)
    for suffix in ("", ".xlsx", ".csv"):
        assert page.get(f"/editor/reports/tier_distribution{suffix}?{DAYS}").status_code == 404, suffix
