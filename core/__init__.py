"""Huika core: domain, persistence, ledger, plugin manager, schemas and config versions.

The core knows no HTTP and no HTML, and imports no plugin and no webui.
"""
