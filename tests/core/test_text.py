"""Cleaning typed text and splitting long replies for platform limits."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.text import clean, clean_name, first_message, split_message


def test_clean_drops_controls_escapes_and_bidi_overrides() -> None:
    assert clean("a\x00b\x1b[31mc\x1b]0;title\x07d\u202ee\tf\ng") == "abcde\tf\ng"
    assert clean("cafe\u0301") == "café"


def test_clean_name_is_one_line_and_never_empty() -> None:
    assert clean_name("  Ada \n Lovelace ") == "Ada Lovelace"
    assert clean_name("\x00\x1b[2J") == "?"
    assert len(clean_name("x" * 500)) == 100


def test_split_keeps_short_text_whole() -> None:
    assert split_message("hello", 2000) == ["hello"]


def test_split_cuts_at_line_breaks() -> None:
    text = "\n".join(f"line {n}" for n in range(1000))
    chunks = split_message(text, 2000)
    assert all(len(chunk) <= 2000 for chunk in chunks)
    assert all(chunk.startswith("line ") for chunk in chunks)
    assert "\n".join(chunks) == text


def test_split_closes_and_reopens_code_blocks() -> None:
    text = "Here:\n```python\n" + "print('x')\n" * 400 + "```\nDone."
    chunks = split_message(text, 2000)
    assert len(chunks) >= 3
    for chunk in chunks:
        assert len(chunk) <= 2000
        assert chunk.count("```") % 2 == 0, chunk[:40]
    assert chunks[1].startswith("```python\n")


@given(st.text(alphabet=st.sampled_from("ab \n`"), max_size=3000), st.integers(50, 500))
def test_split_never_exceeds_the_limit_or_loses_words(text: str, limit: int) -> None:
    chunks = split_message(text, limit)
    assert all(len(chunk) <= limit for chunk in chunks)
    if "```" not in text:
        assert "".join("".join(chunks).split()) == "".join(text.split())


def test_one_message_keeps_the_first_part_and_says_there_was_more() -> None:
    assert first_message("hello", 5) == "hello"
    text = "Here:\n```python\n" + "print('x')\n" * 400 + "```\nDone."
    cut = first_message(text, 2000)
    assert len(cut) <= 2000
    assert cut == split_message(text, 1998)[0] + "\n…"
    assert cut.endswith("```\n…")  # the code block is closed before the ellipsis
