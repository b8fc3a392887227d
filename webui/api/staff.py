"""Who the token belongs to."""
from __future__ import annotations

from core.models import Merchant

from . import schemas
from ..extension import huika
from .operations import caller, operation


@operation("/me", "GET", operation_id="getMe", tag="staff", summary="Read the caller",
           responses={200: ("The staff user behind the token", schemas.ME)})
def me():
    with huika().db.read() as session:
        merchant = session.get(Merchant, caller().merchant_id)
        return {"staff_id": caller().staff_id, "username": caller().username,
                "role": caller().role, "store_id": caller().store_id,
                "merchant": {"id": merchant.id, "name": merchant.name, "code": merchant.code}}
