"""A member unsubscribes from a channel in the member portal (/m), and subscribes again."""
from __future__ import annotations

from core.messages.policy import opted_out_channels
from tests.messages.conftest import add_member
from tests.web.test_member_portal import sign_in


def test_a_member_unticks_sms_and_ticks_it_again(client, hk, shop):
    member = add_member(hk, shop.id, "13800005001", name="冯静")
    sign_in(client, hk, shop, "13800005001")
    page = client.get(f"/m/{shop.id}/me").get_data(as_text=True)
    assert "消息" in page and 'value="sms" checked' in page
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    saved = client.post(f"/m/{shop.id}/messages", data={"csrf_token": token, "receive": ["email", "wechat"]})
    assert saved.status_code == 302
    with hk.db.read() as session:
        assert opted_out_channels(session, shop.id, member) == {"sms"}
    client.post(f"/m/{shop.id}/messages", data={"csrf_token": token, "receive": ["sms", "email", "wechat"]})
    with hk.db.read() as session:
        assert opted_out_channels(session, shop.id, member) == set()
