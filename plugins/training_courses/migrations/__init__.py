"""Alembic branch ``training_courses`` of the training plugin (registered through ``register_migrations``)."""
