"""Tests of the points plugin (P1-P8), through the API on SQLite and PostgreSQL."""
