"""Forms built at run time from JSON Schema (plugin settings, member fields)."""
from .schema_forms import apply_problems, field_definitions_schema, form_class, form_document

__all__ = ["apply_problems", "field_definitions_schema", "form_class", "form_document"]
