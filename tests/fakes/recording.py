"""What the fake servers (Discord, Telegram, Stripe) share, apart from their protocols.

- `wait_until` / `notify`: every fake keeps one asyncio.Condition for all its state; whatever
  changes state notifies it, and waiters re-check their predicate under a deadline.
- `CallLog`: items (requests, events, messages) in arrival order, each handed out once, in
  order, by `wait_for`; `RestCalls` gives a fake with a log of REST calls its `wait_for_call`.
- `Failures`: what `fail_next` injected, matched by method (and path) and counted down.
- `LoopbackServer`: an aiohttp application on 127.0.0.1 at a port the OS picks.
- `WebhookSender`: the client session a fake POSTs webhooks with and the task that does it.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import aiohttp
from aiohttp import web

HOST = "127.0.0.1"

T = TypeVar("T")
F = TypeVar("F")


async def notify(changed: asyncio.Condition) -> None:
    """Wake everything waiting on `changed` to re-check its predicate."""
    async with changed:
        changed.notify_all()


async def wait_until(
    changed: asyncio.Condition,
    predicate: Callable[[], bool],
    *,
    timeout: float,  # noqa: ASYNC109
    on_timeout: Callable[[], str] | None = None,
) -> None:
    """Return once `predicate()` holds, re-checked whenever `changed` is notified.

    After `timeout` seconds: TimeoutError, with the message `on_timeout()` builds then (if any).
    """
    try:
        async with asyncio.timeout(timeout), changed:
            await changed.wait_for(predicate)
    except TimeoutError:
        if on_timeout is None:
            raise
        raise TimeoutError(on_timeout()) from None


class CallLog(Generic[T]):
    """Items as they were recorded, in order (`items`); `wait_for` hands each out at most once.

    `changed` is the fake's condition: recording does not notify it, the fake does once the
    item is complete (a call is answered, say), so waiters never see a half-made item."""

    def __init__(self, changed: asyncio.Condition) -> None:
        self.changed = changed
        self.items: list[T] = []
        self._handed_out: set[int] = set()  # indexes into items

    def record(self, item: T) -> T:
        self.items.append(item)
        return item

    async def wait_for(
        self,
        match: Callable[[T], bool],
        *,
        timeout: float,  # noqa: ASYNC109
        on_timeout: Callable[[], str],
    ) -> T:
        """The earliest item `match` accepts that was not handed out before, so waiting twice
        for the same thing sees a second occurrence (a retry) rather than the first again."""

        def first() -> int | None:
            for index, item in enumerate(self.items):
                if index not in self._handed_out and match(item):
                    return index
            return None

        await wait_until(
            self.changed, lambda: first() is not None, timeout=timeout, on_timeout=on_timeout
        )
        index = first()
        assert index is not None
        self._handed_out.add(index)
        return self.items[index]


class HttpCall(Protocol):
    """A recorded REST request: its method, path and answered status (None while open)."""

    @property
    def method(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def status(self) -> int | None: ...


C = TypeVar("C", bound=HttpCall)


class RestCalls(Generic[C]):
    """`wait_for_call` for a fake that logs its REST requests in `_calls`."""

    _calls: CallLog[C]

    async def wait_for_call(
        self,
        method: str,
        path_regex: str,
        *,
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> C:
        """The earliest answered call matching (re.search on the path) not returned before.

        Each call is handed out once, so waiting twice sees a retry as the second call."""
        pattern = re.compile(path_regex)
        wanted = method.upper()

        def matches(call: C) -> bool:
            return (
                call.status is not None
                and call.method == wanted
                and bool(pattern.search(call.path))
            )

        def missing() -> str:
            seen = [f"{c.method} {c.path} -> {c.status}" for c in self._calls.items]
            return f"no {method} {path_regex} within {timeout}s; calls: {seen}"

        return await self._calls.wait_for(matches, timeout=timeout, on_timeout=missing)


@dataclass(eq=False)
class _Injected(Generic[F]):
    method: str
    pattern: re.Pattern[str] | None
    times: int
    failure: F


class Failures(Generic[F]):
    """Failures injected by `fail_next`, each answering the next `times` matching requests.

    A request takes the oldest injection that matches it; `F` is the fake's own description of
    the error to answer with."""

    def __init__(self) -> None:
        self._pending: list[_Injected[F]] = []

    def add(
        self, failure: F, *, method: str, path_regex: str | None = None, times: int = 1
    ) -> None:
        """`method` is compared exactly (normalise its case first); `path_regex`, if given, must
        re.search the request's path."""
        pattern = None if path_regex is None else re.compile(path_regex)
        self._pending.append(_Injected(method, pattern, times, failure))

    def take(self, method: str, path: str = "") -> F | None:
        """The failure to answer this request with, counted down; None if none is pending."""
        for injected in self._pending:
            if injected.method != method:
                continue
            if injected.pattern is not None and not injected.pattern.search(path):
                continue
            injected.times -= 1
            if injected.times <= 0:
                self._pending.remove(injected)
            return injected.failure
        return None


class LoopbackServer:
    """An aiohttp application served on 127.0.0.1 at a port the OS picks."""

    def __init__(self) -> None:
        self.port = 0
        self._runner: web.AppRunner | None = None

    async def start(self, app: web.Application) -> None:
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, HOST, 0).start()
        self.port = self._runner.addresses[0][1]

    def url(self, path: str = "", *, scheme: str = "http") -> str:
        """`path` on this server: url("/v1") is "http://127.0.0.1:<port>/v1"."""
        return f"{scheme}://{HOST}:{self.port}{path}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class WebhookSender:
    """The client side of a fake: a session for POSTing webhooks, and the background task
    (`worker`) that delivers them while the fake runs."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None
        self._worker: asyncio.Task[None] | None = None

    def start(
        self,
        worker: Callable[[], Coroutine[Any, Any, None]],
        *,
        name: str,
        client_timeout: aiohttp.ClientTimeout | None = None,
    ) -> None:
        """Open the session (aiohttp's default timeout unless `client_timeout`), run `worker`."""
        self._session = aiohttp.ClientSession(timeout=client_timeout)
        self._worker = asyncio.create_task(worker(), name=name)

    async def post(
        self,
        url: str,
        data: str | bytes,
        headers: Mapping[str, str],
        *,
        client_timeout: aiohttp.ClientTimeout | None = None,
    ) -> int:
        """POST and return the HTTP status the receiver answered; 0 if it could not be reached
        or did not answer in time (`client_timeout`, else the session's)."""
        assert self._session is not None, "start() the fake first"
        options: dict[str, Any] = {} if client_timeout is None else {"timeout": client_timeout}
        try:
            async with self._session.post(url, data=data, headers=headers, **options) as resp:
                await resp.read()
                return resp.status
        except (aiohttp.ClientError, TimeoutError):
            return 0

    async def stop(self) -> None:
        """Cancel the worker, then close the session."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
        if self._session is not None:
            await self._session.close()
            self._session = None
