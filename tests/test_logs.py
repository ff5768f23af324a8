"""Secrets never reach the log, whoever logs them and however."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import logs
from bot.config import Secrets

TOKEN = "123456:TEST-secret-token-value"


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name in ("alembic", "httpx", "httpcore", "matplotlib.font_manager"):
        logging.getLogger(name).setLevel(logging.NOTSET)


def _capture(secrets: Secrets) -> io.StringIO:
    logs.configure(logging.INFO, secrets)
    stream = io.StringIO()
    root = logging.getLogger()
    root.handlers[0].setStream(stream)  # type: ignore[attr-defined]
    return stream


def test_secrets_are_redacted_in_messages_arguments_and_tracebacks() -> None:
    stream = _capture(Secrets(telegram_token=TOKEN, stripe_api_key="sk_test_abcdefgh"))
    log = logging.getLogger("somewhere")
    log.info("POST https://api.telegram.org/bot%s/getMe", TOKEN)
    log.warning("key is sk_test_abcdefgh")
    try:
        raise RuntimeError(f"bad url .../bot{TOKEN}/send")
    except RuntimeError:
        log.exception("request failed")
    text = stream.getvalue()
    assert TOKEN not in text
    assert "sk_test_abcdefgh" not in text
    assert text.count(logs.REDACTED) == 3  # two messages and the exception text
    assert "Traceback" in text


def test_chatty_libraries_are_quiet_at_info() -> None:
    stream = _capture(Secrets())
    logging.getLogger("httpx").info("HTTP Request: POST https://example/bot1:x/getUpdates")
    logging.getLogger("bot.app").info("web server listening")
    assert "getUpdates" not in stream.getvalue()
    assert "web server listening" in stream.getvalue()


def test_with_a_log_file_only_warnings_reach_the_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log_file = tmp_path / "knowpay.log"
    logs.configure(logging.INFO, Secrets(telegram_token=TOKEN), log_file=log_file)
    logging.getLogger("apscheduler").info("Running job every 15 minutes")
    logging.getLogger("bot.app").warning("outbox: delivery failed for %s", TOKEN)
    for handler in logging.getLogger().handlers:
        handler.flush()
    assert capsys.readouterr().err.count("\n") == 1  # the warning alone
    written = log_file.read_text()
    assert "Running job every 15 minutes" in written
    assert "outbox: delivery failed" in written
    assert TOKEN not in written
