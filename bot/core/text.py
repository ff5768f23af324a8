"""Cleaning text that users type before anything stores or echoes it."""

from __future__ import annotations

import math
import re
import unicodedata

# Bidirectional overrides and isolates can make a name or a code read differently than it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KEPT_CONTROLS = frozenset("\n\t")
# Ends a text cut down to one message, saying that there was more.
_LEFT_OUT = "\n…"
# Terminal escape sequences (colours, cursor moves, window titles), removed whole so that no
# "[31m" debris is left behind once the ESC itself is gone.
_ANSI_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-_]")


def clean(text: str) -> str:
    """NFC-normalise and drop control characters (terminal escapes, NULs, bidi overrides)."""
    normalised = unicodedata.normalize("NFC", _ANSI_ESCAPES.sub("", text))
    return "".join(
        ch
        for ch in normalised
        if ch in _KEPT_CONTROLS or (unicodedata.category(ch) != "Cc" and ch not in _BIDI_CONTROLS)
    )


def clean_name(name: str, limit: int = 100) -> str:
    """A display name on one line, at most `limit` characters, never empty."""
    single_line = " ".join(clean(name).split())
    return single_line[:limit] or "?"


def format_size(size: int) -> str:
    """Bytes for people: "10 MiB" for Discord's binary limit, "20 MB" for Telegram's decimal
    ones, each as its platform names it; other sizes round up (to a kB, or a tenth of a MB),
    so a file just over a limit never reads as the limit itself."""
    mib = 1024 * 1024
    if size >= mib and size % mib == 0:
        return f"{size // mib} MiB"
    if size < 1000 * 1000:
        return f"{max(1, math.ceil(size / 1000))} kB"
    return f"{math.ceil(size / 100_000) / 10:.1f}".removesuffix(".0") + " MB"


def with_heading(title: str, text: str) -> str:
    """`text` under `title` as a Markdown heading, where no thread name shows the title."""
    return f"# {clean_name(title)}\n\n{text}"


def split_message(text: str, limit: int) -> list[str]:
    """Cut `text` into messages of at most `limit` characters (Discord 2000, Telegram 4096).

    Cuts fall on line breaks where possible, else on spaces; a code block that is cut is
    closed at the end of one message and reopened at the start of the next, so code stays code.
    """
    chunks: list[str] = []
    fence = ""
    rest = text
    while len(fence) + len(rest) > limit:
        room = limit - len(fence) - 4  # keep space to close an open fence with "\n```"
        head = (fence + rest)[: room + len(fence)]
        cut = head.rfind("\n", len(fence) + 1)
        if cut <= len(fence):
            cut = head.rfind(" ", len(fence) + 1)
        if cut <= len(fence):
            cut = len(head)
        piece = head[:cut]
        rest = (fence + rest)[cut:].lstrip("\n")
        opened = _open_fence(piece)
        chunks.append(piece + "\n```" if opened is not None else piece)
        fence = f"{opened}\n" if opened is not None else ""
    chunks.append(fence + rest)
    return [chunk for chunk in chunks if chunk.strip()]


def first_message(text: str, limit: int) -> str:
    """`text` as one message of at most `limit` characters: whole if it fits, else its first
    part as `split_message` cuts it, and an ellipsis on a line of its own for what was left
    out (on its own line, so that it cannot spoil the closing of a code block)."""
    if len(text) <= limit:
        return text
    parts = split_message(text, limit - len(_LEFT_OUT))
    return parts[0] + _LEFT_OUT if parts else ""


def _open_fence(text: str) -> str | None:
    """The opening line of a ``` code block left open at the end of `text`, if any."""
    opened: str | None = None
    for line in text.split("\n"):
        if line.lstrip().startswith("```"):
            opened = None if opened is not None else line.strip()
    return opened
