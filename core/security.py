"""Slow salted hashes for passwords and PINs, and bearer-token digests."""
from __future__ import annotations

import hashlib
import hmac
import secrets

# scrypt parameters: ~50 ms and 16 MiB per hash on a small server; slow enough for PINs (C6).
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_SCHEME = "scrypt"


def hash_secret(secret: str) -> str:
    """Hash a password or PIN as ``scrypt$n$r$p$salt$digest`` (hex)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32
    )
    return f"{_SCHEME}${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${salt.hex()}${digest.hex()}"


def verify_secret(secret: str, stored: str | None) -> bool:
    """Constant-time check of ``secret`` against a stored hash; False for a missing hash."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt_hex, digest_hex = stored.split("$")
        if scheme != _SCHEME:
            return False
        digest = hashlib.scrypt(
            secret.encode("utf-8"),
            salt=bytes.fromhex(salt_hex),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(digest_hex) // 2,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(digest.hex(), digest_hex)


TOKEN_PREFIX = "hk_"


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    # Tokens carry 256 random bits, so a fast hash is enough to keep them unreadable at rest.
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


# -- PINs: a keyed hash with a pepper kept outside the database (C6, F3) ------------------------
# A 6-digit PIN has only 10^6 values: any hash of it, however slow, falls to a brute force by
# whoever holds the database (scrypt at ~50 ms: one CPU-day for one card). What protects a
# stolen database is a secret it does not contain: HMAC-SHA256 under a server-side pepper
# (256 bits) cannot be searched without the pepper, and costs microseconds, so the check no
# longer holds a till's write lock for 50 ms. Online guessing is stopped by the lockout in
# core.pins. Old scrypt hashes still verify and are re-hashed on their next right PIN.
PIN_SCHEME = "hmac-sha256"
MIN_PEPPER_BYTES = 32


def pepper_id(pepper: bytes) -> str:
    """A short public name for a pepper, stored with each hash, so rotation knows which to use."""
    return hashlib.sha256(b"huika-pin-pepper-id:" + pepper).hexdigest()[:8]


def hash_pin(pin: str, pepper: bytes) -> str:
    """``hmac-sha256$<pepper id>$<salt>$<digest>``: salted, so equal PINs hash differently."""
    if len(pepper) < MIN_PEPPER_BYTES:
        raise ValueError(f"a PIN pepper needs at least {MIN_PEPPER_BYTES} bytes")
    salt = secrets.token_bytes(16)
    digest = hmac.new(pepper, salt + pin.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"{PIN_SCHEME}${pepper_id(pepper)}${salt.hex()}${digest}"


def check_pin_hash(pin: str, stored: str | None, peppers: tuple[bytes, ...]) -> tuple[bool, bool]:
    """(right, rehash): is ``pin`` the one ``stored`` hashes, and should it be hashed anew?

    ``peppers`` is the current pepper first, then retired ones still accepted. A hash under a
    retired pepper or an old scrypt hash answers rehash=True when the PIN is right.
    """
    if not stored:
        return False, False
    if not stored.startswith(PIN_SCHEME + "$"):
        return (True, True) if verify_secret(pin, stored) else (False, False)
    try:
        _scheme, stored_id, salt_hex, digest_hex = stored.split("$")
        salt = bytes.fromhex(salt_hex)
    except ValueError:
        return False, False
    for position, pepper in enumerate(peppers):
        if pepper_id(pepper) == stored_id:
            digest = hmac.new(pepper, salt + pin.encode("utf-8"), hashlib.sha256).hexdigest()
            right = hmac.compare_digest(digest, digest_hex)
            return right, right and position > 0
    return False, False  # made under a pepper this server no longer has
