"""Helpers for ``python -m tests.bench`` and tests/test_concurrency.py (no tests here)."""
