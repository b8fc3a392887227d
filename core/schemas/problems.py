"""Schema problems: a ``SchemaProblem`` per reason, at the JSON Pointer of the offending value,
in words people can act on, and the integer-only rule (no floats, 64-bit integers).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Iterator

from jsonschema.exceptions import ValidationError

from ..text import VISIBLE_PATTERN, int64_problem

__all__ = [
    "SchemaProblem",
    "escape_pointer",
    "merge_problems",
    "number_problems",
    "pointer_of",
    "problem_from_error",
]


@dataclass(frozen=True)
class SchemaProblem:
    """One reason a document is invalid.

    ``pointer`` is the JSON Pointer (RFC 6901) of the offending value, ``""`` for the whole
    document; ``message`` says what is wrong with it.
    """

    pointer: str
    message: str

    def __str__(self) -> str:
        return f"{self.pointer or '(document)'}: {self.message}"


def escape_pointer(part: Any) -> str:
    return str(part).replace("~", "~0").replace("/", "~1")


def pointer_of(parts: Iterable[Any]) -> str:
    return "".join("/" + escape_pointer(part) for part in parts)


def problem_from_error(error: ValidationError, document: Any = None, prefix: str = "",
             meta: bool = False) -> SchemaProblem:
    path = list(error.absolute_path)
    message = error.message
    forbidden = (error.validator == "not" and error.validator_value == {}) or (
        error.validator is None and error.schema is False)
    if forbidden:
        # The meta-schemas forbid a property with ``{"not": {}}``: say so plainly, naming the
        # sibling ``type`` (or ``kind``) that rules it out.
        if path and isinstance(path[-1], str):
            message = f"{path[-1]!r} is not allowed here"
            parent = _at(document, path[:-1])
            for selector in ("type", "kind"):
                if isinstance(parent, dict) and isinstance(parent.get(selector), str):
                    message = f"{path[-1]!r} is not allowed when {selector} is {parent[selector]!r}"
                    break
        else:
            message = "this value is not allowed here"
    elif error.validator == "pattern":
        if error.validator_value in _PATTERN_MESSAGES:
            message = f"{error.instance!r} {_PATTERN_MESSAGES[error.validator_value]}"
        elif meta and isinstance(error.schema, dict) \
                and isinstance(error.schema.get("description"), str):
            # The meta-schemas describe each pattern in words; a raw regex helps nobody.
            message = f"{error.instance!r} is not valid here: expected {error.schema['description']}"
    elif error.validator == "const" and error.validator_value is False and path \
            and path[-1] == "additionalProperties":
        message = "additionalProperties must be false: objects here are closed"
    return SchemaProblem(prefix + pointer_of(path), message)


# Plain words for the patterns people meet most (a raw regex helps nobody in the editor).
_PATTERN_MESSAGES = {
    "\\S": "is blank",
    VISIBLE_PATTERN: "has no visible character (only spaces, zero-width or direction marks)",
    "^[a-z][a-z0-9_]{0,39}$": "is not a slug (a lower-case letter, then at most 39 lower-case "
                              "letters, digits or underscores)",
}


def _at(document: Any, path: list) -> Any:
    """The value at ``path`` inside ``document`` (None if there is none)."""
    for part in path:
        try:
            document = document[part]
        except (KeyError, IndexError, TypeError):
            return None
    return document


def _sort_key(problem: SchemaProblem) -> tuple:
    # Natural order: /tiers/2 before /tiers/10.
    parts = problem.pointer.split("/")[1:]
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts), problem.message


def merge_problems(problems: list[SchemaProblem], extra: list[SchemaProblem]) -> list[SchemaProblem]:
    """Schema problems plus extra ones not at a pointer the schema already complained about."""
    seen = {p.pointer for p in problems}
    merged = set(problems) | {p for p in extra if p.pointer not in seen}
    return sorted(merged, key=_sort_key)


def number_problems(value: Any, pointer: str) -> Iterator[SchemaProblem]:
    """Floats anywhere (JSON Schema counts 1.0 as an integer, Huika does not), and integers
    no 64-bit column can hold."""
    if isinstance(value, float):
        yield SchemaProblem(pointer, f"{value!r} is not an integer: Huika never uses floats "
                                     "(money is integer fen, rates integer per-mille)")
    elif isinstance(value, int) and not isinstance(value, bool) and int64_problem(value):
        yield SchemaProblem(pointer, f"{value} is out of range: {int64_problem(value)}")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from number_problems(item, f"{pointer}/{escape_pointer(key)}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from number_problems(item, f"{pointer}/{index}")
