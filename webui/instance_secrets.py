"""Where the installation's secrets come from: the session key (E1) and the PIN pepper (F3).

A publicly known key lets anyone forge a session cookie offline (``{"staff_id": 1}`` opens an
owner's editor), so there is no built-in default:

- ``HUIKA_SECRET_KEY`` (or ``SECRET_KEY`` in the app's test configuration) wins;
- otherwise, outside production, a random key is created once in the instance folder
  (``secret_key``, mode 0600) and every later start — and every gunicorn worker — reuses it;
- in production (``HUIKA_ENV=production``) the key must be given explicitly, and long enough:
  a key that lives only in a file on one host breaks sessions behind a load balancer and
  vanishes with a rebuilt machine, so production says so at start instead of guessing.

The PIN pepper (``HUIKA_PIN_PEPPER``, hex) keys every card PIN's hash (core.security). It is
kept out of the database on purpose, so a stolen database cannot be searched for PINs; lose
it and every card needs a new PIN. The same rules apply: explicit in production, a file in
the instance folder (``pin_pepper``) otherwise. ``HUIKA_PIN_PEPPER_RETIRED`` (comma-separated
hex) lists earlier peppers still accepted while their PINs are re-hashed on use.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE_NAME = "secret_key"
PEPPER_FILE_NAME = "pin_pepper"
MIN_PEPPER_HEX = 64  # 256 bits
MIN_PRODUCTION_KEY_LENGTH = 32
KNOWN_PUBLIC_KEYS = frozenset({"dev-only-not-secret", "changeme", "secret", "dev"})


class InsecureConfiguration(RuntimeError):
    """Raised at start-up for a configuration that would be unsafe to serve (weak key, bad proxy count)."""


def check_production_key(key: str | None) -> None:
    """Refuse to start production with no key, a known public one or a short one."""
    if not key:
        raise InsecureConfiguration(
            "HUIKA_ENV=production needs HUIKA_SECRET_KEY: set it to a long random value, the same "
            "on every host (e.g. python3 -c 'import secrets; print(secrets.token_hex(32))')")
    if key in KNOWN_PUBLIC_KEYS or len(key) < MIN_PRODUCTION_KEY_LENGTH:
        raise InsecureConfiguration(
            f"HUIKA_SECRET_KEY is too weak for production: use at least "
            f"{MIN_PRODUCTION_KEY_LENGTH} random characters")


def pin_peppers(current: str | None, retired: str | None, *, production: bool,
                instance_path: str | Path) -> tuple[bytes, ...]:
    """(current, *retired) PIN peppers from their hex settings, or the instance file's."""
    if not current:
        if production:
            raise InsecureConfiguration(
                "HUIKA_ENV=production needs HUIKA_PIN_PEPPER: 64 or more hex digits, kept apart "
                "from the database backups (python3 -c 'import secrets; print(secrets.token_hex(32))')")
        current = instance_secret(instance_path, PEPPER_FILE_NAME)
    values = [current, *(part for part in (retired or "").split(",") if part.strip())]
    peppers = []
    for value in values:
        try:
            pepper = bytes.fromhex(value.strip())
        except ValueError:
            pepper = b""
        if len(pepper) * 2 < MIN_PEPPER_HEX:
            raise InsecureConfiguration(f"a PIN pepper must be at least {MIN_PEPPER_HEX} hex digits")
        peppers.append(pepper)
    return tuple(peppers)


def instance_secret_key(instance_path: str | Path) -> str:
    """The instance folder's session key (see ``instance_secret``)."""
    return instance_secret(instance_path, KEY_FILE_NAME)


def instance_secret(instance_path: str | Path, file_name: str) -> str:
    """A random secret in the instance folder, created on first use (mode 0600), then reused."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / file_name
    if not path.exists():
        _publish_new_key(path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_PRODUCTION_KEY_LENGTH:
        raise InsecureConfiguration(f"{path} holds no usable secret: restore it from your backup, or "
                                    "delete it to have a new one made")
    if path.stat().st_mode & 0o077:
        os.chmod(path, 0o600)  # someone loosened it; a readable key is a forgeable session
    return key


def _publish_new_key(path: Path) -> None:
    """Write a fresh key beside ``path`` and link it into place atomically.

    Several gunicorn workers may start at once: ``os.link`` fails for all but the first, and
    nobody ever reads a half-written file.
    """
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w", encoding="ascii") as handle:
            handle.write(secrets.token_hex(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)
        except FileExistsError:
            pass  # another worker published first; its key is the one
    finally:
        draft.unlink(missing_ok=True)
