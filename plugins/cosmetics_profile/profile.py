"""K1 skin profile: the plugin's member fields, and a history of every change to them.

The values live in ``members.extra`` (the core validates them against the fields' schema);
this module keeps who changed what and when in ``cosmetics_profile_changes``, from the core's
``after_member_created`` / ``after_member_updated`` hooks, so a change through the generic
member API and one through the skin-profile screen land in the same history.

The hooks say who made the change and when (``staff_id``, ``now``). The skin-profile screen
also takes a note ("why"), which no core hook carries: its operation leaves the note in
``session.info`` (this request's session only) for the hook to pick up.
"""
from __future__ import annotations

import json
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import members as member_service
from core.errors import Invalid, problem
from core.merchant_config import MerchantConfig
from core.models import Member, Staff
from core.schemas import check_body

from .common import PLUGIN_FIELDS, TRACKED
from .models import ProfileChange

_NOTE = "cosmetics_profile.change_note"
SCREEN = json.loads((Path(__file__).parent / "schemas" / "screens" / "skin_profile.json")
                    .read_text(encoding="utf-8"))
# The operation takes exactly what the skin-profile screen submits.
PROFILE_INPUT = SCREEN["data_schema"]


@contextmanager
def noting(session: Session, note: str):
    """Within the block, profile changes are recorded with ``note``."""
    session.info[_NOTE] = note
    try:
        yield
    finally:
        session.info.pop(_NOTE, None)


def record_changes(session: Session, member: Member, changes: dict, *, staff_id: int | None,
                   now: datetime) -> list[ProfileChange]:
    """One history row per tracked field in ``changes`` ({key: {"from", "to"}})."""
    note = session.info.get(_NOTE, "")
    rows = []
    for key in TRACKED:
        if key not in changes:
            continue
        row = ProfileChange(merchant_id=member.merchant_id, member_id=member.id,
                            field=key.removeprefix("extra."), old_value=changes[key]["from"],
                            new_value=changes[key]["to"], staff_id=staff_id,
                            note=note, changed_at=now)
        session.add(row)
        rows.append(row)
    session.flush()
    return rows


def initial_changes(member: Member) -> dict:
    """A new member's tracked values as changes from nothing (the first history entries)."""
    extra = member.extra or {}
    changes = {f"extra.{key}": {"from": None, "to": extra[key]} for key in PLUGIN_FIELDS
               if extra.get(key) not in (None, "", [])}
    for key in ("occupation", "income_band", "birthday"):
        if getattr(member, key):
            changes[key] = {"from": None, "to": getattr(member, key)}
    return changes


def profile_json(session: Session, member: Member) -> dict:
    extra = member.extra or {}
    return {"member_id": member.id, "skin_type": extra.get("skin_type"),
            "skin_concerns": extra.get("skin_concerns", []),
            "has_allergies": bool(extra.get("allergies")), "allergies": extra.get("allergies", ""),
            "products_in_use": extra.get("products_in_use", ""),
            "history": history(session, member)}


def history(session: Session, member: Member) -> list[dict]:
    rows = session.execute(
        select(ProfileChange, Staff.display_name).outerjoin(Staff, Staff.id == ProfileChange.staff_id)
        .where(ProfileChange.merchant_id == member.merchant_id, ProfileChange.member_id == member.id)
        .order_by(ProfileChange.changed_at.desc(), ProfileChange.id.desc())).all()
    return [{"id": row.id, "field": row.field, "from": row.old_value, "to": row.new_value,
             "staff_id": row.staff_id, "staff_name": name or "", "note": row.note,
             "changed_at": row.changed_at.isoformat()} for row, name in rows]


def update_profile(session: Session, config: MerchantConfig, member: Member, body: dict, *,
                   staff_id: int | None, now: datetime) -> Member:
    """Replace the skin profile with ``body`` (the skin-profile screen's data), through the
    core's member update so the field validation and the history hook apply as anywhere."""
    check_body(body, PROFILE_INPUT, "the skin profile is not valid; nothing was saved")
    allergies = (body.get("allergies") or "").strip()
    has_allergies = body.get("has_allergies", bool(allergies))
    if has_allergies and not allergies:
        raise Invalid("say what the member is allergic to; nothing was saved",
                      details=[problem("/allergies", "required when the member has allergies")])
    if not has_allergies and allergies:
        raise Invalid("allergies are given but has_allergies is false; nothing was saved",
                      details=[problem("/has_allergies", "true when allergies are given")])
    extra = {"skin_type": body["skin_type"],
             "skin_concerns": body.get("skin_concerns") or None,  # None removes the key
             "allergies": allergies or None,
             "products_in_use": (body.get("products_in_use") or "").strip() or None}
    with noting(session, (body.get("change_note") or "").strip()):
        member_service.update_member(session, config, member, {"extra": extra},
                                     staff_id=staff_id, now=now)
    return member
