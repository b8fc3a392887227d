"""Real local servers standing in for the message gateways (issue 14, item 4).

Each runs on 127.0.0.1 in a thread, checks the request the way the real gateway does
(format, signature, token), records what it accepted, and can be told how to answer the
next requests (``fail_next(...)``):

- ``"ok"``: accept and answer;
- ``"500"``: refuse with 500 (not accepted);
- ``"busy"``: the provider's own "try later" answer (not accepted);
- ``"timeout"``: accept, then answer only after the client gave up (the answer is lost);
- ``"hold"``: accept, signal ``accepted``, and answer only when ``release()`` is called
  (a test kills the dispatcher in between).

``deliveries`` counts accepted messages by our outbox key, the way the phone or mailbox
would see them (a gateway that deduplicates counts a repeated key once, and says so in
``duplicates``).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import socket
import threading
import time
from collections import Counter, deque
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LATE = 2.5  # seconds a "timeout" answer waits: longer than the senders' 1 s test timeout


def closed_port() -> int:
    """A port nothing listens on (connection refused)."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


class StandIn:
    """Shared bookkeeping of a stand-in gateway."""

    def __init__(self) -> None:
        self.modes: deque[str] = deque()
        self.requests: list[dict] = []
        self.deliveries: Counter = Counter()
        self.duplicates = 0
        self.rejected: list[str] = []
        self.accepted = threading.Event()
        self._release = threading.Event()
        self.lock = threading.Lock()

    def fail_next(self, *modes: str) -> None:
        self.modes.extend(modes)

    def next_mode(self) -> str:
        with self.lock:
            return self.modes.popleft() if self.modes else "ok"

    def release(self) -> None:
        self._release.set()

    def after_accepting(self, mode: str) -> None:
        """Delay the answer as the mode says (the message is already accepted)."""
        if mode == "timeout":
            time.sleep(LATE)
        elif mode == "hold":
            self.accepted.set()
            self._release.wait(30)


class _JsonHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # quiet test output
        pass

    def _answer(self, status: int, payload: dict) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout): its answer is lost, as on the internet

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self):
        self.server.gateway.handle(self, "GET", b"")

    def do_POST(self):
        self.server.gateway.handle(self, "POST", self._body())


class HttpStandIn(StandIn):
    def __init__(self) -> None:
        super().__init__()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _JsonHandler)
        self.httpd.daemon_threads = True
        self.httpd.gateway = self
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def start(self):
        self.thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self.httpd.shutdown()
        self.httpd.server_close()

    def handle(self, handler, method, body) -> None:  # pragma: no cover - each gateway has one
        raise NotImplementedError


class SmsGateway(HttpStandIn):
    """The generic SMS HTTP gateway: JSON POST with an Idempotency-Key it deduplicates."""

    def __init__(self, token: str = "Bearer gw-token") -> None:
        super().__init__()
        self.token = token
        self.answers: dict[str, dict] = {}

    def handle(self, handler, method, body):
        payload = json.loads(body.decode("utf-8"))
        key = handler.headers.get("Idempotency-Key")
        self.requests.append({"headers": dict(handler.headers), "json": payload})
        if handler.headers.get("Authorization") != self.token:
            self.rejected.append("auth")
            return handler._answer(401, {"error": "bad token"})
        if not key or payload.get("out_id") != key or not payload.get("to") or not payload.get("text"):
            self.rejected.append("format")
            return handler._answer(400, {"error": "to, text, out_id = Idempotency-Key"})
        mode = self.next_mode()
        if mode in ("500", "busy"):
            return handler._answer(500 if mode == "500" else 429, {"error": mode})
        with self.lock:
            if key in self.answers:  # the same message again: no second SMS, same answer
                self.duplicates += 1
                answer = self.answers[key]
            else:
                self.deliveries[key] += 1
                answer = self.answers[key] = {"id": f"gw-{len(self.answers) + 1}"}
        self.after_accepting(mode)
        handler._answer(200, answer)


def tc3_signature(secret_key: str, day: str, string_to_sign: str, service: str = "sms") -> str:
    """The stand-in's own TC3-HMAC-SHA256 (written from Tencent's Signature v3 steps)."""
    key = hmac.new(("TC3" + secret_key).encode(), day.encode(), hashlib.sha256).digest()
    key = hmac.new(key, service.encode(), hashlib.sha256).digest()
    key = hmac.new(key, b"tc3_request", hashlib.sha256).digest()
    return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()


class TencentSms(HttpStandIn):
    """Tencent Cloud SMS SendSms 2021-01-11: checks the TC3 signature and the parameters."""

    def __init__(self, secret_id: str = "AKIDtest", secret_key: str = "tc-secret-key",
                 app_id: str = "1400006666") -> None:
        super().__init__()
        self.secret_id, self.secret_key, self.app_id = secret_id, secret_key, app_id

    def _signature_problem(self, headers, body: bytes) -> str | None:
        auth = headers.get("authorization", "")
        try:
            algorithm, rest = auth.split(" ", 1)
            parts = dict(part.strip().split("=", 1) for part in rest.split(","))
            secret_id, day, service, end = parts["Credential"].split("/")
        except ValueError:
            return "malformed Authorization"
        timestamp = headers.get("x-tc-timestamp", "")
        if algorithm != "TC3-HMAC-SHA256" or secret_id != self.secret_id or end != "tc3_request":
            return "wrong credential"
        if datetime.fromtimestamp(int(timestamp), timezone.utc).strftime("%Y-%m-%d") != day:
            return "date does not match the timestamp"
        signed = parts["SignedHeaders"].split(";")
        canonical_headers = "".join(f"{name}:{headers.get(name, '').strip().lower() if name == 'x-tc-action' else headers.get(name, '').strip()}\n"
                                    for name in signed)
        canonical = "\n".join(["POST", "/", "", canonical_headers, ";".join(signed),
                               hashlib.sha256(body).hexdigest()])
        to_sign = "\n".join(["TC3-HMAC-SHA256", timestamp, f"{day}/{service}/tc3_request",
                             hashlib.sha256(canonical.encode()).hexdigest()])
        if not hmac.compare_digest(parts["Signature"], tc3_signature(self.secret_key, day, to_sign, service)):
            return "signature mismatch"
        return None

    def handle(self, handler, method, body):
        headers = {key.lower(): value for key, value in handler.headers.items()}
        payload = json.loads(body.decode("utf-8"))
        self.requests.append({"headers": headers, "json": payload})
        problem = self._signature_problem(headers, body)
        if problem is None and (headers.get("x-tc-action") != "SendSms" or
                                headers.get("x-tc-version") != "2021-01-11"):
            problem = "action/version"
        if problem:
            self.rejected.append(problem)
            return handler._answer(200, {"Response": {"Error": {
                "Code": "AuthFailure.SignatureFailure", "Message": problem}, "RequestId": "r"}})
        mode = self.next_mode()
        if mode == "500":
            return handler._answer(500, {})
        if mode == "busy":
            return handler._answer(200, {"Response": {"Error": {
                "Code": "RequestLimitExceeded", "Message": "slow down"}, "RequestId": "r"}})
        if payload.get("SmsSdkAppId") != self.app_id or not payload.get("PhoneNumberSet"):
            self.rejected.append("parameters")
            return handler._answer(200, {"Response": {"Error": {
                "Code": "InvalidParameterValue", "Message": "bad"}, "RequestId": "r"}})
        key = payload.get("SessionContext")
        with self.lock:
            self.deliveries[key] += 1  # no deduplication: SessionContext is only echoed
            serial = f"2433:{sum(self.deliveries.values())}"
        self.after_accepting(mode)
        handler._answer(200, {"Response": {"SendStatusSet": [{
            "SerialNo": serial, "PhoneNumber": payload["PhoneNumberSet"][0], "Fee": 1,
            "SessionContext": key, "Code": "Ok", "Message": "send success", "IsoCode": "CN"}],
            "RequestId": "r"}})


class Wechat(HttpStandIn):
    """WeChat: /cgi-bin/token hands out access tokens; template/send checks one."""

    def __init__(self, appid: str = "wx-test-app", secret: str = "wx-secret") -> None:
        super().__init__()
        self.appid, self.secret = appid, secret
        self.tokens_issued = 0
        self.valid_tokens: set[str] = set()

    def expire_tokens(self) -> None:
        self.valid_tokens.clear()

    def handle(self, handler, method, body):
        url = urlsplit(handler.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        if url.path == "/cgi-bin/token":
            if (query.get("grant_type"), query.get("appid"), query.get("secret")) != \
                    ("client_credential", self.appid, self.secret):
                return handler._answer(200, {"errcode": 40125, "errmsg": "invalid appsecret"})
            self.tokens_issued += 1
            token = f"token-{self.tokens_issued}"
            self.valid_tokens.add(token)
            return handler._answer(200, {"access_token": token, "expires_in": 7200})
        if url.path != "/cgi-bin/message/template/send" or method != "POST":
            return handler._answer(404, {})
        payload = json.loads(body.decode("utf-8"))
        self.requests.append({"query": query, "json": payload})
        if query.get("access_token") not in self.valid_tokens:
            return handler._answer(200, {"errcode": 42001, "errmsg": "access_token expired"})
        mode = self.next_mode()
        if mode == "500":
            return handler._answer(500, {})
        if mode == "busy":
            return handler._answer(200, {"errcode": -1, "errmsg": "system error"})
        if not payload.get("touser") or not payload.get("template_id") or not isinstance(payload.get("data"), dict):
            self.rejected.append("format")
            return handler._answer(200, {"errcode": 47001, "errmsg": "data format error"})
        key = payload.get("client_msg_id")
        with self.lock:
            self.deliveries[key] += 1
            msgid = sum(self.deliveries.values())
        self.after_accepting(mode)
        handler._answer(200, {"errcode": 0, "errmsg": "ok", "msgid": msgid})


def self_signed_certificate(folder) -> tuple[str, str]:
    """A certificate for 127.0.0.1 and its key (openssl), to serve TLS the client can verify."""
    import subprocess
    from pathlib import Path

    cert, key = Path(folder) / "smtp.crt", Path(folder) / "smtp.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return str(cert), str(key)


class SmtpServer(StandIn):
    """aiosmtpd on 127.0.0.1: records each message by its Message-ID. ``tls``: "starttls"
    (required before MAIL) or "ssl" (implicit TLS), with ``certificate`` (cert, key) files."""

    def __init__(self, tls: str | None = None, certificate: tuple[str, str] | None = None) -> None:
        super().__init__()
        import ssl

        from aiosmtpd.controller import Controller

        self.messages: list = []
        self.port = closed_port()
        options = {}
        if tls:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(*certificate)
            options = ({"ssl_context": context} if tls == "ssl"
                       else {"tls_context": context, "require_starttls": True})
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port, **options)

    def start(self):
        self.controller.start()
        return self

    def stop(self) -> None:
        self.release()
        self.controller.stop()

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        mode = self.next_mode()
        if mode == "busy":
            return "451 4.3.0 try again later"
        if mode == "500":
            return "554 5.7.1 rejected"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), message))
            self.deliveries[message["Message-ID"]] += 1
        if mode == "timeout":
            await asyncio.sleep(LATE)
        return "250 OK queued"
