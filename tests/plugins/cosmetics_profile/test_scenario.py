"""End to end on SQLite and PostgreSQL (K1-K4, L2): a merchant starts from the cosmetics_shop
template, publishes it, and runs a month of a cosmetics counter through the API; every bad
input gets a clear error and changes nothing."""
from __future__ import annotations

from sqlalchemy import func, select

from core import ledger
from plugins.cosmetics_profile.models import FollowUp, MemberClass, ProfileChange

from .conftest import beijing


def snapshot(shop, member_id, card) -> dict:
    with shop.hk.db.read() as session:
        counts = {model.__tablename__: session.scalar(select(func.count()).select_from(model)
                                                      .where(model.merchant_id == shop.id))
                  for model in (FollowUp, MemberClass, ProfileChange)}
        problems = ledger.verify(session, shop.id)
    return {**counts, "extra": shop.get(f"/members/{member_id}").json["extra"],
            "balances": shop.get(f"/cards/{card}/balances").json["balances"], "ledger": problems}


def test_cosmetics_shop_template_end_to_end(shop, clock):
    config = shop.client.get("/api/v1/config/published", headers=shop.headers())
    assert config.status_code == 200, config.json
    assert config.json["document"]["template"] == "cosmetics_shop"

    # K1: registered with a profile, corrected at the counter later.
    member_id = shop.member("周女士", birthday="1990-05-20",
                            extra={"skin_type": "dry", "skin_concerns": ["dryness"], "favourite_brands": "某品牌"})
    card = shop.card(member_id)
    clock.at("2026-01-05 14:00")
    updated = shop.put(f"/members/{member_id}/skin-profile", {
        "skin_type": "sensitive", "skin_concerns": ["dryness", "redness"], "has_allergies": True,
        "allergies": "香精", "products_in_use": "舒缓面霜", "change_note": "换季泛红"}, role="cashier")
    assert updated.status_code == 200, updated.json
    assert {h["field"] for h in updated.json["history"] if h["note"] == "换季泛红"} == {
        "skin_type", "skin_concerns", "allergies", "products_in_use"}

    # Purchases (creams every 30 days), one returned; points are earned on what is kept.
    dues = []
    for day in ("2025-12-06", "2026-01-05", "2026-02-04", "2026-03-06"):
        clock.at(f"{day} 15:00")
        dues.append(shop.buy(card, ("面霜", 800))["due_fen"])
    paid = sum(dues)
    clock.at("2026-03-06 16:00")
    extra = shop.buy(card, ("面膜", 300))
    shop.give_back(extra["checkout_id"])

    # K2: the nightly job classes her; K3: the reminder job plans the run-out follow-up.
    assert shop.run("classify_members", beijing("2026-03-07 02:00"))["b"] == 1
    assert shop.get(f"/members/{member_id}").json["summary"]["member_class"] == "b"
    assert shop.run("plan_follow_ups", beijing("2026-03-29 02:30"))["running_out"] == 1
    clock.at("2026-03-29 10:00")
    due = shop.get("/cosmetics/follow-ups/due", role="cashier").json["items"]
    assert [(i["member_id"], i["kind"], i["due_on"]) for i in due] == [(member_id, "running_out", "2026-03-29")]

    # Bad inputs: each one refused with a pointer, nothing changed anywhere.
    before = snapshot(shop, member_id, card)
    assert before["ledger"] == []
    refused = [
        shop.put(f"/members/{member_id}/skin-profile", {"skin_type": "dry", "has_allergies": True}),
        shop.put(f"/members/{member_id}/skin-profile", {"skin_type": "dry", "products_in_use": "x" * 1001}),
        shop.post(f"/members/{member_id}/follow-ups", {"mode": "plan", "channel": "phone",
                                                       "due_on": "2026-03-01", "reason": "太早"},
                  idempotent=True),
        shop.post(f"/cosmetics/follow-ups/{due[0]['id']}/complete", {"outcome": ""}),
        shop.post(f"/cosmetics/follow-ups/{due[0]['id']}/complete", {"outcome": "ok", "channel": "fax"}),
        shop.get("/cosmetics/segments", role="manager", member_class="vip"),
    ]
    for response in refused:
        assert response.status_code == 422, response.json
        assert response.json["error"]["details"][0]["pointer"]
    assert snapshot(shop, member_id, card) == before

    done = shop.post(f"/cosmetics/follow-ups/{due[0]['id']}/complete",
                     {"outcome": "预约下周到店补货", "channel": "phone"}, role="cashier")
    assert done.status_code == 200
    assert shop.get("/cosmetics/follow-ups/due").json["items"] == []
    assert shop.get("/cosmetics/reports/follow-up-log", role="manager").json["items"][0]["outcome"] == "预约下周到店补货"
    segment = shop.get("/cosmetics/segments", role="manager", habit="skincare", member_class="b").json
    assert [item["member_id"] for item in segment["items"]] == [member_id]
    assert segment["items"][0]["spend_fen"] == paid
    # P1 alongside: the returned checkout's points were taken back (P8).
    assert shop.get(f"/cards/{card}/balances").json["balances"]["points"] == sum(d // 1000 for d in dues)
    shop.verify()
