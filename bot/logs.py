"""Logging for operators: one format, quiet libraries, and secrets never written out."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable
from pathlib import Path

from bot.config import Secrets

# Libraries that narrate every step at INFO: alembic its migrations, httpx every request URL
# (and Telegram's URLs carry the bot token).
_CHATTY = ("alembic", "httpx", "httpcore")
REDACTED = "[redacted]"


class RedactSecrets(logging.Filter):
    """Replaces every secret's value in a record's final text, whoever logged it."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if len(s) >= 6}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        redacted = self._redact(text)
        exc_text = self._redact(record.exc_text) if record.exc_text else record.exc_text
        if redacted != text or exc_text != record.exc_text:
            record.msg, record.args, record.exc_text = redacted, None, exc_text
        return True

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, REDACTED)
        return text


def configure(level: int, secrets: Secrets, *, log_file: Path | None = None) -> None:
    """Log at `level` to stderr or, given `log_file`, to that file, with warnings and errors
    still on stderr: a chat in the terminal is not interleaved with the bot's narration."""
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_file is not None:
        handlers[0].setLevel(logging.WARNING)
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    redact = RedactSecrets(secrets.values())
    for handler in handlers:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        handler.addFilter(redact)
    logging.basicConfig(level=level, handlers=handlers, force=True)
    for name in _CHATTY:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    # It warns on every chart that a Chinese font has no "normal" weight, then draws it fine.
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)
