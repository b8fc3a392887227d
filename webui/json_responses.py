"""JSON responses written by orjson, byte for byte what Flask's own provider writes.

Flask's provider runs ``json.dumps`` with ``sort_keys`` and a Python ``default``; on a
checkout's answer (about 1.3 KB) that was a few percent of the request's CPU, where orjson
takes a tenth of it (issue 11, item 2). The output is the same: keys sorted, no spaces, UTF-8
text rather than escapes (``ensure_ascii`` off, as the app sets it), a newline at the end;
dates and datetimes (RFC 822, ``http_date``), Decimals, dataclasses and ``__html__`` objects
still go through Flask's ``default``. Whatever orjson refuses (an integer past 64 bits, a key
that is not a string, a lone surrogate) is written by Flask's provider as before, so an odd
value gets exactly the old answer (or the old error). So is a float orjson spells otherwise:
one with an exponent from -5 to -9 (orjson 0.000015, 1e-7; Python 1.5e-05, 1e-07), seen in
orjson's text (a string that looks alike only costs the slower path). NaN and infinities,
which no input can hold (webui.guards), orjson writes as null, Python as NaN / Infinity.
Reading JSON is left to Flask.
"""
from __future__ import annotations

import re

import orjson
from flask.json.provider import DefaultJSONProvider

_OPTIONS = (orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME
            | orjson.OPT_PASSTHROUGH_DATACLASS)
# Where orjson's float text differs from Python's repr (the exponents -5 to -9).
_OTHER_FLOAT_TEXT = re.compile(rb"[0-9]e-[0-9](?![0-9])|0\.0000[1-9]").search


class OrjsonResponses(DefaultJSONProvider):
    """Flask's JSON provider; compact responses (the default outside debug) by orjson."""

    def response(self, *args, **kwargs):
        if self.compact is False or (self.compact is None and self._app.debug) or not (
                self.sort_keys and not self.ensure_ascii):
            return super().response(*args, **kwargs)
        value = self._prepare_response_obj(args, kwargs)
        try:
            text = orjson.dumps(value, default=self.default, option=_OPTIONS)
        except orjson.JSONEncodeError:
            return super().response(*args, **kwargs)
        if (b"e-" in text or b"0.0000" in text) and _OTHER_FLOAT_TEXT(text) is not None:
            return super().response(*args, **kwargs)  # (byte searches first: ~1.5 us a KB)
        return self._app.response_class(text + b"\n", mimetype=self.mimetype)
