"""Cleaning text that users type before anything stores or echoes it."""

from __future__ import annotations

import re
import unicodedata

# Bidirectional overrides and isolates can make a name or a code read differently than it is.
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_KEPT_CONTROLS = frozenset("\n\t")
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
