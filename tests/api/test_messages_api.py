"""GET /api/v1/messages (the message log) and members' opt-outs (issue 14, item 4)."""
from __future__ import annotations

import pytest

from core.messages import enqueue
from core.messages.dispatch import dispatch_due
from tests.messages.conftest import DAYTIME, contact_document, set_channel
from tests.support.factories import make_merchant


@pytest.fixture
def logged(client, hk):
    shop = make_merchant(hk, "日志店", contact_document())
    member = client.post("/api/v1/members", json={"name": "周敏", "phone": "13800003001"},
                         headers=shop.headers()).json["id"]
    other = client.post("/api/v1/members", json={"name": "吴昊", "phone": "13800003002"},
                        headers=shop.headers()).json["id"]
    set_channel(hk, shop.id, "sms", "console")
    with hk.db.write() as session:
        enqueue(session, shop.id, member_id=member, kind="birthday", variables={}, now=DAYTIME)
        enqueue(session, shop.id, member_id=other, kind="low_balance",
                variables={"balance_fen": 990}, now=DAYTIME)
        enqueue(session, shop.id, member_id=other, kind="birthday", channel="email", variables={},
                now=DAYTIME)  # no address: suppressed
    dispatch_due(hk.db, hk.plugins, DAYTIME)
    return shop, member, other


def test_the_log_filters_by_member_kind_channel_status_and_date(client, logged):
    shop, member, other = logged
    every = client.get("/api/v1/messages", headers=shop.headers()).json
    assert every["total"] == 3 and [m["status"] for m in every["messages"]] == ["suppressed", "sent", "sent"]
    low = every["messages"][1]
    assert (low["member_name"], low["kind"], low["recipient"]) == ("吴昊", "low_balance", "138****3002")
    assert "¥9.90" in low["body"] and low["attempts"] == 1 and low["sent_at"]

    def ids(query):
        answer = client.get(f"/api/v1/messages?{query}", headers=shop.headers())
        assert answer.status_code == 200, answer.json
        return [m["kind"] + "/" + m["channel"] for m in answer.json["messages"]]

    assert ids(f"member={member}") == ["birthday/sms"]
    assert ids("kind=birthday") == ["birthday/email", "birthday/sms"]
    assert ids("channel=email&status=suppressed") == ["birthday/email"]
    assert ids("status=sent&kind=low_balance") == ["low_balance/sms"]
    assert ids("from=2026-12-07&to=2026-12-07") == ["birthday/email", "low_balance/sms", "birthday/sms"]
    assert ids("from=2026-12-08") == [] and ids("to=2026-12-06") == []
    assert ids("limit=1&offset=1") == ["low_balance/sms"]
    assert ids("campaign=7") == []


@pytest.mark.parametrize("query", ["member=abc", "kind=bad kind", "channel=fax", "status=lost",
                                   "from=2026-13-01", "to=yesterday", "from=2026-12-08&to=2026-12-01",
                                   "limit=0", "limit=201", "offset=-1", "limit=" + "9" * 40,
                                   "member=" + "1" * 30, "campaign=x"])
def test_a_bad_filter_is_a_json_422(client, logged, query):
    shop = logged[0]
    answer = client.get(f"/api/v1/messages?{query}", headers=shop.headers())
    assert answer.status_code == 422, (query, answer.data[:200])
    assert answer.json["error"]["code"] == "invalid" and answer.json["error"]["details"]


def test_cashiers_do_not_read_the_log(client, logged):
    answer = client.get("/api/v1/messages", headers=logged[0].headers("cashier"))
    assert answer.status_code == 403 and answer.json["error"]


def test_opt_out_per_channel_and_back_in(client, logged):
    shop, member, _ = logged
    url = f"/api/v1/members/{member}/message-opt-outs"
    assert client.get(url, headers=shop.headers("cashier")).json == {"member_id": member, "opted_out": []}
    answer = client.put(url, json={"channel": "sms", "opted_out": True}, headers=shop.headers("cashier"))
    assert answer.status_code == 200 and answer.json["opted_out"] == ["sms"]
    assert client.put(url, json={"channel": "all", "opted_out": True},
                      headers=shop.headers()).json["opted_out"] == ["sms", "email", "wechat", "console"]
    assert client.put(url, json={"channel": "all", "opted_out": False},
                      headers=shop.headers()).json["opted_out"] == []
    for body in ({"channel": "fax", "opted_out": True}, {"channel": "sms"}, {"channel": "sms", "opted_out": "yes"},
                 [], {"channel": "sms", "opted_out": True, "extra": 1}):
        refused = client.put(url, json=body, headers=shop.headers())
        assert refused.status_code == 422, (body, refused.json)
    assert client.put("/api/v1/members/999999/message-opt-outs", json={"channel": "sms", "opted_out": True},
                      headers=shop.headers()).status_code == 404
