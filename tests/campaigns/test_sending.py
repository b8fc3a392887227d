"""Sending campaigns (issue 14 item 5): one message and one coupon per member per campaign,
through retries, resumed sends and two sends at once; opt-outs; schedule; cancel; results.
Both databases."""
from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import func, select

from core.campaigns import sending
from core.config_versions import published_config
from core.messages.dispatch import dispatch_due
from core.models import Campaign, CampaignRecipient, OutboxMessage
from plugins.coupons.models import Coupon
from tests.campaigns.conftest import opt_out, use_console
from tests.support.clock import beijing


def _template(shop) -> dict:
    made = shop.post("/coupon-templates", {"name": "回店礼20元", "kind": "cash", "value_fen": 2000,
                                           "valid_days": 30})
    assert made.status_code == 201, made.json
    return made.json


def _campaign(shop, **body) -> dict:
    body = {"name": "冬至回店礼", "segment": {"tiers": ["gold"]},
            "message": {"text": "{name}，送您{coupon}，{expires_on}前有效"}, **body}
    made = shop.post("/campaigns", body)
    assert made.status_code == 201, made.json
    return made.json


def _counts(shop, campaign_id: int) -> tuple[int, int, int]:
    """(recipients, outbox rows, coupons given) of the campaign."""
    with shop.hk.db.read() as session:
        recipients = session.scalar(select(func.count()).select_from(CampaignRecipient)
                                    .where(CampaignRecipient.campaign_id == campaign_id))
        rows = session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.campaign_id == campaign_id))
        coupons = session.scalar(select(func.count()).select_from(Coupon).where(
            Coupon.merchant_id == shop.id, Coupon.reason == "benefit"))
        return recipients, rows, coupons


def test_send_reaches_each_member_once_with_text_and_coupon(shop, clock):
    use_console(shop.hk, shop.id)
    golds = [shop.member(f"金{index}", tier="gold") for index in range(3)]
    shop.member("普卡会员")
    opt_out(shop.hk, shop.id, golds[2]["id"])
    template = _template(shop)
    campaign = _campaign(shop, benefit={"kind": "coupon", "template_id": template["id"]})
    assert campaign["status"] == "draft"
    sent = shop.post(f"/campaigns/{campaign['id']}/send")
    assert sent.status_code == 200, sent.json
    assert sent.json["status"] == "sent" and sent.json["audience"] == 3
    assert sent.json["summary"] == {"queued": 2, "opted_out": 1, "no_channel": 0, "benefits": 3}
    assert _counts(shop, campaign["id"]) == (3, 3, 3)
    with shop.hk.db.read() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.campaign_id == campaign["id"])
                               .order_by(OutboxMessage.member_id)).all()
        assert [row.status for row in rows] == ["queued", "queued", "suppressed"]
        assert rows[0].body.startswith("金0，送您回店礼20元，") and rows[0].recipient == golds[0]["phone"]
    # Sent is sent: a second send is refused and adds nothing; so is an edit.
    again = shop.post(f"/campaigns/{campaign['id']}/send")
    assert again.status_code == 409 and again.json["error"]["code"] == "campaign_not_sendable"
    assert shop.client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"name": "x"},
                             headers=shop.headers()).status_code == 409
    assert _counts(shop, campaign["id"]) == (3, 3, 3)
    # Results: the outbox delivers two (console), the opted-out one is counted as such.
    assert dispatch_due(shop.hk.db, shop.hk.plugins, clock.now)["sent"] == 2
    gold_card = golds[0]["card"]
    with shop.hk.db.read() as session:
        code = session.scalar(select(CampaignRecipient.benefit_ref).where(
            CampaignRecipient.campaign_id == campaign["id"], CampaignRecipient.member_id == golds[0]["id"]))
    clock.at("2026-12-08 15:00")
    paid = shop.client.post("/api/v1/checkout", json={
        "card_number": gold_card, "lines": [{"sku": "A", "unit_price_fen": 5000}], "coupons": [code],
        "payments": [{"method": "cash", "amount_fen": 3000}]}, headers={**shop.headers(), "Idempotency-Key": "c1"})
    assert paid.status_code == 201, paid.json
    results = shop.get(f"/campaigns/{campaign['id']}/results?days=7")
    assert results.status_code == 200, results.json
    assert results.json.items() >= {"audience": 3, "recipients": 3, "opted_out": 1, "no_channel": 0,
                                 "benefits_given": 3, "benefits_refused": 0, "redeemed": 1, "buyers": 1,
                                 "buyers_spend_fen": 3000}.items()
    assert results.json["messages"] == {"delivered": 2, "failed": 0, "waiting": 0, "suppressed": 1}
    clock.at("2026-12-20 10:00")
    later = shop.get(f"/campaigns/{campaign['id']}/results?days=1").json
    assert (later["redeemed"], later["buyers"]) == (0, 0)  # the sale was on day 3
    assert shop.get(f"/campaigns/{campaign['id']}/results?days=0").status_code == 422


def test_retries_and_two_sends_at_once_reach_each_member_once(shop, clock):
    use_console(shop.hk, shop.id)
    members = [shop.member(f"金{index}", tier="gold") for index in range(9)]
    template = _template(shop)
    campaign = _campaign(shop, benefit={"kind": "coupon", "template_id": template["id"]})
    db, registry, now = shop.hk.db, shop.hk.plugins, clock.now
    # A batch retried (the first attempt committed, the caller did not hear): nothing twice.
    with db.write() as session:
        sending.start(session, shop.id, campaign["id"], now)
        config = published_config(session, shop.id, registry)
        row = session.get(Campaign, campaign["id"])
        first = sending.send_batch(session, config, row, [members[0]["id"], members[1]["id"]], now)
    with db.write() as session:
        config = published_config(session, shop.id, registry)
        row = session.get(Campaign, campaign["id"])
        retried = sending.send_batch(session, config, row, [members[0]["id"], members[1]["id"]], now)
    assert (first["queued"], retried["queued"], retried["skipped"]) == (2, 0, 2)
    assert _counts(shop, campaign["id"]) == (2, 2, 2)
    # Two whole sends at once, in small batches, resume the sending campaign together.
    errors: list = []

    def run():
        try:
            sending.send(db, registry, shop.id, campaign["id"], now, batch_size=2)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert _counts(shop, campaign["id"]) == (9, 9, 9), _counts(shop, campaign["id"])
    with db.read() as session:
        per_member = session.execute(select(OutboxMessage.member_id, func.count()).where(
            OutboxMessage.campaign_id == campaign["id"]).group_by(OutboxMessage.member_id)).all()
        assert sorted(count for _, count in per_member) == [1] * 9
        assert session.get(Campaign, campaign["id"]).status == "sent"
    assert shop.get(f"/campaigns/{campaign['id']}").json["summary"]["queued"] == 9


def test_scheduled_campaigns_go_out_when_due_in_steps(shop, clock):
    use_console(shop.hk, shop.id)
    for index in range(5):
        shop.member(f"金{index}", tier="gold")
    campaign = _campaign(shop, send_at="2026-12-06T18:30")
    assert (campaign["status"], campaign["send_at"]) == ("scheduled", "2026-12-06T18:30")
    db, registry = shop.hk.db, shop.hk.plugins

    def step(at: str, budget: int) -> dict:
        with db.write() as session:
            config = published_config(session, shop.id, registry)
            return sending.send_due_step(session, config, shop.id, beijing(at), budget=budget)

    assert step("2026-12-06 18:29", 100) == {}
    assert step("2026-12-06 18:30", 3)[str(campaign["id"])]["queued"] == 3
    assert shop.get(f"/campaigns/{campaign['id']}").json["status"] == "sending"
    assert step("2026-12-06 18:31", 3)[str(campaign["id"])]["queued"] == 2
    done = shop.get(f"/campaigns/{campaign['id']}").json
    assert (done["status"], done["audience"], done["summary"]["queued"]) == ("sent", 5, 5)
    assert step("2026-12-06 18:32", 3) == {}


def test_edit_cancel_and_refusals(shop, clock):
    campaign = _campaign(shop)
    edited = shop.client.patch(f"/api/v1/campaigns/{campaign['id']}", json={
        "segment": {"dormant_days": 30}, "send_at": "2026-12-24T10:00"}, headers=shop.headers())
    assert edited.status_code == 200, edited.json
    assert (edited.json["status"], edited.json["segment"]) == ("scheduled", {"dormant_days": 30})
    unscheduled = shop.client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"send_at": None},
                                    headers=shop.headers()).json
    assert unscheduled["status"] == "draft"
    cancelled = shop.post(f"/campaigns/{campaign['id']}/cancel")
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    assert shop.post(f"/campaigns/{campaign['id']}/cancel").status_code == 409
    assert shop.post(f"/campaigns/{campaign['id']}/send").status_code == 409
    assert shop.get("/campaigns?status=cancelled").json["total"] == 1
    assert shop.get("/campaigns?status=gone").status_code == 422
    assert shop.get("/campaigns/999999").status_code == 404
    assert shop.get("/campaigns", role="cashier").status_code == 403
    for body, pointer in (
            ({"send_at": "2026-12-01T10:00"}, "/send_at"),  # passed
            ({"send_at": "2026-02-30T10:00"}, "/send_at"),
            ({"message": {"text": "{nmae}你好"}}, "/message/text"),
            ({"message": {}}, "/message"),
            ({"message": {"template_id": 424242}}, "/message/template_id"),
            ({"benefit": {"kind": "gold_bars"}}, "/benefit/kind"),
            ({"benefit": {"kind": "coupon"}}, "/benefit"),
            ({"name": "   "}, "/name"),
            ({"name": "x" * 61}, "/name"),
            ({"segment": {"tiers": ["platinum"]}}, "/segment/tiers/0")):
        response = shop.post("/campaigns", {"name": "坏的", "segment": {}, "message": {"text": "好"}} | body)
        assert response.status_code == 422, (body, response.json)
        pointers = [detail["pointer"] for detail in response.json["error"].get("details", [])]
        assert any(p.startswith(pointer) for p in pointers), (body, pointers)
    assert shop.get("/campaigns").json["total"] == 1  # nothing saved
    taken = shop.post("/campaigns", {"name": "冬至回店礼", "segment": {}, "message": {"text": "好"}})
    assert taken.status_code == 201  # the cancelled one's name is free again
    assert shop.post("/campaigns", {"name": "冬至回店礼", "segment": {}, "message": {"text": "好"}}).status_code == 409


def test_members_no_channel_reaches_and_benefit_refusals_are_recorded(shop, clock):
    """No channel set up: recipients are counted as no_channel; a member without a card gets
    no coupon, recorded, and the send goes on."""
    shop.member("金卡", tier="gold")
    shop.member("无卡", card=False, extra={"kids": 1})
    template = _template(shop)
    campaign = _campaign(shop, segment={}, benefit={"kind": "coupon", "template_id": template["id"]})
    sent = shop.post(f"/campaigns/{campaign['id']}/send").json
    assert sent["summary"].items() >= {"no_channel": 2, "benefits": 1}.items()
    results = shop.get(f"/campaigns/{campaign['id']}/results").json
    assert (results["no_channel"], results["benefits_given"], results["benefits_refused"]) == (2, 1, 1)
    assert results["window"]["to"] > results["window"]["from"]
    assert isinstance(timedelta(days=results["days"]), timedelta)


def test_the_demo_merchant_has_a_sent_a_scheduled_and_a_draft_campaign(hk):
    from core.demo import load_demo

    with hk.db.write() as session:
        result = load_demo(session, hk.plugins, member_count=12)
    with hk.db.read() as session:
        found = session.scalars(select(Campaign).where(Campaign.merchant_id == result.merchant_id)
                                .order_by(Campaign.id)).all()
        assert [c.status for c in found] == ["sent", "scheduled", "draft"]
        sent = found[0]
        recipients = session.scalar(select(func.count()).select_from(CampaignRecipient)
                                    .where(CampaignRecipient.campaign_id == sent.id))
        assert sent.audience == recipients and sum(sent.summary[k] for k in ("queued", "opted_out", "no_channel")) == recipients


def test_a_send_capped_per_request_stays_sending_and_the_job_finishes_it(shop, clock):
    use_console(shop.hk, shop.id)
    for index in range(5):
        shop.member(f"金{index}", tier="gold")
    campaign = _campaign(shop)
    db, registry = shop.hk.db, shop.hk.plugins
    summary = sending.send(db, registry, shop.id, campaign["id"], clock.now, batch_size=2, max_members=3)
    assert summary["queued"] == 3
    assert shop.get(f"/campaigns/{campaign['id']}").json["status"] == "sending"
    with db.write() as session:
        config = published_config(session, shop.id, registry)
        assert sending.send_due_step(session, config, shop.id, clock.now)[str(campaign["id"])]["queued"] == 2
    done = shop.get(f"/campaigns/{campaign['id']}").json
    assert (done["status"], done["audience"], done["summary"]["queued"]) == ("sent", 5, 5)
    assert _counts(shop, campaign["id"])[:2] == (5, 5)


def test_the_scheduler_sends_a_scheduled_campaign_once_its_time_has_come(shop, clock):
    """core.jobs.run_due (what `huika serve` ticks) runs the campaigns.send_due job."""
    from core.jobs import run_due

    use_console(shop.hk, shop.id)
    shop.member("金卡", tier="gold")
    campaign = _campaign(shop, send_at="2026-12-06T11:00")
    job = [job for job in shop.hk.plugins.jobs() if job.id == "campaigns.send_due"]
    assert len(job) == 1 and job[0].every is not None
    run_due(shop.hk.db, shop.hk.plugins, beijing("2026-12-06 10:59"), jobs=job)
    assert shop.get(f"/campaigns/{campaign['id']}").json["status"] == "scheduled"
    run_due(shop.hk.db, shop.hk.plugins, beijing("2026-12-06 11:00:30"), jobs=job)
    run_due(shop.hk.db, shop.hk.plugins, beijing("2026-12-06 11:01:30"), jobs=job)
    done = shop.get(f"/campaigns/{campaign['id']}").json
    assert (done["status"], done["summary"]["queued"]) == ("sent", 1)
    assert _counts(shop, campaign["id"])[:2] == (1, 1)


def test_a_segment_the_published_configuration_no_longer_fits_is_refused_not_a_5xx(shop, clock):
    from tests.campaigns.conftest import campaign_document

    shop.member("金卡", tier="gold")
    campaign = _campaign(shop, segment={"fields": [{"key": "kids", "op": "gte", "value": 1}]})
    document = campaign_document()
    document["fields"] = [f for f in document["fields"] if f["key"] != "kids"]
    assert shop.client.put("/api/v1/config/draft", json=document, headers=shop.headers()).status_code == 200
    published = shop.post("/config/publish")
    assert published.status_code in (200, 201), published.json
    refused = shop.post(f"/campaigns/{campaign['id']}/send")
    assert refused.status_code == 409 and refused.json["error"]["code"] == "campaign_segment_stale"
    assert shop.ids({"fields": [{"key": "kids", "op": "gte", "value": 1}]}) == set()  # matches nobody
    assert _counts(shop, campaign["id"])[0] == 0
    fixed = shop.client.patch(f"/api/v1/campaigns/{campaign['id']}", json={"segment": {"tiers": ["gold"]}},
                              headers=shop.headers())
    assert fixed.status_code == 200 and shop.post(f"/campaigns/{campaign['id']}/send").status_code == 200
