"""Where the key that signs staff and member sessions comes from (E1).

A publicly known key lets anyone forge a session cookie offline (``{"staff_id": 1}`` opens an
owner's editor), so there is no built-in default:

- ``HUIKA_SECRET_KEY`` (or ``SECRET_KEY`` in the app's test configuration) wins;
- otherwise, outside production, a random key is created once in the instance folder
  (``secret_key``, mode 0600) and every later start — and every gunicorn worker — reuses it;
- in production (``HUIKA_ENV=production``) the key must be given explicitly, and long enough:
  a key that lives only in a file on one host breaks sessions behind a load balancer and
  vanishes with a rebuilt machine, so production says so at start instead of guessing.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

KEY_FILE_NAME = "secret_key"
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


def instance_secret_key(instance_path: str | Path) -> str:
    """The instance folder's key, created on first use (mode 0600) and reused afterwards."""
    folder = Path(instance_path)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / KEY_FILE_NAME
    if not path.exists():
        _publish_new_key(path)
    key = path.read_text(encoding="ascii").strip()
    if len(key) < MIN_PRODUCTION_KEY_LENGTH:
        raise InsecureConfiguration(f"{path} holds no usable key: delete it to have a new one made")
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
