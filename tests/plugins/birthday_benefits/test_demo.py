"""``huika demo`` enables birthday benefits with a rule: the first member's solar birthday and
the second member's lunar birthday fall today, so the till's strip shows the benefit at once."""
from __future__ import annotations

from sqlalchemy import select

from core.demo import DEMO_DOCUMENT, load_demo
from core.models import Member
from plugins.birthday_benefits.demo import DEMO_SETTINGS


def test_the_demo_members_have_a_birthday_benefit_today(client, hk):
    with hk.db.write() as session:
        result = load_demo(session, hk.plugins, member_count=6)
    entry = next(p for p in DEMO_DOCUMENT["plugins"] if p["id"] == "birthday_benefits")
    assert entry["settings"] == DEMO_SETTINGS
    headers = {"Authorization": f"Bearer {result.tokens['cashier']}"}
    with hk.db.read() as session:
        ids = list(session.scalars(select(Member.id).where(Member.merchant_id == result.merchant_id)
                                   .order_by(Member.id).limit(2)))
    facts = []
    for member_id in ids:
        answer = client.get(f"/api/v1/members/{member_id}", headers=headers)
        assert answer.status_code == 200, answer.json
        facts.append(answer.json["summary"]["birthday_benefits"]["text"])
    assert "本月享 9 折、赠 生日长寿面" in facts[0] and "（农历）" in facts[1]
