"""Alembic branch ``cosmetics_profile`` of the cosmetics plugin (registered through ``register_migrations``)."""
