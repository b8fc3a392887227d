"""Each built-in sender against a real local server standing in for its gateway: the
request format and signature, retries with backoff, the dead letter, and one delivery per
outbox row through failures (issue 14, item 4)."""
from __future__ import annotations

from datetime import timedelta

import pytest

from sqlalchemy import select

from core.messages import enqueue
from core.messages.builtin_senders.tencent_sms import tc3_authorization
from core.messages.dispatch import dispatch_due
from core.messages.policy import save_policy
from core.models import MessageAttempt, OutboxMessage
from tests.messages.conftest import (DAYTIME, add_member, use_sms_gateway, use_smtp, use_tencent,
                                     use_wechat)
from tests.support.gateways import closed_port


def queue(hk, merchant_id, member_id, kind="low_balance", channel="sms", **variables):
    with hk.db.write() as session:
        [row_id] = enqueue(session, merchant_id, member_id=member_id, kind=kind, channel=channel,
                           variables=variables or {"balance_fen": 1250}, now=DAYTIME)
        return row_id


def state(hk, row_id):
    with hk.db.read() as session:
        row = session.get(OutboxMessage, row_id)
        attempts = session.scalars(select(MessageAttempt.outcome).where(
            MessageAttempt.outbox_id == row_id).order_by(MessageAttempt.id)).all()
        return row.status, row.attempts, row.next_attempt_at, row.provider_message_id, attempts


def key(row_id):
    return f"huika-outbox-{row_id}"


def test_tc3_signature_matches_a_published_example():
    # tencent_cloud_core 0.1.1 (hexdocs.pm/tencent_cloud_core/0.1.1/TencentCloud.Core.html),
    # computed with Tencent's SDK rules for the nlp service.
    header = tc3_authorization(secret_id="GebjUWWJJVnL1en1gtgb52CmNJN8CqdKC0ne",
                               secret_key="QtXXc6HftX/LEwrSi+MR4OyVEnEslwyg",
                               host="nlp.tencentcloudapi.com", service="nlp", timestamp=1632706407,
                               payload='{"Query":"你好，红领巾，我叫白胡子"}'.encode())
    assert header == ("TC3-HMAC-SHA256 Credential=GebjUWWJJVnL1en1gtgb52CmNJN8CqdKC0ne/2021-09-27/nlp/"
                      "tc3_request, SignedHeaders=content-type;host, Signature="
                      "3ec0d092a50635e6bdfcf051750d55dca5bc39e270348d8e46f928d50d3ed833")


def test_sms_gateway_500_and_refused_connections_are_retried_with_backoff_then_dead(hk, shop, sms_gateway):
    use_sms_gateway(hk, shop.id, sms_gateway)
    first = queue(hk, shop.id, add_member(hk, shop.id, "13800001001"))
    second = queue(hk, shop.id, add_member(hk, shop.id, "13800001002", name="李雷"))
    sms_gateway.fail_next("500")
    assert dispatch_due(hk.db, hk.plugins, DAYTIME) == {"queued": 1, "sent": 1}
    status, attempts, due, _, outcomes = state(hk, first)
    assert (status, attempts, due, outcomes) == ("queued", 1, DAYTIME + timedelta(seconds=30), ["retry"])
    assert dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(seconds=29)) == {}  # not due yet
    assert dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(seconds=30)) == {"sent": 1}
    assert state(hk, first)[0] == "sent" and state(hk, first)[4] == ["retry", "sent"]
    assert sms_gateway.deliveries == {key(first): 1, key(second): 1}
    request = sms_gateway.requests[-1]
    assert request["json"]["text"].startswith("【花间】王芳") and "¥12.50" in request["json"]["text"]
    assert request["headers"]["Idempotency-Key"] == key(first)

    # Nothing listens: refused each time, 30 s, 1 min, 2 min apart, dead after max_attempts.
    with hk.db.write() as session:
        save_policy(session, shop.id, {"max_attempts": 3})
    use_sms_gateway(hk, shop.id, sms_gateway, url=f"http://127.0.0.1:{closed_port()}/sms/send")
    third = queue(hk, shop.id, add_member(hk, shop.id, "13800001003"))
    moment = DAYTIME
    for wait in (0, 30, 60):
        moment += timedelta(seconds=wait)
        dispatch_due(hk.db, hk.plugins, moment)
    status, attempts, due, _, outcomes = state(hk, third)
    assert (status, attempts, due, outcomes) == ("dead", 3, None, ["retry", "retry", "retry"])
    assert dispatch_due(hk.db, hk.plugins, moment + timedelta(hours=3)) == {}
    assert key(third) not in sms_gateway.deliveries


def test_a_lost_answer_from_a_deduplicating_gateway_is_resent_and_delivered_once(hk, shop, sms_gateway):
    use_sms_gateway(hk, shop.id, sms_gateway)
    row = queue(hk, shop.id, add_member(hk, shop.id, "13800001011"))
    sms_gateway.fail_next("timeout")
    dispatch_due(hk.db, hk.plugins, DAYTIME)
    assert state(hk, row)[0] == "queued" and state(hk, row)[4] == ["unknown"]
    dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(seconds=30))
    assert state(hk, row)[:2] == ("sent", 2)
    assert sms_gateway.deliveries == {key(row): 1} and sms_gateway.duplicates == 1


def test_tencent_cloud_sms_signed_request_busy_retry_and_lost_answer_not_resent(hk, shop, tencent):
    use_tencent(hk, shop.id, tencent)
    first = queue(hk, shop.id, add_member(hk, shop.id, "13800001021"))
    tencent.fail_next("busy")
    dispatch_due(hk.db, hk.plugins, DAYTIME)
    assert state(hk, first)[0] == "queued"
    dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(seconds=30))
    status, attempts, _, serial, outcomes = state(hk, first)
    assert (status, attempts, outcomes) == ("sent", 2, ["retry", "sent"]) and serial.startswith("2433:")
    sent = tencent.requests[-1]["json"]
    assert sent["PhoneNumberSet"] == ["+8613800001021"] and sent["TemplateId"] == "1110"
    assert sent["TemplateParamSet"] == ["王芳", "¥12.50"] and sent["SessionContext"] == key(first)
    assert tencent.rejected == []

    # The answer is lost: SendSms cannot deduplicate, so the row is failed and never resent.
    second = queue(hk, shop.id, add_member(hk, shop.id, "13800001022"))
    tencent.fail_next("timeout")
    dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(minutes=1))
    dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(hours=1))
    assert state(hk, second)[0] == "failed" and state(hk, second)[4] == ["unknown"]
    assert tencent.deliveries == {key(first): 1, key(second): 1}


def test_tencent_refuses_a_wrong_secret_and_the_row_fails_for_good(hk, shop, tencent):
    use_tencent(hk, shop.id, tencent)
    tencent.secret_key = "rotated"
    row = queue(hk, shop.id, add_member(hk, shop.id, "13800001023"))
    dispatch_due(hk.db, hk.plugins, DAYTIME)
    assert state(hk, row)[0] == "failed" and tencent.rejected == ["signature mismatch"]
    assert tencent.deliveries == {}


def test_wechat_token_is_fetched_once_cached_and_renewed_when_expired(hk, shop, wechat):
    use_wechat(hk, shop.id, wechat)
    members = [add_member(hk, shop.id, f"1380000103{i}", wechat_openid=f"openid-{i}") for i in range(3)]
    rows = [queue(hk, shop.id, member, channel="wechat") for member in members[:2]]
    dispatch_due(hk.db, hk.plugins, DAYTIME)
    assert wechat.tokens_issued == 1 and [state(hk, r)[0] for r in rows] == ["sent", "sent"]
    payload = wechat.requests[0]["json"]
    assert payload["template_id"] == "TPL-BAL" and payload["touser"] == "openid-0"
    assert payload["data"] == {"thing1": {"value": "王芳"}, "amount2": {"value": "¥12.50"}}
    assert payload["client_msg_id"] == key(rows[0])

    wechat.expire_tokens()
    wechat.fail_next("busy")
    third = queue(hk, shop.id, members[2], channel="wechat")
    dispatch_due(hk.db, hk.plugins, DAYTIME)  # 42001 -> new token -> -1 busy: try later
    assert wechat.tokens_issued == 2 and state(hk, third)[0] == "queued"
    dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(seconds=30))
    assert state(hk, third)[0] == "sent"
    assert wechat.deliveries == {key(r): 1 for r in (*rows, third)}


def test_smtp_through_aiosmtpd_retries_a_451_and_never_resends_a_lost_answer(hk, shop, smtp_server):
    use_smtp(hk, shop.id, smtp_server)
    member = add_member(hk, shop.id, "13800001041", email="wf@example.com")
    first = queue(hk, shop.id, member, channel="email", kind="points_expiry", points=300,
                  expires_on="2026-12-31")
    smtp_server.fail_next("busy")
    dispatch_due(hk.db, hk.plugins, DAYTIME)
    assert state(hk, first)[0] == "queued"
    dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(seconds=30))
    assert state(hk, first)[0] == "sent"
    [(sender, recipients, message)] = smtp_server.messages
    assert sender == "care@huajian.example" and recipients == ["wf@example.com"]
    assert message["Subject"] == "积分到期提醒" and message["Message-ID"] == f"<{key(first)}@huika>"
    assert "300积分将于2026-12-31到期" in message.get_content()

    second = queue(hk, shop.id, member, channel="email", kind="dormant")
    smtp_server.fail_next("timeout")
    dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(minutes=5))
    dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(hours=1))
    assert state(hk, second)[0] == "failed" and state(hk, second)[4] == ["unknown"]
    third = queue(hk, shop.id, member, channel="email", kind="birthday")
    smtp_server.fail_next("500")
    dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(hours=2))
    assert state(hk, third)[0] == "failed" and state(hk, third)[4] == ["failed"]
    assert dict(smtp_server.deliveries) == {f"<{key(first)}@huika>": 1, f"<{key(second)}@huika>": 1}


@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_smtp_over_starttls_and_ssl_verifies_the_server(hk, shop, tmp_path, security):
    from tests.messages.conftest import set_channel
    from tests.support.gateways import SmtpServer, self_signed_certificate

    certificate = self_signed_certificate(tmp_path)
    server = SmtpServer(tls=security, certificate=certificate).start()
    try:
        settings = {"host": "127.0.0.1", "port": server.port, "security": security, "timeout": 2,
                    "from_address": "care@huajian.example"}
        set_channel(hk, shop.id, "email", "smtp", settings)  # the system CAs: not trusted
        member = add_member(hk, shop.id, "13800001051", email="tls@example.com")
        refused = queue(hk, shop.id, member, channel="email", kind="birthday")
        dispatch_due(hk.db, hk.plugins, DAYTIME)
        assert state(hk, refused)[0] == "queued" and "CERTIFICATE_VERIFY_FAILED" in _last_error(hk, refused)
        set_channel(hk, shop.id, "email", "smtp", {**settings, "ca_file": certificate[0]})
        dispatch_due(hk.db, hk.plugins, DAYTIME + timedelta(seconds=30))
        assert state(hk, refused)[0] == "sent"
        assert list(server.deliveries.values()) == [1]
    finally:
        server.stop()


def _last_error(hk, row_id):
    with hk.db.read() as session:
        return session.get(OutboxMessage, row_id).last_error or ""


def test_a_secret_can_come_from_the_dispatchers_environment(hk, shop, tencent, monkeypatch):
    from tests.messages.conftest import set_channel

    use_tencent(hk, shop.id, tencent)
    with hk.db.read() as session:
        from core.models import MessageChannel
        settings = dict(session.scalars(select(MessageChannel)).one().settings)
    set_channel(hk, shop.id, "sms", "tencent_sms", settings,
                {"secret_id": tencent.secret_id, "secret_key": "env:HUIKA_TEST_TENCENT_KEY"})
    missing = queue(hk, shop.id, add_member(hk, shop.id, "13800001061"))
    monkeypatch.delenv("HUIKA_TEST_TENCENT_KEY", raising=False)
    dispatch_due(hk.db, hk.plugins, DAYTIME)
    assert state(hk, missing)[0] == "failed" and "HUIKA_TEST_TENCENT_KEY" in _last_error(hk, missing)
    monkeypatch.setenv("HUIKA_TEST_TENCENT_KEY", tencent.secret_key)
    sent = queue(hk, shop.id, add_member(hk, shop.id, "13800001062"))
    dispatch_due(hk.db, hk.plugins, DAYTIME)
    assert state(hk, sent)[0] == "sent" and tencent.rejected == []
