"""The Flask class Huika runs: Flask, minus per-request work that gives the same answer every
time (issue 11, F4).

Flask asks ``inspect.iscoroutinefunction`` about every hook and view on every request (a
dozen times per API request, about a twentieth of a member lookup). Whether a function is a
coroutine function never changes, so the answer is remembered per function. JSON answers
are written by orjson (webui/json_responses.py).
"""
from __future__ import annotations

from typing import Any, Callable

from flask import Flask

from .json_responses import OrjsonResponses

_MAX_REMEMBERED = 4096  # hooks and views are a few hundred; a per-request closure must not pile up


class HuikaFlask(Flask):
    json_provider_class = OrjsonResponses

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._sync_versions: dict[Callable, Callable] = {}

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        try:
            return self._sync_versions[func]
        except KeyError:
            pass
        except TypeError:  # not hashable: ask every time, as Flask does
            return super().ensure_sync(func)
        synchronous = super().ensure_sync(func)
        if len(self._sync_versions) >= _MAX_REMEMBERED:
            self._sync_versions.clear()
        self._sync_versions[func] = synchronous
        return synchronous
