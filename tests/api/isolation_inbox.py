"""Tenant isolation of the staff inbox (issue 14 item 2): merchant A's task, the check that B
neither sees nor changes it; used by tests/api/test_tenant_isolation.py."""
from __future__ import annotations

from core.clock import local_date, now_utc


def make_inbox_objects(client, a) -> dict:
    """A member of A's whose birthday is today, and A's inbox opened (which fills it)."""
    today = local_date(now_utc())
    member = client.post("/api/v1/members", json={"name": "甲寿星", "phone": "13800000099",
                                                  "birthday": f"1990-{today:%m-%d}"}, headers=a.headers())
    assert member.status_code == 201, member.json
    listed = client.get("/api/v1/inbox", headers=a.headers()).json
    task = next(t for t in listed["tasks"] if t["member_name"] == "甲寿星")
    return {"a_task": task}


def assert_a_task_untouched(client, t):
    listed = client.get("/api/v1/inbox?status=all", headers=t["a"].headers()).json
    task = next(x for x in listed["tasks"] if x["id"] == t["a_task"]["id"])
    assert (task["status"], task["note"]) == ("open", "")


def check_inbox_reads(client, t):
    b = t["b"].headers()
    for query in ("", "?status=all", f"?store={t['a'].store_ids[0]}", "?status=done"):
        response = client.get(f"/api/v1/inbox{query}", headers=b)
        assert response.status_code in (200, 422), (query, response.json)
        assert "甲" not in str(response.json), query
    assert_a_task_untouched(client, t)
