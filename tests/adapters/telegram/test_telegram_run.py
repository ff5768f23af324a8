"""`knowpay run` with TELEGRAM_TOKEN set, as a real process polling the fake Bot API."""

from __future__ import annotations

import asyncio
import signal
from asyncio.subprocess import Process
from collections.abc import Awaitable
from pathlib import Path

from tests.adapters.conftest import finished, knowpay_run
from tests.adapters.telegram.conftest import MOD
from tests.fakes.telegram_server import FakeTelegram


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
    log = (await process.stderr.read()).decode()
    assert "Telegram: connected as @knowpay_bot (polling" in log
    assert "Traceback" not in log
    assert FakeTelegram.TOKEN not in log


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
