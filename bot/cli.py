"""The `knowpay` command line."""

from __future__ import annotations

import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Coroutine
from typing import Any

import click

from bot import __version__, logs
from bot.app import migrate, run_bot, run_console, run_reconcile
from bot.config import ConfigError, Secrets, Settings, config_path, database_url, load_settings
from bot.core.permissions import Level
from bot.errors import StartupError
from storage.engine import make_engine
from storage.migrate import current_revision

CONSOLE_ROLES = ("member", "creator", "mod", "admin", "owner")

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


def _fail(message: str) -> None:
    click.echo(f"knowpay: {message}", err=True)
    sys.exit(2)


def _run(coroutine: Coroutine[Any, Any, None]) -> None:
    try:
        asyncio.run(coroutine)
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
@config_option
def run(config: str | None) -> None:
    """Start the bot: every configured platform, the web server, migrations first.

    With neither DISCORD_TOKEN nor TELEGRAM_TOKEN set, you chat with it in this terminal.
    Stop it with Ctrl-C (or SIGTERM).
    """
    settings, secrets = _load(config)
    logs.configure(logging.INFO, secrets)
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
    """Chat with the bot in the terminal as NAME (or pipe commands in, one per line)."""
    if not name.strip():
        raise click.BadParameter("must not be empty", param_hint="--as")
    settings, secrets = _load(config)
    logs.configure(logging.WARNING, secrets)
    sys.stdin.reconfigure(errors="replace")  # type: ignore[union-attr]
    _run(run_console(settings, secrets, user=name.strip(), level=Level.parse(role)))


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
