"""Tenant isolation of campaigns (issue 14 item 5): merchant A's campaign, the check that it
did not change, and the checks of the routes without ids; used by
tests/api/test_tenant_isolation.py."""
from __future__ import annotations

UPDATE_BODY = {"name": "改名"}


def make_campaign(client, a) -> dict:
    made = client.post("/api/v1/campaigns", json={
        "name": "甲的活动", "segment": {"tiers": ["gold"]}, "message": {"text": "{name}，周末见"}},
        headers=a.headers())
    assert made.status_code == 201, made.json
    return made.json


def assert_a_untouched(client, t):
    campaign = client.get(f"/api/v1/campaigns/{t['a_campaign']['id']}", headers=t["a"].headers()).json
    assert (campaign["name"], campaign["status"], campaign["started_at"]) == ("甲的活动", "draft", None)


def check_campaign_reads(client, t):
    """B lists and counts only B's: A's campaign and A's member are nowhere."""
    b = t["b"].headers()
    assert client.get("/api/v1/campaigns", headers=b).json["campaigns"] == []
    preview = client.post("/api/v1/campaigns/preview", json={"segment": {}}, headers=b).json
    assert "乙会员" in [m["name"] for m in preview["sample"]], preview
    assert t["a_member"]["id"] not in [m["member_id"] for m in preview["sample"]]
    assert "甲会员" not in [m["name"] for m in preview["sample"]]
    a_store = t["a"].store_ids[0]
    refused = client.post("/api/v1/campaigns/preview", json={"segment": {"stores": [a_store]}}, headers=b)
    assert refused.status_code == 422 and refused.json["error"]["details"][0]["pointer"] == "/segment/stores/0"


def check_create_campaign(client, t):
    """B's campaign is B's; A's store means nothing to B."""
    b = t["b"].headers()
    refused = client.post("/api/v1/campaigns", json={"name": "乙", "segment": {"stores": [t["a"].store_ids[0]]},
                                                     "message": {"text": "x"}}, headers=b)
    assert refused.status_code == 422, refused.json
    made = client.post("/api/v1/campaigns", json={"name": "甲的活动", "segment": {},
                                                  "message": {"text": "x"}}, headers=b)
    assert made.status_code == 201, made.json  # the same name as A's: names are per merchant
    assert [c["id"] for c in client.get("/api/v1/campaigns", headers=b).json["campaigns"]] == [made.json["id"]]
