"""The Bot API over HTTP: `/bot<token>/<method>` recorded, its parameters decoded, routed to the
resource that answers it, or answered with a failure a test injected."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from aiohttp import web

from tests.fakes.recording import notify
from tests.fakes.telegram import chat_payloads, wire
from tests.fakes.telegram.state import (
    ApiError,
    Failure,
    Method,
    RecordedCall,
    TelegramState,
    UploadMethod,
    bad,
)
from tests.fakes.telegram.wire import JSON

_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request: injected failure",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


class Api(TelegramState):
    """Recording, routing and injected failures for every method."""

    def _methods(self) -> list[Method]:
        return [
            *super()._methods(),
            ("getMe", self._get_me),
            ("logOut", self._true),
            ("close", self._true),
        ]

    @cached_property
    def _method_table(self) -> dict[str, Method]:
        return {name.lower(): (name, handler) for name, handler in self._methods()}

    @cached_property
    def _upload_table(self) -> dict[str, UploadMethod]:
        return {name.lower(): (name, handler) for name, handler in self._upload_methods()}

    def fail_next(
        self,
        method: str,
        status: int,
        *,
        times: int = 1,
        retry_after: int = 1,
        description: str | None = None,
    ) -> None:
        """Answer the next `times` calls of `method` with `status`, doing nothing else. A 429
        carries parameters.retry_after (PTB raises RetryAfter)."""
        failure = Failure(status, retry_after, description)
        self._failures.add(failure, method=method.lower(), times=times)

    async def wait_for_call(self, method: str, *, timeout: float = 5.0) -> RecordedCall:  # noqa: ASYNC109
        """The earliest answered call of `method` not returned before (a retry is a second
        call)."""
        wanted = method.lower()

        def missing() -> str:
            seen = [f"{c.method} -> {c.status}" for c in self.calls if c.method != "getUpdates"]
            return f"no {method} call within {timeout}s; calls: {seen}"

        return await self._calls.wait_for(
            lambda call: call.status is not None and call.method.lower() == wanted,
            timeout=timeout,
            on_timeout=missing,
        )

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        known = self._method_table.get(name.lower())
        upload = self._upload_table.get(name.lower())
        canonical = known[0] if known else upload[0] if upload else name
        call = self._calls.record(RecordedCall(canonical, {}, http_method=request.method))
        try:
            call.params, call.files = await _read_params(request)
            if request.match_info["token"] != self.TOKEN:
                raise ApiError(401, "Unauthorized")
            if known is None and upload is None:
                raise ApiError(404, "Not Found: method not found")
            self._injected_failure(call.method)
            if upload is not None:
                result = await upload[1](call.params, call.files)
            elif known is not None:
                result = await known[1](call.params)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, exc.body
        except ValueError as exc:  # a parameter of the wrong type (see wire.as_int)
            status, body = 400, wire.error(400, f"Bad Request: invalid {exc} specified")
        call.status, call.response = status, body
        await notify(self._changed)
        return web.json_response(body, status=status)

    def _injected_failure(self, method: str) -> None:
        failure = self._failures.take(method.lower())
        if failure is None:
            return
        if failure.status == 429:
            raise ApiError(
                429,
                failure.description or f"Too Many Requests: retry after {failure.retry_after}",
                {"retry_after": failure.retry_after},
            )
        raise ApiError(
            failure.status,
            failure.description or _DEFAULT_DESCRIPTIONS.get(failure.status, "Error"),
        )

    async def _true(self, params: JSON) -> bool:
        return True

    async def _get_me(self, params: JSON) -> JSON:
        return chat_payloads.get_me(self._bot, reads_all_group_messages=not self.privacy_mode)


async def _read_params(request: web.Request) -> tuple[JSON, dict[str, bytes]]:
    """Parameters from the query string and the body (form, multipart or JSON), decoded."""
    raw: dict[str, Any] = dict(request.query)
    files: dict[str, bytes] = {}
    if request.can_read_body:
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError:
                raise bad("can't parse JSON object") from None
            if not isinstance(body, dict):
                raise bad("can't parse JSON object")
            raw.update(body)
        elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[value.filename or key] = value.file.read()
                    raw.setdefault(key, f"attach://{value.filename or key}")
                else:
                    raw[key] = value
    return wire.decode_params(raw), files
