"""``huika demo`` ships coupons on its first cards, so the till has coupons to tap at once."""
from __future__ import annotations

from core.demo import load_demo
from plugins.coupons.demo import CAMPAIGNS, EXPIRING_SOON, HOLDERS


def test_the_demo_cards_hold_usable_coupons(client, hk):
    with hk.db.write() as session:
        result = load_demo(session, hk.plugins, member_count=6)
    headers = {"Authorization": f"Bearer {result.tokens['cashier']}"}
    card = result.cards[0][0]  # the first card: a demo holder of every campaign
    answer = client.get(f"/api/v1/cards/{card}/coupons", headers=headers)
    assert answer.status_code == 200, answer.json
    coupons = answer.json["coupons"]
    assert sorted(c["name"] for c in coupons) == sorted(c["name"] for c in (*CAMPAIGNS, EXPIRING_SOON))
    assert all(c["code"] and c["valid_until"] for c in coupons) and HOLDERS >= 1
