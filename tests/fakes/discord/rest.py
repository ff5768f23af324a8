"""REST under /api/v10: each request recorded, routed to the resource that answers it, refused
without the bot token, or answered with a failure a test injected (429s as Discord sends them)."""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse
from functools import cached_property
from typing import Any

from aiohttp import web

from tests.fakes.discord import wire
from tests.fakes.discord.state import (
    API_PREFIX,
    ApiError,
    DiscordState,
    Failure,
    Handler,
    RecordedCall,
)
from tests.fakes.recording import RestCalls, notify


class Rest(DiscordState, RestCalls[RecordedCall]):
    """Routing, recording and injected failures for every REST endpoint."""

    @cached_property
    def _route_table(self) -> list[tuple[str, re.Pattern[str], Handler, bool]]:
        return [(m, re.compile(rx), h, auth) for m, rx, h, auth in self._routes()]

    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int,
        *,
        times: int = 1,
        retry_after: float = 0.05,
        code: int | None = None,
    ) -> None:
        """Answer the next `times` matching REST calls (re.search on the path) with `status`."""
        failure = Failure(status, retry_after, code)
        self._failures.add(failure, method=method.upper(), path_regex=path_regex, times=times)

    async def _api(self, request: web.Request) -> web.StreamResponse:
        path = request.path.removeprefix(API_PREFIX)
        wanted = ("Authorization", "Content-Type", "X-Audit-Log-Reason")
        headers = {h: request.headers[h] for h in wanted if h in request.headers}
        if "X-Audit-Log-Reason" in headers:
            headers["X-Audit-Log-Reason"] = urllib.parse.unquote(headers["X-Audit-Log-Reason"])
        call = self._calls.record(
            RecordedCall(request.method, path, dict(request.query), None, headers)
        )
        try:
            await _read_body(request, call)
            status, body, extra = await self._answer(call)
        except ApiError as exc:
            status, body, extra = exc.status, exc.body, {}
        call.status, call.response = status, body
        await notify(self._changed)
        extra["Via"] = "1.1 google"
        if body is None:
            return web.Response(status=status, headers=extra)
        # discord.py decodes JSON only when Content-Type is exactly application/json
        extra["Content-Type"] = "application/json"
        return web.Response(status=status, body=json.dumps(body).encode(), headers=extra)

    async def _answer(self, call: RecordedCall) -> tuple[int, Any, dict[str, str]]:
        bucket = hashlib.md5(f"{call.method} {call.path}".encode()).hexdigest()[:16]
        failure = self._failures.take(call.method, call.path)
        if failure is not None:
            if failure.status != 429:
                return failure.status, wire.error(failure.status, failure.code), {}
            return 429, *wire.rate_limited(bucket, failure.retry_after)
        allowed = [r for r in self._route_table if r[1].fullmatch(call.path)]
        route = next((r for r in allowed if call.method in r[0].split()), None)
        if route is None:
            raise ApiError(405, 0, "405: Method Not Allowed") if allowed else ApiError(404)
        _, pattern, handler, auth = route
        if auth and call.headers.get("Authorization") != f"Bot {self.TOKEN}":
            raise ApiError(401)
        match = pattern.fullmatch(call.path)
        assert match is not None
        status, body = await handler(call, match)
        return status, body, wire.ratelimit_headers(bucket, remaining=49, reset_after=1.0)


async def _read_body(request: web.Request, call: RecordedCall) -> None:
    if request.content_type == "application/json":
        call.json = await request.json()
    elif request.content_type == "multipart/form-data":
        form = await request.post()
        for name, value in form.items():
            if name == "payload_json":
                call.json = json.loads(str(value))
            elif isinstance(value, web.FileField):
                call.files[value.filename] = value.file.read()
