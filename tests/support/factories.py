"""Building test merchants through the real services (no database mocks)."""
from __future__ import annotations

from dataclasses import dataclass, field

from functools import cache

from core import config_versions, tenancy
from core.models import Staff
from core.security import hash_secret

TEST_PASSWORD = "password-123"


@cache
def _password_hash() -> str:
    """One real scrypt hash of the test password, reused: scrypt is slow on purpose (C6)."""
    return hash_secret(TEST_PASSWORD)


@dataclass
class TestMerchant:
    id: int
    name: str
    tokens: dict[str, str] = field(default_factory=dict)  # role -> bearer token
    store_ids: list[int] = field(default_factory=list)
    staff_ids: dict[str, int] = field(default_factory=dict)  # role -> staff id

    def headers(self, role: str = "owner") -> dict:
        return {"Authorization": f"Bearer {self.tokens[role]}"}


def make_merchant(hk, name: str, document: dict | None = None) -> TestMerchant:
    """A merchant with an owner, a manager and a cashier, and ``document`` published if given."""
    with hk.db.write() as session:
        merchant = tenancy.create_merchant(session, name)
        result = TestMerchant(id=merchant.id, name=name, store_ids=[s.id for s in merchant.stores])
        for role in ("owner", "manager", "cashier"):
            # Rows like tenancy.create_staff writes (tested there), without hashing thrice a test.
            staff = Staff(merchant_id=merchant.id, username=role, display_name=role, role=role,
                          password_hash=_password_hash(), store_id=result.store_ids[0])
            session.add(staff)
            session.flush()
            result.staff_ids[role] = staff.id
            result.tokens[role] = tenancy.issue_token(session, staff)
        if document is not None:
            config_versions.save_draft(session, merchant.id, document, staff_id=None)
            config_versions.publish(session, merchant.id, hk.plugins, note="test setup")
    return result


def basic_document(**overrides) -> dict:
    """A small valid configuration: two tiers, one custom field, two card kinds."""
    document = {
        "schema_version": 1,
        "plugins": [],
        "fields": [
            {"key": "wechat_id", "type": "text", "max_length": 40,
             "label": {"zh-CN": "微信号", "en": "WeChat ID"}},
            {"key": "favourite", "type": "choice", "label": {"zh-CN": "喜好", "en": "Favourite"},
             "options": [{"value": "tea", "label": {"zh-CN": "茶", "en": "Tea"}},
                         {"value": "coffee", "label": {"zh-CN": "咖啡", "en": "Coffee"}}]},
        ],
        "tiers": [
            {"key": "silver", "name": {"zh-CN": "银卡", "en": "Silver"}, "rank": 1,
             "discount_permille": 950},
            {"key": "gold", "name": {"zh-CN": "金卡", "en": "Gold"}, "rank": 2,
             "discount_permille": 880},
        ],
        "card_kinds": [
            {"key": "standard", "name": {"zh-CN": "会员卡", "en": "Card"}, "earns_points": True},
            {"key": "purchase", "name": {"zh-CN": "购买卡", "en": "Purchase card"},
             "earns_points": False},
        ],
        "policies": {"cards_per_member": 1, "allow_replacement": True},
    }
    document.update(overrides)
    return document
