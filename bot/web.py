"""The HTTP side: health, metrics, Stripe webhooks and the sandbox checkout page."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from payments.webhooks import MAX_BODY_BYTES, StripeWebhook
from storage.engine import make_sessionmaker
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 2.0
ENGINE_KEY = web.AppKey("engine", AsyncEngine)


async def healthz(request: web.Request) -> web.Response:
    """200 while the database answers; "degraded" when promised side effects are dead."""
    engine = request.app[ENGINE_KEY]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            async with UnitOfWorkFactory(make_sessionmaker(engine))() as uow:
                counts = await uow.outbox.counts()
    except Exception as error:  # any failure means "not healthy", and must not crash the probe
        log.warning("health check: database did not answer: %s", type(error).__name__)
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    outbox = {"pending": counts.get("pending", 0), "dead": counts.get("dead", 0)}
    status = "degraded" if outbox["dead"] else "ok"
    return web.json_response({"status": status, "database": "ok", "outbox": outbox})


def stripe_route(webhook: StripeWebhook) -> web.RouteDef:
    async def receive(request: web.Request) -> web.Response:
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return web.Response(status=413)
        body = await request.content.read(MAX_BODY_BYTES + 1)
        status = await webhook.receive(body, request.headers.get("Stripe-Signature"))
        return web.Response(status=status)

    return web.post("/webhooks/stripe", receive)


async def metrics(_request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def build_web_app(engine: AsyncEngine, routes: Sequence[web.RouteDef] = ()) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[ENGINE_KEY] = engine
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    app.router.add_routes(routes)
    return app


class WebServer:
    def __init__(self, app: web.Application) -> None:
        # Short, so SIGTERM stops `knowpay run` well within its 5 seconds.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        self.port: int | None = None

    async def start(self, host: str, port: int) -> int:
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound: int = self._runner.addresses[0][1]
        self.port = bound
        return bound

    async def stop(self) -> None:
        await self._runner.cleanup()
