"""What every reminder says about its member, and the store filter the kinds share."""
from __future__ import annotations

from sqlalchemy import Select

from ..models import Member

# Columns each member-based scan selects, in this order, for ``member_facts``.
MEMBER_COLUMNS = (Member.id, Member.name, Member.phone, Member.registered_store_id)


def member_facts(row) -> dict:
    """name and phone: the template variables every kind gives."""
    return {"name": row.name, "phone": row.phone}


def in_store(query: Select, store_id: int | None) -> Select:
    """Members of one store: the store they registered at (its staff call them)."""
    if store_id is None:
        return query
    return query.where(Member.registered_store_id == store_id)
