"""A demo merchant to look around with (``huika demo``): stores, staff, tiers, members, cards
and two months of sales (core.demo_sales)."""
from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import cards, config_versions, demo_packages, demo_sales, members, pins, tenancy
from .clock import now_utc
from .messages.demo import demo_messages
from .models import Card, Merchant
from .plugins import PluginRegistry
from .weak_pins import random_pin

DEMO_MERCHANT = "会卡演示商户"
DEMO_PASSWORD = "huika-demo-2026"
DEMO_STAFF = (
    ("owner", "owner", "王老板"),
    ("manager", "manager", "李店长"),
    ("cashier", "cashier", "张收银"),
)

DEMO_DOCUMENT = {
    "schema_version": 1,
    "template": "points_shop",
    "plugins": [{"id": "points", "settings": {}}, {"id": "stored_value", "settings": {}},
                demo_packages.PLUGIN, {"id": "goods", "settings": {}},
                {"id": "coupons", "settings": {}}, {"id": "member_events", "settings": {}},
                {"id": "birthday_benefits", "settings": {"rules": [  # 生日月 9折 (R1)
                    {"window": "month", "discount_permille": 900, "max_discount_fen": 5000,
                     "gift_name": "生日长寿面"}]}}],
    "fields": [
        {"key": "wechat_id", "type": "text", "max_length": 40,
         "label": {"zh-CN": "微信号", "en": "WeChat ID"}},
        {"key": "favourite_category", "type": "choice",
         "label": {"zh-CN": "喜爱品类", "en": "Favourite category"},
         "options": [{"value": "food", "label": {"zh-CN": "食品", "en": "Food"}},
                     {"value": "beauty", "label": {"zh-CN": "美妆", "en": "Beauty"}},
                     {"value": "home", "label": {"zh-CN": "家居", "en": "Home"}}]},
    ],
    "tiers": [
        {"key": "regular", "name": {"zh-CN": "普卡", "en": "Regular"}, "rank": 0,
         "discount_permille": 1000},
        {"key": "silver", "name": {"zh-CN": "银卡", "en": "Silver"}, "rank": 1,
         "discount_permille": 950,
         "upgrade": [{"kind": "cumulative_spend", "amount_fen": 200000, "period_days": 365}]},
        {"key": "gold", "name": {"zh-CN": "黄金卡", "en": "Gold"}, "rank": 2,
         "discount_permille": 880,
         "upgrade": [{"kind": "cumulative_spend", "amount_fen": 500000, "period_days": 365}]},
        {"key": "diamond", "name": {"zh-CN": "钻石卡", "en": "Diamond"}, "rank": 3,
         "discount_permille": 800, "upgrade": [{"kind": "stored_amount", "amount_fen": 800000}]},
    ],
    "card_kinds": [
        {"key": "standard", "name": {"zh-CN": "会员卡", "en": "Membership card"}, "earns_points": True},
        {"key": "stored_value", "name": {"zh-CN": "储值卡", "en": "Stored-value card"},
         "earns_points": True},
        {"key": "purchase", "name": {"zh-CN": "购买卡", "en": "Purchase card"}, "earns_points": False},
    ],
    "policies": {"cards_per_member": 1, "allow_replacement": True},
    "screens": [],
}

_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟"]


@dataclass
class DemoResult:
    merchant_id: int
    created: bool
    merchant_code: str = ""  # the 6-digit sign-in code (issue 13 item 7)
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (username, role, password)
    tokens: dict[str, str] = field(default_factory=dict)  # role -> bearer token
    cards: list[tuple[str, str]] = field(default_factory=list)  # (card number, its PIN)


def load_demo(session: Session, registry: PluginRegistry, member_count: int = 40,
              seed: int = 2026) -> DemoResult:
    """Create the demo merchant once; a later call issues fresh API tokens and fresh PINs.

    Every demo card gets a random PIN that is not a weak one (C6), returned in ``cards`` to be
    printed: PINs are stored only as hashes, so a later call cannot show the old ones and sets
    new ones instead (clearing any lock), so the PINs printed are always the ones that work.
    """
    existing = session.scalar(select(Merchant).where(Merchant.name == DEMO_MERCHANT))
    result = DemoResult(merchant_id=0, created=existing is None)
    if existing is None:
        existing = _create(session, registry, member_count, random.Random(seed))
    result.merchant_id = existing.id
    result.merchant_code = existing.code or ""
    for card in session.scalars(select(Card).where(Card.merchant_id == existing.id,
                                                   Card.member_id.is_not(None)).order_by(Card.id)):
        pin = random_pin()
        pins.set_pin(session, card, pin)
        result.cards.append((card.number, pin))
    session.flush()
    for username, role, _name in DEMO_STAFF:
        staff = tenancy.find_staff(session, existing.id, username)
        result.logins.append((username, role, DEMO_PASSWORD))
        result.tokens[role] = tenancy.issue_token(session, staff, label="demo")
    return result


def sign_in_lines(result: DemoResult) -> list[str]:
    """What `huika demo` prints before the logins: the merchant code to sign in with, and
    where each role lands."""
    return [f"sign in at /login — merchant code: {result.merchant_code} "
            f"(or the full name {DEMO_MERCHANT}; the browser remembers it for next time)",
            "owner and manager land on the dashboard (editor one click away), cashier on the till"]


def _create(session: Session, registry: PluginRegistry, member_count: int,
            rng: random.Random) -> Merchant:
    merchant = tenancy.create_merchant(session, DEMO_MERCHANT)
    main_store = merchant.stores[0] if merchant.stores else None
    second = tenancy.create_store(session, merchant.id, code="east", name="东区分店")
    for username, role, name in DEMO_STAFF:
        tenancy.create_staff(session, merchant.id, username=username, password=DEMO_PASSWORD,
                             role=role, display_name=name,
                             store_id=None if role == "owner" else (main_store.id if main_store else None))
    document = {**DEMO_DOCUMENT, "plugins": [p for p in DEMO_DOCUMENT["plugins"]
                                             if p["id"] in registry.plugins]}
    config_versions.save_draft(session, merchant.id, document, staff_id=None)
    config_versions.publish(session, merchant.id, registry, note="演示配置")
    config = config_versions.published_config(session, merchant.id, registry)
    tiers = [tier["key"] for tier in config.tiers]
    for index in range(member_count):
        # The first member is a 王 so the README's name-prefix example finds someone.
        name = (_SURNAMES[0] if index == 0 else rng.choice(_SURNAMES)) + rng.choice(_GIVEN)
        member = members.create_member(session, config, merchant.id, {
            "name": name,
            "phone": f"13{rng.randint(0, 9)}{index:08d}",
            "gender": rng.choice(["male", "female"]),
            "birthday": f"{rng.randint(1960, 2004)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "extra": {"favourite_category": rng.choice(["food", "beauty", "home"])},
        }, store_id=rng.choice([main_store.id, second.id]))
        cards.issue_card(session, config, merchant.id, {
            "kind": "standard",
            "tier": tiers[min(len(tiers) - 1, int(rng.triangular(0, len(tiers), 1)))],
            "member_id": member.id,
        }, store_id=member.registered_store_id)  # its PIN: set by load_demo, printed
    session.flush()
    now = now_utc()
    demo_sales.backdate_members(session, merchant.id, now, rng)
    cashier = tenancy.find_staff(session, merchant.id, "cashier")
    owner = tenancy.find_staff(session, merchant.id, "owner")
    # Each enabled plugin's sample data (the goods catalogue …), before the sales history.
    config.hook("demo_data")(session=session, config=config, merchant_id=merchant.id,
                             store_ids=[main_store.id, second.id], staff_id=owner.id, now=now)
    demo_sales.sales_history(session, config, merchant.id, [main_store.id, second.id], cashier.id,
                             now, rng)
    demo_packages.sell_demo_packages(session, config, merchant.id, main_store.id, cashier.id, now)
    demo_messages(session, merchant.id, now)
    return merchant
