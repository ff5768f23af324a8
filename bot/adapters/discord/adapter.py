"""The Discord adapter: connects with discord.py, serves the registry's commands as slash
commands, hands gateway events to the dispatcher and carries out the effects."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import replace
from typing import Any

import aiohttp
import discord
import yarl
from discord import app_commands

from bot.adapters.discord import translate
from bot.adapters.discord.commands import CatalogueTranslator, build_commands
from bot.adapters.discord.gateway import DeliveryRefused, DiscordGateway
from bot.adapters.discord.ui import TEXT_INPUT_LIMIT, CommandButton, LongTextModal
from bot.config import Settings
from bot.config.schema import DiscordConfig
from bot.core.commands import CommandSpec
from bot.core.dispatcher import Dispatcher
from bot.core.effects import Ask, DirectMessage, Reply
from bot.core.events import Actor, Attachment, CommandEvent, PlatformEvent
from bot.core.parsing import split_command
from bot.errors import StartupError

log = logging.getLogger(__name__)

# Discord wants an answer within 3 seconds; slower commands show "thinking..." first.
DEFER_AFTER_SECONDS = 2.0
SHUTDOWN_SECONDS = 3.0


def use_endpoints(config: DiscordConfig) -> None:
    """discord.py reads both from class attributes; set there, they also cover interaction
    callbacks and follow-up webhooks, so a proxy (or the test fake) sees every call."""
    discord.http.Route.BASE = config.api_base_url.rstrip("/")
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(config.gateway_url)


class _Hooks:
    """What our client adds to discord.py's: start-up work and pressed command buttons."""

    adapter: DiscordAdapter

    async def setup_hook(self) -> None:
        await self.adapter.setup()

    async def run_button_command(self, interaction: discord.Interaction, command: str) -> None:
        await self.adapter.run_text_command(interaction, command)


class KnowpayClient(_Hooks, discord.Client):
    pass


class KnowpayShardedClient(_Hooks, discord.AutoShardedClient):
    pass


class DiscordAdapter:
    name = "discord"

    def __init__(self, dispatcher: Dispatcher, settings: Settings, token: str) -> None:
        self._dispatcher = dispatcher
        self._settings = settings
        self._config = settings.discord
        self._default_locale = settings.community.default_locale
        self._long_text_limit = settings.limits.max_long_text_length
        self._token = token
        use_endpoints(self._config)
        intents = discord.Intents.default()
        intents.members = True
        intents.message_content = True
        options: dict[str, Any] = {
            "intents": intents,
            "allowed_mentions": discord.AllowedMentions.none(),
            "chunk_guilds_at_startup": False,
            # Raw gateway frames feed translate.py: reactions and replies on messages that are
            # not in any cache still count.
            "enable_debug_events": True,
        }
        self.client: KnowpayClient | KnowpayShardedClient
        if self._config.shard_count is not None:
            if self._config.shard_ids is not None:
                options["shard_ids"] = self._config.shard_ids
            self.client = KnowpayShardedClient(shard_count=self._config.shard_count, **options)
        else:
            self.client = KnowpayClient(**options)
        self.client.adapter = self
        self.tree = app_commands.CommandTree(self.client)
        self.gateway = DiscordGateway(self.client)
        self._pending: set[asyncio.Task[None]] = set()
        self.client.event(self.on_socket_raw_receive)
        self.client.event(self.on_ready)

    async def setup(self) -> None:
        """Runs once after login, before the gateway connects: build and sync the commands."""
        await self.tree.set_translator(CatalogueTranslator())
        self.client.add_dynamic_items(CommandButton)
        guild = discord.Object(self._config.guild_id) if self._config.guild_id else None
        commands = build_commands(
            self._dispatcher.registry, self._settings, self._run_slash_command, self._suggest
        )
        for command in commands:
            self.tree.add_command(command, guild=guild)
        synced = await self.tree.sync(guild=guild)
        where = f"server {self._config.guild_id}" if guild else "every server (global)"
        log.info("Discord: %d slash commands synced to %s", len(synced), where)

    async def run(self) -> None:
        try:
            await self.client.start(self._token)
        except discord.LoginFailure:
            raise StartupError(
                "DISCORD_TOKEN: Discord rejected the token (reset it in the Developer Portal, "
                "Bot page)"
            ) from None
        except (aiohttp.ClientError, OSError) as error:
            raise StartupError(
                f"discord.api_base_url: cannot reach Discord at {self._config.api_base_url} "
                f"({type(error).__name__})"
            ) from None
        except discord.PrivilegedIntentsRequired:
            raise StartupError(
                "discord: turn on the SERVER MEMBERS and MESSAGE CONTENT intents in the "
                "Developer Portal (Bot page)"
            ) from None
        finally:
            await self.client.close()

    async def stop(self) -> None:
        await self.client.close()
        if self._pending:
            await asyncio.wait(self._pending, timeout=SHUTDOWN_SECONDS)

    async def on_ready(self) -> None:
        log.info("Discord: connected as %s", self.client.user)

    async def on_socket_raw_receive(self, raw: str) -> None:
        frame = json.loads(raw)
        event = translate.gateway_event(frame, self._facts())
        if event is None:
            return
        # Off the gateway's reader: a slow database must not stall heartbeats.
        task = asyncio.create_task(self._handle_event(event))
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def _handle_event(self, event: PlatformEvent) -> None:
        for effect in await self._dispatcher.notify(event):
            try:
                if isinstance(effect, DirectMessage):
                    await self.gateway.send_dm(
                        int(event.actor.user_id), effect.text, effect.buttons
                    )
                elif isinstance(effect, Reply):
                    await self.gateway.post(int(event.place.chat_id), effect.text, effect.buttons)
            except (DeliveryRefused, discord.HTTPException) as error:
                log.warning("Discord: could not carry out %s: %s", type(effect).__name__, error)

    async def _run_slash_command(
        self,
        interaction: discord.Interaction,
        top: CommandSpec,
        sub: CommandSpec | None,
        options: dict[str, Any],
    ) -> None:
        files = {
            name: _attachment(value)
            for name, value in options.items()
            if isinstance(value, discord.Attachment)
        }
        given = {
            name: _option_text(value)
            for name, value in options.items()
            if value is not None and name not in files
        }
        event = self._command_event(
            interaction,
            top.name,
            subcommand=sub.name if sub else None,
            options=given,
            attachments=files,
        )
        await self._serve(interaction, event)

    async def _suggest(
        self,
        interaction: discord.Interaction,
        top: CommandSpec,
        sub: CommandSpec | None,
        param_name: str,
        typed: str,
    ) -> list[str]:
        event = self._command_event(
            interaction, top.name, subcommand=sub.name if sub else None, options={}
        )
        return await self._dispatcher.suggest(event, param_name, typed)

    def _form_for(
        self, interaction: discord.Interaction, event: CommandEvent, asked: Ask
    ) -> LongTextModal:
        """A form for the value the command asked for; sent, it runs the command with it."""

        async def submitted(modal_interaction: discord.Interaction, values: dict[str, str]) -> None:
            answer = values.get(asked.option, "")
            if event.options is not None:  # a slash command: the answer is one more option
                options = {**event.options, asked.option: answer}
                completed = replace(event, options=options)
            else:  # a pressed button: the answer completes the typed line
                name, arguments = split_command(asked.completed(answer)) or ("", "")
                completed = replace(event, name=name, arguments=arguments)
            # The files chosen with the command wait for the form, as its other options do.
            await self._serve(modal_interaction, completed)

        return LongTextModal(
            title=asked.line.splitlines()[0],
            fields=[(asked.option, asked.description)],
            max_length=self._long_text_limit if asked.long else TEXT_INPUT_LIMIT,
            on_submit=submitted,
        )

    async def run_text_command(self, interaction: discord.Interaction, text: str) -> None:
        """A pressed command button: the same as typing the command."""
        name, arguments = split_command(text) or ("", "")
        await self._serve(interaction, self._command_event(interaction, name, arguments=arguments))

    async def _serve(self, interaction: discord.Interaction, event: CommandEvent) -> None:
        handling = asyncio.create_task(self._dispatcher.handle(event))
        done, _ = await asyncio.wait({handling}, timeout=DEFER_AFTER_SECONDS)
        if not done:
            target = self._dispatcher.target(event)
            await interaction.response.defer(
                ephemeral=target.spec.ephemeral if target else True, thinking=True
            )
        effects = await handling
        asked = next((effect for effect in effects if isinstance(effect, Ask)), None)
        if asked is not None and not interaction.response.is_done():
            await interaction.response.send_modal(self._form_for(interaction, event, asked))
            return
        # A question that came too late for a form (the command was slow) is said instead.
        said = [Reply(e.text, ephemeral=True) if isinstance(e, Ask) else e for e in effects]
        await self.gateway.respond(interaction, said)

    def _command_event(
        self,
        interaction: discord.Interaction,
        name: str,
        *,
        subcommand: str | None = None,
        options: dict[str, str] | None = None,
        arguments: str = "",
        attachments: dict[str, Attachment] | None = None,
    ) -> CommandEvent:
        return translate.command(
            self._actor(interaction),
            translate.place(interaction.channel_id or 0, interaction.guild_id),
            name,
            subcommand=subcommand,
            options=options,
            arguments=arguments,
            attachments=attachments,
        )

    def _actor(self, interaction: discord.Interaction) -> Actor:
        user = interaction.user
        member = (
            {"roles": [role.id for role in user.roles], "nick": user.nick}
            if isinstance(user, discord.Member)
            else None
        )
        payload = {
            "id": user.id,
            "username": user.name,
            "global_name": user.global_name,
            "bot": user.bot,
        }
        return translate.actor(
            payload, self._facts(), member=member, locale=interaction.locale.value
        )

    def _facts(self) -> translate.GuildFacts:
        guild = self.client.get_guild(self._config.guild_id) if self._config.guild_id else None
        return translate.GuildFacts(self._config, owner_id=guild.owner_id if guild else None)


def _attachment(found: discord.Attachment) -> Attachment:
    """A file option, as Discord resolved it (interaction data.resolved.attachments); read()
    downloads it from Discord's CDN with the client's own HTTP session."""
    return Attachment(found.filename, found.content_type, found.size, fetch=found.read)


def _option_text(value: Any) -> str:
    """Slash option values as the text a member would have typed (users as mentions)."""
    if isinstance(value, discord.abc.User):
        return value.mention
    return str(value)
