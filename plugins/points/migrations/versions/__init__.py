"""Revisions of the ``points`` branch; Alembic reads them by path (``__init__.py`` is skipped)."""
