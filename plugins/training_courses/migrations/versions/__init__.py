"""Revisions of the ``training_courses`` branch; Alembic reads them by path (``__init__.py`` is skipped)."""
