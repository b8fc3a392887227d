"""H4: the hotel declares what it can give on another plugin's behalf (core.benefits)."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from core import benefits
from core.config_versions import published_config
from core.errors import Conflict
from core.models import Card


def _config(hotel, session):
    return published_config(session, hotel.id, hotel.hk.plugins)


def test_h4_room_and_e_vouchers_are_benefit_kinds_the_hotel_grants(hotel, clock):
    with hotel.hk.db.read() as session:
        config = _config(hotel, session)
        kinds = benefits.available_kinds(config)
        assert {"room_voucher", "e_voucher"} <= set(kinds)
        assert kinds["room_voucher"].schema["properties"]["room_type"]["enum"] == [
            "business_suite", "suite", "executive_suite", "standard"]
        assert benefits.validate_benefit(config, {"kind": "e_voucher", "face_value_fen": 30000}) == []
        assert [p["pointer"] for p in benefits.validate_benefit(
            config, {"kind": "room_voucher", "room_type": "suite", "nights": 2})] == ["/benefit"]

    # Granting issues a voucher on the ledger and as a row; an unknown kind gives nothing.
    card_number = hotel.card("business")
    with hotel.hk.db.write() as session:
        config = _config(hotel, session)
        card = session.scalar(select(Card).where(Card.merchant_id == hotel.id, Card.number == card_number))
        receipt = benefits.grant(session, config, card, {"kind": "e_voucher", "face_value_fen": 10000,
                                                         "validity_days": 7}, now=clock.now)
        assert receipt["plugin"] == "hotel_rooms" and receipt["expires_on"] == "2026-03-17"
        with pytest.raises(Conflict) as refused:
            benefits.grant(session, config, card, {"kind": "spa_day"}, now=clock.now)
        assert refused.value.code == "benefit_unavailable"
    assert hotel.balance(card_number) == 2
    assert [v["reason"] for v in hotel.vouchers(card_number) if v["kind"] == "e_voucher"] == ["benefit"]
    hotel.verify()


def test_h4_a_malformed_benefit_is_refused_before_anything_is_given(hotel, clock):
    """core.benefits.grant checks what the hotel is asked to give against its kind's schema,
    whoever asks (a caller may have skipped the check when setting it up)."""
    card_number = hotel.card("business")
    before = (hotel.voucher_rows(), hotel.transactions(), hotel.balance(card_number))
    for benefit, pointer in [({"kind": "room_voucher", "room_type": "penthouse"}, "/benefit/room_type"),
                             ({"kind": "room_voucher"}, "/benefit"),
                             ({"kind": "e_voucher", "face_value_fen": 0}, "/benefit/face_value_fen")]:
        with hotel.hk.db.write() as session:
            config = _config(hotel, session)
            card = session.scalar(select(Card).where(Card.merchant_id == hotel.id,
                                                     Card.number == card_number))
            with pytest.raises(Conflict) as refused:
                benefits.grant(session, config, card, benefit, now=clock.now)
            assert refused.value.code == "benefit_invalid"
            assert pointer in [d["pointer"] for d in refused.value.details], refused.value.details
    assert (hotel.voucher_rows(), hotel.transactions(), hotel.balance(card_number)) == before
    hotel.verify()
