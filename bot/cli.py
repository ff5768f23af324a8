"""The `knowpay` command line."""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click

from bot import __version__, logs
from bot.adapters.console import BotStopped
from bot.app import migrate, open_core, run_bot, run_console, run_reconcile
from bot.config import ConfigError, Secrets, Settings, config_path, database_url, load_settings
from bot.core.clock import ShiftedClock, SystemClock
from bot.core.i18n import Translator
from bot.core.money import format_money
from bot.core.permissions import Level
from bot.core.values import Unreadable, read_duration
from bot.demo.simulation import days_simulated, run_demo
from bot.errors import StartupError
from bot.sandbox_time import SandboxTime
from cogs.engagement.report_build import build_report
from cogs.engagement.report_chart import render_chart
from cogs.engagement.report_data import WeeklyReport
from cogs.engagement.report_render import to_csv, to_json, to_markdown
from cogs.engagement.report_trend import WEEKS as TREND_WEEKS
from cogs.engagement.weeks import Week
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import current_revision
from storage.uow import UnitOfWorkFactory

T = TypeVar("T")
LOG_FILE = "knowpay.log"
CONSOLE_ROLES = ("member", "creator", "mod", "admin", "owner")
CONSOLE_NAME_LIMIT = 64

config_option = click.option(
    "--config",
    "config",
    metavar="PATH",
    default=None,
    help="The config file (default: $KNOWPAY_CONFIG, else bot.toml).",
)


def _load(config: str | None) -> tuple[Settings, Secrets]:
    secrets = Secrets.from_env(os.environ)
    try:
        settings = load_settings(config_path(config, os.environ))
        database_url(settings, secrets)  # a bad DATABASE_URL is a config error too
    except ConfigError as error:
        _fail(str(error))
    return settings, secrets


def _fail(message: str) -> NoReturn:
    click.echo(f"knowpay: {message}", err=True)
    sys.exit(2)


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(coroutine)
    except StartupError as error:
        _fail(str(error))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="knowpay")
def cli() -> None:
    """knowpay: a paid programmer community in Discord and Telegram at once.

    Secrets come from the environment: DISCORD_TOKEN, TELEGRAM_TOKEN, STRIPE_API_KEY,
    STRIPE_WEBHOOK_SECRET, DATABASE_URL.
    """


@cli.command()
@click.option("--verbose", "-v", is_flag=True, help="Show the log here instead of in a file.")
@click.option(
    "--log-file",
    metavar="PATH",
    default=None,
    help="Where the log goes (default: knowpay.log beside the config file).",
)
@config_option
def run(verbose: bool, log_file: str | None, config: str | None) -> None:
    """Start the bot: every configured platform, the web server, migrations first.

    With neither DISCORD_TOKEN nor TELEGRAM_TOKEN set, you chat with it in this terminal.
    The log goes to a file (warnings and errors show here too). Stop it with Ctrl-C (or
    SIGTERM).
    """
    settings, secrets = _load(config)
    if verbose:
        logs.configure(logging.INFO, secrets)
    else:
        path = Path(log_file) if log_file else config_path(config, os.environ).parent / LOG_FILE
        try:
            logs.configure(logging.INFO, secrets, log_file=path)
        except OSError as error:
            _fail(f"--log-file: cannot write {path} ({error.strerror or error})")
        click.echo(f"The log is in {path} (--verbose shows it here).", err=True)
    _run(run_bot(settings, secrets, console_user=getpass.getuser() or "owner"))


@cli.command()
@click.option("--as", "name", required=True, metavar="NAME", help="Who you are in this chat.")
@click.option(
    "--role",
    type=click.Choice(CONSOLE_ROLES),
    default="member",
    show_default=True,
    help="The role to act with.",
)
@config_option
def console(name: str, role: str, config: str | None) -> None:
    """Chat with the bot in the terminal as NAME (or pipe commands in, one per line).

    When a bot runs on the same database (`knowpay run`, or another console), this terminal
    joins its community: private messages for NAME arrive here. Otherwise this console runs
    the whole community (the web server, the sandbox, deliveries) until you leave it.
    """
    name = name.strip()
    if not name or len(name) > CONSOLE_NAME_LIMIT:
        raise click.BadParameter(f"must be 1 to {CONSOLE_NAME_LIMIT} characters", param_hint="--as")
    settings, secrets = _load(config)
    logs.configure(logging.WARNING, secrets)
    sys.stdin.reconfigure(errors="replace")  # type: ignore[union-attr]
    try:
        _run(run_console(settings, secrets, user=name, level=Level.parse(role)))
    except BotStopped:
        click.echo("knowpay: the bot stopped, and this console with it.", err=True)
        sys.exit(1)


@cli.command()
@click.option("--dry-run", is_flag=True, help="Only say what would change.")
@config_option
def reconcile(dry_run: bool, config: str | None) -> None:
    """Compare Discord roles and Telegram chats with the memberships, and repair the drift.

    The running bot does this every 15 minutes; run it by hand after fixing roles or the
    config. Only the roles and chats of [tiers.*] are touched. Exit status 1 when a repair or
    a platform failed.
    """
    settings, secrets = _load(config)
    logs.configure(logging.WARNING, secrets)

    async def _reconcile() -> None:
        report = await run_reconcile(settings, secrets, dry_run=dry_run)
        for line in report.lines():
            click.echo(line)
        if report.failures:
            sys.exit(1)

    _run(_reconcile())


@cli.command()
@click.option("--members", type=click.IntRange(min=1), default=300, show_default=True)
@click.option(
    "--weeks",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Weeks simulated in full, after a year of members joining and paying.",
)
@click.option("--out", metavar="DIR", default="demo", show_default=True, help="Where to write.")
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same community.")
def demo(members: int, weeks: int, out: str, seed: int) -> None:
    """Simulate a community in a fresh SQLite file and write its latest weekly report.

    A year of members joining, paying, renewing, churning and being refunded, then WEEKS in
    full: creators post and publish drops, members ask paid questions, unlock answers and
    drops, react and reply on Discord and Telegram, all through the real handlers, sandbox
    billing and ledger. Writes report.md, report.json, report.png and the database
    (knowpay-demo.db) to DIR.
    """
    logs.configure(logging.WARNING, Secrets.from_env({}))
    _writable_folder(Path(out), "--out")
    days = days_simulated(weeks)
    with click.progressbar(length=days, label="Simulating days", file=sys.stderr) as bar:
        result = asyncio.run(
            run_demo(
                Path(out),
                members=members,
                weeks=weeks,
                seed=seed,
                progress=lambda done, _total: bar.update(done - bar.pos),
            )
        )
    click.echo(
        f"{result.week}: {result.active_members} active members, "
        f"gross {format_money(result.gross, 'en')}, T = {result.engagement_value:,.2f}"
    )
    click.echo(
        f"Wrote {result.markdown}, {result.json} and {result.chart} in {result.seconds:.1f} s"
    )


@cli.command()
@click.option("--week", metavar="YYYY-Www", help="The ISO week (default: the last complete one).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json", "csv"]),
    default="text",
    show_default=True,
    help="Markdown text, the JSON document (docs/report.md), or CSV.",
)
@click.option("--chart", metavar="FILE.png", default=None, help="Also write the chart here.")
@click.option(
    "--weeks",
    "trend_weeks",
    type=click.IntRange(2, 52),
    default=TREND_WEEKS,
    show_default=True,
    help="Weeks in the trend, up to the report's.",
)
@config_option
def report(
    week: str | None, output: str, chart: str | None, trend_weeks: int, config: str | None
) -> None:
    """The weekly engagement and revenue report, printed (the bot posts it every week)."""
    settings, secrets = _load(config)
    logs.configure(logging.WARNING, secrets)
    try:
        chosen = Week.parse(week) if week else None
    except ValueError as error:
        _fail(f"--week: {error}")
    built = _run(_build_report(settings, secrets, chosen, trend_weeks))
    speak = Translator(settings.community.default_locale)
    if chart is not None:
        # Written first, so that a path that cannot be written fails before anything prints.
        try:
            Path(chart).write_bytes(render_chart(built, speak))
        except OSError as error:
            _fail(f"--chart: cannot write {chart} ({error.strerror or error})")
    renderers = {"text": lambda: to_markdown(built, speak), "json": lambda: to_json(built)}
    click.echo(renderers.get(output, lambda: to_csv(built))())


def _writable_folder(folder: Path, option: str) -> None:
    """The folder a command writes into: made if missing, refused if it is a file."""
    if folder.exists() and not folder.is_dir():
        _fail(f"{option}: {folder} is a file, not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        _fail(f"{option}: cannot make the folder {folder} ({error.strerror or error})")


async def _build_report(
    settings: Settings, secrets: Secrets, week: Week | None, trend_weeks: int
) -> WeeklyReport:
    async with open_core(settings, secrets) as core:
        current = Week.containing(core.clock.now(), settings.community.tzinfo)
        if week is not None and week.first_day > current.first_day:
            raise StartupError(f"--week: {week} has not begun yet (this week is {current})")
        chosen = week or current.previous()
        async with core.uow() as unit:
            return await build_report(
                unit, settings, chosen, now=core.clock.now(), trend_weeks=trend_weeks
            )


@cli.group()
def sandbox() -> None:
    """The local sandbox that takes payments when Stripe is not set up (no real money)."""


@sandbox.command("advance")
@click.argument("duration")
@config_option
def sandbox_advance(duration: str, config: str | None) -> None:
    """Move the sandbox clock DURATION ahead (30d, 2w, 1y).

    Trials end, subscriptions renew (or fail, when the checkout page was told to), grace
    periods run out, reminders go and memberships expire, as they would in that time. A running
    bot catches up within seconds; a stopped one when it starts. The clock only moves forward.
    """
    settings, secrets = _load(config)
    logs.configure(logging.WARNING, secrets)
    if settings.payments.provider == "stripe":
        _fail('payments.provider: "stripe" takes the payments here; only the sandbox has a clock')
    try:
        days = read_duration(duration).days
    except Unreadable as error:
        _fail(f"DURATION: {error}")
    if days is None:
        _fail("DURATION: a number of days, weeks or years (30d, 2w, 1y), not lifetime")
    now, ahead = _run(_advance_sandbox(settings, secrets, timedelta(days=days)))
    click.echo(
        f"The sandbox clock reads {now:%Y-%m-%d %H:%M} UTC, {ahead.days} days ahead of real "
        "time. A running bot catches up within seconds; a stopped one when it starts."
    )


async def _advance_sandbox(
    settings: Settings, secrets: Secrets, by: timedelta
) -> tuple[datetime, timedelta]:
    engine = make_engine(database_url(settings, secrets))
    try:
        await migrate(engine, secrets)
        time = SandboxTime(
            UnitOfWorkFactory(make_sessionmaker(engine)), ShiftedClock(SystemClock())
        )
        await time.advance(by)
        return time.clock.now(), time.clock.offset
    finally:
        await engine.dispose()


@cli.group()
def db() -> None:
    """Database maintenance."""


@db.command("upgrade")
@config_option
def db_upgrade(config: str | None) -> None:
    """Migrate the database to the newest schema (`knowpay run` does this on start too)."""
    settings, secrets = _load(config)
    logs.configure(logging.WARNING, secrets)

    async def _upgrade() -> None:
        engine = make_engine(database_url(settings, secrets))
        try:
            await migrate(engine, secrets)
            click.echo(f"database is at revision {await current_revision(engine)}")
        finally:
            await engine.dispose()

    _run(_upgrade())


def main() -> None:
    cli(prog_name="knowpay")
