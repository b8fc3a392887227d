"""What the model's modules share: the asset names and the refusal a step expects."""
from __future__ import annotations

PRINCIPAL, BONUS, POINTS = "stored_value_principal", "stored_value_bonus", "points"
SESSIONS, VOUCHERS = "course_sessions", "room_vouchers"


class Rejected(Exception):
    """What the product must answer instead (HTTP status, error code); nothing changes."""

    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status, self.code = status, code
