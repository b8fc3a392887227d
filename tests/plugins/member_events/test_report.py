"""The attendance report (event_attendance) and the demo's events, on both databases."""
from __future__ import annotations

from core.demo import load_demo


def test_attendance_counts_sign_ups_check_ins_and_no_shows(shop, clock):
    salon = shop.event(capacity=3, waitlist=True)
    launch = shop.event(title="发布会", starts_at="2026-03-20T19:00", ends_at="2026-03-20T21:00")
    later = shop.event(title="四月沙龙", starts_at="2026-04-02T14:00", ends_at="2026-04-02T16:00")
    cards = [shop.card(name=f"会员{i}") for i in range(5)]
    seats = [shop.signed(salon, card) for card in cards[:4]]  # 3 registered, 1 waitlisted
    shop.signed(launch, cards[0])
    shop.signed(later, cards[1])
    shop.post(f"/events/{salon['id']}/registrations/{seats[2]['id']}/cancel", {})  # the 4th moves up
    clock.at("2026-03-14 14:05")
    for card in cards[:2]:
        assert shop.post("/event-check-ins", {"who": card}, role="cashier").status_code == 201
    period = "from=2026-03-01&to=2026-03-31"
    before_end = shop.get(f"/reports/event_attendance?{period}").json
    assert before_end["rows"][0]["no_shows"] == 0  # not over yet
    clock.at("2026-03-21 09:00")
    page = shop.get(f"/reports/event_attendance?{period}").json
    rows = {row["event_id"]: row for row in page["rows"]}
    assert set(rows) == {salon["id"], launch["id"]}
    assert {k: rows[salon["id"]][k] for k in ("signed_up", "waitlisted", "cancelled", "checked_in", "no_shows",
                                               "attendance_permille", "capacity", "starts_at")} == {
        "signed_up": 3, "waitlisted": 0, "cancelled": 1, "checked_in": 2, "no_shows": 1,
        "attendance_permille": 666, "capacity": 3, "starts_at": "2026-03-14 14:00"}
    assert (rows[launch["id"]]["signed_up"], rows[launch["id"]]["no_shows"]) == (1, 1)
    assert page["totals"]["checked_in"] == 2
    store = shop.get(f"/reports/event_attendance?{period}&store={shop.merchant.store_ids[0]}").json
    assert store["rows"] == []  # these events belong to no one store
    assert shop.get(f"/reports/event_attendance?{period}", role="cashier").status_code == 403
    excel = shop.client.get(f"/api/v1/reports/event_attendance?{period}&format=xlsx", headers=shop.headers())
    assert excel.status_code == 200 and excel.data[:2] == b"PK"


def test_the_demo_merchant_has_an_upcoming_salon(hk):
    with hk.db.write() as session:
        result = load_demo(session, hk.plugins, member_count=8)
    from sqlalchemy import select

    from plugins.member_events.models import EventRegistration, MemberEvent

    with hk.db.read() as session:
        events = session.scalars(select(MemberEvent).where(MemberEvent.merchant_id == result.merchant_id)
                                 .order_by(MemberEvent.starts_at)).all()
        assert [e.title for e in events] == ["护肤沙龙", "新品发布会"]
        salon = events[0]
        assert salon.status == "open" and salon.taken == 4
        assert len(session.scalars(select(EventRegistration).where(EventRegistration.event_id == salon.id)).all()) == 4
