"""The command language without a platform: specs, binding a typed line, reading values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.commands import CommandSpec, Param, ParamKind
from bot.core.effects import Effect
from bot.core.events import Platform
from bot.core.money import Money
from bot.core.parsing import (
    ArgumentError,
    Reading,
    bind_line,
    bind_options,
    first_missing,
    read_arguments,
    split_command,
    split_subcommand,
)
from bot.core.permissions import Level
from bot.core.registry import Registry
from bot.core.values import DROP, QUESTION, Duration, Label
from storage.uow import UnitOfWorkFactory
from tests.conftest import a_member, make_settings


async def _noop(*_args: object) -> list[Effect]:
    return []


ASK = CommandSpec(
    name="ask",
    description="Ask",
    handler=_noop,
    params=(
        Param("expert", "Expert", kind=ParamKind.MEMBER, required=False),
        Param("price", "Price", kind=ParamKind.MONEY, keyword=True, required=False),
        Param("question", "Question", rest=True, long=True),
    ),
)
GRANT = CommandSpec(
    name="grant",
    description="Grant",
    handler=_noop,
    params=(
        Param("member", "Who", kind=ParamKind.MEMBER),
        Param("tier", "Tier", kind=ParamKind.TIER),
        Param("duration", "How long", kind=ParamKind.DURATION, required=False),
        Param(
            "paid", "Paid", kind=ParamKind.MONEY, keyword=True, required=False, any_currency=True
        ),
        Param("ref", "Ref", keyword=True, required=False),
        Param("reason", "Why", keyword=True, required=False, rest=True),
    ),
)
NEW = CommandSpec(
    name="new",
    description="New",
    handler=_noop,
    params=(
        Param("tiers", "Tiers", kind=ParamKind.TIER, many=True),
        Param("price", "Price", kind=ParamKind.MONEY, keyword=True, required=False),
        Param("at", "When", kind=ParamKind.WHEN, keyword=True, required=False),
        Param("text", "Text", rest=True, long=True, own_line=True),
        Param("file", "File", kind=ParamKind.ATTACHMENT, required=False),
    ),
)
SETTINGS = make_settings(
    tiers={
        "member": {"name": "Member", "price": "9.00", "interval": "month", "discord_role_ids": [1]},
        "pro": {"name": "Pro", "price": "19.00", "interval": "month", "discord_role_ids": [2]},
    },
    community={"name": "Club", "timezone": "Asia/Shanghai"},
)
NOW = datetime(2026, 11, 25, 8, 0, tzinfo=UTC)  # a Wednesday, 16:00 in Shanghai


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/help", ("help", "")),
        ("  /HELP  audit ", ("help", "audit")),
        ("/link@knowpay_bot ABCD-EFGH", ("link", "ABCD-EFGH")),
        ("/drop new member\nTitle", ("drop", "new member\nTitle")),
        ("/ask\nWhy is\nit slow?", ("ask", "\nWhy is\nit slow?")),
        ("/", ("", "")),
        ("hello", None),
        ("", None),
    ],
)
def test_split_command(text: str, expected: tuple[str, str] | None) -> None:
    assert split_command(text) == expected


def test_a_subcommand_is_the_first_word_and_the_rest_keeps_its_lines() -> None:
    assert split_subcommand("new member\nTitle\nBody") == ("new", "member\nTitle\nBody")
    assert split_subcommand("NEW\nTitle") == ("new", "\nTitle")
    assert split_subcommand("  ") == ("", "")


def test_the_rest_of_the_line_keeps_spaces_lines_and_code() -> None:
    values = bind_line(ASK, "why does `x = 1  + 2`\n  fail?")
    assert values == {"question": "why does `x = 1  + 2`\n  fail?"}


def test_an_optional_member_before_a_text_is_taken_only_when_it_is_one() -> None:
    assert bind_line(ASK, "@grace price:20 Why?") == {
        "expert": "@grace",
        "price": "20",
        "question": "Why?",
    }
    assert bind_line(ASK, "grace said it works") == {"question": "grace said it works"}
    assert bind_line(ASK, "price:20 #7 Why?") == {"price": "20", "expert": "#7", "question": "Why?"}


def test_keywords_go_anywhere_before_a_text_and_quotes_hold_spaces() -> None:
    values = bind_line(
        GRANT, '@grace ref:TX-7 member paid:"300 cny" 90d reason:paid by WeChat, thanks'
    )
    assert values == {
        "member": "@grace",
        "ref": "TX-7",
        "tier": "member",
        "paid": "300 cny",
        "duration": "90d",
        "reason": "paid by WeChat, thanks",
    }
    assert bind_line(GRANT, "@grace member ref:“TX 7”")["ref"] == "TX 7"


@pytest.mark.parametrize(
    ("line", "message", "values"),
    [
        ("@grace member 30 paid 300", "Write {name} as {name}:{example}.", {"name": "paid"}),
        ("@grace member 30 extra", "Too many arguments: “{word}”.", {"word": "extra"}),
        ('@grace member ref:"TX 7', "A quote is not closed: {text}", {"text": '"TX 7'}),
        ("@grace member ref:a ref:b", "{name} is given twice.", {"name": "ref"}),
    ],
)
def test_lines_that_do_not_fit_are_refused_naming_what_is_wrong(
    line: str, message: str, values: dict[str, str]
) -> None:
    with pytest.raises(ArgumentError) as refused:
        bind_line(GRANT, line)
    assert refused.value.message == message
    assert values.items() <= refused.value.values.items()


def test_a_price_typed_without_its_name_is_shown_how_it_is_written() -> None:
    with pytest.raises(ArgumentError) as refused:
        bind_line(NEW, "pro 2.50\nTitle\nBody")
    assert refused.value.message == "Too many arguments: “{word}”. Did you mean {name}:{word}?"
    assert refused.value.values == {"word": "2.50", "name": "price"}


def test_a_text_on_its_own_line_is_everything_below_the_first() -> None:
    values = bind_line(NEW, 'member,pro price:4.99 at:"tomorrow 20:00"\nTitle\n\n```\ncode\n```')
    assert values == {
        "tiers": "member,pro",
        "price": "4.99",
        "at": "tomorrow 20:00",
        "text": "Title\n\n```\ncode\n```",
    }
    assert first_missing(NEW, bind_line(NEW, "member"), {}) == NEW.params[3]
    assert first_missing(NEW, bind_line(NEW, ""), {}) == NEW.params[0]


def test_options_handed_over_by_name_are_checked_against_the_spec() -> None:
    assert bind_options(ASK, {"question": "q", "price": ""}) == {"question": "q"}
    with pytest.raises(ArgumentError) as refused:
        bind_options(ASK, {"question": "q", "colour": "red"})
    assert refused.value.values == {"word": "colour"}


async def _read(spec: CommandSpec, line: str, uow: UnitOfWorkFactory) -> dict[str, object]:
    async with uow() as unit:
        reading = Reading(unit, Platform.CONSOLE, SETTINGS, NOW)
        return dict((await read_arguments(spec, bind_line(spec, line), {}, reading)).values)


async def test_values_are_read_into_their_types(uow: UnitOfWorkFactory) -> None:
    await a_member(uow, "grace")
    read = await _read(GRANT, "@grace member 2w paid:300cny ref:TX-7", uow)
    assert read["tier"] == "member"
    assert read["duration"] == Duration(14)
    assert read["paid"] == Money(300_00, "cny")
    assert read["ref"] == "TX-7"
    community = await _read(GRANT, "@grace member paid:300", uow)
    assert community["paid"] == Money(300_00, "usd")  # the community currency
    assert (await _read(GRANT, "@grace member lifetime", uow))["duration"] == Duration(None)
    new = await _read(NEW, 'pro,member,pro price:4.99 at:"fri 20:00"\nTitle\nBody', uow)
    assert new["tiers"] == ("pro", "member")
    assert new["price"] == Money(499, "usd")
    assert new["at"] == datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai


@pytest.mark.parametrize(
    ("spec", "line", "option", "message"),
    [
        (
            GRANT,
            "@nobody member",
            "member",
            "I can't find {reference} here. They need to have used the bot at least once.",
        ),
        (GRANT, "#1 gold", "tier", "There is no tier “{tier}”. Choose one of: {tiers}."),
        (GRANT, "#1 member -5", "duration", "A length of time must be more than zero."),
        (GRANT, "#1 member 0", "duration", "A length of time must be more than zero."),
        (GRANT, "#1 member soon", "duration", "“{typed}” is not a length of time."),
        (GRANT, "#1 member paid:abc", "paid", "“{typed}” is not an amount."),
        (
            GRANT,
            "#1 member paid:12.505",
            "paid",
            "“{typed}” has more decimal places than {currency} allows.",
        ),
        (
            ASK,
            "price:20eur Why?",
            "price",
            "Amounts here are in {currency}: write it like {example}.",
        ),
        (ASK, "price:0 Why?", "price", "The amount must be more than zero."),
        (NEW, "member at:yesterday\nT\nB", "at", "Could not understand “{text}”. Try {forms}."),
    ],
)
async def test_a_value_that_does_not_read_is_refused_naming_its_option(
    uow: UnitOfWorkFactory, spec: CommandSpec, line: str, option: str, message: str
) -> None:
    await a_member(uow, "grace")
    with pytest.raises(ArgumentError) as refused:
        await _read(spec, line, uow)
    assert (refused.value.option, refused.value.message) == (option, message)


async def test_integers_keep_their_bounds_and_labels_their_kinds(uow: UnitOfWorkFactory) -> None:
    spec = CommandSpec(
        name="retry",
        description="Retry",
        handler=_noop,
        params=(
            Param("id", "Item", kind=ParamKind.INTEGER, minimum=1, maximum=99),
            Param("what", "What", kind=ParamKind.LABEL, labels=(DROP, QUESTION), required=False),
        ),
    )
    assert await _read(spec, "5 D7", uow) == {"id": 5, "what": Label(DROP, 7)}
    assert await _read(spec, "5 #12", uow) == {"id": 5, "what": Label(QUESTION, 12)}
    for line, message in [
        ("0", "The number must be at least {minimum}."),
        ("100", "The number must be at most {maximum}."),
        ("five", "“{typed}” is not a whole number."),
        ("5 X7", "“{typed}” names no question or drop: 12 for question #12, D7 for drop D7."),
    ]:
        with pytest.raises(ArgumentError) as refused:
            await _read(spec, line, uow)
        assert refused.value.message == message


def test_specs_check_themselves() -> None:
    with pytest.raises(ValueError, match=r"choices go with kind=ParamKind\.CHOICE"):
        Param("which", "open or mine", choices=("open", "mine"))
    with pytest.raises(ValueError, match=r"choices go with kind=ParamKind\.CHOICE"):
        Param("which", "open or mine", kind=ParamKind.CHOICE)
    with pytest.raises(ValueError, match="labels go with"):
        Param("drop", "Drop", kind=ParamKind.LABEL)
    with pytest.raises(ValueError, match="own_line is for a long text"):
        Param("text", "Text", own_line=True)
    with pytest.raises(ValueError, match="a handler, or subcommands"):
        CommandSpec(name="drop", description="Drop")
    with pytest.raises(ValueError, match="only the last parameter"):
        CommandSpec(
            name="x",
            description="x",
            handler=_noop,
            params=(Param("a", "a", rest=True), Param("b", "b")),
        )
    with pytest.raises(ValueError, match="subcommand is for its command's level"):
        CommandSpec(
            name="x",
            description="x",
            subcommands=(CommandSpec(name="y", description="y", handler=_noop),),
            level=Level.MOD,
        )


def test_usage_shows_every_option_in_the_syntax_it_is_typed() -> None:
    assert ASK.usage() == "/ask [@expert] [price:25] <question>"
    assert GRANT.usage() == (
        "/grant <@member> <tier> [duration] [paid:25] [ref:ref] [reason:reason]"
    )
    assert (
        NEW.usage("drop new") == "/drop new <tiers> [price:25] [at:tomorrow 20:00] [file]\n  <text>"
    )


def test_the_registry_refuses_twins_and_lists_by_level() -> None:
    registry = Registry()
    registry.register(ASK)
    registry.register(CommandSpec(name="ban", description="Ban", handler=_noop, level=Level.MOD))
    with pytest.raises(ValueError, match="twice"):
        registry.register(ASK)
    assert [s.name for s in registry.available_to(Level.MEMBER)] == ["ask"]
    assert [s.name for s in registry.available_to(Level.OWNER)] == ["ask", "ban"]
