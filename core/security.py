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
