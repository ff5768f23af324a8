"""What Discord is told about every command: the real discord.py syncs the registry to the fake
Discord (which refuses what Discord refuses), and each command's payload is checked against its
declaration: subcommands, option types, bounds, choices, autocomplete, localized names and
descriptions, and who sees it by default."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from bot.adapters.discord.adapter import DiscordAdapter
from bot.config import Settings
from bot.core.clock import FakeClock
from bot.core.commands import CommandSpec, Param, ParamKind
from bot.core.dispatcher import Dispatcher
from bot.core.i18n import Translator
from bot.core.permissions import Level
from cogs import build_registry
from storage.uow import UnitOfWorkFactory
from tests.conftest import make_settings, wire
from tests.fakes.discord import JSON, FakeDiscord

# Discord's option types.
SUB_COMMAND, STRING, INTEGER, USER, ATTACHMENT = 1, 3, 4, 6, 11
MANAGE_MESSAGES, MANAGE_GUILD = 1 << 13, 1 << 5
CHINESE = Translator("zh_CN")


def settings_of(fake: FakeDiscord) -> Settings:
    return make_settings(
        discord=fake.config(mod_role_ids=[fake.roles["mod"]]),
        tiers={
            "member": {"name": "Member", "price": "9.00", "interval": "month",
                       "discord_role_ids": [fake.roles["member"]]},
            "pro": {"name": "Pro", "price": "19.00", "interval": "year",
                    "discord_role_ids": [fake.roles["pro"]]},
        },
    )  # fmt: skip


@pytest.fixture
async def synced(
    fake_discord: FakeDiscord, uow: UnitOfWorkFactory, clock: FakeClock
) -> AsyncIterator[tuple[dict[str, JSON], dict[str, CommandSpec]]]:
    settings = settings_of(fake_discord)
    registry = build_registry(wire(uow, clock, settings))
    dispatcher = Dispatcher(registry=registry, uow=uow, clock=clock, settings=settings)
    adapter = DiscordAdapter(dispatcher, settings, FakeDiscord.TOKEN)
    running = asyncio.create_task(adapter.run())
    await fake_discord.wait_until_ready()
    try:
        yield (
            {command["name"]: command for command in fake_discord.synced_commands},
            {spec.name: spec for spec in registry},
        )
    finally:
        await adapter.stop()
        await asyncio.wait_for(running, timeout=10)


def expected_type(param: Param) -> int:
    return {
        ParamKind.MEMBER: USER,
        ParamKind.INTEGER: INTEGER,
        ParamKind.ATTACHMENT: ATTACHMENT,
    }.get(param.kind, STRING)


def expected_permissions(level: Level) -> str | None:
    if level >= Level.ADMIN:
        return str(MANAGE_GUILD)
    return str(MANAGE_MESSAGES) if level >= Level.CREATOR else None


def shown(permissions: object) -> str | None:
    """Discord takes the bit set as a string or a number (discord.py sends a number)."""
    return None if permissions is None else str(permissions)


def check_option(option: JSON, param: Param, tiers: list[str], where: str) -> None:
    assert option["name"] == param.name, where
    assert option["type"] == expected_type(param), where
    assert option.get("required", False) == (param.required and not param.long), where
    assert option["description"] == param.description[:100], where
    zh_description = CHINESE.gettext(param.description)
    assert option["description_localizations"]["zh-CN"] == zh_description[:100], where
    zh_name = CHINESE.gettext(param.name)
    if zh_name != param.name:
        assert option["name_localizations"]["zh-CN"] == zh_name, where
    choices = list(param.choices) or (
        tiers if param.kind is ParamKind.TIER and not param.many else []
    )
    assert [c["value"] for c in option.get("choices", [])] == choices, where
    suggested = not choices and (
        param.suggest is not None
        or param.kind in (ParamKind.TIER, ParamKind.DURATION, ParamKind.WHEN, ParamKind.LABEL)
    )
    assert option.get("autocomplete", False) == suggested, where
    assert option.get("min_value") == param.minimum, where
    assert option.get("max_value") == param.maximum, where


def check_command(payload: JSON, spec: CommandSpec, tiers: list[str], where: str) -> None:
    options: list[JSON] = payload.get("options", [])
    assert [o["name"] for o in options] == [p.name for p in spec.params], where
    for option, param in zip(options, spec.params, strict=True):
        check_option(option, param, tiers, f"{where} {param.name}")


async def test_every_command_reaches_discord_as_declared(
    synced: tuple[dict[str, JSON], dict[str, CommandSpec]],
) -> None:
    payloads, specs = synced
    assert sorted(payloads) == sorted(specs)
    tiers = ["member", "pro"]
    for name, spec in specs.items():
        payload = payloads[name]
        where = f"/{name}"
        assert payload["type"] == 1, where
        assert payload["description"] == spec.description[:100], where
        assert "name_localizations" not in payload or not payload["name_localizations"], where
        assert payload["description_localizations"]["zh-CN"] == CHINESE.gettext(spec.description)
        assert shown(payload["default_member_permissions"]) == expected_permissions(spec.level)
        if not spec.subcommands:
            check_command(payload, spec, tiers, where)
            continue
        subs = payload["options"]
        assert [(s["name"], s["type"]) for s in subs] == [
            (sub.name, SUB_COMMAND) for sub in spec.subcommands
        ], where
        for sub_payload, sub in zip(subs, spec.subcommands, strict=True):
            check_command(sub_payload, sub, tiers, f"{where} {sub.name}")


async def test_a_few_commands_read_as_a_member_sees_them(
    synced: tuple[dict[str, JSON], dict[str, CommandSpec]],
) -> None:
    payloads, _ = synced

    def options(payload: JSON) -> dict[str, Any]:
        return {o["name"]: o for o in payload.get("options", [])}

    grant = options(payloads["grant"])
    assert shown(payloads["grant"]["default_member_permissions"]) == str(MANAGE_MESSAGES)
    assert grant["member"]["type"] == USER
    assert [c["value"] for c in grant["tier"]["choices"]] == ["member", "pro"]
    assert grant["duration"]["autocomplete"] is True
    assert grant["paid"]["name_localizations"] == {"zh-CN": "已付"}
    assert grant["paid"]["description_localizations"]["zh-CN"] == (
        "对方在机器人之外付给你的钱，记为收入：300 cny"
    )
    drop = {s["name"]: options(s) for s in payloads["drop"]["options"]}
    assert drop["new"]["tiers"]["autocomplete"] is True  # several tiers, typed with commas
    assert drop["new"]["file"]["type"] == ATTACHMENT
    assert "required" not in drop["new"]["text"] or not drop["new"]["text"]["required"]
    assert drop["publish"]["drop"]["autocomplete"] is True
    retry = options(next(s for s in payloads["outbox"]["options"] if s["name"] == "retry"))
    assert (retry["id"]["type"], retry["id"]["min_value"]) == (INTEGER, 1)
    assert shown(payloads["whoami"]["default_member_permissions"]) is None
    language = options(payloads["language"])["language"]
    assert [c["value"] for c in language["choices"]] == ["en", "zh_CN"]
