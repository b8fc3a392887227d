"""The core's import kinds: members (M1, with their card when the old system had one per
member) and cards (more cards for members already here). Written in bulk with Core inserts.

Imported members and cards are migrated, not new: the ``after_member_created`` and
``after_card_*`` hooks are not called (no welcome gifts, no first profile history), and a card
gets no PIN (the holder sets one at the counter, C6).
"""
from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import func, select

from ..clock import MERCHANT_TZ
from ..models import Card, CardStatus, Member, Tier
from .bulk import chunks, existing, insert_many, insert_returning_ids
from .context import ImportContext
from .kinds import Column, ImportKind, Row, RowProblem, card_number, choice, day, message, phone, text

GENDERS = {"男": "male", "male": "male", "m": "male", "女": "female", "female": "female", "f": "female",
           "未知": "unspecified", "保密": "unspecified", "unspecified": "unspecified"}
_members, _cards = Member.__table__, Card.__table__


def _card_columns(required: bool) -> tuple[Column, ...]:
    return (
        Column("card_number", message("卡号", "Card number"), card_number, required=required,
               example="8800000000000001",
               hint=message("4 到 32 位字母或数字，原系统的卡号", "4 to 32 letters or digits")),
        Column("card_kind", message("卡类型", "Card kind"), text(60), example="",
               hint=message("卡类型的名称或代码，空着用第一种", "a card kind's name or key; empty: the first")),
        Column("tier", message("会员等级", "Tier"), text(60), example="",
               hint=message("等级名称或代码，空着用最低等级", "a tier's name or key; empty: the lowest")),
        Column("card_expires_on", message("卡有效期", "Card valid until"), day, example="",
               hint=message("空着表示长期有效", "empty: no expiry")),
    )


MEMBER_COLUMNS = (
    Column("phone", message("手机号", "Mobile phone"), phone, required=True, example="13800138000",
           hint=message("11 位手机号，每位会员唯一", "11 digits, one per member")),
    Column("name", message("姓名", "Name"), text(60, name=True), required=True, example="张三"),
    Column("gender", message("性别", "Gender"),
           choice(GENDERS, "应为 男、女 或 未知", "male, female or unspecified (男/女/未知)"), example="女"),
    Column("birthday", message("生日", "Birthday"), day, example="1990-05-20",
           hint=message("公历日期，如 1990-05-20", "a solar date such as 1990-05-20")),
    Column("address", message("地址", "Address"), text(200), example=""),
    Column("occupation", message("职业", "Occupation"), text(60), example=""),
    Column("joined_on", message("入会日期", "Joined on"), day, example="2024-01-15",
           hint=message("在原系统的注册日期，空着用今天", "registration date in the old system; empty: today")),
) + _card_columns(required=False)

CARD_COLUMNS = (
    Column("card_number", message("卡号", "Card number"), card_number, required=True,
           example="8800000000000002"),
    Column("phone", message("手机号", "Mobile phone"), phone, required=True, example="13800138000",
           hint=message("持卡会员的手机号（会员须已导入）", "the holder's phone (the member must exist)")),
) + _card_columns(required=False)[1:] + (
    Column("issued_on", message("开卡日期", "Issued on"), day, example="",
           hint=message("空着用今天", "empty: today")),
)


# -- shared checks -------------------------------------------------------------------------------

def _lookups(context: ImportContext) -> tuple[dict, dict]:
    """Card kinds and tiers by every accepted spelling (key, Chinese or English name)."""
    kinds = {}
    for kind in context.config.card_kinds:
        for spelling in (kind["key"], *kind.get("name", {}).values()):
            kinds[str(spelling).casefold()] = kind["key"]
    tiers = {}
    rows = context.session.execute(select(Tier.id, Tier.key, Tier.name_zh, Tier.name_en).where(
        Tier.merchant_id == context.merchant_id, Tier.active.is_(True)).order_by(Tier.rank))
    lowest = None
    for tier_id, key, name_zh, name_en in rows:
        lowest = tier_id if lowest is None else lowest
        for spelling in (key, name_zh, name_en):
            tiers.setdefault(str(spelling).casefold(), tier_id)
    tiers[None] = lowest
    return kinds, tiers


def _check_card_fields(context: ImportContext, rows: list[Row], problems: list[RowProblem]) -> None:
    """Card kind and tier resolved in place (``_kind``, ``_tier_id``); numbers not in use."""
    kinds, tiers = _lookups(context)
    first_kind = context.config.card_kinds[0]["key"]
    numbers = [row.values["card_number"] for row in rows if row.values.get("card_number")]
    taken = existing(context.session, _cards.c.number, _cards.c.merchant_id, context.merchant_id, numbers)
    seen: dict[str, int] = {}
    today = context.today
    for row in rows:
        values = row.values
        number = values.get("card_number")
        if not number:
            continue
        if number in taken:
            problems.append(RowProblem(row.number, "card_number", message(
                f"卡号 {number} 已在使用", f"card number {number} is already in use")))
        elif number in seen:
            problems.append(RowProblem(row.number, "card_number", message(
                f"卡号与第 {seen[number]} 行重复", f"the card number repeats row {seen[number]}")))
        seen.setdefault(number, row.number)
        kind = values.get("card_kind")
        values["_kind"] = kinds.get(kind.casefold()) if kind else first_kind
        if values["_kind"] is None:
            problems.append(RowProblem(row.number, "card_kind", message(
                "不是本店的卡类型：" + "、".join(k["name"].get("zh-CN", k["key"])
                                          for k in context.config.card_kinds),
                "not one of the merchant's card kinds: " + ", ".join(
                    k["key"] for k in context.config.card_kinds))))
        tier = values.get("tier")
        values["_tier_id"] = tiers.get(tier.casefold() if tier else None)
        if tier and values["_tier_id"] is None:
            problems.append(RowProblem(row.number, "tier", message(
                "不是本店已发布的会员等级", "not one of the merchant's published tiers")))
        expires = values.get("card_expires_on")
        if expires is not None and expires < today:
            problems.append(RowProblem(row.number, "card_expires_on", message(
                "卡已过期：过期的卡不导入", "the card has expired: expired cards are not imported")))


def _moment(on: date | None, now: datetime) -> datetime:
    """Local midnight of ``on`` in UTC (``now`` when not given or today)."""
    if on is None:
        return now
    start = datetime(on.year, on.month, on.day, tzinfo=MERCHANT_TZ).astimezone(timezone.utc)
    return min(start, now)


def _card_row(context: ImportContext, values: dict, member_id: int, issued: datetime) -> dict:
    return {"merchant_id": context.merchant_id, "number": values["card_number"],
            "kind": values["_kind"], "tier_id": values["_tier_id"], "member_id": member_id,
            "status": CardStatus.ACTIVE.value, "expires_on": values.get("card_expires_on"),
            "issued_store_id": context.store_id, "batch": f"import-{context.batch_id}",
            "issued_at": issued, "activated_at": issued, "pin_failures": 0, "pin_failures_total": 0}


# -- members -------------------------------------------------------------------------------------

def check_members(context: ImportContext, rows: list[Row]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    taken = existing(context.session, _members.c.phone, _members.c.merchant_id, context.merchant_id,
                     [row.values["phone"] for row in rows])
    today = context.today
    for row in rows:
        if row.values["phone"] in taken:
            problems.append(RowProblem(row.number, "phone", message(
                "这个手机号已是本店会员", "this phone already belongs to a member")))
        born = row.values.get("birthday")
        if born is not None and not date(1900, 1, 1) <= born <= today:
            problems.append(RowProblem(row.number, "birthday", message(
                "生日应在 1900 年到今天之间", "a birthday between 1900 and today")))
        joined = row.values.get("joined_on")
        if joined is not None and joined > today:
            problems.append(RowProblem(row.number, "joined_on", message(
                "入会日期不能晚于今天", "cannot be after today")))
    _check_card_fields(context, rows, problems)
    return problems


def post_members(context: ImportContext, rows: list[Row]) -> dict:
    now = context.now
    member_rows = []
    for row in rows:
        values = row.values
        joined = _moment(values.get("joined_on"), now)
        member_rows.append({
            "merchant_id": context.merchant_id, "name": values["name"], "phone": values["phone"],
            "gender": values.get("gender") or "unspecified",
            "birthday": values["birthday"].isoformat() if values.get("birthday") else None,
            "birthday_calendar": "solar", "birthday_leap_month": False,
            "address": values.get("address") or "", "occupation": values.get("occupation") or "",
            "income_band": "", "extra": {}, "registered_store_id": context.store_id,
            "channel": "import", "created_at": joined, "updated_at": now})
    ids = insert_returning_ids(context.session, _members, member_rows)
    card_rows = [_card_row(context, row.values, member_id, member["created_at"])
                 for row, member_id, member in zip(rows, ids, member_rows) if row.values.get("card_number")]
    insert_many(context.session, _cards, card_rows)
    return {"members": len(ids), "cards": len(card_rows)}


# -- cards ---------------------------------------------------------------------------------------

_HELD = (CardStatus.ACTIVE.value, CardStatus.FROZEN.value, CardStatus.LOST.value)


def check_cards(context: ImportContext, rows: list[Row]) -> list[RowProblem]:
    problems: list[RowProblem] = []
    session, merchant_id = context.session, context.merchant_id
    members: dict[str, int] = {}
    held: dict[int, int] = {}
    phones = sorted({row.values["phone"] for row in rows})
    connection = session.connection()
    for part in chunks(phones):
        members.update(connection.execute(select(_members.c.phone, _members.c.id).where(
            _members.c.merchant_id == merchant_id, _members.c.phone.in_(part))).all())
    for part in chunks(sorted(set(members.values()))):
        held.update(connection.execute(
            select(_cards.c.member_id, func.count()).where(_cards.c.member_id.in_(part),
                                                           _cards.c.status.in_(_HELD))
            .group_by(_cards.c.member_id)).all())
    limit = context.config.policies["cards_per_member"]
    today = context.today
    for row in rows:
        member_id = members.get(row.values["phone"])
        row.values["_member_id"] = member_id
        if member_id is None:
            problems.append(RowProblem(row.number, "phone", message(
                "没有这个手机号的会员：请先导入会员", "no member has this phone: import the members first")))
            continue
        held[member_id] = held.get(member_id, 0) + 1
        if held[member_id] > limit:
            problems.append(RowProblem(row.number, "phone", message(
                f"这位会员的卡将超过每人 {limit} 张的上限（M2）",
                f"this member would hold more than {limit} card(s), the limit (M2)")))
        issued = row.values.get("issued_on")
        if issued is not None and issued > today:
            problems.append(RowProblem(row.number, "issued_on", message(
                "开卡日期不能晚于今天", "cannot be after today")))
    _check_card_fields(context, rows, problems)
    return problems


def post_cards(context: ImportContext, rows: list[Row]) -> dict:
    card_rows = [_card_row(context, row.values, row.values["_member_id"],
                           _moment(row.values.get("issued_on"), context.now)) for row in rows]
    insert_many(context.session, _cards, card_rows)
    return {"cards": len(card_rows)}


def core_kinds() -> list[ImportKind]:
    return [
        ImportKind("members", message("会员", "Members"), MEMBER_COLUMNS,
                   natural_key=lambda values: values["phone"], check=check_members, post=post_members,
                   description=message(
                       "会员资料，每行一位会员，可同时带一张卡（卡号等列）。手机号已存在的行不会重复导入。",
                       "Members, one per row, each with one card if the card columns are filled. "
                       "A phone imported before is skipped.")),
        ImportKind("cards", message("会员卡", "Cards"), CARD_COLUMNS,
                   natural_key=lambda values: values["card_number"], check=check_cards, post=post_cards,
                   description=message(
                       "给已导入的会员再加卡：每行一张卡，按手机号找到会员。",
                       "More cards for members already here: one card per row, found by phone.")),
    ]
