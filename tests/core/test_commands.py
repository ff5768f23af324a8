"""Command text parsing against specs, without a database."""

from __future__ import annotations

import pytest

from bot.core.commands import (
    ArgumentError,
    CommandSpec,
    Param,
    ParamKind,
    parse_arguments,
    split_command,
)
from bot.core.effects import Effect
from bot.core.permissions import Level
from bot.core.registry import Registry


async def _noop(*_args: object) -> list[Effect]:
    return []


ASK = CommandSpec(
    name="ask",
    description="Ask",
    handler=_noop,
    params=(
        Param("price", "Price", kind=ParamKind.INTEGER),
        Param("question", "Question", rest=True),
    ),
)
LANG = CommandSpec(
    name="language",
    description="Language",
    handler=_noop,
    params=(Param("code", "Code", kind=ParamKind.CHOICE, choices=("en", "zh_CN"), required=False),),
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/help", ("help", "")),
        ("  /HELP  audit ", ("help", "audit")),
        ("/link@knowpay_bot ABCD-EFGH", ("link", "ABCD-EFGH")),
        ("/", ("", "")),
        ("hello", None),
        ("", None),
    ],
)
def test_split_command(text: str, expected: tuple[str, str] | None) -> None:
    assert split_command(text) == expected


def test_rest_parameter_keeps_spaces_and_code() -> None:
    values = parse_arguments(ASK, "25 why does `x = 1  + 2` fail?", None)
    assert values == {"price": "25", "question": "why does `x = 1  + 2` fail?"}


def test_a_line_break_ends_a_word_and_the_rest_keeps_its_lines() -> None:
    values = parse_arguments(ASK, "25\nwhy does\n  `x` fail?", None)
    assert values == {"price": "25", "question": "why does\n  `x` fail?"}


def test_missing_required_parameter_is_named() -> None:
    with pytest.raises(ArgumentError) as raised:
        parse_arguments(ASK, "", None)
    assert raised.value.values == {"param": "price"}


def test_integer_and_choice_are_checked() -> None:
    with pytest.raises(ArgumentError, match="whole number"):
        parse_arguments(ASK, "lots why?", None)
    with pytest.raises(ArgumentError, match="not one of"):
        parse_arguments(LANG, "fr", None)
    assert parse_arguments(LANG, "zh_CN", None) == {"code": "zh_CN"}
    assert parse_arguments(LANG, "", None) == {}


def test_too_many_arguments() -> None:
    with pytest.raises(ArgumentError, match="Too many"):
        parse_arguments(LANG, "en extra", None)


def test_typed_options_are_checked_like_text() -> None:
    assert parse_arguments(ASK, "", {"price": "9", "question": "q"}) == {
        "price": "9",
        "question": "q",
    }
    with pytest.raises(ArgumentError):
        parse_arguments(LANG, "", {"code": "xx"})


def test_registry_rejects_twins_and_sorts_by_level() -> None:
    registry = Registry()
    registry.register(ASK)
    registry.register(CommandSpec(name="ban", description="Ban", handler=_noop, level=Level.MOD))
    with pytest.raises(ValueError, match="twice"):
        registry.register(ASK)
    assert [s.name for s in registry.available_to(Level.MEMBER)] == ["ask"]
    assert [s.name for s in registry.available_to(Level.OWNER)] == ["ask", "ban"]
    assert ASK.usage() == "/ask <price> <question>"
    assert LANG.usage() == "/language [en|zh_CN]"


def test_a_param_with_choices_is_a_choice_param() -> None:
    with pytest.raises(ValueError, match=r"choices go with kind=ParamKind\.CHOICE"):
        Param("which", "open or mine", choices=("open", "mine"))
    with pytest.raises(ValueError, match=r"choices go with kind=ParamKind\.CHOICE"):
        Param("which", "open or mine", kind=ParamKind.CHOICE)
