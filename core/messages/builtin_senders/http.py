"""JSON over HTTP for the gateway senders (stdlib only), with the failure told apart by
whether the gateway can have acted on the request.

- the connection or the request could not be made (refused, DNS, timeout while connecting
  or sending): it certainly was not delivered → ``retry``;
- no answer came after the request went out (timeout or reset while waiting): the gateway
  may have sent it → ``unknown``;
- an answer came: the caller reads it (``HttpAnswer``).
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

from ..senders import SendResult

DEFAULT_TIMEOUT = 10.0
MAX_ANSWER = 64 * 1024


@dataclass
class HttpAnswer:
    status: int
    body: bytes

    def json(self) -> dict:
        try:
            value = json.loads(self.body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return {}
        return value if isinstance(value, dict) else {}


class NoAnswer(Exception):
    """The request could not be completed; ``result`` says whether a retry is safe."""

    def __init__(self, result: SendResult):
        super().__init__(result.error)
        self.result = result


def request(method: str, url: str, *, body: bytes | None = None, headers: dict | None = None,
            timeout: float = DEFAULT_TIMEOUT) -> HttpAnswer:
    """One HTTP request; raises NoAnswer with ``retry`` or ``unknown``."""
    if not url.startswith(("http://", "https://")):
        raise NoAnswer(SendResult("failed", error=f"not an http(s) URL: {url[:80]}"))
    prepared = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(prepared, timeout=timeout) as response:
            return HttpAnswer(response.status, response.read(MAX_ANSWER))
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.read(MAX_ANSWER) if error.fp else b"")
    except urllib.error.URLError as error:
        # urllib wraps what failed while connecting and sending the request: not delivered.
        raise NoAnswer(SendResult("retry", error=f"no connection: {error.reason}")) from None
    except (TimeoutError, OSError) as error:
        # The request went out; the answer did not come back. It may have been acted on.
        raise NoAnswer(SendResult("unknown", error=f"no answer: {error!r}"[:300])) from None


def post_json(url: str, payload: dict, *, headers: dict | None = None,
              timeout: float = DEFAULT_TIMEOUT) -> HttpAnswer:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return request("POST", url, body=body, timeout=timeout,
                   headers={"Content-Type": "application/json; charset=utf-8", **(headers or {})})


def status_result(answer: HttpAnswer, what: str) -> SendResult | None:
    """``retry`` for 429/5xx (the gateway says it did not take it), ``failed`` for other
    non-2xx answers, None for a 2xx the caller reads further."""
    if 200 <= answer.status < 300:
        return None
    text = answer.body[:200].decode("utf-8", "replace")
    if answer.status == 429 or answer.status >= 500:
        return SendResult("retry", error=f"{what} answered {answer.status}: {text}")
    return SendResult("failed", error=f"{what} answered {answer.status}: {text}")
