"""The HTTP side: health and metrics now; payment webhooks and the sandbox checkout later."""

from __future__ import annotations

import asyncio
import logging

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)

HEALTH_TIMEOUT_SECONDS = 2.0
ENGINE_KEY = web.AppKey("engine", AsyncEngine)


async def healthz(request: web.Request) -> web.Response:
    engine = request.app[ENGINE_KEY]
    try:
        async with asyncio.timeout(HEALTH_TIMEOUT_SECONDS), engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
    except Exception as error:  # any failure means "not healthy", and must not crash the probe
        log.warning("health check: database did not answer: %s", type(error).__name__)
        return web.json_response({"status": "error", "database": "unreachable"}, status=503)
    return web.json_response({"status": "ok", "database": "ok"})


async def metrics(_request: web.Request) -> web.Response:
    return web.Response(body=generate_latest(), headers={"Content-Type": CONTENT_TYPE_LATEST})


def build_web_app(engine: AsyncEngine) -> web.Application:
    app = web.Application(client_max_size=1024 * 1024)
    app[ENGINE_KEY] = engine
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
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
