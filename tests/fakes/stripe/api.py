"""The API over HTTP: each request recorded, authenticated, routed to the resource that answers it,
replayed from the idempotency store when its Idempotency-Key was used before, or answered with
a failure a test injected (as Stripe answers each status)."""

from __future__ import annotations

import base64
import contextlib
import copy
import json
import re
import urllib.parse
from functools import cached_property
from typing import Any

from aiohttp import web

from tests.fakes.recording import RestCalls, notify
from tests.fakes.stripe import wire
from tests.fakes.stripe.params import ApiError
from tests.fakes.stripe.state import (
    API_PREFIX,
    Context,
    Failure,
    Handler,
    RecordedCall,
    Saved,
    StripeState,
)
from tests.fakes.stripe.wire import JSON

_RECORDED_HEADERS = ("Idempotency-Key", "Stripe-Version", "Stripe-Account", "Content-Type")
_LOCK_TIMEOUT = (
    "This object cannot be accessed right now because another API request or Stripe process is "
    "currently accessing it. If you see this error intermittently, retry the request. If you see "
    "this error frequently and are making multiple concurrent requests to a single object, make "
    "your requests serially or at a lower rate."
)


_RATE_LIMIT = (
    "Request rate limit exceeded. Learn more about rate limits here "
    "https://stripe.com/docs/rate-limits."
)


class Api(StripeState, RestCalls[RecordedCall]):
    """Recording, authentication, idempotency and injected failures for every request."""

    @cached_property
    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler]]:
        return [(method, re.compile(rx + "$"), handler) for method, rx, handler in self._routes()]

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        error_type: str | None = None,
        code: str | None = None,
        should_retry: bool | None = None,
        message: str | None = None,
    ) -> None:
        """Answer the next `times` matching calls (re.search on the path, e.g. r"/v1/refunds$")
        with an error, before the endpoint runs (so no idempotent result is saved).

        Defaults by status, as Stripe answers: 429 -> code "lock_timeout" with
        `Stripe-Should-Retry: true` (retried by the client when max_network_retries >= 1;
        pass code="rate_limit" for a plain rate limit, which clients do not retry);
        402 -> card_error "card_declined"; 400 -> invalid_request_error; 401 -> bad API key;
        5xx -> api_error (no Stripe-Should-Retry: the client retries 5xx)."""
        failure = Failure(status, error_type, code, should_retry, message)
        self._failures.add(failure, method=method.upper(), path_regex=path_regex, times=times)

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        key = request.headers.get("Idempotency-Key")
        call = self._calls.record(
            RecordedCall(
                request.method,
                request.path,
                {},
                {h: request.headers[h] for h in _RECORDED_HEADERS if h in request.headers},
            )
        )
        request_id = wire.new_id("req_", 14)
        headers = {
            "Request-Id": request_id,
            "Stripe-Version": request.headers.get("Stripe-Version", wire.API_VERSION),
        }
        if key is not None:
            headers["Idempotency-Key"] = key
        ctx = Context(request_id, key if request.method == "POST" else None)
        try:
            call.params = _read_params(request.query_string, await request.text())
            self._authenticate(request.headers.get("Authorization", ""))
            handler, match = self._route(request.method, request.path)
            self._injected_failure(request.method, request.path)
            status, body, extra, replayed = await self._run(handler, match, call, ctx)
            headers.update(extra)
            call.replayed = replayed
        except ApiError as exc:
            status, body = exc.status, exc.body
            headers.update(exc.headers)
        except Exception as exc:  # a bug in the fake: answer as Stripe would, keep the cause
            self.crashes.append(exc)
            status, body = 500, wire.error("api_error", f"fake Stripe crashed: {exc!r}")
        call.status, call.response = status, body
        if status < 300 and ctx.events and not call.replayed and self.webhook_url is not None:
            self._outbox.extend(ctx.events)
        await notify(self._changed)
        return web.json_response(body, status=status, headers=headers)

    async def _run(
        self, handler: Handler, match: re.Match[str], call: RecordedCall, ctx: Context
    ) -> tuple[int, Any, dict[str, str], bool]:
        """Run the endpoint, or replay what was saved under the Idempotency-Key."""
        key = ctx.idempotency_key
        if key is None:
            return 200, await handler(call, match, ctx), {}, False
        fingerprint = (call.method, call.path, json.dumps(call.params, sort_keys=True))
        saved = self._idempotency.get(key)
        if saved is not None:
            if saved.fingerprint != fingerprint:
                raise ApiError(
                    400,
                    "idempotency_error",
                    "Keys for idempotent requests can only be used with the same parameters "
                    f"they were first used with. Try using a key other than '{key}' if you "
                    "meant to execute a different request.",
                    saved=False,
                )
            replay = {"Idempotent-Replayed": "true", "Original-Request": saved.request_id}
            return saved.status, copy.deepcopy(saved.body), {**saved.headers, **replay}, True
        if key in self._in_flight:
            raise ApiError(
                409,
                "idempotency_error",
                "There is currently another in-progress request using this Idempotent Key "
                "(that probably means you submitted twice, and the other request is still "
                f"going through): {key}. Please try again later.",
                code="idempotency_key_in_use",
                saved=False,
            )
        self._in_flight.add(key)
        try:
            status, body, extra = 200, await handler(call, match, ctx), {}
        except ApiError as exc:
            if not exc.saved:
                raise
            status, body, extra = exc.status, exc.body, exc.headers
        finally:
            self._in_flight.discard(key)
        self._idempotency[key] = Saved(
            fingerprint, status, copy.deepcopy(body), extra, ctx.request_id or ""
        )
        return status, body, extra, False

    def _authenticate(self, authorization: str) -> None:
        scheme, _, credential = authorization.partition(" ")
        if scheme.lower() == "basic":
            with contextlib.suppress(ValueError):
                credential = base64.b64decode(credential).decode().partition(":")[0]
        elif scheme.lower() != "bearer":
            credential = ""
        if not credential:
            raise ApiError(
                401,
                "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
                saved=False,
            )
        if credential != self.API_KEY:
            shown = credential[:8] + "*" * 12 + credential[-4:]
            raise ApiError(
                401,
                "invalid_request_error",
                f"Invalid API Key provided: {shown}",
                saved=False,
            )

    def _route(self, method: str, path: str) -> tuple[Handler, re.Match[str]]:
        if path.startswith(API_PREFIX + "/"):
            tail = path[len(API_PREFIX) :]
            for route_method, pattern, handler in self._route_table:
                if route_method == method and (match := pattern.match(tail)):
                    return handler, match
        raise ApiError(
            404,
            "invalid_request_error",
            f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs "
            "or we can help at https://support.stripe.com/.",
            saved=False,
        )

    def _injected_failure(self, method: str, path: str) -> None:
        failure = self._failures.take(method, path)
        if failure is not None:
            raise _failure_error(failure)


def _read_params(query: str, body: str) -> JSON:
    pairs = urllib.parse.parse_qsl(query, keep_blank_values=True)
    pairs += urllib.parse.parse_qsl(body, keep_blank_values=True)
    return wire.decode_form(pairs)


def _failure_error(failure: Failure) -> ApiError:
    status, code = failure.status, failure.code
    headers: dict[str, str] = {}
    extra: JSON = {}
    if status == 429:
        code = code or "lock_timeout"
        error_type = failure.error_type or "invalid_request_error"
        message = failure.message or (_LOCK_TIMEOUT if code == "lock_timeout" else _RATE_LIMIT)
        should_retry = failure.should_retry
        if should_retry is None and code == "lock_timeout":
            should_retry = True
    elif status == 402:
        code = code or "card_declined"
        error_type = failure.error_type or "card_error"
        message = failure.message or "Your card was declined."
        extra["decline_code"] = "generic_decline"
        should_retry = failure.should_retry
    elif status == 401:
        error_type = failure.error_type or "invalid_request_error"
        message = failure.message or "Invalid API Key provided: sk_test_****************"
        should_retry = failure.should_retry
    elif 400 <= status < 500:
        error_type = failure.error_type or "invalid_request_error"
        message = failure.message or "Injected failure (fake Stripe fail_next)."
        should_retry = failure.should_retry
    else:
        error_type = failure.error_type or "api_error"
        message = failure.message or (
            "Sorry, something went wrong. We've already been notified of the problem, but if "
            "you need any help, you can reach us at support.stripe.com/contact."
        )
        should_retry = failure.should_retry
    if should_retry is not None:
        headers["Stripe-Should-Retry"] = "true" if should_retry else "false"
    return ApiError(status, error_type, message, code=code, headers=headers, saved=False, **extra)
