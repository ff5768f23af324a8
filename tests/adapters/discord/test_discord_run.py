"""`knowpay run` with DISCORD_TOKEN set, as a real process talking to the fake Discord."""

from __future__ import annotations

import asyncio
import signal
import socket
from asyncio.subprocess import Process
from collections.abc import Awaitable
from pathlib import Path

from tests.adapters.conftest import finished, knowpay_run, seed_membership
from tests.adapters.discord.conftest import ADA
from tests.fakes.discord import FakeDiscord

CAL = 500000000000000004


def _knowpay_run(tmp_path: Path, fake: FakeDiscord, token: str) -> Awaitable[Process]:
    config = f"""
[server]
port = 0
[discord]
guild_id = {fake.guild_id}
api_base_url = "{fake.api_base_url}"
gateway_url = "{fake.gateway_url}"
mod_role_ids = [{fake.roles["mod"]}]
"""
    return knowpay_run(tmp_path, config, DISCORD_TOKEN=token)


async def test_run_serves_discord_and_stops_cleanly(
    tmp_path: Path, fake_discord: FakeDiscord
) -> None:
    process = await _knowpay_run(tmp_path, fake_discord, FakeDiscord.TOKEN)
    try:
        await fake_discord.wait_until_ready(timeout=30)
        result = await fake_discord.invoke_slash(ADA, "whoami", timeout=10)
        assert result.content is not None
        assert "You are member #1 (Ada)." in result.content
        process.send_signal(signal.SIGTERM)
        assert await asyncio.wait_for(process.wait(), timeout=10) == 0
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.stderr is not None
    said = (await process.stderr.read()).decode()
    assert "Traceback" not in said
    log = (tmp_path / "knowpay.log").read_text()  # named on stderr as it started
    assert f"The log is in {tmp_path / 'knowpay.log'}" in said
    assert "slash commands synced" in log
    assert "Traceback" not in log
    assert FakeDiscord.TOKEN not in log + said


async def test_run_exits_2_with_one_line_when_the_token_is_rejected(
    tmp_path: Path, fake_discord: FakeDiscord
) -> None:
    process = await _knowpay_run(tmp_path, fake_discord, "a-revoked-token")
    stderr = await finished(process)
    assert process.returncode == 2
    lines = stderr.decode().splitlines()
    assert lines[-1].startswith("knowpay: DISCORD_TOKEN: Discord rejected the token")
    assert "Traceback" not in stderr.decode()
    assert "a-revoked-token" not in stderr.decode()


async def test_run_exits_2_with_one_line_when_discord_cannot_be_reached(tmp_path: Path) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    config = (
        f'[server]\nport = 0\n[discord]\napi_base_url = "http://127.0.0.1:{port}/api/v10"\n'
        f'gateway_url = "ws://127.0.0.1:{port}/"\n'
    )
    process = await knowpay_run(tmp_path, config, DISCORD_TOKEN="some-token")
    stderr = await finished(process)
    assert process.returncode == 2
    last = stderr.decode().splitlines()[-1]
    assert last.startswith("knowpay: discord.api_base_url: cannot reach Discord")
    assert "Traceback" not in stderr.decode()


async def test_knowpay_reconcile_repairs_roles_over_rest_alone(
    tmp_path: Path, fake_discord: FakeDiscord
) -> None:
    """`knowpay reconcile` with the bot not running: Ada paid but lost her role, Cal holds a
    tier role nobody gave him; --dry-run only tells, the real run repairs."""
    member, pro = fake_discord.roles["member"], fake_discord.roles["pro"]
    fake_discord.add_user(CAL, "cal", roles=[pro])
    config = f"""
[discord]
guild_id = {fake_discord.guild_id}
api_base_url = "{fake_discord.api_base_url}"
gateway_url = "{fake_discord.gateway_url}"
[tiers.member]
name = "Member"
price = "9.00"
interval = "month"
discord_role_ids = [{member}]
[tiers.pro]
name = "Pro"
price = "30.00"
interval = "month"
discord_role_ids = [{member}, {pro}]
"""
    await seed_membership(tmp_path / "run.db", "discord", ADA, "member", "active")

    async def reconcile(*flags: str) -> str:
        process = await knowpay_run(
            tmp_path, config, "reconcile", *flags, DISCORD_TOKEN=FakeDiscord.TOKEN
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
        assert process.returncode == 0, stderr.decode()
        assert FakeDiscord.TOKEN not in stderr.decode()
        return stdout.decode()

    dry = await reconcile("--dry-run")
    assert "discord: checked 4 accounts, 2 to repair" in dry
    assert f"would give role {member} (member #1, discord {ADA})" in dry
    assert f"would take role {pro} (an unknown account, discord {CAL})" in dry
    assert member not in fake_discord.member_roles(ADA)

    done = await reconcile()
    assert "discord: checked 4 accounts, 2 repaired" in done
    assert fake_discord.member_roles(ADA) == [member]
    assert fake_discord.member_roles(CAL) == []
    assert "0 repaired" in await reconcile()
