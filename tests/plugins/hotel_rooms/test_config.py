"""Publishing a hotel configuration (H1, H2, R2): what validate_config refuses. No database."""
from __future__ import annotations

import pytest

from core.merchant_config import validate_config
from core.plugins import build_registry

from .conftest import hotel_document


@pytest.fixture(scope="module")
def registry():
    return build_registry()


def _pointers(document, registry):
    return [problem["pointer"] for problem in validate_config(document, registry)]


def test_l2_the_hotel_template_publishes(registry):
    assert validate_config(hotel_document(), registry) == []


def test_h1_a_card_kind_has_one_benefit_entry(registry):
    twice = [{"card_kind": "business", "suite_nights": 1}, {"card_kind": "business", "suite_nights": 2}]
    assert _pointers(hotel_document(card_benefits=twice), registry) == [
        "/plugins/0/settings/card_benefits/1/card_kind"]


def test_r2_the_expiry_notice_comes_before_the_vouchers_expire(registry):
    document = hotel_document(voucher_validity_days=30, voucher_expiry_notice_days=30)
    assert _pointers(document, registry) == ["/plugins/0/settings/voucher_expiry_notice_days"]


def test_h3_categories_are_text(registry):
    document = hotel_document(room_categories=[""], group_buy_categories="group_buy")
    assert sorted(_pointers(document, registry)) == ["/plugins/0/settings/group_buy_categories",
                                                    "/plugins/0/settings/room_categories/0"]
