"""P7 expiry and the R2 notice: plain functions of ``now`` run on a frozen clock, plus the
POST /points/expire endpoint. Dates are Beijing dates (odoo#222428)."""
from __future__ import annotations

from sqlalchemy import select

from core.models import LedgerTransaction
from plugins.points import expire_points, expiring_soon

from .conftest import beijing, make_shop


def run_expiry(shop, text):
    with shop.hk.db.write() as session:
        return expire_points(session, shop.id, beijing(text))


def test_p7_lots_expire_at_the_start_of_the_next_local_day(shop, clock):
    card = shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, 500)  # 50 points until 2027-12-31
    clock.at("2027-02-01 10:00")
    shop.buy(card, 300)  # 30 points until 2028-12-31
    # 23:59:59 on 31 December in Beijing: still valid (UTC is 15:59:59).
    assert run_expiry(shop, "2027-12-31 23:59:59") == {"as_of": "2027-12-31", "cards": 0,
                                                       "points": 0, "items": []}
    assert shop.points(card) == 80
    summary = run_expiry(shop, "2028-01-01 00:00")  # 16:00 UTC on 31 December
    assert summary["as_of"] == "2028-01-01" and summary["points"] == 50 and summary["cards"] == 1
    assert summary["items"][0]["card_number"] == card
    assert shop.points(card) == 30 and shop.lots(card) == [(30, "2028-12-31")]
    assert shop.merchant_points("expired") == 50
    with shop.hk.db.read() as session:
        transaction = session.get(LedgerTransaction, summary["items"][0]["transaction_id"])
        assert transaction.type == "points_expiry"
        assert transaction.memo["lots"] == [{"lot_id": transaction.memo["lots"][0]["lot_id"],
                                             "expires_on": "2027-12-31", "points": 50}]
    shop.verify()


def test_p7_running_twice_expires_nothing_more(shop, clock):
    card = shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, 500)
    assert run_expiry(shop, "2028-01-02 09:00")["points"] == 50
    assert run_expiry(shop, "2028-01-02 09:00")["points"] == 0
    assert run_expiry(shop, "2028-06-01 09:00")["points"] == 0
    assert shop.merchant_points("expired") == 50 and shop.points(card) == 0
    with shop.hk.db.read() as session:
        types = session.scalars(select(LedgerTransaction.type).where(
            LedgerTransaction.merchant_id == shop.id, LedgerTransaction.type == "points_expiry")).all()
    assert types == ["points_expiry"]
    shop.verify()


def test_p7_only_what_is_left_of_an_expired_lot_goes_and_valid_lots_stay(shop, clock):
    card, other = shop.card(), shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, 500)  # 50 until 2027-12-31
    shop.buy(other, 200)  # 20 until 2027-12-31
    clock.at("2027-06-01 10:00")
    shop.buy(card, 1000)  # 100 until 2028-12-31
    assert shop.adjust(card, -35, "兑换礼品").status_code == 201  # takes 35 of the older lot
    clock.at("2027-12-01 10:00")
    assert shop.adjust(card, 7, "补录积分").status_code == 201  # 7 until 2028-12-31
    summary = run_expiry(shop, "2028-01-01 08:00")
    assert {item["card_number"]: item["points"] for item in summary["items"]} == {card: 15, other: 20}
    assert shop.lots(card) == [(100, "2028-12-31"), (7, "2028-12-31")]
    assert shop.points(card) == 107 and shop.points(other) == 0
    shop.verify()


def test_p7_never_expiring_points_stay(client, hk, clock):
    shop = make_shop(client, hk, expiry_mode="never")
    card = shop.card()
    shop.buy(card, 500)
    assert run_expiry(shop, "2099-12-31 12:00")["points"] == 0
    assert shop.lots(card) == [(50, None)]


def test_p7_expiry_is_per_merchant(client, hk, shop, clock):
    other = make_shop(client, hk, "隔壁店")
    ours, theirs = shop.card(), other.card()
    clock.at("2026-03-01 10:00")
    shop.buy(ours, 500)
    other.buy(theirs, 500)
    assert run_expiry(shop, "2028-01-01 10:00")["points"] == 50
    assert other.points(theirs) == 50 and shop.points(ours) == 0
    other.verify()


def test_p7_the_expire_endpoint_runs_now_for_the_callers_merchant(client, hk, shop, clock):
    card = shop.card()
    other = make_shop(client, hk, "隔壁店")
    their_card = other.card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, 500)
    other.buy(their_card, 500)
    clock.at("2028-01-01 00:00")
    assert client.post("/api/v1/points/expire", headers=shop.headers("cashier", idempotent=True)).status_code == 403
    assert client.post("/api/v1/points/expire", headers=shop.headers("manager")).status_code == 428
    response = client.post("/api/v1/points/expire", headers=shop.headers("manager", idempotent=True))
    assert response.status_code == 200, response.json
    assert response.json["as_of"] == "2028-01-01" and response.json["points"] == 50
    again = client.post("/api/v1/points/expire", headers=shop.headers(idempotent=True))
    assert again.status_code == 200 and again.json["points"] == 0
    assert shop.points(card) == 0 and other.points(their_card) == 50
    shop.verify()
    other.verify()


def test_r2_expiring_soon_lists_cards_within_the_notice_days(shop, clock):
    early, late = shop.card(), shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(early, 500)  # 50 until 2027-12-31
    clock.at("2027-01-05 10:00")
    shop.buy(late, 300)  # 30 until 2028-12-31
    shop.buy(early, 100)  # 10 until 2028-12-31
    with shop.hk.db.read() as session:
        soon = expiring_soon(session, shop.id, beijing("2027-12-01 09:00"), 30)
        assert expiring_soon(session, shop.id, beijing("2027-11-30 09:00"), 30) == []
        later = expiring_soon(session, shop.id, beijing("2028-12-31 23:00"), 0)
    assert [(e["card_number"], e["points"], e["first_expires_on"]) for e in soon] == [
        (early, 50, "2027-12-31")]
    assert soon[0]["member_id"] is not None and soon[0]["lots"] == [{"expires_on": "2027-12-31", "points": 50}]
    assert sorted((e["card_number"], e["points"]) for e in later) == sorted([(early, 10), (late, 30)])


def test_r2_expiring_endpoint_uses_the_notice_setting(shop, clock):
    card = shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, 500)
    clock.at("2027-12-01 10:00")  # 30 days (the default notice) before 2027-12-31
    listed = shop.client.get("/api/v1/points/expiring", headers=shop.headers("manager"))
    assert listed.status_code == 200
    assert listed.json["days"] == 30 and [e["points"] for e in listed.json["items"]] == [50]
    shorter = shop.client.get("/api/v1/points/expiring?days=10", headers=shop.headers())
    assert shorter.json["items"] == []
    assert shop.client.get("/api/v1/points/expiring?days=-1", headers=shop.headers()).status_code == 422
    assert shop.client.get("/api/v1/points/expiring", headers=shop.headers("cashier")).status_code == 403


def points_jobs(hk) -> dict:
    return {job.id: job for job in hk.plugins.jobs() if job.plugin == "points"}


def test_p7_the_jobs_are_the_manifests_jobs(hk):
    manifest = hk.plugins.get("points").manifest
    assert set(points_jobs(hk)) == {f"points.{job['id']}" for job in manifest["jobs"]}


def test_p7_the_expiry_job_runs_once_per_local_day_for_merchants_with_points(client, hk, shop, clock):
    from core.jobs import run_job
    from tests.support.factories import basic_document, make_merchant

    make_merchant(hk, "没开积分", basic_document())
    card = shop.card()
    clock.at("2026-03-01 10:00")
    shop.buy(card, 500)
    job = points_jobs(hk)["points.expire_points"]
    assert (job.hour, job.minute) == (0, 10)
    first = run_job(hk.db, hk.plugins, job, beijing("2028-01-01 00:10"))
    assert first["status"] == "done" and first["period"] == "2028-01-01"
    assert first["merchants"] == {str(shop.id): {"as_of": "2028-01-01", "cards": 1, "points": 50}}
    again = run_job(hk.db, hk.plugins, job, beijing("2028-01-01 12:00"))
    assert again["skipped"] == "already ran"
    forced = run_job(hk.db, hk.plugins, job, beijing("2028-01-01 12:00"), force=True)
    assert forced["merchants"][str(shop.id)]["points"] == 0  # nothing more to expire
    assert shop.points(card) == 0
    shop.verify()


def test_p7_the_expiry_transaction_is_dated_when_the_job_ran(hk):
    """Reports must see expired points in the period the job ran, not back at the lot's date."""
    from datetime import date, datetime, timezone

    from sqlalchemy import select

    from core import cards, config_versions, ledger, tenancy
    from core.ledger import Posting
    from core.models import LedgerTransaction
    from plugins.points.expiry import expire_points

    ran_at = datetime(2027, 3, 1, 2, 0, tzinfo=timezone.utc)
    with hk.db.write() as session:
        merchant = tenancy.create_merchant(session, "过期日期店")
        config = config_versions.published_config(session, merchant.id, hk.plugins)
        card = cards.issue_card(session, config, merchant.id, {"number": "EXP00001"})
        account = ledger.card_account(session, merchant.id, card.id, "points")
        issued = ledger.merchant_account(session, merchant.id, "issued", "points")
        ledger.post(session, merchant.id, "earn", [Posting(account, 30, expires_on=date(2026, 12, 31)),
                                                   Posting(issued, -30)],
                    now=datetime(2026, 6, 1, tzinfo=timezone.utc))
        summary = expire_points(session, merchant.id, ran_at)
        assert summary["points"] == 30
        expiry = session.get(LedgerTransaction, summary["items"][0]["transaction_id"])
        assert expiry.created_at == ran_at
        assert ledger.card_balances(session, card.id) == {"points": 0}
        assert ledger.verify(session, merchant.id) == []
