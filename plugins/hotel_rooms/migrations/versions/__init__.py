"""Revisions of the ``hotel_rooms`` branch; Alembic reads them by path (``__init__.py`` is skipped)."""
