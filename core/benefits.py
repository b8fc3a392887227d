"""Benefits one plugin gives on another's behalf (a wheel prize that is a room voucher, H4/P4).

A plugin that can give a card something declares the kind with ``benefit_kinds`` (a name, a
title and a JSON Schema for the benefit's own fields) and gives it with ``grant_benefit``.
Whoever hands out benefits (the points plugin's lucky wheel, a campaign) stores the benefit
as data ``{"kind": ..., **fields}``, checks it with ``validate_benefit`` when it is set up and
calls ``grant`` when it is won: no plugin imports another.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from .errors import Conflict
from .merchant_config import MerchantConfig
from .models import Card
from .schemas import validate_against


@dataclass(frozen=True)
class BenefitKind:
    kind: str
    title: dict
    schema: dict = field(default_factory=lambda: {"type": "object"})

    def json(self) -> dict:
        return {"kind": self.kind, "title": self.title, "schema": self.schema}


def available_kinds(config: MerchantConfig) -> dict[str, BenefitKind]:
    """The benefit kinds the merchant's enabled plugins can give, by name."""
    return {kind.kind: kind for group in config.hook("benefit_kinds")() for kind in group or []}


def validate_benefit(config: MerchantConfig, benefit, pointer: str = "/benefit") -> list[dict]:
    """Problems ({"pointer", "message"}) with a benefit definition, for this merchant."""
    if not isinstance(benefit, dict) or not isinstance(benefit.get("kind"), str):
        return [{"pointer": pointer, "message": 'an object with a "kind"'}]
    kinds = available_kinds(config)
    kind = kinds.get(benefit["kind"])
    if kind is None:
        offered = ", ".join(sorted(kinds)) or "none: enable a plugin that gives benefits"
        return [{"pointer": f"{pointer}/kind",
                 "message": f"{benefit['kind']!r} is not a benefit this merchant can give ({offered})"}]
    fields = {key: value for key, value in benefit.items() if key != "kind"}
    return [{"pointer": f"{pointer}{p.pointer}", "message": p.message}
            for p in validate_against(fields, kind.schema)]


def grant(session: Session, config: MerchantConfig, card: Card, benefit: dict, *, now: datetime,
          store_id: int | None = None, staff_id: int | None = None) -> dict:
    """Give ``card`` the benefit through the plugin that owns its kind; its receipt.

    The benefit was checked when it was set up (a wheel prize); it is checked again here
    because the owning plugin may be gone or its schema stricter since: both are a state
    problem (409), not the caller's input, and nothing is given."""
    if benefit.get("kind") not in available_kinds(config):
        raise Conflict(f"no enabled plugin gives a {benefit.get('kind')!r} benefit any more",
                       code="benefit_unavailable")
    problems = validate_benefit(config, benefit)
    if problems:
        raise Conflict(f"the {benefit['kind']} benefit is not valid; nothing was given",
                       code="benefit_invalid", details=problems)
    receipt = config.hook("grant_benefit")(session=session, card=card, benefit=benefit,
                                           config=config, now=now, store_id=store_id,
                                           staff_id=staff_id)
    if receipt is None:
        raise Conflict(f"the plugin declaring {benefit['kind']!r} did not give it",
                       code="benefit_unavailable")
    return receipt
