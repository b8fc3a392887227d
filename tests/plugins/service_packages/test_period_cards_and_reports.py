"""Period cards (期限卡): visits recorded, a daily cap, revenue straight-line by day to the fen;
the reports reconcile with the ledger; the cashier screen; the PIN setting; the salon starter."""
from __future__ import annotations

import re

from core.starters import load_starters
from tests.web.test_cashier import sign_in

from .conftest import QUARTER, make_salon


def test_a_period_card_records_visits_capped_per_day_and_earns_by_day(salon, clock):
    card = salon.card(tier="silver")  # 95000 fen over 90 days
    sale = salon.bought(card, "季卡", starts_on="2026-03-03")
    assert (sale["packages"][0]["valid_from"], sale["packages"][0]["valid_to"]) == ("2026-03-03", "2026-05-31")
    assert salon.use(card).json["error"]["code"] == "package_not_started"
    clock.at("2026-03-03 11:00")
    visit = salon.use(card)
    assert visit.status_code == 201 and (visit.json["kind"], visit.json["revenue_fen"]) == ("period", 0)
    capped = salon.use(card)
    assert capped.status_code == 409 and capped.json["error"]["code"] == "daily_limit_reached"
    clock.at("2026-03-04 00:30")
    assert salon.expire(clock.now)["period_income_fen"] == 95000 * 1 // 90  # 1 day run: 1055
    assert salon.use(card).status_code == 201  # a new day
    clock.at("2026-04-10 00:30")  # missed nights are caught up
    assert salon.account("package_income") == -1055
    salon.expire(clock.now)
    assert -salon.account("package_income") == 95000 * 38 // 90
    clock.at("2026-06-01 00:30")
    summary = salon.expire(clock.now)
    assert summary["breakage_fen"] == 0 and summary["packages"] == 1
    assert salon.account("package_income") == -95000 and salon.account("package_deferred") == 0
    salon.verify()


def test_reports_give_sessions_sold_used_left_and_deferred_money_that_matches_the_ledger(salon, clock):
    card = salon.card(tier="gold")
    salon.bought(card, "facial_10")  # 88000
    salon.bought(card, "wash_20")  # 44000
    salon.bought(card, "quarter")  # 88000 over 90 days
    salon.use(card, service="facial_10", sessions=3)  # period card first? no: chosen by plan key
    salon.use(card, service="洗车", sessions=5)
    body = salon.report("package_deferred")
    assert body["totals"]["deferred_fen"] == -salon.account("package_deferred")
    by_service = {row["service"]: row for row in salon.report("package_services", "from=2026-03-01&to=2026-03-31")["rows"]}
    wash = by_service["洗车"]
    assert (wash["sessions_sold"], wash["sessions_used"], wash["sessions_left"]) == (20, 5, 15)
    assert (wash["sold_fen"], wash["income_fen"], wash["deferred_fen"]) == (44000, 11000, 33000)
    facial = by_service["面部护理"]
    assert facial["packages_sold"] == 2 and facial["sold_fen"] == 176000
    total_deferred = sum(row["deferred_fen"] for row in by_service.values())
    assert total_deferred == -salon.account("package_deferred")
    income = sum(row["income_fen"] for row in by_service.values())
    assert income == -salon.account("package_income")
    uses = salon.report("package_uses", "from=2026-03-01&to=2026-03-31")["rows"]
    assert sum(row["sessions"] for row in uses) == 8
    old = salon.get("/service-packages/deferred")
    assert old["deferred_fen"] == old["ledger_deferred_fen"] == body["totals"]["deferred_fen"]
    salon.verify()


def test_the_shop_may_ask_for_the_pin_to_use_a_package(client, hk, clock):
    salon = make_salon(client, hk, pin_required_for_use=True)
    card = salon.card(pin="204816")
    salon.bought(card, "facial_10")
    assert salon.use(card).status_code == 422
    assert salon.use(card, pin="111111").status_code == 403
    assert salon.use(card, pin="204816").status_code == 201
    assert salon.balances(card)["service_sessions"] == 9
    salon.verify()


def test_the_cashier_screen_uses_a_session_once_per_submission(client, hk, clock):
    salon = make_salon(client, hk)
    member_id, card = salon.member_card()
    salon.bought(card, "facial_10")
    csrf = sign_in(client, salon.merchant, "cashier")
    url = f"/cashier/members/{member_id}/screens/use_service_package?card={card}"
    member_page = client.get(f"/cashier/members/{member_id}").get_data(as_text=True)
    for screen_id in ("use_service_package", "sell_service_package"):
        assert f"screens/{screen_id}?card={card}" in member_page
    page = client.get(url)
    assert page.status_code == 200
    form_key = re.search(r'name="idempotency_key"[^>]*value="([^"]+)"', page.get_data(as_text=True)).group(1)
    data = {"csrf_token": csrf, "idempotency_key": form_key, "sessions": "1"}
    first = client.post(url, data=data)
    second = client.post(url, data=data)  # a double tap: the same form key
    assert first.status_code == 201 and second.status_code == 201, second.get_data(as_text=True)
    assert salon.balances(card)["service_sessions"] == 9
    refused = client.post(url, data={"csrf_token": csrf, "sessions": "11", "idempotency_key": re.search(
        r'name="idempotency_key"[^>]*value="([^"]+)"', client.get(url).get_data(as_text=True)).group(1)})
    assert refused.status_code == 409
    assert salon.balances(card)["service_sessions"] == 9
    salon.verify()


def test_the_beauty_salon_starter_offers_ten_facials_and_a_quarter_pass(hk):
    starter = {s.id: s for s in load_starters(hk.plugins)}["beauty_salon"]
    entry = next(p for p in starter.document["plugins"] if p["id"] == "service_packages")
    plans = {plan["name"]: plan for plan in entry["settings"]["plans"]}
    assert plans["10次面部护理"]["sessions"] == 10 and plans["季卡"]["kind"] == "period"
    assert QUARTER["kind"] == plans["季卡"]["kind"]


def test_the_demo_members_hold_facial_cards_that_the_member_strip_lists(hk):
    from sqlalchemy import select

    from core import ledger
    from core.config_versions import published_config
    from core.demo import load_demo
    from core.models import Member

    with hk.db.write() as session:
        result = load_demo(session, hk.plugins, member_count=8)
    with hk.db.read() as session:
        config = published_config(session, result.merchant_id, hk.plugins)
        member = session.scalars(select(Member).where(Member.merchant_id == result.merchant_id)
                                 .order_by(Member.id)).first()
        summary = {}
        for part in config.hook("member_summary")(session=session, member=member, config=config):
            summary.update(part or {})
        assert {p["name"] for p in summary["service_packages"]} == {"10次面部护理", "季卡"}
        assert ledger.verify(session, result.merchant_id) == []


def test_a_cancelled_period_visit_frees_the_day(salon, clock):
    card = salon.card()
    salon.bought(card, "季卡")
    visit = salon.use(card).json
    assert salon.use(card).json["error"]["code"] == "daily_limit_reached"
    undone = salon.post(f"/service-package-uses/{visit['use_id']}/cancel", {"reason": "重复登记"}, role="manager")
    assert undone.status_code == 200 and undone.json["status"] == "cancelled"
    assert salon.use(card).status_code == 201
    assert salon.account("package_income") == 0  # a visit never earned anything itself
    salon.verify()
