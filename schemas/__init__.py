"""Huika's meta-schemas (JSON Schema 2020-12) and their example fixtures.

Each ``<kind>.schema.json`` file here has an offline ``$id`` (``urn:huika:core:<kind>:v1``)
and refers to the others only by that URN; ``core.schemas.load_registry`` loads them all into
one ``referencing.Registry`` so nothing is ever fetched. ``examples/valid/<kind>/`` and
``examples/invalid/<kind>/`` hold the fixtures the tests run. The formats are specified in
``docs/formats.md``.
"""
from pathlib import Path

SCHEMA_DIR = Path(__file__).parent
