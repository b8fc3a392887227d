from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import JSON, BigInteger, DateTime, Integer, MetaData, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase

from ..clock import now_utc as utcnow  # noqa: F401  (models use it as a column default)

# Stable constraint names so Alembic migrations are identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# 64-bit ids on PostgreSQL; SQLite only autoincrements a plain INTEGER primary key.
BigId = BigInteger().with_variant(Integer(), "sqlite")
JsonDocument = JSON().with_variant(JSONB(), "postgresql")


class UtcDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both databases (SQLite drops tzinfo on the way back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None:
            if value.tzinfo is None:
                raise ValueError("naive datetime given; Huika stores aware UTC datetimes")
            value = value.astimezone(timezone.utc)
        return value

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value

    def result_processor(self, dialect, coltype):
        usual = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or usual is None:
            return usual
        parse = datetime.fromisoformat

        def process(value):
            # SQLite hands back the text SQLAlchemy stored: "YYYY-MM-DD HH:MM:SS.ffffff" (UTC).
            # That form becomes an aware datetime in one C call instead of a parse, a
            # TypeDecorator hop and ``replace``: a page of 20 members reads 120 of them
            # (issue 11, F4). Any other form takes the usual path.
            if value.__class__ is str and len(value) == _STORED_LENGTH and value[10] == " ":
                try:
                    return parse(value + "+00:00")
                except ValueError:
                    pass
            return usual(value)

        return process


_STORED_LENGTH = len("2026-01-01 00:00:00.000000")  # SQLAlchemy's SQLite DATETIME text


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
