"""Files sent with commands: never typed, so text arguments skip them; the console says it
cannot send one; effects carry a stored file by id, and payloads queued before files existed
still decode."""

from __future__ import annotations

from bot.core.commands import CommandSpec, Param, ParamKind
from bot.core.dispatcher import Dispatcher
from bot.core.effects import NotifyMember, PostToChat
from bot.core.i18n import N_
from bot.core.outbox import decode, encode
from bot.core.parsing import bind_line
from bot.core.permissions import Level
from bot.core.registry import Registry
from bot.core.text import format_size
from tests.conftest import actor, say


async def _nothing(*_: object) -> list[object]:
    return []


def test_a_file_param_after_the_rest_of_the_line_takes_no_text() -> None:
    spec = CommandSpec(
        name="drop",
        description=N_("x"),
        handler=_nothing,  # type: ignore[arg-type]
        params=(
            Param("details", N_("x"), rest=True),
            Param("file", N_("x"), kind=ParamKind.ATTACHMENT, required=False),
        ),
    )
    Registry().register(spec)  # the rest of the line is still the last typed parameter
    assert bind_line(spec, "new a b c") == {"details": "new a b c"}


def test_an_old_outbox_payload_without_a_file_still_decodes() -> None:
    # As queued before posts could carry files: no file_id key at all.
    post = {
        "platform": "discord",
        "chat_id": "5",
        "text": "hi",
        "buttons": [],
        "thread_title": None,
        "content_ref": "drop:1",
    }
    assert decode("PostToChat", post) == PostToChat("discord", "5", "hi", content_ref="drop:1")
    assert decode("NotifyMember", {"member_id": 3, "text": "hi", "buttons": []}) == (
        NotifyMember(3, "hi")
    )


def test_a_file_travels_by_id_not_by_bytes() -> None:
    post = PostToChat("telegram", "-100", "text", file_id=7)
    kind, payload = encode(post)
    assert payload["file_id"] == 7
    assert decode(kind, payload) == post


def test_sizes_read_as_each_platform_names_its_limit() -> None:
    assert format_size(10 * 1024 * 1024) == "10 MiB"
    assert format_size(20_000_000) == "20 MB"
    assert format_size(20_000_001) == "20.1 MB"  # just over a limit never reads as it
    assert format_size(1) == "1 kB"


async def test_the_console_says_it_cannot_send_files(dispatcher: Dispatcher) -> None:
    owner = actor("ada", level=Level.OWNER)
    shown = (await say(dispatcher, owner, "/help drop new")).splitlines()
    assert shown[0] == '/drop new <tiers> [price:4.99] [at:"tomorrow 20:00"] [file]'
    assert shown[7] == (
        "  file — A file for /drop new: a PDF, an archive, an image (Discord and Telegram; "
        "not the console) (a file sent with the command) · optional"
    )
