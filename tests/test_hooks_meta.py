"""Keeping hooks honest (as datasette does): every hook is documented and tested."""
from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from core import hookspecs

ROOT = Path(__file__).resolve().parent.parent
HOOKS = sorted(name for name, value in vars(hookspecs).items()
               if inspect.isfunction(value) and hasattr(value, "huika_spec"))


def test_there_are_hooks():
    assert "validate_config" in HOOKS and len(HOOKS) >= 5


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented(hook):
    text = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    assert re.search(rf"^### `{hook}\(", text, re.MULTILINE), f"document {hook} in docs/plugins.md"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_tested(hook):
    text = (ROOT / "tests" / "test_hooks.py").read_text(encoding="utf-8")
    assert re.search(rf"^def test_hook_{hook}[_(]", text, re.MULTILINE), f"add test_hook_{hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_has_a_one_line_docstring(hook):
    doc = getattr(hookspecs, hook).__doc__ or ""
    assert doc.strip() and "\n" not in doc.strip(), hook
