"""Tenant isolation of the message log and opt-outs (issue 14, item 4): merchant B never
reads A's messages, even filtering by A's member id; used by tests/api/test_tenant_isolation.py."""
from __future__ import annotations

from core.messages import enqueue

OPT_OUT_BODY = {"channel": "sms", "opted_out": True}


def check_message_log(client, t):
    hk = client.application.extensions["huika"]
    a, b, a_member = t["a"], t["b"], t["a_member"]["id"]
    with hk.db.write() as session:
        enqueue(session, a.id, member_id=a_member, kind="birthday", channel="sms",
                variables={}, occasion="isolation:birthday")
    mine = client.get("/api/v1/messages", headers=a.headers()).json["messages"]
    assert [(m["member_id"], m["kind"]) for m in mine] == [(a_member, "birthday")]
    for query in ("", f"?member={a_member}", "?kind=birthday", "?channel=sms", "?status=queued"):
        answer = client.get(f"/api/v1/messages{query}", headers=b.headers())
        assert answer.status_code == 200 and answer.json["messages"] == [], query
        assert answer.json["total"] == 0, query
    # (The route check with ids sends OPT_OUT_BODY as B for A's member: a 404, nothing stored.)
    assert client.get(f"/api/v1/members/{a_member}/message-opt-outs",
                      headers=a.headers()).json["opted_out"] == []
