"""Alembic branch ``service_packages`` of the service-package plugin (registered through ``register_migrations``)."""
