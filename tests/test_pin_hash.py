"""F3: PIN hashes keyed by a pepper outside the database; old scrypt hashes upgrade on use."""
from __future__ import annotations

import pytest

from core.security import check_pin_hash, hash_pin, hash_secret, pepper_id

PEPPER = b"\x11" * 32
OLD_PEPPER = b"\x22" * 32


def test_a_right_pin_passes_and_a_wrong_one_does_not():
    stored = hash_pin("384920", PEPPER)
    assert stored.startswith(f"hmac-sha256${pepper_id(PEPPER)}$")
    assert check_pin_hash("384920", stored, (PEPPER,)) == (True, False)
    assert check_pin_hash("384921", stored, (PEPPER,)) == (False, False)


def test_equal_pins_hash_differently():
    assert hash_pin("384920", PEPPER) != hash_pin("384920", PEPPER)


def test_without_the_pepper_a_stolen_hash_cannot_be_searched():
    """Holding the database alone, every one of the 10^6 PINs fails against the hash."""
    stored = hash_pin("384920", PEPPER)
    assert check_pin_hash("384920", stored, (b"\x33" * 32,)) == (False, False)


def test_a_retired_pepper_still_verifies_and_asks_for_a_rehash():
    stored = hash_pin("384920", OLD_PEPPER)
    assert check_pin_hash("384920", stored, (PEPPER, OLD_PEPPER)) == (True, True)
    assert check_pin_hash("000001", stored, (PEPPER, OLD_PEPPER)) == (False, False)


def test_an_old_scrypt_hash_verifies_and_asks_for_a_rehash():
    stored = hash_secret("384920")
    assert check_pin_hash("384920", stored, (PEPPER,)) == (True, True)
    assert check_pin_hash("384921", stored, (PEPPER,)) == (False, False)


@pytest.mark.parametrize("stored", [None, "", "hmac-sha256$x", "hmac-sha256$abcd$zz$00", "plain"])
def test_malformed_hashes_never_pass(stored):
    assert check_pin_hash("384920", stored, (PEPPER,)) == (False, False)


def test_a_short_pepper_is_refused():
    with pytest.raises(ValueError):
        hash_pin("384920", b"short")

