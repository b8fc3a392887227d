"""Injected crashes, for testing only: HUIKA_FAULT_POINT makes the process die at one point.

With ``HUIKA_FAULT_POINT=after_debit`` (or ``after_points``, ``after_commit``) in its
environment, a server process ends itself with ``os._exit`` the moment it reaches that point of
a money operation, as a power cut or ``kill -9`` would: no rollback, no ``finally``, no reply.
The fault tests (tests/test_faults.py) use it to show that a crash leaves either nothing
(before the commit) or the whole operation (after it), and that the client's retry with the
same Idempotency-Key then gives exactly one effect.

The points:

- ``after_debit``: core.ledger.post has applied a guarded debit to a card account (stored
  value, the test card debit, points paid as cash …), inside the still-open transaction;
- ``after_points``: core.checkout.commit has posted a checkout that earns points, before the
  checkout rows are written and the transaction commits;
- ``after_commit``: an API operation's write transaction has committed and its reply has not
  been sent (webui/api/handlers.py).

Unset (always, in production) ``fault_point`` is one comparison with a module constant. The
variable is read once, at import; a name that is not a point stops the start, so a typo cannot
make a fault test pass without injecting anything, and so does any value with
HUIKA_ENV=production.
"""
from __future__ import annotations

import os

VARIABLE = "HUIKA_FAULT_POINT"
POINTS = frozenset({"after_debit", "after_points", "after_commit"})
# Not 3 or 4: gunicorn's master shuts the whole server down when a worker exits with those.
EXIT_CODE = 70


class FaultPointRefused(ValueError):
    """HUIKA_FAULT_POINT names no fault point, or is set in production."""


def _armed_point() -> str | None:
    name = os.environ.get(VARIABLE, "").strip()
    if not name:
        return None
    if name not in POINTS:
        raise FaultPointRefused(f"{VARIABLE}={name!r} is not one of {', '.join(sorted(POINTS))}")
    if os.environ.get("HUIKA_ENV") == "production":
        raise FaultPointRefused(f"{VARIABLE} is for tests only; unset it when HUIKA_ENV=production")
    return name


ARMED = _armed_point()


def fault_point(name: str) -> None:
    """Die here, at once, if HUIKA_FAULT_POINT names this point; otherwise do nothing."""
    if name == ARMED:
        os.write(2, f"huika: {VARIABLE}={name}: process {os.getpid()} exits here\n".encode())
        os._exit(EXIT_CODE)
