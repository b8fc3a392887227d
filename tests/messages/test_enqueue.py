"""enqueue and templates (issue 14, item 4): rows in the caller's transaction, one per
occasion and channel, opt-outs suppressed, quiet hours, texts with checked variables."""
from __future__ import annotations

from datetime import datetime, timezone
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from core.errors import Invalid
from core.messages import enqueue, save_template, set_opt_out
from core.messages.policy import save_policy
from core.messages.templates import render, template_values
from core.models import OutboxMessage
from tests.messages.conftest import DAYTIME, add_member, set_channel


def rows(hk, merchant_id):
    """The merchant's outbox rows as plain objects (readable after the session ends)."""
    with hk.db.read() as session:
        found = session.scalars(select(OutboxMessage).where(OutboxMessage.merchant_id == merchant_id)
                                .order_by(OutboxMessage.id)).all()
        return [SimpleNamespace(**{column.key: getattr(row, column.key)
                                   for column in OutboxMessage.__table__.columns}) for row in found]


def test_money_is_rendered_in_yuan_and_dates_as_days():
    values = template_values({"balance_fen": 1250, "points": 300, "name": "王芳",
                              "expires_on": datetime(2026, 12, 31, 15, 0, tzinfo=timezone.utc)})
    assert values["balance"] == "¥12.50" and values["points"] == "300"
    assert values["expires_on"] == "2026-12-31"  # 23:00 in Shanghai
    assert render("{name}余额{balance}，{{不是变量}}", values) == "王芳余额¥12.50，{不是变量}"


@pytest.mark.parametrize("text, code", [("您好{nmae}", "unknown_variable"), ("{name!r}", "template_malformed"),
                                        ("{name.__class__}", "template_malformed"), ("{", "template_malformed")])
def test_a_template_with_an_unknown_variable_is_refused_and_nothing_saved(hk, shop, text, code):
    with pytest.raises(Invalid) as caught:
        with hk.db.write() as session:
            save_template(session, shop.id, kind="birthday", channel="sms", language="zh", body=text)
    assert caught.value.code == code
    if code == "unknown_variable":
        assert "{nmae}" in caught.value.message and "{name}" in caught.value.message


def test_enqueue_writes_one_row_per_enabled_channel_once_per_occasion(hk, shop):
    member = add_member(hk, shop.id, "13800000001", email="wf@example.com")
    set_channel(hk, shop.id, "sms", "console")
    set_channel(hk, shop.id, "email", "console")
    set_channel(hk, shop.id, "wechat", "console")  # the member has no openid: no row
    with hk.db.write() as session:
        save_template(session, shop.id, kind="low_balance", channel="sms", language="zh",
                      body="{name}您好，余额{balance}，积分{points}")
        ids = enqueue(session, shop.id, member_id=member, kind="low_balance",
                      variables={"balance_fen": 1250, "points": 80}, occasion="low_balance:card:1",
                      now=DAYTIME)
        again = enqueue(session, shop.id, member_id=member, kind="low_balance",
                        variables={"balance_fen": 1250}, occasion="low_balance:card:1", now=DAYTIME)
    assert len(ids) == 2 and again == []
    sms, email = rows(hk, shop.id)
    assert (sms.channel, sms.recipient, sms.body) == ("sms", "13800000001", "王芳您好，余额¥12.50，积分80")
    assert (email.channel, email.recipient, email.status) == ("email", "wf@example.com", "queued")
    assert sms.template == "low_balance/sms/zh" and sms.next_attempt_at == DAYTIME
    with hk.db.write() as session:  # a later transaction: the unique key still holds
        assert enqueue(session, shop.id, member_id=member, kind="low_balance", variables={},
                       occasion="low_balance:card:1", now=DAYTIME) == []


def test_the_row_exists_only_if_the_callers_transaction_commits(hk, shop):
    member = add_member(hk, shop.id, "13800000002")
    with pytest.raises(RuntimeError):
        with hk.db.write() as session:
            enqueue(session, shop.id, member_id=member, kind="birthday", variables={},
                    channel="sms", now=DAYTIME)
            raise RuntimeError("the event failed")
    assert rows(hk, shop.id) == []


def test_opted_out_channel_gets_a_suppressed_row_and_quiet_hours_move_the_due_time(hk, shop):
    member = add_member(hk, shop.id, "13800000003")
    set_channel(hk, shop.id, "sms", "console")
    with hk.db.write() as session:
        set_opt_out(session, shop.id, member, "sms", True)
        enqueue(session, shop.id, member_id=member, kind="birthday", variables={},
                occasion="birthday:2026-12-07", now=DAYTIME)
        set_opt_out(session, shop.id, member, "sms", False)
        save_policy(session, shop.id, {"quiet_start": "21:00", "quiet_end": "09:00"})
        late = datetime(2026, 12, 7, 14, 30, tzinfo=timezone.utc)  # 22:30 in Shanghai
        enqueue(session, shop.id, member_id=member, kind="dormant", variables={}, now=late)
    suppressed, queued = rows(hk, shop.id)
    assert (suppressed.status, suppressed.last_error) == ("suppressed", "opted out")
    assert queued.status == "queued"
    assert queued.next_attempt_at == datetime(2026, 12, 8, 1, 0, tzinfo=timezone.utc)  # 09:00 local
    assert "王芳" in queued.body and queued.body.count("{") == 0


def test_a_named_channel_without_an_address_is_logged_as_suppressed(hk, shop):
    member = add_member(hk, shop.id, "13800000004")
    with hk.db.write() as session:
        [row_id] = enqueue(session, shop.id, member_id=member, kind="birthday", variables={},
                           channel="email", now=DAYTIME)
        row = session.get(OutboxMessage, row_id)
        assert (row.status, row.last_error) == ("suppressed", "no address")


def test_another_merchants_member_is_not_found(hk, shop):
    from core.errors import NotFound
    from tests.support.factories import make_merchant
    other = make_merchant(hk, "别家")
    member = add_member(hk, shop.id, "13800000005")
    with pytest.raises(NotFound):
        with hk.db.write() as session:
            enqueue(session, other.id, member_id=member, kind="birthday", variables={}, channel="sms")


def test_every_reminder_kind_has_its_own_built_in_text(plugin_registry):
    """The member-care job queues messages under the reminder kind's id: a kind without a
    built-in text would reach members as the generic 会员通知 (the anniversary did, as
    'join_anniversary')."""
    from core.messages.templates import DEFAULT_TEXTS, LANGUAGES

    kinds = {kind.id for kind in plugin_registry.reminder_kinds()}
    assert {"birthday", "anniversary", "dormant"} <= kinds
    missing = sorted((kind, language) for kind in kinds for language in LANGUAGES
                     if (kind, language) not in DEFAULT_TEXTS)
    assert missing == []


def test_an_anniversary_reminder_message_reads_as_an_anniversary(hk, shop):
    member_id = add_member(hk, shop.id, "13800000031", name="冯周年")
    set_channel(hk, shop.id, "sms", "console")
    with hk.db.write() as session:
        enqueue(session, shop.id, member_id=member_id, kind="anniversary",
                variables={"years": 1}, occasion="anniversary:2026-12-07", now=DAYTIME)
    [row] = rows(hk, shop.id)
    assert row.template == "anniversary/sms/zh" and "入会纪念日" in row.body
