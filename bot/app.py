"""The composition root: build every service once, run the adapters, shut down cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from aiohttp import web
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.adapters.base import Adapter
from bot.adapters.console import ConsoleAdapter, Hello, join
from bot.adapters.console.session import terminal_language
from bot.adapters.discord.access import DiscordAccess, discord_access
from bot.adapters.discord.adapter import DiscordAdapter
from bot.adapters.discord.delivery import DiscordDeliverer, DiscordReportPoster
from bot.adapters.telegram.access import TelegramAccess, telegram_access
from bot.adapters.telegram.adapter import TelegramAdapter
from bot.adapters.telegram.delivery import TelegramDeliverer, TelegramReportPoster
from bot.config import Secrets, Settings, database_url
from bot.console_wiring import console_hub, console_socket
from bot.core.access import PlatformAccess
from bot.core.clock import Clock, ShiftedClock, SystemClock
from bot.core.delivery import OutboxWorker
from bot.core.dispatcher import Dispatcher
from bot.core.outbox import Deliverer
from bot.core.permissions import Level
from bot.errors import StartupError
from bot.payments_wiring import WiredPayments, wire_payments
from bot.sandbox_time import SandboxTime
from bot.scheduler import Scheduler
from bot.web import WebServer, build_web_app
from cogs import build_registry
from cogs.drops.service import load_file, publish_due
from cogs.engagement.report_job import ReportPoster, deliver_due_report
from cogs.engagement.upkeep import keep_interactions
from cogs.membership.lifecycle import run_lifecycle
from cogs.membership.reconcile import Reconciler, ReconcileReport
from cogs.qa.service import keep_deadlines
from cogs.services import Services
from storage.engine import make_engine, make_sessionmaker
from storage.interaction_recorder import InteractionRecorder
from storage.migrate import upgrade
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

SHUTDOWN_SECONDS = 4.0
# Jobs that talk to the platforms wait this long after start, for them to connect.
PLATFORMS_CONNECTED_AFTER = timedelta(minutes=2)


@dataclass
class Core:
    """What every entry point needs: a migrated database, the cogs' services, the dispatcher
    and the payments' routes, jobs and deliverers."""

    settings: Settings
    engine: AsyncEngine
    uow: UnitOfWorkFactory
    clock: Clock
    dispatcher: Dispatcher
    payments: WiredPayments
    # The movable clock, when the sandbox takes the payments.
    sandbox_time: SandboxTime | None = None

    @property
    def services(self) -> Services:
        return self.payments.services


@contextlib.asynccontextmanager
async def open_core(
    settings: Settings, secrets: Secrets, clock: Clock | None = None
) -> AsyncIterator[Core]:
    clock = clock or SystemClock()
    engine = make_engine(database_url(settings, secrets))
    try:
        await migrate(engine, secrets)
        uow = UnitOfWorkFactory(make_sessionmaker(engine))
        sandbox_time = None
        if settings.payments.provider != "stripe":
            # With no real money at stake, the whole bot lives on the sandbox's time.
            sandbox_time = SandboxTime(uow, ShiftedClock(clock))
            await sandbox_time.load()
            clock = sandbox_time.clock
        interactions = InteractionRecorder(engine, settings.community.tzinfo)
        payments = wire_payments(settings, secrets, uow, clock, interactions)
        dispatcher = Dispatcher(
            registry=build_registry(payments.services), uow=uow, clock=clock, settings=settings
        )
        stop_recording = asyncio.Event()
        recording = asyncio.create_task(interactions.run(stop_recording), name="interactions")
        try:
            yield Core(settings, engine, uow, clock, dispatcher, payments, sandbox_time)
        finally:
            # What was handed over is written before the engine goes.
            stop_recording.set()
            await asyncio.wait_for(recording, timeout=SHUTDOWN_SECONDS)
            await payments.close()
    finally:
        await engine.dispose()


async def migrate(engine: AsyncEngine, secrets: Secrets) -> None:
    try:
        await upgrade(engine)
    except (OSError, DBAPIError) as error:
        # Unreachable server, refused login, missing database: the operator fixes the URL or
        # the server, so say which setting points there, not a traceback.
        source = "DATABASE_URL" if secrets.database_url else "database.url"
        reason = getattr(error, "orig", None) or error
        raise StartupError(f"{source}: cannot use the database ({reason})") from None


async def run_console(settings: Settings, secrets: Secrets, *, user: str, level: Level) -> None:
    """`knowpay console --as NAME`: join the bot that runs on this database, or, when none
    does, run the whole local community here with NAME at this terminal."""
    hello = Hello(
        user=user, role=level.name.lower(), lang=terminal_language(), interactive=sys.stdin.isatty()
    )
    if await join(console_socket(settings, secrets), hello, sys.stdin, sys.stdout):
        return
    if not (secrets.discord_token or secrets.telegram_token):
        await run_bot(settings, secrets, console_user=user, console_level=level, platforms=False)
        return
    # The platforms' database: what is queued for them waits for `knowpay run`, which alone
    # can deliver it, so this console only talks.
    log.warning("no bot runs on this database: what this console queues is sent once it runs")
    async with open_core(settings, secrets) as core:
        await _console(core, secrets, user, level, hosting=False).run()


def _console(
    core: Core, secrets: Secrets, user: str, level: Level, *, hosting: bool = True
) -> ConsoleAdapter:
    return console_hub(
        core.settings,
        secrets,
        core.dispatcher,
        core.uow,
        core.clock,
        user=user,
        level=level,
        hosting=hosting,
    )


async def run_bot(
    settings: Settings,
    secrets: Secrets,
    *,
    console_user: str,
    console_level: Level = Level.OWNER,
    platforms: bool = True,
) -> None:
    """`knowpay run`: web server plus every configured platform (or, without any, the console
    as `console_user`), until a signal arrives."""
    async with open_core(settings, secrets) as core:
        web_app = build_web_app(core.engine, core.payments.routes)
        # Adapters first: the Telegram one adds its webhook route before the server starts.
        running = _adapters(
            core, secrets, web_app, console_user, console_level, platforms=platforms
        )
        worker = OutboxWorker(core.uow, _deliverers(core, running), core.clock)
        server = WebServer(web_app)
        try:
            port = await server.start(settings.server.host, settings.server.port)
        except OSError as error:
            raise StartupError(
                f"server.port: cannot listen on {settings.server.host}:{settings.server.port} "
                f"({error.strerror or error})"
            ) from None
        log.info("web server listening on http://%s:%d", settings.server.host, port)
        scheduler = Scheduler()
        lifecycle = partial(run_lifecycle, core.uow, settings, core.clock)
        every_15 = timedelta(minutes=15)
        scheduler.every("membership-lifecycle", lifecycle, every_15, now=core.clock.now())
        reconciler = Reconciler(core.uow, settings, core.clock, _platform_access(core, running))
        # The first run waits for the platforms to connect.
        first = core.clock.now() + PLATFORMS_CONNECTED_AFTER
        scheduler.every("membership-reconcile", reconciler.run, every_15, now=first)
        deadlines = partial(keep_deadlines, core.uow, core.services, settings, core.clock)
        scheduler.every("qa-deadlines", deadlines, every_15, now=core.clock.now())
        # Scheduled drops go out within a minute of their time, after a restart too: the
        # drops table is what persists them.
        due_drops = partial(publish_due, core.uow, settings, core.clock)
        scheduler.every("drops-publish", due_drops, timedelta(minutes=1), now=core.clock.now())
        upkeep = partial(keep_interactions, core.uow, settings, core.clock)
        scheduler.every("engagement-upkeep", upkeep, timedelta(minutes=5), now=core.clock.now())
        report = partial(
            deliver_due_report, core.uow, settings, core.clock, _report_posters(core, running)
        )
        scheduler.weekly(
            "weekly-report",
            report,
            schedule=settings.report.schedule,
            timezone=settings.community.tzinfo,
            # After the platforms have connected; a week missed while down is posted then.
            now=core.clock.now() + PLATFORMS_CONNECTED_AFTER,
        )
        if core.payments.catch_up is not None:
            daily = timedelta(days=1)
            scheduler.every(
                "stripe-catch-up", core.payments.catch_up.run, daily, now=core.clock.now()
            )
        stop_worker = asyncio.Event()
        background = [asyncio.create_task(worker.run(stop_worker), name="outbox")]
        sandbox = _run_sandbox(
            core, scheduler=scheduler, lifecycle=lifecycle, worker=worker, stop=stop_worker
        )
        if sandbox is not None:
            background.append(sandbox)
        scheduler.start()
        try:
            await _serve_until_stopped(running.adapters)
        finally:
            stop_worker.set()
            await asyncio.wait_for(asyncio.gather(*background), timeout=SHUTDOWN_SECONDS)
            await scheduler.shutdown(SHUTDOWN_SECONDS)
            await server.stop()
    log.info("knowpay stopped")


def _run_sandbox(
    core: Core,
    *,
    scheduler: Scheduler,
    lifecycle: Callable[[], Awaitable[object]],
    worker: OutboxWorker,
    stop: asyncio.Event,
) -> asyncio.Task[None] | None:
    """The sandbox bills by its own clock: every minute, and at once when the clock moves
    (from its page or `knowpay sandbox advance`), followed by what time passing does to the
    memberships, delivered without waiting for the next poll."""
    time, billing, page = core.sandbox_time, core.payments.sandbox, core.payments.sandbox_page
    if time is None or billing is None:
        return None

    async def catch_up() -> None:
        await billing.bill_due()
        await lifecycle()
        worker.wake()

    time.catch_up = catch_up
    if page is not None:
        page.advance = time.advance
    scheduler.every("sandbox-billing", billing.bill_due, timedelta(minutes=1), now=time.clock.now())
    return asyncio.create_task(time.watch(stop), name="sandbox-clock")


@dataclass(frozen=True)
class _Running:
    """The adapters this run started: each platform's, or the console."""

    discord: DiscordAdapter | None = None
    telegram: TelegramAdapter | None = None
    console: ConsoleAdapter | None = None

    @property
    def adapters(self) -> list[Adapter]:
        return [a for a in (self.discord, self.telegram, self.console) if a is not None]


def _adapters(
    core: Core,
    secrets: Secrets,
    web_app: web.Application,
    console_user: str,
    console_level: Level,
    *,
    platforms: bool,
) -> _Running:
    discord = (
        DiscordAdapter(core.dispatcher, core.settings, secrets.discord_token)
        if platforms and secrets.discord_token
        else None
    )
    telegram = None
    if platforms and secrets.telegram_token:
        telegram = TelegramAdapter(
            core.dispatcher,
            core.settings,
            secrets.telegram_token,
            web_app,
            stars=core.payments.stars,
        )
        if core.payments.stars_provider is not None:
            core.payments.stars_provider.refunder = telegram.gateway
    if discord is None and telegram is None:
        log.info("no platform to run: starting the console")
        console = _console(core, secrets, console_user, console_level)
        return _Running(console=console)
    return _Running(discord=discord, telegram=telegram)


def _platform_access(core: Core, running: _Running) -> list[PlatformAccess]:
    found: list[PlatformAccess] = []
    guild = core.settings.discord.guild_id
    if running.discord is not None and guild is not None:
        found.append(DiscordAccess(running.discord.client, running.discord.gateway, guild))
    if running.telegram is not None:
        found.append(TelegramAccess(running.telegram.gateway))
    return found


def _report_posters(core: Core, running: _Running) -> list[ReportPoster]:
    found: list[ReportPoster] = []
    channel = core.settings.discord.report_channel_id
    chat = core.settings.telegram.report_chat_id
    if running.discord is not None and channel is not None:
        found.append(DiscordReportPoster(running.discord.gateway, channel))
    if running.telegram is not None and chat is not None:
        found.append(TelegramReportPoster(running.telegram.gateway, chat))
    return found


async def run_reconcile(settings: Settings, secrets: Secrets, *, dry_run: bool) -> ReconcileReport:
    """`knowpay reconcile`: compare and repair once, over the platforms' APIs alone (the bot
    may be running at the same time: repairs are idempotent)."""
    async with open_core(settings, secrets) as core, contextlib.AsyncExitStack() as stack:
        platforms: list[PlatformAccess] = []
        if secrets.discord_token:
            platforms.append(
                await stack.enter_async_context(
                    discord_access(settings.discord, secrets.discord_token)
                )
            )
        if secrets.telegram_token:
            platforms.append(
                await stack.enter_async_context(
                    telegram_access(settings.telegram, secrets.telegram_token)
                )
            )
        if not platforms:
            raise StartupError("reconcile: set DISCORD_TOKEN or TELEGRAM_TOKEN (nothing to check)")
        return await Reconciler(core.uow, settings, core.clock, platforms).run(dry_run=dry_run)


def _deliverers(core: Core, running: _Running) -> dict[str, Deliverer]:
    """Who carries out the outbox's promises: each running platform, and the refunds."""
    found: dict[str, Deliverer] = {d.platform: d for d in core.payments.deliverers}
    # Posts and DMs carry stored files (a drop's PDF) by id; the deliverers read them here.
    files = partial(load_file, core.uow)
    if running.discord is not None:
        found["discord"] = DiscordDeliverer(
            running.discord.gateway, core.settings.discord.guild_id, files
        )
    if running.telegram is not None:
        found["telegram"] = TelegramDeliverer(running.telegram.gateway, core.clock, files)
    if running.console is not None:
        found["console"] = running.console
    return found


async def _serve_until_stopped(adapters: list[Adapter]) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    tasks = [asyncio.create_task(adapter.run(), name=adapter.name) for adapter in adapters]
    stopper = asyncio.create_task(stop.wait())
    try:
        # Any adapter ending (console EOF, a rejected token) ends the run.
        await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
    finally:
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(signum)
        log.info("stopping")
        for adapter in adapters:
            await adapter.stop()
        _done, pending = await asyncio.wait([*tasks], timeout=SHUTDOWN_SECONDS)
        for task in [*pending, stopper]:
            task.cancel()
        for task in tasks:
            if task.done() and not task.cancelled() and (error := task.exception()) is not None:
                raise error
