"""What a `knowpay console` client and the running bot say over the local socket: one JSON
object per line. The client introduces itself, then sends what its person types; the bot
sends what to show and when it waits for a line."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

# A long text pasted at once (a drop, a question) is one line of JSON.
LINE_LIMIT = 1 << 20


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def encode(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode() + b"\n"


class Hello(_Message):
    """Who is at this terminal: the name and role they chose, and their language."""

    user: str = Field(min_length=1, max_length=64)
    role: str
    lang: str | None = None
    interactive: bool = False


class ToBot(_Message):
    hello: Hello | None = None
    line: str | None = None


class ToTerminal(_Message):
    show: str | None = None
    prompt: str | None = None


M = TypeVar("M", bound=_Message)


class WireError(ValueError):
    """A line that is not one of the messages above."""


def decode_to_bot(raw: bytes) -> ToBot:
    return _decode(ToBot, raw)


def decode_to_terminal(raw: bytes) -> ToTerminal:
    return _decode(ToTerminal, raw)


def _decode(kind: type[M], raw: bytes) -> M:
    try:
        return kind.model_validate_json(raw)
    except ValidationError as error:
        raise WireError(f"not a console message: {error.errors()[0]['msg']}") from None
