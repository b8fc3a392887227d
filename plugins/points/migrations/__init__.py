"""Alembic branch ``points`` of the points plugin (registered through ``register_migrations``)."""
