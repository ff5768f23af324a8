"""`knowpay run` with TELEGRAM_TOKEN set, as a real process polling the fake Bot API."""

from __future__ import annotations

import asyncio
import signal
from asyncio.subprocess import Process
from collections.abc import Awaitable
from pathlib import Path

from tests.adapters.conftest import finished, knowpay_run, seed_membership
from tests.adapters.telegram.conftest import LI, MOD, TIER_CHAT
from tests.fakes.telegram import FakeTelegram


def _knowpay_run(tmp_path: Path, fake: FakeTelegram, token: str) -> Awaitable[Process]:
    config = (
        f'[server]\nport = 0\n[telegram]\napi_base_url = "{fake.base_url}"\n'
        f"community_chat_id = {fake.community_chat_id}\n"
    )
    return knowpay_run(tmp_path, config, TELEGRAM_TOKEN=token)


async def test_run_serves_telegram_and_stops_cleanly(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    process = await _knowpay_run(tmp_path, fake_telegram, FakeTelegram.TOKEN)
    try:
        await fake_telegram.wait_until_polling(timeout=30)
        await fake_telegram.send_command(MOD, "/whoami")
        answer = await fake_telegram.wait_for_bot_message(MOD, timeout=10)
        assert "You are member #1 (Grace)." in answer["text"]
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
    assert "Telegram: connected as @knowpay_bot (polling" in log
    assert "Traceback" not in log
    assert FakeTelegram.TOKEN not in log + said


async def test_run_exits_2_with_one_line_when_the_token_is_rejected(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    process = await _knowpay_run(tmp_path, fake_telegram, "999:revoked")
    stderr = await finished(process)
    assert process.returncode == 2
    assert (
        stderr.decode()
        .splitlines()[-1]
        .startswith("knowpay: TELEGRAM_TOKEN: Telegram rejected the token")
    )
    assert "Traceback" not in stderr.decode()


async def test_knowpay_reconcile_takes_a_former_member_out_of_the_tier_chat(
    tmp_path: Path, fake_telegram: FakeTelegram
) -> None:
    fake_telegram.set_member(TIER_CHAT, LI)  # still inside, though his membership expired
    fake_telegram.set_member(TIER_CHAT, MOD)  # never a member: not asked about, not touched
    await seed_membership(tmp_path / "run.db", "telegram", LI, "member", "expired")
    config = (
        f'[telegram]\napi_base_url = "{fake_telegram.base_url}"\n'
        f"community_chat_id = {fake_telegram.community_chat_id}\n"
        "[tiers.member]\nname = 'Member'\nprice = '9.00'\ninterval = 'month'\n"
        f"telegram_chat_ids = [{TIER_CHAT}]\n"
    )
    process = await knowpay_run(tmp_path, config, "reconcile", TELEGRAM_TOKEN=FakeTelegram.TOKEN)
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, stderr.decode()
    assert stdout.decode().splitlines() == [
        "telegram: checked 1 account, 1 repaired",
        f"  took chat {TIER_CHAT} (member #1, telegram {LI})",
    ]
    assert fake_telegram.member_status(TIER_CHAT, LI) == "left"
    assert fake_telegram.member_status(TIER_CHAT, MOD) == "member"
    assert FakeTelegram.TOKEN not in stderr.decode()
